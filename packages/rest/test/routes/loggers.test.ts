import assert from 'node:assert/strict'
import { test } from 'node:test'
import { call, testServer } from '../helpers.ts'

test('GET /admin/loggers lists every logger with its level and last change', async (t) => {
  const { app } = testServer(t)
  assert.deepEqual((await call(app, 'GET', '/admin/loggers')).body, { root: { level: 'INFO', last_modified: null } })
  assert.deepEqual((await call(app, 'GET', '/admin/loggers/root')).body, { level: 'INFO', last_modified: null })
  assert.deepEqual((await call(app, 'GET', '/admin/loggers/nope')).body, {
    error_code: 404,
    message: 'Logger nope not found.',
  })
})

test('PUT sets a level in this worker and returns the changed loggers', async (t) => {
  const { app, herder } = testServer(t)
  const res = await call(app, 'PUT', '/admin/loggers/org.apache.kafka.connect', { level: 'debug' })
  assert.deepEqual([res.status, res.body], [200, ['org.apache.kafka.connect']])
  assert.equal(herder.levels['org.apache.kafka.connect']?.level, 'DEBUG')
  const weird = await call(app, 'PUT', '/admin/loggers/x?scope=weird', { level: 'WARN' })
  assert.deepEqual(weird.body, ['x'])
})

test('cluster scope answers 204', async (t) => {
  const { app, herder } = testServer(t)
  const res = await call(app, 'PUT', '/admin/loggers/foo?scope=cluster', { level: 'INFO' })
  assert.deepEqual([res.status, res.text], [204, ''])
  assert.ok(herder.calls.includes('cluster level foo INFO'))
})

test('a missing level is 400 and an unknown level is 404, with Apache’s messages', async (t) => {
  const { app } = testServer(t)
  assert.deepEqual((await call(app, 'PUT', '/admin/loggers/foo', {})).body, {
    error_code: 400,
    message: "Desired 'level' parameter was not specified in request.",
  })
  assert.deepEqual((await call(app, 'PUT', '/admin/loggers/foo', { level: 'bogus' })).body, {
    error_code: 404,
    message: "invalid log level 'bogus'.",
  })
  assert.deepEqual((await call(app, 'PUT', '/admin/loggers/foo', { level: 3 })).body.message, "invalid log level '3'.")
  assert.equal((await call(app, 'PUT', '/admin/loggers/foo', [])).status, 500)
})

test('with admin routes excluded, /admin is 404; an admin-only app serves nothing else', async (t) => {
  const excluded = testServer(t, { admin: 'exclude' })
  assert.equal((await call(excluded.app, 'GET', '/admin/loggers')).status, 404)
  assert.equal((await call(excluded.app, 'GET', '/connectors')).status, 200)
  const only = testServer(t, { admin: 'only' })
  assert.equal((await call(only.app, 'GET', '/admin/loggers')).status, 200)
  assert.equal((await call(only.app, 'GET', '/connectors')).status, 404)
})

test('a logger name longer than 100 characters is read and set (not 414)', async (t) => {
  const { app } = testServer(t)
  const name = `org.example.${'deep.'.repeat(60)}Logger`
  assert.deepEqual((await call(app, 'GET', `/admin/loggers/${name}`)).body, {
    error_code: 404,
    message: `Logger ${name} not found.`,
  })
  const set = await call(app, 'PUT', `/admin/loggers/${name}`, { level: 'DEBUG' })
  assert.equal(set.status, 200)
})
