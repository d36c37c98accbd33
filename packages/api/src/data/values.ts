/**
 * Apache's `Values`: converting Connect values between types, rendering them as text and parsing text back with type
 * inference. `SimpleHeaderConverter` writes `Values.convertToString(schema, value)` and reads with
 * `Values.parseString(text)`.
 *
 * Text formats (as Apache, always in UTC): dates `yyyy-MM-dd`, times `HH:mm:ss.SSS'Z'`, timestamps
 * `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`; lists `[a,b]`; maps and structs `{k:v}`; strings inside lists and maps are quoted
 * (`"a\"b"`); bytes are base64; FLOAT32 / FLOAT64 as Java prints them (`1.0`, `1.0E10`); decimals as
 * `BigDecimal.toString()`. A `Date` is written as a time when it is within the first day after the epoch, as a date
 * when it is at midnight, and as a timestamp otherwise (Apache's `dateFormatFor`).
 *
 * `parseString` infers, in order: `null` (→ `SchemaAndValue.NULL`), `true`/`false` (BOOLEAN), `[..]` (ARRAY),
 * `{..}` (MAP), a time / timestamp / date, then a number: the smallest of INT8, INT16, INT32, INT64 for integral
 * values, FLOAT32 for fractions (FLOAT64 beyond FLOAT32's range), a Decimal beyond that; anything else is a STRING of
 * the whole text. Element types of lists and maps are merged (INT8 and INT32 → INT32...); mixed types give an
 * element schema of null.
 *
 * Differences from Apache, all for inputs Apache mangles:
 * - top-level text that continues after a parsed value (`1,2`, `12:34`, `[1] x`) is a STRING of the whole text, where
 *   Apache returns the first value and drops the rest;
 * - `parseString('null')` returns `SchemaAndValue.NULL` rather than null;
 * - a date or time literal must match its pattern entirely (Apache's lenient parser accepts trailing garbage);
 * - `inferSchema` widens JS numbers: integers → INT32 / INT64, fractions → FLOAT64, mixed lists → the widest.
 */
import { DataException, javaString } from '../errors.ts'
import { BigDecimal } from './big-decimal.ts'
import { decimalToFloat32, javaDoubleToString, javaFloatToString } from './java-number.ts'
import { ConnectDate, Decimal, Time, Timestamp } from './logical.ts'
import { describeValueType, type Field, Schema, SchemaAndValue, type SchemaType, schemaEquals } from './schema.ts'
import { SchemaBuilder } from './schema-builder.ts'
import { Struct } from './struct.ts'

const MILLIS_PER_DAY = 24 * 60 * 60 * 1000
const NULL_VALUE = 'null'

export const ISO_8601_DATE_FORMAT_PATTERN = 'yyyy-MM-dd'
export const ISO_8601_TIME_FORMAT_PATTERN = "HH:mm:ss.SSS'Z'"
export const ISO_8601_TIMESTAMP_FORMAT_PATTERN = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
const ISO_8601_DATE_LENGTH = 10
const ISO_8601_TIME_LENGTH = 13
const ISO_8601_TIMESTAMP_LENGTH = 24

const ARRAY_SELECTOR_SCHEMA = SchemaBuilder.array(Schema.STRING_SCHEMA).build()
const MAP_SELECTOR_SCHEMA = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).build()
const STRUCT_SELECTOR_SCHEMA = SchemaBuilder.struct().build()
const TRUE_SCHEMA_AND_VALUE = new SchemaAndValue(Schema.BOOLEAN_SCHEMA, true)
const FALSE_SCHEMA_AND_VALUE = new SchemaAndValue(Schema.BOOLEAN_SCHEMA, false)

const LONG_MIN = -(2n ** 63n)
const LONG_MAX = 2n ** 63n - 1n

// ---------------------------------------------------------------------------------------------------------------------
// helpers

/** Java's `String.trim()`: strips chars <= U+0020 at both ends. */
function javaTrim(s: string): string {
  let start = 0
  let end = s.length
  while (start < end && s.charCodeAt(start) <= 0x20) start++
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--
  return start === 0 && end === s.length ? s : s.substring(start, end)
}

