import { ConnectException } from '@ferry/api'
import type { AssignorConfigSnapshot } from '../herder/distributed/assignors.ts'
import type { RestartRequest } from '../herder/herder.ts'
import type { ConnectorTaskId, TargetState } from '../worker/worker-task.ts'

/** Connector configs as stored: values may be null. */
export type RawConfig = Record<string, string | null>

/** The KIP-507 key that signs internal requests. */
export interface SessionKey {
  key: Buffer
  algorithm: string
  /** Epoch milliseconds. */
  creationTimestamp: number
}

/**
 * Told about every change to the store, whoever made it (Apache's `UpdateListener`): at once in memory; in Kafka as
 * it is read from the topic, once the store has started.
 */
export interface ConfigUpdateListener {
  onConnectorConfigRemove(connector: string): void
  onConnectorConfigUpdate(connector: string): void
  /** Task configs committed (the ids whose config changed; empty when the set was incomplete). */
  onTaskConfigUpdate(tasks: ConnectorTaskId[]): void
  onConnectorTargetStateChange(connector: string): void
  onSessionKeyUpdate(key: SessionKey): void
  onRestartRequest(request: RestartRequest): void
  /** Only for records read after the store started. */
  onLoggingLevelUpdate(namespace: string, level: string): void
}

/**
 * Where connector configs, task configs and target states live (Apache's `ConfigBackingStore`): memory for standalone
 * mode, the config topic for distributed mode. `snapshot()` is an immutable view; a write shows in it, and is told to
 * the update listener, once the store has it (memory: before the write resolves; Kafka: once read back, which every
 * write but `putTargetState` and `putLoggerLevel` waits for, and `refresh` for everything written before it). Task
 * configs replace the connector's previous ones as a whole and record the connector config they came from.
 * Writes to a store that cannot take them reject with a `ConnectException`.
 */
export interface ConfigBackingStore {
  start(): Promise<void>
  stop(): Promise<void>
  snapshot(): ClusterConfigState
  contains(connector: string): boolean
  /** With `targetState` the connector starts in it (a new connector); without, its target state stays (STARTED when new). */
  putConnectorConfig(connector: string, config: RawConfig, targetState?: TargetState | null): Promise<void>
  /** Removes the connector's config, target state and task configs. */
  removeConnectorConfig(connector: string): Promise<void>
  putTaskConfigs(connector: string, configs: RawConfig[]): Promise<void>
  putTargetState(connector: string, state: TargetState): Promise<void>
  putSessionKey(sessionKey: SessionKey): Promise<void>
  putRestartRequest(request: RestartRequest): Promise<void>
  /** KIP-618's task count record. */
  putTaskCountRecord(connector: string, taskCount: number): Promise<void>
  /** KIP-976: a cluster-wide logger level, applied by every worker's listener. */
  putLoggerLevel(namespace: string, level: string): Promise<void>
  /** Resolves once the snapshot shows everything written before the call. */
  refresh(timeoutMs: number): Promise<void>
  setUpdateListener(listener: ConfigUpdateListener): void
}

/** An immutable view of the stored configs (Apache's `ClusterConfigState`); Kafka: at one offset of the config topic. */
export class ClusterConfigState implements AssignorConfigSnapshot {
  readonly offset: number
  readonly sessionKey: SessionKey | null
  readonly #connectorConfigs: ReadonlyMap<string, RawConfig>
  readonly #taskCounts: ReadonlyMap<string, number>
  readonly #targetStates: ReadonlyMap<string, TargetState>
  readonly #taskConfigs: ReadonlyMap<string, RawConfig>
  readonly #taskCountRecords: ReadonlyMap<string, number>
  readonly #taskConfigGenerations: ReadonlyMap<string, number>
  readonly #appliedConnectorConfigs: ReadonlyMap<string, RawConfig>
  readonly #pendingFencing: ReadonlySet<string>
  readonly #inconsistent: ReadonlySet<string>

