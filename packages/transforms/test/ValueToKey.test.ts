import assert from 'node:assert/strict'
import test from 'node:test'
import { SinkRecord, type Struct } from '@ferry/api'
import { runTransform, SAMPLE_SCHEMA, sampleRecords, transformConformance } from '@ferry/testing'
import { ValueToKey } from '../src/ValueToKey.ts'
import { vectorSuite } from './helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.ValueToKey')

test('ValueToKey conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new ValueToKey(), { fields: 'id,name' })
})

test('ValueToKey builds a Struct key with the value fields schemas', () => {
  const input = sampleRecords().find((r) => r.valueSchema === SAMPLE_SCHEMA)!
  const [out] = runTransform(new ValueToKey(), { fields: 'id,ts' }, [input])
  const key = out!.key as Struct
  assert.equal(key.get('id'), 7)
  assert.equal(out!.keySchema!.field('ts')!.schema, SAMPLE_SCHEMA.field('ts')!.schema)
})

test('ValueToKey builds a schemaless key of the same map representation as the value', () => {
  const [fromObject, fromMap] = runTransform(new ValueToKey(), { fields: 'a.b', 'field.syntax.version': 'V2' }, [
    new SinkRecord('t', 0, null, null, null, { a: { b: 1 } }, 0),
    new SinkRecord('t', 0, null, null, null, new Map([['a', new Map([['b', 2]])]]), 0),
  ])
  assert.deepEqual(fromObject!.key, { 'a.b': 1 })
  assert.deepEqual(fromMap!.key, new Map([['a.b', 2]]))
})
