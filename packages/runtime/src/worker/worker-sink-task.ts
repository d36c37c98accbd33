import {
  type Converter,
  type DeferredJson,
  deferredJsonSinkRecord,
  type HeaderConverter,
  Headers,
  IllegalWorkerStateException,
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
import { NOOP_SINK_TASK_METRICS, type SinkTaskMetrics } from '../metrics/task-metrics.ts'
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
  /** `topics`, or `topics.regex` (matched entirely; the consumer picks up topics created later). */
  topics: string[] | RegExp
  offsetFlushIntervalMs: number
  maxPollRecords: number
  /** Whether `context.errantRecordReporter()` gives a reporter (a DLQ topic is set, or `errors.log.enable`). */
  errantRecordReporter?: boolean
}

const tpKey = (topic: string, partition: number) => `${topic}:${partition}`
/** The longest wait a timer takes (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1

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

function deferredSinkRecord(r: IncomingRecord, key: SchemaAndValue, value: DeferredJson, headers: Headers): SinkRecord {
  return deferredJsonSinkRecord(
    r.topic,
    r.partition,
    key.schema,
    key.value,
    value,
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
  /** Whether schemaless JSON values go to the task unparsed (`SinkTask.writesJsonText`). */
  #deferJson = false
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
  /** Offsets the task asked for with `context.offset()`, applied before the next poll (Apache's rewind). */
  readonly #seeks = new Map<string, { topic: string; partition: number; offset: number }>()
  /** Partitions the task paused (Apache's WorkerSinkTaskContext.pausedPartitions): paused again after a rebalance. */
  readonly #pausedPartitions = new Map<string, TopicPartition>()
  /** The loop's step in progress (`#turn`), settled; a revocation waits for it. */
  #step: Promise<void> = Promise.resolve()
  /** A step of the loop failed: the task is failing, and a revocation leaves it alone. */
  #halted = false
  /** A revocation in progress, settled; the loop's next step waits for it. */
  #revoking: Promise<void> | null = null
  #lastCommit = Date.now()
  #commitRequested = false
  #retryTimeoutMs = 0
  #started = false
  /** The consumer's `subscribe` (its first join) returned. */
  #joined = false
  readonly #errors: TaskErrorHandling<IncomingRecord>
  readonly #operator: RetryWithToleranceOperator<IncomingRecord>
  #errant: WorkerErrantRecordReporter | null = null
  /** The consumed record of each delivered one, so a record the task reports goes to the DLQ as it was consumed. */
  readonly #originals = new WeakMap<SinkRecord, IncomingRecord>()
  /** Reports of failed records (DLQ writes) not yet waited for; offsets are committed after them. */
  #reports: Promise<void>[] = []
  /** Records delivered to `put` so far. */
  recordsDelivered = 0
  readonly #metrics: SinkTaskMetrics
  /** sink-record-active-count: per partition, the offset after the last record read and the last committed one. */
  readonly #readOffsets = new Map<string, number>()
  readonly #committedOffsets = new Map<string, number>()
  /** offset-commit-seq-no: commits begun so far. */
  #commitSeqNo = 0

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
    metrics: SinkTaskMetrics = NOOP_SINK_TASK_METRICS,
  ) {
    super(id, initialState, listener, log)
    this.#metrics = metrics
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
      offset: (offsets: Map<TopicPartition, number> | TopicPartition, offset?: number) => {
        const entries = offsets instanceof Map ? [...offsets] : [[offsets, offset] as const]
        for (const [tp, o] of entries) {
          if (o === undefined || o === null) {
            this.log.warn(`Cannot rewind ${tp.topic}-${tp.partition} to null offset`)
            continue
          }
          this.#seeks.set(tpKey(tp.topic, tp.partition), { topic: tp.topic, partition: tp.partition, offset: o })
        }
        this.#consumer.wakeup()
      },
      timeout: (ms) => {
        this.#retryTimeoutMs = ms
      },
      assignment: () => [...this.#assignment],
      pause: (...partitions) => {
        for (const tp of partitions) this.#pausedPartitions.set(tpKey(tp.topic, tp.partition), tp)
        this.#assignedOnly(partitions, 'pause')
        this.#consumer.pause(partitions)
        this.log.debug({ partitions: partitions.map((tp) => tpKey(tp.topic, tp.partition)) }, 'Pausing partitions')
      },
      resume: (...partitions) => {
        for (const tp of partitions) this.#pausedPartitions.delete(tpKey(tp.topic, tp.partition))
        this.#assignedOnly(partitions, 'resume')
        this.#consumer.resume(partitions)
        this.log.debug({ partitions: partitions.map((tp) => tpKey(tp.topic, tp.partition)) }, 'Resuming partitions')
      },
      requestCommit: () => {
        this.#commitRequested = true
        this.#consumer.wakeup()
      },
      errantRecordReporter: () => this.#errant,
    })
    await this.#task.start(this.#props)
    this.#started = true
    this.#deferJson = this.#task.writesJsonText?.() === true && this.#valueConverter.toDeferredJson !== undefined
  }

  /** Throws Apache's IllegalWorkerStateException unless every partition is assigned to the task. */
  #assignedOnly(partitions: TopicPartition[], what: 'pause' | 'resume'): void {
    const assigned = new Set(this.#assignment.map((tp) => tpKey(tp.topic, tp.partition)))
    if (partitions.some((tp) => !assigned.has(tpKey(tp.topic, tp.partition))))
      throw new IllegalWorkerStateException(
        `SinkTasks may not ${what} partitions that are not currently assigned to them.`,
      )
  }

  /**
   * Apache's rewind: the consumer reads each partition the task gave an offset for from that offset, which becomes the
   * partition's current offset (what the next commit commits). A partition no longer assigned fails the task, as in
   * Apache (the consumer's IllegalStateException).
   */
  #rewind(): Set<string> {
    const sought = new Set(this.#seeks.keys())
    for (const [key, seek] of this.#seeks) {
      this.log.trace(`Rewind ${key} to offset ${seek.offset}`)
      this.#consumer.seek(seek, seek.offset)
      this.#current.set(key, { ...seek })
    }
    this.#seeks.clear()
    return sought
  }

  /** Polled records that are not delivered: each partition the task did not seek is read again from its first one. */
  #unpoll(incoming: IncomingRecord[], sought: Set<string>): void {
    const first = new Map<string, IncomingRecord>()
    for (const r of incoming) {
      const key = tpKey(r.topic, r.partition)
      if (!sought.has(key) && !first.has(key)) first.set(key, r)
    }
    for (const r of first.values()) this.#consumer.seek(r, r.offset)
  }

  /**
   * Joins the consumer group. Part of the loop, not of the start, as Apache's consumer joins in its first poll: the
   * task is RUNNING once started, also while the group waits for its members (up to a dead one's session timeout).
   */
  async #subscribe(): Promise<void> {
    this.#consumer.onAssignment = (assignment) => {
      this.#pendingAssignment = assignment
      this.#consumer.wakeup()
    }
    this.#consumer.onRevoke = (_partitions, lost) => this.#revoke(lost)
    await this.#consumer.subscribe(
      this.#settings.topics,
      (reason) =>
        this.log.warn(
          `Waiting for the topics to exist (${reason}); set auto.create.topics.enable on the broker or create them`,
        ),
      () => this.stopping,
    )
    this.#joined = true
  }

  protected async execute(): Promise<void> {
    await this.#subscribe()
    while (!this.stopping) {
      while (this.#revoking) await this.#revoking
      if (this.#pendingAssignment)
        await this.#turn(async () => {
          await this.#assigned()
        })
      if (this.paused) {
        await this.waitWhilePaused()
        continue
      }
      await this.#turn(() => this.#iteration())
    }
  }

  /**
   * Runs one step of the loop with the task (a poll and what it delivers and commits, taking an assignment in, the
   * commit and close at stop). A revocation waits for the step in progress and the next waits for the revocation:
   * the task's calls never overlap.
   */
  #turn(step: () => Promise<void>): Promise<void> {
    const running = step()
    this.#step = running.catch(() => {
      this.#halted = true
    })
    return running
  }

  async #iteration(): Promise<void> {
    if (this.#commitRequested || Date.now() - this.#lastCommit >= this.#settings.offsetFlushIntervalMs) {
      await this.#commit()
    }
    this.#rewind()
    // As Apache's: the poll waits until the next commit is due at most. What the loop must act on sooner (an
    // assignment, a pause, a stop, a commit the task asked for, a rewind) wakes it.
    const untilCommit = this.#lastCommit + this.#settings.offsetFlushIntervalMs - Date.now()
    const incoming = await this.#consumer.poll(
      this.#settings.maxPollRecords,
      Math.min(Math.max(0, untilCommit), MAX_TIMER_MS),
    )
    this.#metrics.recordRead(incoming.length)
    this.#metrics.recordLag(this.#consumer.maxLag())
    if (incoming.length > 0) {
      // Nothing is delivered on an unconfirmed membership: a worker that was paused (SIGSTOP, a blocked event loop)
      // may have lost these partitions to another consumer meanwhile. Fenced, this throws and the task fails.
      await this.#consumer.ensureMember(() => this.stopping)
      if (this.stopping) return
    }
    const sought = this.#pendingAssignment ? await this.#assigned() : null
    if (sought !== null && sought.size > 0 && incoming.length > 0) {
      // The task gave offsets in `open`: what was just polled is read again, from those offsets where it gave them.
      this.#unpoll(incoming, sought)
      return
    }
    if (incoming.length === 0) {
      // As Apache: put is called after every poll, empty or not, so sinks can rotate or flush on time alone.
      if (this.#assignment.length > 0) await this.#deliver([])
      return
    }
    const converted = this.#convert(incoming)
    const records = converted instanceof Promise ? await converted : converted
    // The offset after the last record of each run of one partition (offsets only grow within a partition).
    const read: Array<{ key: string; topic: string; partition: number; offset: number }> = []
    for (let i = 0, first = 0; i < incoming.length; i++) {
      const r = incoming[i]!
      const next = incoming[i + 1]
      if (next !== undefined && next.partition === r.partition && next.topic === r.topic) continue
      const key = tpKey(r.topic, r.partition)
      read.push({ key, topic: r.topic, partition: r.partition, offset: r.offset + 1 })
      // A partition's first records since it was assigned: what was committed before is where they start.
      if (!this.#committedOffsets.has(key)) this.#committedOffsets.set(key, incoming[first]!.offset)
      this.#readOffsets.set(key, r.offset + 1)
      first = i + 1
    }
    this.#recordActive()
    if (!(await this.#deliver(records))) return
    for (const r of read) this.#current.set(r.key, { topic: r.topic, partition: r.partition, offset: r.offset })
  }

  /** sink-record-active-count: records read and not yet committed, over the partitions held. */
  #recordActive(): void {
    let active = 0
    for (const [key, offset] of this.#readOffsets)
      active += Math.max(0, offset - (this.#committedOffsets.get(key) ?? offset))
    this.#metrics.recordActive(active)
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
    if (this.#deferJson && chain === null && r.value !== null) {
      // The task writes JSON text and no transform looks at the value: schemaless JSON is parsed only if the task
      // reads it.
      const deferred = this.#valueConverter.toDeferredJson!(r.topic, headers, r.value)
      if (deferred !== undefined) return deferredSinkRecord(r, key, deferred, headers)
    }
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

  /**
   * Puts a batch, again after a RetriableException; false when the task was stopped before the batch went in. Nothing
   * goes in while the task is held (see TaskHold).
   */
  async #deliver(records: SinkRecord[]): Promise<boolean> {
    for (;;) {
      await this.waitWhileHeld()
      if (this.stopping && this.heldBecause !== null) return false
      try {
        const started = performance.now()
        await this.#task.put(records)
        // A record the task reported but that is not tolerated fails the task, even if the task caught the error.
        this.#errant?.maybeThrowAsyncError()
        this.#metrics.recordSend(records.length, performance.now() - started)
        this.recordsDelivered += records.length
        return true
      } catch (e) {
        if (!(e instanceof RetriableException) || this.stopping) throw e
        const wait = this.#retryTimeoutMs
        this.log.warn(`RetriableException from put (${e.message}); delivering the same batch again in ${wait} ms`)
        await this.sleep(wait)
        if (this.stopping) return false
      }
    }
  }

  /**
   * Opens the partitions of a new assignment (every partition was revoked before the consumer joined again). Returns
   * the partitions the task gave offsets for (in `open`), which the consumer now reads from there.
   */
  async #assigned(): Promise<Set<string>> {
    const assignment = this.#pendingAssignment
    if (!assignment) return new Set()
    this.#pendingAssignment = null
    this.#assignment = assignment
    this.#metrics.assignedPartitions(assignment.length)
    // Partitions the task paused stay paused when they come back (Apache's onPartitionsAssigned); the others are
    // forgotten.
    const assigned = new Set(assignment.map((tp) => tpKey(tp.topic, tp.partition)))
    for (const key of this.#pausedPartitions.keys()) if (!assigned.has(key)) this.#pausedPartitions.delete(key)
    if (this.#pausedPartitions.size > 0) this.#consumer.pause([...this.#pausedPartitions.values()])
    this.log.info({ assignment: assignment.map((tp) => tpKey(tp.topic, tp.partition)) }, 'Partitions assigned')
    if (assignment.length === 0) return new Set()
    await this.#task.open(assignment)
    // Offsets the task set in `open` (or before) apply from the first poll on.
    return this.#rewind()
  }

  /**
   * Apache's onPartitionsRevoked, before the consumer joins the group again: once the step in progress ended, what
   * was delivered is committed (preCommit, then a synchronous commit as this generation's member) and the partitions
   * are closed, so their next owner starts after the last delivered record. Lost partitions (the membership expired)
   * are closed without a commit, as Apache's onPartitionsLost.
   */
  #revoke(lost: boolean): Promise<void> {
    const done = this.#step.then(async () => {
      this.#pendingAssignment = null
      const revoked = this.#assignment
      // A failed loop leaves its partitions to `close`.
      if (revoked.length === 0 || this.#halted) return
      if (!lost) await this.#commit(revoked)
      this.#assignment = []
      this.#current.clear()
      this.#forgetOffsets()
      await this.#task.close(revoked)
      this.log.info(
        { revoked: revoked.map((tp) => tpKey(tp.topic, tp.partition)), lost },
        lost ? 'Partitions lost' : 'Partitions revoked',
      )
    })
    const settled = done.then(
      () => {},
      () => {},
    )
    this.#revoking = settled
    void settled.then(() => {
      if (this.#revoking === settled) this.#revoking = null
    })
    this.#step = settled
    return done
  }

  /** Commits what `preCommit` returns, limited to partitions this task holds (or held, for `revoked`). */
  async #commit(revoked: TopicPartition[] = []): Promise<void> {
    this.#commitRequested = false
    this.#lastCommit = Date.now()
    await this.#awaitReports()
    if (this.#current.size === 0) return
    const current: PartitionOffsets = new Map(this.#current)
    this.#metrics.offsetCommitStarted(++this.#commitSeqNo)
    const started = performance.now()
    let committable: PartitionOffsets
    try {
      committable = await this.#task.preCommit(current)
    } catch (e) {
      this.#metrics.offsetCommit(performance.now() - started, false)
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
      this.#metrics.offsetCommit(performance.now() - started, false)
      // After a rebalance the group rejects commits of the old generation; those records are redelivered.
      this.log.warn(`Offset commit failed (${(e as Error).message}); the records will be delivered again`)
      return
    }
    this.#metrics.offsetCommit(performance.now() - started, true)
    for (const o of offsets) this.#committedOffsets.set(tpKey(o.topic, o.partition), o.offset)
    this.#recordActive()
  }

  /** The partitions are no longer this task's: nothing of theirs is active. */
  #forgetOffsets(): void {
    this.#readOffsets.clear()
    this.#committedOffsets.clear()
    this.#metrics.assignedPartitions(0)
    this.#recordActive()
  }

  /** Waits until failed records reported so far are written to the DLQ; throws when one could not be. */
  async #awaitReports(): Promise<void> {
    const reports = this.#reports
    this.#reports = []
    await Promise.all(reports)
    await this.#errant?.awaitReports()
  }

  /** Paused, the loop stops polling now (resumed, the loop is not polling: nothing to wake). */
  protected override onTargetState(): void {
    if (this.paused) this.#consumer.wakeup()
  }

  protected onStop(): void {
    this.#operator.triggerStop()
    this.#consumer.wakeup()
    // A join still waiting for the group is abandoned: the stop wins (the task has nothing to commit yet).
    if (!this.#joined) void this.#consumer.close().catch(() => {})
  }

  protected async close(): Promise<void> {
    try {
      while (this.#revoking) await this.#revoking
      await this.#turn(async () => {
        if (this.#started && !this.failed) await this.#commit()
        const assignment = this.#assignment
        this.#assignment = []
        this.#forgetOffsets()
        if (this.#started && assignment.length > 0) await this.#task.close(assignment)
      })
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
