import { isConnectionError, KafkaAdmin } from '../kafka/clients.ts'
import type { Logger } from '../logger.ts'
import type { Worker } from '../worker/worker.ts'
import {
  connectorPluginConfig,
  showReferences,
  type ValidationContext,
  validateConnectorConfig,
} from './connector-validation.ts'
import type { ConfigInfos, ConfigKeyInfo, LoggerLevel } from './herder.ts'
import { Loggers } from './loggers.ts'

export interface AbstractHerderOptions {
  /** Loggers the worker and REST server use, by namespace, so `/admin/loggers` can change them (root is `log`). */
  loggers?: Readonly<Record<string, Logger>>
  /** Reads the Kafka cluster id at start; the default asks the worker's cluster through the admin client. */
  clusterId?: () => Promise<string>
}

/** How long `start` waits for the cluster id before going on without it. */
const CLUSTER_ID_TIMEOUT_MS = 10_000

/**
 * What both herders share (Apache's `AbstractHerder`): config validation, plugin configs, worker logger levels, the
 * cluster id, readiness, and the one serial queue every change goes through (so a delete cannot race its own start).
 */
export abstract class AbstractHerder {
  protected readonly worker: Worker
  protected readonly loggers: Loggers
  protected readonly log: Logger
  /** KIP-558 topic tracking (`topic.tracking.enable`). */
  protected readonly topicTracking: boolean
  /** True once the herder can serve requests (`/health` answers `starting` before). */
  protected ready = false
  #queue: Promise<unknown> = Promise.resolve()
  #clusterId: string | null = null
  readonly #clusterIdLookup: () => Promise<string>

  constructor(worker: Worker, log: Logger, logName: string, options: AbstractHerderOptions = {}) {
    this.worker = worker
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
}
