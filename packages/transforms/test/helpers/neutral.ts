/**
 * The neutral schema/value/record formats of test/fixtures/Generate.java, on Ferry's side: rebuild inputs with Ferry's
 * data model, and describe Ferry's outputs in the same format so they can be compared with what Apache produced.
 */
import {
  BigDecimal,
  type ConnectRecord,
  Headers,
  javaDoubleToString,
  javaFloatToString,
  type Schema,
  SinkRecord,
  SourceRecord,
  Struct,
} from '@ferry/api'
import { buildSchema, buildValue, type MapMode, type NeutralSchema, type Tagged } from '@ferry/testing'

export { buildSchema, buildValue, type MapMode, type NeutralSchema, objectsPossible, type Tagged } from '@ferry/testing'

export interface NeutralHeader {
  key: string
  schema: NeutralSchema | null
  value: Tagged
}
/** Generate.java's defaults for absent record fields. */
export const DEFAULT_TOPIC = 'test-topic'
export const DEFAULT_OFFSET = 42
export const DEFAULT_TIMESTAMP = '1700000000123'

export interface NeutralRecord {
  kind?: 'sink' | 'source'
  topic?: string
  partition?: number | null
  offset?: number
  keySchema?: NeutralSchema | null
  key?: Tagged
  valueSchema?: NeutralSchema | null
  value?: Tagged
  timestamp?: string | null
  headers?: NeutralHeader[]
}

/** How schemaless maps are rebuilt: JS `Map`s (what the JsonConverter returns) or plain objects. */
export function buildRecord(r: NeutralRecord, mode: MapMode): ConnectRecord {
  const keySchema = buildSchema(r.keySchema)
  const valueSchema = buildSchema(r.valueSchema)
  const key = buildValue(keySchema, r.key ?? null, mode)
  const value = buildValue(valueSchema, r.value ?? null, mode)
  const timestamp =
    r.timestamp === undefined ? Number(DEFAULT_TIMESTAMP) : r.timestamp === null ? null : Number(r.timestamp)
  const headers = new Headers()
  for (const h of r.headers ?? []) {
    const s = buildSchema(h.schema)
    headers.add(h.key, buildValue(s, h.value, mode), s)
  }
  const topic = r.topic ?? DEFAULT_TOPIC
  const partition = r.partition === undefined ? 0 : r.partition
  if (r.kind === 'source') {
    return new SourceRecord(
      { p: 1 },
      { o: 1 },
      topic,
      partition,
      keySchema,
      key,
      valueSchema,
      value,
      timestamp,
      headers,
    )
  }
  return new SinkRecord(
    topic,
    partition ?? 0,
    keySchema,
    key,
    valueSchema,
    value,
    r.offset ?? DEFAULT_OFFSET,
    timestamp,
    timestamp === null ? 'NoTimestampType' : 'CreateTime',
    headers,
  )
}

// ------------------------------------------------------------------------------------------------ Ferry -> neutral

export function describeSchema(s: Schema | null): NeutralSchema | null {
  if (s == null) return null
  const type = s.type === 'FLOAT32' ? 'float' : s.type === 'FLOAT64' ? 'double' : s.type.toLowerCase()
  const n: NeutralSchema = { type }
  if (s.type === 'ARRAY') n.items = describeSchema(s.valueSchema())
  if (s.type === 'MAP') {
    n.keys = describeSchema(s.keySchema())
    n.values = describeSchema(s.valueSchema())
  }
  if (s.type === 'STRUCT') n.fields = s.fields().map((f) => ({ ...describeSchema(f.schema)!, field: f.name }))
  if (s.isOptional) n.optional = true
  if (s.name !== null) n.name = s.name
  if (s.version !== null) n.version = s.version
  if (s.doc !== null) n.doc = s.doc
  if (s.parameters !== null) n.parameters = { ...s.parameters }
  if (s.defaultValue != null) n.default = tag(s, s.defaultValue)
  return n
}

