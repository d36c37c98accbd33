import assert from 'node:assert/strict'
import test from 'node:test'
import { Schema, SinkRecord } from '@ferry/api'
import { runTransform, transformConformance } from '@ferry/testing'
import { InsertHeader } from '../src/InsertHeader.ts'
import { vectorSuite } from './helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.InsertHeader')

test('InsertHeader conforms to the transform contract', async (t) => {
  await transformConformance(
    t,
    () => new InsertHeader(),
    { header: 'h', 'value.literal': '42' },
    {
      nullValues: 'pass',
      changesHeaders: true,
    },
  )
})

test('InsertHeader parses the literal like Apache Values.parseString and keeps existing headers', () => {
  const input = new SinkRecord('t', 0, null, null, null, null, 0)
  input.headers.addString('h', 'first')
  const [out] = runTransform(new InsertHeader(), { header: 'h', 'value.literal': '42' }, [input])
  const headers = out!.headers.allWithName('h')
  assert.equal(headers.length, 2)
  assert.equal(headers[1]!.value, 42)
  assert.equal(headers[1]!.schema, Schema.INT8_SCHEMA)
  assert.equal(input.headers.size, 1)
})
