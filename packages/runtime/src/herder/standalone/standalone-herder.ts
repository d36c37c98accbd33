import {
  AlreadyExistsException,
  ConnectException,
  type Connector,
  DataException,
  NotFoundException,
  type OffsetMap,
  type SinkConnector,
  SourceConnector,
  type TopicPartition,
} from '@ferry/api'
import { parseRestartPolicy, type RestartPolicy, restartBackoffMs } from '../../config/connector-config.ts'
import { isConnectionError, KafkaAdmin, kafkaErrorIds, withTopicTracking } from '../../kafka/clients.ts'
import type { Logger } from '../../logger.ts'
import type { PluginDescriptor } from '../../plugins/registry.ts'
import type { Worker } from '../../worker/worker.ts'
import type { ConnectorTaskId, TargetState } from '../../worker/worker-task.ts'
import {
  connectorPluginConfig,
  connectorTypeOf,
  findConnector,
  invalidConfigMessage,
  pluginVersion,
  type ValidationContext,
  validateConnectorConfig,
} from '../connector-validation.ts'
import {
  type ActiveTopicsInfo,
  BadRequestException,
  type ConfigInfos,
  type ConfigKeyInfo,
  type ConnectorInfo,
  type ConnectorOffset,
  type ConnectorOffsets,
  type ConnectorStateInfo,
  type ConnectorType,
  type Herder,
  type LoggerLevel,
  type Message,
  type RestartRequest,
  type StateInfo,
  type TaskInfo,
  type TaskState,
} from '../herder.ts'
import { Loggers } from '../loggers.ts'
import { MemoryStatusStore, traceOf } from '../status-store.ts'

export { invalidConfigMessage } from '../connector-validation.ts'
export { BadRequestException } from '../herder.ts'

interface ConnectorEntry {
  config: Record<string, string>
  targetState: TargetState
  taskConfigs: Record<string, string>[]
  /** The connector config the current tasks were started with. */
  appliedConfig: Record<string, string> | null
  type: ConnectorType
}

/** Ferry's automatic restart (`errors.restart.*`) of one connector or task. */
interface RestartState {
  /** Automatic restarts made since the count was last reset. */
  attempts: number
  /** When it last reported RUNNING; a long enough run resets `attempts` at the next failure. */
  runningSince: number | null
  timer: NodeJS.Timeout | null
}

/** Options of a standalone herder beyond the worker it drives. */
export interface StandaloneHerderOptions {
  /** Loggers the worker and REST server use, by namespace, so `/admin/loggers` can change them (root is `log`). */
  loggers?: Readonly<Record<string, Logger>>
  /** Reads the Kafka cluster id at start; the default asks the worker's cluster through the admin client. */
  clusterId?: () => Promise<string>
}

/** How long `start` waits for the cluster id before going on without it. */
const CLUSTER_ID_TIMEOUT_MS = 10_000

/** Apache's message for offset changes on a connector that is not stopped. */
function notStoppedMessage(name: string): string {
  return `Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/${name}/stop' endpoint`
}

function modifiedMessage(alterResult: boolean, reset: boolean): Message {
  const what = reset ? 'reset' : 'altered'
  return {
    message: alterResult
      ? `The offsets for this connector have been ${what} successfully`
      : `The Connect framework-managed offsets for this connector have been ${what} successfully. However, if this connector manages offsets externally, they will need to be manually ${what} in the system that the connector uses.`,
  }
}

function sameConfigs(a: readonly Record<string, string>[], b: readonly Record<string, string>[]): boolean {
  return a.length === b.length && a.every((c, i) => sameConfig(c, b[i]!))
}

function sameConfig(a: Record<string, string>, b: Record<string, string> | null): boolean {
  if (!b) return false
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k])
}

/**
 * Standalone mode's herder: one process, configs and status in memory, offsets in the worker's offset store.
 * Operations are serialised so a delete cannot race its own start.
 */
export class StandaloneHerder implements Herder {
  readonly #worker: Worker
  readonly #log: Logger
  readonly #status: MemoryStatusStore
  readonly #connectors = new Map<string, ConnectorEntry>()
  readonly #topics = new Map<string, Set<string>>()
  readonly #topicTracking: boolean
  readonly #loggers: Loggers
  readonly #clusterIdLookup: () => Promise<string>
  #clusterId: string | null = null
  #ready = false
  #queue: Promise<unknown> = Promise.resolve()
  /** Automatic restart state by connector (`[name]`) and task (`[name, task]`), as JSON. */
  readonly #restarts = new Map<string, RestartState>()

