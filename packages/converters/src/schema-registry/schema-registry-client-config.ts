/**
 * The schema registry client's keys, as Confluent's `SchemaRegistryClientConfig` and `AbstractKafkaSchemaSerDeConfig`
 * name them: `schema.registry.url` (a list, tried in turn), basic or static bearer authentication,
 * `schema.registry.ssl.*` (Apache's `ssl.*` client keys under that prefix, read as the Kafka clients read them: JKS,
 * PKCS12 or PEM stores, protocols, cipher suites, host name check), timeouts, retries and the cache size. `clientOptionsFrom` turns parsed values into `RegistryClientOptions`; the keys of Confluent's
 * client that Ferry does not implement are refused by `refuseUnsupportedClientKeys`, naming them.
 */
import type { ConnectionOptions } from 'node:tls'
import { ConfigDef, ConfigException, type Password, Range, sslConfigFrom, sslOptions, ValidString } from '@ferry/api'

export const SCHEMA_REGISTRY_URL_CONFIG = 'schema.registry.url'
export const BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG = 'basic.auth.credentials.source'
export const USER_INFO_CONFIG = 'basic.auth.user.info'
/** Confluent's deprecated spelling of `basic.auth.user.info`, still read when the other is empty. */
export const SCHEMA_REGISTRY_USER_INFO_CONFIG = 'schema.registry.basic.auth.user.info'
export const BEARER_AUTH_CREDENTIALS_SOURCE_CONFIG = 'bearer.auth.credentials.source'
export const BEARER_AUTH_TOKEN_CONFIG = 'bearer.auth.token'
export const BEARER_AUTH_LOGICAL_CLUSTER_CONFIG = 'bearer.auth.logical.cluster'
export const BEARER_AUTH_IDENTITY_POOL_ID_CONFIG = 'bearer.auth.identity.pool.id'
export const MAX_SCHEMAS_PER_SUBJECT_CONFIG = 'max.schemas.per.subject'
export const HTTP_CONNECT_TIMEOUT_MS_CONFIG = 'http.connect.timeout.ms'
export const HTTP_READ_TIMEOUT_MS_CONFIG = 'http.read.timeout.ms'
export const MAX_RETRIES_CONFIG = 'max.retries'
export const RETRIES_WAIT_MS_CONFIG = 'retries.wait.ms'
export const RETRIES_MAX_WAIT_MS_CONFIG = 'retries.max.wait.ms'
export const LATEST_CACHE_TTL_SEC_CONFIG = 'latest.cache.ttl.sec'
/** The prefix of the client's TLS keys: `schema.registry.ssl.truststore.location`, ... */
export const CLIENT_NAMESPACE = 'schema.registry.'

/** The options `RestService` and `CachedSchemaRegistryClient` take. */
export interface RegistryClientOptions {
  /** Base URLs, each with its path (`http://host:8081`, `http://host/apis/ccompat/v7`); user info already taken out. */
  urls: string[]
  /** `user:password` for basic authentication, or null. */
  userInfo: string | null
  /** A static bearer token, or null. */
  bearerToken: string | null
  /** TLS options for https URLs from `schema.registry.ssl.*`; null: Node's defaults (the system's CAs). */
  tls: ConnectionOptions | null
  /** Extra request headers (Confluent Cloud's `target-sr-cluster`, `Confluent-Identity-Pool-Id`). */
  headers: Record<string, string>
  connectTimeoutMs: number
  readTimeoutMs: number
  /** Rounds over all URLs after the first, each after a backoff doubling from `retryWaitMs` up to `retryMaxWaitMs`. */
  maxRetries: number
  retryWaitMs: number
  retryMaxWaitMs: number
  /** The size of each cache (schemas by id, ids by subject and schema). */
  cacheCapacity: number
  /** How long the latest version of a subject is kept, in seconds; negative: for ever. */
  latestTtlSec: number
}

