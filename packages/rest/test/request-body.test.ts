import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeBody } from '../src/request-body.ts'
import { testServer } from './helpers.ts'

const SOURCE = { 'connector.class': 'FileStreamSource', topic: 't', file: '/tmp/in.txt' }

function utf16be(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16()
}

function utf32(text: string, littleEndian: boolean): Buffer {
  const points = [...text].map((c) => c.codePointAt(0) ?? 0)
  const out = Buffer.alloc(points.length * 4)
  for (const [i, p] of points.entries()) {
    if (littleEndian) out.writeUInt32LE(p, i * 4)
    else out.writeUInt32BE(p, i * 4)
  }
  return out
}

const bom = (...bytes: number[]) => Buffer.from(bytes)

test('bodies in UTF-8, UTF-16 and UTF-32 of either byte order, with or without a byte-order mark, are read as Jackson reads them', async (t) => {
  const { app, herder } = testServer(t)
  const encodings: Record<string, (text: string) => Buffer> = {
    'utf8-bom': (s) => Buffer.concat([bom(0xef, 0xbb, 0xbf), Buffer.from(s)]),
    utf16le: (s) => Buffer.from(s, 'utf16le'),
    'utf16le-bom': (s) => Buffer.concat([bom(0xff, 0xfe), Buffer.from(s, 'utf16le')]),
    utf16be: utf16be,
    'utf16be-bom': (s) => Buffer.concat([bom(0xfe, 0xff), utf16be(s)]),
    utf32le: (s) => utf32(s, true),
    'utf32le-bom': (s) => Buffer.concat([bom(0xff, 0xfe, 0, 0), utf32(s, true)]),
    utf32be: (s) => utf32(s, false),
    'utf32be-bom': (s) => Buffer.concat([bom(0, 0, 0xfe, 0xff), utf32(s, false)]),
  }
  for (const [label, encode] of Object.entries(encodings)) {
    const name = `${label}-\u00e9\u{1f41f}`
    const res = await app.inject({
      method: 'POST',
      url: '/connectors',
      payload: encode(JSON.stringify({ name, config: SOURCE })),
      headers: { 'content-type': 'application/json' },
    })
    assert.equal(res.statusCode, 201, `${label}: ${res.body}`)
    assert.equal(res.json().name, name)
  }
  assert.equal(herder.connectors().length, Object.keys(encodings).length)
})

test('the charset parameter is ignored, as Jackson ignores it: the bytes decide', async (t) => {
  const { app } = testServer(t)
  const asUtf8 = await app.inject({
    method: 'POST',
    url: '/connectors',
    payload: JSON.stringify({ name: 'c', config: SOURCE }),
    headers: { 'content-type': 'application/json; charset=utf-16' },
  })
  assert.equal(asUtf8.statusCode, 201)
  const latin1 = await app.inject({
    method: 'POST',
    url: '/connectors',
    payload: Buffer.from(JSON.stringify({ name: 'caf\u00e9', config: SOURCE }), 'latin1'),
    headers: { 'content-type': 'application/json; charset=iso-8859-1' },
  })
  assert.deepEqual(latin1.json(), { error_code: 500, message: 'The request body is not valid UTF-8' })
})

test('bytes that are not valid in the detected encoding are refused, never replaced', () => {
  assert.throws(() => decodeBody(Buffer.from([0x7b, 0xc3, 0x28])), /not valid UTF-8/)
  assert.throws(() => decodeBody(Buffer.from([0x7b, 0x00, 0x00, 0xd8])), /not valid UTF-16LE/)
  assert.throws(() => decodeBody(Buffer.from([0, 0, 0, 0x7b, 0, 0x11, 0, 0])), /not valid UTF-32BE/)
  assert.throws(() => decodeBody(Buffer.from([0, 0, 0, 0x7b, 0, 0])), /not valid UTF-32BE/)
  assert.equal(decodeBody(Buffer.from('{}')), '{}')
  assert.equal(decodeBody(Buffer.from('7')), '7')
})

test('Content-Type as Jersey checks it: unparseable is 400 anywhere, not JSON is 415 on the JSON resources', async (t) => {
  const { app } = testServer(t)
  const send = (method: string, url: string, headers: Record<string, string>, payload?: string) =>
    app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) })
  const status = async (...args: Parameters<typeof send>) => (await send(...args)).statusCode
  const garbage = await send('GET', '/', { 'content-type': 'garbage' })
  assert.deepEqual([garbage.statusCode, garbage.json()], [400, { error_code: 400, message: 'HTTP 400 Bad Request' }])
  assert.equal(await status('DELETE', '/connectors', { 'content-type': '' }, 'x'), 400)
  assert.equal(await status('GET', '/connectors', { 'content-type': 'text/plain' }), 415)
  assert.equal(await status('GET', '/admin/loggers', { 'content-type': 'text/plain' }), 415)
  assert.equal(await status('PUT', '/connectors/x/pause', { 'content-type': 'text/plain' }, 'x'), 415)
  assert.equal(await status('POST', '/connectors', { 'content-type': 'application/vnd.x+json' }, '{}'), 415)
  assert.equal(await status('POST', '/connectors', { 'content-type': '*/*' }, '{}'), 415)
  assert.equal(await status('GET', '/', { 'content-type': 'text/plain' }), 200)
  assert.equal(await status('GET', '/health', { 'content-type': 'text/plain' }), 200)
  assert.equal(await status('GET', '/connectors', { 'content-type': 'APPLICATION/JSON;;' }), 200)
  // No Content-Type: a body is 415 where the route reads one, and ignored where it does not.
  const noType = await app.inject({ method: 'POST', url: '/connectors', payload: Buffer.from('{"name":"q"}') })
  assert.equal(noType.statusCode, 415)
  assert.equal(await status('POST', '/connectors', {}), 500)
  const pause = await app.inject({ method: 'PUT', url: '/connectors/x/pause', payload: Buffer.from('{bad') })
  assert.equal(pause.statusCode, 404)
  // 405 comes before the media type.
  assert.equal(await status('DELETE', '/connectors', { 'content-type': 'text/plain' }, 'x'), 405)
})
