import {
  ConnectException,
  type Converter,
  type HeaderConverter,
  type OffsetMap,
  type Schema,
  type SourceRecord,
  Values,
} from '@ferry/api'
import { type IncomingRecord, isConnectionError, kafkaErrorIds, type OutgoingRecord } from '../kafka/clients.ts'
import { isAuthorizationFailure } from '../kafka/failures.ts'
import type { Logger } from '../logger.ts'
import { type DeadLetterQueueMetrics, NOOP_ERROR_HANDLING_METRICS } from '../metrics/task-metrics.ts'
import type { ConnectorTaskId } from '../worker/worker-task.ts'
import type { ErrorReporter } from './error-reporter.ts'
import { exceptionClassName, exceptionMessage, stackTrace } from './java-exceptions.ts'
import type { ProcessingContext } from './processing-context.ts'

export const HEADER_PREFIX = '__connect.errors.'
export const ERROR_HEADER_ORIG_TOPIC = `${HEADER_PREFIX}topic`
export const ERROR_HEADER_ORIG_PARTITION = `${HEADER_PREFIX}partition`
export const ERROR_HEADER_ORIG_OFFSET = `${HEADER_PREFIX}offset`
export const ERROR_HEADER_CONNECTOR_NAME = `${HEADER_PREFIX}connector.name`
export const ERROR_HEADER_TASK_ID = `${HEADER_PREFIX}task.id`
export const ERROR_HEADER_STAGE = `${HEADER_PREFIX}stage`
export const ERROR_HEADER_EXECUTING_CLASS = `${HEADER_PREFIX}class.name`
export const ERROR_HEADER_EXCEPTION = `${HEADER_PREFIX}exception.class.name`
export const ERROR_HEADER_EXCEPTION_MESSAGE = `${HEADER_PREFIX}exception.message`
export const ERROR_HEADER_EXCEPTION_STACK_TRACE = `${HEADER_PREFIX}exception.stacktrace`
/** Ferry's source DLQ: the record's source partition, as JSON. */
export const ERROR_HEADER_SOURCE_PARTITION = `${HEADER_PREFIX}source.partition`
/** Ferry's source DLQ: the record's source offset, as JSON. */
export const ERROR_HEADER_SOURCE_OFFSET = `${HEADER_PREFIX}source.offset`

/** The DLQ topic has one partition, as Apache creates it. */
const DLQ_NUM_DESIRED_PARTITIONS = 1

/** `errors.deadletterqueue.*`. */
export interface DeadLetterQueueSettings {
  topic: string
  replicationFactor: number
  contextHeaders: boolean
}

/** The part of KafkaProducer the reporter uses. */
export interface DeadLetterQueueProducer {
  send(records: OutgoingRecord[]): Promise<unknown>
  close(): Promise<void>
}

/** The part of KafkaAdmin the topic setup uses. */
export interface DeadLetterQueueAdmin {
  listTopics(): Promise<string[]>
  createTopic(name: string, partitions: number, replicationFactor: number): Promise<void>
}

/**
 * Creates the DLQ topic when it does not exist (one partition, `errors.deadletterqueue.topic.replication.factor`
 * replicas), as Apache's `DeadLetterQueueReporter.createAndSetup`. Unlike Apache, a replication factor above the
 * number of brokers is lowered to what the cluster can hold (a warning says so), so the default of 3 works on a
 * one-broker development cluster.
 */
export async function ensureDeadLetterQueueTopic(
  admin: DeadLetterQueueAdmin,
  topic: string,
  replicationFactor: number,
  log: Logger,
): Promise<void> {
  try {
    if ((await admin.listTopics()).includes(topic)) return
    log.error(`Topic ${topic} doesn't exist. Will attempt to create topic.`)
    for (let rf = replicationFactor; ; rf--) {
      try {
        await admin.createTopic(topic, DLQ_NUM_DESIRED_PARTITIONS, rf)
        if (rf !== replicationFactor) {
          log.warn(
            `Created the dead letter queue topic ${topic} with replication factor ${rf}: the cluster has only ${rf} broker(s), fewer than errors.deadletterqueue.topic.replication.factor=${replicationFactor}`,
          )
        }
        return
      } catch (e) {
        if (kafkaErrorIds(e).includes('INVALID_REPLICATION_FACTOR') && rf > 1) continue
        throw e
      }
    }
  } catch (e) {
    if (kafkaErrorIds(e).includes('TOPIC_ALREADY_EXISTS')) return
    throw new ConnectException(`Could not initialize dead letter queue with topic=${topic}`, e)
  }
}

/** What goes to the DLQ for one failed record, before the context headers. */
interface DeadLetter {
  key: Buffer | null
  value: Buffer | null
  headers: Array<[string, Buffer | null]>
  timestamp: number | undefined
  /** The `topic`/`partition`/`offset` context headers (where the record came from). */
  origin: Array<[string, Buffer | null]>
  /** Headers after the exception ones (Ferry's source partition and offset). */
  extra: Array<[string, Buffer | null]>
}

