/**
 * A member of a classic Kafka group: the FindCoordinator / JoinGroup / SyncGroup / Heartbeat / LeaveGroup exchange,
 * and OffsetCommit as a member, driven on the client's low-level request API. Connect's group (protocol type
 * `connect`, herder/distributed/worker-coordinator.ts) and the sink tasks' consumer groups (`consumer`, clients.ts)
 * use it; the client's own Consumer could not be told that a static member fenced by the broker must stop (it joins
 * again under the same group.instance.id, taking the partitions back from the consumer that replaced it). It keeps
 * the member id and generation; deciding when to join, what metadata to send and how to assign is the caller's.
 */
import {
  type API,
  Base,
  type Callback,
  type Connection,
  FindCoordinatorKeyTypes,
  kGetApi,
  kGetBootstrapConnection,
  kGetConnection,
} from '@platformatic/kafka'
import { clientOptions } from './client-common.ts'
import type { ClientSettings } from './client-settings.ts'

/** One protocol offered in JoinGroup. */
export interface GroupProtocol {
  name: string
  metadata: Buffer
}

export interface JoinGroupResult {
  generationId: number
  memberId: string
  leaderId: string
  /** The protocol the coordinator chose. */
  protocol: string
  /** Every member's metadata for the chosen protocol (only the leader gets them). */
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>
}

/** Why a group operation failed, as the caller must react to it. */
export type GroupErrorKind =
  /** The coordinator moved or is unreachable: look it up again. */
  | 'coordinator'
  /** A rebalance started, or this member's generation is stale: join again. */
  | 'rejoin'
  /** The coordinator does not know this member (expired): join again as a new member. */
  | 'unknown-member'
  /** Another member joined with this member's group.instance.id (KIP-345): this one must stop, not join again. */
  | 'fenced'
  /** Anything else (configuration, authorization, protocol). */
  | 'fatal'

export class GroupError extends Error {
  readonly kind: GroupErrorKind
  /** Kafka's error id (`REBALANCE_IN_PROGRESS`, ...) when the broker answered. */
  readonly errorId: string | null

  constructor(kind: GroupErrorKind, errorId: string | null, message: string, cause?: unknown) {
    super(message, { cause })
    this.name = 'GroupError'
    this.kind = kind
    this.errorId = errorId
  }
}

const COORDINATOR_ERRORS = new Set(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS'])
const REJOIN_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION'])

function protocolErrorIds(error: unknown): string[] {
  const out: string[] = []
  const visit = (e: unknown, depth: number) => {
    if (e === null || typeof e !== 'object' || depth > 5) return
    const id = (e as { apiId?: unknown }).apiId
    if (typeof id === 'string') out.push(id)
    const errors = (e as { errors?: unknown }).errors
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1)
  }
  visit(error, 0)
  return out
}

/** Turns a client error into a GroupError. */
function classify(error: unknown, what: string): GroupError {
  if (error instanceof GroupError) return error
  const ids = protocolErrorIds(error)
  const id = ids[0] ?? null
  const message = `${what} failed: ${id ?? (error as Error)?.message ?? String(error)}`
  if (id === null) return new GroupError('coordinator', null, message, error)
  if (ids.some((i) => COORDINATOR_ERRORS.has(i))) return new GroupError('coordinator', id, message, error)
  if (ids.includes('FENCED_INSTANCE_ID')) return new GroupError('fenced', 'FENCED_INSTANCE_ID', message, error)
  if (ids.includes('UNKNOWN_MEMBER_ID')) return new GroupError('unknown-member', id, message, error)
  if (ids.some((i) => REJOIN_ERRORS.has(i))) return new GroupError('rejoin', id, message, error)
  return new GroupError('fatal', id, message, error)
}

export interface GroupMemberOptions extends ClientSettings {
  groupId: string
  protocolType: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  /** `group.instance.id`: a static member (KIP-345); null or absent for a dynamic one. */
  groupInstanceId?: string | null | undefined
  /**
   * A client of the same cluster whose broker API versions the member uses instead of asking for them on its own
   * connection (a consumer's client: one list of about 80 APIs per consumer instead of two).
   */
  apis?: Base | undefined
}

