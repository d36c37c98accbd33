/**
 * Kafka's Produce API (v7) with a record batch encoder of our own, on the Kafka client's protocol layer (its public
 * `createAPI`, writer, response parser and connections). The client's producer builds each record out of a dozen
 * small Buffers and concatenates them (twice) per request, which cost the file source more than half its CPU; here
 * each partition's batch is one Buffer, sized first and then written once.
 */
import { type Connection, crc32c, createAPI, produceV7, Writer } from '@platformatic/kafka'
import type { OutgoingRecord } from './client-common.ts'
import type { CompressionType } from './client-settings.ts'
import { COMPRESSION_BITS, compress } from './compression.ts'

export interface ProducePartition {
  index: number
  batch: Buffer
}

export interface ProduceTopic {
  name: string
  partitions: ProducePartition[]
}

export interface ProduceResponse {
  responses: Array<{
    name: string
    partitionResponses: Array<{ index: number; errorCode: number; baseOffset: bigint }>
  }>
}

/*
  Produce Request (Version: 7) => transactional_id acks timeout_ms [topic_data]
    topic_data => name [partition_data]
      partition_data => index records
*/
function createRequest(
  acks: number,
  timeoutMs: number,
  topics: ProduceTopic[],
  transactionalId: string | null,
): Writer {
  const w = Writer.create()
    .appendString(transactionalId, false)
    .appendInt16(acks)
    .appendInt32(timeoutMs)
    .appendInt32(topics.length)
  for (const t of topics) {
    w.appendString(t.name, false).appendInt32(t.partitions.length)
    for (const p of t.partitions) w.appendInt32(p.index).appendInt32(p.batch.length).append(p.batch)
  }
  // acks=0: the broker sends no response; the connection completes the request once it is written.
  if (acks === 0) w.context.noResponse = true
  return w
}

const produceApi = createAPI<unknown[], ProduceResponse>(
  0,
  7,
  createRequest as never,
  produceV7.parseResponse as never,
  false,
  false,
)

/**
 * Sends one Produce request; rejects with the client's ResponseError (its `response` holds every partition's).
 * With acks=0 the broker does not answer: resolves with null once the request is written. A transactional
 * producer's requests carry its `transactionalId` (the broker authorizes its batches by it).
 */
export function sendProduce(
  connection: Connection,
  acks: number,
  timeoutMs: number,
  topics: ProduceTopic[],
  transactionalId: string | null = null,
): Promise<ProduceResponse | null> {
  return new Promise((resolve, reject) => {
    produceApi(
      connection,
      acks,
      timeoutMs,
      topics,
      transactionalId,
      (error: Error | null, response: ProduceResponse) =>
        error ? reject(error) : resolve(acks === 0 ? null : response),
    )
  })
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1
}

function varintSize(v: number): number {
  let size = 1
  while (v >= 0x80) {
    v = Math.floor(v / 128)
    size++
  }
  return size
}

function writeVarint(buf: Buffer, at: number, v: number): number {
  while (v >= 0x80) {
    buf[at++] = (v & 0x7f) | 0x80
    v = Math.floor(v / 128)
  }
  buf[at++] = v
  return at
}

function writeInt64(buf: Buffer, at: number, v: number): void {
  const high = Math.floor(v / 4294967296)
  buf.writeInt32BE(high, at)
  buf.writeUInt32BE(v - high * 4294967296, at + 4)
}

/** What goes into a batch besides its records: the idempotent producer's fields and the codec. */
export interface BatchOptions {
  /** -1n without idempotence. */
  producerId: bigint
  /** -1 without idempotence. */
  producerEpoch: number
  /** The sequence number of the batch's first record; -1 without idempotence. */
  baseSequence: number
  compression: CompressionType
  /** The codec's level (`compression.<type>.level`); the codec's default when absent. */
  level?: number | undefined
  /** A transactional producer's batch (attribute bit 4): read_committed consumers skip it until its commit. */
  transactional?: boolean | undefined
}

/** The record batch attribute of a transactional producer's batch. */
const TRANSACTIONAL_BIT = 0x10

/*
  RecordBatch (magic 2), the layout `encodeRecordBatch` writes:
    baseOffset: int64 | batchLength: int32 | partitionLeaderEpoch: int32 | magic: int8 (2) | crc: uint32 (CRC-32C of
    everything after it) | attributes: int16 (bits 0-2 codec, 3 timestamp type, 4 transactional, 5 control) |
    lastOffsetDelta: int32 | baseTimestamp: int64 | maxTimestamp: int64 | producerId: int64 | producerEpoch: int16 |
    baseSequence: int32 | records count: int32 | records (compressed as a whole when the codec is not none)
    Record => length: varint | attributes: int8 | timestampDelta: varlong | offsetDelta: varint | key: varint length
              + bytes (-1: null) | value: likewise | headers count: varint | [key: varint length + utf8, value: varint
              length (-1: null) + bytes]
*/

/**
 * One magic-2 record batch of `records`, with base offset 0 and `now` for records without a timestamp (one time for
 * all, or each record's: the producer's send() times). Without
 * `options` it is uncompressed and carries no producer id (as Apache's worker producer writes without idempotence).
 * A null header value is written with length -1 (null), as Java's producer writes it.
 */
