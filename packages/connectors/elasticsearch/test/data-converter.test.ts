import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  BigDecimal,
  Decimal,
  deferredJsonSinkRecord,
  Headers,
  Schema,
  SchemaBuilder,
  SinkRecord,
  Struct,
  Timestamp,
} from '@ferry/api'
import { JsonConverter } from '@ferry/converters'
import { sinkSettings } from '../src/config.ts'
import { DataConverter } from '../src/data-converter.ts'
import { buildMapping } from '../src/mapping.ts'

const converter = (extra: Record<string, string> = {}) =>
  new DataConverter(sinkSettings({ 'connection.url': 'http://es:9200', ...extra }))
const lines = (op: { lines: string } | null) =>
  op!.lines
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l))

const record = (
  key: unknown,
  value: unknown,
  opts: { keySchema?: Schema | null; valueSchema?: Schema | null; headers?: Headers } = {},
) =>
  new SinkRecord(
    'Topic',
    2,
    opts.keySchema ?? null,
    key,
    opts.valueSchema ?? null,
    value,
    17,
    1700000000000,
    'CreateTime',
    opts.headers ?? null,
  )

test('with key.ignore the id is topic+partition+offset and there is no external version', () => {
  const [action, doc] = lines(converter({ 'key.ignore': 'true' }).convertRecord(record(null, { a: 1 }), 'topic'))
  assert.deepEqual(action, { index: { _index: 'topic', _id: 'Topic+2+17' } })
  assert.deepEqual(doc, { a: 1 })
})

test('a keyed record is indexed with the key as id and its offset as external version', () => {
  const op = converter().convertRecord(record('k1', { a: 1 }), 'idx')
  assert.deepEqual(lines(op)[0], { index: { _index: 'idx', _id: 'k1', version: 17, version_type: 'external' } })
  assert.equal(op!.externalVersion, true)
})

test('external.version.header takes the version from a numeric header, and refuses a non-numeric one without echoing it', () => {
  const headers = new Headers().addLong('v', 99)
  const op = converter({ 'external.version.header': 'v' }).convertRecord(record('k', { a: 1 }, { headers }), 'i')
  assert.equal(lines(op)[0].index.version, 99)
  const bad = new Headers().addString('v', 'secret-ish')
  assert.throws(
    () => converter({ 'external.version.header': 'v' }).convertRecord(record('k', { a: 1 }, { headers: bad }), 'i'),
    (e: Error) =>
      /Error converting external version header 'v' to long/.test(e.message) && !e.message.includes('secret'),
  )
})

test('an external version header beyond 2^53 is written with every digit, as the long Java reads', () => {
  for (const [value, written] of [
    ['9007199254740993', '9007199254740993'],
    ['+9223372036854775807', '9223372036854775807'],
    ['-42', '-42'],
  ] as const) {
    const headers = new Headers().addString('v', value)
    const op = converter({ 'external.version.header': 'v' }).convertRecord(record('k', { a: 1 }, { headers }), 'i')
    assert.equal(
      op!.lines.split('\n')[0],
      `{"index":{"_index":"i","_id":"k","version":${written},"version_type":"external"}}`,
    )
  }
})

test('tombstones: fail by default, skipped with ignore, deleted (versioned) with delete', () => {
  assert.throws(() => converter().convertRecord(record('k', null), 'i'), /has a null value/)
  assert.equal(converter({ 'behavior.on.null.values': 'ignore' }).convertRecord(record('k', null), 'i'), null)
  const del = converter({ 'behavior.on.null.values': 'delete' }).convertRecord(record('k', null), 'i')
  assert.deepEqual(lines(del), [{ delete: { _index: 'i', _id: 'k', version: 17, version_type: 'external' } }])
  assert.equal(converter({ 'behavior.on.null.values': 'delete' }).convertRecord(record(null, null), 'i'), null)
})

test('upsert sends the document as doc and upsert, with retry_on_conflict', () => {
  const [action, body] = lines(converter({ 'write.method': 'upsert' }).convertRecord(record('k', { a: 1 }), 'i'))
  assert.deepEqual(action, { update: { _index: 'i', _id: 'k', retry_on_conflict: 5 } })
  assert.deepEqual(body, { doc: { a: 1 }, upsert: { a: 1 } })
})

