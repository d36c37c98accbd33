/**
 * The only module (with ./fetch.ts and ./produce.ts, our Fetch and Produce requests) that talks to the Kafka client
 * library (@platformatic/kafka) for the worker's tasks. Everything else in Ferry sees the small interfaces below, so
 * the client can be swapped or upgraded in one place.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { isIP } from 'node:net'
import { ConfigException } from '@ferry/api'
import {
  Admin,
  type BaseOptions,
  type ClusterMetadata,
  type Connection,
  type ConnectionOptions,
  ConnectionPool,
  Consumer,
  compatibilityPartitioner,
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolAssignment,
  encodeConsumerProtocolSubscription,
  FetchIsolationLevels,
  FindCoordinatorKeyTypes,
  kGetApi,
  kGetBootstrapConnection,
  kGetConnection,
  Producer,
  protocolErrors,
  protocolErrorsCodesById,
} from '@platformatic/kafka'
import type {
  AdminSettings,
  ClientSettings,
  CompressionType,
  ConsumerSettings,
  ProducerSettings,
} from './client-settings.ts'
import { validateCompressionLevel } from './compression.ts'
import {
  type AclOperation,
  authorizationFailure,
  authorizedOperations,
  type ConnectionFailure,
  connectionSecurityException,
  KafkaClientException,
  probeConnection,
  topicAuthorizationException,
} from './failures.ts'
import { type FetchResponse, type FetchTopicRequest, fetchVersion, RecordBatchCursor, sendFetch } from './fetch.ts'
import { GroupError, GroupMember } from './group-member.ts'
import { encodeRecordBatch, type ProduceResponse, recordSizeUpperBound, sendProduce, stampProducer } from './produce.ts'

export type { AdminSettings, ClientSettings, ConsumerSettings, ProducerSettings } from './client-settings.ts'

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

export { KafkaClientException } from './failures.ts'

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
class TopicReporter {
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

/** Apache's producer defaults (`ProducerConfig`) where Ferry follows them. */
export const PRODUCER_DEFAULTS = {
  acks: -1,
  lingerMs: 0,
  maxRequestSize: 1048576,
  bufferMemory: 33554432,
  maxBlockMs: 60000,
  maxInFlightRequestsPerConnection: 5,
  deliveryTimeoutMs: 120000,
  retries: 2147483647,
} as const

/**
 * When `batch.size` is not set: a partition's batch takes up to 512 KiB of a send (Java's 16 KiB default fills a
 * Produce request, which carries one batch per partition, with 16 KiB per partition).
 */
const DEFAULT_BATCH_BYTES = 512 * 1024
const RECORD_BATCH_OVERHEAD = 61

/** One `send` call waiting for its records to be delivered. */
interface PendingSend {
  records: OutgoingRecord[]
  /** Java's size estimate of each record (`recordSizeUpperBound`). */
  sizes: number[]
  /** Their sum: what the send holds of `buffer.memory`. */
  bytes: number
  /** Keyless records of one send go to one partition (Java's sticky partitioning); the next send takes the next. */
  sticky: number
  createdAt: number
  resolve: (offsets: PartitionOffset[]) => void
  reject: (error: unknown) => void
}

/** One partition's record batch of a delivery. */
interface Batch {
  topic: string
  partition: number
  records: OutgoingRecord[]
  /** Index of the batch's first record among its partition's records in the delivery. */
  start: number
  encoded: Buffer
  /** Idempotence: the base sequence the batch was stamped with; -1 without idempotence. */
  sequence: number
  /** The batch's offset once acked; -1 when the broker's answer did not say (acks=0, a duplicate). */
  baseOffset: number
  done: boolean
  error: unknown
  /** Times sent. */
  attempts: number
  /** Sent without an answer (a lost connection, a timeout): it may have been written. */
  unknownFate: boolean
}

const ERROR = {
  MESSAGE_TOO_LARGE: 10,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  UNKNOWN_PRODUCER_ID: 59,
  PRODUCER_FENCED: 90,
} as const

function protocolError(code: number): { id: string; canRetry: boolean; message: string } {
  const id = protocolErrorsCodesById[code] ?? `UNKNOWN_ERROR_${code}`
  const known = protocolErrors[id]
  return { id, canRetry: known?.canRetry ?? false, message: known?.message ?? `Kafka error code ${code}` }
}

/**
 * Produces batches as Apache's Java producer would, with `ProducerSettings`:
 *
 * - `send(records)` resolves once every record is acknowledged (`acks`: -1 = all in-sync replicas, the default; 1 =
 *   the leader; 0 = written to the socket, when offsets are unknown and `send` returns none). It returns the base
 *   offset of every topic-partition written (the first one, when the records took several batches).
 * - Records are cut per partition into batches of at most `batch.size` bytes (512 KiB when unset) and batches into
 *   Produce requests of at most `max.request.size` bytes (1 MiB), one batch per partition per request, encoded by
 *   `./produce.ts` and compressed with `compression.type` at its level. A record larger than `max.request.size`
 *   (or `buffer.memory`) fails the send before anything is written, with Java's RecordTooLargeException message.
 * - `linger.ms`: a send whose records hold less than `batch.size` bytes waits up to `linger.ms` before it is
 *   delivered, and sends made meanwhile (or while an earlier delivery is in flight) go in the same requests: Java's
 *   record accumulator, at the grain of Ferry's `send`. Default 0: Ferry's callers hand over whole batches (a
 *   source task's poll), so a wait would only add latency; deliveries are one at a time, in call order.
 * - `buffer.memory` / `max.block.ms`: the records of unacknowledged sends count against `buffer.memory`; a send that
 *   does not fit waits until earlier ones are acknowledged, up to `max.block.ms`, then fails with Java's
 *   BufferExhaustedException message. A send larger than the whole buffer goes in parts that each fit.
 * - Retries: a batch refused with a retriable error (leader moved, not enough replicas, a lost connection, a
 *   request timeout after `request.timeout.ms`) is sent again after Java's exponential backoff (`retry.backoff.ms`
 *   to `retry.backoff.max.ms`), at most `retries` times and while `delivery.timeout.ms` since the send has not
 *   passed (then Java's TimeoutException message "Expiring N record(s) for ..."). `max.in.flight.requests.per.
 *   connection` bounds the requests one connection carries at once.
 * - Idempotence (`enable.idempotence`, default on as Java's clients, off unless acks=all, retries > 0 and at most 5
 *   requests in flight, when not asked for explicitly): a producer id from InitProducerId, and per partition a base
 *   sequence in every batch, so a batch sent again after a lost connection or a timeout is stored once (the broker
 *   answers with the first write's offset, or DUPLICATE_SEQUENCE_NUMBER) and never out of order. A partition
 *   takes several batches in flight only once it acknowledged one of the producer id and epoch: before that the
 *   broker takes any first sequence, and a later batch would be written ahead of a refused earlier one.
 *   OUT_OF_ORDER_SEQUENCE_NUMBER with a real gap and UNKNOWN_PRODUCER_ID bump the epoch locally (KIP-360) and send
 *   the batches again from sequence 0; a batch behind which a later one was written (the partition forgot the
 *   producer: a topic made again) fails with OutOfOrderSequenceException instead of being written after it.
 *   INVALID_PRODUCER_EPOCH and PRODUCER_FENCED take a new producer id. A batch that fails for good leaves its
 *   partition's sequence unknown: the next delivery bumps the epoch first.
 */
export class KafkaProducer {
  /** Metadata and connections; the batches are encoded and sent by `#deliver`. */
  readonly #producer: Producer
  readonly #topics = new TopicReporter()
  readonly #settings: ProducerSettings
  readonly #acks: 0 | 1 | -1
  readonly #compression: CompressionType
  readonly #level: number | undefined
  readonly #lingerMs: number
  readonly #batchBytes: number
  readonly #maxRequestSize: number
  readonly #bufferMemory: number
  readonly #maxBlockMs: number
  readonly #deliveryTimeoutMs: number
  readonly #retries: number
  readonly #requestTimeoutMs: number
  readonly #idempotent: boolean

  #sticky = 0
  #queue: PendingSend[] = []
  #queuedBytes = 0
  #delivering = false
  #lingerTimer: NodeJS.Timeout | null = null
  #memoryUsed = 0
  #memoryWaiters: Array<{ bytes: number; grant: () => void }> = []
  #closed = false
  #idleWaiters: Array<() => void> = []
  /** Wakes backoff waits when the producer closes. */
  #abort = new AbortController()

  // Idempotence: producer id, epoch and the next sequence of each partition.
  #producerId = -1n
  #epoch = -1
  readonly #sequences = new Map<string, number>()
  /**
   * The partitions where the broker acknowledged a batch of this producer id and epoch: it refuses a batch there
   * whose sequence does not follow the last one it wrote. Elsewhere it takes any first sequence, so a batch sent
   * while an earlier one of its partition is refused (a moved leader, a corrupt batch) would be written before it:
   * there one batch goes at a time until one is acknowledged.
   */
  readonly #acknowledged = new Set<string>()
  /** A sequenced batch failed for good, or its fate is unknown: bump the epoch before the next delivery. */
  #needsBump = false

