import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Schema, SchemaBuilder, SinkRecord, Struct } from '@ferry/api'
import { s3Settings } from '../src/config.ts'
import { DateTimeFormatter, TimeZone } from '../src/date-format.ts'
import { bucketStart, newPartitioner, nextScheduledRotation, PartitionException } from '../src/partitioner.ts'

const base = {
  's3.bucket.name': 'b',
  'storage.class': 'io.confluent.connect.s3.storage.S3Storage',
  'format.class': 'JsonFormat',
  'flush.size': '3',
}
const partitioner = (props: Record<string, string>) => newPartitioner(s3Settings({ ...base, ...props }))
const record = (value: unknown, schema: Schema | null = null, timestamp: number | null = null, partition = 0) =>
  new SinkRecord('orders', partition, null, null, schema, value, 0, timestamp, 'CreateTime')

test('the DefaultPartitioner puts each Kafka partition in its own directory', () => {
  const p = partitioner({})
  assert.equal(p.encodePartition(record('x', null, null, 7), 0), 'partition=7')
  assert.equal(p.generatePartitionedPath('orders', 'partition=7'), 'orders/partition=7')
})

test('the FieldPartitioner names a directory after each field (nested with dots), null as null, with directory.delim between', () => {
  const address = SchemaBuilder.struct().field('country', Schema.STRING_SCHEMA).build()
  const schema = SchemaBuilder.struct()
    .field('region', Schema.OPTIONAL_STRING_SCHEMA)
    .field('n', Schema.INT64_SCHEMA)
    .field('address', address)
    .field('ratio', Schema.FLOAT64_SCHEMA)
    .build()
  const value = new Struct(schema)
    .put('region', null)
    .put('n', 12)
    .put('address', new Struct(address).put('country', 'fr'))
    .put('ratio', 0.5)
  const p = partitioner({
    'partitioner.class': 'FieldPartitioner',
    'partition.field.name': 'region,n,address.country',
    'directory.delim': '#',
  })
  assert.equal(p.encodePartition(record(value, schema), 0), 'region=null#n=12#address.country=fr')
  const bad = partitioner({ 'partitioner.class': 'FieldPartitioner', 'partition.field.name': 'ratio' })
  assert.throws(() => bad.encodePartition(record(value, schema), 0), PartitionException)
  assert.throws(() => bad.encodePartition(record({ ratio: 1 }), 0), /needs a Struct value/)
  const missing = partitioner({ 'partitioner.class': 'FieldPartitioner', 'partition.field.name': 'nope' })
  assert.throws(() => missing.encodePartition(record(value, schema), 0), /Field 'nope' is not present in the schema/)
})

test('the Daily and Hourly partitioners format the record time in the time zone, as Joda does', () => {
  const at = Date.UTC(2026, 2, 29, 23, 30) // 01:30 on the 30th in Paris (UTC+2 after the DST change)
  const daily = partitioner({
    'partitioner.class': 'DailyPartitioner',
    locale: 'en',
    timezone: 'Europe/Paris',
    'timestamp.extractor': 'Record',
  })
  assert.equal(daily.encodePartition(record('x', null, at), 0), 'year=2026/month=03/day=30')
  const hourly = partitioner({
    'partitioner.class': 'HourlyPartitioner',
    locale: 'en',
    timezone: 'UTC',
    'timestamp.extractor': 'Record',
  })
  assert.equal(hourly.encodePartition(record('x', null, at), 0), 'year=2026/month=03/day=29/hour=23')
  assert.throws(() => hourly.encodePartition(record('x', null, null), 0), /Unable to determine timestamp/)
})

test('the TimeBasedPartitioner buckets by partition.duration.ms on the wall clock of the zone and reads RecordField timestamps', () => {
  const p = partitioner({
    'partitioner.class': 'io.confluent.connect.storage.partitioner.TimeBasedPartitioner',
    'path.format': "'dt'=YYYY-MM-dd/'t'=HHmm/",
    'partition.duration.ms': String(15 * 60_000),
    locale: 'en_US',
    timezone: 'Asia/Kolkata',
    'timestamp.extractor': 'RecordField',
    'timestamp.field': 'meta.at',
  })
  const meta = SchemaBuilder.struct().field('at', Schema.STRING_SCHEMA).build()
  const schema = SchemaBuilder.struct().field('meta', meta).build()
  const value = new Struct(schema).put('meta', new Struct(meta).put('at', '2026-06-01T10:07:00Z'))
  // 15:37 in Kolkata (UTC+05:30), in the 15:30 bucket; the trailing delimiter is dropped as Confluent drops it.
  assert.equal(p.encodePartition(record(value, schema), 0), 'dt=2026-06-01/t=1530')
  assert.equal(p.encodePartition(record({ meta: { at: 1780308420000 } }), 0), 'dt=2026-06-01/t=1530')
})

test('Joda pattern letters: text in quotes, month and day names in the locale, offsets and fractions', () => {
  const at = Date.UTC(2026, 0, 5, 7, 8, 9, 45)
  assert.equal(
    new DateTimeFormatter("yyyy-MM-dd'T'HH:mm:ss.SSS Z", 'UTC', 'en').format(at),
    '2026-01-05T07:08:09.045 +0000',
  )
  assert.equal(new DateTimeFormatter('EEE, d MMM yy', 'UTC', 'en').format(at), 'Mon, 5 Jan 26')
  assert.equal(new DateTimeFormatter('MMMM', 'UTC', 'fr').format(at), 'janvier')
  assert.equal(new DateTimeFormatter("h a 'o''clock' ''", 'America/New_York', 'en').format(at), "2 AM o'clock '")
  assert.equal(new DateTimeFormatter('D w ZZ', 'America/New_York', 'en').format(at), '5 2 -05:00')
  assert.throws(() => new DateTimeFormatter('yyyy-bb', 'UTC', 'en'), /path\.format.*Illegal pattern component: b/)
})

test('buckets start at local multiples of the duration, across a DST change', () => {
  const paris = new TimeZone('Europe/Paris')
  const at = Date.UTC(2026, 9, 25, 3, 10) // 04:10 CET, after the clocks went back at 03:00 CEST
  assert.equal(bucketStart(86_400_000, at, paris), Date.UTC(2026, 9, 24, 22, 0)) // midnight CEST
  assert.equal(bucketStart(3_600_000, at, paris), Date.UTC(2026, 9, 25, 3, 0))
})

test('rotate.schedule.interval.ms rotations fall on multiples of the interval after midnight in the zone, and at midnight', () => {
  const utc = new TimeZone('UTC')
  const now = Date.UTC(2026, 0, 1, 10, 20)
  assert.equal(nextScheduledRotation(now, 3_600_000, utc), Date.UTC(2026, 0, 1, 11, 0))
  assert.equal(nextScheduledRotation(Date.UTC(2026, 0, 1, 23, 59), 7 * 3_600_000, utc), Date.UTC(2026, 0, 2))
})
