import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PluginRegistry } from '@ferry/runtime'
import { startRestServer } from '../src/server.ts'
import { FakeHerder, fakePlugins, workerConfig } from './fake-herder.ts'
import { memoryLogger, rawRequest } from './helpers.ts'

async function listening(t: { after(fn: () => unknown): void }): Promise<string> {
  const server = await startRestServer({
    herder: new FakeHerder(),
    workerConfig: workerConfig({ listeners: 'http://127.0.0.1:0' }),
    plugins: fakePlugins([]) as unknown as PluginRegistry,
    logger: memoryLogger(),
  })
  t.after(() => server.close())
  return server.addresses[0]!
}

const get = (target: string, headers = '') => `GET ${target} HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`

test('CONNECT is answered 400 with Apache’s body and the connection closed, as Jetty answers it', async (t) => {
  const address = await listening(t)
  for (const target of ['127.0.0.1:80', '/connectors']) {
    const res = await rawRequest(address, `CONNECT ${target} HTTP/1.1\r\nHost: x\r\n\r\n`)
    assert.equal(res.status, 400)
    assert.match(res.head, /\r\nConnection: close/i)
    assert.deepEqual(JSON.parse(res.body), { error_code: 400, message: 'HTTP 400 Bad Request' })
  }
  assert.equal((await rawRequest(address, get('/connectors'))).status, 200)
})

test('a request line too long is 414 and headers too large 431, with Apache’s body', async (t) => {
  const address = await listening(t)
  const uri = await rawRequest(address, get(`/connectors/${'a'.repeat(100_000)}`))
  assert.deepEqual([uri.status, JSON.parse(uri.body)], [414, { error_code: 414, message: 'HTTP 414 URI Too Long' }])
  const headers = await rawRequest(address, get('/connectors', `X-Big: ${'b'.repeat(20_000)}\r\n`))
  assert.deepEqual(
    [headers.status, JSON.parse(headers.body)],
    [431, { error_code: 431, message: 'HTTP 431 Request Header Fields Too Large' }],
  )
})

test('a method Node’s parser does not know is 405 on a known path and 404 elsewhere; garbage is 400', async (t) => {
  const address = await listening(t)
  const known = await rawRequest(address, 'FOO /connectors HTTP/1.1\r\nHost: x\r\n\r\n')
  assert.deepEqual(JSON.parse(known.body), { error_code: 405, message: 'HTTP 405 Method Not Allowed' })
  const unknown = await rawRequest(address, 'FOO /nope HTTP/1.1\r\nHost: x\r\n\r\n')
  assert.equal(unknown.status, 404)
  const garbage = await rawRequest(address, 'hello\r\n\r\n')
  assert.deepEqual(JSON.parse(garbage.body), { error_code: 400, message: 'HTTP 400 Bad Request' })
  const propfind = await rawRequest(
    address,
    'PROPFIND /connectors/x/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  )
  assert.equal(propfind.status, 405)
})

test('a path with bad percent-encoding or bad UTF-8 is 400 with Apache’s body', async (t) => {
  const address = await listening(t)
  for (const path of ['/connectors/x%ED%A0%80y', '/connectors/%zz/status', '/connectors/%']) {
    const res = await rawRequest(address, get(path))
    assert.equal(res.status, 400, path)
    assert.deepEqual(JSON.parse(res.body), {
      error_code: 400,
      message: 'HTTP 400 Bad Request: the path is not valid percent-encoded UTF-8',
    })
  }
})