  constructor(settings: ProducerSettings) {
    this.#settings = settings
    this.#acks = settings.acks ?? PRODUCER_DEFAULTS.acks
    this.#compression = settings.compression?.type ?? 'none'
    this.#level = settings.compression?.level
    validateCompressionLevel(this.#compression, this.#level)
    this.#lingerMs = settings.lingerMs ?? PRODUCER_DEFAULTS.lingerMs
    this.#maxRequestSize = settings.maxRequestSize ?? PRODUCER_DEFAULTS.maxRequestSize
    this.#batchBytes = settings.batchSize ?? Math.min(DEFAULT_BATCH_BYTES, this.#maxRequestSize)
    this.#bufferMemory = settings.bufferMemory ?? PRODUCER_DEFAULTS.bufferMemory
    this.#maxBlockMs = settings.maxBlockMs ?? PRODUCER_DEFAULTS.maxBlockMs
    this.#retries = settings.retries ?? PRODUCER_DEFAULTS.retries
    this.#requestTimeoutMs = settings.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs
    const inFlight = settings.maxInFlightRequestsPerConnection ?? PRODUCER_DEFAULTS.maxInFlightRequestsPerConnection
    // Java's ProducerConfig checks: idempotence asked for explicitly must be possible; by default it is on only
    // where it is.
    if (settings.idempotence === true) {
      if (inFlight > 5)
        throw new ConfigException(
          'Must set max.in.flight.requests.per.connection to at most 5 when using the idempotent producer.',
        )
      if (this.#retries === 0)
        throw new ConfigException('Must set retries to non-zero when using the idempotent producer.')
      if (this.#acks !== -1)
        throw new ConfigException(
          'Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.',
        )
    }
    this.#idempotent = (settings.idempotence ?? true) && inFlight <= 5 && this.#retries > 0 && this.#acks === -1
    const deliveryTimeout = settings.deliveryTimeoutMs ?? PRODUCER_DEFAULTS.deliveryTimeoutMs
    if (deliveryTimeout < this.#lingerMs + this.#requestTimeoutMs) {
      if (settings.deliveryTimeoutMs !== undefined)
        throw new ConfigException(
          'delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms',
        )
      this.#deliveryTimeoutMs = this.#lingerMs + this.#requestTimeoutMs
    } else this.#deliveryTimeoutMs = deliveryTimeout
    this.#producer = new Producer({
      ...clientOptions(settings),
      maxInflights: inFlight,
      autocreateTopics: true,
      // Java's murmur2 partitioner for keyed records, so keys land where Apache Connect would put them.
      partitioner: compatibilityPartitioner,
    })
  }

  /** How the producer reaches the brokers (for messages: its description and principal, never a secret). */
  get security(): ProducerSettings['security'] {
    return this.#settings.security
  }

  /** Whether batches carry a producer id and sequence numbers (`enable.idempotence` and its conditions). */
  get idempotent(): boolean {
    return this.#idempotent
  }

  /**
   * Sends records; resolves with the base offset of every topic-partition written once all are acknowledged (none
   * with acks=0). See the class comment.
   */
  async send(records: OutgoingRecord[]): Promise<PartitionOffset[]> {
    if (this.#closed)
      throw new KafkaClientException('IllegalStateException', 'Cannot perform operation after producer has been closed')
    if (records.length === 0) return []
    const sticky = this.#sticky++
    // Sizes first: a record too large fails the send before any of it is written.
    const sizes = new Array<number>(records.length)
    let total = 0
    for (let i = 0; i < records.length; i++) {
      const size = recordSizeUpperBound(records[i]!)
      if (size > this.#maxRequestSize)
        throw new KafkaClientException(
          'RecordTooLargeException',
          `The message is ${size} bytes when serialized which is larger than ${this.#maxRequestSize}, which is the value of the max.request.size configuration.`,
          { apiId: 'MESSAGE_TOO_LARGE' },
        )
      if (size > this.#bufferMemory)
        throw new KafkaClientException(
          'RecordTooLargeException',
          `The message is ${size} bytes when serialized which is larger than the total memory buffer you have configured with the buffer.memory configuration.`,
          { apiId: 'MESSAGE_TOO_LARGE' },
        )
      sizes[i] = size
      total += size
    }
    if (total <= this.#bufferMemory) return this.#enqueue(records, sizes, total, sticky)
    // Larger than the whole buffer: parts that each fit, queued in order.
    const parts: Promise<PartitionOffset[]>[] = []
    let start = 0
    let bytes = 0
    for (let i = 0; i <= records.length; i++) {
      if (i === records.length || bytes + sizes[i]! > this.#bufferMemory) {
        parts.push(this.#enqueue(records.slice(start, i), sizes.slice(start, i), bytes, sticky))
        start = i
        bytes = 0
      }
      if (i < records.length) bytes += sizes[i]!
    }
    const results = await Promise.all(parts)
    const first = new Map<string, PartitionOffset>()
    for (const result of results)
      for (const o of result)
        if (!first.has(`${o.topic}\u0000${o.partition}`)) first.set(`${o.topic}\u0000${o.partition}`, o)
    return [...first.values()]
  }

  async #enqueue(
    records: OutgoingRecord[],
    sizes: number[],
    bytes: number,
    sticky: number,
  ): Promise<PartitionOffset[]> {
    await this.#allocate(bytes)
    try {
      return await new Promise<PartitionOffset[]>((resolve, reject) => {
        this.#queue.push({ records, sizes, bytes, sticky, createdAt: Date.now(), resolve, reject })
        this.#queuedBytes += bytes
        this.#schedule()
      })
    } catch (e) {
      // A refusal by the broker's authorizer (metadata, produce, InitProducerId) as Apache's exception, with the ACL
      // that is missing.
      throw (
        authorizationFailure(e, {
          security: this.#settings.security,
          operation: 'WRITE',
          topics: [...new Set(records.map((r) => r.topic))],
          clusterOperation: 'IDEMPOTENT_WRITE',
        }) ?? e
      )
    } finally {
      this.#release(bytes)
    }
  }

  /** Waits until `bytes` fit in `buffer.memory` (first come, first served), at most `max.block.ms`. */
  async #allocate(bytes: number): Promise<void> {
    if (this.#memoryWaiters.length === 0 && this.#memoryUsed + bytes <= this.#bufferMemory) {
      this.#memoryUsed += bytes
      return
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        bytes,
        grant: () => {
          clearTimeout(timer)
          resolve()
        },
      }
      const timer = setTimeout(() => {
        this.#memoryWaiters = this.#memoryWaiters.filter((w) => w !== waiter)
        reject(
          new KafkaClientException(
            'BufferExhaustedException',
            `Failed to allocate ${bytes} bytes within the configured max blocking time ${this.#maxBlockMs} ms. Total memory: ${this.#bufferMemory} bytes. Available memory: ${this.#bufferMemory - this.#memoryUsed} bytes. Poolable size: ${this.#batchBytes} bytes`,
          ),
        )
      }, this.#maxBlockMs)
      this.#memoryWaiters.push(waiter)
    })
  }

  #release(bytes: number): void {
    this.#memoryUsed -= bytes
    while (this.#memoryWaiters.length > 0) {
      const next = this.#memoryWaiters[0]!
      if (this.#memoryUsed + next.bytes > this.#bufferMemory) break
      this.#memoryWaiters.shift()
      this.#memoryUsed += next.bytes
      next.grant()
    }
  }

  /** Starts a delivery of everything queued once it is due: linger passed, `batch.size` bytes queued, or closing. */
  #schedule(): void {
    if (this.#delivering || this.#queue.length === 0) return
    if (this.#lingerMs > 0 && !this.#closed && this.#queuedBytes < this.#batchBytes) {
      const wait = this.#queue[0]!.createdAt + this.#lingerMs - Date.now()
      if (wait > 0) {
        if (this.#lingerTimer === null)
          this.#lingerTimer = setTimeout(() => {
            this.#lingerTimer = null
            this.#schedule()
          }, wait)
        return
      }
    }
    if (this.#lingerTimer !== null) {
      clearTimeout(this.#lingerTimer)
      this.#lingerTimer = null
    }
    const entries = this.#queue
    this.#queue = []
    this.#queuedBytes = 0
    this.#delivering = true
    this.#deliver(entries)
      .catch((e: unknown) => {
        for (const entry of entries) entry.reject(e)
      })
      .finally(() => {
        this.#delivering = false
        this.#schedule()
        if (!this.#delivering) for (const resolve of this.#idleWaiters.splice(0)) resolve()
      })
  }

  /** Delivers the records of some sends: partitions, batches, requests, retries; settles every send. */
  async #deliver(entries: PendingSend[]): Promise<void> {
    const started = entries[0]!.createdAt
    const deadline = started + this.#deliveryTimeoutMs
    const topics = [...new Set(entries.flatMap((e) => [...new Set(e.records.map((r) => r.topic))]))]
    let metadata = await this.#partitionMetadata(topics, started)

    // Each record's partition, chosen once: a batch sent again stays where its sequence numbers are.
    const partitions = new Map<
      string,
      { topic: string; partition: number; records: OutgoingRecord[]; sizes: number[] }
    >()
    /** Per send: per topic-partition, the indexes of its first and last records there. */
    const spans: Array<Map<string, { first: number; last: number }>> = entries.map(() => new Map())
    const refused = new Map<PendingSend, unknown>()
    for (let e = 0; e < entries.length; e++) {
      const entry = entries[e]!
      for (let i = 0; i < entry.records.length; i++) {
        const r = entry.records[i]!
        const count = metadata.topics.get(r.topic)!.partitionsCount
        let partition: number
        if (r.partition !== undefined) {
          if (r.partition < 0 || r.partition >= count) {
            refused.set(
              entry,
              new KafkaClientException(
                'TimeoutException',
                `Partition ${r.partition} of topic ${r.topic} with partition count ${count} is not present in metadata after ${this.#maxBlockMs} ms.`,
              ),
            )
            break
          }
          partition = r.partition
        } else if (r.key === null) partition = entry.sticky % count
        else partition = (compatibilityPartitioner(undefined as never, r.key as never) as number) % count
        const key = `${r.topic}\u0000${partition}`
        let list = partitions.get(key)
        if (!list) {
          list = { topic: r.topic, partition, records: [], sizes: [] }
          partitions.set(key, list)
        }
        const span = spans[e]!.get(key)
        if (span) span.last = list.records.length
        else spans[e]!.set(key, { first: list.records.length, last: list.records.length })
        list.records.push(r)
        list.sizes.push(entry.sizes[i]!)
      }
    }
    if (refused.size > 0) {
      // A send naming a partition the topic does not have fails alone; the others go without it.
      for (const [entry, error] of refused) entry.reject(error)
      const rest = entries.filter((e) => !refused.has(e))
      if (rest.length > 0) await this.#deliver(rest)
      return
    }

    if (this.#idempotent) await this.#prepareProducerId()
    const now = Date.now()
    const batches: Batch[] = []
    const byPartition = new Map<string, Batch[]>()
    for (const [key, p] of partitions) {
      const list: Batch[] = []
      let start = 0
      let bytes = RECORD_BATCH_OVERHEAD
      for (let i = 0; i <= p.records.length; i++) {
        const size = i < p.records.length ? p.sizes[i]! - RECORD_BATCH_OVERHEAD : 0
        if (i === p.records.length || (i > start && bytes + size > this.#batchBytes)) {
          list.push(this.#newBatch(p.topic, p.partition, p.records.slice(start, i), start, now))
          start = i
          bytes = RECORD_BATCH_OVERHEAD
        }
        bytes += size
      }
      byPartition.set(key, list)
      batches.push(...list)
    }

    let pending = batches
    let newIdRequested = false
    /** Rounds after which a batch was to be sent again (the others held batches back, or sent none). */
    let retries = 0
    let retry = false
    while (pending.length > 0) {
      if (retry) {
        const wait = retryBackoff(this.#settings, ++retries)
        if (Date.now() + wait >= deadline) {
          for (const b of pending) this.#expire(b, started)
          break
        }
        await this.#sleep(wait)
        if (this.#closed) {
          for (const b of pending)
            this.#fail(b, new KafkaClientException('KafkaException', 'Producer is closed forcefully.'))
          break
        }
        try {
          metadata = await this.#producer.metadata({ topics, autocreateTopics: true, forceUpdate: true })
        } catch (e) {
          for (const b of pending) b.error = e
          pending = this.#retriable(pending, deadline, started)
          continue
        }
      }
      const outcome = await this.#sendRound(pending, metadata, deadline)
      // Batches held back wait for their partition's first answer, not for a backoff.
      retry = pending.some((b) => !b.done && !outcome.held.has(b))
      if (outcome.newId) {
        if (newIdRequested) {
          for (const b of pending) if (!b.done) this.#fail(b, b.error)
          break
        }
        newIdRequested = true
      }
      pending = this.#retriable(
        pending.filter((b) => !b.done),
        deadline,
        started,
      )
      if (pending.length === 0) break
      if (this.#idempotent && (outcome.newId || (outcome.bump && !pending.some((b) => b.unknownFate)))) {
        // New epoch (or producer id): every pending batch gets sequences again, from 0, in partition order.
        if (outcome.newId || this.#epoch >= 32767) await this.#initProducerId()
        else this.#epoch++
        this.#resetSequences()
        this.#needsBump = false
        for (const list of byPartition.values()) {
          // A batch behind which a later one of its partition was written would now be written after it: it fails
          // instead (the broker lost the producer's state there, so it took a later sequence first).
          const lastWritten = list.findLastIndex((b) => b.done && b.error === null)
          for (let i = 0; i < list.length; i++) {
            const b = list[i]!
            if (b.done) continue
            if (i < lastWritten) {
              this.#fail(
                b,
                new KafkaClientException(
                  'OutOfOrderSequenceException',
                  `The broker received an out of order sequence number (${b.topic}-${b.partition}): a later batch of the partition was written first`,
                  { apiId: 'OUT_OF_ORDER_SEQUENCE_NUMBER', cause: b.error },
                ),
              )
              continue
            }
            b.sequence = this.#nextSequence(b.topic, b.partition, b.records.length)
            stampProducer(b.encoded, this.#producerId, this.#epoch, b.sequence)
          }
        }
        pending = pending.filter((b) => !b.done)
      }
    }
    if (batches.some((b) => b.error !== null && b.sequence >= 0)) this.#needsBump = true

    // Settle each send: its first offset in each partition, or the first error of its batches.
    const acked = new Set<string>()
    for (let e = 0; e < entries.length; e++) {
      const entry = entries[e]!
      const offsets: PartitionOffset[] = []
      let error: unknown = null
      for (const [key, { first, last }] of spans[e]!) {
        const list = byPartition.get(key)!
        for (const b of list) {
          if (b.start > last || b.start + b.records.length <= first) continue
          if (b.error !== null) error ??= b.error
          else if (first >= b.start && first < b.start + b.records.length && b.baseOffset >= 0)
            offsets.push({ topic: b.topic, partition: b.partition, offset: b.baseOffset + first - b.start })
        }
        if (error === null) acked.add(list[0]!.topic)
      }
      if (error !== null) entry.reject(error)
      else entry.resolve(offsets)
    }
    for (const t of acked) this.#topics.report(t)
  }

  #newBatch(topic: string, partition: number, records: OutgoingRecord[], start: number, now: number): Batch {
    const sequence = this.#idempotent ? this.#nextSequence(topic, partition, records.length) : -1
    const encoded =
      this.#compression === 'none' && !this.#idempotent
        ? encodeRecordBatch(records, now)
        : encodeRecordBatch(records, now, {
            producerId: this.#producerId,
            producerEpoch: this.#epoch,
            baseSequence: sequence,
            compression: this.#compression,
            level: this.#level,
          })
    return {
      topic,
      partition,
      records,
      start,
      encoded,
      sequence,
      baseOffset: -1,
      done: false,
      error: null,
      attempts: 0,
      unknownFate: false,
    }
  }

  /** A new producer id or epoch: every partition's sequence starts again at 0, unacknowledged. */
  #resetSequences(): void {
    this.#sequences.clear()
    this.#acknowledged.clear()
  }

  #nextSequence(topic: string, partition: number, count: number): number {
    const key = `${topic}\u0000${partition}`
    const sequence = this.#sequences.get(key) ?? 0
    // Sequences wrap at 2^31 as Java's (DefaultRecordBatch.incrementSequence).
    this.#sequences.set(key, (sequence + count) % 2147483648)
    return sequence
  }

  /** The batches still worth sending: retriable, not sent `retries` times yet; the others fail or expire. */
  #retriable(batches: Batch[], deadline: number, started: number): Batch[] {
    const out: Batch[] = []
    for (const b of batches) {
      if (b.done) continue
      if (b.attempts > this.#retries) this.#fail(b, b.error)
      else if (Date.now() >= deadline) this.#expire(b, started)
      else out.push(b)
    }
    return out
  }

  #fail(b: Batch, error: unknown): void {
    b.done = true
    b.error = error ?? new KafkaClientException('KafkaException', `Failed to send to ${b.topic}-${b.partition}`)
  }

  #expire(b: Batch, started: number): void {
    b.done = true
    b.error = new KafkaClientException(
      'TimeoutException',
      `Expiring ${b.records.length} record(s) for ${b.topic}-${b.partition}:${Date.now() - started} ms has passed since batch creation`,
      { cause: b.error, canRetry: true },
    )
  }

  /**
   * One round: the pending batches grouped by leader, and per leader into requests of at most `max.request.size`
   * holding one batch per partition (a partition's batches in sequence order, in successive requests on one
   * connection). Of a partition with no acknowledged sequence yet (`#acknowledged`), only the first batch goes; the
   * others are held back for the next round. Marks each batch done, failed or to retry; tells whether the epoch or
   * the producer id must change, and which batches were held back.
   */
  async #sendRound(
    pending: Batch[],
    metadata: ClusterMetadata,
    deadline: number,
  ): Promise<{ bump: boolean; newId: boolean; held: Set<Batch> }> {
    let bump = false
    let newId = false
    const held = new Set<Batch>()
    if (this.#idempotent) {
      const first = new Map<string, Batch>()
      for (const b of pending) {
        const key = `${b.topic}\u0000${b.partition}`
        if (this.#acknowledged.has(key)) continue
        const f = first.get(key)
        if (f === undefined || b.start < f.start) {
          if (f !== undefined) held.add(f)
          first.set(key, b)
        } else held.add(b)
      }
    }
    const byLeader = new Map<number, Map<string, Batch[]>>()
    for (const b of pending) {
      if (held.has(b)) continue
      const leader = metadata.topics.get(b.topic)?.partitions[b.partition]?.leader ?? -1
      if (leader < 0 || !metadata.brokers.has(leader)) {
        b.attempts++
        b.error = new KafkaClientException(
          'NotLeaderOrFollowerException',
          `No leader known for ${b.topic}-${b.partition}`,
          { apiId: 'LEADER_NOT_AVAILABLE', canRetry: true },
        )
        continue
      }
      let byPartition = byLeader.get(leader)
      if (!byPartition) {
        byPartition = new Map()
        byLeader.set(leader, byPartition)
      }
      const key = `${b.topic}\u0000${b.partition}`
      const list = byPartition.get(key)
      if (list) list.push(b)
      else byPartition.set(key, [b])
    }
    /** Per partition: a batch before this one failed or went unanswered in this round. */
    const broken = new Set<string>()
    await Promise.all(
      [...byLeader].map(async ([node, byPartition]) => {
        const requests: Batch[][] = []
        const requestBytes: number[] = []
        for (const list of byPartition.values()) {
          list.sort((a, b) => a.start - b.start)
          let r = 0
          for (const b of list) {
            // One batch per partition per request; a request holds at most max.request.size (always one batch).
            while (requests[r] !== undefined && requestBytes[r]! + b.encoded.length > this.#maxRequestSize) r++
            if (requests[r] === undefined) {
              requests[r] = []
              requestBytes[r] = 0
            }
            requests[r]!.push(b)
            requestBytes[r]! += b.encoded.length
            r++
          }
        }
        let connection: Connection
        try {
          connection = await new Promise<Connection>((resolve, reject) =>
            this.#producer[kGetConnection](metadata.brokers.get(node)!, (e: Error | null, c?: Connection) =>
              e ? reject(e) : resolve(c!),
            ),
          )
        } catch (e) {
          for (const list of byPartition.values())
            for (const b of list) {
              b.attempts++
              b.error = e
            }
          return
        }
        await Promise.all(
          requests.map(async (batches) => {
            const topics = new Map<string, Array<{ index: number; batch: Buffer }>>()
            for (const b of batches) {
              b.attempts++
              const list = topics.get(b.topic)
              if (list) list.push({ index: b.partition, batch: b.encoded })
              else topics.set(b.topic, [{ index: b.partition, batch: b.encoded }])
            }
            let response: ProduceResponse | null
            try {
              response = await this.#withDeadline(
                sendProduce(
                  connection,
                  this.#acks,
                  this.#requestTimeoutMs,
                  [...topics].map(([name, partitions]) => ({ name, partitions })),
                ),
                deadline,
              )
            } catch (e) {
              const partial = (e as { response?: ProduceResponse }).response
              if (!partial?.responses) {
                // No answer: each batch may or may not have been written; sending it again under the same sequence
                // is safe with idempotence (the broker keeps the first write).
                for (const b of batches) {
                  b.error = e
                  b.unknownFate = true
                  broken.add(`${b.topic}\u0000${b.partition}`)
                }
                return
              }
              response = partial
            }
            if (response === null) {
              // acks=0: written to the socket, no offsets.
              for (const b of batches) b.done = true
              return
            }
            const codes = new Map<string, { errorCode: number; baseOffset: bigint }>()
            for (const t of response.responses)
              for (const p of t.partitionResponses) codes.set(`${t.name}\u0000${p.index}`, p)
            for (const b of batches) {
              const key = `${b.topic}\u0000${b.partition}`
              const p = codes.get(key)
              const code = p?.errorCode ?? -1
              b.unknownFate = false
              if (code === 0 || code === ERROR.DUPLICATE_SEQUENCE_NUMBER) {
                if (b.sequence >= 0) this.#acknowledged.add(key)
                b.done = true
                b.error = null
                b.baseOffset = code === 0 ? Number(p!.baseOffset) : -1
                continue
              }
              const known = protocolError(code)
              b.error =
                known.id === 'TOPIC_AUTHORIZATION_FAILED'
                  ? topicAuthorizationException([b.topic], 'WRITE', this.#settings.security)
                  : new KafkaClientException(known.id, `${known.message} (${b.topic}-${b.partition})`, {
                      apiId: known.id,
                      canRetry: known.canRetry,
                    })
              const earlierBroken = broken.has(key)
              broken.add(key)
              if (code === ERROR.OUT_OF_ORDER_SEQUENCE_NUMBER || code === ERROR.UNKNOWN_PRODUCER_ID) {
                // Retried; a real gap (no earlier batch of the partition failed in this round) needs a new epoch.
                if (!earlierBroken) bump = true
              } else if (code === ERROR.INVALID_PRODUCER_EPOCH || code === ERROR.PRODUCER_FENCED) {
                newId = true
              } else if (code === ERROR.MESSAGE_TOO_LARGE) {
                if (b.records.length === 1)
                  this.#fail(
                    b,
                    new KafkaClientException(
                      'RecordTooLargeException',
                      'The request included a message larger than the max message size the server will accept.',
                      { apiId: known.id },
                    ),
                  )
                else this.#fail(b, b.error)
              } else if (!known.canRetry) this.#fail(b, b.error)
            }
          }),
        )
      }),
    )
    return { bump, newId, held }
  }

  /** Resolves or rejects as `promise`, or rejects with a TimeoutException when the delivery deadline comes first. */
  #withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
    const left = deadline - Date.now()
    if (left > 2147483647) return promise
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new KafkaClientException('TimeoutException', 'delivery.timeout.ms passed', { canRetry: true })),
        Math.max(0, left),
      )
      promise.then(
        (v) => {
          clearTimeout(timer)
          resolve(v)
        },
        (e: unknown) => {
          clearTimeout(timer)
          reject(e)
        },
      )
    })
  }

  /**
   * Metadata that knows every topic's partitions (a topic just created by auto-creation may take a moment), waiting
   * at most `max.block.ms` as Java's producer; a broker that cannot be reached fails at once (nothing was sent).
   */
  async #partitionMetadata(topics: string[], started: number): Promise<ClusterMetadata> {
    for (let attempt = 0; ; attempt++) {
      let metadata: ClusterMetadata | null = null
      try {
        metadata = await this.#producer.metadata({ topics, autocreateTopics: true, forceUpdate: attempt > 0 })
      } catch (e) {
        if (isConnectionError(e) || !/Unknown topic|LEADER_NOT_AVAILABLE|UNKNOWN_TOPIC/i.test(allMessages(e))) throw e
      }
      const missing = topics.find((t) => (metadata?.topics.get(t)?.partitionsCount ?? 0) <= 0)
      if (metadata !== null && missing === undefined) return metadata
      const elapsed = Date.now() - started
      if (elapsed >= this.#maxBlockMs || this.#closed)
        throw new KafkaClientException(
          'TimeoutException',
          `Topic ${missing ?? topics[0]} not present in metadata after ${this.#maxBlockMs} ms.`,
          { canRetry: true },
        )
      await this.#sleep(Math.min(retryBackoff(this.#settings, attempt + 1), this.#maxBlockMs - elapsed))
    }
  }

  /** Idempotence: a producer id before the first delivery; a new epoch when a previous delivery left doubt. */
  async #prepareProducerId(): Promise<void> {
    if (this.#producerId < 0n) await this.#initProducerId()
    else if (this.#needsBump) {
      if (this.#epoch >= 32767) await this.#initProducerId()
      else this.#epoch++
      this.#resetSequences()
    }
    this.#needsBump = false
  }

  /** InitProducerId without a transactional id: a new producer id and epoch from any broker. */
  async #initProducerId(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await new Promise<{ producerId: bigint; producerEpoch: number }>((resolve, reject) => {
          this.#producer[kGetBootstrapConnection]((error: Error | null, connection?: Connection) => {
            if (error) return reject(error)
            this.#producer[kGetApi]('InitProducerId', (e: Error | null, api: unknown) => {
              if (e) return reject(e)
              ;(api as (...args: unknown[]) => void)(
                connection,
                null,
                this.#requestTimeoutMs,
                -1n,
                -1,
                (err: Error | null, r: { producerId: bigint; producerEpoch: number }) =>
                  err ? reject(err) : resolve(r),
              )
            })
          })
        })
        this.#producerId = response.producerId
        this.#epoch = response.producerEpoch
        this.#resetSequences()
        return
      } catch (e) {
        if (this.#closed || attempt > 3 || !isRetriable(e)) throw e
        await this.#sleep(retryBackoff(this.#settings, attempt))
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#abort.signal.aborted) return resolve()
      const timer = setTimeout(done, ms)
      const signal = this.#abort.signal
      function done() {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      signal.addEventListener('abort', done, { once: true })
    })
  }

  /**
   * Delivers what is queued (a linger ends at once) with one more attempt at most for each batch (retry waits end),
   * then closes the connections.
   */
  async close(): Promise<void> {
    this.#closed = true
    this.#abort.abort()
    this.#schedule()
    while (this.#delivering || this.#queue.length > 0)
      await new Promise<void>((resolve) => this.#idleWaiters.push(resolve))
    await this.#producer.close()
  }
}

function allMessages(error: unknown): string {
  const out: string[] = []
  const visit = (e: unknown, depth: number) => {
    if (e === null || typeof e !== 'object' || depth > 5) return
    out.push(String((e as Error).message ?? ''), String((e as { apiId?: string }).apiId ?? ''))
    const errors = (e as { errors?: unknown }).errors
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1)
    visit((e as { cause?: unknown }).cause, depth + 1)
  }
  visit(error, 0)
  return out.join(' ')
}

