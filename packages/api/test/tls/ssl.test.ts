import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type ConnectionOptions, connect, createServer, type Server, type TLSSocket } from 'node:tls'
import { inspect, promisify } from 'node:util'
import { readKeyStore } from '../../src/tls/keystore.ts'
import { opensslCipherName, type SslConfig, type SslOptions, sslOptions } from '../../src/tls/ssl.ts'
import { makeStores, type Stores } from './stores.ts'

let stores: Stores
let server: Server
let port: number
/** The client certificate subject the server saw on each accepted connection. */
const clientSubjects: string[] = []

const defaults: SslConfig = {
  keystoreType: 'JKS',
  keystoreLocation: null,
  keystorePassword: null,
  keyPassword: null,
  keystoreKey: null,
  keystoreCertificateChain: null,
  truststoreType: 'JKS',
  truststoreLocation: null,
  truststorePassword: null,
  truststoreCertificates: null,
  endpointIdentificationAlgorithm: 'https',
  enabledProtocols: ['TLSv1.2', 'TLSv1.3'],
  protocol: 'TLSv1.3',
  cipherSuites: [],
  keymanagerAlgorithm: 'SunX509',
  trustmanagerAlgorithm: 'PKIX',
  secureRandomImplementation: null,
  engineFactoryClass: null,
  provider: null,
}

interface Reported {
  key: string
  value: string | null
  message: string
}

function build(overrides: Partial<SslConfig>): { options: SslOptions | null; problems: Reported[] } {
  const problems: Reported[] = []
  const options = sslOptions({ ...defaults, ...overrides }, (key, value, message) =>
    problems.push({ key, value, message }),
  )
  return { options, problems }
}

function ok(overrides: Partial<SslConfig>): SslOptions {
  const { options, problems } = build(overrides)
  assert.deepEqual(problems, [])
  return options!
}

const trusted = () => ({ truststoreLocation: stores.trustJks, truststorePassword: 'trust-pw' })

/** Connects to the test server; resolves with the negotiated protocol and cipher, rejects with the TLS error. */
function handshake(tls: ConnectionOptions, servername = 'localhost'): Promise<{ protocol: string; cipher: string }> {
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connect({ ...tls, host: '127.0.0.1', port, servername })
    socket.once('secureConnect', () => {
      // With TLS 1.3 the server's refusal of a client certificate arrives after the handshake: read once.
      socket.once('data', () => {
        resolve({ protocol: socket.getProtocol()!, cipher: socket.getCipher().standardName })
        socket.end()
      })
    })
    socket.once('error', (e) => {
      socket.destroy()
      reject(e)
    })
  })
}

