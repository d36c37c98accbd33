import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  BigDecimal,
  ConfigException,
  DataException,
  Decimal,
  type Schema,
  SchemaBuilder,
  Struct,
  Timestamp,
  valueEquals,
} from '@ferry/api'
import { ProtobufConverter } from '../../src/protobuf/protobuf-converter.ts'
import { FakeRegistry, settled } from '../schema-registry/fake-registry.ts'

function converter(registry: FakeRegistry, config: Record<string, unknown> = {}, isKey = false): ProtobufConverter {
  const c = new ProtobufConverter(registry)
  c.configure({ 'schema.registry.url': 'http://registry.invalid', ...config }, isKey)
  return c
}

const ORDER = SchemaBuilder.struct()
  .name('shop.Order')
  .field('id', SchemaBuilder.int64().build())
  .field('amount', Decimal.builder(2).optional().build())
  .field('at', Timestamp.builder().optional().build())
  .field('tags', SchemaBuilder.array(SchemaBuilder.string().build()).optional().build())
  .build()

function order(id: number): Struct {
  return new Struct(ORDER)
    .put('id', id)
    .put('amount', new BigDecimal(1999n, 2))
    .put('at', new Date(1_700_000_000_123))
    .put('tags', ['a'])
}

test('a struct is written in Confluent framing (magic byte, id, message index 0) and read back', async () => {
  const registry = new FakeRegistry()
  const c = converter(registry)
  const bytes = await settled(() => c.fromConnectData('orders', null, ORDER, order(7)))
  assert.deepEqual([...bytes!.subarray(0, 6)], [0, 0, 0, 0, 1, 0])
  assert.equal(registry.schemas[0]?.schemaType, 'PROTOBUF')
  assert.match(registry.schemas[0]?.schema ?? '', /message Order \{/)
  assert.deepEqual(registry.calls, ['register orders-value'])
  const back = await settled(() => c.toConnectData('orders', null, bytes))
  const s = back.value as Struct
  assert.equal(back.schema?.name, 'Order')
  assert.equal(back.schema?.version, 1)
  assert.equal(s.get('id'), 7)
  assert.ok((s.get('amount') as BigDecimal).equals(new BigDecimal(1999n, 2)))
  assert.equal((s.get('at') as Date).getTime(), 1_700_000_000_123)
  assert.deepEqual(s.get('tags'), ['a'])
})

test('the registry is asked once per schema, not per record', async () => {
  const registry = new FakeRegistry()
  const c = converter(registry)
  const reader = converter(registry)
  for (let i = 0; i < 50; i++) {
    const bytes = await settled(() => c.fromConnectData('orders', null, ORDER, order(i)))
    const back = await settled(() => reader.toConnectData('orders', null, bytes))
    assert.equal((back.value as Struct).get('id'), i)
  }
  assert.deepEqual(registry.calls, ['register orders-value', 'getSchemaById 1', 'getVersion orders-value'])
})

test('a primitive is written as its wrapper message (message index 4 of wrappers.proto for INT32)', async () => {
  const registry = new FakeRegistry()
  const c = converter(registry, {}, true)
  const bytes = await settled(() => c.fromConnectData('t', null, SchemaBuilder.int32().build(), 42))
  assert.deepEqual([...bytes!.subarray(5, 7)], [2, 8], 'indexes [4]: count 1, index 4, zig-zag encoded')
  assert.equal(registry.calls[0], 'register t-key')
  const back = await settled(() => c.toConnectData('t', null, bytes))
  assert.equal(back.schema?.type, 'INT32')
  assert.equal(back.value, 42)
})

test('null is a tombstone both ways', async () => {
  const c = converter(new FakeRegistry())
  assert.equal(await settled(() => c.fromConnectData('t', null, ORDER, null)), null)
  const back = c.toConnectData('t', null, null)
  assert.equal(back.value, null)
})

test('schemaless values are refused: Protobuf needs a Connect schema', async () => {
  const c = converter(new FakeRegistry())
  await assert.rejects(
    settled(() => c.fromConnectData('t', null, null, new Map([['a', 1]]))),
    (e: unknown) => e instanceof DataException && /needs a Connect schema/.test(e.message),
  )
})

test('the ProtobufDataConfig keys change the mapping: optional.for.nullables', async () => {
  const registry = new FakeRegistry()
  const c = converter(registry, { 'optional.for.nullables': 'true' })
  const schema: Schema = SchemaBuilder.struct().name('N').field('a', SchemaBuilder.int32().optional().build()).build()
  const bytes = await settled(() => c.fromConnectData('t', null, schema, new Struct(schema)))
  assert.match(registry.schemas[0]?.schema ?? '', /optional int32 a = 1;/)
  const back = await settled(() => c.toConnectData('t', null, bytes))
  assert.equal((back.value as Struct).get('a'), null)
  assert.ok(valueEquals((back.value as Struct).get('a'), null))
})

test('Confluent keys Ferry does not implement are refused at start, naming them', () => {
  for (const [key, value] of [
    ['generalized.sum.type.support', 'true'],
    ['reference.lookup.only', 'true'],
    ['specific.protobuf.value.type', 'com.example.Foo'],
  ]) {
    assert.throws(
      () => converter(new FakeRegistry(), { [key as string]: value }),
      (e: unknown) => e instanceof ConfigException && e.message.includes(key as string),
    )
  }
})

test('bytes from a schema with several messages name theirs by message index', async () => {
  const registry = new FakeRegistry()
  registry.schemas.push({
    schema: 'syntax = "proto3";\npackage p;\nmessage A { string a = 1; }\nmessage B { int32 b = 1; }\n',
    schemaType: 'PROTOBUF',
  })
  registry.subjects.set('t-value', [1])
  const c = converter(registry)
  const payload = Buffer.from([0, 0, 0, 0, 1, 2, 2, 8, 5]) // indexes [1] (message B), then b = 5
  const back = await settled(() => c.toConnectData('t', null, payload))
  assert.equal(back.schema?.name, 'B')
  assert.equal((back.value as Struct).get('b'), 5)
})

test('use.latest.version writes with the subject’s latest schema, and latest.compatibility.strict refuses a field it does not have', async () => {
  const registry = new FakeRegistry()
  const full = SchemaBuilder.struct()
    .name('p.V')
    .field('a', SchemaBuilder.string().optional().build())
    .field('b', SchemaBuilder.int32().optional().build())
    .build()
  const first = converter(registry)
  await settled(() => first.fromConnectData('t', null, full, new Struct(full).put('a', 'x')))
  const latest = converter(registry, { 'use.latest.version': true, 'auto.register.schemas': false })
  // Field numbers count: b is 2 in the registry's schema (its Tag parameter says so, as in schemas read from Protobuf).
  const partial = SchemaBuilder.struct()
    .name('p.V')
    .field('b', SchemaBuilder.int32().optional().parameter('io.confluent.connect.protobuf.Tag', '2').build())
    .build()
  const bytes = await settled(() => latest.fromConnectData('t', null, partial, new Struct(partial).put('b', 5)))
  assert.deepEqual([...bytes!.subarray(1, 5)], [0, 0, 0, 1], 'the latest version’s id')
  const back = await settled(() => latest.toConnectData('t', null, bytes))
  assert.equal((back.value as Struct).get('b'), 5)
  const other = SchemaBuilder.struct().name('p.V').field('c', SchemaBuilder.bool().optional().build()).build()
  await assert.rejects(
    settled(() => latest.fromConnectData('t', null, other, new Struct(other).put('c', true))),
    (e: unknown) => e instanceof DataException && /incompatible/.test(e.message) && /field c/.test(e.message),
  )
})