export function encodeRecordBatch(
  records: readonly OutgoingRecord[],
  now: number | readonly number[],
  options?: BatchOptions,
): Buffer {
  const n = records.length
  const stamp = typeof now === 'number' ? () => now : (i: number) => now[i] ?? 0
  const firstTimestamp = records[0]?.timestamp ?? stamp(0)
  let maxTimestamp = firstTimestamp
  const sizes = new Array<number>(n)
  const headerKeys: Array<Buffer[] | null> = new Array(n)
  let total = 61
  for (let i = 0; i < n; i++) {
    const r = records[i]!
    const timestamp = r.timestamp ?? stamp(i)
    if (timestamp > maxTimestamp) maxTimestamp = timestamp
    let size = 1 + varintSize(zigzag(timestamp - firstTimestamp)) + varintSize(zigzag(i))
    size += r.key === null ? 1 : varintSize(zigzag(r.key.length)) + r.key.length
    size += r.value === null ? 1 : varintSize(zigzag(r.value.length)) + r.value.length
    const headers = r.headers
    const count = headers?.length ?? 0
    size += varintSize(zigzag(count))
    if (count > 0) {
      const keys: Buffer[] = new Array(count)
      for (let h = 0; h < count; h++) {
        const [k, v] = headers![h]!
        const key = Buffer.from(k, 'utf8')
        keys[h] = key
        // A null value is written as length -1, as Java's clients do (not as an empty value).
        size += varintSize(zigzag(key.length)) + key.length + (v === null ? 1 : varintSize(zigzag(v.length)) + v.length)
      }
      headerKeys[i] = keys
    } else headerKeys[i] = null
    sizes[i] = size
    total += varintSize(zigzag(size)) + size
  }
  const buf = Buffer.allocUnsafe(total)
  writeInt64(buf, 0, 0) // base offset
  buf.writeInt32BE(total - 12, 8) // batch length
  buf.writeInt32BE(-1, 12) // partition leader epoch
  buf.writeInt8(2, 16) // magic
  // crc at 17, written last
  buf.writeInt16BE(0, 21) // attributes
  buf.writeInt32BE(n - 1, 23) // last offset delta
  writeInt64(buf, 27, firstTimestamp)
  writeInt64(buf, 35, maxTimestamp)
  writeInt64(buf, 43, -1) // producer id
  buf.writeInt16BE(-1, 51) // producer epoch
  buf.writeInt32BE(-1, 53) // base sequence
  buf.writeInt32BE(n, 57) // records
  let at = 61
  for (let i = 0; i < n; i++) {
    const r = records[i]!
    at = writeVarint(buf, at, zigzag(sizes[i]!))
    buf[at++] = 0 // attributes
    at = writeVarint(buf, at, zigzag((r.timestamp ?? stamp(i)) - firstTimestamp))
    at = writeVarint(buf, at, zigzag(i))
    if (r.key === null)
      buf[at++] = 1 // zigzag(-1)
    else {
      at = writeVarint(buf, at, zigzag(r.key.length))
      at += r.key.copy(buf, at)
    }
    if (r.value === null) buf[at++] = 1
    else {
      at = writeVarint(buf, at, zigzag(r.value.length))
      at += r.value.copy(buf, at)
    }
    const keys = headerKeys[i] ?? null
    if (keys === null) buf[at++] = 0
    else {
      at = writeVarint(buf, at, zigzag(keys.length))
      for (let h = 0; h < keys.length; h++) {
        const key = keys[h]!
        at = writeVarint(buf, at, zigzag(key.length))
        at += key.copy(buf, at)
        const value = r.headers![h]![1]
        if (value === null)
          buf[at++] = 1 // zigzag(-1)
        else {
          at = writeVarint(buf, at, zigzag(value.length))
          at += value.copy(buf, at)
        }
      }
    }
  }
  if (options === undefined) {
    buf.writeUInt32BE(crc32c(buf.subarray(21)), 17)
    return buf
  }
  let out = buf
  if (options.transactional) buf.writeInt16BE(TRANSACTIONAL_BIT, 21)
  if (options.compression !== 'none') {
    const compressed = compress(options.compression, options.level, buf.subarray(61))
    out = Buffer.allocUnsafe(61 + compressed.length)
    buf.copy(out, 0, 0, 61)
    compressed.copy(out, 61)
    out.writeInt32BE(out.length - 12, 8)
    out.writeInt16BE(COMPRESSION_BITS[options.compression] | (options.transactional ? TRANSACTIONAL_BIT : 0), 21)
  }
  stampProducer(out, options.producerId, options.producerEpoch, options.baseSequence)
  return out
}

/**
 * Writes the idempotent producer's id, epoch and base sequence into an encoded batch and its CRC again (a batch
 * re-sent under a bumped epoch keeps its records and codec).
 */
export function stampProducer(batch: Buffer, producerId: bigint, producerEpoch: number, baseSequence: number): void {
  batch.writeBigInt64BE(producerId, 43)
  batch.writeInt16BE(producerEpoch, 51)
  batch.writeInt32BE(baseSequence, 53)
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17)
}

/**
 * Java's upper bound of a record's size in a batch of its own (`DefaultRecordBatch.estimateBatchSizeUpperBound`:
 * the 61-byte batch header, 21 bytes of record overhead, the key, value and headers with their length varints),
 * the size `max.request.size` and `buffer.memory` are checked against.
 */
export function recordSizeUpperBound(r: OutgoingRecord): number {
  let size = 61 + 21
  size += r.key === null ? 1 : varintSize(zigzag(r.key.length)) + r.key.length
  size += r.value === null ? 1 : varintSize(zigzag(r.value.length)) + r.value.length
  const headers = r.headers
  const count = headers?.length ?? 0
  size += varintSize(zigzag(count))
  for (let h = 0; h < count; h++) {
    const [k, v] = headers![h]!
    const keyLength = Buffer.byteLength(k, 'utf8')
    size += varintSize(zigzag(keyLength)) + keyLength
    size += v === null ? 1 : varintSize(zigzag(v.length)) + v.length
  }
  return size
}
