/**
 * Connect schemas and values as short text, for tables of expected results: `struct{id:int64,name:string?}?` (a `?`
 * marks an optional schema; logical types by their simple name: `Timestamp`, `Decimal(2)`), and values as JSON-like
 * data (`Struct`s as `{...}` objects, `Map`s as `Map{...}`, Dates as ISO text, decimals as `1.50d`, bytes as
 * `bytes:<base64>`, int64s beyond 2^53 as `123n`).
 */
import { BigDecimal, type Schema, Struct } from '@ferry/api'

export function schemaText(schema: Schema | null): string | null {
  if (schema === null) return null
  const q = schema.isOptional ? '?' : ''
  if (schema.name?.startsWith('org.apache.kafka.connect.data.')) {
    const simple = schema.name.slice('org.apache.kafka.connect.data.'.length)
    return simple === 'Decimal' ? `Decimal(${schema.parameters?.scale})${q}` : `${simple}${q}`
  }
  const name = schema.name ? `<${schema.name}>` : ''
  switch (schema.type) {
    case 'STRUCT':
      return `struct${name}{${schema
        .fields()
        .map((f) => `${f.name}:${schemaText(f.schema)}`)
        .join(',')}}${q}`
    case 'ARRAY':
      return `array<${schemaText(schema.valueSchema())}>${q}`
    case 'MAP':
      return `map<${schemaText(schema.keySchema())},${schemaText(schema.valueSchema())}>${q}`
    default:
      return `${schema.type.toLowerCase()}${name}${q}`
  }
}

export function valueText(value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (value instanceof Struct) {
    return Object.fromEntries(value.schema.fields().map((f) => [f.name, valueText(value.get(f))]))
  }
  if (value instanceof Map) return { Map: Object.fromEntries([...value].map(([k, v]) => [String(k), valueText(v)])) }
  if (Array.isArray(value)) return value.map(valueText)
  if (value instanceof Date) return value.toISOString()
  if (value instanceof BigDecimal) return `${value.toPlainString()}d`
  if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString('base64')}`
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, valueText(v)]))
  return value
}
