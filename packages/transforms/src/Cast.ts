/**
 * Apache's `org.apache.kafka.connect.transforms.Cast`: casts top-level fields (or the whole key/value) to another
 * primitive type. Numbers narrow the way Java's `Number.byteValue()`... do (wrapping integers, saturating and
 * truncating floating point), strings parse with `Byte.parseByte`... and `Float.parseFloat`, bytes cast to string only
 * (base64), and a schemaless number is a `Long` when it is a safe integer and a `Double` otherwise.
 */
import {
  BigDecimal,
  ConfigDef,
  ConfigException,
  ConnectDate,
  type ConnectRecord,
  DataException,
  javaDoubleToString,
  javaFloatToString,
  LambdaValidator,
  type Schema,
  SchemaBuilder,
  type SchemaType,
  Struct,
  Time,
  Timestamp,
  type Transformation,
  Values,
} from '@ferry/api'
import { REPLACE_NULL_WITH_DEFAULT_CONFIG, REPLACE_NULL_WITH_DEFAULT_DOC, simpleConfig } from './util/config.ts'
import {
  decimalToDouble,
  decimalToFloat,
  doubleToInt,
  doubleToLong,
  javaClassString,
  javaParseFloating,
  javaParseInteger,
  javaSplit,
  javaTrim,
  longToFloat,
  NumberFormatException,
  normalizeLong,
} from './util/java.ts'
import { copyMap, mapGet, mapSet } from './util/maps.ts'
import { newRecordWith, operatingSchema, operatingValue, type Side } from './util/operating.ts'
import { requireMap, requireStruct } from './util/requirements.ts'
import { copySchemaBasics, SchemaCache } from './util/schema-util.ts'
import { inferSchemaType } from './util/values.ts'

export const SPEC_CONFIG = 'spec'

const SUPPORTED_CAST_INPUT_TYPES: readonly SchemaType[] = [
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FLOAT32',
  'FLOAT64',
  'BOOLEAN',
  'STRING',
  'BYTES',
]
const SUPPORTED_CAST_OUTPUT_TYPES: readonly SchemaType[] = [
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FLOAT32',
  'FLOAT64',
  'BOOLEAN',
  'STRING',
]
const ALL_TYPES = new Set<string>([...SUPPORTED_CAST_INPUT_TYPES, 'ARRAY', 'MAP', 'STRUCT'])
const PURPOSE = 'cast types'
/** Key of the whole-value cast in the casts map (Apache uses a null key). */
const WHOLE_VALUE_CAST = null

function validCastType(type: SchemaType, fieldType: 'INPUT' | 'OUTPUT'): SchemaType {
  if (fieldType === 'INPUT') {
    if (!SUPPORTED_CAST_INPUT_TYPES.includes(type)) {
      throw new DataException(
        `Cast transformation does not support casting from ${type}; supported types are [${SUPPORTED_CAST_INPUT_TYPES.join(', ')}]`,
      )
    }
  } else if (!SUPPORTED_CAST_OUTPUT_TYPES.includes(type)) {
    throw new ConfigException(
      `Cast transformation does not support casting to ${type}; supported types are [${SUPPORTED_CAST_OUTPUT_TYPES.join(', ')}]`,
    )
  }
  return type
}

function parseType(text: string): SchemaType {
  const trimmed = javaTrim(text)
  const upper = trimmed.toUpperCase()
  if (!ALL_TYPES.has(upper)) {
    throw new ConfigException(
      `Invalid type found in casting spec: ${trimmed}`,
      `java.lang.IllegalArgumentException: No enum constant org.apache.kafka.connect.data.Schema.Type.${upper}`,
    )
  }
  return upper as SchemaType
}

/** Apache's `parseFieldTypes`: `field:type` pairs, or a single type for the whole value. */
export function parseFieldTypes(mappings: readonly string[]): Map<string | null, SchemaType> {
  const m = new Map<string | null, SchemaType>()
  let isWholeValueCast = false
  for (const mapping of mappings) {
    const parts = javaSplit(mapping, ':')
    if (parts.length > 2) throw new ConfigException('renames', mappings, `Invalid rename mapping: ${mapping}`)
    if (parts.length === 1) {
      m.set(WHOLE_VALUE_CAST, validCastType(parseType(parts[0]!), 'OUTPUT'))
      isWholeValueCast = true
      continue
    }
    const type = parseType(parts[1]!)
    m.set(javaTrim(parts[0]!), validCastType(type, 'OUTPUT'))
  }
  if (isWholeValueCast && mappings.length > 1) {
    throw new ConfigException(
      'Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec',
    )
  }
  return m
}

