/**
 * Helpers the schema registry formats' data mappings (AvroData, JsonSchemaData, ProtobufData) share for reading
 * Connect values: a map's entries, the DataException for a value of the wrong type, bytes as base64 text.
 */
import { DataException, describeValueType, type Schema } from '@ferry/api'

/** The entries of a MAP value: a Map, or a plain object's own properties. Anything else is `invalid`. */
export function mapEntries(schema: Schema, value: unknown): [unknown, unknown][] {
  if (value instanceof Map) return [...value.entries()]
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array))
    return Object.entries(value)
  throw invalid(schema, value, 'a Map')
}

/** The DataException for `value` not being what `schema` takes (`expected`: "a Map", "an integer", ...). */
export function invalid(schema: Schema, value: unknown, expected: string): DataException {
  return new DataException(
    `Invalid type for ${schema.name ?? schema.type}: expected ${expected}, got ${describeValueType(value)}`,
  )
}

/** `bytes` as padded standard base64 (what Java's `Base64.getEncoder()` and Jackson write). */
export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}
