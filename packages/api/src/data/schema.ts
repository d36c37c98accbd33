/**
 * Connect's data model: schemas (Apache's `Schema` / `ConnectSchema`), fields and `SchemaAndValue`.
 *
 * JavaScript representation of values, checked by `ConnectSchema.validateValue` and used throughout Ferry:
 *
 * | Schema type                | JS value                                                                      |
 * |----------------------------|-------------------------------------------------------------------------------|
 * | INT8, INT16, INT32         | `number` (an integer in the type's range)                                     |
 * | INT64                      | `number` when it is a safe integer, `bigint` otherwise (both accepted)        |
 * | FLOAT32, FLOAT64           | `number`                                                                      |
 * | BOOLEAN                    | `boolean`                                                                     |
 * | STRING                     | `string`                                                                      |
 * | BYTES                      | `Uint8Array` (a Node `Buffer` is one)                                         |
 * | ARRAY                      | a JS array                                                                    |
 * | MAP                        | a JS `Map` (keys of any type); a plain object is accepted for string keys     |
 * | STRUCT                     | `Struct`                                                                      |
 * | Decimal (BYTES)            | `BigDecimal`                                                                  |
 * | Date, Time, Timestamp      | a JS `Date` (UTC)                                                             |
 *
 * `null` (or `undefined`) is "no value". A schema's absent `name`, `version`, `doc`, `parameters` and `defaultValue`
 * are `null`.
 */
import { DataException } from '../errors.ts'
import { BigDecimal } from './big-decimal.ts'

export type SchemaType =
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FLOAT32'
  | 'FLOAT64'
  | 'BOOLEAN'
  | 'STRING'
  | 'BYTES'
  | 'ARRAY'
  | 'MAP'
  | 'STRUCT'

/** All schema types, in Apache's enum order. */
export const SCHEMA_TYPES: readonly SchemaType[] = Object.freeze([
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FLOAT32',
  'FLOAT64',
  'BOOLEAN',
  'STRING',
  'BYTES',
  'ARRAY',
  'MAP',
  'STRUCT',
] as const)

/** Apache's `Schema.Type.isPrimitive()`: everything but ARRAY, MAP and STRUCT. */
export function isPrimitiveType(type: SchemaType): boolean {
  return type !== 'ARRAY' && type !== 'MAP' && type !== 'STRUCT'
}

/**
 * A schema. Metadata are properties; the type-specific accessors are methods that throw `DataException` when the
 * schema has the wrong type, like Apache's `ConnectSchema`.
 */
export interface Schema {
  readonly type: SchemaType
  readonly isOptional: boolean
  /** The default value, or null when there is none. */
  readonly defaultValue: unknown
  readonly name: string | null
  readonly version: number | null
  readonly doc: string | null
  readonly parameters: Readonly<Record<string, string>> | null
  /** MAP only. Null only for the untyped map schemas that `Values.parseString` infers. */
  keySchema(): Schema | null
  /** MAP and ARRAY only. Null only for the untyped schemas that `Values.parseString` infers. */
  valueSchema(): Schema | null
  /** STRUCT only: the fields in order. */
  fields(): readonly Field[]
  /** STRUCT only: the field with this name, or null. */
  field(fieldName: string): Field | null
  toString(): string
}

/** A field of a STRUCT schema (data only: a plain `{ name, index, schema }` object is a Field too). */
export class Field {
  readonly name: string
  readonly index: number
  readonly schema: Schema

  constructor(name: string, index: number, schema: Schema) {
    this.name = name
    this.index = index
    this.schema = schema
  }

  /** Same name, index and (structurally) schema. */
  static equals(a: Field | null | undefined, b: Field | null | undefined): boolean {
    if (a === b) return true
    if (a == null || b == null) return false
    return a.index === b.index && a.name === b.name && schemaEquals(a.schema, b.schema)
  }

  toString(): string {
    return `Field{name=${this.name}, index=${this.index}, schema=${this.schema}}`
  }
}

/**
 * A schema with a value (the schema may be null for schemaless data). Only data members, so a plain
 * `{ schema, value }` object is a `SchemaAndValue` too; compare with `SchemaAndValue.equals(a, b)`.
 */
export class SchemaAndValue {
  static readonly NULL: SchemaAndValue = new SchemaAndValue(null, null)

  readonly schema: Schema | null
  readonly value: unknown

  constructor(schema: Schema | null, value: unknown) {
    this.schema = schema
    this.value = value
  }

  /** Equal schemas (`schemaEquals`) and values (`valueEquals`). */
  static equals(a: SchemaAndValue | null | undefined, b: SchemaAndValue | null | undefined): boolean {
    if (a === b) return true
    if (a == null || b == null) return false
    return schemaEquals(a.schema, b.schema) && valueEquals(a.value, b.value)
  }

