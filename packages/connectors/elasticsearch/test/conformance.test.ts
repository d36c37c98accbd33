import { test } from 'node:test'
import { connectorConformance, freePort } from '@ferry/testing'
import { ElasticsearchSinkConnector } from '../src/sink-connector.ts'

// Elasticsearch is a JVM that takes tens of seconds to start: the suite runs the checks that need no server, and
// sink.integration.test.ts runs the connector against real servers.
test('the Elasticsearch sink passes the connector conformance checks that need no server', async (t) => {
  const url = `http://127.0.0.1:${await freePort()}`
  await connectorConformance(t, {
    create: () => new ElasticsearchSinkConnector(),
    config: { 'connection.url': url, topics: 'docs', 'key.ignore': 'true' },
    invalid: { config: { 'connection.url': url, topics: 'docs', 'batch.size': '0' }, key: 'batch.size' },
    running: false,
    unreachable: ['connection.url'],
  })
})
