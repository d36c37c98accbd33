import assert from 'node:assert/strict'
import { type AddressInfo, connect, createServer, type Socket } from 'node:net'
import { after, before, test } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { BigDecimal, ConnectDate, Decimal, Schema, SchemaBuilder, Struct, Timestamp } from '@ferry/api'
import { JsonConverter } from '@ferry/converters'
import { randomName, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { type S3Mock, startS3Mock } from '../../../../scripts/s3mock/harness.ts'
import { createTopic, getObject, listKeys, produce, readAvro, readParquet, s3Client, workerProps } from './helpers.ts'

const BUCKET = 'ferry-test'
let s3: S3Mock
let client: S3Client

before(async () => {
  s3 = await startS3Mock({ buckets: [BUCKET] })
  client = s3Client(s3.endpoint)
})
after(async () => {
  client?.destroy()
  await s3?.stop()
})

const JSON_CONVERTER = 'org.apache.kafka.connect.json.JsonConverter'

function sinkConfig(topic: string, extra: Record<string, string>): Record<string, string> {
  return {
    name: randomName('s3'),
    'connector.class': 'io.confluent.connect.s3.S3SinkConnector',
    topics: topic,
    's3.bucket.name': BUCKET,
    'store.url': s3.endpoint,
    's3.region': 'us-east-1',
    'aws.access.key.id': 'test',
    'aws.secret.access.key': 'secret-of-the-test-user',
    'storage.class': 'io.confluent.connect.s3.storage.S3Storage',
    'topics.dir': randomName('dir'),
    ...extra,
  }
}

const pad = (n: number) => String(n).padStart(10, '0')

/** A schema'd JSON envelope (JsonConverter with schemas.enable=true) of a Struct. */
const enveloped = (() => {
  const c = new JsonConverter()
  c.configure({ 'schemas.enable': 'true' }, false)
  return (topic: string, schema: Schema, value: Struct) => Buffer.from(c.fromConnectData(topic, null, schema, value)!)
})()

test('JsonFormat with gzip and the DefaultPartitioner: one object per flush.size records of each partition, named as Confluent names them, each line a record', async (t) => {
  const topic = randomName('s3-json')
  await createTopic(topic, 2)
  const records = []
  for (let p = 0; p < 2; p++) {
    for (let i = 0; i < 100; i++) {
      records.push({ topic, partition: p, key: null, value: Buffer.from(JSON.stringify({ p, i, text: `r${i}` })) })
    }
  }
  await produce(records)
  const dir = await tempDir(t)
  const config = sinkConfig(topic, {
    'format.class': 'io.confluent.connect.s3.format.json.JsonFormat',
    'flush.size': '50',
    's3.compression.type': 'gzip',
    'value.converter': JSON_CONVERTER,
    'value.converter.schemas.enable': 'false',
  })
  await startStandalone(t, { dir, worker: await workerProps(dir, JSON_CONVERTER), connectors: [config] })
  const prefix = `${config['topics.dir']}/${topic}/`
  const keys = await waitFor('four objects', async () => {
    const k = await listKeys(client, BUCKET, prefix)
    return k.length === 4 ? k : undefined
  })
  assert.deepEqual(keys, [
    `${prefix}partition=0/${topic}+0+${pad(0)}.json.gz`,
    `${prefix}partition=0/${topic}+0+${pad(50)}.json.gz`,
    `${prefix}partition=1/${topic}+1+${pad(0)}.json.gz`,
    `${prefix}partition=1/${topic}+1+${pad(50)}.json.gz`,
  ])
  for (const key of keys) {
    const [, p, start] = /\+(\d)\+(\d+)\.json\.gz$/.exec(key)!
    const lines = gunzipSync(await getObject(client, BUCKET, key))
      .toString('utf8')
      .split('\n')
    assert.equal(lines.pop(), '', 'each record ends with a line separator')
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)),
      Array.from({ length: 50 }, (_, i) => ({ p: Number(p), i: Number(start) + i, text: `r${Number(start) + i}` })),
    )
  }
})

