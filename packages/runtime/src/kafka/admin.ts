/** Ferry's Kafka admin client (`KafkaAdmin`): topics, offsets, groups and the principal's access, for the worker. */
import {
  Admin,
  type Connection,
  FindCoordinatorKeyTypes,
  kGetApi,
  kGetBootstrapConnection,
  kGetConnection,
} from '@platformatic/kafka'
import { CLIENT_DEFAULTS, clientOptions, type PartitionOffset } from './client-common.ts'
import type { AdminSettings } from './client-settings.ts'
import { kafkaErrorIds } from './errors.ts'
import { type AclOperation, authorizationFailure, authorizedOperations } from './failures.ts'
import { TransactionCoordinator } from './transaction-coordinator.ts'

/** What `KafkaAdmin.topicAuthorizedOperations` says of a topic. */
export type TopicAccess = { exists: boolean; operations: Set<AclOperation> | null } | 'denied'

/** Topic administration for the worker. */
export class KafkaAdmin {
  readonly #admin: Admin
  readonly #settings: AdminSettings
  readonly #security: AdminSettings['security']
  /** Ends the retries of calls under way when the client closes. */
  readonly #closing = new AbortController()

  constructor(settings: AdminSettings) {
    this.#admin = new Admin(clientOptions(settings))
    this.#settings = settings
    this.#security = settings.security
  }

  async listTopics(): Promise<string[]> {
    return this.#admin.listTopics()
  }