function isBlank(s: string | null): boolean {
  return s === null || javaTrim(s).length === 0
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function isMapLike(value: unknown): value is Map<unknown, unknown> | Record<string, unknown> {
  return value instanceof Map || isPlainObject(value)
}

function entriesOf(value: Map<unknown, unknown> | Record<string, unknown>): Iterable<[unknown, unknown]> {
  return value instanceof Map ? value.entries() : Object.entries(value)
}

/** A long as Connect's INT64 representation: a number when safe, else a bigint. */
function normalizeLong(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n
}

function unableToConvert(value: unknown, target: Schema | string, cause?: unknown): DataException {
  const to = typeof target === 'string' ? target : String(target)
  return new DataException(`Unable to convert ${javaString(value)} (${describeValueType(value)}) to ${to}`, cause)
}

function nullNotAllowed(): DataException {
  return new DataException('Unable to convert a null value to a schema that requires a value')
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0')

function formatDateOnly(d: Date): string {
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`
}

function formatTimeOnly(d: Date): string {
  return `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds(), 3)}Z`
}

/** Apache's `dateFormatFor(date).format(date)`, in UTC. */
function formatDate(d: Date): string {
  const t = d.getTime()
  if (Number.isNaN(t)) throw new DataException('Failed to serialize an invalid Date')
  if (t < MILLIS_PER_DAY) return formatTimeOnly(d)
  if (t % MILLIS_PER_DAY === 0) return formatDateOnly(d)
  return `${formatDateOnly(d)}T${formatTimeOnly(d)}`
}

function utcDate(year: number, month: number, day: number, h = 0, m = 0, s = 0, ms = 0): Date {
  // Lenient like SimpleDateFormat: out-of-range fields roll over. setUTCFullYear keeps years 0-99 literal.
  const d = new Date(0)
  d.setUTCFullYear(year, month - 1, day)
  d.setUTCHours(h, m, s, ms)
  return d
}

const DATE_RE = /^(\d+)-(\d+)-(\d+)$/
const TIME_RE = /^(\d+):(\d+):(\d+)\.(\d+)Z$/
const TIMESTAMP_RE = /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\.(\d+)Z$/

function parseAsTemporal(input: string | null): SchemaAndValue | null {
  if (input === null) return null
  // If the colons were escaped, we'll see the escape chars and need to remove them
  const token = input.replaceAll('\\:', ':')
  let m: RegExpExecArray | null
  switch (token.length) {
    case ISO_8601_TIME_LENGTH:
      m = TIME_RE.exec(token)
      if (m === null) return null
      return new SchemaAndValue(Time.SCHEMA, utcDate(1970, 1, 1, +m[1]!, +m[2]!, +m[3]!, +m[4]!))
    case ISO_8601_TIMESTAMP_LENGTH:
      m = TIMESTAMP_RE.exec(token)
      if (m === null) return null
      return new SchemaAndValue(Timestamp.SCHEMA, utcDate(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!))
    case ISO_8601_DATE_LENGTH:
      m = DATE_RE.exec(token)
      if (m === null) return null
      return new SchemaAndValue(ConnectDate.SCHEMA, utcDate(+m[1]!, +m[2]!, +m[3]!))
    default:
      return null
  }
}

function parseAsExactDecimal(decimal: BigDecimal): SchemaAndValue | null {
  const ceil = decimal.setScale(0, 'CEILING')
  const floor = decimal.setScale(0, 'FLOOR')
  if (!ceil.equals(floor)) return null
  const num = ceil.unscaledValue
  if (num < LONG_MIN || num > LONG_MAX) return null
  if (num >= -128n && num <= 127n) return new SchemaAndValue(Schema.INT8_SCHEMA, Number(num))
  if (num >= -32768n && num <= 32767n) return new SchemaAndValue(Schema.INT16_SCHEMA, Number(num))
  if (num >= -2147483648n && num <= 2147483647n) return new SchemaAndValue(Schema.INT32_SCHEMA, Number(num))
  return new SchemaAndValue(Schema.INT64_SCHEMA, normalizeLong(num))
}

/** Throws SyntaxError (Java's NumberFormatException) when the token is not a decimal number. */
function parseAsNumber(token: string): SchemaAndValue {
  const decimal = BigDecimal.fromString(token)
  const exact = parseAsExactDecimal(decimal)
  if (exact !== null) return exact
  const dValue = decimal.toNumber()
  if (decimal.scale !== 0) {
    // FLOAT32 (rounded to single precision, as Java's Float holds it) when within float range, else FLOAT64
    const fValue = decimalToFloat32(token)
    if (Number.isFinite(fValue)) return new SchemaAndValue(Schema.FLOAT32_SCHEMA, fValue)
    if (Number.isFinite(dValue)) return new SchemaAndValue(Schema.FLOAT64_SCHEMA, dValue)
  }
  return new SchemaAndValue(Decimal.schema(decimal.scale), decimal)
}

// ---------------------------------------------------------------------------------------------------------------------
// tokenizer and parser (Apache's Values.Parser / ValueParser)

/** Splits text into tokens at unescaped `: , { } [ ] "`; the delimiters are tokens too. */
export class ValuesTokenizer {
  readonly original: string
  private index = 0
  private nextToken: string | null = null
  private previousToken: string | null = null

  constructor(original: string) {
    this.original = original
  }

  position(): number {
    return this.index
  }

  mark(): number {
    return this.index - (this.nextToken !== null ? this.nextToken.length : 0)
  }

  rewindTo(position: number): void {
    this.index = position
    this.nextToken = null
    this.previousToken = null
  }

  hasNext(): boolean {
    return this.nextToken !== null || this.canConsumeNextToken()
  }

  private canConsumeNextToken(): boolean {
    return this.original.length > this.index
  }

  next(): string {
    if (this.nextToken !== null) {
      this.previousToken = this.nextToken
      this.nextToken = null
    } else {
      this.previousToken = this.consumeNextToken()
    }
    return this.previousToken
  }

  /** The text of the next `n` tokens, or null (and no change) when there are fewer. */
  nextN(n: number): string | null {
    const start = this.mark()
    for (let i = 0; i !== n; ++i) {
      if (!this.hasNext()) {
        this.rewindTo(start)
        return null
      }
      this.next()
    }
    return this.original.substring(start, this.position())
  }

  private consumeNextToken(): string {
    const s = this.original
    let escaped = false
    const start = this.index
    while (this.index < s.length) {
      const c = s[this.index]
      switch (c) {
        case '\\':
          escaped = !escaped
          break
        case ':':
        case ',':
        case '{':
        case '}':
        case '[':
        case ']':
        case '"':
          if (!escaped) {
            if (start < this.index) return s.substring(start, this.index)
            this.index++
            return s.substring(start, start + 1)
          }
          escaped = false
          break
        default:
          escaped = false
      }
      this.index++
    }
    return s.substring(start, this.index)
  }

  previous(): string | null {
    return this.previousToken
  }

  /** Consumes the next token when it is `expected` (blank tokens and surrounding whitespace are skipped by default). */
  canConsume(expected: string, ignoreLeadingAndTrailingWhitespace = true): boolean {
    if (this.isNext(expected, ignoreLeadingAndTrailingWhitespace)) {
      this.nextToken = null
      return true
    }
    return false
  }

  private isNext(expected: string, ignoreWhitespace: boolean): boolean {
    if (this.nextToken === null) {
      if (!this.hasNext()) return false
      this.nextToken = this.consumeNextToken()
    }
    if (ignoreWhitespace) {
      while (isBlank(this.nextToken) && this.canConsumeNextToken()) this.nextToken = this.consumeNextToken()
    }
    return ignoreWhitespace ? javaTrim(this.nextToken) === expected : this.nextToken === expected
  }
}

class SchemaMerger {
  private common: Schema | null = null
  private compatible = true

  merge(latest: SchemaAndValue | null): void {
    if (latest !== null && latest.schema !== null && this.compatible) {
      if (this.common === null) {
        this.common = latest.schema
      } else {
        this.common = mergeSchemas(this.common, latest.schema)
        this.compatible = this.common !== null
      }
    }
  }

  hasCommonSchema(): boolean {
    return this.common !== null
  }

  schema(): Schema {
    return this.common!
  }
}

const NUMERIC_RANK: Partial<Record<SchemaType, number>> = {
  INT8: 0,
  INT16: 1,
  INT32: 2,
  INT64: 3,
  FLOAT32: 4,
  FLOAT64: 5,
}

/** Apache's `mergeSchemas`: numeric types widen (INT8 < INT16 < INT32 < INT64 < FLOAT32 < FLOAT64). */
function mergeSchemas(previous: Schema, newSchema: Schema): Schema | null {
  if (previous.type !== newSchema.type) {
    const a = NUMERIC_RANK[previous.type]
    const b = NUMERIC_RANK[newSchema.type]
    if (a === undefined || b === undefined) return null
    return b > a ? newSchema : previous
  }
  if (previous.isOptional === newSchema.isOptional) return previous.isOptional ? previous : newSchema
  if (!schemaEquals(previous, newSchema)) return null
  return previous
}

function alignListEntriesWithSchema(schema: Schema, input: unknown[]): unknown[] {
  const valueSchema = schema.valueSchema()!
  return input.map((v) => convertTo(valueSchema, null, v))
}

function alignMapKeysAndValuesWithSchema(mapSchema: Schema, input: Map<unknown, unknown>): Map<unknown, unknown> {
  const keySchema = mapSchema.keySchema()!
  const valueSchema = mapSchema.valueSchema()!
  const result = new Map<unknown, unknown>()
  for (const [k, v] of input) result.set(convertTo(keySchema, null, k), convertTo(valueSchema, null, v))
  return result
}

function alignMapKeysWithSchema(mapSchema: Schema, input: Map<unknown, unknown>): Map<unknown, unknown> {
  const keySchema = mapSchema.keySchema()!
  const result = new Map<unknown, unknown>()
  for (const [k, v] of input) result.set(convertTo(keySchema, null, k), v)
  return result
}

class ValueParser {
  private readonly parser: ValuesTokenizer

  constructor(parser: ValuesTokenizer) {
    this.parser = parser
  }

  private canParseSingleTokenLiteral(embedded: boolean, tokenLiteral: string): boolean {
    const start = this.parser.mark()
    if (this.parser.canConsume(tokenLiteral)) {
      // Top-level, the literal must be the whole text ("true}" is a string).
      if (embedded || !this.parser.hasNext()) return true
    }
    this.parser.rewindTo(start)
    return false
  }

  parse(embedded: boolean): SchemaAndValue | null {
    const parser = this.parser
    if (!parser.hasNext()) return null
    if (embedded && parser.canConsume('"')) return this.parseQuotedString()
    if (this.canParseSingleTokenLiteral(embedded, NULL_VALUE)) return null
    if (this.canParseSingleTokenLiteral(embedded, 'true')) return TRUE_SCHEMA_AND_VALUE
    if (this.canParseSingleTokenLiteral(embedded, 'false')) return FALSE_SCHEMA_AND_VALUE
    const start = parser.mark()
    try {
      if (parser.canConsume('[')) return this.parseArray()
      if (parser.canConsume('{')) return this.parseMap()
    } catch (e) {
      if (!(e instanceof DataException)) throw e
      // Unable to parse the value as a map or an array; reverting to string
      parser.rewindTo(start)
    }
    const token = parser.next()
    if (isBlank(token)) return new SchemaAndValue(Schema.STRING_SCHEMA, token)
    return this.parseNextToken(embedded, javaTrim(token))
  }

  private parseNextToken(embedded: boolean, token: string): SchemaAndValue {
    const first = token.charCodeAt(0)
    const firstIsDigit = first >= 0x30 && first <= 0x39
    // Temporal types are more restrictive, so try them first
    if (firstIsDigit) {
      const temporal = this.parseMultipleTokensAsTemporal(token)
      if (temporal !== null) return temporal
    }
    if (firstIsDigit || token[0] === '+' || token[0] === '-') {
      try {
        return parseAsNumber(token)
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e
      }
    }
    if (embedded) throw new DataException('Failed to parse embedded value')
    return new SchemaAndValue(Schema.STRING_SCHEMA, this.parser.original)
  }

  private parseMultipleTokensAsTemporal(token: string): SchemaAndValue | null {
    // Times and timestamps are split into 5 tokens by their unescaped colons.
    const position = this.parser.mark()
    const remainder = this.parser.nextN(4)
    if (remainder !== null) {
      const temporal = parseAsTemporal(token + remainder)
      if (temporal !== null) return temporal
    }
    this.parser.rewindTo(position)
    return parseAsTemporal(token)
  }

  private parseQuotedString(): SchemaAndValue {
    let content = ''
    while (this.parser.hasNext()) {
      if (this.parser.canConsume('"')) break
      content += this.parser.next()
    }
    // String literals may be temporal values, but nothing else
    return parseAsTemporal(content) ?? new SchemaAndValue(Schema.STRING_SCHEMA, content)
  }

  private parseArray(): SchemaAndValue {
    const parser = this.parser
    let result: unknown[] = []
    const elementSchema = new SchemaMerger()
    while (parser.hasNext()) {
      if (parser.canConsume(']')) {
        let listSchema: Schema
        if (elementSchema.hasCommonSchema()) {
          listSchema = SchemaBuilder.array(elementSchema.schema()).build()
          result = alignListEntriesWithSchema(listSchema, result)
        } else {
          // Every value is null
          listSchema = SchemaBuilder.arrayOfNull().build()
        }
        return new SchemaAndValue(listSchema, result)
      }
      if (parser.canConsume(',')) throw new DataException(`Unable to parse an empty array element: ${parser.original}`)
      const element = this.parse(true)
      elementSchema.merge(element)
      result.push(element !== null ? element.value : null)
      const current = parser.mark()
      if (parser.canConsume(']')) parser.rewindTo(current)
      else if (!parser.canConsume(',')) throw new DataException("Array elements missing ',' delimiter")
    }
    if (parser.previous() === ',') throw new DataException(`Array is missing element after ',': ${parser.original}`)
    throw new DataException(`Array is missing terminating ']': ${parser.original}`)
  }

  private parseMap(): SchemaAndValue {
    const parser = this.parser
    let result = new Map<unknown, unknown>()
    const keySchema = new SchemaMerger()
    const valueSchema = new SchemaMerger()
    while (parser.hasNext()) {
      if (parser.canConsume('}')) {
        let mapSchema: Schema
        if (keySchema.hasCommonSchema() && valueSchema.hasCommonSchema()) {
          mapSchema = SchemaBuilder.map(keySchema.schema(), valueSchema.schema()).build()
          result = alignMapKeysAndValuesWithSchema(mapSchema, result)
        } else if (keySchema.hasCommonSchema()) {
          mapSchema = SchemaBuilder.mapWithNullValues(keySchema.schema()).build()
          result = alignMapKeysWithSchema(mapSchema, result)
        } else {
          mapSchema = SchemaBuilder.mapOfNull().build()
        }
        return new SchemaAndValue(mapSchema, result)
      }
      if (parser.canConsume(',')) {
        throw new DataException(`Unable to parse a map entry with no key or value: ${parser.original}`)
      }
      const key = this.parse(true)
      if (key === null || key.value === null) {
        throw new DataException(`Map entry may not have a null key: ${parser.original}`)
      } else if (!parser.canConsume(':')) {
        throw new DataException(`Map entry is missing ':' at ${parser.position()} in ${parser.original}`)
      }
      const value = this.parse(true)
      result.set(key.value, value !== null ? value.value : null)
      parser.canConsume(',')
      keySchema.merge(key)
      valueSchema.merge(value)
    }
    if (parser.previous() === ',') throw new DataException(`Map is missing element after ',': ${parser.original}`)
    throw new DataException(`Map is missing terminating '}': ${parser.original}`)
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// parsing and formatting

/**
 * Parses text into a value with an inferred schema (see the file header). Null text gives `SchemaAndValue.NULL`,
 * the empty string an empty STRING.
 */
function parseString(value: string | null): SchemaAndValue {
  if (value === null || value === undefined) return SchemaAndValue.NULL
  if (value.length === 0) return new SchemaAndValue(Schema.STRING_SCHEMA, value)
  const tokenizer = new ValuesTokenizer(value)
  const parsed = new ValueParser(tokenizer).parse(false)
  if (parsed === null) return SchemaAndValue.NULL
  // Text left over after the value: the whole text is a string (Apache would drop the rest).
  if (parsed.value !== value && javaTrim(value.substring(tokenizer.mark())).length > 0) {
    return new SchemaAndValue(Schema.STRING_SCHEMA, value)
  }
  return parsed
}

/** Apache's `escape`: backslashes and double quotes get a backslash. */
function escapeString(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

function formatNumber(value: number, schema: Schema | null): string {
  const type = schema?.type
  if (type === 'FLOAT32') return javaFloatToString(value)
  if (type === 'FLOAT64') return javaDoubleToString(value)
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return Object.is(value, -0) ? '0' : String(value)
  return javaDoubleToString(value)
}

function append(out: string[], value: unknown, embedded: boolean, schema: Schema | null): void {
  if (value === null || value === undefined) {
    out.push(NULL_VALUE)
    return
  }
  switch (typeof value) {
    case 'number':
      out.push(formatNumber(value, schema))
      return
    case 'bigint':
    case 'boolean':
      out.push(String(value))
      return
    case 'string':
      out.push(embedded ? `"${escapeString(value)}"` : value)
      return
  }
  if (value instanceof BigDecimal) {
    out.push(value.toString())
  } else if (value instanceof Uint8Array) {
    const encoded = base64(value)
    out.push(embedded ? `"${encoded}"` : encoded)
  } else if (Array.isArray(value)) {
    const elementSchema = schema?.type === 'ARRAY' ? schema.valueSchema() : null
    out.push('[')
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',')
      append(out, value[i], true, elementSchema)
    }
    out.push(']')
  } else if (value instanceof Struct) {
    out.push('{')
    const fields: readonly Field[] = value.schema.fields()
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!
      if (i > 0) out.push(',')
      append(out, field.name, true, null)
      out.push(':')
      append(out, value.get(field), true, field.schema)
    }
    out.push('}')
  } else if (isMapLike(value)) {
    const keySchema = schema?.type === 'MAP' ? schema.keySchema() : null
    const valueSchema = schema?.type === 'MAP' ? schema.valueSchema() : null
    out.push('{')
    let first = true
    for (const [k, v] of entriesOf(value)) {
      if (!first) out.push(',')
      first = false
      append(out, k, true, keySchema)
      out.push(':')
      append(out, v, true, valueSchema)
    }
    out.push('}')
  } else if (value instanceof Date) {
    out.push(formatDate(value))
  } else {
    throw new DataException(
      `Failed to serialize unexpected value type ${describeValueType(value)}: ${javaString(value)}`,
    )
  }
}

/**
 * Renders a value as text (null for null). Top-level strings are written as is; strings inside lists, maps and
 * structs are quoted. The schema, when given, picks the number format (FLOAT32 / FLOAT64 as Java prints them).
 */
function convertToString(schema: Schema | null, value: unknown): string | null {
  if (value === null || value === undefined) return null
  const out: string[] = []
  append(out, value, false, schema)
  return out.length === 1 ? out[0]! : out.join('')
}

// ---------------------------------------------------------------------------------------------------------------------
// conversions

/** Java's `Number.longValue()` of any Connect value, as an exact 64-bit bigint. */
function asLong(value: unknown, fromSchema: Schema | null, error: unknown): bigint {
  try {
    if (typeof value === 'number') {
      if (Number.isNaN(value)) return 0n
      if (value >= 2 ** 63) return LONG_MAX
      if (value <= -(2 ** 63)) return LONG_MIN
      return BigInt(Math.trunc(value))
    }
    if (typeof value === 'bigint') return BigInt.asIntN(64, value)
    if (value instanceof BigDecimal) return BigInt.asIntN(64, value.toBigInt())
    if (typeof value === 'string') return BigInt.asIntN(64, BigDecimal.fromString(value).toBigInt())
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e
    error = e
  }
  if (fromSchema !== null) {
    const schemaName = fromSchema.name
    if (value instanceof Date) {
      if (schemaName === ConnectDate.LOGICAL_NAME) return BigInt(ConnectDate.fromLogical(fromSchema, value))
      if (schemaName === Time.LOGICAL_NAME) return BigInt(Time.fromLogical(fromSchema, value))
      if (schemaName === Timestamp.LOGICAL_NAME) return BigInt(Timestamp.fromLogical(fromSchema, value))
    }
    throw unableToConvert(value, fromSchema, error)
  }
  throw unableToConvert(value, 'a number', error)
}

/** Java's `Number.doubleValue()` of any Connect value. */
function asDouble(value: unknown, schema: Schema | null, error: unknown): number {
  try {
    if (typeof value === 'number') return value
    if (typeof value === 'bigint') return Number(value)
    if (value instanceof BigDecimal) return value.toNumber()
    if (typeof value === 'string') return BigDecimal.fromString(value).toNumber()
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e
    error = e
  }
  return Number(asLong(value, schema, error))
}

function convertToBoolean(schema: Schema | null, value: unknown): boolean | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'boolean') return value
  if (typeof value === 'string') {
    const parsed = parseString(value)
    if (typeof parsed.value === 'boolean') return parsed.value
  }
  return asLong(value, schema, null) !== 0n
}

