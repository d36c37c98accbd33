import { AlreadyExistsException, NotFoundException } from '@ferry/api'
import { withTopicTracking } from '../../kafka/clients.ts'
import type { Logger } from '../../logger.ts'
import type { Worker } from '../../worker/worker.ts'
import type { ConnectorTaskId, TargetState } from '../../worker/worker-task.ts'
import { AbstractHerder, type AbstractHerderOptions } from '../abstract-herder.ts'
import { AutoRestarts } from '../auto-restart.ts'
import { modifyConnectorOffsets, notStoppedMessage, readConnectorOffsets } from '../connector-offsets.ts'
import { connectorTypeOf, invalidConfigMessage } from '../connector-validation.ts'
import {
  type ActiveTopicsInfo,
  BadRequestException,
  type ConnectorInfo,
  type ConnectorOffset,
  type ConnectorOffsets,
  type ConnectorStateInfo,
  type ConnectorType,
  type GroupMemberInfo,
  type Herder,
  type Message,
  type RestartRequest,
  type TaskInfo,
  type TaskState,
  type WorkerInfo,
} from '../herder.ts'
import { connectorVersions, taskWithVersion, withVersion } from '../plugin-versions.ts'
import { MemoryStatusStore } from '../status-store.ts'
import { taskThroughput } from '../task-throughput.ts'

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

/** Options of a standalone herder beyond the worker it drives. */
export type StandaloneHerderOptions = AbstractHerderOptions

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
export class StandaloneHerder extends AbstractHerder implements Herder {
  readonly #status: MemoryStatusStore
  readonly #workerId: string
  readonly #connectors = new Map<string, ConnectorEntry>()
  readonly #topics = new Map<string, Set<string>>()
  readonly #restarts: AutoRestarts

