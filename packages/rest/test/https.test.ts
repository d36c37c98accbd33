/**
 * https listeners read Apache's `listeners.https.ssl.*` keys: JKS (Apache's default type), PKCS12 and PEM keystores,
 * and `ssl.client.auth` with a truststore. Certificates come from the test harness (openssl and keytool).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { PluginRegistry } from '@ferry/runtime'
import { type Certificates, makeCertificates } from '../../../scripts/kafka/certs.ts'
import { checkRestConfig, startRestServer } from '../src/server.ts'
import { FakeHerder, fakePlugins, workerConfig } from './fake-herder.ts'
import { memoryLogger } from './helpers.ts'

let dir: string
let certs: Certificates
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-https-'))
  certs = await makeCertificates(join(dir, 'certs'))
})
after(() => rm(dir, { recursive: true, force: true }))

async function serve(t: { after(fn: () => unknown): void }, originals: Record<string, string>) {
  const server = await startRestServer({
    herder: new FakeHerder(),
    workerConfig: workerConfig({ listeners: 'https://127.0.0.1:0', ...originals }),
    plugins: fakePlugins([]) as unknown as PluginRegistry,
    logger: memoryLogger(),
  })
  t.after(() => server.close())
  return server.addresses[0]!
}

function get(url: string, options: { cert?: string; key?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/connectors`, { ca: readFileSync(certs.ca.cert), ...options }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
  })
}

test('an https listener serves with a PKCS12 keystore', async (t) => {
  const { path, password } = certs.broker.keystore
  const url = await serve(t, {
    'listeners.https.ssl.keystore.type': 'PKCS12',
    'listeners.https.ssl.keystore.location': path,
    'listeners.https.ssl.keystore.password': password,
  })
  assert.equal(await get(url), 200)
})

test('an https listener reads a JKS keystore, Apache’s default type, from the top-level ssl.* keys', async (t) => {
  const jks = join(dir, 'rest.jks')
  const { path, password } = certs.broker.keystore
  execFileSync(
    'keytool',
    [
      '-importkeystore',
      '-srckeystore',
      path,
      '-srcstoretype',
      'PKCS12',
      '-srcstorepass',
      password,
      '-destkeystore',
      jks,
      '-deststoretype',
      'JKS',
      '-deststorepass',
      password,
      '-noprompt',
    ],
    { stdio: 'ignore' },
  )
  const url = await serve(t, { 'ssl.keystore.location': jks, 'ssl.keystore.password': password })
  assert.equal(await get(url), 200)
})

test('ssl.client.auth=required refuses a client without a certificate and serves one the truststore trusts', async (t) => {
  const url = await serve(t, {
    'listeners.https.ssl.keystore.type': 'PKCS12',
    'listeners.https.ssl.keystore.location': certs.broker.keystore.path,
    'listeners.https.ssl.keystore.password': certs.broker.keystore.password,
    'listeners.https.ssl.client.auth': 'required',
    'listeners.https.ssl.truststore.type': 'PEM',
    'listeners.https.ssl.truststore.location': certs.truststore.pem.path,
  })
  await assert.rejects(get(url))
  const cert = readFileSync(certs.client.pem.certChain, 'utf8')
  const key = readFileSync(certs.client.pem.key, 'utf8')
  assert.equal(await get(url, { cert, key }), 200)
  const untrusted = {
    cert: readFileSync(certs.untrusted.clientCertChain, 'utf8'),
    key: readFileSync(certs.untrusted.clientKey, 'utf8'),
  }
  await assert.rejects(get(url, untrusted))
})

test('a wrong keystore password or an unknown ssl.client.auth stops the listener, naming the key, never the password', async () => {
  const options = (extra: Record<string, string>) => ({
    herder: new FakeHerder(),
    workerConfig: workerConfig({
      listeners: 'https://127.0.0.1:0',
      'listeners.https.ssl.keystore.type': 'PKCS12',
      'listeners.https.ssl.keystore.location': certs.broker.keystore.path,
      'listeners.https.ssl.keystore.password': certs.broker.keystore.password,
      ...extra,
    }),
    plugins: fakePlugins([]) as unknown as PluginRegistry,
    logger: memoryLogger(),
  })
  await assert.rejects(startRestServer(options({ 'listeners.https.ssl.keystore.password': 'not-it-42' })), (e) => {
    assert.match((e as Error).message, /listeners\.https\.ssl\.keystore/)
    assert.doesNotMatch((e as Error).message, /not-it-42/)
    return true
  })
  await assert.rejects(
    startRestServer(options({ 'listeners.https.ssl.client.auth': 'maybe' })),
    /listeners\.https\.ssl\.client\.auth/,
  )
})

test('checkRestConfig refuses at start what the https listener or the client of other workers could not use', () => {
  const keystore = {
    listeners: 'https://127.0.0.1:0',
    'listeners.https.ssl.keystore.type': 'PKCS12',
    'listeners.https.ssl.keystore.location': certs.broker.keystore.path,
    'listeners.https.ssl.keystore.password': certs.broker.keystore.password,
  }
  checkRestConfig(keystore)
  assert.throws(
    () => checkRestConfig({ ...keystore, 'listeners.https.ssl.endpoint.identification.algorithm': 'ldaps' }),
    /listeners\.https\.ssl\.endpoint\.identification\.algorithm/,
  )
  assert.throws(
    () => checkRestConfig({ ...keystore, 'rest.extension.classes': 'com.example.Audit' }),
    /rest\.extension\.classes/,
  )
})