/** A group as DescribeGroups tells it. */
export interface GroupDescription {
  /** `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Empty` or `Dead`. */
  state: string
  /** The protocol the group chose (`sessioned`, `compatible`, `default` for Connect). */
  protocol: string
  members: Array<{ memberId: string; clientId: string; clientHost: string; metadata: Buffer }>
}

type AnyApi = ((...args: unknown[]) => void) & { version: number }

/** See the module comment. Not safe for concurrent calls other than `leave`/`close` during a `join`. */
export class GroupMember {
  readonly groupId: string
  readonly groupInstanceId: string | null
  readonly #options: GroupMemberOptions
  #client: Base
  #coordinator: { host: string; port: number; nodeId: number } | null = null
  #memberId = ''
  #generationId = -1
  #protocol: string | null = null
  /**
   * A client of its own for DescribeGroups: a broker answers a connection's requests one after another, and a
   * JoinGroup waits for the whole group, so a describe on the member's connection would wait out the rebalance.
   */
  #describeClient: Base | null = null

  constructor(options: GroupMemberOptions) {
    this.groupId = options.groupId
    this.groupInstanceId = options.groupInstanceId ?? null
    this.#options = options
    this.#client = this.#newClient()
  }

  #newClient(): Base {
    const o = this.#options
    // A JoinGroup waits for the whole group, up to the rebalance timeout (Java adds 5 s, as here).
    const requestTimeout = Math.max(o.requestTimeoutMs ?? 30000, o.rebalanceTimeoutMs + 5000)
    return new Base({ ...clientOptions(o, 0), timeout: requestTimeout, requestTimeout })
  }

  /** The member id the coordinator gave (empty before the first join, and after it forgot us). */
  get memberId(): string {
    return this.#memberId
  }

  get generationId(): number {
    return this.#generationId
  }

  /** The protocol chosen in the last join. */
  get protocol(): string | null {
    return this.#protocol
  }

  get coordinatorKnown(): boolean {
    return this.#coordinator !== null
  }

  /** Forgets the coordinator (to look it up again before the next request). */
  markCoordinatorUnknown(): void {
    this.#coordinator = null
  }

  /** Forgets generation and member id: the next join is as a new member. */
  resetMember(): void {
    this.#memberId = ''
    this.#generationId = -1
  }

  /** Forgets the generation only (the next join keeps the member id). */
  resetGeneration(): void {
    this.#generationId = -1
  }

  async #api(name: string, client: Base = this.#client): Promise<AnyApi> {
    const source = this.#options.apis ?? client
    return promisify<AnyApi>((cb) => source[kGetApi](name, cb as unknown as Callback<API<unknown[], unknown>>))
  }

  /** Looks up the group coordinator (FindCoordinator through any broker). */
  async findCoordinator(): Promise<void> {
    try {
      const connection = await promisify<Connection>((cb) => this.#client[kGetBootstrapConnection](cb))
      const api = await this.#api('FindCoordinator')
      const response = await call<{
        coordinators?: Array<{ nodeId: number; host: string; port: number; errorCode: number }>
        nodeId?: number
        host?: string
        port?: number
        errorCode?: number
      }>(api, connection, FindCoordinatorKeyTypes.GROUP, [this.groupId])
      const c =
        response.coordinators?.[0] ?? (response as { nodeId: number; host: string; port: number; errorCode: number })
      if (c.errorCode !== 0) throw new GroupError('coordinator', String(c.errorCode), 'FindCoordinator failed')
      this.#coordinator = { host: c.host, port: c.port, nodeId: c.nodeId }
    } catch (e) {
      this.#coordinator = null
      throw classify(e, 'FindCoordinator')
    }
  }

  async #coordinatorConnection(client: Base): Promise<Connection> {
    if (!this.#coordinator) await this.findCoordinator()
    const c = this.#coordinator!
    try {
      return await promisify<Connection>((cb) => client[kGetConnection]({ host: c.host, port: c.port }, cb))
    } catch (e) {
      this.#coordinator = null
      throw classify(e, 'Connecting to the group coordinator')
    }
  }

  async #request<T>(name: string, what: string, args: unknown[], client: Base = this.#client): Promise<T> {
    const connection = await this.#coordinatorConnection(client)
    const api = await this.#api(name, client)
    try {
      return await call<T>(api, connection, ...args)
    } catch (e) {
      const err = classify(e, what)
      if (err.kind === 'coordinator') this.#coordinator = null
      throw err
    }
  }

  /**
   * JoinGroup with the given protocols. A first join that the coordinator answers with MEMBER_ID_REQUIRED is
   * repeated with the id it assigned. An UNKNOWN_MEMBER_ID resets the member id.
   */
  async join(protocols: GroupProtocol[], reason = ''): Promise<JoinGroupResult> {
    const o = this.#options
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await this.#request<{
          generationId: number
          protocolName: string | null
          leader: string
          memberId: string
          members: Array<{ memberId: string; groupInstanceId?: string | null; metadata: Buffer }>
        }>('JoinGroup', 'JoinGroup', [
          this.groupId,
          o.sessionTimeoutMs,
          o.rebalanceTimeoutMs,
          this.#memberId,
          this.groupInstanceId,
          o.protocolType,
          protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
          reason,
        ])
        this.#memberId = response.memberId
        this.#generationId = response.generationId
        this.#protocol = response.protocolName
        return {
          generationId: response.generationId,
          memberId: response.memberId,
          leaderId: response.leader,
          protocol: response.protocolName ?? '',
          members: response.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId ?? null,
            metadata: Buffer.from(m.metadata),
          })),
        }
      } catch (e) {
        const err = e as GroupError
        if (err.errorId === 'MEMBER_ID_REQUIRED' && attempt < 3) {
          const memberId = findMemberId(err.cause)
          if (memberId) {
            this.#memberId = memberId
            continue
          }
        }
        if (err.kind === 'unknown-member') this.resetMember()
        throw err
      }
    }
  }

  /**
   * DescribeGroups for this group, asked of its coordinator: its state and each member with the metadata of the
   * protocol the group chose (empty while the group is between generations).
   */
  async describe(): Promise<GroupDescription> {
    this.#describeClient ??= this.#newClient()
    const response = await this.#request<{
      groups: Array<{
        errorCode: number
        groupState: string
        protocolData: string
        members: Array<{ memberId: string; clientId: string; clientHost: string; memberMetadata: Buffer }>
      }>
    }>('DescribeGroups', 'DescribeGroups', [[this.groupId], false], this.#describeClient)
    const group = response.groups[0]
    if (!group) throw new GroupError('fatal', null, 'DescribeGroups answered no group')
    return {
      state: group.groupState,
      protocol: group.protocolData,
      members: group.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: Buffer.from(m.memberMetadata),
      })),
    }
  }

  /** SyncGroup: the leader sends every member's assignment, the others none; resolves with this member's. */
  async sync(assignments: ReadonlyMap<string, Buffer>): Promise<Buffer> {
    try {
      const response = await this.#request<{ assignment: Buffer }>('SyncGroup', 'SyncGroup', [
        this.groupId,
        this.#generationId,
        this.#memberId,
        this.groupInstanceId,
        this.#options.protocolType,
        this.#protocol,
        [...assignments].map(([memberId, assignment]) => ({ memberId, assignment })),
      ])
      return Buffer.from(response.assignment)
    } catch (e) {
      const err = e as GroupError
      if (err.kind === 'unknown-member') this.resetMember()
      else if (err.errorId === 'ILLEGAL_GENERATION') this.resetGeneration()
      throw err
    }
  }

  /** Heartbeat; throws a GroupError of kind `rejoin` when a rebalance started, `fenced` when replaced. */
  async heartbeat(): Promise<void> {
    try {
      await this.#request('Heartbeat', 'Heartbeat', [
        this.groupId,
        this.#generationId,
        this.#memberId,
        this.groupInstanceId,
      ])
    } catch (e) {
      const err = e as GroupError
      if (err.kind === 'unknown-member') this.resetMember()
      else if (err.errorId === 'ILLEGAL_GENERATION') this.resetGeneration()
      throw err
    }
  }

  /**
   * OffsetCommit as this member of its generation (with its group.instance.id), so the coordinator refuses the
   * commit of a member that was replaced (FENCED_INSTANCE_ID), expired (UNKNOWN_MEMBER_ID) or is a generation behind
   * (ILLEGAL_GENERATION).
   */
  async commit(offsets: ReadonlyArray<{ topic: string; partition: number; offset: number }>): Promise<void> {
    const topics = new Map<string, { name: string; partitions: unknown[] }>()
    for (const o of offsets) {
      let t = topics.get(o.topic)
      if (!t) {
        t = { name: o.topic, partitions: [] }
        topics.set(o.topic, t)
      }
      t.partitions.push({
        partitionIndex: o.partition,
        committedOffset: BigInt(o.offset),
        committedLeaderEpoch: -1,
        committedMetadata: null,
      })
    }
    await this.#request('OffsetCommit', 'OffsetCommit', [
      this.groupId,
      this.#generationId,
      this.#memberId,
      this.groupInstanceId,
      [...topics.values()],
    ])
  }

  /**
   * LeaveGroup, so the group rebalances at once instead of after the session timeout; then forgets the member id.
   * Errors are swallowed (leaving is best effort, as in Java). A join in flight is abandoned first.
   */
  async leave(reason: string): Promise<void> {
    const memberId = this.#memberId
    this.resetMember()
    if (!memberId) return
    // A JoinGroup in flight holds the connection: drop it and leave through a fresh one.
    await this.#client.close().catch(() => {})
    this.#client = this.#newClient()
    try {
      // A static member leaves by its group.instance.id too (LeaveGroup v3+), so its partitions move at once.
      await this.#request('LeaveGroup', 'LeaveGroup', [
        this.groupId,
        [{ memberId, groupInstanceId: this.groupInstanceId, reason }],
      ])
    } catch {
      // best effort
    }
  }

  /**
   * LeaveGroup on behalf of another, dynamic member (as Admin's removeMembersFromConsumerGroup does), so the group
   * rebalances without it now instead of after its session timeout. Resolves false when the coordinator no longer
   * knows that member (it left, or another member removed it first). Sent on the DescribeGroups connection, beside a
   * join of this member's own that may be in flight.
   */
  async removeMember(memberId: string, reason: string): Promise<boolean> {
    this.#describeClient ??= this.#newClient()
    try {
      await this.#request(
        'LeaveGroup',
        'LeaveGroup',
        [this.groupId, [{ memberId, groupInstanceId: null, reason }]],
        this.#describeClient,
      )
      return true
    } catch (e) {
      if (e instanceof GroupError && e.kind === 'unknown-member') return false
      throw e
    }
  }

  async close(): Promise<void> {
    await this.#client.close().catch(() => {})
    await this.#describeClient?.close().catch(() => {})
    this.#describeClient = null
  }
}

function findMemberId(error: unknown): string | null {
  let found: string | null = null
  const visit = (e: unknown, depth: number) => {
    if (found || e === null || typeof e !== 'object' || depth > 5) return
    const id = (e as { memberId?: unknown }).memberId
    if (typeof id === 'string' && id.length > 0) found = id
    const response = (e as { response?: { memberId?: unknown } }).response
    if (!found && typeof response?.memberId === 'string' && response.memberId.length > 0) found = response.memberId
    const errors = (e as { errors?: unknown }).errors
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1)
  }
  visit(error, 0)
  return found
}

function promisify<T>(fn: (cb: (error: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    fn((error, value) => (error ? reject(error) : resolve(value as T)))
  })
}

function call<T>(api: AnyApi, connection: Connection, ...args: unknown[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    api(connection, ...args, (error: Error | null, value?: T) => (error ? reject(error) : resolve(value as T)))
  })
}