  constructor(state: {
    offset: number
    sessionKey: SessionKey | null
    connectorConfigs: ReadonlyMap<string, RawConfig>
    taskCounts: ReadonlyMap<string, number>
    targetStates: ReadonlyMap<string, TargetState>
    taskConfigs: ReadonlyMap<string, RawConfig>
    taskCountRecords: ReadonlyMap<string, number>
    taskConfigGenerations: ReadonlyMap<string, number>
    appliedConnectorConfigs: ReadonlyMap<string, RawConfig>
    pendingFencing: ReadonlySet<string>
    inconsistent: ReadonlySet<string>
  }) {
    this.offset = state.offset
    this.sessionKey = state.sessionKey
    this.#connectorConfigs = new Map(state.connectorConfigs)
    this.#taskCounts = new Map(state.taskCounts)
    this.#targetStates = new Map(state.targetStates)
    this.#taskConfigs = new Map(state.taskConfigs)
    this.#taskCountRecords = new Map(state.taskCountRecords)
    this.#taskConfigGenerations = new Map(state.taskConfigGenerations)
    this.#appliedConnectorConfigs = new Map(state.appliedConnectorConfigs)
    this.#pendingFencing = new Set(state.pendingFencing)
    this.#inconsistent = new Set(state.inconsistent)
  }

  static readonly EMPTY = new ClusterConfigState({
    offset: -1,
    sessionKey: null,
    connectorConfigs: new Map(),
    taskCounts: new Map(),
    targetStates: new Map(),
    taskConfigs: new Map(),
    taskCountRecords: new Map(),
    taskConfigGenerations: new Map(),
    appliedConnectorConfigs: new Map(),
    pendingFencing: new Set(),
    inconsistent: new Set(),
  })

  contains(connector: string): boolean {
    return this.#connectorConfigs.has(connector)
  }

