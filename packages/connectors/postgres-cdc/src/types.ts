/**
 * PostgreSQL column types → Connect schemas and values, as Debezium's PostgresValueConverter maps them. Values arrive
 * as PostgreSQL's text output (pgoutput's tuples and the snapshot's rows alike), with the session settings that
 * `SESSION_OPTIONS` fixes so the text is predictable: ISO dates, UTC, hex bytea, ISO 8601 intervals, C money.
 *
 * A type Debezium does not map (and `include.unknown.datatypes` is off) has no schema: its column is left out of the
 * records, as Debezium leaves it out.
 */
import {
  BigDecimal,
  bigIntToBytes,
  ConnectDate,
  Decimal,
  type Schema,
  SchemaBuilder,
  Struct,
  Time,
  Timestamp,
} from '@ferry/api'

/** Startup options for every connection, so values come as the converters below expect them. */
export const SESSION_OPTIONS =
  '-c DateStyle=ISO -c TimeZone=UTC -c IntervalStyle=iso_8601 -c bytea_output=hex -c extra_float_digits=3 -c lc_monetary=C'

export type DecimalHandlingMode = 'precise' | 'double' | 'string'
export type TimePrecisionMode = 'adaptive' | 'adaptive_time_microseconds' | 'connect'
export type IntervalHandlingMode = 'numeric' | 'string'
export type BinaryHandlingMode = 'bytes' | 'base64' | 'base64-url-safe' | 'hex'

export interface TypeSettings {
  decimalHandlingMode: DecimalHandlingMode
  timePrecisionMode: TimePrecisionMode
  intervalHandlingMode: IntervalHandlingMode
  binaryHandlingMode: BinaryHandlingMode
  moneyFractionDigits: number
}

/** One row of pg_type, as the registry needs it. */
export interface PgType {
  oid: number
  name: string
  /** b: base, e: enum, d: domain, c: composite, r: range, p: pseudo */
  kind: string
  /** Domains: the type they restrict. */
  baseOid: number
  /** Domains: the base type's modifier. */
  baseTypeModifier: number
  /** Arrays: the element type (0 otherwise). */
  elementOid: number
  /** Enums: the labels in order. */
  enumLabels: string[] | null
}

/** The SQL that reads every type the registry knows. */
export const TYPES_QUERY = `SELECT t.oid::int8 AS oid, t.typname AS name, t.typtype AS kind, t.typbasetype::int8 AS base,
  t.typtypmod AS basemod, t.typelem::int8 AS elem, t.typcategory AS category,
  (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels
FROM pg_type t`

export interface TypeRow {
  oid: string
  name: string
  kind: string
  base: string
  basemod: number
  elem: string
  category: string
  /** The labels as an array, or as the array's text (connections that read every value as text). */
  labels: string[] | string | null
}

/** The database's types by oid (base types, enums, domains, arrays). */
export class TypeRegistry {
  readonly #types = new Map<number, PgType>()

  constructor(rows: TypeRow[]) {
    for (const r of rows) {
      const oid = Number(r.oid)
      this.#types.set(oid, {
        oid,
        name: r.name,
        kind: r.kind,
        baseOid: Number(r.base),
        baseTypeModifier: r.basemod,
        // Only true arrays (category A) have an element type that matters here (name's typelem is char).
        elementOid: r.category === 'A' ? Number(r.elem) : 0,
        enumLabels: typeof r.labels === 'string' ? (parseArray(r.labels) as string[]) : r.labels,
      })
    }
  }

  get(oid: number): PgType | undefined {
    return this.#types.get(oid)
  }

  has(oid: number): boolean {
    return this.#types.has(oid)
  }
}

/** A column's Connect field: its schema (not yet optional) and how its text becomes a value; null when unmapped. */
export interface ColumnType {
  schema: () => SchemaBuilder
  /** Text → value; `schema` is the field's own (optional or not), which struct values must carry. */
  convert: (text: string, schema: Schema) => unknown
}

