/**
 * Rebuilds the neutral inputs of test/fixtures/json-converter/vectors.json (see Generate.java for the formats) with
 * Ferry's data model, and compares Ferry values with what Apache read back.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { BigDecimal, type Schema, Struct } from '@ferry/api'
import { int64, type NeutralSchema, type Tagged } from '@ferry/testing'

export { buildSchema, buildValue, type NeutralSchema, type Tagged } from '@ferry/testing'

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
