/**
 * Confluent's `io.confluent.connect.protobuf.ProtobufConverter`: Connect data as Protobuf messages in Confluent's
 * wire format (magic byte, schema id, message indexes, message), schemas in a schema registry. The mapping is
 * protobuf-data.ts; registration, lookups, caches and errors are the shared `SchemaRegistryConverter`.
 *
 * Keys: the registry client's and serializer's (schema-registry-converter.ts) and `ProtobufDataConfig`'s, below.
 * Refused at start, naming the key: `generalized.sum.type.support=true`, `reference.lookup.only`,
 * `skip.known.types`, `reference.subject.name.strategy`, `specific.protobuf.key.type` /
 * `specific.protobuf.value.type`, `derive.type`.
 */
import { type ConfigDef, ConfigException, DataException, type Schema, type SchemaAndValue } from '@ferry/api'
import protobuf from 'protobufjs'
import type { RegistrySchema } from '../schema-registry/schema-registry-client.ts'
import { type SchemaFormat, SchemaRegistryConverter } from '../schema-registry/schema-registry-converter.ts'
import { readMessageIndexes, writeMessageIndexes } from './message-indexes.ts'
import { DEFAULT_PROTOBUF_DATA_OPTIONS, ProtobufData, type ProtobufDataOptions } from './protobuf-data.ts'
import { fullName, type ProtobufSchema, parseProtobufSchema } from './protobuf-schema.ts'

/** `ProtobufDataConfig`'s keys, with the option each sets. */
const DATA_KEYS: readonly { key: string; option: keyof ProtobufDataOptions; doc: string }[] = [
  {
    key: 'enhanced.protobuf.schema.support',
    option: 'enhancedSchemaSupport',
    doc: 'Toggle for enabling/disabling enhanced protobuf schema support: package name preservation',
  },
  {
    key: 'scrub.invalid.names',
    option: 'scrubInvalidNames',
    doc: 'Whether to scrub invalid names by replacing invalid characters with valid ones',
  },
  { key: 'int.for.enums', option: 'intForEnums', doc: 'Whether to represent enums as integers' },
  {
    key: 'optional.for.nullables',
    option: 'optionalForNullables',
    doc: 'Whether nullable fields should be specified with an optional label',
  },
  { key: 'optional.for.proto2', option: 'optionalForProto2', doc: 'Whether proto2 optionals are supported' },
  {
    key: 'wrapper.for.nullables',
    option: 'wrapperForNullables',
    doc: 'Whether nullable fields should use primitive wrapper messages',
  },
  {
    key: 'wrapper.for.raw.primitives',
    option: 'wrapperForRawPrimitives',
    doc: 'Whether a wrapper message should be interpreted as a raw primitive at the root level',
  },
  {
    key: 'generate.struct.for.nulls',
    option: 'generateStructForNulls',
    doc: 'Whether to generate a default struct for null messages',
  },
  {
    key: 'generate.index.for.unions',
    option: 'generateIndexForUnions',
    doc: 'Whether to suffix union names with an underscore followed by an index',
  },
  { key: 'flatten.unions', option: 'flattenUnions', doc: 'Whether to flatten unions (oneofs)' },
  {
    key: 'ignore.default.for.nullables',
    option: 'ignoreDefaultForNullables',
    doc: 'Whether to ignore the default for nullable fields when the value is null',
  },
]

const GENERALIZED_SUM_TYPE_SUPPORT_CONFIG = 'generalized.sum.type.support'
const SCHEMAS_CACHE_SIZE_CONFIG = 'schemas.cache.config'

/** `ProtobufConverter`'s definition keys beyond the shared ones (added to `def`). */
function withProtobufConfig(def: ConfigDef): ConfigDef {
  for (const { key, option, doc } of DATA_KEYS)
    def.define({
      name: key,
      type: 'BOOLEAN',
      defaultValue: DEFAULT_PROTOBUF_DATA_OPTIONS[option],
      importance: 'MEDIUM',
      documentation: doc,
    })
  return def
    .define({
      name: GENERALIZED_SUM_TYPE_SUPPORT_CONFIG,
      type: 'BOOLEAN',
      defaultValue: false,
      importance: 'MEDIUM',
      documentation:
        'Toggle for enabling/disabling generalized sum type support: interoperability of enum/union with other schema formats. Ferry implements false only.',
    })
    .define({
      name: SCHEMAS_CACHE_SIZE_CONFIG,
      type: 'INT',
      defaultValue: 1000,
      importance: 'LOW',
      documentation: 'Size of the converted schemas cache',
    })
}

