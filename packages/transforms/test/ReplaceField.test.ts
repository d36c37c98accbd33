import assert from 'node:assert/strict'
import test from 'node:test'
import { SinkRecord } from '@ferry/api'
import { runTransform, sampleRecords, transformConformance } from '@ferry/testing'
import { ReplaceFieldKey, ReplaceFieldValue } from '../src/ReplaceField.ts'
import { vectorSuite } from './helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.ReplaceField')

test('ReplaceField$Value conforms to the transform contract', async (t) => {
  await transformConformance(
    t,
    () => new ReplaceFieldValue(),
    { exclude: 'score', renames: 'name:full_name' },
    {
      records: sampleRecords().filter((r) => typeof r.value !== 'string'),
      nullValues: 'pass',
    },
  )
})

test('ReplaceField$Key conforms to the transform contract', async (t) => {
  await transformConformance(
    t,
    () => new ReplaceFieldKey(),
    { include: 'id' },
    {
      side: 'key',
      records: sampleRecords().filter((r) => typeof r.key !== 'string'),
      nullValues: 'pass',
    },
  )
})

test('ReplaceField filters and renames the keys of a plain object', () => {
  const [out] = runTransform(new ReplaceFieldValue(), { exclude: 'b', renames: 'a:x' }, [
    new SinkRecord('t', 0, null, null, null, { a: 1, b: 2, c: 3 }, 0),
  ])
  assert.deepEqual(out!.value, { x: 1, c: 3 })
})
