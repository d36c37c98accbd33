/**
 * Test certificates for a secured local broker and its clients: a CA, a broker certificate for `localhost` and
 * `127.0.0.1`, a client certificate for mutual TLS, a broker certificate whose names do not match (host name
 * verification), and a second CA nobody trusts, in every store format Apache's clients read (JKS, PKCS12, PEM).
 *
 * Keys and certificates are made with `openssl` (one process each, milliseconds); the Java stores that openssl cannot
 * write (JKS, a PKCS12 truststore Java recognises) with the JDK's `keytool`. Passwords are random per set, so a test
 * can look for them in logs. A directory that already holds a complete set (its `certificates.json`) is reused.
 *
 * `makeCertificates(dir)` resolves to this shape (every path absolute, every file under `dir`):
 *
 * ```
 * {
 *   dir,
 *   ca:        { cert: 'ca.pem', key: 'ca-key.pem' },
 *   truststore: {                                    // trust the CA (and nothing else)
 *     jks:    { path: 'truststore.jks', type: 'JKS',    password },
 *     pkcs12: { path: 'truststore.p12', type: 'PKCS12', password },
 *     pem:    { path: 'ca.pem',         type: 'PEM' },  // no password
 *   },
 *   broker:    { cert, key, keystore: { path: 'broker.p12', type: 'PKCS12', password }, hostnames: ['localhost', '127.0.0.1'] },
 *   wrongHost: { cert, key, keystore: { path: 'wrong-host.p12', ... }, hostnames: ['wrong-host.invalid'] },
 *   client: {
 *     principal: 'CN=ferry-client,OU=Clients,O=Ferry', // the broker's name for it: User:CN=ferry-client,OU=Clients,O=Ferry
 *     jks:    { path: 'client.jks', type: 'JKS', password, keyPassword },  // key password differs from the store's
 *     pkcs12: { path: 'client.p12', type: 'PKCS12', password, keyPassword }, // keyPassword === password
 *     pem:          { path: 'client.pem',           certChain: 'client-chain.pem', key: 'client-key.pem' },
 *     pemEncrypted: { path: 'client-encrypted.pem', certChain: 'client-chain.pem', key: 'client-key-encrypted.pem', keyPassword },
 *   },
 *   untrusted: { ca: 'untrusted-ca.pem', clientCertChain: 'untrusted-client-chain.pem', clientKey: 'untrusted-client-key.pem' },
 * }
 * ```
 *
 * PEM keys are PKCS#8 (`BEGIN PRIVATE KEY`; the encrypted one `BEGIN ENCRYPTED PRIVATE KEY`, PBE-SHA1-3DES, which
 * Java 17 can open);
 * chains hold the leaf then the CA. `pem.path` and `pemEncrypted.path` hold the key followed by the chain, as
 * `ssl.keystore.type=PEM` with `ssl.keystore.location` wants; `certChain` and `key` are the same PEM apart, for
 * `ssl.keystore.certificate.chain` / `ssl.keystore.key` (whose values are the PEM text itself, not paths).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'

export type StoreType = 'JKS' | 'PKCS12' | 'PEM'

export interface StoreFile {
  path: string
  type: StoreType
  /** The store's password; absent for PEM files. */
  password?: string
}

export interface KeyStoreFile extends StoreFile {
  password: string
  /** The private key's own password (`ssl.key.password`). */
  keyPassword: string
}

export interface PemKeyPair {
  /** The private key followed by the certificate chain, for `ssl.keystore.location` with `ssl.keystore.type=PEM`. */
  path: string
  /** The certificate chain (leaf, then CA). */
  certChain: string
  /** The PKCS#8 private key. */
  key: string
}

export interface ServerIdentity {
  cert: string
  key: string
  /** PKCS12 keystore holding the key and the chain; the key password is the store password. */
  keystore: KeyStoreFile
  /** The names in the certificate's subjectAltName. */
  hostnames: string[]
}

export interface Certificates {
  dir: string
  ca: { cert: string; key: string }
  truststore: { jks: StoreFile & { password: string }; pkcs12: StoreFile & { password: string }; pem: StoreFile }
  broker: ServerIdentity
  /** Signed by the CA, but for `wrong-host.invalid` only: host name verification must refuse it on 127.0.0.1. */
  wrongHost: ServerIdentity
  client: {
    /** The certificate's subject as Kafka's default principal builder names it (principal type `User`). */
    principal: string
    jks: KeyStoreFile
    pkcs12: KeyStoreFile
    pem: PemKeyPair
    pemEncrypted: PemKeyPair & { keyPassword: string }
  }
  /** A CA nobody trusts, and a client certificate it signed (mTLS must refuse it). */
  untrusted: { ca: string; clientCertChain: string; clientKey: string }
}

export interface MakeCertificatesOptions {
  /** Days the certificates stay valid (default 30; a cached set older than half of this is made again). */
  validityDays?: number
}

const MANIFEST = 'certificates.json'
const FORMAT = 2
const CLIENT_PRINCIPAL = 'CN=ferry-client,OU=Clients,O=Ferry'

