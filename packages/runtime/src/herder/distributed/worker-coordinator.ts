/**
 * Apache's `WorkerCoordinator` (with the parts of `AbstractCoordinator` and `WorkerGroupMember` it relies on): keeps a
 * worker in the Connect group. It joins with protocol type `connect` and the protocols of `connect.protocol`, runs the
 * assignor when it is the leader, hands each completed assignment to the listener, heartbeats while it is a member
 * (also while the group rebalances, until its own join begins), rejoins when the coordinator starts a rebalance or the
 * caller asks, and leaves on stop. Like Apache's poll timeout, it leaves the group while the herder is stuck in one
 * operation for longer than `rebalance.timeout.ms` (`busySince`), and joins again once that operation ended.
 *
 * As in Apache, what to do with an assignment is the listener's (the herder's): in particular it must ask for a rejoin
 * once it has stopped revoked work (`assignment.revokedConnectors/revokedTasks` non-empty) and after
 * `assignment.delay` ms when the leader scheduled a rebalance. Listener calls are awaited; heartbeats go on meanwhile.
 */

import type { ConnectionSettings } from '../../kafka/based-log.ts'
import { GroupError, GroupMember } from '../../kafka/group-member.ts'
import type { Logger } from '../../logger.ts'
import { silentLogger } from '../../logger.ts'
import type { ConnectorTaskId } from '../../worker/worker-task.ts'
import {
  type AssignorConfigSnapshot,
  type GroupAssignmentResult,
  IncrementalCooperativeAssignor,
  type LeaderState,
  performEagerAssignment,
} from './assignors.ts'
import {
  type Assignment,
  type ConnectProtocolCompatibility,
  deserializeAssignment,
  deserializeMetadata,
  fromProtocol,
  metadataRequest,
  NO_ERROR,
  protocolVersion,
} from './connect-protocol.ts'
import { PeerProbe } from './peer-probe.ts'

export interface WorkerRebalanceListener {
  /**
   * A rebalance completed: `assignment` is everything this worker should now run (incremental protocols: what it kept
   * plus what was added), with the revocations and delay the leader sent. A failed assignment (`error` != 0) means:
   * read the config topic to its end; the coordinator rejoins after this returns.
   */
  onAssigned(assignment: Assignment, generation: number): void | Promise<void>
  /**
   * Stop this work: revoked by the leader (incremental), everything before a rebalance (eager), or everything because
   * the coordinator could not be reached for `heartbeat.interval.ms`.
   */
  onRevoked(leader: string | null, connectors: string[], tasks: ConnectorTaskId[]): void | Promise<void>
  /** This worker begins to join the group (a rebalance, for connect-worker-rebalance-metrics). */
  onRebalanceStarted?(): void
}

export interface WorkerCoordinatorOptions extends ConnectionSettings {
  /** `group.id`. */
  groupId: string
  /** This worker's advertised REST URL (`http://host:port/`), sent to the group. */
  restUrl: string
  /** `connect.protocol` (default `sessioned`). */
  connectProtocol?: ConnectProtocolCompatibility
  /** `session.timeout.ms` (10000). */
  sessionTimeoutMs?: number
  /** `heartbeat.interval.ms` (3000). */
  heartbeatIntervalMs?: number
  /** `rebalance.timeout.ms` (60000). */
  rebalanceTimeoutMs?: number
  /** `scheduled.rebalance.max.delay.ms` (300000). */
  scheduledRebalanceMaxDelayMs?: number
  /**
   * `worker.probe.interval.ms` (Ferry's own; 0, the default here, turns it off): how often the other members' REST
   * ports are tried, so a worker whose process exited is removed from the group at once (see peer-probe.ts).
   */
  probeIntervalMs?: number
  /** Pause after a failed request before the next attempt (100 ms, `retry.backoff.ms`). */
  retryBackoffMs?: number
  /** The config store's current snapshot (its offset is the one sent to the group). */
  configSnapshot: () => AssignorConfigSnapshot
  /**
   * When the work the herder's loop is doing now began; null while it waits for work. Work that runs longer than
   * `rebalance.timeout.ms` makes this worker leave the group until it ends (Apache's poll timeout: its herder thread
   * must call `poll` that often).
   */
  busySince?: () => number | null
  listener: WorkerRebalanceListener
  logger?: Logger
  now?: () => number
}

