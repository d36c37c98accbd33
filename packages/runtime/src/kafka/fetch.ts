/**
 * Kafka's Fetch API (v12) with a response parser of our own, on the Kafka client's protocol layer (its public
 * `createAPI`, request writer and connections). The client's own Fetch parser decodes every record through a
 * chunked buffer whose every read walks the chunk list from the start, so decoding a 1 MiB response costs more than
 * the rest of a sink pipeline; here each partition's record batches are copied once into one contiguous Buffer and
 * decoded lazily, record by record, when the worker polls them (`RecordBatchCursor`).
 */
import { type Connection, compressionsAlgorithmsByBitmask, createAPI, type Reader, Writer } from '@platformatic/kafka'
import type { IncomingRecord } from './client-common.ts'

export interface FetchPartitionRequest {
  partition: number
  fetchOffset: number
  partitionMaxBytes: number
}

export interface FetchTopicRequest {
  topic: string
  partitions: FetchPartitionRequest[]
}

export interface AbortedTransaction {
  producerId: bigint
  firstOffset: number
}

export interface FetchedPartition {
  partition: number
  errorCode: number
  highWatermark: number
  /** The offset below which every transaction is decided (what a read_committed consumer may read up to). */
  lastStableOffset: number
  logStartOffset: number
  abortedTransactions: AbortedTransaction[] | null
  /** KIP-392: the replica the leader wants this client to fetch the partition from; -1 for none. */
  preferredReadReplica: number
  /** The partition's record batches, one contiguous Buffer; null when there were none. */
  records: Buffer | null
}

export interface FetchResponse {
  errorCode: number
  responses: Array<{ topic: string; partitions: FetchedPartition[] }>
}

function skipTaggedFields(r: Reader): void {
  const count = r.readUnsignedVarInt()
  for (let i = 0; i < count; i++) {
    r.readUnsignedVarInt() // tag
    r.skip(r.readUnsignedVarInt())
  }
}

/*
  Fetch Response (Version: 12) => throttle_time_ms error_code session_id [responses] TAG_BUFFER
    responses => topic [partitions] TAG_BUFFER
      partitions => partition_index error_code high_watermark last_stable_offset log_start_offset
                    [aborted_transactions] preferred_read_replica records TAG_BUFFER
        aborted_transactions => producer_id first_offset TAG_BUFFER
  Version 11 is the same without the tagged fields, with INT16 string and INT32 array and bytes lengths.
*/
function parseResponse(_correlationId: number, _apiKey: number, apiVersion: number, r: Reader): FetchResponse {
  const flexible = apiVersion >= 12
  const arrayLength = () => (flexible ? r.readUnsignedVarInt() - 1 : r.readInt32())
  const tags = () => {
    if (flexible) skipTaggedFields(r)
  }
  r.readInt32() // throttle_time_ms
  const errorCode = r.readInt16()
  r.readInt32() // session_id
  const topicCount = arrayLength()
  const responses: FetchResponse['responses'] = []
  for (let t = 0; t < topicCount; t++) {
    const topic = r.readString(flexible)
    const partitionCount = arrayLength()
    const partitions: FetchedPartition[] = []
    for (let p = 0; p < partitionCount; p++) {
      const partition = r.readInt32()
      const partitionError = r.readInt16()
      const highWatermark = Number(r.readInt64())
      const lastStableOffset = Number(r.readInt64())
      const logStartOffset = Number(r.readInt64())
      let abortedTransactions: AbortedTransaction[] | null = null
      const abortedCount = arrayLength()
      if (abortedCount >= 0) {
        abortedTransactions = []
        for (let a = 0; a < abortedCount; a++) {
          const producerId = r.readInt64()
          const firstOffset = Number(r.readInt64())
          tags()
          abortedTransactions.push({ producerId, firstOffset })
        }
      }
      const preferredReadReplica = r.readInt32()
      const size = flexible ? r.readUnsignedVarInt() - 1 : r.readInt32()
      let records: Buffer | null = null
      if (size > 0) {
        // One copy when the bytes span several socket chunks; a view when they are in one.
        records = r.buffer.slice(r.position, r.position + size)
        r.skip(size)
      }
      tags()
      partitions.push({
        partition,
        errorCode: partitionError,
        highWatermark,
        lastStableOffset,
        logStartOffset,
        abortedTransactions,
        preferredReadReplica,
        records,
      })
    }
    tags()
    responses.push({ topic, partitions })
  }
  tags()
  return { errorCode, responses }
}

const unsignedVarIntSize = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5)

