import assert from 'node:assert/strict'
import test from 'node:test'
import { ConfigException, DataException, Schema, SinkRecord, Timestamp } from '@ferry/api'
import { runTransform, transformConformance } from '@ferry/testing'
import { TimestampConverterKey, TimestampConverterValue } from '../src/TimestampConverter.ts'
import { vectorSuite } from './helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.TimestampConverter')

test('TimestampConverter$Value conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new TimestampConverterValue(), { field: 'ts', 'target.type': 'unix' })
})

test('TimestampConverter$Key conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new TimestampConverterKey(), {
    field: 'ts',
    'target.type': 'string',
    format: 'yyyy',
  })
})

function record(value: unknown, schema: Schema | null = null): SinkRecord {
  return new SinkRecord('t', 0, null, null, schema, value, 0)
}

test('TimestampConverter converts between every representation with the unix precision', () => {
  const ms = 1_700_000_000_123
  const [unixMicros] = runTransform(
    new TimestampConverterValue(),
    { 'target.type': 'unix', 'unix.precision': 'microseconds' },
    [record(new Date(ms), Timestamp.SCHEMA)],
  )
  assert.equal(unixMicros!.value, 1_700_000_000_123_000)
  const [nanos] = runTransform(
    new TimestampConverterValue(),
    { 'target.type': 'unix', 'unix.precision': 'nanoseconds' },
    [record(new Date(ms))],
  )
  assert.equal(nanos!.value, 1_700_000_000_123_000_000n)
  const [str] = runTransform(
    new TimestampConverterValue(),
    { 'target.type': 'string', format: "yyyy-MM-dd'T'HH:mm:ss.SSSX" },
    [record(ms)],
  )
  assert.equal(str!.value, '2023-11-14T22:13:20.123Z')
})

test('TimestampConverter refuses a Date it cannot represent rather than clamping it', () => {
  assert.throws(
    () =>
      runTransform(new TimestampConverterValue(), { 'target.type': 'Timestamp', 'unix.precision': 'seconds' }, [
        record(10n ** 15n, Schema.INT64_SCHEMA),
      ]),
    (e: unknown) => e instanceof DataException && /outside the range of a JavaScript Date/.test(e.message),
  )
})

test('TimestampConverter rejects a format with a time zone name field, naming the key', () => {
  assert.throws(
    () => new TimestampConverterValue().configure({ 'target.type': 'string', format: 'yyyy z' }),
    (e: unknown) =>
      e instanceof ConfigException && e.message.startsWith('Invalid value yyyy z for configuration format: '),
  )
})
