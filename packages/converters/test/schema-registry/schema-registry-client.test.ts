import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { ConfigException, RetriableException } from '@ferry/api'
import { RestClientException } from '../../src/schema-registry/rest-service.ts'
import { CachedSchemaRegistryClient } from '../../src/schema-registry/schema-registry-client.ts'
import {
  clientOptionsFrom,
  refuseUnsupportedClientKeys,
  registryClientConfigDef,
} from '../../src/schema-registry/schema-registry-client-config.ts'

/** A fake registry: answers from `handler`, records each request. */
interface Seen {
  method: string
  url: string
  authorization: string | undefined
  contentType: string | undefined
  body: string
  headers: IncomingMessage['headers']
}
let server: Server
let base: string
const seen: Seen[] = []
let handler: (req: Seen, res: ServerResponse) => void = (_req, res) => res.end('{}')

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const s: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8'),
        headers: req.headers,
      }
      seen.push(s)
      handler(s, res)
    })
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(() => new Promise<void>((ok) => server.close(() => ok())))

/** A port nothing listens on (a server opened and closed). */
async function deadUrl(): Promise<string> {
  const s = createServer()
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((ok) => s.close(() => ok()))
  return `http://127.0.0.1:${port}`
}

function client(props: Record<string, unknown>): CachedSchemaRegistryClient {
  refuseUnsupportedClientKeys(props)
  return new CachedSchemaRegistryClient(clientOptionsFrom(registryClientConfigDef().parse(props), props))
}

function reset(h: typeof handler): void {
  seen.length = 0
  handler = h
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.statusCode = status
  res.setHeader('Content-Type', 'application/vnd.schemaregistry.v1+json')
  res.end(JSON.stringify(body))
}

test('register posts the schema to the subject in the Confluent content type and caches the id', async () => {
  reset((_req, res) => json(res, 200, { id: 7 }))
  const c = client({ 'schema.registry.url': base })
  const schema = { schema: '{"type":"string"}' }
  assert.equal(await c.register('t-value', schema), 7)
  assert.equal(await c.register('t-value', { schema: '{"type":"string"}' }), 7)
  assert.equal(seen.length, 1)
  assert.equal(seen[0]?.method, 'POST')
  assert.equal(seen[0]?.url, '/subjects/t-value/versions')
  assert.equal(seen[0]?.contentType, 'application/vnd.schemaregistry.v1+json')
  assert.deepEqual(JSON.parse(seen[0]?.body ?? ''), { schema: '{"type":"string"}' })
  // The registered schema is known by its id without asking.
  assert.deepEqual(await c.getSchemaById(7), schema)
  assert.equal(seen.length, 1)
  c.close()
})

test('concurrent reads of one schema id make one request, and a failed read is not cached', async () => {
  let fail = true
  reset((_req, res) => {
    if (fail) json(res, 404, { error_code: 40403, message: 'Schema 5 not found' })
    else setTimeout(() => json(res, 200, { schema: '"int"' }), 20)
  })
  const c = client({ 'schema.registry.url': base })
  await assert.rejects(c.getSchemaById(5), (e: unknown) => {
    assert.ok(e instanceof RestClientException)
    assert.equal(e.status, 404)
    assert.equal(e.errorCode, 40403)
    assert.match(e.message, /Schema 5 not found/)
    return true
  })
  fail = false
  const all = await Promise.all([c.getSchemaById(5), c.getSchemaById(5), c.getSchemaById(5)])
  assert.deepEqual(all, [{ schema: '"int"' }, { schema: '"int"' }, { schema: '"int"' }])
  assert.equal(seen.length, 2)
  c.close()
})

test('a URL that cannot be reached passes the request to the next one, which later requests start from', async () => {
  reset((req, res) => json(res, 200, { subject: 's', version: 3, id: 11, schema: '"long"', url: req.url }))
  const dead = await deadUrl()
  const c = client({ 'schema.registry.url': `${dead},${base}`, 'max.retries': 0 })
  const latest = await c.getLatestSchemaMetadata('s')
  assert.deepEqual(latest, { schema: '"long"', id: 11, version: 3, subject: 's' })
  assert.equal(seen[0]?.url, '/subjects/s/versions/latest')
  assert.deepEqual(await c.getSchemaMetadata('s', 3), latest)
  assert.equal(seen.length, 2)
  c.close()
})

