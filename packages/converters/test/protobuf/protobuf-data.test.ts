import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  BigDecimal,
  ConnectDate,
  DataException,
  Decimal,
  type Schema,
  SchemaBuilder,
  Struct,
  Time,
  Timestamp,
  valueEquals,
} from '@ferry/api'
import {
  PROTOBUF_TYPE_ENUM,
  PROTOBUF_TYPE_TAG,
  PROTOBUF_TYPE_UNION_PREFIX,
  ProtobufData,
  scrubName,
  toMapEntry,
  toMapField,
} from '../../src/protobuf/protobuf-data.ts'
import { parseProtobufSchema } from '../../src/protobuf/protobuf-schema.ts'

/** Writes `value` through `data` and reads it back (schema from the written .proto text, as a reader would). */
function roundTrip(
  data: ProtobufData,
  schema: Schema,
  value: unknown,
): { schema: Schema; value: unknown; text: string } {
  const written = data.fromConnectSchema(schema)
  const bytes = data.fromConnectData(written.message, schema, value)
  const reread = parseProtobufSchema(written.text)
  const type = reread.messageAt(reread.indexesOf(reread.root.lookupType(written.name())))
  const readSchema = data.toConnectSchema(type)
  return { schema: readSchema, value: data.toConnectData(type, readSchema, type.decode(bytes)), text: written.text }
}

const enumSchema = SchemaBuilder.string()
  .name('Color')
  .parameter(PROTOBUF_TYPE_ENUM, 'Color')
  .parameter(`${PROTOBUF_TYPE_ENUM}.RED`, '0')
  .parameter(`${PROTOBUF_TYPE_ENUM}.GREEN`, '1')
  .optional()
  .build()
const inner = SchemaBuilder.struct()
  .name('Inner')
  .field('x', SchemaBuilder.int64().optional().build())
  .optional()
  .build()
const unionSchema = SchemaBuilder.struct()
  .name(`${PROTOBUF_TYPE_UNION_PREFIX}choice`)
  .field('as_text', SchemaBuilder.string().optional().parameter(PROTOBUF_TYPE_TAG, '40').build())
  .field('as_number', SchemaBuilder.int32().optional().parameter(PROTOBUF_TYPE_TAG, '41').build())
  .optional()
  .build()
const everyType = SchemaBuilder.struct()
  .name('com.example.Every')
  .field('i8', SchemaBuilder.int8().optional().build())
  .field('i16', SchemaBuilder.int16().optional().build())
  .field('i32', SchemaBuilder.int32().optional().build())
  .field('i64', SchemaBuilder.int64().optional().build())
  .field('f32', SchemaBuilder.float32().optional().build())
  .field('f64', SchemaBuilder.float64().optional().build())
  .field('bool', SchemaBuilder.bool().optional().build())
  .field('str', SchemaBuilder.string().optional().build())
  .field('bytes', SchemaBuilder.bytes().optional().build())
  .field('dec', Decimal.builder(2).parameter('connect.decimal.precision', '10').optional().build())
  .field('date', ConnectDate.builder().optional().build())
  .field('time', Time.builder().optional().build())
  .field('ts', Timestamp.builder().optional().build())
  .field('list', SchemaBuilder.array(SchemaBuilder.string().optional().build()).optional().build())
  .field('dict', SchemaBuilder.map(SchemaBuilder.string().build(), SchemaBuilder.int32().build()).optional().build())
  .field('byNumber', SchemaBuilder.map(SchemaBuilder.int64().build(), inner).optional().build())
  .field('color', enumSchema)
  .field('inner', inner)
  .field('choice', unionSchema)
  .build()

function everyValue(): Struct {
  return new Struct(everyType)
    .put('i8', -8)
    .put('i16', 1600)
    .put('i32', -32)
    .put('i64', 9007199254740993n)
    .put('f32', 1.5)
    .put('f64', -2.25)
    .put('bool', true)
    .put('str', 'héllo')
    .put('bytes', Uint8Array.of(1, 2, 255))
    .put('dec', new BigDecimal(-12345n, 2))
    .put('date', new Date(Date.UTC(2024, 1, 29)))
    .put('time', new Date(13 * 3600_000 + 5 * 60_000 + 7_000 + 89))
    .put('ts', new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999)))
    .put('list', ['a', 'b'])
    .put('dict', new Map([['k', 1]]))
    .put('byNumber', new Map([[7, new Struct(inner).put('x', 70)]]))
    .put('color', 'GREEN')
    .put('inner', new Struct(inner).put('x', -1))
    .put('choice', new Struct(unionSchema).put('as_number', 99))
}

