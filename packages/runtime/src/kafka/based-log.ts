/**
 * Apache's `KafkaBasedLog` for Ferry: a topic read from the beginning by a group-less reader that is assigned every
 * partition, and written by a producer. Distributed mode keeps its config, offsets and status in three of these.
 * Also the internal topics' creation and verification (Apache's `TopicAdmin` and `KafkaTopicBasedBackingStore`).
 *
 * The reader fetches continuously in the background (one long-poll loop per partition leader) and hands every
 * record to `onRecord`, in offset order per partition. `readToEnd()` resolves once every record up to the end
 * offsets at call time has been handed over.
 */
import { ConfigException, ConnectException } from '@ferry/api'
import {
  Admin,
  ConfigResourceTypes,
  Consumer,
  compatibilityPartitioner,
  FetchIsolationLevels,
  ProduceAcks,
  Producer,
} from '@platformatic/kafka'
import { javaStringOrder } from '../java/hash-order.ts'
import type { Logger } from '../logger.ts'
import { silentLogger } from '../logger.ts'
import { KafkaAdmin, type TopicAccess } from './admin.ts'
import { clientOptions, retryBackoff } from './client-common.ts'
import type { ClientSettings } from './client-settings.ts'
import { innermostMessage, isRetriable, kafkaErrorIds } from './errors.ts'
import { type AclOperation, aclHint, describeConnectionFailure, isAuthorizationFailure } from './failures.ts'
import { partitionFor } from './producer.ts'

/** One record of the log. */
export interface LogRecord {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: Array<[string, Buffer | null]>
}

/** An internal topic: what to create when it is missing (always compacted), and how to name it in messages. */
export interface InternalTopicSpec {
  name: string
  /** -1 for the broker default. */
  partitions: number
  /** -1 for the broker default. */
  replicationFactor: number
  /** Extra topic configs (`config.storage.min.insync.replicas`, ...); `cleanup.policy` is always `compact`. */
  configs?: Record<string, string>
  /** The worker key that names the topic, e.g. `config.storage.topic`. */
  workerConfigKey: string
  /** What the topic holds, as Apache words it: `connector configurations`, `source connector offsets`, ... */
  purpose: string
}

/**
 * How the internal topics' clients reach the brokers: bootstrap servers, client id, security (TLS, SASL) and
 * timeouts, as every client of Ferry's (`./client-settings.ts`).
 */
export type ConnectionSettings = ClientSettings

