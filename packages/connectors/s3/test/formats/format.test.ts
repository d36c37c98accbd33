import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DataException, deferredJsonSinkRecord, Headers, Schema, SchemaBuilder, SinkRecord, Struct } from '@ferry/api'
import { JsonConverter } from '@ferry/converters'
import avro from 'avsc'
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

test("AvroFormat writes a container file with Confluent's AvroData schema and values (the AvroConverter's mapping)", async () => {
  const value = SchemaBuilder.struct()
    .name('com.example.V')
    .optional()
    .field('id', Schema.INT64_SCHEMA)
    .field('small', Schema.INT8_SCHEMA)
    .field('note', SchemaBuilder.string().optional().defaultValue('none').build())
    .field('tags', SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build())
    .build()
  const format = newFormat(settings({ 'format.class': 'AvroFormat', 'avro.codec': 'deflate' }))
  const chunks: Uint8Array[] = []
  const writer = format.newWriter({ write: (c) => void chunks.push(Buffer.from(c)) }, 'k', value)
  const v = (id: number, note: string | null) =>
    new Struct(value)
      .put('id', id)
      .put('small', id)
      .put('note', note)
      .put('tags', new Map([[id, `t${id}`]]))
  writer.write(record(0, value, v(1, 'a')))
  writer.write(record(1, value, v(2, null)))
  assert.throws(() => writer.write(record(2, value, new Struct(value).put('id', 3))), DataException)
  await writer.finish()
  assert.equal(format.extension, '.avro')

  const { header, records } = await readAvro(chunks)
  assert.deepEqual(header, {
    codec: 'deflate',
    schema:
      '["null",{"type":"record","name":"V","namespace":"com.example","fields":[' +
      '{"name":"id","type":"long"},' +
      '{"name":"small","type":{"type":"int","connect.type":"int8"}},' +
      '{"name":"note","type":[{"type":"string","connect.default":"none"},"null"],"default":"none"},' +
      '{"name":"tags","type":{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"int"},{"name":"value","type":"string"}]}}}' +
      '],"connect.name":"com.example.V"}]',
  })
  assert.deepEqual(JSON.parse(JSON.stringify(records)), [
    { 'com.example.V': { id: 1, small: 1, note: { string: 'a' }, tags: [{ key: 1, value: 't1' }] } },
    { 'com.example.V': { id: 2, small: 2, note: { string: 'none' }, tags: [{ key: 2, value: 't2' }] } },
  ])
})

/** The header (schema text, codec) and records of an Avro container file, read by avsc. */
async function readAvro(
  chunks: Uint8Array[],
): Promise<{ header: { schema: string; codec: string }; records: unknown[] }> {
  const decoder = new avro.streams.BlockDecoder({
    parseHook: (schema) => avro.Type.forSchema(schema as avro.Schema, { wrapUnions: true }),
  })
  const header = new Promise<{ schema: string; codec: string }>((resolve) =>
    decoder.on('metadata', (_type: unknown, codec: string, h: { meta: Record<string, Buffer> }) =>
      resolve({ schema: h.meta['avro.schema']!.toString(), codec }),
    ),
  )
  const records: unknown[] = []
  decoder.on('data', (r: unknown) => records.push(r))
  const done = new Promise((resolve) => decoder.on('end', resolve))
  decoder.end(Buffer.concat(chunks))
  await done
  return { header: await header, records: JSON.parse(JSON.stringify(records)) }
}

test('enhanced.avro.schema.support (default true) writes a string with Enum parameters as an Avro enum, false as a string; allow.optional.map.keys writes a map with optional string keys as an Avro map', async () => {
  const color = SchemaBuilder.string()
    .name('com.example.Color')
    .parameter('io.confluent.connect.avro.Enum', 'com.example.Color')
    .parameter('io.confluent.connect.avro.Enum.RED', 'RED')
    .parameter('io.confluent.connect.avro.Enum.GREEN', 'GREEN')
    .build()
  const value = SchemaBuilder.struct()
    .name('com.example.Paint')
    .field('color', color)
    .field('stock', SchemaBuilder.map(SchemaBuilder.string().optional().build(), Schema.INT32_SCHEMA).build())
    .build()
  const write = async (props: Record<string, string>) => {
    const chunks: Uint8Array[] = []
    const writer = newFormat(settings({ 'format.class': 'AvroFormat', ...props })).newWriter(
      { write: (c) => void chunks.push(Buffer.from(c)) },
      'k',
      value,
    )
    writer.write(record(0, value, new Struct(value).put('color', 'GREEN').put('stock', new Map([['a', 1]]))))
    await writer.finish()
    const { header, records } = await readAvro(chunks)
    const fields = (JSON.parse(header.schema) as { fields: { name: string; type: unknown }[] }).fields
    return { color: fields[0]!.type, stock: fields[1]!.type, records }
  }

  const enhanced = await write({ 'allow.optional.map.keys': 'true' })
  const parameters = {
    'io.confluent.connect.avro.Enum': 'com.example.Color',
    'io.confluent.connect.avro.Enum.RED': 'RED',
    'io.confluent.connect.avro.Enum.GREEN': 'GREEN',
  }
  // The namespace is the enclosing record's (com.example), so the schema text leaves it out, as Java's Avro does.
  assert.deepEqual(enhanced.color, {
    type: 'enum',
    name: 'Color',
    symbols: ['RED', 'GREEN'],
    'connect.parameters': parameters,
    'connect.name': 'com.example.Color',
  })
  assert.deepEqual(enhanced.stock, { type: 'map', values: 'int' })
  assert.deepEqual(enhanced.records, [{ color: 'GREEN', stock: { a: 1 } }])

  const plain = await write({ 'enhanced.avro.schema.support': 'false' })
  assert.deepEqual(plain.color, {
    type: 'string',
    'connect.parameters': parameters,
    'connect.name': 'com.example.Color',
  })
  assert.deepEqual(plain.stock, {
    type: 'array',
    items: {
      type: 'record',
      name: 'MapEntry',
      namespace: 'io.confluent.connect.avro',
      fields: [
        { name: 'key', type: ['null', 'string'], default: null },
        { name: 'value', type: 'int' },
      ],
    },
  })
  assert.deepEqual(plain.records, [{ color: 'GREEN', stock: [{ key: { string: 'a' }, value: 1 }] }])
})
