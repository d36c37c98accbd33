/**
 * Apache's `org.apache.kafka.connect.json.JsonConverter` (Converter and HeaderConverter), byte for byte.
 *
 * Writing produces exactly the bytes of Apache's Jackson-based converter: compact JSON, the envelope
 * `{"schema":…,"payload":…}` with the schema keys in Apache's order, strings escaped as Jackson does (control
 * characters and every surrogate as `\uXXXX`), FLOAT32/FLOAT64 as Java's `Float.toString`/`Double.toString` of
 * JDK 19+ (non-finite values as the strings `"NaN"`, `"Infinity"`), INT64 beyond 2^53 exactly (bigint), bytes and
 * BASE64 decimals as padded base64, NUMERIC decimals as `BigDecimal.toString()`.
 *
 * Reading follows Jackson's `readTree` and Apache's conversion rules, including their lenient corners (a JSON string
 * read as INT32 gives 0, a number read as STRING gives null, the first root value wins, leading zeros are allowed).
 * Numbers keep their precision: integers beyond 2^53 become bigints, a NUMERIC decimal keeps the literal's scale.
 *
 * Known differences (see test/fixtures/json-converter/README.md): JS `Date` cannot hold every Java `Date`, so a
 * Date/Timestamp value outside ±8.64e15 ms throws a DataException; a schemaless JS number that is an integer is
 * written as an integer (`1`), as JS cannot tell `1.0` from `1`; Jackson's auto-detection of UTF-16/UTF-32 input is
 * not supported.
 *
 * Fast paths: the schema part of the envelope is cached per schema object when writing, and per schema text when
 * reading (an envelope whose schema text was seen recently is recognised with one string comparison, and only the
 * payload is parsed); payloads are parsed with `JSON.parse` unless they hold numbers it would lose.
 */
import {
  BigDecimal,
  CaseInsensitiveValidString,
  type ConfigDef,
  ConnectDate,
  type Converter,
  DataException,
  Decimal,
  type DeferredJson,
  decimalToFloat32,
  describeValueType,
  type EnvelopeSchemaNotation,
  type Field,
  type HeaderConverter,
  type Headers,
  isFloatHalfway,
  parseEnvelopeSchema,
  type Schema,
  SchemaAndValue,
  SchemaBuilderException,
  Struct,
  schemaEquals,
  Time,
  Timestamp,
} from '@ferry/api'
import {
  type ConverterType,
  converterType,
  newConverterConfigDef,
  TYPE_CONFIG,
  withConverterType,
} from '../converter-config.ts'
import { LruCache } from '../lru-cache.ts'
import {
  decodeBase64Jackson,
  exceedsReadLimits,
  JsonFloat,
  type JsonNode,
  type JsonObject,
  JsonSyntaxError,
  MAX_NUMBER_LENGTH,
  MISSING,
  parseJson,
  scanValueEnd,
} from './json-reader.ts'
import { base64Text, doubleText, floatText, quote } from './json-writer.ts'
import { isWrittenForm } from './json-written-form.ts'

export const SCHEMAS_ENABLE_CONFIG = 'schemas.enable'
export const SCHEMA_CONTENT_CONFIG = 'schema.content'
export const SCHEMAS_CACHE_SIZE_CONFIG = 'schemas.cache.size'
export const DECIMAL_FORMAT_CONFIG = 'decimal.format'
export const REPLACE_NULL_WITH_DEFAULT_CONFIG = 'replace.null.with.default'

/** Apache's `JsonConverterConfig.configDef()`. */
const JSON_CONVERTER_CONFIG_DEF: ConfigDef = newConverterConfigDef()
  .define({
    name: SCHEMAS_ENABLE_CONFIG,
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'HIGH',
    documentation: 'Include schemas within each of the serialized values and keys.',
    group: 'Schemas',
    orderInGroup: 0,
    width: 'MEDIUM',
    displayName: 'Enable Schemas',
  })
  .define({
    name: SCHEMAS_CACHE_SIZE_CONFIG,
    type: 'INT',
    defaultValue: 1000,
    importance: 'HIGH',
    documentation: 'The maximum number of schemas that can be cached in this converter instance.',
    group: 'Schemas',
    orderInGroup: 1,
    width: 'MEDIUM',
    displayName: 'Schema Cache Size',
  })
  .define({
    name: SCHEMA_CONTENT_CONFIG,
    type: 'STRING',
    defaultValue: null,
    importance: 'HIGH',
    documentation:
      "When set, this is used as the schema for all messages, and the schemas within each of the message will be ignored.Otherwise, the schema will be included in the content of each message. This configuration applies only 'schemas.enable' is true, and it exclusively affects the sink connector.",
    group: 'Schemas',
    orderInGroup: 2,
    width: 'MEDIUM',
    displayName: 'Schema Content',
  })
  .define({
    name: DECIMAL_FORMAT_CONFIG,
    type: 'STRING',
    defaultValue: 'BASE64',
    validator: CaseInsensitiveValidString.in('BASE64', 'NUMERIC'),
    importance: 'LOW',
    documentation:
      "Controls which format this converter will serialize decimals in. This value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
    group: 'Serialization',
    orderInGroup: 0,
    width: 'MEDIUM',
    displayName: 'Decimal Format',
  })
  .define({
    name: REPLACE_NULL_WITH_DEFAULT_CONFIG,
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'LOW',
    documentation:
      'Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.',
    group: 'Serialization',
    orderInGroup: 1,
    width: 'MEDIUM',
    displayName: 'Replace null with default',
  })

const DECIMAL = 'org.apache.kafka.connect.data.Decimal'
const DATE = 'org.apache.kafka.connect.data.Date'
const TIME = 'org.apache.kafka.connect.data.Time'
const TIMESTAMP = 'org.apache.kafka.connect.data.Timestamp'
const MILLIS_PER_DAY = 86400000
const MAX_DATE_MILLIS = 8.64e15

const ENVELOPE_ERROR =
  'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.'
const READ_ERROR = 'Converting byte[] to Kafka Connect data failed due to serialization error: '
const ENVELOPE_PREFIX = '{"schema":'
const PAYLOAD_SEPARATOR = ',"payload":'