/** Makes (or reuses) a certificate set in `dir`; see the file comment for what it holds. */
export async function makeCertificates(dir: string, opts: MakeCertificatesOptions = {}): Promise<Certificates> {
  const root = resolve(dir)
  const validityDays = opts.validityDays ?? 30
  const cached = await readManifest(root, validityDays)
  if (cached) return cached

  await mkdir(root, { recursive: true })
  const p = (name: string) => join(root, name)
  const secret = () => randomBytes(12).toString('hex')
  const storePassword = secret()
  const keyPassword = secret()
  const days = String(validityDays)

  // --- the two CAs
  await Promise.all([
    openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      days,
      '-subj',
      '/O=Ferry/CN=Ferry Test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout',
      p('ca-key.pem'),
      '-out',
      p('ca.pem'),
    ]),
    openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      days,
      '-subj',
      '/O=Nobody/CN=Untrusted Test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout',
      p('untrusted-ca-key.pem'),
      '-out',
      p('untrusted-ca.pem'),
    ]),
  ])

  // --- leaf certificates
  const serverExt = (names: string[]) =>
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=${names.map((n) => (/^[0-9.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',')}`,
    ].join('\n')
  const clientExt = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=clientAuth',
  ].join('\n')
  const brokerNames = ['localhost', '127.0.0.1']
  const wrongNames = ['wrong-host.invalid']
  await Promise.all([
    leaf(root, 'broker', '/O=Ferry/OU=Brokers/CN=localhost', serverExt(brokerNames), 'ca', days),
    leaf(root, 'wrong-host', '/O=Ferry/OU=Brokers/CN=wrong-host.invalid', serverExt(wrongNames), 'ca', days),
    leaf(root, 'client', '/O=Ferry/OU=Clients/CN=ferry-client', clientExt, 'ca', days),
    leaf(root, 'untrusted-client', '/O=Nobody/CN=ferry-client', clientExt, 'untrusted-ca', days),
  ])

  // --- PEM variants: chains, PKCS#8 keys (plain and encrypted), key + chain files
  const pem = (f: string) => readFile(p(f), 'utf8')
  const [caPem, clientCert, brokerCert, wrongCert, untrustedCa, untrustedCert] = await Promise.all([
    pem('ca.pem'),
    pem('client-cert.pem'),
    pem('broker-cert.pem'),
    pem('wrong-host-cert.pem'),
    pem('untrusted-ca.pem'),
    pem('untrusted-client-cert.pem'),
  ])
  await writeFile(p('client-chain.pem'), clientCert + caPem)
  await writeFile(p('broker-chain.pem'), brokerCert + caPem)
  await writeFile(p('wrong-host-chain.pem'), wrongCert + caPem)
  await writeFile(p('untrusted-client-chain.pem'), untrustedCert + untrustedCa)
  await openssl([
    'pkcs8',
    '-topk8',
    '-in',
    p('client-key.pem'),
    // PKCS#12 PBE with 3DES: Java 17's EncryptedPrivateKeyInfo cannot open PBES2 (openssl's default), so Apache's
    // clients could not read `ssl.keystore.type=PEM` with `ssl.key.password` ("PBES2 SecretKeyFactory not available").
    '-v1',
    'PBE-SHA1-3DES',
    '-passout',
    `pass:${keyPassword}`,
    '-out',
    p('client-key-encrypted.pem'),
  ])
  const [clientKey, clientKeyEncrypted] = await Promise.all([
    readFile(p('client-key.pem'), 'utf8'),
    readFile(p('client-key-encrypted.pem'), 'utf8'),
  ])
  await writeFile(p('client.pem'), clientKey + clientCert + caPem)
  await writeFile(p('client-encrypted.pem'), clientKeyEncrypted + clientCert + caPem)

  // --- PKCS12 keystores (openssl), then the Java-only stores (keytool, in parallel: one JVM each)
  const pkcs12 = (name: string, alias: string) =>
    openssl([
      'pkcs12',
      '-export',
      '-in',
      p(`${name}-cert.pem`),
      '-inkey',
      p(`${name}-key.pem`),
      '-certfile',
      p('ca.pem'),
      '-name',
      alias,
      '-passout',
      `pass:${storePassword}`,
      '-out',
      p(`${name}.p12`),
    ])
  await Promise.all([pkcs12('broker', 'broker'), pkcs12('wrong-host', 'broker'), pkcs12('client', 'ferry-client')])
  const trustCa = (file: string, type: 'JKS' | 'PKCS12') =>
    keytool([
      '-importcert',
      '-noprompt',
      '-alias',
      'ferry-test-ca',
      '-file',
      p('ca.pem'),
      '-keystore',
      p(file),
      '-storetype',
      type,
      '-storepass',
      storePassword,
    ])
  await Promise.all([
    trustCa('truststore.jks', 'JKS'),
    trustCa('truststore.p12', 'PKCS12'),
    keytool([
      '-importkeystore',
      '-noprompt',
      '-srckeystore',
      p('client.p12'),
      '-srcstoretype',
      'PKCS12',
      '-srcstorepass',
      storePassword,
      '-srcalias',
      'ferry-client',
      '-destkeystore',
      p('client.jks'),
      '-deststoretype',
      'JKS',
      '-deststorepass',
      storePassword,
      '-destkeypass',
      keyPassword,
    ]),
  ])

  const identity = (name: string, hostnames: string[]): ServerIdentity => ({
    cert: p(`${name}-chain.pem`),
    key: p(`${name}-key.pem`),
    keystore: { path: p(`${name}.p12`), type: 'PKCS12', password: storePassword, keyPassword: storePassword },
    hostnames,
  })
  const certs: Certificates = {
    dir: root,
    ca: { cert: p('ca.pem'), key: p('ca-key.pem') },
    truststore: {
      jks: { path: p('truststore.jks'), type: 'JKS', password: storePassword },
      pkcs12: { path: p('truststore.p12'), type: 'PKCS12', password: storePassword },
      pem: { path: p('ca.pem'), type: 'PEM' },
    },
    broker: identity('broker', brokerNames),
    wrongHost: identity('wrong-host', wrongNames),
    client: {
      principal: CLIENT_PRINCIPAL,
      jks: { path: p('client.jks'), type: 'JKS', password: storePassword, keyPassword },
      pkcs12: { path: p('client.p12'), type: 'PKCS12', password: storePassword, keyPassword: storePassword },
      pem: { path: p('client.pem'), certChain: p('client-chain.pem'), key: p('client-key.pem') },
      pemEncrypted: {
        path: p('client-encrypted.pem'),
        certChain: p('client-chain.pem'),
        key: p('client-key-encrypted.pem'),
        keyPassword,
      },
    },
    untrusted: {
      ca: p('untrusted-ca.pem'),
      clientCertChain: p('untrusted-client-chain.pem'),
      clientKey: p('untrusted-client-key.pem'),
    },
  }
  const manifest = { format: FORMAT, createdAt: Date.now(), validityDays, certificates: certs }
  await writeFile(p(`${MANIFEST}.tmp`), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 })
  await rename(p(`${MANIFEST}.tmp`), p(MANIFEST))
  return certs
}

/** A key and a certificate signed by `ca` (`<ca>.pem`, `<ca>-key.pem`): `<name>-key.pem` (PKCS#8), `<name>-cert.pem`. */
async function leaf(dir: string, name: string, subject: string, ext: string, ca: string, days: string): Promise<void> {
  const p = (f: string) => join(dir, f)
  await writeFile(p(`${name}.ext`), `${ext}\n`)
  await openssl([
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    subject,
    '-keyout',
    p(`${name}-key.pem`),
    '-out',
    p(`${name}.csr`),
  ])
  await openssl([
    'x509',
    '-req',
    '-sha256',
    '-days',
    days,
    '-in',
    p(`${name}.csr`),
    '-CA',
    p(`${ca}.pem`),
    '-CAkey',
    p(`${ca}-key.pem`),
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-extfile',
    p(`${name}.ext`),
    '-out',
    p(`${name}-cert.pem`),
  ])
  await Promise.all([rm(p(`${name}.csr`), { force: true }), rm(p(`${name}.ext`), { force: true })])
}

async function readManifest(dir: string, validityDays: number): Promise<Certificates | undefined> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as {
      format?: number
      createdAt?: number
      validityDays?: number
      certificates?: Certificates
    }
    const certs = manifest.certificates
    if (manifest.format !== FORMAT || !certs || manifest.validityDays !== validityDays) return undefined
    if (Date.now() - (manifest.createdAt ?? 0) > (validityDays * 86_400_000) / 2) return undefined
    if (certs.dir !== dir || !existsSync(certs.client.jks.path) || !existsSync(certs.broker.keystore.path))
      return undefined
    return certs
  } catch {
    return undefined
  }
}

function openssl(args: string[]): Promise<void> {
  return exec('openssl', args, 'openssl 3 is needed to make the test certificates (apt install openssl)')
}

function keytool(args: string[]): Promise<void> {
  const home = process.env.JAVA_HOME
  const cmd = home && existsSync(join(home, 'bin', 'keytool')) ? join(home, 'bin', 'keytool') : 'keytool'
  return exec(
    cmd,
    ['-J-Xshare:auto', '-J-XX:TieredStopAtLevel=1', ...args],
    'the JDK keytool is needed to make the test keystores',
  )
}

function exec(cmd: string, args: string[], missing: string): Promise<void> {
  return new Promise((ok, ko) => {
    let output = ''
    let child: ChildProcess
    try {
      child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    } catch (err) {
      ko(new Error(`${missing}: ${(err as Error).message}`))
      return
    }
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      output += d
    })
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      output += d
    })
    child.once('error', (err) =>
      ko(new Error((err as NodeJS.ErrnoException).code === 'ENOENT' ? missing : `${cmd}: ${err.message}`)),
    )
    child.once('close', (code) => {
      if (code === 0) ok()
      else
        ko(
          new Error(
            `${cmd} ${args[0] ?? ''} failed (exit ${code}): ${output.trim().split('\n').slice(-5).join(' | ')}`,
          ),
        )
    })
  })
}