/** INT8 (wrapping like Java's `(byte)` cast). */
function convertToByte(schema: Schema | null, value: unknown): number | null {
  if (value === null || value === undefined) return null
  return Number(BigInt.asIntN(8, asLong(value, schema, null)))
}

/** INT16 (wrapping like Java's `(short)` cast). */
function convertToShort(schema: Schema | null, value: unknown): number | null {
  if (value === null || value === undefined) return null
  return Number(BigInt.asIntN(16, asLong(value, schema, null)))
}

/** INT32 (wrapping like Java's `(int)` cast). */
function convertToInteger(schema: Schema | null, value: unknown): number | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'number' && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647) return value
  return Number(BigInt.asIntN(32, asLong(value, schema, null)))
}

/** INT64: a number when safe, else a bigint. */
function convertToLong(schema: Schema | null, value: unknown): number | bigint | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value
  return normalizeLong(asLong(value, schema, null))
}

/** FLOAT32 (a JS number; not rounded to single precision). */
function convertToFloat(schema: Schema | null, value: unknown): number | null {
  if (value === null || value === undefined) return null
  return asDouble(value, schema, null)
}

function convertToDouble(schema: Schema | null, value: unknown): number | null {
  if (value === null || value === undefined) return null
  return asDouble(value, schema, null)
}

