import { AlreadyExistsException, ConnectException, NotFoundException, SinkConnector } from '@ferry/api'
import { CONNECTOR_CONFIG_DEF, SINK_CONNECTOR_CONFIG_DEF, sinkTopicProblems } from '../../config/connector-config.ts'
import type { Logger } from '../../logger.ts'
import type { Worker } from '../../worker/worker.ts'
import type { ConnectorTaskId, TargetState } from '../../worker/worker-task.ts'
import type { ConfigProblem, ConnectorInfo, ConnectorStateInfo, ConnectorType, Herder } from '../herder.ts'
import { MemoryStatusStore } from '../status-store.ts'

interface ConnectorEntry {
  config: Record<string, string>
  targetState: TargetState
  taskConfigs: Record<string, string>[]
  type: ConnectorType
}

/** Apache's message for an invalid connector config, listing every error. */
export function invalidConfigMessage(problems: ConfigProblem[]): string {
  const messages = problems.flatMap((p) => p.errors)
  return `Connector configuration is invalid and contains the following ${messages.length} error(s):\n${messages.join('\n')}\nYou can also find the above list of errors at the endpoint \`/connector-plugins/{connectorType}/config/validate\``
}

/** Thrown for a request the caller must fix (HTTP 400 in the REST API). */
export class BadRequestException extends ConnectException {}

/**
 * Standalone mode's herder: one process, configs and status in memory, offsets in the worker's offset store.
 * Operations on one connector are serialised so a delete cannot race its own start.
 */
export class StandaloneHerder implements Herder {
  readonly #worker: Worker
  readonly #log: Logger
  readonly #status: MemoryStatusStore
  readonly #connectors = new Map<string, ConnectorEntry>()
  #queue: Promise<unknown> = Promise.resolve()

  constructor(worker: Worker, workerId: string, log: Logger) {
    this.#worker = worker
    this.#log = log
    this.#status = new MemoryStatusStore(workerId)
  }

  async start(): Promise<void> {
    await this.#worker.offsets.start()
  }

