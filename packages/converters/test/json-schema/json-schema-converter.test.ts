import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  BigDecimal,
  ConfigException,
  ConnectDate,
  DataException,
  Decimal,
  SchemaBuilder,
  Struct,
  Time,
  Timestamp,
  valueEquals,
} from '@ferry/api'
import { parseJson } from '../../src/json/json-reader.ts'
import { JsonSchemaConverter } from '../../src/json-schema/json-schema-converter.ts'
import { JSON_TYPE_ENUM, JSON_TYPE_ONE_OF, JsonSchemaData } from '../../src/json-schema/json-schema-data.ts'
import { FakeRegistry, settled } from '../schema-registry/fake-registry.ts'

function converter(registry: FakeRegistry, config: Record<string, unknown> = {}, isKey = false): JsonSchemaConverter {
  const c = new JsonSchemaConverter(registry)
  c.configure({ 'schema.registry.url': 'http://registry.invalid', ...config }, isKey)
  return c
}

const inner = SchemaBuilder.struct().name('Inner').field('x', SchemaBuilder.int64().build()).optional().build()
const union = SchemaBuilder.struct()
  .name(JSON_TYPE_ONE_OF)
  .field(`${JSON_TYPE_ONE_OF}.field.0`, SchemaBuilder.string().optional().build())
  .field(`${JSON_TYPE_ONE_OF}.field.1`, SchemaBuilder.bool().optional().build())
  .optional()
  .build()
const EVERY = SchemaBuilder.struct()
  .name('Every')
  .doc('all types')
  .field('i8', SchemaBuilder.int8().build())
  .field('i16', SchemaBuilder.int16().build())
  .field('i32', SchemaBuilder.int32().build())
  .field('i64', SchemaBuilder.int64().build())
  .field('f32', SchemaBuilder.float32().build())
  .field('f64', SchemaBuilder.float64().build())
  .field('bool', SchemaBuilder.bool().build())
  .field('str', SchemaBuilder.string().optional().build())
  .field('bytes', SchemaBuilder.bytes().build())
  .field('dec', Decimal.schema(3))
  .field('date', ConnectDate.SCHEMA)
  .field('time', Time.SCHEMA)
  .field('ts', Timestamp.SCHEMA)
  .field('list', SchemaBuilder.array(SchemaBuilder.int32().build()).build())
  .field('dict', SchemaBuilder.map(SchemaBuilder.string().build(), SchemaBuilder.float64().build()).build())
  .field('pairs', SchemaBuilder.map(SchemaBuilder.int32().build(), SchemaBuilder.string().build()).build())
  .field(
    'color',
    SchemaBuilder.string()
      .parameter(JSON_TYPE_ENUM, '')
      .parameter(`${JSON_TYPE_ENUM}.red`, 'red')
      .parameter(`${JSON_TYPE_ENUM}.blue`, 'blue')
      .build(),
  )
  .field('inner', inner)
  .field('choice', union)
  .field('withDefault', SchemaBuilder.int32().defaultValue(5).parameter('p', 'q').build())
  .build()

function every(): Struct {
  return new Struct(EVERY)
    .put('i8', -1)
    .put('i16', 300)
    .put('i32', 70000)
    .put('i64', -9007199254740993n)
    .put('f32', 0.1)
    .put('f64', 1e21)
    .put('bool', true)
    .put('str', 'a "quoted" é')
    .put('bytes', Uint8Array.of(0, 255))
    .put('dec', new BigDecimal(-123456n, 3))
    .put('date', new Date(Date.UTC(1999, 11, 31)))
    .put('time', new Date(45_296_789))
    .put('ts', new Date(-1))
    .put('list', [1, 2])
    .put('dict', new Map([['x', 1.5]]))
    .put('pairs', new Map([[3, 'three']]))
    .put('color', 'blue')
    .put('inner', new Struct(inner).put('x', 1))
    .put('choice', new Struct(union).put(`${JSON_TYPE_ONE_OF}.field.1`, false))
    .put('withDefault', 6)
}

