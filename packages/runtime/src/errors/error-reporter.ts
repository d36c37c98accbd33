import type { ProcessingContext } from './processing-context.ts'

/**
 * Reports a failed record (Apache's `ErrorReporter`): the log reporter writes a line, the dead letter queue reporter
 * produces the record to a topic. `report` settles once the report is durable (acked by Kafka for the DLQ).
 */
export interface ErrorReporter<T> {
  report(context: ProcessingContext<T>): Promise<void> | void
  close(): Promise<void> | void
}
