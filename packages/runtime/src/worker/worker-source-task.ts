import {
  ConnectException,
  type Converter,
  type HeaderConverter,
  type OffsetMap,
  type RecordMetadata,
  RetriableException,
  type SourceRecord,
  SourceTask,
} from '@ferry/api'
import { ProcessingContext } from '../errors/processing-context.ts'
import {
  PendingRetry,
  type Retrying,
  type RetryWithToleranceOperator,
} from '../errors/retry-with-tolerance-operator.ts'
import { Stage, WORKER_SOURCE_TASK_CLASS } from '../errors/stage.ts'
import { isConnectionError, type KafkaProducer, type OutgoingRecord } from '../kafka/clients.ts'
import { describeConnectionFailure, isAuthorizationFailure } from '../kafka/failures.ts'
import type { Logger } from '../logger.ts'
import { NOOP_SOURCE_TASK_METRICS, type SourceTaskMetrics } from '../metrics/task-metrics.ts'
import { ConnectorOffsetBackingStore } from '../storage/connector-offset-store.ts'
import { offsetRecordKey, offsetRecordValue } from '../storage/offset-records.ts'
import { type OffsetBackingStore, offsetKey, offsetReader } from '../storage/offset-store.ts'
import type { TopicCreation } from './topic-creation.ts'
import type { TransformationChain } from './transformation-chain.ts'
import {
  type ConnectorTaskId,
  defaultErrorHandling,
  type TargetState,
  type TaskErrorHandling,
  type TaskStatusListener,
  taskName,
  WorkerTask,
} from './worker-task.ts'
import { WorkerTransactionContext } from './worker-transaction-context.ts'

/** A batch that was never produced: the task was stopped while its records were held (see TaskHold). */
class HeldBatchDropped extends ConnectException {}

export interface SourceTaskSettings {
  offsetFlushIntervalMs: number
  offsetFlushTimeoutMs: number
  /** KIP-158: creates the topics the task writes to before its first write to each; null when not asked for. */
  topicCreation?: TopicCreation | null
  /** Lets the offset store go once the task has closed (a connector's own offsets store is shared, see Worker). */
  releaseOffsets?: () => Promise<void>
  /** Exactly-once source support (KIP-618): the task's producer is transactional; null or absent: at least once. */
  exactlyOnce?: ExactlyOnceSettings | null
}

/** How an exactly-once source task delimits and writes its transactions (Apache's ExactlyOnceWorkerSourceTask). */
export interface ExactlyOnceSettings {
  /** `transaction.boundary`. */
  boundary: TransactionBoundary
  /** `transaction.boundary.interval.ms`, else the worker's `offset.flush.interval.ms` (for `interval`). */
  intervalMs: number
  /** The topic the connector's offsets are written to, in the transactions (its own, else the worker's). */
  offsetsTopic: string
  /** Runs before `initTransactions()` (the zombie fencing of older task generations, Apache's preProducerCheck). */
  preProducerCheck?: () => Promise<void>
  /** Runs after it (the task generation and its assignment are still current, Apache's postProducerCheck). */
  postProducerCheck?: () => Promise<void>
}

/** `transaction.boundary`: a transaction per poll batch, per interval, or where the connector says. */
export type TransactionBoundary = 'poll' | 'interval' | 'connector'

/** An exactly-once task's transaction state. */
interface TransactionState {
  settings: ExactlyOnceSettings
  /** The task's TransactionContext (connector-defined boundaries only). */
  context: WorkerTransactionContext | null
  /** A transaction was begun and not yet committed or aborted. */
  open: boolean
  /** The source offsets of the records since the last commit, written in the next commit's transaction. */
  offsets: Map<string, [OffsetMap, OffsetMap]>
  /** Records and their acks since the last commit, for `commitRecord` once committed. */
  records: Array<[SourceRecord, RecordMetadata | null]>
  /** Records dispatched in the open transaction (the transaction-size metric). */
  size: number
  /** When the last transaction was committed (interval boundaries). */
  lastCommit: number
  /**
   * The commit of the last transaction, under way while the next batch is polled and converted (its failure fails
   * the task); the next use of the producer waits for it.
   */
  committing: Promise<void> | null
}

/** One produced batch, in submission order; its offsets become committable once it and all earlier batches are acked. */
interface SubmittedBatch {
  offsets: Map<string, [OffsetMap, OffsetMap]>
  acked: boolean
  /** Reports of the batch's failed records (DLQ writes): the offsets wait for them too. */
  reports: Promise<void>[]
}

