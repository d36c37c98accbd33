import assert from 'node:assert/strict'
import test from 'node:test'
import { Schema, SchemaBuilder, SinkRecord, Struct } from '@ferry/api'
import { runTransform, transformConformance } from '@ferry/testing'
import { ExtractFieldKey, ExtractFieldValue } from '../src/ExtractField.ts'
import { vectorSuite } from './helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.ExtractField')

test('ExtractField$Value conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new ExtractFieldValue(), { field: 'name' }, { nullValues: 'pass' })
})

test('ExtractField$Key conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new ExtractFieldKey(), { field: 'id' }, { side: 'key', nullValues: 'pass' })
})

test('ExtractField reads nested fields of plain objects and Maps with V2 paths', () => {
  const configs = { field: 'a.`b.c`.d', 'field.syntax.version': 'V2' }
  const outputs = runTransform(new ExtractFieldValue(), configs, [
    new SinkRecord('t', 0, null, null, null, { a: { 'b.c': { d: 42 } } }, 0),
    new SinkRecord('t', 0, null, null, null, new Map([['a', new Map([['b.c', new Map([['d', 43]])]])]]), 0),
    new SinkRecord('t', 0, null, null, null, { a: null }, 0),
  ])
  assert.deepEqual(
    outputs.map((r) => r!.value),
    [42, 43, null],
  )
})

test('ExtractField returns the field schema and honours replace.null.with.default', () => {
  const schema = SchemaBuilder.struct().field('x', SchemaBuilder.string().optional().defaultValue('d').build()).build()
  const input = new SinkRecord('t', 0, null, null, schema, new Struct(schema), 0)
  const [withDefault] = runTransform(new ExtractFieldValue(), { field: 'x' }, [input])
  const [withoutDefault] = runTransform(new ExtractFieldValue(), { field: 'x', 'replace.null.with.default': false }, [
    input,
  ])
  assert.equal(withDefault!.value, 'd')
  assert.equal(withoutDefault!.value, null)
  assert.equal(withDefault!.valueSchema, schema.field('x')!.schema)
  assert.equal(Schema.STRING_SCHEMA.type, 'STRING')
})