interface Pending {
  record: OutgoingRecord
  resolve: () => void
  reject: (e: unknown) => void
}

/**
 * Writes failed records to the dead letter queue topic (Apache's `DeadLetterQueueReporter`), with the
 * `__connect.errors.*` context headers when `errors.deadletterqueue.context.headers.enable` is true.
 *
 * For sinks the record is the one consumed from Kafka, byte for byte (key, value, headers, timestamp). For sources
 * (a Ferry extension) it is the record the task polled, before transformations, converted with the connector's
 * converters; a part those cannot convert is written as its text (`Values.convertToString`, what the
 * SimpleHeaderConverter writes), and the source partition and offset are added as JSON headers.
 *
 * `report` resolves once Kafka acked the record, so the task commits the record's offset only after its DLQ copy is
 * safe. Connection failures are retried until the reporter is closed; a record Kafka refuses is logged (Apache's
 * message) and skipped, as Apache does.
 *
 * Each record reported is a produce request to the metrics, each one that could not be written (refused, or given
 * up when the reporter closed) a failure: task-error-metrics `deadletterqueue-produce-*` for sinks, Ferry's own
 * source DLQ counts for sources.
 */
export class DeadLetterQueueReporter<T> implements ErrorReporter<T> {
  readonly #producer: DeadLetterQueueProducer
  readonly #settings: DeadLetterQueueSettings
  readonly #id: ConnectorTaskId
  readonly #toDeadLetter: (original: T) => DeadLetter
  readonly #log: Logger
  readonly #topic: string
  readonly #metrics: DeadLetterQueueMetrics
  #queue: Pending[] = []
  #draining: Promise<void> | null = null
  #closed = false

  constructor(
    producer: DeadLetterQueueProducer,
    settings: DeadLetterQueueSettings,
    id: ConnectorTaskId,
    toDeadLetter: (original: T) => DeadLetter,
    log: Logger,
    metrics: DeadLetterQueueMetrics = NOOP_ERROR_HANDLING_METRICS,
  ) {
    this.#producer = producer
    this.#settings = settings
    this.#id = id
    this.#toDeadLetter = toDeadLetter
    this.#log = log
    this.#topic = settings.topic.trim()
    this.#metrics = metrics
  }

  /** For sink tasks: the consumed record's bytes. */
  static sink(
    producer: DeadLetterQueueProducer,
    settings: DeadLetterQueueSettings,
    id: ConnectorTaskId,
    log: Logger,
    metrics?: DeadLetterQueueMetrics,
  ): DeadLetterQueueReporter<IncomingRecord> {
    return new DeadLetterQueueReporter(producer, settings, id, consumedDeadLetter, log, metrics)
  }

  /** For source tasks: the polled record, converted with the connector's converters. */
  static source(
    producer: DeadLetterQueueProducer,
    settings: DeadLetterQueueSettings,
    id: ConnectorTaskId,
    converters: { key: Converter; value: Converter; header: HeaderConverter },
    log: Logger,
    metrics?: DeadLetterQueueMetrics,
  ): DeadLetterQueueReporter<SourceRecord> {
    return new DeadLetterQueueReporter(producer, settings, id, (r) => sourceDeadLetter(r, converters), log, metrics)
  }

