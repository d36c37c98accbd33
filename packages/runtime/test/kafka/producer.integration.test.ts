/**
 * KafkaProducer against a real broker: it encodes record batches itself (src/kafka/produce.ts), so these tests read
 * back what it wrote: keys on Java's murmur2 partitions, keyless batches on one partition each (sticky, the next
 * batch on the next), explicit partitions, repeated header names, timestamps, and the base offsets it returns; and
 * its settings: idempotence across a dropped connection, acks, record and request sizes, linger, buffer memory
 * and the delivery timeout.
 */
import assert from 'node:assert/strict'
import diagnostics from 'node:diagnostics_channel'
import type { Socket } from 'node:net'
import { test } from 'node:test'
import { randomName } from '@ferry/testing'
import { Admin, murmur2 } from '@platformatic/kafka'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import {
  type IncomingRecord,
  KafkaAdmin,
  KafkaConsumer,
  KafkaProducer,
  type OutgoingRecord,
} from '../../src/kafka/clients.ts'

const bootstrapServers = () => testBootstrap().split(',')

async function readAll(topic: string, count: number): Promise<IncomingRecord[]> {
  const c = new KafkaConsumer({
    bootstrapServers: bootstrapServers(),
    clientId: randomName('c'),
    groupId: randomName('g'),
  })
  const out: IncomingRecord[] = []
  try {
    await c.subscribe([topic])
    const deadline = Date.now() + 30000
    while (out.length < count && Date.now() < deadline) out.push(...(await c.poll(1000, 200)))
    out.push(...(await c.poll(1000, 300)))
  } finally {
    await c.close()
  }
  return out
}

test('keys go to murmur2 partitions, keyless batches stick to one partition, explicit partitions are kept', async () => {
  const topic = randomName('producer')
  const admin = new KafkaAdmin({ bootstrapServers: bootstrapServers(), clientId: randomName('admin') })
  try {
    await admin.createTopic(topic, 6, 1)
  } finally {
    await admin.close()
  }
  const producer = new KafkaProducer({ bootstrapServers: bootstrapServers(), clientId: randomName('p') })
  const sent: Array<Awaited<ReturnType<KafkaProducer['send']>>> = []
  try {
    const keyed = Array.from({ length: 60 }, (_, i) => ({
      topic,
      key: Buffer.from(`key-${i}`),
      value: Buffer.from(`keyed-${i}`),
      timestamp: 1_700_000_000_000 + i,
      headers: [
        ['h', Buffer.from('1')],
        ['h', Buffer.from('2')],
      ] as Array<[string, Buffer | null]>,
    }))
    sent.push(await producer.send(keyed))
    for (let b = 0; b < 3; b++)
      sent.push(
        await producer.send(
          Array.from({ length: 10 }, (_, i) => ({ topic, key: null, value: Buffer.from(`keyless-${b}-${i}`) })),
        ),
      )
    sent.push(await producer.send([{ topic, partition: 4, key: null, value: Buffer.from('explicit') }]))
  } finally {
    await producer.close()
  }
  const records = await readAll(topic, 60 + 30 + 1)
  assert.equal(records.length, 91)
  const byValue = new Map(records.map((r) => [r.value!.toString(), r]))
  for (let i = 0; i < 60; i++) {
    const r = byValue.get(`keyed-${i}`)!
    assert.equal(r.partition, (murmur2(Buffer.from(`key-${i}`)) & 0x7fffffff) % 6, `key-${i}`)
    assert.equal(r.key!.toString(), `key-${i}`)
    assert.equal(r.timestamp, 1_700_000_000_000 + i)
    assert.deepEqual(
      r.headers.map(([k, v]) => [k, v!.toString()]),
      [
        ['h', '1'],
        ['h', '2'],
      ],
    )
  }
  const keylessPartitions = [0, 1, 2].map((b) => {
    const ps = new Set(Array.from({ length: 10 }, (_, i) => byValue.get(`keyless-${b}-${i}`)!.partition))
    assert.equal(ps.size, 1, `batch ${b} on one partition`)
    return [...ps][0]!
  })
  assert.equal(new Set(keylessPartitions).size, 3, 'each keyless batch on the next partition')
  assert.equal(byValue.get('explicit')!.partition, 4)
  // The offsets returned are each partition's base offset of the batch.
  for (const o of sent[1]!) assert.equal(o.offset, byValue.get('keyless-0-0')!.offset)
  assert.deepEqual(
    sent[4]!.map((o) => [o.partition, o.offset]),
    [[4, byValue.get('explicit')!.offset]],
  )
})