function writeUnsignedVarInt(b: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    b[at++] = (n & 0x7f) | 0x80
    n >>>= 7
  }
  b[at++] = n
  return at
}

export interface FetchRequestOptions {
  maxWaitMs: number
  minBytes: number
  maxBytes: number
  isolationLevel: 0 | 1
  rackId?: string | undefined
}

/*
  Fetch Request (Version: 12) => replica_id max_wait_ms min_bytes max_bytes isolation_level session_id session_epoch
                                 [topics] [forgotten_topics_data] rack_id TAG_BUFFER
    topics => topic [partitions] TAG_BUFFER
      partitions => partition current_leader_epoch fetch_offset last_fetched_epoch log_start_offset
                    partition_max_bytes TAG_BUFFER
  Version 11: no last_fetched_epoch nor tagged fields, INT16 string and INT32 array lengths.
*/
/**
 * The body of a full, session-less Fetch request (session 0, epoch -1, no forgotten topics), written into one Buffer
 * sized first: the bytes of the client's `fetchV12.createRequest` / `fetchV11.createRequest`, whose writer makes a
 * Buffer of every field (about 25 for one partition), where an idle consumer sends a fetch every `fetch.max.wait.ms`.
 */
export function fetchRequestBody(version: 11 | 12, options: FetchRequestOptions, topics: FetchTopicRequest[]): Buffer {
  const flexible = version >= 12
  const arraySize = (n: number) => (flexible ? unsignedVarIntSize(n + 1) : 4)
  const stringSize = (bytes: number) => (flexible ? unsignedVarIntSize(bytes + 1) : 2) + bytes
  const rack = options.rackId ?? ''
  const rackBytes = Buffer.byteLength(rack)
  const partitionSize = flexible ? 33 : 28
  let size = 25 + arraySize(topics.length) + arraySize(0) + stringSize(rackBytes) + (flexible ? 1 : 0)
  for (const t of topics)
    size +=
      stringSize(Buffer.byteLength(t.topic)) +
      arraySize(t.partitions.length) +
      t.partitions.length * partitionSize +
      (flexible ? 1 : 0)
  const b = Buffer.allocUnsafe(size)
  const array = (at: number, n: number) => (flexible ? writeUnsignedVarInt(b, at, n + 1) : b.writeInt32BE(n, at))
  const string = (at: number, value: string) => {
    const bytes = Buffer.byteLength(value)
    at = flexible ? writeUnsignedVarInt(b, at, bytes + 1) : b.writeInt16BE(bytes, at)
    return at + b.write(value, at, 'utf8')
  }
  let at = b.writeInt32BE(-1, 0) // replica_id: a consumer
  at = b.writeInt32BE(options.maxWaitMs, at)
  at = b.writeInt32BE(options.minBytes, at)
  at = b.writeInt32BE(options.maxBytes, at)
  at = b.writeInt8(options.isolationLevel, at)
  at = b.writeInt32BE(0, at) // session_id: no fetch session
  at = b.writeInt32BE(-1, at) // session_epoch: FINAL_EPOCH, a full fetch
  at = array(at, topics.length)
  for (const t of topics) {
    at = string(at, t.topic)
    at = array(at, t.partitions.length)
    for (const p of t.partitions) {
      at = b.writeInt32BE(p.partition, at)
      at = b.writeInt32BE(-1, at) // current_leader_epoch
      at = b.writeBigInt64BE(BigInt(p.fetchOffset), at)
      if (flexible) at = b.writeInt32BE(-1, at) // last_fetched_epoch
      at = b.writeBigInt64BE(-1n, at) // log_start_offset
      at = b.writeInt32BE(p.partitionMaxBytes, at)
      if (flexible) b[at++] = 0 // tagged fields
    }
    if (flexible) b[at++] = 0
  }
  at = array(at, 0) // forgotten_topics_data
  at = string(at, rack)
  if (flexible) b[at++] = 0
  return b
}

const createRequest = (body: Buffer) => Writer.create().append(body)
const fetchApis = {
  12: createAPI<unknown[], FetchResponse>(1, 12, createRequest as never, parseResponse),
  // Brokers before Kafka 2.8 (Fetch v11 came with 2.3).
  11: createAPI<unknown[], FetchResponse>(1, 11, createRequest as never, parseResponse, false, false),
}

/** The Fetch version to use with a broker that supports up to `maxVersion`; null when it is too old. */
export function fetchVersion(maxVersion: number): 11 | 12 | null {
  return maxVersion >= 12 ? 12 : maxVersion === 11 ? 11 : null
}

