import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConnectSchema, Schema, schemaEquals } from '../../src/data/schema.ts'
import { SchemaBuilder, toSchema } from '../../src/data/schema-builder.ts'
import { DataException, SchemaBuilderException } from '../../src/errors.ts'

test('the fluent API builds a schema with all metadata', () => {
  const schema = SchemaBuilder.int32()
    .name('com.example.Count')
    .version(3)
    .doc('a count')
    .parameter('k', 'v')
    .parameters({ k2: 'v2' })
    .optional()
    .defaultValue(12)
    .build()
  assert.ok(schema instanceof ConnectSchema)
  assert.equal(schema.type, 'INT32')
  assert.equal(schema.name, 'com.example.Count')
  assert.equal(schema.version, 3)
  assert.equal(schema.doc, 'a count')
  assert.deepEqual({ ...schema.parameters }, { k: 'v', k2: 'v2' })
  assert.equal(schema.isOptional, true)
  assert.equal(schema.defaultValue, 12)
  assert.ok(Object.isFrozen(schema.parameters))
})

test('the builder reads back what was set, as Java getters do', () => {
  const builder = SchemaBuilder.string().name('n').doc('d')
  assert.equal(builder.type, 'STRING')
  assert.equal(builder.name(), 'n')
  assert.equal(builder.doc(), 'd')
  assert.equal(builder.version(), null)
  assert.equal(builder.isOptional, false)
  assert.equal(builder.defaultValue(), null)
  assert.equal(builder.parameters(), null)
})

test('metadata can be set only once, but setting the same value again is fine', () => {
  const builder = SchemaBuilder.int8().name('a')
  builder.name('a')
  assert.throws(() => builder.name('b'), {
    name: 'SchemaBuilderException',
    message: 'Invalid SchemaBuilder call: name has already been set.',
  })
  const optional = SchemaBuilder.int8().optional()
  assert.throws(() => optional.required(), /optional has already been set/)
  assert.throws(() => SchemaBuilder.int8().version(1).version(2), /version has already been set/)
})

test('an invalid default value is rejected with the DataException as cause', () => {
  let error: unknown
  try {
    SchemaBuilder.int32().defaultValue('x')
  } catch (e) {
    error = e
  }
  assert.ok(error instanceof SchemaBuilderException)
  assert.equal(error.message, 'Invalid default value')
  assert.ok(error.cause instanceof DataException)
  // A required schema cannot default to null, an optional one can.
  assert.throws(() => SchemaBuilder.int32().defaultValue(null), SchemaBuilderException)
  assert.equal(SchemaBuilder.int32().optional().defaultValue(null).build().defaultValue, null)
})

test('struct fields keep their order and names must be unique and non-empty', () => {
  const builder = SchemaBuilder.struct().field('b', Schema.INT32_SCHEMA).field('a', Schema.STRING_SCHEMA)
  const schema = builder.build()
  assert.deepEqual(
    schema.fields().map((f) => [f.name, f.index, f.schema.type]),
    [
      ['b', 0, 'INT32'],
      ['a', 1, 'STRING'],
    ],
  )
  assert.equal(builder.field('a')?.index, 1)
  assert.equal(builder.fields().length, 2)
  assert.throws(() => builder.field('a', Schema.INT8_SCHEMA), {
    message: 'Cannot create field because of field name duplication a',
  })
  assert.throws(() => builder.field('', Schema.INT8_SCHEMA), { message: 'fieldName cannot be null.' })
  assert.throws(() => SchemaBuilder.int32().field('a', Schema.INT8_SCHEMA), {
    message: 'Cannot create fields on type INT32',
  })
  assert.throws(() => SchemaBuilder.int32().fields(), DataException)
})

test('a child builder is accepted where a schema is expected and is built with its parent', () => {
  const schema = SchemaBuilder.struct()
    .field('tags', SchemaBuilder.array(SchemaBuilder.string().optional()))
    .field('attrs', SchemaBuilder.map(Schema.STRING_SCHEMA, SchemaBuilder.int64()))
    .build()
  const tags = schema.field('tags')!.schema
  assert.ok(tags instanceof ConnectSchema)
  assert.equal(tags.valueSchema()?.isOptional, true)
  assert.equal(schema.field('attrs')!.schema.valueSchema()?.type, 'INT64')
  assert.ok(schemaEquals(toSchema(SchemaBuilder.int32()), Schema.INT32_SCHEMA))
})

test('array and map need their element schemas', () => {
  assert.throws(() => SchemaBuilder.array(null as never), { message: 'valueSchema cannot be null.' })
  assert.throws(() => SchemaBuilder.map(null as never, Schema.INT32_SCHEMA), { message: 'keySchema cannot be null.' })
  assert.throws(() => SchemaBuilder.map(Schema.INT32_SCHEMA, null as never), {
    message: 'valueSchema cannot be null.',
  })
})

test('built schemas from equal builders are equal', () => {
  const make = () => SchemaBuilder.struct().name('x').field('a', SchemaBuilder.int32().optional()).build()
  const first = make()
  const second = make()
  assert.ok(schemaEquals(first, second))
  assert.notEqual(first, second)
})
