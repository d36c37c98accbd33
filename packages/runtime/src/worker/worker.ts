import { AsyncLocalStorage } from 'node:async_hooks'
import {
  ConnectException,
  type Connector,
  type ConnectRecord,
  SinkConnector,
  type SinkRecord,
  type SinkTask,
  SourceConnector,
  type SourceRecord,
  type SourceTask,
} from '@ferry/api'
import { type ResolvedReference, reverseTransform, WorkerConfigTransformer } from '../config/config-providers.ts'
import { type ErrorHandlingConfig, parseErrorHandlingConfig } from '../config/connector-config.ts'
import type { SecretRedactor } from '../config/secrets.ts'
import { exactlyOnceSourceEnabled, type WorkerConfig } from '../config/worker-config.ts'
import {
  DeadLetterQueueReporter,
  type DeadLetterQueueSettings,
  ensureDeadLetterQueueTopic,
} from '../errors/dead-letter-queue-reporter.ts'
import type { ErrorReporter } from '../errors/error-reporter.ts'
import { LogReporter } from '../errors/log-reporter.ts'
import { RetryWithToleranceOperator } from '../errors/retry-with-tolerance-operator.ts'
import { type IncomingRecord, KafkaAdmin, KafkaConsumer, KafkaProducer } from '../kafka/clients.ts'
import type { Logger } from '../logger.ts'
import { type LoggingContext, runInLoggingContext } from '../logging-context.ts'
import { ConnectMetrics, type ConnectorMetricStatus } from '../metrics/connect-metrics.ts'
import {
  type AllTaskMetrics,
  NOOP_TASK_METRICS,
  type RecordingTaskMetrics,
  type TaskMetricStatus,
} from '../metrics/task-metrics.ts'
import type { PluginDescriptor, PluginKind, PluginRegistry } from '../plugins/registry.ts'
import { type OffsetBackingStore, offsetReader } from '../storage/offset-store.ts'
import { ConnectorOffsetStores, type ConnectorStoreFactory, type OffsetStoreLease } from './connector-offset-stores.ts'
import { type Converters, createConverters, createTransformationChain, resolvePlugin } from './plugin-instances.ts'
import { parseTopicCreationGroups, TopicCreation } from './topic-creation.ts'
import type { TransformationChain } from './transformation-chain.ts'
import { WorkerSinkTask } from './worker-sink-task.ts'
import { type ExactlyOnceSettings, type TransactionBoundary, WorkerSourceTask } from './worker-source-task.ts'
import {
  type ConnectorTaskId,
  type TargetState,
  type TaskErrorHandling,
  type TaskHold,
  type TaskStatusListener,
  taskName,
  type WorkerTask,
} from './worker-task.ts'

/**
 * Runs a function outside any async context set since this module loaded: the dead letter queue clients are made
 * this way, so the herder's topic tracking (KIP-558) does not count the DLQ topic as a topic the connector uses.
 */
const outsideTopicTracking = AsyncLocalStorage.snapshot()

/** Told about a connector's life; the herder turns these into the status it reports. */
export interface ConnectorStatusListener {
  onStartup(connector: string): void
  onPause(connector: string): void
  onStop(connector: string): void
  onFailure(connector: string, error: Error): void
  onShutdown(connector: string): void
}

interface RunningConnector {
  name: string
  connector: Connector
  /** The config the connector started with, references resolved. */
  config: Record<string, string>
  /** The config as stored, with its `${provider:path:key}` references. */
  rawConfig: Record<string, string>
  /** What the references resolved to, for writing task configs back with references. */
  resolved: ResolvedReference[]
  state: TargetState
  /** A source connector's offset store (its reader's), released when the connector stops. */
  offsets: OffsetStoreLease | null
}

/** What the herder checks around an exactly-once source task's `initTransactions()` (see ExactlyOnceSettings). */
export type ExactlyOnceChecks = Pick<ExactlyOnceSettings, 'preProducerCheck' | 'postProducerCheck'>

/** An exactly-once source task's transactional id (Apache's `Worker.taskTransactionalId`). */
export function taskTransactionalId(groupId: string, connector: string, task: number): string {
  return `${groupId}-${connector}-${task}`
}

