import assert from 'node:assert/strict'
import test from 'node:test'
import { DataException, SinkRecord } from '@ferry/api'
import { runTransform, sampleRecords, transformConformance } from '@ferry/testing'
import { MaskFieldKey, MaskFieldValue } from '../src/MaskField.ts'
import { vectorSuite } from './helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.MaskField')

test('MaskField$Value conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new MaskFieldValue(), { fields: 'name,score' })
})

test('MaskField$Key conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new MaskFieldKey(), { fields: 'id', replacement: '0' })
})

test('MaskField rejects a tombstone, as Apache does', () => {
  assert.throws(
    () => runTransform(new MaskFieldValue(), { fields: 'a' }, [new SinkRecord('t', 0, null, null, null, null, 0)]),
    (e: unknown) =>
      e instanceof DataException &&
      e.message === 'Only Map objects supported in absence of schema for [mask fields], found: null',
  )
})

test('MaskField masks schemaless fields by their JS type, in the same map representation', () => {
  const [fromObject, fromMap] = runTransform(new MaskFieldValue(), { fields: 'n,s,b,l,m' }, [
    new SinkRecord('t', 0, null, null, null, { n: 5, s: 'x', b: true, l: [1], m: { a: 1 }, keep: 1 }, 0),
    new SinkRecord('t', 0, null, null, null, new Map<string, unknown>([['n', 2.5]]), 0),
  ])
  assert.deepEqual(fromObject!.value, { n: 0, s: '', b: false, l: [], m: {}, keep: 1 })
  assert.deepEqual(
    fromMap!.value,
    new Map<string, unknown>([
      ['n', 0],
      ['s', null],
      ['b', null],
      ['l', null],
      ['m', null],
    ]),
  )
  assert.equal(sampleRecords().length > 0, true)
})
