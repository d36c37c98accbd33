import {
  type Converter,
  type HeaderConverter,
  Headers,
  type PartitionOffsets,
  RetriableException,
  type SchemaAndValue,
  SinkRecord,
  type SinkTask,
  type TopicPartition,
} from '@ferry/api'
import { ProcessingContext } from '../errors/processing-context.ts'
import {
  PendingRetry,
  type Retrying,
  type RetryWithToleranceOperator,
} from '../errors/retry-with-tolerance-operator.ts'
import { Stage } from '../errors/stage.ts'
import { WorkerErrantRecordReporter } from '../errors/worker-errant-record-reporter.ts'
import type { IncomingRecord, KafkaConsumer } from '../kafka/clients.ts'
import type { Logger } from '../logger.ts'
import type { TransformationChain } from './transformation-chain.ts'
import {
  type ConnectorTaskId,
  defaultErrorHandling,
  type TargetState,
  type TaskErrorHandling,
  type TaskStatusListener,
  WorkerTask,
} from './worker-task.ts'

export interface SinkTaskSettings {
  topics: string[]
  offsetFlushIntervalMs: number
  maxPollRecords: number
  /** Whether `context.errantRecordReporter()` gives a reporter (a DLQ topic is set, or `errors.log.enable`). */
  errantRecordReporter?: boolean
}

const tpKey = (topic: string, partition: number) => `${topic}:${partition}`