function convertToArray(toSchema: Schema, value: unknown): unknown[] {
  if (value === null || value === undefined) throw nullNotAllowed()
  if (typeof value === 'string') value = parseString(value).value
  if (Array.isArray(value)) return value
  throw unableToConvert(value, toSchema)
}

function convertToMapInternal(toSchema: Schema, value: unknown): Map<unknown, unknown> | Record<string, unknown> {
  if (value === null || value === undefined) throw nullNotAllowed()
  if (typeof value === 'string') value = parseString(value).value
  if (isMapLike(value)) return value
  throw unableToConvert(value, toSchema)
}

function convertToStructInternal(toSchema: Schema, value: unknown): Struct {
  if (value === null || value === undefined) throw nullNotAllowed()
  if (value instanceof Struct) return value
  throw unableToConvert(value, toSchema)
}

function convertToDecimalInternal(toSchema: Schema, value: unknown): BigDecimal {
  if (value instanceof Uint8Array) return Decimal.toLogical(toSchema, value)
  if (value instanceof BigDecimal) return value
  // Not already a decimal, so treat it as a double (as Apache)
  if (typeof value === 'number') return BigDecimal.fromNumber(value)
  if (typeof value === 'bigint') return BigDecimal.fromNumber(Number(value))
  if (typeof value === 'string') {
    try {
      return BigDecimal.fromString(value)
    } catch (e) {
      throw unableToConvert(value, toSchema, e)
    }
  }
  throw unableToConvert(value, toSchema)
}