test('ByteArrayFormat writes each value as it is, followed by format.bytearray.separator, with format.bytearray.extension', async (t) => {
  const topic = randomName('s3-bytes')
  await createTopic(topic, 1)
  const values = Array.from({ length: 30 }, (_, i) => Buffer.from([i, 0xff, 0x00, i + 1]))
  await produce(values.map((value) => ({ topic, partition: 0, key: null, value })))
  const dir = await tempDir(t)
  const converter = 'org.apache.kafka.connect.converters.ByteArrayConverter'
  const config = sinkConfig(topic, {
    'format.class': 'ByteArrayFormat',
    'flush.size': '10',
    'format.bytearray.extension': '.raw',
    'format.bytearray.separator': '|',
    'value.converter': converter,
  })
  await startStandalone(t, { dir, worker: await workerProps(dir, converter), connectors: [config] })
  const prefix = `${config['topics.dir']}/${topic}/partition=0/`
  const keys = await waitFor('three objects', async () => {
    const k = await listKeys(client, BUCKET, prefix)
    return k.length === 3 ? k : undefined
  })
  assert.deepEqual(
    keys,
    [0, 10, 20].map((o) => `${prefix}${topic}+0+${pad(o)}.raw`),
  )
  for (const [n, key] of keys.entries()) {
    const expected = Buffer.concat(values.slice(n * 10, n * 10 + 10).flatMap((v) => [v, Buffer.from('|')]))
    assert.deepEqual(await getObject(client, BUCKET, key), expected)
  }
})

const ORDER = SchemaBuilder.struct()
  .name('com.example.Order')
  .field('id', Schema.INT64_SCHEMA)
  .field('region', Schema.STRING_SCHEMA)
  .field('small', Schema.INT8_SCHEMA)
  .field('flag', Schema.BOOLEAN_SCHEMA)
  .field('price', Decimal.schema(2))
  .field('day', ConnectDate.SCHEMA)
  .field('at', Timestamp.SCHEMA)
  .field('ratio', Schema.FLOAT64_SCHEMA)
  .field('note', Schema.OPTIONAL_STRING_SCHEMA)
  // An Avro enum as the AvroConverter reads one: written as an enum again (enhanced.avro.schema.support, default true).
  .field(
    'status',
    SchemaBuilder.string()
      .name('com.example.Status')
      .parameter('io.confluent.connect.avro.Enum', 'com.example.Status')
      .parameter('io.confluent.connect.avro.Enum.OPEN', 'OPEN')
      .parameter('io.confluent.connect.avro.Enum.SHIPPED', 'SHIPPED')
      .build(),
  )
  .field('blob', Schema.BYTES_SCHEMA)
  .field('tags', SchemaBuilder.array(Schema.STRING_SCHEMA).build())
  .field('counts', SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build())
  .field(
    'address',
    SchemaBuilder.struct()
      .field('city', Schema.STRING_SCHEMA)
      .field('zip', Schema.OPTIONAL_INT32_SCHEMA)
      .optional()
      .build(),
  )
  .build()

const DAY = 86_400_000
const BASE = Date.UTC(2026, 0, 2, 10, 0, 0)

function order(id: number): Struct {
  return new Struct(ORDER)
    .put('id', id)
    .put('region', id % 2 === 0 ? 'eu' : 'us')
    .put('small', id % 100)
    .put('flag', id % 3 === 0)
    .put('price', new BigDecimal(BigInt(id * 101), 2))
    .put('day', new Date(Math.floor((BASE + id * 3_600_000) / DAY) * DAY))
    .put('at', new Date(BASE + id * 3_600_000))
    .put('ratio', id / 4)
    .put('note', id % 5 === 0 ? null : `note ${id}`)
    .put('status', id % 3 === 0 ? 'SHIPPED' : 'OPEN')
    .put('blob', Buffer.from([id % 256, 1, 2]))
    .put('tags', [`t${id}`, 'x'])
    .put('counts', new Map([[`k${id}`, id]]))
    .put(
      'address',
      id % 4 === 0
        ? null
        : new Struct(ORDER.field('address')!.schema).put('city', `c${id}`).put('zip', id % 3 === 0 ? null : id),
    )
}