test('every Connect type goes through JSON Schema and back, schema and value', async () => {
  const registry = new FakeRegistry()
  const c = converter(registry, { 'json.fail.invalid.schema': 'true' })
  const bytes = await settled(() => c.fromConnectData('t', null, EVERY, every()))
  assert.equal(bytes![0], 0)
  assert.equal(registry.schemas[0]?.schemaType, 'JSON')
  const payload = JSON.parse(Buffer.from(bytes!.subarray(5)).toString('utf8'))
  assert.equal(payload.bytes, 'AP8=')
  assert.deepEqual(payload.pairs, [{ key: 3, value: 'three' }])
  assert.equal(payload.choice, false)
  const back = await settled(() => c.toConnectData('t', null, bytes))
  const s = back.value as Struct
  assert.equal(back.schema?.name, 'Every')
  assert.equal(back.schema?.doc, 'all types')
  assert.equal(s.get('i8'), -1)
  assert.equal(s.get('i64'), -9007199254740993n)
  assert.equal(s.get('f32'), Math.fround(0.1))
  assert.equal(s.get('f64'), 1e21)
  assert.equal(s.get('str'), 'a "quoted" é')
  assert.deepEqual([...(s.get('bytes') as Uint8Array)], [0, 255])
  assert.ok((s.get('dec') as BigDecimal).equals(new BigDecimal(-123456n, 3)))
  assert.equal((s.get('date') as Date).toISOString(), '1999-12-31T00:00:00.000Z')
  assert.equal((s.get('time') as Date).getTime(), 45_296_789)
  assert.equal((s.get('ts') as Date).getTime(), -1)
  assert.deepEqual(s.get('list'), [1, 2])
  assert.ok(valueEquals(s.get('dict'), new Map([['x', 1.5]])))
  assert.ok(valueEquals(s.get('pairs'), new Map([[3, 'three']])))
  assert.equal(s.get('color'), 'blue')
  assert.equal((s.get('inner') as Struct).get('x'), 1)
  assert.equal((s.get('choice') as Struct).get(`${JSON_TYPE_ONE_OF}.field.1`), false)
  assert.equal(s.get('withDefault'), 6)
  const schema = back.schema!
  assert.equal(schema.field('withDefault')?.schema.defaultValue, 5)
  assert.equal(schema.field('withDefault')?.schema.parameters?.p, 'q')
  for (const f of EVERY.fields()) assert.equal(schema.field(f.name)?.schema.type, f.schema.type, f.name)
  assert.equal(schema.field('str')?.schema.isOptional, true)
  assert.equal(schema.field('i32')?.schema.isOptional, false)
})

test('the JSON Schema Ferry registers carries connect.type, connect.index and oneOf with null, as Confluent writes it', () => {
  const data = new JsonSchemaData()
  const json = data.fromConnectSchema(EVERY) as Record<string, any>
  assert.equal(json.type, 'object')
  assert.equal(json.title, 'Every')
  assert.deepEqual(json.properties.i8, { type: 'integer', 'connect.type': 'int8', 'connect.index': 0 })
  assert.deepEqual(json.properties.str, { oneOf: [{ type: 'null' }, { type: 'string' }], 'connect.index': 7 })
  assert.equal(json.properties.dict['connect.type'], 'map')
  assert.equal(json.properties.dict.type, 'object')
  assert.equal(json.properties.pairs.type, 'array')
  assert.deepEqual(json.properties.color.enum, ['red', 'blue'])
  assert.deepEqual(json.properties.withDefault['connect.parameters'], { p: 'q' })
  assert.equal(json.properties.dec.title, Decimal.LOGICAL_NAME)
})

test('decimal.format=NUMERIC writes decimals as JSON numbers with their scale', async () => {
  const schema = SchemaBuilder.struct().name('D').field('d', Decimal.schema(2)).build()
  const c = converter(new FakeRegistry(), { 'decimal.format': 'numeric' })
  const bytes = await settled(() =>
    c.fromConnectData('t', null, schema, new Struct(schema).put('d', new BigDecimal(150n, 2))),
  )
  assert.equal(Buffer.from(bytes!.subarray(5)).toString(), '{"d":1.50}')
  const back = await settled(() => c.toConnectData('t', null, bytes))
  assert.ok(((back.value as Struct).get('d') as BigDecimal).equals(new BigDecimal(150n, 2)))
})

test('json.fail.invalid.schema=true refuses a payload that does not match its schema, naming the problem', async () => {
  const registry = new FakeRegistry()
  registry.schemas.push({
    schema: '{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}',
    schemaType: 'JSON',
  })
  registry.subjects.set('t-value', [1])
  const strict = converter(registry, { 'json.fail.invalid.schema': true })
  const bad = Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), Buffer.from('{"n":"text"}')])
  await assert.rejects(
    settled(() => strict.toConnectData('t', null, bad)),
    (e: unknown) => e instanceof DataException && /Validation error/.test(e.message) && /integer/.test(e.message),
  )
  const lenient = converter(registry)
  const back = await settled(() => lenient.toConnectData('t', null, bad))
  assert.equal(back.schema?.field('n')?.schema.type, 'INT64')
})