/**
 * Right after a join, a member heartbeats after 100 ms, then doubles the wait up to `heartbeat.interval.ms`. Moving
 * work takes incremental cooperative rebalancing two rounds: the members that gave work up join again at once, and a
 * member that gave nothing up (the worker that just joined, say) learns of that second round only from its next
 * heartbeat, a whole interval later in Apache. Found sooner, a worker joining a 3-worker cluster of 200 idle tasks was
 * balanced in 1.7 s instead of about 4 at heartbeat.interval.ms=2000 (docs/distributed.md). A few more heartbeats per rebalance.
 */
const FOLLOW_UP_HEARTBEAT_MS = 100

/** See the module comment. */
export class WorkerCoordinator {
  readonly #options: WorkerCoordinatorOptions
  readonly #mode: ConnectProtocolCompatibility
  readonly #member: GroupMember
  readonly #incremental: IncrementalCooperativeAssignor
  readonly #logger: Logger
  readonly #heartbeatIntervalMs: number
  /** The next wait of the heartbeat loop while it speeds up after a join (see FOLLOW_UP_HEARTBEAT_MS); 0 after. */
  #followUpHeartbeatMs = 0
  readonly #sessionTimeoutMs: number
  readonly #retryBackoffMs: number
  readonly #rebalanceTimeoutMs: number
  readonly #probe: PeerProbe
  /** This worker left the group because the herder's work that began at this time ran past the rebalance timeout. */
  #stuckSince: number | null = null
  #assignment: Assignment | null = null
  #currentProtocol: ConnectProtocolCompatibility
  #lastCompletedGenerationId = -1
  #leaderState: LeaderState | null = null
  #configSnapshot: AssignorConfigSnapshot | null = null
  #needsJoin = true
  #rejoinRequested = false
  #stable = false
  #running = false
  #pausedUntil = 0
  #loop: Promise<void> | null = null
  #heartbeats: Promise<void> | null = null
  #wake: (() => void) | null = null
  #wakeHeartbeat: (() => void) | null = null
  #lastHeartbeatOk = 0
  /** When the heartbeat loop last ran: a gap longer than the session means this process did not run meanwhile. */
  #lastHeartbeatLoopAt = 0
  /** Why this worker may no longer be a member of its generation (see `membershipInDoubt`). */
  #doubt: string | null = null
  /** The generation the doubt arose in: only a heartbeat in that generation confirms the work of its assignment. */
  #doubtGeneration = -1

