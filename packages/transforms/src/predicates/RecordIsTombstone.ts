/** Apache's `org.apache.kafka.connect.transforms.predicates.RecordIsTombstone`: the value is null. */
import { ConfigDef, type ConnectRecord, type Predicate } from '@ferry/api'

export const RECORD_IS_TOMBSTONE_OVERVIEW_DOC =
  'A predicate which is true for records which are tombstones (i.e. have null value).'

export const RECORD_IS_TOMBSTONE_CONFIG_DEF: ConfigDef = new ConfigDef()

/** `org.apache.kafka.connect.transforms.predicates.RecordIsTombstone`. */
export class RecordIsTombstone<R extends ConnectRecord = ConnectRecord> implements Predicate<R> {
  static readonly OVERVIEW_DOC = RECORD_IS_TOMBSTONE_OVERVIEW_DOC
  static readonly CONFIG_DEF = RECORD_IS_TOMBSTONE_CONFIG_DEF

  configure(_props: Record<string, unknown>): void {}

  test(record: R): boolean {
    return record.value == null
  }

  config(): ConfigDef {
    return RECORD_IS_TOMBSTONE_CONFIG_DEF
  }

  close(): void {}

  toString(): string {
    return 'RecordIsTombstone{}'
  }
}