/**
 * Sends one full (session-less) Fetch request (v12, or v11 for older brokers) on a connection. `rackId` is the
 * client's rack (`client.rack`, KIP-392; empty for none).
 */
export function sendFetch(
  connection: Connection,
  options: FetchRequestOptions & { version: 11 | 12 },
  topics: FetchTopicRequest[],
): Promise<FetchResponse> {
  const body = fetchRequestBody(options.version, options, topics)
  return new Promise((resolve, reject) => {
    fetchApis[options.version](connection, body, (error: Error | null, response: FetchResponse) =>
      error ? reject(error) : resolve(response),
    )
  })
}

const BATCH_HEADER = 61
const COMPRESSION_MASK = 0x07
const TIMESTAMP_LOG_APPEND = 0x08
const TRANSACTIONAL = 0x10
const CONTROL = 0x20

/**
 * Hands out the records of one partition's fetched record batches one at a time, from `fetchOffset` on, decoding
 * each only when asked. Skips control batches and (with `abortedTransactions`, read_committed) the batches of
 * aborted transactions. `nextOffset` is where the next fetch of the partition starts.
 */
export class RecordBatchCursor {
  readonly topic: string
  readonly partition: number
  /** Offset after the last complete batch in the data (or `fetchOffset` when there was none). */
  readonly nextOffset: number
  /** Approximate bytes still to hand out. */
  remainingBytes: number
  readonly #data: Buffer
  readonly #fetchOffset: number
  #pos = 0
  // The batch being read.
  #buf: Buffer = EMPTY
  #at = 0
  #left = 0
  #baseOffset = 0
  #baseTimestamp = 0
  #logAppendTime = -1
  readonly #aborted: AbortedTransaction[] | null
  readonly #abortedProducers = new Set<bigint>()

  constructor(
    topic: string,
    partition: number,
    data: Buffer,
    fetchOffset: number,
    abortedTransactions: AbortedTransaction[] | null,
  ) {
    this.topic = topic
    this.partition = partition
    this.#data = data
    this.#fetchOffset = fetchOffset
    this.#aborted = abortedTransactions && abortedTransactions.length > 0 ? abortedTransactions : null
    this.#aborted?.sort((a, b) => a.firstOffset - b.firstOffset)
    // Walk the batch headers once for the offset after the last complete batch.
    let next = fetchOffset
    let pos = 0
    while (data.length - pos >= BATCH_HEADER) {
      const length = data.readInt32BE(pos + 8)
      if (data.length - pos - 12 < length) break // a partial batch at the end of the response
      const last = readInt64(data, pos) + data.readInt32BE(pos + 23)
      if (last + 1 > next) next = last + 1
      pos += 12 + length
    }
    this.nextOffset = next
    this.#dataEnd = pos
    this.remainingBytes = pos
  }

  readonly #dataEnd: number

