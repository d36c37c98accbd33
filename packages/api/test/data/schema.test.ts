import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BigDecimal } from '../../src/data/big-decimal.ts'
import { ConnectDate, Decimal } from '../../src/data/logical.ts'
import {
  ConnectSchema,
  Field,
  Schema,
  SchemaAndValue,
  schemaEquals,
  validateFieldValue,
  valueEquals,
} from '../../src/data/schema.ts'
import { SchemaBuilder } from '../../src/data/schema-builder.ts'
import { Struct } from '../../src/data/struct.ts'
import { DataException } from '../../src/errors.ts'

function message(fn: () => void): string {
  try {
    fn()
  } catch (e) {
    assert.ok(e instanceof DataException, `expected a DataException, got ${e}`)
    return e.message
  }
  assert.fail('expected an exception')
}

test('the standard schemas have their type, optionality and no metadata', () => {
  assert.equal(Schema.INT8_SCHEMA.type, 'INT8')
  assert.equal(Schema.INT8_SCHEMA.isOptional, false)
  assert.equal(Schema.OPTIONAL_STRING_SCHEMA.type, 'STRING')
  assert.equal(Schema.OPTIONAL_STRING_SCHEMA.isOptional, true)
  assert.equal(Schema.BYTES_SCHEMA.name, null)
  assert.equal(Schema.BYTES_SCHEMA.version, null)
  assert.equal(Schema.BYTES_SCHEMA.doc, null)
  assert.equal(Schema.BYTES_SCHEMA.parameters, null)
  assert.equal(Schema.BYTES_SCHEMA.defaultValue, null)
  assert.equal(String(Schema.INT32_SCHEMA), 'Schema{INT32}')
  assert.equal(String(ConnectDate.SCHEMA), 'Schema{org.apache.kafka.connect.data.Date:INT32}')
})

test('type-specific accessors throw DataException on the wrong type', () => {
  assert.equal(
    message(() => Schema.INT32_SCHEMA.fields()),
    'Cannot list fields on non-struct type',
  )
  assert.equal(
    message(() => Schema.INT32_SCHEMA.field('a')),
    'Cannot look up fields on non-struct type',
  )
  assert.equal(
    message(() => Schema.INT32_SCHEMA.keySchema()),
    'Cannot look up key schema on non-map type',
  )
  assert.equal(
    message(() => Schema.INT32_SCHEMA.valueSchema()),
    'Cannot look up value schema on non-array and non-map type',
  )
  const map = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build()
  assert.equal(map.keySchema(), Schema.STRING_SCHEMA)
  assert.equal(map.valueSchema(), Schema.INT32_SCHEMA)
  const struct = SchemaBuilder.struct().field('a', Schema.INT32_SCHEMA).build()
  assert.equal(struct.field('missing'), null)
  assert.equal(struct.field('a')?.index, 0)
})

test('validateValue accepts the JS representation of every type', () => {
  const ok: [Schema, unknown][] = [
    [Schema.INT8_SCHEMA, -128],
    [Schema.INT16_SCHEMA, 32767],
    [Schema.INT32_SCHEMA, -2147483648],
    [Schema.INT64_SCHEMA, 2 ** 53],
    [Schema.INT64_SCHEMA, 2n ** 63n - 1n],
    [Schema.FLOAT32_SCHEMA, 1.5],
    [Schema.FLOAT64_SCHEMA, Number.NaN],
    [Schema.BOOLEAN_SCHEMA, false],
    [Schema.STRING_SCHEMA, ''],
    [Schema.BYTES_SCHEMA, new Uint8Array([1])],
    [Schema.BYTES_SCHEMA, Buffer.from('x')],
    [SchemaBuilder.array(Schema.INT32_SCHEMA).build(), [1, 2]],
    [SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build(), new Map([['a', 1]])],
    [SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build(), { a: 1 }],
    [SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build(), new Map([[1, 'a']])],
    [Decimal.schema(2), BigDecimal.fromString('1.25')],
    [ConnectDate.SCHEMA, new Date(0)],
    [Schema.OPTIONAL_INT32_SCHEMA, null],
    [Schema.OPTIONAL_INT32_SCHEMA, undefined],
  ]
  for (const [schema, value] of ok) ConnectSchema.validateValue(schema, value)
})

test('validateValue rejects wrong representations with Apache messages', () => {
  assert.equal(
    message(() => ConnectSchema.validateValue(Schema.INT32_SCHEMA, null)),
    'Invalid value: null used for required value, schema type: INT32',
  )
  assert.equal(
    message(() => ConnectSchema.validateValue('f', Schema.INT32_SCHEMA, null)),
    'Invalid value: null used for required field: "f", schema type: INT32',
  )
  assert.equal(
    message(() => ConnectSchema.validateValue('f', Schema.INT32_SCHEMA, 'x')),
    'Invalid Java object for schema with type INT32: string for field: "f"',
  )
  assert.equal(
    message(() => ConnectSchema.validateValue(Decimal.schema(2), new Uint8Array([1]))),
    'Invalid Java object for schema "org.apache.kafka.connect.data.Decimal" with type BYTES: class Uint8Array for value',
  )
  // Numbers must be integers within the type's range.
  assert.match(
    message(() => ConnectSchema.validateValue(Schema.INT8_SCHEMA, 128)),
    /with type INT8: number \(128\)/,
  )
  assert.throws(() => ConnectSchema.validateValue(Schema.INT32_SCHEMA, 1.5), DataException)
  assert.throws(() => ConnectSchema.validateValue(Schema.INT64_SCHEMA, 2n ** 63n), DataException)
  assert.throws(() => ConnectSchema.validateValue(Schema.INT32_SCHEMA, 1n), DataException)
  assert.throws(() => ConnectSchema.validateValue(Schema.FLOAT64_SCHEMA, 1n), DataException)
  // A logical type wants its logical representation, not the encoded one.
  assert.throws(() => ConnectSchema.validateValue(ConnectDate.SCHEMA, 5), DataException)
})

