/**
 * Apache's `ssl.*` client keys (SslConfigs, DefaultSslEngineFactory) → Node TLS options. Used for the brokers
 * (SSL, SASL_SSL), from the JAAS options for an OAuth token endpoint over https, for the REST server and client, and
 * for plugins' TLS to their own servers (the schema registry client's `schema.registry.ssl.*`).
 *
 * What Java does and Node does the same way is honoured; what Node cannot do is refused naming the key. A store that
 * cannot be read is an error naming the key and the file, never a password.
 */

import type { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { type ConnectionOptions, getCACertificates, getCiphers, type SecureVersion } from 'node:tls'
import { inspect } from 'node:util'
import {
  type KeyEntry,
  KeyStoreError,
  readKeyStore,
  readPemCertificates,
  readPemKeyPair,
  readTrustStore,
} from './keystore.ts'

/** The `ssl.*` values, parsed (passwords as plain strings: they never leave this module). */
export interface SslConfig {
  keystoreType: string
  keystoreLocation: string | null
  keystorePassword: string | null
  keyPassword: string | null
  keystoreKey: string | null
  keystoreCertificateChain: string | null
  truststoreType: string
  truststoreLocation: string | null
  truststorePassword: string | null
  truststoreCertificates: string | null
  endpointIdentificationAlgorithm: string | null
  enabledProtocols: readonly string[]
  protocol: string
  cipherSuites: readonly string[]
  keymanagerAlgorithm: string | null
  trustmanagerAlgorithm: string | null
  secureRandomImplementation: string | null
  engineFactoryClass: string | null
  provider: string | null
}

/**
 * The `ssl.*` values read through `get` (a name such as `ssl.truststore.location` → its string value or null), with
 * Apache's defaults. A server checks its clients' certificates against the truststore, not a host name; a client
 * checks the host name unless `ssl.endpoint.identification.algorithm` is empty.
 */
export function sslConfigFrom(get: (name: string) => string | null, side: 'server' | 'client'): SslConfig {
  const list = (name: string, fallback: string[]) => {
    const v = get(name)
    return v === null
      ? fallback
      : v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
  }
  return {
    keystoreType: (get('ssl.keystore.type') ?? 'JKS').trim(),
    keystoreLocation: get('ssl.keystore.location'),
    keystorePassword: get('ssl.keystore.password'),
    keyPassword: get('ssl.key.password'),
    keystoreKey: get('ssl.keystore.key'),
    keystoreCertificateChain: get('ssl.keystore.certificate.chain'),
    truststoreType: (get('ssl.truststore.type') ?? 'JKS').trim(),
    truststoreLocation: get('ssl.truststore.location'),
    truststorePassword: get('ssl.truststore.password'),
    truststoreCertificates: get('ssl.truststore.certificates'),
    endpointIdentificationAlgorithm: side === 'server' ? '' : (get('ssl.endpoint.identification.algorithm') ?? 'https'),
    enabledProtocols: list('ssl.enabled.protocols', ['TLSv1.2', 'TLSv1.3']),
    protocol: get('ssl.protocol') ?? 'TLSv1.3',
    cipherSuites: list('ssl.cipher.suites', []),
    keymanagerAlgorithm: get('ssl.keymanager.algorithm'),
    trustmanagerAlgorithm: get('ssl.trustmanager.algorithm'),
    secureRandomImplementation: get('ssl.secure.random.implementation'),
    engineFactoryClass: get('ssl.engine.factory.class'),
    provider: get('ssl.provider'),
  }
}

/** Reports a problem on a key; `value` is shown (never pass a secret: use null). */
export type Report = (key: string, value: string | null, message: string) => void

export interface SslOptions {
  tls: ConnectionOptions
  /** The client certificate's subject (RFC 2253 order), when there is one. */
  principal: string | null
}

const KEY_MANAGER_ALGORITHMS = ['SUNX509', 'NEWSUNX509', 'PKIX']
const TRUST_MANAGER_ALGORITHMS = ['PKIX', 'SUNPKIX', 'X509', 'X.509', 'SUNX509']
/** Java's SecureRandom algorithms on Linux: all are CSPRNGs, as OpenSSL's (which Node's TLS always uses) is. */
const SECURE_RANDOM_ALGORITHMS = ['NATIVEPRNG', 'NATIVEPRNGBLOCKING', 'NATIVEPRNGNONBLOCKING', 'SHA1PRNG', 'DRBG']
const PROTOCOL_ORDER: readonly SecureVersion[] = ['TLSv1.2', 'TLSv1.3']

/** The bulk cipher and MAC part of a TLS 1.2 suite name (after `_WITH_`), Java's way → OpenSSL's. */
const CIPHER_RULES: readonly [RegExp, (m: RegExpExecArray) => string][] = [
  [/^AES_(128|256)_GCM_(SHA256|SHA384)$/, (m) => `AES${m[1]}-GCM-${m[2]}`],
  [/^AES_(128|256)_CBC_(SHA256|SHA384)$/, (m) => `AES${m[1]}-${m[2]}`],
  [/^AES_(128|256)_CBC_SHA$/, (m) => `AES${m[1]}-SHA`],
  [/^CHACHA20_POLY1305_SHA256$/, () => 'CHACHA20-POLY1305'],
  [/^AES_(128|256)_CCM(_8)?$/, (m) => `AES${m[1]}-CCM${m[2] ? '8' : ''}`],
]

/** Java's standard (IANA) cipher suite name → OpenSSL's; null when OpenSSL has no such suite. */
export function opensslCipherName(javaName: string): string | null {
  if (
    /^TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256|AES_128_CCM_SHA256|AES_128_CCM_8_SHA256)$/.test(
      javaName,
    )
  ) {
    // TLS 1.3 suites have the same names in OpenSSL.
    return getCiphers().includes(javaName.toLowerCase()) ? javaName : null
  }
  const m = /^(?:TLS|SSL)_(ECDHE_ECDSA|ECDHE_RSA|DHE_RSA|DHE_DSS|RSA)_WITH_(.+)$/.exec(javaName)
  if (m === null) return null
  const exchange = {
    ECDHE_ECDSA: 'ECDHE-ECDSA-',
    ECDHE_RSA: 'ECDHE-RSA-',
    DHE_RSA: 'DHE-RSA-',
    DHE_DSS: 'DHE-DSS-',
    RSA: '',
  }[m[1] as 'RSA']
  const cipher = m[2]!
  const rule = CIPHER_RULES.find(([pattern]) => pattern.test(cipher))
  const name = rule ? rule[1](rule[0].exec(cipher)!) : null
  if (name === null) return null
  const full = `${exchange}${name}`
  return getCiphers().includes(full.toLowerCase()) ? full : null
}

