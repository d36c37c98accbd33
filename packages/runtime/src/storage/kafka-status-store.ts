/**
 * Apache's `KafkaStatusBackingStore`: connector and task statuses, and the topics connectors use (KIP-558), in the
 * status topic (`status.storage.topic`, compacted, `status.storage.partitions` partitions), with Apache's keys and
 * JSON:
 *
 * | key | value |
 * |---|---|
 * | `status-connector-<name>` | `{"state":S,"trace":str\|null,"worker_id":"host:port","generation":int,"version":str\|null}` |
 * | `status-task-<name>-<n>` | the same |
 * | `status-topic-<topic>:connector-<name>` | `{"topic":{"name":..,"connector":..,"task":int,"discoverTimestamp":ms}}` |
 *
 * `DESTROYED` is written as a tombstone. Reads come from the cache the background reader fills, so a write shows up
 * once it has been read back. "Safe" writes (UNASSIGNED and FAILED go through `putSafe`) are skipped when another
 * worker wrote a newer generation. A write that fails for a retriable reason is sent again, unless the entry was
 * deleted, the generation moved on, or (safe writes) a newer write happened meanwhile.
 */
import { ConfigException, Schema, SchemaBuilder } from '@ferry/api'
import { type ConnectionSettings, KafkaBasedLog, type LogRecord } from '../kafka/based-log.ts'
import { isRetriable } from '../kafka/errors.ts'
import type { Logger } from '../logger.ts'
import { silentLogger } from '../logger.ts'
import type { ConnectorTaskId } from '../worker/worker-task.ts'
import { javaClassName, javaSplit, readInternalJson, struct, writeInternalJson } from './internal-json.ts'
import {
  type AbstractStatus,
  type ConnectorStatus,
  canWriteSafely,
  type StatusBackingStore,
  type StatusState,
  type TaskStatus,
  type TopicStatus,
} from './status-store.ts'

export const TASK_STATUS_PREFIX = 'status-task-'
export const CONNECTOR_STATUS_PREFIX = 'status-connector-'
export const TOPIC_STATUS_PREFIX = 'status-topic-'
export const TOPIC_STATUS_SEPARATOR = ':connector-'

export const STATUS_SCHEMA_V0 = SchemaBuilder.struct()
  .field('state', Schema.STRING_SCHEMA)
  .field('trace', SchemaBuilder.string().optional().build())
  .field('worker_id', Schema.STRING_SCHEMA)
  .field('generation', Schema.INT32_SCHEMA)
  .field('version', Schema.OPTIONAL_STRING_SCHEMA)
  .build()
export const TOPIC_STATUS_VALUE_SCHEMA_V0 = SchemaBuilder.struct()
  .field('name', Schema.STRING_SCHEMA)
  .field('connector', Schema.STRING_SCHEMA)
  .field('task', Schema.INT32_SCHEMA)
  .field('discoverTimestamp', Schema.INT64_SCHEMA)
  .build()
export const TOPIC_STATUS_SCHEMA_V0 = SchemaBuilder.map(Schema.STRING_SCHEMA, TOPIC_STATUS_VALUE_SCHEMA_V0).build()

const STATES = new Set<StatusState>(['UNASSIGNED', 'RUNNING', 'PAUSED', 'FAILED', 'RESTARTING', 'STOPPED', 'DESTROYED'])

export const connectorStatusKey = (connector: string) => CONNECTOR_STATUS_PREFIX + connector
export const taskStatusKey = (id: ConnectorTaskId) => `${TASK_STATUS_PREFIX}${id.connector}-${id.task}`
export const topicStatusKey = (connector: string, topic: string) =>
  TOPIC_STATUS_PREFIX + topic + TOPIC_STATUS_SEPARATOR + connector

/** The status record value (null for DESTROYED). */
export function serializeStatus(status: AbstractStatus): Buffer | null {
  if (status.state === 'DESTROYED') return null
  return writeInternalJson(
    STATUS_SCHEMA_V0,
    struct(STATUS_SCHEMA_V0, {
      state: status.state,
      trace: status.trace ?? undefined,
      worker_id: status.workerId,
      generation: status.generation,
      version: status.version ?? undefined,
    }),
  )
}

