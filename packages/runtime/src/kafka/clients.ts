/**
 * The only module that talks to the Kafka client library (@platformatic/kafka). Everything else in Ferry sees the
 * small interfaces below, so the client can be swapped or upgraded in one place.
 */
import {
  Admin,
  Consumer,
  compatibilityPartitioner,
  type Message,
  type MessagesStream,
  ProduceAcks,
  Producer,
} from '@platformatic/kafka'

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

export interface ClientSettings {
  bootstrapServers: string[]
  clientId: string
  /** Milliseconds for one request before it counts as failed. */
  requestTimeoutMs?: number
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

function baseOptions(s: ClientSettings) {
  return {
    clientId: s.clientId,
    bootstrapBrokers: s.bootstrapServers,
    timeout: s.requestTimeoutMs ?? 30000,
    retries: 3,
    retryDelay: 250,
  }
}

/** Produces batches; resolves when every record of the batch is acked by all in-sync replicas (acks=all). */
export class KafkaProducer {
  readonly #producer: Producer

  constructor(settings: ClientSettings) {
    this.#producer = new Producer({
      ...baseOptions(settings),
      acks: ProduceAcks.ALL,
      idempotent: false,
      autocreateTopics: true,
      // Java's murmur2 partitioner for keyed records, so keys land where Apache Connect would put them.
      partitioner: compatibilityPartitioner,
    })
  }

  // Keyless records of one batch go to one partition (Java's sticky partitioning); the next batch takes the next.
  #sticky = 0

  /** Sends one batch; returns the base offset of every topic-partition written. */
  async send(records: OutgoingRecord[]): Promise<PartitionOffset[]> {
    const messages = new Array(records.length)
    const sticky = this.#sticky++
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!
      let headers: Map<Buffer, Buffer> | undefined
      if (r.headers && r.headers.length > 0) {
        headers = new Map()
        // Distinct Buffer objects as keys keep repeated header names (a Connect header list is a multimap).
        for (const [k, v] of r.headers) headers.set(Buffer.from(k), v ?? EMPTY)
      }
      messages[i] = {
        topic: r.topic,
        // The client reduces an out-of-range number modulo the topic's partition count.
        partition: r.partition ?? (r.key === null ? sticky : undefined),
        key: r.key ?? undefined,
        value: r.value ?? undefined,
        timestamp: r.timestamp === undefined ? undefined : BigInt(r.timestamp),
        headers,
      }
    }
    const result = await this.#producer.send({ messages })
    return (result.offsets ?? []).map((o) => ({ topic: o.topic, partition: o.partition, offset: Number(o.offset) }))
  }

  async close(): Promise<void> {
    await this.#producer.close()
  }
}

const EMPTY = Buffer.alloc(0)

export interface ConsumerSettings extends ClientSettings {
  groupId: string
  sessionTimeoutMs?: number
  heartbeatIntervalMs?: number
  rebalanceTimeoutMs?: number
  /** Records buffered before the client stops fetching. */
  maxBuffered?: number
}

/**
 * A group member that subscribes to topics and hands out records in batches. Offsets are committed only by
 * `commit` (never automatically). `onAssignment` is told the full assignment after every rebalance.
 */
export class KafkaConsumer {
  readonly #consumer: Consumer
  readonly #settings: ConsumerSettings
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null
  readonly #buffer: Message<Buffer, Buffer, Buffer, Buffer>[] = []
  #bufferHead = 0
  #waiter: (() => void) | null = null
  #error: Error | null = null
  #paused = false
  #closed = false
  onAssignment: ((assignment: Array<{ topic: string; partition: number }>) => void) | null = null

