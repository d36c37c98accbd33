import {
  type Converter,
  type HeaderConverter,
  Headers,
  type PartitionOffsets,
  RetriableException,
  SinkRecord,
  type SinkTask,
  type TopicPartition,
} from '@ferry/api'
import type { IncomingRecord, KafkaConsumer } from '../kafka/clients.ts'
import type { Logger } from '../logger.ts'
import type { TransformationChain } from './transformation-chain.ts'
import { type ConnectorTaskId, type TargetState, type TaskStatusListener, WorkerTask } from './worker-task.ts'

export interface SinkTaskSettings {
  topics: string[]
  offsetFlushIntervalMs: number
  maxPollRecords: number
  errorsToleranceAll: boolean
}

const tpKey = (topic: string, partition: number) => `${topic}:${partition}`

/**
 * Runs a SinkTask (Apache's WorkerSinkTask): consume → convert → transform → put, and commit offsets through
 * `preCommit` every `offset.flush.interval.ms` or when the task asks. The group is `connect-<connector>`; the
 * task is told about partitions with `open`/`close` as the group assignment changes. A `put` that throws
 * RetriableException gets the same batch again after `context.timeout(ms)`.
 */
export class WorkerSinkTask extends WorkerTask {
  readonly #task: SinkTask
  readonly #props: Record<string, string>
  readonly #keyConverter: Converter
  readonly #valueConverter: Converter
  readonly #headerConverter: HeaderConverter
  readonly #chain: TransformationChain<SinkRecord>
  readonly #consumer: KafkaConsumer
  readonly #settings: SinkTaskSettings
  /** Next offset to deliver per partition (last delivered + 1). */
  readonly #current: PartitionOffsets = new Map()
  #assignment: TopicPartition[] = []
  #pendingAssignment: TopicPartition[] | null = null
  #lastCommit = Date.now()
  #commitRequested = false
  #retryTimeoutMs = 0
  #started = false
  /** Records delivered to `put` so far. */
  recordsDelivered = 0

  constructor(
    id: ConnectorTaskId,
    task: SinkTask,
    props: Record<string, string>,
    converters: { key: Converter; value: Converter; header: HeaderConverter },
    chain: TransformationChain<SinkRecord>,
    consumer: KafkaConsumer,
    settings: SinkTaskSettings,
    initialState: TargetState,
    listener: TaskStatusListener,
    log: Logger,
  ) {
    super(id, initialState, listener, log)
    this.#task = task
    this.#props = props
    this.#keyConverter = converters.key
    this.#valueConverter = converters.value
    this.#headerConverter = converters.header
    this.#chain = chain
    this.#consumer = consumer
    this.#settings = settings
  }