test('no URL reachable is a RetriableException naming the URLs after max.retries more rounds', async () => {
  const dead = await deadUrl()
  const c = client({ 'schema.registry.url': dead, 'max.retries': 2, 'retries.wait.ms': 10 })
  const started = Date.now()
  await assert.rejects(c.getSchemaById(1), (e: unknown) => {
    assert.ok(e instanceof RetriableException)
    assert.match(e.message, new RegExp(`Schema registry unreachable \\(${dead}\\).*after 3 attempt`))
    return true
  })
  assert.ok(Date.now() - started >= 30, 'waited 10 then 20 ms between the rounds')
  c.close()
})

test('5xx answers are retriable, 4xx are not', async () => {
  reset((_req, res) => json(res, 503, { error_code: 50003, message: 'busy' }))
  const c = client({ 'schema.registry.url': base })
  await assert.rejects(c.getSchemaById(2), (e: unknown) => e instanceof RetriableException && /busy/.test(e.message))
  reset((_req, res) => json(res, 422, { error_code: 42201, message: 'Invalid schema' }))
  await assert.rejects(
    c.register('x', { schema: '{' }),
    (e: unknown) => !(e instanceof RetriableException) && e instanceof RestClientException && e.errorCode === 42201,
  )
  c.close()
})

test('basic auth from the URL user info (the default source) and from basic.auth.user.info', async () => {
  reset((_req, res) => json(res, 200, { schema: '"int"' }))
  const url = new URL(base)
  url.username = 'alice'
  url.password = 's3cr:t'
  const fromUrl = client({ 'schema.registry.url': url.toString() })
  await fromUrl.getSchemaById(1)
  assert.equal(seen[0]?.authorization, `Basic ${Buffer.from('alice:s3cr:t').toString('base64')}`)
  fromUrl.close()
  const fromInfo = client({
    'schema.registry.url': base,
    'basic.auth.credentials.source': 'USER_INFO',
    'basic.auth.user.info': 'bob:pw',
  })
  await fromInfo.getSchemaById(1)
  assert.equal(seen[1]?.authorization, `Basic ${Buffer.from('bob:pw').toString('base64')}`)
  fromInfo.close()
})

test('a static bearer token and the Confluent Cloud headers are sent', async () => {
  reset((_req, res) => json(res, 200, { schema: '"int"' }))
  const c = client({
    'schema.registry.url': base,
    'bearer.auth.credentials.source': 'STATIC_TOKEN',
    'bearer.auth.token': 'tok-123',
    'bearer.auth.logical.cluster': 'lsrc-1',
    'bearer.auth.identity.pool.id': 'pool-9',
  })
  await c.getSchemaById(1)
  assert.equal(seen[0]?.authorization, 'Bearer tok-123')
  assert.equal(seen[0]?.headers['target-sr-cluster'], 'lsrc-1')
  assert.equal(seen[0]?.headers['confluent-identity-pool-id'], 'pool-9')
  c.close()
})

test('401 is one line naming the registry and never the password', async () => {
  reset((_req, res) => json(res, 401, { error_code: 401, message: 'Unauthorized' }))
  const c = client({
    'schema.registry.url': base,
    'basic.auth.credentials.source': 'USER_INFO',
    'basic.auth.user.info': 'bob:hunter2',
  })
  await assert.rejects(c.getSchemaById(1), (e: unknown) => {
    assert.ok(e instanceof RestClientException)
    assert.ok(!(e instanceof RetriableException))
    assert.equal(e.message.split('\n').length, 1)
    assert.ok(e.message.includes(base), e.message)
    assert.match(e.message, /401 Unauthorized/)
    assert.ok(!e.message.includes('hunter2'))
    return true
  })
  c.close()
})

test('unsupported client keys and sources are refused, naming them', () => {
  const refused = (props: Record<string, unknown>, key: RegExp) =>
    assert.throws(
      () => client({ 'schema.registry.url': base, ...props }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigException)
        assert.match(e.message, key)
        return true
      },
    )
  refused({ 'proxy.host': 'p' }, /proxy\.host/)
  refused({ 'bearer.auth.issuer.endpoint.url': 'http://idp' }, /bearer\.auth\.issuer\.endpoint\.url/)
  refused({ 'bearer.auth.credentials.source': 'OAUTHBEARER' }, /OAUTHBEARER/)
  refused({ 'basic.auth.credentials.source': 'SASL_INHERIT' }, /SASL_INHERIT/)
  refused({ 'basic.auth.credentials.source': 'USER_INFO' }, /basic\.auth\.user\.info/)
  assert.throws(() => client({}), /schema\.registry\.url/)
  assert.throws(
    () => client({ 'schema.registry.url': 'ftp://u:secret@h/' }),
    (e: unknown) => e instanceof ConfigException && !e.message.includes('secret') && /http/.test(e.message),
  )
})
