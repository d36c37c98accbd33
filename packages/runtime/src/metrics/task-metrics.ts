import { SampledStat } from './sampled-stat.ts'

/**
 * What a task wrapper tells the metrics, once per batch (never per record): the implementation adds to plain
 * numbers, read only when `/metrics` is scraped. Tests use the no-op implementations.
 */
export interface TaskMetrics {
  /** An offset commit finished (connector-task-metrics offset-commit-*). */
  offsetCommit(durationMs: number, success: boolean): void
}

/** source-task-metrics: what a source task polled and wrote. */
export interface SourceTaskMetrics extends TaskMetrics {
  /** `SourceTask.poll()` returned `records` records after `durationMs`. */
  recordPoll(records: number, durationMs: number): void
  /** A batch's records are done: `written` acked by Kafka, `skipped` dropped by a transform or the error handling. */
  recordWrite(written: number, skipped: number): void
  /** An exactly-once task committed a transaction of `records` records (transaction-size-*). */
  transactionCommitted(records: number): void
}

/** sink-task-metrics: what a sink task read and put. */
export interface SinkTaskMetrics extends TaskMetrics {
  /** The consumer returned `records` records. */
  recordRead(records: number): void
  /** `SinkTask.put()` took `records` records (after transforms) in `durationMs` (a batch, also an empty one). */
  recordSend(records: number, durationMs: number): void
  /** The task now holds `count` partitions. */
  assignedPartitions(count: number): void
  /** After a poll: the most records any assigned partition holds beyond what the consumer has handed out. */
  recordLag(records: number): void
  /** Records read but not yet committed (the offsets read minus the offsets committed, over the partitions). */
  recordActive(records: number): void
  /** An offset commit began: its sequence number (offset-commit-seq-no). */
  offsetCommitStarted(seqNo: number): void
}

/** task-error-metrics: what the error handling saw (Apache's ErrorHandlingMetrics). */
export interface ErrorHandlingMetrics {
  /** An operation failed (each attempt). */
  recordFailure(): void
  /** A record failed for good (its retries used up). */
  recordError(): void
  /** A failed record was skipped (tolerated). */
  recordSkipped(): void
  /** An operation is tried again. */
  recordRetry(): void
  /** A failure was written to the log. */
  recordErrorLogged(): void
  /** A record failed for good: last-error-timestamp is now. */
  recordErrorTimestamp(): void
  /** A record was sent to the dead letter queue. */
  recordDeadLetterQueueProduceRequest(): void
  /** Kafka refused a dead letter queue record. */
  recordDeadLetterQueueProduceFailed(): void
}

/** What the dead letter queue reporter tells (a sink's go to task-error-metrics, a source's to Ferry's own). */
export type DeadLetterQueueMetrics = Pick<
  ErrorHandlingMetrics,
  'recordDeadLetterQueueProduceRequest' | 'recordDeadLetterQueueProduceFailed'
>

const noop = () => {}

export const NOOP_SOURCE_TASK_METRICS: SourceTaskMetrics = {
  offsetCommit: noop,
  recordPoll: noop,
  recordWrite: noop,
  transactionCommitted: noop,
}
export const NOOP_SINK_TASK_METRICS: SinkTaskMetrics = {
  offsetCommit: noop,
  recordRead: noop,
  recordSend: noop,
  assignedPartitions: noop,
  recordLag: noop,
  recordActive: noop,
  offsetCommitStarted: noop,
}
export const NOOP_ERROR_HANDLING_METRICS: ErrorHandlingMetrics = {
  recordFailure: noop,
  recordError: noop,
  recordSkipped: noop,
  recordRetry: noop,
  recordErrorLogged: noop,
  recordErrorTimestamp: noop,
  recordDeadLetterQueueProduceRequest: noop,
  recordDeadLetterQueueProduceFailed: noop,
}

/** Everything a task tells its metrics, recording nothing: what tasks get when the worker keeps no metrics. */
export type AllTaskMetrics = SourceTaskMetrics &
  SinkTaskMetrics &
  ErrorHandlingMetrics & { readonly sourceDeadLetterQueue: DeadLetterQueueMetrics }

