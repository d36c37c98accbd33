import assert from 'node:assert/strict'
import test from 'node:test'
import {
  BigDecimal,
  ConnectDate,
  type ConnectRecord,
  DataException,
  Decimal,
  Headers,
  SchemaBuilder,
  SinkRecord,
  SourceRecord,
  Struct,
  Time,
  Timestamp,
} from '@ferry/api'
import { transformConformance } from '@ferry/testing'
import { FerryMap, MAP_CONFIG_DEF } from '../../src/mapping/Map.ts'
import { schemaText, valueText } from '../helpers/connect-text.ts'

const ADDRESS = SchemaBuilder.struct().field('city', SchemaBuilder.string().build()).build()
const ORDER = SchemaBuilder.struct()
  .field('id', SchemaBuilder.int64().build())
  .field('name', SchemaBuilder.string().optional().build())
  .field('at', Timestamp.SCHEMA)
  .field('day', ConnectDate.SCHEMA)
  .field('time', Time.SCHEMA)
  .field('price', Decimal.schema(2))
  .field('raw', SchemaBuilder.bytes().build())
  .field('big', SchemaBuilder.int64().build())
  .field('tags', SchemaBuilder.array(SchemaBuilder.string().build()).build())
  .field('address', ADDRESS)
  .build()

function order(): Struct {
  return new Struct(ORDER)
    .put('id', 7)
    .put('name', 'Ada')
    .put('at', new Date('2024-05-31T13:45:10.250Z'))
    .put('day', new Date('2024-05-31T00:00:00Z'))
    .put('time', new Date(49_510_250))
    .put('price', new BigDecimal(1250n, 2))
    .put('raw', new Uint8Array([1, 2, 3]))
    .put('big', 2n ** 60n)
    .put('tags', ['a', 'b'])
    .put('address', new Struct(ADDRESS).put('city', 'Paris'))
}

const headers = () => new Headers().addString('kind', 'order').addInt('attempt', 2)

/** A source record with a schema'd (Struct) value and a string key. */
function structRecord(): SourceRecord {
  return new SourceRecord(
    { file: 'x' },
    { position: 1 },
    'orders',
    0,
    SchemaBuilder.string().build(),
    'k7',
    ORDER,
    order(),
    1_717_163_110_250,
    headers(),
  )
}

/** A sink record with a schemaless value, as the JsonConverter gives it (a Map). */
function mapRecord(value: unknown = jsonMap()): SinkRecord {
  return new SinkRecord('events', 2, null, 'k', null, value, 42, 1_717_163_110_250, 'CreateTime', headers())
}

function jsonMap(): Map<string, unknown> {
  return new Map<string, unknown>([
    ['id', 1],
    ['first', 'Ada'],
    ['last', 'Lovelace'],
    ['items', [new Map<string, unknown>([['price', 1]]), new Map<string, unknown>([['price', 2.5]])]],
    ['big', 2n ** 60n],
  ])
}

interface Expected {
  topic?: string
  partition?: number | null
  timestamp?: number | null
  keySchema?: string | null
  key?: unknown
  valueSchema?: string | null
  value?: unknown
  headers?: [string, string | null, unknown][]
}

interface Case {
  name: string
  record: () => ConnectRecord
  config: Record<string, string>
  expect: Expected | { error: RegExp }
}

const DECLARED = JSON.stringify({
  type: 'struct',
  fields: [
    { field: 'id', type: 'int32' },
    { field: 'at', type: 'int64', name: 'org.apache.kafka.connect.data.Timestamp', version: 1 },
    { field: 'day', type: 'int32', name: 'org.apache.kafka.connect.data.Date' },
    { field: 'time', type: 'int32', name: 'org.apache.kafka.connect.data.Time' },
    {
      field: 'price',
      type: 'bytes',
      name: 'org.apache.kafka.connect.data.Decimal',
      parameters: { scale: '2' },
    },
    { field: 'raw', type: 'bytes' },
    { field: 'big', type: 'int64' },
    { field: 'note', type: 'string', optional: true },
    { field: 'status', type: 'string', default: 'new' },
  ],
})