/** Shapes of number literals that `JSON.parse` hides (`numberShapes`). */
const FRACTION = 1 // a fraction: a Decimal keeps the literal's scale (`1.50`)
const ZERO_FRACTION = 2 // a fraction of zeros (`5.0`): Date, Time and Timestamp refuse it, JSON.parse makes it 5
const EXPONENT = 4 // an exponent (`1e2`): not integral for Apache, 100 for JSON.parse

/**
 * The shapes of the number-like runs in `text` (digits followed by `.` or an exponent), in one pass; runs inside
 * strings count too, which only costs a slower parse.
 */
function numberShapes(text: string): number {
  let found = 0
  let digits = 0
  let zerosOnly = false
  let inFraction = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      digits++
      if (inFraction && c !== 48) zerosOnly = false
      continue
    }
    if (inFraction) {
      if (zerosOnly) found |= ZERO_FRACTION
      inFraction = false
    }
    if (digits > 0) {
      if (c === 46) {
        found |= FRACTION
        inFraction = true
        zerosOnly = true
        continue
      }
      if (c === 101 || c === 69) found |= EXPONENT
    }
    digits = 0
  }
  if (inFraction && zerosOnly) found |= ZERO_FRACTION
  return found
}

/**
 * Thrown by a reader that meets a number `JSON.parse` may have rounded (an integer beyond 2^53, a FLOAT32 halfway
 * between two floats) while `lossyTree` is set: the text is then parsed again with the exact reader.
 */
const NEEDS_EXACT = Symbol('NEEDS_EXACT')
/** True while a reader runs over a `JSON.parse` tree. */
let lossyTree = false

type Node = JsonNode | undefined | typeof MISSING

/** How to write the values of one schema (Apache's `convertToJson`, prepared once per schema). */
interface WritePlan {
  readonly kind: number
  readonly schema: Schema
  readonly optional: boolean
  /** The default value when null values are replaced by it, else null. */
  readonly defaultValue: unknown
  /** The default value's JSON, once written. */
  defaultJson: string | null
  /** ARRAY elements, MAP values. */
  readonly element: WritePlan | null
  readonly key: WritePlan | null
  readonly stringKeys: boolean
  readonly fields: readonly Field[] | null
  /** `{"name":` for the first field, `,"name":` for the others. */
  readonly fieldKeys: readonly string[] | null
  readonly fieldPlans: readonly (WritePlan | null)[] | null
}

const W_INT8 = 0
const W_INT16 = 1
const W_INT32 = 2
const W_INT64 = 3
const W_FLOAT32 = 4
const W_FLOAT64 = 5
const W_BOOLEAN = 6
const W_STRING = 7
const W_BYTES = 8
const W_ARRAY = 9
const W_MAP = 10
const W_STRUCT = 11
const W_DECIMAL_BASE64 = 12
const W_DECIMAL_NUMERIC = 13
const W_DATE = 14
const W_TIME = 15
const W_TIMESTAMP = 16
const PLAN_KINDS: Readonly<Record<string, number>> = {
  INT8: W_INT8,
  INT16: W_INT16,
  INT32: W_INT32,
  INT64: W_INT64,
  FLOAT32: W_FLOAT32,
  FLOAT64: W_FLOAT64,
  BOOLEAN: W_BOOLEAN,
  STRING: W_STRING,
  BYTES: W_BYTES,
  ARRAY: W_ARRAY,
  MAP: W_MAP,
  STRUCT: W_STRUCT,
}
type Reader = (node: Node) => unknown

/** A schema read from an envelope, by its JSON text. */
interface SchemaEntry {
  readonly text: string
  readonly schema: Schema | null
  /** The number shapes the schema needs to see as literals (`literalNeeds`). */
  readonly literals: number
}

/** A schema's JSON for the envelope, and the envelope's head bytes (built on first use). */
interface SchemaJson {
  readonly json: string
  head: Buffer | null
}

const NULL_SCHEMA_HEAD = Buffer.from('{"schema":null,"payload":', 'utf8')
const RECENT_SCHEMAS = 4

export class JsonConverter implements Converter, HeaderConverter {
  #type: ConverterType | null = null
  #schemasEnabled = true
  #decimalNumeric = false
  #replaceNullWithDefault = true
  #contentSchema: Schema | null = null
  #contentLiterals = 0
  #fromConnectSchemaCache = new LruCache<Schema, SchemaJson>(1000)
  #toConnectSchemaCache = new LruCache<string, SchemaEntry>(1000)
  #recent: SchemaEntry[] = []
  #plans = new WeakMap<Schema, WritePlan>()
  #readers = new WeakMap<Schema, Reader>()
  #lastSchema: Schema | null = null
  #lastSchemaJson: SchemaJson | null = null

  config(): ConfigDef {
    return JSON_CONVERTER_CONFIG_DEF
  }

  /**
   * `configure(configs, isKey)` (Converter) or `configure(configs)` (HeaderConverter: `converter.type` defaults to
   * `header`). Throws `ConfigException` for invalid values, `DataException` for an unparsable `schema.content`.
   */
  configure(configs: Record<string, unknown>, isKey?: boolean): void {
    const values = JSON_CONVERTER_CONFIG_DEF.parse(withConverterType(configs, isKey))
    this.#type = converterType(values[TYPE_CONFIG])
    this.#schemasEnabled = values[SCHEMAS_ENABLE_CONFIG] as boolean
    const cacheSize = values[SCHEMAS_CACHE_SIZE_CONFIG] as number
    this.#decimalNumeric = (values[DECIMAL_FORMAT_CONFIG] as string).toUpperCase() === 'NUMERIC'
    this.#replaceNullWithDefault = values[REPLACE_NULL_WITH_DEFAULT_CONFIG] as boolean
    this.#fromConnectSchemaCache = new LruCache(cacheSize)
    this.#toConnectSchemaCache = new LruCache(cacheSize)
    this.#recent = []
    this.#plans = new WeakMap()
    this.#readers = new WeakMap()
    this.#lastSchema = null
    this.#contentSchema = null
    this.#contentLiterals = 0
    const content = values[SCHEMA_CONTENT_CONFIG] as string | null
    if (content != null) {
      let node: Node
      try {
        node = parseJson(content)
      } catch (e) {
        throw new DataException('Failed to parse schema in converter config due to serialization error: ', e)
      }
      this.#contentSchema = this.#asConnectSchema(node)
      this.#contentLiterals = literalNeeds(this.#contentSchema)
    }
  }

  /** Whether this instance converts keys, values or headers (`converter.type`), once configured. */
  get type(): ConverterType | null {
    return this.#type
  }

