import { ConnectException } from '@ferry/api'
import type { ConnectorTaskId, TargetState } from '../worker/worker-task.ts'

/** A request the caller must fix (HTTP 400 in the REST API; Apache's `BadRequestException`). */
export class BadRequestException extends ConnectException {}

export type ConnectorType = 'source' | 'sink' | 'unknown'
export type State = 'UNASSIGNED' | 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'RESTARTING'

/** Apache's ConnectorInfo entity. */
export interface ConnectorInfo {
  name: string
  config: Record<string, string>
  tasks: Array<{ connector: string; task: number }>
  type: ConnectorType
}

/** One connector's or task's reported state (Apache's `ConnectorStateInfo.AbstractState`). */
export interface StateInfo {
  state: State
  worker_id: string
  /** The plugin version (KIP-891); null when it is not known. */
  version?: string | null
  /** Only set for a failure. */
  trace?: string
}

/** Apache's `ConnectorStateInfo.TaskState`. */
export type TaskState = { id: number } & StateInfo

/** Apache's ConnectorStateInfo entity: tasks sorted by id, `trace` only when set. */
export interface ConnectorStateInfo {
  name: string
  connector: StateInfo
  tasks: TaskState[]
  type: ConnectorType
}

/** Apache's TaskInfo entity (`GET /connectors/{c}/tasks`). */
export interface TaskInfo {
  id: { connector: string; task: number }
  config: Record<string, string>
}

/** Apache's ConfigKeyInfo: one key's definition, as the REST API renders it. */
export interface ConfigKeyInfo {
  name: string
  type: string
  required: boolean
  default_value: string | null
  importance: string
  documentation: string | null
  group: string | null
  order_in_group: number
  width: string
  display_name: string | null
  dependents: string[]
}

/** Apache's ConfigValueInfo: one key's validated value, as strings; passwords are `[hidden]`. */
export interface ConfigValueInfo {
  name: string
  value: string | null
  recommended_values: string[]
  errors: string[]
  visible: boolean
}

/** Apache's ConfigInfo: a definition (null for keys no ConfigDef knows) and its value (null for unset keys). */
export interface ConfigInfo {
  definition: ConfigKeyInfo | null
  value: ConfigValueInfo | null
}

/** Apache's ConfigInfos: the result of validating a connector config. */
export interface ConfigInfos {
  name: string
  error_count: number
  groups: string[]
  configs: ConfigInfo[]
}

/** One partition's offset (Apache's ConnectorOffset). Sink partitions are `{kafka_topic, kafka_partition}`. */
export interface ConnectorOffset {
  partition: Record<string, unknown>
  offset: Record<string, unknown> | null
}

/** Apache's ConnectorOffsets entity. */
export interface ConnectorOffsets {
  offsets: ConnectorOffset[]
}

/** Apache's Message entity. */
export interface Message {
  message: string
}

/** Apache's ActiveTopicsInfo (KIP-558). */
export interface ActiveTopicsInfo {
  connector: string
  topics: string[]
}

/** Apache's LoggerLevel entity: `last_modified` is epoch ms, or null when the level was never set over REST. */
export interface LoggerLevel {
  level: string
  last_modified: number | null
}

/** Ferry's own (`GET /ferry/worker`): one worker, the group as it last saw it, and what its tasks move. */
export interface WorkerInfo {
  /** As in statuses: the advertised REST host:port. */
  worker_id: string
  /** The REST URL other workers reach it at (distributed mode); null in standalone mode. */
  url: string | null
  mode: 'standalone' | 'distributed'
  /** `group.id` (distributed mode), else null. */
  group_id: string | null
  /** The generation this worker last joined; null in standalone mode or before its first join. */
  generation: number | null
  /** The leader's REST URL as this worker's last assignment names it; null in standalone mode or before. */
  leader_url: string | null
  is_leader: boolean
  /** The tasks running here, by connector and task. */
  tasks: TaskThroughput[]
}

/**
 * A task's records per second over the metrics window: a source's `source-record-write-rate` (written to Kafka), a
 * sink's `sink-record-send-rate` (handed to `put`); null when the worker keeps no task metrics (`metrics.listener`
 * empty and `ui.enabled=false`).
 */
export interface TaskThroughput {
  connector: string
  task: number
  type: 'source' | 'sink'
  records_per_second: number | null
}

/** A member of the worker's group as the group coordinator describes it (DescribeGroups). */
export interface GroupMemberInfo {
  member_id: string
  /** The REST URL from its member metadata; null when that cannot be read. */
  url: string | null
}

/** What `POST /connectors/{c}/restart` asks for (Apache's RestartRequest, KIP-745). */
export interface RestartRequest {
  connector: string
  onlyFailed: boolean
  includeTasks: boolean
}

/**
 * What the CLI and REST API drive (Apache's Herder): connector configs, their target state and status.
 * Standalone and distributed mode are its two implementations; callers never reach into the worker.
 *
 * Errors are Apache's: `NotFoundException` (404), `AlreadyExistsException` (409), `BadRequestException` (400),
 * anything else a server error. Their messages are the ones Apache's REST API shows.
 */
