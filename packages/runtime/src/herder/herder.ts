import type { ConnectorTaskId, TargetState } from '../worker/worker-task.ts'

export type ConnectorType = 'source' | 'sink' | 'unknown'
export type State = 'UNASSIGNED' | 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'RESTARTING'

/** Apache's ConnectorInfo entity. */
export interface ConnectorInfo {
  name: string
  config: Record<string, string>
  tasks: Array<{ connector: string; task: number }>
  type: ConnectorType
}

export interface StateInfo {
  state: State
  worker_id: string
  trace?: string
}

/** Apache's ConnectorStateInfo entity: tasks sorted by id, `trace` only when set. */
export interface ConnectorStateInfo {
  name: string
  connector: StateInfo
  tasks: Array<StateInfo & { id: number }>
  type: ConnectorType
}

/** One key's problems after validation (Apache's ConfigInfos, reduced to what callers need here). */
export interface ConfigProblem {
  key: string
  errors: string[]
}

/**
 * What the CLI and REST API drive (Apache's Herder): connector configs, their target state and status.
 * Standalone and distributed mode are its two implementations; callers never reach into the worker.
 */
export interface Herder {
  start(): Promise<void>
  stop(): Promise<void>
  connectors(): string[]
  connectorInfo(name: string): ConnectorInfo
  connectorStatus(name: string): ConnectorStateInfo
  /** Validates against the framework's and the connector's keys; every problem, each on its key. */
  validateConnectorConfig(config: Record<string, string>): Promise<ConfigProblem[]>
  /** Creates (or with `allowReplace` updates) a connector. Returns its info and whether it was created. */
  putConnectorConfig(
    name: string,
    config: Record<string, string>,
    allowReplace: boolean,
    initialState?: TargetState,
  ): Promise<{ created: boolean; info: ConnectorInfo }>
  deleteConnector(name: string): Promise<void>
  pauseConnector(name: string): Promise<void>
  resumeConnector(name: string): Promise<void>
  restartTask(id: ConnectorTaskId): Promise<void>
}
