/**
 * Ferry's `io.ferry.transforms.Route` (alias `Ferry.Route`): the record's topic becomes the string a JSONata expression
 * gives over the record document; when it selects nothing (or gives null) the topic is kept. See docs/transforms.md,
 * "The mapping transform".
 */
import { type ConfigDef, type ConnectRecord, DataException, type Transformation } from '@ferry/api'
import { configure, expressionConfigDef } from './config.ts'
import { recordDocument } from './document.ts'
import type { Expression } from './expression.ts'
import { describe } from './result.ts'

export const ROUTE_CLASS = 'io.ferry.transforms.Route'

export const ROUTE_OVERVIEW_DOC =
  'Sets the record topic to the string a JSONata expression gives over the record document; a result of nothing or null keeps the topic.'

export const ROUTE_CONFIG_DEF: ConfigDef = expressionConfigDef(
  'Its result is the new topic name (a non-empty string); nothing or null keeps the topic.',
)

/** `io.ferry.transforms.Route`. */
export class FerryRoute<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = ROUTE_OVERVIEW_DOC
  static readonly CONFIG_DEF = ROUTE_CONFIG_DEF

  private expression: Expression | null = null

  configure(props: Record<string, unknown>): void {
    this.expression = configure(ROUTE_CLASS, ROUTE_CONFIG_DEF, props).expression
  }

  apply(record: R): R {
    const topic = this.expression!.evaluate(recordDocument(record))
    if (topic == null || topic === record.topic) return record
    if (typeof topic !== 'string' || topic.length === 0) {
      throw new DataException(`${ROUTE_CLASS}: the expression gave ${describe(topic)}, where a topic name is needed`)
    }
    return record.newRecord(
      topic,
      record.kafkaPartition,
      record.keySchema,
      record.key,
      record.valueSchema,
      record.value,
      record.timestamp,
    )
  }

  config(): ConfigDef {
    return ROUTE_CONFIG_DEF
  }

  close(): void {}
}