function convertToBytes(toSchema: Schema, value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (value instanceof BigDecimal) return Decimal.fromLogical(toSchema, value)
  throw unableToConvert(value, toSchema)
}

function convertToDateInternal(toSchema: Schema, fromSchema: Schema | null, value: unknown): Date | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') value = parseString(value).value
  if (value instanceof Date) {
    if (fromSchema === null) return value
    if (fromSchema.name === ConnectDate.LOGICAL_NAME) return value
    if (fromSchema.name === Timestamp.LOGICAL_NAME) {
      // Just the number of days from this timestamp (truncated)
      return ConnectDate.toLogical(toSchema, Math.trunc(value.getTime() / MILLIS_PER_DAY))
    }
  }
  return ConnectDate.toLogical(toSchema, Number(BigInt.asIntN(32, asLong(value, fromSchema, null))))
}

function convertToTimeInternal(toSchema: Schema, fromSchema: Schema | null, value: unknown): Date | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') value = parseString(value).value
  if (value instanceof Date) {
    if (fromSchema === null) return value
    if (fromSchema.name === Time.LOGICAL_NAME) return value
    if (fromSchema.name === Timestamp.LOGICAL_NAME) {
      // Just the time portion of this timestamp
      const t = value.getTime()
      return Time.toLogical(toSchema, ((t % MILLIS_PER_DAY) + MILLIS_PER_DAY) % MILLIS_PER_DAY)
    }
  }
  return Time.toLogical(toSchema, Number(BigInt.asIntN(32, asLong(value, fromSchema, null))))
}

