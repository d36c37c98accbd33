/**
 * Rebuilds the neutral inputs of test/fixtures/json-converter/vectors.json (see Generate.java for the formats) with
 * Ferry's data model, and compares Ferry values with what Apache read back.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
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
export interface JavaError {
  class: string
  message: string
  cause?: string
}
export interface ReadResult {
  schema?: NeutralSchema | null
  value?: Tagged
  error?: JavaError
}
export interface WriteVector {
  name: string
  schema: NeutralSchema | null
  value: Tagged
  config?: Record<string, unknown>
  isKey?: boolean
  bytes?: { utf8: string; base64: string } | null
  error?: JavaError
  readBack?: ReadResult
}
export interface ReadVector {
  name: string
  json?: string
  base64?: string | null
  config?: Record<string, unknown>
  result: ReadResult
}
export interface Vectors {
  _generated: string
  kafkaVersion: string
  javaVersion: string
  write: WriteVector[]
  read: ReadVector[]
  doubles: [string, string][]
  floats: [string, string][]
}

export function loadVectors(): Vectors {
  const url = new URL('../fixtures/json-converter/vectors.json', import.meta.url)
  return JSON.parse(readFileSync(url, 'utf8')) as Vectors
}

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
  if (n.default !== undefined) b.defaultValue(buildValue(b.build(), n.default))
  return b.build()
}

function int64(text: string): number | bigint {
  const big = BigInt(text)
  return big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big
}

export function buildValue(schema: Schema | null, t: Tagged): unknown {
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
      return Math.fround(Number(v))
    case 'float64':
      return Number(v)
    case 'bytes':
      return new Uint8Array(Buffer.from(v, 'base64'))
    case 'decimal':
      return new BigDecimal(BigInt(v.unscaled), v.scale)
    case 'instant':
      return new Date(Number(v))
    case 'array': {
      const element = schema?.type === 'ARRAY' ? schema.valueSchema() : null
      return (v as Tagged[]).map((e) => buildValue(element, e))
    }
    case 'map': {
      const isMap = schema?.type === 'MAP'
      const map = new Map<unknown, unknown>()
      for (const [k, val] of v as [Tagged, Tagged][]) {
        map.set(
          buildValue(isMap ? schema!.keySchema() : null, k),
          buildValue(isMap ? schema!.valueSchema() : null, val),
        )
      }
      return map
    }
    case 'struct': {
      const structSchema = t.structSchema ? buildSchema(t.structSchema)! : schema!
      const struct = new Struct(structSchema)
      for (const [name, val] of Object.entries(v as Record<string, Tagged>)) {
        if (val === null) continue
        struct.put(name, buildValue(structSchema.field(name)?.schema ?? null, val))
      }
      return struct
    }
  }
  throw new Error(`unknown tag ${tag}`)
}

/** Asserts that a Ferry value is what Apache read back (Java maps are hash maps: entries compare in any order). */
export function assertValue(actual: unknown, expected: Tagged, path = 'value'): void {
  if (expected === null) {
    assert.equal(actual, null, `${path}: expected null`)
    return
  }
  const tag = Object.keys(expected)[0]!
  const v = expected[tag]
  switch (tag) {
    case 'boolean':
    case 'string':
    case 'int8':
    case 'int16':
    case 'int32':
      assert.equal(actual, v, `${path}: ${tag}`)
      return
    case 'int64': {
      const want = int64(v)
      assert.equal(typeof actual, typeof want, `${path}: int64 ${v} as ${typeof want}`)
      assert.equal(actual, want, `${path}: int64`)
      return
    }
    case 'float32':
      assert.ok(Object.is(actual, Math.fround(Number(v))), `${path}: float32 ${v}, got ${String(actual)}`)
      return
    case 'float64':
      assert.ok(Object.is(actual, Number(v)), `${path}: float64 ${v}, got ${String(actual)}`)
      return
    case 'bytes':
      assert.ok(actual instanceof Uint8Array, `${path}: bytes`)
      assert.equal(Buffer.from(actual).toString('base64'), v, `${path}: bytes`)
      return
    case 'decimal':
      assert.ok(actual instanceof BigDecimal, `${path}: decimal`)
      assert.equal(actual.unscaledValue, BigInt(v.unscaled), `${path}: unscaled`)
      assert.equal(actual.scale, v.scale, `${path}: scale`)
      return
    case 'instant':
      assert.ok(actual instanceof Date, `${path}: Date`)
      assert.equal(actual.getTime(), Number(v), `${path}: Date`)
      return
    case 'array':
      assert.ok(Array.isArray(actual), `${path}: array`)
      assert.equal(actual.length, v.length, `${path}: array length`)
      for (let i = 0; i < v.length; i++) assertValue(actual[i], v[i], `${path}[${i}]`)
      return
    case 'map': {
      assert.ok(actual instanceof Map, `${path}: Map`)
      assert.equal(actual.size, v.length, `${path}: map size`)
      const remaining = [...actual.entries()]
      for (const [k, val] of v as [Tagged, Tagged][]) {
        const index = remaining.findIndex(([ak]) => matches(ak, k))
        assert.ok(index >= 0, `${path}: key ${JSON.stringify(k)}`)
        assertValue(remaining[index]![1], val, `${path}[${JSON.stringify(k)}]`)
        remaining.splice(index, 1)
      }
      return
    }
    case 'nestedLists': {
      let depth = 0
      let current = actual
      while (Array.isArray(current)) {
        depth++
        current = current.length === 0 ? null : current[0]
      }
      assert.equal(depth, v, `${path}: nested lists`)
      return
    }
    case 'struct':
      assert.ok(actual instanceof Struct, `${path}: Struct`)
      for (const [name, val] of Object.entries(v as Record<string, Tagged>)) {
        assertValue(actual.getWithoutDefault(name), val, `${path}.${name}`)
      }
      return
  }
  throw new Error(`unknown tag ${tag}`)
}

