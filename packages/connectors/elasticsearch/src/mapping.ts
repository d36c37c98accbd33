/**
 * Confluent's Mapping: an index mapping made from the Connect value schema. Structs become `properties`, maps
 * `properties.key`/`properties.value`, arrays their element's mapping; strings are `text` with a `keyword` sub-field,
 * Date/Time/Timestamp `date`, Decimal `double`; a primitive's default becomes its `null_value`.
 */
import { type BigDecimal, DataException, Decimal, type Schema, type SchemaType } from '@ferry/api'

const LOGICAL_DATES = new Set([
  'org.apache.kafka.connect.data.Date',
  'org.apache.kafka.connect.data.Time',
  'org.apache.kafka.connect.data.Timestamp',
])

const TYPES: Partial<Record<SchemaType, string>> = {
  BOOLEAN: 'boolean',
  INT8: 'byte',
  INT16: 'short',
  INT32: 'integer',
  INT64: 'long',
  FLOAT32: 'float',
  FLOAT64: 'double',
  STRING: 'text',
  BYTES: 'binary',
}

export type MappingNode = Record<string, unknown>

/** The mapping for `schema` as the JSON object `PUT <index>/_mapping` takes. */
export function buildMapping(schema: Schema | null): MappingNode {
  if (schema === null) throw new DataException('Cannot infer mapping without schema.')
  if (schema.name !== null && LOGICAL_DATES.has(schema.name)) {
    const d = schema.defaultValue
    return primitive('date', d instanceof Date ? d.getTime() : null)
  }
  if (schema.name === Decimal.LOGICAL_NAME) {
    return primitive('double', schema.defaultValue != null ? (schema.defaultValue as BigDecimal).toNumber() : null)
  }
  switch (schema.type) {
    case 'ARRAY':
      return buildMapping(schema.valueSchema())
    case 'MAP':
      return { properties: { key: buildMapping(schema.keySchema()), value: buildMapping(schema.valueSchema()) } }
    case 'STRUCT':
      return { properties: Object.fromEntries(schema.fields().map((f) => [f.name, buildMapping(f.schema)])) }
    default: {
      const type = TYPES[schema.type]
      if (type === undefined) throw new DataException(`Invalid primitive type ${type}.`)
      return primitive(type, schema.defaultValue)
    }
  }
}

function primitive(type: string, defaultValue: unknown): MappingNode {
  const out: MappingNode = { type }
  if (type === 'text') out.fields = { keyword: { type: 'keyword', ignore_above: 256 } }
  // Text and binary fields take no null_value in Elasticsearch.
  if (defaultValue == null || type === 'text' || type === 'binary') return out
  out.null_value = typeof defaultValue === 'bigint' ? Number(defaultValue) : defaultValue
  return out
}
