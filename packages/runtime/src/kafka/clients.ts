/**
 * The only module (with ./fetch.ts and ./produce.ts, our Fetch and Produce requests) that talks to the Kafka client
 * library (@platformatic/kafka) for the worker's tasks. Everything else in Ferry sees the small interfaces below, so
 * the client can be swapped or upgraded in one place.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import {
  Admin,
  type ClusterMetadata,
  type Connection,
  ConnectionPool,
  Consumer,
  compatibilityPartitioner,
  kGetApi,
  kGetConnection,
  ProduceAcks,
  Producer,
} from '@platformatic/kafka'
import { type FetchResponse, type FetchTopicRequest, fetchVersion, RecordBatchCursor, sendFetch } from './fetch.ts'
import { encodeRecordBatch, type ProduceResponse, sendProduce } from './produce.ts'

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

/** Produces batches; resolves when every record of the batch is acked by all in-sync replicas (acks=all). */
export class KafkaProducer {
  /** Metadata and connections; the batches are encoded and sent by `#send`. */
  readonly #producer: Producer
  readonly #topics = new TopicReporter()
  readonly #requestTimeoutMs: number

  constructor(settings: ClientSettings) {
    this.#requestTimeoutMs = settings.requestTimeoutMs ?? 30000
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

  /**
   * Sends one batch; returns the base offset of every topic-partition written (the first one, when the batch had
   * to be split). Batches larger than `MAX_REQUEST_BYTES` go as several requests at once on the same connection,
   * which the broker handles in order.
   */
  async send(records: OutgoingRecord[]): Promise<PartitionOffset[]> {
    const sticky = this.#sticky++
    const chunks: OutgoingRecord[][] = []
    let start = 0
    let bytes = 0
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!
      const size = (r.key?.length ?? 0) + (r.value?.length ?? 0) + 64
      if (bytes + size > MAX_REQUEST_BYTES && i > start) {
        chunks.push(records.slice(start, i))
        start = i
        bytes = 0
      }
      bytes += size
    }
    if (start === 0) return this.#send(records, sticky)
    chunks.push(records.slice(start))
    const results = await Promise.all(chunks.map((c) => this.#send(c, sticky)))
    const first = new Map<string, PartitionOffset>()
    for (const result of results)
      for (const o of result) if (!first.has(`${o.topic}:${o.partition}`)) first.set(`${o.topic}:${o.partition}`, o)
    return [...first.values()]
  }

  /**
   * Sends records (already cut to request size) with our own record batch encoder (`./produce.ts`), one Produce
   * request per partition leader. Partitions whose leader moved or that are not ready yet (retriable errors) are
   * sent again after the metadata is refreshed; other errors reject with the client's error.
   */
  async #send(records: OutgoingRecord[], sticky: number): Promise<PartitionOffset[]> {
    const topics = [...new Set(records.map((r) => r.topic))]
    const offsets = new Map<string, PartitionOffset>()
    let pending = records
    for (let attempt = 0; ; attempt++) {
      const metadata = await this.#producer.metadata({ topics, autocreateTopics: true, forceUpdate: attempt > 0 })
      // leader → topic → partition → records, in the order given
      const byNode = new Map<number, Map<string, Map<number, OutgoingRecord[]>>>()
      let unknown: OutgoingRecord[] | null = null
      for (const r of pending) {
        const topic = metadata.topics.get(r.topic)
        const count = topic?.partitionsCount ?? 0
        const chosen =
          r.partition ?? (r.key === null ? sticky : compatibilityPartitioner(undefined as never, r.key as never))
        const partition = count > 0 ? chosen % count : -1
        const leader = partition >= 0 ? (topic!.partitions[partition]?.leader ?? -1) : -1
        if (leader < 0 || !metadata.brokers.has(leader)) {
          unknown ??= []
          unknown.push(r)
          continue
        }
        let byTopic = byNode.get(leader)
        if (!byTopic) {
          byTopic = new Map()
          byNode.set(leader, byTopic)
        }
        let byPartition = byTopic.get(r.topic)
        if (!byPartition) {
          byPartition = new Map()
          byTopic.set(r.topic, byPartition)
        }
        const list = byPartition.get(partition)
        if (list) list.push(r)
        else byPartition.set(partition, [r])
      }
      const retry: OutgoingRecord[] = unknown ?? []
      let retryError: unknown = null
      const now = Date.now()
      await Promise.all(
        [...byNode].map(async ([node, byTopic]) => {
          const request = [...byTopic].map(([name, partitions]) => ({
            name,
            partitions: [...partitions].map(([index, rs]) => ({ index, batch: encodeRecordBatch(rs, now) })),
          }))
          let response: ProduceResponse
          try {
            const connection = await new Promise<Connection>((resolve, reject) =>
              this.#producer[kGetConnection](metadata.brokers.get(node)!, (e: Error | null, c?: Connection) =>
                e ? reject(e) : resolve(c!),
              ),
            )
            response = await sendProduce(connection, ProduceAcks.ALL, this.#requestTimeoutMs, request)
          } catch (e) {
            const partial = (e as { response?: ProduceResponse }).response
            if (!partial?.responses) throw e
            response = partial
            for (const t of partial.responses)
              for (const p of t.partitionResponses) {
                if (p.errorCode === 0) continue
                if (!RETRIABLE_PRODUCE_ERRORS.has(p.errorCode) || attempt >= MAX_PRODUCE_RETRIES) throw e
                retryError = e
                retry.push(...byTopic.get(t.name)!.get(p.index)!)
              }
          }
          for (const t of response.responses)
            for (const p of t.partitionResponses) {
              const key = `${t.name}:${p.index}`
              if (p.errorCode === 0 && !offsets.has(key))
                offsets.set(key, { topic: t.name, partition: p.index, offset: Number(p.baseOffset) })
            }
        }),
      )
      if (retry.length === 0) break
      if (attempt >= MAX_PRODUCE_RETRIES)
        throw retryError ?? new Error(`No leader for ${[...new Set(retry.map((r) => r.topic))].join(', ')}`)
      pending = retry
      await new Promise((r) => setTimeout(r, 100 * (attempt + 1)))
    }
    for (const t of topics) this.#topics.report(t)
    return [...offsets.values()]
  }

  async close(): Promise<void> {
    await this.#producer.close()
  }
}

/** Errors after which a partition's records are sent again (leader moved, topic not ready, not enough replicas). */
const RETRIABLE_PRODUCE_ERRORS = new Set([3, 5, 6, 7, 19, 20, 56, 74, 75])
const MAX_PRODUCE_RETRIES = 5
/** Below the broker's default `message.max.bytes` (1 MiB), which bounds one partition's batch in a request. */
const MAX_REQUEST_BYTES = 512 * 1024

export interface ConsumerSettings extends ClientSettings {
  groupId: string
  sessionTimeoutMs?: number
  heartbeatIntervalMs?: number
  rebalanceTimeoutMs?: number
  /** Bytes one fetch asks of a partition (Java's `max.partition.fetch.bytes`, 1 MiB). */
  maxPartitionFetchBytes?: number
  /** The newest Fetch version to use (tests of the older one); the broker's newest of 11 and 12 otherwise. */
  maxFetchVersion?: 11 | 12
}

interface PartitionState {
  topic: string
  partition: number
  /** The next offset to fetch; null until it is known (committed offset, else the earliest). */
  position: number | null
  /** The position was out of range: start again at the earliest offset, not the committed one. */
  reset: boolean
}

/** Fetch errors after which the partition's leader is looked up again and the fetch retried. */
const RETRIABLE_FETCH_ERRORS = new Set([3, 5, 6, 9, 56, 74, 75, 78, 100])
const OFFSET_OUT_OF_RANGE = 1
/** Consecutive failed fetches (connection errors) before the consumer reports the failure. */
const MAX_FETCH_FAILURES = 10

/**
 * A group member that subscribes to topics and hands out records in batches. Offsets are committed only by
 * `commit` (never automatically). `onAssignment` is told the full assignment after every rebalance.
 *
 * The client's Consumer does the group membership (join, sync, heartbeats, commits, offset look-ups); fetching is
 * ours (`./fetch.ts`): one Fetch in flight per partition leader, Java's `max.partition.fetch.bytes` (1 MiB) per
 * partition, the next fetch sent while the worker still works through the previous response (up to about one
 * response per partition buffered), and records decoded only when `poll` hands them out. A partition starts at the
 * group's committed offset, else at the earliest one (Connect's `auto.offset.reset=earliest`), and goes back to the
 * earliest when its position is out of range. Reads are read_committed, as the client's default was.
 */
export class KafkaConsumer {
  readonly #consumer: Consumer
  /**
   * Fetches have connections of their own (as the client's stream had): a broker answers one request of a connection
   * at a time, so a long-polling fetch would hold up the group's heartbeats and commits, and a JoinGroup the fetches.
   */
  readonly #fetchPool: ConnectionPool
  readonly #fetchBytes: number
  #fetchVersion: 11 | 12 = 12
  readonly #maxFetchVersion: number
  #topics: string[] = []
  readonly #partitions = new Map<string, PartitionState>()
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
  onAssignment: ((assignment: Array<{ topic: string; partition: number }>) => void) | null = null