/** Whether every error underneath says the request may succeed if repeated. */
function isRetriable(error: unknown): boolean {
  if (isConnectionError(error)) return true
  const errors = (error as { errors?: unknown[] } | null)?.errors
  if (Array.isArray(errors) && errors.length > 0) return errors.every(isRetriable)
  return (error as { canRetry?: unknown } | null)?.canRetry === true
}

interface PartitionState {
  topic: string
  partition: number
  /** The next offset to fetch; null until it is known (committed offset, else `auto.offset.reset`). */
  position: number | null
  /** The position was out of range: start again where `auto.offset.reset` says, not at the committed offset. */
  reset: boolean
  /** The position found out of range (for `auto.offset.reset=none`'s error). */
  outOfRange?: number
  /** KIP-392: the replica the leader named to fetch from (`client.rack`), until `metadata.max.age.ms` passes. */
  preferred: { node: number; until: number } | null
  /** The next offset `poll` hands out; null until a fetch answered for the partition. */
  consumed: number | null
  /** The high watermark (last stable offset under read_committed) of the last fetch; -1 before one. */
  highWatermark: number
}

/** Apache's consumer defaults (`ConsumerConfig`), and Connect's `auto.offset.reset` for sink tasks. */
export const CONSUMER_DEFAULTS = {
  sessionTimeoutMs: 45000,
  heartbeatIntervalMs: 3000,
  rebalanceTimeoutMs: 300000,
  fetchMinBytes: 1,
  fetchMaxWaitMs: 500,
  maxPartitionFetchBytes: 1048576,
  fetchMaxBytes: 52428800,
  isolationLevel: 'read_uncommitted',
  autoOffsetReset: 'earliest',
} as const

