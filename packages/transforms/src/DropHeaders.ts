/** Apache's `org.apache.kafka.connect.transforms.DropHeaders`: removes every header with one of the given names. */
import { ConfigDef, type ConnectRecord, Headers, type Transformation } from '@ferry/api'
import { AnyNonDuplicateValues, simpleConfig } from './util/config.ts'

export const DROP_HEADERS_OVERVIEW_DOC = 'Removes one or more headers from each record.'
const HEADERS_FIELD = 'headers'

export const DROP_HEADERS_CONFIG_DEF: ConfigDef = new ConfigDef().define({
  name: HEADERS_FIELD,
  type: 'LIST',
  validator: AnyNonDuplicateValues.of(false, false),
  importance: 'HIGH',
  documentation: 'The name of the headers to be removed.',
})

/** `org.apache.kafka.connect.transforms.DropHeaders`. */
export class DropHeaders<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = DROP_HEADERS_OVERVIEW_DOC
  static readonly CONFIG_DEF = DROP_HEADERS_CONFIG_DEF

  private headers: Set<string> = new Set()

  configure(props: Record<string, unknown>): void {
    const config = simpleConfig(DROP_HEADERS_CONFIG_DEF, props)
    this.headers = new Set(config.getList(HEADERS_FIELD)!)
  }

  apply(record: R): R {
    const updated = new Headers()
    for (const header of record.headers) if (!this.headers.has(header.key)) updated.addHeader(header)
    return record.newRecord(
      record.topic,
      record.kafkaPartition,
      record.keySchema,
      record.key,
      record.valueSchema,
      record.value,
      record.timestamp,
      updated,
    )
  }

  config(): ConfigDef {
    return DROP_HEADERS_CONFIG_DEF
  }

  close(): void {}
}
