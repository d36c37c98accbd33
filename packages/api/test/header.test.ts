import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BigDecimal } from '../src/data/big-decimal.ts'
import { ConnectDate, Decimal, Time, Timestamp } from '../src/data/logical.ts'
import { Schema, SchemaAndValue, schemaEquals } from '../src/data/schema.ts'
import { SchemaBuilder } from '../src/data/schema-builder.ts'
import { Struct } from '../src/data/struct.ts'
import { DataException } from '../src/errors.ts'
import { ConnectHeader, type Header, Headers } from '../src/header.ts'

const keys = (headers: Headers): string[] => [...headers].map((h) => h.key)

test('new headers are empty and adding keeps insertion order with duplicates', () => {
  const headers = new Headers()
  assert.equal(headers.size, 0)
  assert.ok(headers.isEmpty())
  assert.deepEqual([...headers], [])
  headers.addString('a', 'x').addInt('b', 1).addString('a', 'y')
  assert.equal(headers.size, 3)
  assert.deepEqual(keys(headers), ['a', 'b', 'a'])
  assert.equal(headers.lastWithName('a')?.value, 'y')
  assert.deepEqual(
    headers.allWithName('a').map((h) => h.value),
    ['x', 'y'],
  )
  assert.equal(headers.lastWithName('none'), null)
  assert.deepEqual(headers.allWithName('none'), [])
})

test('typed adds pick the standard schemas', () => {
  const headers = new Headers()
    .addString('s', 'v')
    .addString('n', null)
    .addBytes('by', new Uint8Array([1]))
    .addBoolean('b', true)
    .addByte('i8', 1)
    .addShort('i16', 2)
    .addInt('i32', 3)
    .addLong('i64', 4n)
    .addFloat('f32', 1.5)
    .addDouble('f64', 2.5)
  const schemaOf = (k: string) => headers.lastWithName(k)!.schema
  assert.equal(schemaOf('s'), Schema.STRING_SCHEMA)
  assert.equal(schemaOf('n'), Schema.OPTIONAL_STRING_SCHEMA)
  assert.equal(schemaOf('by'), Schema.BYTES_SCHEMA)
  assert.equal(schemaOf('b'), Schema.BOOLEAN_SCHEMA)
  assert.equal(schemaOf('i8'), Schema.INT8_SCHEMA)
  assert.equal(schemaOf('i16'), Schema.INT16_SCHEMA)
  assert.equal(schemaOf('i32'), Schema.INT32_SCHEMA)
  assert.equal(schemaOf('i64'), Schema.INT64_SCHEMA)
  assert.equal(schemaOf('f32'), Schema.FLOAT32_SCHEMA)
  assert.equal(schemaOf('f64'), Schema.FLOAT64_SCHEMA)
})

test('logical and composite adds validate their values', () => {
  const headers = new Headers()
  headers.addDecimal('d', BigDecimal.fromString('1.25'))
  assert.ok(schemaEquals(headers.lastWithName('d')!.schema, Decimal.schema(2)))
  headers.addDate('date', new Date(Date.UTC(2020, 0, 1)))
  assert.equal(headers.lastWithName('date')!.schema, ConnectDate.SCHEMA)
  assert.throws(() => headers.addDate('date', new Date(Date.UTC(2020, 0, 1, 1))), DataException)
  headers.addTime('t', new Date(1000))
  assert.equal(headers.lastWithName('t')!.schema, Time.SCHEMA)
  headers.addTimestamp('ts', new Date())
  assert.equal(headers.lastWithName('ts')!.schema, Timestamp.SCHEMA)
  const listSchema = SchemaBuilder.array(Schema.INT32_SCHEMA).build()
  headers.addList('l', [1, 2], listSchema)
  assert.throws(() => headers.addList('l', [1], Schema.INT32_SCHEMA), {
    message: 'Expecting ARRAY but instead found INT32',
  })
  headers.addList('nl', null, listSchema)
  assert.equal(headers.lastWithName('nl')!.schema, null)
  const struct = new Struct(SchemaBuilder.struct().field('a', Schema.INT32_SCHEMA).build()).put('a', 1)
  headers.addStruct('st', struct)
  assert.equal(headers.lastWithName('st')!.schema, struct.schema)
})

