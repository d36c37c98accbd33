import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { ConfigException, ConnectException, RetriableException } from '@ferry/api'
import { type Certificates, makeCertificates } from '../../../../scripts/kafka/certs.ts'
import { CachedSchemaRegistryClient } from '../../src/schema-registry/schema-registry-client.ts'
import {
  clientOptionsFrom,
  refuseUnsupportedClientKeys,
  registryClientConfigDef,
} from '../../src/schema-registry/schema-registry-client-config.ts'

let dir: string
let certs: Certificates
let server: Server
let base: string
/** The subject of the client certificate of the last request, or null without one. */
let lastClient: string | null = null

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-registry-tls-'))
  certs = await makeCertificates(dir)
  server = createServer(
    {
      key: await readFile(certs.broker.key),
      cert: await readFile(certs.broker.cert),
      ca: await readFile(certs.ca.cert),
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate()
      lastClient = peer?.subject ? String(peer.subject.CN) : null
      res.setHeader('Content-Type', 'application/vnd.schemaregistry.v1+json')
      res.end(JSON.stringify({ schema: '"int"' }))
    },
  )
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(async () => {
  await new Promise<void>((ok) => server.close(() => ok()))
  await rm(dir, { recursive: true, force: true })
})

function client(props: Record<string, unknown>): CachedSchemaRegistryClient {
  refuseUnsupportedClientKeys(props)
  return new CachedSchemaRegistryClient(clientOptionsFrom(registryClientConfigDef().parse(props), props))
}

test('https with schema.registry.ssl.* truststores (PEM file, inline PEM, PKCS12) and a client certificate', async () => {
  const pemFile = client({
    'schema.registry.url': base,
    'schema.registry.ssl.truststore.type': 'PEM',
    'schema.registry.ssl.truststore.location': certs.truststore.pem.path,
  })
  assert.deepEqual(await pemFile.getSchemaById(1), { schema: '"int"' })
  assert.equal(lastClient, null)
  pemFile.close()
  const inline = client({
    'schema.registry.url': base,
    'schema.registry.ssl.truststore.type': 'PEM',
    'schema.registry.ssl.truststore.certificates': await readFile(certs.ca.cert, 'utf8'),
  })
  assert.deepEqual(await inline.getSchemaById(1), { schema: '"int"' })
  inline.close()
  const mtls = client({
    'schema.registry.url': base,
    'schema.registry.ssl.truststore.type': 'PKCS12',
    'schema.registry.ssl.truststore.location': certs.truststore.pkcs12.path,
    'schema.registry.ssl.truststore.password': certs.truststore.pkcs12.password,
    'schema.registry.ssl.keystore.type': 'PKCS12',
    'schema.registry.ssl.keystore.location': certs.client.pkcs12.path,
    'schema.registry.ssl.keystore.password': certs.client.pkcs12.password,
  })
  assert.deepEqual(await mtls.getSchemaById(1), { schema: '"int"' })
  assert.equal(lastClient, 'ferry-client')
  mtls.close()
})

test('an untrusted registry certificate fails at once and is not retriable', async () => {
  const c = client({ 'schema.registry.url': base, 'retries.wait.ms': 60_000 })
  await assert.rejects(c.getSchemaById(1), (e: unknown) => {
    assert.ok(e instanceof ConnectException && !(e instanceof RetriableException), String(e))
    assert.match(e.message, new RegExp(`Schema registry ${base}: the TLS handshake failed`))
    return true
  })
  c.close()
})

test('a wrong store password is a ConfigException naming the prefixed key and not the password', () => {
  assert.throws(
    () =>
      client({
        'schema.registry.url': base,
        'schema.registry.ssl.truststore.type': 'PKCS12',
        'schema.registry.ssl.truststore.location': certs.truststore.pkcs12.path,
        'schema.registry.ssl.truststore.password': 'not-the-password',
      }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigException)
      assert.match(e.message, /schema\.registry\.ssl\.truststore/)
      assert.ok(!e.message.includes('not-the-password'))
      return true
    },
  )
})
