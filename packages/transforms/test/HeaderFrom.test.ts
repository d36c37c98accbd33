import assert from 'node:assert/strict'
import test from 'node:test'
import { SinkRecord } from '@ferry/api'
import { runTransform, SAMPLE_SCHEMA, sampleRecords, transformConformance } from '@ferry/testing'
import { HeaderFromKey, HeaderFromValue } from '../src/HeaderFrom.ts'
import { vectorSuite } from './helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.HeaderFrom')

const withValues = () => sampleRecords().filter((r) => r.value != null && typeof r.value !== 'string')

test('HeaderFrom$Value conforms to the transform contract', async (t) => {
  for (const operation of ['copy', 'move']) {
    await t.test(operation, async (t) => {
      await transformConformance(
        t,
        () => new HeaderFromValue(),
        { fields: 'id,name', headers: 'h_id,h_name', operation },
        {
          records: withValues(),
          changesHeaders: true,
        },
      )
    })
  }
})

test('HeaderFrom$Key conforms to the transform contract', async (t) => {
  const keyed = sampleRecords().filter((r) => r.keySchema === SAMPLE_SCHEMA)
  await transformConformance(
    t,
    () => new HeaderFromKey(),
    { fields: 'id', headers: 'h', operation: 'move' },
    {
      records: keyed,
      changesHeaders: true,
    },
  )
})

test('HeaderFrom moves a field of a plain object into a header with no schema', () => {
  const [out] = runTransform(new HeaderFromValue(), { fields: 'a', headers: 'ha', operation: 'move' }, [
    new SinkRecord('t', 0, null, null, null, { a: 1, b: 2 }, 0),
  ])
  assert.deepEqual(out!.value, { b: 2 })
  const header = out!.headers.lastWithName('ha')!
  assert.equal(header.value, 1)
  assert.equal(header.schema, null)
})
