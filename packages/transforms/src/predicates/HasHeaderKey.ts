/** Apache's `org.apache.kafka.connect.transforms.predicates.HasHeaderKey`: a header with this name exists. */
import { ConfigDef, type ConnectRecord, NonEmptyString, type Predicate } from '@ferry/api'
import { simpleConfig } from '../util/config.ts'

export const HAS_HEADER_KEY_OVERVIEW_DOC =
  'A predicate which is true for records with at least one header with the configured name.'
const NAME_CONFIG = 'name'

export const HAS_HEADER_KEY_CONFIG_DEF: ConfigDef = new ConfigDef().define({
  name: NAME_CONFIG,
  type: 'STRING',
  validator: NonEmptyString,
  importance: 'MEDIUM',
  documentation: 'The header name.',
})

/** `org.apache.kafka.connect.transforms.predicates.HasHeaderKey`. */
export class HasHeaderKey<R extends ConnectRecord = ConnectRecord> implements Predicate<R> {
  static readonly OVERVIEW_DOC = HAS_HEADER_KEY_OVERVIEW_DOC
  static readonly CONFIG_DEF = HAS_HEADER_KEY_CONFIG_DEF

  private name: string | null = null

  configure(props: Record<string, unknown>): void {
    this.name = simpleConfig(HAS_HEADER_KEY_CONFIG_DEF, props).getString(NAME_CONFIG)
  }

  test(record: R): boolean {
    if (this.name === null) return false
    for (const header of record.headers) if (header.key === this.name) return true
    return false
  }

  config(): ConfigDef {
    return HAS_HEADER_KEY_CONFIG_DEF
  }

  close(): void {}

  toString(): string {
    return `HasHeaderKey{name='${this.name}'}`
  }
}