  constructor(options: WorkerCoordinatorOptions) {
    this.#options = options
    this.#mode = options.connectProtocol ?? 'sessioned'
    this.#currentProtocol = this.#mode
    this.#logger = options.logger ?? silentLogger()
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3000
    this.#sessionTimeoutMs = options.sessionTimeoutMs ?? 10000
    this.#retryBackoffMs = options.retryBackoffMs ?? 100
    this.#rebalanceTimeoutMs = options.rebalanceTimeoutMs ?? 60000
    this.#member = new GroupMember({
      bootstrapServers: options.bootstrapServers,
      clientId: options.clientId,
      security: options.security,
      requestTimeoutMs: options.requestTimeoutMs,
      retryBackoffMs: options.retryBackoffMs,
      retryBackoffMaxMs: options.retryBackoffMaxMs,
      metadataMaxAgeMs: options.metadataMaxAgeMs,
      connectTimeoutMs: options.connectTimeoutMs,
      groupId: options.groupId,
      protocolType: 'connect',
      sessionTimeoutMs: this.#sessionTimeoutMs,
      rebalanceTimeoutMs: this.#rebalanceTimeoutMs,
    })
    this.#probe = new PeerProbe({
      intervalMs: options.probeIntervalMs ?? 0,
      self: () => this.#member.memberId,
      // Described once the generation is complete (its members' metadata is then the chosen protocol's).
      generation: () => (this.#stable ? this.#member.generationId : -1),
      members: () => this.members(),
      remove: (memberId, url, seenOpen) => this.#removeExitedMember(memberId, url, seenOpen),
      logger: this.#logger,
    })
    this.#incremental = new IncrementalCooperativeAssignor({
      maxDelayMs: options.scheduledRebalanceMaxDelayMs ?? 300000,
      now: options.now,
    })
  }

  /** Starts taking part in the group (in the background). */
  start(): void {
    if (this.#running) return
    this.#running = true
    this.#loop = this.#run()
    this.#heartbeats = this.#heartbeatLoop()
    this.#probe.start()
  }

  /** Leaves the group and stops. Running work is the caller's to stop; no revocation is reported. */
  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.#stable = false
    this.#signal()
    await this.#probe.stop()
    await this.#member.leave('the consumer is being closed')
    await this.#loop?.catch(() => {})
    await this.#heartbeats?.catch(() => {})
    await this.#member.close()
  }

  /** Asks for a rebalance (Apache's `requestRejoin`): after revocations, on a scheduled delay, on config changes. */
  requestRejoin(reason = ''): void {
    if (reason) this.#logger.debug({ reason }, 'Request joining group')
    this.#rejoinRequested = true
    this.#pausedUntil = 0
    this.#signal()
  }

  /**
   * Leaves the group now (the work it had goes elsewhere after the leader's delay) and does not rejoin for
   * `backoffMs` or until `requestRejoin` (Apache's herder does this with `worker.unsync.backoff.ms` when it cannot
   * catch up with the config topic).
   */
  async leaveGroup(reason: string, backoffMs = 0): Promise<void> {
    this.#stable = false
    this.#needsJoin = true
    this.#pausedUntil = this.#now() + backoffMs
    await this.#member.leave(reason)
    this.#signal()
  }

  get memberId(): string {
    return this.#member.memberId
  }

  /**
   * Why the work this worker runs may already run on another worker, or null (beyond Apache, for the herder's task
   * hold): it has not heard from the group coordinator for longer than `session.timeout.ms` (the process was frozen,
   * its event loop blocked, the coordinator out of reach), or the coordinator answered that its member or generation
   * is gone. Read synchronously, so a worker resuming from a freeze sees it before any task sends anything. It lasts
   * until a heartbeat confirms the generation, or the next assignment has been handled (what was lost is revoked).
   */
  membershipInDoubt(): string | null {
    if (this.#doubt === null && this.#stable && this.#assignment !== null) {
      const silent = this.#now() - this.#lastHeartbeatOk
      if (silent > this.#sessionTimeoutMs)
        this.#doubtMembership(`no answer from the group coordinator for ${silent} ms`)
    }
    return this.#doubt
  }

  #doubtMembership(reason: string, setting = `session.timeout.ms=${this.#sessionTimeoutMs}`): void {
    if (this.#doubt !== null || this.#assignment === null) return
    this.#doubt = `this worker may have lost its work to others: ${reason} (${setting})`
    this.#doubtGeneration = this.#member.generationId
    this.#logger.warn(`${this.#doubt}; holding its tasks until the group confirms what is still its own`)
  }

  #confirmMembership(how: string): void {
    if (this.#doubt === null) return
    this.#doubt = null
    this.#logger.info(`Membership confirmed by ${how}; tasks deliver again`)
  }

  /** The generation of the last join (-1 when none or reset). */
  get generationId(): number {
    return this.#member.generationId
  }

  get lastCompletedGenerationId(): number {
    return this.#lastCompletedGenerationId
  }

  /** The complete current assignment (null before the first, or after the coordinator was lost). */
  get assignment(): Assignment | null {
    return this.#assignment
  }

  /** The protocol the group chose in the last rebalance. */
  get currentProtocol(): ConnectProtocolCompatibility {
    return this.#currentProtocol
  }

  /** 0, 1 or 2: the protocol the group chose in the last rebalance (2 means internal requests are signed). */
  get currentProtocolVersion(): number {
    return protocolVersion(this.#currentProtocol)
  }

  get isLeader(): boolean {
    return this.#assignment !== null && this.#member.memberId === this.#assignment.leader
  }

  /**
   * The workers in the group now, as its coordinator describes it (DescribeGroups), each with the REST URL of its
   * member metadata (null when that cannot be read). Does not wait for a rebalance in progress.
   */
  async members(): Promise<Array<{ memberId: string; url: string | null }>> {
    const group = await this.#member.describe()
    return group.members.map((m) => {
      let url: string | null = null
      try {
        url = deserializeMetadata(m.metadata).url
      } catch {
        // Not a Connect worker's metadata: shown without a URL.
      }
      return { memberId: m.memberId, url }
    })
  }

  /** The leader's REST URL from the last assignment. */
  get leaderUrl(): string | null {
    return this.#assignment?.leaderUrl ?? null
  }

  /** True while a rebalance is needed or under way. */
  get rejoinNeededOrPending(): boolean {
    const a = this.#assignment
    return this.#needsJoin || a === null || a.error !== NO_ERROR || this.#rejoinRequested
  }

  /** The leader's knowledge of who runs a connector (null on followers and during rebalances). */
  connectorOwnerUrl(connector: string): string | null {
    if (this.rejoinNeededOrPending || !this.isLeader) return null
    return this.#leaderState?.connectorOwnerUrl(connector) ?? null
  }

  /** The leader's knowledge of who runs a task (null on followers and during rebalances). */
  taskOwnerUrl(id: ConnectorTaskId): string | null {
    if (this.rejoinNeededOrPending || !this.isLeader) return null
    return this.#leaderState?.taskOwnerUrl(id) ?? null
  }

  #now(): number {
    return (this.#options.now ?? Date.now)()
  }

  #signal(): void {
    const w = this.#wake
    this.#wake = null
    w?.()
    const h = this.#wakeHeartbeat
    this.#wakeHeartbeat = null
    h?.()
  }

  #sleep(ms: number, heartbeat = false): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms))
      function done() {
        clearTimeout(timer)
        resolve()
      }
      if (heartbeat) this.#wakeHeartbeat = done
      else this.#wake = done
    })
  }

  async #run(): Promise<void> {
    while (this.#running) {
      try {
        if (this.#stuckSince !== null) {
          // Out of the group until the herder's stuck work ends; then join again (Apache's next poll does).
          const since = this.#options.busySince?.() ?? null
          if (since === this.#stuckSince) {
            await this.#sleep(this.#heartbeatIntervalMs)
            continue
          }
          this.#logger.info('The herder is working again after leaving the group; rejoining')
          this.#stuckSince = null
        }
        if (!this.#member.coordinatorKnown && !(await this.#ensureCoordinator())) continue
        const pause = this.#pausedUntil - this.#now()
        if (pause > 0) {
          await this.#sleep(pause)
          continue
        }
        if (this.rejoinNeededOrPending) {
          await this.#joinGroup()
          continue
        }
        // Stable: heartbeats run in their own loop; wait for something to do.
        await this.#sleep(this.#heartbeatIntervalMs)
      } catch (e) {
        if (!this.#running) return
        this.#onGroupError(e, 'Rebalance')
        await this.#sleep(this.#retryBackoffMs)
      }
    }
  }

  /**
   * Looks the coordinator up for at most `heartbeat.interval.ms`; when that fails, the worker stops its work (it may
   * no longer be a member), as Apache's does.
   */
  async #ensureCoordinator(): Promise<boolean> {
    const deadline = this.#now() + this.#heartbeatIntervalMs
    for (;;) {
      try {
        await this.#member.findCoordinator()
        return true
      } catch (e) {
        if (!this.#running) return false
        if (this.#now() >= deadline) {
          this.#logger.debug({ error: String(e) }, 'Can not connect to broker coordinator')
          const a = this.#assignment
          if (a !== null && a.error === NO_ERROR) {
            this.#logger.info(
              `Broker coordinator was unreachable for ${this.#heartbeatIntervalMs}ms. Revoking previous assignment to avoid running tasks while not being a member the group`,
            )
            this.#assignment = null
            this.#stable = false
            await this.#options.listener.onRevoked(a.leader, [...a.connectors], [...a.tasks])
          }
          await this.#sleep(this.#retryBackoffMs)
          return false
        }
        await this.#sleep(this.#retryBackoffMs)
      }
    }
  }

  async #joinGroup(): Promise<void> {
    this.#stable = false
    this.#options.listener.onRebalanceStarted?.()
    // onJoinPrepare
    this.#leaderState = null
    const previous = this.#assignment
    if (this.#currentProtocol === 'eager' && previous !== null && previous.error === NO_ERROR) {
      this.#logger.info('Rebalance started; revoking the previous assignment (eager protocol)')
      await this.#options.listener.onRevoked(previous.leader, [...previous.connectors], [...previous.tasks])
    } else {
      this.#logger.info('Rebalance started')
    }
    // metadata
    this.#configSnapshot = this.#options.configSnapshot()
    const protocols = metadataRequest(this.#mode, {
      url: this.#options.restUrl,
      offset: this.#configSnapshot.offset,
      assignment: this.#assignment,
    })
    this.#rejoinRequested = false
    this.#needsJoin = true
    const joined = await this.#member.join(protocols)
    this.#logger.info(
      `Successfully joined group with generation Generation{generationId=${joined.generationId}, memberId='${joined.memberId}', protocol='${joined.protocol}'}`,
    )
    let assignments = new Map<string, Buffer>()
    if (joined.leaderId === joined.memberId) {
      const result = this.#assign(joined.leaderId, joined.protocol, joined.members)
      assignments = result.assignments
      this.#leaderState = result.leaderState
      this.#configSnapshot = result.configSnapshot
    }
    const bytes = await this.#member.sync(assignments)
    this.#needsJoin = false
    this.#stable = true
    this.#lastHeartbeatOk = this.#now()
    this.#followUpHeartbeatMs = FOLLOW_UP_HEARTBEAT_MS
    this.#signal()
    await this.#onJoinComplete(joined.generationId, joined.protocol, bytes)
  }

  #assign(
    leaderId: string,
    protocol: string,
    members: Array<{ memberId: string; metadata: Buffer }>,
  ): GroupAssignmentResult {
    const mode = fromProtocol(protocol)
    const snapshot = this.#configSnapshot!
    const context = {
      configSnapshot: () => snapshot,
      configFreshSnapshot: () => this.#options.configSnapshot(),
      generationId: this.#member.generationId,
      lastCompletedGenerationId: this.#lastCompletedGenerationId,
    }
    return mode === 'eager'
      ? performEagerAssignment(leaderId, members, context)
      : this.#incremental.performAssignment(leaderId, mode, members, context)
  }

  async #onJoinComplete(generation: number, protocol: string, bytes: Buffer): Promise<void> {
    const assignment = deserializeAssignment(bytes)
    this.#currentProtocol = fromProtocol(protocol)
    // Apache clears the rejoin request here, where its herder cannot have asked for one since the join began (the
    // join runs on its thread). Here the herder runs beside the join: a request made meanwhile (a connector created
    // after the leader took its config snapshot) is kept for the next round, else that connector stayed unassigned.
    // The request this round answers was cleared when the join began.
    if (this.#currentProtocol !== 'eager') {
      if (assignment.revokedConnectors.length > 0 || assignment.revokedTasks.length > 0)
        await this.#options.listener.onRevoked(assignment.leader, assignment.revokedConnectors, assignment.revokedTasks)
      const kept = this.#assignment
      if (kept !== null) {
        const revokedConnectors = new Set(assignment.revokedConnectors)
        const revokedTasks = new Set(assignment.revokedTasks.map((t) => `${t.connector}\u0000${t.task}`))
        kept.connectors = kept.connectors.filter((c) => !revokedConnectors.has(c))
        kept.tasks = kept.tasks.filter((t) => !revokedTasks.has(`${t.connector}\u0000${t.task}`))
        assignment.connectors.push(...kept.connectors)
        assignment.tasks.push(...kept.tasks)
      }
    }
    this.#assignment = assignment
    this.#lastCompletedGenerationId = generation
    this.#logger.info(
      {
        generation,
        protocol,
        leader: assignment.leader,
        connectors: assignment.connectors,
        tasks: assignment.tasks.map((t) => `${t.connector}-${t.task}`),
        delay: assignment.delay,
        error: assignment.error,
      },
      `Joined group at generation ${generation} with protocol version ${this.currentProtocolVersion}`,
    )
    await this.#options.listener.onAssigned(assignment, generation)
    // The herder has stopped what this generation revoked or did not assign: what runs now is this worker's own,
    // unless it left the group meanwhile (its herder was stuck in this very assignment).
    if (assignment.error === NO_ERROR && this.#member.generationId === generation)
      this.#confirmMembership(`the assignment of generation ${generation}`)
    // A failed assignment: the listener has caught up with the config topic; try again a little later.
    if (assignment.error !== NO_ERROR) await this.#sleep(this.#retryBackoffMs)
  }

  /**
   * Heartbeats every `heartbeat.interval.ms` from a completed join until the next join begins, also once the group
   * rebalances (Apache's heartbeat thread). Beyond Apache, the first waits after a join are shorter (see
   * FOLLOW_UP_HEARTBEAT_MS).
   */
  async #heartbeatLoop(): Promise<void> {
    this.#lastHeartbeatLoopAt = this.#now()
    while (this.#running) {
      let wait = this.#heartbeatIntervalMs
      if (this.#followUpHeartbeatMs > 0) {
        wait = Math.min(this.#followUpHeartbeatMs, wait)
        this.#followUpHeartbeatMs =
          this.#followUpHeartbeatMs * 2 < this.#heartbeatIntervalMs ? this.#followUpHeartbeatMs * 2 : 0
      }
      await this.#sleep(wait, true)
      const now = this.#now()
      const gap = now - this.#lastHeartbeatLoopAt
      this.#lastHeartbeatLoopAt = now
      // A frozen process (SIGSTOP, a suspended machine, a blocked event loop) may have been dropped from the group.
      if (gap > this.#sessionTimeoutMs) this.#doubtMembership(`this worker did not run for ${gap} ms`)
      this.membershipInDoubt()
      if (!this.#running || !this.#stable || this.#needsJoin) continue
      // busySince is Date.now() time, whatever clock the coordinator was given.
      const busySince = this.#options.busySince?.() ?? null
      const busyMs = busySince === null ? 0 : Date.now() - busySince
      if (busySince !== null && busyMs > this.#rebalanceTimeoutMs) {
        await this.#leaveWhileStuck(busySince, busyMs)
        continue
      }
      try {
        await this.#member.heartbeat()
        this.#lastHeartbeatOk = this.#now()
        // In a later generation the herder may still be stopping what that generation took away: its assignment,
        // once handled, confirms instead.
        if (this.#member.generationId === this.#doubtGeneration)
          this.#confirmMembership('a heartbeat in the same generation')
      } catch (e) {
        if (!this.#running) return
        if (e instanceof GroupError && e.kind === 'rejoin' && e.errorId === 'REBALANCE_IN_PROGRESS') {
          // The coordinator took the heartbeat (it keeps the session alive) and says a rebalance began. As Apache's
          // heartbeat thread, go on heartbeating until the join starts: the coordinator then waits for this member
          // up to the rebalance timeout, while one that stops heartbeating is dropped after the session timeout,
          // though it only waits for its herder to finish what it was doing (starting tasks, say) to rejoin.
          this.#lastHeartbeatOk = this.#now()
          if (!this.#stable) continue // the join began meanwhile
          if (!this.#rejoinRequested) this.#logger.info('Attempt to heartbeat failed since group is rebalancing')
          this.#rejoinRequested = true
          this.#signal()
          continue
        }
        this.#logger.info({ error: String(e) }, 'Attempt to heartbeat failed')
        this.#onGroupError(e, 'Heartbeat')
        this.#signal()
      }
    }
  }

  /**
   * The peer probe found that the process behind a member's REST URL has exited: the member is removed from the group
   * (LeaveGroup on its behalf) and this worker rejoins at once, so the rebalance does not wait for its session timeout
   * nor for the others' next heartbeat. Every worker that notices asks; the coordinator acts on the first.
   */
  async #removeExitedMember(memberId: string, url: string, seenOpen: boolean): Promise<void> {
    this.#logger.warn(
      `Worker ${url} (member ${memberId}) refuses connections on its REST port: its process has exited. Removing it from the group now instead of after session.timeout.ms=${this.#sessionTimeoutMs}${seenOpen ? '' : ` (its port was never seen open: if that worker is running, its advertised URL does not reach it; check rest.advertised.host.name, rest.advertised.port and rest.advertised.listener there)`}`,
    )
    try {
      const removed = await this.#member.removeMember(memberId, `its REST port ${url} refuses connections`)
      if (!removed) this.#logger.debug({ memberId }, 'The member had already left the group')
    } catch (e) {
      this.#logger.info({ error: String(e) }, `Could not remove member ${memberId} from the group`)
      return
    }
    if (this.#running) this.requestRejoin(`member ${memberId} was removed from the group`)
  }

  /**
   * Apache's poll timeout (AbstractCoordinator's heartbeat thread): the herder has been busy with one piece of work for
   * longer than `rebalance.timeout.ms`, so the group would wait for it that long in every rebalance. The worker leaves
   * the group (LeaveGroup), so the others go on without it and, after the leader's scheduled delay, take its work; its
   * tasks hold meanwhile (see `membershipInDoubt`). `#run` joins again once that work has ended.
   */
  async #leaveWhileStuck(since: number, busyMs: number): Promise<void> {
    this.#stuckSince = since
    this.#logger.warn(
      `The herder has been busy with one piece of work for ${busyMs} ms, longer than rebalance.timeout.ms=${this.#rebalanceTimeoutMs}: leaving the group so the other workers can go on without this one; it rejoins when that work ends`,
    )
    this.#doubtMembership(
      `it left the group because its herder was stuck for ${busyMs} ms`,
      `rebalance.timeout.ms=${this.#rebalanceTimeoutMs}`,
    )
    this.#stable = false
    this.#needsJoin = true
    await this.#member.leave('consumer poll timeout has expired.')
    this.#signal()
  }

  #onGroupError(e: unknown, what: string): void {
    const kind = e instanceof GroupError ? e.kind : 'fatal'
    const id = e instanceof GroupError ? e.errorId : null
    if (id === 'UNKNOWN_MEMBER_ID' || id === 'ILLEGAL_GENERATION' || id === 'FENCED_INSTANCE_ID')
      this.#doubtMembership(`the group coordinator answered ${id}`)
    if (kind === 'coordinator') {
      this.#member.markCoordinatorUnknown()
      // Java marks the coordinator unknown on such errors and rediscovers it; a missed session means a new join.
      if (this.#now() - this.#lastHeartbeatOk > this.#sessionTimeoutMs) {
        this.#doubtMembership(`no answer from the group coordinator for ${this.#now() - this.#lastHeartbeatOk} ms`)
        this.#needsJoin = true
      }
    } else {
      this.#needsJoin = true
    }
    this.#stable = kind === 'coordinator' && !this.#needsJoin && this.#stable
    if (kind === 'fatal') this.#logger.error({ error: String(e) }, `${what} failed`)
    // As Apache's AbstractCoordinator: a rebalance that began meanwhile (or a stale generation) is news to an operator.
    else if (kind === 'rejoin')
      this.#logger.info({ error: String(e) }, `${what} failed: ${id}. Need to re-join the group`)
    else this.#logger.debug({ error: String(e), kind }, `${what} failed`)
  }
}
