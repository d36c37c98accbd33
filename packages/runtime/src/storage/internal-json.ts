/**
 * The JSON of Connect's internal topics: Apache writes every value with a schemaless `JsonConverter` (compact
 * Jackson output, structs in schema field order with optional nulls written as `null`) and reads it back the same
 * way. Ferry uses its own byte-exact JsonConverter for both, so the bytes on the topic are Apache's.
 */
import { type Schema, SchemaBuilder, Struct } from '@ferry/api'
import { JsonConverter } from '@ferry/converters'

const converter = new JsonConverter()
converter.configure({ 'schemas.enable': 'false' }, false)

/** Serialises a value (a Struct with its schema, or schemaless maps, lists and primitives) as Apache does. */
export function writeInternalJson(schema: Schema | null, value: unknown): Buffer {
  const bytes = converter.fromConnectData('', null, schema, value)
  if (bytes === null) throw new Error('internal topic values are never null here')
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * Parses a value written by Apache or Ferry: objects come back as `Map`s, integers as numbers (bigint beyond 2^53),
 * null bytes as null. Throws on invalid JSON (Apache's DataException).
 */
export function readInternalJson(bytes: Buffer | null): unknown {
  return converter.toConnectData('', null, bytes).value
}

/** A struct from field values, in the schema's field order. */
export function struct(schema: Schema, values: Record<string, unknown>): Struct {
  const s = new Struct(schema)
  for (const [k, v] of Object.entries(values)) if (v !== undefined) s.put(k, v)
  return s
}

/** A parsed JSON object as a plain object (nested maps too), or null when it is not an object. */
export function toPlainObject(value: unknown): Record<string, unknown> | null {
  if (!(value instanceof Map)) return null
  const out: Record<string, unknown> = {}
  for (const [k, v] of value) out[String(k)] = toPlain(v)
  return out
}

function toPlain(value: unknown): unknown {
  if (value instanceof Map) return toPlainObject(value)
  if (Array.isArray(value)) return value.map(toPlain)
  return value
}

/** Java's `getClass().getName()` for a parsed JSON value, for Apache's log messages. */
export function javaClassName(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (value instanceof Map) return 'java.util.HashMap'
  if (Array.isArray(value)) return 'java.util.ArrayList'
  if (typeof value === 'string') return 'java.lang.String'
  if (typeof value === 'boolean') return 'java.lang.Boolean'
  if (typeof value === 'bigint') return 'java.lang.Long'
  if (typeof value === 'number') return Number.isInteger(value) ? 'java.lang.Long' : 'java.lang.Double'
  return typeof value
}

/** Map<string, optional string>: the `properties` of connector and task config records. */
export const STRING_MAP_SCHEMA = SchemaBuilder.map(
  SchemaBuilder.string().build(),
  SchemaBuilder.string().optional().build(),
).build()

/** Java's `String.split` on a literal separator: trailing empty strings are dropped. */
export function javaSplit(s: string, separator: string): string[] {
  const parts = s.split(separator)
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop()
  return parts
}
