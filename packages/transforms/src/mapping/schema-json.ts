/**
 * A declared output schema, written as the `"schema"` of a JsonConverter envelope (`schemas.enable=true`):
 * `{"type":"struct","fields":[{"field":"id","type":"int64"},{"field":"at","type":"int64","optional":true,
 * "name":"org.apache.kafka.connect.data.Timestamp","version":1}]}`. Types: boolean, int8, int16, int32, int64, float,
 * double, bytes, string, array (`items`), map (`keys`, `values`), struct (`fields`, each with `field`); `optional`,
 * `name`, `version`, `doc`, `parameters` and `default` (in the document notation of document.ts) as in the envelope.
 * The same rules as JsonConverter's `asConnectSchema`, written again here because transforms depend on @ferry/api
 * only; unlike it, a key it does not know is refused rather than ignored.
 */
import {
  ConfigException,
  ConnectDate,
  Decimal,
  type Schema,
  SchemaBuilder,
  type SchemaType,
  Time,
  Timestamp,
} from '@ferry/api'
import { toSchema } from './result.ts'

const KNOWN_KEYS = new Set([
  'type',
  'optional',
  'name',
  'version',
  'doc',
  'parameters',
  'default',
  'items',
  'keys',
  'values',
  'fields',
  'field',
])

const LOGICAL_BASES: Record<string, SchemaType> = {
  [Decimal.LOGICAL_NAME]: 'BYTES',
  [ConnectDate.LOGICAL_NAME]: 'INT32',
  [Time.LOGICAL_NAME]: 'INT32',
  [Timestamp.LOGICAL_NAME]: 'INT64',
}

const PRIMITIVES: Record<string, () => SchemaBuilder> = {
  boolean: SchemaBuilder.bool,
  int8: SchemaBuilder.int8,
  int16: SchemaBuilder.int16,
  int32: SchemaBuilder.int32,
  int64: SchemaBuilder.int64,
  float: SchemaBuilder.float32,
  double: SchemaBuilder.float64,
  bytes: SchemaBuilder.bytes,
  string: SchemaBuilder.string,
}

/** Parses the declared schema in config key `key`; a ConfigException naming the key and what is wrong otherwise. */
export function parseSchemaJson(key: string, text: string): Schema {
  let node: unknown
  try {
    node = JSON.parse(text)
  } catch (e) {
    throw new ConfigException(key, text, `not JSON: ${(e as Error).message}`)
  }
  try {
    return schemaOf(node, 'schema')
  } catch (e) {
    if (e instanceof ConfigException) throw e
    throw new ConfigException(key, text, (e as Error).message)
  }
}

function schemaOf(node: unknown, where: string): Schema {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) {
    throw new Error(`${where} must be a JSON object with a "type"`)
  }
  const obj = node as Record<string, unknown>
  for (const k of Object.keys(obj)) {
    if (!KNOWN_KEYS.has(k))
      throw new Error(`${where} has "${k}", which is not a schema key (${[...KNOWN_KEYS].join(', ')})`)
  }
  const type = obj.type
  let builder: SchemaBuilder
  if (typeof type === 'string' && Object.hasOwn(PRIMITIVES, type)) {
    builder = PRIMITIVES[type]!()
  } else if (type === 'array') {
    builder = SchemaBuilder.array(schemaOf(obj.items, `${where}.items`))
  } else if (type === 'map') {
    builder = SchemaBuilder.map(schemaOf(obj.keys, `${where}.keys`), schemaOf(obj.values, `${where}.values`))
  } else if (type === 'struct') {
    if (!Array.isArray(obj.fields)) throw new Error(`${where} is a struct without a "fields" array`)
    builder = SchemaBuilder.struct()
    obj.fields.forEach((field, i) => {
      const name = (field as Record<string, unknown> | null)?.field
      if (typeof name !== 'string') throw new Error(`${where}.fields[${i}] has no "field" name`)
      if (builder.field(name) !== null) throw new Error(`${where} has the field "${name}" twice`)
      builder.field(name, schemaOf(field, `${where}.${name}`))
    })
  } else {
    throw new Error(
      `${where} has the type ${JSON.stringify(type)}; valid types: ${[...Object.keys(PRIMITIVES), 'array', 'map', 'struct'].join(', ')}`,
    )
  }
  if (obj.optional === true) builder.optional()
  else if (obj.optional !== undefined && obj.optional !== false)
    throw new Error(`${where}.optional must be true or false`)
  if (typeof obj.name === 'string') builder.name(obj.name)
  if (Number.isInteger(obj.version)) builder.version(obj.version as number)
  if (typeof obj.doc === 'string') builder.doc(obj.doc)
  if (obj.parameters !== undefined) {
    if (typeof obj.parameters !== 'object' || obj.parameters === null)
      throw new Error(`${where}.parameters must be an object`)
    for (const [k, v] of Object.entries(obj.parameters)) {
      if (typeof v !== 'string') throw new Error(`${where}.parameters.${k} must be a string`)
      builder.parameter(k, v)
    }
  }
  const base = LOGICAL_BASES[builder.name() as string]
  if (base !== undefined && builder.type !== base) {
    throw new Error(`${where} is named ${builder.name()}, which needs the type ${base.toLowerCase()}`)
  }
  if (builder.name() === Decimal.LOGICAL_NAME && !/^-?\d+$/.test(builder.parameters()?.[Decimal.SCALE_FIELD] ?? '')) {
    throw new Error(`${where} is a Decimal without an integer "scale" parameter`)
  }
  if (Object.hasOwn(obj, 'default')) {
    const partial = builder.build()
    builder.defaultValue(toSchema(obj.default, partial, `${where}.default`))
  }
  return builder.build()
}
