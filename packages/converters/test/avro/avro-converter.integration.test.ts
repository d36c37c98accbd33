/**
 * Ferry's AvroConverter against a real registry (Apicurio Registry 3.3.3 through its Confluent API, started once for
 * this file) and against Confluent's own JavaScript serdes (`@confluentinc/schemaregistry`) on the same registry:
 * bytes either side writes, the other reads.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { AvroDeserializer, AvroSerializer, SchemaRegistryClient, SerdeType } from '@confluentinc/schemaregistry'
import {
  BigDecimal,
  DataException,
  Decimal,
  PendingException,
  RetriableException,
  Schema,
  SchemaBuilder,
  Struct,
  Timestamp,
  valueEquals,
} from '@ferry/api'
import { randomName } from '@ferry/testing'
import { type SchemaRegistryServer, startApicurio } from '../../../../scripts/apicurio/harness.ts'
import { AvroConverter } from '../../src/avro/avro-converter.ts'

/**
 * Confluent's client with a request timeout (it has none by default, and retries a timed-out request): a request lost
 * on a keep-alive connection the registry was closing would otherwise wait forever, as one did in a CI run.
 */
const CONFLUENT_REQUEST_TIMEOUT_MS = 10_000

let registry: SchemaRegistryServer
let confluent: SchemaRegistryClient

before(async () => {
  registry = await startApicurio()
  confluent = new SchemaRegistryClient({
    baseURLs: [registry.confluentUrl],
    createAxiosDefaults: { timeout: CONFLUENT_REQUEST_TIMEOUT_MS },
  })
})
after(async () => {
  await registry?.stop()
})

function converter(config: Record<string, unknown> = {}, isKey = false): AvroConverter {
  const c = new AvroConverter()
  c.configure({ 'schema.registry.url': registry.confluentUrl, ...config }, isKey)
  return c
}

/** A converter call, waiting while it fetches a schema (as the runtime does). */
async function settled<T>(call: () => T): Promise<T> {
  for (;;) {
    try {
      return call()
    } catch (e) {
      if (!(e instanceof PendingException)) throw e
      await e.ready
    }
  }
}

const ITEM = SchemaBuilder.struct()
  .name('ferry.test.Item')
  .field('sku', Schema.STRING_SCHEMA)
  .field('qty', Schema.INT16_SCHEMA)
  .build()
const ORDER = SchemaBuilder.struct()
  .name('ferry.test.Order')
  .field('id', Schema.INT64_SCHEMA)
  .field('customer', Schema.STRING_SCHEMA)
  .field('note', Schema.OPTIONAL_STRING_SCHEMA)
  .field('total', Decimal.schema(2))
  .field('placed', Timestamp.SCHEMA)
  .field('items', SchemaBuilder.array(ITEM).build())
  .field('attributes', SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).build())
  .field('byShelf', SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build())
  .build()

function order(id: number): Struct {
  return new Struct(ORDER)
    .put('id', id)
    .put('customer', `c-${id}`)
    .put('note', id % 2 === 0 ? null : 'odd')
    .put('total', new BigDecimal(BigInt(id * 100 + 99), 2))
    .put('placed', new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)))
    .put('items', [new Struct(ITEM).put('sku', 'A-1').put('qty', 3)])
    .put('attributes', new Map([['channel', 'web']]))
    .put('byShelf', new Map([[7, 'top']]))
}