function sinkRecord(r: IncomingRecord, key: SchemaAndValue, value: SchemaAndValue, headers: Headers): SinkRecord {
  return new SinkRecord(
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
}

/**
 * Runs a SinkTask (Apache's WorkerSinkTask): consume → convert → transform → put, and commit offsets through
 * `preCommit` every `offset.flush.interval.ms` or when the task asks. The group is `connect-<connector>`; the
 * task is told about partitions with `open`/`close` as the group assignment changes. A `put` that throws
 * RetriableException gets the same batch again after `context.timeout(ms)`.
 *
 * Converters and transformations run under the connector's error handling (`errors.*`): a record that fails there
 * is reported (log, dead letter queue with its original bytes) and skipped when tolerated. Offsets are committed
 * only after those reports, and the ones the task makes through its ErrantRecordReporter, were written.
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
  readonly #errors: TaskErrorHandling<IncomingRecord>
  readonly #operator: RetryWithToleranceOperator<IncomingRecord>
  #errant: WorkerErrantRecordReporter | null = null
  /** The consumed record of each delivered one, so a record the task reports goes to the DLQ as it was consumed. */
  readonly #originals = new WeakMap<SinkRecord, IncomingRecord>()
  /** Reports of failed records (DLQ writes) not yet waited for; offsets are committed after them. */
  #reports: Promise<void>[] = []
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
    errors?: TaskErrorHandling<IncomingRecord>,
  ) {
    super(id, initialState, listener, log)
    this.#errors = errors ?? defaultErrorHandling(converters)
    this.#operator = this.#errors.operator
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
    this.#operator.reporters(await this.#errors.reporters())
    if (this.#settings.errantRecordReporter) {
      this.#errant = new WorkerErrantRecordReporter(
        this.#operator,
        { key: this.#keyConverter, value: this.#valueConverter, header: this.#headerConverter },
        this.#originals,
      )
    }
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
      errantRecordReporter: () => this.#errant,
    })
    await this.#task.start(this.#props)
    this.#started = true
  }

  /**
   * Joins the consumer group. Part of the loop, not of the start, as Apache's consumer joins in its first poll: the
   * task is RUNNING once started, also while the group waits for its members (up to a dead one's session timeout).
   */
  async #subscribe(): Promise<void> {
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
    await this.#subscribe()
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
      if (incoming.length === 0) {
        // As Apache: put is called after every poll, empty or not, so sinks can rotate or flush on time alone.
        if (this.#assignment.length > 0) await this.#deliver([])
        continue
      }
      const converted = this.#convert(incoming)
      const records = converted instanceof Promise ? await converted : converted
      await this.#deliver(records)
      // The last record of each run of one partition (offsets only grow within a partition).
      for (let i = 0; i < incoming.length; i++) {
        const r = incoming[i]!
        const next = incoming[i + 1]
        if (next !== undefined && next.partition === r.partition && next.topic === r.topic) continue
        this.#current.set(tpKey(r.topic, r.partition), { topic: r.topic, partition: r.partition, offset: r.offset + 1 })
      }
    }
  }

  /** Converts and transforms a batch; synchronous unless a record's operation is being retried. */
  #convert(incoming: IncomingRecord[]): SinkRecord[] | Promise<SinkRecord[]> {
    const out: SinkRecord[] = []
    const done = this.#operator.run(this.#convertBatch(incoming, out))
    return done instanceof Promise ? done.then(() => out) : out
  }

  /**
   * The pipeline of one batch, as a generator: it only yields when an operation waits to be retried
   * (`errors.retry.timeout`), and then the batch is finished asynchronously.
   */
  *#convertBatch(incoming: IncomingRecord[], out: SinkRecord[]): Retrying<void> {
    const chain = this.#chain.isEmpty ? null : this.#chain
    const originals = this.#errant ? this.#originals : null
    for (const r of incoming) {
      let record: SinkRecord | null
      try {
        record = this.#convertOne(r, chain)
      } catch {
        // Something failed: the record goes through the pipeline again under the error handling, which tells the
        // stage and class, retries, reports and tolerates. Transformations and converters are pure functions, so
        // running the stages before the failing one again changes nothing.
        const context = new ProcessingContext(r)
        record = yield* this.#convertWithErrors(r, chain, context)
        if (context.reported) this.#reports.push(context.reported)
      }
      if (record === null) continue
      originals?.set(record, r)
      out.push(record)
    }
  }

  /** Converts and transforms one record; null when a transform dropped it. Throws at the first failure. */
  #convertOne(r: IncomingRecord, chain: TransformationChain<SinkRecord> | null): SinkRecord | null {
    const headers = r.headers.length > 0 ? this.#convertHeaders(r) : new Headers()
    const key = this.#keyConverter.toConnectData(r.topic, headers, r.key)
    const value = this.#valueConverter.toConnectData(r.topic, headers, r.value)
    const record = sinkRecord(r, key, value, headers)
    return chain ? chain.apply(record) : record
  }

  /**
   * `#convertOne` under the error handling: each converter and transformation is one operation of the operator
   * (stages HEADER_CONVERTER, KEY_CONVERTER, VALUE_CONVERTER, TRANSFORMATION). Null when the record was dropped, or
   * failed and is tolerated (`context.failed`).
   */
  *#convertWithErrors(
    r: IncomingRecord,
    chain: TransformationChain<SinkRecord> | null,
    context: ProcessingContext<IncomingRecord>,
  ): Retrying<SinkRecord | null> {
    const operator = this.#operator
    const classes = this.#errors.converterClasses
    let headers: Headers = new Headers()
    if (r.headers.length > 0) {
      const result = operator.execute(context, () => this.#convertHeaders(r), Stage.HEADER_CONVERTER, classes.header)
      headers = (result instanceof PendingRetry ? yield* result.attempts : result) ?? headers
    }
    const keyResult = operator.execute(
      context,
      () => this.#keyConverter.toConnectData(r.topic, headers, r.key),
      Stage.KEY_CONVERTER,
      classes.key,
    )
    const key = keyResult instanceof PendingRetry ? yield* keyResult.attempts : keyResult
    const valueResult = operator.execute(
      context,
      () => this.#valueConverter.toConnectData(r.topic, headers, r.value),
      Stage.VALUE_CONVERTER,
      classes.value,
    )
    const value = valueResult instanceof PendingRetry ? yield* valueResult.attempts : valueResult
    if (context.failed || key === null || value === null) return null
    const record = sinkRecord(r, key, value, headers)
    if (!chain) return record
    const result = chain.applyWithErrors(context, record, operator)
    return result instanceof PendingRetry ? yield* result.attempts : result
  }

  #convertHeaders(r: IncomingRecord): Headers {
    const headers = new Headers()
    for (const [k, v] of r.headers) {
      const h = this.#headerConverter.toConnectHeader(r.topic, k, v)
      headers.add(k, h.value, h.schema)
    }
    return headers
  }

  async #deliver(records: SinkRecord[]): Promise<void> {
    for (;;) {
      try {
        await this.#task.put(records)
        // A record the task reported but that is not tolerated fails the task, even if the task caught the error.
        this.#errant?.maybeThrowAsyncError()
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
    await this.#awaitReports()
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

  /** Waits until failed records reported so far are written to the DLQ; throws when one could not be. */
  async #awaitReports(): Promise<void> {
    const reports = this.#reports
    this.#reports = []
    await Promise.all(reports)
    await this.#errant?.awaitReports()
  }

  protected onStop(): void {
    this.#operator.triggerStop()
  }

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
      await this.#operator.close().catch((e) => this.log.warn({ err: e }, 'Error closing the error reporters'))
    }
  }
}
