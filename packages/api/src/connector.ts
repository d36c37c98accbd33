import type { Config, ConfigDef } from './config/config-def.ts'
import type { OffsetMap, SinkRecord, SourceRecord, TopicPartition } from './record.ts'

/** Reads committed source offsets (Apache's `OffsetStorageReader`). Lookups are by value, not identity. */
export interface OffsetStorageReader {
  offset(partition: OffsetMap): OffsetMap | null
  offsets(partitions: OffsetMap[]): Map<OffsetMap, OffsetMap | null>
}

/** What the runtime offers a connector (Apache's `ConnectorContext`). */
export interface ConnectorContext {
  /** Ask the runtime to call `taskConfigs` again, e.g. after the set of source tables changed. */
  requestTaskReconfiguration(): void
  /** Fail the connector from a background activity; the connector is reported FAILED with this error. */
  raiseError(error: Error): void
}

export interface SourceConnectorContext extends ConnectorContext {
  offsetStorageReader(): OffsetStorageReader
}

/** Task class: a constructor with no arguments. */
export type TaskClass<T extends Task = Task> = new () => T

/**
 * A connector (Apache's `Connector`): validates its config, splits the job into task configs and watches the
 * external system. `start` may be async; `taskConfigs` returns at most `maxTasks` configs.
 */
export abstract class Connector {
  protected context!: ConnectorContext

  initialize(context: ConnectorContext): void {
    this.context = context
  }

  abstract version(): string
  abstract start(props: Record<string, string>): void | Promise<void>
  abstract taskClass(): TaskClass
  abstract taskConfigs(maxTasks: number): Record<string, string>[] | Promise<Record<string, string>[]>
  abstract stop(): void | Promise<void>
  /** The connector's own config keys; must not be null. */
  abstract config(): ConfigDef

  /** Default: stop then start with the new config. */
  async reconfigure(props: Record<string, string>): Promise<void> {
    await this.stop()
    await this.start(props)
  }

  /** Default: validate against `config()`. */
  validate(props: Record<string, string>): Config | Promise<Config> {
    return { configValues: this.config().validate(props) }
  }
}

/** Whether a source connector can give exactly-once semantics with a config (Apache's `ExactlyOnceSupport`, KIP-618). */
export type ExactlyOnceSupport = 'SUPPORTED' | 'UNSUPPORTED'

/** Whether a source connector can define its own transaction boundaries (Apache's `ConnectorTransactionBoundaries`). */
export type ConnectorTransactionBoundaries = 'SUPPORTED' | 'UNSUPPORTED'

export abstract class SourceConnector extends Connector {
  declare protected context: SourceConnectorContext

  /**
   * Asked when `exactly.once.support=required` is validated on a worker with exactly-once source support: SUPPORTED
   * lets the config through; UNSUPPORTED and null (the default: "not implemented") are errors on that key.
   */
  exactlyOnceSupport(_props: Record<string, string>): ExactlyOnceSupport | null {
    return null
  }

  /**
   * Asked when `transaction.boundary=connector` is validated: SUPPORTED when the tasks will define their transactions
   * through `SourceTaskContext.transactionContext()`; the default UNSUPPORTED makes that value an error.
   */
  canDefineTransactionBoundaries(_props: Record<string, string>): ConnectorTransactionBoundaries | null {
    return 'UNSUPPORTED'
  }

  /** Default: offsets cannot be altered. Return true when the connector accepts the change. */
  alterOffsets(_props: Record<string, string>, _offsets: Map<OffsetMap, OffsetMap | null>): boolean | Promise<boolean> {
    throw new Error('This connector does not support altering offsets')
  }
}

export abstract class SinkConnector extends Connector {
  static readonly TOPICS_CONFIG = 'topics'

  alterOffsets(
    _props: Record<string, string>,
    _offsets: Map<TopicPartition, number | null>,
  ): boolean | Promise<boolean> {
    return false
  }
}

/** A unit of work the runtime schedules (Apache's `Task`). */
export interface Task {
  version(): string
  start(props: Record<string, string>): void | Promise<void>
  stop(): void | Promise<void>
}

export interface SourceTaskContext {
  configs(): Record<string, string>
  offsetStorageReader(): OffsetStorageReader
  /**
   * The task's transaction boundaries (Apache's `SourceTaskContext.transactionContext()`): non-null only when the task
   * runs with exactly-once source support and its connector has `transaction.boundary=connector`. Optional, as
   * Apache's default method is: a context without it has none (call it as `context.transactionContext?.()`).
   */
  transactionContext?(): TransactionContext | null
}

/**
 * Lets a source task define its own producer transactions (Apache's `TransactionContext`, KIP-618). Without a record
 * the request applies after the records of the current `poll()` batch; with one, right after that record (which must
 * be one the task returned from `poll()`). Asking for both a commit and an abort at the same point (one record, or
 * one batch) fails the task, as Apache's worker does (its IllegalStateException).
 */
