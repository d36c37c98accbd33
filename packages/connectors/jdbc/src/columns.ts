/**
 * Result columns → Connect fields, shared by both dialects. Drivers hand over text (and Buffers for binary
 * columns); each column converts its text to the JS representation of its Connect type.
 */
import { BigDecimal, ConnectDate, Decimal, Schema, SchemaBuilder, Time, Timestamp } from '@ferry/api'
import type { NumericMappingOptions, ResultColumn } from './db.ts'
import { instantToDate, parseDate, parseTime, parseTimestamp } from './time.ts'

export type ColumnKind =
  | 'boolean'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'date'
  | 'time'
  | 'timestamp'

/** Confluent's `connect.decimal.precision` schema parameter. */
export const PRECISION_PARAMETER = 'connect.decimal.precision'
const MAX_INTEGER_TYPE_PRECISION = 18

function text(raw: unknown): string {
  if (typeof raw === 'string') return raw
  if (Buffer.isBuffer(raw)) return raw.toString('utf8')
  return String(raw)
}

function toBuffer(raw: unknown): Buffer {
  if (Buffer.isBuffer(raw)) return raw
  const s = text(raw)
  // PostgreSQL's bytea hex output
  if (s.startsWith('\\x')) return Buffer.from(s.slice(2), 'hex')
  return Buffer.from(s, 'utf8')
}

function integer(raw: unknown): number | bigint {
  if (typeof raw === 'number') return raw
  const s = text(raw)
  const n = Number(s)
  if (Number.isSafeInteger(n)) return n
  return BigInt(s)
}

function bool(raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw
  if (typeof raw === 'number') return raw !== 0
  if (Buffer.isBuffer(raw)) return raw.some((b) => b !== 0)
  const s = text(raw).toLowerCase()
  return s === 't' || s === 'true' || s === '1' || s === 'y' || s === 'yes' || s === 'on'
}

const PRIMITIVES: Record<ColumnKind, [Schema, Schema]> = {
  boolean: [Schema.BOOLEAN_SCHEMA, Schema.OPTIONAL_BOOLEAN_SCHEMA],
  int8: [Schema.INT8_SCHEMA, Schema.OPTIONAL_INT8_SCHEMA],
  int16: [Schema.INT16_SCHEMA, Schema.OPTIONAL_INT16_SCHEMA],
  int32: [Schema.INT32_SCHEMA, Schema.OPTIONAL_INT32_SCHEMA],
  int64: [Schema.INT64_SCHEMA, Schema.OPTIONAL_INT64_SCHEMA],
  float32: [Schema.FLOAT32_SCHEMA, Schema.OPTIONAL_FLOAT32_SCHEMA],
  float64: [Schema.FLOAT64_SCHEMA, Schema.OPTIONAL_FLOAT64_SCHEMA],
  string: [Schema.STRING_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA],
  bytes: [Schema.BYTES_SCHEMA, Schema.OPTIONAL_BYTES_SCHEMA],
  date: [ConnectDate.SCHEMA, ConnectDate.builder().optional().build()],
  time: [Time.SCHEMA, Time.builder().optional().build()],
  timestamp: [Timestamp.SCHEMA, Timestamp.builder().optional().build()],
}

function converterFor(kind: ColumnKind, timeZone: string): (raw: unknown) => unknown {
  switch (kind) {
    case 'boolean':
      return bool
    case 'int8':
    case 'int16':
    case 'int32':
      return (raw) => Number(text(raw))
    case 'int64':
      return integer
    case 'float32':
      return (raw) => Math.fround(typeof raw === 'number' ? raw : Number(text(raw)))
    case 'float64':
      return (raw) => (typeof raw === 'number' ? raw : Number(text(raw)))
    case 'string':
      return (raw) => (typeof raw === 'object' && !Buffer.isBuffer(raw) ? JSON.stringify(raw) : text(raw))
    case 'bytes':
      return toBuffer
    case 'date':
      return (raw) => parseDate(text(raw))
    case 'time':
      return (raw) => parseTime(text(raw))
    case 'timestamp':
      return (raw) => instantToDate(parseTimestamp(text(raw), timeZone))
  }
}

/** A column of one of the simple kinds. */
export function simpleColumn(name: string, kind: ColumnKind, optional: boolean, timeZone: string): ResultColumn {
  const convert = converterFor(kind, timeZone)
  return { name, schema: PRIMITIVES[kind][optional ? 1 : 0], convert: (raw) => (raw === null ? null : convert(raw)) }
}

/** A column Ferry cannot represent: left out of the record, as Confluent does. */
export function skippedColumn(name: string): ResultColumn {
  return { name, schema: null, convert: () => null }
}

function integerKind(precision: number): ColumnKind {
  if (precision > 9) return 'int64'
  if (precision > 4) return 'int32'
  if (precision > 2) return 'int16'
  return 'int8'
}

/**
 * A NUMERIC/DECIMAL column under `numeric.mapping`, as Confluent maps it: `none` → Decimal; `precision_only` →
 * integers for scale 0; `best_fit` → integers for scale ≤ 0, FLOAT64 for scale > 0, both only up to precision 18;
 * `best_fit_eager_double` → FLOAT64 for any scale > 0.
 */
export function numericColumn(
  name: string,
  precision: number,
  scale: number,
  optional: boolean,
  options: NumericMappingOptions,
): ResultColumn {
  const mapping = options.numericMapping
  if (mapping === 'precision_only' && scale === 0 && precision <= MAX_INTEGER_TYPE_PRECISION) {
    return simpleColumn(name, integerKind(precision), optional, options.timeZone)
  }
  if (mapping === 'best_fit' && precision <= MAX_INTEGER_TYPE_PRECISION) {
    if (scale < 1 && scale >= -84) return simpleColumn(name, integerKind(precision), optional, options.timeZone)
    if (scale > 0) return simpleColumn(name, 'float64', optional, options.timeZone)
  }
  if (mapping === 'best_fit_eager_double') {
    if (scale < 1 && scale >= -84 && precision <= MAX_INTEGER_TYPE_PRECISION) {
      return simpleColumn(name, integerKind(precision), optional, options.timeZone)
    }
    if (scale > 0) return simpleColumn(name, 'float64', optional, options.timeZone)
  }
  const builder = Decimal.builder(scale).parameter(PRECISION_PARAMETER, String(precision))
  if (optional) builder.optional()
  return {
    name,
    schema: builder.build(),
    convert: (raw) => {
      if (raw === null) return null
      const s = text(raw)
      if (s === 'NaN' || s === 'Infinity' || s === '-Infinity') {
        throw new RangeError(`Column ${name} holds ${s}, which Connect's Decimal cannot represent`)
      }
      return BigDecimal.fromString(s).setScale(scale, 'HALF_UP')
    },
  }
}

/** Builds the record schema (a struct named after the table in table mode) from the columns that map. */
export function structSchema(name: string | null, columns: ResultColumn[]): Schema {
  const builder = SchemaBuilder.struct()
  if (name !== null) builder.name(name)
  const seen = new Set<string>()
  for (const c of columns) {
    if (c.schema === null || seen.has(c.name)) continue
    seen.add(c.name)
    builder.field(c.name, c.schema)
  }
  return builder.build()
}