function convertToTimestampInternal(toSchema: Schema, fromSchema: Schema | null, value: unknown): Date | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') value = parseString(value).value
  if (value instanceof Date) {
    if (fromSchema === null) return value
    const name = fromSchema.name
    if (name === ConnectDate.LOGICAL_NAME) {
      return Timestamp.toLogical(toSchema, ConnectDate.fromLogical(fromSchema, value) * MILLIS_PER_DAY)
    }
    if (name === Time.LOGICAL_NAME) return Timestamp.toLogical(toSchema, Time.fromLogical(fromSchema, value))
    if (name === Timestamp.LOGICAL_NAME) return value
  }
  return Timestamp.toLogical(toSchema, asLong(value, fromSchema, null))
}

/**
 * Converts a value (described by `fromSchema`, which may be null) to `toSchema`'s type, including the logical
 * types. Null is returned for an optional target and rejected otherwise (Apache's protected `convertTo`).
 */
function convertTo(toSchema: Schema, fromSchema: Schema | null, value: unknown): unknown {
  if (value === null || value === undefined) {
    if (toSchema.isOptional) return null
    throw nullNotAllowed()
  }
  switch (toSchema.type) {
    case 'BYTES':
      if (toSchema.name === Decimal.LOGICAL_NAME) return convertToDecimalInternal(toSchema, value)
      return convertToBytes(toSchema, value)
    case 'STRING':
      return convertToString(fromSchema, value)
    case 'BOOLEAN':
      return convertToBoolean(fromSchema, value)
    case 'INT8':
      return convertToByte(fromSchema, value)
    case 'INT16':
      return convertToShort(fromSchema, value)
    case 'INT32':
      if (toSchema.name === ConnectDate.LOGICAL_NAME) return convertToDateInternal(toSchema, fromSchema, value)
      if (toSchema.name === Time.LOGICAL_NAME) return convertToTimeInternal(toSchema, fromSchema, value)
      return convertToInteger(fromSchema, value)
    case 'INT64':
      if (toSchema.name === Timestamp.LOGICAL_NAME) return convertToTimestampInternal(toSchema, fromSchema, value)
      return convertToLong(fromSchema, value)
    case 'FLOAT32':
      return convertToFloat(fromSchema, value)
    case 'FLOAT64':
      return convertToDouble(fromSchema, value)
    case 'ARRAY':
      return convertToArray(toSchema, value)
    case 'MAP':
      return convertToMapInternal(toSchema, value)
    case 'STRUCT':
      return convertToStructInternal(toSchema, value)
  }
  throw unableToConvert(value, toSchema)
}