before(async () => {
  stores = await makeStores()
  const serverStore = readKeyStore(await readFile(stores.serverP12), 'server-pw', null)
  const entry = serverStore.keys[0]!
  server = createServer(
    {
      key: entry.key.export({ type: 'pkcs8', format: 'pem' }),
      cert: entry.chain.map((c) => c.toString()).join(''),
      ca: [stores.caCert],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    (socket) => {
      clientSubjects.push(socket.getPeerCertificate().subject?.CN as string)
      socket.end('hello')
    },
  )
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})

after(async () => {
  await new Promise((resolve) => server?.close(resolve))
  await stores?.cleanup()
})

describe('sslOptions: a real TLS handshake', () => {
  it('connects with a PKCS12 client certificate, and the server sees its subject (mTLS)', async () => {
    const { tls, principal } = ok({
      ...trusted(),
      keystoreType: 'PKCS12',
      keystoreLocation: stores.clientP12,
      keystorePassword: 'client-pw',
    })
    assert.equal(principal, 'CN=ferry-client,O=Ferry')
    const before = clientSubjects.length
    await handshake(tls)
    assert.deepEqual(clientSubjects.slice(before), ['ferry-client'])
  })

  it('connects with a JKS client certificate (its own key password), a legacy PKCS12 one and an inline PEM one', async () => {
    const jks = ok({
      ...trusted(),
      keystoreLocation: stores.clientJks,
      keystorePassword: 'jks-pw',
      keyPassword: 'jks-key-pw',
    })
    // Type JKS reads a PKCS12 file too, as Java's dual-format key store does.
    const legacy = ok({ ...trusted(), keystoreLocation: stores.clientLegacyP12, keystorePassword: 'legacy-pw' })
    const entry = readKeyStore(await readFile(stores.clientP12), 'client-pw', null).keys[0]!
    const pem = ok({
      truststoreType: 'PEM',
      truststoreCertificates: stores.caCert,
      keystoreType: 'PEM',
      keystoreKey: entry.key.export({
        type: 'pkcs8',
        format: 'pem',
        cipher: 'aes-128-cbc',
        passphrase: 'pem-pw',
      }) as string,
      keystoreCertificateChain: entry.chain.map((c) => c.toString()).join(''),
      keyPassword: 'pem-pw',
    })
    for (const { tls } of [jks, legacy, pem]) await handshake(tls)
  })

  it('is refused by a server that requires a client certificate when none is configured', async () => {
    await assert.rejects(handshake(ok(trusted()).tls))
  })

  it('checks the host name with https (the default): a name the certificate lacks fails', async () => {
    const { tls } = ok({ ...trusted(), keystoreLocation: stores.clientP12, keystorePassword: 'client-pw' })
    await assert.rejects(handshake(tls, 'broker.example'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' })
  })

  it('does not check the host name with an empty algorithm, but still checks the chain', async () => {
    const { tls } = ok({
      ...trusted(),
      keystoreLocation: stores.clientP12,
      keystorePassword: 'client-pw',
      endpointIdentificationAlgorithm: '',
    })
    await handshake(tls, 'broker.example')
    // No trust store: the default CAs, which do not know the test CA.
    const untrusted = ok({
      keystoreLocation: stores.clientP12,
      keystorePassword: 'client-pw',
      endpointIdentificationAlgorithm: '',
    })
    await assert.rejects(handshake(untrusted.tls), (e: NodeJS.ErrnoException) =>
      /CERT|certificate/i.test(`${e.code} ${e.message}`),
    )
  })

  it('negotiates TLSv1.2 with a TLS 1.2 cipher suite named the Java way', async () => {
    const { tls } = ok({
      ...trusted(),
      keystoreLocation: stores.clientP12,
      keystorePassword: 'client-pw',
      cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'],
    })
    assert.deepEqual(await handshake(tls), { protocol: 'TLSv1.2', cipher: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' })
  })

  it('negotiates TLSv1.3 by default, and TLSv1.2 when ssl.protocol=TLSv1.2', async () => {
    const base = { ...trusted(), keystoreLocation: stores.clientP12, keystorePassword: 'client-pw' }
    assert.equal((await handshake(ok(base).tls)).protocol, 'TLSv1.3')
    assert.equal((await handshake(ok({ ...base, protocol: 'TLSv1.2' }).tls)).protocol, 'TLSv1.2')
    assert.equal((await handshake(ok({ ...base, enabledProtocols: ['TLSv1.2'] }).tls)).protocol, 'TLSv1.2')
  })
})

describe('sslOptions: keys and stores', () => {
  it('names the key and the file when a store cannot be read, never the password', () => {
    const missing = build({ truststoreLocation: '/nonexistent/trust.jks', truststorePassword: 'secret-1' })
    assert.deepEqual(missing.problems, [
      {
        key: 'ssl.truststore.location',
        value: '/nonexistent/trust.jks',
        message: 'the file cannot be read (no such file)',
      },
    ])
    const wrong = build({ keystoreLocation: stores.clientP12, keystorePassword: 'secret-2' })
    assert.equal(wrong.problems.length, 1)
    assert.equal(wrong.problems[0]!.key, 'ssl.keystore.location')
    assert.match(
      wrong.problems[0]!.message,
      new RegExp(
        `Failed to load SSL keystore ${stores.clientP12} of type JKS: keystore password was incorrect \\(check ssl.keystore.password\\)`,
      ),
    )
    const wrongKey = build({ keystoreLocation: stores.clientJks, keystorePassword: 'jks-pw', keyPassword: 'secret-3' })
    assert.equal(wrongKey.problems[0]!.key, 'ssl.key.password')
    const all = JSON.stringify([missing, wrong, wrongKey])
    assert.doesNotMatch(all, /secret-/)
  })

  it("refuses Apache's conflicting combinations with Apache's messages", () => {
    const cases: [Partial<SslConfig>, string, string][] = [
      [
        { keystoreKey: 'k', keystoreType: 'JKS' },
        'ssl.keystore.key',
        'SSL private key can be specified only for PEM, but key store type is JKS.',
      ],
      [
        { keystoreKey: 'k', keystoreType: 'PEM' },
        'ssl.keystore.certificate.chain',
        'SSL private key is specified, but certificate chain is not specified.',
      ],
      [
        { keystoreCertificateChain: 'c' },
        'ssl.keystore.certificate.chain',
        'SSL certificate chain is specified, but private key is not specified',
      ],
      [
        { keystorePassword: 'p' },
        'ssl.keystore.password',
        'SSL key store is not specified, but key store password is specified.',
      ],
      [
        { keystoreLocation: '/x' },
        'ssl.keystore.location',
        'SSL key store is specified, but key store password is not specified.',
      ],
      [
        { truststorePassword: 'p' },
        'ssl.truststore.password',
        'SSL trust store is not specified, but trust store password is specified.',
      ],
      [
        { truststoreCertificates: 'c' },
        'ssl.truststore.certificates',
        'SSL trust store certs can be specified only for PEM, but trust store type is JKS.',
      ],
      [
        { truststoreCertificates: 'c', truststoreType: 'PEM', truststorePassword: 'p' },
        'ssl.truststore.password',
        'SSL trust store password cannot be specified for PEM format.',
      ],
      [
        { truststoreLocation: '/x', truststoreType: 'JCEKS' },
        'ssl.truststore.type',
        'Ferry reads JKS, PKCS12 and PEM stores (JCEKS, PKCS11 and other providers are not supported)',
      ],
    ]
    for (const [config, key, message] of cases) {
      const { options, problems } = build(config)
      assert.equal(options, null)
      assert.deepEqual(
        problems.map((p) => [p.key, p.message]),
        [[key, message]],
        JSON.stringify(config),
      )
    }
  })

  it("trusts a key store's own certificates without its key password, as Java", () => {
    const { problems } = build({ truststoreLocation: stores.clientJks, truststorePassword: 'jks-pw' })
    assert.deepEqual(problems, [])
  })

  it('refuses a trust store without trusted certificates (one made by OpenSSL, which Java reads as empty)', async () => {
    const path = join(stores.dir, 'openssl-trust.p12')
    await promisify(execFile)('openssl', [
      'pkcs12',
      '-export',
      '-nokeys',
      '-in',
      stores.trustPem,
      '-out',
      path,
      '-passout',
      'pass:trust-pw',
    ])
    const { problems } = build({ truststoreLocation: path, truststorePassword: 'trust-pw', truststoreType: 'PKCS12' })
    assert.deepEqual(
      problems.map((p) => [p.key, p.message]),
      [
        [
          'ssl.truststore.location',
          'the trust store holds no trusted certificate (Java ignores certificates imported without keytool -importcert)',
        ],
      ],
    )
  })

  it('uses the default CAs when there is no trust store', () => {
    const { tls } = ok({})
    assert.ok((tls.ca as string[]).length > 10)
  })

  it('takes Java key and trust manager and secure random algorithms that mean what Node does, and refuses the others', () => {
    ok({ keymanagerAlgorithm: 'PKIX', trustmanagerAlgorithm: 'SunX509', secureRandomImplementation: 'SHA1PRNG' })
    const { problems } = build({
      keymanagerAlgorithm: 'IbmX509',
      trustmanagerAlgorithm: 'IbmPKIX',
      secureRandomImplementation: 'Windows-PRNG',
      engineFactoryClass: 'com.example.Factory',
      provider: 'BC',
      endpointIdentificationAlgorithm: 'LDAPS',
    })
    assert.deepEqual(problems.map((p) => p.key).sort(), [
      'ssl.endpoint.identification.algorithm',
      'ssl.engine.factory.class',
      'ssl.keymanager.algorithm',
      'ssl.provider',
      'ssl.secure.random.implementation',
      'ssl.trustmanager.algorithm',
    ])
  })

  it('maps protocols to a version range and refuses the ones Java 17 disables', () => {
    assert.deepEqual([ok({}).tls.minVersion, ok({}).tls.maxVersion], ['TLSv1.2', 'TLSv1.3'])
    assert.deepEqual(
      [ok({ enabledProtocols: ['TLSv1.3'] }).tls.minVersion, ok({ enabledProtocols: ['TLSv1.3'] }).tls.maxVersion],
      ['TLSv1.3', 'TLSv1.3'],
    )
    assert.equal(ok({ protocol: 'TLSv1.2' }).tls.maxVersion, 'TLSv1.2')
    const { problems } = build({ enabledProtocols: ['TLSv1.1', 'TLSv1.2'] })
    assert.deepEqual(
      problems.map((p) => p.key),
      ['ssl.enabled.protocols'],
    )
    assert.match(problems[0]!.message, /TLSv1.1 is disabled in Java 17/)
    assert.deepEqual(
      build({ protocol: 'SSLv3' }).problems.map((p) => p.key),
      ['ssl.protocol'],
    )
    assert.match(
      build({ enabledProtocols: ['TLSv1.3'], protocol: 'TLSv1.2' }).problems[0]!.message,
      /no enabled protocol is allowed/,
    )
  })

  it("maps Java's cipher suite names to OpenSSL's and narrows the protocols to the suites", () => {
    assert.equal(opensslCipherName('TLS_AES_128_GCM_SHA256'), 'TLS_AES_128_GCM_SHA256')
    assert.equal(opensslCipherName('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'), 'ECDHE-RSA-AES128-GCM-SHA256')
    assert.equal(opensslCipherName('TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'), 'ECDHE-ECDSA-CHACHA20-POLY1305')
    assert.equal(opensslCipherName('TLS_DHE_RSA_WITH_AES_256_CBC_SHA256'), 'DHE-RSA-AES256-SHA256')
    assert.equal(opensslCipherName('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'), 'ECDHE-RSA-AES128-SHA')
    assert.equal(opensslCipherName('TLS_RSA_WITH_AES_256_GCM_SHA384'), 'AES256-GCM-SHA384')
    assert.equal(opensslCipherName('TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256'), null)
    assert.equal(opensslCipherName('TLS_RSA_WITH_3DES_EDE_CBC_SHA'), null)
    const only13 = ok({ cipherSuites: ['TLS_AES_256_GCM_SHA384'] }).tls
    assert.deepEqual(
      [only13.ciphers, only13.minVersion, only13.maxVersion],
      ['TLS_AES_256_GCM_SHA384', 'TLSv1.3', 'TLSv1.3'],
    )
    const both = ok({
      cipherSuites: [
        'TLS_AES_128_GCM_SHA256',
        'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
        'TLS_EMPTY_RENEGOTIATION_INFO_SCSV',
      ],
    }).tls
    assert.deepEqual(
      [both.ciphers, both.minVersion, both.maxVersion],
      ['TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256', 'TLSv1.2', 'TLSv1.3'],
    )
    const bad = build({ cipherSuites: ['TLS_FOO'] })
    assert.deepEqual(
      bad.problems.map((p) => p.key),
      ['ssl.cipher.suites'],
    )
    assert.match(bad.problems[0]!.message, /TLS_FOO is not a cipher suite/)
    assert.match(
      build({ cipherSuites: ['TLS_AES_128_GCM_SHA256'], enabledProtocols: ['TLSv1.2'] }).problems[0]!.message,
      /no suite works/,
    )
  })

  it('never prints the private key when the options are logged', () => {
    const { tls } = ok({ keystoreLocation: stores.clientP12, keystorePassword: 'client-pw' })
    assert.match(tls.key as string, /BEGIN PRIVATE KEY/)
    for (const printed of [JSON.stringify(tls), inspect(tls)]) {
      assert.doesNotMatch(printed, /PRIVATE KEY/)
      assert.match(printed, /\[hidden\]/)
    }
  })
})
