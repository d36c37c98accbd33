/**
 * Apache's `org.apache.kafka.connect.transforms.ValueToKey`: the key becomes a Struct (with a schema) or a map
 * (schemaless; a `Map` unless the value is a plain object) of fields taken from the value, nested ones with
 * `field.syntax.version=V2`.
 */
import { ConfigDef, type ConnectRecord, DataException, SchemaBuilder, Struct, type Transformation } from '@ferry/api'
import {
  AnyNonDuplicateValues,
  REPLACE_NULL_WITH_DEFAULT_CONFIG,
  REPLACE_NULL_WITH_DEFAULT_DOC,
  simpleConfig,
} from './util/config.ts'
import { appendFieldSyntaxVersion, fieldSyntaxVersionFromConfig, SingleFieldPath } from './util/field-path.ts'
import { emptyLike, mapSet } from './util/maps.ts'
import { requireMap, requireStruct } from './util/requirements.ts'
import { SchemaCache } from './util/schema-util.ts'

export const VALUE_TO_KEY_OVERVIEW_DOC =
  'Replace the record key with a new key formed from a subset of fields in the record value.'

const FIELDS_CONFIG = 'fields'
const PURPOSE = 'copying fields from value to key'

export const VALUE_TO_KEY_CONFIG_DEF: ConfigDef = appendFieldSyntaxVersion(
  new ConfigDef()
    .define({
      name: FIELDS_CONFIG,
      type: 'LIST',
      validator: AnyNonDuplicateValues.of(false, false),
      importance: 'HIGH',
      documentation: 'Field names on the record value to extract as the record key.',
    })
    .define({
      name: REPLACE_NULL_WITH_DEFAULT_CONFIG,
      type: 'BOOLEAN',
      defaultValue: true,
      importance: 'MEDIUM',
      documentation: REPLACE_NULL_WITH_DEFAULT_DOC,
    }),
)

/** `org.apache.kafka.connect.transforms.ValueToKey`. */
export class ValueToKey<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = VALUE_TO_KEY_OVERVIEW_DOC
  static readonly CONFIG_DEF = VALUE_TO_KEY_CONFIG_DEF

  private fields: string[] = []
  private fieldPaths: SingleFieldPath[] = []
  private replaceNullWithDefault = true
  private valueToKeySchemaCache = new SchemaCache()

  configure(props: Record<string, unknown>): void {
    const config = simpleConfig(VALUE_TO_KEY_CONFIG_DEF, props)
    this.fields = config.getList(FIELDS_CONFIG)!
    const version = fieldSyntaxVersionFromConfig(config)
    this.fieldPaths = this.fields.map((f) => new SingleFieldPath(f, version))
    this.replaceNullWithDefault = config.getBoolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)!
    this.valueToKeySchemaCache = new SchemaCache()
  }

  apply(record: R): R {
    return record.valueSchema == null ? this.applySchemaless(record) : this.applyWithSchema(record)
  }

  private applySchemaless(record: R): R {
    const value = requireMap(record.value, PURPOSE)
    const key = emptyLike(value)
    for (let i = 0; i < this.fields.length; i++) mapSet(key, this.fields[i], this.fieldPaths[i]!.valueFromMap(value))
    return record.newRecord(
      record.topic,
      record.kafkaPartition,
      null,
      key,
      record.valueSchema,
      record.value,
      record.timestamp,
    )
  }

  private applyWithSchema(record: R): R {
    const value = requireStruct(record.value, PURPOSE)
    let keySchema = this.valueToKeySchemaCache.get(value.schema)
    if (keySchema === undefined) {
      const builder = SchemaBuilder.struct()
      for (let i = 0; i < this.fields.length; i++) {
        const field = this.fieldPaths[i]!.fieldFrom(value.schema)
        if (field === null) throw new DataException(`Field does not exist: ${this.fields[i]}`)
        builder.field(this.fields[i]!, field.schema)
      }
      keySchema = builder.build()
      this.valueToKeySchemaCache.put(value.schema, keySchema)
    }
    const key = new Struct(keySchema)
    for (let i = 0; i < this.fields.length; i++) {
      key.put(this.fields[i]!, this.fieldPaths[i]!.valueFromStruct(value, this.replaceNullWithDefault))
    }
    return record.newRecord(record.topic, record.kafkaPartition, keySchema, key, value.schema, value, record.timestamp)
  }

  config(): ConfigDef {
    return VALUE_TO_KEY_CONFIG_DEF
  }

  close(): void {
    this.valueToKeySchemaCache = new SchemaCache()
  }
}
