/**
 * Apache's `KafkaConfigBackingStore`: connector configs, task configs, target states, restart requests, the session
 * key and cluster logger levels in the config topic (`config.storage.topic`, one partition, compacted), with the same
 * record keys and JSON as Apache, so Ferry and Apache workers read each other's topics.
 *
 * | key | value |
 * |---|---|
 * | `connector-<name>` | `{"properties":{...}}`; tombstone = deleted |
 * | `task-<name>-<n>` | `{"properties":{...}}`, held back until the commit |
 * | `commit-<name>` | `{"tasks":N}`: applies the held-back task configs when 0..N-1 are all there |
 * | `target-state-<name>` | `{"state":"STARTED"\|"PAUSED","state.v2":"STARTED"\|"PAUSED"\|"STOPPED"}` |
 * | `tasks-fencing-<name>` | `{"task-count":N}` |
 * | `session-key` | `{"key":base64,"algorithm":"HmacSHA256","creation-timestamp":ms}` |
 * | `restart-connector-<name>` | `{"include-tasks":bool,"only-failed":bool}` |
 * | `logger-cluster-<namespace>` | `{"level":"DEBUG"}` |
 *
 * The store's offset (the `config-offset` of the group protocol) is the offset after the last record it could read.
 *
 * With `exactly.once.source.support` `preparing` or `enabled` (`transactionalId` set), the leader's writes (connector
 * and task configs, commits, task count records, session keys, restart requests) each go in one transaction of a
 * producer with the transactional id `connect-cluster-<group.id>` (Apache's fencable writer): a newer leader's
 * producer fences an older one, whose writes then fail instead of landing behind the new leader's. A fenced or failed
 * privileged write drops the producer; the next one (made while still the leader) takes the id again. Target states
 * and logger levels, which any worker writes, go through the plain producer. With `enabled`, the topic is read
 * `read_committed` (`readCommitted`).
 */
import { ConfigException, ConnectException, Schema, SchemaBuilder } from '@ferry/api'
import type { RestartRequest } from '../herder/herder.ts'
import {
  type ConnectionSettings,
  configTopicPartitionsMessage,
  KafkaBasedLog,
  type LogRecord,
} from '../kafka/based-log.ts'
import type { ProducerSettings } from '../kafka/client-settings.ts'
import { KafkaProducer } from '../kafka/producer.ts'
import type { Logger } from '../logger.ts'
import { silentLogger } from '../logger.ts'
import type { ConnectorTaskId, TargetState } from '../worker/worker-task.ts'
import {
  ClusterConfigState,
  type ConfigBackingStore,
  type ConfigUpdateListener,
  type RawConfig,
  type SessionKey,
  taskIdKey,
} from './config-store.ts'
import {
  javaClassName,
  javaSplit,
  readInternalJson,
  STRING_MAP_SCHEMA,
  struct,
  writeInternalJson,
} from './internal-json.ts'

export const TARGET_STATE_PREFIX = 'target-state-'
export const CONNECTOR_PREFIX = 'connector-'
export const TASK_PREFIX = 'task-'
export const COMMIT_TASKS_PREFIX = 'commit-'
export const TASK_COUNT_RECORD_PREFIX = 'tasks-fencing-'
export const SESSION_KEY_KEY = 'session-key'
export const RESTART_PREFIX = 'restart-connector-'
export const LOGGER_CLUSTER_PREFIX = 'logger-cluster-'

export const connectorKey = (connector: string) => CONNECTOR_PREFIX + connector
export const taskKey = (id: ConnectorTaskId) => `${TASK_PREFIX}${id.connector}-${id.task}`
export const commitTasksKey = (connector: string) => COMMIT_TASKS_PREFIX + connector
export const targetStateKey = (connector: string) => TARGET_STATE_PREFIX + connector
export const taskCountRecordKey = (connector: string) => TASK_COUNT_RECORD_PREFIX + connector
export const restartKey = (connector: string) => RESTART_PREFIX + connector
export const loggerClusterKey = (namespace: string) => LOGGER_CLUSTER_PREFIX + namespace