test("AvroFormat with the FieldPartitioner: Avro container files that Apache avro-tools reads, one directory per field value, Confluent's Avro schema", async (t) => {
  const topic = randomName('s3-avro')
  await createTopic(topic, 1)
  await produce(
    Array.from({ length: 40 }, (_, id) => ({
      topic,
      partition: 0,
      key: null,
      value: enveloped(topic, ORDER, order(id)),
    })),
  )
  const dir = await tempDir(t)
  const config = sinkConfig(topic, {
    'format.class': 'io.confluent.connect.s3.format.avro.AvroFormat',
    'partitioner.class': 'io.confluent.connect.storage.partitioner.FieldPartitioner',
    'partition.field.name': 'region',
    'avro.codec': 'deflate',
    'flush.size': '20',
    'value.converter': JSON_CONVERTER,
  })
  await startStandalone(t, { dir, worker: await workerProps(dir, JSON_CONVERTER), connectors: [config] })
  const prefix = `${config['topics.dir']}/${topic}/`
  const keys = await waitFor('four objects', async () => {
    const k = await listKeys(client, BUCKET, prefix)
    return k.length === 4 ? k : undefined
  })
  // flush.size counts the partition's records, whatever their encoded partition: offsets 0-19 and 20-39.
  assert.deepEqual(keys, [
    `${prefix}region=eu/${topic}+0+${pad(0)}.avro`,
    `${prefix}region=eu/${topic}+0+${pad(20)}.avro`,
    `${prefix}region=us/${topic}+0+${pad(1)}.avro`,
    `${prefix}region=us/${topic}+0+${pad(21)}.avro`,
  ])
  const { schema: avroSchema, records } = await readAvro(
    await Promise.all(keys.map((k) => getObject(client, BUCKET, k))),
  )
  const schema = avroSchema as { name: string; namespace: string; fields: Array<{ name: string; type: unknown }> }
  assert.equal(`${schema.namespace}.${schema.name}`, 'com.example.Order')
  const type = (name: string) => schema.fields.find((f) => f.name === name)!.type
  assert.deepEqual(type('small'), { type: 'int', 'connect.type': 'int8' })
  assert.deepEqual(type('note'), ['null', 'string'])
  assert.equal((type('price') as { logicalType: string }).logicalType, 'decimal')
  assert.equal((type('at') as { logicalType: string }).logicalType, 'timestamp-millis')
  assert.equal((type('day') as { logicalType: string }).logicalType, 'date')
  assert.deepEqual(
    [(type('status') as { type: string }).type, (type('status') as { symbols: string[] }).symbols],
    ['enum', ['OPEN', 'SHIPPED']],
  )
  const ids: number[] = []
  for (const r of records as Array<Record<string, unknown>>) {
    const id = r.id as number
    ids.push(id)
    assert.equal(r.region, id % 2 === 0 ? 'eu' : 'us')
    assert.equal(r.small, id % 100)
    assert.equal(r.flag, id % 3 === 0)
    assert.equal(r.at, BASE + id * 3_600_000)
    assert.equal(r.day, Math.floor((BASE + id * 3_600_000) / DAY))
    assert.equal(r.ratio, id / 4)
    assert.deepEqual(r.note, id % 5 === 0 ? null : { string: `note ${id}` })
    assert.equal(r.status, id % 3 === 0 ? 'SHIPPED' : 'OPEN')
    assert.deepEqual(r.tags, [`t${id}`, 'x'])
    assert.deepEqual(r.counts, { [`k${id}`]: id })
    const unscaled = BigInt(`0x${Buffer.from(r.price as string, 'latin1').toString('hex') || '0'}`)
    assert.equal(unscaled, BigInt(id * 101))
    assert.deepEqual(Buffer.from(r.blob as string, 'latin1'), Buffer.from([id % 256, 1, 2]))
  }
  assert.deepEqual(
    ids.sort((a, b) => a - b),
    Array.from({ length: 40 }, (_, i) => i),
  )
})

