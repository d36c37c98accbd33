/**
 * The leader's assignors, as Apache's `EagerAssignor` and `IncrementalCooperativeAssignor` (KIP-415) compute them,
 * step for step and in the same iteration orders, so that given the same members, config and history they produce
 * the same assignments (and, through connect-protocol.ts, the same bytes). Neither does I/O: the config snapshot, the
 * generation ids and the clock come in as arguments.
 */

import { copyCapacity, javaStringOrder } from '../../java/hash-order.ts'
import type { ConnectorTaskId } from '../../worker/worker-task.ts'
import {
  type Assignment,
  CONFIG_MISMATCH,
  type ConnectProtocolCompatibility,
  deserializeMetadata,
  NO_ERROR,
  protocolVersion,
  serializeAssignment,
  serializeAssignmentV0,
  type WorkerState,
} from './connect-protocol.ts'
import { compareStrings, compareTasks, javaTaskOrder, taskKey } from './java-order.ts'

/** What the assignors read from the config topic (Apache's `ClusterConfigState`). */
export interface AssignorConfigSnapshot {
  /** The config topic offset the snapshot reflects. */
  readonly offset: number
  /** Every configured connector. */
  connectors(): Iterable<string>
  /** The connector's committed task ids, 0..n-1 (none while its task configs are inconsistent). */
  tasks(connector: string): ConnectorTaskId[]
}

/** What the leader's assignor needs from its coordinator (Apache's `WorkerCoordinator`). */
export interface AssignorContext {
  /** The snapshot taken when this worker joined. */
  configSnapshot(): AssignorConfigSnapshot
  /** A snapshot of everything the worker has read so far (called when the first one is behind the group). */
  configFreshSnapshot(): AssignorConfigSnapshot
  /** Generation of the rebalance in progress. */
  readonly generationId: number
  /** Generation of the last rebalance this worker completed (-1 for none). */
  readonly lastCompletedGenerationId: number
}

/** One member of the JoinGroup response. */
export interface GroupMemberMetadata {
  memberId: string
  metadata: Buffer
}

/** Who runs what after an assignment, for forwarding requests (Apache's `WorkerCoordinator.LeaderState`). */
export class LeaderState {
  readonly members: ReadonlyMap<string, WorkerState>
  readonly #connectorOwners = new Map<string, string>()
  readonly #taskOwners = new Map<string, string>()

  constructor(
    members: ReadonlyMap<string, WorkerState>,
    connectors: ReadonlyMap<string, readonly string[]>,
    tasks: ReadonlyMap<string, readonly ConnectorTaskId[]>,
  ) {
    this.members = members
    for (const [member, list] of connectors) for (const c of list) this.#connectorOwners.set(c, member)
    for (const [member, list] of tasks) for (const t of list) this.#taskOwners.set(taskKey(t), member)
  }

  /** The REST URL of the worker that runs the connector, or null. */
  connectorOwnerUrl(connector: string): string | null {
    const owner = this.#connectorOwners.get(connector)
    return owner === undefined ? null : (this.members.get(owner)?.url ?? null)
  }

  /** The REST URL of the worker that runs the task, or null. */
  taskOwnerUrl(id: ConnectorTaskId): string | null {
    const owner = this.#taskOwners.get(taskKey(id))
    return owner === undefined ? null : (this.members.get(owner)?.url ?? null)
  }
}

/** The result of a leader's assignment: SyncGroup bytes per member, and the leader state. */
export interface GroupAssignmentResult {
  assignments: Map<string, Buffer>
  /** Null when the assignment failed with CONFIG_MISMATCH. */
  leaderState: LeaderState | null
  /** The snapshot the assignment used (the fresh one when the first was behind). */
  configSnapshot: AssignorConfigSnapshot
}