/** Adds the client's keys to `def` (a converter's definition) and returns it. */
export function withRegistryClientConfig(def: ConfigDef): ConfigDef {
  return def
    .define({
      name: SCHEMA_REGISTRY_URL_CONFIG,
      type: 'LIST',
      importance: 'HIGH',
      documentation:
        'Comma-separated list of URLs for Schema Registry instances that can be used to register or look up schemas. If you wish to get a connection to a mocked schema registry for testing, you can specify a scope using the "mock://" pseudo-protocol.',
    })
    .define({
      name: BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG,
      type: 'STRING',
      defaultValue: 'URL',
      validator: ValidString.in('URL', 'USER_INFO', 'SASL_INHERIT'),
      importance: 'MEDIUM',
      documentation:
        'Specify how to pick the credentials for the Basic authentication header. The supported values are URL, USER_INFO and SASL_INHERIT',
    })
    .define({
      name: USER_INFO_CONFIG,
      type: 'PASSWORD',
      defaultValue: '',
      importance: 'MEDIUM',
      documentation: 'Specify the user info for the Basic authentication in the form of {username}:{password}',
    })
    .define({
      name: SCHEMA_REGISTRY_USER_INFO_CONFIG,
      type: 'PASSWORD',
      defaultValue: '',
      importance: 'MEDIUM',
      documentation: 'Deprecated: use basic.auth.user.info.',
    })
    .define({
      name: BEARER_AUTH_CREDENTIALS_SOURCE_CONFIG,
      type: 'STRING',
      defaultValue: 'STATIC_TOKEN',
      validator: ValidString.in('STATIC_TOKEN', 'OAUTHBEARER', 'SASL_OAUTHBEARER_INHERIT', 'CUSTOM'),
      importance: 'MEDIUM',
      documentation:
        'Specify how to pick the credentials for the Bearer authentication header. Ferry implements STATIC_TOKEN.',
    })
    .define({
      name: BEARER_AUTH_TOKEN_CONFIG,
      type: 'PASSWORD',
      defaultValue: '',
      importance: 'MEDIUM',
      documentation: 'Specify the Bearer token to be used for authentication',
    })
    .define({
      name: BEARER_AUTH_LOGICAL_CLUSTER_CONFIG,
      type: 'STRING',
      defaultValue: '',
      importance: 'LOW',
      documentation: 'The schema registry logical cluster id, sent as the target-sr-cluster header',
    })
    .define({
      name: BEARER_AUTH_IDENTITY_POOL_ID_CONFIG,
      type: 'STRING',
      defaultValue: '',
      importance: 'LOW',
      documentation: 'The identity pool id, sent as the Confluent-Identity-Pool-Id header',
    })
    .define({
      name: MAX_SCHEMAS_PER_SUBJECT_CONFIG,
      type: 'INT',
      defaultValue: 1000,
      validator: Range.atLeast(1),
      importance: 'LOW',
      documentation: 'Maximum number of schemas to create or cache locally.',
    })
    .define({
      name: HTTP_CONNECT_TIMEOUT_MS_CONFIG,
      type: 'INT',
      defaultValue: 60_000,
      validator: Range.atLeast(1),
      importance: 'LOW',
      documentation: 'Timeout in milliseconds for connecting to the schema registry.',
    })
    .define({
      name: HTTP_READ_TIMEOUT_MS_CONFIG,
      type: 'INT',
      defaultValue: 60_000,
      validator: Range.atLeast(1),
      importance: 'LOW',
      documentation: "Timeout in milliseconds for the schema registry's answer.",
    })
    .define({
      name: MAX_RETRIES_CONFIG,
      type: 'INT',
      defaultValue: 3,
      validator: Range.atLeast(0),
      importance: 'LOW',
      documentation: 'How many more times every URL is tried when none answered.',
    })
    .define({
      name: RETRIES_WAIT_MS_CONFIG,
      type: 'INT',
      defaultValue: 1000,
      validator: Range.atLeast(0),
      importance: 'LOW',
      documentation: 'The first wait before trying the URLs again; each later wait doubles.',
    })
    .define({
      name: RETRIES_MAX_WAIT_MS_CONFIG,
      type: 'INT',
      defaultValue: 20_000,
      validator: Range.atLeast(0),
      importance: 'LOW',
      documentation: 'The longest wait before trying the URLs again.',
    })
    .define({
      name: LATEST_CACHE_TTL_SEC_CONFIG,
      type: 'LONG',
      defaultValue: -1,
      importance: 'LOW',
      documentation:
        'How long the latest version of a subject is cached, in seconds; -1 keeps it until the converter stops.',
    })
}

/**
 * Keys of Confluent's client Ferry does not implement: refused at start rather than ignored. `proxy.*`, and bearer
 * sources other than a static token (`bearer.auth.issuer.endpoint.url`, `bearer.auth.client.*`, ...).
 */
export function refuseUnsupportedClientKeys(props: Readonly<Record<string, unknown>>): void {
  for (const key of Object.keys(props)) {
    const unsupported =
      key === 'proxy.host' ||
      key === 'proxy.port' ||
      (key.startsWith('bearer.auth.') &&
        key !== BEARER_AUTH_CREDENTIALS_SOURCE_CONFIG &&
        key !== BEARER_AUTH_TOKEN_CONFIG &&
        key !== BEARER_AUTH_LOGICAL_CLUSTER_CONFIG &&
        key !== BEARER_AUTH_IDENTITY_POOL_ID_CONFIG)
    if (unsupported) throw new ConfigException(`${key} is not supported by Ferry's schema registry client`)
  }
}

