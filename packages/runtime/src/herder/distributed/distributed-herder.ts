/**
 * Distributed mode's herder (Apache's `DistributedHerder`): workers share connectors and tasks through a Connect
 * group, and keep configs, offsets and statuses in the three internal topics.
 *
 * Every change goes through one serial queue, Apache's tick thread: rebalance results, config-topic updates and
 * REST operations. Reads (connectors, configs, task configs, statuses, offsets) answer from the local snapshot at
 * once, also during a rebalance. Writes that only the leader may make throw `NotLeaderException` on a follower and
 * the REST layer forwards them; writes that arrive during a rebalance wait for it to end (bounded) before they fail
 * with `RebalanceNeededException` (409).
 */
import { AlreadyExistsException, ConnectException, NotFoundException } from '@ferry/api'
import {
  exactlyOnceSourceEnabled,
  transactionalLeaderEnabled,
  transactionalLeaderId,
} from '../../config/worker-config.ts'
import { KafkaAdmin } from '../../kafka/admin.ts'
import { checkGroupAccess, clientIdBase } from '../../kafka/based-log.ts'
import type { Logger } from '../../logger.ts'
import { RestClient } from '../../rest/rest-client.ts'
import { type ClusterConfigState, present, type RawConfig } from '../../storage/config-store.ts'
import { KafkaConfigBackingStore } from '../../storage/kafka-config-store.ts'
import type { KafkaOffsetBackingStore } from '../../storage/kafka-offset-store.ts'
import { KafkaStatusBackingStore } from '../../storage/kafka-status-store.ts'
import type { ExactlyOnceChecks, Worker } from '../../worker/worker.ts'
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
  type InternalRequestSignature,
  type Message,
  NotAssignedException,
  NotLeaderException,
  RebalanceNeededException,
  type RestartRequest,
  type WorkerInfo,
} from '../herder.ts'
import { taskThroughput } from '../task-throughput.ts'
import { type Assignment, NO_ERROR } from './connect-protocol.ts'
import { generateSessionKey, signatureHeaders, verifySignature } from './request-signature.ts'
import { WorkerCoordinator } from './worker-coordinator.ts'
import { wrapped, ZombieFencings } from './zombie-fencing.ts'

export interface DistributedHerderOptions extends AbstractHerderOptions {
  /** This worker's advertised REST URL, `http://host:port/`, sent to the group so others can forward to it. */
  restUrl: string
  /** How long a write waits for a rebalance in progress before it answers 409 (default 15 s). */
  rebalanceWaitMs?: number
}

/** Apache's backoff for failed task reconfigurations: 250 ms doubling to 60 s. */
const RECONFIGURE_BACKOFF_INITIAL_MS = 250
const RECONFIGURE_BACKOFF_MAX_MS = 60_000

const taskKey = (id: ConnectorTaskId) => `${id.connector}-${id.task}`

/** See the module comment. */
export class DistributedHerder extends AbstractHerder implements Herder {
  readonly #restUrl: string
  /** Sends task configs to the leader (https with the worker's `listeners.https.` TLS). */
  readonly #restClient: RestClient
  protected readonly configStore: KafkaConfigBackingStore
  protected readonly statusStore: KafkaStatusBackingStore
  readonly #coordinator: WorkerCoordinator
  readonly #restarts: AutoRestarts
  readonly #settings: NonNullable<Worker['config']['distributed']>
  readonly #rebalanceWaitMs: number
  #snapshot: ClusterConfigState
  /** The last assignment this worker started its work from. */
  #assignment: Assignment | null = null
  #stopping = false
  #tickScheduled = false
  #delayTimer: NodeJS.Timeout | null = null
  #keyTimer: NodeJS.Timeout | null = null
  /** Changes read from the config topic, handled at the next tick (Apache's `connectorConfigUpdates` etc.). */
  readonly #configUpdates = new Set<string>()
  readonly #targetStateChanges = new Set<string>()
  readonly #taskConfigUpdates = new Set<string>()
  readonly #restartRequests = new Map<string, RestartRequest>()
  #needsRejoin = false
  /** Pending retries of failed task reconfigurations, by connector, with their next backoff. */
  readonly #reconfigureRetries = new Map<string, { timer: NodeJS.Timeout; backoffMs: number }>()
  /** The leader's zombie fencing rounds (KIP-618). */
  readonly #fencings: ZombieFencings