  toString(): string {
    return `SchemaAndValue{schema=${this.schema}, value=${String(this.value)}}`
  }
}

const DECIMAL_LOGICAL_NAME = 'org.apache.kafka.connect.data.Decimal'
const DATE_LOGICAL_NAME = 'org.apache.kafka.connect.data.Date'
const TIME_LOGICAL_NAME = 'org.apache.kafka.connect.data.Time'
const TIMESTAMP_LOGICAL_NAME = 'org.apache.kafka.connect.data.Timestamp'
/** Same symbol as `Struct`'s brand (struct.ts); checked here to avoid an import cycle. */
const STRUCT_BRAND = Symbol.for('ferry.data.Struct')

const EMPTY_FIELDS: readonly Field[] = Object.freeze([])

/** The immutable schema that `SchemaBuilder.build()` returns (Apache's `ConnectSchema`). */
export class ConnectSchema implements Schema {
  readonly type: SchemaType
  readonly isOptional: boolean
  readonly defaultValue: unknown
  readonly name: string | null
  readonly version: number | null
  readonly doc: string | null
  readonly parameters: Readonly<Record<string, string>> | null
  private readonly _fields: readonly Field[] | null
  private readonly _fieldsByName: Map<string, Field> | null
  private readonly _keySchema: Schema | null
  private readonly _valueSchema: Schema | null

  constructor(
    type: SchemaType,
    optional = false,
    defaultValue: unknown = null,
    name: string | null = null,
    version: number | null = null,
    doc: string | null = null,
    parameters: Readonly<Record<string, string>> | null = null,
    fields: readonly Field[] | null = null,
    keySchema: Schema | null = null,
    valueSchema: Schema | null = null,
  ) {
    this.type = type
    this.isOptional = optional
    this.defaultValue = defaultValue ?? null
    this.name = name ?? null
    this.version = version ?? null
    this.doc = doc ?? null
    this.parameters = parameters ?? null
    if (type === 'STRUCT') {
      this._fields = fields === null ? EMPTY_FIELDS : fields
      const byName = new Map<string, Field>()
      for (const f of this._fields) byName.set(f.name, f)
      this._fieldsByName = byName
    } else {
      this._fields = null
      this._fieldsByName = null
    }
    this._keySchema = keySchema ?? null
    this._valueSchema = valueSchema ?? null
  }

  fields(): readonly Field[] {
    if (this._fields === null) throw new DataException('Cannot list fields on non-struct type')
    return this._fields
  }

  field(fieldName: string): Field | null {
    if (this._fieldsByName === null) throw new DataException('Cannot look up fields on non-struct type')
    return this._fieldsByName.get(fieldName) ?? null
  }

  keySchema(): Schema | null {
    if (this.type !== 'MAP') throw new DataException('Cannot look up key schema on non-map type')
    return this._keySchema
  }

  valueSchema(): Schema | null {
    if (this.type !== 'MAP' && this.type !== 'ARRAY') {
      throw new DataException('Cannot look up value schema on non-array and non-map type')
    }
    return this._valueSchema
  }

  /** Structural equality, as `schemaEquals`. */
  equals(other: unknown): boolean {
    return isSchema(other) && schemaEquals(this, other)
  }

  toString(): string {
    return this.name !== null ? `Schema{${this.name}:${this.type}}` : `Schema{${this.type}}`
  }

  /**
   * Validates a value against a schema, throwing `DataException` with Apache's messages. Two forms, as Apache:
   * `validateValue(schema, value)` and `validateValue(fieldName, schema, value)`.
   */
  static validateValue(schema: Schema, value: unknown): void
  static validateValue(fieldName: string | null, schema: Schema, value: unknown): void
  static validateValue(a: Schema | string | null, b: unknown, c?: unknown): void {
    if (a === null || typeof a === 'string') validate(b as Schema, c, a, null)
    else validate(a, b, null, null)
  }
}

/** True for anything shaped like a schema (a `ConnectSchema` or a foreign implementation). */
export function isSchema(value: unknown): value is Schema {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Schema).type === 'string' &&
    typeof (value as Schema).valueSchema === 'function'
  )
}

/** `ConnectSchema.validateValue(fieldName, schema, value)` without the overload dispatch (Struct.put's hot path). */
export function validateFieldValue(fieldName: string | null, schema: Schema, value: unknown): void {
  validate(schema, value, fieldName, null)
}

function locationOf(fieldName: string | null, context: string | null): string {
  if (context !== null) return context
  return fieldName === null ? 'value' : `field: "${fieldName}"`
}

/** JS "class" of a value for error messages. */
export function describeValueType(value: unknown): string {
  const t = typeof value
  if (t !== 'object' && t !== 'function') return t
  if (value === null) return 'null'
  const ctor = (value as object).constructor
  return `class ${typeof ctor === 'function' && ctor.name ? ctor.name : 'Object'}`
}