test('ParquetFormat with the TimeBasedPartitioner on a record field: Parquet files that DuckDB reads, one directory per hour in the time zone', async (t) => {
  const topic = randomName('s3-parquet')
  await createTopic(topic, 1)
  // 12 records, one every 30 minutes from 10:00 UTC: six hours in Europe/Paris (UTC+1 in January).
  await produce(
    Array.from({ length: 12 }, (_, i) => {
      const id = i
      const value = order(id).put('at', new Date(BASE + i * 1_800_000))
      return { topic, partition: 0, key: null, value: enveloped(topic, ORDER, value) }
    }),
  )
  const dir = await tempDir(t)
  const config = sinkConfig(topic, {
    'format.class': 'io.confluent.connect.s3.format.parquet.ParquetFormat',
    'partitioner.class': 'TimeBasedPartitioner',
    'path.format': "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH",
    'partition.duration.ms': '3600000',
    locale: 'en_US',
    timezone: 'Europe/Paris',
    'timestamp.extractor': 'RecordField',
    'timestamp.field': 'at',
    'flush.size': '12',
    'value.converter': JSON_CONVERTER,
  })
  await startStandalone(t, { dir, worker: await workerProps(dir, JSON_CONVERTER), connectors: [config] })
  const prefix = `${config['topics.dir']}/${topic}/`
  const keys = await waitFor('six objects', async () => {
    const k = await listKeys(client, BUCKET, prefix)
    return k.length === 6 ? k : undefined
  })
  assert.deepEqual(
    keys,
    [11, 12, 13, 14, 15, 16].map(
      (h, n) => `${prefix}year=2026/month=01/day=02/hour=${h}/${topic}+0+${pad(n * 2)}.parquet`,
    ),
  )
  const { rows, types } = await readParquet(await getObject(client, BUCKET, keys[1]!))
  assert.equal(types.id, 'BIGINT')
  assert.equal(types.small, 'INTEGER')
  assert.equal(types.price, 'DECIMAL(38,2)')
  assert.equal(types.day, 'DATE')
  assert.match(types.at!, /^TIMESTAMP/)
  assert.equal(types.tags, 'VARCHAR[]')
  assert.equal(types.counts, 'MAP(VARCHAR, INTEGER)')
  assert.equal(types.address, 'STRUCT(city VARCHAR, zip INTEGER)')
  assert.deepEqual(
    rows.map((r) => [r.id, r.region, r.note, r.price, r.tags, r.address]),
    [
      ['2', 'eu', 'note 2', '2.02', ['t2', 'x'], { city: 'c2', zip: 2 }],
      ['3', 'us', 'note 3', '3.03', ['t3', 'x'], { city: 'c3', zip: null }],
    ],
  )
})

test('a worker killed mid-stream and started again leaves exactly the objects and records a clean run writes', async (t) => {
  const topic = randomName('s3-crash')
  await createTopic(topic, 2)
  const total = 6000
  await produce(
    Array.from({ length: total }, (_, i) => ({
      topic,
      partition: i % 2,
      key: null,
      value: Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(200) })),
    })),
  )
  const converterProps = { 'value.converter': JSON_CONVERTER, 'value.converter.schemas.enable': 'false' }
  const common = {
    'format.class': 'JsonFormat',
    'flush.size': '250',
    'consumer.override.max.poll.records': '100',
    ...converterProps,
  }
  const clean = sinkConfig(topic, common)
  const crashed = sinkConfig(topic, common)

  const cleanDir = await tempDir(t)
  const cleanWorker = await startStandalone(t, {
    dir: cleanDir,
    worker: await workerProps(cleanDir, JSON_CONVERTER),
    connectors: [clean],
    label: '-clean',
  })
  const objects = total / 250
  await waitFor(
    'the clean run',
    async () => (await listKeys(client, BUCKET, `${clean['topics.dir']}/`)).length === objects,
    90_000,
    200,
  )
  await cleanWorker.stop()

  const dir = await tempDir(t)
  // Offsets are committed rarely, so the restarted worker gets records whose objects were already uploaded.
  const first = await startStandalone(t, {
    dir,
    worker: await workerProps(dir, JSON_CONVERTER, { 'offset.flush.interval.ms': '3000' }),
    connectors: [crashed],
    label: '-1',
  })
  const prefix = `${crashed['topics.dir']}/`
  await waitFor('some objects', async () => (await listKeys(client, BUCKET, prefix)).length >= 6, 90_000, 20)
  await first.kill()
  const before = (await listKeys(client, BUCKET, prefix)).length
  assert.ok(before < objects, `the worker was killed mid-stream (${before} of ${objects} objects)`)
  await startStandalone(t, { dir, worker: await workerProps(dir, JSON_CONVERTER), connectors: [crashed], label: '-2' })
  await waitFor('every object', async () => (await listKeys(client, BUCKET, prefix)).length >= objects, 90_000, 200)
  await new Promise((r) => setTimeout(r, 2000)) // nothing more may come

  const cleanKeys = (await listKeys(client, BUCKET, `${clean['topics.dir']}/`)).map((k) =>
    k.slice(clean['topics.dir']!.length),
  )
  const crashedKeys = (await listKeys(client, BUCKET, prefix)).map((k) => k.slice(crashed['topics.dir']!.length))
  assert.deepEqual(crashedKeys, cleanKeys)
  const seen = new Set<number>()
  for (const key of cleanKeys) {
    const a = await getObject(client, BUCKET, `${clean['topics.dir']}${key}`)
    const b = await getObject(client, BUCKET, `${crashed['topics.dir']}${key}`)
    assert.deepEqual(b, a, `${key} holds the same records`)
    for (const line of b.toString('utf8').trim().split('\n')) {
      const { i } = JSON.parse(line) as { i: number }
      assert.ok(!seen.has(i), `record ${i} is written once`)
      seen.add(i)
    }
  }
  assert.equal(seen.size, total)
})

