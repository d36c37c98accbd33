import type { ConnectRecord, Predicate, Transformation } from '@ferry/api'
import type { ProcessingContext } from '../errors/processing-context.ts'
import {
  PendingRetry,
  type Retrying,
  type RetryWithToleranceOperator,
} from '../errors/retry-with-tolerance-operator.ts'
import { Stage } from '../errors/stage.ts'

/** One configured step: a transform, optionally guarded by a predicate (negated when `negate`). */
export interface TransformationStage<R extends ConnectRecord> {
  alias: string
  transformation: Transformation<R>
  predicate: Predicate<R> | null
  negate: boolean
  /** The configured class name (`transforms.<alias>.type` resolved), as error reports name it. */
  className?: string
}

/** Applies the connector's transforms in order; a null from any stage drops the record. */
export class TransformationChain<R extends ConnectRecord> {
  readonly stages: readonly TransformationStage<R>[]

  constructor(stages: TransformationStage<R>[]) {
    this.stages = stages
  }

  get isEmpty(): boolean {
    return this.stages.length === 0
  }

  apply(record: R): R | null {
    let current: R | null = record
    for (const stage of this.stages) {
      if (current === null) return null
      current = applyStage(stage, current)
    }
    return current
  }

  /**
   * Applies the chain under the error handling of stage TRANSFORMATION (Apache's `TransformationChain.apply` with
   * its operator): each transform (with its predicate) is one operation, named by its class. Null when the record
   * was dropped by a transform or failed (then `context.failed`); a PendingRetry when a transform is being retried.
   */
  applyWithErrors<T>(
    context: ProcessingContext<T>,
    record: R,
    operator: RetryWithToleranceOperator<T>,
  ): R | null | PendingRetry<R> {
    let current: R = record
    for (let i = 0; i < this.stages.length; i++) {
      const result = this.#applyStage(i, context, current, operator)
      if (result instanceof PendingRetry) return new PendingRetry(this.#finish(i, result, context, operator))
      if (result === null) return null
      current = result
    }
    return current
  }

  #applyStage<T>(
    i: number,
    context: ProcessingContext<T>,
    record: R,
    operator: RetryWithToleranceOperator<T>,
  ): R | null | PendingRetry<R | null> {
    const stage = this.stages[i]!
    return operator.execute(
      context,
      () => applyStage(stage, record),
      Stage.TRANSFORMATION,
      stage.className ?? stage.transformation.constructor.name,
    )
  }

  /** The rest of the chain after stage `i`, which is being retried. */
  *#finish<T>(
    i: number,
    pending: PendingRetry<R | null>,
    context: ProcessingContext<T>,
    operator: RetryWithToleranceOperator<T>,
  ): Retrying<R | null> {
    let current = yield* pending.attempts
    for (let j = i + 1; j < this.stages.length && current !== null; j++) {
      const result = this.#applyStage(j, context, current, operator)
      current = result instanceof PendingRetry ? yield* result.attempts : result
    }
    return current
  }

  close(): void {
    for (const stage of this.stages) {
      stage.transformation.close()
      stage.predicate?.close()
    }
  }
}

function applyStage<R extends ConnectRecord>(stage: TransformationStage<R>, record: R): R | null {
  if (stage.predicate && stage.predicate.test(record) === stage.negate) return record
  return stage.transformation.apply(record)
}
