/** How schemaless JS values map to Connect types, the way Apache's `ConnectSchema.schemaType(value.getClass())` does. */
import { type SchemaType, Struct } from '@ferry/api'
import { isAnyMap } from './maps.ts'

/**
 * The Connect type of a schemaless value: a number that is a safe integer is INT64 (a Java `Long`), any other number
 * FLOAT64 (a `Double`), a bigint INT64; Dates, BigDecimals and other objects have none (null), as in Apache.
 */
export function inferSchemaType(value: unknown): SchemaType | null {
  switch (typeof value) {
    case 'string':
      return 'STRING'
    case 'boolean':
      return 'BOOLEAN'
    case 'bigint':
      return 'INT64'
    case 'number':
      return Number.isSafeInteger(value) ? 'INT64' : 'FLOAT64'
  }
  if (value instanceof Uint8Array) return 'BYTES'
  if (Array.isArray(value)) return 'ARRAY'
  if (value instanceof Struct) return 'STRUCT'
  if (isAnyMap(value)) return 'MAP'
  return null
}