  constructor(worker: Worker, workerId: string, log: Logger, options: StandaloneHerderOptions = {}) {
    super(worker, log, 'org.apache.kafka.connect.runtime.standalone.StandaloneHerder', options)
    this.#workerId = workerId
    this.#status = new MemoryStatusStore(workerId)
    this.#restarts = new AutoRestarts({
      log: this.log,
      connectorConfig: (name) => this.#connectors.get(name)?.config ?? null,
      workerConfig: worker.config.originals,
      run: (fn) => this.serial(fn),
      active: () => this.ready,
    })
    worker.metrics.autoRestarts(() => this.#restarts.counts())
  }

  async start(): Promise<void> {
    await this.worker.offsets.start()
    await this.readClusterId()
    this.ready = true
  }

  async stop(): Promise<void> {
    await this.serial(async () => {
      this.ready = false
      this.#restarts.clear()
      for (const name of [...this.#connectors.keys()]) await this.#stopConnector(name)
      await this.worker.stop()
      await this.worker.offsets.stop()
    })
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

  #versions(entry: ConnectorEntry): { connector: string | null; task: string | null } {
    return connectorVersions(this.worker.plugins, entry.config)
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

  async putConnectorConfig(
    name: string,
    config: Record<string, string | null>,
    allowReplace: boolean,
    initialState: TargetState = 'STARTED',
  ): Promise<{ created: boolean; info: ConnectorInfo }> {
    return this.serial(() => this.#put(name, { ...config, name }, allowReplace, initialState))
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
      type: connectorTypeOf(this.worker.plugins, config['connector.class']),
    }
    this.#connectors.set(name, entry)
    await this.#startConnector(name, entry)
    return { created: !existing, info: this.connectorInfo(name) }
  }

  async patchConnectorConfig(name: string, patch: Record<string, string | null>): Promise<ConnectorInfo> {
    return this.serial(async () => {
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
        this.#restarts.markRunning([c])
      },
      onPause: (c: string) => this.#status.putConnector(c, 'PAUSED'),
      onStop: (c: string) => this.#status.putConnector(c, 'STOPPED'),
      onFailure: (c: string, e: Error) => this.#connectorFailed(c, e),
      onShutdown: (c: string) => this.#status.putConnector(c, 'UNASSIGNED'),
    }
    const started = await this.worker.startConnector(name, entry.config, entry.targetState, listener, () => {
      void this.serial(() => this.#reconfigureTasks(name)).catch((e) =>
        this.log.error({ connector: name, err: e }, 'Task reconfiguration failed'),
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
    if (!this.worker.connectorNames().includes(name)) return
    const maxTasks = Number(entry.config['tasks.max'] ?? 1)
    let taskConfigs: Record<string, string>[]
    try {
      taskConfigs = await this.worker.connectorTaskConfigs(name, maxTasks)
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e))
      this.log.error({ connector: name, err: error }, `Failed to generate task configs: ${error.message}`)
      this.#connectorFailed(name, error)
      return
    }
    const running = this.worker.taskIds(name).length
    if (
      sameConfigs(taskConfigs, entry.taskConfigs) &&
      sameConfig(entry.config, entry.appliedConfig) &&
      running === taskConfigs.length
    ) {
      return
    }
    await this.worker.stopTasks(this.worker.taskIds(name))
    this.#status.removeTasks(name)
    this.#restarts.forget(name, 'tasks')
    entry.taskConfigs = taskConfigs
    entry.appliedConfig = { ...entry.config }
    for (let task = 0; task < taskConfigs.length; task++) await this.#startTask({ connector: name, task }, entry)
  }

  async #startTask(id: ConnectorTaskId, entry: ConnectorEntry): Promise<void> {
    this.#status.putTask(id.connector, id.task, 'UNASSIGNED')
    const start = () =>
      this.worker.startTask(id, entry.config, entry.taskConfigs[id.task] ?? {}, entry.targetState, {
        onStartup: (t) => {
          this.#status.putTask(t.connector, t.task, 'RUNNING')
          this.#restarts.markRunning([t.connector, t.task])
        },
        onPause: (t) => this.#status.putTask(t.connector, t.task, 'PAUSED'),
        onResume: (t) => {
          this.#status.putTask(t.connector, t.task, 'RUNNING')
          this.#restarts.markRunning([t.connector, t.task])
        },
        onFailure: (t, e) => this.#taskFailed(t, e),
        onShutdown: (t) => this.#status.putTask(t.connector, t.task, 'UNASSIGNED'),
      })
    if (!this.topicTracking) return start()
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
      this.log.debug({ connector }, `Connector ${connector} uses topic ${topic}`)
    }
  }

  async #stopConnector(name: string): Promise<void> {
    this.#restarts.forget(name, 'all')
    await this.worker.stopTasks(this.worker.taskIds(name))
    await this.worker.stopConnector(name)
  }

  #taskFailed(id: ConnectorTaskId, error: Error): void {
    const name = `${id.connector}-${id.task}`
    const noted = this.#restarts.schedule([id.connector, id.task], `task ${name}`, error, async () => {
      const entry = this.#connectors.get(id.connector)
      const status = this.#status.tasks(id.connector).find((t) => t.id === id.task)
      if (entry?.targetState !== 'STARTED' || status?.state !== 'FAILED' || !entry.taskConfigs[id.task]) {
        return
      }
      await this.worker.stopTasks([id])
      await this.#startTask(id, entry)
    })
    this.#status.putTask(id.connector, id.task, 'FAILED', noted)
  }

  #connectorFailed(name: string, error: Error): void {
    const noted = this.#restarts.schedule([name], `connector ${name}`, error, async () => {
      const entry = this.#connectors.get(name)
      if (!entry || this.#status.connector(name)?.state !== 'FAILED') return
      await this.worker.stopConnector(name)
      await this.#startConnector(name, entry)
    })
    this.#status.putConnector(name, 'FAILED', noted)
  }

  async deleteConnector(name: string): Promise<void> {
    await this.serial(async () => {
      this.#entry(name)
      await this.#stopConnector(name)
      this.#connectors.delete(name)
      this.#status.remove(name)
      this.#topics.delete(name)
    })
  }

  async pauseConnector(name: string): Promise<void> {
    await this.serial(async () => {
      const entry = this.#entry(name, `Unknown connector ${name}`)
      if (entry.targetState === 'PAUSED') return
      this.#restarts.forget(name, 'all')
      const wasStopped = entry.targetState === 'STOPPED'
      entry.targetState = 'PAUSED'
      if (wasStopped) {
        // The Connector instance comes back (paused); its tasks only once it is resumed.
        await this.worker.stopConnector(name)
        await this.#startConnector(name, entry)
        return
      }
      this.worker.setTargetState(name, 'PAUSED')
      this.#status.putConnector(name, 'PAUSED')
    })
  }

  async resumeConnector(name: string): Promise<void> {
    await this.serial(async () => {
      const entry = this.#entry(name, `Unknown connector ${name}`)
      if (entry.targetState === 'STARTED') return
      const wasStopped = entry.targetState === 'STOPPED'
      entry.targetState = 'STARTED'
      if (wasStopped) {
        await this.worker.stopConnector(name)
        await this.#startConnector(name, entry)
        return
      }
      this.worker.setTargetState(name, 'STARTED')
      this.#status.putConnector(name, 'RUNNING')
      await this.#reconfigureTasks(name)
    })
  }

  async stopConnector(name: string): Promise<void> {
    await this.serial(async () => {
      const entry = this.#entry(name)
      this.#restarts.forget(name, 'all')
      await this.worker.stopTasks(this.worker.taskIds(name))
      this.#status.removeTasks(name)
      entry.taskConfigs = []
      entry.appliedConfig = null
      entry.targetState = 'STOPPED'
      await this.worker.stopConnector(name)
      await this.#startConnector(name, entry)
    })
  }

  async restartConnector(name: string): Promise<void> {
    await this.serial(async () => {
      const entry = this.#entry(name)
      this.#restarts.forget(name, 'connector')
      await this.worker.stopConnector(name)
      await this.#startConnector(name, entry)
    })
  }

  async restartConnectorAndTasks(request: RestartRequest): Promise<ConnectorStateInfo> {
    return this.serial(async () => {
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
      this.log.info(
        { connector: name },
        `Restarting ${restartConnector ? 'the connector and ' : ''}${restartTasks.length} of ${tasks.length} tasks of ${name}`,
      )
      const ids = restartTasks.map((task) => ({ connector: name, task }))
      if (restartConnector) this.#restarts.forget(name, 'connector')
      if (restartTasks.length > 0) this.#restarts.forget(name, restartTasks)
      if (restartConnector) {
        await this.worker.stopConnector(name)
        this.#status.putConnector(name, 'RESTARTING')
      }
      if (ids.length > 0) {
        await this.worker.stopTasks(ids)
        for (const id of ids) this.#status.putTask(name, id.task, 'RESTARTING')
      }
      if (restartConnector) await this.#startConnector(name, entry, false)
      for (const id of ids) if (entry.taskConfigs[id.task]) await this.#startTask(id, entry)
      return plan
    })
  }

  async restartTask(id: ConnectorTaskId): Promise<void> {
    await this.serial(async () => {
      const entry = this.#entry(id.connector)
      if (!entry.taskConfigs[id.task]) throw new NotFoundException(`Task ${id.connector}-${id.task} not found`)
      this.#restarts.forget(id.connector, [id.task])
      await this.worker.stopTasks([id])
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
    return readConnectorOffsets(this.worker, name, await this.resolvedConnectorConfig(entry.config), entry.type)
  }

  async alterConnectorOffsets(name: string, offsets: ConnectorOffset[]): Promise<Message> {
    return this.serial(async () => {
      const entry = this.#modifiableEntry(name)
      const config = await this.resolvedConnectorConfig(entry.config)
      return modifyConnectorOffsets(this.worker, name, config, entry.type, offsets)
    })
  }

  async resetConnectorOffsets(name: string): Promise<Message> {
    return this.serial(async () => {
      const entry = this.#modifiableEntry(name)
      const config = await this.resolvedConnectorConfig(entry.config)
      return modifyConnectorOffsets(this.worker, name, config, entry.type, null)
    })
  }

  #modifiableEntry(name: string): ConnectorEntry {
    const entry = this.#entry(name)
    if (entry.targetState !== 'STOPPED' || entry.taskConfigs.length !== 0) {
      throw new BadRequestException(notStoppedMessage(name))
    }
    return entry
  }

  setClusterLoggerLevel(namespace: string, level: string): void {
    // In standalone mode this worker is the whole cluster.
    this.setWorkerLoggerLevel(namespace, level)
  }

  workerInfo(): WorkerInfo {
    return {
      worker_id: this.#workerId,
      url: null,
      mode: 'standalone',
      group_id: null,
      generation: null,
      leader_url: null,
      is_leader: true,
      tasks: taskThroughput(this.worker.metrics),
    }
  }

  async groupMembers(): Promise<GroupMemberInfo[]> {
    return []
  }
}
