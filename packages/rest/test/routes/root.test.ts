import assert from 'node:assert/strict'
import { test } from 'node:test'
import { call, testServer } from '../helpers.ts'

test('GET / gives the version, the commit and the Kafka cluster id', async (t) => {
  const { app } = testServer(t)
  const res = await call(app, 'GET', '/')
  assert.equal(res.status, 200)
  assert.deepEqual(Object.keys(res.body), ['version', 'commit', 'kafka_cluster_id'])
  assert.match(res.body.version, /^\d+\.\d+\.\d+/)
  assert.equal(res.body.kafka_cluster_id, 'cluster-1')
})