  close(): void {}

  // ---------------------------------------------------------------------------------------------- Connect → bytes

  fromConnectData(_topic: string, _headers: Headers | null, schema: Schema | null, value: unknown): Uint8Array | null {
    if (schema == null && value == null) return null
    const payload = writeJson(this.#plan(schema ?? null), value)
    if (!this.#schemasEnabled) return Buffer.from(payload, 'utf8')
    // The envelope's head (`{"schema":…,"payload":`) is cached as bytes per schema.
    const head = schema == null ? NULL_SCHEMA_HEAD : this.#envelopeHead(schema)
    const payloadLength = Buffer.byteLength(payload, 'utf8')
    const out = Buffer.allocUnsafe(head.length + payloadLength + 1)
    head.copy(out, 0)
    out.write(payload, head.length, payloadLength, 'utf8')
    out[out.length - 1] = 125 // }
    return out
  }

  /**
   * `fromConnectData` as JSON text rather than UTF-8 bytes (null where it gives null), for a writer that joins many
   * values before encoding them once (the S3 sink's JsonFormat).
   */
  fromConnectDataText(schema: Schema | null, value: unknown): string | null {
    if (schema == null && value == null) return null
    const payload = writeJson(this.#plan(schema ?? null), value)
    if (!this.#schemasEnabled) return payload
    const schemaJson = schema == null ? 'null' : this.#envelopeEntry(schema).json
    return `${ENVELOPE_PREFIX}${schemaJson}${PAYLOAD_SEPARATOR}${payload}}`
  }

  fromConnectHeader(topic: string, _headerKey: string, schema: Schema | null, value: unknown): Uint8Array | null {
    return this.fromConnectData(topic, null, schema, value)
  }

  /** The envelope's JSON text for `schema` (Apache's `asJsonSchema`, serialized). */
  asJsonSchema(schema: Schema): string {
    return this.#envelopeEntry(schema).json
  }

  /**
   * Apache's `asConnectSchema`: the schema an envelope's `"schema"` describes, given as JSON text or as parsed JSON
   * (null for JSON null). Throws DataException for an invalid schema.
   */
  asConnectSchema(jsonSchema: string | JsonNode): Schema | null {
    let node: Node = jsonSchema
    if (typeof jsonSchema === 'string') {
      try {
        node = parseJson(jsonSchema, true)
      } catch (e) {
        throw new DataException(READ_ERROR, e)
      }
    }
    return this.#asConnectSchema(node)
  }

  /** `{"schema":<schema JSON>,"payload":` as bytes. */
  #envelopeHead(schema: Schema): Buffer {
    const entry = this.#envelopeEntry(schema)
    let head = entry.head
    if (head === null) {
      head = Buffer.from(`${ENVELOPE_PREFIX}${entry.json}${PAYLOAD_SEPARATOR}`, 'utf8')
      entry.head = head
    }
    return head
  }

  /** The cached JSON of `schema` (Apache's `fromConnectSchemaCache`), looked up by object identity. */
  #envelopeEntry(schema: Schema): SchemaJson {
    if (schema === this.#lastSchema) return this.#lastSchemaJson!
    let entry = this.#fromConnectSchemaCache.get(schema)
    if (entry === undefined) {
      entry = { json: this.#schemaToJson(schema), head: null }
      this.#fromConnectSchemaCache.put(schema, entry)
    }
    this.#lastSchema = schema
    this.#lastSchemaJson = entry
    return entry
  }

  #schemaToJson(schema: Schema): string {
    let out: string
    switch (schema.type) {
      case 'BOOLEAN':
        out = '{"type":"boolean"'
        break
      case 'BYTES':
        out = '{"type":"bytes"'
        break
      case 'FLOAT64':
        out = '{"type":"double"'
        break
      case 'FLOAT32':
        out = '{"type":"float"'
        break
      case 'INT8':
        out = '{"type":"int8"'
        break
      case 'INT16':
        out = '{"type":"int16"'
        break
      case 'INT32':
        out = '{"type":"int32"'
        break
      case 'INT64':
        out = '{"type":"int64"'
        break
      case 'STRING':
        out = '{"type":"string"'
        break
      case 'ARRAY':
        out = `{"type":"array","items":${this.#childSchemaJson(schema.valueSchema())}`
        break
      case 'MAP':
        out = `{"type":"map","keys":${this.#childSchemaJson(schema.keySchema())},"values":${this.#childSchemaJson(schema.valueSchema())}`
        break
      case 'STRUCT': {
        out = '{"type":"struct","fields":['
        const fields = schema.fields()
        for (let i = 0; i < fields.length; i++) {
          const field = fields[i]!
          const fieldJson = this.asJsonSchema(field.schema)
          out += `${i === 0 ? '' : ','}${fieldJson.slice(0, -1)},"field":${quote(field.name)}}`
        }
        out += ']'
        break
      }
      default:
        throw new DataException(`Couldn't translate unsupported schema type ${String(schema)}.`)
    }
    out += schema.isOptional ? ',"optional":true' : ',"optional":false'
    if (schema.name != null) out += `,"name":${quote(schema.name)}`
    if (schema.version != null) out += `,"version":${schema.version | 0}`
    if (schema.doc != null) out += `,"doc":${quote(schema.doc)}`
    const parameters = schema.parameters
    if (parameters != null) {
      out += ',"parameters":{'
      let first = true
      for (const key of Object.keys(parameters)) {
        out += `${first ? '' : ','}${quote(key)}:${quote(parameters[key]!)}`
        first = false
      }
      out += '}'
    }
    if (schema.defaultValue != null) out += `,"default":${writeJson(this.#plan(schema), schema.defaultValue)}`
    return `${out}}`
  }

  #childSchemaJson(schema: Schema | null): string {
    return schema == null ? 'null' : this.asJsonSchema(schema)
  }

  /** Apache's `convertToJson` plan for `schema`, built once per schema object (null: schemaless). */
  #plan(schema: Schema | null): WritePlan | null {
    if (schema == null) return null
    let plan = this.#plans.get(schema)
    if (plan === undefined) {
      plan = this.#buildPlan(schema)
      this.#plans.set(schema, plan)
    }
    return plan
  }

  #buildPlan(schema: Schema): WritePlan {
    let kind: number
    let element: WritePlan | null = null
    let key: WritePlan | null = null
    let stringKeys = false
    let fields: readonly Field[] | null = null
    let fieldKeys: string[] | null = null
    let fieldPlans: (WritePlan | null)[] | null = null
    switch (schema.name) {
      case DECIMAL:
        kind = this.#decimalNumeric ? W_DECIMAL_NUMERIC : W_DECIMAL_BASE64
        break
      case DATE:
        kind = W_DATE
        break
      case TIME:
        kind = W_TIME
        break
      case TIMESTAMP:
        kind = W_TIMESTAMP
        break
      default:
        kind = PLAN_KINDS[schema.type] ?? -1
        if (kind === -1) throw new DataException(`Couldn't convert ${String(schema)} to JSON.`)
        if (kind === W_ARRAY) element = this.#plan(schema.valueSchema())
        else if (kind === W_MAP) {
          const keySchema = schema.keySchema()
          key = this.#plan(keySchema)
          element = this.#plan(schema.valueSchema())
          stringKeys = keySchema != null && keySchema.type === 'STRING'
        } else if (kind === W_STRUCT) {
          fields = schema.fields()
          fieldKeys = fields.map((f, i) => `${i === 0 ? '{' : ','}${quote(f.name)}:`)
          fieldPlans = fields.map((f) => this.#plan(f.schema))
        }
    }
    const defaultValue = schema.defaultValue
    return {
      kind,
      schema,
      optional: schema.isOptional,
      defaultValue: defaultValue != null && this.#replaceNullWithDefault ? defaultValue : null,
      defaultJson: null,
      element,
      key,
      stringKeys,
      fields,
      fieldKeys,
      fieldPlans,
    }
  }

  // ---------------------------------------------------------------------------------------------- bytes → Connect

  toConnectData(_topic: string, _headers: Headers | null, value: Uint8Array | null): SchemaAndValue {
    if (value == null) return SchemaAndValue.NULL
    const text = decodeUtf8(value)
    if (this.#schemasEnabled) {
      const contentSchema = this.#contentSchema
      if (contentSchema !== null) {
        return new SchemaAndValue(contentSchema, this.#readPayload(text, contentSchema, this.#contentLiterals))
      }
      return this.#readEnvelopeFast(text) ?? this.#readEnvelope(text)
    }
    return new SchemaAndValue(null, this.#readPayload(text, null, 0))
  }

  /**
   * Without schemas, a value whose text is in this converter's written form (see `isWrittenForm`) is handed on
   * unparsed, to be parsed if something reads it (`Converter.toDeferredJson`).
   */
  toDeferredJson(_topic: string, _headers: Headers | null, value: Uint8Array): DeferredJson | undefined {
    if (this.#schemasEnabled) return undefined
    let text: string
    try {
      text = UTF8_DECODER.decode(value)
    } catch {
      return undefined
    }
    return isWrittenForm(text) ? new DeferredJsonText(text, this) : undefined
  }

  /** Reads a schemaless value from text `isWrittenForm` accepted. */
  readWrittenForm(text: string): unknown {
    return this.#readPayload(text, null, 0)
  }

  toConnectHeader(topic: string, _headerKey: string, value: Uint8Array | null): SchemaAndValue {
    return this.toConnectData(topic, null, value)
  }

  /**
   * A compact envelope (`{"schema":S,"payload":P}`, as Connect writes it): S is looked up by its text, and only P
   * is parsed. Returns undefined whenever the text has another shape or is invalid, for `#readEnvelope` to decide.
   */
  #readEnvelopeFast(text: string): SchemaAndValue | undefined {
    if (!text.startsWith(ENVELOPE_PREFIX)) return undefined
    const start = ENVELOPE_PREFIX.length
    let entry: SchemaEntry | undefined
    let end = -1
    const recent = this.#recent
    for (let i = 0; i < recent.length; i++) {
      const e = recent[i]!
      const schemaEnd = start + e.text.length
      // (slice + === compares memory; startsWith is much slower on long strings)
      if (text.slice(start, schemaEnd) === e.text && text.startsWith(PAYLOAD_SEPARATOR, schemaEnd)) {
        entry = e
        end = schemaEnd
        break
      }
    }
    if (entry === undefined) {
      end = scanValueEnd(text, start)
      if (end < 0 || !text.startsWith(PAYLOAD_SEPARATOR, end)) return undefined
      // A flat copy: comparing a slice with another slice is much slower than with a flat string.
      const schemaText = Buffer.from(text.slice(start, end), 'utf8').toString('utf8')
      entry = this.#toConnectSchemaCache.get(schemaText)
      if (entry === undefined) {
        let schema: Schema | null
        try {
          schema = this.#asConnectSchema(parseJson(schemaText, true))
        } catch {
          return undefined
        }
        entry = { text: schemaText, schema, literals: literalNeeds(schema) }
        this.#toConnectSchemaCache.put(schemaText, entry)
      }
      recent.unshift(entry)
      if (recent.length > RECENT_SCHEMAS) recent.pop()
    }
    let last = text.length - 1
    while (last > end && isWhitespace(text.charCodeAt(last))) last--
    if (text.charCodeAt(last) !== 125) return undefined
    const payloadStart = end + PAYLOAD_SEPARATOR.length
    if (payloadStart >= last) return undefined
    let value: unknown
    try {
      value = this.#parseAndConvert(text.slice(payloadStart, last), entry.schema, entry.literals, true)
    } catch (e) {
      if (e instanceof JsonSyntaxError) return undefined
      throw e
    }
    return new SchemaAndValue(entry.schema, value)
  }

  /** Any envelope: the whole text is parsed as Jackson would. */
  #readEnvelope(text: string): SchemaAndValue {
    let root: Node
    try {
      root = parseJson(text)
    } catch (e) {
      throw new DataException(READ_ERROR, e)
    }
    if (!isObjectNode(root)) throw new DataException(ENVELOPE_ERROR)
    const keys = Object.keys(root)
    if (keys.length !== 2 || !Object.hasOwn(root, 'schema') || !Object.hasOwn(root, 'payload')) {
      throw new DataException(ENVELOPE_ERROR)
    }
    const schema = this.#asConnectSchema(root.schema)
    return new SchemaAndValue(schema, this.#reader(schema)(root.payload))
  }

  /** `#parseAndConvert` where bad JSON is a DataException. */
  #readPayload(text: string, schema: Schema | null, literals: number): unknown {
    try {
      return this.#parseAndConvert(text, schema, literals, false)
    } catch (e) {
      if (e instanceof JsonSyntaxError) throw new DataException(READ_ERROR, e)
      throw e
    }
  }

  /**
   * Parses `text` and converts it with `schema` (Apache's `convertToConnect`). `JSON.parse` is used unless the text
   * holds number shapes the schema must see as literals (`literals`, see `literalNeeds`) or goes beyond Jackson's
   * limits (nesting depth, number length); a reader that meets a number JSON.parse may have rounded asks for the exact reader
   * (`NEEDS_EXACT`). Throws `JsonSyntaxError` for bad JSON.
   */
  #parseAndConvert(text: string, schema: Schema | null, literals: number, strict: boolean): unknown {
    const reader = this.#reader(schema)
    if (
      (literals === 0 || (numberShapes(text) & literals) === 0) &&
      (text.length <= MAX_NUMBER_LENGTH || !exceedsReadLimits(text))
    ) {
      let node: JsonNode | undefined
      try {
        node = JSON.parse(text) as JsonNode
      } catch {
        node = undefined
      }
      if (node !== undefined) {
        lossyTree = true
        try {
          return reader(node)
        } catch (e) {
          if (e !== NEEDS_EXACT) throw e
        } finally {
          lossyTree = false
        }
      }
    }
    return reader(parseJson(text, strict))
  }

  /** Apache's `asConnectSchema` (@ferry/api's `parseEnvelopeSchema`), defaults read as this converter reads values. */
  #asConnectSchema(node: Node): Schema | null {
    return parseEnvelopeSchema(node, this.#envelopeNotation)
  }

  readonly #envelopeNotation: EnvelopeSchemaNotation = {
    defaultValue: (partial, node) => {
      const defaultValue = this.#reader(partial)(node as Node)
      if (partial.type === 'STRUCT' && defaultValue != null) {
        // Apache builds the default Struct against the builder, which never equals the built schema.
        throw new SchemaBuilderException('Invalid default value', new DataException('Struct schemas do not match.'))
      }
      return defaultValue
    },
    intValue,
  }