/** The conformance set: an input record, a config, and the record (or the error) the transform must give. */
const CASES: Case[] = [
  // Schemaless in, schemaless out.
  {
    name: 'reshapes a schemaless map into a new Map',
    record: () => mapRecord(),
    config: {
      expression: '{"id": value.id, "name": value.first & " " & value.last, "total": $sum(value.items.price)}',
    },
    expect: { valueSchema: null, value: { Map: { id: 1, name: 'Ada Lovelace', total: 3.5 } } },
  },
  {
    name: 'renames a field by merging the rest with the new name',
    record: () =>
      mapRecord(
        new Map([
          ['a', 1],
          ['old', 2],
        ]),
      ),
    config: { expression: '$merge([$sift(value, function($v, $k) {$k != "old"}), {"new": value.old}])' },
    expect: { valueSchema: null, value: { Map: { a: 1, new: 2 } } },
  },
  {
    name: 'a plain-object value handed back whole is the same schemaless value',
    record: () => mapRecord({ a: 1, nested: { b: [1, 2] } }),
    config: { expression: 'value' },
    expect: { valueSchema: null, value: { a: 1, nested: { b: [1, 2] } } },
  },
  {
    name: 'an expression that selects nothing gives a null value',
    record: () => mapRecord(),
    config: { expression: 'value.missing' },
    expect: { valueSchema: null, value: null },
  },
  {
    name: 'a path over an array gives an array, and a single match gives the item itself (JSONata sequences)',
    record: () => mapRecord(),
    config: { expression: '{"all": value.items.price, "one": value.items[price > 2].price}' },
    expect: { valueSchema: null, value: { Map: { all: [1, 2.5], one: 2.5 } } },
  },
  {
    name: 'an int64 beyond 2^53 is the text of its digits in the document',
    record: () => mapRecord(),
    config: { expression: 'value.big' },
    expect: { valueSchema: null, value: '1152921504606846976' },
  },
  {
    name: 'the document holds headers by name, the topic, partition and timestamp',
    record: () => mapRecord(),
    config: { expression: '{"h": headers.kind, "n": headers.attempt, "t": topic, "p": partition, "ts": timestamp}' },
    expect: { value: { Map: { h: 'order', n: 2, t: 'events', p: 2, ts: 1_717_163_110_250 } } },
  },
  {
    name: 'a tombstone goes through the expression with value null, and a conditional keeps it null',
    record: () => mapRecord(null),
    config: { expression: 'value ? {"id": value.id} : null' },
    expect: { valueSchema: null, value: null },
  },
  {
    name: 'the document has key, value, headers, topic, partition and timestamp, in that order',
    record: () => mapRecord(new Map([['a', 1]])),
    config: { expression: '{"keys": $keys($), "doc": $string($)}' },
    expect: {
      value: {
        Map: {
          keys: ['key', 'value', 'headers', 'topic', 'partition', 'timestamp'],
          doc: '{"key":"k","value":{"a":1},"headers":{"kind":"order","attempt":2},"topic":"events","partition":2,"timestamp":1717163110250}',
        },
      },
    },
  },
  {
    name: 'target=key sets the key from the value and leaves the value alone',
    record: () => mapRecord(),
    config: { expression: '$string(value.id)', target: 'key' },
    expect: { keySchema: null, key: '1', valueSchema: null },
  },
  {
    name: 'a function as the result fails the record',
    record: () => mapRecord(),
    config: { expression: 'function($x) { $x }' },
    expect: { error: /io\.ferry\.transforms\.Map: value is a function, which is not a Connect value/ },
  },
  {
    name: 'a JSONata run-time error fails the record with the position and JSONata’s code',
    record: () => mapRecord(),
    config: { expression: 'value.first + 1' },
    expect: {
      error:
        /io\.ferry\.transforms\.Map: the expression failed at position \d+: .*must evaluate to a number.*\(JSONata T2001\)/,
    },
  },

  // Schema in: the output schema is inferred from the result.
  {
    name: 'infers a struct with fields in key order, integral numbers int64, others float64, all optional',
    record: structRecord,
    config: {
      expression:
        '{"id": value.id, "who": $uppercase(value.name), "half": value.id / 2, "ok": true, "tags": value.tags}',
    },
    expect: {
      valueSchema: 'struct{id:int64?,who:string?,half:float64?,ok:boolean?,tags:array<string?>?}?',
      value: { id: 7, who: 'ADA', half: 3.5, ok: true, tags: ['a', 'b'] },
    },
  },
  {
    name: 'logical types, bytes and big int64s appear in the document as text and numbers',
    record: structRecord,
    config: {
      expression:
        '{"at": value.at, "day": value.day, "time": value.time, "price": value.price, "raw": value.raw, "big": value.big}',
    },
    expect: {
      valueSchema: 'struct{at:string?,day:string?,time:string?,price:float64?,raw:string?,big:string?}?',
      value: {
        at: '2024-05-31T13:45:10.250Z',
        day: '2024-05-31',
        time: '13:45:10.250',
        price: 12.5,
        raw: 'AQID',
        big: '1152921504606846976',
      },
    },
  },
  {
    name: 'the value handed back whole keeps its Struct and schema',
    record: structRecord,
    config: { expression: 'value' },
    expect: { valueSchema: schemaText(ORDER), value: valueText(order()) },
  },
  {
    name: 'a nested input Struct handed back keeps its schema inside an inferred struct',
    record: structRecord,
    config: { expression: '{"id": value.id, "address": value.address}' },
    expect: {
      valueSchema: 'struct{id:int64?,address:struct{city:string}}?',
      value: { id: 7, address: { city: 'Paris' } },
    },
  },
  {
    name: 'array elements merge: structs take every field, int64 and float64 make float64, null fields are strings',
    record: structRecord,
    config: { expression: '[{"a": 1}, {"a": 2.5, "b": "x", "c": null}]' },
    expect: {
      valueSchema: 'array<struct{a:float64?,b:string?,c:string?}?>?',
      value: [
        { a: 1, b: null, c: null },
        { a: 2.5, b: 'x', c: null },
      ],
    },
  },
  {
    name: 'array elements of different types cannot be inferred',
    record: structRecord,
    config: { expression: '[1, "x"]' },
    expect: { error: /value\[1\] holds values of different types \(int64 and string\).*declare the schema/ },
  },
  {
    name: 'a null result with a schema in gives a null value without a schema',
    record: structRecord,
    config: { expression: 'value.nothing' },
    expect: { valueSchema: null, value: null },
  },

  // A declared schema.
  {
    name: 'a declared schema turns ISO text, numbers and base64 back into logical types, bytes and exact int64s',
    record: structRecord,
    config: {
      expression:
        '{"id": value.id, "at": value.at, "day": value.day, "time": value.time, "price": value.price * 3 / 7, "raw": value.raw, "big": value.big}',
      'value.schema': DECLARED,
    },
    expect: {
      valueSchema:
        'struct{id:int32,at:Timestamp,day:Date,time:Time,price:Decimal(2),raw:bytes,big:int64,note:string?,status:string}',
      value: {
        id: 7,
        at: '2024-05-31T13:45:10.250Z',
        day: '2024-05-31T00:00:00.000Z',
        time: '1970-01-01T13:45:10.250Z',
        price: '5.36d',
        raw: 'bytes:AQID',
        big: '1152921504606846976n',
        note: null,
        status: 'new',
      },
    },
  },
  {
    name: 'a declared schema gives a schemaless input a schema',
    record: () => mapRecord(),
    config: {
      expression: '{"id": value.id}',
      'value.schema': '{"type":"struct","fields":[{"field":"id","type":"int64"}]}',
    },
    expect: { valueSchema: 'struct{id:int64}', value: { id: 1 } },
  },
  {
    name: 'a value outside the declared int32 range fails the record naming the field',
    record: structRecord,
    config: {
      expression: '{"id": 3000000000}',
      'value.schema': '{"type":"struct","fields":[{"field":"id","type":"int32"}]}',
    },
    expect: { error: /value\.id is the number 3000000000, where the schema has a required int32 \(an integer from/ },
  },
  {
    name: 'a field the declared schema does not have fails the record',
    record: structRecord,
    config: {
      expression: '{"id": 1, "extra": 2}',
      'value.schema': '{"type":"struct","fields":[{"field":"id","type":"int64"}]}',
    },
    expect: { error: /value\.extra is not a field of the schema \(its fields: id\)/ },
  },
  {
    name: 'a missing required field without a default fails the record',
    record: structRecord,
    config: { expression: '{}', 'value.schema': '{"type":"struct","fields":[{"field":"id","type":"int64"}]}' },
    expect: { error: /value\.id is missing|value\.id is null, where the schema has a required int64/ },
  },
  {
    name: 'text that is not a timestamp fails the record',
    record: structRecord,
    config: {
      expression: '"yesterday"',
      'value.schema': '{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"}',
    },
    expect: { error: /value is the string "yesterday", where the schema has a Timestamp/ },
  },

  // target=record.
  {
    name: 'target=record sets the topic, a header and the timestamp, and keeps the rest',
    record: structRecord,
    config: {
      target: 'record',
      expression:
        '{"topic": topic & "-" & $lowercase(value.name), "headers": {"kind": "paid"}, "timestamp": "2024-01-01T00:00:00Z"}',
    },
    expect: {
      topic: 'orders-ada',
      timestamp: Date.UTC(2024, 0, 1),
      keySchema: 'string',
      key: 'k7',
      valueSchema: schemaText(ORDER),
      headers: [
        ['attempt', 'int32', 2],
        ['kind', 'string?', 'paid'],
      ],
    },
  },
  {
    name: 'target=record sets key and value with their schemas inferred, and the partition',
    record: structRecord,
    config: { target: 'record', expression: '{"key": {"id": value.id}, "value": value.address.city, "partition": 5}' },
    expect: {
      partition: 5,
      keySchema: 'struct{id:int64?}?',
      key: { id: 7 },
      valueSchema: 'string?',
      value: 'Paris',
    },
  },
  {
    name: 'target=record refuses a field a record does not have',
    record: structRecord,
    config: { target: 'record', expression: '{"offset": 3}' },
    expect: { error: /the record has no field "offset" to set/ },
  },
  {
    name: 'target=record needs an object',
    record: structRecord,
    config: { target: 'record', expression: '"x"' },
    expect: { error: /with target=record the expression must give an object, not the string "x"/ },
  },
]

for (const c of CASES) {
  test(`Map ${c.name}`, () => {
    const transform = new FerryMap()
    transform.configure(c.config)
    const input = c.record()
    if ('error' in c.expect) {
      const pattern = c.expect.error
      assert.throws(
        () => transform.apply(input),
        (e: unknown) => e instanceof DataException && pattern.test((e as Error).message),
      )
      return
    }
    const out = transform.apply(input)
    const e = c.expect
    assert.equal(out.topic, e.topic ?? input.topic)
    assert.equal(out.kafkaPartition, e.partition === undefined ? input.kafkaPartition : e.partition)
    assert.equal(out.timestamp, e.timestamp === undefined ? input.timestamp : e.timestamp)
    if ('keySchema' in e) assert.equal(schemaText(out.keySchema), e.keySchema)
    assert.deepEqual(valueText(out.key), 'key' in e ? e.key : valueText(input.key))
    if ('valueSchema' in e) assert.equal(schemaText(out.valueSchema), e.valueSchema)
    if ('value' in e) assert.deepEqual(valueText(out.value), e.value)
    if (e.headers) {
      assert.deepEqual(
        [...out.headers].map((h) => [h.key, schemaText(h.schema), valueText(h.value)]),
        e.headers,
      )
    }
    // The output fits its schema, as a converter checks it.
    if (out.value instanceof Struct) out.value.validate()
  })
}

test('Map handing the whole value back returns the very Struct it was given', () => {
  const transform = new FerryMap()
  transform.configure({ expression: 'value' })
  const input = structRecord()
  const out = transform.apply(input)
  assert.equal(out.value, input.value)
  assert.equal(out.valueSchema, input.valueSchema)
})

test('Map gives records whose results have one shape the very same inferred schema object', () => {
  const transform = new FerryMap()
  transform.configure({ expression: '{"id": value.id, "tags": value.tags, "n": $count(value.tags)}' })
  const [a, b] = [transform.apply(structRecord()), transform.apply(structRecord())]
  assert.equal(a.valueSchema, b.valueSchema)
  transform.configure({ expression: '{"id": value.id / 2}' })
  assert.notEqual(transform.apply(structRecord()).valueSchema, a.valueSchema)
})

test('Map conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new FerryMap(), { expression: 'value' }, { nullValues: 'pass' })
})