/** A polled batch after transformation and conversion. */
interface ConvertedBatch {
  /** How many records the task polled for it. */
  polled: number
  outgoing: OutgoingRecord[]
  kept: SourceRecord[]
  /** The error handling context of each record, when it needed one. */
  contexts: Array<ProcessingContext<SourceRecord> | null>
  submitted: SubmittedBatch
}

/**
 * Runs a SourceTask (Apache's WorkerSourceTask): poll → transform → convert → produce. One batch is being
 * produced while the next is polled and converted, so a batch never waits for its predecessor's round trip more
 * than once, and records of a partition reach Kafka in order. A source offset is committed only after its record
 * and every earlier one were acked (or dropped); commits run every `offset.flush.interval.ms` and at stop.
 *
 * Transformations and converters run under the connector's error handling (`errors.*`): a record that fails there,
 * or (with `errors.tolerance=all`) that Kafka refuses, is reported (log, dead letter queue) and skipped; its offset
 * still advances once the report is written.
 */
export class WorkerSourceTask extends WorkerTask {
  readonly #task: SourceTask
  readonly #props: Record<string, string>
  readonly #keyConverter: Converter
  readonly #valueConverter: Converter
  readonly #headerConverter: HeaderConverter
  readonly #chain: TransformationChain<SourceRecord>
  readonly #producer: KafkaProducer
  readonly #offsets: OffsetBackingStore
  readonly #settings: SourceTaskSettings
  readonly #submitted: SubmittedBatch[] = []
  /** Acked offsets not yet written to the offset store. */
  #committable = new Map<string, [OffsetMap, OffsetMap]>()
  #inFlight: Promise<void> | null = null
  #sendFailure: unknown = null
  #lastCommit = Date.now()
  #commitTimer: NodeJS.Timeout | null = null
  #committing: Promise<void> | null = null
  #started = false
  /** `SourceTask.stop()` once called: a task is stopped exactly once, and its stop is awaited before the task ends. */
  #taskStop: Promise<void> | null = null
  readonly #callsCommitRecord: boolean
  readonly #errors: TaskErrorHandling<SourceRecord>
  readonly #operator: RetryWithToleranceOperator<SourceRecord>
  readonly #metrics: SourceTaskMetrics
  /** Exactly-once source support: the transaction in progress; null for an at-least-once task. */
  readonly #txn: TransactionState | null
  /** Records produced so far (for the quickstart summary and metrics). */
  recordsProduced = 0

  constructor(
    id: ConnectorTaskId,
    task: SourceTask,
    props: Record<string, string>,
    converters: { key: Converter; value: Converter; header: HeaderConverter },
    chain: TransformationChain<SourceRecord>,
    producer: KafkaProducer,
    offsets: OffsetBackingStore,
    settings: SourceTaskSettings,
    initialState: TargetState,
    listener: TaskStatusListener,
    log: Logger,
    errors?: TaskErrorHandling<SourceRecord>,
    metrics: SourceTaskMetrics = NOOP_SOURCE_TASK_METRICS,
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
    this.#producer = producer
    this.#offsets = offsets
    this.#settings = settings
    this.#callsCommitRecord = task.commitRecord !== SourceTask.prototype.commitRecord
    const eos = settings.exactlyOnce ?? null
    this.#txn =
      eos === null
        ? null
        : {
            settings: eos,
            context: eos.boundary === 'connector' ? new WorkerTransactionContext() : null,
            open: false,
            offsets: new Map(),
            records: [],
            size: 0,
            lastCommit: Date.now(),
            committing: null,
          }
  }

