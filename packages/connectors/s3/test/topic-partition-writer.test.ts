import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type ErrantRecordReporter, Schema, SchemaBuilder, SinkRecord, Struct } from '@ferry/api'
import { s3Settings } from '../src/config.ts'
import { TimeZone } from '../src/date-format.ts'
import { newFormat } from '../src/formats/format.ts'
import { newPartitioner } from '../src/partitioner.ts'
import type { S3Storage } from '../src/storage.ts'
import { RewindException, TopicPartitionWriter } from '../src/topic-partition-writer.ts'

/**
 * A bucket in memory; `failNext` makes the next commits throw as a failed S3 request does; with `conditional` an
 * object already there throws FileExistsException as storage.ts does after a 412.
 */
class FakeStorage {
  readonly objects = new Map<string, string>()
  failNext = 0
  readonly bucket = 'b'

  /** Set by the writer's settings: commits then act as conditional writes (storage.ts). */
  conditional = false

  async objectExists(key: string) {
    return this.objects.has(key)
  }

  create(key: string) {
    const conditional = this.conditional
    const chunks: Buffer[] = []
    let committed = false
    return {
      key,
      buffered: 0,
      write: (c: Uint8Array) => chunks.push(Buffer.from(c)),
      uploadFullParts: async () => {},
      commit: async () => {
        if (committed) return
        if (conditional && this.objects.has(key)) {
          const e = new Error(`s3://b/${key} already exists`)
          e.name = 'FileExistsException'
          throw e
        }
        if (this.failNext > 0) {
          this.failNext--
          const e = new Error('PutObject failed: ServiceUnavailable (HTTP 503)')
          e.name = 'S3RequestException'
          throw e
        }
        this.objects.set(key, Buffer.concat(chunks).toString('utf8'))
        committed = true
      },
      abort: async () => {},
    }
  }
}

function writer(props: Record<string, string>, storage: FakeStorage, reporter: ErrantRecordReporter | null = null) {
  const s = s3Settings({
    's3.bucket.name': 'b',
    'storage.class': 'io.confluent.connect.s3.storage.S3Storage',
    'format.class': 'JsonFormat',
    'flush.size': '3',
    ...props,
  })
  storage.conditional = s.conditionalWrites
  return new TopicPartitionWriter(
    { topic: 't', partition: 0 },
    storage as unknown as S3Storage,
    newFormat(s),
    newPartitioner(s),
    s,
    reporter,
    s.timezone ? new TimeZone(s.timezone) : null,
  )
}

const record = (offset: number, value: unknown, timestamp: number | null = null, schema: Schema | null = null) =>
  new SinkRecord('t', 0, null, null, schema, value, offset, timestamp, 'CreateTime')

test('objects are committed every flush.size records and the committable offset is the one after the last record uploaded', async () => {
  const storage = new FakeStorage()
  const w = writer({}, storage)
  for (let i = 0; i < 7; i++) w.buffer(record(i, { i }))
  await w.write()
  assert.deepEqual(
    [...storage.objects.keys()],
    ['topics/t/partition=0/t+0+0000000000.json', 'topics/t/partition=0/t+0+0000000003.json'],
  )
  assert.equal(storage.objects.get('topics/t/partition=0/t+0+0000000003.json'), '{"i":3}\n{"i":4}\n{"i":5}\n')
  assert.equal(await w.offsetToCommitAndReset(), 6)
  assert.equal(await w.offsetToCommitAndReset(), null, 'nothing new since')
})

test('a failed upload is made again by the next write (which throws if it fails again), and records delivered again are skipped by offset', async () => {
  const storage = new FakeStorage()
  const w = writer({}, storage)
  storage.failNext = 2
  for (let i = 0; i < 4; i++) w.buffer(record(i, { i }))
  await w.write() // the upload of offsets 0-2 fails in the background
  assert.equal(await w.offsetToCommitAndReset(), null, 'no offset moves before the object is uploaded')
  await assert.rejects(w.write(), /ServiceUnavailable/, 'the second attempt fails too: the batch is delivered again')
  assert.equal(storage.objects.size, 0)
  // The runtime delivers the same batch again (RetriableException), then more.
  for (let i = 0; i < 4; i++) w.buffer(record(i, { i }))
  for (let i = 4; i < 6; i++) w.buffer(record(i, { i }))
  await w.write()
  assert.equal(await w.offsetToCommitAndReset(), 6)
  assert.deepEqual(Object.fromEntries(storage.objects), {
    'topics/t/partition=0/t+0+0000000000.json': '{"i":0}\n{"i":1}\n{"i":2}\n',
    'topics/t/partition=0/t+0+0000000003.json': '{"i":3}\n{"i":4}\n{"i":5}\n',
  })
})

