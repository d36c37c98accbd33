import assert from 'node:assert/strict'
import { test } from 'node:test'
import { failed, Ledger } from '../ledger.ts'

/** Writes sequence numbers 1..n at times start, start + step, ... */
function written(n: number, start = 0, step = 100, pipeline = 'p'): Ledger {
  const l = new Ledger(pipeline)
  for (let s = 1; s <= n; s++) l.wrote(s, start + (s - 1) * step)
  return l
}

test('every record delivered once: nothing lost or duplicated, and the longest pause is the largest gap', () => {
  const l = written(10)
  for (let s = 1; s <= 10; s++) l.delivered(s, s * 100 + (s === 6 ? 2000 : 0))
  const sum = l.summary([], 5000)
  assert.equal(sum.written, 10)
  assert.equal(sum.delivered, 10)
  assert.equal(sum.lost, 0)
  assert.equal(sum.duplicated, 0)
  // deliveries at 100..500, 2600, 700..1000: sorted, the gap 1000 -> 2600 is the longest
  assert.equal(sum.longestPauseS, 1.6)
  assert.equal(sum.longestPauseAt, 1000)
  assert.equal(failed(sum), false)
})

test('a record never delivered is lost and fails the run; duplicates do not fail an at-least-once pipeline', () => {
  const l = written(5)
  for (const s of [1, 2, 2, 2, 4, 5]) l.delivered(s, 1000)
  const sum = l.summary([], 2000)
  assert.equal(sum.lost, 1)
  assert.deepEqual(sum.lostSample, [3])
  assert.equal(sum.duplicated, 2)
  assert.equal(sum.delivered, 4)
  assert.equal(failed(sum), true)
  const noLoss = written(2)
  for (const s of [1, 1, 2]) noLoss.delivered(s, 500)
  assert.equal(failed(noLoss.summary([], 600)), false)
})

test('duplicates fail an exactly-once pipeline', () => {
  const l = new Ledger('eos', 'exactly-once')
  l.wrote(1, 0)
  l.delivered(1, 10)
  l.delivered(1, 20)
  assert.equal(failed(l.summary([], 30)), true)
})

test('a delivered sequence number that was never written counts as unexpected and fails the run', () => {
  const l = written(2)
  l.delivered(1, 1)
  l.delivered(2, 2)
  l.delivered(77, 3)
  l.delivered(Number.NaN, 4)
  const sum = l.summary([], 5)
  assert.equal(sum.unexpected, 2)
  assert.equal(sum.lost, 0)
  assert.equal(failed(sum), true)
})

test('records belong to the phase they were written in, and a pause counts in every phase it overlaps', () => {
  // 20 records written 0..1900; 11..20 (written in phase b) delivered late, one of them twice, 15 never
  const l = written(20)
  for (let s = 1; s <= 10; s++) l.delivered(s, (s - 1) * 100 + 50)
  for (let s = 11; s <= 20; s++) if (s !== 15) l.delivered(s, 6000 + s)
  l.delivered(12, 6100)
  const sum = l.summary(
    [
      { name: 'a', start: 0, end: 1000 },
      { name: 'b', start: 1000, end: 2000 },
      { name: 'c', start: 8000, end: 9000 },
    ],
    9000,
  )
  const [a, b, c] = sum.phases
  assert.deepEqual(
    { written: a?.written, lost: a?.lost, duplicated: a?.duplicated },
    { written: 10, lost: 0, duplicated: 0 },
  )
  assert.deepEqual(
    { written: b?.written, lost: b?.lost, duplicated: b?.duplicated },
    { written: 10, lost: 1, duplicated: 1 },
  )
  // 11 waited from its write at 1000 to the next delivery at 6011: phase b's pause, not a's (a's records arrived
  // 50 ms after their writes)
  assert.equal(a?.longestPauseS, 0.1)
  assert.equal(b?.longestPauseS, 5)
  assert.equal(b?.longestPauseAt, 1000)
  // 15 is still missing at the end: from the last delivery (6100) to the end is a pause too, in phase c
  assert.equal(c?.written, 0)
  assert.equal(c?.longestPauseS, 2.9)
  assert.equal(sum.longestPauseS, 5)
})

test('time while nothing waited is no pause: a writer that stops, then writes again', () => {
  const l = new Ledger('p')
  l.wrote(1, 0)
  l.delivered(1, 10)
  l.wrote(2, 60_000)
  l.delivered(2, 60_100)
  assert.equal(l.summary([], 70_000).longestPauseS, 0.1)
})

test("the whole run's longest pause leaves out the start-up before the first phase", () => {
  const l = written(3, 0, 1000)
  for (let s = 1; s <= 3; s++) l.delivered(s, 20_000 + s * 1000)
  assert.equal(l.summary([], 30_000).longestPauseS, 21)
  assert.equal(l.summary([], 30_000, 21_500).longestPauseS, 1)
})

test('when records are still missing, the time from the last delivery to the end is a pause', () => {
  const l = written(3)
  l.delivered(1, 100)
  const sum = l.summary([{ name: 'x', start: 0, end: 10_000 }], 10_000)
  assert.equal(sum.longestPauseS, 9.9)
  assert.equal(sum.lost, 2)
})

test('sequence numbers must be written in order from 1', () => {
  const l = new Ledger('p')
  l.wrote(1, 0)
  assert.throws(() => l.wrote(3, 1), /p: wrote 3 after 1/)
})

test('counts grow past the initial capacity', () => {
  const l = written(5000, 0, 1)
  for (let s = 1; s <= 5000; s++) l.delivered(s, 10_000 + s)
  const sum = l.summary([], 20_000)
  assert.equal(sum.delivered, 5000)
  assert.equal(sum.lost, 0)
  assert.equal(l.complete(), true)
})