/**
 * The `group.instance.id` of a sink task's consumer, whose client id is `clientId`: the one the user set (`set`), else
 * on a distributed worker with `sink.task.static.membership` (Ferry's own, default true) `<group.id>-<clientId>`, else
 * undefined (a dynamic member, as Apache's).
 */
export function sinkTaskInstanceId(
  config: Pick<WorkerConfig, 'distributed'>,
  clientId: string,
  set: string | undefined,
): string | undefined {
  if (set !== undefined || !config.distributed?.sinkTaskStaticMembership) return set
  return `${config.distributed.groupId}-${clientId}`
}

/** What a worker takes beyond its config. */
export interface WorkerOptions {
  /** Resolves `${provider:path:key}` references; by default from the worker config's `config.providers` keys. */
  configTransformer?: WorkerConfigTransformer
  /** Where the worker's, connectors' and tasks' metrics are kept; by default its own, without process metrics. */
  metrics?: ConnectMetrics
  /** Makes a connector's own offsets store (`offsets.storage.topic`); by default one on the topic (tests: a fake). */
  connectorOffsetStore?: ConnectorStoreFactory
}

/**
 * Runs connectors and tasks in this process (Apache's Worker). It knows nothing of how configs are stored or
 * shared: the herder decides what runs here and calls these methods.
 */
export class Worker {
  readonly config: WorkerConfig
  readonly plugins: PluginRegistry
  readonly offsets: OffsetBackingStore
  /** The store each source connector's offsets are in: the worker's, or with its own topic (distributed mode). */
  readonly offsetStores: ConnectorOffsetStores
  /** Resolves config provider references in connector and task configs when they start (and for validation). */
  readonly configTransformer: WorkerConfigTransformer
  /** Apache's metric groups for this worker, its connectors and tasks (served on `/metrics`). */
  readonly metrics: ConnectMetrics
  readonly #log: Logger
  readonly #connectors = new Map<string, RunningConnector>()
  readonly #tasks = new Map<string, WorkerTask>()
  #hold: TaskHold = () => null
  #pluginLoggers: (name: string) => Logger

  constructor(
    config: WorkerConfig,
    plugins: PluginRegistry,
    offsets: OffsetBackingStore,
    log: Logger,
    options: WorkerOptions = {},
  ) {
    this.config = config
    this.plugins = plugins
    this.offsets = offsets
    this.offsetStores = new ConnectorOffsetStores(offsets, config, log, options.connectorOffsetStore)
    this.#log = log
    this.#pluginLoggers = () => log
    for (const warning of config.clients.drainWarnings()) log.warn(warning)
    this.configTransformer =
      options.configTransformer ?? WorkerConfigTransformer.fromWorkerConfig(config.originals, { logger: log })
    this.metrics = options.metrics ?? ConnectMetrics.forWorker(config, { processMetrics: false })
  }

  /** Where plugins' loggers (`getLogger` of @ferry/api) write, by name: the herder's, so `/admin/loggers` sets them. */
  useLoggers(loggers: (name: string) => Logger): void {
    this.#pluginLoggers = loggers
  }