  constructor(worker: Worker, workerId: string, log: Logger, options: StandaloneHerderOptions = {}) {
    this.#worker = worker
    this.#status = new MemoryStatusStore(workerId)
    this.#loggers = new Loggers(log, options.loggers ?? {})
    this.#log = this.#loggers.logger('org.apache.kafka.connect.runtime.standalone.StandaloneHerder')
    this.#topicTracking = (worker.config.originals['topic.tracking.enable'] ?? 'true').trim().toLowerCase() !== 'false'
    this.#clusterIdLookup = options.clusterId ?? (() => this.#lookUpClusterId())
    // A bad worker-level errors.restart.* value fails here, before anything runs.
    parseRestartPolicy({}, worker.config.originals)
  }

  #validation(): ValidationContext {
    return { plugins: this.#worker.plugins, workerConfig: this.#worker.config }
  }

  async start(): Promise<void> {
    await this.#worker.offsets.start()
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
      this.#log.warn(`Could not read the Kafka cluster id (${reason}); GET / shows null`)
    } finally {
      clearTimeout(timer)
    }
    this.#ready = true
  }

  async #lookUpClusterId(): Promise<string> {
    const admin = this.#admin('ferry-cluster-id')
    try {
      return await admin.clusterId()
    } finally {
      await admin.close().catch(() => {})
    }
  }

  #admin(clientId: string): KafkaAdmin {
    return new KafkaAdmin({
      bootstrapServers: this.#worker.config.bootstrapServers,
      clientId: this.#worker.config.clientId || clientId,
      requestTimeoutMs: this.#worker.config.requestTimeoutMs,
    })
  }

  async stop(): Promise<void> {
    await this.#serial(async () => {
      this.#ready = false
      for (const state of this.#restarts.values()) if (state.timer) clearTimeout(state.timer)
      this.#restarts.clear()
      for (const name of [...this.#connectors.keys()]) await this.#stopConnector(name)
      await this.#worker.stop()
      await this.#worker.offsets.stop()
    })
  }

  isReady(): boolean {
    return this.#ready
  }

  async healthCheck(): Promise<void> {
    await this.#serial(async () => {})
  }

  kafkaClusterId(): string | null {
    return this.#clusterId
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => {})
    return run
  }

  connectors(): string[] {
    return [...this.#connectors.keys()].sort()
  }

  #entry(name: string, message = `Connector ${name} not found`): ConnectorEntry {
    const entry = this.#connectors.get(name)
    if (!entry) throw new NotFoundException(message)
    return entry
  }

  connectorInfo(name: string): ConnectorInfo {
    const entry = this.#entry(name)
    return {
      name,
      config: { ...entry.config },
      tasks: entry.taskConfigs.map((_, task) => ({ connector: name, task })),
      type: entry.type,
    }
  }

  connectorConfig(name: string): Record<string, string> {
    return { ...this.#entry(name).config }
  }

  /** The versions reported in status (KIP-891): the connector's, and its task class's. */
  #versions(entry: ConnectorEntry): { connector: string | null; task: string | null } {
    const plugin = findConnector(this.#worker.plugins, entry.config['connector.class'] ?? '')
    if (!plugin) return { connector: null, task: null }
    return { connector: pluginVersion(plugin), task: taskVersion(plugin) }
  }

  connectorStatus(name: string): ConnectorStateInfo {
    const entry = this.#connectors.get(name)
    const connector = this.#status.connector(name)
    if (!entry || !connector) throw new NotFoundException(`No status found for connector ${name}`)
    const versions = this.#versions(entry)
    return {
      name,
      connector: withVersion(connector, versions.connector),
      tasks: this.#status.tasks(name).map((t) => taskWithVersion(t, versions.task)),
      type: entry.type,
    }
  }

  taskStatus(id: ConnectorTaskId): TaskState {
    const entry = this.#connectors.get(id.connector)
    const task = entry ? this.#status.tasks(id.connector).find((t) => t.id === id.task) : undefined
    if (!entry || !task) throw new NotFoundException(`No status found for task ${id.connector}-${id.task}`)
    return taskWithVersion(task, this.#versions(entry).task)
  }

  taskConfigs(name: string): TaskInfo[] {
    const entry = this.#entry(name)
    return entry.taskConfigs.map((config, task) => ({ id: { connector: name, task }, config: { ...config } }))
  }

  tasksConfig(name: string): Record<string, Record<string, string>> {
    const entry = this.#connectors.get(name)
    if (!entry || entry.taskConfigs.length === 0) throw new NotFoundException(`Connector ${name} not found`)
    const out: Record<string, Record<string, string>> = {}
    entry.taskConfigs.forEach((config, task) => {
      out[`${name}-${task}`] = { ...config }
    })
    return out
  }

  async validateConnectorConfig(config: Record<string, string | null>): Promise<ConfigInfos> {
    return validateConnectorConfig(this.#validation(), config)
  }

  connectorPluginConfig(pluginName: string, version?: string): ConfigKeyInfo[] {
    return connectorPluginConfig(this.#validation(), pluginName, version)
  }

  async putConnectorConfig(
    name: string,
    config: Record<string, string | null>,
    allowReplace: boolean,
    initialState: TargetState = 'STARTED',
  ): Promise<{ created: boolean; info: ConnectorInfo }> {
    return this.#serial(() => this.#put(name, { ...config, name }, allowReplace, initialState))
  }

  async #put(
    name: string,
    submitted: Record<string, string | null>,
    allowReplace: boolean,
    initialState: TargetState,
  ): Promise<{ created: boolean; info: ConnectorInfo }> {
    const infos = await this.validateConnectorConfig(submitted)
    if (infos.error_count > 0) throw new BadRequestException(invalidConfigMessage(infos))
    // Validation reports null values, so none are left here.
    const config = submitted as Record<string, string>
    const existing = this.#connectors.get(name)
    if (existing && !allowReplace) throw new AlreadyExistsException(`Connector ${name} already exists`)
    if (existing) await this.#stopConnector(name)
    const entry: ConnectorEntry = {
      config,
      targetState: existing?.targetState ?? initialState,
      taskConfigs: existing?.taskConfigs ?? [],
      appliedConfig: existing?.appliedConfig ?? null,
      type: connectorTypeOf(this.#worker.plugins, config['connector.class']),
    }
    this.#connectors.set(name, entry)
    await this.#startConnector(name, entry)
    return { created: !existing, info: this.connectorInfo(name) }
  }

  async patchConnectorConfig(name: string, patch: Record<string, string | null>): Promise<ConnectorInfo> {
    return this.#serial(async () => {
      const entry = this.#entry(name)
      const patched: Record<string, string> = { ...entry.config }
      for (const [key, value] of Object.entries(patch)) {
        if (value === null) delete patched[key]
        else patched[key] = value
      }
      return (await this.#put(name, patched, true, entry.targetState)).info
    })
  }

  /** Starts the Connector instance in its target state; with `reconfigure`, then makes its tasks match. */
  async #startConnector(name: string, entry: ConnectorEntry, reconfigure = true): Promise<void> {
    const listener = {
      onStartup: (c: string) => {
        this.#status.putConnector(c, 'RUNNING')
        this.#markRunning([c])
      },
      onPause: (c: string) => this.#status.putConnector(c, 'PAUSED'),
      onStop: (c: string) => this.#status.putConnector(c, 'STOPPED'),
      onFailure: (c: string, e: Error) => this.#connectorFailed(c, e),
      onShutdown: (c: string) => this.#status.putConnector(c, 'UNASSIGNED'),
    }
    const started = await this.#worker.startConnector(name, entry.config, entry.targetState, listener, () => {
      void this.#serial(() => this.#reconfigureTasks(name)).catch((e) =>
        this.#log.error({ connector: name, err: e }, 'Task reconfiguration failed'),
      )
    })
    if (!started || !reconfigure) return
    await this.#reconfigureTasks(name)
  }

  /**
   * Asks a STARTED connector for task configs and restarts the tasks when they changed (or the connector config
   * changed since the tasks started), as Apache's `updateConnectorTasks`.
   */
  async #reconfigureTasks(name: string): Promise<void> {
    const entry = this.#connectors.get(name)
    if (entry?.targetState !== 'STARTED') return
    if (!this.#worker.connectorNames().includes(name)) return
    const maxTasks = Number(entry.config['tasks.max'] ?? 1)
    let taskConfigs: Record<string, string>[]
    try {
      taskConfigs = await this.#worker.connectorTaskConfigs(name, maxTasks)
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e))
      this.#log.error({ connector: name, err: error }, `Failed to generate task configs: ${error.message}`)
      this.#connectorFailed(name, error)
      return
    }
    const running = this.#worker.taskIds(name).length
    if (
      sameConfigs(taskConfigs, entry.taskConfigs) &&
      sameConfig(entry.config, entry.appliedConfig) &&
      running === taskConfigs.length
    ) {
      return
    }
    await this.#worker.stopTasks(this.#worker.taskIds(name))
    this.#status.removeTasks(name)
    this.#forgetRestarts(name, 'tasks')
    entry.taskConfigs = taskConfigs
    entry.appliedConfig = { ...entry.config }
    for (let task = 0; task < taskConfigs.length; task++) await this.#startTask({ connector: name, task }, entry)
  }

  async #startTask(id: ConnectorTaskId, entry: ConnectorEntry): Promise<void> {
    this.#status.putTask(id.connector, id.task, 'UNASSIGNED')
    const start = () =>
      this.#worker.startTask(id, entry.config, entry.taskConfigs[id.task] ?? {}, entry.targetState, {
        onStartup: (t) => {
          this.#status.putTask(t.connector, t.task, 'RUNNING')
          this.#markRunning([t.connector, t.task])
        },
        onPause: (t) => this.#status.putTask(t.connector, t.task, 'PAUSED'),
        onResume: (t) => {
          this.#status.putTask(t.connector, t.task, 'RUNNING')
          this.#markRunning([t.connector, t.task])
        },
        onFailure: (t, e) => this.#taskFailed(t, e),
        onShutdown: (t) => this.#status.putTask(t.connector, t.task, 'UNASSIGNED'),
      })
    if (!this.#topicTracking) return start()
    await withTopicTracking((topic) => this.#recordActiveTopic(id.connector, topic), start)
  }

  #recordActiveTopic(connector: string, topic: string): void {
    if (!this.#connectors.has(connector)) return
    let topics = this.#topics.get(connector)
    if (!topics) {
      topics = new Set()
      this.#topics.set(connector, topics)
    }
    if (!topics.has(topic)) {
      topics.add(topic)
      this.#log.debug({ connector }, `Connector ${connector} uses topic ${topic}`)
    }
  }

  async #stopConnector(name: string): Promise<void> {
    this.#forgetRestarts(name, 'all')
    await this.#worker.stopTasks(this.#worker.taskIds(name))
    await this.#worker.stopConnector(name)
  }

  #restartPolicy(name: string): RestartPolicy | null {
    const entry = this.#connectors.get(name)
    if (!entry) return null
    try {
      return parseRestartPolicy(entry.config, this.#worker.config.originals)
    } catch (e) {
      this.#log.error({ connector: name, err: e }, `No automatic restart for ${name}: ${(e as Error).message}`)
      return null
    }
  }

  #restartState(key: [string] | [string, number]): RestartState {
    const k = JSON.stringify(key)
    let state = this.#restarts.get(k)
    if (!state) {
      state = { attempts: 0, runningSince: null, timer: null }
      this.#restarts.set(k, state)
    }
    return state
  }

  #markRunning(key: [string] | [string, number]): void {
    if (this.#restarts.has(JSON.stringify(key)) || this.#restartPolicy(key[0])?.enabled) {
      this.#restartState(key).runningSince = Date.now()
    }
  }

  /**
   * Drops automatic restart state, with any restart pending: of the connector and its tasks (`all`), of the
   * connector only, of all its tasks, or of the given tasks.
   */
  #forgetRestarts(name: string, scope: 'all' | 'connector' | 'tasks' | readonly number[]): void {
    for (const [k, state] of this.#restarts) {
      const [connector, task] = JSON.parse(k) as [string, number?]
      if (connector !== name) continue
      const matches =
        scope === 'all' ||
        (scope === 'connector'
          ? task === undefined
          : task !== undefined && (scope === 'tasks' || (scope as readonly number[]).includes(task)))
      if (!matches) continue
      if (state.timer) clearTimeout(state.timer)
      this.#restarts.delete(k)
    }
  }

  /**
   * A FAILED connector or task under `errors.restart.enable=true`: schedules its next automatic restart after the
   * backoff and returns the failure with a line saying so (the attempt, its time), for the status trace. Returns the
   * failure unchanged when there is no automatic restart.
   */
  #scheduleRestart(key: [string] | [string, number], what: string, error: Error, restart: () => Promise<void>): Error {
    const policy = this.#restartPolicy(key[0])
    if (!policy?.enabled || !this.#ready) return error
    const state = this.#restartState(key)
    const now = Date.now()
    if (state.runningSince !== null && now - state.runningSince >= policy.resetAfterMs) state.attempts = 0
    state.runningSince = null
    if (state.timer) clearTimeout(state.timer)
    state.timer = null
    if (policy.maxAttempts >= 0 && state.attempts >= policy.maxAttempts) {
      const note = `Ferry automatic restart: gave up after ${state.attempts} attempts (errors.restart.max.attempts=${policy.maxAttempts}); restart it through the REST API`
      this.#log.error(`${what} failed and stays FAILED: automatic restart gave up after ${state.attempts} attempts`)
      return withNote(error, note)
    }
    state.attempts++
    const attempt = state.attempts
    const delay = restartBackoffMs(policy, attempt)
    const at = new Date(now + delay).toISOString()
    const of = policy.maxAttempts >= 0 ? ` of ${policy.maxAttempts}` : ''
    this.#log.warn(`${what} failed; automatic restart attempt ${attempt}${of} at ${at} (in ${delay} ms)`)
    state.timer = setTimeout(() => {
      state.timer = null
      this.#serial(async () => {
        if (this.#restarts.get(JSON.stringify(key)) !== state || !this.#ready) return
        this.#log.info(`Restarting ${what} automatically (attempt ${attempt}${of})`)
        await restart()
      }).catch((e) => this.#log.error({ err: e }, `Automatic restart of ${what} failed`))
    }, delay)
    state.timer.unref()
    return withNote(error, `Ferry automatic restart: attempt ${attempt}${of} at ${at} (in ${delay} ms)`)
  }

  #taskFailed(id: ConnectorTaskId, error: Error): void {
    const name = `${id.connector}-${id.task}`
    const noted = this.#scheduleRestart([id.connector, id.task], `task ${name}`, error, async () => {
      const entry = this.#connectors.get(id.connector)
      const status = this.#status.tasks(id.connector).find((t) => t.id === id.task)
      if (entry?.targetState !== 'STARTED' || status?.state !== 'FAILED' || !entry.taskConfigs[id.task]) {
        return
      }
      await this.#worker.stopTasks([id])
      await this.#startTask(id, entry)
    })
    this.#status.putTask(id.connector, id.task, 'FAILED', noted)
  }

  #connectorFailed(name: string, error: Error): void {
    const noted = this.#scheduleRestart([name], `connector ${name}`, error, async () => {
      const entry = this.#connectors.get(name)
      if (!entry || this.#status.connector(name)?.state !== 'FAILED') return
      await this.#worker.stopConnector(name)
      await this.#startConnector(name, entry)
    })
    this.#status.putConnector(name, 'FAILED', noted)
  }

  async deleteConnector(name: string): Promise<void> {
    await this.#serial(async () => {
      this.#entry(name)
      await this.#stopConnector(name)
      this.#connectors.delete(name)
      this.#status.remove(name)
      this.#topics.delete(name)
    })
  }

  async pauseConnector(name: string): Promise<void> {
    await this.#serial(async () => {
      const entry = this.#entry(name, `Unknown connector ${name}`)
      if (entry.targetState === 'PAUSED') return
      this.#forgetRestarts(name, 'all')
      const wasStopped = entry.targetState === 'STOPPED'
      entry.targetState = 'PAUSED'
      if (wasStopped) {
        // The Connector instance comes back (paused); its tasks only once it is resumed.
        await this.#worker.stopConnector(name)
        await this.#startConnector(name, entry)
        return
      }
      this.#worker.setTargetState(name, 'PAUSED')
      this.#status.putConnector(name, 'PAUSED')
    })
  }

  async resumeConnector(name: string): Promise<void> {
    await this.#serial(async () => {
      const entry = this.#entry(name, `Unknown connector ${name}`)
      if (entry.targetState === 'STARTED') return
      const wasStopped = entry.targetState === 'STOPPED'
      entry.targetState = 'STARTED'
      if (wasStopped) {
        await this.#worker.stopConnector(name)
        await this.#startConnector(name, entry)
        return
      }
      this.#worker.setTargetState(name, 'STARTED')
      this.#status.putConnector(name, 'RUNNING')
      await this.#reconfigureTasks(name)
    })
  }

  async stopConnector(name: string): Promise<void> {
    await this.#serial(async () => {
      const entry = this.#entry(name)
      this.#forgetRestarts(name, 'all')
      await this.#worker.stopTasks(this.#worker.taskIds(name))
      this.#status.removeTasks(name)
      entry.taskConfigs = []
      entry.appliedConfig = null
      entry.targetState = 'STOPPED'
      await this.#worker.stopConnector(name)
      await this.#startConnector(name, entry)
    })
  }

  async restartConnector(name: string): Promise<void> {
    await this.#serial(async () => {
      const entry = this.#entry(name)
      this.#forgetRestarts(name, 'connector')
      await this.#worker.stopConnector(name)
      await this.#startConnector(name, entry)
    })
  }

  async restartConnectorAndTasks(request: RestartRequest): Promise<ConnectorStateInfo> {
    return this.#serial(async () => {
      const name = request.connector
      const entry = this.#entry(name, `Unknown connector: ${name}`)
      const connectorStatus = this.#status.connector(name)
      if (!connectorStatus) throw new NotFoundException(`Status for connector ${name} not found`)
      const restartConnector = !request.onlyFailed || connectorStatus.state === 'FAILED'
      const tasks = this.#status.tasks(name)
      const restartTasks = request.includeTasks
        ? tasks.filter((t) => !request.onlyFailed || t.state === 'FAILED').map((t) => t.id)
        : []
      const versions = this.#versions(entry)
      const plan: ConnectorStateInfo = {
        name,
        connector: withVersion(
          restartConnector ? { ...connectorStatus, state: 'RESTARTING' } : connectorStatus,
          versions.connector,
        ),
        tasks: tasks.map((t) =>
          taskWithVersion(restartTasks.includes(t.id) ? { ...t, state: 'RESTARTING' } : t, versions.task),
        ),
        type: entry.type,
      }
      this.#log.info(
        { connector: name },
        `Restarting ${restartConnector ? 'the connector and ' : ''}${restartTasks.length} of ${tasks.length} tasks of ${name}`,
      )
      const ids = restartTasks.map((task) => ({ connector: name, task }))
      if (restartConnector) this.#forgetRestarts(name, 'connector')
      if (restartTasks.length > 0) this.#forgetRestarts(name, restartTasks)
      if (restartConnector) {
        await this.#worker.stopConnector(name)
        this.#status.putConnector(name, 'RESTARTING')
      }
      if (ids.length > 0) {
        await this.#worker.stopTasks(ids)
        for (const id of ids) this.#status.putTask(name, id.task, 'RESTARTING')
      }
      if (restartConnector) await this.#startConnector(name, entry, false)
      for (const id of ids) if (entry.taskConfigs[id.task]) await this.#startTask(id, entry)
      return plan
    })
  }

  async restartTask(id: ConnectorTaskId): Promise<void> {
    await this.#serial(async () => {
      const entry = this.#entry(id.connector)
      if (!entry.taskConfigs[id.task]) throw new NotFoundException(`Task ${id.connector}-${id.task} not found`)
      this.#forgetRestarts(id.connector, [id.task])
      await this.#worker.stopTasks([id])
      await this.#startTask(id, entry)
    })
  }

  connectorActiveTopics(name: string): ActiveTopicsInfo {
    return { connector: name, topics: [...(this.#topics.get(name) ?? [])].sort() }
  }

  resetConnectorActiveTopics(name: string): void {
    this.#topics.delete(name)
  }

  async connectorOffsets(name: string): Promise<ConnectorOffsets> {
    const entry = this.#entry(name)
    if (entry.type === 'sink') {
      const admin = this.#admin(`connector-worker-adminclient-${name}`)
      try {
        const offsets = await admin.consumerGroupOffsets(sinkGroupId(name, entry.config, this.#worker.config.originals))
        return {
          offsets: offsets.map((o) => ({
            partition: { kafka_topic: o.topic, kafka_partition: o.partition },
            offset: { kafka_offset: o.offset },
          })),
        }
      } catch (e) {
        throw new ConnectException(`Failed to retrieve consumer group offsets for sink connector ${name}`, e)
      } finally {
        await admin.close().catch(() => {})
      }
    }
    const store = this.#worker.offsets
    return {
      offsets: store.partitions(name).map((partition) => ({ partition, offset: store.get(name, partition) })),
    }
  }

  async alterConnectorOffsets(name: string, offsets: ConnectorOffset[]): Promise<Message> {
    return this.#serial(async () => {
      const entry = this.#modifiableEntry(name)
      if (offsets.length === 0) throw new ConnectException('The offsets to be altered may not be null or empty')
      return entry.type === 'sink'
        ? this.#modifySinkOffsets(name, entry, parseSinkOffsets(offsets))
        : this.#modifySourceOffsets(name, entry, offsets)
    })
  }

  async resetConnectorOffsets(name: string): Promise<Message> {
    return this.#serial(async () => {
      const entry = this.#modifiableEntry(name)
      return entry.type === 'sink'
        ? this.#modifySinkOffsets(name, entry, null)
        : this.#modifySourceOffsets(name, entry, null)
    })
  }

  #modifiableEntry(name: string): ConnectorEntry {
    const entry = this.#entry(name)
    if (entry.targetState !== 'STOPPED' || entry.taskConfigs.length !== 0) {
      throw new BadRequestException(notStoppedMessage(name))
    }
    return entry
  }

  /** Sink offsets live in the connector's consumer group; `null` offsets means a reset (the group is deleted). */
  async #modifySinkOffsets(
    name: string,
    entry: ConnectorEntry,
    offsets: Array<{ tp: TopicPartition; offset: number | null }> | null,
  ): Promise<Message> {
    const groupId = sinkGroupId(name, entry.config, this.#worker.config.originals)
    const admin = this.#admin(`connector-worker-adminclient-${name}`)
    try {
      const reset = offsets === null
      let toWrite = offsets
      if (toWrite === null) {
        try {
          toWrite = (await admin.consumerGroupOffsets(groupId)).map((o) => ({
            tp: { topic: o.topic, partition: o.partition },
            offset: null,
          }))
        } catch (e) {
          throw new ConnectException(`Failed to list offsets prior to resetting offsets for sink connector ${name}`, e)
        }
      }
      const connector = this.#connectorInstance(entry) as SinkConnector
      const alterResult = await callAlterOffsets(name, () =>
        connector.alterOffsets(entry.config, new Map(toWrite.map((o) => [o.tp, o.offset]))),
      )
      if (reset) {
        try {
          await admin.deleteConsumerGroup(groupId)
        } catch (e) {
          if (kafkaErrorIds(e).includes('NON_EMPTY_GROUP')) {
            throw new ConnectException(
              `Failed to reset consumer group offsets for connector ${name} either because its tasks haven't stopped completely yet or the connector was resumed before the request to reset its offsets could be successfully completed. If the connector is in a stopped state, this operation can be safely retried. If it doesn't eventually succeed, the Connect cluster may need to be restarted to get rid of the zombie sink tasks.`,
              e,
            )
          }
          throw new ConnectException(`Failed to reset consumer group offsets for sink connector ${name}`, e)
        }
        return modifiedMessage(alterResult, true)
      }
      try {
        const alter = toWrite.filter((o) => o.offset !== null)
        const remove = toWrite.filter((o) => o.offset === null)
        if (alter.length > 0) {
          await admin.alterConsumerGroupOffsets(
            groupId,
            alter.map((o) => ({ topic: o.tp.topic, partition: o.tp.partition, offset: o.offset! })),
          )
        }
        if (remove.length > 0)
          await admin.deleteConsumerGroupOffsets(
            groupId,
            remove.map((o) => o.tp),
          )
      } catch (e) {
        const ids = kafkaErrorIds(e)
        if (ids.includes('UNKNOWN_MEMBER_ID') || ids.includes('GROUP_SUBSCRIBED_TO_TOPIC')) {
          throw new ConnectException(
            `Failed to alter consumer group offsets for connector ${name} either because its tasks haven't stopped completely yet or the connector was resumed before the request to alter its offsets could be successfully completed. If the connector is in a stopped state, this operation can be safely retried. If it doesn't eventually succeed, the Connect cluster may need to be restarted to get rid of the zombie sink tasks.`,
            e,
          )
        }
        throw new ConnectException(`Failed to alter consumer group offsets for connector ${name}`, e)
      }
      return modifiedMessage(alterResult, false)
    } finally {
      await admin.close().catch(() => {})
    }
  }

  /** Source offsets live in the worker's offset store; `null` offsets means a reset of every known partition. */
  async #modifySourceOffsets(name: string, entry: ConnectorEntry, offsets: ConnectorOffset[] | null): Promise<Message> {
    const store = this.#worker.offsets
    const reset = offsets === null
    const entries: Array<[OffsetMap, OffsetMap | null]> = reset
      ? store.partitions(name).map((p) => [p, null])
      : offsets.map((o) => normalizeSourceOffset(o))
    const connector = this.#connectorInstance(entry) as SourceConnector
    if (connector.alterOffsets === SourceConnector.prototype.alterOffsets) {
      throw new ConnectException(
        `Failed to modify offsets for connector ${name} because it doesn't support external modification of offsets`,
      )
    }
    const alterResult = await callAlterOffsets(name, () => connector.alterOffsets(entry.config, new Map(entries)), true)
    if (entries.length > 0) {
      try {
        await store.set(name, entries)
      } catch (e) {
        throw new ConnectException(`Failed to modify offsets for source connector ${name}`, e)
      }
    }
    return modifiedMessage(alterResult, reset)
  }

  #connectorInstance(entry: ConnectorEntry): Connector {
    return this.#worker.instantiateConnector(entry.config['connector.class'] ?? '')
  }

  loggerLevel(logger: string): LoggerLevel | null {
    return this.#loggers.level(logger)
  }

  allLoggerLevels(): Record<string, LoggerLevel> {
    return this.#loggers.allLevels()
  }

  setWorkerLoggerLevel(namespace: string, level: string): string[] {
    if (!Loggers.isValidLevel(level)) {
      this.#log.warn(`Ignoring request to set invalid level '${level}' for namespace ${namespace}`)
      return []
    }
    return this.#loggers.setLevel(namespace, level)
  }

  setClusterLoggerLevel(namespace: string, level: string): void {
    // In standalone mode this worker is the whole cluster.
    this.setWorkerLoggerLevel(namespace, level)
  }
}