test('rotate.interval.ms commits when a record is that far past the first record of the open objects, by record time', async () => {
  const storage = new FakeStorage()
  const w = writer(
    {
      'flush.size': '100',
      'partitioner.class': 'HourlyPartitioner',
      locale: 'en',
      timezone: 'UTC',
      'timestamp.extractor': 'Record',
      'rotate.interval.ms': '600000',
    },
    storage,
  )
  const t0 = Date.UTC(2026, 4, 1, 8, 0)
  for (const [i, minutes] of [0, 5, 9, 10, 30].entries()) w.buffer(record(i, { i }, t0 + minutes * 60_000))
  await w.write()
  assert.deepEqual(
    [...storage.objects.keys()],
    [
      'topics/t/year=2026/month=05/day=01/hour=08/t+0+0000000000.json',
      'topics/t/year=2026/month=05/day=01/hour=08/t+0+0000000003.json',
    ],
  )
  assert.equal(await w.offsetToCommitAndReset(), 4, 'the record at 08:30 waits in an open object')
})

test('rotate.schedule.interval.ms commits open objects on the wall clock, even when no record comes', async () => {
  const storage = new FakeStorage()
  const w = writer(
    {
      'flush.size': '100',
      'rotate.schedule.interval.ms': '60000',
      timezone: 'UTC',
      'enable.conditional.writes': 'false',
    },
    storage,
  )
  w.buffer(record(0, { i: 0 }))
  const now = Date.now()
  await w.write(now)
  assert.equal(storage.objects.size, 0)
  await w.write(now + 61_000)
  assert.deepEqual([...storage.objects.keys()], ['topics/t/partition=0/t+0+0000000000.json'])
  assert.equal(await w.offsetToCommitAndReset(), 1)
})

test('a record with another value schema than its open object commits the open objects first', async () => {
  const storage = new FakeStorage()
  const w = writer({ 'flush.size': '100', 'format.class': 'AvroFormat' }, storage)
  const v1 = SchemaBuilder.struct().name('v').field('a', Schema.INT32_SCHEMA).build()
  const v2 = SchemaBuilder.struct()
    .name('v')
    .field('a', Schema.INT32_SCHEMA)
    .field('b', Schema.OPTIONAL_STRING_SCHEMA)
    .build()
  w.buffer(record(0, new Struct(v1).put('a', 1), null, v1))
  w.buffer(record(1, new Struct(v1).put('a', 2), null, v1))
  w.buffer(record(2, new Struct(v2).put('a', 3), null, v2))
  await w.write()
  assert.deepEqual([...storage.objects.keys()], ['topics/t/partition=0/t+0+0000000000.avro'])
  assert.equal(await w.offsetToCommitAndReset(), 2)
})

test('a record the format cannot hold goes to the errant record reporter and is left out of the object', async () => {
  const storage = new FakeStorage()
  const reported: number[] = []
  const reporter = { report: async (r: SinkRecord) => void reported.push(r.kafkaOffset) }
  const w = writer({ 'format.class': 'AvroFormat' }, storage, reporter)
  const v = SchemaBuilder.struct().name('v').field('a', Schema.INT32_SCHEMA).build()
  w.buffer(record(0, new Struct(v).put('a', 1), null, v))
  w.buffer(record(1, new Struct(v), null, v)) // 'a' is required
  w.buffer(record(2, new Struct(v).put('a', 2), null, v))
  w.buffer(record(3, new Struct(v).put('a', 3), null, v))
  await w.write()
  assert.deepEqual(reported, [1])
  assert.deepEqual([...storage.objects.keys()], ['topics/t/partition=0/t+0+0000000000.avro'])
  assert.equal(await w.offsetToCommitAndReset(), 4)
})

