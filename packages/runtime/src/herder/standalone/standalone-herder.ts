import { AlreadyExistsException, NotFoundException } from '@ferry/api'
import type { Logger } from '../../logger.ts'
import { MemoryConfigBackingStore, present } from '../../storage/config-store.ts'
import { MemoryStatusBackingStore } from '../../storage/status-store.ts'
import type { Worker } from '../../worker/worker.ts'
import type { ConnectorTaskId, TargetState } from '../../worker/worker-task.ts'
import { AbstractHerder, type AbstractHerderOptions } from '../abstract-herder.ts'
import { AutoRestarts } from '../auto-restart.ts'
import { modifyConnectorOffsets, notStoppedMessage, readConnectorOffsets } from '../connector-offsets.ts'
import { invalidConfigMessage } from '../connector-validation.ts'
import {
  BadRequestException,
  type ConnectorInfo,
  type ConnectorOffset,
  type ConnectorOffsets,
  type ConnectorStateInfo,
  type GroupMemberInfo,
  type Herder,
  type Message,
  type RestartRequest,
  type WorkerInfo,
} from '../herder.ts'
import { taskThroughput } from '../task-throughput.ts'

export { invalidConfigMessage } from '../connector-validation.ts'
export { BadRequestException } from '../herder.ts'

/** Options of a standalone herder beyond the worker it drives. */
export type StandaloneHerderOptions = AbstractHerderOptions

/**
 * Standalone mode's herder: one process, configs and statuses in memory stores, offsets in the worker's offset store.
 * Operations are serialised so a delete cannot race its own start.
 */
export class StandaloneHerder extends AbstractHerder implements Herder {
  protected readonly configStore = new MemoryConfigBackingStore()
  protected readonly statusStore = new MemoryStatusBackingStore()
  readonly #restarts: AutoRestarts

  constructor(worker: Worker, workerId: string, log: Logger, options: StandaloneHerderOptions = {}) {
    super(worker, workerId, log, 'org.apache.kafka.connect.runtime.standalone.StandaloneHerder', options)
    this.#restarts = new AutoRestarts({
      log: this.log,
      connectorConfig: (name) =>
        this.configStore.contains(name) ? present(this.#snapshot().connectorConfig(name)) : null,
      workerConfig: worker.config.originals,
      run: (fn) => this.serial(fn),
      active: () => this.ready,
    })
    worker.metrics.autoRestarts(() => this.#restarts.counts())
  }

  async start(): Promise<void> {
    await this.statusStore.start()
    await this.configStore.start()
    await this.worker.offsets.start()
    await this.readClusterId()
    this.ready = true
  }

  async stop(): Promise<void> {
    await this.serial(async () => {
      this.ready = false
      this.#restarts.clear()
      for (const name of this.connectors()) await this.#stopConnector(name)
      await this.worker.stop()
      await this.worker.offsets.stop()
      await this.configStore.stop()
      await this.statusStore.stop()
    })
  }

  protected generation(): number {
    return 0
  }