test('rotate.schedule.interval.ms uploads the open objects on the wall clock once records stop coming (the worker calls put with no records)', async (t) => {
  const topic = randomName('s3-schedule')
  await createTopic(topic, 1)
  await produce(
    Array.from({ length: 7 }, (_, i) => ({ topic, partition: 0, key: null, value: Buffer.from(`{"i":${i}}`) })),
  )
  const dir = await tempDir(t)
  const config = sinkConfig(topic, {
    'format.class': 'JsonFormat',
    'flush.size': '1000',
    'rotate.schedule.interval.ms': '2000',
    timezone: 'UTC',
    'value.converter': JSON_CONVERTER,
    'value.converter.schemas.enable': 'false',
  })
  await startStandalone(t, { dir, worker: await workerProps(dir, JSON_CONVERTER), connectors: [config] })
  const prefix = `${config['topics.dir']}/${topic}/partition=0/`
  const keys = await waitFor('the object', async () => {
    const k = await listKeys(client, BUCKET, prefix)
    return k.length > 0 ? k : undefined
  })
  assert.deepEqual(keys, [`${prefix}${topic}+0+${pad(0)}.json`])
  const lines = (await getObject(client, BUCKET, keys[0]!)).toString('utf8').trim().split('\n')
  assert.deepEqual(
    lines,
    Array.from({ length: 7 }, (_, i) => `{"i":${i}}`),
  )
})

