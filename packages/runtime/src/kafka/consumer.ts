/**
 * Ferry's Kafka consumer (`KafkaConsumer`): a group member (./group-member.ts) with Java's range assignor
 * (`rangeAssigner`) that fetches with ./fetch.ts.
 */
import {
  type ClusterMetadata,
  type Connection,
  type ConnectionPool,
  Consumer,
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolAssignment,
  encodeConsumerProtocolSubscription,
  FetchIsolationLevels,
  kGetApi,
  kGetBootstrapConnection,
} from '@platformatic/kafka'
import { type Logger, silentLogger } from '../logger.ts'
import {
  CLIENT_DEFAULTS,
  clientOptions,
  type IncomingRecord,
  type PartitionOffset,
  retryBackoff,
  TopicReporter,
} from './client-common.ts'
import type { ConsumerSettings } from './client-settings.ts'
import { isRetriable, protocolError } from './errors.ts'
import {
  authorizationFailure,
  connectionSecurityException,
  describeConnectionFailure,
  KafkaClientException,
  topicAuthorizationException,
} from './failures.ts'
import { type FetchResponse, type FetchTopicRequest, fetchVersion, RecordBatchCursor, sendFetch } from './fetch.ts'
import { GroupError, GroupMember } from './group-member.ts'
import { PatternRecheck } from './pattern-recheck.ts'

interface PartitionState {
  topic: string
  partition: number
  /** The next offset to fetch; null until it is known (committed offset, else `auto.offset.reset`). */
  position: number | null
  /** The position was out of range: start again where `auto.offset.reset` says, not at the committed offset. */
  reset: boolean
  /** The position found out of range (for `auto.offset.reset=none`'s error). */
  outOfRange?: number
  /** KIP-392: the replica the leader named to fetch from (`client.rack`), until `metadata.max.age.ms` passes. */
  preferred: { node: number; until: number } | null
  /** The next offset `poll` hands out; null until a fetch answered for the partition. */
  consumed: number | null
  /** The high watermark (last stable offset under read_committed) of the last fetch; -1 before one. */
  highWatermark: number
}

/** Apache's consumer defaults (`ConsumerConfig`), and Connect's `auto.offset.reset` for sink tasks. */
export const CONSUMER_DEFAULTS = {
  sessionTimeoutMs: 45000,
  heartbeatIntervalMs: 3000,
  rebalanceTimeoutMs: 300000,
  fetchMinBytes: 1,
  fetchMaxWaitMs: 500,
  maxPartitionFetchBytes: 1048576,
  fetchMaxBytes: 52428800,
  isolationLevel: 'read_uncommitted',
  autoOffsetReset: 'earliest',
} as const

/** Fetch errors after which the partition's leader is looked up again and the fetch retried. */
const RETRIABLE_FETCH_ERRORS = new Set([3, 5, 6, 9, 56, 74, 75, 78, 100])
const OFFSET_OUT_OF_RANGE = 1
const TOPIC_AUTHORIZATION_FAILED = 29
/**
 * Consecutive failed fetches or metadata lookups (connection errors) before the consumer reports the failure; a broker
 * that cannot be reached at all (refused, timed out) is waited for however long it takes, as Java's consumer does.
 */
const MAX_FETCH_FAILURES = 10

/**
 * A group member that subscribes to topics and hands out records in batches. Offsets are committed only by
 * `commit` (never automatically). `onRevoke` is told, and awaited, before every rejoin; `onAssignment` is told the
 * full assignment after every rebalance.
 *
 * Group membership is `GroupMember`'s (join with Java's range assignor, an eager one: every partition is revoked
 * before the member joins again; sync, heartbeats every `heartbeat.interval.ms`, commits as the member of its
 * generation, leave at close), with `group.instance.id` when set (KIP-345): a consumer that joins under the instance
 * id of a member that died takes its partitions at once, and the replaced member is fenced (FENCED_INSTANCE_ID): it
 * fails with Java's FencedInstanceIdException, drops what it fetched and commits nothing. `ensureMember` lets the
 * caller check the membership is recent before it acts on records. The client's Consumer only looks up metadata,
 * committed and listed offsets. Fetching is ours (`./fetch.ts`): one Fetch in flight per broker, `max.partition.fetch.bytes` per partition, `fetch.max.bytes`,
 * `fetch.min.bytes` and `fetch.max.wait.ms` per request, the next fetch sent while the worker still works through
 * the previous response (up to about one response per partition buffered), and records decoded only when `poll`
 * hands them out. Reads follow `isolation.level` (Apache's default read_uncommitted; read_committed skips aborted
 * transactions). A partition starts at the group's committed offset, else where `auto.offset.reset` says (earliest,
 * Connect's default for sink tasks; latest; none fails the consumer with Java's NoOffsetForPartitionException
 * message), and goes there again when its position is out of range (none: Java's OffsetOutOfRangeException).
 * With `client.rack`, fetches carry the rack (KIP-392) and a partition whose leader names a preferred read replica
 * is fetched from that replica until `metadata.max.age.ms` passes or it answers with an error. Metadata older than
 * `metadata.max.age.ms` is fetched again; failures are retried with Java's exponential backoff.
 */
