import assert from 'node:assert/strict'
import { test } from 'node:test'
import { JsonConverter } from '../../src/json/json-converter.ts'
import { isWrittenForm } from '../../src/json/json-written-form.ts'

function schemaless(): JsonConverter {
  const c = new JsonConverter()
  c.configure({ 'schemas.enable': 'false' }, false)
  return c
}

/** What the converter writes for the value it reads from `text` (the usual path, no deferral). */
function roundTrip(c: JsonConverter, text: string): string | null {
  return c.fromConnectDataText(null, c.toConnectData('t', null, Buffer.from(text)).value)
}

/** A seeded generator (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Number spellings, in and out of the written form. */
const NUMBERS = [
  '0',
  '-0',
  '7',
  '-12',
  '123456789012345',
  '1234567890123456',
  '9007199254740993',
  '00',
  '01',
  '0.5',
  '-0.5',
  '1.5',
  '1.50',
  '1.0',
  '0.001',
  '0.0001',
  '0.0015',
  '9999999.5',
  '10000000.5',
  '12345.678901234',
  '12345.6789012345',
  '0.123456789012345',
  '0.1234567890123456',
  '1e3',
  '1E3',
  '1.5e-7',
  '-1.25',
  '3.14159',
]
/** String bodies, in and out of the written form. */
const STRINGS = [
  '',
  'a',
  'héllo',
  'tab\\there',
  'q\\"uote',
  'emoji😀',
  'line\u2028sep',
  'nbsp\u00a0',
  'slash/',
  '\\u0041',
]
const KEYS = ['id', 'name', 'a', 'b', '1', '42x', '__proto__', 'ünï', 'k\\n', '']

function generate(random: () => number, depth: number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const ws = () => (random() < 0.03 ? pick([' ', '\n', '\t']) : '')
  const r = random()
  if (depth < 4 && r < 0.25) {
    const n = Math.floor(random() * 6)
    const parts: string[] = []
    for (let i = 0; i < n; i++) parts.push(`${ws()}"${pick(KEYS)}"${ws()}:${ws()}${generate(random, depth + 1)}`)
    return `{${parts.join(',')}${ws()}}`
  }
  if (depth < 4 && r < 0.4) {
    const n = Math.floor(random() * 5)
    const parts: string[] = []
    for (let i = 0; i < n; i++) parts.push(`${ws()}${generate(random, depth + 1)}`)
    return `[${parts.join(',')}]`
  }
  if (r < 0.6) return pick(NUMBERS)
  if (r < 0.85) return `"${pick(STRINGS)}"`
  return pick(['true', 'false', 'null'])
}

test('every text the written-form test accepts is written back unchanged by the schemaless JsonConverter (20,000 random documents)', () => {
  const c = schemaless()
  const random = rng(19)
  let accepted = 0
  let refused = 0
  for (let i = 0; i < 20_000; i++) {
    const body = generate(random, 1)
    const text = random() < 0.5 ? `{"v":${body},"n":${i}}` : `[${body}]`
    if (isWrittenForm(text)) {
      accepted++
      assert.equal(roundTrip(c, text), text, `accepted, but written differently: ${text}`)
    } else refused++
  }
  // Both outcomes occur often, so the check above covers the accepting side and the generator is not trivial.
  assert.ok(accepted > 2000, `accepted ${accepted}`)
  assert.ok(refused > 2000, `refused ${refused}`)
})

test('texts the converter would write differently are refused: whitespace, escapes, surrogates, -0, exponents, trailing zeros, long numbers, repeated and integer-like keys', () => {
  const c = schemaless()
  const refused = [
    '{ "a":1}',
    '{"a":1}\n',
    '{"a":"x\\ty"}',
    '{"a":"\\u0041"}',
    '{"a":"😀"}',
    '{"a":-0}',
    '{"a":1e3}',
    '{"a":1.50}',
    '{"a":1.0}',
    '{"a":0.0001}',
    '{"a":10000000.5}',
    '{"a":1234567890123456}',
    '{"a":1,"a":2}',
    '{"1":1,"b":2}',
    '{"a":01}',
    '"text"',
    '12',
    'null',
    '{"a":1}x',
    '{"a":',
    '',
    '[1,]',
    `${'['.repeat(70)}${']'.repeat(70)}`,
  ]
  for (const text of refused) assert.equal(isWrittenForm(text), false, text)
  // Each refused text that the converter reads is written back differently, or is not an object or array at all:
  // refusing it loses nothing.
  for (const text of ['{ "a":1}', '{"a":-0}', '{"a":1e3}', '{"a":1.50}', '{"a":1,"a":2}', '{"b":2,"1":1}']) {
    assert.notEqual(roundTrip(c, text), text, text)
  }
})

test('objects, arrays, strings with any non-surrogate character, numbers in the converter’s own spelling and literals are accepted', () => {
  for (const text of [
    '{}',
    '[]',
    '{"id":5,"customer":"customer-0005","amount":0.05,"paid":false,"note":null}',
    '[1,-2,0.5,-0.001,9999999.5,123456789012345,"héllo\u2028",true,{"__proto__":{"x":[]}}]',
    '{"a":{"a":{"a":1}},"b":[[],{}]}',
  ]) {
    assert.equal(isWrittenForm(text), true, text)
    assert.equal(roundTrip(schemaless(), text), text)
  }
})

test('toDeferredJson hands on a written-form value whose parse() is the value toConnectData reads; with schemas enabled, or for other texts, there is none', () => {
  const c = schemaless()
  const bytes = Buffer.from('{"id":1,"tags":["a","b"],"price":12.5,"nested":{"ok":true}}')
  const deferred = c.toDeferredJson('t', null, bytes)
  assert.ok(deferred)
  assert.equal(deferred.text, bytes.toString())
  assert.deepEqual(deferred.parse(), c.toConnectData('t', null, bytes).value)
  assert.ok(deferred.parse() instanceof Map)
  assert.notEqual(deferred.parse(), deferred.parse(), 'each parse gives a new value')
  assert.equal(c.toDeferredJson('t', null, Buffer.from('{"id": 1}')), undefined)
  assert.equal(c.toDeferredJson('t', null, Buffer.from([0xff, 0x7b, 0x7d])), undefined, 'invalid UTF-8')
  const withSchemas = new JsonConverter()
  withSchemas.configure({ 'schemas.enable': 'true' }, false)
  assert.equal(withSchemas.toDeferredJson('t', null, bytes), undefined)
})