/** The client's options from parsed values (`def.parse(props)` of a definition built with `withRegistryClientConfig`). */
export function clientOptionsFrom(
  values: Readonly<Record<string, unknown>>,
  props: Readonly<Record<string, unknown>>,
): RegistryClientOptions {
  const rawUrls = (values[SCHEMA_REGISTRY_URL_CONFIG] as string[]).filter((u) => u !== '')
  if (rawUrls.length === 0) throw new ConfigException(`Missing required configuration "${SCHEMA_REGISTRY_URL_CONFIG}"`)
  let urlUserInfo: string | null = null
  const urls = rawUrls.map((raw) => {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw new ConfigException(SCHEMA_REGISTRY_URL_CONFIG, redactUrl(raw), 'not a URL')
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ConfigException(SCHEMA_REGISTRY_URL_CONFIG, redactUrl(raw), 'only http and https URLs are supported')
    if (url.username !== '' && urlUserInfo === null)
      urlUserInfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
    url.username = ''
    url.password = ''
    return url.toString().replace(/\/+$/, '')
  })
  const source = values[BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG] as string
  let userInfo: string | null = null
  if (source === 'SASL_INHERIT')
    throw new ConfigException(
      `${BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG}=SASL_INHERIT is not supported by Ferry's schema registry client: use USER_INFO`,
    )
  if (source === 'URL') userInfo = urlUserInfo
  else {
    const info = passwordText(values[USER_INFO_CONFIG]) || passwordText(values[SCHEMA_REGISTRY_USER_INFO_CONFIG])
    if (info === '') throw new ConfigException(`${USER_INFO_CONFIG} must be set when ${source} is USER_INFO`)
    userInfo = info
  }
  let bearerToken: string | null = null
  if (props[BEARER_AUTH_CREDENTIALS_SOURCE_CONFIG] !== undefined) {
    const bearerSource = values[BEARER_AUTH_CREDENTIALS_SOURCE_CONFIG] as string
    if (bearerSource !== 'STATIC_TOKEN')
      throw new ConfigException(
        `${BEARER_AUTH_CREDENTIALS_SOURCE_CONFIG}=${bearerSource} is not supported by Ferry's schema registry client: use STATIC_TOKEN`,
      )
    bearerToken = passwordText(values[BEARER_AUTH_TOKEN_CONFIG])
    if (bearerToken === '')
      throw new ConfigException(
        `${BEARER_AUTH_TOKEN_CONFIG} must be set when ${BEARER_AUTH_CREDENTIALS_SOURCE_CONFIG} is STATIC_TOKEN`,
      )
    if (userInfo !== null)
      throw new ConfigException(
        `Only one of basic authentication (${BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG}) and bearer authentication (${BEARER_AUTH_CREDENTIALS_SOURCE_CONFIG}) can be used`,
      )
  }
  const headers: Record<string, string> = {}
  const cluster = values[BEARER_AUTH_LOGICAL_CLUSTER_CONFIG] as string
  const pool = values[BEARER_AUTH_IDENTITY_POOL_ID_CONFIG] as string
  if (cluster) headers['target-sr-cluster'] = cluster
  if (pool) headers['Confluent-Identity-Pool-Id'] = pool
  return {
    urls,
    userInfo,
    bearerToken,
    tls: registryTls(props),
    headers,
    connectTimeoutMs: values[HTTP_CONNECT_TIMEOUT_MS_CONFIG] as number,
    readTimeoutMs: values[HTTP_READ_TIMEOUT_MS_CONFIG] as number,
    maxRetries: values[MAX_RETRIES_CONFIG] as number,
    retryWaitMs: values[RETRIES_WAIT_MS_CONFIG] as number,
    retryMaxWaitMs: values[RETRIES_MAX_WAIT_MS_CONFIG] as number,
    cacheCapacity: values[MAX_SCHEMAS_PER_SUBJECT_CONFIG] as number,
    latestTtlSec: Number(values[LATEST_CACHE_TTL_SEC_CONFIG]),
  }
}

/**
 * TLS options from `schema.registry.ssl.*`, or null when no such key is set. Problems (a store that cannot be read,
 * an unknown protocol) are one `ConfigException` naming the keys with their prefix, never a password.
 */
function registryTls(props: Readonly<Record<string, unknown>>): ConnectionOptions | null {
  const prefix = `${CLIENT_NAMESPACE}ssl.`
  if (!Object.keys(props).some((k) => k.startsWith(prefix))) return null
  const get = (name: string): string | null => {
    const value = props[`${CLIENT_NAMESPACE}${name}`]
    if (value === undefined || value === null) return null
    return typeof value === 'object' ? (value as Password).value() : String(value)
  }
  const problems: string[] = []
  const options = sslOptions(sslConfigFrom(get, 'client'), (name, value, message) =>
    problems.push(`Invalid value ${value ?? 'null'} for configuration ${CLIENT_NAMESPACE}${name}: ${message}`),
  )
  if (options === null || problems.length > 0) throw new ConfigException(problems.join('; '))
  return options.tls
}

/** A definition holding only the client's keys (tests, and converters that add nothing of their own). */
export function registryClientConfigDef(): ConfigDef {
  return withRegistryClientConfig(new ConfigDef())
}

/** `url` with any `user:password@` replaced by `***@`, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@')
}

function passwordText(value: unknown): string {
  if (value === null || value === undefined) return ''
  return typeof value === 'string' ? value : (value as Password).value()
}