export interface Herder {
  start(): Promise<void>
  stop(): Promise<void>
  /** True once `start` finished (the health check answers `starting` before that). */
  isReady(): boolean
  /** Resolves once the herder can serve requests (queued behind any operation in progress). */
  healthCheck(): Promise<void>
  /** The Kafka cluster id, or null when it could not be read. */
  kafkaClusterId(): string | null

  connectors(): string[]
  connectorInfo(name: string): ConnectorInfo
  /** The raw config as it was submitted. */
  connectorConfig(name: string): Record<string, string>
  connectorStatus(name: string): ConnectorStateInfo
  taskStatus(id: ConnectorTaskId): TaskState
  taskConfigs(name: string): TaskInfo[]
  /** Deprecated endpoint `tasks-config`: task configs keyed `<connector>-<task>`. */
  tasksConfig(name: string): Record<string, Record<string, string>>

  /**
   * Apache's validation procedure: framework keys, connector keys, transformation and predicate keys, converter keys
   * under their prefixes and client overrides; every problem reported on its key. Throws `BadRequestException` when
   * `connector.class` is missing or names no connector.
   */
  validateConnectorConfig(config: Record<string, string | null>): Promise<ConfigInfos>
  /**
   * The config keys of a plugin (connector plugins also get the framework keys). `NotFoundException` for an unknown
   * plugin; `BadRequestException` when `version` is given and the plugin has another one.
   */
  connectorPluginConfig(pluginName: string, version?: string): ConfigKeyInfo[]

  /**
   * Creates (or with `allowReplace` updates) a connector. Returns its info and whether it was created. A config
   * that fails validation (null values included) is a `BadRequestException` listing every error.
   */
  putConnectorConfig(
    name: string,
    config: Record<string, string | null>,
    allowReplace: boolean,
    initialState?: TargetState,
  ): Promise<{ created: boolean; info: ConnectorInfo }>
  /** Merges `patch` into the config (null removes a key) and applies it like an update. */
  patchConnectorConfig(name: string, patch: Record<string, string | null>): Promise<ConnectorInfo>
  deleteConnector(name: string): Promise<void>
  pauseConnector(name: string): Promise<void>
  /** Resumes a PAUSED or STOPPED connector. */
  resumeConnector(name: string): Promise<void>
  /** KIP-875: stops the tasks and the connector; the prerequisite for changing offsets. */
  stopConnector(name: string): Promise<void>
  /** Restarts the Connector instance only. */
  restartConnector(name: string): Promise<void>
  /** KIP-745: restarts what the request selects and returns the plan (selected items shown as RESTARTING). */
  restartConnectorAndTasks(request: RestartRequest): Promise<ConnectorStateInfo>
  restartTask(id: ConnectorTaskId): Promise<void>

  /** KIP-558: the topics the connector's tasks produced to or consumed from. */
  connectorActiveTopics(name: string): ActiveTopicsInfo
  resetConnectorActiveTopics(name: string): void

  connectorOffsets(name: string): Promise<ConnectorOffsets>
  /** Only for a STOPPED connector; a null offset removes the partition's offset. */
  alterConnectorOffsets(name: string, offsets: ConnectorOffset[]): Promise<Message>
  resetConnectorOffsets(name: string): Promise<Message>

  /** The level of a logger, or null when there is no such logger. */
  loggerLevel(logger: string): LoggerLevel | null
  allLoggerLevels(): Record<string, LoggerLevel>
  /** Sets a namespace's level in this worker; returns the loggers whose level changed, sorted. */
  setWorkerLoggerLevel(namespace: string, level: string): string[]
  setClusterLoggerLevel(namespace: string, level: string): void | Promise<void>

  /** Ferry's own: this worker, its view of the group, and its tasks' throughput. */
  workerInfo(): WorkerInfo
  /** Ferry's own: the workers in the group now (DescribeGroups); in standalone mode none. */
  groupMembers(): Promise<GroupMemberInfo[]>
}

/**
 * The request must be handled by another worker (Apache's `RequestTargetException`): the REST layer forwards it to
 * `forwardUrl`, or answers 409 when no URL is known. Matched by `name` and `forwardUrl` across package copies.
 */
export class RequestTargetException extends ConnectException {
  readonly forwardUrl: string | null

  constructor(message: string, forwardUrl: string | null) {
    super(message)
    this.forwardUrl = forwardUrl
  }
}

/** Only the leader can do this (Apache's `NotLeaderException`): forwarded to the leader. */
export class NotLeaderException extends RequestTargetException {}

/** Another worker runs the connector or task (Apache's `NotAssignedException`): forwarded to it. */
export class NotAssignedException extends RequestTargetException {}

/** The cluster is rebalancing, or this worker's config is stale (Apache's `RebalanceNeededException`; 409). */
export class RebalanceNeededException extends ConnectException {}

/** What an internal request carried to prove it came from a worker (KIP-507). */
export interface InternalRequestSignature {
  /** The exact body bytes that were signed. */
  body: Buffer
  /** `X-Connect-Request-Signature-Algorithm`, e.g. `HmacSHA256`. */
  algorithm: string
  /** `X-Connect-Authorization`: the base64 MAC. */
  signature: string
}