  /** Apache's `convertToConnect` for `schema`, compiled once per schema object (null: schemaless). */
  #reader(schema: Schema | null): Reader {
    if (schema == null) return schemalessToConnect
    let reader = this.#readers.get(schema)
    if (reader === undefined) {
      reader = this.#compileReader(schema)
      this.#readers.set(schema, reader)
    }
    return reader
  }

  #compileReader(schema: Schema): Reader {
    const read = this.#compileValueReader(schema)
    const defaultValue = schema.defaultValue
    const useDefault = defaultValue != null && this.#replaceNullWithDefault
    const optional = schema.isOptional
    const type = schema.type
    return (node) => {
      if (node !== null && node !== undefined) return read(node)
      if (useDefault) return defaultValue
      if (optional) return null
      throw new DataException(`Invalid null value for required ${type} field`)
    }
  }

  /** The reader of a non-null node. */
  #compileValueReader(schema: Schema): Reader {
    const name = schema.name
    if (name === DECIMAL || name === DATE || name === TIME || name === TIMESTAMP) {
      return (node) => logicalToConnect(schema, name, node)
    }
    switch (schema.type) {
      case 'BOOLEAN':
        return (node) => node === true
      case 'INT8':
        return (node) => (typeof node === 'number' && (node << 24) >> 24 === node ? node : wrap(node, 8))
      case 'INT16':
        return (node) => (typeof node === 'number' && (node << 16) >> 16 === node ? node : wrap(node, 16))
      case 'INT32':
        return intValue
      case 'INT64':
        return longValue
      case 'FLOAT32':
        return floatValue
      case 'FLOAT64':
        return doubleValue
      case 'STRING':
        return (node) => (typeof node === 'string' ? node : null)
      case 'BYTES':
        return (node) => {
          if (typeof node !== 'string') return null
          try {
            return decodeBase64Jackson(node)
          } catch (e) {
            throw new DataException('Invalid bytes field', e)
          }
        }
      case 'ARRAY': {
        const element = this.#reader(schema.valueSchema())
        return (node) => {
          if (Array.isArray(node)) {
            const out = new Array<unknown>(node.length)
            for (let i = 0; i < node.length; i++) out[i] = element(node[i])
            return out
          }
          // Jackson iterates an object's values, and nothing for other nodes.
          const out: unknown[] = []
          if (isObjectNode(node)) for (const key of Object.keys(node)) out.push(element(node[key]))
          return out
        }
      }
      case 'MAP': {
        const keySchema = schema.keySchema()
        const keyReader = this.#reader(keySchema)
        const valueReader = this.#reader(schema.valueSchema())
        if (keySchema == null || keySchema.type === 'STRING') {
          return (node) => {
            if (!isObjectNode(node)) {
              throw new DataException(
                `Maps with string fields should be encoded as JSON objects, but found ${nodeType(node)}`,
              )
            }
            const result = new Map<unknown, unknown>()
            for (const key of Object.keys(node)) result.set(key, valueReader(node[key]))
            return result
          }
        }
        return (node) => {
          if (!Array.isArray(node)) {
            throw new DataException(
              `Maps with non-string fields should be encoded as JSON array of tuples, but found ${nodeType(node)}`,
            )
          }
          const result = new Map<unknown, unknown>()
          for (const entry of node) {
            if (!Array.isArray(entry)) {
              throw new DataException(`Found invalid map entry instead of array tuple: ${nodeType(entry)}`)
            }
            if (entry.length !== 2) {
              throw new DataException(`Found invalid map entry, expected length 2 but found :${entry.length}`)
            }
            result.set(keyReader(entry[0]), valueReader(entry[1]))
          }
          return result
        }
      }
      case 'STRUCT': {
        const fields = schema.fields()
        const names = fields.map((f) => f.name)
        const readers = fields.map((f) => this.#reader(f.schema))
        const count = fields.length
        return (node) => {
          if (!isObjectNode(node)) {
            throw new DataException(`Structs should be encoded as JSON objects, but found ${nodeType(node)}`)
          }
          const struct = new Struct(schema)
          for (let i = 0; i < count; i++) {
            const fieldName = names[i]!
            struct.put(fields[i]!, readers[i]!(Object.hasOwn(node, fieldName) ? node[fieldName] : undefined))
          }
          return struct
        }
      }
    }
    throw new DataException(`Unknown schema type: ${String(schema.type)}`)
  }
}