const RETRIABLE_CREATE = new Set([
  'REQUEST_TIMED_OUT',
  'NOT_CONTROLLER',
  'LEADER_NOT_AVAILABLE',
  'BROKER_NOT_AVAILABLE',
])
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * Creates the topic when it is missing (compacted, with the spec's partitions and replication factor), retrying
 * retriable failures for up to `timeoutMs`; returns whether this call created it. An existing topic must be
 * `cleanup.policy=compact`: anything else throws Apache's ConfigException; a broker that does not describe the
 * topic's configs only gets a log line.
 */
export async function ensureInternalTopic(
  settings: ConnectionSettings,
  spec: InternalTopicSpec,
  options: { logger?: Logger; timeoutMs?: number; backoffMs?: number } = {},
): Promise<{ created: boolean; refused?: true }> {
  const logger = options.logger ?? silentLogger()
  const admin = new Admin(clientOptions(settings))
  try {
    const deadline = Date.now() + (options.timeoutMs ?? 60000)
    let created = false
    let refused = false
    for (;;) {
      try {
        await admin.createTopics({
          topics: [spec.name],
          partitions: spec.partitions,
          replicas: spec.replicationFactor,
          configs: Object.entries({ ...spec.configs, 'cleanup.policy': 'compact' }).map(([name, value]) => ({
            name,
            value,
          })),
        })
        created = true
        logger.info({ topic: spec.name }, `Created topic ${spec.name} for ${spec.purpose}`)
        break
      } catch (e) {
        const ids = kafkaErrorIds(e)
        if (ids.includes('TOPIC_ALREADY_EXISTS')) break
        if (ids.some((id) => /AUTHORIZATION_FAILED|UNSUPPORTED_VERSION/.test(id))) {
          logger.debug(
            { topic: spec.name },
            `Unable to create topic(s) '${spec.name}'. Falling back to assume topic(s) exist or will be auto-created by the broker.`,
          )
          refused = ids.some((id) => /AUTHORIZATION_FAILED/.test(id))
          break
        }
        const retriable = ids.length === 0 || ids.every((id) => RETRIABLE_CREATE.has(id))
        if (!retriable || Date.now() >= deadline) {
          if (ids.some((id) => /INVALID_|POLICY_VIOLATION/.test(id)))
            throw new ConnectException(`Unable to create topic(s) '${spec.name}': ${innermostMessage(e)}`, e)
          throw new ConnectException(`Error while attempting to create/find topic(s) '${spec.name}'`, e)
        }
        logger.info(
          { topic: spec.name },
          `'${spec.name}' topic creation failed due to '${innermostMessage(e)}', retrying, ${deadline - Date.now()}ms remaining`,
        )
        await sleep(options.backoffMs ?? 1000)
      }
    }
    if (!created) await verifyCleanupPolicyCompact(admin, spec, logger)
    return refused ? { created, refused } : { created }
  } finally {
    await admin.close()
  }
}

async function verifyCleanupPolicyCompact(admin: Admin, spec: InternalTopicSpec, logger: Logger): Promise<void> {
  let policies: string[] = []
  try {
    const described = await admin.describeConfigs({
      resources: [
        { resourceType: ConfigResourceTypes.TOPIC, resourceName: spec.name, configurationKeys: ['cleanup.policy'] },
      ],
    })
    const value = described[0]?.configs.find((c) => c.name === 'cleanup.policy')?.value ?? null
    if (value !== null)
      policies = [...new Set(value.split(',').map((s) => s.trim().toLowerCase()))].filter((s) => s.length > 0)
  } catch (e) {
    logger.debug({ topic: spec.name, error: String(e) }, 'Could not describe the topic configs')
  }
  if (policies.length === 0) {
    logger.info(
      { topic: spec.name },
      `Unable to use admin client to verify the cleanup policy of '${spec.name}' topic is 'compact', either because the broker is an older version or because the Kafka principal used for Connect internal topics does not have the required permission to describe topic configurations.`,
    )
    return
  }
  if (policies.length !== 1 || policies[0] !== 'compact')
    throw new ConfigException(cleanupPolicyMessage(spec, policies))
}

/** Apache's refusal of an internal topic that is not `cleanup.policy=compact` (policies in the order Java joins them). */
export function cleanupPolicyMessage(
  spec: Pick<InternalTopicSpec, 'name' | 'workerConfigKey' | 'purpose'>,
  policies: string[],
): string {
  const found = javaStringOrder(policies).join(',')
  return (
    `Topic '${spec.name}' supplied via the '${spec.workerConfigKey}' property is required to have 'cleanup.policy=compact' ` +
    `to guarantee consistency and durability of ${spec.purpose}, but found the topic currently has 'cleanup.policy=${found}'. ` +
    `Continuing would likely result in eventually losing ${spec.purpose} and problems restarting this Connect cluster in the future. ` +
    `Change the '${spec.workerConfigKey}' property in the Connect worker configurations to use a topic with 'cleanup.policy=compact'.`
  )
}

/**
 * Checks, before an internal topic is used, that the worker's principal may read it (and write it, when `write`):
 * a missing ACL throws a ConnectException naming the worker key, the topic and the ACL, e.g.
 * `the worker cannot read config.storage.topic 'connect-configs': User:bob needs READ on topic connect-configs`,
 * where Apache would fail later with a bare TopicAuthorizationException. Resolves with whether the topic exists;
 * null when the broker does not say what the principal may do (nothing is checked then).
 */
export async function internalTopicAccess(
  settings: ConnectionSettings,
  spec: Pick<InternalTopicSpec, 'name' | 'workerConfigKey'>,
  write: boolean,
  logger: Logger = silentLogger(),
): Promise<{ exists: boolean } | null> {
  const admin = new KafkaAdmin({ ...settings, clientId: `${settings.clientId}-access` })
  let access: TopicAccess | undefined
  try {
    access = (await admin.topicAuthorizedOperations([spec.name])).get(spec.name)
  } catch (e) {
    logger.debug({ topic: spec.name, error: String(e) }, 'Could not look up the operations allowed on the topic')
    return null
  } finally {
    await admin.close().catch(() => {})
  }
  if (access === undefined) return null
  const wanted: AclOperation[] = write ? ['READ', 'WRITE'] : ['READ']
  const missing =
    access === 'denied' ? wanted : access.operations === null ? [] : wanted.filter((op) => !access.operations!.has(op))
  if (missing.length > 0) {
    const verb = missing.length === 2 ? 'read or write' : missing[0] === 'READ' ? 'read' : 'write'
    throw new ConnectException(
      `the worker cannot ${verb} ${spec.workerConfigKey} '${spec.name}': ${aclHint(settings.security, missing, `topic ${spec.name}`)}`,
    )
  }
  return access === 'denied' ? null : { exists: access.exists }
}

/**
 * Checks that the worker's principal may join the Connect group (READ on group `group.id`), before it tries to: a
 * missing ACL throws `the worker cannot join group.id 'g': User:bob needs READ on group g`. Nothing is checked when
 * the broker does not say.
 */
export async function checkGroupAccess(
  settings: ConnectionSettings,
  groupId: string,
  logger: Logger = silentLogger(),
): Promise<void> {
  const admin = new KafkaAdmin({ ...settings, clientId: `${settings.clientId}-access` })
  let access: Set<AclOperation> | null | 'denied'
  try {
    access = await admin.groupAuthorizedOperations(groupId)
  } catch (e) {
    logger.debug({ group: groupId, error: String(e) }, 'Could not look up the operations allowed on the group')
    return
  } finally {
    await admin.close().catch(() => {})
  }
  if (access === 'denied' || (access !== null && !access.has('READ')))
    throw new ConnectException(
      `the worker cannot join group.id '${groupId}': ${aclHint(settings.security, ['READ'], `group ${groupId}`)}`,
    )
}

/** Apache's refusal of a config topic with more than one partition. */
export function configTopicPartitionsMessage(topic: string, partitions: number): string {
  return `Topic '${topic}' supplied via the 'config.storage.topic' property is required to have a single partition in order to guarantee consistency of connector configurations, but found ${partitions} partitions.`
}

export interface KafkaBasedLogOptions extends ConnectionSettings {
  topic: string
  /** Called for every record, in offset order per partition. An exception is logged and the record skipped. */
  onRecord: (record: LogRecord) => void
  /** Created (or verified) before reading when given. */
  topicSpec?: InternalTopicSpec
  /** No producer: `send` throws. */
  readOnly?: boolean
  /** Producer retries of one send (Apache's status producer uses 0 and retries itself). Default 3. */
  producerRetries?: number
  /** How long one fetch waits on the broker for new records (default 500 ms). */
  fetchMaxWaitMs?: number
  /** Read only committed records of transactional writers. */
  readCommitted?: boolean
  /** How long `start` waits for the topic's partitions to appear (default 30 s, as Apache). */
  partitionsTimeoutMs?: number
  /**
   * How long `start` keeps asking for the partitions' offsets while the brokers answer with transient errors (a
   * leader not elected yet, a topic just created): default 15 minutes, as Apache's `ADMIN_CLIENT_RETRY_DURATION`.
   */
  offsetsTimeoutMs?: number
  logger?: Logger
}

/** One record to write; the partition comes from the key (Java's murmur2) unless given. */
export interface LogWrite {
  key: Buffer | string | null
  value: Buffer | null
  partition?: number
}

/** Where a written record landed. */
export interface LogWriteResult {
  partition: number
  offset: number
}

interface ReadWaiter {
  targets: Map<number, number>
  resolve: () => void
  reject: (e: Error) => void
}

/**
 * The log. `start` creates/verifies the topic, assigns every partition, reads to the end and keeps reading;
 * `send` writes (in call order: one request at a time, as Apache's `max.in.flight.requests.per.connection=1`);
 * `readToEnd` waits for the reader to catch up with the end offsets of the moment; `stop` ends both.
 */
export class KafkaBasedLog {
  readonly topic: string
  readonly #options: KafkaBasedLogOptions
  readonly #logger: Logger
  #producer: Producer | null = null
  #consumer: Consumer | null = null
  /**
   * End and start offsets are asked on connections of their own: a broker answers one request of a connection at a
   * time, so a ListOffsets behind the reader's long-polling fetch waited up to `fetchMaxWaitMs` (500 ms) for it, and
   * every write-then-read-to-end of the config topic (three per task config write) took that much longer.
   */
  #offsets: Consumer | null = null
  #partitionCount = 0
  /** Next offset to read, per partition. */
  readonly #positions = new Map<number, number>()
  #waiters: ReadWaiter[] = []
  #running = false
  /** Set by `stop`: ends the retries of a `start` still under way. */
  #stopped = false
  #loop: Promise<void> | null = null
  #sending: Promise<unknown> = Promise.resolve()

  constructor(options: KafkaBasedLogOptions) {
    this.topic = options.topic
    this.#options = options
    this.#logger = options.logger ?? silentLogger()
  }

  /** Number of partitions of the topic (after `start`). */
  get partitionCount(): number {
    return this.#partitionCount
  }

  /** The next offset the reader will hand over, per partition. */
  positions(): Map<number, number> {
    return new Map(this.#positions)
  }

  async start(): Promise<void> {
    const o = this.#options
    this.#logger.info({ topic: this.topic }, `Starting KafkaBasedLog with topic ${this.topic}`)
    if (o.topicSpec) {
      const access = await internalTopicAccess(o, o.topicSpec, !o.readOnly, this.#logger)
      const { refused } = await ensureInternalTopic(o, o.topicSpec, { logger: this.#logger })
      // Creation refused by the authorizer and nobody else made it: reading would only time out.
      if (refused && access?.exists === false && (await internalTopicAccess(o, o.topicSpec, false))?.exists === false)
        throw new ConnectException(
          `the worker cannot create ${o.topicSpec.workerConfigKey} '${o.topicSpec.name}': ${aclHint(o.security, ['CREATE'], `topic ${o.topicSpec.name}`)} (or on the cluster), or create the topic beforehand with cleanup.policy=compact`,
        )
    }
    if (!o.readOnly) {
      this.#producer = new Producer({
        ...clientOptions(o, o.producerRetries ?? 3),
        idempotent: false,
        autocreateTopics: false,
        partitioner: compatibilityPartitioner,
      })
    }
    const reader = {
      ...clientOptions(o),
      // Never joins: the log reads by fetching its partitions directly.
      groupId: `${o.clientId}-unused-group`,
      autocommit: false,
      maxWaitTime: o.fetchMaxWaitMs ?? 500,
      autocreateTopics: false,
    }
    this.#consumer = new Consumer(reader)
    this.#offsets = new Consumer(reader)
    // Wait for the topic's partitions (a topic just created may take a moment to show up). A topic that is there but
    // whose partitions have no leader for the moment (being elected, or their broker restarting) is waited for as
    // long as its offsets would be: Apache's consumer lists such partitions and its offset look-ups retry.
    const deadline = Date.now() + (o.partitionsTimeoutMs ?? 30000)
    const offsetsDeadline = Date.now() + (o.offsetsTimeoutMs ?? 15 * 60000)
    let sleepMs = 100
    for (let attempt = 1; ; attempt++) {
      let leaderless = false
      try {
        const metadata = await this.#consumer.metadata({ topics: [this.topic], forceUpdate: true })
        this.#partitionCount = metadata.topics.get(this.topic)?.partitionsCount ?? 0
      } catch (e) {
        if (this.#stopped) throw new ConnectException(`KafkaBasedLog for topic ${this.topic} stopped`, e)
        const unknown = kafkaErrorIds(e).includes('UNKNOWN_TOPIC_OR_PARTITION') || /Unknown topic/i.test(String(e))
        if (!unknown && (!isRetriable(e) || Date.now() >= offsetsDeadline)) throw e
        if (!unknown) {
          leaderless = true
          this.#logger.warn(
            { topic: this.topic, attempt, ids: kafkaErrorIds(e) },
            `Attempt ${attempt} to look up the partitions of '${this.topic}' resulted in RetriableException; retrying automatically. Reason: ${this.#reason(e)}`,
          )
        }
        this.#partitionCount = 0
      }
      if (this.#partitionCount > 0) break
      if (!leaderless && Date.now() >= deadline) {
        throw new ConnectException(
          `Could not look up partition metadata for topic '${this.topic}' in the allotted period. This could indicate a connectivity issue, unavailable topic partitions, or if this is your first use of the topic it may have taken too long to create.`,
        )
      }
      await sleep(sleepMs)
      sleepMs = Math.min(2 * sleepMs, 1000)
      if (this.#stopped) throw new ConnectException(`KafkaBasedLog for topic ${this.topic} stopped`)
    }
    const earliest = await this.#listOffsets(-2n, offsetsDeadline)
    for (let p = 0; p < this.#partitionCount; p++) this.#positions.set(p, earliest.get(p) ?? 0)
    this.#running = true
    this.#loop = this.#readLoop()
    await this.#readToEnd(offsetsDeadline)
    this.#logger.info({ topic: this.topic }, `Started KafkaBasedLog for topic ${this.topic}`)
  }

  async stop(): Promise<void> {
    this.#logger.info({ topic: this.topic }, `Stopping KafkaBasedLog for topic ${this.topic}`)
    this.#running = false
    this.#stopped = true
    for (const w of this.#waiters) w.reject(new ConnectException(`KafkaBasedLog for topic ${this.topic} stopped`))
    this.#waiters = []
    await this.#sending.catch(() => {})
    // Closing the consumer ends the fetches in flight, so the read loop returns at once.
    await this.#consumer?.close(true).catch(() => {})
    await this.#offsets?.close(true).catch(() => {})
    await this.#loop?.catch(() => {})
    await this.#producer?.close().catch(() => {})
    this.#producer = null
    this.#consumer = null
    this.#offsets = null
    this.#logger.info({ topic: this.topic }, `Stopped KafkaBasedLog for topic ${this.topic}`)
  }

  /**
   * Writes records in one request; resolves with where they landed once every replica in sync has them. Calls are
   * written one after the other, in call order.
   */
  async send(records: LogWrite[]): Promise<LogWriteResult[]> {
    const producer = this.#producer
    if (!producer) {
      throw new Error(
        this.#options.readOnly
          ? 'This KafkaBasedLog was created in read-only mode and does not support write operations'
          : `KafkaBasedLog for topic ${this.topic} is not started`,
      )
    }
    const write = this.#sending.then(async () => {
      const result = await producer.send({
        // acks=all on each send: the client takes a non-idempotent producer's acks from the send, not from its
        // constructor (it sent acks=1), and a read-to-end right after a write reads to the high watermark, which only
        // covers the write once every replica in sync has it (with acks=1 the create read back too little: 404).
        acks: ProduceAcks.ALL,
        messages: records.map((r) => ({
          topic: this.topic,
          key: r.key === null ? undefined : typeof r.key === 'string' ? Buffer.from(r.key, 'utf8') : r.key,
          value: r.value ?? undefined,
          partition: r.partition,
        })),
      })
      return result.offsets ?? []
    })
    this.#sending = write.catch(() => {})
    const offsets = await write
    // One offset per partition written (the first record's); the records of one partition follow it.
    const next = new Map<number, number>()
    for (const o of offsets) next.set(o.partition, Number(o.offset))
    return records.map((r) => {
      const partition = r.partition ?? partitionFor(r.key, this.#partitionCount)
      const offset = next.get(partition) ?? -1
      next.set(partition, offset + 1)
      return { partition, offset }
    })
  }

  /** Resolves when the writes made so far have been acknowledged (or failed). */
  async flush(): Promise<void> {
    await this.#sending.catch(() => {})
  }

  /**
   * Resolves once every record up to the end offsets of the moment (after the writes made so far) has been handed
   * to `onRecord`. Transient failures to read the end offsets (a leader being elected, a lost connection, a timeout)
   * are retried, as Apache's log does. Rejects when the log stops first, `timeoutMs` passes (no limit without one),
   * or the end offsets cannot be read for good (an authorization failure, say).
   */
  async readToEnd(timeoutMs?: number): Promise<void> {
    await this.#readToEnd(timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs, timeoutMs)
  }

  async #readToEnd(deadline: number, timeoutMs?: number): Promise<void> {
    await this.flush()
    if (!this.#running) throw new ConnectException(`KafkaBasedLog for topic ${this.topic} is not running`)
    const ends = await this.#listOffsets(-1n, deadline)
    const targets = new Map<number, number>()
    for (const [p, end] of ends) if ((this.#positions.get(p) ?? 0) < end) targets.set(p, end)
    if (targets.size === 0) return
    await new Promise<void>((resolve, reject) => {
      const waiter: ReadWaiter = { targets, resolve, reject }
      if (Number.isFinite(deadline)) {
        const timer = setTimeout(
          () => {
            this.#waiters = this.#waiters.filter((w) => w !== waiter)
            reject(
              new ConnectException(
                timeoutMs === undefined
                  ? `Timed out reading topic ${this.topic} to its end`
                  : `Timed out reading topic ${this.topic} to its end after ${timeoutMs} ms`,
              ),
            )
          },
          Math.max(0, deadline - Date.now()),
        )
        waiter.resolve = () => {
          clearTimeout(timer)
          resolve()
        }
        waiter.reject = (e) => {
          clearTimeout(timer)
          reject(e)
        }
      }
      this.#waiters.push(waiter)
    })
  }

  /** The partitions' offsets at `timestamp` (-1 end, -2 start), transient failures retried until `deadline`. */
  #listOffsets(timestamp: bigint, deadline: number): Promise<Map<number, number>> {
    const offsets = this.#offsets!
    let attempt = 0
    return retryEndOffsets(
      async () => {
        // A failure may come from stale metadata (a leader that moved or was not elected yet): ask afresh.
        if (attempt++ > 0) offsets.clearMetadata()
        return await this.#listOffsetsOnce(offsets, timestamp)
      },
      {
        topic: this.topic,
        bootstrapServers: this.#options.bootstrapServers,
        deadline,
        backoffMs: (n) => retryBackoff(this.#options, n),
        stopped: () => this.#stopped,
        logger: this.#logger,
        reason: (e) => this.#reason(e),
      },
    )
  }

  async #listOffsetsOnce(offsets: Consumer, timestamp: bigint): Promise<Map<number, number>> {
    const result = await offsets.listOffsets({
      topics: [this.topic],
      timestamp,
      isolationLevel: this.#options.readCommitted
        ? FetchIsolationLevels.READ_COMMITTED
        : FetchIsolationLevels.READ_UNCOMMITTED,
    })
    const out = new Map<number, number>()
    const list = result.get(this.topic) ?? []
    for (let p = 0; p < list.length; p++) out.set(p, Number(list[p]))
    return out
  }

  #notify(): void {
    if (this.#waiters.length === 0) return
    this.#waiters = this.#waiters.filter((w) => {
      for (const [p, end] of w.targets) if ((this.#positions.get(p) ?? 0) < end) return true
      w.resolve()
      return false
    })
  }

  /** Fetches forever: one loop per partition leader, restarted whenever leadership must be looked up again. */
  async #readLoop(): Promise<void> {
    const consumer = this.#consumer!
    let backoff = 100
    while (this.#running) {
      let byLeader: Map<number, number[]>
      let topicId: string
      try {
        const metadata = await consumer.metadata({ topics: [this.topic], forceUpdate: true })
        const t = metadata.topics.get(this.topic)
        if (!t) throw new Error(`Topic ${this.topic} not found`)
        topicId = t.id
        byLeader = new Map()
        t.partitions.forEach((p, i) => {
          const list = byLeader.get(p.leader) ?? []
          list.push(i)
          byLeader.set(p.leader, list)
        })
      } catch (e) {
        this.#logger.warn(
          { topic: this.topic, error: this.#reason(e) },
          `Retriable error while reading log to end for topic '${this.topic}'. Retrying automatically.`,
        )
        await sleep(backoff)
        backoff = Math.min(backoff * 2, 2000)
        continue
      }
      const stale = { value: false }
      await Promise.all(
        [...byLeader].map(([node, partitions]) => this.#fetchLoop(consumer, node, topicId, partitions, stale)),
      )
      if (this.#running && stale.value) {
        await sleep(backoff)
        backoff = Math.min(backoff * 2, 2000)
      } else {
        backoff = 100
      }
    }
  }

  async #fetchLoop(
    consumer: Consumer,
    node: number,
    topicId: string,
    partitions: number[],
    stale: { value: boolean },
  ): Promise<void> {
    const o = this.#options
    while (this.#running && !stale.value) {
      try {
        const response = await consumer.fetch({
          node,
          topics: [
            {
              topicId,
              partitions: partitions.map((partition) => ({
                partition,
                fetchOffset: BigInt(this.#positions.get(partition) ?? 0),
                partitionMaxBytes: 1048576,
                currentLeaderEpoch: -1,
                lastFetchedEpoch: -1,
              })),
            },
          ],
          maxWaitTime: o.fetchMaxWaitMs ?? 500,
          minBytes: 1,
          maxBytes: 52428800,
          isolationLevel: o.readCommitted ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
        })
        this.#handle(response.responses.flatMap((t) => t.partitions))
      } catch (e) {
        if (!this.#running) return
        const response = (e as { response?: { responses?: Array<{ partitions: FetchedPartition[] }> } }).response
        const fetched = response?.responses?.flatMap((t) => t.partitions) ?? []
        this.#handle(fetched.filter((p) => p.errorCode === 0))
        const outOfRange = fetched.filter((p) => p.errorCode === 1).map((p) => p.partitionIndex)
        if (outOfRange.length > 0) {
          // Our position fell behind the log start (retention or compaction): continue from the log start.
          try {
            const earliest = await this.#listOffsetsOnce(this.#offsets!, -2n)
            for (const p of outOfRange) {
              const start = earliest.get(p) ?? 0
              if ((this.#positions.get(p) ?? 0) < start) this.#positions.set(p, start)
            }
            this.#notify()
          } catch {}
        }
        this.#logger.warn(
          { topic: this.topic, error: this.#reason(e), ids: kafkaErrorIds(e) },
          `Retriable error while reading log to end for topic '${this.topic}'. Retrying automatically.`,
        )
        stale.value = true
        return
      }
    }
  }

  /** Why a request failed: the connection's failure (authentication, TLS, naming the broker) when that was it. */
  #reason(e: unknown): string {
    return describeConnectionFailure(e, this.#options.security)?.message ?? innermostMessage(e)
  }

  #handle(partitions: FetchedPartition[]): void {
    for (const p of partitions) {
      if (p.errorCode !== 0 || !p.records) continue
      let position = this.#positions.get(p.partitionIndex) ?? 0
      for (const batch of p.records) {
        const base = Number(batch.firstOffset)
        const last = base + batch.lastOffsetDelta
        if (last < position) continue
        // Control batches (transaction markers) carry no records for us.
        if ((batch.attributes & 0x20) === 0) {
          for (const r of batch.records) {
            const offset = base + r.offsetDelta
            if (offset < position) continue
            const record: LogRecord = {
              topic: this.topic,
              partition: p.partitionIndex,
              offset,
              timestamp: Number(batch.firstTimestamp + r.timestampDelta),
              key: r.key ?? null,
              value: r.value ?? null,
              headers: r.headers.map(([k, v]) => [k?.toString('utf8') ?? '', v ?? null]),
            }
            try {
              this.#options.onRecord(record)
            } catch (e) {
              this.#logger.error(
                { topic: this.topic, partition: p.partitionIndex, offset, error: String(e) },
                'Error handling a record of the log; skipped',
              )
            }
          }
        }
        position = last + 1
      }
      this.#positions.set(p.partitionIndex, position)
    }
    this.#notify()
  }
}

interface FetchedPartition {
  partitionIndex: number
  errorCode: number
  records?: Array<{
    firstOffset: bigint
    lastOffsetDelta: number
    attributes: number
    firstTimestamp: bigint
    records: Array<{
      offsetDelta: number
      timestampDelta: bigint
      key: Buffer | null
      value: Buffer | null
      headers: Array<[Buffer | null, Buffer | null]>
    }>
  }> | null
}

/**
 * Apache's `TopicAdmin.retryEndOffsets` and the retries of its log's work thread: calls `list` until it answers,
 * retrying the failures a broker stops giving after a while (a partition whose leader is not elected yet or just
 * moved, a topic a broker does not know yet right after its creation, a request timeout, a lost connection; every
 * error Kafka calls retriable) until `deadline`, waiting `backoffMs(attempt)` between attempts. Throws a
 * ConnectException (the client's error as its cause) for any other failure, at the deadline, or once `stopped()`.
 */
export async function retryEndOffsets<T>(
  list: () => Promise<T>,
  options: {
    topic: string
    bootstrapServers: readonly string[]
    deadline: number
    backoffMs: (attempt: number) => number
    stopped?: () => boolean
    logger?: Logger
    /** One line saying why a request failed (default: the innermost error's message). */
    reason?: (error: unknown) => string
  },
): Promise<T> {
  const { topic } = options
  const brokers = options.bootstrapServers.join(',')
  const reason = options.reason ?? innermostMessage
  for (let attempt = 1; ; attempt++) {
    try {
      return await list()
    } catch (e) {
      if (options.stopped?.()) throw new ConnectException(`KafkaBasedLog for topic ${topic} stopped`, e)
      if (isAuthorizationFailure(e))
        throw new ConnectException(
          `Not authorized to get the end offsets for topic '${topic}' on brokers at ${brokers}: ${reason(e)}`,
          e,
        )
      if (!isRetriable(e))
        throw new ConnectException(
          `Error while getting end offsets for topic '${topic}' on brokers at ${brokers}: ${reason(e)}`,
          e,
        )
      const delay = options.backoffMs(attempt)
      if (Date.now() + delay >= options.deadline)
        throw new ConnectException(
          `Failed to list offsets for topic '${topic}' after ${attempt} attempts: ${reason(e)}`,
          e,
        )
      options.logger?.warn(
        { topic, attempt, ids: kafkaErrorIds(e) },
        `Attempt ${attempt} to list offsets for topic partitions of '${topic}' resulted in RetriableException; retrying automatically. Reason: ${reason(e)}`,
      )
      for (const until = Date.now() + delay; Date.now() < until && !options.stopped?.(); )
        await sleep(Math.min(200, until - Date.now()))
      if (options.stopped?.()) throw new ConnectException(`KafkaBasedLog for topic ${topic} stopped`, e)
    }
  }
}

/**
 * The base of the internal clients' ids: `<group.id>[-<client.id>]-`, `connect-` without a group (Apache's
 * `ConnectUtils.clientIdBase`); the stores append `configs`, `offsets`, `statuses`.
 */
export function clientIdBase(groupId: string | null, clientId: string | null): string {
  const id = clientId?.trim() ? `-${clientId}` : ''
  return `${groupId ?? 'connect'}${id}-`
}
