// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${topic} and ${timestamp} are Apache's placeholders
import assert from 'node:assert/strict'
import test from 'node:test'
import { ConfigException, SinkRecord } from '@ferry/api'
import { runTransform, sampleRecords, transformConformance } from '@ferry/testing'
import { TimestampRouter } from '../src/TimestampRouter.ts'
import { vectorSuite } from './helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.TimestampRouter')

test('TimestampRouter conforms to the transform contract', async (t) => {
  await transformConformance(
    t,
    () => new TimestampRouter(),
    {},
    { records: sampleRecords().filter((r) => r.timestamp !== null) },
  )
})

test('TimestampRouter formats the record timestamp in UTC into the topic', () => {
  const [out] = runTransform(
    new TimestampRouter(),
    { 'topic.format': 'logs-${timestamp}-${topic}', 'timestamp.format': 'yyyy.MM.dd' },
    [new SinkRecord('app', 0, null, null, null, null, 0, Date.UTC(2024, 1, 29, 23, 59))],
  )
  assert.equal(out!.topic, 'logs-2024.02.29-app')
})

test('TimestampRouter rejects a week-year pattern at configure time', () => {
  assert.throws(() => new TimestampRouter().configure({ 'timestamp.format': 'YYYY' }), ConfigException)
})
