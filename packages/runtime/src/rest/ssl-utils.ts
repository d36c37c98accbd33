/**
 * TLS for the REST server and the client that workers call each other with, from the worker config (Apache's
 * `SSLUtils`). The `ssl.*` keys are read as Apache's `valuesWithPrefixAllOrNothing` reads them: when any key starts
 * with the prefix (`listeners.https.`, or `admin.listeners.https.` for `admin.listeners`), only the prefixed keys
 * count; otherwise the top-level `ssl.*` keys (the Kafka clients' own) do. Stores, protocols and cipher suites go
 * through the Kafka clients' `sslOptions`, with the same checks and messages; passwords are never shown.
 */
import type { TlsOptions as TlsServerOptions } from 'node:tls'
import { ConfigException, type SslOptions, sslConfigFrom, sslOptions } from '@ferry/api'

/** The server's prefix for `listeners`, which the client uses too. */
export const LISTENERS_HTTPS_PREFIX = 'listeners.https.'
export const ADMIN_LISTENERS_HTTPS_PREFIX = 'admin.listeners.https.'

/** `ssl.client.auth` (Apache's `SslClientAuth`). */
export type SslClientAuth = 'none' | 'requested' | 'required'

/** The `ssl.*` values of `originals` under `prefix`, all or nothing; `key` names where a value came from. */
function sslValues(
  originals: Readonly<Record<string, string>>,
  prefix: string,
): { get(key: string): string | null; key(name: string): string } {
  const prefixed = Object.keys(originals).some((k) => k.startsWith(prefix))
  const key = (name: string) => (prefixed ? `${prefix}${name}` : name)
  return { get: (name) => originals[key(name)] ?? null, key }
}

function read(
  originals: Readonly<Record<string, string>>,
  prefix: string,
  side: 'server' | 'client',
): { ssl: SslOptions; clientAuth: SslClientAuth } {
  const { get, key } = sslValues(originals, prefix)
  const problems: string[] = []
  const report = (name: string, value: string | null, message: string) =>
    problems.push(`Invalid value ${value ?? 'null'} for configuration ${key(name)}: ${message}`)
  const clientAuth = (get('ssl.client.auth') ?? 'none').trim().toLowerCase()
  if (side === 'server' && !['none', 'requested', 'required'].includes(clientAuth))
    report('ssl.client.auth', clientAuth, 'String must be one of: required, requested, none')
  const cfg = sslConfigFrom(get, side)
  if (side === 'server' && cfg.keystoreLocation === null && cfg.keystoreKey === null)
    report('ssl.keystore.location', null, 'an https listener needs a keystore')
  const ssl = problems.length === 0 ? sslOptions(cfg, (k, v, m) => report(k, v, m)) : null
  if (ssl === null || problems.length > 0) throw new ConfigException(problems.join('; '))
  return { ssl, clientAuth: clientAuth as SslClientAuth }
}

/**
 * TLS options for an https listener: the keystore (JKS, Apache's default type, PKCS12 or PEM, files or inline),
 * `ssl.client.auth` (none, requested, required) with the truststore that checks client certificates,
 * `ssl.enabled.protocols`, `ssl.cipher.suites`. Every problem is one `ConfigException` naming the keys.
 */
export function restServerTls(originals: Readonly<Record<string, string>>, prefix: string): TlsServerOptions {
  const { ssl, clientAuth } = read(originals, prefix, 'server')
  const { key, cert, ca, minVersion, maxVersion, ciphers } = ssl.tls
  return {
    key,
    cert,
    minVersion,
    maxVersion,
    ...(ciphers ? { ciphers } : {}),
    ...(clientAuth === 'none' ? {} : { ca, requestCert: true, rejectUnauthorized: clientAuth === 'required' }),
  }
}

/**
 * TLS options for the REST client (forwarded requests, task configs sent to the leader), from the `listeners.https.`
 * keys as Apache's `RestClient` reads them: the truststore the other workers' certificates are checked against, the
 * host name checked unless `ssl.endpoint.identification.algorithm` is empty, and the keystore's certificate shown to
 * a worker that asks for one (`ssl.client.auth`).
 */
export function restClientTls(originals: Readonly<Record<string, string>>): SslOptions['tls'] {
  return read(originals, LISTENERS_HTTPS_PREFIX, 'client').ssl.tls
}