function readFile(key: string, path: string, report: Report): Buffer | null {
  try {
    return readFileSync(path)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message
    report(key, path, `the file cannot be read (${why})`)
    return null
  }
}

function storeType(key: string, value: string, report: Report): 'JKS' | 'PKCS12' | 'PEM' | null {
  const upper = value.trim().toUpperCase()
  if (upper === 'JKS' || upper === 'PKCS12' || upper === 'PEM') return upper
  report(key, value, 'Ferry reads JKS, PKCS12 and PEM stores (JCEKS, PKCS11 and other providers are not supported)')
  return null
}

function storeProblem(e: unknown, what: string, passwordKey: string): string {
  if (e instanceof KeyStoreError) {
    if (e.reason === 'password') return `Failed to load SSL ${what}: ${e.message} (check ${passwordKey})`
    return `Failed to load SSL ${what}: ${e.message}`
  }
  return `Failed to load SSL ${what}: ${(e as Error).message}`
}

function subjectOf(cert: X509Certificate): string {
  return cert.subject.split('\n').reverse().join(',')
}

/** The key entry a client certificate comes from: Ferry presents one certificate, so the store must hold one key. */
function singleKey(keys: KeyEntry[], key: string, path: string, report: Report): KeyEntry | null {
  if (keys.length === 1) return keys[0]!
  if (keys.length === 0) report(key, path, 'the key store holds no private key entry')
  else {
    report(
      key,
      path,
      `the key store holds ${keys.length} private keys (${keys.map((k) => k.alias).join(', ')}); Ferry presents one client certificate, keep only its key in the store`,
    )
  }
  return null
}

