import assert from 'node:assert/strict'
import { test } from 'node:test'
import { call, testServer } from '../helpers.ts'

test('a started worker is healthy', async (t) => {
  const { app } = testServer(t)
  assert.deepEqual(await call(app, 'GET', '/health').then((r) => [r.status, r.body]), [
    200,
    { status: 'healthy', message: 'Worker has completed startup and is ready to handle requests.' },
  ])
})

test('a worker that has not finished starting is 503 starting', async (t) => {
  const { app, herder } = testServer(t)
  herder.ready = false
  assert.deepEqual(await call(app, 'GET', '/health').then((r) => [r.status, r.body]), [
    503,
    { status: 'starting', message: 'Worker is still starting up.' },
  ])
})

test('a worker whose herder does not answer in time is 500 unhealthy', async (t) => {
  const { app, herder } = testServer(t, { healthCheckTimeoutMs: 20 })
  herder.healthDelayMs = 500
  assert.deepEqual(await call(app, 'GET', '/health').then((r) => [r.status, r.body]), [
    500,
    {
      status: 'unhealthy',
      message: 'Worker was unable to handle this request and may be unable to handle other requests.',
    },
  ])
})