// Apache's schemas (KafkaConfigBackingStore's static fields).
export const CONNECTOR_CONFIGURATION_V0 = SchemaBuilder.struct().field('properties', STRING_MAP_SCHEMA).build()
export const TASK_CONFIGURATION_V0 = CONNECTOR_CONFIGURATION_V0
export const CONNECTOR_TASKS_COMMIT_V0 = SchemaBuilder.struct().field('tasks', Schema.INT32_SCHEMA).build()
export const TARGET_STATE_V1 = SchemaBuilder.struct()
  .field('state', Schema.STRING_SCHEMA)
  .field('state.v2', Schema.OPTIONAL_STRING_SCHEMA)
  .build()
export const TASK_COUNT_RECORD_V0 = SchemaBuilder.struct().field('task-count', Schema.INT32_SCHEMA).build()
export const SESSION_KEY_V0 = SchemaBuilder.struct()
  .field('key', Schema.STRING_SCHEMA)
  .field('algorithm', Schema.STRING_SCHEMA)
  .field('creation-timestamp', Schema.INT64_SCHEMA)
  .build()
export const RESTART_REQUEST_V0 = SchemaBuilder.struct()
  .field('include-tasks', Schema.BOOLEAN_SCHEMA)
  .field('only-failed', Schema.BOOLEAN_SCHEMA)
  .build()
export const LOGGER_LEVEL_V0 = SchemaBuilder.struct().field('level', Schema.STRING_SCHEMA).build()

/** A read or a write of the config topic that takes longer than this fails (Apache's READ_WRITE_TOTAL_TIMEOUT_MS). */
export const READ_WRITE_TOTAL_TIMEOUT_MS = 30000

/** The record key of a task config, split as Apache does (last `-` part is the task number). */
export function parseTaskId(key: string): ConnectorTaskId | null {
  const parts = javaSplit(key, '-')
  if (parts.length < 3) return null
  const last = parts[parts.length - 1]!
  if (!/^[+-]?\d+$/.test(last)) return null
  const task = Number.parseInt(last, 10)
  if (task > 2147483647 || task < -2147483648) return null
  return { connector: parts.slice(1, -1).join('-'), task }
}

export interface KafkaConfigBackingStoreOptions extends ConnectionSettings {
  /** `config.storage.topic`. */
  topic: string
  /** `config.storage.replication.factor` (-1: broker default). */
  replicationFactor?: number
  /** Extra topic configs (`config.storage.*` topic settings). */
  topicConfigs?: Record<string, string>
  /** The leader's transactional id (`connect-cluster-<group.id>`) when its writes are transactional; null: plain. */
  transactionalId?: string | null
  /** Reads only committed records (exactly-once source support `enabled`). */
  readCommitted?: boolean
  logger?: Logger
}

/** See the module comment. All writes read the topic back (as Apache) before they resolve, except target states and logger levels. */
export class KafkaConfigBackingStore implements ConfigBackingStore {
  readonly #log: KafkaBasedLog
  readonly #logger: Logger
  readonly #topic: string
  #listener: ConfigUpdateListener | null = null
  #started = false
  #offset = -1
  #sessionKey: SessionKey | null = null
  readonly #connectorConfigs = new Map<string, RawConfig>()
  readonly #taskCounts = new Map<string, number>()
  readonly #taskConfigs = new Map<string, RawConfig>()
  readonly #deferredTaskUpdates = new Map<string, Map<number, RawConfig>>()
  readonly #inconsistent = new Set<string>()
  readonly #targetStates = new Map<string, TargetState>()
  readonly #taskCountRecords = new Map<string, number>()
  readonly #taskConfigGenerations = new Map<string, number>()
  readonly #appliedConnectorConfigs = new Map<string, RawConfig>()
  readonly #pendingFencing = new Set<string>()
  /** The leader's transactional producer settings; null when its writes are plain. */
  readonly #fencableSettings: ProducerSettings | null
  /** The leader's transactional producer, once it claimed its write privileges. */
  #fencable: Promise<KafkaProducer> | null = null
  /** The offset after the last record this store wrote transactionally: a read back must get past it. */
  #written = -1