const INT_RANGES = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
} as const
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
// The doubles just inside the int64 range (2^63 itself is out of range).
const INT64_MAX_NUMBER = 2 ** 63

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Whether `value` has the JS representation of `schema` (no recursion). */
function matchesType(schema: Schema, value: unknown): boolean {
  const name = schema.name
  if (name !== null) {
    if (name === DECIMAL_LOGICAL_NAME) return value instanceof BigDecimal
    if (name === DATE_LOGICAL_NAME || name === TIME_LOGICAL_NAME || name === TIMESTAMP_LOGICAL_NAME) {
      return value instanceof Date
    }
  }
  switch (schema.type) {
    case 'INT8':
    case 'INT16':
    case 'INT32': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return false
      const range = INT_RANGES[schema.type]
      return value >= range[0] && value <= range[1]
    }
    case 'INT64':
      if (typeof value === 'number')
        return Number.isInteger(value) && value >= -INT64_MAX_NUMBER && value < INT64_MAX_NUMBER
      return typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX
    case 'FLOAT32':
    case 'FLOAT64':
      return typeof value === 'number'
    case 'BOOLEAN':
      return typeof value === 'boolean'
    case 'STRING':
      return typeof value === 'string'
    case 'BYTES':
      return value instanceof Uint8Array
    case 'ARRAY':
      return Array.isArray(value)
    case 'MAP':
      return value instanceof Map || isPlainObject(value)
    case 'STRUCT':
      return typeof value === 'object' && value !== null && (value as any)[STRUCT_BRAND] === true
  }
  return false
}

function validate(schema: Schema, value: unknown, fieldName: string | null, context: string | null): void {
  if (value === null || value === undefined) {
    if (!schema.isOptional) {
      throw new DataException(
        `Invalid value: null used for required ${locationOf(fieldName, context)}, schema type: ${schema.type}`,
      )
    }
    return
  }
  if (!matchesType(schema, value)) {
    let message = 'Invalid Java object for schema'
    if (schema.name !== null) message += ` "${schema.name}"`
    message += ` with type ${schema.type}: ${describeValueType(value)}`
    if (typeof value === 'number' || typeof value === 'bigint') message += ` (${String(value)})`
    message += ` for ${locationOf(fieldName, context)}`
    throw new DataException(message)
  }
  switch (schema.type) {
    case 'STRUCT': {
      const struct = value as { schema: Schema; validate(): void }
      if (!schemaEquals(struct.schema, schema)) throw new DataException('Struct schemas do not match.')
      struct.validate()
      break
    }
    case 'ARRAY': {
      const array = value as unknown[]
      if (array.length === 0) break
      const entryLocation = `element of array ${locationOf(fieldName, context)}`
      const elementSchema = schema.valueSchema()
      if (elementSchema === null) throw new DataException(`No schema defined for ${entryLocation}`)
      for (let i = 0; i < array.length; i++) validate(elementSchema, array[i], null, entryLocation)
      break
    }
    case 'MAP': {
      const location = locationOf(fieldName, context)
      const keyLocation = `key of map ${location}`
      const valueLocation = `value of map ${location}`
      const keySchema = schema.keySchema()
      if (keySchema === null) throw new DataException(`No schema defined for ${keyLocation}`)
      const valueSchema = schema.valueSchema()
      if (valueSchema === null) throw new DataException(`No schema defined for ${valueLocation}`)
      if (value instanceof Map) {
        for (const [k, v] of value) {
          validate(keySchema, k, null, keyLocation)
          validate(valueSchema, v, null, valueLocation)
        }
      } else {
        const record = value as Record<string, unknown>
        for (const k of Object.keys(record)) {
          validate(keySchema, k, null, keyLocation)
          validate(valueSchema, record[k], null, valueLocation)
        }
      }
      break
    }
  }
}

/**
 * Structural schema equality (Apache's `ConnectSchema.equals`): type, optionality, name, version, doc, default value
 * (deeply), parameters, and the key/value schemas or fields.
 */
export function schemaEquals(a: Schema | null | undefined, b: Schema | null | undefined): boolean {
  if (a === b) return true
  if (a == null || b == null) return false
  if (
    a.type !== b.type ||
    a.isOptional !== b.isOptional ||
    a.name !== b.name ||
    a.version !== b.version ||
    a.doc !== b.doc ||
    !parametersEqual(a.parameters, b.parameters) ||
    !valueEquals(a.defaultValue, b.defaultValue)
  ) {
    return false
  }
  switch (a.type) {
    case 'STRUCT': {
      const fa = a.fields()
      const fb = b.fields()
      if (fa.length !== fb.length) return false
      for (let i = 0; i < fa.length; i++) {
        const x = fa[i]!
        const y = fb[i]!
        if (x.index !== y.index || x.name !== y.name || !schemaEquals(x.schema, y.schema)) return false
      }
      return true
    }
    case 'MAP':
      return schemaEquals(a.keySchema(), b.keySchema()) && schemaEquals(a.valueSchema(), b.valueSchema())
    case 'ARRAY':
      return schemaEquals(a.valueSchema(), b.valueSchema())
    default:
      return true
  }
}

