import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Schema } from '../../src/data/schema.ts'
import { SchemaBuilder } from '../../src/data/schema-builder.ts'
import { Struct } from '../../src/data/struct.ts'
import { DataException } from '../../src/errors.ts'

const SCHEMA = SchemaBuilder.struct()
  .name('person')
  .field('id', Schema.INT64_SCHEMA)
  .field('name', Schema.STRING_SCHEMA)
  .field('nick', Schema.OPTIONAL_STRING_SCHEMA)
  .field('age', SchemaBuilder.int32().defaultValue(18))
  .field('tags', SchemaBuilder.array(Schema.STRING_SCHEMA).optional())
  .build()

test('put validates and get returns the value or the field default', () => {
  const s = new Struct(SCHEMA).put('id', 1).put('name', 'ann')
  assert.equal(s.get('id'), 1)
  assert.equal(s.get('name'), 'ann')
  assert.equal(s.get('nick'), null)
  assert.equal(s.get('age'), 18)
  assert.equal(s.getWithoutDefault('age'), null)
  assert.equal(s.get(SCHEMA.field('name')!), 'ann')
  s.put(SCHEMA.field('age')!, 30)
  assert.equal(s.getInt32('age'), 30)
})

test('put rejects a value of the wrong type with the field in the message', () => {
  const s = new Struct(SCHEMA)
  assert.throws(() => s.put('id', 'x'), {
    name: 'DataException',
    message: 'Invalid Java object for schema with type INT64: string for field: "id"',
  })
  assert.throws(() => s.put('name', null), {
    message: 'Invalid value: null used for required field: "name", schema type: STRING',
  })
  assert.throws(() => s.put('tags', ['a', 2]), {
    message: 'Invalid Java object for schema with type STRING: number (2) for element of array field: "tags"',
  })
  assert.throws(() => s.put('missing', 1), { message: 'missing is not a valid field name' })
})

test('validate reports a missing required field but accepts unset optional and defaulted fields', () => {
  const s = new Struct(SCHEMA).put('id', 1)
  assert.throws(() => s.validate(), {
    name: 'DataException',
    message: 'Invalid value: null used for required field: "name", schema type: STRING',
  })
  s.put('name', 'bob')
  s.validate()
})

test('typed getters check the field type and do not apply defaults', () => {
  const s = new Struct(SCHEMA).put('id', 2n ** 60n).put('name', 'x')
  assert.equal(s.getInt64('id'), 2n ** 60n)
  assert.equal(s.getString('name'), 'x')
  assert.equal(s.getInt32('age'), null)
  assert.throws(() => s.getInt32('name'), { message: "Field 'name' is not of type INT32" })
  assert.equal(s.getArray('tags'), null)
})

test('a struct needs a struct schema', () => {
  assert.throws(() => new Struct(Schema.INT32_SCHEMA), { message: 'Not a struct schema: Schema{INT32}' })
})

test('equals compares schema and values and toString is Apache format', () => {
  const a = new Struct(SCHEMA).put('id', 1).put('name', 'x').put('tags', ['p', 'q'])
  const b = new Struct(SCHEMA).put('id', 1n).put('name', 'x').put('tags', ['p', 'q'])
  assert.ok(a.equals(b))
  assert.ok(!a.equals(new Struct(SCHEMA).put('id', 1).put('name', 'y')))
  assert.equal(String(a), 'Struct{id=1,name=x,tags=[p, q]}')
  const nested = SchemaBuilder.struct().field('p', SCHEMA).build()
  assert.equal(String(new Struct(nested).put('p', a)), 'Struct{p=Struct{id=1,name=x,tags=[p, q]}}')
})

test('nested structs are validated against the field schema', () => {
  const nested = SchemaBuilder.struct().field('p', SCHEMA).build()
  const other = SchemaBuilder.struct().field('id', Schema.INT64_SCHEMA).build()
  assert.throws(() => new Struct(nested).put('p', new Struct(other).put('id', 1)), {
    message: 'Struct schemas do not match.',
  })
  assert.throws(() => new Struct(nested).put('p', new Struct(SCHEMA)), DataException)
})

test('instanceof recognises a Struct from another copy of the package by its brand', () => {
  assert.ok(new Struct(SCHEMA) instanceof Struct)
  const foreign = { [Symbol.for('ferry.data.Struct')]: true, schema: SCHEMA, validate() {} }
  assert.ok(foreign instanceof Struct)
  assert.ok(!({} instanceof Struct))
})

test('a struct can be created from a SchemaBuilder, which is built first', () => {
  const s = new Struct(SchemaBuilder.struct().field('a', Schema.INT32_SCHEMA)).put('a', 1)
  assert.equal(s.schema.type, 'STRUCT')
  assert.equal(s.get('a'), 1)
})