  protected async initializeAndStart(): Promise<void> {
    this.#task.initialize({
      configs: () => this.#props,
      offset: () => {
        throw new Error('Seeking with SinkTaskContext.offset() is not supported by Ferry yet')
      },
      timeout: (ms) => {
        this.#retryTimeoutMs = ms
      },
      assignment: () => [...this.#assignment],
      pause: () => {
        throw new Error('Pausing partitions with SinkTaskContext.pause() is not supported by Ferry yet')
      },
      resume: () => {
        throw new Error('Resuming partitions with SinkTaskContext.resume() is not supported by Ferry yet')
      },
      requestCommit: () => {
        this.#commitRequested = true
      },
      errantRecordReporter: () => null,
    })
    await this.#task.start(this.#props)
    this.#started = true
    this.#consumer.onAssignment = (assignment) => {
      this.#pendingAssignment = assignment
    }
    await this.#consumer.subscribe(
      this.#settings.topics,
      (reason) =>
        this.log.warn(
          `Waiting for the topics to exist (${reason}); set auto.create.topics.enable on the broker or create them`,
        ),
      () => this.stopping,
    )
  }

  protected async execute(): Promise<void> {
    while (!this.stopping) {
      if (this.#pendingAssignment) await this.#rebalanced(this.#pendingAssignment)
      if (this.paused) {
        await this.waitWhilePaused()
        continue
      }
      if (this.#commitRequested || Date.now() - this.#lastCommit >= this.#settings.offsetFlushIntervalMs) {
        await this.#commit()
      }
      const incoming = await this.#consumer.poll(this.#settings.maxPollRecords, 500)
      if (this.#pendingAssignment) {
        // Records fetched for partitions that were just revoked are dropped by retainOnly; deliver the rest.
        await this.#rebalanced(this.#pendingAssignment)
      }
      if (incoming.length === 0) continue
      const records = this.#convert(incoming)
      await this.#deliver(records)
      for (const r of incoming) {
        const key = tpKey(r.topic, r.partition)
        this.#current.set(key, { topic: r.topic, partition: r.partition, offset: r.offset + 1 })
      }
    }
  }

  #convert(incoming: IncomingRecord[]): SinkRecord[] {
    const out: SinkRecord[] = []
    const chain = this.#chain.isEmpty ? null : this.#chain
    for (const r of incoming) {
      const headers = new Headers()
      for (const [k, v] of r.headers) {
        const h = this.#headerConverter.toConnectHeader(r.topic, k, v)
        headers.add(k, h.value, h.schema)
      }
      const key = this.#keyConverter.toConnectData(r.topic, headers, r.key)
      const value = this.#valueConverter.toConnectData(r.topic, headers, r.value)
      const record = new SinkRecord(
        r.topic,
        r.partition,
        key.schema,
        key.value,
        value.schema,
        value.value,
        r.offset,
        r.timestamp >= 0 ? r.timestamp : null,
        r.timestamp >= 0 ? 'CreateTime' : 'NoTimestampType',
        headers,
      )
      const transformed = chain ? chain.apply(record) : record
      if (transformed !== null) out.push(transformed)
    }
    return out
  }

  async #deliver(records: SinkRecord[]): Promise<void> {
    for (;;) {
      try {
        await this.#task.put(records)
        this.recordsDelivered += records.length
        return
      } catch (e) {
        if (!(e instanceof RetriableException) || this.stopping) throw e
        const wait = this.#retryTimeoutMs
        this.log.warn(`RetriableException from put (${e.message}); delivering the same batch again in ${wait} ms`)
        await new Promise((r) => setTimeout(r, wait))
      }
    }
  }

  async #rebalanced(assignment: TopicPartition[]): Promise<void> {
    this.#pendingAssignment = null
    const next = new Set(assignment.map((tp) => tpKey(tp.topic, tp.partition)))
    const previous = new Set(this.#assignment.map((tp) => tpKey(tp.topic, tp.partition)))
    const revoked = this.#assignment.filter((tp) => !next.has(tpKey(tp.topic, tp.partition)))
    const added = assignment.filter((tp) => !previous.has(tpKey(tp.topic, tp.partition)))
    this.#consumer.retainOnly(assignment)
    if (revoked.length > 0) {
      await this.#commit(revoked)
      await this.#task.close(revoked)
      for (const tp of revoked) this.#current.delete(tpKey(tp.topic, tp.partition))
    }
    this.#assignment = assignment
    if (added.length > 0) await this.#task.open(added)
    this.log.info({ assignment: assignment.map((tp) => tpKey(tp.topic, tp.partition)) }, 'Partitions assigned')
  }

  /** Commits what `preCommit` returns, limited to partitions this task holds (or held, for `revoked`). */
  async #commit(revoked: TopicPartition[] = []): Promise<void> {
    this.#commitRequested = false
    this.#lastCommit = Date.now()
    if (this.#current.size === 0) return
    const current: PartitionOffsets = new Map(this.#current)
    let committable: PartitionOffsets
    try {
      committable = await this.#task.preCommit(current)
    } catch (e) {
      this.log.error({ err: e }, 'Commit of offsets threw an unexpected exception; offsets are not committed')
      return
    }
    const allowed = new Set([...this.#assignment, ...revoked].map((tp) => tpKey(tp.topic, tp.partition)))
    const offsets = []
    for (const [key, o] of committable) {
      const consumed = this.#current.get(key)
      if (!allowed.has(key) || !consumed || o.offset > consumed.offset) continue
      offsets.push({ topic: o.topic, partition: o.partition, offset: o.offset })
    }
    try {
      await this.#consumer.commit(offsets)
    } catch (e) {
      // After a rebalance the group rejects commits of the old generation; those records are redelivered.
      this.log.warn(`Offset commit failed (${(e as Error).message}); the records will be delivered again`)
    }
  }

  protected onStop(): void {}

  protected async close(): Promise<void> {
    try {
      if (this.#started && !this.failed) await this.#commit()
      if (this.#started && this.#assignment.length > 0) await this.#task.close(this.#assignment)
    } catch (e) {
      this.log.warn({ err: e }, 'Error committing or closing partitions at stop')
    }
    try {
      if (this.#started) await this.#task.stop()
    } finally {
      await this.#consumer.close().catch((e) => this.log.warn({ err: e }, 'Error closing the consumer'))
    }
  }
}