function typmodPrecision(typeModifier: number): number | null {
  return typeModifier >= 0 ? typeModifier : null
}

/** numeric(p, s): typmod = ((p << 16) | s) + 4; -1 when unconstrained. */
function numericPrecisionScale(typeModifier: number): { precision: number; scale: number } | null {
  if (typeModifier < 4) return null
  const t = typeModifier - 4
  return { precision: (t >> 16) & 0xffff, scale: t & 0xffff }
}

const VARIABLE_SCALE_DECIMAL = 'io.debezium.data.VariableScaleDecimal'

function variableScaleDecimalSchema(): SchemaBuilder {
  return SchemaBuilder.struct()
    .name(VARIABLE_SCALE_DECIMAL)
    .version(1)
    .doc('Variable scaled decimal')
    .field('scale', SchemaBuilder.int32().build())
    .field('value', SchemaBuilder.bytes().build())
}

function named(builder: SchemaBuilder, name: string): SchemaBuilder {
  return builder.name(name).version(1)
}

function int64(text: string): number | bigint {
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : BigInt(text)
}

function float(text: string): number {
  if (text === 'NaN') return Number.NaN
  if (text === 'Infinity') return Number.POSITIVE_INFINITY
  if (text === '-Infinity') return Number.NEGATIVE_INFINITY
  return Number(text)
}

const MICROS_PER_DAY = 86_400_000_000n

/** `2024-01-31` (or `... BC`) → days since the epoch. */
function epochDays(text: string): number {
  const bc = text.endsWith(' BC')
  const m = /^(\d+)-(\d\d)-(\d\d)/.exec(text)
  if (!m) throw new Error(`not a date: ${text}`)
  let year = Number(m[1])
  if (bc) year = 1 - year
  const d = new Date(0)
  d.setUTCFullYear(year, Number(m[2]) - 1, Number(m[3]))
  d.setUTCHours(0, 0, 0, 0)
  return Math.round(d.getTime() / 86_400_000)
}

/** `13:45:01.123456` (optionally followed by a zone) → microseconds past midnight. */
function timeMicros(text: string): bigint {
  const m = /^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?/.exec(text)
  if (!m) throw new Error(`not a time: ${text}`)
  const fraction = (m[4] ?? '').padEnd(6, '0')
  return (
    ((BigInt(m[1] as string) * 60n + BigInt(m[2] as string)) * 60n + BigInt(m[3] as string)) * 1_000_000n +
    BigInt(fraction || '0')
  )
}