  async createTopic(
    name: string,
    partitions = 1,
    replicationFactor = -1,
    configs: Record<string, string> = {},
  ): Promise<void> {
    try {
      await this.#admin.createTopics({
        topics: [name],
        partitions,
        replicas: replicationFactor,
        configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
      })
    } catch (e) {
      throw authorizationFailure(e, { security: this.#security, operation: 'CREATE', topics: [name] }) ?? e
    }
  }

  /** Deletes topics. */
  async deleteTopics(names: string[]): Promise<void> {
    await this.#admin.deleteTopics({ topics: names })
  }

  /** The earliest and the next offset of every partition of a topic. */
  async offsets(topic: string): Promise<Array<{ partition: number; start: number; end: number }>> {
    const metadata = await this.#admin.metadata({ topics: [topic] })
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0
    const ask = async (timestamp: bigint) => {
      const partitions = Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp }))
      const result = await this.#admin.listOffsets({ topics: [{ name: topic, partitions }] })
      const out = new Map<number, number>()
      for (const t of result) for (const p of t.partitions) out.set(p.partitionIndex, Number(p.offset))
      return out
    }
    const [start, end] = await Promise.all([ask(-2n), ask(-1n)])
    return [...end].map(([partition, e]) => ({ partition, start: start.get(partition) ?? 0, end: e }))
  }

  /**
   * Whether each topic exists and what the principal may do on it (KIP-430's topic_authorized_operations, from a
   * Metadata request that asks for them; they come for topics that do not exist too; null when the broker did not
   * say), or `'denied'` for a topic the principal may not even describe.
   */
  async topicAuthorizedOperations(topics: string[]): Promise<Map<string, TopicAccess>> {
    const response = await new Promise<{
      topics: Array<{ name: string; errorCode: number; topicAuthorizedOperations: number }>
    }>((resolve, reject) => {
      this.#admin[kGetBootstrapConnection]((error: Error | null, connection?: Connection) => {
        if (error) return reject(error)
        this.#admin[kGetApi]('Metadata', (e: Error | null, api: unknown) => {
          if (e)
            return reject(e)
            // topics, allow_auto_topic_creation=false, include_topic_authorized_operations=true (v8+)
          ;(api as (...args: unknown[]) => void)(connection, topics, false, true, (err: Error | null, r: unknown) => {
            // A topic with an error (unknown, not authorized) fails the call; its answer is still in the error.
            const answer = (r ?? (err as { response?: unknown } | null)?.response) as
              | { topics: Array<{ name: string; errorCode: number; topicAuthorizedOperations: number }> }
              | undefined
            if (answer?.topics) resolve(answer)
            else reject(err)
          })
        })
      })
    })
    const out = new Map<string, TopicAccess>()
    for (const t of response.topics)
      out.set(
        t.name,
        t.errorCode === 29
          ? 'denied'
          : { exists: t.errorCode !== 3, operations: authorizedOperations(t.topicAuthorizedOperations) },
      )
    return out
  }

  /**
   * What the principal may do on a group (DescribeGroups' authorized_operations, asked of the group's coordinator);
   * `'denied'` without DESCRIBE on it. Sent without the library's Admin.describeGroups, which reads every member's
   * metadata as a consumer's and cannot read a Connect group's.
   */
  async groupAuthorizedOperations(group: string): Promise<Set<AclOperation> | null | 'denied'> {
    const bootstrap = await new Promise<Connection>((resolve, reject) =>
      this.#admin[kGetBootstrapConnection]((e: Error | null, c?: Connection) => (e ? reject(e) : resolve(c!))),
    )
    let found: { nodeId?: number; host: string; port: number; errorCode: number }
    try {
      const response = await this.#call<{
        coordinators?: Array<{ host: string; port: number; errorCode: number }>
        host?: string
        port?: number
        errorCode?: number
      }>('FindCoordinator', bootstrap, FindCoordinatorKeyTypes.GROUP, [group])
      found = (response.coordinators?.[0] ?? response) as typeof found
    } catch (e) {
      if (kafkaErrorIds(e).includes('GROUP_AUTHORIZATION_FAILED')) return 'denied'
      throw e
    }
    if (found.errorCode !== 0)
      throw new Error(`FindCoordinator for group ${group} failed with error ${found.errorCode}`)
    const coordinator = await new Promise<Connection>((resolve, reject) =>
      this.#admin[kGetConnection]({ host: found.host, port: found.port }, (e: Error | null, c?: Connection) =>
        e ? reject(e) : resolve(c!),
      ),
    )
    try {
      const response = await this.#call<{ groups: Array<{ authorizedOperations: number }> }>(
        'DescribeGroups',
        coordinator,
        [group],
        true,
      )
      const bits = response.groups[0]?.authorizedOperations
      return typeof bits === 'number' ? authorizedOperations(bits) : null
    } catch (e) {
      if (kafkaErrorIds(e).includes('GROUP_AUTHORIZATION_FAILED')) return 'denied'
      throw e
    }
  }

  /** Sends one request of the newest version both sides know. */
  #call<T>(apiName: string, connection: Connection, ...args: unknown[]): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      this.#admin[kGetApi](apiName, (e: Error | null, api: unknown) => {
        if (e) return reject(e)
        ;(api as (...a: unknown[]) => void)(connection, ...args, (err: Error | null, r: T) =>
          err ? reject(err) : resolve(r),
        )
      }),
    )
  }

  /**
   * Java's `Admin.fenceProducers`: for each transactional id, InitProducerId at its coordinator without a producer id
   * or epoch, which bumps the id's epoch: its open transaction is aborted and its live producer's next request fails
   * with PRODUCER_FENCED. CONCURRENT_TRANSACTIONS counts as fenced (the abort is under way), as Java's
   * FenceProducersHandler takes it. `timeoutMs` is the transaction timeout sent (Java: the request timeout by default).
   * Rejects with the first id's failure (TransactionalIdAuthorizationException, ...).
   */
  async fenceProducers(transactionalIds: readonly string[], options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.#settings.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs
    // The call's deadline: options.timeoutMs, else Java's default.api.timeout.ms.
    const signal = AbortSignal.any([this.#closing.signal, AbortSignal.timeout(options.timeoutMs ?? 60000)])
    await Promise.all(
      [...new Set(transactionalIds)].map((id) =>
        new TransactionCoordinator(this.#admin, this.#settings, id, signal).initProducerId(timeoutMs, undefined, true),
      ),
    )
  }

  /** The cluster id the brokers report. */
  async clusterId(): Promise<string> {
    return (await this.#admin.metadata({ topics: [] })).id
  }

  /** A consumer group's committed offsets (partitions without a committed offset are left out). */
  async consumerGroupOffsets(groupId: string): Promise<PartitionOffset[]> {
    const groups = await this.#admin.listConsumerGroupOffsets({ groups: [groupId] })
    const out: PartitionOffset[] = []
    for (const g of groups)
      for (const t of g.topics)
        for (const p of t.partitions) {
          if (p.committedOffset >= 0n)
            out.push({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset) })
        }
    return out
  }

  /** Commits offsets for a group that has no active members (Kafka refuses otherwise: UNKNOWN_MEMBER_ID). */
  async alterConsumerGroupOffsets(groupId: string, offsets: PartitionOffset[]): Promise<void> {
    const topics = new Map<string, Array<{ partition: number; offset: bigint }>>()
    for (const o of offsets) {
      const list = topics.get(o.topic) ?? []
      list.push({ partition: o.partition, offset: BigInt(o.offset) })
      topics.set(o.topic, list)
    }
    await this.#admin.alterConsumerGroupOffsets({
      groupId,
      topics: [...topics].map(([name, partitionOffsets]) => ({ name, partitionOffsets })),
    })
  }

  /** Removes a group's committed offsets for some partitions (GROUP_SUBSCRIBED_TO_TOPIC while members consume them). */
  async deleteConsumerGroupOffsets(
    groupId: string,
    partitions: Array<{ topic: string; partition: number }>,
  ): Promise<void> {
    const topics = new Map<string, number[]>()
    for (const p of partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition])
    await this.#admin.deleteConsumerGroupOffsets({
      groupId,
      topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
    })
  }

  /** Deletes a consumer group; resolves when it did not exist. Fails with NON_EMPTY_GROUP while it has members. */
  async deleteConsumerGroup(groupId: string): Promise<void> {
    try {
      await this.#admin.deleteGroups({ groups: [groupId] })
    } catch (e) {
      if (kafkaErrorIds(e).includes('GROUP_ID_NOT_FOUND')) return
      throw e
    }
  }

  /** How many records a topic holds (end minus start offsets; exact for topics without transactions or compaction). */
  async recordCount(topic: string): Promise<number> {
    return (await this.offsets(topic)).reduce((n, p) => n + p.end - p.start, 0)
  }

  async close(): Promise<void> {
    this.#closing.abort()
    await this.#admin.close()
  }
}