test('validateValue checks array elements, map entries and nested structs', () => {
  const array = SchemaBuilder.array(Schema.INT32_SCHEMA).build()
  assert.equal(
    message(() => validateFieldValue('list', array, [1, 'two'])),
    'Invalid Java object for schema with type INT32: string for element of array field: "list"',
  )
  assert.equal(
    message(() => validateFieldValue('list', array, [1, null])),
    'Invalid value: null used for required element of array field: "list", schema type: INT32',
  )
  const map = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build()
  assert.equal(
    message(() => ConnectSchema.validateValue(map, new Map([[1, 1]]))),
    'Invalid Java object for schema with type STRING: number (1) for key of map value',
  )
  assert.equal(
    message(() => ConnectSchema.validateValue(map, { a: 'x' })),
    'Invalid Java object for schema with type INT32: string for value of map value',
  )
  const inner = SchemaBuilder.struct().field('x', Schema.INT32_SCHEMA).build()
  const other = SchemaBuilder.struct().field('y', Schema.INT32_SCHEMA).build()
  assert.equal(
    message(() => ConnectSchema.validateValue(inner, new Struct(other).put('y', 1))),
    'Struct schemas do not match.',
  )
  assert.equal(
    message(() => ConnectSchema.validateValue(inner, new Struct(inner))),
    'Invalid value: null used for required field: "x", schema type: INT32',
  )
  assert.equal(
    message(() => ConnectSchema.validateValue(SchemaBuilder.arrayOfNull().build(), [1])),
    'No schema defined for element of array value',
  )
})

test('schemaEquals compares structure, metadata, parameters and default values', () => {
  const a = SchemaBuilder.struct().name('n').version(2).field('f', SchemaBuilder.int64().defaultValue(5n)).build()
  const b = SchemaBuilder.struct().name('n').version(2).field('f', SchemaBuilder.int64().defaultValue(5)).build()
  assert.ok(schemaEquals(a, b))
  assert.ok(schemaEquals(Decimal.schema(2), Decimal.schema(2)))
  assert.ok(!schemaEquals(Decimal.schema(2), Decimal.schema(3)))
  assert.ok(!schemaEquals(Schema.INT32_SCHEMA, Schema.OPTIONAL_INT32_SCHEMA))
  assert.ok(!schemaEquals(SchemaBuilder.struct().name('n').build(), SchemaBuilder.struct().name('m').build()))
  assert.ok(
    !schemaEquals(
      SchemaBuilder.struct().field('a', Schema.INT32_SCHEMA).build(),
      SchemaBuilder.struct().field('b', Schema.INT32_SCHEMA).build(),
    ),
  )
  assert.ok(
    schemaEquals(
      SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build(),
      SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build(),
    ),
  )
  assert.ok(
    !schemaEquals(SchemaBuilder.array(Schema.INT32_SCHEMA).build(), SchemaBuilder.array(Schema.INT64_SCHEMA).build()),
  )
  assert.ok(schemaEquals(null, null))
  assert.ok(!schemaEquals(Schema.INT32_SCHEMA, null))
})

test('valueEquals compares Connect values deeply', () => {
  assert.ok(valueEquals(1, 1n))
  assert.ok(valueEquals(Number.NaN, Number.NaN))
  assert.ok(valueEquals(new Uint8Array([1, 2]), Buffer.from([1, 2])))
  assert.ok(!valueEquals(new Uint8Array([1, 2]), new Uint8Array([1, 3])))
  assert.ok(valueEquals([1, [2, 'x']], [1, [2, 'x']]))
  assert.ok(valueEquals(new Map([['a', 1]]), { a: 1 }))
  assert.ok(valueEquals(new Map([[[1], 'x']]), new Map([[[1], 'x']])))
  assert.ok(!valueEquals(new Map([['a', 1]]), new Map([['a', 2]])))
  assert.ok(valueEquals(new Date(5), new Date(5)))
  assert.ok(!valueEquals(BigDecimal.fromString('1.0'), BigDecimal.fromString('1.00')))
  assert.ok(valueEquals(null, undefined))
  assert.ok(!valueEquals(0, null))
  assert.ok(!valueEquals('1', 1))
})

test('SchemaAndValue.NULL has neither schema nor value and equality is structural', () => {
  assert.equal(SchemaAndValue.NULL.schema, null)
  assert.equal(SchemaAndValue.NULL.value, null)
  assert.ok(
    SchemaAndValue.equals(new SchemaAndValue(Schema.INT32_SCHEMA, 1), {
      schema: SchemaBuilder.int32().build(),
      value: 1,
    }),
  )
  assert.ok(
    !SchemaAndValue.equals(new SchemaAndValue(Schema.INT32_SCHEMA, 1), new SchemaAndValue(Schema.INT32_SCHEMA, 2)),
  )
  assert.ok(SchemaAndValue.equals(SchemaAndValue.NULL, { schema: null, value: null }))
})

test('a field has a name, an index, a schema and Apache toString', () => {
  const field = new Field('a', 0, Schema.STRING_SCHEMA)
  assert.equal(String(field), 'Field{name=a, index=0, schema=Schema{STRING}}')
  assert.ok(Field.equals(field, { name: 'a', index: 0, schema: SchemaBuilder.string().build() }))
  assert.ok(!Field.equals(field, new Field('a', 1, Schema.STRING_SCHEMA)))
})