function keystore(cfg: SslConfig, report: Report): KeyEntry | null {
  const type =
    cfg.keystoreLocation !== null || cfg.keystoreKey !== null
      ? storeType('ssl.keystore.type', cfg.keystoreType, report)
      : null
  if (cfg.keystoreKey !== null) {
    if (type === null) return null
    // Apache's DefaultSslEngineFactory.createKeystore, check by check.
    if (type !== 'PEM') {
      report(
        'ssl.keystore.key',
        null,
        `SSL private key can be specified only for PEM, but key store type is ${cfg.keystoreType}.`,
      )
    } else if (cfg.keystoreCertificateChain === null) {
      report(
        'ssl.keystore.certificate.chain',
        null,
        'SSL private key is specified, but certificate chain is not specified.',
      )
    } else if (cfg.keystoreLocation !== null) {
      report(
        'ssl.keystore.location',
        cfg.keystoreLocation,
        'Both SSL key store location and separate private key are specified.',
      )
    } else if (cfg.keystorePassword !== null) {
      report(
        'ssl.keystore.password',
        null,
        'SSL key store password cannot be specified with PEM format, only key password may be specified.',
      )
    } else {
      try {
        return readPemKeyPair(cfg.keystoreKey, cfg.keystoreCertificateChain, cfg.keyPassword)
      } catch (e) {
        const key = e instanceof KeyStoreError && e.reason === 'key-password' ? 'ssl.key.password' : 'ssl.keystore.key'
        report(key, null, `Invalid PEM keystore configs: ${(e as Error).message}`)
      }
    }
    return null
  }
  if (cfg.keystoreCertificateChain !== null) {
    report(
      'ssl.keystore.certificate.chain',
      null,
      'SSL certificate chain is specified, but private key is not specified',
    )
    return null
  }
  const path = cfg.keystoreLocation
  if (path === null) {
    if (cfg.keystorePassword !== null) {
      report('ssl.keystore.password', null, 'SSL key store is not specified, but key store password is specified.')
    }
    return null
  }
  if (type === null) return null
  if (type === 'PEM') {
    if (cfg.keystorePassword !== null) {
      report(
        'ssl.keystore.password',
        null,
        'SSL key store password cannot be specified with PEM format, only key password may be specified',
      )
      return null
    }
    const data = readFile('ssl.keystore.location', path, report)
    if (data === null) return null
    try {
      const text = data.toString('utf8')
      return readPemKeyPair(text, text, cfg.keyPassword)
    } catch (e) {
      report('ssl.keystore.location', path, `Failed to load PEM SSL keystore ${path}: ${(e as Error).message}`)
      return null
    }
  }
  if (cfg.keystorePassword === null) {
    report('ssl.keystore.location', path, 'SSL key store is specified, but key store password is not specified.')
    return null
  }
  const data = readFile('ssl.keystore.location', path, report)
  if (data === null) return null
  try {
    const store = readKeyStore(data, cfg.keystorePassword, cfg.keyPassword)
    return singleKey(store.keys, 'ssl.keystore.location', path, report)
  } catch (e) {
    const reason = e instanceof KeyStoreError ? e.reason : 'format'
    const key = reason === 'key-password' ? 'ssl.key.password' : 'ssl.keystore.location'
    const passwordKey = 'ssl.keystore.password'
    report(
      key,
      key === 'ssl.keystore.location' ? path : null,
      `${storeProblem(e, `keystore ${path} of type ${cfg.keystoreType}`, passwordKey)}`,
    )
    return null
  }
}

/** The trusted certificates as PEM; null: the defaults (no trust store configured); undefined: a problem reported. */
function truststore(cfg: SslConfig, report: Report): string[] | null | undefined {
  const type =
    cfg.truststoreLocation !== null || cfg.truststoreCertificates !== null
      ? storeType('ssl.truststore.type', cfg.truststoreType, report)
      : null
  let certs: X509Certificate[]
  if (cfg.truststoreCertificates !== null) {
    if (type === null) return undefined
    if (type !== 'PEM') {
      report(
        'ssl.truststore.certificates',
        null,
        `SSL trust store certs can be specified only for PEM, but trust store type is ${cfg.truststoreType}.`,
      )
      return undefined
    }
    if (cfg.truststoreLocation !== null) {
      report(
        'ssl.truststore.location',
        cfg.truststoreLocation,
        'Both SSL trust store location and separate trust certificates are specified.',
      )
      return undefined
    }
    if (cfg.truststorePassword !== null) {
      report('ssl.truststore.password', null, 'SSL trust store password cannot be specified for PEM format.')
      return undefined
    }
    try {
      certs = readPemCertificates(cfg.truststoreCertificates)
    } catch (e) {
      report('ssl.truststore.certificates', null, `Invalid PEM truststore configs: ${(e as Error).message}`)
      return undefined
    }
  } else {
    const path = cfg.truststoreLocation
    if (path === null) {
      if (cfg.truststorePassword !== null) {
        report(
          'ssl.truststore.password',
          null,
          'SSL trust store is not specified, but trust store password is specified.',
        )
        return undefined
      }
      return null
    }
    if (type === null) return undefined
    if (type === 'PEM' && cfg.truststorePassword !== null) {
      report('ssl.truststore.password', null, 'SSL trust store password cannot be specified for PEM format.')
      return undefined
    }
    const data = readFile('ssl.truststore.location', path, report)
    if (data === null) return undefined
    try {
      certs = type === 'PEM' ? readPemCertificates(data.toString('utf8')) : readTrustStore(data, cfg.truststorePassword)
    } catch (e) {
      report(
        'ssl.truststore.location',
        path,
        storeProblem(e, `truststore ${path} of type ${cfg.truststoreType}`, 'ssl.truststore.password'),
      )
      return undefined
    }
    if (certs.length === 0) {
      report(
        'ssl.truststore.location',
        path,
        'the trust store holds no trusted certificate (Java ignores certificates imported without keytool -importcert)',
      )
      return undefined
    }
  }
  return certs.map((c) => c.toString())
}

