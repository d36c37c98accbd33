/**
 * Runs the cases of test/fixtures/vectors.json (what Apache's own classes did) through Ferry's transforms and
 * predicates, and compares: the output record (topic, partition, schemas, key, value, timestamp, headers), a dropped
 * record, or the error (class and message); and each class's ConfigDef.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import test from 'node:test'
import {
  type ConfigDef,
  ConfigException,
  type ConnectRecord,
  DataException,
  type Predicate,
  type Transformation,
} from '@ferry/api'
import { plugins } from '../../src/index.ts'
import {
  buildRecord,
  canonicalRecord,
  describeRecord,
  type MapMode,
  type NeutralRecord,
  objectsPossible,
} from './neutral.ts'

export interface JavaError {
  class: string
  message: string
  cause?: string
}
export interface VectorCase {
  name: string
  class: string
  config: Record<string, string | null>
  records: NeutralRecord[]
  ferryRejects?: string
  configureError?: JavaError
  results?: { record?: NeutralRecord; dropped?: true; test?: boolean; error?: JavaError }[]
}
export interface ConfigKeyVector {
  name: string
  type: string
  default: string | null
  required: boolean
  importance: string
  documentation: string
  validator: string | null
}
export interface Vectors {
  _generated: string
  kafkaVersion: string
  transforms: VectorCase[]
  predicates: VectorCase[]
  configDefs: { class: string; keys: ConfigKeyVector[] }[]
}

let cached: Vectors | null = null

export function loadVectors(): Vectors {
  cached ??= JSON.parse(readFileSync(new URL('../fixtures/vectors.json', import.meta.url), 'utf8')) as Vectors
  return cached
}

function create(className: string): Transformation<ConnectRecord> | Predicate<ConnectRecord> {
  const plugin = plugins.find((p) => p.className === className)
  if (plugin === undefined) throw new Error(`no Ferry plugin ${className}`)
  return plugin.create()
}

/**
 * Messages that differ only in a detail Ferry cannot have: Apache's inputs here are `LinkedHashMap`s (a schemaless
 * Ferry map is reported as `java.util.HashMap`), and `Object.toString()` hashes.
 */
export function normalizeMessage(message: string): string {
  return message.replaceAll('java.util.LinkedHashMap', 'java.util.HashMap').replace(/@[0-9a-f]+\b/g, '@<hash>')
}

/** Whether a tagged value holds a Java Date that a JS Date cannot represent (beyond ±8.64e15 ms). */
function beyondJsDates(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(beyondJsDates)
  if (typeof value !== 'object' || value === null) return false
  for (const [k, x] of Object.entries(value)) {
    if (k === 'instant' && Math.abs(Number(x)) > 8.64e15) return true
    if (beyondJsDates(x)) return true
  }
  return false
}

function errorOf(e: unknown): JavaError {
  if (!(e instanceof Error)) throw e
  return { class: e.name, message: e.message }
}

function assertSameError(actual: unknown, expected: JavaError, context: string): void {
  const got = errorOf(actual)
  assert.deepEqual(
    { class: got.class, message: normalizeMessage(got.message) },
    { class: expected.class, message: normalizeMessage(expected.message) },
    `${context}: a different error than Apache's`,
  )
}

/** Snapshot of a record, to check that a transform did not mutate its input. */
function snapshot(r: ConnectRecord): string {
  return JSON.stringify(canonicalRecord(describeRecord(r)))
}

function modes(c: VectorCase): MapMode[] {
  const possible = c.records.every(
    (r) =>
      objectsPossible(r.key ?? null) &&
      objectsPossible(r.value ?? null) &&
      (r.headers ?? []).every((h) => objectsPossible(h.value)),
  )
  return possible ? ['map', 'object'] : ['map']
}