// ---------------------------------------------------------------------------------------------------------------------
// schema inference

class SchemaDetector {
  private knownType: SchemaType | null = null
  private optional = false

  canDetect(value: unknown): boolean {
    if (value === null || value === undefined) {
      this.optional = true
      return true
    }
    const schema = inferSchema(value)
    if (schema === null) return false
    if (this.knownType === null) {
      this.knownType = schema.type
    } else if (this.knownType !== schema.type) {
      // JS numbers carry no width: widen instead of giving up.
      const a = NUMERIC_RANK[this.knownType]
      const b = NUMERIC_RANK[schema.type]
      if (a === undefined || b === undefined) return false
      if (b > a) this.knownType = schema.type
    }
    return true
  }

  schema(): Schema | null {
    if (this.knownType === null) return null
    const builder = SchemaBuilder.type(this.knownType)
    if (this.optional) builder.optional()
    return builder.build()
  }
}

/**
 * A schema for a schemaless value, or null when none can be inferred: strings, booleans, numbers (integers INT32 or
 * INT64, others FLOAT64), bigints (INT64), bytes, non-empty lists and maps of one inferable type, structs. Dates and
 * decimals are ambiguous and give null, as in Apache.
 */
function inferSchema(value: unknown): Schema | null {
  switch (typeof value) {
    case 'string':
      return Schema.STRING_SCHEMA
    case 'boolean':
      return Schema.BOOLEAN_SCHEMA
    case 'number':
      if (!Number.isInteger(value)) return Schema.FLOAT64_SCHEMA
      return value >= -2147483648 && value <= 2147483647 ? Schema.INT32_SCHEMA : Schema.INT64_SCHEMA
    case 'bigint':
      return Schema.INT64_SCHEMA
  }
  if (value instanceof Uint8Array) return Schema.BYTES_SCHEMA
  if (Array.isArray(value)) {
    if (value.length === 0) return null
    const detector = new SchemaDetector()
    for (const element of value) if (!detector.canDetect(element)) return null
    const elementSchema = detector.schema()
    return elementSchema === null ? null : SchemaBuilder.array(elementSchema).build()
  }
  if (value instanceof Struct) return value.schema
  if (isMapLike(value)) {
    const keyDetector = new SchemaDetector()
    const valueDetector = new SchemaDetector()
    let empty = true
    for (const [k, v] of entriesOf(value)) {
      empty = false
      if (!keyDetector.canDetect(k) || !valueDetector.canDetect(v)) return null
    }
    if (empty) return null
    const keySchema = keyDetector.schema()
    const valueSchema = valueDetector.schema()
    return keySchema === null || valueSchema === null ? null : SchemaBuilder.map(keySchema, valueSchema).build()
  }
  return null
}