test('add checks that the value fits the schema', () => {
  const headers = new Headers()
  headers.add('a', 1, Schema.INT32_SCHEMA)
  headers.add('b', 'schemaless')
  headers.add('c', new SchemaAndValue(Schema.STRING_SCHEMA, 'x'))
  assert.equal(headers.lastWithName('c')!.schema, Schema.STRING_SCHEMA)
  assert.equal(headers.lastWithName('c')!.value, 'x')
  assert.throws(() => headers.add('d', 'x', Schema.INT32_SCHEMA), {
    name: 'DataException',
    message: 'The value x is not compatible with the schema Schema{INT32}',
  })
  assert.throws(() => headers.add('e', null, Schema.INT32_SCHEMA), {
    message: 'A null value requires an optional schema but was Schema{INT32}',
  })
  headers.add('f', null, Schema.OPTIONAL_INT32_SCHEMA)
  headers.add('g', new Date(0), Timestamp.SCHEMA)
  assert.equal(headers.size, 5)
})

test('a struct header without a schema takes the struct schema', () => {
  const struct = new Struct(SchemaBuilder.struct().build())
  const header = new ConnectHeader('k', null, struct)
  assert.equal(header.schema, struct.schema)
})

test('remove, retainLatest and clear drop headers', () => {
  const make = () => new Headers().addInt('a', 1).addInt('b', 2).addInt('a', 3).addInt('c', 4).addInt('b', 5)
  assert.deepEqual(keys(make().remove('a')), ['b', 'c', 'b'])
  const latest = make().retainLatest()
  assert.deepEqual(
    [...latest].map((h) => `${h.key}=${h.value}`),
    ['a=3', 'c=4', 'b=5'],
  )
  const latestA = make().retainLatest('a')
  assert.deepEqual(
    [...latestA].map((h) => `${h.key}=${h.value}`),
    ['b=2', 'a=3', 'c=4', 'b=5'],
  )
  const cleared = make().clear()
  assert.equal(cleared.size, 0)
  assert.equal(new Headers().remove('a').retainLatest().size, 0)
})

test('apply replaces or removes headers, for all keys or one', () => {
  const headers = new Headers().addInt('a', 1).addInt('b', 2).addInt('a', 3)
  headers.apply('a', (h) => (h.value === 1 ? null : (h as ConnectHeader).with(Schema.INT32_SCHEMA, 30)))
  assert.deepEqual(
    [...headers].map((h) => `${h.key}=${h.value}`),
    ['b=2', 'a=30'],
  )
  headers.apply((h: Header) => (h as ConnectHeader).rename(`x-${h.key}`))
  assert.deepEqual(keys(headers), ['x-b', 'x-a'])
})

test('duplicate gives an independent copy that compares equal', () => {
  const original = new Headers().addString('a', 'x')
  const copy = original.duplicate()
  assert.ok(copy.equals(original))
  copy.addString('b', 'y')
  assert.equal(original.size, 1)
  assert.equal(copy.size, 2)
  assert.ok(!copy.equals(original))
  assert.ok(new Headers().equals(new Headers()))
  const fromIterable = new Headers([new ConnectHeader('k', null, 'v')])
  assert.equal(fromIterable.lastWithName('k')?.value, 'v')
})

test('headers render like Apache', () => {
  const headers = new Headers().addString('a', 'x')
  assert.equal(String(headers), 'ConnectHeaders(headers=[ConnectHeader(key=a, value=x, schema=Schema{STRING})])')
  assert.equal(String(new Headers()), 'ConnectHeaders(headers=)')
})