/** The topic status record value. */
export function serializeTopicStatus(status: TopicStatus): Buffer {
  const value = struct(TOPIC_STATUS_VALUE_SCHEMA_V0, {
    name: status.topic,
    connector: status.connector,
    task: status.task,
    discoverTimestamp: BigInt(status.discoverTimestamp),
  })
  return writeInternalJson(TOPIC_STATUS_SCHEMA_V0, new Map([['topic', value]]))
}

class CacheEntry<T extends AbstractStatus> {
  value: T | null = null
  sequence = 0
  deleted = false

  canWriteSafely(status: T, sequence?: number): boolean {
    return canWriteSafely(this.value, status) && (sequence === undefined || this.sequence === sequence)
  }
}

export interface KafkaStatusBackingStoreOptions extends ConnectionSettings {
  /** `status.storage.topic`. */
  topic: string
  /** `status.storage.partitions` (-1: broker default). */
  partitions?: number
  /** `status.storage.replication.factor` (-1: broker default). */
  replicationFactor?: number
  topicConfigs?: Record<string, string>
  /** Delay before a retriable failed write is sent again (default 100 ms). */
  retryBackoffMs?: number
  logger?: Logger
}

/** See the module comment. */
export class KafkaStatusBackingStore implements StatusBackingStore {
  readonly #log: KafkaBasedLog
  readonly #logger: Logger
  readonly #retryBackoffMs: number
  readonly #connectors = new Map<string, CacheEntry<ConnectorStatus>>()
  readonly #tasks = new Map<string, Map<number, CacheEntry<TaskStatus>>>()
  readonly #topics = new Map<string, Map<string, TopicStatus>>()
  #generation = 0
  #stopped = false
  readonly #inFlight = new Set<Promise<void>>()