test('schemas other writers produce read as Confluent reads them: type lists, anyOf with null, $ref, required', () => {
  const data = new JsonSchemaData({ useOptionalForNonRequired: true })
  const json = parseJson(
    JSON.stringify({
      type: 'object',
      title: 'Person',
      required: ['name'],
      properties: {
        name: { type: 'string' },
        age: { type: ['integer', 'null'] },
        address: { $ref: '#/definitions/Address' },
        score: { type: 'number' },
      },
      definitions: { Address: { type: 'object', properties: { city: { type: 'string' } } } },
    }),
  )
  const schema = data.toConnectSchema(json as never)
  assert.equal(schema.name, 'Person')
  assert.equal(schema.field('name')?.schema.isOptional, false)
  assert.equal(schema.field('age')?.schema.type, 'INT64')
  assert.equal(schema.field('age')?.schema.isOptional, true)
  assert.equal(schema.field('address')?.schema.field('city')?.schema.type, 'STRING')
  assert.equal(schema.field('score')?.schema.type, 'FLOAT64')
  const value = data.toConnectData(schema, parseJson('{"name":"Ann","address":{"city":"Oslo"}}') as never) as Struct
  assert.equal(value.get('age'), null)
  assert.equal((value.get('address') as Struct).get('city'), 'Oslo')
})

test('a schema that accepts anything and a recursive one are refused with a DataException', () => {
  const data = new JsonSchemaData()
  assert.throws(() => data.toConnectSchema(parseJson('{}') as never), /accepts any value/)
  const recursive = parseJson('{"type":"object","properties":{"next":{"$ref":"#"}}}') as never
  assert.throws(() => data.toConnectSchema(recursive), /refers to itself/)
})

test('unimplemented JsonSchemaConverter keys are refused at start, naming them', () => {
  for (const [key, value] of [
    ['preserve.additional.properties', 'true'],
    ['json.value.type', 'com.example.Foo'],
    ['generalized.sum.type.support', 'true'],
  ]) {
    assert.throws(
      () => converter(new FakeRegistry(), { [key as string]: value }),
      (e: unknown) => e instanceof ConfigException && e.message.includes(key as string),
    )
  }
})

test('object.additional.properties=false closes the struct schemas Ferry registers', async () => {
  const registry = new FakeRegistry()
  const c = converter(registry, { 'object.additional.properties': false })
  const schema = SchemaBuilder.struct().name('C').field('a', SchemaBuilder.string().build()).build()
  await settled(() => c.fromConnectData('t', null, schema, new Struct(schema).put('a', 'x')))
  assert.match(registry.schemas[0]?.schema ?? '', /"additionalProperties":false/)
})

test('a null value is a tombstone, or the default of a required schema that has one', async () => {
  const c = converter(new FakeRegistry())
  const required = SchemaBuilder.int32().build()
  assert.equal(await settled(() => c.fromConnectData('t', null, required, null)), null)
  const withDefault = SchemaBuilder.int32().defaultValue(4).build()
  const bytes = await settled(() => c.fromConnectData('t', null, withDefault, null))
  assert.equal(Buffer.from(bytes!.subarray(5)).toString(), '4')
})

test('the registry is asked once per schema, not per record', async () => {
  const registry = new FakeRegistry()
  const writer = converter(registry)
  const reader = converter(registry)
  const schema = SchemaBuilder.struct().name('R').field('n', SchemaBuilder.int32().build()).build()
  for (let i = 0; i < 50; i++) {
    const bytes = await settled(() => writer.fromConnectData('t', null, schema, new Struct(schema).put('n', i)))
    assert.equal(((await settled(() => reader.toConnectData('t', null, bytes))).value as Struct).get('n'), i)
  }
  assert.deepEqual(registry.calls, ['register t-value', 'getSchemaById 1', 'getVersion t-value'])
})

test('a 2020-12 schema is validated with its dialect (prefixItems)', async () => {
  const registry = new FakeRegistry()
  registry.schemas.push({
    schema: JSON.stringify({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { p: { type: 'array', prefixItems: [{ type: 'string' }], items: { type: 'string' } } },
    }),
    schemaType: 'JSON',
  })
  registry.subjects.set('t-value', [1])
  const c = converter(registry, { 'json.fail.invalid.schema': true })
  const payload = (json: string) => Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), Buffer.from(json)])
  const ok = await settled(() => c.toConnectData('t', null, payload('{"p":["a"]}')))
  assert.deepEqual((ok.value as Struct).get('p'), ['a'])
  await assert.rejects(
    settled(() => c.toConnectData('t', null, payload('{"p":[1]}'))),
    DataException,
  )
})