test('without a reporter, a record the format cannot hold fails the task naming the record', async () => {
  const w = writer({ 'format.class': 'ByteArrayFormat' }, new FakeStorage())
  w.buffer(record(0, 'text'))
  await assert.rejects(w.write(), /t-0@0.*ByteArrayFormat writes byte values only/)
})

test('enable.conditional.writes (with rotate.schedule.interval.ms): an object already in the bucket is not overwritten, and the partition rewinds to the next offset at which no object starts', async () => {
  const storage = new FakeStorage()
  const scheduled = { 'rotate.schedule.interval.ms': '3600000', timezone: 'UTC' }
  const key = (o: number) => `topics/t/partition=0/t+0+${String(o).padStart(10, '0')}.json`
  storage.objects.set(key(0), 'written before\n')
  storage.objects.set(key(1), 'written before\n')
  const w = writer(scheduled, storage)
  for (let i = 0; i < 7; i++) w.buffer(record(i, { i }))
  // Records 0-2 and 3-5 are committed (flush.size 3), uploading in the background; the failure shows in this write
  // or the next.
  await assert.rejects(
    async () => {
      await w.write()
      await w.write()
    },
    (e: unknown) => e instanceof RewindException && e.offset === 2 && e.message.includes(key(0)),
  )
  assert.equal(storage.objects.get(key(0)), 'written before\n', 'not overwritten')
  assert.equal(storage.objects.has(key(3)), false, 'the upload after the one that failed is not made')
  assert.equal(await w.offsetToCommitAndReset(), null, 'no offset moves past the object found existing')

  // Without conditional writes the same object is overwritten.
  const plain = writer({ ...scheduled, 'enable.conditional.writes': 'false' }, storage)
  for (let i = 0; i < 3; i++) plain.buffer(record(i, { i }))
  await plain.write()
  assert.equal(await plain.offsetToCommitAndReset(), 3)
  assert.equal(storage.objects.get(key(0)), '{"i":0}\n{"i":1}\n{"i":2}\n')
})

test('a conditional write rewinds past the objects found existing among the first max.files.scan.limit records of the commit, and no further than an object of the same commit not yet uploaded', async () => {
  const storage = new FakeStorage()
  const key = (p: string, o: number) => `topics/t/k=${p}/t+0+${String(o).padStart(10, '0')}.json`
  for (let o = 0; o < 5; o++) storage.objects.set(key('a', o), 'written before\n')
  const props = {
    'rotate.schedule.interval.ms': '3600000',
    timezone: 'UTC',
    'partitioner.class': 'FieldPartitioner',
    'partition.field.name': 'k',
    'flush.size': '5',
  }
  const schema = SchemaBuilder.struct().field('k', Schema.STRING_SCHEMA).build()
  const rec = (o: number, k: string) => record(o, new Struct(schema).put('k', k), null, schema)
  // Objects starting at 0-4 exist: past all of them by default (100), past the first two records with a limit of 2.
  for (const [limit, offset] of [
    ['100', 5],
    ['2', 2],
  ] as const) {
    const scan = writer({ ...props, 'max.files.scan.limit': limit }, storage)
    for (let o = 0; o < 5; o++) scan.buffer(rec(o, 'a'))
    await scan.write()
    await assert.rejects(scan.write(), (e: unknown) => e instanceof RewindException && e.offset === offset, limit)
  }

  // Objects a (offsets 0, 2, 4) and b (1, 3): a exists, b is not uploaded yet, so the rewind is to b's start.
  const mixed = writer(props, storage)
  for (const [o, k] of [
    [0, 'a'],
    [1, 'b'],
    [2, 'a'],
    [3, 'b'],
    [4, 'a'],
  ] as const)
    mixed.buffer(rec(o, k))
  await mixed.write()
  await assert.rejects(mixed.write(), (e: unknown) => e instanceof RewindException && e.offset === 1)
  assert.equal(storage.objects.has(key('b', 1)), false)
})