/** Fetch errors after which the partition's leader is looked up again and the fetch retried. */
const RETRIABLE_FETCH_ERRORS = new Set([3, 5, 6, 9, 56, 74, 75, 78, 100])
const OFFSET_OUT_OF_RANGE = 1
const TOPIC_AUTHORIZATION_FAILED = 29
/** Consecutive failed fetches (connection errors) before the consumer reports the failure. */
const MAX_FETCH_FAILURES = 10

/**
 * A group member that subscribes to topics and hands out records in batches. Offsets are committed only by
 * `commit` (never automatically). `onRevoke` is told, and awaited, before every rejoin; `onAssignment` is told the
 * full assignment after every rebalance.
 *
 * Group membership is `GroupMember`'s (join with Java's range assignor, an eager one: every partition is revoked
 * before the member joins again; sync, heartbeats every `heartbeat.interval.ms`, commits as the member of its
 * generation, leave at close), with `group.instance.id` when set (KIP-345): a consumer that joins under the instance
 * id of a member that died takes its partitions at once, and the replaced member is fenced (FENCED_INSTANCE_ID): it
 * fails with Java's FencedInstanceIdException, drops what it fetched and commits nothing. `ensureMember` lets the
 * caller check the membership is recent before it acts on records. The client's Consumer only looks up metadata,
 * committed and listed offsets. Fetching is ours (`./fetch.ts`): one Fetch in flight per broker, `max.partition.fetch.bytes` per partition, `fetch.max.bytes`,
 * `fetch.min.bytes` and `fetch.max.wait.ms` per request, the next fetch sent while the worker still works through
 * the previous response (up to about one response per partition buffered), and records decoded only when `poll`
 * hands them out. Reads follow `isolation.level` (Apache's default read_uncommitted; read_committed skips aborted
 * transactions). A partition starts at the group's committed offset, else where `auto.offset.reset` says (earliest,
 * Connect's default for sink tasks; latest; none fails the consumer with Java's NoOffsetForPartitionException
 * message), and goes there again when its position is out of range (none: Java's OffsetOutOfRangeException).
 * With `client.rack`, fetches carry the rack (KIP-392) and a partition whose leader names a preferred read replica
 * is fetched from that replica until `metadata.max.age.ms` passes or it answers with an error. Metadata older than
 * `metadata.max.age.ms` is fetched again; failures are retried with Java's exponential backoff.
 */
export class KafkaConsumer {
  readonly #consumer: Consumer
  /**
   * Fetches have connections of their own (as the client's stream had): a broker answers one request of a connection
   * at a time, so a long-polling fetch would hold up the group's heartbeats and commits, and a JoinGroup the fetches.
   */
  readonly #fetchPool: ConnectionPool
  readonly #settings: ConsumerSettings
  readonly #fetchBytes: number
  readonly #fetchMaxBytes: number
  readonly #fetchMinBytes: number
  readonly #fetchMaxWaitMs: number
  readonly #isolationLevel: 0 | 1
  readonly #autoOffsetReset: 'earliest' | 'latest' | 'none'
  readonly #rack: string
  readonly #metadataMaxAgeMs: number
  #metadataAt = 0
  #fetchVersion: 11 | 12 = 12
  readonly #maxFetchVersion: number
  #topics: string[] = []
  /** A pattern subscription (`topics.regex`): `#topics` are the topics it matched when last looked at. */
  #pattern: RegExp | null = null
  #patternTimer: NodeJS.Timeout | null = null
  /** The subscription changed: the next heartbeat joins again instead. */
  #rejoinNeeded = false
  readonly #partitions = new Map<string, PartitionState>()
  /** Paused partitions (`topic\u0000partition`): not fetched, and what was fetched for them is kept back. */
  readonly #paused = new Set<string>()
  /** Fetched data not yet handed out, in fetch order. */
  #chunks: RecordBatchCursor[] = []
  #bufferedBytes = 0
  #metadata: ClusterMetadata | null = null
  #metadataRefresh: Promise<void> | null = null
  readonly #inflight = new Set<number>()
  #initializing = false
  #failures = 0
  #started = false
  #waiter: (() => void) | null = null
  #error: Error | null = null
  #closed = false
  readonly #topicReporter = new TopicReporter()
  readonly #member: GroupMember
  readonly #heartbeatIntervalMs: number
  #heartbeatTimer: NodeJS.Timeout | null = null
  /** The heartbeat (and rejoin it may lead to) in progress. */
  #beat: Promise<void> | null = null
  /** When the coordinator last confirmed this membership (the send time of a join or heartbeat it answered). */
  #confirmedAt = 0
  /** `onRevoke` is running: the partitions are still this member's until it resolves. */
  #revoking = false
  readonly #memberWaiters: Array<() => void> = []
  /** Another consumer took this one's group.instance.id. */
  #fencedOut = false
  #closing: Promise<void> | null = null
  onAssignment: ((assignment: Array<{ topic: string; partition: number }>) => void) | null = null
  /**
   * Told, before the consumer joins its group again, which partitions it gives up (all of them: the range assignor
   * is eager), and whether they were lost (the membership had expired, so their offsets cannot be committed); the
   * join waits for the promise, as Java's onPartitionsRevoked runs before the JoinGroup. Records fetched for them
   * are dropped once it resolves. A rejection fails the consumer (the next `poll` throws it).
   */
  onRevoke: ((revoked: Array<{ topic: string; partition: number }>, lost: boolean) => Promise<void>) | null = null

