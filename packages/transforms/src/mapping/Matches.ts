/**
 * Ferry's `io.ferry.transforms.predicates.Matches` (alias `Ferry.Matches`): a predicate that holds when a JSONata
 * expression over the record document gives `true`. Nothing or null is false; any other non-boolean result fails the
 * record. With Apache's `Filter` it keeps or drops records (`negate=true` keeps the matching ones); with any other
 * transform it decides where that transform applies. See docs/transforms.md, "The mapping transform".
 */
import { type ConfigDef, type ConnectRecord, DataException, type Predicate } from '@ferry/api'
import { configure, expressionConfigDef } from './config.ts'
import { recordDocument } from './document.ts'
import type { Expression } from './expression.ts'
import { describe } from './result.ts'

export const MATCHES_CLASS = 'io.ferry.transforms.predicates.Matches'

export const MATCHES_OVERVIEW_DOC =
  'A predicate which is true for records on which a JSONata expression over the record document gives true.'

export const MATCHES_CONFIG_DEF: ConfigDef = expressionConfigDef(
  'The predicate holds when the result is true; false, nothing or null is false, any other result fails the record.',
)

/** `io.ferry.transforms.predicates.Matches`. */
export class FerryMatches<R extends ConnectRecord = ConnectRecord> implements Predicate<R> {
  static readonly OVERVIEW_DOC = MATCHES_OVERVIEW_DOC
  static readonly CONFIG_DEF = MATCHES_CONFIG_DEF

  private expression: Expression | null = null

  configure(props: Record<string, unknown>): void {
    this.expression = configure(MATCHES_CLASS, MATCHES_CONFIG_DEF, props).expression
  }

  test(record: R): boolean {
    const result = this.expression!.evaluate(recordDocument(record))
    if (result == null) return false
    if (typeof result !== 'boolean') {
      throw new DataException(
        `${MATCHES_CLASS}: the expression gave ${describe(result)}, where true or false is needed (wrap it in $boolean() to use JSONata's truthiness)`,
      )
    }
    return result
  }

  config(): ConfigDef {
    return MATCHES_CONFIG_DEF
  }

  close(): void {}

  toString(): string {
    return `Matches{expression=${this.expression?.text ?? 'null'}}`
  }
}