export class KafkaConsumer {
  readonly #consumer: Consumer
  /**
   * The client's own connections, one per broker, as Java's consumer has: fetches share them with the metadata,
   * committed and listed offsets lookups (a broker answers one request of a connection at a time, so those wait for a
   * long-polling fetch to the same broker, at most `fetch.max.wait.ms`, as in Java). The group's requests (joins,
   * heartbeats, commits) have the member's connection (`#member`), so a fetch never holds them up, nor a JoinGroup a
   * fetch.
   */
  readonly #fetchPool: ConnectionPool
  readonly #settings: ConsumerSettings
  readonly #fetchBytes: number
  readonly #fetchMaxBytes: number
  readonly #fetchMinBytes: number
  readonly #fetchMaxWaitMs: number
  readonly #isolationLevel: 0 | 1
  readonly #autoOffsetReset: 'earliest' | 'latest' | 'none'
  readonly #rack: string
  readonly #metadataMaxAgeMs: number
  #metadataAt = 0
  #fetchVersion: 11 | 12 = 12
  readonly #maxFetchVersion: number
  #topics: string[] = []
  /** A pattern subscription (`topics.regex`): `#topics` are the topics it matched when last looked at. */
  #pattern: RegExp | null = null
  /** The latest `subscribe` call (null before the first): a later one waits for it. */
  #subscribing: Promise<void> | null = null
  /** Looks at the pattern's topics every `metadata.max.age.ms`; one per consumer, as a new pattern replaces the old. */
  readonly #patternRecheck: PatternRecheck
  /** The subscription changed: the next heartbeat joins again instead. */
  #rejoinNeeded = false
  readonly #partitions = new Map<string, PartitionState>()
  /** Paused partitions (`topic\u0000partition`): not fetched, and what was fetched for them is kept back. */
  readonly #paused = new Set<string>()
  /** Fetched data not yet handed out, in fetch order. */
  #chunks: RecordBatchCursor[] = []
  #bufferedBytes = 0
  #metadata: ClusterMetadata | null = null
  #metadataRefresh: Promise<void> | null = null
  /**
   * Whether a fetch to a broker (by node id) is in flight. Kept as true/false, never deleted: a Set or Map that gains
   * and loses its one entry makes a new hash table on every delete, and an idle consumer fetches every
   * `fetch.max.wait.ms`; those tables outlive young-generation collections and end up as old-generation garbage.
   */
  readonly #inflight = new Map<number, boolean>()
  #initializing = false
  #failures = 0
  #started = false
  #waiter: (() => void) | null = null
  /** Set by `wakeup`: the next `poll` (or the one waiting) returns without waiting. */
  #wakeup = false
  #error: Error | null = null
  #closed = false
  readonly #topicReporter = new TopicReporter()
  readonly #member: GroupMember
  readonly #heartbeatIntervalMs: number
  #heartbeatTimer: NodeJS.Timeout | null = null
  /** The heartbeat (and rejoin it may lead to) in progress. */
  #beat: Promise<void> | null = null
  /** When the coordinator last confirmed this membership (the send time of a join or heartbeat it answered). */
  #confirmedAt = 0
  /** `onRevoke` is running: the partitions are still this member's until it resolves. */
  #revoking = false
  readonly #memberWaiters: Array<() => void> = []
  /** Another consumer took this one's group.instance.id. */
  #fencedOut = false
  #closing: Promise<void> | null = null
  onAssignment: ((assignment: Array<{ topic: string; partition: number }>) => void) | null = null
  /**
   * Told, before the consumer joins its group again, which partitions it gives up (all of them: the range assignor
   * is eager), and whether they were lost (the membership had expired, so their offsets cannot be committed); the
   * join waits for the promise, as Java's onPartitionsRevoked runs before the JoinGroup. Records fetched for them
   * are dropped once it resolves. A rejection fails the consumer (the next `poll` throws it).
   */
  onRevoke: ((revoked: Array<{ topic: string; partition: number }>, lost: boolean) => Promise<void>) | null = null