test('every Connect type goes through Protobuf and back with its value', () => {
  const data = new ProtobufData()
  const { schema, value, text } = roundTrip(data, everyType, everyValue())
  assert.match(text, /^syntax = "proto3";\npackage com\.example;\n/)
  assert.match(text, /import "confluent\/type\/decimal\.proto";/)
  assert.match(text, /google\.type\.Date date = 11;/)
  assert.match(text, /oneof choice \{/)
  assert.equal(schema.name, 'Every')
  const s = value as Struct
  assert.equal(s.get('i8'), -8)
  assert.equal(s.get('i16'), 1600)
  assert.equal(s.get('i32'), -32)
  assert.equal(s.get('i64'), 9007199254740993n)
  assert.equal(s.get('f32'), 1.5)
  assert.equal(s.get('f64'), -2.25)
  assert.equal(s.get('bool'), true)
  assert.equal(s.get('str'), 'héllo')
  assert.deepEqual([...(s.get('bytes') as Uint8Array)], [1, 2, 255])
  assert.ok((s.get('dec') as BigDecimal).equals(new BigDecimal(-12345n, 2)))
  assert.equal(schema.field('dec')?.schema.parameters?.['connect.decimal.precision'], '10')
  assert.equal((s.get('date') as Date).toISOString(), '2024-02-29T00:00:00.000Z')
  assert.equal((s.get('time') as Date).getTime(), 13 * 3600_000 + 5 * 60_000 + 7_000 + 89)
  assert.equal((s.get('ts') as Date).toISOString(), '1969-12-31T23:59:59.999Z')
  assert.deepEqual(s.get('list'), ['a', 'b'])
  assert.ok(valueEquals(s.get('dict'), new Map([['k', 1]])))
  const byNumber = s.get('byNumber') as Map<unknown, Struct>
  assert.equal(byNumber.get(7)?.get('x'), 70)
  assert.equal(s.get('color'), 'GREEN')
  assert.equal((s.get('inner') as Struct).get('x'), -1)
  assert.equal(schema.field('choice_0')?.schema.name, `${PROTOBUF_TYPE_UNION_PREFIX}choice`)
  assert.equal((s.get('choice_0') as Struct).get('as_number'), 99)
  assert.equal(schema.field('i8')?.schema.type, 'INT8')
  assert.equal(schema.field('i16')?.schema.type, 'INT16')
  assert.equal(schema.field('i8')?.schema.parameters?.[PROTOBUF_TYPE_TAG], '1')
})

test('the schema and value read back are written and read again unchanged', () => {
  const data = new ProtobufData()
  const first = roundTrip(data, everyType, everyValue())
  const second = roundTrip(data, first.schema, first.value)
  assert.ok(valueEquals(second.value, first.value))
  assert.equal(third(data, second).text, second.text)
})

function third(data: ProtobufData, previous: { schema: Schema; value: unknown }) {
  return roundTrip(data, previous.schema, previous.value)
}

test('an unset message is null and unset scalars are their defaults, as in Confluent', () => {
  const data = new ProtobufData()
  const { value } = roundTrip(data, everyType, new Struct(everyType))
  const s = value as Struct
  assert.equal(s.get('inner'), null)
  assert.equal(s.get('date'), null)
  assert.equal(s.get('i32'), 0)
  assert.equal(s.get('str'), '')
  assert.equal(s.get('color'), 'RED')
  assert.deepEqual(s.get('list'), [])
  assert.equal(s.get('choice_0'), null)
})

test('optional.for.nullables writes optional fields and reads unset ones as null', () => {
  const data = new ProtobufData({ optionalForNullables: true })
  const schema = SchemaBuilder.struct()
    .name('Opt')
    .field('a', SchemaBuilder.int32().optional().build())
    .field('b', SchemaBuilder.int32().build())
    .build()
  const { schema: read, value, text } = roundTrip(data, schema, new Struct(schema).put('b', 0))
  assert.match(text, /optional int32 a = 1;/)
  assert.equal((value as Struct).get('a'), null)
  assert.equal((value as Struct).get('b'), 0)
  assert.equal(read.field('a')?.schema.isOptional, true)
  assert.equal(read.field('b')?.schema.isOptional, false)
})

test('wrapper.for.nullables writes optional primitives as wrapper messages and reads them back as primitives', () => {
  const data = new ProtobufData({ wrapperForNullables: true })
  const schema = SchemaBuilder.struct()
    .name('Wrapped')
    .field('a', SchemaBuilder.string().optional().build())
    .field('b', SchemaBuilder.int64().optional().build())
    .build()
  const { value, text } = roundTrip(data, schema, new Struct(schema).put('a', ''))
  assert.match(text, /google\.protobuf\.StringValue a = 1;/)
  assert.match(text, /import "google\/protobuf\/wrappers\.proto";/)
  assert.equal((value as Struct).get('a'), '')
  assert.equal((value as Struct).get('b'), null)
})

test('a primitive at the root is its wrapper message and reads back as the primitive', () => {
  const data = new ProtobufData()
  const written = data.fromConnectSchema(SchemaBuilder.string().build())
  assert.equal(written.name(), 'google.protobuf.StringValue')
  assert.deepEqual(written.indexesOf(written.message), [7])
  const bytes = data.fromConnectData(written.message, SchemaBuilder.string().build(), 'plain')
  const schema = data.toConnectSchema(written.message)
  assert.equal(schema.type, 'STRING')
  assert.equal(data.toConnectData(written.message, schema, written.message.decode(bytes)), 'plain')
})

test('int.for.enums reads enums as their numbers', () => {
  const schema = parseProtobufSchema('syntax = "proto3";\nmessage E { Kind k = 1; enum Kind { A = 0; B = 5; } }\n')
  const data = new ProtobufData({ intForEnums: true })
  const connect = data.toConnectSchema(schema.message)
  assert.equal(connect.field('k')?.schema.type, 'INT32')
  const value = data.toConnectData(schema.message, connect, schema.message.decode(Uint8Array.of(8, 5))) as Struct
  assert.equal(value.get('k'), 5)
})

test('a foreign schema with map<>, proto3 optional, unsigned types and an import of a reference reads as Confluent reads it', () => {
  const dep = 'syntax = "proto3";\npackage dep;\nmessage Money { string currency = 1; int64 units = 2; }\n'
  const main = `syntax = "proto3";
package shop;
import "dep/money.proto";
import "google/protobuf/timestamp.proto";
message Order {
  map<string, dep.Money> prices = 1;
  optional string note = 2;
  uint32 count = 3;
  uint64 big = 4;
  google.protobuf.Timestamp at = 5;
}
`
  const schema = parseProtobufSchema(main, new Map([['dep/money.proto', dep]]))
  assert.equal(schema.name(), 'shop.Order')
  const data = new ProtobufData()
  const connect = data.toConnectSchema(schema.message, 3)
  assert.equal(connect.version, 3)
  assert.equal(connect.field('prices')?.schema.type, 'MAP')
  assert.equal(connect.field('prices')?.schema.name, 'prices')
  assert.equal(connect.field('count')?.schema.type, 'INT64')
  assert.equal(connect.field('count')?.schema.parameters?.['io.confluent.connect.protobuf.Type'], 'uint32')
  const message = schema.message.fromObject({
    prices: { eur: { currency: 'EUR', units: 5 } },
    count: 4294967295,
    big: '18446744073709551615',
    at: { seconds: 1, nanos: 2_000_000 },
  })
  const value = data.toConnectData(
    schema.message,
    connect,
    schema.message.decode(schema.message.encode(message).finish()),
  ) as Struct
  assert.equal(value.get('count'), 4294967295)
  assert.equal(value.get('big'), -1, 'uint64 reads as a signed long, as Java does')
  assert.equal(value.get('note'), null)
  assert.equal((value.get('at') as Date).getTime(), 1002)
  const eur = (value.get('prices') as Map<string, Struct>).get('eur')
  assert.equal(eur?.get('currency'), 'EUR')
  assert.equal(eur?.get('units'), 5)
})

test('an import that is neither a reference nor a built-in file is refused, naming it', () => {
  assert.throws(
    () => parseProtobufSchema('syntax = "proto3";\nimport "other/thing.proto";\nmessage A { int32 a = 1; }\n'),
    (e: unknown) => e instanceof DataException && e.message.includes('other/thing.proto'),
  )
})

test('a struct without a name is ConnectDefault1 and its nameless parts are numbered', () => {
  const schema = SchemaBuilder.struct()
    .field('m', SchemaBuilder.map(SchemaBuilder.string().build(), SchemaBuilder.string().build()).build())
    .build()
  const text = new ProtobufData().protoText(schema)
  assert.match(text, /message ConnectDefault1 \{/)
  assert.match(text, /repeated ConnectDefault2Entry m = 1;/)
})

test('map entry and scrubbed names follow Confluent', () => {
  assert.equal(toMapEntry('my_map'), 'MyMapEntry')
  assert.equal(toMapField('ConnectDefault2Entry'), 'connect_default2')
  assert.equal(scrubName('ok_name'), 'ok_name')
  assert.equal(scrubName('1abc'), 'x1abc')
  assert.equal(scrubName('a-b c'), 'a_b_c')
  assert.equal(scrubName('é'), '_C3_A9')
})

test('a value of the wrong type is a DataException naming the type', () => {
  const schema = SchemaBuilder.struct().name('W').field('a', SchemaBuilder.int32().build()).build()
  const data = new ProtobufData()
  const written = data.fromConnectSchema(schema)
  const struct = new Struct(SchemaBuilder.struct().name('W').field('a', SchemaBuilder.string().build()).build())
  struct.put('a', 'x')
  assert.throws(() => data.fromConnectData(written.message, schema, struct), DataException)
})
