/**
 * Apache's `org.apache.kafka.connect.transforms.MaskField`: replaces fields with the "null value" of their type (0,
 * false, "", an empty array or map, the epoch for dates) or with `replacement` converted to the field's numeric or
 * string type. Like Apache, a null key/value is an error.
 */
import {
  BigDecimal,
  ConfigDef,
  type ConnectRecord,
  DataException,
  NonEmptyString,
  type Schema,
  Struct,
  type Transformation,
} from '@ferry/api'
import {
  AnyNonDuplicateValues,
  REPLACE_NULL_WITH_DEFAULT_CONFIG,
  REPLACE_NULL_WITH_DEFAULT_DOC,
  simpleConfig,
} from './util/config.ts'
import { decimalToDouble, javaClassString, NumberFormatException, normalizeLong } from './util/java.ts'
import { copyMap, isAnyMap, mapGet, mapSet } from './util/maps.ts'
import { newRecordWith, operatingSchema, operatingValue, type Side } from './util/operating.ts'
import { requireMap, requireStruct } from './util/requirements.ts'

export const MASK_FIELD_OVERVIEW_DOC =
  'Mask specified fields with a valid null value for the field type (i.e. 0, false, empty string, and so on).<p/>For numeric and string fields, an optional replacement value can be specified that is converted to the correct type.<p/>Use the concrete transformation type designed for the record key (<code>org.apache.kafka.connect.transforms.MaskField$Key</code>) or value (<code>org.apache.kafka.connect.transforms.MaskField$Value</code>).'

const FIELDS_CONFIG = 'fields'
const REPLACEMENT_CONFIG = 'replacement'
const PURPOSE = 'mask fields'

export const MASK_FIELD_CONFIG_DEF: ConfigDef = new ConfigDef()
  .define({
    name: FIELDS_CONFIG,
    type: 'LIST',
    validator: AnyNonDuplicateValues.of(false, false),
    importance: 'HIGH',
    documentation: 'Names of fields to mask.',
  })
  .define({
    name: REPLACEMENT_CONFIG,
    type: 'STRING',
    defaultValue: null,
    validator: NonEmptyString,
    importance: 'LOW',
    documentation:
      "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty string values only).",
  })
  .define({
    name: REPLACE_NULL_WITH_DEFAULT_CONFIG,
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'MEDIUM',
    documentation: REPLACE_NULL_WITH_DEFAULT_DOC,
  })

/**
 * The Java class Apache would see for a value: with a schema, the schema's type decides (INT8 → Byte...); without,
 * a safe-integer number is a Long, any other number a Double.
 */
type JavaKind = 'Byte' | 'Short' | 'Integer' | 'Long' | 'Float' | 'Double' | 'other'

function javaKind(schema: Schema | null, value: unknown): JavaKind {
  if (typeof value === 'bigint') return schema === null ? 'Long' : kindOfType(schema)
  if (typeof value !== 'number') return 'other'
  if (schema === null) return Number.isSafeInteger(value) ? 'Long' : 'Double'
  return kindOfType(schema)
}

function kindOfType(schema: Schema): JavaKind {
  switch (schema.type) {
    case 'INT8':
      return 'Byte'
    case 'INT16':
      return 'Short'
    case 'INT32':
      return schema.name === null ? 'Integer' : 'other'
    case 'INT64':
      return schema.name === null ? 'Long' : 'other'
    case 'FLOAT32':
      return 'Float'
    case 'FLOAT64':
      return 'Double'
    default:
      return 'other'
  }
}

function maskWithNullValue(value: unknown): unknown {
  switch (typeof value) {
    case 'boolean':
      return false
    case 'number':
    case 'bigint':
      return 0
    case 'string':
      return ''
  }
  if (value instanceof BigDecimal) return new BigDecimal(0n, 0)
  if (value instanceof Date) return new Date(0)
  if (Array.isArray(value)) return []
  if (value instanceof Map) return new Map()
  if (isAnyMap(value)) return {}
  throw new DataException(`Cannot mask value of type: ${javaClassString(value)}`)
}

