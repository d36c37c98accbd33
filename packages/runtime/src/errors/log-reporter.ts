import { type ConnectRecord, type Headers, type OffsetMap, type Schema, type SourceRecord, Values } from '@ferry/api'
import type { IncomingRecord } from '../kafka/clients.ts'
import type { Logger } from '../logger.ts'
import { type ErrorHandlingMetrics, NOOP_ERROR_HANDLING_METRICS } from '../metrics/task-metrics.ts'
import { type ConnectorTaskId, taskName } from '../worker/worker-task.ts'
import type { ErrorReporter } from './error-reporter.ts'
import type { ProcessingContext } from './processing-context.ts'

/** `errors.log.enable` and `errors.log.include.messages`. */
export interface LogReporterSettings {
  enabled: boolean
  includeMessages: boolean
}

/**
 * Writes each failed record's context to the worker log at ERROR, with the error (Apache's `LogReporter`), when
 * `errors.log.enable` is true: `Error encountered in task <connector>-<task>. Executing stage '<STAGE>' with class
 * '<class>'[, where consumed record is {...}].` The record part is there with `errors.log.include.messages`.
 */
export class LogReporter<T> implements ErrorReporter<T> {
  readonly #id: ConnectorTaskId
  readonly #settings: LogReporterSettings
  readonly #log: Logger
  readonly #describe: (original: T) => string
  readonly #metrics: Pick<ErrorHandlingMetrics, 'recordErrorLogged'>

  constructor(
    id: ConnectorTaskId,
    settings: LogReporterSettings,
    log: Logger,
    describe: (original: T) => string,
    metrics: Pick<ErrorHandlingMetrics, 'recordErrorLogged'> = NOOP_ERROR_HANDLING_METRICS,
  ) {
    this.#id = id
    this.#settings = settings
    this.#log = log
    this.#describe = describe
    this.#metrics = metrics
  }

  /** For sink tasks: the consumed record's topic, partition, offset and timestamp. */
  static sink(
    id: ConnectorTaskId,
    settings: LogReporterSettings,
    log: Logger,
    metrics?: ErrorHandlingMetrics,
  ): LogReporter<IncomingRecord> {
    return new LogReporter(id, settings, log, describeConsumed, metrics)
  }

  /** For source tasks: the whole record the task returned from poll, before transformations. */
  static source(
    id: ConnectorTaskId,
    settings: LogReporterSettings,
    log: Logger,
    metrics?: ErrorHandlingMetrics,
  ): LogReporter<SourceRecord> {
    return new LogReporter(id, settings, log, (r) => `, where source record is = ${sourceRecordToString(r)}`, metrics)
  }

  /** Logs the failure (task-error-metrics total-errors-logged counts it). */
  report(context: ProcessingContext<T>): void {
    if (!this.#settings.enabled || !context.failed) return
    this.#log.error({ err: context.error }, this.message(context))
    this.#metrics.recordErrorLogged()
  }

  message(context: ProcessingContext<T>): string {
    let text = `Error encountered in task ${taskName(this.#id)}. Executing stage '${context.stage}' with class '${context.executingClass ?? 'null'}'`
    if (this.#settings.includeMessages) text += this.#describe(context.original)
    return `${text}.`
  }

  close(): void {}
}

function describeConsumed(r: IncomingRecord): string {
  let text = `, where consumed record is {topic='${r.topic}', partition=${r.partition}, offset=${r.offset}`
  if (r.timestamp >= 0) text += `, timestamp=${r.timestamp}, timestampType=CreateTime`
  return `${text}}`
}

/** Apache's `SourceRecord.toString()`. */
export function sourceRecordToString(r: SourceRecord): string {
  return `SourceRecord{sourcePartition=${mapToString(r.sourcePartition)}, sourceOffset=${mapToString(r.sourceOffset)}} ${connectRecordToString(r)}`
}

function connectRecordToString(r: ConnectRecord): string {
  return `ConnectRecord{topic='${r.topic}', kafkaPartition=${r.kafkaPartition}, key=${valueToString(r.keySchema, r.key)}, keySchema=${schemaToString(r.keySchema)}, value=${valueToString(r.valueSchema, r.value)}, valueSchema=${schemaToString(r.valueSchema)}, timestamp=${r.timestamp}, headers=${headersToString(r.headers)}}`
}

function mapToString(map: OffsetMap | null): string {
  if (map === null) return 'null'
  return `{${Object.entries(map)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}}`
}

function valueToString(schema: Schema | null, value: unknown): string {
  try {
    return Values.convertToString(schema, value) ?? 'null'
  } catch {
    return String(value)
  }
}

function schemaToString(schema: Schema | null): string {
  return schema === null ? 'null' : schema.toString()
}

function headersToString(headers: Headers): string {
  const parts: string[] = []
  for (const h of headers)
    parts.push(
      `ConnectHeader(key=${h.key}, value=${valueToString(h.schema, h.value)}, schema=${schemaToString(h.schema)})`,
    )
  return `ConnectHeaders(headers=${parts.join(', ')})`
}
