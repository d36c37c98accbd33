/**
 * The `"schema"` of a JsonConverter envelope (`schemas.enable=true`) as a Connect schema: Apache's
 * `JsonConverter.asConnectSchema`, shared by the JsonConverter and by the transforms that take a declared schema in
 * their config, e.g. `{"type":"struct","fields":[{"field":"id","type":"int64"},{"field":"at","type":"int64",
 * "optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1}]}`.
 */
import { DataException } from '../errors.ts'
import { ConnectDate, Decimal, Time, Timestamp } from './logical.ts'
import type { Schema, SchemaType } from './schema.ts'
import { SchemaBuilder } from './schema-builder.ts'

/** How {@link parseEnvelopeSchema} reads the parts of the envelope notation that differ between its users. */
export interface EnvelopeSchemaNotation {
  /**
   * The Connect value of a schema's `"default"` node: `schema` is the schema built so far (without its default),
   * `where` the schema's place (`schema.fields.at`) for messages.
   */
  defaultValue(schema: Schema, node: unknown, where: string): unknown
  /**
   * The int of an integral `"version"` node (a number, or a bigint where the JSON reader keeps them); default: the
   * number itself.
   */
  intValue?: ((node: number | bigint) => number) | undefined
  /**
   * A declared schema in a config (the transforms'): every object must be a schema (no null schemas), a key that is
   * not a schema key, a field named twice, an `optional` that is not a boolean, `parameters` that are not an object,
   * a logical type's name on another type and a Decimal without an integer `scale` are refused, and messages name
   * the place (`schema.fields[0] has no "field" name`). Without it, Apache's rules and messages (a DataException).
   */
  strict?: boolean | undefined
}

/** The keys of the notation, in the order a strict reader lists them. */
const SCHEMA_KEYS: ReadonlySet<string> = new Set([
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

const PRIMITIVES: Readonly<Record<string, () => SchemaBuilder>> = {
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

const LOGICAL_BASES: Readonly<Record<string, SchemaType>> = {
  [Decimal.LOGICAL_NAME]: 'BYTES',
  [ConnectDate.LOGICAL_NAME]: 'INT32',
  [Time.LOGICAL_NAME]: 'INT32',
  [Timestamp.LOGICAL_NAME]: 'INT64',
}

/**
 * The Connect schema an envelope's `"schema"` node describes (a parsed JSON value), null for JSON null (not when
 * `notation.strict`). Types: boolean, int8, int16, int32, int64, float, double, bytes, string, array (`items`), map
 * (`keys`, `values`), struct (`fields`, each with `field`); `optional`, `name`, `version`, `doc`, `parameters` and
 * `default`. Throws a DataException with Apache's message for an invalid schema, or, with `notation.strict`, an
 * Error naming the place and what is wrong.
 */
export function parseEnvelopeSchema(node: unknown, notation: EnvelopeSchemaNotation, where = 'schema'): Schema | null {
  const strict = notation.strict === true
  const fail = (apache: string, placed: string): never => {
    throw strict ? new Error(placed) : new DataException(apache)
  }
  const mustBeSchema = `${where} must be a JSON object with a "type"`
  if (node === null && !strict) return null
  if (!isObject(node)) return fail("Schema must contain 'type' field", mustBeSchema)
  if (strict) {
    for (const k of Object.keys(node)) {
      if (!SCHEMA_KEYS.has(k))
        fail('', `${where} has "${k}", which is not a schema key (${[...SCHEMA_KEYS].join(', ')})`)
    }
  }
  const type = own(node, 'type')
  if (typeof type !== 'string' && !strict) fail("Schema must contain 'type' field", mustBeSchema)
  const child = (n: unknown, place: string) => parseEnvelopeSchema(n, notation, place) as Schema
  let builder: SchemaBuilder
  if (typeof type === 'string' && Object.hasOwn(PRIMITIVES, type)) {
    builder = PRIMITIVES[type]!()
  } else if (type === 'array') {
    const items = own(node, 'items')
    if (items == null) fail('Array schema did not specify the element type', `${where}.items ${MUST_BE_SCHEMA}`)
    builder = SchemaBuilder.array(child(items, `${where}.items`))
  } else if (type === 'map') {
    const keys = own(node, 'keys')
    if (keys === undefined) fail('Map schema did not specify the key type', `${where}.keys ${MUST_BE_SCHEMA}`)
    const values = own(node, 'values')
    if (values === undefined) fail('Map schema did not specify the value type', `${where}.values ${MUST_BE_SCHEMA}`)
    builder = SchemaBuilder.map(child(keys, `${where}.keys`), child(values, `${where}.values`))
  } else if (type === 'struct') {
    const fields = own(node, 'fields')
    if (!Array.isArray(fields))
      fail('Struct schema\'s "fields" argument is not an array.', `${where} is a struct without a "fields" array`)
    builder = SchemaBuilder.struct()
    ;(fields as unknown[]).forEach((field, i) => {
      const name = isObject(field) ? own(field, 'field') : undefined
      if (typeof name !== 'string')
        fail("Struct schema's field name not specified properly", `${where}.fields[${i}] has no "field" name`)
      if (strict && builder.field(name as string) !== null) fail('', `${where} has the field "${name}" twice`)
      builder.field(name as string, child(field, `${where}.${name}`))
    })
  } else {
    return fail(
      `Unknown schema type: ${type}`,
      `${where} has the type ${JSON.stringify(type)}; valid types: ${[...Object.keys(PRIMITIVES), 'array', 'map', 'struct'].join(', ')}`,
    )
  }
  const optional = own(node, 'optional')
  if (optional === true) builder.optional()
  else if (strict && optional !== undefined && optional !== false) fail('', `${where}.optional must be true or false`)
  const name = own(node, 'name')
  if (typeof name === 'string') builder.name(name)
  const version = own(node, 'version')
  if ((typeof version === 'number' && Number.isInteger(version)) || typeof version === 'bigint')
    builder.version(notation.intValue ? notation.intValue(version) : Number(version))
  const doc = own(node, 'doc')
  if (typeof doc === 'string') builder.doc(doc)
  const parameters = own(node, 'parameters')
  if (strict && parameters !== undefined && (typeof parameters !== 'object' || parameters === null))
    fail('', `${where}.parameters must be an object`)
  if (strict ? parameters !== undefined : isObject(parameters)) {
    for (const [k, v] of Object.entries(parameters as object)) {
      if (typeof v !== 'string')
        fail('Schema parameters must have string values.', `${where}.parameters.${k} must be a string`)
      builder.parameter(k, v as string)
    }
  }
  if (strict) {
    const base = LOGICAL_BASES[builder.name() as string]
    if (base !== undefined && builder.type !== base)
      fail('', `${where} is named ${builder.name()}, which needs the type ${base.toLowerCase()}`)
    if (builder.name() === Decimal.LOGICAL_NAME && !/^-?\d+$/.test(builder.parameters()?.[Decimal.SCALE_FIELD] ?? ''))
      fail('', `${where} is a Decimal without an integer "scale" parameter`)
  }
  if (Object.hasOwn(node, 'default')) {
    builder.defaultValue(notation.defaultValue(builder.build(), node.default, `${where}.default`))
  }
  return builder.build()
}

const MUST_BE_SCHEMA = 'must be a JSON object with a "type"'

/** A JSON object: not null, not an array, not an instance of a class (a reader's number wrapper). */
function isObject(node: unknown): node is Record<string, unknown> {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return false
  const proto = Object.getPrototypeOf(node)
  return proto === Object.prototype || proto === null
}

function own(node: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(node, key) ? node[key] : undefined
}
