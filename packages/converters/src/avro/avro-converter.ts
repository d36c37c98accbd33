/**
 * Confluent's `io.confluent.connect.avro.AvroConverter`: Connect data ⇄ Avro in Confluent's wire format (magic byte,
 * schema id, Avro binary), the schema registered in or looked up from a schema registry. The registry side is
 * `SchemaRegistryConverter`'s; the mapping is `AvroData`'s (Confluent's); the bytes are avsc's.
 *
 * Keys: the registry client's and serializer's (see `SchemaRegistryConverter`), `AvroDataConfig`'s
 * (`connect.meta.data`, `enhanced.avro.schema.support`, `scrub.invalid.names`, `schemas.cache.config`,
 * `allow.optional.map.keys`, `flatten.singleton.unions`, `ignore.default.for.nullables`;
 * `generalized.sum.type.support` and `discard.type.doc.default` only false), and `avro.remove.java.properties`,
 * `avro.fail.on.trailing.data`. Other `avro.*` and `specific.avro.*` keys are refused, naming them.
 */
import { type ConfigDef, ConfigException, DataException, type Schema, type SchemaAndValue } from '@ferry/api'
import avro from 'avsc'
import { LruCache } from '../lru-cache.ts'
import type { RegistrySchema } from '../schema-registry/schema-registry-client.ts'
import { type SchemaFormat, SchemaRegistryConverter } from '../schema-registry/schema-registry-converter.ts'
import {
  ANYTHING_FULL_NAME,
  ANYTHING_SCHEMA_TEXT,
  AvroData,
  type AvroDataConfig,
  fromSchemaless,
  toSchemaless,
} from './avro-data.ts'
import { type AvroNode, fullName, isNamed, type NamedNode, parseSchema, writeSchema } from './avro-schema.ts'

export const ENHANCED_AVRO_SCHEMA_SUPPORT_CONFIG = 'enhanced.avro.schema.support'
export const SCRUB_INVALID_NAMES_CONFIG = 'scrub.invalid.names'
export const CONNECT_META_DATA_CONFIG = 'connect.meta.data'
export const SCHEMAS_CACHE_SIZE_CONFIG = 'schemas.cache.config'
export const ALLOW_OPTIONAL_MAP_KEYS_CONFIG = 'allow.optional.map.keys'
export const FLATTEN_SINGLETON_UNIONS_CONFIG = 'flatten.singleton.unions'
export const IGNORE_DEFAULT_FOR_NULLABLES_CONFIG = 'ignore.default.for.nullables'
export const GENERALIZED_SUM_TYPE_SUPPORT_CONFIG = 'generalized.sum.type.support'
export const DISCARD_TYPE_DOC_DEFAULT_CONFIG = 'discard.type.doc.default'
export const AVRO_REMOVE_JAVA_PROPS_CONFIG = 'avro.remove.java.properties'
export const AVRO_FAIL_ON_TRAILING_DATA_CONFIG = 'avro.fail.on.trailing.data'

/** Confluent Avro keys Ferry does not implement. */
const UNSUPPORTED_AVRO_KEYS: readonly string[] = Object.freeze([
  'avro.reflection.allow.null',
  'avro.use.logical.type.converters',
  'specific.avro.reader',
  'specific.avro.key.type',
  'specific.avro.value.type',
  'schema.reflection',
])

/** 2^32, to split a long into its two 32-bit halves. */
const TWO_32 = 4294967296
/** The bytes avsc packs: written and read at once, so one buffer serves every long. */
const LONG_BYTES = Buffer.alloc(8)

/**
 * Avro longs that keep all 64 bits: read as numbers when they are safe integers and as bigints otherwise, written
 * from either (avsc's own long type refuses what a double cannot hold).
 */
const LONG_TYPE = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => {
    const hi = buf.readInt32LE(4)
    // |hi| <= 2^21: the value is within ±2^53, exact as a double; safe integers only are numbers.
    if (hi >= -2097152 && hi < 2097152) {
      const value = hi * TWO_32 + buf.readUInt32LE(0)
      if (Number.isSafeInteger(value)) return value
    }
    return buf.readBigInt64LE(0)
  },
  toBuffer: (n: bigint | number) => {
    if (typeof n === 'number') {
      const hi = Math.floor(n / TWO_32)
      LONG_BYTES.writeUInt32LE(n - hi * TWO_32, 0)
      LONG_BYTES.writeInt32LE(hi, 4)
    } else LONG_BYTES.writeBigInt64LE(n, 0)
    return LONG_BYTES
  },
  fromJSON: (n: unknown) => (typeof n === 'number' && Number.isSafeInteger(n) ? n : BigInt(n as number)),
  toJSON: (n: bigint | number) => Number(n),
  isValid: (n: unknown) =>
    (typeof n === 'bigint' && n >= -(2n ** 63n) && n < 2n ** 63n) || (typeof n === 'number' && Number.isSafeInteger(n)),
  compare: (a: bigint | number, b: bigint | number) => (a === b ? 0 : a < b ? -1 : 1),
})

