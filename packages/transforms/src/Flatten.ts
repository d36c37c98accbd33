/**
 * Apache's `org.apache.kafka.connect.transforms.Flatten`: flattens nested Structs (with a schema) or nested maps
 * (schemaless) into one level, joining the names with `delimiter`. Arrays are left alone; a MAP field with a schema is
 * an error, as in Apache.
 */
import {
  ConfigDef,
  type ConnectRecord,
  DataException,
  type Schema,
  SchemaBuilder,
  Struct,
  type Transformation,
} from '@ferry/api'
import { simpleConfig } from './util/config.ts'
import { javaClassString } from './util/java.ts'
import { type AnyMap, emptyLike, mapEntries, mapSet } from './util/maps.ts'
import { newRecordWith, operatingSchema, operatingValue, type Side } from './util/operating.ts'
import { requireMap, requireStructOrNull } from './util/requirements.ts'
import { copySchemaBasics, SchemaCache } from './util/schema-util.ts'
import { inferSchemaType } from './util/values.ts'

export const FLATTEN_OVERVIEW_DOC =
  "Flatten a nested data structure, generating names for each field by concatenating the field names at each level with a configurable delimiter character. Applies to Struct when schema present, or a Map in the case of schemaless data. Array fields and their contents are not modified. The default delimiter is '.'.<p/>Use the concrete transformation type designed for the record key (<code>org.apache.kafka.connect.transforms.Flatten$Key</code>) or value (<code>org.apache.kafka.connect.transforms.Flatten$Value</code>)."

const DELIMITER_CONFIG = 'delimiter'
const PURPOSE = 'flattening'

export const FLATTEN_CONFIG_DEF: ConfigDef = new ConfigDef().define({
  name: DELIMITER_CONFIG,
  type: 'STRING',
  defaultValue: '.',
  importance: 'MEDIUM',
  documentation:
    'Delimiter to insert between field names from the input record when generating field names for the output record',
})

/** The shared implementation; use `FlattenKey` or `FlattenValue`. */
export abstract class Flatten<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = FLATTEN_OVERVIEW_DOC
  static readonly CONFIG_DEF = FLATTEN_CONFIG_DEF

  protected abstract readonly side: Side
  private delimiter = '.'
  private schemaUpdateCache = new SchemaCache()

  configure(props: Record<string, unknown>): void {
    const config = simpleConfig(FLATTEN_CONFIG_DEF, props)
    this.delimiter = config.getString(DELIMITER_CONFIG)!
    this.schemaUpdateCache = new SchemaCache()
  }

  apply(record: R): R {
    if (operatingValue(record, this.side) == null) return record
    if (operatingSchema(record, this.side) == null) return this.applySchemaless(record)
    return this.applyWithSchema(record)
  }

  config(): ConfigDef {
    return FLATTEN_CONFIG_DEF
  }

  close(): void {}

  private fieldName(prefix: string, fieldName: string): string {
    return prefix.length === 0 ? fieldName : prefix + this.delimiter + fieldName
  }

  private applySchemaless(record: R): R {
    const value = requireMap(operatingValue(record, this.side), PURPOSE)
    const newValue = emptyLike(value)
    this.flattenSchemaless(value, '', newValue)
    return newRecordWith(record, this.side, null, newValue)
  }

  private flattenSchemaless(original: AnyMap, prefix: string, out: AnyMap): void {
    for (const [key, value] of mapEntries(original)) {
      const fieldName = this.fieldName(prefix, String(key))
      if (value == null) {
        mapSet(out, fieldName, null)
        continue
      }
      const inferred = inferSchemaType(value)
      if (inferred === null) {
        throw new DataException(
          `Flatten transformation was passed a value of type ${javaClassString(value)} which is not supported by Connect's data API`,
        )
      }
      switch (inferred) {
        case 'MAP':
          this.flattenSchemaless(requireMap(value, PURPOSE), fieldName, out)
          break
        case 'STRUCT':
          throw new DataException(
            `Flatten transformation does not support ${javaClassString(value)} for record without schemas (for field ${fieldName}).`,
          )
        default:
          mapSet(out, fieldName, value)
      }
    }
  }

  private applyWithSchema(record: R): R {
    const value = requireStructOrNull(operatingValue(record, this.side), PURPOSE)
    const schema = operatingSchema(record, this.side)!
    let updatedSchema = this.schemaUpdateCache.get(schema)
    if (updatedSchema === undefined) {
      const builder = copySchemaBasics(schema, SchemaBuilder.struct())
      const defaultValue = schema.defaultValue as Struct | null
      this.buildUpdatedSchema(schema, '', builder, schema.isOptional, defaultValue)
      updatedSchema = builder.build()
      this.schemaUpdateCache.put(schema, updatedSchema)
    }
    if (value === null) return newRecordWith(record, this.side, updatedSchema, null)
    const updatedValue = new Struct(updatedSchema)
    this.buildWithSchema(value, '', updatedValue)
    return newRecordWith(record, this.side, updatedSchema, updatedValue)
  }

  private buildUpdatedSchema(
    schema: Schema,
    prefix: string,
    newSchema: SchemaBuilder,
    optional: boolean,
    defaultFromParent: Struct | null,
  ): void {
    for (const field of schema.fields()) {
      const fieldName = this.fieldName(prefix, field.name)
      const fieldIsOptional = optional || field.schema.isOptional
      let fieldDefaultValue: unknown = null
      if (field.schema.defaultValue != null) fieldDefaultValue = field.schema.defaultValue
      else if (defaultFromParent != null) fieldDefaultValue = defaultFromParent.get(field)
      switch (field.schema.type) {
        case 'MAP':
          throw new DataException(
            `Flatten transformation does not support ${field.schema.type} for record with schemas (for field ${fieldName}).`,
          )
        case 'STRUCT':
          this.buildUpdatedSchema(field.schema, fieldName, newSchema, fieldIsOptional, fieldDefaultValue as Struct)
          break
        default:
          newSchema.field(fieldName, convertFieldSchema(field.schema, fieldIsOptional, fieldDefaultValue))
      }
    }
  }

  private buildWithSchema(record: Struct | null, prefix: string, newRecord: Struct): void {
    if (record == null) return
    for (const field of record.schema.fields()) {
      const fieldName = this.fieldName(prefix, field.name)
      switch (field.schema.type) {
        case 'MAP':
          throw new DataException(
            `Flatten transformation does not support ${field.schema.type} for record with schemas (for field ${fieldName}).`,
          )
        case 'STRUCT':
          this.buildWithSchema(record.getStruct(field.name), fieldName, newRecord)
          break
        default:
          newRecord.put(fieldName, record.get(field))
      }
    }
  }
}

function convertFieldSchema(orig: Schema, optional: boolean, defaultFromParent: unknown): Schema {
  const builder = copySchemaBasics(orig)
  if (optional) builder.optional()
  if (defaultFromParent != null) builder.defaultValue(defaultFromParent)
  return builder.build()
}

/** `org.apache.kafka.connect.transforms.Flatten$Key`. */
export class FlattenKey<R extends ConnectRecord = ConnectRecord> extends Flatten<R> {
  protected readonly side = 'key'
}

/** `org.apache.kafka.connect.transforms.Flatten$Value`. */
export class FlattenValue<R extends ConnectRecord = ConnectRecord> extends Flatten<R> {
  protected readonly side = 'value'
}
