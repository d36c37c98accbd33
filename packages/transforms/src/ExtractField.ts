/**
 * Apache's `org.apache.kafka.connect.transforms.ExtractField`: replaces the key or value with one of its fields (a
 * nested one with `field.syntax.version=V2`). A null key/value passes through.
 */
import { ConfigDef, type ConnectRecord, type Transformation } from '@ferry/api'
import { REPLACE_NULL_WITH_DEFAULT_CONFIG, REPLACE_NULL_WITH_DEFAULT_DOC, simpleConfig } from './util/config.ts'
import { appendFieldSyntaxVersion, fieldSyntaxVersionFromConfig, SingleFieldPath } from './util/field-path.ts'
import { IllegalArgumentException } from './util/java.ts'
import { newRecordWith, operatingSchema, operatingValue, type Side } from './util/operating.ts'
import { requireMapOrNull, requireStructOrNull } from './util/requirements.ts'

export const EXTRACT_FIELD_OVERVIEW_DOC =
  'Extract the specified field from a Struct when schema present, or a Map in the case of schemaless data. Any null values are passed through unmodified.<p/>Use the concrete transformation type designed for the record key (<code>org.apache.kafka.connect.transforms.ExtractField$Key</code>) or value (<code>org.apache.kafka.connect.transforms.ExtractField$Value</code>).'

const FIELD_CONFIG = 'field'
const PURPOSE = 'field extraction'

export const EXTRACT_FIELD_CONFIG_DEF: ConfigDef = appendFieldSyntaxVersion(
  new ConfigDef()
    .define({ name: FIELD_CONFIG, type: 'STRING', importance: 'MEDIUM', documentation: 'Field name to extract.' })
    .define({
      name: REPLACE_NULL_WITH_DEFAULT_CONFIG,
      type: 'BOOLEAN',
      defaultValue: true,
      importance: 'MEDIUM',
      documentation: REPLACE_NULL_WITH_DEFAULT_DOC,
    }),
)

/** The shared implementation; use `ExtractFieldKey` or `ExtractFieldValue`. */
export abstract class ExtractField<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = EXTRACT_FIELD_OVERVIEW_DOC
  static readonly CONFIG_DEF = EXTRACT_FIELD_CONFIG_DEF

  protected abstract readonly side: Side
  private fieldPath: SingleFieldPath | null = null
  private originalPath = ''
  private replaceNullWithDefault = true

  configure(props: Record<string, unknown>): void {
    const config = simpleConfig(EXTRACT_FIELD_CONFIG_DEF, props)
    this.originalPath = config.getString(FIELD_CONFIG)!
    this.fieldPath = new SingleFieldPath(this.originalPath, fieldSyntaxVersionFromConfig(config))
    this.replaceNullWithDefault = config.getBoolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)!
  }

  apply(record: R): R {
    const path = this.fieldPath!
    const schema = operatingSchema(record, this.side)
    if (schema == null) {
      const value = requireMapOrNull(operatingValue(record, this.side), PURPOSE)
      return newRecordWith(record, this.side, null, value === null ? null : path.valueFromMap(value))
    }
    const value = requireStructOrNull(operatingValue(record, this.side), PURPOSE)
    const field = path.fieldFrom(schema)
    if (field === null) throw new IllegalArgumentException(`Unknown field: ${this.originalPath}`)
    return newRecordWith(
      record,
      this.side,
      field.schema,
      value === null ? null : path.valueFromStruct(value, this.replaceNullWithDefault),
    )
  }

  config(): ConfigDef {
    return EXTRACT_FIELD_CONFIG_DEF
  }

  close(): void {}
}

/** `org.apache.kafka.connect.transforms.ExtractField$Key`. */
export class ExtractFieldKey<R extends ConnectRecord = ConnectRecord> extends ExtractField<R> {
  protected readonly side = 'key'
}

/** `org.apache.kafka.connect.transforms.ExtractField$Value`. */
export class ExtractFieldValue<R extends ConnectRecord = ConnectRecord> extends ExtractField<R> {
  protected readonly side = 'value'
}