/** `2024-01-31 13:45:01.123456[+00]` → microseconds since the epoch (the zone, if any, applied). */
function timestampMicros(text: string): bigint {
  const space = text.indexOf(' ')
  const datePart = text.slice(0, space)
  let rest = text.slice(space + 1)
  const bc = rest.endsWith(' BC')
  if (bc) rest = rest.slice(0, -3)
  const days = BigInt(epochDays(bc ? `${datePart} BC` : datePart))
  let micros = days * MICROS_PER_DAY + timeMicros(rest)
  const zone = /([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?$/.exec(rest.slice(8))
  if (zone) {
    const sign = zone[1] === '-' ? -1n : 1n
    const offset =
      (BigInt(zone[2] as string) * 3600n + BigInt(zone[3] ?? '0') * 60n + BigInt(zone[4] ?? '0')) * 1_000_000n
    micros -= sign * offset
  }
  return micros
}

/**
 * The common case of `timestampMicros` without BigInt: `YYYY-MM-DD HH:MM:SS[.ffffff][±HH[:MM[:SS]]]` with a year from
 * 100 to 9999 (PostgreSQL's output with DateStyle ISO), as µs since the epoch; undefined for any other text, which
 * `timestampMicros` reads.
 */
export function timestampMicrosFast(t: string): number | undefined {
  const n = t.length
  if (n < 19 || t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || t.charCodeAt(10) !== 32) return undefined
  if (t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58) return undefined
  let bad = false
  const num = (from: number, to: number): number => {
    let v = 0
    for (let i = from; i < to; i++) {
      const c = t.charCodeAt(i) - 48
      if (c < 0 || c > 9) bad = true
      v = v * 10 + c
    }
    return v
  }
  const year = num(0, 4)
  const month = num(5, 7)
  const day = num(8, 10)
  const hour = num(11, 13)
  const minute = num(14, 16)
  const second = num(17, 19)
  let i = 19
  let micros = 0
  if (i < n && t.charCodeAt(i) === 46 /* . */) {
    const start = ++i
    while (i < n && i - start < 6 && t.charCodeAt(i) >= 48 && t.charCodeAt(i) <= 57) i++
    if (i === start) return undefined
    micros = num(start, i) * 10 ** (6 - (i - start))
  }
  let offset = 0
  if (i < n) {
    const sign = t.charCodeAt(i)
    if (sign !== 43 && sign !== 45) return undefined
    if (i + 3 > n) return undefined
    offset = num(i + 1, i + 3) * 3600
    i += 3
    if (i < n && t.charCodeAt(i) === 58 && i + 3 <= n) {
      offset += num(i + 1, i + 3) * 60
      i += 3
      if (i < n && t.charCodeAt(i) === 58 && i + 3 <= n) {
        offset += num(i + 1, i + 3)
        i += 3
      }
    }
    if (sign === 45) offset = -offset
  }
  if (bad || i !== n || year < 100) return undefined
  const v = (Date.UTC(year, month - 1, day, hour, minute, second) / 1000 - offset) * 1_000_000 + micros
  return Number.isSafeInteger(v) ? v : undefined
}

/** `isoUtc` for µs held in a number, without BigInt. */
function isoUtcNumber(micros: number, fraction: number): string {
  let seconds = Math.floor(micros / 1_000_000)
  let rem = micros - seconds * 1_000_000
  if (rem < 0) {
    rem += 1_000_000
    seconds -= 1
  } else if (rem >= 1_000_000) {
    rem -= 1_000_000
    seconds += 1
  }
  const iso = new Date(seconds * 1000).toISOString()
  const base = iso.slice(0, iso.lastIndexOf('.'))
  if (fraction === 0) return `${base}Z`
  return `${base}.${String(rem).padStart(6, '0').padEnd(9, '0').slice(0, fraction)}Z`
}

function toNumberIfSafe(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
}

/** µs since the epoch → ISO 8601 in UTC with exactly `fraction` digits (Debezium's ZonedTimestamp). */
function isoUtc(micros: bigint, fraction: number): string {
  let seconds = micros / 1_000_000n
  let rem = micros % 1_000_000n
  if (rem < 0n) {
    rem += 1_000_000n
    seconds -= 1n
  }
  const d = new Date(Number(seconds) * 1000)
  const iso = d.toISOString() // YYYY-MM-DDTHH:MM:SS.000Z (or ±YYYYYY for far years)
  const base = iso.slice(0, iso.lastIndexOf('.'))
  const digits = rem.toString().padStart(6, '0').padEnd(9, '0').slice(0, fraction)
  return `${base}${fraction > 0 ? `.${digits}` : ''}Z`
}

/** `13:45:01.5+02` → `11:45:01.5Z`-style ISO offset time in UTC (Debezium's ZonedTime). */
function zonedTime(text: string): string {
  const micros = timestampMicros(`1970-01-01 ${text}`)
  const dayMicros = ((micros % MICROS_PER_DAY) + MICROS_PER_DAY) % MICROS_PER_DAY
  const ms = Number(dayMicros / 1000n)
  const hh = String(Math.floor(ms / 3_600_000)).padStart(2, '0')
  const mm = String(Math.floor(ms / 60_000) % 60).padStart(2, '0')
  const ss = String(Math.floor(ms / 1000) % 60).padStart(2, '0')
  let frac = (dayMicros % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '')
  // ISO_OFFSET_TIME prints the fraction in groups of three digits.
  if (frac.length > 0) frac = frac.padEnd(frac.length <= 3 ? 3 : 6, '0')
  return `${hh}:${mm}:${ss}${frac ? `.${frac}` : ''}Z`
}

/** ISO 8601 interval text (IntervalStyle=iso_8601) → its parts. */
function intervalParts(text: string): {
  years: number
  months: number
  days: number
  hours: number
  minutes: number
  seconds: number
} {
  const m = /^P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?[\d.]+)S)?)?$/.exec(text)
  if (!m) throw new Error(`not an ISO 8601 interval: ${text}`)
  return {
    years: Number(m[1] ?? 0),
    months: Number(m[2] ?? 0),
    days: Number(m[3] ?? 0),
    hours: Number(m[4] ?? 0),
    minutes: Number(m[5] ?? 0),
    seconds: Number(m[6] ?? 0),
  }
}