// ------------------------------------------------------------------------------------------------ writing

/** Apache's `convertToJson` of `value` with `plan` (null: no schema), as JSON text. */
function writeJson(plan: WritePlan | null, value: unknown): string {
  if (plan === null) return schemalessToJson(value)
  if (value === null || value === undefined) {
    if (plan.defaultValue !== null) {
      if (plan.defaultJson === null) plan.defaultJson = writeJson(plan, plan.defaultValue)
      return plan.defaultJson
    }
    if (plan.optional) return 'null'
    throw new DataException('Conversion error: null value for field that is required and has no default value')
  }
  switch (plan.kind) {
    case W_INT8:
      if (typeof value === 'number' && (value << 24) >> 24 === value) return `${value}`
      break
    case W_INT16:
      if (typeof value === 'number' && (value << 16) >> 16 === value) return `${value}`
      break
    case W_INT32:
      if (typeof value === 'number' && (value | 0) === value) return `${value}`
      break
    case W_INT64: {
      const text = int64Text(value)
      if (text !== null) return text
      break
    }
    case W_FLOAT32:
      if (typeof value === 'number') return floatText(value)
      break
    case W_FLOAT64:
      if (typeof value === 'number') return doubleText(value)
      break
    case W_BOOLEAN:
      if (value === true) return 'true'
      if (value === false) return 'false'
      break
    case W_STRING:
      if (typeof value === 'string') return quote(value)
      break
    case W_BYTES:
      if (value instanceof Uint8Array) return base64Text(value)
      throw new DataException(`Invalid type for bytes type: ${describeValueType(value)}`)
    case W_ARRAY:
      if (Array.isArray(value)) {
        if (value.length === 0) return '[]'
        const element = plan.element
        let out = `[${writeJson(element, value[0])}`
        for (let i = 1; i < value.length; i++) out += `,${writeJson(element, value[i])}`
        return `${out}]`
      }
      break
    case W_MAP:
      if (value instanceof Map || isPlainObject(value)) return writeMap(plan, value)
      break
    case W_STRUCT:
      if (value instanceof Struct) return writeStruct(plan, value)
      break
    case W_DECIMAL_BASE64:
    case W_DECIMAL_NUMERIC:
      if (!(value instanceof BigDecimal)) {
        throw new DataException(`Invalid type for Decimal, expected BigDecimal but was ${describeValueType(value)}`)
      }
      return plan.kind === W_DECIMAL_NUMERIC ? value.toString() : base64Text(Decimal.fromLogical(plan.schema, value))
    case W_DATE:
      if (!(value instanceof Date)) {
        throw new DataException(`Invalid type for Date, expected Date but was ${describeValueType(value)}`)
      }
      return `${ConnectDate.fromLogical(plan.schema, value)}`
    case W_TIME:
      if (!(value instanceof Date)) {
        throw new DataException(`Invalid type for Time, expected Date but was ${describeValueType(value)}`)
      }
      return `${Time.fromLogical(plan.schema, value)}`
    case W_TIMESTAMP:
      if (!(value instanceof Date)) {
        throw new DataException(`Invalid type for Timestamp, expected Date but was ${describeValueType(value)}`)
      }
      return `${Timestamp.fromLogical(plan.schema, value)}`
  }
  return invalidType(plan.schema.type, value)
}