test('against Apicurio: a struct of many types round-trips through Ferry, and the subject holds Confluent’s Avro schema', async () => {
  const topic = randomName('orders')
  const writer = converter()
  const reader = converter()
  for (let id = 1; id <= 3; id++) {
    const bytes = await settled(() => writer.fromConnectData(topic, null, ORDER, order(id)))
    const back = await settled(() => reader.toConnectData(topic, null, bytes))
    for (const f of ORDER.fields())
      assert.ok(valueEquals((back.value as Struct).get(f.name), order(id).get(f.name)), `${f.name} of order ${id}`)
    assert.equal(back.schema?.name, 'ferry.test.Order')
    assert.equal(back.schema?.version, 1, 'the registry version, as Confluent gives it')
  }
  const latest = await confluent.getLatestSchemaMetadata(`${topic}-value`)
  const schema = JSON.parse(latest.schema!)
  assert.equal(schema.name, 'Order')
  assert.deepEqual(schema.fields[2].type, ['null', 'string'])
  assert.equal(schema.fields[3].type.logicalType, 'decimal')
  writer.close()
  reader.close()
})

test('against Apicurio: bytes Ferry writes are read by Confluent’s AvroDeserializer', async () => {
  const topic = randomName('to-confluent')
  const writer = converter()
  const bytes = await settled(() => writer.fromConnectData(topic, null, ORDER, order(5)))
  const deserializer = new AvroDeserializer(confluent, SerdeType.VALUE, {})
  const read = await deserializer.deserialize(topic, Buffer.from(bytes!))
  assert.equal(read.customer, 'c-5')
  assert.equal(BigInt(read.id), 5n)
  assert.equal(read.note, 'odd')
  assert.equal(read.items[0].sku, 'A-1')
  assert.equal(read.items[0].qty, 3)
  assert.equal(read.attributes.channel, 'web')
  assert.deepEqual(
    read.byShelf.map((e: { key: number; value: string }) => [e.key, e.value]),
    [[7, 'top']],
  )
  writer.close()
})

test('against Apicurio: bytes Confluent’s AvroSerializer writes are read by Ferry, with Connect types from the Avro schema', async () => {
  const topic = randomName('from-confluent')
  const avroSchema = {
    type: 'record',
    name: 'Reading',
    namespace: 'ferry.test',
    fields: [
      { name: 'sensor', type: 'string' },
      { name: 'value', type: 'double' },
      { name: 'count', type: 'long' },
      { name: 'unit', type: ['null', 'string'], default: null },
      { name: 'state', type: { type: 'enum', name: 'State', symbols: ['OK', 'FAILED'] } },
      { name: 'tags', type: { type: 'array', items: 'string' } },
      { name: 'labels', type: { type: 'map', values: 'int' } },
      { name: 'raw', type: 'bytes' },
    ],
  }
  await confluent.register(`${topic}-value`, { schemaType: 'AVRO', schema: JSON.stringify(avroSchema) })
  const serializer = new AvroSerializer(confluent, SerdeType.VALUE, {
    useLatestVersion: true,
    autoRegisterSchemas: false,
  })
  const bytes = await serializer.serialize(topic, {
    sensor: 's1',
    value: 21.5,
    count: 9,
    unit: 'C',
    state: 'FAILED',
    tags: ['a', 'b'],
    labels: { x: 1 },
    raw: Buffer.from([1, 2, 3]),
  })
  assert.equal(bytes[0], 0, 'Confluent’s wire format')
  const reader = converter()
  const back = await settled(() => reader.toConnectData(topic, null, bytes))
  const schema = back.schema!
  assert.equal(schema.name, 'ferry.test.Reading')
  assert.deepEqual(
    schema.fields().map((f) => [f.name, f.schema.type, f.schema.isOptional]),
    [
      ['sensor', 'STRING', false],
      ['value', 'FLOAT64', false],
      ['count', 'INT64', false],
      ['unit', 'STRING', true],
      ['state', 'STRING', false],
      ['tags', 'ARRAY', false],
      ['labels', 'MAP', false],
      ['raw', 'BYTES', false],
    ],
  )
  assert.equal(schema.field('state')!.schema.parameters?.['io.confluent.connect.avro.Enum'], 'ferry.test.State')
  const value = back.value as Struct
  assert.equal(value.get('sensor'), 's1')
  assert.equal(value.get('value'), 21.5)
  assert.equal(value.get('count'), 9)
  assert.equal(value.get('unit'), 'C')
  assert.equal(value.get('state'), 'FAILED')
  assert.deepEqual(value.get('tags'), ['a', 'b'])
  assert.ok(valueEquals(value.get('labels'), new Map([['x', 1]])))
  assert.deepEqual([...(value.get('raw') as Uint8Array)], [1, 2, 3])
  reader.close()
})

