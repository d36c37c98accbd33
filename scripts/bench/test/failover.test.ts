import assert from 'node:assert/strict'
import { test } from 'node:test'
import { failoverLine, PartitionLedgers, parseFailoverLine, runningTasks, summarizeLedgers } from '../failover.ts'

test('a sink line names its partition and its number there, and reads back; anything else is not a record', () => {
  assert.equal(failoverLine(3, 17), '3-17')
  assert.deepEqual(parseFailoverLine('3-17'), { partition: 3, n: 17 })
  for (const bad of ['', '3-', '-17', '3-17x', '3 17', '3-1-7']) assert.equal(parseFailoverLine(bad), undefined)
})

/** Two partitions written every 100 ms from 0 to 9,900 ms (n = 1..100), each delivered 50 ms after it was written. */
function steady(stall?: { partition: number; from: number; to: number }): PartitionLedgers {
  const l = new PartitionLedgers(2)
  for (let n = 1; n <= 100; n++) for (const p of [0, 1]) l.wrote(p, n, (n - 1) * 100)
  for (let n = 1; n <= 100; n++)
    for (const p of [0, 1]) {
      const t = (n - 1) * 100 + 50
      const stalled = stall && p === stall.partition && t >= stall.from && t < stall.to
      l.delivered(failoverLine(p, n), stalled ? stall.to : t)
    }
  return l
}

test("one partition stalled while the other delivers is a pause: the longest is that partition's, in the window where delivery resumed", () => {
  const l = steady({ partition: 1, from: 3000, to: 6000 })
  const windows = [
    { name: 'quiet', start: 0, end: 3000 },
    { name: 'kill 1', start: 3000, end: Number.POSITIVE_INFINITY },
  ]
  const s = summarizeLedgers(l.ledgers, windows, 20_000, 0)
  // Partition 1 delivered at 2,950 and then nothing until 6,000; its next record waited from 3,000 (when written).
  assert.equal(s.longestPauseSeconds, 3)
  // The pause began before the kill window and ended in it: it is the kill's, not the quiet spell's.
  assert.deepEqual(s.windows, [
    { name: 'quiet', pauseSeconds: 0.05 },
    { name: 'kill 1', pauseSeconds: 3 },
  ])
  assert.equal(s.written, 200)
  assert.equal(s.lost, 0)
  assert.equal(s.duplicated, 0)
})

test('records never delivered are lost, lines delivered twice are duplicates, and a line that is no record is counted apart', () => {
  const l = steady()
  l.delivered('1-40', 9990)
  l.delivered('0-7', 9991)
  l.delivered('garbage', 9992)
  l.delivered('7-1', 9993) // no such partition
  l.delivered('0-500', 9994) // never written
  const two = new PartitionLedgers(1)
  for (let n = 1; n <= 3; n++) two.wrote(0, n, n)
  two.delivered('0-1', 10)
  const s = summarizeLedgers([...l.ledgers, ...two.ledgers], [], 20_000, 0)
  assert.equal(s.duplicated, 2)
  assert.equal(s.lost, 2)
  assert.equal(s.unexpected, 1)
  assert.equal(l.unparsed, 2)
  // The lost records wait until the end: that is the longest pause.
  assert.equal(s.longestPauseSeconds, 19.99)
})

test('pauses that ended before the measuring starts (start-up) do not count', () => {
  const l = new PartitionLedgers(1)
  for (let n = 1; n <= 3; n++) l.wrote(0, n, 0)
  l.delivered('0-1', 5000)
  l.delivered('0-2', 5100)
  l.delivered('0-3', 5300)
  assert.equal(summarizeLedgers(l.ledgers, [], 6000, 0).longestPauseSeconds, 5)
  assert.equal(summarizeLedgers(l.ledgers, [], 6000, 5050).longestPauseSeconds, 0.2)
})

test('caught up means every partition delivered the records written up to a point, duplicates not counting twice', () => {
  const l = new PartitionLedgers(2)
  for (let n = 1; n <= 3; n++) for (const p of [0, 1]) l.wrote(p, n, n)
  for (const line of ['0-1', '0-2', '1-1', '1-1']) l.delivered(line, 10)
  assert.equal(l.caughtUp([2, 1]), true)
  assert.equal(l.caughtUp([2, 2]), false)
  assert.equal(l.caughtUp([3, 1]), false)
})

test("the RUNNING tasks per worker are counted from a connector's status", () => {
  const status = {
    name: 'c',
    connector: { state: 'RUNNING', worker_id: '127.0.0.1:1' },
    tasks: [
      { id: 0, state: 'RUNNING', worker_id: '127.0.0.1:1' },
      { id: 1, state: 'RUNNING', worker_id: '127.0.0.1:2' },
      { id: 2, state: 'UNASSIGNED', worker_id: '127.0.0.1:2' },
      { id: 3, state: 'RUNNING', worker_id: '127.0.0.1:1' },
    ],
  }
  assert.deepEqual(
    runningTasks(status),
    new Map([
      ['127.0.0.1:1', 2],
      ['127.0.0.1:2', 1],
    ]),
  )
  assert.deepEqual(runningTasks(undefined), new Map())
})
