import { NotFoundException } from '@ferry/api'
import { isConnectionError, KafkaAdmin, withTopicTracking } from '../kafka/clients.ts'
import type { Logger } from '../logger.ts'
import {
  type ClusterConfigState,
  type ConfigBackingStore,
  present,
  type RawConfig,
  sameConfig,
} from '../storage/config-store.ts'
import { type AbstractStatus, type StatusBackingStore, type StatusState, traceOf } from '../storage/status-store.ts'
import type { ConnectorStatusListener, Worker } from '../worker/worker.ts'
import type { ConnectorTaskId, TaskStatusListener } from '../worker/worker-task.ts'
import {
  connectorPluginConfig,
  connectorTypeOf,
  showReferences,
  type ValidationContext,
  validateConnectorConfig,
} from './connector-validation.ts'
import type {
  ActiveTopicsInfo,
  ConfigInfos,
  ConfigKeyInfo,
  ConnectorInfo,
  ConnectorStateInfo,
  ConnectorType,
  LoggerLevel,
  RestartRequest,
  State,
  StateInfo,
  TaskInfo,
  TaskState,
} from './herder.ts'
import { Loggers } from './loggers.ts'
import { connectorVersions, taskWithVersion, withVersion } from './plugin-versions.ts'

export interface AbstractHerderOptions {
  /** Loggers the worker and REST server use, by namespace, so `/admin/loggers` can change them (root is `log`). */
  loggers?: Readonly<Record<string, Logger>>
  /** Reads the Kafka cluster id at start; the default asks the worker's cluster through the admin client. */
  clusterId?: () => Promise<string>
  /** The clock of topic discovery times and of distributed mode's timers. */
  now?: () => number
}

/** How long `start` waits for the cluster id before going on without it. */
const CLUSTER_ID_TIMEOUT_MS = 10_000

/**
 * What both herders share (Apache's `AbstractHerder`): config validation, plugin configs, worker logger levels, the
 * cluster id, readiness, the one serial queue every change goes through (so a delete cannot race its own start), and
 * everything read from or written to the stores the same way in both modes: connector and task configs, the statuses
 * this worker's connectors and tasks report, and the topics they use (KIP-558).
 */
export abstract class AbstractHerder {
  protected readonly worker: Worker
  /** The worker's id in statuses (distributed: its advertised REST `host:port`). */
  protected readonly workerId: string
  /** Connector and task configs and target states: memory (standalone) or the config topic (distributed). */
  protected abstract readonly configStore: ConfigBackingStore
  /** Statuses and active topics: memory (standalone) or the status topic (distributed). */
  protected abstract readonly statusStore: StatusBackingStore
  protected readonly now: () => number
  protected readonly loggers: Loggers
  protected readonly log: Logger
  /** KIP-558 topic tracking (`topic.tracking.enable`). */
  protected readonly topicTracking: boolean
  /** True once the herder can serve requests (`/health` answers `starting` before). */
  protected ready = false
  #queue: Promise<unknown> = Promise.resolve()
  #clusterId: string | null = null
  readonly #clusterIdLookup: () => Promise<string>
  /** Topics this worker's tasks were seen using, so each is written to the status store once (KIP-558). */
  readonly #seenTopics = new Set<string>()

  constructor(worker: Worker, workerId: string, log: Logger, logName: string, options: AbstractHerderOptions = {}) {
    this.worker = worker
    this.workerId = workerId
    this.now = options.now ?? Date.now
    this.loggers = new Loggers(log, options.loggers ?? {})
    this.log = this.loggers.logger(logName)
    worker.useLoggers((name) => this.loggers.logger(name))
    this.topicTracking = (worker.config.originals['topic.tracking.enable'] ?? 'true').trim().toLowerCase() !== 'false'
    this.#clusterIdLookup = options.clusterId ?? (() => this.#lookUpClusterId())
  }

  /**
   * When the operation the serial queue runs now began (`Date.now()`), null while the queue waits for work: distributed
   * mode leaves the group when one operation runs past `rebalance.timeout.ms`.
   */
  protected busySince: number | null = null

  /** Runs `fn` after every operation queued before it. */
  protected serial<T>(fn: () => Promise<T>): Promise<T> {
    const timed = async () => {
      this.busySince = Date.now()
      try {
        return await fn()
      } finally {
        this.busySince = null
      }
    }
    const run = this.#queue.then(timed, timed)
    this.#queue = run.catch(() => {})
    return run
  }

