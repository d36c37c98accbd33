/**
 * The client workers call each other with: https with the `listeners.https.` TLS keys, read all or nothing as
 * Apache's SSLUtils reads them (JKS stores made by keytool, a client certificate for `ssl.client.auth=required`,
 * host names checked unless `ssl.endpoint.identification.algorithm` is empty).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { type Certificates, makeCertificates } from '../../../../scripts/kafka/certs.ts'
import { RestClient, RestIoError } from '../../src/rest/rest-client.ts'
import { restServerTls } from '../../src/rest/ssl-utils.ts'

let dir: string
let certs: Certificates
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-rest-client-'))
  certs = await makeCertificates(join(dir, 'certs'))
})
after(() => rm(dir, { recursive: true, force: true }))

/** An https server as a worker's listener would be, with client certificates required; resolves to its URL. */
async function worker(t: { after(fn: () => unknown): void }, identity: 'broker' | 'wrongHost'): Promise<string> {
  const server = createServer(
    {
      key: readFileSync(certs[identity].key),
      cert: readFileSync(certs[identity].cert),
      ca: readFileSync(certs.ca.cert),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate()
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ method: req.method, client: peer.subject?.CN }))
    },
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  return `https://localhost:${(server.address() as { port: number }).port}/connectors`
}

const trustJks = () => ({
  'listeners.https.ssl.truststore.location': certs.truststore.jks.path,
  'listeners.https.ssl.truststore.password': certs.truststore.jks.password!,
})
const clientJks = () => ({
  'listeners.https.ssl.keystore.location': certs.client.jks.path,
  'listeners.https.ssl.keystore.password': certs.client.jks.password,
  'listeners.https.ssl.key.password': certs.client.jks.keyPassword,
})

test('a worker that requires client certificates is reached with the keystore’s certificate, checked by the truststore', async (t) => {
  const url = await worker(t, 'broker')
  const client = new RestClient({ ...trustJks(), ...clientJks() })
  const res = await client.request(url, { method: 'GET', timeoutMs: 10_000 })
  assert.equal(res.status, 200)
  assert.deepEqual(JSON.parse(res.body), { method: 'GET', client: 'ferry-client' })
  await assert.rejects(
    new RestClient(trustJks()).request(url, { method: 'GET', timeoutMs: 10_000 }),
    (e) => e instanceof RestIoError,
    'no client certificate',
  )
})

test('the host name is checked unless ssl.endpoint.identification.algorithm is empty', async (t) => {
  const url = await worker(t, 'wrongHost')
  await assert.rejects(
    new RestClient({ ...trustJks(), ...clientJks() }).request(url, { method: 'GET', timeoutMs: 10_000 }),
    (e) => e instanceof RestIoError && /localhost/.test(e.message),
  )
  const unchecked = new RestClient({
    ...trustJks(),
    ...clientJks(),
    'listeners.https.ssl.endpoint.identification.algorithm': '',
  })
  assert.equal((await unchecked.request(url, { method: 'GET', timeoutMs: 10_000 })).status, 200)
})

test('listeners.https.ssl.* keys replace the top-level ssl.* ones entirely, as Apache’s valuesWithPrefixAllOrNothing', async (t) => {
  const url = await worker(t, 'broker')
  // The top-level keys alone are used when no prefixed key is set.
  const topLevel = new RestClient({
    'ssl.truststore.location': certs.truststore.jks.path,
    'ssl.truststore.password': certs.truststore.jks.password!,
    'ssl.keystore.location': certs.client.jks.path,
    'ssl.keystore.password': certs.client.jks.password,
    'ssl.key.password': certs.client.jks.keyPassword,
  })
  assert.equal((await topLevel.request(url, { method: 'GET', timeoutMs: 10_000 })).status, 200)
  // One prefixed key: the top-level truststore no longer counts, so the CA is not trusted.
  const mixed = new RestClient({
    'ssl.truststore.location': certs.truststore.jks.path,
    'ssl.truststore.password': certs.truststore.jks.password!,
    ...clientJks(),
  })
  await assert.rejects(mixed.request(url, { method: 'GET', timeoutMs: 10_000 }), RestIoError)
  // The server side reads its keys the same way: a prefixed key hides a top-level keystore.
  assert.throws(
    () =>
      restServerTls(
        {
          'ssl.keystore.type': 'PKCS12',
          'ssl.keystore.location': certs.broker.keystore.path,
          'ssl.keystore.password': certs.broker.keystore.password,
          'listeners.https.ssl.client.auth': 'required',
        },
        'listeners.https.',
      ),
    /listeners\.https\.ssl\.keystore\.location: an https listener needs a keystore/,
  )
})