test('keys that cannot be ids are data errors', () => {
  assert.throws(() => converter().convertRecord(record(null, { a: 1 }), 'i'), /can not be null/)
  assert.throws(
    () => converter().convertRecord(record(1.5, { a: 1 }), 'i'),
    /FLOAT64 is not supported as the document id/,
  )
  assert.equal(lines(converter().convertRecord(record(42, { a: 1 }), 'i'))[0].index._id, '42')
})

test('schemas are pre-processed as Confluent does: Decimal as a double, maps compact or as key/value entries, timestamps as epoch millis', () => {
  const schema = SchemaBuilder.struct()
    .field('price', Decimal.schema(2))
    .field('tags', SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build())
    .field('byId', SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build())
    .field('at', Timestamp.SCHEMA)
    .build()
  const value = new Struct(schema)
    .put('price', new BigDecimal(1234n, 2))
    .put('tags', new Map([['x', 1]]))
    .put('byId', new Map([[7, 'seven']]))
    .put('at', new Date(1700000000123))
  const [, doc] = lines(converter().convertRecord(record('k', value, { valueSchema: schema }), 'i'))
  assert.deepEqual(doc, { price: 12.34, tags: { x: 1 }, byId: [{ key: 7, value: 'seven' }], at: 1700000000123 })
  const [, loose] = lines(
    converter({ 'compact.map.entries': 'false' }).convertRecord(record('k', value, { valueSchema: schema }), 'i'),
  )
  assert.deepEqual(loose.tags, [{ key: 'x', value: 1 }])
})

test('the mapping follows the schema: text with a keyword sub-field, dates, doubles for decimals, null_value from defaults', () => {
  const schema = SchemaBuilder.struct()
    .field('name', Schema.STRING_SCHEMA)
    .field('n', SchemaBuilder.int32().defaultValue(5).build())
    .field('price', Decimal.schema(2))
    .field('at', Timestamp.SCHEMA)
    .field('list', SchemaBuilder.array(Schema.INT64_SCHEMA).build())
    .build()
  assert.deepEqual(buildMapping(schema), {
    properties: {
      name: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
      n: { type: 'integer', null_value: 5 },
      price: { type: 'double' },
      at: { type: 'date' },
      list: { type: 'long' },
    },
  })
})

test('data streams: op type create with @timestamp from the record timestamp or a listed field, no external version', () => {
  const c = converter({ 'data.stream.type': 'logs', 'data.stream.dataset': 'app' })
  const [action, doc] = lines(c.convertRecord(record('k', { a: 1 }), 'logs-app-topic'))
  assert.deepEqual(action, { create: { _index: 'logs-app-topic', _id: 'k' } })
  assert.deepEqual(doc, { a: 1, '@timestamp': 1700000000000 })
  const f = converter({
    'data.stream.type': 'logs',
    'data.stream.dataset': 'app',
    'data.stream.timestamp.field': 'when',
  })
  assert.equal(lines(f.convertRecord(record('k', { when: '2024-01-01' }), 'x'))[1]['@timestamp'], '2024-01-01')
})

test('a schemaless value whose JSON came untouched is indexed as that text, without reading the value', () => {
  const json = new JsonConverter()
  json.configure({ 'schemas.enable': 'false' }, false)
  const text = '{"id":1,"tags":["a","b"],"price":12.5}'
  let parses = 0
  const deferred = json.toDeferredJson('Topic', null, Buffer.from(text))!
  const counting = {
    text: deferred.text,
    parse: () => {
      parses++
      return deferred.parse()
    },
  }
  const untouched = deferredJsonSinkRecord(
    'Topic',
    2,
    null,
    'k1',
    counting,
    17,
    1700000000000,
    'CreateTime',
    new Headers(),
  )
  const op = converter().convertRecord(untouched, 'idx')
  assert.equal(op!.lines, `{"index":{"_index":"idx","_id":"k1","version":17,"version_type":"external"}}\n${text}\n`)
  assert.equal(parses, 0)
  assert.equal(op!.lines, converter().convertRecord(record('k1', JSON.parse(text)), 'idx')!.lines)
})