async function createTopic(topic: string, partitions = 1): Promise<void> {
  const admin = new KafkaAdmin({ bootstrapServers: bootstrapServers(), clientId: randomName('admin') })
  try {
    await admin.createTopic(topic, partitions, 1)
  } finally {
    await admin.close()
  }
}

async function endOffset(topic: string): Promise<number> {
  const admin = new KafkaAdmin({ bootstrapServers: bootstrapServers(), clientId: randomName('admin') })
  try {
    return (await admin.offsets(topic)).reduce((n, p) => n + p.end, 0)
  } finally {
    await admin.close()
  }
}

function values(topic: string, from: number, to: number): OutgoingRecord[] {
  return Array.from({ length: to - from }, (_, i) => ({ topic, key: null, value: Buffer.from(`v${from + i}`) }))
}

/**
 * Holds back the answer to the next Produce request this process writes: the connection's socket stops reading just
 * before the request goes out (the library's `connections:api` diagnostics channel), so the request reaches the
 * broker and its response waits unread in the socket. `socket()` is that connection's socket.
 */
function holdNextProduceResponse(): { socket: () => Promise<Socket>; release: () => void } {
  const channel = 'tracing:plt:kafka:connections:api:start'
  let resolve: (s: Socket) => void
  const held = new Promise<Socket>((r) => {
    resolve = r
  })
  const onRequest = (message: unknown) => {
    const { apiKey, connection } = message as { apiKey: number; connection: { socket: Socket } }
    if (apiKey !== 0) return
    diagnostics.unsubscribe(channel, onRequest)
    connection.socket.pause()
    resolve(connection.socket)
  }
  diagnostics.subscribe(channel, onRequest)
  return { socket: () => held, release: () => diagnostics.unsubscribe(channel, onRequest) }
}

/** Holds back the answers to every Produce request this process writes until `release`. */
function holdProduceResponses(): { release: () => void } {
  const channel = 'tracing:plt:kafka:connections:api:start'
  const sockets: Socket[] = []
  const onRequest = (message: unknown) => {
    const { apiKey, connection } = message as { apiKey: number; connection: { socket: Socket } }
    if (apiKey !== 0) return
    connection.socket.pause()
    sockets.push(connection.socket)
  }
  diagnostics.subscribe(channel, onRequest)
  return {
    release: () => {
      diagnostics.unsubscribe(channel, onRequest)
      for (const s of sockets) s.resume()
    },
  }
}