test("enable.conditional.writes (Confluent's default, with rotate.schedule.interval.ms): an object already in the bucket is left as it is and the partition goes on from the next offset at which no object starts", async (t) => {
  const topic = randomName('s3-conditional')
  await createTopic(topic, 1)
  await produce(
    Array.from({ length: 5 }, (_, i) => ({ topic, partition: 0, key: null, value: Buffer.from(`{"i":${i}}`) })),
  )
  const dir = await tempDir(t)
  const config = sinkConfig(topic, {
    'format.class': 'JsonFormat',
    'flush.size': '2',
    'rotate.schedule.interval.ms': '3600000',
    timezone: 'UTC',
    'value.converter': JSON_CONVERTER,
    'value.converter.schemas.enable': 'false',
  })
  const prefix = `${config['topics.dir']}/${topic}/partition=0/`
  await client.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}${topic}+0+${pad(0)}.json`, Body: 'written before\n' }),
  )
  await startStandalone(t, { dir, worker: await workerProps(dir, JSON_CONVERTER), connectors: [config] })
  const keys = await waitFor('three objects', async () => {
    const k = await listKeys(client, BUCKET, prefix)
    return k.length >= 3 ? k : undefined
  })
  assert.deepEqual(
    keys,
    [0, 1, 3].map((o) => `${prefix}${topic}+0+${pad(o)}.json`),
  )
  const text = async (i: number) => (await getObject(client, BUCKET, keys[i]!)).toString('utf8')
  assert.equal(await text(0), 'written before\n', 'not overwritten')
  assert.equal(await text(1), '{"i":1}\n{"i":2}\n')
  assert.equal(await text(2), '{"i":3}\n{"i":4}\n')
})

test('without aws.access.key.id the default credential chain signs the requests (here from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)', async (t) => {
  const topic = randomName('s3-chain')
  await createTopic(topic, 1)
  await produce(
    Array.from({ length: 5 }, (_, i) => ({ topic, partition: 0, key: null, value: Buffer.from(`{"i":${i}}`) })),
  )
  const dir = await tempDir(t)
  const {
    'aws.access.key.id': _,
    'aws.secret.access.key': __,
    ...config
  } = sinkConfig(topic, {
    'format.class': 'JsonFormat',
    'flush.size': '5',
    'value.converter': JSON_CONVERTER,
    'value.converter.schemas.enable': 'false',
  })
  const env = { AWS_ACCESS_KEY_ID: 'from-the-environment', AWS_SECRET_ACCESS_KEY: 'secret-from-the-environment' }
  await startStandalone(t, { dir, worker: await workerProps(dir, JSON_CONVERTER), connectors: [config], env })
  const prefix = `${config['topics.dir']}/${topic}/partition=0/`
  await waitFor('the object', async () => (await listKeys(client, BUCKET, prefix)).length === 1)
})

test('an object larger than s3.part.size is uploaded in parts and reads back whole', async (t) => {
  const topic = randomName('s3-multipart')
  await createTopic(topic, 1)
  const line = (i: number) => JSON.stringify({ i, text: `${i}`.padEnd(1000, '.') })
  await produce(
    Array.from({ length: 12_000 }, (_, i) => ({ topic, partition: 0, key: null, value: Buffer.from(line(i)) })),
  )
  const dir = await tempDir(t)
  const config = sinkConfig(topic, {
    'format.class': 'JsonFormat',
    'flush.size': '12000',
    's3.part.size': String(5 * 1024 * 1024),
    'value.converter': JSON_CONVERTER,
    'value.converter.schemas.enable': 'false',
  })
  await startStandalone(t, { dir, worker: await workerProps(dir, JSON_CONVERTER), connectors: [config] })
  const key = `${config['topics.dir']}/${topic}/partition=0/${topic}+0+${pad(0)}.json`
  await waitFor('the object', async () => (await listKeys(client, BUCKET, key)).length === 1, 90_000, 200)
  const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))
  assert.match(head.ETag ?? '', /-3"?$/, 'three parts: 5 MiB, 5 MiB and the rest')
  const text = (await getObject(client, BUCKET, key)).toString('utf8')
  assert.equal(text, `${Array.from({ length: 12_000 }, (_, i) => line(i)).join('\n')}\n`)
})

test('S3 unreachable mid-stream: the task retries after retry.backoff.ms and the bucket ends with every record once; null values are skipped with behavior.on.null.values=ignore', async (t) => {
  const proxy = await startProxy(s3.port)
  t.after(() => proxy.close())
  const topic = randomName('s3-outage')
  await createTopic(topic, 1)
  const total = 3000
  await produce(
    Array.from({ length: total }, (_, i) => ({
      topic,
      partition: 0,
      key: null,
      value: i % 100 === 99 ? null : Buffer.from(JSON.stringify({ i })),
    })),
  )
  const dir = await tempDir(t)
  const config = sinkConfig(topic, {
    'store.url': `http://127.0.0.1:${proxy.port}`,
    'format.class': 'JsonFormat',
    'flush.size': '100',
    'behavior.on.null.values': 'ignore',
    'retry.backoff.ms': '500',
    's3.part.retries': '1',
    's3.retry.backoff.ms': '50',
    'consumer.override.max.poll.records': '50',
    'value.converter': JSON_CONVERTER,
    'value.converter.schemas.enable': 'false',
  })
  const worker = await startStandalone(t, { dir, worker: await workerProps(dir, JSON_CONVERTER), connectors: [config] })
  const prefix = `${config['topics.dir']}/`
  await waitFor('some objects', async () => (await listKeys(client, BUCKET, prefix)).length >= 3, 90_000, 20)
  proxy.down = true
  await waitFor('a retried put', async () => /RetriableException from put/.test(await worker.log()), 30_000, 100)
  await new Promise((r) => setTimeout(r, 3000))
  proxy.down = false
  const expected = Array.from({ length: total }, (_, i) => i).filter((i) => i % 100 !== 99)
  const objects = Math.floor(expected.length / 100) // the last 70 records wait in an open object
  await waitFor('every object', async () => (await listKeys(client, BUCKET, prefix)).length >= objects, 90_000, 200)
  const seen: number[] = []
  for (const key of await listKeys(client, BUCKET, prefix)) {
    for (const l of (await getObject(client, BUCKET, key)).toString('utf8').trim().split('\n'))
      seen.push(JSON.parse(l).i)
  }
  assert.deepEqual(seen, expected.slice(0, objects * 100), 'every record once, in order, no null value')
})

/** A TCP proxy to the S3 server that refuses connections (and cuts open ones) while `down`. */
async function startProxy(target: number): Promise<{ port: number; down: boolean; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const state = {
    port: 0,
    get down() {
      return downFlag
    },
    set down(v: boolean) {
      downFlag = v
      if (v) for (const s of sockets) s.destroy()
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
  let downFlag = false
  const server = createServer((socket) => {
    if (downFlag) {
      socket.destroy()
      return
    }
    const upstream = connect(target, '127.0.0.1')
    sockets.add(socket)
    sockets.add(upstream)
    const drop = () => {
      socket.destroy()
      upstream.destroy()
      sockets.delete(socket)
      sockets.delete(upstream)
    }
    socket.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    socket.pipe(upstream).pipe(socket)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  state.port = (server.address() as AddressInfo).port
  return state
}