export const NOOP_TASK_METRICS: AllTaskMetrics = {
  ...NOOP_SOURCE_TASK_METRICS,
  ...NOOP_SINK_TASK_METRICS,
  ...NOOP_ERROR_HANDLING_METRICS,
  sourceDeadLetterQueue: NOOP_ERROR_HANDLING_METRICS,
}

/** A task's status, as connector-task-metrics `status` reports it (Apache's lower-case state names). */
export type TaskMetricStatus = 'unassigned' | 'running' | 'paused' | 'failed' | 'restarting' | 'destroyed'

/**
 * The numbers of one task: connector-task-metrics and task-error-metrics, plus source-task-metrics or
 * sink-task-metrics. Registered with `ConnectMetrics` while the task exists on this worker.
 */
export class RecordingTaskMetrics implements SourceTaskMetrics, SinkTaskMetrics, ErrorHandlingMetrics {
  readonly connector: string
  readonly task: number
  readonly type: 'source' | 'sink'
  #status: TaskMetricStatus = 'unassigned'
  #statusSince: number
  readonly #createdAt: number
  #runningMs = 0
  #pausedMs = 0
  /** Records per batch (polled or read). */
  readonly batchSize: SampledStat
  readonly offsetCommitTime: SampledStat
  offsetCommitSuccesses = 0
  offsetCommitFailures = 0
  // source-task-metrics
  readonly sourceRecordPoll: SampledStat
  readonly sourceRecordWrite: SampledStat
  readonly pollBatchTime: SampledStat
  /** Records polled and not yet written or skipped; `sourceRecordActive` samples it at each change. */
  sourceRecordActiveCount = 0
  readonly sourceRecordActive: SampledStat
  /** An exactly-once source task: it has transaction-size-* (Apache registers them for those tasks only). */
  exactlyOnce = false
  /** Records per committed transaction. */
  readonly transactionSize: SampledStat
  // sink-task-metrics
  readonly sinkRecordRead: SampledStat
  readonly sinkRecordSend: SampledStat
  readonly putBatchTime: SampledStat
  partitionCount = 0
  /** The consumer's lag after each poll; sink-record-lag-max is its maximum over the window. */
  readonly sinkRecordLag: SampledStat
  /** Records read and not yet committed; `sinkRecordActive` samples it at each change. */
  sinkRecordActiveCount = 0
  readonly sinkRecordActive: SampledStat
  offsetCommitSeqNo = 0
  /** Successful commits (a value of 1 each), for offset-commit-completion-rate/total. */
  readonly offsetCommitCompletion: SampledStat
  /** Commit completions received too late (Apache's asynchronous commits); Ferry commits synchronously: none. */
  readonly offsetCommitSkip: SampledStat
  // task-error-metrics
  totalRecordFailures = 0
  totalRecordErrors = 0
  totalRecordsSkipped = 0
  totalRetries = 0
  totalErrorsLogged = 0
  deadLetterQueueProduceRequests = 0
  deadLetterQueueProduceFailures = 0
  lastErrorTimestamp = 0
  // Ferry's own: the source dead letter queue (Apache has none, so its task-error-metrics count sinks' only)
  sourceDeadLetterQueueProduceRequests = 0
  sourceDeadLetterQueueProduceFailures = 0

  constructor(connector: string, task: number, type: 'source' | 'sink', samples: number, now = Date.now()) {
    this.connector = connector
    this.task = task
    this.type = type
    this.#createdAt = now
    this.#statusSince = now
    const stat = () => new SampledStat(samples, now)
    this.batchSize = stat()
    this.offsetCommitTime = stat()
    this.sourceRecordPoll = stat()
    this.sourceRecordWrite = stat()
    this.pollBatchTime = stat()
    this.sourceRecordActive = stat()
    this.transactionSize = stat()
    this.sinkRecordRead = stat()
    this.sinkRecordSend = stat()
    this.putBatchTime = stat()
    this.sinkRecordLag = stat()
    this.sinkRecordActive = stat()
    this.offsetCommitCompletion = stat()
    this.offsetCommitSkip = stat()
  }