  constructor(settings: ConsumerSettings) {
    this.#settings = settings
    this.#fetchBytes = settings.maxPartitionFetchBytes ?? CONSUMER_DEFAULTS.maxPartitionFetchBytes
    this.#fetchMaxBytes = settings.fetchMaxBytes ?? CONSUMER_DEFAULTS.fetchMaxBytes
    this.#fetchMinBytes = settings.fetchMinBytes ?? CONSUMER_DEFAULTS.fetchMinBytes
    this.#fetchMaxWaitMs = settings.fetchMaxWaitMs ?? CONSUMER_DEFAULTS.fetchMaxWaitMs
    this.#isolationLevel = (settings.isolationLevel ?? CONSUMER_DEFAULTS.isolationLevel) === 'read_committed' ? 1 : 0
    this.#autoOffsetReset = settings.autoOffsetReset ?? CONSUMER_DEFAULTS.autoOffsetReset
    this.#rack = settings.clientRack ?? ''
    this.#metadataMaxAgeMs = settings.metadataMaxAgeMs ?? CLIENT_DEFAULTS.metadataMaxAgeMs
    this.#maxFetchVersion = settings.maxFetchVersion ?? 12
    this.#fetchPool = new ConnectionPool(settings.clientId, connectionOptions(settings))
    // Never joins the group (membership is #member's): metadata, committed and listed offsets, API versions.
    this.#consumer = new Consumer({
      ...clientOptions(settings),
      groupId: settings.groupId,
      isolationLevel:
        this.#isolationLevel === 1 ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
      ...(this.#rack ? { clientRack: this.#rack } : {}),
      autocommit: false,
      autocreateTopics: false,
    })
    this.#consumer.on('error', (e: Error) => this.#fail(e))
    this.#heartbeatIntervalMs = settings.heartbeatIntervalMs ?? CONSUMER_DEFAULTS.heartbeatIntervalMs
    this.#member = new GroupMember({
      ...settings,
      groupId: settings.groupId,
      protocolType: 'consumer',
      sessionTimeoutMs: settings.sessionTimeoutMs ?? CONSUMER_DEFAULTS.sessionTimeoutMs,
      rebalanceTimeoutMs: settings.rebalanceTimeoutMs ?? CONSUMER_DEFAULTS.rebalanceTimeoutMs,
      groupInstanceId: settings.groupInstanceId ?? null,
    })
  }

  /** `group.instance.id`, null for a dynamic member. */
  get groupInstanceId(): string | null {
    return this.#member.groupInstanceId
  }

  /** The member id the coordinator gave this consumer ('' while it is not a member). */
  get memberId(): string {
    return this.#member.memberId
  }

  /**
   * Joins (or joins again) and takes the assignment in. Java's consumers offer `range` first (then
   * `cooperative-sticky`): offering it lets a Ferry sink task and an Apache one share a consumer group (a mixed
   * Connect cluster, a rolling migration) instead of the second to join being refused with INCONSISTENT_GROUP_PROTOCOL.
   * The leader assigns with Java's RangeAssignor.
   */
  async #join(reason: string): Promise<void> {
    this.#confirmedAt = 0
    const sent = Date.now()
    const metadata = encodeConsumerProtocolSubscription({ version: 0, topics: this.#topics })
    const joined = await this.#member.join([{ name: 'range', metadata }], reason)
    const assignments = new Map<string, Buffer>()
    if (joined.leaderId === joined.memberId && joined.members.length > 0) {
      const members = new Map<string, { topics: string[]; groupInstanceId: string | null }>()
      for (const m of joined.members) {
        const subscription = decodeConsumerProtocolSubscription(m.metadata)
        members.set(m.memberId, { topics: subscription.topics, groupInstanceId: m.groupInstanceId })
      }
      const topics = [...new Set([...members.values()].flatMap((m) => m.topics))]
      // A topic deleted since a member subscribed gets no partitions (Java's leader leaves it out too).
      const cluster = { topics: await this.#describeTopics(topics) }
      for (const { memberId, assignments: assigned } of rangeAssigner('', members, new Set(topics), cluster)) {
        assignments.set(
          memberId,
          encodeConsumerProtocolAssignment({ version: 0, assignedPartitions: [...assigned.values()] }),
        )
      }
    }
    const mine = decodeConsumerProtocolAssignment(await this.#member.sync(assignments))
    this.#confirmedAt = sent
    const assignment: Array<{ topic: string; partition: number }> = []
    for (const a of mine.assignedPartitions)
      for (const p of a.partitions) assignment.push({ topic: a.topic, partition: p })
    const key = (tps: Array<{ topic: string; partition: number }>) =>
      tps
        .map((tp) => `${tp.topic}\u0000${tp.partition}`)
        .sort()
        .join(',')
    const computed = assignments.get(joined.memberId)
    const expected = computed
      ? decodeConsumerProtocolAssignment(computed).assignedPartitions.flatMap((a) =>
          a.partitions.map((p) => ({ topic: a.topic, partition: p })),
        )
      : null
    if (assignment.some((tp) => !this.#topics.includes(tp.topic)) || (expected && key(expected) !== key(assignment))) {
      // A static member that replaced another in a stable group is handed that member's assignment, made for the
      // other's subscription (Java's consumer checks it too): join again, as the known member, so the group
      // rebalances.
      throw new GroupError('rejoin', null, 'JoinGroup failed: the assignment does not match the subscription')
    }
    this.#assigned(assignment)
    this.onAssignment?.(assignment)
    this.#kick()
  }

  #scheduleHeartbeat(): void {
    if (this.#heartbeatTimer) clearTimeout(this.#heartbeatTimer)
    if (this.#closed || this.#error !== null) return
    this.#heartbeatTimer = setTimeout(() => void this.#heartbeat(), this.#heartbeatIntervalMs)
  }

  /** One heartbeat, and what its answer calls for: a rejoin, fencing, or a retry at the next interval. */
  #heartbeat(): Promise<void> {
    this.#beat ??= (async () => {
      try {
        if (this.#rejoinNeeded) {
          this.#rejoinNeeded = false
          await this.#rejoin(false, 'the subscribed topics changed')
          return
        }
        const sent = Date.now()
        await this.#member.heartbeat()
        this.#confirmedAt = sent
      } catch (e) {
        if (this.#closed) return
        await this.#onGroupError(e, 'heartbeat')
      } finally {
        this.#beat = null
        this.#scheduleHeartbeat()
        this.#memberNews()
      }
    })()
    return this.#beat
  }

  /** Rejoins after a rebalance or an expired membership (retrying up to the rebalance timeout); fences; fails. */
  async #onGroupError(e: unknown, what: string): Promise<void> {
    const kind = e instanceof GroupError ? e.kind : 'coordinator'
    if (kind === 'fenced') return this.#fence(e as GroupError)
    if (kind === 'fatal') return this.#fail((e as GroupError).cause as Error)
    if (kind === 'coordinator') {
      this.#member.markCoordinatorUnknown()
      await new Promise((r) => setTimeout(r, retryBackoff(this.#settings, 1)))
      return
    }
    await this.#rejoin(kind === 'unknown-member', `${what} failed: ${(e as Error).message}`)
  }

  /** Gives the partitions up and joins again, retrying up to the rebalance timeout; fences or fails on what ends it. */
  async #rejoin(lost: boolean, reason: string): Promise<void> {
    await this.#revoke(lost)
    const deadline = Date.now() + (this.#settings.rebalanceTimeoutMs ?? CONSUMER_DEFAULTS.rebalanceTimeoutMs)
    for (let attempt = 1; !this.#closed; attempt++) {
      try {
        await this.#join(reason)
        return
      } catch (error) {
        if (this.#closed) return
        const k = error instanceof GroupError ? error.kind : 'coordinator'
        if (k === 'fenced') return this.#fence(error as GroupError)
        if (k === 'fatal' || Date.now() >= deadline)
          return this.#fail(error instanceof GroupError ? (error.cause as Error) : (error as Error))
        await new Promise((r) => setTimeout(r, retryBackoff(this.#settings, attempt)))
      }
    }
  }

  /**
   * Gives every partition up before joining again (Java's onJoinPrepare with an eager assignor): the owner commits
   * what it delivered first, so the next owner starts where this one stopped. A poll in progress returns at once.
   */
  async #revoke(lost: boolean): Promise<void> {
    const held = [...this.#partitions.values()].map((p) => ({ topic: p.topic, partition: p.partition }))
    if (held.length === 0) return
    this.#revoking = true
    this.#wake()
    this.#memberNews()
    try {
      await this.onRevoke?.(held, lost)
    } catch (e) {
      this.#fail(e as Error)
    } finally {
      this.#revoking = false
    }
    this.#partitions.clear()
    this.#paused.clear()
    this.#dropChunks(() => false)
  }

  /** Another consumer took this group.instance.id: Java's FencedInstanceIdException; nothing fetched is handed out. */
  #fence(e: GroupError): void {
    this.#fencedOut = true
    this.#confirmedAt = 0
    this.#partitions.clear()
    this.#paused.clear()
    this.#dropChunks(() => false)
    this.#fail(this.#fenced(e))
  }

  #fenced(e: GroupError): Error {
    return new KafkaClientException(
      'FencedInstanceIdException',
      `The broker rejected this static consumer since another consumer with the same group.instance.id (${this.#member.groupInstanceId}) has registered with a different member.id (${e.message})`,
    )
  }

  /**
   * Makes sure the coordinator confirmed this consumer's membership within two heartbeat intervals before the caller
   * acts on what it fetched, heartbeating (and rejoining) first when it did not: after the process was paused or its
   * event loop blocked, another consumer may hold the partitions by now. A rebalance's new assignment has been taken
   * in (`onAssignment` told) when this resolves; throws the error that ended the membership (fencing).
   */
  async ensureMember(stopped?: () => boolean): Promise<void> {
    const maxAgeMs = Math.min(
      2 * this.#heartbeatIntervalMs,
      this.#settings.sessionTimeoutMs ?? CONSUMER_DEFAULTS.sessionTimeoutMs,
    )
    while (this.#started && !this.#closed && !stopped?.()) {
      if (this.#error) {
        const e = this.#error
        this.#error = null
        throw e
      }
      // While the partitions are being revoked they are still ours (the group waits for this member to rejoin),
      // and the heartbeat in progress is the rejoin waiting for the caller: deliver what was fetched.
      if (this.#revoking || Date.now() - this.#confirmedAt <= maxAgeMs) return
      // Not the heartbeat's whole promise: a rebalance it finds waits for `onRevoke`, which may wait for the caller.
      const answered = new Promise<void>((resolve) => this.#memberWaiters.push(resolve))
      void this.#heartbeat()
      await answered
    }
  }

  /** Wakes `ensureMember`: a heartbeat ended, a revocation started, the consumer failed or closed. */
  #memberNews(): void {
    for (const resolve of this.#memberWaiters.splice(0)) resolve()
  }

  /**
   * Joins the group and starts fetching; reading starts at the committed offset, else at the earliest one. A pattern
   * subscribes to the topics it matches entirely (internal topics left out), looked at again every
   * `metadata.max.age.ms`: when they changed (a topic created or deleted) the consumer joins again with the new ones,
   * as Java's consumer does.
   */
  async subscribe(
    topics: string[] | RegExp,
    onWaiting?: (reason: string) => void,
    stopped?: () => boolean,
  ): Promise<void> {
    try {
      if (topics instanceof RegExp) {
        this.#pattern = topics
        topics = await this.#matchingTopics(topics)
      }
      await this.#subscribe(topics, onWaiting, stopped)
    } catch (e) {
      // Closed while subscribing: the caller is stopping.
      if (this.#closed) return
      throw this.#authorization(e, Array.isArray(topics) ? topics : [])
    }
  }

  /** The existing topics (internal ones left out) that `pattern` matches, sorted. */
  async #matchingTopics(pattern: RegExp): Promise<string[]> {
    const topics = await this.#describeTopics(null)
    return [...topics.keys()].filter((t) => pattern.test(t)).sort()
  }

  /**
   * The partition count of each of `topics` that exists (every topic but internal ones for null), from one Metadata
   * request that does not create topics; topics that do not exist are left out instead of failing the call.
   */
  async #describeTopics(topics: string[] | null): Promise<Map<string, { partitionsCount: number }>> {
    type Answer = { topics: Array<{ name: string; errorCode: number; isInternal: boolean; partitions: unknown[] }> }
    const response = await new Promise<Answer>((resolve, reject) => {
      this.#consumer[kGetBootstrapConnection]((error: Error | null, connection?: Connection) => {
        if (error) return reject(error)
        this.#consumer[kGetApi]('Metadata', (e: Error | null, api: unknown) => {
          if (e) return reject(e)
          ;(api as (...args: unknown[]) => void)(connection, topics, false, false, (err: Error | null, r: unknown) => {
            // A topic with an error (unknown) fails the call; the answer is still in the error.
            const answer = (r ?? (err as { response?: unknown } | null)?.response) as Answer | undefined
            if (answer?.topics) resolve(answer)
            else reject(err)
          })
        })
      })
    })
    const out = new Map<string, { partitionsCount: number }>()
    for (const t of response.topics) {
      if (t.errorCode === TOPIC_AUTHORIZATION_FAILED && topics !== null)
        throw topicAuthorizationException([t.name], 'READ', this.#settings.security)
      if (t.errorCode !== 0 || (topics === null && t.isInternal)) continue
      out.set(t.name, { partitionsCount: t.partitions.length })
    }
    return out
  }

  /**
   * A pattern subscription looks at the topics again: when the matching ones changed, the next heartbeat joins the
   * group again with them (the range assignor gives out the new topics' partitions, and no longer the deleted ones').
   */
  async #checkPattern(): Promise<void> {
    const pattern = this.#pattern
    if (pattern === null || this.#closed) return
    const matching = await this.#matchingTopics(pattern)
    if (matching.join('\u0000') === [...this.#topics].sort().join('\u0000')) return
    this.#topics = matching
    this.#rejoinNeeded = true
    void this.#heartbeat()
  }

  async #subscribe(topics: string[], onWaiting?: (reason: string) => void, stopped?: () => boolean): Promise<void> {
    // Like Java's consumer (allow.auto.create.topics=true), subscribing asks the broker to create missing topics;
    // where the broker does not, wait for them to appear instead of failing. A pattern matched existing topics only.
    for (;;) {
      if (this.#pattern !== null) {
        this.#metadata = null
        break
      }
      try {
        this.#metadata = await this.#consumer.metadata({ topics, autocreateTopics: true })
        this.#metadataAt = Date.now()
        break
      } catch (e) {
        if (this.#closed || stopped?.() || !/Unknown topic/i.test(String((e as Error).message))) throw e
        onWaiting?.((e as Error).message)
        await new Promise((r) => setTimeout(r, 2000))
        if (this.#closed || stopped?.()) return
      }
    }
    // The broker's newest Fetch version the client knows (v17 for Kafka 4) tells which of ours to send.
    const api = await new Promise<{ version: number }>((resolve, reject) =>
      this.#consumer[kGetApi]('Fetch', (e: Error | null, a: unknown) =>
        e ? reject(e) : resolve(a as { version: number }),
      ),
    )
    const version = fetchVersion(Math.min(api.version, this.#maxFetchVersion))
    if (version === null)
      throw new Error(`The broker only supports Fetch up to v${api.version}; Ferry needs v11 (Kafka 2.3)`)
    this.#fetchVersion = version
    this.#topics = [...topics]
    // A coordinator that is moving or still loading the group (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, a lost
    // connection) or a rebalance is waited for, as Java's consumer does, up to max.poll.interval.ms.
    const joinDeadline = Date.now() + (this.#settings.rebalanceTimeoutMs ?? CONSUMER_DEFAULTS.rebalanceTimeoutMs)
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#join('subscribe')
        break
      } catch (e) {
        if (this.#closed || stopped?.()) return
        if (e instanceof GroupError && e.kind === 'fenced') throw this.#fenced(e)
        const retriable = e instanceof GroupError ? e.kind !== 'fatal' : isRetriable(e)
        if (!retriable || Date.now() >= joinDeadline) throw e instanceof GroupError ? (e.cause ?? e) : e
        await new Promise((r) => setTimeout(r, retryBackoff(this.#settings, attempt)))
        if (this.#closed || stopped?.()) return
      }
    }
    if (this.#closed) {
      // Joined just as the consumer was closed (which found no member to take out of the group): leave now.
      await this.#member.leave('the consumer was closed while joining')
      await this.#member.close()
      return
    }
    this.#started = true
    this.#kick()
    this.#scheduleHeartbeat()
    if (this.#pattern !== null)
      this.#patternTimer = setInterval(
        () => void this.#checkPattern().catch(() => {}), // a failed look is tried again at the next interval
        this.#metadataMaxAgeMs,
      )
  }

  /**
   * Stops fetching the partitions (Java's `pause`); records already fetched for them are kept back until they are
   * resumed. Throws IllegalStateException for a partition this consumer is not assigned. Revoked partitions are no
   * longer paused.
   */
  pause(partitions: Array<{ topic: string; partition: number }>): void {
    for (const tp of partitions) this.#paused.add(this.#assignedKey(tp))
  }

  /** Fetches the partitions again (Java's `resume`); throws IllegalStateException for one not assigned. */
  resume(partitions: Array<{ topic: string; partition: number }>): void {
    for (const tp of partitions) this.#paused.delete(this.#assignedKey(tp))
    this.#kick()
    if (this.#chunks.length > 0) this.#wake()
  }

  /** The paused partitions. */
  paused(): Array<{ topic: string; partition: number }> {
    return [...this.#paused].map((key) => {
      const p = this.#partitions.get(key)!
      return { topic: p.topic, partition: p.partition }
    })
  }

  /**
   * The next fetch of the partition starts at `offset` (Java's `seek`); what was fetched for it beyond is dropped.
   * Throws IllegalStateException for a partition this consumer is not assigned.
   */
  seek(tp: { topic: string; partition: number }, offset: number): void {
    const state = this.#partitions.get(this.#assignedKey(tp))!
    state.position = offset
    state.consumed = offset
    state.reset = false
    this.#dropChunks((c) => c.topic !== tp.topic || c.partition !== tp.partition)
    this.#kick()
  }

  #assignedKey(tp: { topic: string; partition: number }): string {
    const key = `${tp.topic}\u0000${tp.partition}`
    if (!this.#partitions.has(key))
      throw new KafkaClientException(
        'IllegalStateException',
        `No current assignment for partition ${tp.topic}-${tp.partition}`,
      )
    return key
  }

  /** Keeps the positions of partitions still assigned, forgets the others and their fetched data. */
  #assigned(assignment: Array<{ topic: string; partition: number }>): void {
    const keys = new Set<string>()
    for (const tp of assignment) {
      const key = `${tp.topic}\u0000${tp.partition}`
      keys.add(key)
      if (!this.#partitions.has(key))
        this.#partitions.set(key, {
          topic: tp.topic,
          partition: tp.partition,
          position: null,
          reset: false,
          preferred: null,
          consumed: null,
          highWatermark: -1,
        })
    }
    for (const key of [...this.#partitions.keys()]) if (!keys.has(key)) this.#partitions.delete(key)
    for (const key of [...this.#paused]) if (!keys.has(key)) this.#paused.delete(key)
    this.#dropChunks((c) => keys.has(`${c.topic}\u0000${c.partition}`))
  }

  #dropChunks(keep: (c: RecordBatchCursor) => boolean): void {
    const kept = this.#chunks.filter(keep)
    if (kept.length === this.#chunks.length) return
    this.#chunks = kept
    this.#bufferedBytes = kept.reduce((n, c) => n + c.remainingBytes, 0)
  }

  #fail(e: Error): void {
    if (this.#closed) return
    this.#error ??= this.#authorization(e)
    this.#wake()
    this.#memberNews()
  }

  /**
   * A refusal by the broker's authorizer as Apache's exception with the missing ACL (READ on topics or group); a
   * connection refused for authentication or TLS as Apache's exception naming the broker and what failed.
   */
  #authorization(e: unknown, topics: readonly string[] = this.#topics): Error {
    const security = this.#settings.security
    return (
      authorizationFailure(e, { security, operation: 'READ', topics, group: this.#settings.groupId }) ??
      connectionSecurityException(e, security) ??
      (e as Error)
    )
  }

  #wake(): void {
    const w = this.#waiter
    if (w) {
      this.#waiter = null
      w()
    }
  }

  /** Sends fetches to every leader that has none in flight, while less than one response per partition is buffered. */
  #kick(): void {
    if (!this.#started || this.#closed || this.#error !== null) return
    const unknown: PartitionState[] = []
    for (const p of this.#partitions.values()) if (p.position === null) unknown.push(p)
    if (unknown.length > 0 && !this.#initializing) {
      this.#initializing = true
      this.#initPositions(unknown).then(
        () => {
          this.#initializing = false
          this.#kick()
        },
        (e: Error) => {
          this.#initializing = false
          this.#fail(e)
        },
      )
    }
    if (this.#bufferedBytes >= this.#fetchBytes * Math.max(1, this.#partitions.size)) return
    const metadata = this.#metadata
    if (metadata === null) {
      this.#refreshMetadata()
      return
    }
    const now = Date.now()
    const byNode = new Map<number, PartitionState[]>()
    let stale = now - this.#metadataAt >= this.#metadataMaxAgeMs
    const paused = this.#paused.size > 0 ? this.#paused : null
    for (const p of this.#partitions.values()) {
      if (p.position === null || paused?.has(`${p.topic}\u0000${p.partition}`)) continue
      let node = metadata.topics.get(p.topic)?.partitions[p.partition]?.leader ?? -1
      if (p.preferred !== null) {
        if (p.preferred.until <= now) p.preferred = null
        else if (metadata.brokers.has(p.preferred.node)) node = p.preferred.node
        else {
          // A replica the metadata does not know (it came back after the metadata was read): read the metadata
          // again, as Java's consumer does, or the leader keeps naming it until metadata.max.age.ms passes.
          p.preferred = null
          stale = true
        }
      }
      if (node < 0 || !metadata.brokers.has(node)) {
        stale = true
        continue
      }
      if (this.#inflight.has(node)) continue
      const list = byNode.get(node)
      if (list) list.push(p)
      else byNode.set(node, [p])
    }
    for (const [node, partitions] of byNode) void this.#fetchFrom(metadata, node, partitions)
    if (stale) this.#refreshMetadata()
  }

  #refreshMetadata(): void {
    if (this.#metadataRefresh || this.#closed) return
    this.#metadataRefresh = (async () => {
      try {
        // A topic of a pattern subscription may have been deleted: the metadata of the ones that still match.
        if (this.#pattern !== null) await this.#checkPattern()
        this.#metadata = await this.#consumer.metadata({ topics: this.#topics, forceUpdate: true })
        this.#metadataAt = Date.now()
      } catch (e) {
        if (++this.#failures > MAX_FETCH_FAILURES) this.#fail(e as Error)
        else await new Promise((r) => setTimeout(r, retryBackoff(this.#settings, this.#failures)))
      } finally {
        this.#metadataRefresh = null
      }
      this.#kick()
    })()
  }

  async #fetchFrom(metadata: ClusterMetadata, node: number, partitions: PartitionState[]): Promise<void> {
    this.#inflight.add(node)
    const requested = new Map<string, { state: PartitionState; offset: number }>()
    const byTopic = new Map<string, FetchTopicRequest>()
    for (const p of partitions) {
      requested.set(`${p.topic}\u0000${p.partition}`, { state: p, offset: p.position! })
      let t = byTopic.get(p.topic)
      if (!t) {
        t = { topic: p.topic, partitions: [] }
        byTopic.set(p.topic, t)
      }
      t.partitions.push({ partition: p.partition, fetchOffset: p.position!, partitionMaxBytes: this.#fetchBytes })
    }
    let retry = false
    try {
      const connection = await this.#fetchPool.get(metadata.brokers.get(node)!)
      const response = await sendFetch(
        connection,
        {
          version: this.#fetchVersion,
          maxWaitMs: this.#fetchMaxWaitMs,
          minBytes: this.#fetchMinBytes,
          maxBytes: this.#fetchMaxBytes,
          isolationLevel: this.#isolationLevel,
          rackId: this.#rack,
        },
        [...byTopic.values()],
      )
      this.#failures = 0
      retry = this.#apply(response, requested, node)
    } catch (e) {
      if (this.#closed) return
      // A lost connection or a broker that went away: look the leaders up again and retry, a few times.
      if (++this.#failures > MAX_FETCH_FAILURES) this.#fail(e as Error)
      else {
        this.#metadata = null
        // A preferred replica that cannot be reached: back to the leaders.
        for (const p of partitions) if (p.preferred?.node === node) p.preferred = null
        await new Promise((r) => setTimeout(r, retryBackoff(this.#settings, this.#failures)))
      }
    } finally {
      this.#inflight.delete(node)
    }
    if (retry) {
      this.#metadata = null
      await new Promise((r) => setTimeout(r, retryBackoff(this.#settings, 1)))
    }
    this.#kick()
  }

  /** Takes a fetch response from `node` in; true when a partition's leader has to be looked up again. */
  #apply(
    response: FetchResponse,
    requested: Map<string, { state: PartitionState; offset: number }>,
    node: number,
  ): boolean {
    let stale = false
    let added = false
    for (const t of response.responses) {
      for (const p of t.partitions) {
        const key = `${t.topic}\u0000${p.partition}`
        const asked = requested.get(key)
        // Revoked (or revoked and assigned again), or repositioned, while the fetch was in flight: its data is not
        // for the current position.
        if (asked === undefined || this.#partitions.get(key) !== asked.state || asked.state.position !== asked.offset)
          continue
        const { state, offset } = asked
        const fromPreferred = state.preferred !== null && state.preferred.node === node
        if (p.errorCode === 0 && p.preferredReadReplica >= 0 && p.preferredReadReplica !== node) {
          // KIP-392: the leader names the replica to read from (it sends no records then).
          state.preferred = { node: p.preferredReadReplica, until: Date.now() + this.#metadataMaxAgeMs }
          if (p.records === null) continue
        }
        if (p.errorCode !== 0 && fromPreferred) {
          // Any error from the preferred replica (it may lag: OFFSET_OUT_OF_RANGE): back to the leader first, as Java.
          state.preferred = null
          continue
        }
        if (p.errorCode === 0) {
          state.highWatermark = this.#isolationLevel === 1 ? p.lastStableOffset : p.highWatermark
          if (state.consumed === null) state.consumed = offset
          if (p.records === null) continue
          const cursor = new RecordBatchCursor(t.topic, p.partition, p.records, offset, p.abortedTransactions)
          state.position = cursor.nextOffset
          if (cursor.remainingBytes > 0) {
            this.#chunks.push(cursor)
            this.#bufferedBytes += cursor.remainingBytes
            added = true
          }
        } else if (p.errorCode === OFFSET_OUT_OF_RANGE) {
          state.position = null
          state.consumed = null
          state.reset = true
          state.outOfRange = offset
        } else if (RETRIABLE_FETCH_ERRORS.has(p.errorCode)) {
          stale = true
        } else if (p.errorCode === TOPIC_AUTHORIZATION_FAILED) {
          this.#fail(topicAuthorizationException([t.topic], 'READ', this.#settings.security))
        } else {
          const known = protocolError(p.errorCode)
          this.#fail(
            new KafkaClientException(
              known.id,
              `Fetch of ${t.topic}-${p.partition} at offset ${offset} failed: ${known.message} (error code ${p.errorCode})`,
              { apiId: known.id, canRetry: known.canRetry },
            ),
          )
        }
      }
    }
    if (added) this.#wake()
    return stale
  }

  /** Sets the positions of newly assigned partitions: the committed offset, else where `auto.offset.reset` says. */
  async #initPositions(partitions: PartitionState[]): Promise<void> {
    const positions = new Map<PartitionState, number>()
    const committed = partitions.filter((p) => !p.reset)
    if (committed.length > 0) {
      const topics = new Map<string, number[]>()
      for (const p of committed) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition])
      const offsets = await this.#consumer.listCommittedOffsets({
        topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
      })
      for (const p of committed) {
        const o = offsets.get(p.topic)?.[p.partition]
        if (typeof o === 'bigint' && o >= 0n) positions.set(p, Number(o))
      }
    }
    const unknown = partitions.filter((p) => !positions.has(p))
    if (unknown.length > 0) {
      if (this.#autoOffsetReset === 'none') {
        const outOfRange = unknown.find((p) => p.reset)
        if (outOfRange)
          throw new KafkaClientException(
            'OffsetOutOfRangeException',
            `Fetch position FetchPosition{offset=${outOfRange.outOfRange}, offsetEpoch=Optional.empty} is out of range for partition ${outOfRange.topic}-${outOfRange.partition}`,
          )
        throw new KafkaClientException(
          'NoOffsetForPartitionException',
          `Undefined offset with no reset policy for partitions: [${unknown.map((p) => `${p.topic}-${p.partition}`).join(', ')}]`,
        )
      }
      const topics = new Map<string, number[]>()
      for (const p of unknown) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition])
      const offsets = await this.#consumer.listOffsets({
        topics: [...topics.keys()],
        partitions: Object.fromEntries(topics),
        timestamp: this.#autoOffsetReset === 'latest' ? -1n : -2n,
        isolationLevel:
          this.#isolationLevel === 1 ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
      })
      for (const p of unknown) {
        const o = offsets.get(p.topic)?.[p.partition]
        if (typeof o !== 'bigint' || o < 0n)
          throw new Error(`No ${this.#autoOffsetReset} offset for ${p.topic}-${p.partition}`)
        positions.set(p, Number(o))
      }
    }
    for (const [p, offset] of positions) {
      // Still the same assignment of the partition, and not positioned meanwhile.
      if (this.#partitions.get(`${p.topic}\u0000${p.partition}`) === p && p.position === null) {
        p.position = offset
        p.reset = false
      }
    }
  }

  /** Up to `max` buffered records, waiting at most `timeoutMs` for the first one. Throws a fetch error once. */
  async poll(max: number, timeoutMs: number): Promise<IncomingRecord[]> {
    if (this.#paused.size > 0) return this.#pollUnpaused(max, timeoutMs)
    if (this.#chunks.length === 0 && !this.#error) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#waiter = null
          resolve()
        }, timeoutMs)
        this.#waiter = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
    if (this.#error) {
      const e = this.#error
      this.#error = null
      throw e
    }
    const out: IncomingRecord[] = []
    const chunks = this.#chunks
    let done = 0
    while (out.length < max && done < chunks.length) {
      const chunk = chunks[done]!
      const before = chunk.remainingBytes
      this.#topicReporter.report(chunk.topic)
      this.#take(chunk, out, max)
      this.#bufferedBytes -= before - chunk.remainingBytes
      if (out.length < max) {
        // The chunk is exhausted.
        this.#bufferedBytes -= chunk.remainingBytes
        done++
      }
    }
    if (done > 0) chunks.splice(0, done)
    if (chunks.length === 0) this.#bufferedBytes = 0
    this.#kick()
    return out
  }

  /** Moves records of `chunk` into `out` until it holds `max`; the partition's `consumed` (for `maxLag`) follows. */
  #take(chunk: RecordBatchCursor, out: IncomingRecord[], max: number): void {
    const from = out.length
    while (out.length < max) {
      const r = chunk.next()
      if (r === null) break
      out.push(r)
    }
    if (out.length > from) {
      const state = this.#partitions.get(`${chunk.topic}\u0000${chunk.partition}`)
      if (state) state.consumed = out[out.length - 1]!.offset + 1
    }
  }

  /**
   * The most records any assigned partition has beyond what `poll` has handed out: the high watermark (the last
   * stable offset under read_committed) of its last fetch minus the next offset `poll` hands out, as Java's
   * `records-lag`. 0 before any fetch answered.
   */
  maxLag(): number {
    let max = 0
    for (const p of this.#partitions.values()) {
      if (p.consumed === null || p.highWatermark < 0) continue
      const lag = p.highWatermark - p.consumed
      if (lag > max) max = lag
    }
    return max
  }

  /** `poll` while partitions are paused: their records stay buffered, in order, for after they are resumed. */
  async #pollUnpaused(max: number, timeoutMs: number): Promise<IncomingRecord[]> {
    const paused = this.#paused
    const deliverable = () => this.#chunks.some((c) => !paused.has(`${c.topic}\u0000${c.partition}`))
    const deadline = Date.now() + timeoutMs
    while (!deliverable() && !this.#error && !this.#closed && paused.size > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(
          () => {
            this.#waiter = null
            resolve()
          },
          Math.max(0, deadline - Date.now()),
        )
        this.#waiter = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
    if (this.#error) {
      const e = this.#error
      this.#error = null
      throw e
    }
    const out: IncomingRecord[] = []
    const kept: RecordBatchCursor[] = []
    for (const chunk of this.#chunks) {
      if (out.length >= max || paused.has(`${chunk.topic}\u0000${chunk.partition}`)) {
        kept.push(chunk)
        continue
      }
      const before = chunk.remainingBytes
      this.#topicReporter.report(chunk.topic)
      this.#take(chunk, out, max)
      this.#bufferedBytes -= before - chunk.remainingBytes
      // An exhausted chunk is dropped.
      if (out.length < max) this.#bufferedBytes -= chunk.remainingBytes
      else kept.push(chunk)
    }
    this.#chunks = kept
    if (kept.length === 0) this.#bufferedBytes = 0
    this.#kick()
    return out
  }

  /** Commits the next offsets to read for each partition. */
  async commit(offsets: PartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return
    try {
      await this.#member.commit(offsets)
    } catch (e) {
      if (e instanceof GroupError && e.kind === 'fenced') {
        this.#fence(e)
        throw this.#fenced(e)
      }
      // A rebalance or an expired membership: the heartbeat takes the group back; these offsets are not committed.
      if (e instanceof GroupError && e.kind !== 'fatal') {
        if (e.kind === 'coordinator') this.#member.markCoordinatorUnknown()
        else void this.#heartbeat()
      }
      throw this.#authorization(e instanceof GroupError ? (e.cause ?? e) : e, [...new Set(offsets.map((o) => o.topic))])
    }
  }

  /** Leaves the group and closes; a `subscribe` still joining returns at once. Calls after the first wait for it. */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#closed = true
    if (this.#heartbeatTimer) clearTimeout(this.#heartbeatTimer)
    if (this.#patternTimer) clearInterval(this.#patternTimer)
    this.#wake()
    this.#memberNews()
    try {
      // A fenced member has nothing to leave; any other leaves, so its partitions move at once (a static member too),
      // also one still joining (the group would wait for it until its session expired).
      if (!this.#fencedOut && this.#member.memberId !== '') await this.#member.leave('the consumer is being closed')
      await this.#member.close()
      await this.#consumer.close(true)
    } finally {
      await this.#fetchPool.close()
    }
  }
}

/** What `KafkaAdmin.topicAuthorizedOperations` says of a topic. */
export type TopicAccess = { exists: boolean; operations: Set<AclOperation> | null } | 'denied'

/** Topic administration for the worker. */
export class KafkaAdmin {
  readonly #admin: Admin
  readonly #security: AdminSettings['security']

  constructor(settings: AdminSettings) {
    this.#admin = new Admin(clientOptions(settings))
    this.#security = settings.security
  }

  async listTopics(): Promise<string[]> {
    return this.#admin.listTopics()
  }

  async createTopic(
    name: string,
    partitions = 1,
    replicationFactor = -1,
    configs: Record<string, string> = {},
  ): Promise<void> {
    try {
      await this.#admin.createTopics({
        topics: [name],
        partitions,
        replicas: replicationFactor,
        configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
      })
    } catch (e) {
      throw authorizationFailure(e, { security: this.#security, operation: 'CREATE', topics: [name] }) ?? e
    }
  }

  /** Deletes topics. */
  async deleteTopics(names: string[]): Promise<void> {
    await this.#admin.deleteTopics({ topics: names })
  }

  /** The earliest and the next offset of every partition of a topic. */
  async offsets(topic: string): Promise<Array<{ partition: number; start: number; end: number }>> {
    const metadata = await this.#admin.metadata({ topics: [topic] })
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0
    const ask = async (timestamp: bigint) => {
      const partitions = Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp }))
      const result = await this.#admin.listOffsets({ topics: [{ name: topic, partitions }] })
      const out = new Map<number, number>()
      for (const t of result) for (const p of t.partitions) out.set(p.partitionIndex, Number(p.offset))
      return out
    }
    const [start, end] = await Promise.all([ask(-2n), ask(-1n)])
    return [...end].map(([partition, e]) => ({ partition, start: start.get(partition) ?? 0, end: e }))
  }

  /**
   * Whether each topic exists and what the principal may do on it (KIP-430's topic_authorized_operations, from a
   * Metadata request that asks for them; they come for topics that do not exist too; null when the broker did not
   * say), or `'denied'` for a topic the principal may not even describe.
   */
  async topicAuthorizedOperations(topics: string[]): Promise<Map<string, TopicAccess>> {
    const response = await new Promise<{
      topics: Array<{ name: string; errorCode: number; topicAuthorizedOperations: number }>
    }>((resolve, reject) => {
      this.#admin[kGetBootstrapConnection]((error: Error | null, connection?: Connection) => {
        if (error) return reject(error)
        this.#admin[kGetApi]('Metadata', (e: Error | null, api: unknown) => {
          if (e)
            return reject(e)
            // topics, allow_auto_topic_creation=false, include_topic_authorized_operations=true (v8+)
          ;(api as (...args: unknown[]) => void)(connection, topics, false, true, (err: Error | null, r: unknown) => {
            // A topic with an error (unknown, not authorized) fails the call; its answer is still in the error.
            const answer = (r ?? (err as { response?: unknown } | null)?.response) as
              | { topics: Array<{ name: string; errorCode: number; topicAuthorizedOperations: number }> }
              | undefined
            if (answer?.topics) resolve(answer)
            else reject(err)
          })
        })
      })
    })
    const out = new Map<string, TopicAccess>()
    for (const t of response.topics)
      out.set(
        t.name,
        t.errorCode === 29
          ? 'denied'
          : { exists: t.errorCode !== 3, operations: authorizedOperations(t.topicAuthorizedOperations) },
      )
    return out
  }

  /**
   * What the principal may do on a group (DescribeGroups' authorized_operations, asked of the group's coordinator);
   * `'denied'` without DESCRIBE on it. Sent without the library's Admin.describeGroups, which reads every member's
   * metadata as a consumer's and cannot read a Connect group's.
   */
  async groupAuthorizedOperations(group: string): Promise<Set<AclOperation> | null | 'denied'> {
    const bootstrap = await new Promise<Connection>((resolve, reject) =>
      this.#admin[kGetBootstrapConnection]((e: Error | null, c?: Connection) => (e ? reject(e) : resolve(c!))),
    )
    let found: { nodeId?: number; host: string; port: number; errorCode: number }
    try {
      const response = await this.#call<{
        coordinators?: Array<{ host: string; port: number; errorCode: number }>
        host?: string
        port?: number
        errorCode?: number
      }>('FindCoordinator', bootstrap, FindCoordinatorKeyTypes.GROUP, [group])
      found = (response.coordinators?.[0] ?? response) as typeof found
    } catch (e) {
      if (kafkaErrorIds(e).includes('GROUP_AUTHORIZATION_FAILED')) return 'denied'
      throw e
    }
    if (found.errorCode !== 0)
      throw new Error(`FindCoordinator for group ${group} failed with error ${found.errorCode}`)
    const coordinator = await new Promise<Connection>((resolve, reject) =>
      this.#admin[kGetConnection]({ host: found.host, port: found.port }, (e: Error | null, c?: Connection) =>
        e ? reject(e) : resolve(c!),
      ),
    )
    try {
      const response = await this.#call<{ groups: Array<{ authorizedOperations: number }> }>(
        'DescribeGroups',
        coordinator,
        [group],
        true,
      )
      const bits = response.groups[0]?.authorizedOperations
      return typeof bits === 'number' ? authorizedOperations(bits) : null
    } catch (e) {
      if (kafkaErrorIds(e).includes('GROUP_AUTHORIZATION_FAILED')) return 'denied'
      throw e
    }
  }

  /** Sends one request of the newest version both sides know. */
  #call<T>(apiName: string, connection: Connection, ...args: unknown[]): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      this.#admin[kGetApi](apiName, (e: Error | null, api: unknown) => {
        if (e) return reject(e)
        ;(api as (...a: unknown[]) => void)(connection, ...args, (err: Error | null, r: T) =>
          err ? reject(err) : resolve(r),
        )
      }),
    )
  }

  /** The cluster id the brokers report. */
  async clusterId(): Promise<string> {
    return (await this.#admin.metadata({ topics: [] })).id
  }

  /** A consumer group's committed offsets (partitions without a committed offset are left out). */
  async consumerGroupOffsets(groupId: string): Promise<PartitionOffset[]> {
    const groups = await this.#admin.listConsumerGroupOffsets({ groups: [groupId] })
    const out: PartitionOffset[] = []
    for (const g of groups)
      for (const t of g.topics)
        for (const p of t.partitions) {
          if (p.committedOffset >= 0n)
            out.push({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset) })
        }
    return out
  }

  /** Commits offsets for a group that has no active members (Kafka refuses otherwise: UNKNOWN_MEMBER_ID). */
  async alterConsumerGroupOffsets(groupId: string, offsets: PartitionOffset[]): Promise<void> {
    const topics = new Map<string, Array<{ partition: number; offset: bigint }>>()
    for (const o of offsets) {
      const list = topics.get(o.topic) ?? []
      list.push({ partition: o.partition, offset: BigInt(o.offset) })
      topics.set(o.topic, list)
    }
    await this.#admin.alterConsumerGroupOffsets({
      groupId,
      topics: [...topics].map(([name, partitionOffsets]) => ({ name, partitionOffsets })),
    })
  }

  /** Removes a group's committed offsets for some partitions (GROUP_SUBSCRIBED_TO_TOPIC while members consume them). */
  async deleteConsumerGroupOffsets(
    groupId: string,
    partitions: Array<{ topic: string; partition: number }>,
  ): Promise<void> {
    const topics = new Map<string, number[]>()
    for (const p of partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition])
    await this.#admin.deleteConsumerGroupOffsets({
      groupId,
      topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
    })
  }

  /** Deletes a consumer group; resolves when it did not exist. Fails with NON_EMPTY_GROUP while it has members. */
  async deleteConsumerGroup(groupId: string): Promise<void> {
    try {
      await this.#admin.deleteGroups({ groups: [groupId] })
    } catch (e) {
      if (kafkaErrorIds(e).includes('GROUP_ID_NOT_FOUND')) return
      throw e
    }
  }

  /** How many records a topic holds (end minus start offsets; exact for topics without transactions or compaction). */
  async recordCount(topic: string): Promise<number> {
    return (await this.offsets(topic)).reduce((n, p) => n + p.end - p.start, 0)
  }

  async close(): Promise<void> {
    await this.#admin.close()
  }
}