let defaultCas: string[] | null = null

/** Java's default trust store (cacerts, on Debian the system's CAs): Node's bundled CAs and the system's. */
function defaultCertificates(): string[] {
  if (defaultCas === null) {
    let system: string[] = []
    try {
      system = getCACertificates('system')
    } catch {}
    defaultCas = [...new Set([...getCACertificates('default'), ...system])]
  }
  return defaultCas
}

function protocols(cfg: SslConfig, report: Report): { min: SecureVersion; max: SecureVersion } | null {
  const enabled = new Set<SecureVersion>()
  let ok = true
  for (const p of cfg.enabledProtocols) {
    if (p === 'TLSv1.2' || p === 'TLSv1.3') enabled.add(p)
    else {
      ok = false
      const legacy = ['TLSv1', 'TLSv1.1', 'SSLv3', 'SSLv2Hello'].includes(p)
      report(
        'ssl.enabled.protocols',
        cfg.enabledProtocols.join(','),
        legacy
          ? `${p} is disabled in Java 17 (jdk.tls.disabledAlgorithms) and in Ferry; use TLSv1.2 and/or TLSv1.3`
          : `unknown protocol ${p}; use TLSv1.2 and/or TLSv1.3`,
      )
    }
  }
  // ssl.protocol names the SSLContext: TLSv1.2 caps the handshake at TLS 1.2 whatever ssl.enabled.protocols says.
  let cap: SecureVersion = 'TLSv1.3'
  if (cfg.protocol === 'TLSv1.2') cap = 'TLSv1.2'
  else if (cfg.protocol !== 'TLSv1.3' && cfg.protocol !== 'TLS') {
    report('ssl.protocol', cfg.protocol, 'Ferry supports TLSv1.3 (the default), TLSv1.2 and TLS')
    return null
  }
  if (!ok) return null
  if (cfg.enabledProtocols.length === 0) enabled.add('TLSv1.2').add('TLSv1.3')
  const allowed = PROTOCOL_ORDER.filter(
    (p) => enabled.has(p) && PROTOCOL_ORDER.indexOf(p) <= PROTOCOL_ORDER.indexOf(cap),
  )
  if (allowed.length === 0) {
    report(
      'ssl.enabled.protocols',
      cfg.enabledProtocols.join(','),
      `no enabled protocol is allowed by ssl.protocol=${cfg.protocol}`,
    )
    return null
  }
  return { min: allowed[0]!, max: allowed[allowed.length - 1]! }
}