  #snapshot() {
    return this.configStore.snapshot()
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
    const exists = this.configStore.contains(name)
    if (exists && !allowReplace) throw new AlreadyExistsException(`Connector ${name} already exists`)
    if (exists) await this.#stopConnector(name)
    // An update keeps the connector's target state and task configs; validation reports null values, so none are left.
    await this.configStore.putConnectorConfig(name, submitted, exists ? null : initialState)
    await this.#startConnector(name)
    return { created: !exists, info: this.connectorInfo(name) }
  }

  async patchConnectorConfig(name: string, patch: Record<string, string | null>): Promise<ConnectorInfo> {
    return this.serial(async () => {
      const patched: Record<string, string> = { ...this.storedConfig(name) }
      for (const [key, value] of Object.entries(patch)) {
        if (value === null) delete patched[key]
        else patched[key] = value
      }
      return (await this.#put(name, patched, true, 'STARTED')).info
    })
  }

  /** Starts the Connector instance in its target state; with `reconfigure`, then makes its tasks match. */
  async #startConnector(name: string, reconfigure = true): Promise<void> {
    const snapshot = this.#snapshot()
    const config = present(snapshot.connectorConfig(name))
    const state = snapshot.targetState(name) ?? 'STARTED'
    const started = await this.worker.startConnector(name, config, state, this.connectorStatusListener(), () => {
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
    const snapshot = this.#snapshot()
    if (snapshot.targetState(name) !== 'STARTED') return
    if (!this.worker.connectorNames().includes(name)) return
    const maxTasks = Number(snapshot.connectorConfig(name)?.['tasks.max'] ?? 1)
    let taskConfigs: Record<string, string>[]
    try {
      taskConfigs = await this.worker.connectorTaskConfigs(name, maxTasks)
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e))
      this.log.error({ connector: name, err: error }, `Failed to generate task configs: ${error.message}`)
      this.onConnectorFailure(name, error)
      return
    }
    const running = this.worker.taskIds(name).length
    if (this.taskConfigsUnchanged(name, taskConfigs, snapshot) && running === taskConfigs.length) return
    await this.worker.stopTasks(this.worker.taskIds(name))
    this.removeTaskStatuses(name)
    this.#restarts.forget(name, 'tasks')
    await this.configStore.putTaskConfigs(name, taskConfigs)
    for (let task = 0; task < taskConfigs.length; task++) await this.#startTask({ connector: name, task })
  }

  async #startTask(id: ConnectorTaskId): Promise<void> {
    const snapshot = this.#snapshot()
    this.putTaskStatus(id, 'UNASSIGNED', undefined, true)
    await this.trackTopics(id, () =>
      this.worker.startTask(
        id,
        present(snapshot.connectorConfig(id.connector)),
        present(snapshot.taskConfig(id)),
        snapshot.targetState(id.connector) ?? 'STARTED',
        this.taskStatusListener(),
      ),
    )
  }

  async #stopConnector(name: string): Promise<void> {
    this.#restarts.forget(name, 'all')
    await this.worker.stopTasks(this.worker.taskIds(name))
    await this.worker.stopConnector(name)
  }

  protected onRunning(key: [string] | [string, number]): void {
    this.#restarts.markRunning(key)
  }

  protected onTaskFailure(id: ConnectorTaskId, error: Error): void {
    const name = `${id.connector}-${id.task}`
    const noted = this.#restarts.schedule([id.connector, id.task], `task ${name}`, error, async () => {
      const snapshot = this.#snapshot()
      const status = this.statusStore.getTask(id)
      if (snapshot.targetState(id.connector) !== 'STARTED' || status?.state !== 'FAILED' || !snapshot.taskConfig(id)) {
        return
      }
      await this.worker.stopTasks([id])
      await this.#startTask(id)
    })
    this.putTaskStatus(id, 'FAILED', noted, true)
  }

  protected onConnectorFailure(name: string, error: Error): void {
    const noted = this.#restarts.schedule([name], `connector ${name}`, error, async () => {
      if (!this.configStore.contains(name) || this.statusStore.getConnector(name)?.state !== 'FAILED') return
      await this.worker.stopConnector(name)
      await this.#startConnector(name)
    })
    this.putConnectorStatus(name, 'FAILED', noted, true)
  }

  async deleteConnector(name: string): Promise<void> {
    await this.serial(async () => {
      this.storedConfig(name)
      await this.#stopConnector(name)
      await this.configStore.removeConnectorConfig(name)
      this.onDeletion(name)
      // Beyond Apache: a deleted connector's active topics go with it (a new one of the same name starts afresh).
      this.resetConnectorActiveTopics(name)
    })
  }

  async pauseConnector(name: string): Promise<void> {
    await this.serial(async () => {
      this.storedConfig(name, `Unknown connector ${name}`)
      const previous = this.#snapshot().targetState(name)
      if (previous === 'PAUSED') return
      this.#restarts.forget(name, 'all')
      await this.configStore.putTargetState(name, 'PAUSED')
      if (previous === 'STOPPED') {
        // The Connector instance comes back (paused); its tasks only once it is resumed.
        await this.worker.stopConnector(name)
        await this.#startConnector(name)
        return
      }
      this.worker.setTargetState(name, 'PAUSED')
      this.putConnectorStatus(name, 'PAUSED')
    })
  }

  async resumeConnector(name: string): Promise<void> {
    await this.serial(async () => {
      this.storedConfig(name, `Unknown connector ${name}`)
      const previous = this.#snapshot().targetState(name)
      if (previous === 'STARTED') return
      await this.configStore.putTargetState(name, 'STARTED')
      if (previous === 'STOPPED') {
        await this.worker.stopConnector(name)
        await this.#startConnector(name)
        return
      }
      this.worker.setTargetState(name, 'STARTED')
      this.putConnectorStatus(name, 'RUNNING')
      await this.#reconfigureTasks(name)
    })
  }

  /** KIP-875: zero task configs, then the STOPPED target state, as distributed mode writes them. */
  async stopConnector(name: string): Promise<void> {
    await this.serial(async () => {
      this.storedConfig(name)
      this.#restarts.forget(name, 'all')
      await this.worker.stopTasks(this.worker.taskIds(name))
      this.removeTaskStatuses(name)
      await this.configStore.putTaskConfigs(name, [])
      await this.configStore.putTargetState(name, 'STOPPED')
      await this.worker.stopConnector(name)
      await this.#startConnector(name)
    })
  }

  async restartConnector(name: string): Promise<void> {
    await this.serial(async () => {
      this.storedConfig(name)
      this.#restarts.forget(name, 'connector')
      await this.worker.stopConnector(name)
      await this.#startConnector(name)
    })
  }

  async restartConnectorAndTasks(request: RestartRequest): Promise<ConnectorStateInfo> {
    return this.serial(async () => {
      const name = request.connector
      this.storedConfig(name, `Unknown connector: ${name}`)
      const plan = this.buildRestartPlan(request)
      if (!plan) throw new NotFoundException(`Status for connector ${name} not found`)
      const restartConnector = plan.connector.state === 'RESTARTING'
      const restartTasks = plan.tasks.filter((t) => t.state === 'RESTARTING').map((t) => t.id)
      this.log.info(
        { connector: name },
        `Restarting ${restartConnector ? 'the connector and ' : ''}${restartTasks.length} of ${plan.tasks.length} tasks of ${name}`,
      )
      const ids = restartTasks.map((task) => ({ connector: name, task }))
      if (restartConnector) this.#restarts.forget(name, 'connector')
      if (restartTasks.length > 0) this.#restarts.forget(name, restartTasks)
      if (restartConnector) {
        await this.worker.stopConnector(name)
        this.putConnectorStatus(name, 'RESTARTING')
      }
      if (ids.length > 0) {
        await this.worker.stopTasks(ids)
        for (const id of ids) this.putTaskStatus(id, 'RESTARTING')
      }
      if (restartConnector) await this.#startConnector(name, false)
      for (const id of ids) if (this.#snapshot().taskConfig(id)) await this.#startTask(id)
      return plan
    })
  }

  async restartTask(id: ConnectorTaskId): Promise<void> {
    await this.serial(async () => {
      this.storedConfig(id.connector)
      if (!this.#snapshot().taskConfig(id)) throw new NotFoundException(`Task ${id.connector}-${id.task} not found`)
      this.#restarts.forget(id.connector, [id.task])
      await this.worker.stopTasks([id])
      await this.#startTask(id)
    })
  }

  async connectorOffsets(name: string): Promise<ConnectorOffsets> {
    const config = this.storedConfig(name)
    return readConnectorOffsets(
      this.worker,
      name,
      await this.resolvedConnectorConfig(config),
      this.connectorType(config),
    )
  }

  async alterConnectorOffsets(name: string, offsets: ConnectorOffset[]): Promise<Message> {
    return this.serial(() => this.#modifyOffsets(name, offsets))
  }

  async resetConnectorOffsets(name: string): Promise<Message> {
    return this.serial(() => this.#modifyOffsets(name, null))
  }

  async #modifyOffsets(name: string, offsets: ConnectorOffset[] | null): Promise<Message> {
    const config = this.storedConfig(name)
    const snapshot = this.#snapshot()
    if (snapshot.targetState(name) !== 'STOPPED' || snapshot.taskCount(name) !== 0) {
      throw new BadRequestException(notStoppedMessage(name))
    }
    const resolved = await this.resolvedConnectorConfig(config)
    return modifyConnectorOffsets(this.worker, name, resolved, this.connectorType(config), offsets)
  }

  setClusterLoggerLevel(namespace: string, level: string): void {
    // In standalone mode this worker is the whole cluster.
    this.setWorkerLoggerLevel(namespace, level)
  }

  workerInfo(): WorkerInfo {
    return {
      worker_id: this.workerId,
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
