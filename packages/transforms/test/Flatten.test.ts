import assert from 'node:assert/strict'
import test from 'node:test'
import { DataException, SinkRecord } from '@ferry/api'
import { runTransform, transformConformance } from '@ferry/testing'
import { FlattenKey, FlattenValue } from '../src/Flatten.ts'
import { vectorSuite } from './helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.Flatten')

test('Flatten$Value conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new FlattenValue(), {}, { nullValues: 'pass' })
})

test('Flatten$Key conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new FlattenKey(), { delimiter: '_' }, { side: 'key', nullValues: 'pass' })
})

test('Flatten flattens nested plain objects into a plain object and nested Maps into a Map', () => {
  const [fromObject, fromMap] = runTransform(new FlattenValue(), { delimiter: '_' }, [
    new SinkRecord('t', 0, null, null, null, { a: { b: { c: 1 } }, d: [{ e: 2 }] }, 0),
    new SinkRecord('t', 0, null, null, null, new Map<string, unknown>([['a', { b: 1 }]]), 0),
  ])
  assert.deepEqual(fromObject!.value, { a_b_c: 1, d: [{ e: 2 }] })
  assert.deepEqual(fromMap!.value, new Map([['a_b', 1]]))
})

test('Flatten rejects a schemaless Date, which has no Connect type without a schema', () => {
  assert.throws(
    () => runTransform(new FlattenValue(), {}, [new SinkRecord('t', 0, null, null, null, { d: new Date(0) }, 0)]),
    (e: unknown) =>
      e instanceof DataException &&
      e.message ===
        "Flatten transformation was passed a value of type class java.util.Date which is not supported by Connect's data API",
  )
})
