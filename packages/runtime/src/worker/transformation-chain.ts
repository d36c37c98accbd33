import type { ConnectRecord, Predicate, Transformation } from '@ferry/api'

/** One configured step: a transform, optionally guarded by a predicate (negated when `negate`). */
export interface TransformationStage<R extends ConnectRecord> {
  alias: string
  transformation: Transformation<R>
  predicate: Predicate<R> | null
  negate: boolean
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
      if (stage.predicate && stage.predicate.test(current) === stage.negate) continue
      current = stage.transformation.apply(current)
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