  constructor(options: KafkaConfigBackingStoreOptions) {
    if (!options.topic || options.topic.trim().length === 0)
      throw new ConfigException('Must specify topic for connector configuration.')
    this.#topic = options.topic
    this.#logger = options.logger ?? silentLogger()
    const {
      topic: _topic,
      replicationFactor: _rf,
      topicConfigs: _tc,
      transactionalId,
      readCommitted: _rc,
      ...client
    } = options
    // Apache's fencableProducerProps: `<client id>-leader`, acks=all, idempotent, 5 in flight.
    this.#fencableSettings = transactionalId
      ? {
          ...client,
          clientId: `${options.clientId ?? ''}-leader`,
          acks: -1,
          idempotence: true,
          maxInFlightRequestsPerConnection: 5,
          transactionalId,
        }
      : null
    this.#log = new KafkaBasedLog({
      ...options,
      onRecord: (r) => this.#onRecord(r),
      topicSpec: {
        name: options.topic,
        partitions: 1,
        replicationFactor: options.replicationFactor ?? -1,
        configs: options.topicConfigs,
        workerConfigKey: 'config.storage.topic',
        purpose: 'connector configurations',
      },
      logger: this.#logger,
    })
  }

  setUpdateListener(listener: ConfigUpdateListener): void {
    this.#listener = listener
  }

  /** Creates/verifies the topic, reads it to the end, and refuses a topic with more than one partition. */
  async start(): Promise<void> {
    this.#logger.info('Starting KafkaConfigBackingStore')
    await this.#log.start()
    if (this.#log.partitionCount > 1) {
      await this.#log.stop()
      throw new ConfigException(configTopicPartitionsMessage(this.#topic, this.#log.partitionCount))
    }
    this.#started = true
    this.#logger.info('Started KafkaConfigBackingStore')
  }

  async stop(): Promise<void> {
    this.#logger.info('Closing KafkaConfigBackingStore')
    this.#started = false
    await this.relinquishWritePrivileges()
    await this.#log.stop()
    this.#logger.info('Closed KafkaConfigBackingStore')
  }

  /** The offset after the last record read (-1 before any). */
  get offset(): number {
    return this.#offset
  }

  snapshot(): ClusterConfigState {
    return new ClusterConfigState({
      offset: this.#offset,
      sessionKey: this.#sessionKey,
      connectorConfigs: this.#connectorConfigs,
      taskCounts: this.#taskCounts,
      targetStates: this.#targetStates,
      taskConfigs: this.#taskConfigs,
      taskCountRecords: this.#taskCountRecords,
      taskConfigGenerations: this.#taskConfigGenerations,
      appliedConnectorConfigs: this.#appliedConnectorConfigs,
      pendingFencing: this.#pendingFencing,
      inconsistent: this.#inconsistent,
    })
  }

  contains(connector: string): boolean {
    return this.#connectorConfigs.has(connector)
  }

  /** Reads the topic to its end (Apache's `refresh`). */
  async refresh(timeoutMs: number): Promise<void> {
    await this.#log.readToEnd(timeoutMs)
  }

  /**
   * Writes a connector's config; with `targetState` the target state record goes first (a new connector), in the
   * same request. Resolves once read back.
   */
  async putConnectorConfig(connector: string, config: RawConfig, targetState?: TargetState | null): Promise<void> {
    const deadline = Date.now() + READ_WRITE_TOTAL_TIMEOUT_MS
    const records = []
    if (targetState) records.push({ key: targetStateKey(connector), value: serializeTargetState(targetState) })
    records.push({ key: connectorKey(connector), value: serializeConfig(config) })
    await this.#writePrivileged(records, deadline, 'Error writing connector configuration to Kafka')
    await this.#read(deadline, 'Error writing connector configuration to Kafka')
  }

  /** Tombstones for the connector's config and target state. */
  async removeConnectorConfig(connector: string): Promise<void> {
    const deadline = Date.now() + READ_WRITE_TOTAL_TIMEOUT_MS
    await this.#writePrivileged(
      [
        { key: connectorKey(connector), value: null },
        { key: targetStateKey(connector), value: null },
      ],
      deadline,
      'Error removing connector configuration from Kafka',
    )
    await this.#read(deadline, 'Error removing connector configuration from Kafka')
  }

  /**
   * Writes the task configs, reads them back, then writes the commit record that applies them and reads that back.
   */
  async putTaskConfigs(connector: string, configs: RawConfig[]): Promise<void> {
    const deadline = Date.now() + READ_WRITE_TOTAL_TIMEOUT_MS
    await this.#read(deadline, 'Error writing root configuration to Kafka')
    const records = configs.map((config, task) => ({
      key: taskKey({ connector, task }),
      value: writeInternalJson(TASK_CONFIGURATION_V0, struct(TASK_CONFIGURATION_V0, { properties: toMap(config) })),
    }))
    if (records.length > 0) await this.#writePrivileged(records, deadline, 'Error writing task configurations to Kafka')
    if (configs.length > 0) await this.#read(deadline, 'Error writing root configuration to Kafka')
    const commit = writeInternalJson(
      CONNECTOR_TASKS_COMMIT_V0,
      struct(CONNECTOR_TASKS_COMMIT_V0, { tasks: configs.length }),
    )
    await this.#writePrivileged(
      [{ key: commitTasksKey(connector), value: commit }],
      deadline,
      'Error writing root configuration to Kafka',
    )
    await this.#read(deadline, 'Error writing root configuration to Kafka')
  }

  /** Any worker may write target states; resolves when acknowledged (not read back). */
  async putTargetState(connector: string, state: TargetState): Promise<void> {
    await this.#write(
      [{ key: targetStateKey(connector), value: serializeTargetState(state) }],
      Date.now() + READ_WRITE_TOTAL_TIMEOUT_MS,
      'Error writing target state to Kafka',
    )
  }

  async putTaskCountRecord(connector: string, taskCount: number): Promise<void> {
    const deadline = Date.now() + READ_WRITE_TOTAL_TIMEOUT_MS
    const value = writeInternalJson(TASK_COUNT_RECORD_V0, struct(TASK_COUNT_RECORD_V0, { 'task-count': taskCount }))
    await this.#writePrivileged(
      [{ key: taskCountRecordKey(connector), value }],
      deadline,
      'Error writing task count record to Kafka',
    )
    await this.#read(deadline, 'Error writing task count record to Kafka')
  }

  async putSessionKey(sessionKey: SessionKey): Promise<void> {
    const deadline = Date.now() + READ_WRITE_TOTAL_TIMEOUT_MS
    const value = writeInternalJson(
      SESSION_KEY_V0,
      struct(SESSION_KEY_V0, {
        key: sessionKey.key.toString('base64'),
        algorithm: sessionKey.algorithm,
        'creation-timestamp': BigInt(sessionKey.creationTimestamp),
      }),
    )
    await this.#writePrivileged([{ key: SESSION_KEY_KEY, value }], deadline, 'Error writing session key to Kafka')
    await this.#read(deadline, 'Error writing session key to Kafka')
  }

  async putRestartRequest(request: RestartRequest): Promise<void> {
    const deadline = Date.now() + READ_WRITE_TOTAL_TIMEOUT_MS
    const value = writeInternalJson(
      RESTART_REQUEST_V0,
      struct(RESTART_REQUEST_V0, { 'include-tasks': request.includeTasks, 'only-failed': request.onlyFailed }),
    )
    const what = `Error writing RestartRequest{connectorName='${request.connector}', onlyFailed=${request.onlyFailed}, includeTasks=${request.includeTasks}} to Kafka`
    await this.#writePrivileged([{ key: restartKey(request.connector), value }], deadline, what)
    await this.#read(deadline, what)
  }

  /** Any worker may write cluster logger levels; resolves when acknowledged. */
  async putLoggerLevel(namespace: string, level: string): Promise<void> {
    const value = writeInternalJson(LOGGER_LEVEL_V0, struct(LOGGER_LEVEL_V0, { level }))
    await this.#write(
      [{ key: loggerClusterKey(namespace), value }],
      Date.now() + READ_WRITE_TOTAL_TIMEOUT_MS,
      'Error writing logger level to Kafka',
    )
  }

  /**
   * Apache's `claimWritePrivileges`: the leader's transactional producer takes the id (InitProducerId), fencing an
   * older leader's. Called by the herder when this worker becomes the leader; a privileged write claims them too.
   */
  async claimWritePrivileges(): Promise<void> {
    if (this.#fencableSettings === null) return
    await this.#fencableProducer()
  }

  /** Apache's `relinquishWritePrivileges`: closes the leader's transactional producer (no longer the leader). */
  async relinquishWritePrivileges(): Promise<void> {
    const fencable = this.#fencable
    this.#fencable = null
    if (fencable) await (await fencable.catch(() => null))?.close().catch(() => {})
  }

  #fencableProducer(): Promise<KafkaProducer> {
    this.#fencable ??= (async () => {
      const producer = new KafkaProducer(this.#fencableSettings!)
      try {
        await producer.initTransactions()
        return producer
      } catch (e) {
        await producer.close().catch(() => {})
        throw e
      }
    })()
    const claimed = this.#fencable
    claimed.catch(() => {
      if (this.#fencable === claimed) this.#fencable = null
    })
    return claimed
  }

  /**
   * A write only the leader makes (Apache's `sendPrivileged`): one transaction of the leader's producer when its writes
   * are transactional, else a plain write. A failed transactional write gives up the producer (Apache's
   * PrivilegedWriteException), so the next write, if this worker is still the leader, claims the id again.
   */
  async #writePrivileged(
    records: Array<{ key: string; value: Buffer | null }>,
    deadline: number,
    what: string,
  ): Promise<void> {
    if (this.#fencableSettings === null) return this.#write(records, deadline, what)
    try {
      const producer = await withDeadline(this.#fencableProducer(), deadline)
      producer.beginTransaction()
      const sent = await withDeadline(
        producer.send(
          records.map((r) => ({
            topic: this.#topic,
            partition: 0,
            key: Buffer.from(r.key, 'utf8'),
            value: r.value,
          })),
        ),
        deadline,
      )
      await withDeadline(producer.commitTransaction(), deadline)
      const base = sent[0]?.offset
      if (base !== undefined && base >= 0) this.#written = Math.max(this.#written, base + records.length)
    } catch (e) {
      this.#logger.warn({ error: String(e) }, 'Failed to perform fencable send to config topic')
      await this.relinquishWritePrivileges()
      throw new ConnectException(`${what}: Failed to perform fencable send to config topic`, e)
    }
  }

  async #write(records: Array<{ key: string; value: Buffer | null }>, deadline: number, what: string): Promise<void> {
    try {
      await withDeadline(this.#log.send(records), deadline)
    } catch (e) {
      this.#logger.error({ error: String(e) }, `${what}: write failed`)
      throw new ConnectException(what, e)
    }
  }

  async #read(deadline: number, what: string): Promise<void> {
    try {
      await this.#log.readToEnd(Math.max(1, deadline - Date.now()))
      // A committed transaction becomes readable (read_committed) once the coordinator has written its markers, a
      // little after the commit returned: the end offset may not cover it yet, so read until past what was written.
      while (this.#offset < this.#written) {
        if (Date.now() >= deadline) throw new Error('Timed out reading the config topic back')
        await new Promise((r) => setTimeout(r, 20))
        await this.#log.readToEnd(Math.max(1, deadline - Date.now()))
      }
    } catch (e) {
      this.#logger.error({ error: String(e) }, `${what}: read failed`)
      throw new ConnectException(what, e)
    }
  }

  // ----- reading the topic -----

  #onRecord(record: LogRecord): void {
    const key = record.key?.toString('utf8') ?? ''
    let value: unknown
    try {
      value = readInternalJson(record.value)
    } catch (e) {
      this.#logger.error({ key, error: String(e) }, 'Failed to convert config data to Kafka Connect format: ')
      return
    }
    this.#offset = record.offset + 1
    if (key.startsWith(TARGET_STATE_PREFIX)) this.#processTargetState(key.slice(TARGET_STATE_PREFIX.length), value)
    else if (key.startsWith(CONNECTOR_PREFIX)) this.#processConnectorConfig(key.slice(CONNECTOR_PREFIX.length), value)
    else if (key.startsWith(TASK_PREFIX)) {
      const id = parseTaskId(key)
      if (id === null) {
        this.#logger.error(`Ignoring task configuration because ${key} couldn't be parsed as a task config key`)
        return
      }
      this.#processTaskConfig(id, value)
    } else if (key.startsWith(COMMIT_TASKS_PREFIX)) this.#processCommit(key.slice(COMMIT_TASKS_PREFIX.length), value)
    else if (key.startsWith(RESTART_PREFIX)) {
      const request = this.#restartRequest(key.slice(RESTART_PREFIX.length), value)
      if (request && this.#started) this.#listener?.onRestartRequest(request)
    } else if (key.startsWith(TASK_COUNT_RECORD_PREFIX))
      this.#processTaskCountRecord(key.slice(TASK_COUNT_RECORD_PREFIX.length), value)
    else if (key === SESSION_KEY_KEY) this.#processSessionKey(value)
    else if (key.startsWith(LOGGER_CLUSTER_PREFIX))
      this.#processLoggerLevel(key.slice(LOGGER_CLUSTER_PREFIX.length), value)
    else this.#logger.error(`Discarding config update record with invalid key: ${key}`)
  }

  #processTargetState(connector: string, value: unknown): void {
    let removed = false
    let changed = true
    if (value === null) {
      this.#targetStates.delete(connector)
      removed = true
      // A deleted target state means STARTED while the connector exists.
      if (this.#connectorConfigs.has(connector)) this.#targetStates.set(connector, 'STARTED')
    } else {
      if (!(value instanceof Map)) {
        this.#logger.error(
          `Ignoring target state for connector '${connector}' because it is in the wrong format: ${javaClassName(value)}`,
        )
        return
      }
      let state: unknown = value.get('state.v2') ?? null
      if (state !== null && typeof state !== 'string') {
        this.#logger.error(
          `Invalid data for target state for connector '${connector}': 'state.v2' field should be a String but is ${javaClassName(state)}`,
        )
        state = null
      }
      if (state === null) {
        state = value.get('state') ?? null
        if (typeof state !== 'string') {
          this.#logger.error(
            `Invalid data for target state for connector '${connector}': 'state' field should be a String but is ${javaClassName(state)}`,
          )
          return
        }
      }
      if (state !== 'STARTED' && state !== 'PAUSED' && state !== 'STOPPED') {
        this.#logger.error(`Invalid target state for connector '${connector}': ${state}`)
        return
      }
      const previous = this.#targetStates.get(connector)
      this.#targetStates.set(connector, state)
      changed = state !== previous
    }
    if (this.#started && !removed && changed && this.#connectorConfigs.has(connector))
      this.#listener?.onConnectorTargetStateChange(connector)
  }

  #processConnectorConfig(connector: string, value: unknown): void {
    let removed = false
    if (value === null) {
      this.#removeConnector(connector)
      this.#logger.info(`Successfully processed removal of connector '${connector}'`)
      removed = true
    } else {
      if (!(value instanceof Map)) {
        this.#logger.error(
          `Ignoring configuration for connector '${connector}' because it is in the wrong format: ${javaClassName(value)}`,
        )
        return
      }
      const properties = value.get('properties')
      if (!(properties instanceof Map)) {
        this.#logger.error(
          `Invalid data for config for connector '${connector}': 'properties' field should be a Map but is ${javaClassName(properties ?? null)}`,
        )
        return
      }
      this.#connectorConfigs.set(connector, toRawConfig(properties))
      if (!this.#targetStates.has(connector)) this.#targetStates.set(connector, 'STARTED')
    }
    if (!this.#started) return
    if (removed) this.#listener?.onConnectorConfigRemove(connector)
    else this.#listener?.onConnectorConfigUpdate(connector)
  }

  #processTaskConfig(id: ConnectorTaskId, value: unknown): void {
    if (value === null) {
      this.#logger.error(
        `Ignoring task configuration for task ${id.connector}-${id.task} because it is unexpectedly null`,
      )
      return
    }
    if (!(value instanceof Map)) {
      this.#logger.error(
        `Ignoring task configuration for task ${id.connector}-${id.task} because the value is not a Map but is ${javaClassName(value)}`,
      )
      return
    }
    const properties = value.get('properties')
    if (!(properties instanceof Map)) {
      this.#logger.error(
        `Invalid data for config of task ${id.connector}-${id.task} 'properties' field should be a Map but is ${javaClassName(properties ?? null)}`,
      )
      return
    }
    let deferred = this.#deferredTaskUpdates.get(id.connector)
    if (!deferred) {
      deferred = new Map()
      this.#deferredTaskUpdates.set(id.connector, deferred)
    }
    deferred.set(id.task, toRawConfig(properties))
  }

  #processCommit(connector: string, value: unknown): void {
    const updated: ConnectorTaskId[] = []
    const applied = this.#connectorConfigs.get(connector)
    if (applied === undefined) {
      // A commit for a connector deleted earlier (compaction may have removed the rest): ignore it.
      this.#removeConnector(connector)
      return
    }
    if (!(value instanceof Map)) {
      this.#logger.error(
        `Ignoring connector tasks configuration commit for connector '${connector}' because it is in the wrong format: ${javaClassName(value)}`,
      )
      return
    }
    const count = intValue(value.get('tasks'))
    if (count === null) {
      this.#logger.error('Expected integer value to be either Integer or Long')
      return
    }
    const deferred = this.#deferredTaskUpdates.get(connector)
    const ids = new Set(deferred?.keys() ?? [])
    let complete = ids.size >= count
    for (let i = 0; complete && i < count; i++) if (!ids.has(i)) complete = false
    if (!complete) {
      this.#logger.debug(
        `We have an incomplete set of task configs for connector '${connector}' probably due to compaction. So we are not doing anything with the new configuration.`,
      )
      this.#inconsistent.add(connector)
    } else {
      if (deferred) {
        for (const [task, config] of deferred) {
          this.#taskConfigs.set(taskIdKey({ connector, task }), config)
          updated.push({ connector, task })
        }
        const generation = this.#taskConfigGenerations.get(connector)
        this.#taskConfigGenerations.set(connector, generation === undefined ? 0 : generation + 1)
      }
      this.#inconsistent.delete(connector)
      this.#appliedConnectorConfigs.set(connector, applied)
    }
    deferred?.clear()
    this.#taskCounts.set(connector, count)
    this.#pendingFencing.add(connector)
    if (this.#started) this.#listener?.onTaskConfigUpdate(updated)
  }

  #restartRequest(connector: string, value: unknown): RestartRequest | null {
    if (!(value instanceof Map)) {
      this.#logger.error(`Ignoring restart request because the value is not a Map but is ${javaClassName(value)}`)
      return null
    }
    const onlyFailed = value.get('only-failed')
    const includeTasks = value.get('include-tasks')
    if (typeof onlyFailed !== 'boolean')
      this.#logger.warn(
        `Invalid data for restart request 'only-failed' field should be a Boolean but is ${javaClassName(onlyFailed ?? null)}, defaulting to false`,
      )
    if (typeof includeTasks !== 'boolean')
      this.#logger.warn(
        `Invalid data for restart request 'include-tasks' field should be a Boolean but is ${javaClassName(includeTasks ?? null)}, defaulting to false`,
      )
    return { connector, onlyFailed: onlyFailed === true, includeTasks: includeTasks === true }
  }

  #processTaskCountRecord(connector: string, value: unknown): void {
    if (!(value instanceof Map)) {
      this.#logger.error(
        `Ignoring task count record for connector '${connector}' because it is in the wrong format: ${javaClassName(value)}`,
      )
      return
    }
    const count = intValue(value.get('task-count'))
    if (count === null) {
      this.#logger.error('Expected integer value to be either Integer or Long')
      return
    }
    this.#taskCountRecords.set(connector, count)
    this.#pendingFencing.delete(connector)
  }

  #processSessionKey(value: unknown): void {
    if (value === null) {
      this.#logger.error('Ignoring session key because it is unexpectedly null')
      return
    }
    if (!(value instanceof Map)) {
      this.#logger.error(`Ignoring session key because the value is not a Map but is ${javaClassName(value)}`)
      return
    }
    const key = value.get('key')
    if (typeof key !== 'string') {
      this.#logger.error(
        `Invalid data for session key 'key' field should be a String but is ${javaClassName(key ?? null)}`,
      )
      return
    }
    const algorithm = value.get('algorithm')
    if (typeof algorithm !== 'string') {
      this.#logger.error(
        `Invalid data for session key 'algorithm' field should be a String but it is ${javaClassName(algorithm ?? null)}`,
      )
      return
    }
    const created = value.get('creation-timestamp')
    if (!(typeof created === 'number' && Number.isInteger(created)) && typeof created !== 'bigint') {
      this.#logger.error(
        `Invalid data for session key 'creation-timestamp' field should be a long but it is ${javaClassName(created ?? null)}`,
      )
      return
    }
    this.#sessionKey = { key: Buffer.from(key, 'base64'), algorithm, creationTimestamp: Number(created) }
    if (this.#started) this.#listener?.onSessionKeyUpdate(this.#sessionKey)
  }

  #processLoggerLevel(namespace: string, value: unknown): void {
    if (value === null) {
      this.#logger.error(`Ignoring logging level for namespace ${namespace} because it is unexpectedly null`)
      return
    }
    if (!(value instanceof Map)) {
      this.#logger.error(
        `Ignoring logging level for namespace ${namespace} because the value is not a Map but is ${javaClassName(value)}`,
      )
      return
    }
    const level = value.get('level')
    if (typeof level !== 'string') {
      this.#logger.error(
        `Invalid data for logging level key 'level' field with namespace ${namespace}; should be a String but it is ${javaClassName(level ?? null)}`,
      )
      return
    }
    // Levels written before this worker started are history: only later ones apply.
    if (this.#started) this.#listener?.onLoggingLevelUpdate(namespace, level)
  }

  #removeConnector(connector: string): void {
    this.#connectorConfigs.delete(connector)
    this.#taskCounts.delete(connector)
    for (const k of [...this.#taskConfigs.keys()]) if (k.startsWith(`${connector}\u0000`)) this.#taskConfigs.delete(k)
    this.#deferredTaskUpdates.delete(connector)
    this.#appliedConnectorConfigs.delete(connector)
  }
}