function isMapLike(value: unknown): value is Map<unknown, unknown> | Record<string, unknown> {
  if (value instanceof Map) return true
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** A Ferry value in the tagged format, as Java would tag the value Ferry stands for. */
export function tag(schema: Schema | null, value: unknown): Tagged {
  if (value == null) return null
  if (value instanceof Date) return { instant: String(value.getTime()) }
  if (value instanceof BigDecimal) return { decimal: { unscaled: value.unscaledValue.toString(), scale: value.scale } }
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('base64') }
  if (value instanceof Struct) {
    const o: Record<string, Tagged> = {}
    for (const f of value.schema.fields()) o[f.name] = tag(f.schema, value.getWithoutDefault(f.name))
    return { struct: o }
  }
  if (Array.isArray(value)) {
    const element = schema?.type === 'ARRAY' ? schema.valueSchema() : null
    return { array: value.map((e) => tag(element, e)) }
  }
  if (isMapLike(value)) {
    const isMap = schema?.type === 'MAP'
    const ks = isMap ? schema.keySchema() : null
    const vs = isMap ? schema.valueSchema() : null
    const entries: [unknown, unknown][] = value instanceof Map ? [...value] : Object.entries(value)
    return { map: entries.map(([k, x]) => [tag(ks, k), tag(vs, x)]) }
  }
  switch (typeof value) {
    case 'boolean':
      return { boolean: value }
    case 'string':
      return { string: value }
    case 'bigint':
      return { int64: value.toString() }
    case 'number':
      switch (schema?.type) {
        case 'INT8':
          return { int8: value }
        case 'INT16':
          return { int16: value }
        case 'INT32':
          return { int32: value }
        case 'INT64':
          return { int64: String(value) }
        case 'FLOAT32':
          return { float32: javaFloatToString(value) }
        case 'FLOAT64':
          return { float64: javaDoubleToString(value) }
        default:
          return Number.isSafeInteger(value) ? { int64: String(value) } : { float64: javaDoubleToString(value) }
      }
  }
  throw new Error(`cannot tag ${String(value)}`)
}

export function describeRecord(r: ConnectRecord): NeutralRecord {
  const out: NeutralRecord = {
    kind: r instanceof SourceRecord ? 'source' : 'sink',
    topic: r.topic,
    partition: r.kafkaPartition,
  }
  if (r instanceof SinkRecord) out.offset = r.kafkaOffset
  out.keySchema = describeSchema(r.keySchema)
  out.key = tag(r.keySchema, r.key)
  out.valueSchema = describeSchema(r.valueSchema)
  out.value = tag(r.valueSchema, r.value)
  out.timestamp = r.timestamp == null ? null : String(r.timestamp)
  out.headers = r.headers
    .toArray()
    .map((h) => ({ key: h.key, schema: describeSchema(h.schema), value: tag(h.schema, h.value) }))
  return out
}

// ------------------------------------------------------------------------------------------------ comparison

/**
 * The canonical form of a tagged value for comparison. Where no schema types the value (schemaless values, the
 * elements of an array or map whose schema has no element schema), numbers compare by value, since a JS number stands
 * for whichever Java class holds that value (Apache may answer a Byte, an Integer or a Float where Ferry has a
 * number); map entries compare in any order. `'typed'` is a position typed by a schema the comparison does not know
 * (a field of a Struct inside a schemaless value): compared exactly.
 */
function canonical(t: Tagged, schema: NeutralSchema | null | undefined | 'typed'): unknown {
  if (t === null) return null
  const tagName = Object.keys(t)[0]!
  const v = t[tagName]
  if (schema == null) {
    switch (tagName) {
      case 'int8':
      case 'int16':
      case 'int32':
      case 'int64':
        return { number: BigInt(v).toString() }
      case 'float32':
      case 'float64': {
        const n = tagName === 'float32' ? Math.fround(Number(v)) : Number(v)
        return { number: Number.isSafeInteger(n) ? String(n) : javaDoubleToString(n) }
      }
    }
  }
  const known = typeof schema === 'object' && schema !== null ? schema : null
  switch (tagName) {
    case 'array': {
      const items = known !== null ? known.items : schema === 'typed' ? 'typed' : null
      return { array: (v as Tagged[]).map((e) => canonical(e, items)) }
    }
    case 'map': {
      const ks = known !== null ? known.keys : schema === 'typed' ? 'typed' : null
      const vs = known !== null ? known.values : schema === 'typed' ? 'typed' : null
      const pairs = (v as [Tagged, Tagged][]).map(([k, x]) => [canonical(k, ks), canonical(x, vs)])
      pairs.sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1))
      return { map: pairs }
    }
    case 'struct': {
      const o: Record<string, unknown> = {}
      for (const [k, x] of Object.entries(v as Record<string, Tagged>)) {
        const field = known?.fields?.find((f) => f.field === k)
        o[k] = canonical(x, field ?? 'typed')
      }
      return { struct: o }
    }
    default:
      return { [tagName]: v }
  }
}

/** A record with Generate.java's defaults filled in, its values in canonical form. */
export function canonicalRecord(r: NeutralRecord): unknown {
  const kind = r.kind ?? 'sink'
  return {
    kind,
    topic: r.topic ?? DEFAULT_TOPIC,
    partition: r.partition === undefined ? 0 : r.partition,
    offset: kind === 'sink' ? (r.offset ?? DEFAULT_OFFSET) : undefined,
    keySchema: r.keySchema ?? null,
    key: canonical(r.key ?? null, r.keySchema),
    valueSchema: r.valueSchema ?? null,
    value: canonical(r.value ?? null, r.valueSchema),
    timestamp: r.timestamp === undefined ? DEFAULT_TIMESTAMP : r.timestamp,
    headers: (r.headers ?? []).map((h) => ({ key: h.key, schema: h.schema, value: canonical(h.value, h.schema) })),
  }
}