/** Debezium's MicroDuration.durationMicros with 365.25/12 days a month, in doubles as Java computes it. */
function intervalMicros(text: string): number | bigint {
  const p = intervalParts(text)
  const days = (p.years * 12 + p.months) * (365.25 / 12) + p.days
  const seconds = ((days * 24 + p.hours) * 60 + p.minutes) * 60 + p.seconds
  return toNumberIfSafe(BigInt(Math.trunc(seconds * 1e6)))
}

function hexBytes(text: string): Buffer {
  return Buffer.from(text.startsWith('\\x') ? text.slice(2) : text, 'hex')
}

/** Parses a one-dimensional array literal `{a,"b c",NULL}` into its elements' texts. */
export function parseArray(text: string): Array<string | null> {
  if (text === '{}') return []
  const out: Array<string | null> = []
  let i = text.indexOf('{') + 1
  while (i < text.length) {
    if (text[i] === '"') {
      let v = ''
      i++
      while (text[i] !== '"') {
        if (text[i] === '\\') i++
        v += text[i]
        i++
      }
      out.push(v)
      i++
    } else {
      let j = i
      while (text[j] !== ',' && text[j] !== '}') j++
      const v = text.slice(i, j)
      out.push(v === 'NULL' ? null : v)
      i = j
    }
    if (text[i] === '}') break
    i++ // ','
  }
  return out
}

function bitsToBytes(text: string): Buffer {
  // Debezium's Bits: the bit string as a little-endian byte array of the value.
  const n = text.length
  const bytes = Buffer.alloc(Math.ceil(n / 8))
  for (let i = 0; i < n; i++) {
    if (text[n - 1 - i] === '1') bytes[i >> 3] = (bytes[i >> 3] as number) | (1 << (i & 7))
  }
  return bytes
}

/**
 * The Connect field for a column of type `oid` with modifier `typeModifier`, or null when Debezium maps no schema.
 */