function runCase(c: VectorCase, predicate: boolean): void {
  for (const mode of modes(c)) {
    const plugin = create(c.class)
    const configs: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(c.config)) if (v !== null) configs[k] = v
    if (c.ferryRejects !== undefined) {
      assert.throws(
        () => plugin.configure(configs),
        (e: unknown) => e instanceof ConfigException && Object.keys(configs).some((k) => e.message.includes(k)),
        `${c.name}: Ferry should reject this config (${c.ferryRejects}) with a ConfigException naming the key`,
      )
      continue
    }
    if (c.configureError !== undefined) {
      assert.throws(
        () => plugin.configure(configs),
        (e: unknown) => {
          assertSameError(e, c.configureError!, `${c.name}: configure`)
          return true
        },
      )
      continue
    }
    plugin.configure(configs)
    c.records.forEach((input, i) => {
      const expected = c.results![i]!
      const context = `${c.name} (${mode}s) record #${i}`
      const record = buildRecord(input, mode)
      const before = snapshot(record)
      let actual: ConnectRecord | boolean | null
      try {
        actual = predicate
          ? (plugin as Predicate<ConnectRecord>).test(record)
          : (plugin as Transformation<ConnectRecord>).apply(record)
      } catch (e) {
        if (expected.record !== undefined && beyondJsDates(expected.record)) {
          // Documented: Ferry refuses to produce a Date it cannot represent.
          assert.ok(
            e instanceof DataException && e.message.includes('outside the range of a JavaScript Date'),
            `${context}: expected Ferry's DataException for a Date beyond the JS range, got ${String(e)}`,
          )
          return
        }
        if (expected.error === undefined) {
          throw new Error(`${context}: Ferry threw ${String(e)} where Apache returned ${JSON.stringify(expected)}`, {
            cause: e,
          })
        }
        assertSameError(e, expected.error, context)
        assert.equal(snapshot(record), before, `${context}: the input record was mutated`)
        return
      }
      assert.equal(expected.error, undefined, `${context}: Apache threw ${JSON.stringify(expected.error)}`)
      assert.equal(snapshot(record), before, `${context}: the input record was mutated`)
      if (predicate) {
        assert.equal(actual, expected.test, context)
      } else if (expected.dropped) {
        assert.equal(actual, null, `${context}: Apache dropped the record`)
      } else {
        assert.ok(actual !== null && typeof actual === 'object', `${context}: Ferry dropped the record`)
        assert.deepEqual(
          canonicalRecord(describeRecord(actual as ConnectRecord)),
          canonicalRecord(expected.record!),
          `${context}: a different record than Apache's`,
        )
      }
    })
    plugin.close()
  }
}

function describeKeys(def: ConfigDef): ConfigKeyVector[] {
  return [...def.configKeys().values()].map((k) => ({
    name: k.name,
    type: k.type,
    default: !k.hasDefault() ? null : k.defaultValue === null ? 'null' : String(convert(k.defaultValue, k.type)),
    required: !k.hasDefault(),
    importance: k.importance,
    documentation: k.documentation ?? '',
    validator: k.validator === null ? null : String(k.validator),
  }))
}

function convert(value: unknown, type: string): string {
  if (type === 'LIST') return (value as unknown[]).join(',')
  return String(value)
}

/**
 * Registers one test per vector case of the classes whose name starts with `prefix` (e.g. `...Cast`), plus a test of
 * their ConfigDefs.
 */
export function vectorSuite(prefix: string): void {
  const vectors = loadVectors()
  const transforms = vectors.transforms.filter((c) => c.class.startsWith(prefix))
  const predicates = vectors.predicates.filter((c) => c.class.startsWith(prefix))
  assert.ok(transforms.length + predicates.length > 0, `no vectors for ${prefix}`)
  for (const c of transforms) test(`${c.name} as Apache does`, () => runCase(c, false))
  for (const c of predicates) test(`${c.name} as Apache does`, () => runCase(c, true))
  const defs = vectors.configDefs.filter(
    (d) => d.class === prefix || d.class.startsWith(`${prefix}$`) || prefix.endsWith('.'),
  )
  assert.ok(defs.length > 0, `no ConfigDef vectors for ${prefix}`)
  for (const d of defs) {
    test(`${d.class} defines Apache's config keys, defaults, docs and validators`, () => {
      const plugin = create(d.class)
      assert.deepEqual(describeKeys(plugin.config()), d.keys)
    })
  }
}