  constructor(options: KafkaStatusBackingStoreOptions) {
    if (!options.topic || options.topic.trim().length === 0)
      throw new ConfigException('Must specify topic for connector status.')
    this.#logger = options.logger ?? silentLogger()
    this.#retryBackoffMs = options.retryBackoffMs ?? 100
    this.#log = new KafkaBasedLog({
      ...options,
      onRecord: (r) => this.#read(r),
      // The store retries by itself, knowing when a retry would be stale.
      producerRetries: 0,
      topicSpec: {
        name: options.topic,
        partitions: options.partitions ?? 5,
        replicationFactor: options.replicationFactor ?? -1,
        configs: options.topicConfigs,
        workerConfigKey: 'status.storage.topic',
        purpose: 'connector and task statuses',
      },
      logger: this.#logger,
    })
  }

  async start(): Promise<void> {
    await this.#log.start()
  }

  async stop(): Promise<void> {
    await this.flush()
    this.#stopped = true
    await this.#log.stop()
  }

  /** Resolves once every status written so far was acknowledged (or failed for good). */
  async flush(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight])
  }

  /** Reads the topic to its end, so the getters reflect everything written before the call. */
  async refresh(timeoutMs = 30000): Promise<void> {
    await this.#log.readToEnd(timeoutMs)
  }

  putConnector(status: ConnectorStatus): void {
    this.#send(connectorStatusKey(status.connector), status, this.#connectorEntry(status.connector), false)
  }

  /** Skipped when another worker wrote a newer generation (UNASSIGNED and FAILED use this). */
  putConnectorSafe(status: ConnectorStatus): void {
    this.#send(connectorStatusKey(status.connector), status, this.#connectorEntry(status.connector), true)
  }

  putTask(status: TaskStatus): void {
    this.#send(taskStatusKey(status.id), status, this.#taskEntry(status.id), false)
  }

  putTaskSafe(status: TaskStatus): void {
    this.#send(taskStatusKey(status.id), status, this.#taskEntry(status.id), true)
  }

  putTopic(status: TopicStatus): void {
    this.#sendRaw(topicStatusKey(status.connector, status.topic), serializeTopicStatus(status), () => true)
  }

  /** KIP-558 reset of one topic: a tombstone. */
  deleteTopic(connector: string, topic: string): void {
    this.#sendRaw(topicStatusKey(connector, topic), null, () => true)
  }

  getConnector(connector: string): ConnectorStatus | null {
    return this.#connectors.get(connector)?.value ?? null
  }

  getTask(id: ConnectorTaskId): TaskStatus | null {
    return this.#tasks.get(id.connector)?.get(id.task)?.value ?? null
  }

  /** The connector's task statuses (in task order). */
  getAll(connector: string): TaskStatus[] {
    const tasks = this.#tasks.get(connector)
    if (!tasks) return []
    return [...tasks]
      .sort(([a], [b]) => a - b)
      .map(([, e]) => e.value)
      .filter((v): v is TaskStatus => v !== null)
  }

  getTopic(connector: string, topic: string): TopicStatus | null {
    return this.#topics.get(connector)?.get(topic) ?? null
  }

  getAllTopics(connector: string): TopicStatus[] {
    return [...(this.#topics.get(connector)?.values() ?? [])]
  }

  /** Connectors with a status entry. */
  connectors(): string[] {
    return [...this.#connectors.keys()]
  }

  #connectorEntry(connector: string): CacheEntry<ConnectorStatus> {
    let e = this.#connectors.get(connector)
    if (!e) {
      e = new CacheEntry()
      this.#connectors.set(connector, e)
    }
    return e
  }

  #taskEntry(id: ConnectorTaskId): CacheEntry<TaskStatus> {
    let row = this.#tasks.get(id.connector)
    if (!row) {
      row = new Map()
      this.#tasks.set(id.connector, row)
    }
    let e = row.get(id.task)
    if (!e) {
      e = new CacheEntry()
      row.set(id.task, e)
    }
    return e
  }

  #send<T extends AbstractStatus>(key: string, status: T, entry: CacheEntry<T>, safe: boolean): void {
    this.#generation = status.generation
    if (safe && !entry.canWriteSafely(status)) return
    const sequence = ++entry.sequence
    this.#sendRaw(key, serializeStatus(status), () => {
      if (entry.deleted || status.generation !== this.#generation) return false
      return !safe || entry.canWriteSafely(status, sequence)
    })
  }

  /** Sends; on a retriable failure sends again while `stillWanted()`. */
  #sendRaw(key: string, value: Buffer | null, stillWanted: () => boolean): void {
    const attempt = async (): Promise<void> => {
      for (;;) {
        if (this.#stopped) return
        try {
          await this.#log.send([{ key, value }])
          return
        } catch (e) {
          if (!isRetriable(e)) {
            this.#logger.error({ key, error: String(e) }, 'Failed to write status update')
            return
          }
          if (!stillWanted()) return
          await new Promise((r) => setTimeout(r, this.#retryBackoffMs))
          if (!stillWanted()) return
        }
      }
    }
    const p = attempt()
    this.#inFlight.add(p)
    void p.finally(() => this.#inFlight.delete(p))
  }

  // ----- reading -----

  #read(record: LogRecord): void {
    const key = record.key?.toString('utf8') ?? ''
    if (key.startsWith(CONNECTOR_STATUS_PREFIX)) this.#readConnectorStatus(key, record.value)
    else if (key.startsWith(TASK_STATUS_PREFIX)) this.#readTaskStatus(key, record.value)
    else if (key.startsWith(TOPIC_STATUS_PREFIX)) this.#readTopicStatus(key, record.value)
    else this.#logger.warn(`Discarding record with invalid key ${key}`)
  }

  #readConnectorStatus(key: string, value: Buffer | null): void {
    const connector = key.slice(CONNECTOR_STATUS_PREFIX.length)
    if (connector.length === 0) {
      this.#logger.warn(`Discarding record with invalid connector status key ${key}`)
      return
    }
    if (value === null) {
      const removed = this.#connectors.get(connector)
      this.#connectors.delete(connector)
      if (removed) removed.deleted = true
      const tasks = this.#tasks.get(connector)
      this.#tasks.delete(connector)
      for (const e of tasks?.values() ?? []) e.deleted = true
      return
    }
    const parsed = this.#parseStatus(value, 'connector')
    if (parsed === null) return
    this.#connectorEntry(connector).value = { connector, ...parsed }
  }

  #readTaskStatus(key: string, value: Buffer | null): void {
    const id = parseTaskStatusKey(key)
    if (id === null) {
      this.#logger.warn(`Discarding record with invalid task status key ${key}`)
      return
    }
    if (value === null) {
      const row = this.#tasks.get(id.connector)
      const removed = row?.get(id.task)
      row?.delete(id.task)
      if (removed) removed.deleted = true
      return
    }
    const parsed = this.#parseStatus(value, 'task')
    if (parsed === null) {
      this.#logger.warn(`Failed to parse task status with key ${key}`)
      return
    }
    const entry = this.#taskEntry(id)
    const current = entry.value
    // An UNASSIGNED from a generation that is not newer than the RUNNING we know is stale.
    if (parsed.state === 'UNASSIGNED' && current?.state === 'RUNNING' && current.generation >= parsed.generation) return
    entry.value = { id, ...parsed }
  }

  #readTopicStatus(key: string, value: Buffer | null): void {
    const delimiter = key.indexOf(':')
    let begin = TOPIC_STATUS_PREFIX.length
    if (begin > delimiter) {
      this.#logger.warn(`Discarding record with invalid topic status key ${key}`)
      return
    }
    const topic = key.slice(begin, delimiter)
    if (topic.length === 0) {
      this.#logger.warn(`Discarding record with invalid topic status key containing empty topic ${key}`)
      return
    }
    begin = delimiter + TOPIC_STATUS_SEPARATOR.length
    if (begin > key.length) {
      this.#logger.warn(`Discarding record with invalid topic status key ${key}`)
      return
    }
    const connector = key.slice(begin)
    if (connector.length === 0) {
      this.#logger.warn(`Discarding record with invalid topic status key containing empty connector ${key}`)
      return
    }
    if (value === null) {
      this.#topics.get(connector)?.delete(topic)
      return
    }
    let status: TopicStatus | null = null
    try {
      const outer = readInternalJson(value)
      const inner = outer instanceof Map ? outer.get('topic') : null
      if (inner instanceof Map) {
        const task = inner.get('task')
        const ts = inner.get('discoverTimestamp')
        status = {
          topic: String(inner.get('name')),
          connector: String(inner.get('connector')),
          task: Number(task),
          discoverTimestamp: Number(ts),
        }
      } else {
        this.#logger.error(`Invalid topic status value ${javaClassName(outer)}`)
      }
    } catch (e) {
      this.#logger.error({ error: String(e) }, 'Failed to deserialize topic status')
    }
    if (status === null) {
      this.#logger.warn(`Failed to parse topic status with key ${key}`)
      return
    }
    let row = this.#topics.get(connector)
    if (!row) {
      row = new Map()
      this.#topics.set(connector, row)
    }
    row.set(topic, status)
  }

  #parseStatus(value: Buffer, what: string): AbstractStatus | null {
    try {
      const map = readInternalJson(value)
      if (!(map instanceof Map)) {
        this.#logger.error(`Invalid ${what} status type ${javaClassName(map)}`)
        return null
      }
      const state = map.get('state')
      if (typeof state !== 'string' || !STATES.has(state as StatusState)) throw new Error(`No enum constant ${state}`)
      const generation = map.get('generation')
      if (typeof generation !== 'number' && typeof generation !== 'bigint')
        throw new Error('generation is not a number')
      const trace = map.get('trace') ?? null
      const workerId = map.get('worker_id') ?? null
      const version = map.get('version') ?? null
      return {
        state: state as StatusState,
        trace: trace === null ? null : String(trace),
        workerId: workerId === null ? (null as unknown as string) : String(workerId),
        generation: Number(BigInt.asIntN(32, BigInt(generation))),
        version: version === null ? null : String(version),
      }
    } catch (e) {
      this.#logger.error({ error: String(e) }, `Failed to deserialize ${what} status`)
      return null
    }
  }
}

/** `status-task-<connector>-<n>`, split as Apache does (the connector is the middle parts). */
export function parseTaskStatusKey(key: string): ConnectorTaskId | null {
  const parts = javaSplit(key, '-')
  if (parts.length < 4) return null
  const last = parts[parts.length - 1]!
  if (!/^[+-]?\d+$/.test(last)) return null
  const task = Number.parseInt(last, 10)
  if (task > 2147483647 || task < -2147483648) return null
  return { connector: parts.slice(2, -1).join('-'), task }
}