export function columnType(
  registry: TypeRegistry,
  oid: number,
  typeModifier: number,
  s: TypeSettings,
): ColumnType | null {
  const type = registry.get(oid)
  switch (type?.name ?? '') {
    case 'bool':
      return { schema: () => SchemaBuilder.bool(), convert: (t) => t === 't' }
    case 'int2':
      return { schema: () => SchemaBuilder.int16(), convert: Number }
    case 'int4':
      return { schema: () => SchemaBuilder.int32(), convert: Number }
    case 'int8':
    case 'oid':
      return { schema: () => SchemaBuilder.int64(), convert: int64 }
    case 'float4':
      return { schema: () => SchemaBuilder.float32(), convert: float }
    case 'float8':
      return { schema: () => SchemaBuilder.float64(), convert: float }
    case 'numeric':
      return numericType(numericPrecisionScale(typeModifier), s)
    case 'money':
      return moneyType(s)
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'char':
    case 'name':
    case 'inet':
    case 'cidr':
    case 'macaddr':
    case 'macaddr8':
    case 'int4range':
    case 'int8range':
    case 'numrange':
    case 'tsrange':
    case 'tstzrange':
    case 'daterange':
    case 'citext':
      return { schema: () => SchemaBuilder.string(), convert: (t) => t }
    case 'json':
    case 'jsonb':
      return { schema: () => named(SchemaBuilder.string(), 'io.debezium.data.Json'), convert: (t) => t }
    case 'xml':
      return { schema: () => named(SchemaBuilder.string(), 'io.debezium.data.Xml'), convert: (t) => t }
    case 'uuid':
      return { schema: () => named(SchemaBuilder.string(), 'io.debezium.data.Uuid'), convert: (t) => t }
    case 'tsvector':
      return { schema: () => named(SchemaBuilder.string(), 'io.debezium.data.TsVector'), convert: (t) => t }
    case 'ltree':
      return { schema: () => named(SchemaBuilder.string(), 'io.debezium.data.Ltree'), convert: (t) => t }
    case 'bytea':
      return binaryType(s)
    case 'bit':
    case 'varbit': {
      const length = typmodPrecision(typeModifier) ?? 1
      if (length > 1 || type?.name === 'varbit')
        return {
          schema: () => named(SchemaBuilder.bytes(), 'io.debezium.data.Bits').parameter('length', String(length)),
          convert: bitsToBytes,
        }
      return { schema: () => SchemaBuilder.bool(), convert: (t) => t === '1' }
    }
    case 'date':
      return s.timePrecisionMode === 'connect'
        ? { schema: () => ConnectDate.builder(), convert: (t) => new Date(epochDays(t) * 86_400_000) }
        : { schema: () => named(SchemaBuilder.int32(), 'io.debezium.time.Date'), convert: epochDays }
    case 'time':
      return timeType(typmodPrecision(typeModifier) ?? 6, s)
    case 'timestamp':
      return timestampType(typmodPrecision(typeModifier) ?? 6, s)
    case 'timestamptz': {
      const fraction = typmodPrecision(typeModifier) ?? 6
      return {
        schema: () => named(SchemaBuilder.string(), 'io.debezium.time.ZonedTimestamp'),
        convert: (t) => {
          if (t === 'infinity' || t === '-infinity') return t
          const fast = timestampMicrosFast(t)
          return fast === undefined ? isoUtc(timestampMicros(t), fraction) : isoUtcNumber(fast, fraction)
        },
      }
    }
    case 'timetz':
      return { schema: () => named(SchemaBuilder.string(), 'io.debezium.time.ZonedTime'), convert: zonedTime }
    case 'interval':
      return s.intervalHandlingMode === 'string'
        ? { schema: () => named(SchemaBuilder.string(), 'io.debezium.time.Interval'), convert: (t) => t }
        : { schema: () => named(SchemaBuilder.int64(), 'io.debezium.time.MicroDuration'), convert: intervalMicros }
  }
  if (!type) return null
  if (type.kind === 'e' && type.enumLabels) {
    const allowed = type.enumLabels.join(',')
    return {
      schema: () => named(SchemaBuilder.string(), 'io.debezium.data.Enum').parameter('allowed', allowed),
      convert: (t) => t,
    }
  }
  if (type.kind === 'd') return columnType(registry, type.baseOid, type.baseTypeModifier, s)
  if (type.elementOid !== 0) {
    const element = columnType(registry, type.elementOid, typeModifier, s)
    if (!element) return null
    const elementName = registry.get(type.elementOid)?.name
    // Debezium maps no schema for these arrays yet.
    if (['money', 'name', 'interval', 'varbit', 'xml', 'point'].includes(elementName ?? '')) return null
    return {
      schema: () => SchemaBuilder.array(element.schema().optional().build()),
      convert: (t, schema) => {
        const elementSchema = schema.valueSchema() as Schema
        return parseArray(t).map((v) => (v === null ? null : element.convert(v, elementSchema)))
      },
    }
  }
  return null
}