/** Waits until the topic holds `count` records (the held request was written by the broker). */
async function waitForEnd(topic: string, count: number): Promise<void> {
  const deadline = Date.now() + 15000
  while ((await endOffset(topic)) < count) {
    if (Date.now() > deadline) throw new Error(`${topic} never reached ${count} records`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

for (const idempotence of [true, false]) {
  test(`a batch sent again after its connection dropped before the answer is stored ${idempotence ? 'once with idempotence' : 'twice without idempotence'}`, async (t) => {
    const topic = randomName('producer-retry')
    await createTopic(topic)
    const producer = new KafkaProducer({
      bootstrapServers: bootstrapServers(),
      clientId: randomName('p'),
      idempotence,
    })
    t.after(() => producer.close())
    // A first send, so the producer id and the connection exist.
    assert.deepEqual(
      (await producer.send(values(topic, 0, 10))).map((o) => o.offset),
      [0],
    )
    const hold = holdNextProduceResponse()
    t.after(hold.release)
    const sending = producer.send(values(topic, 10, 110))
    const socket = await hold.socket()
    // The broker wrote the batch; its answer is still in the socket. The connection now drops.
    await waitForEnd(topic, 110)
    socket.destroy()
    const offsets = await sending
    if (idempotence) {
      assert.deepEqual(
        offsets.map((o) => o.offset),
        [10],
        'the broker answers the resent batch with the first write',
      )
      assert.equal(await endOffset(topic), 110)
      const read = await readAll(topic, 110)
      assert.deepEqual(
        read.map((r) => r.value!.toString()),
        Array.from({ length: 110 }, (_, i) => `v${i}`),
      )
    } else {
      // Without idempotence the resent batch is a second copy: what makes the case above meaningful.
      assert.deepEqual(
        offsets.map((o) => o.offset),
        [110],
      )
      assert.equal(await endOffset(topic), 210)
    }
  })
}

test('acks=0 and acks=1 write the records; acks=0 returns no offsets', async (t) => {
  const topic = randomName('producer-acks')
  await createTopic(topic)
  for (const acks of [0, 1] as const) {
    const producer = new KafkaProducer({ bootstrapServers: bootstrapServers(), clientId: randomName('p'), acks })
    t.after(() => producer.close())
    assert.equal(producer.idempotent, false, 'idempotence needs acks=all')
    const offsets = await producer.send(values(topic, acks * 50, acks * 50 + 50))
    assert.deepEqual(
      offsets.map((o) => o.offset),
      acks === 0 ? [] : [50],
    )
    await waitForEnd(topic, acks * 50 + 50)
  }
  const read = await readAll(topic, 100)
  assert.deepEqual(
    read.map((r) => r.value!.toString()),
    Array.from({ length: 100 }, (_, i) => `v${i}`),
  )
})

test('idempotence asked for with acks other than all, or too many requests in flight, is refused as Java refuses it', () => {
  const base = { bootstrapServers: bootstrapServers(), clientId: randomName('p'), idempotence: true }
  assert.throws(
    () => new KafkaProducer({ ...base, acks: 1 }),
    /Must set acks to all in order to use the idempotent producer/,
  )
  assert.throws(
    () => new KafkaProducer({ ...base, maxInFlightRequestsPerConnection: 6 }),
    /Must set max.in.flight.requests.per.connection to at most 5/,
  )
  assert.throws(() => new KafkaProducer({ ...base, retries: 0 }), /Must set retries to non-zero/)
  assert.throws(
    () => new KafkaProducer({ ...base, deliveryTimeoutMs: 1000, requestTimeoutMs: 2000 }),
    /delivery.timeout.ms should be equal to or larger than linger.ms \+ request.timeout.ms/,
  )
  // Not asked for: off where it cannot be on, as Java's default.
  assert.equal(new KafkaProducer({ ...base, idempotence: undefined, acks: 1 }).idempotent, false)
})

test('a record larger than max.request.size fails with Java’s message before anything is written', async (t) => {
  const topic = randomName('producer-large')
  await createTopic(topic)
  const producer = new KafkaProducer({
    bootstrapServers: bootstrapServers(),
    clientId: randomName('p'),
    maxRequestSize: 2000,
  })
  t.after(() => producer.close())
  const big = { topic, key: null, value: Buffer.alloc(2000, 1) }
  await assert.rejects(producer.send([...values(topic, 0, 5), big]), {
    name: 'RecordTooLargeException',
    message:
      'The message is 2086 bytes when serialized which is larger than 2000, which is the value of the max.request.size configuration.',
  })
  assert.equal(await endOffset(topic), 0)
})

test('small batch.size and max.request.size cut a send into many batches and requests, written in order', async (t) => {
  const topic = randomName('producer-cut')
  await createTopic(topic, 3)
  const producer = new KafkaProducer({
    bootstrapServers: bootstrapServers(),
    clientId: randomName('p'),
    batchSize: 1000,
    maxRequestSize: 3000,
    maxInFlightRequestsPerConnection: 2,
    compression: { type: 'zstd', level: 5 },
  })
  t.after(() => producer.close())
  const requests = countProduceRequests(t)
  const records = Array.from({ length: 600 }, (_, i) => ({
    topic,
    partition: i % 3,
    key: null,
    value: Buffer.from(`value-${i}-${'x'.repeat(20)}`),
  }))
  const offsets = await producer.send(records)
  assert.deepEqual(offsets.map((o) => [o.partition, o.offset]).sort(), [
    [0, 0],
    [1, 0],
    [2, 0],
  ])
  assert.ok(requests.count >= 10, `${requests.count} requests`)
  const read = await readAll(topic, 600)
  for (let p = 0; p < 3; p++)
    assert.deepEqual(
      read.filter((r) => r.partition === p).map((r) => r.value!.toString()),
      records.filter((r) => r.partition === p).map((r) => r.value.toString()),
    )
})

test('a batch the broker refuses is sent again before its partition’s later batches: records stay in send order, each once', async (t) => {
  const topic = randomName('producer-order')
  await createTopic(topic, 3)
  const producer = new KafkaProducer({
    bootstrapServers: bootstrapServers(),
    clientId: randomName('p'),
    batchSize: 1000,
    maxRequestSize: 3000,
  })
  t.after(() => producer.close())
  const records = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => ({
      topic,
      partition: (from + i) % 3,
      key: null,
      value: Buffer.from(`value-${from + i}-${'x'.repeat(20)}`),
    }))
  // First while the broker knows nothing of the producer on partition 1 (it takes any first sequence there), then
  // once it does.
  for (const [from, to] of [
    [0, 600],
    [600, 1200],
  ] as const) {
    const corrupt = corruptNextProduceBatch(topic, 1)
    t.after(corrupt.release)
    const offsets = await producer.send(records(from, to))
    assert.ok(corrupt.corrupted(), 'partition 1’s first batch was refused')
    assert.deepEqual(offsets.map((o) => [o.partition, o.offset]).sort(), [
      [0, from / 3],
      [1, from / 3],
      [2, from / 3],
    ])
  }
  assert.equal(await endOffset(topic), 1200)
  const read = await readAll(topic, 1200)
  const sent = records(0, 1200)
  for (let p = 0; p < 3; p++)
    assert.deepEqual(
      read.filter((r) => r.partition === p).map((r) => r.value!.toString()),
      sent.filter((r) => r.partition === p).map((r) => r.value.toString()),
      `partition ${p}`,
    )
})

test('a batch that could only be written after a later one fails with OutOfOrderSequenceException: the partition forgot the producer', async (t) => {
  const topic = randomName('producer-forgot')
  await createTopic(topic)
  const producer = new KafkaProducer({
    bootstrapServers: bootstrapServers(),
    clientId: randomName('p'),
    batchSize: 1000,
    maxRequestSize: 3000,
  })
  t.after(() => producer.close())
  const values = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => `value-${from + i}-${'x'.repeat(20)}`)
  const send = (from: number, to: number) =>
    producer.send(values(from, to).map((v) => ({ topic, partition: 0, key: null, value: Buffer.from(v) })))
  await send(0, 300)
  // The topic is deleted and made again: its new partition knows nothing of the producer and takes any sequence.
  const admin = new Admin({ clientId: randomName('admin'), bootstrapBrokers: bootstrapServers() })
  try {
    await admin.deleteTopics({ topics: [topic] })
    for (let attempt = 0; ; attempt++) {
      try {
        await createTopic(topic)
        break
      } catch (e) {
        if (attempt >= 50) throw e
        await new Promise((r) => setTimeout(r, 200))
      }
    }
  } finally {
    await admin.close()
  }
  // The broker answers for the new partition only once it holds it; a Produce request it answered with
  // UNKNOWN_TOPIC_OR_PARTITION would use up the spoiled batch, and its resend would be written in order.
  for (let attempt = 0; ; attempt++) {
    try {
      assert.equal(await endOffset(topic), 0)
      break
    } catch (e) {
      if (attempt >= 50) throw e
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  const corrupt = corruptNextProduceBatch(topic, 0)
  t.after(corrupt.release)
  await assert.rejects(send(300, 600), { name: 'OutOfOrderSequenceException' })
  assert.ok(corrupt.corrupted())
  // The producer goes on (with a new epoch); nothing was written twice or out of order.
  await send(600, 650)
  const read = (await readAll(topic, 250)).map((r) => r.value!.toString())
  const sent = values(300, 650)
  const skipped = sent.indexOf(read[0]!)
  assert.ok(skipped > 0, 'the first batch is not written')
  assert.deepEqual(read, sent.slice(skipped))
})

/**
 * Spoils the CRC of `partition`'s record batch in the next Produce request (v7, as ./produce.ts writes it) this
 * process writes, just before it reaches the socket: the broker refuses that batch alone with CORRUPT_MESSAGE, a
 * retriable error, and writes the rest of the request and the requests after it.
 */
function corruptNextProduceBatch(topic: string, partition: number): { corrupted: () => boolean; release: () => void } {
  const channel = 'tracing:plt:kafka:connections:api:start'
  let corrupted = false
  const onRequest = (message: unknown) => {
    const { apiKey, connection } = message as { apiKey: number; connection: { socket: Socket } }
    if (apiKey !== 0) return
    diagnostics.unsubscribe(channel, onRequest)
    const socket = connection.socket
    const write = socket.write
    socket.write = ((chunk: Buffer, ...rest: unknown[]) => {
      socket.write = write
      const at = produceBatchOffset(chunk, topic, partition)
      if (at >= 0) {
        chunk[at + 17]! ^= 0xff // the batch's CRC-32C: baseOffset, length, leader epoch, magic, then the CRC
        corrupted = true
      }
      return write.apply(socket, [chunk, ...rest] as never)
    }) as typeof socket.write
  }
  diagnostics.subscribe(channel, onRequest)
  return { corrupted: () => corrupted, release: () => diagnostics.unsubscribe(channel, onRequest) }
}

/** Where `partition`'s record batch starts in a Produce v7 request frame; -1 when the request has none. */
function produceBatchOffset(frame: Buffer, topic: string, partition: number): number {
  // size, api key, api version, correlation id, client id; transactional id, acks, timeout.
  let at = 12
  at += 2 + Math.max(0, frame.readInt16BE(at))
  at += 2 + Math.max(0, frame.readInt16BE(at)) + 2 + 4
  const topics = frame.readInt32BE(at)
  at += 4
  for (let t = 0; t < topics; t++) {
    const nameLength = frame.readInt16BE(at)
    const name = frame.toString('utf8', at + 2, at + 2 + nameLength)
    at += 2 + nameLength
    const partitions = frame.readInt32BE(at)
    at += 4
    for (let p = 0; p < partitions; p++) {
      const index = frame.readInt32BE(at)
      const size = frame.readInt32BE(at + 4)
      if (name === topic && index === partition) return at + 8
      at += 8 + size
    }
  }
  return -1
}

/** Counts the Produce requests this process writes while the test runs. */
function countProduceRequests(t: { after: (fn: () => void) => void }): { count: number } {
  const channel = 'tracing:plt:kafka:connections:api:start'
  const counter = { count: 0 }
  const onRequest = (message: unknown) => {
    if ((message as { apiKey: number }).apiKey === 0) counter.count++
  }
  diagnostics.subscribe(channel, onRequest)
  t.after(() => diagnostics.unsubscribe(channel, onRequest))
  return counter
}

test('linger.ms gathers the sends made meanwhile into one request; without it each send is its own', async (t) => {
  const topic = randomName('producer-linger')
  await createTopic(topic)
  for (const lingerMs of [300, 0]) {
    const producer = new KafkaProducer({ bootstrapServers: bootstrapServers(), clientId: randomName('p'), lingerMs })
    t.after(() => producer.close())
    await producer.send(values(topic, 0, 1)) // metadata and producer id
    const requests = countProduceRequests(t)
    const started = Date.now()
    const first = producer.send(values(topic, 0, 10))
    await new Promise((r) => setTimeout(r, 50))
    const second = producer.send(values(topic, 10, 20))
    const [a, b] = await Promise.all([first, second])
    assert.equal(b[0]!.offset, a[0]!.offset + 10)
    if (lingerMs > 0) {
      assert.equal(requests.count, 1)
      assert.ok(Date.now() - started >= 290, 'the first send waited for the linger')
    } else assert.equal(requests.count, 2)
  }
})

test('a record without a timestamp carries the time send() was called, as Java stamps it, not the time its lingering batch was written', async (t) => {
  const topic = randomName('producer-stamp')
  await createTopic(topic)
  const producer = new KafkaProducer({
    bootstrapServers: bootstrapServers(),
    clientId: randomName('p'),
    lingerMs: 1500,
  })
  t.after(() => producer.close())
  const records: OutgoingRecord[] = [{ topic, partition: 0, key: null, value: Buffer.from('stamped') }]
  const before = Date.now()
  const sent = producer.send(records) // stamps before its first await
  const after = Date.now()
  await sent
  const [read] = await readAll(topic, 1)
  assert.ok(read, 'the record was written')
  assert.ok(
    read.timestamp >= before && read.timestamp <= after,
    `timestamp ${read.timestamp} is the time of send() (${before}..${after}), not of the write after linger.ms`,
  )
  assert.equal(records[0]!.timestamp, undefined, 'the caller’s record is not stamped in place')
})

test('buffer.memory makes a send wait for earlier ones, and max.block.ms ends the wait with Java’s message', async (t) => {
  const topic = randomName('producer-memory')
  await createTopic(topic)
  const producer = new KafkaProducer({
    bootstrapServers: bootstrapServers(),
    clientId: randomName('p'),
    bufferMemory: 2500,
    maxBlockMs: 500,
    idempotence: false,
  })
  t.after(() => producer.close())
  await producer.send(values(topic, 0, 1))
  const hold = holdNextProduceResponse()
  t.after(hold.release)
  const first = producer.send([{ topic, key: null, value: Buffer.alloc(2000, 1) }])
  const socket = await hold.socket()
  await assert.rejects(producer.send([{ topic, key: null, value: Buffer.alloc(500, 2) }]), {
    name: 'BufferExhaustedException',
    message:
      /^Failed to allocate 586 bytes within the configured max blocking time 500 ms\. Total memory: 2500 bytes\./,
  })
  // Once the first is answered, memory is free again.
  socket.resume()
  await first
  await producer.send([{ topic, key: null, value: Buffer.alloc(500, 2) }])
  assert.equal(await endOffset(topic), 3)
})

test('delivery.timeout.ms fails a send whose answer does not come, with Java’s message', async (t) => {
  const topic = randomName('producer-timeout')
  await createTopic(topic)
  const producer = new KafkaProducer({
    bootstrapServers: bootstrapServers(),
    clientId: randomName('p'),
    requestTimeoutMs: 1000,
    deliveryTimeoutMs: 1500,
  })
  t.after(() => producer.close())
  await producer.send(values(topic, 0, 1))
  // Every answer is held: the first attempt times out (request.timeout.ms), the retry waits past the deadline.
  const hold = holdProduceResponses()
  t.after(hold.release)
  const sending = producer.send(values(topic, 1, 6))
  await assert.rejects(sending, {
    name: 'TimeoutException',
    message: new RegExp(`^Expiring 5 record\\(s\\) for ${topic}-0:\\d+ ms has passed since batch creation$`),
  })
})
