import assert from 'node:assert/strict'
import test from 'node:test'
import { Schema, SinkRecord, type Struct } from '@ferry/api'
import { runTransform, transformConformance } from '@ferry/testing'
import { HoistFieldKey, HoistFieldValue } from '../src/HoistField.ts'
import { vectorSuite } from './helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.HoistField')

test('HoistField$Value conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new HoistFieldValue(), { field: 'wrapped' })
})

test('HoistField$Key conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new HoistFieldKey(), { field: 'k' })
})

test('HoistField wraps a schemaless value in a new Map and a value with a schema in a Struct', () => {
  const [schemaless, typed] = runTransform(new HoistFieldValue(), { field: 'w' }, [
    new SinkRecord('t', 0, null, null, null, { a: 1 }, 0),
    new SinkRecord('t', 0, null, null, Schema.INT32_SCHEMA, 5, 0),
  ])
  assert.deepEqual(schemaless!.value, new Map([['w', { a: 1 }]]))
  assert.equal((typed!.value as Struct).get('w'), 5)
  assert.equal(typed!.valueSchema!.field('w')!.schema, Schema.INT32_SCHEMA)
})