function writeStruct(plan: WritePlan, struct: Struct): string {
  const schema = plan.schema
  if (struct.schema !== schema && !schemaEquals(struct.schema, schema)) throw new DataException('Mismatching schema.')
  const fields = plan.fields!
  const count = fields.length
  if (count === 0) return '{}'
  const keys = plan.fieldKeys!
  const plans = plan.fieldPlans!
  let out = ''
  for (let i = 0; i < count; i++) {
    const field = fields[i]!
    out += keys[i]! + writeJson(plans[i]!, struct.getWithoutDefault(field))
  }
  return `${out}}`
}

function writeMap(plan: WritePlan, map: Map<unknown, unknown> | Record<string, unknown>): string {
  const keyPlan = plan.key
  const valuePlan = plan.element
  const objectMode = keyPlan === null ? allStringKeys(map) : plan.stringKeys
  let out = objectMode ? '{' : '['
  let first = true
  const entries: Iterable<[unknown, unknown]> = map instanceof Map ? map : Object.entries(map)
  for (const [k, v] of entries) {
    if (!first) out += ','
    first = false
    if (objectMode) out += `${objectKey(keyPlan, k)}:${writeJson(valuePlan, v)}`
    else out += `[${writeJson(keyPlan, k)},${writeJson(valuePlan, v)}]`
  }
  return out + (objectMode ? '}' : ']')
}

/** An object key: the key's JSON node as text (Apache: `asText()`), so a null key becomes "null". */
function objectKey(keyPlan: WritePlan | null, key: unknown): string {
  if (typeof key === 'string') return quote(key)
  if (key == null) {
    const text = writeJson(keyPlan, key)
    return text === 'null' ? '"null"' : text
  }
  return invalidType('STRING', key)
}

// ------------------------------------------------------------------------------------------------ helpers

/** Apache's `convertToJson` without a schema: the type follows the JS value. */
function schemalessToJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quote(value)
    case 'number':
      return schemalessNumberJson(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'undefined':
      return 'null'
    case 'bigint':
      if (BigInt.asIntN(64, value) === value) return value.toString()
      break
    case 'object': {
      if (value === null) return 'null'
      if (value instanceof Map) return schemalessMapJson(value)
      if (Array.isArray(value)) {
        if (value.length === 0) return '[]'
        let out = `[${schemalessToJson(value[0])}`
        for (let i = 1; i < value.length; i++) out += `,${schemalessToJson(value[i])}`
        return `${out}]`
      }
      if (value instanceof Uint8Array) return base64Text(value)
      if (isPlainObject(value)) {
        let out = ''
        for (const key of Object.keys(value))
          out += `${out === '' ? '{' : ','}${objectKeyJson(key)}${schemalessToJson(value[key])}`
        return out === '' ? '{}' : `${out}}`
      }
      if (value instanceof Struct) throw new DataException('Mismatching schema.')
      break
    }
  }
  throw new DataException(`Java class ${describeValueType(value)} does not have corresponding schema type.`)
}