  constructor(settings: ConsumerSettings) {
    this.#fetchBytes = settings.maxPartitionFetchBytes ?? 1024 * 1024
    this.#maxFetchVersion = settings.maxFetchVersion ?? 12
    this.#fetchPool = new ConnectionPool(settings.clientId, { requestTimeout: settings.requestTimeoutMs ?? 30000 })
    this.#consumer = new Consumer({
      ...baseOptions(settings),
      groupId: settings.groupId,
      sessionTimeout: settings.sessionTimeoutMs ?? 45000,
      heartbeatInterval: settings.heartbeatIntervalMs ?? 3000,
      rebalanceTimeout: settings.rebalanceTimeoutMs ?? 300000,
      autocommit: false,
      autocreateTopics: false,
      // Java's consumers offer `range` first (then `cooperative-sticky`): offering it too lets a Ferry sink task and
      // an Apache one share a consumer group (a mixed Connect cluster, a rolling migration) instead of the second to
      // join being refused with INCONSISTENT_GROUP_PROTOCOL.
      protocols: [{ name: 'range', version: 0 }],
      partitionAssigner: rangeAssigner,
    })
    this.#consumer.on('consumer:group:join', (payload) => {
      const assignment: Array<{ topic: string; partition: number }> = []
      for (const a of payload.assignments ?? [])
        for (const p of a.partitions) assignment.push({ topic: a.topic, partition: p })
      this.#assigned(assignment)
      this.onAssignment?.(assignment)
      this.#kick()
    })
    // A failed rejoin: without a listener an 'error' event would end the process.
    this.#consumer.on('error', (e: Error) => this.#fail(e))
  }

  /** Joins the group and starts fetching; reading starts at the committed offset, else at the earliest one. */
  async subscribe(topics: string[], onWaiting?: (reason: string) => void, stopped?: () => boolean): Promise<void> {
    // Like Java's consumer (allow.auto.create.topics=true), subscribing asks the broker to create missing topics;
    // where the broker does not, wait for them to appear instead of failing.
    for (;;) {
      try {
        this.#metadata = await this.#consumer.metadata({ topics, autocreateTopics: true })
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
    this.#consumer.topics.trackAll(...topics)
    await this.#consumer.joinGroup({})
    this.#started = true
    this.#kick()
  }

  /** Keeps the positions of partitions still assigned, forgets the others and their fetched data. */
  #assigned(assignment: Array<{ topic: string; partition: number }>): void {
    const keys = new Set<string>()
    for (const tp of assignment) {
      const key = `${tp.topic}\u0000${tp.partition}`
      keys.add(key)
      if (!this.#partitions.has(key))
        this.#partitions.set(key, { topic: tp.topic, partition: tp.partition, position: null, reset: false })
    }
    for (const key of [...this.#partitions.keys()]) if (!keys.has(key)) this.#partitions.delete(key)
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
    this.#error ??= e
    this.#wake()
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
    const byNode = new Map<number, PartitionState[]>()
    let stale = false
    for (const p of this.#partitions.values()) {
      if (p.position === null) continue
      const leader = metadata.topics.get(p.topic)?.partitions[p.partition]?.leader ?? -1
      if (leader < 0 || !metadata.brokers.has(leader)) {
        stale = true
        continue
      }
      if (this.#inflight.has(leader)) continue
      const list = byNode.get(leader)
      if (list) list.push(p)
      else byNode.set(leader, [p])
    }
    for (const [node, partitions] of byNode) void this.#fetchFrom(metadata, node, partitions)
    if (stale) this.#refreshMetadata()
  }

  #refreshMetadata(): void {
    if (this.#metadataRefresh || this.#closed) return
    this.#metadataRefresh = (async () => {
      try {
        this.#metadata = await this.#consumer.metadata({ topics: this.#topics, forceUpdate: true })
      } catch (e) {
        if (++this.#failures > MAX_FETCH_FAILURES) this.#fail(e as Error)
        else await new Promise((r) => setTimeout(r, 250))
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
          maxWaitMs: FETCH_MAX_WAIT_MS,
          minBytes: 1,
          maxBytes: FETCH_MAX_BYTES,
          isolationLevel: 1,
        },
        [...byTopic.values()],
      )
      this.#failures = 0
      retry = this.#apply(response, requested)
    } catch (e) {
      if (this.#closed) return
      // A lost connection or a broker that went away: look the leaders up again and retry, a few times.
      if (++this.#failures > MAX_FETCH_FAILURES) this.#fail(e as Error)
      else {
        this.#metadata = null
        await new Promise((r) => setTimeout(r, 100 * Math.min(this.#failures, 5)))
      }
    } finally {
      this.#inflight.delete(node)
    }
    if (retry) {
      this.#metadata = null
      await new Promise((r) => setTimeout(r, 100))
    }
    this.#kick()
  }

  /** Takes a fetch response in; true when a partition's leader has to be looked up again. */
  #apply(response: FetchResponse, requested: Map<string, { state: PartitionState; offset: number }>): boolean {
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
        if (p.errorCode === 0) {
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
          state.reset = true
        } else if (RETRIABLE_FETCH_ERRORS.has(p.errorCode)) {
          stale = true
        } else {
          this.#fail(
            new Error(`Fetch of ${t.topic}-${p.partition} at offset ${offset} failed with error code ${p.errorCode}`),
          )
        }
      }
    }
    if (added) this.#wake()
    return stale
  }

  /** Sets the positions of newly assigned partitions: the committed offset, else the earliest. */
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
    const earliest = partitions.filter((p) => !positions.has(p))
    if (earliest.length > 0) {
      const topics = new Map<string, number[]>()
      for (const p of earliest) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition])
      const offsets = await this.#consumer.listOffsets({
        topics: [...topics.keys()],
        partitions: Object.fromEntries(topics),
        timestamp: -2n,
      })
      for (const p of earliest) {
        const o = offsets.get(p.topic)?.[p.partition]
        if (typeof o !== 'bigint' || o < 0n) throw new Error(`No earliest offset for ${p.topic}-${p.partition}`)
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
      while (out.length < max) {
        const r = chunk.next()
        if (r === null) break
        out.push(r)
      }
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

  /** Drops buffered records of partitions no longer assigned, so they are not delivered twice. */
  retainOnly(assignment: Array<{ topic: string; partition: number }>): void {
    const keep = new Set(assignment.map((tp) => `${tp.topic}\u0000${tp.partition}`))
    this.#dropChunks((c) => keep.has(`${c.topic}\u0000${c.partition}`))
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
      await this.#consumer.close(true)
    } finally {
      await this.#fetchPool.close()
    }
  }
}

/** How long a fetch waits on the broker for new records (as the client's consumer was set up). */
const FETCH_MAX_WAIT_MS = 500
/** Java's fetch.max.bytes. */
const FETCH_MAX_BYTES = 50 * 1024 * 1024

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
  const errors = (error as { errors?: unknown[] } | null)?.errors
  return Array.isArray(errors) && errors.length > 0 && errors.every(isConnectionError)
}

/**
 * Java's `RangeAssignor`: per topic, the members subscribed to it in member id order; each gets
 * `partitions / members` consecutive partitions and the first `partitions % members` one more.
 */
export function rangeAssigner(
  _current: string,
  members: Map<string, { topics?: string[] | undefined }>,
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
    ids.sort()
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