/**
 * The consumer group of a sink connector's tasks, as the worker picks it: `connect-<name>`, unless the worker's
 * `consumer.group.id` or the connector's `consumer.override.group.id` names another.
 */
function sinkGroupId(
  name: string,
  config: Readonly<Record<string, string>>,
  worker: Readonly<Record<string, string>>,
): string {
  return config['consumer.override.group.id'] ?? worker['consumer.group.id'] ?? `connect-${name}`
}

/** The failure with a line appended to its trace. */
function withNote(error: Error, note: string): Error {
  const noted = new Error(error.message)
  noted.name = error.name
  noted.stack = `${traceOf(error)}\n${note}`
  return noted
}

function withVersion(info: StateInfo, version: string | null): StateInfo {
  const out: StateInfo = { state: info.state, worker_id: info.worker_id, version }
  if (info.trace) out.trace = info.trace
  return out
}

function taskWithVersion(task: TaskState, version: string | null): TaskState {
  return { id: task.id, ...withVersion(task, version) }
}

const TASK_VERSIONS = new WeakMap<PluginDescriptor, string | null>()

function taskVersion(plugin: PluginDescriptor): string | null {
  const cached = TASK_VERSIONS.get(plugin)
  if (cached !== undefined) return cached
  let version: string | null = null
  try {
    const taskClass = (plugin.create() as Connector).taskClass()
    version = String(new taskClass().version())
  } catch {
    version = pluginVersion(plugin)
  }
  TASK_VERSIONS.set(plugin, version)
  return version
}

