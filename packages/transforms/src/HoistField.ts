/**
 * Apache's `org.apache.kafka.connect.transforms.HoistField`: wraps the key or value in a Struct (with a schema) or a
 * map (schemaless: a new JS `Map`) under one field.
 */
import { ConfigDef, type ConnectRecord, SchemaBuilder, Struct, type Transformation } from '@ferry/api'
import { simpleConfig } from './util/config.ts'
import { newRecordWith, operatingSchema, operatingValue, type Side } from './util/operating.ts'
import { SchemaCache } from './util/schema-util.ts'

export const HOIST_FIELD_OVERVIEW_DOC =
  'Wrap data using the specified field name in a Struct when schema present, or a Map in the case of schemaless data.<p/>Use the concrete transformation type designed for the record key (<code>org.apache.kafka.connect.transforms.HoistField$Key</code>) or value (<code>org.apache.kafka.connect.transforms.HoistField$Value</code>).'

const FIELD_CONFIG = 'field'

export const HOIST_FIELD_CONFIG_DEF: ConfigDef = new ConfigDef().define({
  name: FIELD_CONFIG,
  type: 'STRING',
  importance: 'MEDIUM',
  documentation: 'Field name for the single field that will be created in the resulting Struct or Map.',
})

/** The shared implementation; use `HoistFieldKey` or `HoistFieldValue`. */
export abstract class HoistField<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = HOIST_FIELD_OVERVIEW_DOC
  static readonly CONFIG_DEF = HOIST_FIELD_CONFIG_DEF

  protected abstract readonly side: Side
  private schemaUpdateCache = new SchemaCache()
  private fieldName = ''

  configure(props: Record<string, unknown>): void {
    const config = simpleConfig(HOIST_FIELD_CONFIG_DEF, props)
    this.fieldName = config.getString(FIELD_CONFIG)!
    this.schemaUpdateCache = new SchemaCache()
  }

  apply(record: R): R {
    const schema = operatingSchema(record, this.side)
    const value = operatingValue(record, this.side)
    if (schema == null) {
      return newRecordWith(record, this.side, null, new Map<unknown, unknown>([[this.fieldName, value ?? null]]))
    }
    let updatedSchema = this.schemaUpdateCache.get(schema)
    if (updatedSchema === undefined) {
      updatedSchema = SchemaBuilder.struct().field(this.fieldName, schema).build()
      this.schemaUpdateCache.put(schema, updatedSchema)
    }
    const updatedValue = new Struct(updatedSchema).put(this.fieldName, value)
    return newRecordWith(record, this.side, updatedSchema, updatedValue)
  }

  config(): ConfigDef {
    return HOIST_FIELD_CONFIG_DEF
  }

  close(): void {
    this.schemaUpdateCache = new SchemaCache()
  }
}

/** `org.apache.kafka.connect.transforms.HoistField$Key`. */
export class HoistFieldKey<R extends ConnectRecord = ConnectRecord> extends HoistField<R> {
  protected readonly side = 'key'
}

/** `org.apache.kafka.connect.transforms.HoistField$Value`. */
export class HoistFieldValue<R extends ConnectRecord = ConnectRecord> extends HoistField<R> {
  protected readonly side = 'value'
}