/**
 * A schemaless number: an integer as a long (`-0` as `0`), anything else as Java's `Double.toString`, which is
 * JavaScript's own text for a fraction between 10^-3 and 10^7 (`javaDoubleToString`).
 */
function schemalessNumberJson(value: number): string {
  if (Number.isSafeInteger(value)) return `${value}`
  if (Number.isInteger(value)) {
    return value >= -(2 ** 63) && value < 2 ** 63 ? BigInt(value).toString() : doubleText(value)
  }
  const abs = value < 0 ? -value : value
  return abs >= 1e-3 && abs < 1e7 ? `${value}` : doubleText(value)
}

/** A Map as a JSON object when every key is a string, else as an array of `[key,value]` tuples (Apache's rule). */
function schemalessMapJson(map: Map<unknown, unknown>): string {
  let out = ''
  for (const entry of map) {
    const key = entry[0]
    if (typeof key !== 'string') return schemalessTuplesJson(map)
    out += `${out === '' ? '{' : ','}${objectKeyJson(key)}${schemalessToJson(entry[1])}`
  }
  return out === '' ? '{}' : `${out}}`
}

/** `"key":` texts of recent short object keys (the records of a topic repeat theirs), at most KEY_JSON_MAX. */
const KEY_JSON = new Map<string, string>()
const KEY_JSON_MAX = 4096
const KEY_JSON_MAX_LENGTH = 64

function objectKeyJson(key: string): string {
  let json = KEY_JSON.get(key)
  if (json === undefined) {
    json = `${quote(key)}:`
    if (key.length > KEY_JSON_MAX_LENGTH) return json
    if (KEY_JSON.size >= KEY_JSON_MAX) KEY_JSON.clear()
    KEY_JSON.set(key, json)
  }
  return json
}

function schemalessTuplesJson(map: Map<unknown, unknown>): string {
  let out = ''
  for (const entry of map) {
    out += `${out === '' ? '[' : ','}[${schemalessToJson(entry[0])},${schemalessToJson(entry[1])}]`
  }
  return `${out}]`
}

/** A schemaless value in its written form, parsed by the converter that read it when asked. */
class DeferredJsonText implements DeferredJson {
  readonly text: string
  readonly #converter: JsonConverter

  constructor(text: string, converter: JsonConverter) {
    this.text = text
    this.#converter = converter
  }

  parse(): unknown {
    return this.#converter.readWrittenForm(this.text)
  }
}

/** Strict UTF-8 that drops a leading byte-order mark, as Jackson's byte source does. */
const UTF8_DECODER = new TextDecoder('utf-8', { fatal: true })

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return UTF8_DECODER.decode(bytes)
  } catch (e) {
    throw new DataException(READ_ERROR, new JsonSyntaxError(`Invalid UTF-8 input: ${(e as Error).message}`))
  }
}

function isWhitespace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function allStringKeys(value: Map<unknown, unknown> | Record<string, unknown>): boolean {
  if (!(value instanceof Map)) return true
  for (const k of value.keys()) if (typeof k !== 'string') return false
  return true
}

/** INT64 text for a number or bigint in range, else null. */
function int64Text(value: unknown): string | null {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return `${value === 0 ? 0 : value}`
    if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) return BigInt(value).toString()
    return null
  }
  if (typeof value === 'bigint' && BigInt.asIntN(64, value) === value) return value.toString()
  return null
}

function isObjectNode(node: Node): node is JsonObject {
  return typeof node === 'object' && node !== null && !Array.isArray(node) && !(node instanceof JsonFloat)
}

/** Jackson's `getNodeType()`, for messages. */
function nodeType(node: Node): string {
  if (node === undefined || node === MISSING) return 'MISSING'
  if (node === null) return 'NULL'
  switch (typeof node) {
    case 'boolean':
      return 'BOOLEAN'
    case 'number':
    case 'bigint':
      return 'NUMBER'
    case 'string':
      return 'STRING'
  }
  if (Array.isArray(node)) return 'ARRAY'
  return node instanceof JsonFloat ? 'NUMBER' : 'OBJECT'
}

/** Jackson's `isInt()`: an integral literal within the int range. */
function isIntNode(node: Node): node is number {
  return typeof node === 'number' && Number.isInteger(node) && (node | 0) === node
}

/** Jackson's `isIntegralNumber()`. */
function isIntegralNode(node: Node): node is number | bigint {
  return (typeof node === 'number' && Number.isInteger(node)) || typeof node === 'bigint'
}

/**
 * The integral part of a numeric node, exact modulo 2^64 (all that Java's `intValue()` / `longValue()` keep), or
 * null for a non-numeric node.
 */
function integralBits(node: Node): bigint | null {
  if (typeof node === 'number') {
    const t = Math.trunc(node)
    if (lossyTree && !Number.isSafeInteger(t)) throw NEEDS_EXACT
    return BigInt(t)
  }
  if (typeof node === 'bigint') return node
  if (node instanceof JsonFloat) return truncatedLiteral(node.text)
  return null
}

/** `new BigDecimal(text).toBigInteger()` modulo 2^64, without building huge powers of ten. */
function truncatedLiteral(text: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text)
  if (m === null) return 0n
  const digits = m[2]! + (m[3] ?? '')
  const scale = (m[3]?.length ?? 0) - (m[4] === undefined ? 0 : Number(m[4]))
  let magnitude: bigint
  if (scale <= 0) magnitude = -scale >= 64 ? 0n : BigInt(digits) * 10n ** BigInt(-scale)
  else magnitude = scale >= digits.length ? 0n : BigInt(digits.slice(0, digits.length - scale))
  return m[1] === '-' ? -magnitude : magnitude
}

function invalidType(type: string, value: unknown): never {
  throw new DataException(`Invalid type for ${type}: ${describeValueType(value)}`)
}

/** Java's `(byte)` / `(short)` of `intValue()`. */
function wrap(node: Node, bits: 8 | 16): number {
  const v = integralBits(node)
  return v === null ? 0 : Number(BigInt.asIntN(bits, v))
}

/** Jackson's `intValue()`: truncated and wrapped to 32 bits; 0 for a non-numeric node. */
function intValue(node: Node): number {
  if (typeof node === 'number' && (node | 0) === node) return node | 0
  const v = integralBits(node)
  return v === null ? 0 : Number(BigInt.asIntN(32, v))
}

