/**
 * Connect schemas and values as Avro, as Confluent's AvroData writes them (`fromConnectSchema` / `fromConnectData`):
 * INT8/INT16 are ints with `connect.type`, Decimal is bytes with `logicalType: decimal`, Date/Time/Timestamp are
 * `date`/`time-millis`/`timestamp-millis`, optional schemas are `["null", T]` unions defaulting to null, maps with
 * string keys are Avro maps and other maps arrays of `MapEntry` records, unnamed structs are
 * `io.confluent.connect.avro.ConnectDefault` records.
 */
import { BigDecimal, bigIntToBytes, DataException, type Schema, Struct } from '@ferry/api'

const NAMESPACE = 'io.confluent.connect.avro'
const DECIMAL = 'org.apache.kafka.connect.data.Decimal'
const DATE = 'org.apache.kafka.connect.data.Date'
const TIME = 'org.apache.kafka.connect.data.Time'
const TIMESTAMP = 'org.apache.kafka.connect.data.Timestamp'

type AvroSchema = string | Record<string, unknown> | AvroSchema[]

/** The Avro schema (as JSON) of a Connect schema. */
export function toAvroSchema(schema: Schema, connectMetaData: boolean): AvroSchema {
  const names = new Map<string, number>()
  const convert = (s: Schema, top: boolean): AvroSchema => {
    const base = nonOptional(s)
    return s.isOptional && !top ? ['null', base] : base
  }
  const meta = (s: Schema, out: Record<string, unknown>): Record<string, unknown> => {
    if (!connectMetaData) return out
    if (s.doc) out['connect.doc'] = s.doc
    if (s.version !== null) out['connect.version'] = s.version
    if (s.parameters && Object.keys(s.parameters).length > 0) out['connect.parameters'] = { ...s.parameters }
    if (s.name) out['connect.name'] = s.name
    return out
  }
  const nonOptional = (s: Schema): AvroSchema => {
    switch (s.name) {
      case DECIMAL: {
        const scale = Number(s.parameters?.scale ?? 0)
        const precision = Number(s.parameters?.['connect.decimal.precision'] ?? 64)
        return meta(s, { type: 'bytes', scale, precision, logicalType: 'decimal' })
      }
      case DATE:
        return meta(s, { type: 'int', logicalType: 'date' })
      case TIME:
        return meta(s, { type: 'int', logicalType: 'time-millis' })
      case TIMESTAMP:
        return meta(s, { type: 'long', logicalType: 'timestamp-millis' })
    }
    switch (s.type) {
      case 'BOOLEAN':
        return primitive(s, 'boolean')
      case 'INT8':
        return meta(s, connectMetaData ? { type: 'int', 'connect.type': 'int8' } : { type: 'int' })
      case 'INT16':
        return meta(s, connectMetaData ? { type: 'int', 'connect.type': 'int16' } : { type: 'int' })
      case 'INT32':
        return primitive(s, 'int')
      case 'INT64':
        return primitive(s, 'long')
      case 'FLOAT32':
        return primitive(s, 'float')
      case 'FLOAT64':
        return primitive(s, 'double')
      case 'STRING':
        return primitive(s, 'string')
      case 'BYTES':
        return primitive(s, 'bytes')
      case 'ARRAY':
        return meta(s, { type: 'array', items: convert(requireSchema(s.valueSchema(), 'array'), false) })
      case 'MAP': {
        const keySchema = requireSchema(s.keySchema(), 'map key')
        const valueSchema = requireSchema(s.valueSchema(), 'map value')
        if (keySchema.type === 'STRING' && !keySchema.isOptional && !keySchema.name) {
          return meta(s, { type: 'map', values: convert(valueSchema, false) })
        }
        return meta(s, {
          type: 'array',
          items: {
            type: 'record',
            name: uniqueName('MapEntry'),
            namespace: NAMESPACE,
            fields: [
              { name: 'key', type: convert(keySchema, false), ...(keySchema.isOptional ? { default: null } : {}) },
              {
                name: 'value',
                type: convert(valueSchema, false),
                ...(valueSchema.isOptional ? { default: null } : {}),
              },
            ],
          },
        })
      }
      case 'STRUCT': {
        let namespace = NAMESPACE
        let name = uniqueName('ConnectDefault')
        if (s.name) {
          const dot = s.name.lastIndexOf('.')
          namespace = dot > 0 ? s.name.slice(0, dot) : ''
          name = uniqueName(s.name.slice(dot + 1).replace(/[^A-Za-z0-9_]/g, '_'), namespace)
        }
        const record: Record<string, unknown> = {
          type: 'record',
          name,
          ...(namespace ? { namespace } : {}),
          ...(s.doc ? { doc: s.doc } : {}),
          fields: s.fields().map((f) => ({
            name: f.name,
            type: convert(f.schema, false),
            ...(f.schema.isOptional ? { default: null } : {}),
          })),
        }
        if (connectMetaData && s.name) record['connect.name'] = s.name
        if (connectMetaData && s.version !== null) record['connect.version'] = s.version
        return record
      }
    }
  }
  const primitive = (s: Schema, type: string): AvroSchema => {
    const out = meta(s, { type })
    return Object.keys(out).length === 1 ? type : out
  }
  const uniqueName = (name: string, namespace = NAMESPACE): string => {
    const full = `${namespace}.${name}`
    const n = (names.get(full) ?? 0) + 1
    names.set(full, n)
    return n === 1 ? name : `${name}${n}`
  }
  return convert(schema, true)
}