  constructor(settings: ConsumerSettings) {
    this.#settings = settings
    this.#consumer = new Consumer({
      ...baseOptions(settings),
      groupId: settings.groupId,
      sessionTimeout: settings.sessionTimeoutMs ?? 45000,
      heartbeatInterval: settings.heartbeatIntervalMs ?? 3000,
      rebalanceTimeout: settings.rebalanceTimeoutMs ?? 300000,
      autocommit: false,
      maxWaitTime: 500,
      autocreateTopics: false,
    })
    this.#consumer.on('consumer:group:join', (payload) => {
      const assignment: Array<{ topic: string; partition: number }> = []
      for (const a of payload.assignments ?? [])
        for (const p of a.partitions) assignment.push({ topic: a.topic, partition: p })
      this.onAssignment?.(assignment)
    })
  }

  /** Joins the group and starts fetching; reading starts at the committed offset, else at the earliest one. */
  async subscribe(topics: string[], onWaiting?: (reason: string) => void, stopped?: () => boolean): Promise<void> {
    // Like Java's consumer (allow.auto.create.topics=true), subscribing asks the broker to create missing topics;
    // where the broker does not, wait for them to appear instead of failing.
    for (;;) {
      try {
        await this.#consumer.metadata({ topics, autocreateTopics: true })
        break
      } catch (e) {
        if (this.#closed || stopped?.() || !/Unknown topic/i.test(String((e as Error).message))) throw e
        onWaiting?.((e as Error).message)
        await new Promise((r) => setTimeout(r, 2000))
        if (this.#closed || stopped?.()) return
      }
    }
    const stream = await this.#consumer.consume({
      topics,
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
      highWaterMark: this.#settings.maxBuffered ?? 2048,
    })
    this.#stream = stream
    stream.on('data', (m) => {
      this.#buffer.push(m)
      if (!this.#paused && this.#buffer.length - this.#bufferHead >= (this.#settings.maxBuffered ?? 2048)) {
        this.#paused = true
        stream.pause()
      }
      this.#wake()
    })
    stream.on('error', (e) => {
      this.#error = e
      this.#wake()
    })
  }

  #wake(): void {
    const w = this.#waiter
    if (w) {
      this.#waiter = null
      w()
    }
  }

  /** Up to `max` buffered records, waiting at most `timeoutMs` for the first one. Throws a fetch error once. */
  async poll(max: number, timeoutMs: number): Promise<IncomingRecord[]> {
    if (this.#buffer.length - this.#bufferHead === 0 && !this.#error) {
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
    const n = Math.min(max, this.#buffer.length - this.#bufferHead)
    const out = new Array<IncomingRecord>(n)
    for (let i = 0; i < n; i++) {
      const m = this.#buffer[this.#bufferHead + i]!
      const headers: Array<[string, Buffer | null]> = []
      for (const [k, v] of m.headerEntries) headers.push([k.toString('utf8'), v ?? null])
      out[i] = {
        topic: m.topic,
        partition: m.partition,
        offset: Number(m.offset),
        timestamp: Number(m.timestamp),
        key: m.key ?? null,
        value: m.value ?? null,
        headers,
      }
    }
    this.#bufferHead += n
    if (this.#bufferHead === this.#buffer.length) {
      this.#buffer.length = 0
      this.#bufferHead = 0
    } else if (this.#bufferHead > 4096) {
      this.#buffer.splice(0, this.#bufferHead)
      this.#bufferHead = 0
    }
    if (this.#paused && this.#buffer.length - this.#bufferHead < (this.#settings.maxBuffered ?? 2048) / 2) {
      this.#paused = false
      this.#stream?.resume()
    }
    return out
  }

  /** Drops buffered records of partitions no longer assigned, so they are not delivered twice. */
  retainOnly(assignment: Array<{ topic: string; partition: number }>): void {
    const keep = new Set(assignment.map((tp) => `${tp.topic}\u0000${tp.partition}`))
    const rest = this.#buffer.slice(this.#bufferHead).filter((m) => keep.has(`${m.topic}\u0000${m.partition}`))
    this.#buffer.length = 0
    this.#bufferHead = 0
    this.#buffer.push(...rest)
  }

  /** Commits the next offsets to read for each partition. */
  async commit(offsets: PartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return
    await this.#consumer.commit({
      offsets: offsets.map((o) => ({
        topic: o.topic,
        partition: o.partition,
        offset: BigInt(o.offset),
        leaderEpoch: -1,
      })),
    })
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#wake()
    try {
      await this.#stream?.close()
    } finally {
      await this.#consumer.close(true)
    }
  }
}

/** Topic administration for the worker. */
export class KafkaAdmin {
  readonly #admin: Admin

  constructor(settings: ClientSettings) {
    this.#admin = new Admin(baseOptions(settings))
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
    await this.#admin.createTopics({
      topics: [name],
      partitions,
      replicas: replicationFactor,
      configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
    })
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

  /** How many records a topic holds (end minus start offsets; exact for topics without transactions or compaction). */
  async recordCount(topic: string): Promise<number> {
    return (await this.offsets(topic)).reduce((n, p) => n + p.end - p.start, 0)
  }

  async close(): Promise<void> {
    await this.#admin.close()
  }
}

/** True when the error means the broker could not be reached (as opposed to a refusal by the broker). */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code ?? ''
  if (code === 'PLT_KFK_NETWORK' || code === 'PLT_KFK_TIMEOUT') return true
  const errors = (error as { errors?: unknown[] } | null)?.errors
  return Array.isArray(errors) && errors.length > 0 && errors.every(isConnectionError)
}