  /** The next record, or null when the data is exhausted. */
  next(): IncomingRecord | null {
    for (;;) {
      const record = this.#read()
      if (record === null || record.offset >= this.#fetchOffset) return record
    }
  }

  #read(): IncomingRecord | null {
    while (this.#left === 0) if (!this.#nextBatch()) return null
    const buf = this.#buf
    let at = this.#at
    // length: varint (skipped by reading the fields); attributes: int8
    let v = readVarUint(buf, at)
    at = VARINT_END
    const recordEnd = at + zigzag(v)
    at += 1
    const timestampDelta = readVarLong(buf, at)
    at = VARINT_END
    v = readVarUint(buf, at)
    at = VARINT_END
    const offset = this.#baseOffset + zigzag(v)
    v = readVarUint(buf, at)
    at = VARINT_END
    let keyLength = zigzag(v)
    let key: Buffer | null = null
    if (keyLength >= 0) {
      key = buf.subarray(at, at + keyLength)
      at += keyLength
    } else keyLength = 0
    v = readVarUint(buf, at)
    at = VARINT_END
    let valueLength = zigzag(v)
    let value: Buffer | null = null
    if (valueLength >= 0) {
      value = buf.subarray(at, at + valueLength)
      at += valueLength
    } else valueLength = 0
    v = readVarUint(buf, at)
    at = VARINT_END
    const headerCount = zigzag(v)
    const headers: Array<[string, Buffer | null]> = []
    for (let h = 0; h < headerCount; h++) {
      v = readVarUint(buf, at)
      at = VARINT_END
      const kl = zigzag(v)
      const k = buf.toString('utf8', at, at + kl)
      at += kl
      v = readVarUint(buf, at)
      at = VARINT_END
      const vl = zigzag(v)
      let hv: Buffer | null = null
      if (vl >= 0) {
        hv = buf.subarray(at, at + vl)
        at += vl
      }
      headers.push([k, hv])
    }
    this.#at = recordEnd
    this.#left--
    this.remainingBytes -= keyLength + valueLength
    return {
      topic: this.topic,
      partition: this.partition,
      offset,
      timestamp: this.#logAppendTime >= 0 ? this.#logAppendTime : this.#baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    }
  }

  /** Moves to the next batch that has records to hand out; false at the end of the data. */
  #nextBatch(): boolean {
    const data = this.#data
    while (this.#pos < this.#dataEnd) {
      const pos = this.#pos
      const baseOffset = readInt64(data, pos)
      const length = data.readInt32BE(pos + 8)
      const end = pos + 12 + length
      this.#pos = end
      const magic = data.readInt8(pos + 16)
      if (magic !== 2) throw new Error(`Unsupported record batch format (magic ${magic}) at offset ${baseOffset}`)
      const attributes = data.readInt16BE(pos + 21)
      const lastOffset = baseOffset + data.readInt32BE(pos + 23)
      const producerId = data.readBigInt64BE(pos + 43)
      const count = data.readInt32BE(pos + 57)
      if (lastOffset < this.#fetchOffset) continue
      if (this.#aborted) {
        // Java's Fetcher: aborted transactions that started at or before this batch mark their producers aborted.
        while (this.#aborted.length > 0 && this.#aborted[0]!.firstOffset <= lastOffset)
          this.#abortedProducers.add(this.#aborted.shift()!.producerId)
      }
      if (attributes & CONTROL) {
        // An abort marker (control record key type 0) ends that producer's aborted transaction.
        if (attributes & TRANSACTIONAL && this.#abortedProducers.has(producerId) && isAbortMarker(data, pos, end))
          this.#abortedProducers.delete(producerId)
        continue
      }
      if (attributes & TRANSACTIONAL && this.#abortedProducers.has(producerId)) continue
      if (count <= 0) continue
      const compression = attributes & COMPRESSION_MASK
      if (compression === 0) {
        this.#buf = data
        this.#at = pos + BATCH_HEADER
      } else {
        const algorithm = compressionsAlgorithmsByBitmask[compression]
        if (!algorithm) throw new Error(`Unsupported compression (attributes ${attributes}) at offset ${baseOffset}`)
        this.#buf = algorithm.decompressSync(data.subarray(pos + BATCH_HEADER, end))
        this.#at = 0
      }
      this.#left = count
      this.#baseOffset = baseOffset
      this.#baseTimestamp = readInt64(data, pos + 27)
      this.#logAppendTime = attributes & TIMESTAMP_LOG_APPEND ? readInt64(data, pos + 35) : -1
      return true
    }
    this.#left = 0
    return false
  }
}

const EMPTY = Buffer.alloc(0)

function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4)
}

/** The end of the last varint read (module state, so the hot loop allocates nothing). */
let VARINT_END = 0

/** An unsigned varint of up to 35 bits (Kafka's int32 varints, zigzag encoded). */
function readVarUint(buf: Buffer, at: number): number {
  let b = buf[at++]!
  if (b < 0x80) {
    VARINT_END = at
    return b
  }
  let value = b & 0x7f
  let shift = 7
  do {
    b = buf[at++]!
    value += (b & 0x7f) * 2 ** shift
    shift += 7
  } while (b >= 0x80 && shift < 70)
  VARINT_END = at
  return value
}

function zigzag(v: number): number {
  return v % 2 === 0 ? v / 2 : -(v + 1) / 2
}

/** A zigzag varlong as a Number (exact up to 2^53). */
function readVarLong(buf: Buffer, at: number): number {
  return zigzag(readVarUint(buf, at))
}

/** Whether the control batch at `pos` holds an abort marker (key: version int16, type int16 = 0). */
function isAbortMarker(data: Buffer, pos: number, end: number): boolean {
  let at = pos + BATCH_HEADER
  if (at >= end) return false
  readVarUint(data, at) // length
  at = VARINT_END + 1 // attributes
  readVarUint(data, at) // timestamp delta
  readVarUint(data, VARINT_END) // offset delta
  const keyLength = zigzag(readVarUint(data, VARINT_END))
  at = VARINT_END
  return keyLength >= 4 && data.readInt16BE(at + 2) === 0
}
