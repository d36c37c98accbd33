import assert from 'node:assert/strict'
import test from 'node:test'
import { predicateConformance, sampleRecords } from '@ferry/testing'
import { HasHeaderKey } from '../../src/predicates/HasHeaderKey.ts'
import { vectorSuite } from '../helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.predicates.HasHeaderKey')

test('HasHeaderKey conforms to the predicate contract', async (t) => {
  await predicateConformance(t, () => new HasHeaderKey(), { name: 'trace' })
})

test('HasHeaderKey is true when a header has the name', () => {
  const p = new HasHeaderKey()
  p.configure({ name: 'attempt' })
  assert.ok(sampleRecords().every((r) => p.test(r)))
  p.configure({ name: 'nope' })
  assert.ok(sampleRecords().every((r) => !p.test(r)))
  assert.equal(String(p), "HasHeaderKey{name='nope'}")
})