/** Members' metadata in the order Apache's `HashMap<memberId, ...>` iterates it. */
function readMembers(members: readonly GroupMemberMetadata[]): Map<string, WorkerState> {
  const decoded = new Map<string, WorkerState>()
  for (const m of members) decoded.set(m.memberId, deserializeMetadata(m.metadata))
  const out = new Map<string, WorkerState>()
  for (const id of javaStringOrder([...decoded.keys()])) out.set(id, decoded.get(id)!)
  return out
}

/**
 * The largest config offset in the group, and the snapshot to assign from: the leader's, a fresh one when that is
 * behind, or null when even the fresh one is behind (every member then gets CONFIG_MISMATCH).
 */
function ensureLeaderConfig(
  maxOffset: number,
  context: AssignorContext,
): { snapshot: AssignorConfigSnapshot; offset: number } | { snapshot: AssignorConfigSnapshot; offset: null } {
  const snapshot = context.configSnapshot()
  if (snapshot.offset >= maxOffset) return { snapshot, offset: maxOffset }
  const fresh = context.configFreshSnapshot()
  if (fresh.offset < maxOffset) return { snapshot, offset: null }
  return { snapshot: fresh, offset: fresh.offset }
}

function maxConfigOffset(members: ReadonlyMap<string, WorkerState>): number {
  let max = Number.NEGATIVE_INFINITY
  for (const s of members.values()) max = Math.max(max, s.offset)
  return max
}

// ---------------------------------------------------------------------------------------------------------------
// Eager

/**
 * Apache's `EagerAssignor`: round-robin over the sorted members, first every connector (sorted by name), then every
 * task (connectors sorted, task ids ascending), with one iterator that carries on from the connectors to the tasks.
 * Returns each member's complete assignment (members without work are absent).
 */