  /** Runs `fn` as work for a connector, or one of its tasks: the lines it logs say so (Apache's LoggingContext). */
  #inContext<T>(connector: string, task: number | undefined, fn: () => T): T {
    const context: LoggingContext = {
      connector,
      ...(task === undefined ? {} : { task }),
      loggers: this.#pluginLoggers,
    }
    return runInLoggingContext(context, fn)
  }

  /** Holds every task of this worker, running or to come, while `hold` gives a reason (see TaskHold). */
  holdTasks(hold: TaskHold): void {
    this.#hold = hold
  }

  /** Creates the connector class a config names (the version `connector.plugin.version` selects), without starting it. */
  instantiateConnector(className: string, version?: string | null): Connector {
    return this.#plugin(className, ['source', 'sink'], 'Connector', 'connector.class', version).create() as Connector
  }

  /** The plugin a class key names, in the version (KIP-891 range) its `*.plugin.version` key asks for, else the newest. */
  #plugin(
    className: string,
    kinds: readonly PluginKind[],
    what: string,
    classKey: string,
    version: string | null | undefined,
  ): PluginDescriptor {
    return resolvePlugin(this.plugins, className, kinds, what, classKey, version)
  }

  /** The listener, telling connector-metrics `status` first. */
  #metricsConnectorListener(listener: ConnectorStatusListener): ConnectorStatusListener {
    const status = (name: string, s: ConnectorMetricStatus) => this.metrics.connectorStatus(name, s)
    return {
      onStartup: (name) => {
        status(name, 'running')
        listener.onStartup(name)
      },
      onPause: (name) => {
        status(name, 'paused')
        listener.onPause(name)
      },
      onStop: (name) => {
        status(name, 'stopped')
        listener.onStop(name)
      },
      onFailure: (name, error) => {
        status(name, 'failed')
        listener.onFailure(name, error)
      },
      onShutdown: (name) => {
        status(name, 'unassigned')
        listener.onShutdown(name)
      },
    }
  }

  /** Starts a connector; failures are reported to the listener, never thrown. */
  startConnector(
    name: string,
    config: Record<string, string>,
    state: TargetState,
    listener: ConnectorStatusListener,
    requestTaskReconfiguration: () => void,
  ): Promise<boolean> {
    return this.#inContext(name, undefined, () =>
      this.#startConnector(name, config, state, listener, requestTaskReconfiguration),
    )
  }

  async #startConnector(
    name: string,
    config: Record<string, string>,
    state: TargetState,
    listener: ConnectorStatusListener,
    requestTaskReconfiguration: () => void,
  ): Promise<boolean> {
    if (this.#connectors.has(name)) throw new ConnectException(`Connector ${name} already running`)
    let connector: Connector
    const redactor = this.configTransformer.redactor
    listener = this.#metricsConnectorListener(listener)
    try {
      // Config provider references are resolved for the connector only; the herder keeps and shows them unresolved.
      const resolved = state === 'STOPPED' ? { config, resolved: [] } : await this.configTransformer.resolve(config)
      const instance = this.instantiateConnector(
        resolved.config['connector.class'] ?? '',
        resolved.config['connector.plugin.version'],
      )
      connector = instance
      this.metrics.addConnector(name, {
        type: instance instanceof SinkConnector ? 'sink' : instance instanceof SourceConnector ? 'source' : 'unknown',
        className: this.#plugin(
          resolved.config['connector.class'] ?? '',
          ['source', 'sink'],
          'Connector',
          'connector.class',
          resolved.config['connector.plugin.version'],
        ).className,
        version: String(instance.version()),
      })
      this.configTransformer.hidePasswords(resolved.config, () => instance.config())
      // A source connector's topic creation groups must parse, as Apache's SourceConnectorConfig (KIP-158).
      if (instance instanceof SourceConnector && state !== 'STOPPED')
        parseTopicCreationGroups(resolved.config, this.config.topicCreationEnable !== false)
      const offsets =
        instance instanceof SourceConnector && state !== 'STOPPED'
          ? await this.offsetStores.acquire(resolved.config)
          : null
      const offsetStore = offsets?.store ?? this.offsets
      connector.initialize({
        requestTaskReconfiguration,
        raiseError: (error) => {
          redactor.redactError(error)
          this.#log.error({ connector: name, err: error }, `Connector ${name} raised an error`)
          listener.onFailure(name, error)
        },
        offsetStorageReader: () => offsetReader(offsetStore, name),
      } as Parameters<Connector['initialize']>[0])
      this.#connectors.set(name, { name, connector, ...resolved, rawConfig: config, state, offsets })
      if (state !== 'STOPPED') await connector.start(resolved.config)
    } catch (e) {
      const error = redactor.redactError(e instanceof Error ? e : new Error(String(e)))
      this.#log.error({ connector: name, err: error }, `Failed to start connector ${name}: ${error.message}`)
      this.metrics.connectorStartup(false)
      listener.onFailure(name, error)
      return false
    }
    this.metrics.connectorStartup(true)
    if (state === 'PAUSED') listener.onPause(name)
    else if (state === 'STOPPED') listener.onStop(name)
    else listener.onStartup(name)
    this.#log.info({ connector: name }, `Connector ${name} started`)
    return true
  }

  isSinkConnector(name: string): boolean {
    return this.#connectors.get(name)?.connector instanceof SinkConnector
  }

  /** Task configs from the running connector; adds `task.class` as Apache does, and copies sink topics. */
  connectorTaskConfigs(name: string, maxTasks: number): Promise<Record<string, string>[]> {
    return this.#inContext(name, undefined, () => this.#connectorTaskConfigs(name, maxTasks))
  }

  async #connectorTaskConfigs(name: string, maxTasks: number): Promise<Record<string, string>[]> {
    const running = this.#connectors.get(name)
    if (!running) throw new ConnectException(`Connector ${name} is not running`)
    let configs: Record<string, string>[]
    try {
      configs = await running.connector.taskConfigs(maxTasks)
    } catch (e) {
      throw this.configTransformer.redactor.redactError(e)
    }
    if (configs.length > maxTasks) {
      throw new ConnectException(
        `The connector ${name} has generated ${configs.length} tasks, which is greater than ${maxTasks}, the maximum number of tasks it is configured to create.`,
      )
    }
    const plugin = this.#plugin(
      running.config['connector.class'] ?? '',
      ['source', 'sink'],
      'Connector',
      'connector.class',
      running.config['connector.plugin.version'],
    )
    const taskClass = plugin.taskClassName ?? javaTaskClassName(plugin.className, running.connector.taskClass().name)
    const out = configs.map((c) => {
      const out: Record<string, string> = { ...c, 'task.class': taskClass }
      if (running.connector instanceof SinkConnector) {
        if (running.config.topics !== undefined) out.topics = running.config.topics
        if (running.config['topics.regex'] !== undefined) out['topics.regex'] = running.config['topics.regex']
      }
      return out
    })
    // Stored with their references (Apache's reverseTransform): no resolved value is written; tasks resolve again.
    return reverseTransform(running.rawConfig, running.resolved, out)
  }

  async stopConnector(name: string): Promise<void> {
    const running = this.#connectors.get(name)
    if (!running) return
    this.#connectors.delete(name)
    this.metrics.removeConnector(name)
    await this.#inContext(name, undefined, async () => {
      try {
        if (running.state !== 'STOPPED') await running.connector.stop()
      } catch (e) {
        this.#log.warn({ err: e }, `Error while stopping connector ${name}`)
      }
      await running.offsets?.release()
    })
  }

  /** Starts one task of a connector (running here or not). Failures are reported to the listener. */
  startTask(
    id: ConnectorTaskId,
    connectorConfig: Record<string, string>,
    taskConfig: Record<string, string>,
    state: TargetState,
    listener: TaskStatusListener,
    checks: ExactlyOnceChecks = {},
  ): Promise<void> {
    return this.#inContext(id.connector, id.task, () =>
      this.#startTask(id, connectorConfig, taskConfig, state, listener, checks),
    )
  }

  async #startTask(
    id: ConnectorTaskId,
    connectorConfig: Record<string, string>,
    taskConfig: Record<string, string>,
    state: TargetState,
    listener: TaskStatusListener,
    checks: ExactlyOnceChecks,
  ): Promise<void> {
    const name = taskName(id)
    if (this.#tasks.has(name)) throw new ConnectException(`Task ${name} already running`)
    this.#log.info(`Creating task ${name}`)
    listener = redactingTaskListener(listener, this.configTransformer.redactor)
    let metrics: RecordingTaskMetrics | null = null
    // A source task's offset store lease until the task owns it: released if its setup fails after acquiring it.
    let offsetsLease: OffsetStoreLease | null = null
    try {
      // Config provider references are resolved for the task only: its stored configs keep them.
      connectorConfig = (await this.configTransformer.resolve(connectorConfig)).config
      taskConfig = (await this.configTransformer.resolve(taskConfig)).config
      // In distributed mode the Connector instance may run on another worker: its class still names the task class.
      const running = {
        connector:
          this.#connectors.get(id.connector)?.connector ??
          this.instantiateConnector(
            connectorConfig['connector.class'] ?? '',
            connectorConfig['connector.plugin.version'],
          ),
      }
      this.configTransformer.hidePasswords({ ...connectorConfig, ...taskConfig }, () => running.connector.config())
      const converters = this.#converters(connectorConfig)
      const errors = parseErrorHandlingConfig(connectorConfig)
      const clients = this.config.clients
      for (const warning of clients.unknownOverrides(connectorConfig)) this.#log.warn(warning)
      clients.drainWarnings()
      let task: WorkerTask
      metrics = this.metrics.addTask(
        id.connector,
        id.task,
        running.connector instanceof SinkConnector ? 'sink' : 'source',
      )
      listener = metricsTaskListener(listener, metrics)
      // What the task and its error handling record into (nothing when the worker serves no metrics).
      const recorded: AllTaskMetrics = this.metrics.recording ? metrics : NOOP_TASK_METRICS
      if (running.connector instanceof SourceConnector) {
        const taskClass = running.connector.taskClass()
        const instance = new taskClass() as SourceTask
        const offsets = await this.offsetStores.acquire(connectorConfig)
        offsetsLease = offsets
        // Exactly-once: a transactional, idempotent producer whatever the worker or connector set (Apache's
        // Worker.exactlyOnceSourceTaskProducerConfigs, its warnings included).
        const transactional = exactlyOnceSourceEnabled(this.config)
          ? {
              id: taskTransactionalId(this.config.distributed!.groupId, id.connector, id.task),
              reason: 'for connectors when exactly-once source support is enabled',
            }
          : undefined
        const producerSettings = clients.producer(
          connectorConfig,
          `connector-producer-${id.connector}-${id.task}`,
          transactional,
        )
        const exactlyOnce = transactional ? this.#exactlyOnceSettings(connectorConfig, offsets.topic, checks) : null
        metrics.exactlyOnce = exactlyOnce !== null
        const producer = new KafkaProducer(producerSettings)
        const creationGroups = parseTopicCreationGroups(connectorConfig, this.config.topicCreationEnable !== false)
        const topicCreation = creationGroups
          ? new TopicCreation(
              creationGroups,
              new KafkaAdmin(clients.admin(connectorConfig, `connector-adminclient-${name}`)),
              this.#log,
            )
          : null
        task = new WorkerSourceTask(
          id,
          instance,
          taskConfig,
          converters,
          this.#chain<SourceRecord>(connectorConfig),
          producer,
          offsets.store,
          {
            offsetFlushIntervalMs: this.config.offsetFlushIntervalMs,
            offsetFlushTimeoutMs: this.config.offsetFlushTimeoutMs,
            topicCreation,
            releaseOffsets: offsets.release,
            exactlyOnce,
          },
          state,
          listener,
          this.#log,
          this.#sourceErrorHandling(id, errors, converters, connectorConfig, recorded),
          recorded,
        )
        offsetsLease = null // the task releases it when it stops
      } else {
        const taskClass = running.connector.taskClass()
        const instance = new taskClass() as SinkTask
        const topics = this.#sinkTopics(connectorConfig)
        // Worker-wide `consumer.*` keys, overridden per connector by `consumer.override.*` (Apache's precedence).
        const clientId = `connector-consumer-${id.connector}-${id.task}`
        const consumerSettings = clients.consumer(connectorConfig, clientId, `connect-${id.connector}`)
        // Beyond Apache, in distributed mode: a static member named after the cluster and the task (KIP-345), so the
        // worker that takes the task over from a dead one gets its partitions at once instead of after the dead
        // consumer's session.timeout.ms, and the dead one, if it wakes up, is fenced. A cluster runs each task once,
        // and the cluster's group.id keeps two clusters that have a connector of the same name (and so share its
        // consumer group) from fencing each other; standalone workers have no such name, so they stay dynamic.
        // A group.instance.id the user set is taken as it is; sink.task.static.membership=false keeps them dynamic.
        const instanceId = sinkTaskInstanceId(this.config, clientId, consumerSettings.groupInstanceId)
        if (instanceId !== undefined) consumerSettings.groupInstanceId = instanceId
        const consumer = new KafkaConsumer(consumerSettings, this.#log)
        task = new WorkerSinkTask(
          id,
          instance,
          taskConfig,
          converters,
          this.#chain<SinkRecord>(connectorConfig),
          consumer,
          {
            topics,
            offsetFlushIntervalMs: this.config.offsetFlushIntervalMs,
            maxPollRecords: consumerSettings.maxPollRecords ?? 500,
            // Apache's SinkConnectorConfig.enableErrantRecordReporter.
            errantRecordReporter: errors.deadLetterQueue.topic !== '' || errors.logEnable,
          },
          state,
          listener,
          this.#log,
          this.#sinkErrorHandling(id, errors, converters, connectorConfig, recorded),
          recorded,
        )
      }
      for (const warning of clients.drainWarnings()) this.#log.warn(warning)
      this.#tasks.set(name, task)
      task.run(() => this.#hold())
      this.metrics.taskStartup(true)
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e))
      this.metrics.taskStartup(false)
      if (metrics) this.metrics.removeTask(id.connector, id.task)
      await offsetsLease?.release()
      this.#log.error({ err: error }, `Failed to start task ${name}: ${error.message}`)
      listener.onFailure(id, error)
    }
  }

  /**
   * An exactly-once source task's settings beyond its producer's (which `clients.producer` makes transactional): its
   * transactions end per `transaction.boundary` (ExactlyOnceWorkerSourceTask).
   */
  #exactlyOnceSettings(
    connectorConfig: Record<string, string>,
    offsetsTopic: string | null,
    checks: ExactlyOnceChecks,
  ): ExactlyOnceSettings {
    const boundary = (connectorConfig['transaction.boundary'] ?? 'poll').trim().toLowerCase() as TransactionBoundary
    const interval = connectorConfig['transaction.boundary.interval.ms']?.trim()
    return {
      boundary,
      intervalMs: interval ? Number(interval) : this.config.offsetFlushIntervalMs,
      offsetsTopic: offsetsTopic ?? this.config.distributed!.offsetTopic,
      ...checks,
    }
  }

  /**
   * A source task's error handling: log reporter, and the DLQ when `errors.deadletterqueue.topic.name` is set. Its
   * DLQ writes are Ferry's own metrics (Apache has no source DLQ).
   */
  #sourceErrorHandling(
    id: ConnectorTaskId,
    errors: ErrorHandlingConfig,
    converters: Converters,
    connectorConfig: Record<string, string>,
    metrics: AllTaskMetrics,
  ): TaskErrorHandling<SourceRecord> {
    const log = { enabled: errors.logEnable, includeMessages: errors.logIncludeMessages }
    return {
      operator: new RetryWithToleranceOperator(errors, undefined, metrics),
      converterClasses: converters.classes,
      reporters: async () => {
        const reporters: ErrorReporter<SourceRecord>[] = [LogReporter.source(id, log, this.#log, metrics)]
        const dlq = errors.deadLetterQueue
        if (dlq.topic !== '') {
          const producer = await this.#deadLetterQueueProducer(id, dlq, connectorConfig)
          reporters.push(
            DeadLetterQueueReporter.source(producer, dlq, id, converters, this.#log, metrics.sourceDeadLetterQueue),
          )
        }
        return reporters
      },
    }
  }

  /** A sink task's error handling: log reporter, and the DLQ when `errors.deadletterqueue.topic.name` is set. */
  #sinkErrorHandling(
    id: ConnectorTaskId,
    errors: ErrorHandlingConfig,
    converters: Converters,
    connectorConfig: Record<string, string>,
    metrics: AllTaskMetrics,
  ): TaskErrorHandling<IncomingRecord> {
    const log = { enabled: errors.logEnable, includeMessages: errors.logIncludeMessages }
    return {
      operator: new RetryWithToleranceOperator(errors, undefined, metrics),
      converterClasses: converters.classes,
      reporters: async () => {
        const reporters: ErrorReporter<IncomingRecord>[] = [LogReporter.sink(id, log, this.#log, metrics)]
        const dlq = errors.deadLetterQueue
        if (dlq.topic !== '') {
          const producer = await this.#deadLetterQueueProducer(id, dlq, connectorConfig)
          reporters.push(DeadLetterQueueReporter.sink(producer, dlq, id, this.#log, metrics))
        }
        return reporters
      },
    }
  }

  /** Creates the DLQ topic when it is missing, then a producer for it (Apache's client ids). */
  async #deadLetterQueueProducer(
    id: ConnectorTaskId,
    dlq: DeadLetterQueueSettings,
    connectorConfig: Record<string, string>,
  ): Promise<KafkaProducer> {
    const clients = this.config.clients
    const admin = outsideTopicTracking(
      () => new KafkaAdmin(clients.admin(connectorConfig, 'connector-dlq-adminclient-')),
    )
    try {
      await ensureDeadLetterQueueTopic(admin, dlq.topic, dlq.replicationFactor, this.#log)
    } finally {
      await admin.close().catch(() => {})
    }
    return outsideTopicTracking(
      () => new KafkaProducer(clients.producer(connectorConfig, `connector-dlq-producer-${taskName(id)}`)),
    )
  }

  /**
   * Topics for a sink: `topics`, or `topics.regex` as a pattern matched against whole topic names, which the consumer
   * looks at again every `metadata.max.age.ms` (topics created or deleted later are picked up or dropped).
   */
  #sinkTopics(config: Record<string, string>): string[] | RegExp {
    const listed = (config.topics ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean)
    if (listed.length > 0) return listed
    return new RegExp(`^(?:${config['topics.regex']})$`)
  }

  #converters(config: Record<string, string>): Converters {
    return createConverters(this.plugins, this.config.originals, config, this.config.headerConverter)
  }

  /** Builds the `transforms` chain: `transforms.<alias>.type` plus its keys, and an optional predicate. */
  #chain<R extends ConnectRecord>(config: Record<string, string>): TransformationChain<R> {
    return createTransformationChain<R>(this.plugins, config)
  }

  setTargetState(connector: string, state: TargetState): void {
    const running = this.#connectors.get(connector)
    if (running) {
      running.state = state
      this.metrics.connectorStatus(
        connector,
        state === 'PAUSED' ? 'paused' : state === 'STOPPED' ? 'stopped' : 'running',
      )
    }
    for (const task of this.#tasks.values()) if (task.id.connector === connector) task.transitionTo(state)
  }

  taskIds(connector?: string): ConnectorTaskId[] {
    return [...this.#tasks.values()].filter((t) => !connector || t.id.connector === connector).map((t) => t.id)
  }

  task(id: ConnectorTaskId): WorkerTask | undefined {
    return this.#tasks.get(taskName(id))
  }

  /** Stops the tasks and waits for them, each bounded by `task.shutdown.graceful.timeout.ms`. */
  async stopTasks(ids: ConnectorTaskId[]): Promise<void> {
    await Promise.all(
      ids.map(async (id) => {
        const task = this.#tasks.get(taskName(id))
        if (!task) return
        await this.#inContext(id.connector, id.task, () => task.stop(this.config.taskShutdownTimeoutMs))
        this.#tasks.delete(taskName(id))
        this.metrics.removeTask(id.connector, id.task)
      }),
    )
  }

  connectorNames(): string[] {
    return [...this.#connectors.keys()]
  }

  async stop(): Promise<void> {
    await this.stopTasks(this.taskIds())
    await Promise.all(this.connectorNames().map((n) => this.stopConnector(n)))
  }
}

/** The listener, telling the task's metrics (connector-task-metrics `status`, running and pause ratios) first. */
function metricsTaskListener(listener: TaskStatusListener, metrics: RecordingTaskMetrics): TaskStatusListener {
  const status = (s: TaskMetricStatus) => metrics.setStatus(s)
  return {
    onStartup: (id) => {
      status('running')
      listener.onStartup(id)
    },
    onPause: (id) => {
      status('paused')
      listener.onPause(id)
    },
    onResume: (id) => {
      status('running')
      listener.onResume(id)
    },
    onFailure: (id, error) => {
      status('failed')
      listener.onFailure(id, error)
    },
    onShutdown: (id) => {
      status('unassigned')
      listener.onShutdown(id)
    },
  }
}

/** The listener, with failures' messages and traces redacted (no resolved secret reaches a status). */
function redactingTaskListener(listener: TaskStatusListener, redactor: SecretRedactor): TaskStatusListener {
  return {
    onStartup: (id) => listener.onStartup(id),
    onPause: (id) => listener.onPause(id),
    onResume: (id) => listener.onResume(id),
    onFailure: (id, error) => listener.onFailure(id, redactor.redactError(error)),
    onShutdown: (id) => listener.onShutdown(id),
  }
}

/**
 * The `task.class` Ferry writes when the plugin does not name one: the task class in the connector class's Java
 * package (`org.apache.kafka.connect.file.FileStreamSourceTask` for `...file.FileStreamSourceConnector`). Apache
 * instantiates the class named there; Ferry takes the task class from the connector and ignores the field.
 */
export function javaTaskClassName(connectorClassName: string, taskClassName: string): string {
  const dot = connectorClassName.lastIndexOf('.')
  return dot < 0 ? taskClassName : `${connectorClassName.slice(0, dot + 1)}${taskClassName}`
}
