import assert from 'node:assert/strict'
import test from 'node:test'
import { ConfigException, SinkRecord } from '@ferry/api'
import { predicateConformance } from '@ferry/testing'
import { TopicNameMatches } from '../../src/predicates/TopicNameMatches.ts'
import { vectorSuite } from '../helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.predicates.TopicNameMatches')

test('TopicNameMatches conforms to the predicate contract', async (t) => {
  await predicateConformance(t, () => new TopicNameMatches(), { pattern: 'sample-.*' })
})

test('TopicNameMatches needs the Java regex to match the whole topic', () => {
  const p = new TopicNameMatches()
  p.configure({ pattern: 'a.c' })
  const topics = ['abc', 'abcd', 'xabc', 'a\nc']
  assert.deepEqual(
    topics.map((t) => p.test(new SinkRecord(t, 0, null, null, null, null, 0))),
    [true, false, false, false],
  )
})

test('TopicNameMatches rejects an invalid regex with Java description', () => {
  assert.throws(
    () => new TopicNameMatches().configure({ pattern: '(' }),
    (e: unknown) =>
      e instanceof ConfigException &&
      e.message === 'Invalid value ( for configuration pattern: Invalid regex: Unclosed group near index 1\n(',
  )
})
