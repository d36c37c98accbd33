import type { Stage } from './stage.ts'

/**
 * What is known about one record's trip through the pipeline (Apache's `ProcessingContext`): the original record
 * (the consumed Kafka record of a sink, the polled SourceRecord of a source), the stage and class running now, the
 * attempts made, and the error once one happened. `reported` settles when every error reporter (log, dead letter
 * queue) has handled the failure; the task waits for it before committing the record's offset.
 */
export class ProcessingContext<T> {
  readonly original: T
  stage: Stage | null = null
  /** The class running the current stage, by its configured class name. */
  executingClass: string | null = null
  attempt = 0
  error: unknown = null
  /** Settles when the reporters have handled the failure; rejects when the dead letter queue could not be written. */
  reported: Promise<void> | null = null

  constructor(original: T) {
    this.original = original
  }

  currentContext(stage: Stage, executingClass: string): void {
    this.stage = stage
    this.executingClass = executingClass
  }

  get failed(): boolean {
    return this.error !== null
  }
}