export const CAST_OVERVIEW_DOC =
  'Cast fields or the entire key or value to a specific type, e.g. to force an integer field to a smaller width. Cast from integers, floats, boolean and string to any other type, and cast binary to string (base64 encoded).<p/>Use the concrete transformation type designed for the record key (<code>org.apache.kafka.connect.transforms.Cast$Key</code>) or value (<code>org.apache.kafka.connect.transforms.Cast$Value</code>).'

function configDef(): ConfigDef {
  return new ConfigDef()
    .define({
      name: SPEC_CONFIG,
      type: 'LIST',
      validator: LambdaValidator.with(
        (_name, value) => {
          const list = value as string[] | null
          if (list == null || list.length === 0) throw new ConfigException('Must specify at least one field to cast.')
          parseFieldTypes(list)
        },
        () => 'list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>',
      ),
      importance: 'HIGH',
      documentation:
        'List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, float32, float64, boolean, and string. Note that binary fields can only be cast to string.',
    })
    .define({
      name: REPLACE_NULL_WITH_DEFAULT_CONFIG,
      type: 'BOOLEAN',
      defaultValue: true,
      importance: 'MEDIUM',
      documentation: REPLACE_NULL_WITH_DEFAULT_DOC,
    })
}

export const CAST_CONFIG_DEF: ConfigDef = configDef()

/** How Java would see a number: the boxed class decides how it narrows and prints. */
type NumberKind = 'integral' | 'float32' | 'float64'

function kindOf(type: SchemaType | null, value: unknown): NumberKind {
  if (type === 'FLOAT32') return 'float32'
  if (type === 'FLOAT64') return 'float64'
  if (type === null) return typeof value === 'number' && !Number.isSafeInteger(value) ? 'float64' : 'integral'
  return 'integral'
}

function unexpected(value: unknown): DataException {
  return new DataException(`Unexpected type in Cast transformation: ${javaClassString(value)}`)
}

function toBigIntExact(value: number | bigint): bigint {
  return typeof value === 'bigint' ? value : BigInt(value)
}

/** `Number.byteValue()` / `shortValue()` / `intValue()` / `longValue()`, or parse / boolean. */
function castToInteger(value: unknown, bits: 8 | 16 | 32 | 64, kind: NumberKind): number | bigint {
  let n: bigint
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (kind === 'integral') n = BigInt.asIntN(bits, toBigIntExact(value))
    else if (bits === 64) n = doubleToLong(Number(value))
    else n = BigInt.asIntN(bits, BigInt(doubleToInt(Number(value))))
  } else if (value instanceof BigDecimal) {
    n = BigInt.asIntN(bits, value.toBigInt())
  } else if (typeof value === 'boolean') {
    n = value ? 1n : 0n
  } else if (typeof value === 'string') {
    n = javaParseInteger(value, bits)
  } else {
    throw unexpected(value)
  }
  return bits === 64 ? normalizeLong(n) : Number(n)
}

function castToFloat32(value: unknown, kind: NumberKind): number {
  if (typeof value === 'number' || typeof value === 'bigint') {
    return kind === 'integral' ? longToFloat(toBigIntExact(value)) : Math.fround(Number(value))
  }
  if (value instanceof BigDecimal) return decimalToFloat(value)
  if (typeof value === 'boolean') return value ? 1 : 0
  if (typeof value === 'string') return javaParseFloating(value, true)
  throw unexpected(value)
}

function castToFloat64(value: unknown): number {
  if (typeof value === 'number') return value
  if (typeof value === 'bigint') return Number(value)
  if (value instanceof BigDecimal) return decimalToDouble(value)
  if (typeof value === 'boolean') return value ? 1 : 0
  if (typeof value === 'string') return javaParseFloating(value, false)
  throw unexpected(value)
}

