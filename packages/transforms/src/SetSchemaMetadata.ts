/**
 * Apache's `org.apache.kafka.connect.transforms.SetSchemaMetadata`: sets the name and/or version of the key or value
 * schema (a Struct is rebuilt with the new schema). As in Apache, the schema must be a STRUCT (any other type fails
 * with "Cannot list fields on non-struct type"), and a record without a schema fails unless its key/value is null.
 */
import {
  ConfigDef,
  ConfigException,
  type ConnectRecord,
  ConnectSchema,
  type Schema,
  Struct,
  type Transformation,
} from '@ferry/api'
import { REPLACE_NULL_WITH_DEFAULT_CONFIG, REPLACE_NULL_WITH_DEFAULT_DOC, simpleConfig } from './util/config.ts'
import { newRecordWith, operatingSchema, operatingValue, type Side } from './util/operating.ts'
import { requireSchema } from './util/requirements.ts'

export const SET_SCHEMA_METADATA_OVERVIEW_DOC =
  "Set the schema name, version or both on the record's key (<code>org.apache.kafka.connect.transforms.SetSchemaMetadata$Key</code>) or value (<code>org.apache.kafka.connect.transforms.SetSchemaMetadata$Value</code>) schema."

const SCHEMA_NAME = 'schema.name'
const SCHEMA_VERSION = 'schema.version'

export const SET_SCHEMA_METADATA_CONFIG_DEF: ConfigDef = new ConfigDef()
  .define({
    name: SCHEMA_NAME,
    type: 'STRING',
    defaultValue: null,
    importance: 'HIGH',
    documentation: 'Schema name to set.',
  })
  .define({
    name: SCHEMA_VERSION,
    type: 'INT',
    defaultValue: null,
    importance: 'HIGH',
    documentation: 'Schema version to set.',
  })
  .define({
    name: REPLACE_NULL_WITH_DEFAULT_CONFIG,
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'MEDIUM',
    documentation: REPLACE_NULL_WITH_DEFAULT_DOC,
  })

/** The shared implementation; use `SetSchemaMetadataKey` or `SetSchemaMetadataValue`. */
export abstract class SetSchemaMetadata<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = SET_SCHEMA_METADATA_OVERVIEW_DOC
  static readonly CONFIG_DEF = SET_SCHEMA_METADATA_CONFIG_DEF

  protected abstract readonly side: Side
  private schemaName: string | null = null
  private schemaVersion: number | null = null
  private replaceNullWithDefault = true

  configure(props: Record<string, unknown>): void {
    const config = simpleConfig(SET_SCHEMA_METADATA_CONFIG_DEF, props)
    this.schemaName = config.getString(SCHEMA_NAME)
    this.schemaVersion = config.getInt(SCHEMA_VERSION)
    this.replaceNullWithDefault = config.getBoolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)!
    if (this.schemaName === null && this.schemaVersion === null) {
      throw new ConfigException('Neither schema name nor version configured')
    }
  }

  apply(record: R): R {
    const value = operatingValue(record, this.side)
    const schema = operatingSchema(record, this.side)
    if (value == null && schema == null) return record
    requireSchema(schema, 'updating schema metadata')
    const isArray = schema.type === 'ARRAY'
    const isMap = schema.type === 'MAP'
    const updatedSchema = new ConnectSchema(
      schema.type,
      schema.isOptional,
      schema.defaultValue,
      this.schemaName !== null ? this.schemaName : schema.name,
      this.schemaVersion !== null ? this.schemaVersion : schema.version,
      schema.doc,
      schema.parameters,
      schema.fields(),
      isMap ? schema.keySchema() : null,
      isMap || isArray ? schema.valueSchema() : null,
    )
    return newRecordWith(record, this.side, updatedSchema, this.updateSchemaIn(value, updatedSchema))
  }

  private updateSchemaIn(keyOrValue: unknown, updatedSchema: Schema): unknown {
    if (keyOrValue instanceof Struct) {
      const updated = new Struct(updatedSchema)
      for (const field of updatedSchema.fields()) {
        updated.put(
          field,
          this.replaceNullWithDefault ? keyOrValue.get(field) : keyOrValue.getWithoutDefault(field.name),
        )
      }
      return updated
    }
    return keyOrValue
  }

  config(): ConfigDef {
    return SET_SCHEMA_METADATA_CONFIG_DEF
  }

  close(): void {}
}

/** `org.apache.kafka.connect.transforms.SetSchemaMetadata$Key`. */
export class SetSchemaMetadataKey<R extends ConnectRecord = ConnectRecord> extends SetSchemaMetadata<R> {
  protected readonly side = 'key'
}

/** `org.apache.kafka.connect.transforms.SetSchemaMetadata$Value`. */
export class SetSchemaMetadataValue<R extends ConnectRecord = ConnectRecord> extends SetSchemaMetadata<R> {
  protected readonly side = 'value'
}