export interface TransactionContext {
  /** Commit the open transaction once every record polled so far has been dispatched. */
  commitTransaction(): void
  /** Commit the open transaction right after `record` has been dispatched. */
  commitTransaction(record: SourceRecord): void
  /** Abort the open transaction once the records polled so far have been dispatched (they are dropped). */
  abortTransaction(): void
  /** Abort the open transaction right after `record` (it and the records before it in the transaction are dropped). */
  abortTransaction(record: SourceRecord): void
}

/**
 * Reads from the external system (Apache's `SourceTask`).
 * `poll` resolves with a batch, or null/empty when nothing is available yet; it should wait a little rather than
 * spin. Throwing `RetriableException` makes the runtime poll again; any other error fails the task.
 * `stop` may be called while a `poll` is pending and should make it return soon.
 */
export abstract class SourceTask implements Task {
  protected context!: SourceTaskContext

  initialize(context: SourceTaskContext): void {
    this.context = context
  }

  abstract version(): string
  abstract start(props: Record<string, string>): void | Promise<void>
  abstract poll(): Promise<SourceRecord[] | null>
  abstract stop(): void | Promise<void>

  /** Called after offsets were committed (or there was nothing to commit). */
  commit(): void | Promise<void> {}

  /** Called when the record was acked by Kafka (`metadata` set) or dropped by a transform or tolerated error (null). */
  commitRecord(_record: SourceRecord, _metadata: RecordMetadata | null): void {}
}

export interface RecordMetadata {
  topic: string
  partition: number
  offset: number
}

/** Errant records reported by a sink task go to the DLQ and/or the log (Apache's `ErrantRecordReporter`). */
export interface ErrantRecordReporter {
  report(record: SinkRecord, error: Error): Promise<void>
}

/**
 * What a sink task may ask of the worker (Apache's `SinkTaskContext`). Seeks and pauses apply to partitions the task
 * is assigned; pausing or resuming another throws IllegalWorkerStateException.
 */
export interface SinkTaskContext {
  configs(): Record<string, string>
  /**
   * Rewind or skip: the next poll reads each partition from the given offset (applied before the next poll, and right
   * after `open` for offsets set there); the offset becomes the partition's current offset for the next commit.
   */
  offset(offsets: Map<TopicPartition, number>): void
  offset(partition: TopicPartition, offset: number): void
  /** The backoff before a batch that failed with RetriableException is delivered again. */
  timeout(ms: number): void
  /** The partitions the task is assigned now (those last given to `open` and not closed since). */
  assignment(): TopicPartition[]
  /**
   * Stops delivering the partitions' records until `resume`; a partition stays paused across rebalances that give it
   * back to this task, and across a pause and resume of the connector.
   */
  pause(...partitions: TopicPartition[]): void
  resume(...partitions: TopicPartition[]): void
  requestCommit(): void
  errantRecordReporter(): ErrantRecordReporter | null
}

/** Offsets by partition; keys are `topic:partition` strings so maps compare by value. */
export type PartitionOffsets = Map<string, { topic: string; partition: number; offset: number }>

/**
 * Writes to the external system (Apache's `SinkTask`).
 * `put` receives each batch once, in partition order; throwing `RetriableException` makes the runtime deliver the
 * same batch again after `context.timeout`; any other error fails the task. `flush` must make everything put so far
 * durable; `preCommit` returns the offsets that are safe to commit (default: flush, then the offsets it was given).
 */
export abstract class SinkTask implements Task {
  static readonly TOPICS_CONFIG = 'topics'
  static readonly TOPICS_REGEX_CONFIG = 'topics.regex'
  protected context!: SinkTaskContext

  initialize(context: SinkTaskContext): void {
    this.context = context
  }

  abstract version(): string
  abstract start(props: Record<string, string>): void | Promise<void>
  abstract put(records: SinkRecord[]): Promise<void>
  abstract stop(): void | Promise<void>

  flush(_currentOffsets: PartitionOffsets): void | Promise<void> {}

  async preCommit(currentOffsets: PartitionOffsets): Promise<PartitionOffsets> {
    await this.flush(currentOffsets)
    return currentOffsets
  }

  open(_partitions: TopicPartition[]): void | Promise<void> {}
  close(_partitions: TopicPartition[]): void | Promise<void> {}

  /**
   * Ferry's extension. True when the task writes values as schemaless JSON and takes `untouchedJson(record)` when
   * there is one: the runtime then hands it schemaless JSON values (read by a JsonConverter without schemas, with no
   * transform configured) unparsed, to be parsed only if the task reads `value`. Asked once, after `start`.
   */
  writesJsonText(): boolean {
    return false
  }
}