function numericType(ps: { precision: number; scale: number } | null, s: TypeSettings): ColumnType {
  if (s.decimalHandlingMode === 'double') return { schema: () => SchemaBuilder.float64(), convert: float }
  if (s.decimalHandlingMode === 'string') return { schema: () => SchemaBuilder.string(), convert: (t) => t }
  if (ps === null) {
    return {
      schema: variableScaleDecimalSchema,
      convert: (t, schema) => {
        if (t === 'NaN') return null
        const d = BigDecimal.fromString(t)
        return new Struct(schema).put('scale', d.scale).put('value', bigIntToBytes(d.unscaledValue))
      },
    }
  }
  const { precision, scale } = ps
  return {
    schema: () => Decimal.builder(scale).parameter('connect.decimal.precision', String(precision)),
    convert: (t) => (t === 'NaN' ? null : BigDecimal.fromString(t).setScale(scale, 'HALF_UP')),
  }
}

function moneyNumber(text: string): string {
  const negative = text.startsWith('-') || text.startsWith('(')
  const digits = text.replace(/[^0-9.]/g, '')
  return negative ? `-${digits}` : digits
}

function moneyType(s: TypeSettings): ColumnType {
  if (s.decimalHandlingMode === 'double')
    return { schema: () => SchemaBuilder.float64(), convert: (t) => Number(moneyNumber(t)) }
  if (s.decimalHandlingMode === 'string') return { schema: () => SchemaBuilder.string(), convert: moneyNumber }
  const scale = s.moneyFractionDigits
  return {
    schema: () => Decimal.builder(scale),
    convert: (t) => BigDecimal.fromString(moneyNumber(t)).setScale(scale, 'HALF_UP'),
  }
}

function binaryType(s: TypeSettings): ColumnType {
  switch (s.binaryHandlingMode) {
    case 'base64':
      return { schema: () => SchemaBuilder.string(), convert: (t) => hexBytes(t).toString('base64') }
    case 'base64-url-safe':
      return { schema: () => SchemaBuilder.string(), convert: (t) => hexBytes(t).toString('base64url') }
    case 'hex':
      return { schema: () => SchemaBuilder.string(), convert: (t) => hexBytes(t).toString('hex') }
    default:
      return { schema: () => SchemaBuilder.bytes(), convert: hexBytes }
  }
}

function timeType(precision: number, s: TypeSettings): ColumnType {
  if (s.timePrecisionMode === 'connect')
    return { schema: () => Time.builder(), convert: (t) => new Date(Number(timeMicros(t) / 1000n)) }
  if (s.timePrecisionMode === 'adaptive' && precision <= 3)
    return {
      schema: () => named(SchemaBuilder.int32(), 'io.debezium.time.Time'),
      convert: (t) => Number(timeMicros(t) / 1000n),
    }
  return {
    schema: () => named(SchemaBuilder.int64(), 'io.debezium.time.MicroTime'),
    convert: (t) => toNumberIfSafe(timeMicros(t)),
  }
}

function timestampType(precision: number, s: TypeSettings): ColumnType {
  if (s.timePrecisionMode === 'connect')
    return { schema: () => Timestamp.builder(), convert: (t) => new Date(Number(timestampMicros(t) / 1000n)) }
  if (precision <= 3)
    return {
      schema: () => named(SchemaBuilder.int64(), 'io.debezium.time.Timestamp'),
      convert: (t) => {
        const fast = timestampMicrosFast(t)
        // BigInt division truncates toward zero, and so does this.
        return fast === undefined ? toNumberIfSafe(timestampMicros(t) / 1000n) : (fast - (fast % 1000)) / 1000
      },
    }
  return {
    schema: () => named(SchemaBuilder.int64(), 'io.debezium.time.MicroTimestamp'),
    convert: (t) => timestampMicrosFast(t) ?? toNumberIfSafe(timestampMicros(t)),
  }
}