function castToBoolean(value: unknown, kind: NumberKind): boolean {
  if (typeof value === 'number' || typeof value === 'bigint') {
    return kind === 'integral' ? toBigIntExact(value) !== 0n : doubleToLong(Number(value)) !== 0n
  }
  if (value instanceof BigDecimal) return BigInt.asIntN(64, value.toBigInt()) !== 0n
  if (typeof value === 'boolean') return value
  if (typeof value === 'string') return value.toLowerCase() === 'true' && value.length === 4
  throw unexpected(value)
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

function castToString(value: unknown, kind: NumberKind): string {
  if (value instanceof Date) return Values.formatDate(value)
  if (value instanceof Uint8Array) return base64(value)
  if (typeof value === 'number') {
    if (kind === 'float32') return javaFloatToString(value)
    if (kind === 'float64') return javaDoubleToString(value)
    return Object.is(value, -0) ? '0' : String(value)
  }
  if (typeof value === 'bigint' || typeof value === 'boolean' || typeof value === 'string') return String(value)
  if (value instanceof BigDecimal) return value.toString()
  return String(value)
}

function encodeLogicalType(schema: Schema, value: unknown): unknown {
  switch (schema.name) {
    case ConnectDate.LOGICAL_NAME:
      return ConnectDate.fromLogical(schema, value as Date)
    case Time.LOGICAL_NAME:
      return Time.fromLogical(schema, value as Date)
    case Timestamp.LOGICAL_NAME:
      return Timestamp.fromLogical(schema, value as Date)
    default:
      return value
  }
}

/** The Java `toString()` of a value, for the out-of-range message. */
function javaToString(value: unknown): string {
  if (value instanceof Date) return value.toString()
  return String(value)
}

/** Apache's `castValueToType`. */
export function castValueToType(schema: Schema | null, value0: unknown, targetType: SchemaType): unknown {
  let value = value0
  if (value == null) return null
  const inferredType = schema == null ? inferSchemaType(value) : schema.type
  if (inferredType === null) {
    throw new DataException(
      `Cast transformation was passed a value of type ${javaClassString(value)} which is not supported by Connect's data API`,
    )
  }
  validCastType(inferredType, 'INPUT')
  let kind = kindOf(schema == null ? null : inferredType, value)
  if (schema != null && schema.name != null && targetType !== 'STRING') {
    value = encodeLogicalType(schema, value)
    if (value !== value0) kind = 'integral'
  }
  try {
    switch (targetType) {
      case 'INT8':
        return castToInteger(value, 8, kind)
      case 'INT16':
        return castToInteger(value, 16, kind)
      case 'INT32':
        return castToInteger(value, 32, kind)
      case 'INT64':
        return castToInteger(value, 64, kind)
      case 'FLOAT32':
        return castToFloat32(value, kind)
      case 'FLOAT64':
        return castToFloat64(value)
      case 'BOOLEAN':
        return castToBoolean(value, kind)
      case 'STRING':
        return castToString(value, kind)
      default:
        throw new DataException(`${targetType} is not supported in the Cast transformation.`)
    }
  } catch (e) {
    if (e instanceof NumberFormatException) {
      throw new DataException(`Value (${javaToString(value)}) was out of range for requested data type`, e)
    }
    throw e
  }
}

function convertFieldType(type: SchemaType): SchemaBuilder {
  switch (type) {
    case 'INT8':
      return SchemaBuilder.int8()
    case 'INT16':
      return SchemaBuilder.int16()
    case 'INT32':
      return SchemaBuilder.int32()
    case 'INT64':
      return SchemaBuilder.int64()
    case 'FLOAT32':
      return SchemaBuilder.float32()
    case 'FLOAT64':
      return SchemaBuilder.float64()
    case 'BOOLEAN':
      return SchemaBuilder.bool()
    case 'STRING':
      return SchemaBuilder.string()
    default:
      throw new DataException(`Unexpected type in Cast transformation: ${type}`)
  }
}

/** The shared implementation; use `CastKey` or `CastValue`. */
export abstract class Cast<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = CAST_OVERVIEW_DOC
  static readonly CONFIG_DEF = CAST_CONFIG_DEF

  protected abstract readonly side: Side
  private casts: Map<string | null, SchemaType> = new Map()
  private wholeValueCastType: SchemaType | null = null
  private schemaUpdateCache = new SchemaCache()
  private replaceNullWithDefault = true

  configure(props: Record<string, unknown>): void {
    const config = simpleConfig(CAST_CONFIG_DEF, props)
    this.casts = parseFieldTypes(config.getList(SPEC_CONFIG)!)
    this.wholeValueCastType = this.casts.get(WHOLE_VALUE_CAST) ?? null
    this.schemaUpdateCache = new SchemaCache()
    this.replaceNullWithDefault = config.getBoolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)!
  }

  apply(record: R): R {
    if (operatingValue(record, this.side) == null) return record
    if (operatingSchema(record, this.side) == null) return this.applySchemaless(record)
    return this.applyWithSchema(record)
  }

  config(): ConfigDef {
    return CAST_CONFIG_DEF
  }

  close(): void {}

  private applySchemaless(record: R): R {
    const value = operatingValue(record, this.side)
    if (this.wholeValueCastType !== null) {
      return newRecordWith(record, this.side, null, castValueToType(null, value, this.wholeValueCastType))
    }
    const map = requireMap(value, PURPOSE)
    const updated = copyMap(map)
    for (const [field, type] of this.casts) {
      const name = field as string
      mapSet(updated, name, castValueToType(null, mapGet(map, name), type))
    }
    return newRecordWith(record, this.side, null, updated)
  }

  private applyWithSchema(record: R): R {
    const valueSchema = operatingSchema(record, this.side)!
    const updatedSchema = this.getOrBuildSchema(valueSchema)
    const value = operatingValue(record, this.side)
    if (this.wholeValueCastType !== null) {
      return newRecordWith(
        record,
        this.side,
        updatedSchema,
        castValueToType(valueSchema, value, this.wholeValueCastType),
      )
    }
    const struct = requireStruct(value, PURPOSE)
    const updated = new Struct(updatedSchema)
    for (const field of struct.schema.fields()) {
      const orig = this.replaceNullWithDefault ? struct.get(field) : struct.getWithoutDefault(field.name)
      const targetType = this.casts.get(field.name)
      const newValue = targetType !== undefined ? castValueToType(field.schema, orig, targetType) : orig
      updated.put(updatedSchema.field(field.name)!, newValue)
    }
    return newRecordWith(record, this.side, updatedSchema, updated)
  }

  private getOrBuildSchema(valueSchema: Schema): Schema {
    const cached = this.schemaUpdateCache.get(valueSchema)
    if (cached !== undefined) return cached
    let builder: SchemaBuilder
    if (this.wholeValueCastType !== null) {
      builder = copySchemaBasics(valueSchema, convertFieldType(this.wholeValueCastType))
    } else {
      builder = copySchemaBasics(valueSchema, SchemaBuilder.struct())
      for (const field of valueSchema.fields()) {
        const type = this.casts.get(field.name)
        if (type !== undefined) {
          const fieldBuilder = convertFieldType(type)
          if (field.schema.isOptional) fieldBuilder.optional()
          if (field.schema.defaultValue != null) {
            fieldBuilder.defaultValue(castValueToType(field.schema, field.schema.defaultValue, fieldBuilder.type))
          }
          builder.field(field.name, fieldBuilder.build())
        } else {
          builder.field(field.name, field.schema)
        }
      }
    }
    if (valueSchema.isOptional) builder.optional()
    if (valueSchema.defaultValue != null) {
      builder.defaultValue(castValueToType(valueSchema, valueSchema.defaultValue, builder.type))
    }
    const updated = builder.build()
    this.schemaUpdateCache.put(valueSchema, updated)
    return updated
  }
}

/** `org.apache.kafka.connect.transforms.Cast$Key`. */
export class CastKey<R extends ConnectRecord = ConnectRecord> extends Cast<R> {
  protected readonly side = 'key'
}

/** `org.apache.kafka.connect.transforms.Cast$Value`. */
export class CastValue<R extends ConnectRecord = ConnectRecord> extends Cast<R> {
  protected readonly side = 'value'
}
