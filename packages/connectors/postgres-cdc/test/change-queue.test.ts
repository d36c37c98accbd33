import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ChangeQueue } from '../src/change-queue.ts'

/** A source that records pause/resume and, like a socket, only pushes while it is not paused. */
function source() {
  const log: string[] = []
  let paused = false
  let next = 0
  return {
    log,
    get paused() {
      return paused
    },
    flow: {
      pause() {
        paused = true
        log.push('pause')
      },
      resume() {
        paused = false
        log.push('resume')
      },
    },
    /** Pushes messages of `size` bytes (each holding its sequence number) until paused or `limit` were sent. */
    feed(queue: ChangeQueue, size: number, limit: number): void {
      while (!paused && next < limit) {
        const m = Buffer.alloc(size)
        m.writeUInt32BE(next++)
        queue.push(m)
      }
    },
    get sent() {
      return next
    },
  }
}

const seq = (messages: Buffer[]) => messages.map((m) => m.readUInt32BE(0))

test('without a byte bound (max.queue.size.in.bytes=0) the queue pauses the source at max.queue.size messages', async () => {
  const src = source()
  const q = new ChangeQueue(100, 0, src.flow)
  src.feed(q, 1000, 10_000)
  assert.equal(q.size, 100)
  assert.equal(q.bytes, 100_000)
  assert.deepEqual(src.log, ['pause'])
  // Taking 40 leaves 60, not under half of the bound: still paused.
  assert.deepEqual(seq(await q.take(40, 10)), [...Array(40).keys()])
  assert.equal(src.paused, true)
  assert.deepEqual(
    seq(await q.take(20, 10)),
    [...Array(20).keys()].map((i) => i + 40),
  )
  assert.deepEqual(src.log, ['pause', 'resume'])
})

test('max.queue.size.in.bytes pauses the source once the messages waiting hold that many bytes', async () => {
  const src = source()
  const q = new ChangeQueue(8192, 10_000, src.flow)
  src.feed(q, 300, 100_000)
  // Debezium's rule: blocked once the bytes reach the bound, so the last message may take them past it.
  assert.equal(q.size, 34)
  assert.equal(q.bytes, 10_200)
  assert.equal(q.paused, true)
  assert.deepEqual(src.log, ['pause'])
  // Resumed once a take leaves the queue under half of the byte bound.
  await q.take(10, 10)
  assert.equal(q.bytes, 7_200)
  assert.equal(src.paused, true)
  await q.take(10, 10)
  assert.equal(q.bytes, 4_200)
  assert.deepEqual(src.log, ['pause', 'resume'])
})

test('a bounded queue delivers every message once, in order, however the takes and pauses interleave', async () => {
  const src = source()
  const q = new ChangeQueue(50, 4_096, src.flow)
  const total = 5_000
  const got: number[] = []
  let maxBytes = 0
  while (got.length < total) {
    src.feed(q, 100 + (src.sent % 7) * 50, total)
    maxBytes = Math.max(maxBytes, q.bytes)
    assert.ok(q.size <= 50, `${q.size} messages waiting`)
    got.push(...seq(await q.take(1 + (got.length % 13), 10)))
  }
  assert.deepEqual(got, [...Array(total).keys()])
  // Never more than one message (at most 400 bytes) past the byte bound.
  assert.ok(maxBytes < 4_096 + 400, `${maxBytes} bytes waiting`)
  assert.equal(q.bytes, 0)
  assert.equal(src.log.filter((e) => e === 'pause').length, src.log.filter((e) => e === 'resume').length)
})

test('take waits for the first message, returns empty after waitMs, and throws a failure once the queue is drained', async () => {
  const q = new ChangeQueue(10, 0, { pause() {}, resume() {} })
  assert.deepEqual(await q.take(5, 5), [])
  const waiting = q.take(5, 60_000)
  q.push(Buffer.from([1]))
  assert.deepEqual(await waiting, [Buffer.from([1])])
  q.push(Buffer.from([2]))
  q.fail(new Error('connection lost'))
  assert.deepEqual(await q.take(5, 5), [Buffer.from([2])])
  await assert.rejects(q.take(5, 5), /connection lost/)
})
