/**
 * The neutral schema and value formats that the Java vector generators (each package's test/fixtures/Generate.java)
 * write, rebuilt with Ferry's data model: a schema is Apache JsonConverter-like JSON, a value is `{"<type>": v}`.
 */

import { BigDecimal, type Schema, SchemaBuilder, Struct } from '@ferry/api'

export type Tagged = null | Record<string, any>
export interface NeutralSchema {
  type: string
  optional?: boolean
  name?: string
  version?: number
  doc?: string
  parameters?: Record<string, string>
  default?: Tagged
  items?: NeutralSchema | null
  keys?: NeutralSchema | null
  values?: NeutralSchema | null
  fields?: (NeutralSchema & { field: string })[]
}

/** Whether schemaless maps are rebuilt as JS `Map`s or as plain objects. */
export type MapMode = 'map' | 'object'

export function buildSchema(n: NeutralSchema | null | undefined): Schema | null {
  if (n == null) return null
  let b: SchemaBuilder
  switch (n.type) {
    case 'boolean':
      b = SchemaBuilder.bool()
      break
    case 'int8':
      b = SchemaBuilder.int8()
      break
    case 'int16':
      b = SchemaBuilder.int16()
      break
    case 'int32':
      b = SchemaBuilder.int32()
      break
    case 'int64':
      b = SchemaBuilder.int64()
      break
    case 'float':
      b = SchemaBuilder.float32()
      break
    case 'double':
      b = SchemaBuilder.float64()
      break
    case 'bytes':
      b = SchemaBuilder.bytes()
      break
    case 'string':
      b = SchemaBuilder.string()
      break
    case 'array':
      b = SchemaBuilder.array(buildSchema(n.items)!)
      break
    case 'map':
      b = SchemaBuilder.map(buildSchema(n.keys)!, buildSchema(n.values)!)
      break
    case 'struct':
      b = SchemaBuilder.struct()
      for (const f of n.fields ?? []) b.field(f.field, buildSchema(f)!)
      break
    default:
      throw new Error(`unknown type ${n.type}`)
  }
  if (n.optional) b.optional()
  if (n.name !== undefined) b.name(n.name)
  if (n.version !== undefined) b.version(n.version)
  if (n.doc !== undefined) b.doc(n.doc)
  for (const [k, v] of Object.entries(n.parameters ?? {})) b.parameter(k, v)
  if (n.default !== undefined) b.defaultValue(buildValue(b.build(), n.default, 'map'))
  return b.build()
}

/** A Java long from its decimal text: a number when safe, else a bigint (Ferry's INT64 representation). */
export function int64(text: string): number | bigint {
  const big = BigInt(text)
  return big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big
}

function javaNumber(text: string): number {
  return Number(text)
}

/** Whether every map in a tagged value has string keys (so it can be rebuilt as plain objects). */

export function objectsPossible(t: Tagged): boolean {
  if (t === null) return true
  const tag = Object.keys(t)[0]!
  const v = t[tag]
  if (tag === 'array') return (v as Tagged[]).every(objectsPossible)
  if (tag === 'struct') return Object.values(v as Record<string, Tagged>).every(objectsPossible)
  if (tag === 'map') {
    return (v as [Tagged, Tagged][]).every(
      ([k, x]) => k !== null && Object.keys(k)[0] === 'string' && k.string !== '__proto__' && objectsPossible(x),
    )
  }
  return true
}

export function buildValue(schema: Schema | null, t: Tagged, mode: MapMode = 'map'): unknown {
  if (t === null) return null
  const tag = Object.keys(t)[0]!
  const v = t[tag]
  switch (tag) {
    case 'boolean':
    case 'int8':
    case 'int16':
    case 'int32':
    case 'string':
      return v
    case 'int64':
      return int64(v)
    case 'float32':
      return Math.fround(javaNumber(v))
    case 'float64':
      return javaNumber(v)
    case 'bytes':
      return new Uint8Array(Buffer.from(v as string, 'base64'))
    case 'decimal':
      return new BigDecimal(BigInt(v.unscaled), v.scale)
    case 'instant':
      return new Date(Number(v))
    case 'array': {
      const element = schema?.type === 'ARRAY' ? schema.valueSchema() : null
      return (v as Tagged[]).map((e) => buildValue(element, e, mode))
    }
    case 'map': {
      const isMap = schema?.type === 'MAP'
      const ks = isMap ? schema.keySchema() : null
      const vs = isMap ? schema.valueSchema() : null
      if (mode === 'object') {
        const out: Record<string, unknown> = {}
        for (const [k, x] of v as [Tagged, Tagged][]) out[buildValue(ks, k, mode) as string] = buildValue(vs, x, mode)
        return out
      }
      const out = new Map<unknown, unknown>()
      for (const [k, x] of v as [Tagged, Tagged][]) out.set(buildValue(ks, k, mode), buildValue(vs, x, mode))
      return out
    }
    case 'struct': {
      const s = t.structSchema !== undefined ? buildSchema(t.structSchema)! : schema!
      const struct = new Struct(s)
      for (const [name, x] of Object.entries(v as Record<string, Tagged>)) {
        if (x === null) continue
        const f = s.field(name)
        struct.put(name, buildValue(f === null ? null : f.schema, x, mode))
      }
      return struct
    }
    default:
      throw new Error(`unknown tag ${tag}`)
  }
}
