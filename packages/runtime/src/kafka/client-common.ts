/**
 * What Ferry's Kafka clients share: the record shapes they send and receive, `bootstrap.servers`, the connection and
 * client options every connection takes (TLS, then SASL, timeouts, Java's exponential backoff), the connection
 * diagnosis, and KIP-558's topic tracking.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { isIP } from 'node:net'
import type { BaseOptions, ConnectionOptions } from '@platformatic/kafka'
import type { ClientSettings } from './client-settings.ts'
import { type ConnectionFailure, probeConnection } from './failures.ts'

/** A record on its way to Kafka; key, value and header values are already serialised. */
export interface OutgoingRecord {
  topic: string
  partition?: number | undefined
  key: Buffer | null
  value: Buffer | null
  timestamp?: number | undefined
  headers?: Array<[string, Buffer | null]> | undefined
}

/** A record read from Kafka, before conversion. */
export interface IncomingRecord {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: Array<[string, Buffer | null]>
}

export interface PartitionOffset {
  topic: string
  partition: number
  offset: number
}

/** Parses `bootstrap.servers` (`host:port,host:port`) and names the key when it is malformed. */
export function parseBootstrapServers(value: string): string[] {
  const servers = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
  if (servers.length === 0) throw new Error('bootstrap.servers is empty: give at least one host:port')
  for (const s of servers) {
    if (!/^[^:\s]+:\d+$/.test(s) && !/^\[[0-9a-fA-F:]+\]:\d+$/.test(s)) {
      throw new Error(`Invalid url in bootstrap.servers: ${s} (expected host:port)`)
    }
  }
  return servers
}

/** Apache's client defaults for the settings every client takes. */
export const CLIENT_DEFAULTS = {
  requestTimeoutMs: 30000,
  retryBackoffMs: 100,
  retryBackoffMaxMs: 1000,
  metadataMaxAgeMs: 300000,
  connectTimeoutMs: 10000,
} as const

/**
 * Java's `ExponentialBackoff(retry.backoff.ms, 2, retry.backoff.max.ms, 0.2)`: the wait before retry number
 * `attempt` (1 for the first retry), doubling from `retry.backoff.ms` up to `retry.backoff.max.ms`, ±20% jitter.
 */
export function retryBackoff(settings: ClientSettings, attempt: number): number {
  const initial = settings.retryBackoffMs ?? CLIENT_DEFAULTS.retryBackoffMs
  const max = Math.max(initial, settings.retryBackoffMaxMs ?? CLIENT_DEFAULTS.retryBackoffMaxMs)
  if (max <= initial) return initial
  const expMax = Math.log(max / initial) / Math.log(2)
  const term = initial * 2 ** Math.min(Math.max(0, attempt - 1), expMax)
  return Math.min(Math.floor(term * (0.8 + Math.random() * 0.4)), max)
}

/**
 * How every connection Ferry opens reaches the brokers (`ConnectionSecurity`, timeouts): TLS first when the protocol
 * is SSL or SASL_SSL, then SASL authentication on the (TLS) socket when it is SASL_*, as the client library does
 * when given both. Used as is for Ferry's own connection pools, and through `clientOptions` by the library's
 * clients.
 */
export function connectionOptions(settings: ClientSettings): ConnectionOptions {
  const security = settings.security
  const protocol = security?.protocol ?? 'PLAINTEXT'
  const options: ConnectionOptions = {
    requestTimeout: settings.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs,
    connectTimeout: settings.connectTimeoutMs ?? CLIENT_DEFAULTS.connectTimeoutMs,
  }
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    options.tls = { ...security?.tls }
    // SNI with the broker's host name, as Java's clients send it (Node sends none by default); IP literals take none.
    if (options.tls.servername === undefined && settings.bootstrapServers.every((s) => isIP(hostOf(s)) === 0))
      options.tlsServerName = true
  }
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    if (!security?.sasl) throw new Error(`security.protocol=${protocol} needs a sasl.mechanism and its credentials`)
    options.sasl = security.sasl
  }
  return options
}

function hostOf(server: string): string {
  const at = server.lastIndexOf(':')
  const host = at > 0 ? server.slice(0, at) : server
  return host.startsWith('[') ? host.slice(1, -1) : host
}

/**
 * The client library's base options for one of Ferry's clients (Producer, Consumer, Admin, the group member's Base):
 * client id, brokers, security and timeouts from `settings`, Java's exponential retry backoff, and `retries`
 * attempts of the library's own requests (metadata, offsets, admin calls).
 */
export function clientOptions(settings: ClientSettings, retries = 3): BaseOptions {
  const requestTimeout = settings.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs
  return {
    ...connectionOptions(settings),
    clientId: settings.clientId,
    bootstrapBrokers: settings.bootstrapServers,
    // The broker-side timeout of Produce, CreateTopics and the like; the connection's `requestTimeout` is the other.
    timeout: requestTimeout,
    retries,
    retryDelay: (_client, _operation, attempt) => retryBackoff(settings, attempt),
    metadataMaxAge: settings.metadataMaxAgeMs ?? CLIENT_DEFAULTS.metadataMaxAgeMs,
  }
}

/**
 * Opens one connection to `server` as the clients with `settings` do, and says why it fails when the clients' own
 * errors could not (see `probeConnection`); null when it works.
 */
export function diagnoseConnection(settings: ClientSettings, server: string): Promise<ConnectionFailure | null> {
  const options = connectionOptions(settings)
  const timeout = Math.min(settings.connectTimeoutMs ?? CLIENT_DEFAULTS.connectTimeoutMs, 10000)
  return probeConnection(
    { ...options, connectTimeout: timeout, requestTimeout: timeout },
    server,
    settings.security,
    settings.clientId,
  )
}

const topicObserver = new AsyncLocalStorage<(topic: string) => void>()

/**
 * Runs `fn` so that every producer and consumer created inside it reports each topic it writes to (after the broker
 * acked a record) or reads from, once per client: the herder's KIP-558 topic tracking.
 */
export function withTopicTracking<T>(onTopic: (topic: string) => void, fn: () => T): T {
  return topicObserver.run(onTopic, fn)
}

/** Reports topics to the observer that was active when the client was created. */
export class TopicReporter {
  readonly #onTopic = topicObserver.getStore() ?? null
  readonly #seen = new Set<string>()

  report(topic: string): void {
    if (this.#onTopic === null || this.#seen.has(topic)) return
    this.#seen.add(topic)
    try {
      this.#onTopic(topic)
    } catch {
      // an observer must not break the data path
    }
  }
}
