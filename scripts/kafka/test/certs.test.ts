import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { before, test } from 'node:test'
import { connect, createServer, type TLSSocket } from 'node:tls'
import { promisify } from 'node:util'
import { type Certificates, makeCertificates } from '../certs.ts'

const run = promisify(execFile)
let dir: string
let certs: Certificates

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-certs-test-'))
  certs = await makeCertificates(dir)
})
test.after(() => rm(dir, { recursive: true, force: true }))

const cert = async (path: string) => new X509Certificate(await readFile(path))

test('the broker certificate is signed by the CA and names localhost and 127.0.0.1', async () => {
  const ca = await cert(certs.ca.cert)
  const broker = await cert(certs.broker.cert)
  assert.ok(broker.verify(ca.publicKey))
  assert.equal(broker.checkHost('localhost'), 'localhost')
  assert.equal(broker.checkIP('127.0.0.1'), '127.0.0.1')
  assert.deepEqual(certs.broker.hostnames, ['localhost', '127.0.0.1'])
})

test('the wrong-host certificate is signed by the CA but names neither localhost nor 127.0.0.1', async () => {
  const ca = await cert(certs.ca.cert)
  const wrong = await cert(certs.wrongHost.cert)
  assert.ok(wrong.verify(ca.publicKey))
  assert.equal(wrong.checkHost('localhost'), undefined)
  assert.equal(wrong.checkIP('127.0.0.1'), undefined)
})

test('the client certificate carries the principal the broker will see', async () => {
  const client = await cert(certs.client.pem.certChain)
  assert.equal(client.subject, 'O=Ferry\nOU=Clients\nCN=ferry-client')
  assert.equal(certs.client.principal, 'CN=ferry-client,OU=Clients,O=Ferry')
})

test('the encrypted PEM key opens with its key password only, and matches the client certificate', async () => {
  const encrypted = await readFile(certs.client.pemEncrypted.key, 'utf8')
  assert.match(encrypted, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/)
  assert.throws(() => createPrivateKey({ key: encrypted, passphrase: 'not-the-password' }))
  const key = createPrivateKey({ key: encrypted, passphrase: certs.client.pemEncrypted.keyPassword })
  const plain = createPrivateKey(await readFile(certs.client.pem.key))
  assert.match(await readFile(certs.client.pem.key, 'utf8'), /^-----BEGIN PRIVATE KEY-----/)
  const publicOf = (k: typeof key) => createPublicKey(k).export({ type: 'spki', format: 'der' })
  const certificate = await cert(certs.client.pem.certChain)
  assert.deepEqual(publicOf(key), publicOf(plain))
  assert.deepEqual(publicOf(key), certificate.publicKey.export({ type: 'spki', format: 'der' }))
  const combined = await readFile(certs.client.pemEncrypted.path, 'utf8')
  assert.match(combined, /^-----BEGIN ENCRYPTED PRIVATE KEY-----[\s\S]+(-----BEGIN CERTIFICATE-----[\s\S]+){2}$/)
})

test('the Java stores hold what Apache clients expect', async () => {
  const list = (path: string, type: string, password: string) =>
    run('keytool', ['-list', '-keystore', path, '-storetype', type, '-storepass', password]).then((r) => r.stdout)
  const [trustJks, trustP12, clientJks, clientP12] = await Promise.all([
    list(certs.truststore.jks.path, 'JKS', certs.truststore.jks.password),
    list(certs.truststore.pkcs12.path, 'PKCS12', certs.truststore.pkcs12.password),
    list(certs.client.jks.path, 'JKS', certs.client.jks.password),
    list(certs.client.pkcs12.path, 'PKCS12', certs.client.pkcs12.password),
  ])
  assert.match(trustJks, /ferry-test-ca, .*trustedCertEntry/)
  assert.match(trustP12, /ferry-test-ca, .*trustedCertEntry/)
  assert.match(clientJks, /ferry-client, .*PrivateKeyEntry/)
  assert.match(clientP12, /ferry-client, .*PrivateKeyEntry/)
  assert.notEqual(certs.client.jks.keyPassword, certs.client.jks.password)
  // The JKS key opens with its own password, not with the store's.
  const exportKey = (keyPassword: string) =>
    run('keytool', [
      '-importkeystore',
      '-noprompt',
      ...['-srckeystore', certs.client.jks.path, '-srcstoretype', 'JKS', '-srcstorepass', certs.client.jks.password],
      ...['-srcalias', 'ferry-client', '-srckeypass', keyPassword],
      ...['-destkeystore', join(dir, `copy-${keyPassword.length}.p12`), '-deststoretype', 'PKCS12'],
      ...['-deststorepass', 'copy-password'],
    ])
  await exportKey(certs.client.jks.keyPassword)
  await assert.rejects(exportKey(`${certs.client.jks.password}x`))
})

/** Serves TLS with `identity`, asks for a client certificate, and reports whether the client was authorized. */
async function handshake(opts: {
  identity: Certificates['broker']
  ca: string
  clientCert?: string
  clientKey?: string
  servername?: string
}): Promise<{ clientError?: string; peerAuthorized?: boolean }> {
  const [key, certChain, ca] = await Promise.all([
    readFile(opts.identity.key),
    readFile(opts.identity.cert),
    readFile(opts.ca),
  ])
  const server = createServer({
    key,
    cert: certChain,
    ca: await readFile(certs.ca.cert),
    requestCert: true,
    rejectUnauthorized: false, // report an untrusted client instead of dropping it
  })
  const peer = new Promise<boolean>((ok) =>
    server.once('secureConnection', (s: TLSSocket) => {
      ok(s.authorized)
      s.end()
    }),
  )
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  try {
    const port = (server.address() as AddressInfo).port
    const clientError = await new Promise<string | undefined>((ok) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        ca,
        cert: opts.clientCert,
        key: opts.clientKey,
        servername: opts.servername,
      })
      socket.once('secureConnect', () => {
        socket.end()
        ok(undefined)
      })
      socket.once('error', (err: NodeJS.ErrnoException) => ok(err.code ?? err.message))
    })
    return clientError ? { clientError } : { peerAuthorized: await peer }
  } finally {
    server.close()
  }
}

test('a TLS handshake on 127.0.0.1 trusts the broker certificate and authorizes the client certificate', async () => {
  const result = await handshake({
    identity: certs.broker,
    ca: certs.truststore.pem.path,
    clientCert: await readFile(certs.client.pem.certChain, 'utf8'),
    clientKey: await readFile(certs.client.pem.key, 'utf8'),
  })
  assert.deepEqual(result, { peerAuthorized: true })
})

test('a TLS handshake refuses the wrong-host certificate and a CA that is not trusted', async () => {
  assert.deepEqual(await handshake({ identity: certs.wrongHost, ca: certs.truststore.pem.path }), {
    clientError: 'ERR_TLS_CERT_ALTNAME_INVALID',
  })
  assert.deepEqual(await handshake({ identity: certs.broker, ca: certs.untrusted.ca }), {
    clientError: 'SELF_SIGNED_CERT_IN_CHAIN', // the broker sends its chain, CA included,
  })
  const untrustedClient = await handshake({
    identity: certs.broker,
    ca: certs.truststore.pem.path,
    clientCert: await readFile(certs.untrusted.clientCertChain, 'utf8'),
    clientKey: await readFile(certs.untrusted.clientKey, 'utf8'),
  })
  assert.deepEqual(untrustedClient, { peerAuthorized: false })
})

test('a directory that already holds a set is reused as it is', async () => {
  const again = await makeCertificates(dir)
  assert.deepEqual(again, certs)
})