function parametersEqual(
  a: Readonly<Record<string, string>> | null | undefined,
  b: Readonly<Record<string, string>> | null | undefined,
): boolean {
  if (a === b) return true
  if (a == null || b == null) return false
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || a[k] !== b[k]) return false
  }
  return true
}

/**
 * Deep equality of Connect values (Java's `Objects.deepEquals` over Connect's representations): numbers and bigints
 * compare by value (`1 == 1n`, `NaN == NaN`), bytes by content, arrays element-wise, maps by entries (a `Map` and a
 * plain object with the same string keys are equal), dates by time, and objects with an `equals` method (`Struct`,
 * `BigDecimal`, `Password`) through it.
 */
export function valueEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a == null || b == null) return a == null && b == null
  const ta = typeof a
  const tb = typeof b
  if (ta === 'number' || ta === 'bigint') {
    if (tb !== 'number' && tb !== 'bigint') return false
    if (ta === 'number' && tb === 'number') return Number.isNaN(a) && Number.isNaN(b)
    // number vs bigint: equal when the number is that integer
    // biome-ignore lint/suspicious/noDoubleEquals: loose equality compares a number with a bigint by value
    return a == b
  }
  if (ta !== 'object' || tb !== 'object') return false
  if (a instanceof Uint8Array) {
    if (!(b instanceof Uint8Array) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
    return true
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!valueEquals(a[i], b[i])) return false
    return true
  }
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime()
  const aIsMap = a instanceof Map || isPlainObject(a)
  const bIsMap = b instanceof Map || isPlainObject(b)
  if (aIsMap || bIsMap) return aIsMap && bIsMap && mapsEqual(toMap(a), toMap(b))
  const eq = (a as { equals?: unknown }).equals
  if (typeof eq === 'function') return eq.call(a, b) === true
  return false
}

function toMap(value: unknown): Map<unknown, unknown> {
  if (value instanceof Map) return value
  return new Map(Object.entries(value as Record<string, unknown>))
}

function mapsEqual(a: Map<unknown, unknown>, b: Map<unknown, unknown>): boolean {
  if (a.size !== b.size) return false
  outer: for (const [k, v] of a) {
    if (b.has(k)) {
      if (!valueEquals(v, b.get(k))) return false
      continue
    }
    if (typeof k !== 'object' && typeof k !== 'bigint' && typeof k !== 'number') return false
    // Keys that are objects (or numbers vs bigints) are looked up by value.
    for (const [k2, v2] of b) {
      if (valueEquals(k, k2)) {
        if (!valueEquals(v, v2)) return false
        continue outer
      }
    }
    return false
  }
  return true
}

function primitive(type: SchemaType, optional: boolean): Schema {
  return Object.freeze(new ConnectSchema(type, optional))
}

/** The standard schemas (Apache's `Schema.INT8_SCHEMA` ...). */
export const Schema = Object.freeze({
  INT8_SCHEMA: primitive('INT8', false),
  INT16_SCHEMA: primitive('INT16', false),
  INT32_SCHEMA: primitive('INT32', false),
  INT64_SCHEMA: primitive('INT64', false),
  FLOAT32_SCHEMA: primitive('FLOAT32', false),
  FLOAT64_SCHEMA: primitive('FLOAT64', false),
  BOOLEAN_SCHEMA: primitive('BOOLEAN', false),
  STRING_SCHEMA: primitive('STRING', false),
  BYTES_SCHEMA: primitive('BYTES', false),
  OPTIONAL_INT8_SCHEMA: primitive('INT8', true),
  OPTIONAL_INT16_SCHEMA: primitive('INT16', true),
  OPTIONAL_INT32_SCHEMA: primitive('INT32', true),
  OPTIONAL_INT64_SCHEMA: primitive('INT64', true),
  OPTIONAL_FLOAT32_SCHEMA: primitive('FLOAT32', true),
  OPTIONAL_FLOAT64_SCHEMA: primitive('FLOAT64', true),
  OPTIONAL_BOOLEAN_SCHEMA: primitive('BOOLEAN', true),
  OPTIONAL_STRING_SCHEMA: primitive('STRING', true),
  OPTIONAL_BYTES_SCHEMA: primitive('BYTES', true),
})