/** Apache's `Values`. */
export const Values = Object.freeze({
  parseString,
  convertToString,
  inferSchema,
  convertTo,
  convertToBoolean,
  convertToByte,
  convertToShort,
  convertToInteger,
  convertToLong,
  convertToFloat,
  convertToDouble,

  /** A list, parsing a string (`[1,2]`) if needed; DataException for null or anything else. */
  convertToList(_schema: Schema | null, value: unknown): unknown[] {
    return convertToArray(ARRAY_SELECTOR_SCHEMA, value)
  },

  /** A `Map` (or the plain object given), parsing a string (`{a:1}`) if needed; DataException otherwise. */
  convertToMap(_schema: Schema | null, value: unknown): Map<unknown, unknown> | Record<string, unknown> {
    return convertToMapInternal(MAP_SELECTOR_SCHEMA, value)
  },

  /** The Struct itself; DataException for anything else. */
  convertToStruct(_schema: Schema | null, value: unknown): Struct {
    return convertToStructInternal(STRUCT_SELECTOR_SCHEMA, value)
  },

  /** A Time `Date`, from a Date, a `HH:mm:ss.SSSZ` string or milliseconds since midnight. */
  convertToTime(schema: Schema | null, value: unknown): Date {
    if (value === null || value === undefined) throw nullNotAllowed()
    return convertToTimeInternal(Time.SCHEMA, schema, value)!
  },

  /** A Date `Date`, from a Date, a `yyyy-MM-dd` string or days since the epoch. */
  convertToDate(schema: Schema | null, value: unknown): Date {
    if (value === null || value === undefined) throw nullNotAllowed()
    return convertToDateInternal(ConnectDate.SCHEMA, schema, value)!
  },

  /** A Timestamp `Date`, from a Date, a timestamp string or milliseconds since the epoch. */
  convertToTimestamp(schema: Schema | null, value: unknown): Date {
    if (value === null || value === undefined) throw nullNotAllowed()
    return convertToTimestampInternal(Timestamp.SCHEMA, schema, value)!
  },

  /** A BigDecimal, from bytes (with `scale`), a BigDecimal, a number (through its double) or a string. */
  convertToDecimal(_schema: Schema | null, value: unknown, scale: number): BigDecimal {
    if (value === null || value === undefined) throw nullNotAllowed()
    return convertToDecimalInternal(Decimal.schema(scale), value)
  },

  /** Apache's `escape`: backslashes and double quotes get a backslash. */
  escape: escapeString,

  /** Apache's `dateFormatFor(date).format(date)` (UTC): a time, a date or a timestamp. */
  formatDate,
})
