import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DataException, deferredJsonSinkRecord, Headers, Schema, SchemaBuilder, SinkRecord, Struct } from '@ferry/api'
import { JsonConverter } from '@ferry/converters'
import { s3Settings } from '../../src/config.ts'
import { newFormat, writesJsonText } from '../../src/formats/format.ts'

const settings = (props: Record<string, string> = {}) =>
  s3Settings({
    's3.bucket.name': 'b',
    'storage.class': 'io.confluent.connect.s3.storage.S3Storage',
    'format.class': 'io.confluent.connect.s3.format.json.JsonFormat',
    'flush.size': '3',
    ...props,
  })

const record = (offset: number, schema: Schema | null, value: unknown) =>
  new SinkRecord('t', 0, null, null, schema, value, offset, null, 'CreateTime')

test('JsonFormat writes each value as the JsonConverter bytes of it and a newline, across many chunks', async () => {
  const schema = SchemaBuilder.struct()
    .field('id', Schema.INT64_SCHEMA)
    .field('s', Schema.OPTIONAL_STRING_SCHEMA)
    .build()
  const texts = ['plain', 'é ü ß', '😀 and a lone \ud800', 'quote " backslash \\ tab \t', 'x'.repeat(3000)]
  const records: SinkRecord[] = []
  for (let i = 0; i < 3000; i++) {
    const text = texts[i % texts.length]!
    if (i % 3 === 0) records.push(record(i, schema, new Struct(schema).put('id', 2 ** 60 + i).put('s', text)))
    else if (i % 3 === 1)
      records.push(
        record(
          i,
          null,
          new Map<string, unknown>([
            ['i', i / 7],
            ['t', text],
          ]),
        ),
      )
    else records.push(record(i, null, i % 2 === 0 ? null : [1.5e-7, true, text]))
  }
  const chunks: Buffer[] = []
  const writer = newFormat(settings()).newWriter({ write: (c) => chunks.push(Buffer.from(c)) }, 'k', null)
  for (const r of records) writer.write(r)
  assert.ok(chunks.length > 1, 'big objects are handed on before finish')
  await writer.finish()
  const converter = new JsonConverter()
  converter.configure({ 'schemas.enable': 'false' }, false)
  const expected = records.map((r) =>
    Buffer.concat([
      converter.fromConnectData('t', null, r.valueSchema, r.value) ?? Buffer.from('null'),
      Buffer.from('\n'),
    ]),
  )
  assert.ok(Buffer.concat(chunks).equals(Buffer.concat(expected)))
})

test('a JsonFormat record the converter refuses throws and leaves the lines around it whole', async () => {
  const chunks: Buffer[] = []
  const writer = newFormat(settings()).newWriter({ write: (c) => chunks.push(Buffer.from(c)) }, 'k', null)
  writer.write(record(0, null, 'a'))
  assert.throws(() => writer.write(record(1, Schema.INT32_SCHEMA, 'b')), DataException)
  writer.write(record(2, null, new Map([['c', 1]])))
  await writer.finish()
  assert.equal(Buffer.concat(chunks).toString('utf8'), '"a"\n{"c":1}\n')
})

test('JsonFormat writes a value whose JSON came untouched as that text, without reading the value; the S3 task asks for such values only where nothing reads them', async () => {
  const json = new JsonConverter()
  json.configure({ 'schemas.enable': 'false' }, false)
  const text = '{"id":1,"note":"kept as it came"}'
  let parses = 0
  const deferred = json.toDeferredJson('t', null, Buffer.from(text))!
  const counting = {
    text: deferred.text,
    parse: () => {
      parses++
      return deferred.parse()
    },
  }
  const untouched = deferredJsonSinkRecord('t', 0, null, null, counting, 0, null, 'CreateTime', new Headers())
  const chunks: Buffer[] = []
  const writer = newFormat(settings()).newWriter({ write: (c) => chunks.push(Buffer.from(c)) }, 'k', null)
  writer.write(untouched)
  writer.write(record(1, null, new Map([['id', 2]])))
  await writer.finish()
  assert.equal(Buffer.concat(chunks).toString(), `${text}\n{"id":2}\n`)
  assert.equal(parses, 0)

  assert.equal(writesJsonText(settings()), true)
  assert.equal(
    writesJsonText(settings({ 'format.class': 'io.confluent.connect.s3.format.bytearray.ByteArrayFormat' })),
    false,
  )
  assert.equal(
    writesJsonText(
      settings({
        'partitioner.class': 'io.confluent.connect.storage.partitioner.FieldPartitioner',
        'partition.field.name': 'id',
      }),
    ),
    false,
  )
})
