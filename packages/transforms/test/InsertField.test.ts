import assert from 'node:assert/strict'
import test from 'node:test'
import { DataException, SinkRecord, SourceRecord, type Struct } from '@ferry/api'
import { runTransform, SAMPLE_SCHEMA, sampleRecords, transformConformance } from '@ferry/testing'
import { InsertFieldKey, InsertFieldValue } from '../src/InsertField.ts'
import { vectorSuite } from './helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.InsertField')

const configs = {
  'topic.field': 'topic',
  'partition.field': 'partition',
  'timestamp.field': 'ts_inserted',
  'static.field': 's',
  'static.value': 'v',
}

test('InsertField$Value conforms to the transform contract', async (t) => {
  const records = sampleRecords().filter((r) => typeof r.value !== 'string')
  await transformConformance(t, () => new InsertFieldValue(), configs, { records, nullValues: 'pass' })
})

test('InsertField$Key conforms to the transform contract', async (t) => {
  await transformConformance(
    t,
    () => new InsertFieldKey(),
    { ...configs, 'offset.field': 'offset' },
    {
      records: sampleRecords().filter((r) => r.keySchema === SAMPLE_SCHEMA),
    },
  )
})

test('InsertField inserts the offset of a sink record and rejects a source record', () => {
  const [out] = runTransform(new InsertFieldValue(), { 'offset.field': 'o!' }, [
    new SinkRecord('t', 1, null, null, null, { a: 1 }, 99),
  ])
  assert.deepEqual(out!.value, { a: 1, o: 99 })
  assert.throws(
    () =>
      runTransform(new InsertFieldValue(), { 'offset.field': 'o' }, [
        new SourceRecord(null, null, 't', 0, null, null, null, { a: 1 }),
      ]),
    (e: unknown) =>
      e instanceof DataException &&
      e.message ===
        'Only SinkRecord supported for [field insertion], found: org.apache.kafka.connect.source.SourceRecord',
  )
})

test('InsertField inserts the timestamp as a Timestamp with a schema and as a number without', () => {
  const struct = sampleRecords()[4]!
  const [typed] = runTransform(new InsertFieldValue(), { 'timestamp.field': 'at' }, [struct])
  assert.deepEqual((typed!.value as Struct).get('at'), new Date(struct.timestamp!))
  const [plain] = runTransform(new InsertFieldValue(), { 'timestamp.field': 'at' }, [
    new SinkRecord('t', 0, null, null, null, {}, 0, 5),
  ])
  assert.deepEqual(plain!.value, { at: 5 })
})