/** Jackson's `longValue()`: a number when safe, else a bigint; 0 for a non-numeric node. */
function longValue(node: Node): number | bigint {
  if (typeof node === 'number' && Number.isSafeInteger(node)) return node === 0 ? 0 : node
  const v = integralBits(node)
  if (v === null) return 0
  const wrapped = BigInt.asIntN(64, v)
  return wrapped >= -9007199254740991n && wrapped <= 9007199254740991n ? Number(wrapped) : wrapped
}

/** Jackson's `floatValue()`: rounded once, from the exact literal. */
function floatValue(node: Node): number {
  if (typeof node === 'number') {
    if (lossyTree && node === 0 && Object.is(node, -0)) throw NEEDS_EXACT
    const f = Math.fround(node === 0 ? 0 : node)
    // A double rounded again: exact unless the double may itself be rounded or sits halfway between two floats.
    if (
      lossyTree &&
      f !== node &&
      ((Number.isInteger(node) && !Number.isSafeInteger(node)) || isFloatHalfway(node, f))
    ) {
      throw NEEDS_EXACT
    }
    return f
  }
  if (typeof node === 'bigint') return decimalToFloat32(node.toString())
  if (node instanceof JsonFloat) {
    const f = decimalToFloat32(node.text)
    return f === 0 ? Math.fround(node.toNumber()) : f
  }
  return 0
}

/**
 * Whether a `JSON.parse` number is what Apache reads: not an integer beyond 2^53 (rounded), not infinite (an
 * overflow, or a long integral literal), not -0 (`-0.0` reads as 0, `-1e-400` as -0.0).
 */
function isExactDouble(n: number): boolean {
  return Number.isSafeInteger(n) ? !Object.is(n, -0) : Number.isFinite(n) && !Number.isInteger(n)
}

/** Jackson's `doubleValue()`: 0 for a non-numeric node; never -0 for a zero literal. */
function doubleValue(node: Node): number {
  if (typeof node === 'number') {
    if (lossyTree && node === 0 && Object.is(node, -0)) throw NEEDS_EXACT
    return node === 0 ? 0 : node
  }
  if (typeof node === 'bigint') return Number(node)
  if (node instanceof JsonFloat) return node.toNumber()
  return 0
}

function decimalValue(node: number | bigint | JsonFloat): BigDecimal {
  if (typeof node === 'bigint') return new BigDecimal(node, 0)
  if (typeof node === 'number') {
    if (lossyTree && !Number.isSafeInteger(node)) throw NEEDS_EXACT
    return Number.isInteger(node) ? new BigDecimal(BigInt(node), 0) : BigDecimal.fromString(String(node))
  }
  return BigDecimal.fromString(node.text)
}

function checkDateRange(millis: number | bigint, what: string): number {
  const n = Number(millis)
  if (!(n >= -MAX_DATE_MILLIS && n <= MAX_DATE_MILLIS)) {
    throw new DataException(`${what} value ${String(millis)} ms is outside the range of a JavaScript Date`)
  }
  return n
}

/** The logical converters' `toConnect`; undefined when the name is not a logical type. */
function logicalToConnect(schema: Schema, name: string, node: Node): unknown {
  switch (name) {
    case DECIMAL:
      if (typeof node === 'number' || typeof node === 'bigint' || node instanceof JsonFloat) return decimalValue(node)
      if (typeof node === 'string') {
        try {
          return Decimal.toLogical(schema, decodeBase64Jackson(node))
        } catch (e) {
          throw new DataException('Invalid bytes for Decimal field', e)
        }
      }
      throw new DataException(
        `Invalid type for Decimal, underlying representation should be numeric or bytes but was ${nodeType(node)}`,
      )
    case DATE:
      if (!isIntNode(node)) {
        throw new DataException(
          `Invalid type for Date, underlying representation should be integer but was ${nodeType(node)}`,
        )
      }
      checkDateRange(node * MILLIS_PER_DAY, 'Date')
      return ConnectDate.toLogical(schema, node)
    case TIME:
      if (!isIntNode(node)) {
        throw new DataException(
          `Invalid type for Time, underlying representation should be integer but was ${nodeType(node)}`,
        )
      }
      return Time.toLogical(schema, node)
    case TIMESTAMP: {
      if (!isIntegralNode(node)) {
        throw new DataException(
          `Invalid type for Timestamp, underlying representation should be integral but was ${nodeType(node)}`,
        )
      }
      const millis = longValue(node)
      return Timestamp.toLogical(schema, checkDateRange(millis, 'Timestamp'))
    }
  }
  return undefined
}

/** Apache's `convertToConnect` without a schema: types inferred from the JSON. */
function schemalessToConnect(node: Node): unknown {
  if (node === null || node === undefined || node === MISSING) return null
  switch (typeof node) {
    case 'boolean':
    case 'string':
      return node
    case 'number':
      if (lossyTree && !isExactDouble(node)) throw NEEDS_EXACT
      return node === 0 ? 0 : node
    case 'bigint':
      return longValue(node)
  }
  if (node instanceof JsonFloat) return node.toNumber()
  if (Array.isArray(node)) {
    const out: unknown[] = new Array(node.length)
    for (let i = 0; i < node.length; i++) out[i] = schemalessToConnect(node[i])
    return out
  }
  const result = new Map<string, unknown>()
  for (const key of Object.keys(node)) result.set(key, schemalessToConnect(node[key]))
  return result
}

/**
 * Which number shapes `schema` must see as literals (`numberShapes` flags): a Decimal keeps the literal's scale
 * (`1.50`, `1E+3`); Date, Time and Timestamp refuse `5.0` and `5e0`, which JSON.parse turns into 5.
 */
function literalNeeds(schema: Schema | null): number {
  if (schema == null) return 0
  switch (schema.name) {
    case DECIMAL:
      return FRACTION | EXPONENT
    case DATE:
    case TIME:
    case TIMESTAMP:
      return ZERO_FRACTION | EXPONENT
  }
  switch (schema.type) {
    case 'ARRAY':
      return literalNeeds(schema.valueSchema())
    case 'MAP':
      return literalNeeds(schema.keySchema()) | literalNeeds(schema.valueSchema())
    case 'STRUCT': {
      let needs = 0
      for (const field of schema.fields()) needs |= literalNeeds(field.schema)
      return needs
    }
    default:
      return 0
  }
}