  constructor(worker: Worker, workerId: string, log: Logger, options: DistributedHerderOptions) {
    super(worker, workerId, log, 'org.apache.kafka.connect.runtime.distributed.DistributedHerder', options)
    const settings = worker.config.distributed
    if (!settings) throw new Error('A distributed herder needs a worker config parsed in distributed mode')
    this.#settings = settings
    this.#restUrl = options.restUrl
    this.#restClient = new RestClient(worker.config.originals)
    this.#rebalanceWaitMs = options.rebalanceWaitMs ?? 15_000
    const base = clientIdBase(settings.groupId, worker.config.clientId)
    const connection = {
      ...worker.config.clients.internal(''),
      logger: this.loggers.logger('org.apache.kafka.connect.storage'),
    }
    this.configStore = new KafkaConfigBackingStore({
      ...connection,
      clientId: `${base}configs`,
      topic: settings.configTopic,
      replicationFactor: settings.configReplicationFactor,
      // KIP-618: the leader writes through a transactional producer from `preparing` on; `enabled` reads committed.
      transactionalId: transactionalLeaderEnabled(worker.config) ? transactionalLeaderId(settings.groupId) : null,
      readCommitted: exactlyOnceSourceEnabled(worker.config),
    })
    this.statusStore = new KafkaStatusBackingStore({
      ...connection,
      clientId: `${base}statuses`,
      topic: settings.statusTopic,
      partitions: settings.statusPartitions,
      replicationFactor: settings.statusReplicationFactor,
    })
    this.#snapshot = this.configStore.snapshot()
    this.#fencings = new ZombieFencings({
      log: this.log,
      groupId: settings.groupId,
      syncTimeoutMs: settings.workerSyncTimeoutMs,
      store: this.configStore,
      serial: (fn) => this.serial(fn),
      isLeader: () => this.#coordinator.isLeader,
      leaderUrl: () => this.#coordinator.leaderUrl,
      snapshot: () => this.#snapshot,
      refreshed: (snapshot) => {
        this.#snapshot = snapshot
      },
      isSource: (config) => this.connectorType(config) === 'source',
      fenceProducers: async (config, connector, ids) => {
        const admin = new KafkaAdmin(worker.config.clients.admin(config, `connector-adminclient-${connector}`))
        try {
          await admin.fenceProducers(ids)
        } finally {
          await admin.close().catch(() => {})
        }
      },
    })
    this.configStore.setUpdateListener({
      onConnectorConfigRemove: (c) => this.#onConfigUpdate(c),
      onConnectorConfigUpdate: (c) => this.#onConfigUpdate(c),
      onTaskConfigUpdate: (tasks) => {
        // Always a rebalance, as Apache: an empty list (a connector stopped, or reduced to no tasks) has tasks to revoke.
        this.#needsRejoin = true
        for (const t of tasks) this.#taskConfigUpdates.add(t.connector)
        // A fencing round under way for an older generation of tasks cannot complete (Apache's 409).
        for (const connector of new Set(tasks.map((t) => t.connector))) this.#fencings.taskConfigsChanged(connector)
        this.#scheduleTick()
      },
      onConnectorTargetStateChange: (c) => {
        this.#targetStateChanges.add(c)
        this.#scheduleTick()
      },
      onSessionKeyUpdate: () => this.#scheduleTick(),
      onRestartRequest: (request) => {
        this.#restartRequests.set(request.connector, request)
        this.#scheduleTick()
      },
      onLoggingLevelUpdate: (namespace, level) => {
        this.log.info(`Setting level of namespace ${namespace} and children to ${level}`)
        this.loggers.setLevel(namespace, level)
      },
    })
    this.#coordinator = new WorkerCoordinator({
      ...connection,
      clientId: `${base}coordinator`,
      logger: this.loggers.logger('org.apache.kafka.connect.runtime.distributed.WorkerCoordinator'),
      groupId: settings.groupId,
      restUrl: options.restUrl,
      connectProtocol: settings.connectProtocol,
      sessionTimeoutMs: settings.sessionTimeoutMs,
      heartbeatIntervalMs: settings.heartbeatIntervalMs,
      rebalanceTimeoutMs: settings.rebalanceTimeoutMs,
      scheduledRebalanceMaxDelayMs: settings.scheduledRebalanceMaxDelayMs,
      probeIntervalMs: settings.workerProbeIntervalMs,
      configSnapshot: () => this.configStore.snapshot(),
      // Apache's poll timeout: a herder stuck in one operation (a connector's start, say) leaves the group.
      busySince: () => this.busySince,
      listener: {
        onRevoked: (_leader, connectors, tasks) => this.serial(() => this.#stopWork(connectors, tasks)),
        onAssigned: (assignment, generation) => this.serial(() => this.#onAssigned(assignment, generation)),
        onRebalanceStarted: () => worker.metrics.rebalance.started(),
      },
      now: options.now,
    })
    // Beyond Apache: a worker that may have lost its work (frozen past its session, dropped from the group) holds its
    // tasks until the group has said what is still its own, instead of producing and delivering as a zombie.
    worker.holdTasks(() => this.#coordinator.membershipInDoubt())
    this.#restarts = new AutoRestarts({
      log: this.log,
      connectorConfig: (name) => (this.#snapshot.contains(name) ? present(this.#snapshot.connectorConfig(name)) : null),
      workerConfig: worker.config.originals,
      run: (fn) => this.serial(fn),
      active: () => this.ready && !this.#stopping,
    })
    worker.metrics.autoRestarts(() => this.#restarts.counts())
    // connect-worker-rebalance-metrics exist on distributed workers only, as in Apache.
    worker.metrics.enableRebalanceMetrics()
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Life cycle

  /**
   * Starts the stores (creating missing internal topics, reading each to its end) and joins the group in the
   * background. The herder is ready (`/health` 200) once its first assignment has been handled.
   */
  async start(): Promise<void> {
    // The principal's rights on the group first, then on each internal topic as its store starts: a missing ACL stops
    // the worker with one line naming it, before anything is written.
    await checkGroupAccess(
      this.worker.config.clients.internal(
        `${clientIdBase(this.#settings.groupId, this.worker.config.clientId)}coordinator`,
      ),
      this.#settings.groupId,
      this.log,
    )
    await this.statusStore.start()
    await this.worker.offsets.start()
    await this.configStore.start()
    this.#snapshot = this.configStore.snapshot()
    await this.readClusterId()
    this.log.info(`Joining group ${this.#settings.groupId} as ${this.#restUrl}`)
    this.#coordinator.start()
  }

  /** Stops the local work (committing offsets), leaves the group, then stops the stores. */
  async stop(): Promise<void> {
    this.#stopping = true
    this.ready = false
    for (const timer of [this.#delayTimer, this.#keyTimer]) if (timer) clearTimeout(timer)
    for (const retry of this.#reconfigureRetries.values()) clearTimeout(retry.timer)
    this.#reconfigureRetries.clear()
    this.#restarts.clear()
    await this.serial(async () => {
      await this.worker.stop()
    })
    await this.#coordinator.stop()
    await this.statusStore.flush().catch(() => {})
    await this.statusStore.stop()
    await this.configStore.stop()
    await this.worker.offsets.stop()
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The tick: config-topic changes, restart requests, leader duties

  #onConfigUpdate(connector: string): void {
    // A connector that appeared or went away changes what there is to share: rebalance (Apache does the same).
    const existed = this.#snapshot.contains(connector)
    const exists = this.configStore.contains(connector)
    if (existed !== exists) this.#needsRejoin = true
    this.#configUpdates.add(connector)
    this.#scheduleTick()
  }

  #scheduleTick(): void {
    if (this.#tickScheduled || this.#stopping) return
    this.#tickScheduled = true
    void this.serial(async () => {
      this.#tickScheduled = false
      if (this.#stopping) return
      await this.#tick()
    }).catch((e) => this.log.error({ err: e }, `Unexpected error in the herder: ${(e as Error).message}`))
  }

  async #tick(): Promise<void> {
    this.#snapshot = this.configStore.snapshot()
    await this.#rotateSessionKey()
    if (!this.#assignment) {
      // Nothing runs here before the first assignment; what changed is seen in the snapshot then.
      this.#configUpdates.clear()
      this.#targetStateChanges.clear()
      this.#taskConfigUpdates.clear()
      this.#restartRequests.clear()
      return
    }
    const configUpdates = [...this.#configUpdates]
    this.#configUpdates.clear()
    for (const name of configUpdates) {
      const remains = this.#snapshot.contains(name)
      // A deleted connector leaves no status: the leader removes what is there, owners what they stop later.
      if (!remains && this.#coordinator.isLeader) this.onDeletion(name)
      if (!this.#ownsConnector(name)) continue
      this.log.info(`Handling connector-only config update by ${remains ? 'restarting' : 'stopping'} connector ${name}`)
      this.#restarts.forget(name, 'connector')
      await this.worker.stopConnector(name)
      if (remains) await this.#startConnector(name)
    }
    const targetStates = [...this.#targetStateChanges]
    this.#targetStateChanges.clear()
    for (const name of targetStates) await this.#applyTargetState(name)
    const taskUpdates = [...this.#taskConfigUpdates]
    this.#taskConfigUpdates.clear()
    if (taskUpdates.length > 0) {
      // New task configs: stop the local tasks of those connectors; the rebalance hands out the new set.
      const stale = this.worker.taskIds().filter((id) => taskUpdates.includes(id.connector))
      if (stale.length > 0) {
        this.log.info(`Stopping ${stale.length} tasks whose configs changed: ${stale.map(taskKey).join(', ')}`)
        await this.#stopTasks(stale)
      }
      this.#needsRejoin = true
    }
    const restarts = [...this.#restartRequests.values()]
    this.#restartRequests.clear()
    for (const request of restarts) await this.#processRestartRequest(request)
    if (this.#needsRejoin) {
      this.#needsRejoin = false
      this.#coordinator.requestRejoin('config change')
    }
  }

  /** The leader keeps a session key that is fresh and made with the configured algorithm (KIP-507). */
  async #rotateSessionKey(): Promise<void> {
    if (!this.#coordinator.isLeader || this.#coordinator.currentProtocolVersion < 2 || this.#stopping) return
    const key = this.#snapshot.sessionKey
    const now = this.now()
    const expiresAt = key ? key.creationTimestamp + this.#settings.keyTtlMs : 0
    if (key && key.algorithm === this.#settings.keyGenerationAlgorithm && expiresAt > now) {
      this.#scheduleKeyRotation(expiresAt - now)
      return
    }
    this.log.info(key ? 'Rotating the session key' : 'Writing a new session key')
    const fresh = generateSessionKey(this.#settings.keyGenerationAlgorithm, this.#settings.keySizeBits, now)
    try {
      await this.configStore.putSessionKey(fresh)
      this.#snapshot = this.configStore.snapshot()
      this.#scheduleKeyRotation(this.#settings.keyTtlMs)
    } catch (e) {
      this.log.error({ err: e }, `Failed to write a new session key: ${(e as Error).message}`)
      this.#scheduleKeyRotation(1000)
    }
  }

  #scheduleKeyRotation(inMs: number): void {
    if (this.#keyTimer) clearTimeout(this.#keyTimer)
    this.#keyTimer = setTimeout(() => this.#scheduleTick(), Math.min(inMs, 2 ** 31 - 1))
    this.#keyTimer.unref()
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Rebalances

  /** Apache's `handleRebalanceCompleted`: catch up with the config topic, then start what was assigned. */
  async #onAssigned(assignment: Assignment, generation: number): Promise<void> {
    if (this.#stopping) return
    this.worker.metrics.rebalance.assigned(generation, assignment.leaderUrl, this.#coordinator.currentProtocol)
    if (assignment.error !== NO_ERROR) {
      this.log.info(`Assignment failed (config offset ${assignment.offset}): reading the config topic to its end`)
      await this.configStore.refresh(this.#settings.workerSyncTimeoutMs).catch(() => {})
      return
    }
    if (this.configStore.offset < assignment.offset) {
      try {
        await this.configStore.refresh(this.#settings.workerSyncTimeoutMs)
      } catch {
        this.log.warn(
          `Could not read the config topic to offset ${assignment.offset} within worker.sync.timeout.ms; leaving the group for worker.unsync.backoff.ms (${this.#settings.workerUnsyncBackoffMs} ms)`,
        )
        await this.#coordinator.leaveGroup('config out of sync', this.#settings.workerUnsyncBackoffMs)
        return
      }
      if (this.configStore.offset !== assignment.offset) {
        this.log.info(
          `Config offset ${this.configStore.offset} differs from the assignment's ${assignment.offset}: rejoining`,
        )
        this.#coordinator.requestRejoin('config offset mismatch')
        return
      }
    }
    this.#snapshot = this.configStore.snapshot()
    this.#assignment = assignment
    this.log.info(
      `Joined generation ${generation} as ${this.#coordinator.isLeader ? 'leader' : 'follower'}: ${assignment.connectors.length} connectors, ${assignment.tasks.length} tasks`,
    )
    // KIP-618: the leader takes the config topic's transactional id at once, fencing a previous leader that may still
    // think it leads (Apache's claimWritePrivileges); a worker that no longer leads lets it go.
    if (this.#coordinator.isLeader) {
      await this.configStore
        .claimWritePrivileges()
        .catch((e) => this.log.error({ err: e }, 'Failed to claim write privileges on the config topic'))
    } else {
      await this.configStore.relinquishWritePrivileges()
    }
    // Whatever runs here but was not assigned stops (eager rebalances revoked it already).
    const connectors = new Set(assignment.connectors)
    const tasks = new Set(assignment.tasks.map(taskKey))
    await this.#stopWork(
      this.worker.connectorNames().filter((c) => !connectors.has(c)),
      this.worker.taskIds().filter((t) => !tasks.has(taskKey(t))),
    )
    const running = new Set(this.worker.connectorNames())
    for (const name of assignment.connectors) if (!running.has(name)) await this.#startConnector(name)
    const runningTasks = new Set(this.worker.taskIds().map(taskKey))
    const toStart = assignment.tasks.filter((id) => !runningTasks.has(taskKey(id)))
    // Source tasks taken over from another worker resume from its last commit: read the offsets topic to its end.
    if (toStart.length > 0) await this.#readOffsetsToEnd()
    for (const id of toStart) await this.#startTask(id)
    // As Apache: the rebalance is over once the assigned work has started.
    this.worker.metrics.rebalance.succeeded()
    if (assignment.revokedConnectors.length > 0 || assignment.revokedTasks.length > 0) {
      this.#coordinator.requestRejoin('follow-up after revocations')
    }
    if (this.#delayTimer) clearTimeout(this.#delayTimer)
    this.#delayTimer = null
    if (assignment.delay > 0) {
      this.log.info(`The leader scheduled a rebalance in ${assignment.delay} ms`)
      this.#delayTimer = setTimeout(() => this.#coordinator.requestRejoin('scheduled rebalance'), assignment.delay)
      this.#delayTimer.unref()
    }
    if (!this.ready) this.log.info('Worker has joined the cluster and read the config topic')
    this.ready = true
    await this.#tick()
  }

  async #readOffsetsToEnd(): Promise<void> {
    const offsets = this.worker.offsets as Partial<KafkaOffsetBackingStore>
    try {
      await offsets.refresh?.(this.#settings.workerSyncTimeoutMs)
    } catch (e) {
      this.log.warn(`Could not read the offsets topic to its end before starting tasks: ${(e as Error).message}`)
    }
  }

  async #stopWork(connectors: string[], tasks: ConnectorTaskId[]): Promise<void> {
    if (connectors.length + tasks.length > 0) {
      this.log.info(
        `Stopping ${connectors.length} connectors and ${tasks.length} tasks: ${[...connectors, ...tasks.map(taskKey)].join(', ')}`,
      )
    }
    if (tasks.length > 0) await this.#stopTasks(tasks)
    for (const name of connectors) {
      this.#restarts.forget(name, 'connector')
      await this.worker.stopConnector(name)
    }
    for (const name of new Set([...connectors, ...tasks.map((t) => t.connector)])) {
      if (!this.configStore.contains(name)) this.onDeletion(name)
    }
    if (this.#assignment) {
      const revoked = new Set(connectors)
      const revokedTasks = new Set(tasks.map(taskKey))
      this.#assignment = {
        ...this.#assignment,
        connectors: this.#assignment.connectors.filter((c) => !revoked.has(c)),
        tasks: this.#assignment.tasks.filter((t) => !revokedTasks.has(taskKey(t))),
      }
    }
  }

  async #stopTasks(ids: ConnectorTaskId[]): Promise<void> {
    for (const id of ids) this.#restarts.forget(id.connector, [id.task])
    await this.worker.stopTasks(ids)
  }

  #ownsConnector(name: string): boolean {
    return this.#assignment?.connectors.includes(name) ?? false
  }

  #ownsTask(id: ConnectorTaskId): boolean {
    return this.#assignment?.tasks.some((t) => t.connector === id.connector && t.task === id.task) ?? false
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Running connectors and tasks

  /** Starts an assigned connector in its target state and, when it is STARTED, reconciles its task configs. */
  async #startConnector(name: string): Promise<void> {
    const config = this.#snapshot.connectorConfig(name)
    const state = this.#snapshot.targetState(name)
    if (!config || !state) return
    const started = await this.worker.startConnector(name, present(config), state, this.connectorStatusListener(), () =>
      this.#requestTaskReconfiguration(name),
    )
    if (started && state === 'STARTED') await this.#reconfigureTasks(name)
  }

  #requestTaskReconfiguration(name: string): void {
    void this.serial(() => this.#reconfigureTasks(name)).catch((e) =>
      this.log.error({ connector: name, err: e }, 'Task reconfiguration failed'),
    )
  }

  /**
   * Apache's `reconfigureConnector`: the connector's owner asks it for task configs and, when they differ from the
   * committed ones (or the connector config changed since), writes them: itself when it leads, else through the
   * leader's internal endpoint, signed. Failures are retried with backoff.
   */
  async #reconfigureTasks(name: string): Promise<void> {
    if (this.#stopping || !this.#ownsConnector(name)) return
    if (this.#snapshot.targetState(name) !== 'STARTED' || !this.worker.connectorNames().includes(name)) return
    const config = this.#snapshot.connectorConfig(name)
    const maxTasks = Number(config?.['tasks.max'] ?? 1)
    let taskConfigs: Record<string, string>[]
    try {
      taskConfigs = await this.worker.connectorTaskConfigs(name, maxTasks)
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e))
      this.log.error({ connector: name, err: error }, `Failed to generate task configs: ${error.message}`)
      this.onConnectorFailure(name, error)
      return
    }
    if (this.taskConfigsUnchanged(name, taskConfigs, this.#snapshot)) {
      this.#clearReconfigureRetry(name)
      return
    }
    if (!this.#coordinator.isLeader) {
      // Sent outside the herder's queue, as Apache's forwardRequestExecutor does: the leader answers once its group is
      // stable, and a rebalance cannot end while this worker's queue waits for that answer instead of rejoining (each
      // connector created through a follower held the whole cluster for up to 15 s).
      void this.#sendTaskConfigsToLeader(name, taskConfigs).then(
        () => this.#clearReconfigureRetry(name),
        (e) => this.#retryReconfiguration(name, e),
      )
      return
    }
    try {
      await this.configStore.putTaskConfigs(name, taskConfigs)
      this.#snapshot = this.configStore.snapshot()
      this.#clearReconfigureRetry(name)
    } catch (e) {
      this.#retryReconfiguration(name, e)
    }
  }

  #retryReconfiguration(name: string, error: unknown): void {
    if (this.#stopping) return
    const previous = this.#reconfigureRetries.get(name)
    const backoffMs = previous
      ? Math.min(previous.backoffMs * 2, RECONFIGURE_BACKOFF_MAX_MS)
      : RECONFIGURE_BACKOFF_INITIAL_MS
    this.log.error(
      { connector: name, err: error },
      `Failed to write the task configs of ${name} (${(error as Error).message}); retrying in ${backoffMs} ms`,
    )
    if (previous) clearTimeout(previous.timer)
    const timer = setTimeout(() => this.#requestTaskReconfiguration(name), backoffMs)
    timer.unref()
    this.#reconfigureRetries.set(name, { timer, backoffMs })
  }

  #clearReconfigureRetry(name: string): void {
    const retry = this.#reconfigureRetries.get(name)
    if (retry) clearTimeout(retry.timer)
    this.#reconfigureRetries.delete(name)
  }

  async #sendTaskConfigsToLeader(name: string, configs: Record<string, string>[]): Promise<void> {
    await this.#sendToLeader(
      'POST',
      `/connectors/${encodeURIComponent(name)}/tasks?forward=true`,
      Buffer.from(JSON.stringify(configs)),
    )
  }

  /** An internal request to the leader, signed under the `sessioned` protocol (KIP-507). */
  async #sendToLeader(method: 'POST' | 'PUT', path: string, body: Buffer | null): Promise<void> {
    const leaderUrl = this.#coordinator.leaderUrl
    if (!leaderUrl) throw new Error('no known leader URL')
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (body !== null) headers['Content-Type'] = 'application/json'
    const key = this.configStore.snapshot().sessionKey
    if (this.#coordinator.currentProtocolVersion >= 2) {
      if (!key) throw new Error('no session key has been read yet')
      Object.assign(headers, signatureHeaders(key, this.#settings.signatureAlgorithm, body ?? Buffer.alloc(0)))
    }
    const url = `${leaderUrl.replace(/\/$/, '')}${path}`
    const response = await this.#restClient.request(url, {
      method,
      headers,
      ...(body === null ? {} : { body }),
      timeoutMs: 30_000,
    })
    if (response.status >= 400) throw new Error(`the leader answered ${response.status}: ${response.body}`)
  }

  async #startTask(id: ConnectorTaskId): Promise<void> {
    const taskConfig = this.#snapshot.taskConfig(id)
    const connectorConfig = this.#snapshot.connectorConfig(id.connector)
    const state = this.#snapshot.targetState(id.connector)
    if (!taskConfig || !connectorConfig || !state) return
    this.putTaskStatus(id, 'UNASSIGNED', undefined, true)
    const connector = present(connectorConfig)
    const checks =
      exactlyOnceSourceEnabled(this.worker.config) && this.connectorType(connector) === 'source'
        ? this.#exactlyOnceChecks(id)
        : {}
    await this.trackTopics(id, () =>
      this.worker.startTask(id, connector, present(taskConfig), state, this.taskStatusListener(), checks),
    )
  }

  /**
   * Apache's preflight of an exactly-once source task: before its producer takes its transactional id, the leader
   * fences the older generations of the connector's tasks (this worker's request to the leader, forwarded when it is
   * not); after, the task's generation must still be the current one and the task still assigned here.
   */
  #exactlyOnceChecks(id: ConnectorTaskId): ExactlyOnceChecks {
    const generation = this.#snapshot.taskConfigGeneration(id.connector)
    return {
      preProducerCheck: async () => {
        try {
          await this.#fencings.fence(id.connector)
        } catch (e) {
          if (!(e instanceof NotLeaderException)) throw wrapped(e, 'Failed to perform zombie fencing')
          try {
            await this.#sendToLeader('PUT', `/connectors/${encodeURIComponent(id.connector)}/fence`, null)
          } catch (forwardError) {
            throw wrapped(forwardError, 'Failed to perform round of zombie fencing')
          }
        }
      },
      postProducerCheck: async () => {
        try {
          await this.configStore.refresh(this.#settings.workerSyncTimeoutMs)
        } catch (e) {
          throw new ConnectException('Failed to read to end of config topic', e)
        }
        await this.serial(async () => {
          this.#snapshot = this.configStore.snapshot()
          if (this.#snapshot.taskConfigGeneration(id.connector) !== generation) {
            throw new ConnectException(
              `Cannot start source task ${taskKey(id)} with exactly-once support as the connector has already generated a new set of task configs`,
            )
          }
          if (!this.#assignment?.tasks.some((t) => taskKey(t) === taskKey(id))) {
            throw new ConnectException(
              `Cannot start source task ${taskKey(id)} as it has already been revoked from this worker`,
            )
          }
        })
      },
    }
  }

  /**
   * Internal endpoint (`PUT /connectors/{c}/fence`, KIP-618): a worker about to start an exactly-once source task asks
   * the leader to fence the connector's older task generations; signed under the `sessioned` protocol. 204 once done.
   */
  async fenceZombieSourceTasks(name: string, signature: InternalRequestSignature | null = null): Promise<void> {
    if (this.#coordinator.currentProtocolVersion >= 2) {
      verifySignature(signature, this.configStore.snapshot().sessionKey, this.#settings.verificationAlgorithms)
    }
    await this.#fencings.fence(name)
  }

  async #applyTargetState(name: string): Promise<void> {
    const state = this.#snapshot.targetState(name)
    if (!state) return
    if (this.#ownsConnector(name)) {
      const running = this.worker.connectorNames().includes(name)
      this.#restarts.forget(name, 'all')
      if (state === 'STOPPED' || !running || this.#workerConnectorStopped(name)) {
        // Into or out of STOPPED the Connector instance is restarted in the new state.
        await this.worker.stopConnector(name)
        await this.#startConnector(name)
      } else {
        this.worker.setTargetState(name, state)
        this.putConnectorStatus(name, state === 'PAUSED' ? 'PAUSED' : 'RUNNING')
        if (state === 'STARTED') await this.#reconfigureTasks(name)
      }
    }
    const tasks = this.worker.taskIds(name)
    if (tasks.length > 0 && state !== 'STOPPED') this.worker.setTargetState(name, state)
  }

  #workerConnectorStopped(name: string): boolean {
    return this.statusStore.getConnector(name)?.state === 'STOPPED'
  }

  protected generation(): number {
    return this.#coordinator.generationId
  }

  protected override configState(): ClusterConfigState {
    return this.#snapshot
  }

  protected onRunning(key: [string] | [string, number]): void {
    this.#restarts.markRunning(key)
  }

  protected onTaskFailure(id: ConnectorTaskId, error: Error): void {
    const noted = this.#restarts.schedule([id.connector, id.task], `task ${taskKey(id)}`, error, async () => {
      if (!this.#ownsTask(id) || this.#snapshot.targetState(id.connector) !== 'STARTED') return
      if (this.statusStore.getTask(id)?.state !== 'FAILED') return
      await this.worker.stopTasks([id])
      await this.#startTask(id)
    })
    this.putTaskStatus(id, 'FAILED', noted, true)
  }

  protected onConnectorFailure(name: string, error: Error): void {
    const noted = this.#restarts.schedule([name], `connector ${name}`, error, async () => {
      if (!this.#ownsConnector(name) || this.statusStore.getConnector(name)?.state !== 'FAILED') return
      await this.worker.stopConnector(name)
      await this.#startConnector(name)
    })
    this.putConnectorStatus(name, 'FAILED', noted, true)
  }

  /** KIP-745: every worker restarts what it runs of a restart request read from the config topic. */
  async #processRestartRequest(request: RestartRequest): Promise<void> {
    const name = request.connector
    if (!this.#snapshot.contains(name)) return
    const plan = this.buildRestartPlan(request)
    if (!plan) return
    const restartConnector = plan.connector.state === 'RESTARTING' && this.#ownsConnector(name)
    const tasks = plan.tasks
      .filter((t) => t.state === 'RESTARTING')
      .map((t) => ({ connector: name, task: t.id }))
      .filter((id) => this.#ownsTask(id))
    if (!restartConnector && tasks.length === 0) return
    this.log.info(
      `Restarting ${restartConnector ? 'the connector and ' : ''}${tasks.length} tasks of ${name} on this worker`,
    )
    if (restartConnector) {
      this.#restarts.forget(name, 'connector')
      await this.worker.stopConnector(name)
      this.putConnectorStatus(name, 'RESTARTING')
    }
    if (tasks.length > 0) {
      await this.#stopTasks(tasks)
      for (const id of tasks) this.putTaskStatus(id, 'RESTARTING')
    }
    if (restartConnector) await this.#startConnector(name)
    for (const id of tasks) await this.#startTask(id)
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Reads: from the local snapshot, also during a rebalance

  async connectorOffsets(name: string): Promise<ConnectorOffsets> {
    const config = present(this.storedConfig(name))
    const offsets = this.worker.offsets as Partial<KafkaOffsetBackingStore>
    if (this.connectorType(config) !== 'sink') await offsets.refresh?.()
    return readConnectorOffsets(
      this.worker,
      name,
      await this.resolvedConnectorConfig(config),
      this.connectorType(config),
    )
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Writes

  /** Waits (bounded) for a rebalance in progress to end; 409 when it does not. */
  async #awaitStable(): Promise<void> {
    const deadline = this.now() + this.#rebalanceWaitMs
    while (!this.#stable()) {
      if (this.#stopping || this.now() >= deadline) {
        throw new RebalanceNeededException('Request cannot be completed because a rebalance is expected')
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  #stable(): boolean {
    return this.ready && this.#assignment !== null && !this.#coordinator.rejoinNeededOrPending
  }

  /** For writes only the leader makes: waits for a stable group, then throws `NotLeaderException` on a follower. */
  async #asLeader<T>(what: string, fn: () => Promise<T>): Promise<T> {
    await this.#awaitStable()
    return this.serial(async () => {
      if (!this.#coordinator.isLeader) {
        throw new NotLeaderException(`Only the leader can ${what}.`, this.#coordinator.leaderUrl)
      }
      await this.configStore.refresh(this.#settings.workerSyncTimeoutMs)
      this.#snapshot = this.configStore.snapshot()
      return fn()
    })
  }

  async putConnectorConfig(
    name: string,
    config: Record<string, string | null>,
    allowReplace: boolean,
    initialState: TargetState = 'STARTED',
  ): Promise<{ created: boolean; info: ConnectorInfo }> {
    const submitted = { ...config, name }
    await this.#awaitStable()
    if (!this.#coordinator.isLeader) {
      throw new NotLeaderException('Only the leader can set connector configs.', this.#coordinator.leaderUrl)
    }
    const infos = await this.validateConnectorConfig(submitted)
    if (infos.error_count > 0) throw new BadRequestException(invalidConfigMessage(infos))
    return this.#asLeader('set connector configs', async () => {
      const before = this.#snapshot
      const exists = before.contains(name)
      if (exists && !allowReplace) throw new AlreadyExistsException(`Connector ${name} already exists`)
      await this.configStore.putConnectorConfig(name, submitted, exists ? null : initialState)
      this.#snapshot = this.configStore.snapshot()
      this.log.info(`Connector ${name} config ${exists ? 'updated' : 'created'}`)
      // As Apache's: the answer is the config just written with the tasks the connector had, not a lookup of what
      // the config topic has been read back to (which a slow read-back would answer 404 for a connector just created).
      const info: ConnectorInfo = {
        name,
        config: { ...submitted } as Record<string, string>,
        tasks: before.tasks(name).map((id) => ({ connector: id.connector, task: id.task })),
        type: this.connectorType(submitted as Record<string, string>),
      }
      return { created: !exists, info }
    })
  }

  async patchConnectorConfig(name: string, patch: Record<string, string | null>): Promise<ConnectorInfo> {
    await this.#awaitStable()
    if (!this.#coordinator.isLeader) {
      throw new NotLeaderException('Only the leader can set connector configs.', this.#coordinator.leaderUrl)
    }
    const patched: Record<string, string> = { ...this.storedConfig(name) }
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete patched[key]
      else patched[key] = value
    }
    return (await this.putConnectorConfig(name, patched, true)).info
  }

  async deleteConnector(name: string): Promise<void> {
    await this.#asLeader('delete connectors', async () => {
      this.storedConfig(name)
      await this.configStore.removeConnectorConfig(name)
      this.#snapshot = this.configStore.snapshot()
      this.log.info(`Connector ${name} deleted`)
    })
  }

  async pauseConnector(name: string): Promise<void> {
    this.storedConfig(name, `Unknown connector ${name}`)
    await this.configStore.putTargetState(name, 'PAUSED')
  }

  async resumeConnector(name: string): Promise<void> {
    this.storedConfig(name, `Unknown connector ${name}`)
    await this.configStore.putTargetState(name, 'STARTED')
  }

  /** KIP-875: the leader writes zero task configs, then the STOPPED target state. */
  async stopConnector(name: string): Promise<void> {
    await this.#asLeader('stop connectors', async () => {
      this.storedConfig(name)
      await this.configStore.putTaskConfigs(name, [])
      await this.configStore.putTargetState(name, 'STOPPED')
      await this.configStore.refresh(this.#settings.workerSyncTimeoutMs)
      this.#snapshot = this.configStore.snapshot()
    })
  }

  /** Restarts the Connector instance where it runs: here, or forwarded (through the leader) to its owner. */
  async restartConnector(name: string): Promise<void> {
    await this.#awaitStable()
    await this.serial(async () => {
      this.storedConfig(name, `Unknown connector: ${name}`)
      if (this.#ownsConnector(name)) {
        this.#restarts.forget(name, 'connector')
        await this.worker.stopConnector(name)
        await this.#startConnector(name)
      } else if (this.#coordinator.isLeader) {
        throw new NotAssignedException(
          'Cannot restart connector since it is not assigned to this member',
          this.#coordinator.connectorOwnerUrl(name),
        )
      } else {
        throw new NotLeaderException('Only the leader can process restart requests.', this.#coordinator.leaderUrl)
      }
    })
  }

  async restartTask(id: ConnectorTaskId): Promise<void> {
    await this.#awaitStable()
    await this.serial(async () => {
      const snapshot = this.configStore.snapshot()
      this.storedConfig(id.connector, `Unknown connector: ${id.connector}`, snapshot)
      if (!snapshot.taskConfig(id)) throw new NotFoundException(`Unknown task: ${taskKey(id)}`)
      if (this.#ownsTask(id)) {
        this.#restarts.forget(id.connector, [id.task])
        await this.worker.stopTasks([id])
        await this.#startTask(id)
      } else if (this.#coordinator.isLeader) {
        throw new NotAssignedException(
          'Cannot restart task since it is not assigned to this member',
          this.#coordinator.taskOwnerUrl(id),
        )
      } else {
        throw new NotLeaderException('Only the leader can process restart requests.', this.#coordinator.leaderUrl)
      }
    })
  }

  /** KIP-745: the leader writes the request to the config topic; every worker restarts what it runs of it. */
  async restartConnectorAndTasks(request: RestartRequest): Promise<ConnectorStateInfo> {
    return this.#asLeader('process restart requests', async () => {
      const name = request.connector
      this.storedConfig(name, `Unknown connector: ${name}`)
      const plan = this.buildRestartPlan(request)
      if (!plan) throw new NotFoundException(`Status for connector ${name} not found`)
      await this.configStore.putRestartRequest(request)
      return plan
    })
  }

  async alterConnectorOffsets(name: string, offsets: ConnectorOffset[]): Promise<Message> {
    return this.#modifyOffsets(name, offsets)
  }

  async resetConnectorOffsets(name: string): Promise<Message> {
    return this.#modifyOffsets(name, null)
  }

  async #modifyOffsets(name: string, offsets: ConnectorOffset[] | null): Promise<Message> {
    const checks = () => {
      const config = present(this.storedConfig(name))
      if (this.#snapshot.targetState(name) !== 'STOPPED' || this.#snapshot.taskCount(name) !== 0) {
        throw new BadRequestException(notStoppedMessage(name))
      }
      return config
    }
    // Apache's: with exactly-once sources, a round of zombie fencing first, so no task of an older generation can
    // still commit offsets over the new ones; the checks run again after it.
    const fence = await this.#asLeader(
      'modify connector offsets',
      async () => exactlyOnceSourceEnabled(this.worker.config) && this.connectorType(checks()) === 'source',
    )
    if (fence) {
      this.log.debug(
        `Performing a round of zombie fencing before modifying offsets for source connector ${name} with exactly-once support enabled.`,
      )
      try {
        await this.#fencings.fence(name)
      } catch (e) {
        this.log.error({ err: e }, 'Failed to perform zombie fencing for source connector prior to modifying offsets')
        throw new ConnectException(
          'Failed to perform zombie fencing for source connector prior to modifying offsets',
          e,
        )
      }
    }
    return this.#asLeader('modify connector offsets', async () => {
      const config = checks()
      const resolved = await this.resolvedConnectorConfig(config)
      return modifyConnectorOffsets(this.worker, name, resolved, this.connectorType(config), offsets)
    })
  }

  /**
   * Internal endpoint (`POST /connectors/{c}/tasks`): a follower that runs the connector sends its task configs to
   * the leader, signed under the `sessioned` protocol.
   */
  async putTaskConfigs(
    name: string,
    configs: unknown,
    signature: InternalRequestSignature | null = null,
  ): Promise<void> {
    if (this.#coordinator.currentProtocolVersion >= 2) {
      verifySignature(signature, this.configStore.snapshot().sessionKey, this.#settings.verificationAlgorithms)
    }
    if (!Array.isArray(configs) || configs.some((c) => c === null || typeof c !== 'object' || Array.isArray(c))) {
      throw new BadRequestException('Task configs must be a JSON array of objects')
    }
    await this.#asLeader('write task configurations', async () => {
      this.storedConfig(name)
      if (this.#snapshot.targetState(name) === 'STOPPED' && configs.length > 0) {
        throw new BadRequestException(`Cannot submit non-empty set of task configs for stopped connector ${name}`)
      }
      await this.configStore.putTaskConfigs(name, configs as RawConfig[])
      this.#snapshot = this.configStore.snapshot()
    })
  }

  /** KIP-976: written to the config topic; every worker (this one too) applies it when it reads it. */
  async setClusterLoggerLevel(namespace: string, level: string): Promise<void> {
    await this.configStore.putLoggerLevel(namespace, level)
  }

  workerInfo(): WorkerInfo {
    const generation = this.#coordinator.assignment ? this.#coordinator.lastCompletedGenerationId : -1
    return {
      worker_id: this.workerId,
      url: this.#restUrl,
      mode: 'distributed',
      group_id: this.#settings.groupId,
      generation: generation < 0 ? null : generation,
      leader_url: this.#coordinator.leaderUrl,
      is_leader: this.#coordinator.isLeader,
      tasks: taskThroughput(this.worker.metrics),
    }
  }

  async groupMembers(): Promise<GroupMemberInfo[]> {
    return (await this.#coordinator.members()).map((m) => ({ member_id: m.memberId, url: m.url }))
  }
}