/** An Avro schema as the converter uses it: its tree, its registered text and its avsc type. */
export interface AvroSchemaInfo {
  readonly node: AvroNode
  readonly text: string
  readonly type: avro.Type
  /** The Connect schema read from it, per registry version. */
  readonly connect: Map<number | null, Schema>
}

function typeOf(text: string): avro.Type {
  try {
    return avro.Type.forSchema(JSON.parse(text), { wrapUnions: true, registry: { long: LONG_TYPE } as never })
  } catch (e) {
    throw new DataException(`Invalid Avro schema: ${(e as Error).message}`)
  }
}

function removeJavaProps(node: AvroNode, seen = new Set<AvroNode>()): void {
  if (seen.has(node)) return
  seen.add(node)
  node.props.delete('avro.java.string')
  if (node.kind === 'record') for (const f of node.fields) removeJavaProps(f.type, seen)
  else if (node.kind === 'array') removeJavaProps(node.items, seen)
  else if (node.kind === 'map') removeJavaProps(node.values, seen)
  else if (node.kind === 'union') for (const t of node.types) removeJavaProps(t, seen)
}

/** The Avro `SchemaFormat`: AvroData's mapping and avsc's bytes. */
export class AvroFormat implements SchemaFormat<AvroSchemaInfo> {
  readonly schemaType = 'AVRO' as const
  readonly displayName = 'Avro'
  readonly data: AvroData
  readonly #removeJavaProps: boolean
  readonly #failOnTrailingData: boolean
  #anything: AvroSchemaInfo | null = null
  /** Schemas by text: equal Connect schemas in distinct objects share one avsc type (compiling one is costly). */
  readonly #byText: LruCache<string, AvroSchemaInfo>

  constructor(
    config: AvroDataConfig,
    options: { removeJavaProps: boolean; failOnTrailingData: boolean; cacheSize: number },
  ) {
    this.data = new AvroData(config)
    this.#removeJavaProps = options.removeJavaProps
    this.#failOnTrailingData = options.failOnTrailingData
    this.#byText = new LruCache(options.cacheSize)
  }

  fromConnectSchema(schema: Schema | null): AvroSchemaInfo {
    if (schema === null) {
      this.#anything ??= {
        node: parseSchema(ANYTHING_SCHEMA_TEXT),
        text: ANYTHING_SCHEMA_TEXT,
        type: typeOf(ANYTHING_SCHEMA_TEXT),
        connect: new Map(),
      }
      return this.#anything
    }
    return this.#info(this.data.fromConnectSchema(schema))
  }

  #info(node: AvroNode): AvroSchemaInfo {
    if (this.#removeJavaProps) removeJavaProps(node)
    const text = writeSchema(node)
    let info = this.#byText.get(text)
    if (info === undefined) {
      info = { node, text, type: typeOf(text), connect: new Map() }
      this.#byText.put(text, info)
    }
    return info
  }

  toRegistrySchema(schema: AvroSchemaInfo): RegistrySchema {
    return { schema: schema.text }
  }

  parse(schema: RegistrySchema, references: ReadonlyMap<string, RegistrySchema>): AvroSchemaInfo {
    if (schema.schemaType !== undefined && schema.schemaType !== 'AVRO')
      throw new DataException(`The schema is ${schema.schemaType}, not Avro`)
    const named = new Map<string, NamedNode>()
    for (const ref of references.values()) parseSchema(ref.schema, named)
    const node = parseSchema(schema.schema, named)
    if (named.size > 0 && references.size > 0) {
      // avsc resolves names within one schema: the referenced types are written in full where first used.
      return { node, text: schema.schema, type: typeOf(writeSchema(node)), connect: new Map() }
    }
    return { node, text: schema.schema, type: typeOf(schema.schema), connect: new Map() }
  }

  recordName(schema: AvroSchemaInfo): string | null {
    return isNamed(schema.node) ? fullName(schema.node) : schema.node.kind
  }

  incompatibilities(reader: AvroSchemaInfo, schema: AvroSchemaInfo): string[] {
    try {
      reader.type.createResolver(schema.type)
      return []
    } catch (e) {
      return [(e as Error).message]
    }
  }

  serialize(writer: AvroSchemaInfo, schema: Schema | null, value: unknown): Uint8Array {
    if (schema === null) return writer.type.toBuffer(fromSchemaless(value))
    const datum = this.data.fromConnectData(schema, writer.node, value)
    try {
      return writer.type.toBuffer(datum)
    } catch (e) {
      throw new DataException(`Invalid value for schema ${schema.name ?? schema.type}: ${(e as Error).message}`)
    }
  }

  deserialize(writer: AvroSchemaInfo, payload: Buffer, version: number | null): SchemaAndValue {
    const schemaless = isNamed(writer.node) && fullName(writer.node) === ANYTHING_FULL_NAME
    let schema = schemaless ? null : writer.connect.get(version)
    if (schema === undefined) {
      schema = this.data.toConnectSchema(writer.node, version)
      writer.connect.set(version, schema)
    }
    const decoded = writer.type.decode(payload, 0)
    if (decoded.offset < 0) throw new DataException('Truncated Avro data')
    if (this.#failOnTrailingData && decoded.offset !== payload.length)
      throw new DataException(
        `Invalid Avro data: ${payload.length - decoded.offset} bytes after the value (avro.fail.on.trailing.data=true)`,
      )
    if (schema === null) return { schema: null, value: toSchemaless(decoded.value) }
    return { schema, value: this.data.toConnectData(schema, writer.node, decoded.value) }
  }
}

