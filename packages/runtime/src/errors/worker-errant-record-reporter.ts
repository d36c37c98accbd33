import {
  ConnectException,
  type Converter,
  type ErrantRecordReporter,
  type HeaderConverter,
  type SinkRecord,
} from '@ferry/api'
import type { IncomingRecord } from '../kafka/clients.ts'
import { ProcessingContext } from './processing-context.ts'
import type { RetryWithToleranceOperator } from './retry-with-tolerance-operator.ts'
import { SINK_TASK_CLASS, Stage } from './stage.ts'

/**
 * The ErrantRecordReporter a sink task gets from `context.errantRecordReporter()` (Apache's
 * `WorkerErrantRecordReporter`). A reported record goes through the error handling of stage TASK_PUT: logged and/or
 * written to the DLQ. A record the worker delivered is sent as it was consumed (the original bytes); a record the
 * task made itself is converted with the connector's converters first. With `errors.tolerance=none` reporting
 * throws `Tolerance exceeded in error handler`; the worker fails the task after `put` returns even if the task
 * swallowed that. The worker waits for every report before it commits offsets.
 */
export class WorkerErrantRecordReporter implements ErrantRecordReporter {
  readonly #operator: RetryWithToleranceOperator<IncomingRecord>
  readonly #converters: { key: Converter; value: Converter; header: HeaderConverter }
  readonly #originals: WeakMap<SinkRecord, IncomingRecord>
  #pending: Promise<void>[] = []
  #taskPutError: unknown = null

  constructor(
    operator: RetryWithToleranceOperator<IncomingRecord>,
    converters: { key: Converter; value: Converter; header: HeaderConverter },
    originals: WeakMap<SinkRecord, IncomingRecord>,
  ) {
    this.#operator = operator
    this.#converters = converters
    this.#originals = originals
  }

  report(record: SinkRecord, error: Error): Promise<void> {
    const context = new ProcessingContext(this.#originals.get(record) ?? this.#consumedFrom(record))
    if (this.#taskPutError === null) this.#taskPutError = error
    const reported = this.#operator.executeFailed(context, Stage.TASK_PUT, SINK_TASK_CLASS, error)
    this.#pending.push(reported)
    return reported
  }

  /** A record as if consumed: the task's (possibly new) record converted with the connector's converters. */
  #consumedFrom(record: SinkRecord): IncomingRecord {
    const topic = record.topic
    const headers: Array<[string, Buffer | null]> = []
    for (const h of record.headers) {
      headers.push([h.key, toBuffer(this.#converters.header.fromConnectHeader(topic, h.key, h.schema, h.value))])
    }
    return {
      topic,
      partition: record.kafkaPartition ?? -1,
      offset: record.kafkaOffset,
      timestamp: record.timestamp ?? -1,
      key: toBuffer(this.#converters.key.fromConnectData(topic, record.headers, record.keySchema, record.key)),
      value: toBuffer(this.#converters.value.fromConnectData(topic, record.headers, record.valueSchema, record.value)),
      headers,
    }
  }

  /** Fails the task (after `put`) when it reported a record that is not tolerated, even if it caught the error. */
  maybeThrowAsyncError(): void {
    if (this.#taskPutError !== null && !this.#operator.withinToleranceLimits()) {
      throw new ConnectException('Tolerance exceeded in error handler', this.#taskPutError)
    }
  }

  /** Waits for every report so far; rejects when one could not be written to the DLQ. */
  async awaitReports(): Promise<void> {
    const pending = this.#pending
    this.#pending = []
    await Promise.all(pending)
  }
}

function toBuffer(bytes: Uint8Array | null): Buffer | null {
  if (bytes === null) return null
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
