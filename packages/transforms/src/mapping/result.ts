/**
 * The result of a mapping expression as a Connect value: to a declared schema (`toSchema`), to a schema inferred from
 * the result (`inferSchema`, then `toSchema`), or schemaless (`toSchemaless`). An object the expression handed back
 * unchanged from its input document (see document.ts) becomes the original value again when its schema fits.
 *
 * Inference: an integral number is an int64, any other number a float64; strings, booleans; an object is a struct with
 * its fields in key order; an array is an array of its elements' merged schema (int64 and float64 elements make
 * float64, structs merge their fields); null, an empty array's elements and a field that is only ever null are
 * strings. Every inferred schema is optional, so a field's schema does not depend on whether it is null in a given
 * record. Elements of different types cannot be merged: declare the schema instead.
 */
import {
  BigDecimal,
  ConnectDate,
  DataException,
  Decimal,
  type Schema,
  SchemaBuilder,
  Struct,
  schemaEquals,
  Time,
  Timestamp,
} from '@ferry/api'
import { originOf } from './document.ts'

const MILLIS_PER_DAY = 86_400_000
const INT_RANGES: Record<string, [number, number]> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
}
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/

/** Where a value sits in the result, for messages: `value`, `value.address.city`, `value.items[2]`. */
type Path = string

function fail(path: Path, value: unknown, wanted: string): never {
  throw new DataException(`${path} is ${describe(value)}, where the schema has ${wanted}`)
}

/** A JSONata function value (a lambda, a partial application or a built-in): JSONata represents them as objects. */
function isFunction(value: unknown): boolean {
  if (typeof value === 'function') return true
  if (typeof value !== 'object' || value === null) return false
  const v = value as { _jsonata_lambda?: unknown; _jsonata_function?: unknown }
  return v._jsonata_lambda === true || v._jsonata_function === true
}

/** A result value in words, for messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'missing'
  if (value === null) return 'null'
  if (isFunction(value)) return 'a function'
  if (Array.isArray(value)) return 'an array'
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`
    case 'number':
      return `the number ${value}`
    case 'boolean':
      return `${value}`
    case 'function':
      return 'a function'
    case 'object':
      return 'an object'
  }
  return typeof value
}

function schemaWords(schema: Schema): string {
  const type = schema.name ? `${schema.type.toLowerCase()} ${schema.name}` : schema.type.toLowerCase()
  return schema.isOptional ? `an optional ${type}` : `a required ${type}`
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isFunction(value)
}

/** The result converted to `schema`; a DataException naming the path where it does not fit. */
export function toSchema(value: unknown, schema: Schema, path: Path): unknown {
  if (value == null) {
    if (schema.isOptional) return null
    if (schema.defaultValue != null) return schema.defaultValue
    fail(path, value, schemaWords(schema))
  }
  if (isObject(value)) {
    const origin = originOf(value)
    if (origin !== undefined && origin.schema !== null && schemaEquals(origin.schema, schema)) return origin.value
  }
  switch (schema.name) {
    case Decimal.LOGICAL_NAME:
      return toDecimal(value, schema, path)
    case ConnectDate.LOGICAL_NAME:
      return toDate(value, path)
    case Time.LOGICAL_NAME:
      return toTime(value, path)
    case Timestamp.LOGICAL_NAME:
      return toTimestamp(value, path)
  }
  switch (schema.type) {
    case 'INT8':
    case 'INT16':
    case 'INT32': {
      const [min, max] = INT_RANGES[schema.type]!
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        fail(path, value, `${schemaWords(schema)} (an integer from ${min} to ${max})`)
      }
      return value
    }
    case 'INT64':
      return toInt64(value, path, schemaWords(schema))
    case 'FLOAT32':
      if (typeof value !== 'number') fail(path, value, schemaWords(schema))
      return Math.fround(value)
    case 'FLOAT64':
      if (typeof value !== 'number') fail(path, value, schemaWords(schema))
      return value
    case 'BOOLEAN':
      if (typeof value !== 'boolean') fail(path, value, schemaWords(schema))
      return value
    case 'STRING':
      if (typeof value !== 'string') fail(path, value, schemaWords(schema))
      return value
    case 'BYTES':
      if (typeof value !== 'string' || !BASE64.test(value)) fail(path, value, `${schemaWords(schema)} (base64 text)`)
      return new Uint8Array(Buffer.from(value, 'base64'))
    case 'ARRAY': {
      // JSONata gives a sequence of one as the item itself: an array schema takes it as an array of one.
      const items = Array.isArray(value) ? value : [value]
      const itemSchema = schema.valueSchema()!
      return Array.from(items, (item, i) => toSchema(item, itemSchema, `${path}[${i}]`))
    }
    case 'MAP': {
      if (!isObject(value)) fail(path, value, schemaWords(schema))
      const keySchema = schema.keySchema()!
      const valueSchema = schema.valueSchema()!
      const map = new Map<unknown, unknown>()
      for (const [k, v] of Object.entries(value)) {
        map.set(mapKey(k, keySchema, `${path} key ${JSON.stringify(k)}`), toSchema(v, valueSchema, `${path}.${k}`))
      }
      return map
    }
    case 'STRUCT': {
      if (!isObject(value)) fail(path, value, schemaWords(schema))
      for (const k of Object.keys(value)) {
        if (schema.field(k) === null) {
          throw new DataException(
            `${path}.${k} is not a field of the schema (its fields: ${schema
              .fields()
              .map((f) => f.name)
              .join(', ')})`,
          )
        }
      }
      const struct = new Struct(schema)
      for (const field of schema.fields()) {
        struct.put(
          field,
          toSchema(Object.hasOwn(value, field.name) ? value[field.name] : null, field.schema, `${path}.${field.name}`),
        )
      }
      return struct
    }
  }
}

