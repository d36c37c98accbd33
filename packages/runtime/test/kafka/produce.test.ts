import assert from 'node:assert/strict'
import { test } from 'node:test'
import { crc32c } from '@platformatic/kafka'
import type { OutgoingRecord } from '../../src/kafka/clients.ts'
import { RecordBatchCursor } from '../../src/kafka/fetch.ts'
import { encodeRecordBatch, recordSizeUpperBound, stampProducer } from '../../src/kafka/produce.ts'

const records: OutgoingRecord[] = Array.from({ length: 50 }, (_, i) => ({
  topic: 't',
  key: i % 2 === 0 ? Buffer.from(`k${i}`) : null,
  value: Buffer.from(`value ${i} ${'x'.repeat(i)}`),
  timestamp: 1_700_000_000_000 + i,
  headers: i % 3 === 0 ? [['h', Buffer.from(String(i))]] : undefined,
}))

function decode(batch: Buffer): Array<{ key: string | null; value: string; offset: number }> {
  const cursor = new RecordBatchCursor('t', 0, batch, 0, null)
  const out: Array<{ key: string | null; value: string; offset: number }> = []
  for (let r = cursor.next(); r !== null; r = cursor.next())
    out.push({ key: r.key?.toString() ?? null, value: r.value!.toString(), offset: r.offset })
  return out
}

const expected = records.map((r, i) => ({ key: r.key?.toString() ?? null, value: r.value!.toString(), offset: i }))

test('an idempotent batch carries the producer id, epoch and base sequence under a valid CRC', () => {
  const batch = encodeRecordBatch(records, 0, {
    producerId: 4242n,
    producerEpoch: 3,
    baseSequence: 100,
    compression: 'none',
  })
  assert.equal(batch.readBigInt64BE(43), 4242n)
  assert.equal(batch.readInt16BE(51), 3)
  assert.equal(batch.readInt32BE(53), 100)
  assert.equal(batch.readUInt32BE(17), crc32c(batch.subarray(21)))
  assert.deepEqual(decode(batch), expected)
  // A new epoch and sequence keep the records and make the CRC valid again.
  stampProducer(batch, 4242n, 4, 0)
  assert.equal(batch.readInt16BE(51), 4)
  assert.equal(batch.readInt32BE(53), 0)
  assert.equal(batch.readUInt32BE(17), crc32c(batch.subarray(21)))
})

test('a transactional batch sets attribute bit 4 beside the codec bits, under a valid CRC, and decodes to the same records', () => {
  for (const [compression, bits] of [
    ['none', 0],
    ['lz4', 3],
  ] as const) {
    const batch = encodeRecordBatch(records, 0, {
      producerId: 7n,
      producerEpoch: 0,
      baseSequence: 0,
      compression,
      transactional: true,
    })
    assert.equal(batch.readInt16BE(21), 0x10 | bits, compression)
    assert.equal(batch.readUInt32BE(17), crc32c(batch.subarray(21)), compression)
    assert.deepEqual(decode(batch), expected, compression)
  }
})

test('a batch without options is the plain one Apache writes without idempotence', () => {
  const batch = encodeRecordBatch(records, 0)
  assert.equal(batch.readBigInt64BE(43), -1n)
  assert.equal(batch.readInt16BE(51), -1)
  assert.equal(batch.readInt32BE(53), -1)
  assert.equal(batch.readInt16BE(21), 0)
  assert.equal(batch.readUInt32BE(17), crc32c(batch.subarray(21)))
})

test('compressed batches set the codec bits, hold a valid length and CRC, and decode to the same records', () => {
  const plain = encodeRecordBatch(records, 0)
  for (const [compression, bits] of [
    ['gzip', 1],
    ['snappy', 2],
    ['lz4', 3],
    ['zstd', 4],
  ] as const) {
    const batch = encodeRecordBatch(records, 0, { producerId: -1n, producerEpoch: -1, baseSequence: -1, compression })
    assert.equal(batch.readInt16BE(21) & 7, bits, compression)
    assert.equal(batch.readInt32BE(8), batch.length - 12)
    assert.equal(batch.readUInt32BE(17), crc32c(batch.subarray(21)))
    assert.equal(batch.readInt32BE(57), records.length)
    assert.ok(batch.length < plain.length, `${compression} is smaller`)
    assert.deepEqual(decode(batch), expected, compression)
  }
})

test('a record’s size estimate is Java’s upper bound: batch header, record overhead, key, value and headers', () => {
  // DefaultRecordBatch.estimateBatchSizeUpperBound: 61 + 21 + sizeOf(key 3 bytes, value 10 bytes, 1 header).
  const r: OutgoingRecord = {
    topic: 't',
    key: Buffer.from('abc'),
    value: Buffer.alloc(10),
    headers: [['hé', Buffer.from('v')]],
  }
  // key: varint(3)=1 + 3; value: 1 + 10; header count: 1; header: varint(3)=1 + 3 bytes of "hé", varint(1)=1 + 1.
  assert.equal(recordSizeUpperBound(r), 61 + 21 + 4 + 11 + 1 + 4 + 2)
  assert.equal(recordSizeUpperBound({ topic: 't', key: null, value: null }), 61 + 21 + 1 + 1 + 1)
  // A 2000-byte value: varint(2000) takes 2 bytes.
  assert.equal(recordSizeUpperBound({ topic: 't', key: null, value: Buffer.alloc(2000) }), 61 + 21 + 1 + 2 + 2000 + 1)
})

test('a null header value is written as null (length -1) and read back as null, an empty one as empty', () => {
  const batch = encodeRecordBatch(
    [
      {
        topic: 't',
        key: null,
        value: Buffer.from('v'),
        headers: [
          ['gone', null],
          ['empty', Buffer.alloc(0)],
        ],
      },
    ],
    0,
  )
  assert.equal(batch.readUInt32BE(17), crc32c(batch.subarray(21)))
  assert.equal(batch.readInt32BE(8), batch.length - 12)
  const record = new RecordBatchCursor('t', 0, batch, 0, null).next()
  assert.deepEqual(record?.headers, [
    ['gone', null],
    ['empty', Buffer.alloc(0)],
  ])
})