/** `io.confluent.connect.avro.AvroConverter`; see the module comment. */
export class AvroConverter extends SchemaRegistryConverter<AvroSchemaInfo> {
  protected readonly converterName = 'AvroConverter'

  protected formatConfig(def: ConfigDef): ConfigDef {
    return def
      .define({
        name: ENHANCED_AVRO_SCHEMA_SUPPORT_CONFIG,
        type: 'BOOLEAN',
        defaultValue: false,
        importance: 'MEDIUM',
        documentation:
          'Toggle for enabling/disabling enhanced avro schema support: Enum symbol preservation and Package Name awareness',
      })
      .define({
        name: SCRUB_INVALID_NAMES_CONFIG,
        type: 'BOOLEAN',
        defaultValue: false,
        importance: 'MEDIUM',
        documentation: 'Whether to scrub invalid names',
      })
      .define({
        name: CONNECT_META_DATA_CONFIG,
        type: 'BOOLEAN',
        defaultValue: true,
        importance: 'LOW',
        documentation:
          'Toggle for enabling/disabling connect converter to add its meta data to the output schema or not',
      })
      .define({
        name: SCHEMAS_CACHE_SIZE_CONFIG,
        type: 'INT',
        defaultValue: 1000,
        importance: 'LOW',
        documentation: 'Size of the converted schemas cache',
      })
      .define({
        name: ALLOW_OPTIONAL_MAP_KEYS_CONFIG,
        type: 'BOOLEAN',
        defaultValue: false,
        importance: 'LOW',
        documentation: 'Allow optional string map key when converting from Connect Schema to Avro Schema.',
      })
      .define({
        name: FLATTEN_SINGLETON_UNIONS_CONFIG,
        type: 'BOOLEAN',
        defaultValue: true,
        importance: 'LOW',
        documentation: 'Whether to flatten singleton unions.',
      })
      .define({
        name: IGNORE_DEFAULT_FOR_NULLABLES_CONFIG,
        type: 'BOOLEAN',
        defaultValue: false,
        importance: 'LOW',
        documentation: 'Whether to ignore the default for nullable fields when the value is null',
      })
      .define({
        name: GENERALIZED_SUM_TYPE_SUPPORT_CONFIG,
        type: 'BOOLEAN',
        defaultValue: false,
        importance: 'LOW',
        documentation: 'Toggle for enabling/disabling generalized sum type support. Ferry supports only false.',
      })
      .define({
        name: DISCARD_TYPE_DOC_DEFAULT_CONFIG,
        type: 'BOOLEAN',
        defaultValue: false,
        importance: 'LOW',
        documentation: 'Only if enhanced.avro.schema.support is enabled. Ferry supports only false.',
      })
      .define({
        name: AVRO_REMOVE_JAVA_PROPS_CONFIG,
        type: 'BOOLEAN',
        defaultValue: false,
        importance: 'LOW',
        documentation: 'Whether to remove the avro.java.string properties from the schema before registering it',
      })
      .define({
        name: AVRO_FAIL_ON_TRAILING_DATA_CONFIG,
        type: 'BOOLEAN',
        defaultValue: false,
        importance: 'LOW',
        documentation: 'Whether to fail when bytes remain after the Avro value',
      })
  }

  protected unsupportedKeys(): readonly string[] {
    return UNSUPPORTED_AVRO_KEYS
  }

  protected createFormat(values: Readonly<Record<string, unknown>>): AvroFormat {
    for (const key of [GENERALIZED_SUM_TYPE_SUPPORT_CONFIG, DISCARD_TYPE_DOC_DEFAULT_CONFIG])
      if (values[key] === true) throw new ConfigException(key, true, "Ferry's AvroConverter supports only false")
    return new AvroFormat(
      {
        connectMetaData: values[CONNECT_META_DATA_CONFIG] as boolean,
        enhancedSchemaSupport: values[ENHANCED_AVRO_SCHEMA_SUPPORT_CONFIG] as boolean,
        scrubInvalidNames: values[SCRUB_INVALID_NAMES_CONFIG] as boolean,
        allowOptionalMapKeys: values[ALLOW_OPTIONAL_MAP_KEYS_CONFIG] as boolean,
        flattenSingletonUnions: values[FLATTEN_SINGLETON_UNIONS_CONFIG] as boolean,
        ignoreDefaultForNullables: values[IGNORE_DEFAULT_FOR_NULLABLES_CONFIG] as boolean,
      },
      {
        removeJavaProps: values[AVRO_REMOVE_JAVA_PROPS_CONFIG] as boolean,
        failOnTrailingData: values[AVRO_FAIL_ON_TRAILING_DATA_CONFIG] as boolean,
        cacheSize: this.cacheSize(values),
      },
    )
  }
}