  /** `log`: where a failed `topics.regex` re-check is logged (the task's logger, as its other lines). */
  constructor(settings: ConsumerSettings, log: Logger = silentLogger()) {
    this.#settings = settings
    this.#fetchBytes = settings.maxPartitionFetchBytes ?? CONSUMER_DEFAULTS.maxPartitionFetchBytes
    this.#fetchMaxBytes = settings.fetchMaxBytes ?? CONSUMER_DEFAULTS.fetchMaxBytes
    this.#fetchMinBytes = settings.fetchMinBytes ?? CONSUMER_DEFAULTS.fetchMinBytes
    this.#fetchMaxWaitMs = settings.fetchMaxWaitMs ?? CONSUMER_DEFAULTS.fetchMaxWaitMs
    this.#isolationLevel = (settings.isolationLevel ?? CONSUMER_DEFAULTS.isolationLevel) === 'read_committed' ? 1 : 0
    this.#autoOffsetReset = settings.autoOffsetReset ?? CONSUMER_DEFAULTS.autoOffsetReset
    this.#rack = settings.clientRack ?? ''
    this.#metadataMaxAgeMs = settings.metadataMaxAgeMs ?? CLIENT_DEFAULTS.metadataMaxAgeMs
    this.#maxFetchVersion = settings.maxFetchVersion ?? 12
    this.#patternRecheck = new PatternRecheck(this.#metadataMaxAgeMs, () => this.#checkPattern(), log)
    // Never joins the group (membership is #member's): metadata, committed and listed offsets, API versions.
    this.#consumer = new Consumer({
      ...clientOptions(settings),
      groupId: settings.groupId,
      isolationLevel:
        this.#isolationLevel === 1 ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
      ...(this.#rack ? { clientRack: this.#rack } : {}),
      autocommit: false,
      autocreateTopics: false,
    })
    this.#consumer.on('error', (e: Error) => this.#fail(e))
    this.#fetchPool = this.#consumer.connections
    this.#heartbeatIntervalMs = settings.heartbeatIntervalMs ?? CONSUMER_DEFAULTS.heartbeatIntervalMs
    this.#member = new GroupMember({
      ...settings,
      groupId: settings.groupId,
      protocolType: 'consumer',
      sessionTimeoutMs: settings.sessionTimeoutMs ?? CONSUMER_DEFAULTS.sessionTimeoutMs,
      rebalanceTimeoutMs: settings.rebalanceTimeoutMs ?? CONSUMER_DEFAULTS.rebalanceTimeoutMs,
      groupInstanceId: settings.groupInstanceId ?? null,
      apis: this.#consumer,
    })
  }

  /** `group.instance.id`, null for a dynamic member. */
  get groupInstanceId(): string | null {
    return this.#member.groupInstanceId
  }

  /** The member id the coordinator gave this consumer ('' while it is not a member). */
  get memberId(): string {
    return this.#member.memberId
  }

  /**
   * Joins (or joins again) and takes the assignment in. Java's consumers offer `range` first (then
   * `cooperative-sticky`): offering it lets a Ferry sink task and an Apache one share a consumer group (a mixed
   * Connect cluster, a rolling migration) instead of the second to join being refused with INCONSISTENT_GROUP_PROTOCOL.
   * The leader assigns with Java's RangeAssignor.
   */
  async #join(reason: string): Promise<void> {
    this.#confirmedAt = 0
    const sent = Date.now()
    const metadata = encodeConsumerProtocolSubscription({ version: 0, topics: this.#topics })
    const joined = await this.#member.join([{ name: 'range', metadata }], reason)
    const assignments = new Map<string, Buffer>()
    if (joined.leaderId === joined.memberId && joined.members.length > 0) {
      const members = new Map<string, { topics: string[]; groupInstanceId: string | null }>()
      for (const m of joined.members) {
        const subscription = decodeConsumerProtocolSubscription(m.metadata)
        members.set(m.memberId, { topics: subscription.topics, groupInstanceId: m.groupInstanceId })
      }
      const topics = [...new Set([...members.values()].flatMap((m) => m.topics))]
      // A topic deleted since a member subscribed gets no partitions (Java's leader leaves it out too).
      const cluster = { topics: await this.#describeTopics(topics) }
      for (const { memberId, assignments: assigned } of rangeAssigner('', members, new Set(topics), cluster)) {
        assignments.set(
          memberId,
          encodeConsumerProtocolAssignment({ version: 0, assignedPartitions: [...assigned.values()] }),
        )
      }
    }
    const mine = decodeConsumerProtocolAssignment(await this.#member.sync(assignments))
    this.#confirmedAt = sent
    const assignment: Array<{ topic: string; partition: number }> = []
    for (const a of mine.assignedPartitions)
      for (const p of a.partitions) assignment.push({ topic: a.topic, partition: p })
    const key = (tps: Array<{ topic: string; partition: number }>) =>
      tps
        .map((tp) => `${tp.topic}\u0000${tp.partition}`)
        .sort()
        .join(',')
    const computed = assignments.get(joined.memberId)
    const expected = computed
      ? decodeConsumerProtocolAssignment(computed).assignedPartitions.flatMap((a) =>
          a.partitions.map((p) => ({ topic: a.topic, partition: p })),
        )
      : null
    if (assignment.some((tp) => !this.#topics.includes(tp.topic)) || (expected && key(expected) !== key(assignment))) {
      // A static member that replaced another in a stable group is handed that member's assignment, made for the
      // other's subscription (Java's consumer checks it too): join again, as the known member, so the group
      // rebalances.
      throw new GroupError('rejoin', null, 'JoinGroup failed: the assignment does not match the subscription')
    }
    this.#assigned(assignment)
    this.onAssignment?.(assignment)
    this.#kick()
  }

  #scheduleHeartbeat(): void {
    const timer = this.#heartbeatTimer
    if (this.#closed || this.#error !== null) {
      if (timer) clearTimeout(timer)
      this.#heartbeatTimer = null
      return
    }
    // One timer, moved on every interval (refresh, also once it fired) instead of a new one: a timer and its closure
    // live a whole interval, long enough to be promoted to the old generation as garbage.
    if (timer) timer.refresh()
    else this.#heartbeatTimer = setTimeout(() => void this.#heartbeat(), this.#heartbeatIntervalMs)
  }

  /** One heartbeat, and what its answer calls for: a rejoin, fencing, or a retry at the next interval. */
  #heartbeat(): Promise<void> {
    this.#beat ??= (async () => {
      try {
        if (this.#rejoinNeeded) {
          this.#rejoinNeeded = false
          await this.#rejoin(false, 'the subscribed topics changed')
          return
        }
        const sent = Date.now()
        await this.#member.heartbeat()
        this.#confirmedAt = sent
      } catch (e) {
        if (this.#closed) return
        await this.#onGroupError(e, 'heartbeat')
      } finally {
        this.#beat = null
        this.#scheduleHeartbeat()
        this.#memberNews()
      }
    })()
    return this.#beat
  }

  /** Rejoins after a rebalance or an expired membership (retrying up to the rebalance timeout); fences; fails. */
  async #onGroupError(e: unknown, what: string): Promise<void> {
    const kind = e instanceof GroupError ? e.kind : 'coordinator'
    if (kind === 'fenced') return this.#fence(e as GroupError)
    if (kind === 'fatal') return this.#fail((e as GroupError).cause as Error)
    if (kind === 'coordinator') {
      this.#member.markCoordinatorUnknown()
      await new Promise((r) => setTimeout(r, retryBackoff(this.#settings, 1)))
      return
    }
    await this.#rejoin(kind === 'unknown-member', `${what} failed: ${(e as Error).message}`)
  }

  /** Gives the partitions up and joins again, retrying up to the rebalance timeout; fences or fails on what ends it. */
  async #rejoin(lost: boolean, reason: string): Promise<void> {
    await this.#revoke(lost)
    const deadline = Date.now() + (this.#settings.rebalanceTimeoutMs ?? CONSUMER_DEFAULTS.rebalanceTimeoutMs)
    for (let attempt = 1; !this.#closed; attempt++) {
      try {
        await this.#join(reason)
        return
      } catch (error) {
        if (this.#closed) return
        const k = error instanceof GroupError ? error.kind : 'coordinator'
        if (k === 'fenced') return this.#fence(error as GroupError)
        if (k === 'fatal' || Date.now() >= deadline)
          return this.#fail(error instanceof GroupError ? (error.cause as Error) : (error as Error))
        await new Promise((r) => setTimeout(r, retryBackoff(this.#settings, attempt)))
      }
    }
  }

  /**
   * Gives every partition up before joining again (Java's onJoinPrepare with an eager assignor): the owner commits
   * what it delivered first, so the next owner starts where this one stopped. A poll in progress returns at once.
   */
  async #revoke(lost: boolean): Promise<void> {
    const held = [...this.#partitions.values()].map((p) => ({ topic: p.topic, partition: p.partition }))
    if (held.length === 0) return
    this.#revoking = true
    this.wakeup()
    this.#memberNews()
    try {
      await this.onRevoke?.(held, lost)
    } catch (e) {
      this.#fail(e as Error)
    } finally {
      this.#revoking = false
    }
    this.#partitions.clear()
    this.#paused.clear()
    this.#dropChunks(() => false)
  }

  /** Another consumer took this group.instance.id: Java's FencedInstanceIdException; nothing fetched is handed out. */
  #fence(e: GroupError): void {
    this.#fencedOut = true
    this.#confirmedAt = 0
    this.#partitions.clear()
    this.#paused.clear()
    this.#dropChunks(() => false)
    this.#fail(this.#fenced(e))
  }

  #fenced(e: GroupError): Error {
    return new KafkaClientException(
      'FencedInstanceIdException',
      `The broker rejected this static consumer since another consumer with the same group.instance.id (${this.#member.groupInstanceId}) has registered with a different member.id (${e.message})`,
    )
  }

  /**
   * Makes sure the coordinator confirmed this consumer's membership within two heartbeat intervals before the caller
   * acts on what it fetched, heartbeating (and rejoining) first when it did not: after the process was paused or its
   * event loop blocked, another consumer may hold the partitions by now. A rebalance's new assignment has been taken
   * in (`onAssignment` told) when this resolves; throws the error that ended the membership (fencing).
   */
  async ensureMember(stopped?: () => boolean): Promise<void> {
    const maxAgeMs = Math.min(
      2 * this.#heartbeatIntervalMs,
      this.#settings.sessionTimeoutMs ?? CONSUMER_DEFAULTS.sessionTimeoutMs,
    )
    while (this.#started && !this.#closed && !stopped?.()) {
      if (this.#error) {
        const e = this.#error
        this.#error = null
        throw e
      }
      // While the partitions are being revoked they are still ours (the group waits for this member to rejoin),
      // and the heartbeat in progress is the rejoin waiting for the caller: deliver what was fetched.
      if (this.#revoking || Date.now() - this.#confirmedAt <= maxAgeMs) return
      // Not the heartbeat's whole promise: a rebalance it finds waits for `onRevoke`, which may wait for the caller.
      const answered = new Promise<void>((resolve) => this.#memberWaiters.push(resolve))
      void this.#heartbeat()
      await answered
    }
  }

  /** Wakes `ensureMember`: a heartbeat ended, a revocation started, the consumer failed or closed. */
  #memberNews(): void {
    for (const resolve of this.#memberWaiters.splice(0)) resolve()
  }

  /**
   * Joins the group and starts fetching; reading starts at the committed offset, else at the earliest one. A pattern
   * subscribes to the topics it matches entirely (internal topics left out), looked at again every
   * `metadata.max.age.ms`: when they changed (a topic created or deleted) the consumer joins again with the new ones,
   * as Java's consumer does.
   *
   * Subscribing again replaces the subscription, as in Java: a new pattern replaces the old one (and its re-check),
   * and when the topics changed the consumer gives its partitions up and joins again at the next heartbeat. Topics
   * after a pattern, or a pattern after topics, is Java's IllegalStateException.
   */
  async subscribe(
    topics: string[] | RegExp,
    onWaiting?: (reason: string) => void,
    stopped?: () => boolean,
  ): Promise<void> {
    if (this.#subscribing !== null && topics instanceof RegExp !== (this.#pattern !== null))
      throw new KafkaClientException(
        'IllegalStateException',
        'Subscription to topics, partitions and pattern are mutually exclusive',
      )
    if (topics instanceof RegExp) this.#pattern = topics
    const earlier = this.#subscribing
    const subscribing = (async () => {
      // One subscribe at a time: a second one waits for the first's join, then replaces what it subscribed.
      await earlier?.catch(() => {})
      try {
        const names = topics instanceof RegExp ? await this.#matchingTopics(topics) : topics
        if (this.#started) await this.#resubscribe(names)
        else await this.#subscribe(names, onWaiting, stopped)
      } catch (e) {
        // Closed while subscribing: the caller is stopping.
        if (this.#closed) return
        throw this.#authorization(e, Array.isArray(topics) ? topics : [])
      }
    })()
    this.#subscribing = subscribing
    return subscribing
  }

  /** The existing topics (internal ones left out) that `pattern` matches, sorted. */
  async #matchingTopics(pattern: RegExp): Promise<string[]> {
    const topics = await this.#describeTopics(null)
    return [...topics.keys()].filter((t) => pattern.test(t)).sort()
  }

  /**
   * The partition count of each of `topics` that exists (every topic but internal ones for null), from one Metadata
   * request that does not create topics; topics that do not exist are left out instead of failing the call.
   */
  async #describeTopics(topics: string[] | null): Promise<Map<string, { partitionsCount: number }>> {
    type Answer = { topics: Array<{ name: string; errorCode: number; isInternal: boolean; partitions: unknown[] }> }
    const response = await new Promise<Answer>((resolve, reject) => {
      this.#consumer[kGetBootstrapConnection]((error: Error | null, connection?: Connection) => {
        if (error) return reject(error)
        this.#consumer[kGetApi]('Metadata', (e: Error | null, api: unknown) => {
          if (e) return reject(e)
          ;(api as (...args: unknown[]) => void)(connection, topics, false, false, (err: Error | null, r: unknown) => {
            // A topic with an error (unknown) fails the call; the answer is still in the error.
            const answer = (r ?? (err as { response?: unknown } | null)?.response) as Answer | undefined
            if (answer?.topics) resolve(answer)
            else reject(err)
          })
        })
      })
    })
    const out = new Map<string, { partitionsCount: number }>()
    for (const t of response.topics) {
      if (t.errorCode === TOPIC_AUTHORIZATION_FAILED && topics !== null)
        throw topicAuthorizationException([t.name], 'READ', this.#settings.security)
      if (t.errorCode !== 0 || (topics === null && t.isInternal)) continue
      out.set(t.name, { partitionsCount: t.partitions.length })
    }
    return out
  }

  /**
   * A pattern subscription looks at the topics again: when the matching ones changed, the next heartbeat joins the
   * group again with them (the range assignor gives out the new topics' partitions, and no longer the deleted ones').
   */
  async #checkPattern(): Promise<void> {
    const pattern = this.#pattern
    if (pattern === null || this.#closed) return
    this.#changeSubscription(await this.#matchingTopics(pattern))
  }

  /** The subscribed topics are now `topics`: when they changed, the next heartbeat joins the group again with them. */
  #changeSubscription(topics: string[]): void {
    if ([...topics].sort().join('\u0000') === [...this.#topics].sort().join('\u0000')) return
    this.#topics = [...topics]
    this.#rejoinNeeded = true
    void this.#heartbeat()
  }

  /**
   * A `subscribe` after one that joined: the topics replace the subscribed ones (missing ones asked for once, as the
   * first subscribe asks; one the broker does not create gets no partitions until a later join finds it), and a
   * pattern's re-check looks for the new pattern.
   */
  async #resubscribe(topics: string[]): Promise<void> {
    if (this.#pattern === null)
      await this.#consumer.metadata({ topics, autocreateTopics: true }).catch((e: unknown) => {
        if (!/Unknown topic/i.test(String((e as Error).message))) throw e
      })
    if (this.#closed) return
    if (this.#pattern !== null) this.#patternRecheck.start(this.#pattern)
    this.#changeSubscription(topics)
  }

  async #subscribe(topics: string[], onWaiting?: (reason: string) => void, stopped?: () => boolean): Promise<void> {
    // Like Java's consumer (allow.auto.create.topics=true), subscribing asks the broker to create missing topics;
    // where the broker does not, wait for them to appear instead of failing. A pattern matched existing topics only.
    for (;;) {
      if (this.#pattern !== null) {
        this.#metadata = null
        break
      }
      try {
        this.#metadata = await this.#consumer.metadata({ topics, autocreateTopics: true })
        this.#metadataAt = Date.now()
        break
      } catch (e) {
        // A broker that is down (a rolling restart, a crash) is waited for, as Java's consumer does.
        const unreachable = this.#unreachable(e)
        if (this.#closed || stopped?.() || (!unreachable && !/Unknown topic/i.test(String((e as Error).message))))
          throw e
        onWaiting?.((e as Error).message)
        await new Promise((r) => setTimeout(r, unreachable ? retryBackoff(this.#settings, 5) : 2000))
        if (this.#closed || stopped?.()) return
      }
    }
    // The broker's newest Fetch version the client knows (v17 for Kafka 4) tells which of ours to send.
    const api = await new Promise<{ version: number }>((resolve, reject) =>
      this.#consumer[kGetApi]('Fetch', (e: Error | null, a: unknown) =>
        e ? reject(e) : resolve(a as { version: number }),
      ),
    )
    const version = fetchVersion(Math.min(api.version, this.#maxFetchVersion))
    if (version === null)
      throw new Error(`The broker only supports Fetch up to v${api.version}; Ferry needs v11 (Kafka 2.3)`)
    this.#fetchVersion = version
    this.#topics = [...topics]
    // A coordinator that is moving or still loading the group (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, a lost
    // connection) or a rebalance is waited for, as Java's consumer does, up to max.poll.interval.ms.
    const joinDeadline = Date.now() + (this.#settings.rebalanceTimeoutMs ?? CONSUMER_DEFAULTS.rebalanceTimeoutMs)
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#join('subscribe')
        break
      } catch (e) {
        if (this.#closed || stopped?.()) return
        if (e instanceof GroupError && e.kind === 'fenced') throw this.#fenced(e)
        const retriable = e instanceof GroupError ? e.kind !== 'fatal' : isRetriable(e)
        if (!retriable || Date.now() >= joinDeadline) throw e instanceof GroupError ? (e.cause ?? e) : e
        await new Promise((r) => setTimeout(r, retryBackoff(this.#settings, attempt)))
        if (this.#closed || stopped?.()) return
      }
    }
    if (this.#closed) {
      // Joined just as the consumer was closed (which found no member to take out of the group): leave now.
      await this.#member.leave('the consumer was closed while joining')
      await this.#member.close()
      return
    }
    this.#started = true
    this.#kick()
    this.#scheduleHeartbeat()
    if (this.#pattern !== null) this.#patternRecheck.start(this.#pattern)
  }

  /**
   * Stops fetching the partitions (Java's `pause`); records already fetched for them are kept back until they are
   * resumed. Throws IllegalStateException for a partition this consumer is not assigned. Revoked partitions are no
   * longer paused.
   */
  pause(partitions: Array<{ topic: string; partition: number }>): void {
    for (const tp of partitions) this.#paused.add(this.#assignedKey(tp))
  }

  /** Fetches the partitions again (Java's `resume`); throws IllegalStateException for one not assigned. */
  resume(partitions: Array<{ topic: string; partition: number }>): void {
    for (const tp of partitions) this.#paused.delete(this.#assignedKey(tp))
    this.#kick()
    if (this.#chunks.length > 0) this.#wake()
  }

  /** The paused partitions. */
  paused(): Array<{ topic: string; partition: number }> {
    return [...this.#paused].map((key) => {
      const p = this.#partitions.get(key)!
      return { topic: p.topic, partition: p.partition }
    })
  }

  /**
   * The next fetch of the partition starts at `offset` (Java's `seek`); what was fetched for it beyond is dropped.
   * Throws IllegalStateException for a partition this consumer is not assigned.
   */
  seek(tp: { topic: string; partition: number }, offset: number): void {
    const state = this.#partitions.get(this.#assignedKey(tp))!
    state.position = offset
    state.consumed = offset
    state.reset = false
    this.#dropChunks((c) => c.topic !== tp.topic || c.partition !== tp.partition)
    this.#kick()
  }

  #assignedKey(tp: { topic: string; partition: number }): string {
    const key = `${tp.topic}\u0000${tp.partition}`
    if (!this.#partitions.has(key))
      throw new KafkaClientException(
        'IllegalStateException',
        `No current assignment for partition ${tp.topic}-${tp.partition}`,
      )
    return key
  }

  /** Keeps the positions of partitions still assigned, forgets the others and their fetched data. */
  #assigned(assignment: Array<{ topic: string; partition: number }>): void {
    const keys = new Set<string>()
    for (const tp of assignment) {
      const key = `${tp.topic}\u0000${tp.partition}`
      keys.add(key)
      if (!this.#partitions.has(key))
        this.#partitions.set(key, {
          topic: tp.topic,
          partition: tp.partition,
          position: null,
          reset: false,
          preferred: null,
          consumed: null,
          highWatermark: -1,
        })
    }
    for (const key of [...this.#partitions.keys()]) if (!keys.has(key)) this.#partitions.delete(key)
    for (const key of [...this.#paused]) if (!keys.has(key)) this.#paused.delete(key)
    this.#dropChunks((c) => keys.has(`${c.topic}\u0000${c.partition}`))
  }

  #dropChunks(keep: (c: RecordBatchCursor) => boolean): void {
    const kept = this.#chunks.filter(keep)
    if (kept.length === this.#chunks.length) return
    this.#chunks = kept
    this.#bufferedBytes = kept.reduce((n, c) => n + c.remainingBytes, 0)
  }

  #fail(e: Error): void {
    if (this.#closed) return
    this.#error ??= this.#authorization(e)
    this.#wake()
    this.#memberNews()
  }

  /**
   * A refusal by the broker's authorizer as Apache's exception with the missing ACL (READ on topics or group); a
   * connection refused for authentication or TLS as Apache's exception naming the broker and what failed.
   */
  #authorization(e: unknown, topics: readonly string[] = this.#topics): Error {
    const security = this.#settings.security
    return (
      authorizationFailure(e, { security, operation: 'READ', topics, group: this.#settings.groupId }) ??
      connectionSecurityException(e, security) ??
      (e as Error)
    )
  }

  /** A broker that cannot be reached (refused, timed out, unresolvable), as opposed to one that refused this client. */
  #unreachable(e: unknown): boolean {
    return describeConnectionFailure(e, this.#settings.security)?.kind === 'unreachable'
  }

  /**
   * Ends the `poll` in progress now, or the next one before it waits, as Java's `wakeup` (without its exception: that
   * poll returns what is buffered, maybe nothing).
   */
  wakeup(): void {
    this.#wakeup = true
    this.#wake()
  }

  #wake(): void {
    const w = this.#waiter
    if (w) {
      this.#waiter = null
      w()
    }
  }

  /** Sends fetches to every leader that has none in flight, while less than one response per partition is buffered. */
  #kick(): void {
    if (!this.#started || this.#closed || this.#error !== null) return
    const unknown: PartitionState[] = []
    for (const p of this.#partitions.values()) if (p.position === null) unknown.push(p)
    if (unknown.length > 0 && !this.#initializing) {
      this.#initializing = true
      this.#initPositions(unknown).then(
        () => {
          this.#initializing = false
          this.#kick()
        },
        (e: Error) => {
          // The committed offsets or the reset offsets could not be read from a broker that is down: look again.
          if (this.#unreachable(e)) {
            setTimeout(
              () => {
                this.#initializing = false
                this.#kick()
              },
              retryBackoff(this.#settings, 5),
            )
            return
          }
          this.#initializing = false
          this.#fail(e)
        },
      )
    }
    if (this.#bufferedBytes >= this.#fetchBytes * Math.max(1, this.#partitions.size)) return
    const metadata = this.#metadata
    if (metadata === null) {
      this.#refreshMetadata()
      return
    }
    const now = Date.now()
    const byNode = new Map<number, PartitionState[]>()
    let stale = now - this.#metadataAt >= this.#metadataMaxAgeMs
    const paused = this.#paused.size > 0 ? this.#paused : null
    for (const p of this.#partitions.values()) {
      if (p.position === null || paused?.has(`${p.topic}\u0000${p.partition}`)) continue
      let node = metadata.topics.get(p.topic)?.partitions[p.partition]?.leader ?? -1
      if (p.preferred !== null) {
        if (p.preferred.until <= now) p.preferred = null
        else if (metadata.brokers.has(p.preferred.node)) node = p.preferred.node
        else {
          // A replica the metadata does not know (it came back after the metadata was read): read the metadata
          // again, as Java's consumer does, or the leader keeps naming it until metadata.max.age.ms passes.
          p.preferred = null
          stale = true
        }
      }
      if (node < 0 || !metadata.brokers.has(node)) {
        stale = true
        continue
      }
      if (this.#inflight.get(node) === true) continue
      const list = byNode.get(node)
      if (list) list.push(p)
      else byNode.set(node, [p])
    }
    for (const [node, partitions] of byNode) void this.#fetchFrom(metadata, node, partitions)
    if (stale) this.#refreshMetadata()
  }

  #refreshMetadata(): void {
    if (this.#metadataRefresh || this.#closed) return
    this.#metadataRefresh = (async () => {
      try {
        // A topic of a pattern subscription may have been deleted: the metadata of the ones that still match.
        if (this.#pattern !== null) await this.#checkPattern()
        this.#metadata = await this.#consumer.metadata({ topics: this.#topics, forceUpdate: true })
        this.#metadataAt = Date.now()
      } catch (e) {
        if (++this.#failures > MAX_FETCH_FAILURES && !this.#unreachable(e)) this.#fail(e as Error)
        else await new Promise((r) => setTimeout(r, retryBackoff(this.#settings, this.#failures)))
      } finally {
        this.#metadataRefresh = null
      }
      this.#kick()
    })()
  }

  async #fetchFrom(metadata: ClusterMetadata, node: number, partitions: PartitionState[]): Promise<void> {
    this.#inflight.set(node, true)
    const requested = new Map<string, { state: PartitionState; offset: number }>()
    const byTopic = new Map<string, FetchTopicRequest>()
    for (const p of partitions) {
      requested.set(`${p.topic}\u0000${p.partition}`, { state: p, offset: p.position! })
      let t = byTopic.get(p.topic)
      if (!t) {
        t = { topic: p.topic, partitions: [] }
        byTopic.set(p.topic, t)
      }
      t.partitions.push({ partition: p.partition, fetchOffset: p.position!, partitionMaxBytes: this.#fetchBytes })
    }
    let retry = false
    try {
      const connection = await this.#fetchPool.get(metadata.brokers.get(node)!)
      const response = await sendFetch(
        connection,
        {
          version: this.#fetchVersion,
          maxWaitMs: this.#fetchMaxWaitMs,
          minBytes: this.#fetchMinBytes,
          maxBytes: this.#fetchMaxBytes,
          isolationLevel: this.#isolationLevel,
          rackId: this.#rack,
        },
        [...byTopic.values()],
      )
      this.#failures = 0
      retry = this.#apply(response, requested, node)
    } catch (e) {
      if (this.#closed) return
      // A lost connection or a broker that went away: look the leaders up again and retry, a few times.
      if (++this.#failures > MAX_FETCH_FAILURES && !this.#unreachable(e)) this.#fail(e as Error)
      else {
        this.#metadata = null
        // A preferred replica that cannot be reached: back to the leaders.
        for (const p of partitions) if (p.preferred?.node === node) p.preferred = null
        await new Promise((r) => setTimeout(r, retryBackoff(this.#settings, this.#failures)))
      }
    } finally {
      this.#inflight.set(node, false)
    }
    if (retry) {
      this.#metadata = null
      await new Promise((r) => setTimeout(r, retryBackoff(this.#settings, 1)))
    }
    this.#kick()
  }

  /** Takes a fetch response from `node` in; true when a partition's leader has to be looked up again. */
  #apply(
    response: FetchResponse,
    requested: Map<string, { state: PartitionState; offset: number }>,
    node: number,
  ): boolean {
    let stale = false
    let added = false
    for (const t of response.responses) {
      for (const p of t.partitions) {
        const key = `${t.topic}\u0000${p.partition}`
        const asked = requested.get(key)
        // Revoked (or revoked and assigned again), or repositioned, while the fetch was in flight: its data is not
        // for the current position.
        if (asked === undefined || this.#partitions.get(key) !== asked.state || asked.state.position !== asked.offset)
          continue
        const { state, offset } = asked
        const fromPreferred = state.preferred !== null && state.preferred.node === node
        if (p.errorCode === 0 && p.preferredReadReplica >= 0 && p.preferredReadReplica !== node) {
          // KIP-392: the leader names the replica to read from (it sends no records then).
          state.preferred = { node: p.preferredReadReplica, until: Date.now() + this.#metadataMaxAgeMs }
          if (p.records === null) continue
        }
        if (p.errorCode !== 0 && fromPreferred) {
          // Any error from the preferred replica (it may lag: OFFSET_OUT_OF_RANGE): back to the leader first, as Java.
          state.preferred = null
          continue
        }
        if (p.errorCode === 0) {
          state.highWatermark = this.#isolationLevel === 1 ? p.lastStableOffset : p.highWatermark
          if (state.consumed === null) state.consumed = offset
          if (p.records === null) continue
          const cursor = new RecordBatchCursor(t.topic, p.partition, p.records, offset, p.abortedTransactions)
          state.position = cursor.nextOffset
          if (cursor.remainingBytes > 0) {
            this.#chunks.push(cursor)
            this.#bufferedBytes += cursor.remainingBytes
            added = true
          }
        } else if (p.errorCode === OFFSET_OUT_OF_RANGE) {
          state.position = null
          state.consumed = null
          state.reset = true
          state.outOfRange = offset
        } else if (RETRIABLE_FETCH_ERRORS.has(p.errorCode)) {
          stale = true
        } else if (p.errorCode === TOPIC_AUTHORIZATION_FAILED) {
          this.#fail(topicAuthorizationException([t.topic], 'READ', this.#settings.security))
        } else {
          const known = protocolError(p.errorCode)
          this.#fail(
            new KafkaClientException(
              known.id,
              `Fetch of ${t.topic}-${p.partition} at offset ${offset} failed: ${known.message} (error code ${p.errorCode})`,
              { apiId: known.id, canRetry: known.canRetry },
            ),
          )
        }
      }
    }
    if (added) this.#wake()
    return stale
  }

  /** Sets the positions of newly assigned partitions: the committed offset, else where `auto.offset.reset` says. */
  async #initPositions(partitions: PartitionState[]): Promise<void> {
    const positions = new Map<PartitionState, number>()
    const committed = partitions.filter((p) => !p.reset)
    if (committed.length > 0) {
      const topics = new Map<string, number[]>()
      for (const p of committed) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition])
      const offsets = await this.#consumer.listCommittedOffsets({
        topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
      })
      for (const p of committed) {
        const o = offsets.get(p.topic)?.[p.partition]
        if (typeof o === 'bigint' && o >= 0n) positions.set(p, Number(o))
      }
    }
    const unknown = partitions.filter((p) => !positions.has(p))
    if (unknown.length > 0) {
      if (this.#autoOffsetReset === 'none') {
        const outOfRange = unknown.find((p) => p.reset)
        if (outOfRange)
          throw new KafkaClientException(
            'OffsetOutOfRangeException',
            `Fetch position FetchPosition{offset=${outOfRange.outOfRange}, offsetEpoch=Optional.empty} is out of range for partition ${outOfRange.topic}-${outOfRange.partition}`,
          )
        throw new KafkaClientException(
          'NoOffsetForPartitionException',
          `Undefined offset with no reset policy for partitions: [${unknown.map((p) => `${p.topic}-${p.partition}`).join(', ')}]`,
        )
      }
      const topics = new Map<string, number[]>()
      for (const p of unknown) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition])
      const offsets = await this.#consumer.listOffsets({
        topics: [...topics.keys()],
        partitions: Object.fromEntries(topics),
        timestamp: this.#autoOffsetReset === 'latest' ? -1n : -2n,
        isolationLevel:
          this.#isolationLevel === 1 ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
      })
      for (const p of unknown) {
        const o = offsets.get(p.topic)?.[p.partition]
        if (typeof o !== 'bigint' || o < 0n)
          throw new Error(`No ${this.#autoOffsetReset} offset for ${p.topic}-${p.partition}`)
        positions.set(p, Number(o))
      }
    }
    for (const [p, offset] of positions) {
      // Still the same assignment of the partition, and not positioned meanwhile.
      if (this.#partitions.get(`${p.topic}\u0000${p.partition}`) === p && p.position === null) {
        p.position = offset
        p.reset = false
      }
    }
  }

  /** Up to `max` buffered records, waiting at most `timeoutMs` for the first one. Throws a fetch error once. */
  async poll(max: number, timeoutMs: number): Promise<IncomingRecord[]> {
    if (this.#paused.size > 0) return this.#pollUnpaused(max, timeoutMs)
    if (this.#chunks.length === 0 && !this.#error && !this.#closed && !this.#wakeup) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#waiter = null
          resolve()
        }, timeoutMs)
        this.#waiter = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
    this.#wakeup = false
    if (this.#error) {
      const e = this.#error
      this.#error = null
      throw e
    }
    const out: IncomingRecord[] = []
    const chunks = this.#chunks
    let done = 0
    while (out.length < max && done < chunks.length) {
      const chunk = chunks[done]!
      const before = chunk.remainingBytes
      this.#topicReporter.report(chunk.topic)
      this.#take(chunk, out, max)
      this.#bufferedBytes -= before - chunk.remainingBytes
      if (out.length < max) {
        // The chunk is exhausted.
        this.#bufferedBytes -= chunk.remainingBytes
        done++
      }
    }
    if (done > 0) chunks.splice(0, done)
    if (chunks.length === 0) this.#bufferedBytes = 0
    this.#kick()
    return out
  }

  /** Moves records of `chunk` into `out` until it holds `max`; the partition's `consumed` (for `maxLag`) follows. */
  #take(chunk: RecordBatchCursor, out: IncomingRecord[], max: number): void {
    const from = out.length
    while (out.length < max) {
      const r = chunk.next()
      if (r === null) break
      out.push(r)
    }
    if (out.length > from) {
      const state = this.#partitions.get(`${chunk.topic}\u0000${chunk.partition}`)
      if (state) state.consumed = out[out.length - 1]!.offset + 1
    }
  }

  /**
   * The most records any assigned partition has beyond what `poll` has handed out: the high watermark (the last
   * stable offset under read_committed) of its last fetch minus the next offset `poll` hands out, as Java's
   * `records-lag`. 0 before any fetch answered.
   */
  maxLag(): number {
    let max = 0
    for (const p of this.#partitions.values()) {
      if (p.consumed === null || p.highWatermark < 0) continue
      const lag = p.highWatermark - p.consumed
      if (lag > max) max = lag
    }
    return max
  }

  /** `poll` while partitions are paused: their records stay buffered, in order, for after they are resumed. */
  async #pollUnpaused(max: number, timeoutMs: number): Promise<IncomingRecord[]> {
    const paused = this.#paused
    const deliverable = () => this.#chunks.some((c) => !paused.has(`${c.topic}\u0000${c.partition}`))
    const deadline = Date.now() + timeoutMs
    while (
      !deliverable() &&
      !this.#error &&
      !this.#closed &&
      !this.#wakeup &&
      paused.size > 0 &&
      Date.now() < deadline
    ) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(
          () => {
            this.#waiter = null
            resolve()
          },
          Math.max(0, deadline - Date.now()),
        )
        this.#waiter = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
    this.#wakeup = false
    if (this.#error) {
      const e = this.#error
      this.#error = null
      throw e
    }
    const out: IncomingRecord[] = []
    const kept: RecordBatchCursor[] = []
    for (const chunk of this.#chunks) {
      if (out.length >= max || paused.has(`${chunk.topic}\u0000${chunk.partition}`)) {
        kept.push(chunk)
        continue
      }
      const before = chunk.remainingBytes
      this.#topicReporter.report(chunk.topic)
      this.#take(chunk, out, max)
      this.#bufferedBytes -= before - chunk.remainingBytes
      // An exhausted chunk is dropped.
      if (out.length < max) this.#bufferedBytes -= chunk.remainingBytes
      else kept.push(chunk)
    }
    this.#chunks = kept
    if (kept.length === 0) this.#bufferedBytes = 0
    this.#kick()
    return out
  }

  /** Commits the next offsets to read for each partition. */
  async commit(offsets: PartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return
    try {
      await this.#member.commit(offsets)
    } catch (e) {
      if (e instanceof GroupError && e.kind === 'fenced') {
        this.#fence(e)
        throw this.#fenced(e)
      }
      // A rebalance or an expired membership: the heartbeat takes the group back; these offsets are not committed.
      if (e instanceof GroupError && e.kind !== 'fatal') {
        if (e.kind === 'coordinator') this.#member.markCoordinatorUnknown()
        else void this.#heartbeat()
      }
      throw this.#authorization(e instanceof GroupError ? (e.cause ?? e) : e, [...new Set(offsets.map((o) => o.topic))])
    }
  }

  /** Leaves the group and closes; a `subscribe` still joining returns at once. Calls after the first wait for it. */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#closed = true
    if (this.#heartbeatTimer) clearTimeout(this.#heartbeatTimer)
    this.#patternRecheck.stop()
    this.#wake()
    this.#memberNews()
    try {
      // A fenced member has nothing to leave; any other leaves, so its partitions move at once (a static member too),
      // also one still joining (the group would wait for it until its session expired).
      if (!this.#fencedOut && this.#member.memberId !== '') await this.#member.leave('the consumer is being closed')
      await this.#member.close()
    } finally {
      await this.#consumer.close(true)
    }
  }
}

/**
 * Java's `RangeAssignor`: per topic, the members subscribed to it in Java's `MemberInfo` order (static members by
 * group.instance.id first, then dynamic ones by member id); each gets `partitions / members` consecutive partitions
 * and the first `partitions % members` one more.
 */
export function rangeAssigner(
  _current: string,
  members: Map<string, { topics?: string[] | undefined; groupInstanceId?: string | null | undefined }>,
  _topics: Set<string>,
  metadata: { topics: Map<string, { partitionsCount: number }> },
): Array<{ memberId: string; assignments: Map<string, { topic: string; partitions: number[] }> }> {
  const out = new Map<string, Map<string, { topic: string; partitions: number[] }>>()
  for (const id of members.keys()) out.set(id, new Map())
  const subscribers = new Map<string, string[]>()
  for (const [id, m] of members)
    for (const topic of m.topics ?? []) subscribers.set(topic, [...(subscribers.get(topic) ?? []), id])
  for (const [topic, ids] of subscribers) {
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0
    ids.sort((a, b) => {
      const ia = members.get(a)?.groupInstanceId ?? null
      const ib = members.get(b)?.groupInstanceId ?? null
      if (ia !== null && ib !== null) return ia < ib ? -1 : ia > ib ? 1 : 0
      if (ia !== null) return -1
      if (ib !== null) return 1
      return a < b ? -1 : a > b ? 1 : 0
    })
    const per = Math.floor(count / ids.length)
    const extra = count % ids.length
    ids.forEach((id, i) => {
      const start = per * i + Math.min(i, extra)
      const length = per + (i < extra ? 1 : 0)
      if (length > 0) out.get(id)!.set(topic, { topic, partitions: Array.from({ length }, (_, k) => start + k) })
    })
  }
  return [...out].map(([memberId, assignments]) => ({ memberId, assignments }))
}