/** Calls the connector's `alterOffsets`; a connector that does not implement it cannot have its offsets changed. */
async function callAlterOffsets(
  name: string,
  call: () => boolean | Promise<boolean>,
  source = false,
): Promise<boolean> {
  try {
    return await call()
  } catch (e) {
    if (e instanceof ConnectException) throw e
    throw new ConnectException(`Failed to modify offsets for ${source ? 'source' : 'sink'} connector ${name}`, e)
  }
}

/** Apache's `SinkUtils.parseSinkConnectorOffsets`, with its messages. */
function parseSinkOffsets(offsets: ConnectorOffset[]): Array<{ tp: TopicPartition; offset: number | null }> {
  const out = new Map<string, { tp: TopicPartition; offset: number | null }>()
  for (const { partition, offset } of offsets) {
    if (partition === null || partition === undefined) {
      throw new BadRequestException('The partition for a sink connector offset cannot be null or missing')
    }
    if (!Object.hasOwn(partition, 'kafka_topic') || !Object.hasOwn(partition, 'kafka_partition')) {
      throw new BadRequestException(
        "The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'",
      )
    }
    if (partition.kafka_topic === null) {
      throw new BadRequestException('Kafka topic names must be valid strings and may not be null')
    }
    if (partition.kafka_partition === null) {
      throw new BadRequestException('Kafka partitions must be valid numbers and may not be null')
    }
    const topic = String(partition.kafka_topic)
    const partitionNumber = parseJavaInt(partition.kafka_partition, 2 ** 31)
    if (partitionNumber === null) {
      throw new BadRequestException(
        `Failed to parse the following Kafka partition value in the provided offsets: '${javaText(partition.kafka_partition)}'. Partition values for sink connectors need to be integers.`,
      )
    }
    let parsed: number | null = null
    if (offset !== null && offset !== undefined) {
      if (!Object.hasOwn(offset, 'kafka_offset')) {
        throw new BadRequestException(
          "The offset for a sink connector should either be null or contain the key 'kafka_offset'",
        )
      }
      parsed = parseJavaInt(offset.kafka_offset, 2 ** 63)
      if (parsed === null) {
        throw new BadRequestException(
          `Failed to parse the following Kafka offset value in the provided offsets: '${javaText(offset.kafka_offset)}'. Offset values for sink connectors need to be integers.`,
        )
      }
    }
    const tp = { topic, partition: partitionNumber }
    out.set(`${topic}\u0000${partitionNumber}`, { tp, offset: parsed })
  }
  return [...out.values()]
}

