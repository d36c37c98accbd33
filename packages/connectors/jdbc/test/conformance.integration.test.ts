import { test } from 'node:test'
import { Schema, SchemaBuilder, SinkRecord, Struct } from '@ferry/api'
import { connectorConformance } from '@ferry/testing'
import { JdbcSinkConnector } from '../src/sink-connector.ts'
import { JdbcSourceConnector } from '../src/source-connector.ts'
import { DATABASES, testDb } from './helpers.ts'

const postgres = DATABASES[0]!

test('the JDBC source passes the connector conformance suite on PostgreSQL', async (t) => {
  const { db, table } = await testDb(t, postgres)
  const name = table('conf_src')
  await db.execute(`CREATE TABLE ${postgres.q(name)} (id SERIAL PRIMARY KEY, v TEXT)`)
  await db.execute(`INSERT INTO ${postgres.q(name)} (v) VALUES ('a'), ('b'), ('c')`)
  await connectorConformance(t, {
    create: () => new JdbcSourceConnector(),
    config: {
      'connection.url': postgres.url,
      'connection.user': postgres.user,
      mode: 'incrementing',
      'incrementing.column.name': 'id',
      'table.whitelist': name,
      'topic.prefix': 'conf-',
      'poll.interval.ms': '200',
    },
    invalid: { config: { 'connection.url': postgres.url, 'topic.prefix': 'p-', mode: 'sometimes' }, key: 'mode' },
  })
})

test('the JDBC sink passes the connector conformance suite on PostgreSQL', async (t) => {
  const { table } = await testDb(t, postgres)
  const topic = table('conf_sink')
  const schema = SchemaBuilder.struct().field('id', Schema.INT32_SCHEMA).field('v', Schema.STRING_SCHEMA).build()
  await connectorConformance(t, {
    create: () => new JdbcSinkConnector(),
    config: {
      'connection.url': postgres.url,
      'connection.user': postgres.user,
      topics: topic,
      'auto.create': 'true',
    },
    invalid: { config: { 'connection.url': postgres.url, topics: topic, 'insert.mode': 'merge' }, key: 'insert.mode' },
    sinkRecords: () =>
      ['a', 'b', 'c'].map(
        (v, i) => new SinkRecord(topic, 0, null, null, schema, new Struct(schema).put('id', i).put('v', v), i),
      ),
  })
})