test('against Apicurio: TopicRecordNameStrategy registers under <topic>-<record name>; the key converter under <topic>-key', async () => {
  const topic = randomName('strategies')
  const c = converter({
    'value.subject.name.strategy': 'io.confluent.kafka.serializers.subject.TopicRecordNameStrategy',
  })
  const bytes = await settled(() =>
    c.fromConnectData(topic, null, ITEM, new Struct(ITEM).put('sku', 'x').put('qty', 1)),
  )
  assert.equal(
    (await confluent.getLatestSchemaMetadata(`${topic}-ferry.test.Item`)).id,
    Buffer.from(bytes!).readInt32BE(1),
  )
  const keys = converter({}, true)
  await settled(() => keys.fromConnectData(topic, null, Schema.STRING_SCHEMA, 'k'))
  assert.equal(JSON.parse((await confluent.getLatestSchemaMetadata(`${topic}-key`)).schema!), 'string')
  c.close()
  keys.close()
})

test('against Apicurio: an optional field added to the schema is a new version, and a reader reads records of both', async () => {
  const topic = randomName('evolve')
  const v1 = SchemaBuilder.struct().name('ferry.test.User').field('name', Schema.STRING_SCHEMA).build()
  const v2 = SchemaBuilder.struct()
    .name('ferry.test.User')
    .field('name', Schema.STRING_SCHEMA)
    .field('email', Schema.OPTIONAL_STRING_SCHEMA)
    .build()
  await fetch(`${registry.confluentUrl}/config/${topic}-value`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ compatibility: 'BACKWARD' }),
  }).then((r) => r.arrayBuffer())
  const writer = converter()
  const first = await settled(() => writer.fromConnectData(topic, null, v1, new Struct(v1).put('name', 'ann')))
  const second = await settled(() =>
    writer.fromConnectData(topic, null, v2, new Struct(v2).put('name', 'bob').put('email', 'b@x')),
  )
  const reader = converter()
  const a = await settled(() => reader.toConnectData(topic, null, first))
  const b = await settled(() => reader.toConnectData(topic, null, second))
  assert.deepEqual([a.schema?.version, (a.value as Struct).get('name')], [1, 'ann'])
  assert.deepEqual([b.schema?.version, (b.value as Struct).get('email')], [2, 'b@x'])

  // A required field added without a default breaks BACKWARD compatibility: the registry answers 409.
  const bad = SchemaBuilder.struct()
    .name('ferry.test.User')
    .field('name', Schema.STRING_SCHEMA)
    .field('age', Schema.INT32_SCHEMA)
    .build()
  await assert.rejects(
    settled(() => writer.fromConnectData(topic, null, bad, new Struct(bad).put('name', 'c').put('age', 3))),
    (e: unknown) =>
      e instanceof DataException &&
      !(e instanceof RetriableException) &&
      /incompatible with an earlier schema of its subject/.test((e as Error).message),
  )
  writer.close()
  reader.close()
})

test('an unreachable registry is a RetriableException naming the URL once the client’s retries are spent', async () => {
  const c = new AvroConverter()
  c.configure({ 'schema.registry.url': 'http://127.0.0.1:1', 'max.retries': '1', 'retries.wait.ms': '10' }, false)
  await assert.rejects(
    settled(() => c.fromConnectData('t', null, Schema.STRING_SCHEMA, 'x')),
    (e: unknown) => e instanceof RetriableException && /127\.0\.0\.1:1/.test((e as Error).message),
  )
  c.close()
})