/** Java's `Integer.parseInt(String.valueOf(v))` / `Long.parseLong`: numbers and numeric strings, else null. */
function parseJavaInt(value: unknown, limit: number): number | null {
  const text = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : 'x') : String(value)
  if (!/^[+-]?\d+$/.test(text)) return null
  const n = Number(text)
  return n >= -limit && n < limit ? n : null
}

function javaText(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}

/** Apache's `OffsetUtils.validateFormat` on a partition and its offset, then a JSON round trip. */
function normalizeSourceOffset(o: ConnectorOffset): [OffsetMap, OffsetMap | null] {
  if (o.partition === null || o.partition === undefined) {
    throw new BadRequestException('Source partitions may not be null')
  }
  validateOffsetFormat(o.partition)
  if (o.offset !== null && o.offset !== undefined) validateOffsetFormat(o.offset)
  const partition = JSON.parse(JSON.stringify(o.partition)) as OffsetMap
  const offset =
    o.offset === null || o.offset === undefined ? null : (JSON.parse(JSON.stringify(o.offset)) as OffsetMap)
  return [partition, offset]
}

function validateOffsetFormat(data: unknown): void {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new DataException('Offsets must be specified as a Map')
  }
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (value === null) continue
    const t = typeof value
    if (t === 'string' || t === 'number' || t === 'boolean') continue
    const kind = Array.isArray(value) ? 'ARRAY' : 'MAP'
    throw new DataException(`Offsets may only contain primitive types as values, but field ${key} contains ${kind}`)
  }
}
