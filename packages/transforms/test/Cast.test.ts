import assert from 'node:assert/strict'
import test from 'node:test'
import { ConfigException, DataException, Schema, SchemaBuilder, SinkRecord, Struct } from '@ferry/api'
import { runTransform, transformConformance } from '@ferry/testing'
import { CastKey, CastValue } from '../src/Cast.ts'
import { vectorSuite } from './helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.Cast')

function record(value: unknown, valueSchema: Schema | null = null): SinkRecord {
  return new SinkRecord('t', 0, null, null, valueSchema, value, 0)
}

test('Cast$Value conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new CastValue(), { spec: 'id:string,score:int32' }, { nullValues: 'pass' })
})

test('Cast$Key conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new CastKey(), { spec: 'id:float64' }, { side: 'key', nullValues: 'pass' })
})

test('Cast keeps a schemaless plain object a plain object and a Map a Map', () => {
  const [fromObject, fromMap] = runTransform(new CastValue(), { spec: 'a:string' }, [
    record({ a: 1, b: 2 }),
    record(new Map([['a', 1]])),
  ])
  assert.deepEqual(fromObject!.value, { a: '1', b: 2 })
  assert.deepEqual(fromMap!.value, new Map([['a', '1']]))
})

test('Cast treats a schemaless safe integer as a Long and any other number as a Double', () => {
  const outputs = runTransform(new CastValue(), { spec: 'string' }, [
    record(5),
    record(2.5),
    record(2 ** 60),
    record(2n ** 60n),
  ])
  assert.deepEqual(
    outputs.map((r) => r!.value),
    ['5', '2.5', '1.152921504606847E18', '1152921504606846976'],
  )
})

test('Cast of an INT64 beyond the safe range to int64 keeps the exact bigint', () => {
  const [out] = runTransform(new CastValue(), { spec: 'int64' }, [record('9223372036854775807', Schema.STRING_SCHEMA)])
  assert.equal(out!.value, 9223372036854775807n)
})

test('Cast of a float32 rounds to single precision and prints like Java', () => {
  const [f32, str] = runTransform(new CastValue(), { spec: 'a:float32,b:string' }, [
    record(
      new Struct(SchemaBuilder.struct().field('a', Schema.FLOAT64_SCHEMA).field('b', Schema.FLOAT32_SCHEMA).build())
        .put('a', 0.1)
        .put('b', Math.fround(0.1)),
      SchemaBuilder.struct().field('a', Schema.FLOAT64_SCHEMA).field('b', Schema.FLOAT32_SCHEMA).build(),
    ),
    record(null),
  ])
  const value = f32!.value as Struct
  assert.equal(value.get('a'), Math.fround(0.1))
  assert.equal(value.get('b'), '0.1')
  assert.equal(str!.value, null)
})

test('Cast rejects a spec that casts to bytes, with the key and the reason', () => {
  assert.throws(
    () => new CastValue().configure({ spec: 'a:bytes' }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigException)
      assert.match(e.message, /does not support casting to BYTES/)
      return true
    },
  )
})

test('Cast of a string that is not a number is a DataException naming the value', () => {
  assert.throws(
    () => runTransform(new CastValue(), { spec: 'int32' }, [record('x1', Schema.STRING_SCHEMA)]),
    (e: unknown) => e instanceof DataException && e.message === 'Value (x1) was out of range for requested data type',
  )
})