function toInt64(value: unknown, path: Path, wanted: string): number | bigint {
  let big: bigint | null = null
  if (typeof value === 'number' && Number.isInteger(value)) {
    if (Number.isSafeInteger(value)) return value
    big = BigInt(value)
  } else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) {
    big = BigInt(value)
  }
  if (big === null || big < INT64_MIN || big > INT64_MAX) fail(path, value, `${wanted} (an integer, or its digits)`)
  return Number.isSafeInteger(Number(big)) ? Number(big) : big
}

function mapKey(key: string, schema: Schema, path: Path): unknown {
  switch (schema.type) {
    case 'STRING':
      return key
    case 'INT8':
    case 'INT16':
    case 'INT32':
    case 'INT64':
      return toSchema(/^-?\d+$/.test(key) ? (Number.isSafeInteger(Number(key)) ? Number(key) : key) : key, schema, path)
  }
  throw new DataException(`${path}: map keys of type ${schema.type.toLowerCase()} cannot be written by an expression`)
}

function toDecimal(value: unknown, schema: Schema, path: Path): BigDecimal {
  const scale = Number(schema.parameters?.[Decimal.SCALE_FIELD])
  let decimal: BigDecimal | null = null
  try {
    if (typeof value === 'number') decimal = BigDecimal.fromNumber(value)
    else if (typeof value === 'string') decimal = BigDecimal.fromString(value)
  } catch {
    decimal = null
  }
  if (decimal === null) fail(path, value, `a Decimal (a number, or its text)`)
  return decimal.setScale(scale, 'HALF_UP')
}

function toDate(value: unknown, path: Path): Date {
  if (typeof value === 'number' && Number.isInteger(value)) return new Date(value * MILLIS_PER_DAY)
  const m = typeof value === 'string' ? DATE.exec(value) : null
  const millis = m === null ? Number.NaN : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  if (Number.isNaN(millis) || new Date(millis).toISOString().slice(0, 10) !== value) {
    fail(path, value, 'a Date ("yyyy-MM-dd", or days since 1970-01-01)')
  }
  return new Date(millis)
}

function toTime(value: unknown, path: Path): Date {
  let millis = Number.NaN
  if (typeof value === 'number' && Number.isInteger(value)) millis = value
  const m = typeof value === 'string' ? TIME.exec(value) : null
  if (m !== null) {
    const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)]
    if (h < 24 && min < 60 && s < 60) millis = ((h * 60 + min) * 60 + s) * 1000 + Number((m[4] ?? '').padEnd(3, '0'))
  }
  if (!(millis >= 0 && millis < MILLIS_PER_DAY)) {
    fail(path, value, 'a Time ("HH:mm:ss.SSS", or milliseconds since midnight)')
  }
  return new Date(millis)
}

function toTimestamp(value: unknown, path: Path): Date {
  const millis = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN
  const date = new Date(millis)
  if (Number.isNaN(date.getTime())) fail(path, value, 'a Timestamp (ISO 8601 text, or milliseconds since the epoch)')
  return date
}

/** An inferred type, before it becomes a schema: merged across array elements. */
type Shape =
  | { kind: 'null' | 'int64' | 'float64' | 'string' | 'boolean' }
  | { kind: 'struct'; fields: Map<string, Shape> }
  | { kind: 'array'; items: Shape }
  | { kind: 'schema'; schema: Schema }

const NULL_SHAPE: Shape = { kind: 'null' }

function shapeOf(value: unknown, path: Path): Shape {
  if (value == null) return NULL_SHAPE
  if (isFunction(value)) throw new DataException(`${path} is a function, which has no Connect schema`)
  switch (typeof value) {
    case 'number':
      return { kind: Number.isInteger(value) ? 'int64' : 'float64' }
    case 'string':
      return { kind: 'string' }
    case 'boolean':
      return { kind: 'boolean' }
    case 'object': {
      if (Array.isArray(value)) {
        let items = NULL_SHAPE
        value.forEach((item, i) => {
          items = merge(items, shapeOf(item, `${path}[${i}]`), `${path}[${i}]`)
        })
        return { kind: 'array', items }
      }
      const origin = originOf(value)
      if (origin !== undefined && origin.schema !== null) return { kind: 'schema', schema: origin.schema }
      const fields = new Map<string, Shape>()
      for (const [k, v] of Object.entries(value)) fields.set(k, shapeOf(v, `${path}.${k}`))
      return { kind: 'struct', fields }
    }
  }
  throw new DataException(`${path} is ${describe(value)}, which has no Connect schema`)
}