  async stop(): Promise<void> {
    await this.#serial(async () => {
      for (const name of [...this.#connectors.keys()]) await this.#stopConnector(name)
      await this.#worker.stop()
      await this.#worker.offsets.stop()
    })
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => {})
    return run
  }

  connectors(): string[] {
    return [...this.#connectors.keys()].sort()
  }

  #entry(name: string): ConnectorEntry {
    const entry = this.#connectors.get(name)
    if (!entry) throw new NotFoundException(`Connector ${name} not found`)
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

  connectorStatus(name: string): ConnectorStateInfo {
    const entry = this.#entry(name)
    return {
      name,
      connector: this.#status.connector(name) ?? { state: 'UNASSIGNED', worker_id: '' },
      tasks: this.#status.tasks(name),
      type: entry.type,
    }
  }

  async validateConnectorConfig(config: Record<string, string>): Promise<ConfigProblem[]> {
    const problems = new Map<string, string[]>()
    const add = (key: string, message: string) => {
      const list = problems.get(key) ?? []
      if (!list.includes(message)) list.push(message)
      problems.set(key, list)
    }
    for (const v of CONNECTOR_CONFIG_DEF.validate(config)) for (const m of v.errorMessages) add(v.name, m)
    const className = config['connector.class']
    if (className) {
      let connector: ReturnType<Worker['instantiateConnector']> | null = null
      try {
        connector = this.#worker.instantiateConnector(className)
      } catch (e) {
        add('connector.class', (e as Error).message)
      }
      if (connector) {
        if (connector instanceof SinkConnector) {
          for (const v of SINK_CONNECTOR_CONFIG_DEF.validate(config)) for (const m of v.errorMessages) add(v.name, m)
          for (const [key, message] of sinkTopicProblems(config)) add(key, message)
        }
        const result = await connector.validate(config)
        for (const v of result.configValues) for (const m of v.errorMessages) add(v.name, m)
      }
    }
    for (const key of ['key.converter', 'value.converter']) {
      const name = config[key] ?? this.#worker.config.originals[key]
      if (name && !this.#worker.plugins.find(name, ['converter'])) {
        add(key, `Invalid value ${name} for configuration ${key}: Class ${name} could not be found.`)
      }
    }
    return [...problems].map(([key, errors]) => ({ key, errors }))
  }

  async putConnectorConfig(
    name: string,
    config: Record<string, string>,
    allowReplace: boolean,
    initialState: TargetState = 'STARTED',
  ): Promise<{ created: boolean; info: ConnectorInfo }> {
    return this.#serial(async () => {
      const full: Record<string, string> = { ...config, name }
      const problems = await this.validateConnectorConfig(full)
      if (problems.length > 0) throw new BadRequestException(invalidConfigMessage(problems))
      const existing = this.#connectors.get(name)
      if (existing && !allowReplace) throw new AlreadyExistsException(`Connector ${name} already exists`)
      if (existing) await this.#stopConnector(name)
      const type: ConnectorType =
        this.#worker.instantiateConnector(full['connector.class'] ?? '') instanceof SinkConnector ? 'sink' : 'source'
      const entry: ConnectorEntry = {
        config: full,
        targetState: existing?.targetState ?? initialState,
        taskConfigs: [],
        type,
      }
      this.#connectors.set(name, entry)
      await this.#startConnector(name, entry)
      return { created: !existing, info: this.connectorInfo(name) }
    })
  }

  async #startConnector(name: string, entry: ConnectorEntry): Promise<void> {
    const listener = {
      onStartup: (c: string) => this.#status.putConnector(c, 'RUNNING'),
      onPause: (c: string) => this.#status.putConnector(c, 'PAUSED'),
      onStop: (c: string) => this.#status.putConnector(c, 'STOPPED'),
      onFailure: (c: string, e: Error) => this.#status.putConnector(c, 'FAILED', e),
      onShutdown: (c: string) => this.#status.putConnector(c, 'UNASSIGNED'),
    }
    const started = await this.#worker.startConnector(name, entry.config, entry.targetState, listener, () => {
      void this.#serial(() => this.#reconfigureTasks(name)).catch((e) =>
        this.#log.error({ connector: name, err: e }, 'Task reconfiguration failed'),
      )
    })
    if (!started || entry.targetState === 'STOPPED') return
    await this.#reconfigureTasks(name)
  }

  /** Asks the connector for task configs and (re)starts the tasks. */
  async #reconfigureTasks(name: string): Promise<void> {
    const entry = this.#connectors.get(name)
    if (!entry || entry.targetState === 'STOPPED') return
    const maxTasks = Number(entry.config['tasks.max'] ?? 1)
    let taskConfigs: Record<string, string>[]
    try {
      taskConfigs = await this.#worker.connectorTaskConfigs(name, maxTasks)
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e))
      this.#log.error({ connector: name, err: error }, `Failed to generate task configs: ${error.message}`)
      this.#status.putConnector(name, 'FAILED', error)
      return
    }
    await this.#worker.stopTasks(this.#worker.taskIds(name))
    this.#status.removeTasks(name)
    entry.taskConfigs = taskConfigs
    for (let task = 0; task < taskConfigs.length; task++) await this.#startTask({ connector: name, task }, entry)
  }

  async #startTask(id: ConnectorTaskId, entry: ConnectorEntry): Promise<void> {
    this.#status.putTask(id.connector, id.task, 'UNASSIGNED')
    await this.#worker.startTask(id, entry.config, entry.taskConfigs[id.task] ?? {}, entry.targetState, {
      onStartup: (t) => this.#status.putTask(t.connector, t.task, 'RUNNING'),
      onPause: (t) => this.#status.putTask(t.connector, t.task, 'PAUSED'),
      onResume: (t) => this.#status.putTask(t.connector, t.task, 'RUNNING'),
      onFailure: (t, e) => this.#status.putTask(t.connector, t.task, 'FAILED', e),
      onShutdown: (t) => this.#status.putTask(t.connector, t.task, 'UNASSIGNED'),
    })
  }

  async #stopConnector(name: string): Promise<void> {
    await this.#worker.stopTasks(this.#worker.taskIds(name))
    await this.#worker.stopConnector(name)
  }

  async deleteConnector(name: string): Promise<void> {
    await this.#serial(async () => {
      this.#entry(name)
      await this.#stopConnector(name)
      this.#connectors.delete(name)
      this.#status.remove(name)
    })
  }

  async pauseConnector(name: string): Promise<void> {
    await this.#serial(async () => {
      const entry = this.#entry(name)
      entry.targetState = 'PAUSED'
      this.#worker.setTargetState(name, 'PAUSED')
      this.#status.putConnector(name, 'PAUSED')
    })
  }

  async resumeConnector(name: string): Promise<void> {
    await this.#serial(async () => {
      const entry = this.#entry(name)
      entry.targetState = 'STARTED'
      this.#worker.setTargetState(name, 'STARTED')
      this.#status.putConnector(name, 'RUNNING')
    })
  }

  async restartTask(id: ConnectorTaskId): Promise<void> {
    await this.#serial(async () => {
      const entry = this.#entry(id.connector)
      if (!entry.taskConfigs[id.task]) throw new NotFoundException(`Task ${id.connector}-${id.task} not found`)
      await this.#worker.stopTasks([id])
      await this.#startTask(id, entry)
    })
  }
}