function matches(actual: unknown, expected: Tagged): boolean {
  try {
    assertValue(actual, expected)
    return true
  } catch {
    return false
  }
}

const TYPE_NAMES: Record<string, string> = { FLOAT32: 'float', FLOAT64: 'double' }

/** Asserts that a Ferry schema is the one Apache read (type, metadata, default, children). */
export function assertSchema(actual: Schema | null, expected: NeutralSchema | null | undefined, path = 'schema'): void {
  if (expected == null) {
    assert.equal(actual, null, `${path}: expected no schema`)
    return
  }
  assert.ok(actual != null, `${path}: expected a schema`)
  assert.equal(TYPE_NAMES[actual.type] ?? actual.type.toLowerCase(), expected.type, `${path}: type`)
  assert.equal(actual.isOptional, expected.optional ?? false, `${path}: optional`)
  assert.equal(actual.name, expected.name ?? null, `${path}: name`)
  assert.equal(actual.version, expected.version ?? null, `${path}: version`)
  assert.equal(actual.doc, expected.doc ?? null, `${path}: doc`)
  if (expected.parameters === undefined) assert.equal(actual.parameters, null, `${path}: parameters`)
  else
    assert.deepEqual(
      Object.entries(actual.parameters ?? {}),
      Object.entries(expected.parameters),
      `${path}: parameters`,
    )
  if (expected.default === undefined) assert.equal(actual.defaultValue, null, `${path}: default`)
  else assertValue(actual.defaultValue, expected.default, `${path}.default`)
  switch (expected.type) {
    case 'array':
      assertSchema(actual.valueSchema(), expected.items, `${path}.items`)
      break
    case 'map':
      assertSchema(actual.keySchema(), expected.keys, `${path}.keys`)
      assertSchema(actual.valueSchema(), expected.values, `${path}.values`)
      break
    case 'struct': {
      const fields = actual.fields()
      assert.deepEqual(
        fields.map((f) => f.name),
        (expected.fields ?? []).map((f) => f.field),
        `${path}: field names`,
      )
      for (let i = 0; i < fields.length; i++) {
        assertSchema(fields[i]!.schema, expected.fields![i], `${path}.${fields[i]!.name}`)
      }
      break
    }
  }
}

/**
 * A pattern for a Java exception message: where Java names a Java class (`Invalid type for INT32: class
 * java.lang.String`), Ferry names the JS type, so any text matches there.
 */
export function messagePattern(message: string): RegExp {
  const parts = message.split(/(?:class )+[\w.$[;]+/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(`^${parts.join('.+?')}$`, 's')
}

export function assertJavaError(error: unknown, expected: JavaError): true {
  assert.ok(error instanceof Error, 'an Error')
  assert.equal(error.name, expected.class, `error class for: ${error.message}`)
  assert.match(error.message, messagePattern(expected.message), `Apache's message: ${expected.message}`)
  return true
}