function merge(a: Shape, b: Shape, path: Path): Shape {
  if (a.kind === 'null') return b
  if (b.kind === 'null') return a
  if (a.kind === 'struct' && b.kind === 'struct') {
    const fields = new Map(a.fields)
    for (const [k, shape] of b.fields) fields.set(k, merge(fields.get(k) ?? NULL_SHAPE, shape, `${path}.${k}`))
    return { kind: 'struct', fields }
  }
  if (a.kind === 'array' && b.kind === 'array') return { kind: 'array', items: merge(a.items, b.items, path) }
  if (a.kind === 'schema' && b.kind === 'schema' && schemaEquals(a.schema, b.schema)) return a
  const numbers = new Set([a.kind, b.kind])
  if (numbers.size === 1 && a.kind !== 'schema') return a
  if (numbers.has('int64') && numbers.has('float64') && numbers.size === 2) return { kind: 'float64' }
  throw new DataException(
    `${path} holds values of different types (${shapeWords(a)} and ${shapeWords(b)}), which no inferred schema can hold: declare the schema`,
  )
}

function shapeWords(shape: Shape): string {
  return shape.kind === 'schema' ? (shape.schema.name ?? shape.schema.type.toLowerCase()) : shape.kind
}

function shapeSchema(shape: Shape): Schema {
  switch (shape.kind) {
    case 'null':
    case 'string':
      return SchemaBuilder.string().optional().build()
    case 'int64':
      return SchemaBuilder.int64().optional().build()
    case 'float64':
      return SchemaBuilder.float64().optional().build()
    case 'boolean':
      return SchemaBuilder.bool().optional().build()
    case 'array':
      return SchemaBuilder.array(shapeSchema(shape.items)).optional().build()
    case 'schema':
      return shape.schema
    case 'struct': {
      const builder = SchemaBuilder.struct().optional()
      for (const [name, field] of shape.fields) builder.field(name, shapeSchema(field))
      return builder.build()
    }
  }
}

/** The schema inferred from a result (see the module comment); null for a null result, which needs none. */
export function inferSchema(value: unknown, path: Path): Schema | null {
  if (value == null) return null
  const shape = shapeOf(value, path)
  // Records of one shape get the very same schema object, so converters' per-schema caches keep working.
  const key = shapeKey(shape)
  let schema = INFERRED.get(key)
  if (schema === undefined) {
    schema = shapeSchema(shape)
    if (INFERRED.size >= SCHEMAS_KEPT) INFERRED.clear()
    INFERRED.set(key, schema)
  }
  return schema
}

/** Inferred schemas by shape; more than this many shapes clear the memory (shapes normally repeat). */
const SCHEMAS_KEPT = 1000
const INFERRED = new Map<string, Schema>()
const SCHEMA_IDS = new WeakMap<Schema, number>()
let nextSchemaId = 0

/** A text that is equal for two shapes exactly when they make the same schema. */
function shapeKey(shape: Shape): string {
  switch (shape.kind) {
    case 'struct':
      return `{${[...shape.fields].map(([name, field]) => `${JSON.stringify(name)}:${shapeKey(field)}`).join(',')}}`
    case 'array':
      return `[${shapeKey(shape.items)}]`
    case 'schema': {
      let id = SCHEMA_IDS.get(shape.schema)
      if (id === undefined) {
        id = nextSchemaId++
        SCHEMA_IDS.set(shape.schema, id)
      }
      return `#${id}`
    }
    default:
      return shape.kind
  }
}

/**
 * The result as a schemaless Connect value: objects become `Map`s (an input map handed back unchanged stays what it
 * was), arrays arrays, scalars themselves.
 */
export function toSchemaless(value: unknown, path: Path): unknown {
  if (value == null) return null
  if (isFunction(value)) throw new DataException(`${path} is a function, which is not a Connect value`)
  switch (typeof value) {
    case 'number':
    case 'string':
    case 'boolean':
      return value
    case 'object': {
      if (Array.isArray(value)) return Array.from(value, (item, i) => toSchemaless(item, `${path}[${i}]`))
      const origin = originOf(value)
      if (origin !== undefined && origin.schema === null) return origin.value
      const map = new Map<string, unknown>()
      for (const [k, v] of Object.entries(value)) map.set(k, toSchemaless(v, `${path}.${k}`))
      return map
    }
  }
  throw new DataException(`${path} is ${describe(value)}, which is not a Connect value`)
}