/** Apache's `Values.convertToByte(null, string)`...: `new BigDecimal(string)` narrowed like a Java cast. */
function convertString(replacement: string, kind: JavaKind): number | bigint {
  let decimal: BigDecimal
  try {
    decimal = javaNewBigDecimal(replacement)
  } catch (e) {
    throw new DataException(`Unable to convert ${replacement} (class java.lang.String) to a number`, e)
  }
  switch (kind) {
    case 'Byte':
      return Number(BigInt.asIntN(8, BigInt.asIntN(64, decimal.toBigInt())))
    case 'Short':
      return Number(BigInt.asIntN(16, BigInt.asIntN(64, decimal.toBigInt())))
    case 'Integer':
      return Number(BigInt.asIntN(32, BigInt.asIntN(64, decimal.toBigInt())))
    case 'Long':
      return normalizeLong(BigInt.asIntN(64, decimal.toBigInt()))
    case 'Float':
      return Math.fround(decimalToDouble(decimal))
    default:
      return decimalToDouble(decimal)
  }
}

function maskWithCustomReplacement(value: unknown, kind: JavaKind, replacement: string): unknown {
  if (kind !== 'other') return convertString(replacement, kind)
  if (typeof value === 'string') return replacement
  if (value instanceof BigDecimal) {
    try {
      return javaNewBigDecimal(replacement)
    } catch (e) {
      throw new DataException(`Unable to convert ${replacement} (class java.lang.String) to number`, e)
    }
  }
  throw new DataException(`Cannot mask value of type ${javaClassString(value)} with custom replacement.`)
}

/** Java's `new BigDecimal(String)`: NumberFormatException for anything that is not a decimal. */
function javaNewBigDecimal(text: string): BigDecimal {
  try {
    return BigDecimal.fromString(text)
  } catch {
    throw new NumberFormatException(`Character array is missing "exponent" mark 'e' or 'E'.`)
  }
}

/** The shared implementation; use `MaskFieldKey` or `MaskFieldValue`. */
export abstract class MaskField<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = MASK_FIELD_OVERVIEW_DOC
  static readonly CONFIG_DEF = MASK_FIELD_CONFIG_DEF

  protected abstract readonly side: Side
  private maskedFields: Set<string> = new Set()
  private replacement: string | null = null
  private replaceNullWithDefault = true

  configure(props: Record<string, unknown>): void {
    const config = simpleConfig(MASK_FIELD_CONFIG_DEF, props)
    this.maskedFields = new Set(config.getList(FIELDS_CONFIG)!)
    this.replacement = config.getString(REPLACEMENT_CONFIG)
    this.replaceNullWithDefault = config.getBoolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)!
  }

  apply(record: R): R {
    if (operatingSchema(record, this.side) == null) return this.applySchemaless(record)
    return this.applyWithSchema(record)
  }

  config(): ConfigDef {
    return MASK_FIELD_CONFIG_DEF
  }

  close(): void {}

  private masked(schema: Schema | null, value: unknown): unknown {
    if (value == null) return null
    return this.replacement === null
      ? maskWithNullValue(value)
      : maskWithCustomReplacement(value, javaKind(schema, value), this.replacement)
  }

  private applySchemaless(record: R): R {
    const value = requireMap(operatingValue(record, this.side), PURPOSE)
    const updated = copyMap(value)
    for (const field of this.maskedFields) mapSet(updated, field, this.masked(null, mapGet(value, field)))
    return newRecordWith(record, this.side, operatingSchema(record, this.side), updated)
  }

  private applyWithSchema(record: R): R {
    const value = requireStruct(operatingValue(record, this.side), PURPOSE)
    const updated = new Struct(value.schema)
    for (const field of value.schema.fields()) {
      const orig = this.replaceNullWithDefault ? value.get(field) : value.getWithoutDefault(field.name)
      updated.put(field, this.maskedFields.has(field.name) ? this.masked(field.schema, orig) : orig)
    }
    return newRecordWith(record, this.side, operatingSchema(record, this.side), updated)
  }
}

/** `org.apache.kafka.connect.transforms.MaskField$Key`. */
export class MaskFieldKey<R extends ConnectRecord = ConnectRecord> extends MaskField<R> {
  protected readonly side = 'key'
}

/** `org.apache.kafka.connect.transforms.MaskField$Value`. */
export class MaskFieldValue<R extends ConnectRecord = ConnectRecord> extends MaskField<R> {
  protected readonly side = 'value'
}
