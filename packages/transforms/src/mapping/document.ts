/**
 * The input document of a mapping expression: a Connect record as JSON-like data,
 * `{ key, value, headers, topic, partition, timestamp }`.
 *
 * | Connect value                       | In the document                                                           |
 * | ----------------------------------- | ------------------------------------------------------------------------- |
 * | Struct, Map (string keys), object   | an object (a Struct's fields in schema order; other map keys as text)     |
 * | array                               | an array                                                                  |
 * | INT8..INT64, FLOAT32, FLOAT64       | a number; an INT64 beyond ±2^53 is a string of its digits (exact)         |
 * | Decimal                             | a number (a double: digits past the 15th-17th significant one are lost)  |
 * | BYTES                               | a base64 string                                                           |
 * | Date / Time / Timestamp             | `"2024-05-31"` / `"13:45:10.250"` / `"2024-05-31T13:45:10.250Z"` (UTC)    |
 * | string, boolean, null               | themselves                                                                |
 *
 * `headers` is an object holding each header's value by name (the last one when a name repeats), converted the same
 * way; `timestamp` is the record's timestamp in milliseconds since the epoch, or null.
 *
 * Every object made from a Struct or a map is remembered with what it came from (`originOf`), so a result that hands
 * an input object back unchanged (`value`, `value.address`) keeps its original value and schema.
 */
import { BigDecimal, ConnectDate, type ConnectRecord, Decimal, type Schema, Struct, Time, Timestamp } from '@ferry/api'

/** The value and schema a document object was made from. */
export interface Origin {
  value: unknown
  schema: Schema | null
}

const ORIGINS = new WeakMap<object, Origin>()

/** What an object of a document was made from; undefined for an object the expression built. */
export function originOf(value: object): Origin | undefined {
  return ORIGINS.get(value)
}

/** The document an expression runs over. */
export function recordDocument(record: ConnectRecord): Record<string, unknown> {
  const headers: Record<string, unknown> = {}
  for (const header of record.headers) setOwn(headers, header.key, toDocument(header.value, header.schema))
  return {
    key: toDocument(record.key, record.keySchema),
    value: toDocument(record.value, record.valueSchema),
    headers,
    topic: record.topic,
    partition: record.kafkaPartition,
    timestamp: record.timestamp,
  }
}

/** A Connect value (with its schema, or schemaless when null) as document data. */
export function toDocument(value: unknown, schema: Schema | null): unknown {
  if (value == null) return null
  if (schema !== null) {
    switch (schema.name) {
      case Decimal.LOGICAL_NAME:
        return value instanceof BigDecimal ? value.toNumber() : documentScalar(value)
      case ConnectDate.LOGICAL_NAME:
        return value instanceof Date ? value.toISOString().slice(0, 10) : documentScalar(value)
      case Time.LOGICAL_NAME:
        return value instanceof Date ? value.toISOString().slice(11, 23) : documentScalar(value)
      case Timestamp.LOGICAL_NAME:
        return value instanceof Date ? value.toISOString() : documentScalar(value)
    }
    switch (schema.type) {
      case 'STRUCT': {
        if (!(value instanceof Struct)) break
        const object: Record<string, unknown> = {}
        for (const field of value.schema.fields())
          setOwn(object, field.name, toDocument(value.get(field), field.schema))
        ORIGINS.set(object, { value, schema })
        return object
      }
      case 'ARRAY':
        if (!Array.isArray(value)) break
        return value.map((v) => toDocument(v, schema.valueSchema()))
      case 'MAP': {
        const object = mapDocument(value, schema.valueSchema())
        if (object === null) break
        ORIGINS.set(object, { value, schema })
        return object
      }
    }
  }
  if (value instanceof Struct) return toDocument(value, value.schema)
  if (Array.isArray(value)) return value.map((v) => toDocument(v, null))
  if (value instanceof Date) return value.toISOString()
  const object = mapDocument(value, null)
  if (object !== null) {
    ORIGINS.set(object, { value, schema: null })
    return object
  }
  return documentScalar(value)
}

function mapDocument(value: unknown, valueSchema: Schema | null): Record<string, unknown> | null {
  const object: Record<string, unknown> = {}
  if (value instanceof Map) {
    for (const [k, v] of value) setOwn(object, String(k), toDocument(v, valueSchema))
    return object
  }
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array || value instanceof BigDecimal) {
    return null
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return null
  for (const [k, v] of Object.entries(value)) setOwn(object, k, toDocument(v, valueSchema))
  return object
}

function documentScalar(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : String(value)
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
  if (value instanceof BigDecimal) return value.toNumber()
  if (value instanceof Date) return value.toISOString()
  return value
}

/** Sets an own enumerable property, `__proto__` included. */
export function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true })
  else object[key] = value
}