  /** Reads the cluster id for `GET /`, waiting at most 10 s; without it the id shows null. */
  protected async readClusterId(): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    try {
      this.#clusterId = await Promise.race([
        this.#clusterIdLookup(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), CLUSTER_ID_TIMEOUT_MS)
        }),
      ])
    } catch (e) {
      const reason = isConnectionError(e) ? 'connection failed' : (e as Error).message
      this.log.warn(`Could not read the Kafka cluster id (${reason}); GET / shows null`)
    } finally {
      clearTimeout(timer)
    }
  }

  async #lookUpClusterId(): Promise<string> {
    const admin = this.admin('ferry-cluster-id')
    try {
      return await admin.clusterId()
    } finally {
      await admin.close().catch(() => {})
    }
  }

  protected admin(clientId: string): KafkaAdmin {
    return new KafkaAdmin(this.worker.config.clients.internal(this.worker.config.clientId || clientId))
  }

  #validation(): ValidationContext {
    return { plugins: this.worker.plugins, workerConfig: this.worker.config }
  }

  isReady(): boolean {
    return this.ready
  }

  async healthCheck(): Promise<void> {
    await this.serial(async () => {})
  }

  kafkaClusterId(): string | null {
    return this.#clusterId
  }

  /**
   * Validates the config with its provider references resolved (Apache's), then shows the references again: the
   * result holds no resolved value, and a reference that cannot be resolved is an error on its key.
   */
  async validateConnectorConfig(config: Record<string, string | null>): Promise<ConfigInfos> {
    const transformer = this.worker.configTransformer
    const resolved = await transformer.transform(config)
    let infos: ConfigInfos
    try {
      infos = await validateConnectorConfig(this.#validation(), resolved.data)
    } catch (e) {
      throw transformer.redactor.redactError(e)
    }
    return showReferences(infos, config, resolved, transformer.redactor)
  }

  /**
   * A stored connector config with its provider references resolved, for the work the herder does itself with it
   * (reading and changing offsets); throws `ConfigException` naming a reference that cannot be resolved.
   */
  protected async resolvedConnectorConfig(config: Record<string, string>): Promise<Record<string, string>> {
    return (await this.worker.configTransformer.resolve(config)).config
  }

  connectorPluginConfig(pluginName: string, version?: string): ConfigKeyInfo[] {
    return connectorPluginConfig(this.#validation(), pluginName, version)
  }

  loggerLevel(logger: string): LoggerLevel | null {
    return this.loggers.level(logger)
  }

  allLoggerLevels(): Record<string, LoggerLevel> {
    return this.loggers.allLevels()
  }

  setWorkerLoggerLevel(namespace: string, level: string): string[] {
    if (!Loggers.isValidLevel(level)) {
      this.log.warn(`Ignoring request to set invalid level '${level}' for namespace ${namespace}`)
      return []
    }
    return this.loggers.setLevel(namespace, level)
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Configs, as the config store holds them

  /** The config snapshot the herder works from; the versions a status reports are those of this config. */
  protected configState(): ClusterConfigState {
    return this.configStore.snapshot()
  }

  connectors(): string[] {
    return this.configStore.snapshot().connectors().sort()
  }

  /**
   * A connector's stored config (in `snapshot`, by default what the config store holds now, which a distributed
   * herder may not have acted on yet), or `NotFoundException` with `message`.
   */
  protected storedConfig(
    name: string,
    message = `Connector ${name} not found`,
    snapshot = this.configStore.snapshot(),
  ): Record<string, string> {
    const config = snapshot.connectorConfig(name)
    if (!config) throw new NotFoundException(message)
    return config as Record<string, string>
  }

  protected connectorType(config: Record<string, string>): ConnectorType {
    return connectorTypeOf(this.worker.plugins, config['connector.class'])
  }

  connectorInfo(name: string): ConnectorInfo {
    const snapshot = this.configStore.snapshot()
    const config = this.storedConfig(name, undefined, snapshot)
    return {
      name,
      config: { ...config },
      tasks: snapshot.tasks(name).map((id) => ({ connector: id.connector, task: id.task })),
      type: this.connectorType(config),
    }
  }

  connectorConfig(name: string): Record<string, string> {
    return { ...this.storedConfig(name) }
  }

  taskConfigs(name: string): TaskInfo[] {
    const snapshot = this.configStore.snapshot()
    this.storedConfig(name, undefined, snapshot)
    return snapshot.tasks(name).map((id) => ({
      id: { connector: name, task: id.task },
      config: { ...(snapshot.taskConfig(id) as Record<string, string>) },
    }))
  }

  tasksConfig(name: string): Record<string, Record<string, string>> {
    const tasks = this.taskConfigs(name)
    if (tasks.length === 0) throw new NotFoundException(`Connector ${name} not found`)
    const out: Record<string, Record<string, string>> = {}
    for (const t of tasks) out[`${name}-${t.id.task}`] = t.config
    return out
  }

  /**
   * Whether the connector's committed task configs are `taskConfigs` and were made from its current config (Apache's
   * check before it writes task configs again).
   */
  protected taskConfigsUnchanged(
    name: string,
    taskConfigs: readonly RawConfig[],
    snapshot: ClusterConfigState,
  ): boolean {
    const current = snapshot.tasks(name).map((id) => snapshot.taskConfig(id))
    return (
      current.length === taskConfigs.length &&
      taskConfigs.every((c, i) => sameConfig(c, current[i] ?? null)) &&
      sameConfig(snapshot.connectorConfig(name), snapshot.appliedConnectorConfig(name))
    )
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Statuses (Apache's AbstractHerder as the status listener of the connectors and tasks it starts)

  /** The group generation statuses are written in (standalone: 0). */
  protected abstract generation(): number
  /** A connector or task reported RUNNING. */
  protected abstract onRunning(key: [string] | [string, number]): void
  /** A connector failed: the herder writes its FAILED status (`putConnectorStatus`, safe). */
  protected abstract onConnectorFailure(name: string, error: Error): void
  /** A task failed: the herder writes its FAILED status (`putTaskStatus`, safe). */
  protected abstract onTaskFailure(id: ConnectorTaskId, error: Error): void

  /** Listens to a connector this worker starts, writing its statuses. */
  protected connectorStatusListener(): ConnectorStatusListener {
    return {
      onStartup: (c) => {
        this.putConnectorStatus(c, 'RUNNING')
        this.onRunning([c])
      },
      onPause: (c) => this.putConnectorStatus(c, 'PAUSED'),
      onStop: (c) => this.putConnectorStatus(c, 'STOPPED'),
      onFailure: (c, e) => this.onConnectorFailure(c, e),
      onShutdown: (c) => this.putConnectorStatus(c, 'UNASSIGNED', undefined, true),
    }
  }

  /** Listens to a task this worker starts, writing its statuses. */
  protected taskStatusListener(): TaskStatusListener {
    const running = (t: ConnectorTaskId) => {
      this.putTaskStatus(t, 'RUNNING')
      this.onRunning([t.connector, t.task])
    }
    return {
      onStartup: running,
      onPause: (t) => this.putTaskStatus(t, 'PAUSED'),
      onResume: running,
      onFailure: (t, e) => this.onTaskFailure(t, e),
      onShutdown: (t) => this.putTaskStatus(t, 'UNASSIGNED', undefined, true),
    }
  }

  /** Writes a connector's status as this worker's, in this generation; `safe` for UNASSIGNED and FAILED. */
  protected putConnectorStatus(connector: string, state: StatusState, error?: Error, safe = false): void {
    const status = { ...this.#status(connector, state, error), connector, version: this.#versions(connector).connector }
    if (safe && status.state !== 'DESTROYED') this.statusStore.putConnectorSafe(status)
    else this.statusStore.putConnector(status)
  }

  /** Writes a task's status as this worker's, in this generation; `safe` for UNASSIGNED and FAILED. */
  protected putTaskStatus(id: ConnectorTaskId, state: StatusState, error?: Error, safe = false): void {
    const status = { ...this.#status(id.connector, state, error), id, version: this.#versions(id.connector).task }
    if (safe && status.state !== 'DESTROYED') this.statusStore.putTaskSafe(status)
    else this.statusStore.putTask(status)
  }

  #status(connector: string, state: StatusState, error: Error | undefined): Omit<AbstractStatus, 'version'> {
    return {
      // A connector that was deleted leaves no status behind (Apache's DESTROYED).
      state: state === 'UNASSIGNED' && !this.configStore.contains(connector) ? 'DESTROYED' : state,
      trace: error ? traceOf(error) : null,
      workerId: this.workerId,
      generation: this.generation(),
    }
  }

  #versions(connector: string): { connector: string | null; task: string | null } {
    return connectorVersions(this.worker.plugins, present(this.configState().connectorConfig(connector)))
  }

  /** Removes the statuses of a deleted connector and of its tasks (Apache's `onDeletion`). */
  protected onDeletion(connector: string): void {
    for (const task of this.statusStore.getAll(connector)) this.putTaskStatus(task.id, 'DESTROYED')
    this.putConnectorStatus(connector, 'DESTROYED')
  }

  /** Removes the statuses of the connector's tasks (their set is about to change). */
  protected removeTaskStatuses(connector: string): void {
    for (const task of this.statusStore.getAll(connector)) this.putTaskStatus(task.id, 'DESTROYED')
  }

  connectorStatus(name: string): ConnectorStateInfo {
    const connector = this.statusStore.getConnector(name)
    if (!connector) throw new NotFoundException(`No status found for connector ${name}`)
    const config = present(this.configStore.snapshot().connectorConfig(name))
    const versions = connectorVersions(this.worker.plugins, config)
    return {
      name,
      connector: withVersion(stateInfo(connector), connector.version ?? versions.connector),
      tasks: this.statusStore
        .getAll(name)
        .map((t) => taskWithVersion({ id: t.id.task, ...stateInfo(t) }, t.version ?? versions.task)),
      type: config['connector.class'] ? this.connectorType(config) : 'unknown',
    }
  }

  taskStatus(id: ConnectorTaskId): TaskState {
    const task = this.statusStore.getTask(id)
    if (!task) throw new NotFoundException(`No status found for task ${id.connector}-${id.task}`)
    return taskWithVersion({ id: id.task, ...stateInfo(task) }, task.version)
  }

  /**
   * Which parts of the connector a restart request selects (Apache's `buildRestartPlan`), shown as RESTARTING; null
   * when the connector has no status.
   */
  protected buildRestartPlan(request: RestartRequest): ConnectorStateInfo | null {
    const name = request.connector
    const connectorStatus = this.statusStore.getConnector(name)
    if (!connectorStatus) return null
    const current = this.connectorStatus(name)
    const restartConnector = !request.onlyFailed || connectorStatus.state === 'FAILED'
    const restartTasks = new Set(
      request.includeTasks
        ? current.tasks.filter((t) => !request.onlyFailed || t.state === 'FAILED').map((t) => t.id)
        : [],
    )
    return {
      ...current,
      connector: restartConnector ? { ...current.connector, state: 'RESTARTING' } : current.connector,
      tasks: current.tasks.map((t) => (restartTasks.has(t.id) ? { ...t, state: 'RESTARTING' } : t)),
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Active topics (KIP-558)

  /** Runs `start` (a task's start), recording the topics the task uses from then on when `topic.tracking.enable`. */
  protected async trackTopics(id: ConnectorTaskId, start: () => Promise<void>): Promise<void> {
    if (!this.topicTracking) return start()
    await withTopicTracking((topic) => this.#recordActiveTopic(id, topic), start)
  }

  #recordActiveTopic(id: ConnectorTaskId, topic: string): void {
    const key = `${id.connector}\u0000${topic}`
    if (this.#seenTopics.has(key) || !this.configStore.contains(id.connector)) return
    if (this.statusStore.getTopic(id.connector, topic)) return
    this.#seenTopics.add(key)
    this.log.debug({ connector: id.connector }, `Connector ${id.connector} uses topic ${topic}`)
    this.statusStore.putTopic({ topic, connector: id.connector, task: id.task, discoverTimestamp: this.now() })
  }

  connectorActiveTopics(name: string): ActiveTopicsInfo {
    return {
      connector: name,
      topics: this.statusStore
        .getAllTopics(name)
        .map((t) => t.topic)
        .sort(),
    }
  }

  resetConnectorActiveTopics(name: string): void {
    for (const t of this.statusStore.getAllTopics(name)) this.statusStore.deleteTopic(name, t.topic)
    for (const key of [...this.#seenTopics]) if (key.startsWith(`${name}\u0000`)) this.#seenTopics.delete(key)
  }
}

function stateInfo(status: AbstractStatus): StateInfo {
  const out: StateInfo = { state: status.state as State, worker_id: status.workerId }
  if (status.trace) out.trace = status.trace
  return out
}
