/**
 * Apache's `org.apache.kafka.connect.transforms.HeaderFrom`: copies or moves top-level fields of the key or value
 * into headers (`fields[i]` becomes header `headers[i]`, with the field's schema).
 */
import {
  ConfigDef,
  ConfigException,
  type ConnectRecord,
  type Schema,
  SchemaBuilder,
  Struct,
  type Transformation,
  ValidString,
} from '@ferry/api'
import {
  NonEmptyListValidator,
  REPLACE_NULL_WITH_DEFAULT_CONFIG,
  REPLACE_NULL_WITH_DEFAULT_DOC,
  simpleConfig,
} from './util/config.ts'
import { NullPointerException } from './util/java.ts'
import { copyMap, mapDelete, mapGet } from './util/maps.ts'
import { newRecordWith, operatingSchema, operatingValue, type Side } from './util/operating.ts'
import { requireMap, requireStruct } from './util/requirements.ts'
import { copySchemaBasics, SchemaCache } from './util/schema-util.ts'

export const HEADER_FROM_OVERVIEW_DOC =
  "Moves or copies fields in the key/value of a record into that record's headers. Corresponding elements of <code>fields</code> and <code>headers</code> together identify a field and the header it should be moved or copied to. Use the concrete transformation type designed for the record key (<code>org.apache.kafka.connect.transforms.HeaderFrom$Key</code>) or value (<code>org.apache.kafka.connect.transforms.HeaderFrom$Value</code>)."

const FIELDS_FIELD = 'fields'
const HEADERS_FIELD = 'headers'
const OPERATION_FIELD = 'operation'

export const HEADER_FROM_CONFIG_DEF: ConfigDef = new ConfigDef()
  .define({
    name: FIELDS_FIELD,
    type: 'LIST',
    validator: NonEmptyListValidator,
    importance: 'HIGH',
    documentation: 'Field names in the record whose values are to be copied or moved to headers.',
  })
  .define({
    name: HEADERS_FIELD,
    type: 'LIST',
    validator: NonEmptyListValidator,
    importance: 'HIGH',
    documentation: 'Header names, in the same order as the field names listed in the fields configuration property.',
  })
  .define({
    name: OPERATION_FIELD,
    type: 'STRING',
    validator: ValidString.in('move', 'copy'),
    importance: 'HIGH',
    documentation:
      'Either <code>move</code> if the fields are to be moved to the headers (removed from the key/value), or <code>copy</code> if the fields are to be copied to the headers (retained in the key/value).',
  })
  .define({
    name: REPLACE_NULL_WITH_DEFAULT_CONFIG,
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'MEDIUM',
    documentation: REPLACE_NULL_WITH_DEFAULT_DOC,
  })

/** The shared implementation; use `HeaderFromKey` or `HeaderFromValue`. */
export abstract class HeaderFrom<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = HEADER_FROM_OVERVIEW_DOC
  static readonly CONFIG_DEF = HEADER_FROM_CONFIG_DEF

  protected abstract readonly side: Side
  private readonly moveSchemaCache = new SchemaCache()
  private fields: string[] = []
  private headers: string[] = []
  private operation: 'move' | 'copy' = 'copy'
  private replaceNullWithDefault = true

  configure(props: Record<string, unknown>): void {
    const config = simpleConfig(HEADER_FROM_CONFIG_DEF, props)
    this.fields = config.getList(FIELDS_FIELD)!
    this.headers = config.getList(HEADERS_FIELD)!
    if (this.headers.length !== this.fields.length) {
      throw new ConfigException(
        `'${FIELDS_FIELD}' config must have the same number of elements as '${HEADERS_FIELD}' config.`,
      )
    }
    this.operation = config.getString(OPERATION_FIELD) as 'move' | 'copy'
    this.replaceNullWithDefault = config.getBoolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)!
  }

  apply(record: R): R {
    const value = operatingValue(record, this.side)
    const schema = operatingSchema(record, this.side)
    if (schema == null) return this.applySchemaless(record, value)
    return this.applyWithSchema(record, value, schema)
  }

  config(): ConfigDef {
    return HEADER_FROM_CONFIG_DEF
  }

  close(): void {}

  private fieldValue(value: Struct, name: string): unknown {
    return this.replaceNullWithDefault ? value.get(name) : value.getWithoutDefault(name)
  }

  private applyWithSchema(record: R, operatingValue0: unknown, schema: Schema): R {
    const updatedHeaders = record.headers.duplicate()
    const value = requireStruct(operatingValue0, `header ${this.operation}`)
    let updatedSchema: Schema
    let updatedValue: Struct
    if (this.operation === 'move') {
      updatedSchema = this.moveSchema(schema)
      updatedValue = new Struct(updatedSchema)
      for (const field of updatedSchema.fields()) updatedValue.put(field, this.fieldValue(value, field.name))
    } else {
      updatedSchema = schema
      updatedValue = value
    }
    for (let i = 0; i < this.fields.length; i++) {
      const fieldName = this.fields[i]!
      const headerName = this.headers[i]!
      const fieldValue = value.schema.field(fieldName) !== null ? this.fieldValue(value, fieldName) : null
      const field = schema.field(fieldName)
      if (field === null) {
        // Apache dereferences the missing field.
        throw new NullPointerException(
          'Cannot invoke "org.apache.kafka.connect.data.Field.schema()" because the return value of "org.apache.kafka.connect.data.Schema.field(String)" is null',
        )
      }
      updatedHeaders.add(headerName, fieldValue, field.schema)
    }
    return newRecordWith(record, this.side, updatedSchema, updatedValue, updatedHeaders)
  }

  private moveSchema(schema: Schema): Schema {
    let moveSchema = this.moveSchemaCache.get(schema)
    if (moveSchema === undefined) {
      const builder = copySchemaBasics(schema, SchemaBuilder.struct())
      for (const field of schema.fields())
        if (!this.fields.includes(field.name)) builder.field(field.name, field.schema)
      moveSchema = builder.build()
      this.moveSchemaCache.put(schema, moveSchema)
    }
    return moveSchema
  }

  private applySchemaless(record: R, operatingValue0: unknown): R {
    const updatedHeaders = record.headers.duplicate()
    const value = requireMap(operatingValue0, `header ${this.operation}`)
    const updatedValue = copyMap(value)
    for (let i = 0; i < this.fields.length; i++) {
      const fieldName = this.fields[i]!
      const fieldValue = mapGet(value, fieldName)
      if (this.operation === 'move') mapDelete(updatedValue, fieldName)
      updatedHeaders.add(this.headers[i]!, fieldValue, null)
    }
    return newRecordWith(record, this.side, null, updatedValue, updatedHeaders)
  }
}

/** `org.apache.kafka.connect.transforms.HeaderFrom$Key`. */
export class HeaderFromKey<R extends ConnectRecord = ConnectRecord> extends HeaderFrom<R> {
  protected readonly side = 'key'
}

/** `org.apache.kafka.connect.transforms.HeaderFrom$Value`. */
export class HeaderFromValue<R extends ConnectRecord = ConnectRecord> extends HeaderFrom<R> {
  protected readonly side = 'value'
}
