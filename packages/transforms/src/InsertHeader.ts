/**
 * Apache's `org.apache.kafka.connect.transforms.InsertHeader`: adds a header whose value is `value.literal` parsed
 * with `Values.parseString` (so `42` is an INT8, `true` a BOOLEAN, `[1,2]` an ARRAY...).
 */
import {
  ConfigDef,
  type ConnectRecord,
  NonNullValidator,
  type SchemaAndValue,
  type Transformation,
  Values,
} from '@ferry/api'
import { simpleConfig } from './util/config.ts'

export const INSERT_HEADER_OVERVIEW_DOC = 'Add a header to each record.'
const HEADER_FIELD = 'header'
const VALUE_LITERAL_FIELD = 'value.literal'

export const INSERT_HEADER_CONFIG_DEF: ConfigDef = new ConfigDef()
  .define({
    name: HEADER_FIELD,
    type: 'STRING',
    validator: NonNullValidator,
    importance: 'HIGH',
    documentation: 'The name of the header.',
  })
  .define({
    name: VALUE_LITERAL_FIELD,
    type: 'STRING',
    validator: NonNullValidator,
    importance: 'HIGH',
    documentation: 'The literal value that is to be set as the header value on all records.',
  })

/** `org.apache.kafka.connect.transforms.InsertHeader`. */
export class InsertHeader<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = INSERT_HEADER_OVERVIEW_DOC
  static readonly CONFIG_DEF = INSERT_HEADER_CONFIG_DEF

  private header = ''
  private literalValue: SchemaAndValue | null = null

  configure(props: Record<string, unknown>): void {
    const config = simpleConfig(INSERT_HEADER_CONFIG_DEF, props)
    this.header = config.getString(HEADER_FIELD)!
    this.literalValue = Values.parseString(config.getString(VALUE_LITERAL_FIELD))
  }

  apply(record: R): R {
    const updatedHeaders = record.headers.duplicate()
    updatedHeaders.add(this.header, this.literalValue)
    return record.newRecord(
      record.topic,
      record.kafkaPartition,
      record.keySchema,
      record.key,
      record.valueSchema,
      record.value,
      record.timestamp,
      updatedHeaders,
    )
  }

  config(): ConfigDef {
    return INSERT_HEADER_CONFIG_DEF
  }

  close(): void {}
}