/** The Protobuf part of the converter (see `SchemaFormat`). */
export class ProtobufFormat implements SchemaFormat<ProtobufSchema> {
  readonly schemaType = 'PROTOBUF' as const
  readonly displayName = 'Protobuf'
  readonly data: ProtobufData

  constructor(data: ProtobufData) {
    this.data = data
  }

  fromConnectSchema(schema: Schema | null): ProtobufSchema {
    if (schema === null)
      throw new DataException('ProtobufConverter needs a Connect schema: schemaless values have no Protobuf schema')
    return this.data.fromConnectSchema(schema)
  }

  toRegistrySchema(schema: ProtobufSchema): RegistrySchema {
    return { schema: schema.text, schemaType: 'PROTOBUF' }
  }

  parse(schema: RegistrySchema, references: ReadonlyMap<string, RegistrySchema>): ProtobufSchema {
    const texts = new Map<string, string>()
    for (const [name, ref] of references) texts.set(name, ref.schema)
    return parseProtobufSchema(schema.schema, texts)
  }

  recordName(schema: ProtobufSchema): string | null {
    return schema.name()
  }

  incompatibilities(reader: ProtobufSchema, schema: ProtobufSchema): string[] {
    const problems: string[] = []
    const writerType = this.#writerType(reader, schema)
    for (const field of schema.message.fieldsArray) {
      const other = writerType.fields[field.name]
      if (other === undefined) problems.push(`field ${field.name} is not in ${fullName(writerType)}`)
      else if (other.id !== field.id) problems.push(`field ${field.name} is number ${other.id}, not ${field.id}`)
      else if (
        other.type !== field.type &&
        !other.type.endsWith(`.${field.type}`) &&
        !field.type.endsWith(`.${other.type}`)
      )
        problems.push(`field ${field.name} is ${other.type}, not ${field.type}`)
    }
    return problems
  }

  serialize(writer: ProtobufSchema, schema: Schema | null, value: unknown): Uint8Array | null {
    if (schema === null) throw new DataException('ProtobufConverter needs a Connect schema')
    // Confluent's ProtobufData writes nothing for a null value, whatever its schema (a tombstone).
    if (value === null || value === undefined) return null
    const own = this.data.fromConnectSchema(schema)
    const type = writer === own ? own.message : this.#writerType(writer, own)
    const indexes = writeMessageIndexes(writer.indexesOf(type))
    const body = this.data.fromConnectData(type, schema, value)
    const out = new Uint8Array(indexes.length + body.length)
    out.set(indexes, 0)
    out.set(body, indexes.length)
    return out
  }

  deserialize(writer: ProtobufSchema, payload: Buffer, version: number | null): SchemaAndValue {
    const { indexes, offset } = readMessageIndexes(payload)
    const type = writer.messageAt(indexes)
    const message = type.decode(payload.subarray(offset))
    const schema = this.data.toConnectSchema(type, version)
    return { schema, value: this.data.toConnectData(type, schema, message) }
  }

  /** The message of `writer` that data of `own` is written as: the one with its name, else the first. */
  #writerType(writer: ProtobufSchema, own: ProtobufSchema): protobuf.Type {
    const found = writer.root.lookup(own.name())
    return found instanceof protobuf.Type ? found : writer.message
  }
}

/** `io.confluent.connect.protobuf.ProtobufConverter`: see the module comment. */
export class ProtobufConverter extends SchemaRegistryConverter<ProtobufSchema> {
  protected readonly converterName = 'ProtobufConverter'

  protected formatConfig(def: ConfigDef): ConfigDef {
    return withProtobufConfig(def)
  }

  protected unsupportedKeys(): readonly string[] {
    return [
      'reference.lookup.only',
      'skip.known.types',
      'reference.subject.name.strategy',
      'specific.protobuf.key.type',
      'specific.protobuf.value.type',
      'derive.type',
    ]
  }

  protected createFormat(values: Readonly<Record<string, unknown>>): ProtobufFormat {
    if (values[GENERALIZED_SUM_TYPE_SUPPORT_CONFIG] === true)
      throw new ConfigException(
        GENERALIZED_SUM_TYPE_SUPPORT_CONFIG,
        true,
        "Ferry's ProtobufConverter implements false only (Confluent's io.confluent.connect.protobuf.Enum/Union names)",
      )
    const options: Partial<ProtobufDataOptions> = {}
    for (const { key, option } of DATA_KEYS) options[option] = values[key] as boolean
    return new ProtobufFormat(new ProtobufData(options))
  }
}
