/**
 * A logical stage of a Connect pipeline (Apache's `org.apache.kafka.connect.runtime.errors.Stage`). The names are
 * Apache's: they appear in logs, in the `__connect.errors.stage` header of dead letter queue records and in traces.
 */
export const Stage = {
  /** `SourceTask.poll()`. */
  TASK_POLL: 'TASK_POLL',
  /** `SinkTask.put()`, and records a sink task reports through its ErrantRecordReporter. */
  TASK_PUT: 'TASK_PUT',
  /** A transformation (or its predicate) applied to a record. */
  TRANSFORMATION: 'TRANSFORMATION',
  /** The key converter. */
  KEY_CONVERTER: 'KEY_CONVERTER',
  /** The value converter. */
  VALUE_CONVERTER: 'VALUE_CONVERTER',
  /** The header converter. */
  HEADER_CONVERTER: 'HEADER_CONVERTER',
  /** Producing a source record to Kafka. */
  KAFKA_PRODUCE: 'KAFKA_PRODUCE',
  /** Consuming from Kafka. */
  KAFKA_CONSUME: 'KAFKA_CONSUME',
} as const

export type Stage = (typeof Stage)[keyof typeof Stage]

/** Apache's executing class for failures reported by a sink task (`SinkTask.class`). */
export const SINK_TASK_CLASS = 'org.apache.kafka.connect.sink.SinkTask'
/** Apache's executing class for producer failures of a source task (`WorkerSourceTask.class`). */
export const WORKER_SOURCE_TASK_CLASS = 'org.apache.kafka.connect.runtime.WorkerSourceTask'
