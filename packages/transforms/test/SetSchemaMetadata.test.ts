import assert from 'node:assert/strict'
import test from 'node:test'
import { DataException, Schema, SinkRecord, type Struct } from '@ferry/api'
import { runTransform, SAMPLE_SCHEMA, sampleRecords, transformConformance } from '@ferry/testing'
import { SetSchemaMetadataKey, SetSchemaMetadataValue } from '../src/SetSchemaMetadata.ts'
import { vectorSuite } from './helpers/vectors.ts'

vectorSuite('org.apache.kafka.connect.transforms.SetSchemaMetadata')

test('SetSchemaMetadata$Value conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new SetSchemaMetadataValue(), { 'schema.name': 'renamed', 'schema.version': 3 })
})

test('SetSchemaMetadata$Key conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new SetSchemaMetadataKey(), { 'schema.version': '2' })
})

test('SetSchemaMetadata renames a struct schema and rebuilds the Struct with it', () => {
  const input = sampleRecords().find((r) => r.valueSchema === SAMPLE_SCHEMA)!
  const [out] = runTransform(new SetSchemaMetadataValue(), { 'schema.name': 'n', 'schema.version': '4' }, [input])
  assert.equal(out!.valueSchema!.name, 'n')
  assert.equal(out!.valueSchema!.version, 4)
  assert.equal((out!.value as Struct).schema, out!.valueSchema)
})

test('SetSchemaMetadata fails on a schema that is not a struct, as Apache does', () => {
  assert.throws(
    () =>
      runTransform(new SetSchemaMetadataValue(), { 'schema.name': 'n' }, [
        new SinkRecord('t', 0, null, null, Schema.STRING_SCHEMA, 'x', 0),
      ]),
    (e: unknown) => e instanceof DataException && e.message === 'Cannot list fields on non-struct type',
  )
})
