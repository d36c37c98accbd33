/** An in-memory Herder for the REST unit tests: records calls, answers with Apache's errors. */
import { AlreadyExistsException, ConnectException, NotFoundException } from '@ferry/api'
import type {
  ActiveTopicsInfo,
  ConfigInfos,
  ConfigKeyInfo,
  ConnectorInfo,
  ConnectorOffset,
  ConnectorOffsets,
  ConnectorStateInfo,
  ConnectorTaskId,
  GroupMemberInfo,
  Herder,
  LoggerLevel,
  Message,
  PluginDescriptor,
  PluginKind,
  RestartRequest,
  TargetState,
  TaskInfo,
  TaskState,
  WorkerConfig,
  WorkerInfo,
} from '@ferry/runtime'
import { WorkerClients } from '@ferry/runtime'

/** The herder's 400 (same name as the runtime's, which is what the REST layer matches). */
export class BadRequestException extends ConnectException {}

interface Entry {
  config: Record<string, string>
  state: TargetState
  tasks: Record<string, string>[]
}

export class FakeHerder implements Herder {
  readonly connectorsByName = new Map<string, Entry>()
  readonly calls: string[] = []
  readonly topics = new Map<string, string[]>()
  readonly levels: Record<string, LoggerLevel> = { root: { level: 'INFO', last_modified: null } }
  ready = true
  /** What `workerInfo` answers; a standalone worker running nothing by default. */
  info: WorkerInfo = {
    worker_id: 'fake:8083',
    url: null,
    mode: 'standalone',
    group_id: null,
    generation: null,
    leader_url: null,
    is_leader: true,
    tasks: [],
  }
  /** What `groupMembers` answers. */
  members: GroupMemberInfo[] = []
  healthDelayMs = 0
  offsets: ConnectorOffset[] = [{ partition: { filename: '/tmp/in.txt' }, offset: { position: 42 } }]

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  isReady(): boolean {
    return this.ready
  }
  async healthCheck(): Promise<void> {
    if (this.healthDelayMs > 0) await new Promise((r) => setTimeout(r, this.healthDelayMs))
  }
  kafkaClusterId(): string | null {
    return 'cluster-1'
  }