/** A Connect value as the JS value avsc encodes for `toAvroSchema(schema)`. */
export function toAvroValue(schema: Schema, value: unknown): unknown {
  if (value === null || value === undefined) {
    if (schema.defaultValue !== null && schema.defaultValue !== undefined)
      return toAvroValue(schema, schema.defaultValue)
    if (schema.isOptional) return null
    throw new DataException(`Found null value for non-optional schema ${schema.type}`)
  }
  switch (schema.name) {
    case DECIMAL: {
      const d = value as BigDecimal
      if (!(d instanceof BigDecimal)) throw new DataException('Decimal value is not a BigDecimal')
      return Buffer.from(bigIntToBytes(d.unscaledValue))
    }
    case DATE:
      return Math.floor((value as Date).getTime() / 86_400_000)
    case TIME:
      return (value as Date).getTime()
    case TIMESTAMP:
      return (value as Date).getTime()
  }
  switch (schema.type) {
    case 'BYTES':
      return Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array)
    case 'ARRAY': {
      const items = schema.valueSchema()!
      return (value as unknown[]).map((v) => toAvroValue(items, v))
    }
    case 'MAP': {
      const keySchema = schema.keySchema()!
      const valueSchema = schema.valueSchema()!
      const entries: [unknown, unknown][] =
        value instanceof Map ? [...value.entries()] : Object.entries(value as Record<string, unknown>)
      if (keySchema.type === 'STRING' && !keySchema.isOptional && !keySchema.name) {
        const out: Record<string, unknown> = {}
        for (const [k, v] of entries) out[k as string] = toAvroValue(valueSchema, v)
        return out
      }
      return entries.map(([k, v]) => ({ key: toAvroValue(keySchema, k), value: toAvroValue(valueSchema, v) }))
    }
    case 'STRUCT': {
      const struct = value as Struct
      if (!(struct instanceof Struct))
        throw new DataException(`Expected a Struct for schema ${schema.name ?? 'STRUCT'}`)
      const out: Record<string, unknown> = {}
      for (const f of schema.fields()) out[f.name] = toAvroValue(f.schema, struct.get(f))
      return out
    }
    default:
      return value
  }
}

function requireSchema(s: Schema | null, what: string): Schema {
  if (!s) throw new DataException(`The ${what} schema is missing`)
  return s
}
