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

test('RegexRouter refuses a Java regex it cannot run with Java semantics, naming the key', () => {
  assert.throws(
    () => new RegexRouter().configure({ regex: '(?>a)b', replacement: 'x' }),
    (e: unknown) =>
      e instanceof ConfigException && e.message.startsWith('Invalid value (?>a)b for configuration regex: '),
  )
})