  #entry(name: string, message = `Connector ${name} not found`): Entry {
    const entry = this.connectorsByName.get(name)
    if (!entry) throw new NotFoundException(message)
    return entry
  }

  connectors(): string[] {
    return [...this.connectorsByName.keys()].sort()
  }
  connectorInfo(name: string): ConnectorInfo {
    const e = this.#entry(name)
    return {
      name,
      config: { ...e.config },
      tasks: e.tasks.map((_, task) => ({ connector: name, task })),
      type: e.config['connector.class']?.includes('Sink') ? 'sink' : 'source',
    }
  }
  connectorConfig(name: string): Record<string, string> {
    return { ...this.#entry(name).config }
  }
  connectorStatus(name: string): ConnectorStateInfo {
    const e = this.connectorsByName.get(name)
    if (!e) throw new NotFoundException(`No status found for connector ${name}`)
    const state = e.state === 'STARTED' ? 'RUNNING' : e.state
    return {
      name,
      connector: { state, worker_id: 'w:8083', version: '0.1.0' },
      tasks: e.tasks.map((_, id) => ({
        id,
        state: state === 'STOPPED' ? 'RUNNING' : state,
        worker_id: 'w:8083',
        version: '0.1.0',
      })),
      type: this.connectorInfo(name).type,
    }
  }
  taskStatus(id: ConnectorTaskId): TaskState {
    const e = this.connectorsByName.get(id.connector)
    if (!e?.tasks[id.task]) throw new NotFoundException(`No status found for task ${id.connector}-${id.task}`)
    return { id: id.task, state: 'RUNNING', worker_id: 'w:8083', version: '0.1.0' }
  }
  taskConfigs(name: string): TaskInfo[] {
    return this.#entry(name).tasks.map((config, task) => ({ id: { connector: name, task }, config }))
  }
  tasksConfig(name: string): Record<string, Record<string, string>> {
    const e = this.connectorsByName.get(name)
    if (!e || e.tasks.length === 0) throw new NotFoundException(`Connector ${name} not found`)
    return Object.fromEntries(e.tasks.map((c, i) => [`${name}-${i}`, c]))
  }

  async validateConnectorConfig(config: Record<string, string | null>): Promise<ConfigInfos> {
    this.calls.push(`validate ${JSON.stringify(config)}`)
    if (config['connector.class'] === undefined) {
      throw new BadRequestException('Connector config contains no connector type')
    }
    const errors = Object.entries(config)
      .filter(([, v]) => v === null)
      .map(([k]) => k)
    const topicMissing = config['connector.class'] === 'FileStreamSource' && config.topic === undefined
    // As the real herder's NonEmptyStringWithoutControlChars on `name`.
    const badName = typeof config.name === 'string' && (config.name === '' || /[\p{Cc}]/u.test(config.name))
    if (badName) errors.push('name')
    return {
      name: config['connector.class'] ?? '',
      error_count: errors.length + (topicMissing ? 1 : 0),
      groups: ['Common'],
      configs: [
        ...(topicMissing
          ? [
              {
                definition: null,
                value: {
                  name: 'topic',
                  value: null,
                  recommended_values: [],
                  errors: ['Missing required configuration "topic" which has no default value.'],
                  visible: true,
                },
              },
            ]
          : []),
        ...errors.map((k) => ({
          definition: null,
          value: {
            name: k,
            value: null,
            recommended_values: [],
            errors: ['Null value can not be supplied as the configuration value.'],
            visible: true,
          },
        })),
      ],
    }
  }
  connectorPluginConfig(pluginName: string, version?: string): ConfigKeyInfo[] {
    if (pluginName !== 'FileStreamSource') throw new NotFoundException(`Unknown plugin ${pluginName}.`)
    if (version && version !== '0.1.0') throw new BadRequestException(`Plugin ${pluginName} has no version ${version}`)
    return [
      {
        name: 'topic',
        type: 'STRING',
        required: true,
        default_value: null,
        importance: 'HIGH',
        documentation: 'The topic to publish data to',
        group: null,
        order_in_group: -1,
        width: 'NONE',
        display_name: 'topic',
        dependents: [],
      },
    ]
  }

  async putConnectorConfig(
    name: string,
    config: Record<string, string | null>,
    allowReplace: boolean,
    initialState: TargetState = 'STARTED',
  ): Promise<{ created: boolean; info: ConnectorInfo }> {
    this.calls.push(`put ${name} ${allowReplace} ${initialState}`)
    const infos = await this.validateConnectorConfig(config)
    if (infos.error_count > 0) {
      const messages = infos.configs.flatMap((c) => c.value?.errors ?? [])
      throw new BadRequestException(
        `Connector configuration is invalid and contains the following ${infos.error_count} error(s):\n${messages.join('\n')}\nYou can also find the above list of errors at the endpoint \`/connector-plugins/{connectorType}/config/validate\``,
      )
    }
    const existing = this.connectorsByName.get(name)
    if (existing && !allowReplace) throw new AlreadyExistsException(`Connector ${name} already exists`)
    this.connectorsByName.set(name, {
      config: config as Record<string, string>,
      state: existing?.state ?? initialState,
      tasks: existing?.tasks ?? [{ 'task.class': 'T' }],
    })
    return { created: !existing, info: this.connectorInfo(name) }
  }
  async patchConnectorConfig(name: string, patch: Record<string, string | null>): Promise<ConnectorInfo> {
    const e = this.#entry(name)
    const config: Record<string, string> = { ...e.config }
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete config[k]
      else config[k] = v
    }
    return (await this.putConnectorConfig(name, config, true)).info
  }
  async deleteConnector(name: string): Promise<void> {
    this.#entry(name)
    this.connectorsByName.delete(name)
  }
  async pauseConnector(name: string): Promise<void> {
    this.#entry(name, `Unknown connector ${name}`).state = 'PAUSED'
  }
  async resumeConnector(name: string): Promise<void> {
    this.#entry(name, `Unknown connector ${name}`).state = 'STARTED'
  }
  async stopConnector(name: string): Promise<void> {
    const e = this.#entry(name)
    e.state = 'STOPPED'
    e.tasks = []
  }
  async restartConnector(name: string): Promise<void> {
    this.#entry(name)
    this.calls.push(`restart ${name}`)
  }
  async restartConnectorAndTasks(request: RestartRequest): Promise<ConnectorStateInfo> {
    this.#entry(request.connector, `Unknown connector: ${request.connector}`)
    this.calls.push(
      `restart ${request.connector} includeTasks=${request.includeTasks} onlyFailed=${request.onlyFailed}`,
    )
    const status = this.connectorStatus(request.connector)
    return {
      ...status,
      connector: { ...status.connector, state: 'RESTARTING' },
      tasks: status.tasks.map((t) => (request.includeTasks ? { ...t, state: 'RESTARTING' } : t)),
    }
  }
  async restartTask(id: ConnectorTaskId): Promise<void> {
    const e = this.#entry(id.connector)
    if (!e.tasks[id.task]) throw new NotFoundException(`Task ${id.connector}-${id.task} not found`)
    this.calls.push(`restart task ${id.connector}-${id.task}`)
  }
  connectorActiveTopics(name: string): ActiveTopicsInfo {
    return { connector: name, topics: this.topics.get(name) ?? [] }
  }
  resetConnectorActiveTopics(name: string): void {
    this.topics.delete(name)
  }
  #stopped(name: string): Entry {
    const e = this.#entry(name)
    if (e.state !== 'STOPPED') {
      throw new BadRequestException(
        `Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/${name}/stop' endpoint`,
      )
    }
    return e
  }
  async connectorOffsets(name: string): Promise<ConnectorOffsets> {
    this.#entry(name)
    return { offsets: this.offsets }
  }
  async alterConnectorOffsets(name: string, offsets: ConnectorOffset[]): Promise<Message> {
    this.#stopped(name)
    this.offsets = offsets
    return { message: 'The offsets for this connector have been altered successfully' }
  }
  async resetConnectorOffsets(name: string): Promise<Message> {
    this.#stopped(name)
    this.offsets = []
    return { message: 'The offsets for this connector have been reset successfully' }
  }
  loggerLevel(logger: string): LoggerLevel | null {
    return this.levels[logger] ?? null
  }
  allLoggerLevels(): Record<string, LoggerLevel> {
    return { ...this.levels }
  }
  setWorkerLoggerLevel(namespace: string, level: string): string[] {
    this.levels[namespace] = { level: level.toUpperCase(), last_modified: 1 }
    return [namespace]
  }
  setClusterLoggerLevel(namespace: string, level: string): void {
    this.calls.push(`cluster level ${namespace} ${level}`)
    this.setWorkerLoggerLevel(namespace, level)
  }
  workerInfo(): WorkerInfo {
    return structuredClone(this.info)
  }
  async groupMembers(): Promise<GroupMemberInfo[]> {
    return structuredClone(this.members)
  }
}

/** A registry-shaped object holding the given plugins. */
export function fakePlugins(descriptors: PluginDescriptor[]): { plugins(kind?: PluginKind): PluginDescriptor[] } {
  return { plugins: (kind) => descriptors.filter((d) => !kind || d.kind.includes(kind)) }
}

export function workerConfig(originals: Record<string, string> = {}): WorkerConfig {
  return {
    originals,
    bootstrapServers: ['localhost:9092'],
    keyConverter: 'org.apache.kafka.connect.storage.StringConverter',
    valueConverter: 'org.apache.kafka.connect.storage.StringConverter',
    headerConverter: 'org.apache.kafka.connect.storage.SimpleHeaderConverter',
    offsetFlushIntervalMs: 60000,
    offsetFlushTimeoutMs: 5000,
    taskShutdownTimeoutMs: 5000,
    clientId: '',
    requestTimeoutMs: 40000,
    offsetStorageFile: null,
    uiEnabled: originals['ui.enabled']?.trim().toLowerCase() !== 'false',
    distributed: null,
    clients: new WorkerClients(originals, ['localhost:9092']),
  }
}
