/** Apache's `org.apache.kafka.connect.transforms.Filter`: drops every record (combine it with a predicate). */
import { ConfigDef, type ConnectRecord, type Transformation } from '@ferry/api'

export const FILTER_OVERVIEW_DOC =
  'Drops all records, filtering them from subsequent transformations in the chain. This is intended to be used conditionally to filter out records matching (or not matching) a particular Predicate.'

export const FILTER_CONFIG_DEF: ConfigDef = new ConfigDef()

/** `org.apache.kafka.connect.transforms.Filter`. */
export class Filter<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = FILTER_OVERVIEW_DOC
  static readonly CONFIG_DEF = FILTER_CONFIG_DEF

  configure(_props: Record<string, unknown>): void {}

  apply(_record: R): R | null {
    return null
  }

  config(): ConfigDef {
    return FILTER_CONFIG_DEF
  }

  close(): void {}
}
