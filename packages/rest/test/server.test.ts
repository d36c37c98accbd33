import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { hostname } from 'node:os'
import { test } from 'node:test'
import type { PluginRegistry } from '@ferry/runtime'
import { advertisedUrl, PortInUseError, parseListeners, startRestServer, workerIdFor } from '../src/server.ts'
import { FakeHerder, fakePlugins, workerConfig } from './fake-herder.ts'
import { call, memoryLogger, testServer } from './helpers.ts'

test('listeners parse Apache’s protocol://host:port list, an empty host meaning every interface', () => {
  assert.deepEqual(parseListeners('http://:8083, https://localhost:8443,http://[::1]:9000'), [
    { protocol: 'http', host: '', port: 8083 },
    { protocol: 'https', host: 'localhost', port: 8443 },
    { protocol: 'http', host: '::1', port: 9000 },
  ])
  assert.throws(
    () => parseListeners('ftp://x:1'),
    /Invalid value ftp:\/\/x:1 for configuration listeners: Invalid listener/,
  )
  assert.throws(() => parseListeners('http://host'), /expected http:\/\/host:port/)
  assert.throws(() => parseListeners('http://h:99999', 'admin.listeners'), /configuration admin.listeners/)
})

test('the worker id is host:port of the advertised URL', () => {
  assert.equal(workerIdFor({}), `${hostname()}:8083`)
  assert.equal(workerIdFor({ listeners: 'http://10.0.0.5:9000' }), '10.0.0.5:9000')
  assert.equal(
    workerIdFor({ listeners: 'http://:8083', 'rest.advertised.host.name': 'worker1', 'rest.advertised.port': '18083' }),
    'worker1:18083',
  )
  assert.deepEqual(advertisedUrl({ listeners: 'http://a:1,https://b:2', 'rest.advertised.listener': 'https' }), {
    protocol: 'https',
    host: 'b',
    port: 2,
  })
  // Without rest.advertised.listener Apache advertises an http listener when there is one, wherever it is listed.
  assert.deepEqual(advertisedUrl({ listeners: 'https://b:2,http://a:1' }), { protocol: 'http', host: 'a', port: 1 })
  assert.deepEqual(advertisedUrl({ listeners: 'https://b:2,https://c:3' }), { protocol: 'https', host: 'b', port: 2 })
})

test('unknown paths are 404 and other methods on a known path are 405, with Apache’s bodies', async (t) => {
  const { app } = testServer(t)
  assert.deepEqual((await call(app, 'GET', '/nope')).body, { error_code: 404, message: 'HTTP 404 Not Found' })
  assert.deepEqual((await call(app, 'DELETE', '/')).body, { error_code: 405, message: 'HTTP 405 Method Not Allowed' })
  assert.equal((await call(app, 'GET', '/connectors/x/restart')).status, 405)
  assert.equal((await call(app, 'PATCH', '/connectors')).status, 405)
  assert.equal((await call(app, 'GET', '/connectors/')).status, 200)
})

test('OPTIONS lists the allowed methods, as Jersey answers it', async (t) => {
  const { app } = testServer(t)
  const res = await app.inject({ method: 'OPTIONS', url: '/connectors' })
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers.allow, 'HEAD, GET, POST, OPTIONS')
  assert.equal(res.body, 'HEAD, GET, POST, OPTIONS')
})

test('CORS headers follow access.control.allow.origin and .methods; preflights are answered', async (t) => {
  const { app } = testServer(t, {
    originals: {
      'access.control.allow.origin': 'http://ui.example,https://*.corp',
      'access.control.allow.methods': 'GET,PUT',
    },
  })
  const allowed = await app.inject({ method: 'GET', url: '/connectors', headers: { origin: 'https://a.corp' } })
  assert.equal(allowed.headers['access-control-allow-origin'], 'https://a.corp')
  const other = await app.inject({ method: 'GET', url: '/connectors', headers: { origin: 'http://evil' } })
  assert.equal(other.headers['access-control-allow-origin'], undefined)
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/connectors/x/pause',
    headers: { origin: 'http://ui.example', 'access-control-request-method': 'PUT' },
  })
  assert.equal(preflight.statusCode, 204)
  assert.equal(preflight.headers['access-control-allow-methods'], 'GET,PUT')
  const none = testServer(t)
  const plain = await none.app.inject({ method: 'GET', url: '/', headers: { origin: 'http://ui.example' } })
  assert.equal(plain.headers['access-control-allow-origin'], undefined)
})

test('a body over the size limit is 413 and leaves the worker answering', async (t) => {
  const { app } = testServer(t, { bodyLimit: 1024 })
  const res = await call(app, 'POST', '/connectors', { name: 'x', config: { big: 'x'.repeat(2000) } })
  assert.deepEqual(res.body, { error_code: 413, message: 'HTTP 413 Request Entity Too Large' })
  assert.equal((await call(app, 'GET', '/connectors')).status, 200)
})

test('startRestServer listens on the listeners, serves over HTTP and closes', async (t) => {
  const server = await startRestServer({
    herder: new FakeHerder(),
    workerConfig: workerConfig({ listeners: 'http://127.0.0.1:0', 'rest.advertised.host.name': 'worker1' }),
    plugins: fakePlugins([]) as unknown as PluginRegistry,
    logger: memoryLogger(),
  })
  t.after(() => server.close())
  assert.match(server.advertisedUrl, /^http:\/\/worker1:\d+\/$/)
  const res = await fetch(`${server.addresses[0]}/connectors`)
  assert.deepEqual([res.status, await res.json()], [200, []])
})

test('admin.listeners moves /admin to its own listener; empty disables it', async (t) => {
  const options = (originals: Record<string, string>) => ({
    herder: new FakeHerder(),
    workerConfig: workerConfig(originals),
    plugins: fakePlugins([]) as unknown as PluginRegistry,
    logger: memoryLogger(),
  })
  const split = await startRestServer(
    options({ listeners: 'http://127.0.0.1:0', 'admin.listeners': 'http://127.0.0.1:0' }),
  )
  t.after(() => split.close())
  const [main, admin] = split.addresses as [string, string]
  assert.equal((await fetch(`${main}/admin/loggers`)).status, 404)
  assert.equal((await fetch(`${admin}/admin/loggers`)).status, 200)
  assert.equal((await fetch(`${admin}/connectors`)).status, 404)
  const disabled = await startRestServer(options({ listeners: 'http://127.0.0.1:0', 'admin.listeners': '' }))
  t.after(() => disabled.close())
  assert.equal(disabled.addresses.length, 1)
  assert.equal((await fetch(`${disabled.addresses[0]}/admin/loggers`)).status, 404)
})

test('a port in use fails with one clear message and leaves nothing listening', async (t) => {
  const blocker = createServer()
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
  t.after(() => new Promise((r) => blocker.close(r)))
  const port = (blocker.address() as { port: number }).port
  await assert.rejects(
    startRestServer({
      herder: new FakeHerder(),
      workerConfig: workerConfig({ listeners: `http://127.0.0.1:${port}` }),
      plugins: fakePlugins([]) as unknown as PluginRegistry,
      logger: memoryLogger(),
    }),
    (e: unknown) =>
      e instanceof PortInUseError &&
      e.message ===
        `cannot start the REST server: port ${port} on 127.0.0.1 is already in use (listeners=http://127.0.0.1:${port})`,
  )
})