  connectors(): string[] {
    return [...this.#connectorConfigs.keys()]
  }

  /** The connector's config as it was written (Ferry resolves no config providers here). */
  connectorConfig(connector: string): RawConfig | null {
    return this.#connectorConfigs.get(connector) ?? null
  }

  /** The connector config that the last successful task config commit was generated from. */
  appliedConnectorConfig(connector: string): RawConfig | null {
    return this.#appliedConnectorConfigs.get(connector) ?? null
  }

  targetState(connector: string): TargetState | null {
    return this.#targetStates.get(connector) ?? null
  }

  taskConfig(id: ConnectorTaskId): RawConfig | null {
    return this.#taskConfigs.get(taskIdKey(id)) ?? null
  }

  /** The committed task count (0 when none). */
  taskCount(connector: string): number {
    return this.#taskCounts.get(connector) ?? 0
  }

  /** Task ids 0..n-1 of the last commit; none while the connector's task configs are inconsistent. */
  tasks(connector: string): ConnectorTaskId[] {
    if (this.#inconsistent.has(connector)) return []
    const n = this.#taskCounts.get(connector)
    if (n === undefined) return []
    return Array.from({ length: n }, (_, task) => ({ connector, task }))
  }

  /** KIP-618 task count record, or null. */
  taskCountRecord(connector: string): number | null {
    return this.#taskCountRecords.get(connector) ?? null
  }

  /** How many task config sets were applied for the connector, minus one (null before the first). */
  taskConfigGeneration(connector: string): number | null {
    return this.#taskConfigGenerations.get(connector) ?? null
  }

  pendingFencing(connector: string): boolean {
    return this.#pendingFencing.has(connector)
  }

  /** Connectors whose last commit named task ids that were not all present. */
  inconsistentConnectors(): string[] {
    return [...this.#inconsistent]
  }
}

/** The key of a task in the stores' maps. */
export function taskIdKey(id: ConnectorTaskId): string {
  return `${id.connector}\u0000${id.task}`
}

/** Apache's `MemoryConfigBackingStore`: configs in memory, for standalone mode (nothing survives a restart). */
export class MemoryConfigBackingStore implements ConfigBackingStore {
  #listener: ConfigUpdateListener | null = null
  #sessionKey: SessionKey | null = null
  readonly #connectorConfigs = new Map<string, RawConfig>()
  readonly #targetStates = new Map<string, TargetState>()
  readonly #taskCounts = new Map<string, number>()
  readonly #taskConfigs = new Map<string, RawConfig>()
  readonly #taskCountRecords = new Map<string, number>()
  readonly #taskConfigGenerations = new Map<string, number>()
  readonly #appliedConnectorConfigs = new Map<string, RawConfig>()
  readonly #pendingFencing = new Set<string>()

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async refresh(): Promise<void> {}

  setUpdateListener(listener: ConfigUpdateListener): void {
    this.#listener = listener
  }

  snapshot(): ClusterConfigState {
    return new ClusterConfigState({
      offset: -1,
      sessionKey: this.#sessionKey,
      connectorConfigs: this.#connectorConfigs,
      taskCounts: this.#taskCounts,
      targetStates: this.#targetStates,
      taskConfigs: this.#taskConfigs,
      taskCountRecords: this.#taskCountRecords,
      taskConfigGenerations: this.#taskConfigGenerations,
      appliedConnectorConfigs: this.#appliedConnectorConfigs,
      pendingFencing: this.#pendingFencing,
      inconsistent: new Set(),
    })
  }

  contains(connector: string): boolean {
    return this.#connectorConfigs.has(connector)
  }

  async putConnectorConfig(connector: string, config: RawConfig, targetState?: TargetState | null): Promise<void> {
    const existed = this.#connectorConfigs.has(connector)
    const previous = this.#targetStates.get(connector)
    if (targetState) this.#targetStates.set(connector, targetState)
    else if (!existed) this.#targetStates.set(connector, 'STARTED')
    this.#connectorConfigs.set(connector, { ...config })
    if (existed && targetState && targetState !== previous) this.#listener?.onConnectorTargetStateChange(connector)
    this.#listener?.onConnectorConfigUpdate(connector)
  }

  async removeConnectorConfig(connector: string): Promise<void> {
    const existed = this.#connectorConfigs.delete(connector)
    this.#targetStates.delete(connector)
    this.#taskCounts.delete(connector)
    this.#deleteTaskConfigs(connector)
    this.#appliedConnectorConfigs.delete(connector)
    if (existed) this.#listener?.onConnectorConfigRemove(connector)
  }

  async putTaskConfigs(connector: string, configs: RawConfig[]): Promise<void> {
    const applied = this.#connectorConfigs.get(connector)
    if (!applied) throw new ConnectException(`Cannot put tasks for non-existing connector ${connector}`)
    this.#deleteTaskConfigs(connector)
    const ids = configs.map((config, task) => {
      this.#taskConfigs.set(taskIdKey({ connector, task }), { ...config })
      return { connector, task }
    })
    const generation = this.#taskConfigGenerations.get(connector)
    this.#taskConfigGenerations.set(connector, generation === undefined ? 0 : generation + 1)
    this.#appliedConnectorConfigs.set(connector, applied)
    this.#taskCounts.set(connector, configs.length)
    this.#pendingFencing.add(connector)
    this.#listener?.onTaskConfigUpdate(ids)
  }

  async putTargetState(connector: string, state: TargetState): Promise<void> {
    if (!this.#connectorConfigs.has(connector)) throw new ConnectException(`No connector ${connector} configured`)
    const previous = this.#targetStates.get(connector)
    this.#targetStates.set(connector, state)
    if (state !== previous) this.#listener?.onConnectorTargetStateChange(connector)
  }

  async putSessionKey(sessionKey: SessionKey): Promise<void> {
    this.#sessionKey = sessionKey
    this.#listener?.onSessionKeyUpdate(sessionKey)
  }

  async putRestartRequest(request: RestartRequest): Promise<void> {
    this.#listener?.onRestartRequest(request)
  }

  async putTaskCountRecord(connector: string, taskCount: number): Promise<void> {
    this.#taskCountRecords.set(connector, taskCount)
    this.#pendingFencing.delete(connector)
  }

  async putLoggerLevel(namespace: string, level: string): Promise<void> {
    this.#listener?.onLoggingLevelUpdate(namespace, level)
  }

  #deleteTaskConfigs(connector: string): void {
    for (const k of [...this.#taskConfigs.keys()]) if (k.startsWith(`${connector}\u0000`)) this.#taskConfigs.delete(k)
  }
}

/** A stored config as the worker takes it: keys with null values (possible in the config topic) left out. */
export function present(config: RawConfig | null): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(config ?? {})) if (v !== null) out[k] = v
  return out
}

/** Whether two stored configs hold the same keys and values (two nulls are the same). */
export function sameConfig(a: RawConfig | null, b: RawConfig | null): boolean {
  if (!a || !b) return a === b
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k])
}