  protected async initializeAndStart(): Promise<void> {
    this.#operator.reporters(await this.#errors.reporters())
    const store = this.#offsets
    const connector = this.id.connector
    const txn = this.#txn
    if (txn) {
      // Apache's prepareToInitializeTask: older generations fenced, then this producer takes the transactional id
      // (which fences any older producer of it and completes its open transaction), then the generation checked again.
      await txn.settings.preProducerCheck?.()
      if (this.stopping) return
      await this.#producer.initTransactions()
      await txn.settings.postProducerCheck?.()
    }
    this.#task.initialize({
      configs: () => this.#props,
      offsetStorageReader: () => offsetReader(store, connector),
      transactionContext: () => txn?.context ?? null,
    })
    await this.#task.start(this.#props)
    this.#started = true
    // An exactly-once task commits at its transaction boundaries, not on a timer (Apache has no committer for it).
    if (txn) return
    this.#commitTimer = setInterval(
      () => {
        void this.#commitOffsets().catch((e) => this.log.error({ err: e }, 'Offset commit failed'))
      },
      Math.max(1, this.#settings.offsetFlushIntervalMs),
    )
    this.#commitTimer.unref()
  }

  protected async execute(): Promise<void> {
    while (!this.stopping) {
      // A batch that could not be produced fails the task now, not only when the next batch comes.
      if (this.#sendFailure !== null) throw this.#sendFailure
      if (this.paused) {
        await this.#inFlight
        // Apache's ExactlyOnceWorkerSourceTask.onPause: the open transaction is committed per the boundary.
        if (this.#txn) await this.#commitFinalTransaction(this.#txn)
        await this.waitWhilePaused()
        if (this.#txn) this.#txn.lastCommit = Date.now()
        continue
      }
      let records: SourceRecord[] | null
      const pollStarted = performance.now()
      try {
        records = await this.#task.poll()
      } catch (e) {
        if (e instanceof RetriableException) {
          this.log.warn({ err: e }, 'Retriable error from poll; polling again')
          continue
        }
        throw e
      }
      if (!records || records.length === 0) {
        // Apache's batchDispatched after an empty poll: an interval (or the connector) may end the transaction.
        const txn = this.#txn
        if (txn) {
          await this.#settleCommit(txn)
          const boundary = this.#batchBoundary(txn)
          if (boundary === 'abort') await this.#abortTransaction(txn, 'batch')
          if (boundary !== null) await this.#commitTransaction(txn)
        }
        continue
      }
      this.#metrics.recordPoll(records.length, performance.now() - pollStarted)
      const converted = this.#convert(records)
      const batch = converted instanceof Promise ? await converted : converted
      if (this.#txn) {
        await this.#sendTransactional(this.#txn, records, batch)
        continue
      }
      // Produce in order: wait for the previous batch before sending this one.
      await this.#inFlight
      this.#submitted.push(batch.submitted)
      this.#inFlight = this.#send(batch)
      // A failed send rejects here on the next turn (or at close).
      this.#inFlight.catch((e: unknown) => {
        this.#sendFailure ??= e
      })
    }
    // A stop: the last transaction's commit fails the task when it fails.
    if (this.#txn) await this.#settleCommit(this.#txn)
  }

  /** Transforms and converts a batch; synchronous unless a record's operation is being retried. */
  #convert(records: SourceRecord[]): ConvertedBatch | Promise<ConvertedBatch> {
    const batch: ConvertedBatch = {
      polled: records.length,
      outgoing: [],
      kept: [],
      contexts: [],
      submitted: { offsets: new Map(), acked: false, reports: [] },
    }
    const done = this.#operator.run(this.#convertBatch(records, batch))
    return done instanceof Promise ? done.then(() => batch) : batch
  }

  /**
   * The pipeline of one batch, as a generator: it only yields when an operation waits to be retried
   * (`errors.retry.timeout`), and then the batch is finished asynchronously.
   */
  *#convertBatch(records: SourceRecord[], batch: ConvertedBatch): Retrying<void> {
    const offsets = batch.submitted.offsets
    const chain = this.#chain.isEmpty ? null : this.#chain
    const connector = this.id.connector
    // Tasks usually reuse one partition object for many records: compute its key once.
    let lastPartition: OffsetMap | null = null
    let lastKey = ''
    for (const original of records) {
      const partition = original.sourcePartition
      if (partition && original.sourceOffset) {
        if (partition !== lastPartition) {
          lastPartition = partition
          lastKey = offsetKey(connector, partition)
        }
        offsets.set(lastKey, [partition, original.sourceOffset])
      }
      let out: OutgoingRecord | null
      let context: ProcessingContext<SourceRecord> | null = null
      try {
        out = this.#convertOne(original, chain)
      } catch {
        // Something failed: the record goes through the pipeline again under the error handling, which tells the
        // stage and class, retries, reports and tolerates. Transformations and converters are pure functions, so
        // running the stages before the failing one again changes nothing.
        context = new ProcessingContext(original)
        out = yield* this.#convertWithErrors(original, chain, context)
      }
      if (out === null) {
        if (context?.reported) batch.submitted.reports.push(context.reported)
        // An exactly-once task tells it once the record's transaction is committed (Apache's recordDropped).
        if (this.#callsCommitRecord && this.#txn === null) this.#task.commitRecord(original, null)
        continue
      }
      batch.outgoing.push(out)
      batch.kept.push(original)
      batch.contexts.push(context)
    }
  }

  /** Transforms and converts one record; null when a transform dropped it. Throws at the first failure. */
  #convertOne(original: SourceRecord, chain: TransformationChain<SourceRecord> | null): OutgoingRecord | null {
    const record = chain ? chain.apply(original) : original
    if (record === null) return null
    const topic = record.topic
    const headers = record.headers.size > 0 ? this.#convertHeaders(record) : undefined
    const key = this.#keyConverter.fromConnectData(topic, record.headers, record.keySchema, record.key)
    const value = this.#valueConverter.fromConnectData(topic, record.headers, record.valueSchema, record.value)
    return outgoingRecord(record, headers, key, value)
  }

  /**
   * `#convertOne` under the error handling: each transformation and converter is one operation of the operator
   * (stages TRANSFORMATION, HEADER_CONVERTER, KEY_CONVERTER, VALUE_CONVERTER). Null when the record was dropped, or
   * failed and is tolerated (`context.failed`).
   */
  *#convertWithErrors(
    original: SourceRecord,
    chain: TransformationChain<SourceRecord> | null,
    context: ProcessingContext<SourceRecord>,
  ): Retrying<OutgoingRecord | null> {
    const operator = this.#operator
    const classes = this.#errors.converterClasses
    let transformed: SourceRecord | null = original
    if (chain) {
      const result = chain.applyWithErrors(context, original, operator)
      transformed = result instanceof PendingRetry ? yield* result.attempts : result
    }
    if (transformed === null) return null
    const record = transformed
    const topic = record.topic
    let headers: Array<[string, Buffer | null]> | undefined
    if (record.headers.size > 0) {
      const result = operator.execute(
        context,
        () => this.#convertHeaders(record),
        Stage.HEADER_CONVERTER,
        classes.header,
      )
      headers = (result instanceof PendingRetry ? yield* result.attempts : result) ?? undefined
    }
    const keyResult = operator.execute(
      context,
      () => this.#keyConverter.fromConnectData(topic, record.headers, record.keySchema, record.key),
      Stage.KEY_CONVERTER,
      classes.key,
    )
    const key = keyResult instanceof PendingRetry ? yield* keyResult.attempts : keyResult
    const valueResult = operator.execute(
      context,
      () => this.#valueConverter.fromConnectData(topic, record.headers, record.valueSchema, record.value),
      Stage.VALUE_CONVERTER,
      classes.value,
    )
    const value = valueResult instanceof PendingRetry ? yield* valueResult.attempts : valueResult
    return context.failed ? null : outgoingRecord(record, headers, key, value)
  }

  #convertHeaders(record: SourceRecord): Array<[string, Buffer | null]> {
    const headers: Array<[string, Buffer | null]> = []
    for (const h of record.headers) {
      const bytes = this.#headerConverter.fromConnectHeader(record.topic, h.key, h.schema, h.value)
      headers.push([h.key, bytes ? toBuffer(bytes) : null])
    }
    return headers
  }

  async #send(batch: ConvertedBatch): Promise<void> {
    const { outgoing, kept, submitted } = batch
    let written = 0
    if (outgoing.length > 0) {
      const creation = this.#settings.topicCreation
      if (creation) await creation.ensure(new Set(outgoing.map((r) => r.topic)))
      try {
        const result = await this.#produce(outgoing)
        this.recordsProduced += outgoing.length
        written = outgoing.length
        if (this.#callsCommitRecord) this.#reportAcks(outgoing, kept, result)
      } catch (e) {
        if (e instanceof HeldBatchDropped) throw e
        // A refusal by the broker's authorizer is not the record's fault: no tolerance skips it.
        if (this.#operator.settings.tolerance !== 'all' || this.stopping || isAuthorizationFailure(e))
          throw producerSendFailure(e)
        written = await this.#sendOneByOne(batch, e)
      }
    }
    await Promise.all(submitted.reports)
    this.#metrics.recordWrite(written, batch.polled - written)
    submitted.acked = true
    while (this.#submitted.length > 0 && this.#submitted[0]!.acked) {
      for (const [k, v] of this.#submitted.shift()!.offsets) this.#committable.set(k, v)
    }
  }

  /**
   * Sends a batch, retrying while Kafka cannot be reached (until the task stops). Nothing is sent while the task is
   * held; a task stopped while held drops the batch (its offsets are not committed, so whoever runs the task now
   * produces these records from the last committed offsets).
   */
  async #produce(outgoing: OutgoingRecord[]): Promise<Array<{ topic: string; partition: number; offset: number }>> {
    for (let attempt = 1; ; attempt++) {
      await this.waitWhileHeld()
      const held = this.heldBecause
      if (held !== null && this.stopping)
        throw new HeldBatchDropped(
          `${taskName(this.id)} was stopped while holding ${outgoing.length} records (${held})`,
        )
      try {
        return await this.#producer.send(outgoing)
      } catch (e) {
        if (!isConnectionError(e) || this.stopping) throw e
        const delay = Math.min(100 * 2 ** Math.min(attempt, 7), 10000)
        // Why, when a connection was refused: authentication or TLS, naming the broker (never a secret).
        const failure = describeConnectionFailure(e, this.#producer.security)
        this.log.warn(
          failure && failure.kind !== 'unreachable'
            ? `${failure.message}; retrying in ${delay} ms to produce ${outgoing.length} records (attempt ${attempt})`
            : `Cannot reach Kafka to produce ${outgoing.length} records (${(e as Error).message}); retrying in ${delay} ms (attempt ${attempt})`,
        )
        await this.sleep(delay)
      }
    }
  }

  /**
   * Kafka refused a batch and `errors.tolerance=all`: sends its records one at a time, in order, so only those Kafka
   * refuses are reported (stage KAFKA_PRODUCE: log, dead letter queue) and skipped. Records of the batch that were
   * written before the refusal may be written twice.
   */
  async #sendOneByOne(batch: ConvertedBatch, error: unknown): Promise<number> {
    const { outgoing, kept, contexts, submitted } = batch
    this.log.warn(
      { err: error },
      `Kafka refused a batch of ${outgoing.length} records; sending them one by one to skip the refused ones (errors.tolerance=all)`,
    )
    let written = 0
    for (let i = 0; i < outgoing.length; i++) {
      const out = outgoing[i]!
      try {
        const result = await this.#produce([out])
        this.recordsProduced++
        written++
        if (this.#callsCommitRecord) this.#reportAcks([out], [kept[i]!], result)
      } catch (e) {
        if (this.stopping || isAuthorizationFailure(e)) throw producerSendFailure(e)
        const context = contexts[i] ?? new ProcessingContext(kept[i]!)
        submitted.reports.push(this.#operator.executeFailed(context, Stage.KAFKA_PRODUCE, WORKER_SOURCE_TASK_CLASS, e))
        if (this.#callsCommitRecord) this.#task.commitRecord(kept[i]!, null)
      }
    }
    return written
  }

  #reportAcks(
    outgoing: OutgoingRecord[],
    kept: SourceRecord[],
    result: Array<{ topic: string; partition: number; offset: number }>,
    report: (record: SourceRecord, metadata: RecordMetadata) => void = (record, metadata) =>
      this.#task.commitRecord(record, metadata),
  ): void {
    // The client reports a base offset per topic-partition; records of a partition are consecutive from it.
    const next = new Map<string, number>()
    for (const r of result) next.set(`${r.topic}\u0000${r.partition}`, r.offset)
    for (let i = 0; i < outgoing.length; i++) {
      const out = outgoing[i]!
      let metadata = null
      if (out.partition !== undefined) {
        const k = `${out.topic}\u0000${out.partition}`
        const offset = next.get(k)
        if (offset !== undefined) {
          metadata = { topic: out.topic, partition: out.partition, offset }
          next.set(k, offset + 1)
        }
      }
      report(kept[i]!, metadata ?? { topic: out.topic, partition: -1, offset: -1 })
    }
  }

  /**
   * Writes acked offsets to the store, then tells the task. Offsets stay pending when the write fails, and while the
   * task is held: a worker that may have lost the task must not write offsets over those of the worker that runs it
   * now.
   */
  async #commitOffsets(): Promise<void> {
    if (this.#committing) return this.#committing
    if (this.heldBecause !== null) return
    const started = performance.now()
    this.#committing = (async () => {
      const pending = this.#committable
      this.#committable = new Map()
      if (pending.size > 0) {
        try {
          await withTimeout(
            this.#offsets.set(this.id.connector, [...pending.values()]),
            this.#settings.offsetFlushTimeoutMs,
            'offset flush',
          )
        } catch (e) {
          for (const [k, v] of pending) if (!this.#committable.has(k)) this.#committable.set(k, v)
          throw e
        }
      }
      this.#lastCommit = Date.now()
      await this.#task.commit()
    })()
    try {
      await this.#committing
      this.#metrics.offsetCommit(performance.now() - started, true)
    } catch (e) {
      this.#metrics.offsetCommit(performance.now() - started, false)
      throw e
    } finally {
      this.#committing = null
    }
  }

  /**
   * An exactly-once task's batch (Apache's ExactlyOnceWorkerSourceTask.sendRecords): its records go out in the open
   * transaction (begun before the first), in poll order; each record's source offset joins the transaction's offsets,
   * dropped records' too. Under connector-defined boundaries the task may end a transaction after any record. The
   * batch's end is a boundary for `poll`, for `interval` once the interval has passed, and for `connector` when the
   * task asked for it. The records that end a transaction go out with its offsets, in one send (one
   * AddPartitionsToTxn, one Produce request per broker), then the commit; the commit at the batch's end goes on while
   * the next batch is polled and converted. Any failure to write fails the task; the open transaction is then aborted.
   */
  async #sendTransactional(txn: TransactionState, records: SourceRecord[], batch: ConvertedBatch): Promise<void> {
    await this.#settleCommit(txn)
    const { outgoing, kept } = batch
    const offsetsTopic = txn.settings.offsetsTopic
    for (const r of outgoing) {
      if (r.topic === offsetsTopic)
        throw new ConnectException(
          'Source tasks may not produce to their own offsets topics when exactly-once support is enabled',
        )
    }
    let from = 0
    const context = txn.context
    if (context === null) {
      // No boundary inside the batch: the offsets #convertBatch gathered (each partition's last) join the
      // transaction's, and the records a transform dropped get their commitRecord with the transaction's.
      for (const [k, v] of batch.submitted.offsets) txn.offsets.set(k, v)
      txn.size += kept.length
      if (kept.length < records.length) {
        let next = 0
        for (const original of records) {
          if (kept[next] === original) next++
          else txn.records.push([original, null])
        }
      }
    } else {
      const connector = this.id.connector
      // As in #convertBatch: one partition object usually serves many records, so its key is computed once.
      let lastPartition: OffsetMap | null = null
      let lastKey = ''
      let next = 0
      for (const original of records) {
        const dispatched = kept[next] === original
        if (dispatched) next++
        const partition = original.sourcePartition
        if (partition && original.sourceOffset) {
          if (partition !== lastPartition) {
            lastPartition = partition
            lastKey = offsetKey(connector, partition)
          }
          txn.offsets.set(lastKey, [partition, original.sourceOffset])
        }
        if (!dispatched) txn.records.push([original, null])
        else txn.size++
        const abort = context.shouldAbortOn(original)
        if (!abort && !context.shouldCommitOn(original)) continue
        if (abort) {
          await this.#sendInTransaction(txn, outgoing.slice(from, next), kept.slice(from, next))
          await this.#abortTransaction(txn, `record on topic ${original.topic}`)
          await this.#commitTransaction(txn)
        } else await this.#commitTransaction(txn, outgoing.slice(from, next), kept.slice(from, next))
        from = next
      }
    }
    await Promise.all(batch.submitted.reports)
    this.#metrics.recordWrite(outgoing.length, batch.polled - outgoing.length)
    const rest = from === 0 ? outgoing : outgoing.slice(from)
    const restKept = from === 0 ? kept : kept.slice(from)
    const boundary = this.#batchBoundary(txn)
    if (boundary === 'commit') {
      const committing = this.#commitTransaction(txn, rest, restKept)
      txn.committing = committing
      // Its failure fails the task at the next turn of the loop, or when the next batch waits for it.
      committing.catch((e: unknown) => {
        this.#sendFailure ??= e
      })
      return
    }
    await this.#sendInTransaction(txn, rest, restKept)
    if (boundary === 'abort') {
      // Apache aborts, then commits the (new, empty) transaction with the offsets: the records are dropped, their
      // source offsets still advance.
      await this.#abortTransaction(txn, 'batch')
      await this.#commitTransaction(txn)
    }
  }

  /** Waits for the commit under way, if any; throws its failure. */
  async #settleCommit(txn: TransactionState): Promise<void> {
    const committing = txn.committing
    if (committing === null) return
    txn.committing = null
    await committing
  }

  /**
   * Whether a batch's end commits the transaction (Apache's shouldCommitTransactionForBatch), or aborts it first
   * (a connector's request); null: the transaction goes on.
   */
  #batchBoundary(txn: TransactionState): 'commit' | 'abort' | null {
    switch (txn.settings.boundary) {
      case 'poll':
        return 'commit'
      case 'interval':
        if (Date.now() < txn.lastCommit + txn.settings.intervalMs) return null
        txn.lastCommit = Date.now()
        return 'commit'
      case 'connector': {
        const context = txn.context!
        if (context.shouldAbortBatch()) return 'abort'
        return context.shouldCommitBatch() ? 'commit' : null
      }
    }
  }

  /** Sends records in the open transaction (begun first); `commitRecord` for them waits for the commit. */
  async #sendInTransaction(txn: TransactionState, outgoing: OutgoingRecord[], kept: SourceRecord[]): Promise<void> {
    if (outgoing.length === 0) return
    try {
      await this.#sendWithOffsets(txn, outgoing, kept, [])
    } catch (e) {
      if (e instanceof HeldBatchDropped) throw e
      throw transactionFailure(this.id, 'Unrecoverable exception trying to send', e)
    }
  }

  /** Sends a transaction's records and offset records together (one send), in the open transaction (begun first). */
  async #sendWithOffsets(
    txn: TransactionState,
    outgoing: OutgoingRecord[],
    kept: SourceRecord[],
    offsetRecords: OutgoingRecord[],
  ): Promise<void> {
    this.#beginTransaction(txn)
    if (outgoing.length > 0) {
      const creation = this.#settings.topicCreation
      if (creation) await creation.ensure(new Set(outgoing.map((r) => r.topic)))
    }
    const result = await this.#produce(offsetRecords.length === 0 ? outgoing : outgoing.concat(offsetRecords))
    this.recordsProduced += outgoing.length
    if (this.#callsCommitRecord && outgoing.length > 0) {
      this.#reportAcks(outgoing, kept, result, (record, metadata) => txn.records.push([record, metadata]))
    }
  }

  #beginTransaction(txn: TransactionState): void {
    if (txn.open) return
    this.#producer.beginTransaction()
    txn.open = true
  }

  /** Aborts the open transaction at the task's request (Apache's maybeAbortTransaction): its records are not delivered. */
  async #abortTransaction(txn: TransactionState, what: string): Promise<void> {
    if (!txn.open) {
      this.log.warn('Ignoring request by task to abort transaction as the current transaction is empty')
      return
    }
    this.log.info(`Aborting transaction for ${what} as requested by connector`)
    txn.open = false
    txn.size = 0
    await this.#producer.abortTransaction()
  }

  /**
   * Commits the transaction with its source offsets (Apache's ExactlyOnceWorkerSourceTask.commitTransaction): the
   * offsets are written to the connector's offsets topic by the same producer, inside the transaction, so records
   * and offsets are committed together or not at all; `outgoing`, the transaction's last records, go out with them
   * in one send. Then, as Apache's offset writer does after the primary store, the offsets are copied to the worker's
   * topic when the connector has a topic of its own; then `commitRecord` for each record of the transaction, and
   * `SourceTask.commit()`.
   */
  async #commitTransaction(
    txn: TransactionState,
    outgoing: OutgoingRecord[] = [],
    kept: SourceRecord[] = [],
  ): Promise<void> {
    const started = performance.now()
    const offsets = [...txn.offsets.values()]
    if (!txn.open && offsets.length === 0 && outgoing.length === 0) {
      this.#metrics.offsetCommit(performance.now() - started, true)
      await this.#task.commit()
      return
    }
    const connector = this.id.connector
    try {
      this.#beginTransaction(txn)
      const offsetRecords = offsets.map(([partition, offset]) => ({
        topic: txn.settings.offsetsTopic,
        key: offsetRecordKey(connector, partition),
        value: offsetRecordValue(offset),
      }))
      if (outgoing.length > 0 || offsetRecords.length > 0)
        await this.#sendWithOffsets(txn, outgoing, kept, offsetRecords)
      await this.#producer.commitTransaction()
    } catch (e) {
      if (e instanceof HeldBatchDropped) throw e
      // The transaction stays open: the task fails and its close aborts it (pointless, but harmless, once fenced).
      this.#metrics.offsetCommit(performance.now() - started, false)
      throw transactionFailure(this.id, `Failed to flush offsets and/or records for task ${taskName(this.id)}`, e)
    }
    txn.open = false
    txn.offsets = new Map()
    this.#metrics.transactionCommitted(txn.size)
    txn.size = 0
    this.#metrics.offsetCommit(performance.now() - started, true)
    this.#lastCommit = Date.now()
    if (this.#offsets instanceof ConnectorOffsetBackingStore) await this.#offsets.writeSecondary(connector, offsets)
    const records = txn.records
    txn.records = []
    if (this.#callsCommitRecord) for (const [record, metadata] of records) this.#task.commitRecord(record, metadata)
    await this.#task.commit()
  }

  /** The transaction left open when the task pauses or stops, committed if its boundary says so (Apache's). */
  async #commitFinalTransaction(txn: TransactionState): Promise<void> {
    await this.#settleCommit(txn)
    if (txn.settings.boundary !== 'connector') return this.#commitTransaction(txn)
    const boundary = this.#batchBoundary(txn)
    if (boundary === 'abort') await this.#abortTransaction(txn, 'batch')
    if (boundary !== null) await this.#commitTransaction(txn)
  }

  /**
   * An exactly-once task's end: a task that failed (or was stopped while held: it may have lost the task) aborts
   * its open transaction, so a read_committed reader never sees its records; one that stops cleanly commits per its
   * boundary.
   */
  async #closeTransaction(txn: TransactionState, held: string | null): Promise<void> {
    if (!this.#started) return
    if (this.failed || held !== null) {
      if (held !== null) this.log.warn(`The open transaction of ${taskName(this.id)} is aborted: ${held}`)
      // A commit still under way ends first (when it fails, the transaction is still open and aborted here).
      await this.#settleCommit(txn).catch(() => {})
      if (txn.open) await this.#producer.abortTransaction().catch(() => {})
      txn.open = false
      return
    }
    try {
      await this.#commitFinalTransaction(txn)
    } catch (e) {
      this.log.error({ err: e }, 'Final transaction commit failed')
      if (txn.open) await this.#producer.abortTransaction().catch(() => {})
    }
  }

  get lastCommit(): number {
    return this.#lastCommit
  }

  protected onStop(): void {
    this.#operator.triggerStop()
    // A task still starting is stopped when its start returns (in close): it has nothing to stop yet.
    if (this.#started) void this.#stopTask()
  }

  /** Calls `SourceTask.stop()` once; it makes a blocked poll return and releases what start opened. */
  #stopTask(): Promise<void> {
    this.#taskStop ??= (async () => {
      try {
        await this.#task.stop()
      } catch (e) {
        this.log.warn({ err: e }, 'Error stopping the task')
      }
    })()
    return this.#taskStop
  }

  protected async close(): Promise<void> {
    if (this.#commitTimer) clearInterval(this.#commitTimer)
    try {
      await this.#inFlight
    } catch (e) {
      if (e instanceof HeldBatchDropped) this.log.info(e.message)
      else this.log.warn({ err: e }, 'The last batch was not produced; its offsets are not committed')
    }
    const held = this.heldBecause
    if (this.#txn) {
      await this.#closeTransaction(this.#txn, held)
    } else if (this.#started && held !== null) {
      this.log.warn(`The offsets of ${taskName(this.id)} are not committed: ${held}`)
    } else if (this.#started) {
      try {
        await this.#commitOffsets()
      } catch (e) {
        this.log.error({ err: e }, 'Final offset commit failed')
      }
    }
    // After a failure, or a stop that came while the task was starting, the task gets its stop call here.
    if (this.#started) await this.#stopTask()
    await this.#producer.close().catch(() => {})
    await this.#settings.releaseOffsets?.().catch(() => {})
    await this.#settings.topicCreation?.close().catch(() => {})
    await this.#operator.close().catch((e) => this.log.warn({ err: e }, 'Error closing the error reporters'))
  }
}

/**
 * An exactly-once task's failure to write (Apache's maybeWrapProducerSendException): a fenced producer says so (a
 * newer generation of the task, or a zombie fencing, took its transactional id), an expired transaction says how to
 * avoid it, anything else is `message` with the cause.
 */
function transactionFailure(id: ConnectorTaskId, message: string, cause: unknown): ConnectException {
  if (isInvalidProducerEpoch(cause)) {
    return new ConnectException(
      `The task ${taskName(id)} was unable to finish writing records to Kafka before its producer transaction expired. It may be necessary to reconfigure this connector in order for it to run healthily with exactly-once support. Options for this include: tune the connector's producer configuration for higher throughput, increase the transaction timeout for the connector's producers, decrease the offset commit interval (if using interval-based transaction boundaries), or use the 'poll' transaction boundary (if the connector is not already configured to use it).`,
      cause,
    )
  }
  return new ConnectException(`${message}: ${(cause as Error)?.message ?? String(cause)}`, cause)
}

/** Java's InvalidProducerEpochException (error 47, INVALID_PRODUCER_EPOCH), on the error or its cause. */
function isInvalidProducerEpoch(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const code = (c as { apiId?: unknown; code?: unknown }).apiId ?? (c as { code?: unknown }).code
    if (code === 'INVALID_PRODUCER_EPOCH' || (c as Error).name === 'InvalidProducerEpochException') return true
  }
  return false
}

/**
 * Apache's failure of a source task whose records Kafka would not take (the cause's message added, so the task's log
 * line says why): `Unrecoverable exception from producer send callback: Not authorized to access topics: [t] (...)`.
 */
function producerSendFailure(cause: unknown): ConnectException {
  return new ConnectException(`Unrecoverable exception from producer send callback: ${(cause as Error).message}`, cause)
}

function outgoingRecord(
  record: SourceRecord,
  headers: Array<[string, Buffer | null]> | undefined,
  key: Uint8Array | null,
  value: Uint8Array | null,
): OutgoingRecord {
  return {
    topic: record.topic,
    partition: record.kafkaPartition ?? undefined,
    key: key ? toBuffer(key) : null,
    value: value ? toBuffer(value) : null,
    timestamp: record.timestamp ?? undefined,
    headers,
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}