function ciphers(
  cfg: SslConfig,
  range: { min: SecureVersion; max: SecureVersion },
  report: Report,
): { ciphers: string; range: { min: SecureVersion; max: SecureVersion } } | null {
  const tls13: string[] = []
  const tls12: string[] = []
  for (const suite of cfg.cipherSuites) {
    if (suite === 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV') continue // a signal OpenSSL always sends
    const name = opensslCipherName(suite)
    if (name === null) {
      report(
        'ssl.cipher.suites',
        cfg.cipherSuites.join(','),
        `${suite} is not a cipher suite Node's OpenSSL supports (use Java's standard names, e.g. TLS_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)`,
      )
      return null
    }
    ;(name.startsWith('TLS_') ? tls13 : tls12).push(name)
  }
  // Java negotiates a protocol only if an enabled suite works with it; OpenSSL keeps its TLS 1.3 defaults when the
  // list has no TLS 1.3 suite, so the protocol range is narrowed to say the same.
  let { min, max } = range
  if (tls13.length === 0) max = 'TLSv1.2'
  if (tls12.length === 0) min = 'TLSv1.3'
  if (PROTOCOL_ORDER.indexOf(min) > PROTOCOL_ORDER.indexOf(max)) {
    report(
      'ssl.cipher.suites',
      cfg.cipherSuites.join(','),
      `no suite works with the enabled protocols (${range.min}..${range.max})`,
    )
    return null
  }
  return { ciphers: [...tls13, ...tls12].join(':'), range: { min, max } }
}

/** Hides the private key when the options are logged or serialised. */
function hideSecrets(options: ConnectionOptions): ConnectionOptions {
  const shown = () => ({
    ...options,
    key: options.key === undefined ? undefined : '[hidden]',
    ca: options.ca === undefined ? undefined : `[${(options.ca as string[]).length} certificates]`,
  })
  Object.defineProperty(options, 'toJSON', { value: shown, enumerable: false })
  Object.defineProperty(options, inspect.custom, { value: () => shown(), enumerable: false })
  return options
}

/**
 * Node TLS options from `ssl.*`, or null when a problem was reported. Checks Apache's combinations of keys and
 * messages, reads the stores, and maps protocols and cipher suites.
 */
export function sslOptions(cfg: SslConfig, report: Report): SslOptions | null {
  let failed = false
  const check: Report = (key, value, message) => {
    failed = true
    report(key, value, message)
  }
  if (cfg.engineFactoryClass !== null) {
    check(
      'ssl.engine.factory.class',
      cfg.engineFactoryClass,
      "Ferry cannot load Java classes; its TLS is Node's (OpenSSL)",
    )
  }
  if (cfg.provider !== null)
    check('ssl.provider', cfg.provider, "Ferry cannot use Java security providers; its TLS is Node's (OpenSSL)")
  if (cfg.keymanagerAlgorithm !== null && !KEY_MANAGER_ALGORITHMS.includes(cfg.keymanagerAlgorithm.toUpperCase())) {
    check(
      'ssl.keymanager.algorithm',
      cfg.keymanagerAlgorithm,
      'Ferry supports SunX509 (the default), NewSunX509 and PKIX',
    )
  }
  if (
    cfg.trustmanagerAlgorithm !== null &&
    !TRUST_MANAGER_ALGORITHMS.includes(cfg.trustmanagerAlgorithm.toUpperCase())
  ) {
    check(
      'ssl.trustmanager.algorithm',
      cfg.trustmanagerAlgorithm,
      'Ferry supports PKIX (the default), SunPKIX, X509 and SunX509',
    )
  }
  if (
    cfg.secureRandomImplementation !== null &&
    !SECURE_RANDOM_ALGORITHMS.includes(cfg.secureRandomImplementation.toUpperCase())
  ) {
    check(
      'ssl.secure.random.implementation',
      cfg.secureRandomImplementation,
      "Ferry's TLS uses OpenSSL's CSPRNG; it accepts Java's NativePRNG, NativePRNGBlocking, NativePRNGNonBlocking, SHA1PRNG and DRBG",
    )
  }
  const algorithm = cfg.endpointIdentificationAlgorithm
  const checkHost = algorithm === null || algorithm === '' ? false : algorithm.toUpperCase() === 'HTTPS' ? true : null
  if (checkHost === null) {
    check(
      'ssl.endpoint.identification.algorithm',
      algorithm,
      'Ferry supports https (host name checked) and an empty value (not checked)',
    )
  }
  const range = protocols(cfg, check)
  const suites = range !== null && cfg.cipherSuites.length > 0 ? ciphers(cfg, range, check) : null
  const key = keystore(cfg, check)
  const ca = truststore(cfg, check)
  if (failed || range === null || ca === undefined) return null
  const effective = suites?.range ?? range
  const tls: ConnectionOptions = {
    ca: ca ?? defaultCertificates(),
    rejectUnauthorized: true,
    minVersion: effective.min,
    maxVersion: effective.max,
  }
  if (suites !== null) tls.ciphers = suites.ciphers
  if (checkHost === false) tls.checkServerIdentity = () => undefined
  if (key !== null) {
    tls.key = key.key.export({ type: 'pkcs8', format: 'pem' }) as string
    tls.cert = key.chain.map((c) => c.toString()).join('')
  }
  return { tls: hideSecrets(tls), principal: key?.chain[0] ? subjectOf(key.chain[0]) : null }
}