/** The Kafka protocol error ids (`GROUP_ID_NOT_FOUND`, `NON_EMPTY_GROUP`, ...) in an error from the client. */
export function kafkaErrorIds(error: unknown): string[] {
  const out: string[] = []
  const visit = (e: unknown, depth: number) => {
    if (e === null || typeof e !== 'object' || depth > 5) return
    const id = (e as { apiId?: unknown }).apiId
    if (typeof id === 'string') out.push(id)
    const errors = (e as { errors?: unknown }).errors
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1)
    visit((e as { cause?: unknown }).cause, depth + 1)
  }
  visit(error, 0)
  return out
}

/** True when the error means the broker could not be reached (as opposed to a refusal by the broker). */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code ?? ''
  if (code === 'PLT_KFK_NETWORK' || code === 'PLT_KFK_TIMEOUT') return true
  // A producer delivery that timed out because the brokers could not be reached.
  if (error instanceof KafkaClientException && error.name === 'TimeoutException' && error.cause !== undefined)
    return isConnectionError(error.cause)
  const errors = (error as { errors?: unknown[] } | null)?.errors
  return Array.isArray(errors) && errors.length > 0 && errors.every(isConnectionError)
}

/**
 * Java's `RangeAssignor`: per topic, the members subscribed to it in Java's `MemberInfo` order (static members by
 * group.instance.id first, then dynamic ones by member id); each gets `partitions / members` consecutive partitions
 * and the first `partitions % members` one more.
 */