export function eagerAssignment(
  snapshot: AssignorConfigSnapshot,
  memberIds: Iterable<string>,
): { connectors: Map<string, string[]>; tasks: Map<string, ConnectorTaskId[]> } {
  const members = [...memberIds].sort(compareStrings)
  const connectors = [...snapshot.connectors()].sort(compareStrings)
  const connectorAssignments = new Map<string, string[]>()
  const taskAssignments = new Map<string, ConnectorTaskId[]>()
  let next = 0
  const member = () => members[next++ % members.length]!
  for (const c of connectors) push(connectorAssignments, member(), c)
  for (const c of connectors)
    for (const t of [...snapshot.tasks(c)].sort(compareTasks)) push(taskAssignments, member(), t)
  return { connectors: connectorAssignments, tasks: taskAssignments }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

/** The eager leader's whole job: read the members, assign, and write v0 assignments. */
export function performEagerAssignment(
  leaderId: string,
  members: readonly GroupMemberMetadata[],
  context: AssignorContext,
): GroupAssignmentResult {
  const configs = readMembers(members)
  const maxOffset = maxConfigOffset(configs)
  const leaderUrl = configs.get(leaderId)?.url ?? null
  const ensured = ensureLeaderConfig(maxOffset, context)
  const fill = (
    error: number,
    offset: number,
    connectors: Map<string, string[]>,
    tasks: Map<string, ConnectorTaskId[]>,
  ) => {
    const out = new Map<string, Buffer>()
    for (const member of configs.keys()) {
      out.set(
        member,
        serializeAssignmentV0({
          version: 0,
          error,
          leader: leaderId,
          leaderUrl,
          offset,
          connectors: connectors.get(member) ?? [],
          tasks: tasks.get(member) ?? [],
          revokedConnectors: [],
          revokedTasks: [],
          delay: 0,
        }),
      )
    }
    return out
  }
  if (ensured.offset === null) {
    return {
      assignments: fill(CONFIG_MISMATCH, maxOffset, new Map(), new Map()),
      leaderState: null,
      configSnapshot: ensured.snapshot,
    }
  }
  const { connectors, tasks } = eagerAssignment(ensured.snapshot, configs.keys())
  return {
    assignments: fill(NO_ERROR, ensured.offset, connectors, tasks),
    leaderState: new LeaderState(configs, connectors, tasks),
    configSnapshot: ensured.snapshot,
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Incremental cooperative

/** A member's connectors and tasks. */
export interface ConnectorsAndTasks {
  connectors: string[]
  tasks: ConnectorTaskId[]
}

/** What one incremental round decided, per member (Apache's `ClusterAssignment`); every member is a key. */
export interface ClusterAssignment {
  newlyAssignedConnectors: Map<string, string[]>
  newlyAssignedTasks: Map<string, ConnectorTaskId[]>
  newlyRevokedConnectors: Map<string, string[]>
  newlyRevokedTasks: Map<string, ConnectorTaskId[]>
  /** What each member runs once the round is applied. */
  allAssignedConnectors: Map<string, string[]>
  allAssignedTasks: Map<string, ConnectorTaskId[]>
}

/** A set that iterates in insertion order, keyed by `key` (Java's `LinkedHashSet`). */
class LinkedSet<T> implements Iterable<T> {
  readonly #key: (t: T) => string
  readonly #map = new Map<string, T>()

  constructor(key: (t: T) => string, items: Iterable<T> = []) {
    this.#key = key
    for (const t of items) this.add(t)
  }

  get size(): number {
    return this.#map.size
  }

  has(t: T): boolean {
    return this.#map.has(this.#key(t))
  }

  add(t: T): void {
    const k = this.#key(t)
    if (!this.#map.has(k)) this.#map.set(k, t)
  }

  addAll(items: Iterable<T>): void {
    for (const t of items) this.add(t)
  }

  removeAll(items: Iterable<T>): void {
    for (const t of items) this.#map.delete(this.#key(t))
  }

  clear(): void {
    this.#map.clear()
  }

  [Symbol.iterator](): Iterator<T> {
    return this.#map.values()
  }

  toArray(): T[] {
    return [...this.#map.values()]
  }
}

const id = (s: string) => s

class Cat {
  readonly connectors: LinkedSet<string>
  readonly tasks: LinkedSet<ConnectorTaskId>

  constructor(connectors: Iterable<string> = [], tasks: Iterable<ConnectorTaskId> = []) {
    this.connectors = new LinkedSet(id, connectors)
    this.tasks = new LinkedSet(taskKey, tasks)
  }

  get isEmpty(): boolean {
    return this.connectors.size === 0 && this.tasks.size === 0
  }

  addAll(other: Cat): this {
    this.connectors.addAll(other.connectors)
    this.tasks.addAll(other.tasks)
    return this
  }
}

interface WorkerLoad {
  worker: string
  connectors: LinkedSet<string>
  tasks: LinkedSet<ConnectorTaskId>
}

const isEmptyLoad = (w: WorkerLoad) => w.connectors.size === 0 && w.tasks.size === 0

/** `base` minus every `subtract`, sorted (Apache builds these in `TreeSet`s). */
function diffSorted(base: Cat, ...subtract: Cat[]): Cat {
  const connectors = [...base.connectors].filter((c) => !subtract.some((s) => s.connectors.has(c)))
  const tasks = [...base.tasks].filter((t) => !subtract.some((s) => s.tasks.has(t)))
  return new Cat(connectors.sort(compareStrings), tasks.sort(compareTasks))
}

/** Per member, the part of its assignment that is in `set`, in the order of a `HashSet` copy of the assignment. */
function intersection(set: Cat, members: ReadonlyMap<string, Cat>): Map<string, Cat> {
  const out = new Map<string, Cat>()
  for (const [member, a] of members) {
    const connectors = javaStringOrder(a.connectors.toArray(), copyCapacity(a.connectors.size))
    const tasks = javaTaskOrder(a.tasks.toArray(), copyCapacity(a.tasks.size))
    out.set(
      member,
      new Cat(
        connectors.filter((c) => set.connectors.has(c)),
        tasks.filter((t) => set.tasks.has(t)),
      ),
    )
  }
  return out
}

function addAllTo(base: Map<string, Cat>, toAdd: ReadonlyMap<string, Cat>): void {
  for (const [worker, a] of toAdd) {
    let b = base.get(worker)
    if (!b) {
      b = new Cat()
      base.set(worker, b)
    }
    b.addAll(a)
  }
}

function removeAllFrom(loads: WorkerLoad[], toRemove: ReadonlyMap<string, Cat>): void {
  for (const w of loads) {
    const r = toRemove.get(w.worker)
    if (!r) continue
    w.connectors.removeAll(r.connectors)
    w.tasks.removeAll(r.tasks)
  }
}

/** Apache's `ExponentialBackoff` with jitter 0. */
function exponentialBackoff(initial: number, multiplier: number, max: number): (attempts: number) => number {
  const initialInterval = Math.min(max, initial)
  const expMax = max > initialInterval ? Math.log(max / Math.max(initialInterval, 1)) / Math.log(multiplier) : 0
  return (attempts) => {
    if (expMax === 0) return initialInterval
    const term = initialInterval * multiplier ** Math.min(attempts, expMax)
    return Math.min(Math.trunc(term), max)
  }
}

export interface IncrementalAssignorOptions {
  /** `scheduled.rebalance.max.delay.ms`. */
  maxDelayMs: number
  /** The clock, in epoch milliseconds. */
  now?: () => number
}

/**
 * Apache's `IncrementalCooperativeAssignor`. It keeps the previous round's assignment (dropped when the group's
 * last completed generation is not the one it assigned), the scheduled rebalance for lost work and the revocation
 * backoff, so one instance must serve all the rounds a worker leads.
 */
export class IncrementalCooperativeAssignor {
  readonly #maxDelay: number
  readonly #now: () => number
  readonly #backoff: (attempts: number) => number
  #previousAssignment = new Cat()
  readonly #previousRevocation = new Cat()
  #revokedInPrevious = false
  readonly #candidateWorkers = new LinkedSet<string>(id)
  #scheduledRebalance = 0
  #delay = 0
  #previousGenerationId = -1
  #previousMembers = new Set<string>()
  #numSuccessiveRevokingRebalances = 0

  constructor(options: IncrementalAssignorOptions) {
    this.#maxDelay = options.maxDelayMs
    this.#now = options.now ?? Date.now
    this.#backoff = exponentialBackoff(this.#maxDelay === 0 ? 0 : 1, 40, this.#maxDelay)
  }

  /** The delay sent with the last assignment (0: no rebalance scheduled). */
  get delay(): number {
    return this.#delay
  }

  /** When the scheduled rebalance for lost work is due (epoch ms; 0 for none). */
  get scheduledRebalance(): number {
    return this.#scheduledRebalance
  }

  /** Workers that were empty while lost work waited (they get it when the delay expires). */
  get candidateWorkersForReassignment(): string[] {
    return this.#candidateWorkers.toArray()
  }

  get previousGenerationId(): number {
    return this.#previousGenerationId
  }

  /** For tests that start from a given generation, as Apache's do. */
  set previousGenerationId(value: number) {
    this.#previousGenerationId = value
  }

  /** The leader's whole job: read the members, check the config offset, assign, and write v1/v2 assignments. */
  performAssignment(
    leaderId: string,
    protocol: ConnectProtocolCompatibility,
    members: readonly GroupMemberMetadata[],
    context: AssignorContext,
  ): GroupAssignmentResult {
    const configs = readMembers(members)
    const maxOffset = maxConfigOffset(configs)
    const version = protocolVersion(protocol)
    const leaderUrl = configs.get(leaderId)?.url ?? null
    const ensured = ensureLeaderConfig(maxOffset, context)
    if (ensured.offset === null) {
      const empty = new Map<string, never[]>()
      const cluster: ClusterAssignment = {
        newlyAssignedConnectors: empty,
        newlyAssignedTasks: empty,
        newlyRevokedConnectors: empty,
        newlyRevokedTasks: empty,
        allAssignedConnectors: empty,
        allAssignedTasks: empty,
      }
      return {
        assignments: fillAssignments(configs, CONFIG_MISMATCH, leaderId, leaderUrl, maxOffset, cluster, 0, version),
        leaderState: null,
        configSnapshot: ensured.snapshot,
      }
    }
    const memberAssignments = new Map<string, ConnectorsAndTasks>()
    for (const [member, state] of configs) {
      memberAssignments.set(member, {
        connectors: state.assignment?.connectors ?? [],
        tasks: state.assignment?.tasks ?? [],
      })
    }
    const cluster = this.performTaskAssignment(
      ensured.snapshot,
      context.lastCompletedGenerationId,
      context.generationId,
      memberAssignments,
    )
    return {
      assignments: fillAssignments(
        configs,
        NO_ERROR,
        leaderId,
        leaderUrl,
        ensured.offset,
        cluster,
        this.#delay,
        version,
      ),
      leaderState: new LeaderState(configs, cluster.allAssignedConnectors, cluster.allAssignedTasks),
      configSnapshot: ensured.snapshot,
    }
  }

  /**
   * One round of the algorithm. `memberAssignments` is what each member reports it runs, in JoinGroup order.
   * Returned maps iterate members in the order Apache's `HashMap`s do.
   */
  performTaskAssignment(
    snapshot: AssignorConfigSnapshot,
    lastCompletedGenerationId: number,
    currentGenerationId: number,
    memberAssignments: ReadonlyMap<string, ConnectorsAndTasks>,
  ): ClusterAssignment {
    const members = javaStringOrder([...memberAssignments.keys()])
    const assignments = new Map<string, Cat>()
    for (const m of members) {
      const a = memberAssignments.get(m)!
      assignments.set(m, new Cat(a.connectors, a.tasks))
    }

    if (this.#previousGenerationId !== lastCompletedGenerationId) this.#previousAssignment = new Cat()

    const configuredConnectors = [...new Set(snapshot.connectors())].sort(compareStrings)
    const configured = new Cat(
      configuredConnectors,
      configuredConnectors.flatMap((c) => snapshot.tasks(c)),
    )

    const active = new Cat()
    for (const a of assignments.values()) active.connectors.addAll(a.connectors)
    for (const a of assignments.values()) active.tasks.addAll(a.tasks)

    // A revocation of the previous round that did not take effect: start from what is actually running.
    if (!this.#previousRevocation.isEmpty) {
      const prev = this.#previousRevocation
      if (
        [...prev.connectors].some((c) => active.connectors.has(c)) ||
        [...prev.tasks].some((t) => active.tasks.has(t))
      )
        this.#previousAssignment = active
      prev.connectors.clear()
      prev.tasks.clear()
    }

    const previous = this.#previousAssignment
    const deleted = diffSorted(previous, configured)
    const duplicated = duplicatedAssignments(assignments)
    const lost = diffSorted(previous, active, deleted)
    const created = diffSorted(configured, previous, active)

    // What each worker runs now, less deleted work (to compute what is newly assigned at the end).
    const current = new Map<string, { connectors: string[]; tasks: ConnectorTaskId[] }>()
    for (const [m, a] of assignments) {
      current.set(m, {
        connectors: [...a.connectors].filter((c) => !deleted.connectors.has(c)),
        tasks: [...a.tasks].filter((t) => !deleted.tasks.has(t)),
      })
    }

    const toRevoke = new Map<string, Cat>()
    const deletedToRevoke = intersection(deleted, assignments)
    addAllTo(toRevoke, deletedToRevoke)
    const duplicatedToRevoke = intersection(duplicated, assignments)
    addAllTo(toRevoke, duplicatedToRevoke)

    // The next assignment: what runs now, less revocations, plus what gets assigned below.
    const next: WorkerLoad[] = [...assignments].map(([worker, a]) => ({
      worker,
      connectors: a.connectors,
      tasks: a.tasks,
    }))
    removeAllFrom(next, deletedToRevoke)
    removeAllFrom(next, duplicatedToRevoke)

    const lostToReassign = new Cat()
    this.#handleLostAssignments(lost, lostToReassign, next)

    // No load-balancing revocations while a delayed rebalance is active.
    if (this.#delay === 0) {
      const balancing = loadBalancingRevocations(configured, next)
      if (this.#revokedInPrevious && balancing.size > 0) {
        this.#numSuccessiveRevokingRebalances++
        this.#delay = this.#backoff(this.#numSuccessiveRevokingRebalances)
        if (this.#delay !== 0) {
          this.#scheduledRebalance = this.#now() + this.#delay
        } else {
          addAllTo(toRevoke, balancing)
          removeAllFrom(next, balancing)
        }
      } else if (balancing.size > 0) {
        addAllTo(toRevoke, balancing)
        removeAllFrom(next, balancing)
        this.#revokedInPrevious = true
      } else if (this.#revokedInPrevious) {
        this.#revokedInPrevious = false
        this.#numSuccessiveRevokingRebalances = 0
      }
    } else {
      this.#revokedInPrevious = false
    }

    const toAssign = new Cat().addAll(created).addAll(lostToReassign)
    assignConnectors(next, toAssign.connectors.toArray())
    assignTasks(next, toAssign.tasks.toArray())

    const byWorker = new Map(next.map((w) => [w.worker, w]))
    const newlyAssignedConnectors = new Map<string, string[]>()
    const newlyAssignedTasks = new Map<string, ConnectorTaskId[]>()
    const allAssignedConnectors = new Map<string, string[]>()
    const allAssignedTasks = new Map<string, ConnectorTaskId[]>()
    const newlyRevokedConnectors = new Map<string, string[]>()
    const newlyRevokedTasks = new Map<string, ConnectorTaskId[]>()
    for (const m of members) {
      const w = byWorker.get(m)!
      const cur = current.get(m)!
      const curConnectors = new Set(cur.connectors)
      const curTasks = new Set(cur.tasks.map(taskKey))
      newlyAssignedConnectors.set(
        m,
        [...w.connectors].filter((c) => !curConnectors.has(c)),
      )
      newlyAssignedTasks.set(
        m,
        [...w.tasks].filter((t) => !curTasks.has(taskKey(t))),
      )
    }
    for (const m of javaStringOrder([...toRevoke.keys()])) {
      const r = toRevoke.get(m)!
      newlyRevokedConnectors.set(m, r.connectors.toArray())
      newlyRevokedTasks.set(m, r.tasks.toArray())
    }
    for (const m of members) {
      const w = byWorker.get(m)!
      const r = toRevoke.get(m)
      allAssignedConnectors.set(
        m,
        [...w.connectors].filter((c) => !r?.connectors.has(c)),
      )
      allAssignedTasks.set(
        m,
        [...w.tasks].filter((t) => !r?.tasks.has(t)),
      )
    }

    // Remember this round: what is assigned, less revocations, plus lost work still waiting for its owner.
    const nextPrevious = new Cat()
    for (const m of members) nextPrevious.connectors.addAll(byWorker.get(m)!.connectors)
    for (const m of members) nextPrevious.tasks.addAll(byWorker.get(m)!.tasks)
    for (const r of toRevoke.values()) {
      nextPrevious.connectors.removeAll(r.connectors)
      nextPrevious.tasks.removeAll(r.tasks)
      this.#previousRevocation.addAll(r)
    }
    nextPrevious.addAll(lost)
    this.#previousAssignment = nextPrevious
    this.#previousGenerationId = currentGenerationId
    this.#previousMembers = new Set(members)

    return {
      newlyAssignedConnectors,
      newlyAssignedTasks,
      newlyRevokedConnectors,
      newlyRevokedTasks,
      allAssignedConnectors,
      allAssignedTasks,
    }
  }

  #handleLostAssignments(lost: Cat, lostToReassign: Cat, workers: WorkerLoad[]): void {
    if (lost.isEmpty && !this.#revokedInPrevious) {
      this.#resetDelay()
      return
    }
    const now = this.#now()
    const activeMembers = new Set(workers.map((w) => w.worker))
    if (this.#scheduledRebalance <= 0 && [...this.#previousMembers].every((m) => activeMembers.has(m))) {
      // Nobody left: the missing work is probably from workers that missed the previous assignment.
      lostToReassign.addAll(lost)
      return
    }
    if (this.#maxDelay === 0) {
      lostToReassign.addAll(lost)
      return
    }
    if (this.#scheduledRebalance > 0 && now >= this.#scheduledRebalance) {
      // The delay expired: lost work goes to the workers that were empty during it, or to everyone.
      const byWorker = new Map(workers.map((w) => [w.worker, w]))
      const candidates = this.#candidateWorkers
        .toArray()
        .map((w) => byWorker.get(w))
        .filter((w): w is WorkerLoad => w !== undefined)
      if (candidates.length > 0) {
        let i = 0
        for (const c of lost.connectors) candidates[i++ % candidates.length]!.connectors.add(c)
        i = 0
        for (const t of lost.tasks) candidates[i++ % candidates.length]!.tasks.add(t)
      } else {
        lostToReassign.addAll(lost)
      }
      this.#resetDelay()
      this.#revokedInPrevious = false
    } else {
      this.#candidateWorkers.addAll(javaStringOrder(workers.filter(isEmptyLoad).map((w) => w.worker)))
      if (now < this.#scheduledRebalance) {
        const diff = this.#scheduledRebalance - now
        this.#delay = diff > 0 ? Math.min(diff, this.#maxDelay) : 0
      } else {
        this.#delay = this.#maxDelay
      }
      this.#scheduledRebalance = now + this.#delay
    }
  }

  #resetDelay(): void {
    this.#candidateWorkers.clear()
    this.#scheduledRebalance = 0
    this.#delay = 0
  }
}

function duplicatedAssignments(assignments: ReadonlyMap<string, Cat>): Cat {
  const connectorCounts = new Map<string, number>()
  const taskCounts = new Map<string, { id: ConnectorTaskId; n: number }>()
  for (const a of assignments.values()) {
    for (const c of a.connectors) connectorCounts.set(c, (connectorCounts.get(c) ?? 0) + 1)
    for (const t of a.tasks) {
      const e = taskCounts.get(taskKey(t))
      if (e) e.n++
      else taskCounts.set(taskKey(t), { id: t, n: 1 })
    }
  }
  return new Cat(
    [...connectorCounts].filter(([, n]) => n > 1).map(([c]) => c),
    [...taskCounts.values()].filter((e) => e.n > 1).map((e) => e.id),
  )
}

/**
 * Revocations that bring every worker down to its fair share: floor(total / workers), with the remainder handed
 * out as one extra each, to the first workers (in iteration order) that run more than the floor. Computed
 * separately for connectors and tasks; revokes the first items of each over-allocated worker.
 */
function loadBalancingRevocations(configured: Cat, workers: readonly WorkerLoad[]): Map<string, Cat> {
  const result = new Map<string, Cat>()
  if (workers.every(isEmptyLoad) || configured.isEmpty) return result
  const connectors = revocationsFor(configured.connectors.size, workers, (w) => w.connectors)
  const tasks = revocationsFor(configured.tasks.size, workers, (w) => w.tasks)
  for (const [worker, revoked] of connectors) {
    const b = result.get(worker) ?? new Cat()
    b.connectors.addAll(revoked)
    result.set(worker, b)
  }
  for (const [worker, revoked] of tasks) {
    const b = result.get(worker) ?? new Cat()
    b.tasks.addAll(revoked)
    result.set(worker, b)
  }
  return result
}

function revocationsFor<E>(
  total: number,
  workers: readonly WorkerLoad[],
  allocation: (w: WorkerLoad) => LinkedSet<E>,
): Map<string, E[]> {
  const min = Math.trunc(total / workers.length)
  const extra = total % workers.length
  const atMin = workers.filter((w) => allocation(w).size === min).length
  const atExtra = workers.filter((w) => allocation(w).size === min + 1).length
  const result = new Map<string, E[]>()
  if (atExtra === extra && atMin + atExtra === workers.length) return result
  let allocatedExtras = 0
  for (const w of workers) {
    const size = allocation(w).size
    if (size <= min) continue
    let max: number
    if (allocatedExtras < extra) {
      allocatedExtras++
      if (size === min + 1) continue
      max = min + 1
    } else {
      max = min
    }
    const revoked: E[] = []
    result.set(w.worker, revoked)
    const it = allocation(w)[Symbol.iterator]()
    for (let n = 0; size - n > max; n++) {
      const next = it.next()
      if (next.done) break
      revoked.push(next.value)
    }
  }
  return result
}

/** Connector counts ascending, then worker id. */
function byConnectorLoad(a: WorkerLoad, b: WorkerLoad): number {
  return a.connectors.size - b.connectors.size || compareStrings(a.worker, b.worker)
}

function byTaskLoad(a: WorkerLoad, b: WorkerLoad): number {
  return a.tasks.size - b.tasks.size || compareStrings(a.worker, b.worker)
}

/**
 * Round-robin over the least-loaded workers: each pass gives one item to every worker whose load equals the
 * least-loaded one's (which grows as it is given items), starting with the workers sorted by load.
 */
function assignConnectors(workers: WorkerLoad[], connectors: readonly string[]): void {
  assignRoundRobin(
    workers,
    connectors,
    byConnectorLoad,
    (w) => w.connectors.size,
    (w, c) => w.connectors.add(c),
  )
}

function assignTasks(workers: WorkerLoad[], tasks: readonly ConnectorTaskId[]): void {
  assignRoundRobin(
    workers,
    tasks,
    byTaskLoad,
    (w) => w.tasks.size,
    (w, t) => w.tasks.add(t),
  )
}

function assignRoundRobin<E>(
  workers: WorkerLoad[],
  items: readonly E[],
  compare: (a: WorkerLoad, b: WorkerLoad) => number,
  load: (w: WorkerLoad) => number,
  assign: (w: WorkerLoad, item: E) => void,
): void {
  workers.sort(compare)
  const first = workers[0]!
  let i = 0
  while (i < items.length) {
    const firstLoad = load(first)
    let upTo = workers.findIndex((w) => load(w) > firstLoad)
    if (upTo < 0) upTo = workers.length
    for (let k = 0; k < upTo && i < items.length; k++) assign(workers[k]!, items[i++]!)
  }
}

function fillAssignments(
  members: ReadonlyMap<string, WorkerState>,
  error: number,
  leaderId: string,
  leaderUrl: string | null,
  offset: number,
  cluster: ClusterAssignment,
  delay: number,
  version: number,
): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  for (const member of members.keys()) {
    const assignment: Assignment = {
      version,
      error,
      leader: leaderId,
      leaderUrl,
      offset,
      connectors: cluster.newlyAssignedConnectors.get(member) ?? [],
      tasks: cluster.newlyAssignedTasks.get(member) ?? [],
      revokedConnectors: cluster.newlyRevokedConnectors.get(member) ?? [],
      revokedTasks: cluster.newlyRevokedTasks.get(member) ?? [],
      delay,
    }
    out.set(member, serializeAssignment(assignment, version >= 2)!)
  }
  return out
}
