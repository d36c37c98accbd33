import assert from 'node:assert/strict'
import test from 'node:test'
import { ConfigException, SinkRecord } from '@ferry/api'
import { runTransform, transformConformance } from '@ferry/testing'
import { RegexRouter } from '../src/RegexRouter.ts'
import { vectorSuite } from './helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.RegexRouter')

test('RegexRouter conforms to the transform contract', async (t) => {
  await transformConformance(
    t,
    () => new RegexRouter(),
    { regex: 'sample-(.*)', replacement: 'routed-$1' },
    {
      nullValues: 'pass',
    },
  )
})

test('RegexRouter rewrites the topic only when the regex matches all of it', () => {
  const topics = ['orders-2024', 'orders-2024-x', 'xorders-1']
  const outputs = runTransform(
    new RegexRouter(),
    { regex: 'orders-(\\d+)', replacement: 'y$1' },
    topics.map((t) => new SinkRecord(t, 0, null, null, null, null, 0)),
  )
  assert.deepEqual(
    outputs.map((r) => r!.topic),
    ['y2024', 'orders-2024-x', 'xorders-1'],
  )
})

test('RegexRouter routes each topic as its own, record after record and past the topics it remembers', () => {
  // 2,500 topics, more than the routes it keeps, each seen twice and in between others.
  const topics = Array.from({ length: 2500 }, (_, i) => (i % 3 === 0 ? `skip-${i}` : `orders-${i}`))
  const outputs = runTransform(
    new RegexRouter(),
    { regex: 'orders-(\\d+)', replacement: 'y$1' },
    [...topics, ...topics.toReversed()].map((t) => new SinkRecord(t, 0, null, null, null, null, 0)),
  )
  const expected = topics.map((t) => (t.startsWith('orders-') ? `y${t.slice(7)}` : t))
  assert.deepEqual(
    outputs.map((r) => r!.topic),
    [...expected, ...expected.toReversed()],
  )
})

test('RegexRouter refuses a Java regex it cannot run with Java semantics, naming the key', () => {
  assert.throws(
    () => new RegexRouter().configure({ regex: '(?>a)b', replacement: 'x' }),
    (e: unknown) =>
      e instanceof ConfigException && e.message.startsWith('Invalid value (?>a)b for configuration regex: '),
  )
})
