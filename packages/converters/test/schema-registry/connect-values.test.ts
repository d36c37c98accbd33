import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DataException, Schema, SchemaBuilder } from '@ferry/api'
import { base64, invalid, mapEntries } from '../../src/schema-registry/connect-values.ts'

const MAP = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build()

test('mapEntries reads a Map or a plain object and refuses anything else, naming the schema and the type', () => {
  assert.deepEqual(mapEntries(MAP, new Map([['a', 1]])), [['a', 1]])
  assert.deepEqual(mapEntries(MAP, { a: 1, b: 2 }), [
    ['a', 1],
    ['b', 2],
  ])
  for (const [value, type] of [
    [[1], 'class Array'],
    [Buffer.from('x'), 'class Buffer'],
    ['text', 'string'],
    [null, 'null'],
  ] as const) {
    assert.throws(
      () => mapEntries(MAP, value),
      (e: unknown) => e instanceof DataException && e.message === `Invalid type for MAP: expected a Map, got ${type}`,
    )
  }
  const named = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).name('com.example.Counts').build()
  assert.equal(invalid(named, 1, 'a Map').message, 'Invalid type for com.example.Counts: expected a Map, got number')
})

test('base64 writes the bytes of a view into a larger buffer as padded standard base64', () => {
  const whole = Uint8Array.from([0, 0xfb, 0xff, 0xfe, 0x41, 0])
  assert.equal(base64(whole.subarray(1, 5)), '+//+QQ==')
  assert.equal(base64(new Uint8Array(0)), '')
})
