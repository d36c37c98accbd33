import assert from 'node:assert/strict'
import test from 'node:test'
import { runTransform, sampleRecords, transformConformance } from '@ferry/testing'
import { Filter } from '../src/Filter.ts'
import { vectorSuite } from './helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.Filter')

test('Filter conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new Filter(), {}, { nullValues: 'drop' })
})

test('Filter drops every record', () => {
  assert.ok(runTransform(new Filter(), {}, sampleRecords()).every((r) => r === null))
})