  /** Every windowed statistic of the task, for the sample timer. */
  stats(): SampledStat[] {
    return [
      this.batchSize,
      this.offsetCommitTime,
      this.sourceRecordPoll,
      this.sourceRecordWrite,
      this.pollBatchTime,
      this.sourceRecordActive,
      this.transactionSize,
      this.sinkRecordRead,
      this.sinkRecordSend,
      this.putBatchTime,
      this.sinkRecordLag,
      this.sinkRecordActive,
      this.offsetCommitCompletion,
      this.offsetCommitSkip,
    ]
  }

  get status(): TaskMetricStatus {
    return this.#status
  }

  setStatus(status: TaskMetricStatus, now = Date.now()): void {
    this.#account(now)
    this.#status = status
  }

  #account(now: number): void {
    const spent = now - this.#statusSince
    if (this.#status === 'running') this.#runningMs += spent
    else if (this.#status === 'paused') this.#pausedMs += spent
    this.#statusSince = now
  }

  /** The share of the task's life spent running (connector-task-metrics running-ratio). */
  runningRatio(now = Date.now()): number {
    this.#account(now)
    return this.#runningMs / Math.max(now - this.#createdAt, 1)
  }

  /** The share of the task's life spent paused (pause-ratio). */
  pauseRatio(now = Date.now()): number {
    this.#account(now)
    return this.#pausedMs / Math.max(now - this.#createdAt, 1)
  }

  offsetCommit(durationMs: number, success: boolean): void {
    this.offsetCommitTime.record(durationMs)
    if (success) {
      this.offsetCommitSuccesses++
      if (this.type === 'sink') this.offsetCommitCompletion.record(1)
    } else this.offsetCommitFailures++
  }

  recordPoll(records: number, durationMs: number): void {
    this.batchSize.record(records)
    this.sourceRecordPoll.record(records)
    this.pollBatchTime.record(durationMs)
    this.sourceRecordActiveCount += records
    this.sourceRecordActive.record(this.sourceRecordActiveCount)
  }

  transactionCommitted(records: number): void {
    this.transactionSize.record(records)
  }

  recordWrite(written: number, skipped: number): void {
    this.sourceRecordWrite.record(written)
    this.sourceRecordActiveCount -= written + skipped
    this.sourceRecordActive.record(this.sourceRecordActiveCount)
  }

  recordRead(records: number): void {
    this.sinkRecordRead.record(records)
  }

  /** As Apache's WorkerSinkTask.recordBatch: connector-task-metrics batch-size-* are the sizes of the puts. */
  recordSend(records: number, durationMs: number): void {
    this.batchSize.record(records)
    this.sinkRecordSend.record(records)
    this.putBatchTime.record(durationMs)
  }

  assignedPartitions(count: number): void {
    this.partitionCount = count
  }

  recordLag(records: number): void {
    this.sinkRecordLag.record(records)
  }

  recordActive(records: number): void {
    this.sinkRecordActiveCount = records
    this.sinkRecordActive.record(records)
  }

  offsetCommitStarted(seqNo: number): void {
    this.offsetCommitSeqNo = seqNo
  }

  recordFailure(): void {
    this.totalRecordFailures++
  }

  recordErrorTimestamp(): void {
    this.lastErrorTimestamp = Date.now()
  }

  recordError(): void {
    this.totalRecordErrors++
  }

  recordSkipped(): void {
    this.totalRecordsSkipped++
  }

  recordRetry(): void {
    this.totalRetries++
  }

  recordErrorLogged(): void {
    this.totalErrorsLogged++
  }

  recordDeadLetterQueueProduceRequest(): void {
    this.deadLetterQueueProduceRequests++
  }

  recordDeadLetterQueueProduceFailed(): void {
    this.deadLetterQueueProduceFailures++
  }

  /** What a source task's dead letter queue reporter tells: Ferry's own counts, Apache's group has none for sources. */
  readonly sourceDeadLetterQueue: DeadLetterQueueMetrics = {
    recordDeadLetterQueueProduceRequest: () => {
      this.sourceDeadLetterQueueProduceRequests++
    },
    recordDeadLetterQueueProduceFailed: () => {
      this.sourceDeadLetterQueueProduceFailures++
    },
  }
}