/** The target state record: `state` carries PAUSED for STOPPED, for readers that predate STOPPED. */
export function serializeTargetState(state: TargetState): Buffer {
  return writeInternalJson(
    TARGET_STATE_V1,
    struct(TARGET_STATE_V1, { state: state === 'STOPPED' ? 'PAUSED' : state, 'state.v2': state }),
  )
}

/** The connector (or task) config record: `{"properties":{...}}` in the config's key order. */
export function serializeConfig(config: RawConfig): Buffer {
  return writeInternalJson(
    CONNECTOR_CONFIGURATION_V0,
    struct(CONNECTOR_CONFIGURATION_V0, { properties: toMap(config) }),
  )
}

function toMap(config: RawConfig): Map<string, string | null> {
  return new Map(Object.entries(config))
}

function toRawConfig(properties: Map<unknown, unknown>): RawConfig {
  const out: RawConfig = {}
  for (const [k, v] of properties) out[String(k)] = v === null || v === undefined ? null : String(v)
  return out
}

/** Apache's `intValue`: an Integer or a Long (truncated to int); anything else is an error (null). */
function intValue(value: unknown): number | null {
  if (typeof value === 'bigint') return Number(BigInt.asIntN(32, value))
  if (typeof value === 'number' && Number.isInteger(value)) return value | 0
  return null
}

async function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error('Timed out writing to the config topic')),
          Math.max(1, deadline - Date.now()),
        )
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}