export function rangeAssigner(
  _current: string,
  members: Map<string, { topics?: string[] | undefined; groupInstanceId?: string | null | undefined }>,
  _topics: Set<string>,
  metadata: { topics: Map<string, { partitionsCount: number }> },
): Array<{ memberId: string; assignments: Map<string, { topic: string; partitions: number[] }> }> {
  const out = new Map<string, Map<string, { topic: string; partitions: number[] }>>()
  for (const id of members.keys()) out.set(id, new Map())
  const subscribers = new Map<string, string[]>()
  for (const [id, m] of members)
    for (const topic of m.topics ?? []) subscribers.set(topic, [...(subscribers.get(topic) ?? []), id])
  for (const [topic, ids] of subscribers) {
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0
    ids.sort((a, b) => {
      const ia = members.get(a)?.groupInstanceId ?? null
      const ib = members.get(b)?.groupInstanceId ?? null
      if (ia !== null && ib !== null) return ia < ib ? -1 : ia > ib ? 1 : 0
      if (ia !== null) return -1
      if (ib !== null) return 1
      return a < b ? -1 : a > b ? 1 : 0
    })
    const per = Math.floor(count / ids.length)
    const extra = count % ids.length
    ids.forEach((id, i) => {
      const start = per * i + Math.min(i, extra)
      const length = per + (i < extra ? 1 : 0)
      if (length > 0) out.get(id)!.set(topic, { topic, partitions: Array.from({ length }, (_, k) => start + k) })
    })
  }
  return [...out].map(([memberId, assignments]) => ({ memberId, assignments }))
}
