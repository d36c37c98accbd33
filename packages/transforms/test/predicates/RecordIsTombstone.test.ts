import assert from 'node:assert/strict'
import test from 'node:test'
import { predicateConformance, sampleRecords } from '@ferry/testing'
import { RecordIsTombstone } from '../../src/predicates/RecordIsTombstone.ts'
import { vectorSuite } from '../helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.predicates.RecordIsTombstone')

test('RecordIsTombstone conforms to the predicate contract', async (t) => {
  await predicateConformance(t, () => new RecordIsTombstone(), {})
})

test('RecordIsTombstone is true exactly for null values', () => {
  const p = new RecordIsTombstone()
  p.configure({})
  assert.deepEqual(
    sampleRecords().map((r) => p.test(r)),
    sampleRecords().map((r) => r.value == null),
  )
})