test('Map with target=record conforms to the transform contract and may change headers', async (t) => {
  await transformConformance(
    t,
    () => new FerryMap(),
    { expression: '{"headers": {"seen": true}}', target: 'record' },
    { nullValues: 'pass', changesHeaders: true },
  )
})

test('Map refuses key.schema with target=value and value.schema with target=key, naming the key', () => {
  assert.throws(() => new FerryMap().configure({ expression: 'value', 'key.schema': '{"type":"string"}' }), {
    message:
      /^Invalid value \{"type":"string"\} for configuration key\.schema: The key is not written with target=value/,
  })
  assert.throws(
    () => new FerryMap().configure({ expression: 'key', target: 'key', 'value.schema': '{"type":"string"}' }),
    { message: /for configuration value\.schema: The value is not written with target=key/ },
  )
})

test('Map validation reports a syntax error and a bad schema on their keys, with the position and the reason', () => {
  const errors = Object.fromEntries(
    MAP_CONFIG_DEF.validate({
      expression: '{"a": value.}',
      'value.schema': '{"type":"struct","fields":[{"field":"a","type":"text"}]}',
      target: 'both',
    }).map((v) => [v.name, v.errorMessages]),
  )
  assert.match(
    errors.expression![0]!,
    /for configuration expression: JSONata syntax error at position 13: .*\(JSONata S0\d+\)/,
  )
  assert.match(
    errors['value.schema']![0]!,
    /for configuration value\.schema: schema\.a has the type "text"; valid types: boolean, int8/,
  )
  assert.match(errors.target![0]!, /String must be one of: value, key, record/)
  assert.deepEqual(errors['expression.timeout.ms'], [])
})