  report(context: ProcessingContext<T>): Promise<void> {
    if (this.#topic === '') return Promise.resolve()
    this.#metrics.recordDeadLetterQueueProduceRequest()
    if (context.original === null || context.original === undefined) {
      this.#metrics.recordDeadLetterQueueProduceFailed()
      return Promise.resolve()
    }
    const record = this.toRecord(context)
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ record, resolve, reject })
      // Records reported in the same turn (one batch of a task) go to Kafka in one request.
      if (!this.#draining) this.#draining = new Promise<void>((r) => setImmediate(r)).then(() => this.#drain())
    })
  }

  /** The record written to the DLQ for a failed record. */
  toRecord(context: ProcessingContext<T>): OutgoingRecord {
    const letter = this.#toDeadLetter(context.original)
    const headers = letter.headers
    if (this.#settings.contextHeaders) {
      headers.push(...letter.origin)
      headers.push([ERROR_HEADER_CONNECTOR_NAME, utf8(this.#id.connector)])
      headers.push([ERROR_HEADER_TASK_ID, utf8(String(this.#id.task))])
      headers.push([ERROR_HEADER_STAGE, utf8(context.stage ?? 'null')])
      headers.push([ERROR_HEADER_EXECUTING_CLASS, utf8(context.executingClass ?? 'null')])
      if (context.error !== null) {
        headers.push([ERROR_HEADER_EXCEPTION, utf8(exceptionClassName(context.error))])
        headers.push([ERROR_HEADER_EXCEPTION_MESSAGE, utf8(exceptionMessage(context.error))])
        headers.push([ERROR_HEADER_EXCEPTION_STACK_TRACE, utf8(stackTrace(context.error))])
      }
      headers.push(...letter.extra)
    }
    return { topic: this.#topic, key: letter.key, value: letter.value, timestamp: letter.timestamp, headers }
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue
        this.#queue = []
        await this.#write(batch)
      }
    } finally {
      this.#draining = null
    }
  }

  /** Writes a batch; when Kafka refuses it, writes its records one by one so only the refused ones are skipped. */
  async #write(batch: Pending[]): Promise<void> {
    try {
      await this.#send(batch.map((p) => p.record))
      for (const p of batch) p.resolve()
      return
    } catch (e) {
      if (this.#closed || isConnectionError(e) || isAuthorizationFailure(e) || batch.length === 1) {
        for (const p of batch) this.#failed(p, e)
        return
      }
    }
    for (const p of batch) await this.#write([p])
  }

  #failed(p: Pending, error: unknown): void {
    this.#metrics.recordDeadLetterQueueProduceFailed()
    // A DLQ topic the principal may not write fails the task (naming the topic and the ACL), as an unreachable broker
    // does: skipping would drop every failed record without a trace.
    if (this.#closed || isConnectionError(error) || isAuthorizationFailure(error)) {
      p.reject(new ConnectException(`Could not produce message to dead letter queue. topic=${this.#topic}`, error))
      return
    }
    this.#log.error({ err: error }, `Could not produce message to dead letter queue. topic=${this.#topic}`)
    p.resolve()
  }

  /** Sends, retrying while the broker cannot be reached and the reporter is open. */
  async #send(records: OutgoingRecord[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#producer.send(records)
        return
      } catch (e) {
        if (!isConnectionError(e) || this.#closed) throw e
        const delay = Math.min(100 * 2 ** Math.min(attempt, 7), 10000)
        this.#log.warn(
          `Cannot reach Kafka to write ${records.length} records to the dead letter queue ${this.#topic} (${(e as Error).message}); retrying in ${delay} ms`,
        )
        await new Promise((r) => setTimeout(r, delay))
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    await this.#draining?.catch(() => {})
    await this.#producer
      .close()
      .catch((e) => this.#log.warn({ err: e }, 'Error closing the dead letter queue producer'))
  }
}

function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8')
}

function consumedDeadLetter(r: IncomingRecord): DeadLetter {
  return {
    key: r.key,
    value: r.value,
    headers: [...r.headers],
    timestamp: r.timestamp >= 0 ? r.timestamp : undefined,
    origin: [
      [ERROR_HEADER_ORIG_TOPIC, utf8(r.topic)],
      [ERROR_HEADER_ORIG_PARTITION, utf8(String(r.partition))],
      [ERROR_HEADER_ORIG_OFFSET, utf8(String(r.offset))],
    ],
    extra: [],
  }
}

function sourceDeadLetter(
  r: SourceRecord,
  converters: { key: Converter; value: Converter; header: HeaderConverter },
): DeadLetter {
  const headers: Array<[string, Buffer | null]> = []
  for (const h of r.headers) {
    headers.push([
      h.key,
      convertOrText(h.schema, h.value, () => converters.header.fromConnectHeader(r.topic, h.key, h.schema, h.value)),
    ])
  }
  const origin: Array<[string, Buffer | null]> = [[ERROR_HEADER_ORIG_TOPIC, utf8(r.topic)]]
  if (r.kafkaPartition !== null) origin.push([ERROR_HEADER_ORIG_PARTITION, utf8(String(r.kafkaPartition))])
  return {
    key: convertOrText(r.keySchema, r.key, () =>
      converters.key.fromConnectData(r.topic, r.headers, r.keySchema, r.key),
    ),
    value: convertOrText(r.valueSchema, r.value, () =>
      converters.value.fromConnectData(r.topic, r.headers, r.valueSchema, r.value),
    ),
    headers,
    timestamp: r.timestamp ?? undefined,
    origin,
    extra: [
      [ERROR_HEADER_SOURCE_PARTITION, utf8(offsetJson(r.sourcePartition))],
      [ERROR_HEADER_SOURCE_OFFSET, utf8(offsetJson(r.sourceOffset))],
    ],
  }
}

/** The converter's bytes, or the value's text when the converter cannot convert it. */
function convertOrText(schema: Schema | null, value: unknown, convert: () => Uint8Array | null): Buffer | null {
  try {
    const bytes = convert()
    return bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  } catch {
    try {
      const text = Values.convertToString(schema, value)
      return text === null ? null : utf8(text)
    } catch {
      return value === null || value === undefined ? null : utf8(String(value))
    }
  }
}

/** A source partition or offset as JSON; big integers are written as exact JSON numbers. */
export function offsetJson(map: OffsetMap | null): string {
  if (map === null) return 'null'
  const parts: string[] = []
  for (const [k, v] of Object.entries(map)) {
    parts.push(`${JSON.stringify(k)}:${typeof v === 'bigint' ? v.toString() : JSON.stringify(v ?? null)}`)
  }
  return `{${parts.join(',')}}`
}
