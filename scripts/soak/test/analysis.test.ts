import assert from 'node:assert/strict'
import { test } from 'node:test'
import { growth, parseProbe, type Sample, type Series, soakWindows, verdict, windowStat } from '../analysis.ts'

const MINUTE = 60_000

/** One sample every 5 s over `minutes`, value `f(t)`. */
function series(minutes: number, f: (t: number) => number): Sample[] {
  const out: Sample[] = []
  for (let t = 0; t <= minutes * MINUTE; t += 5000) out.push({ t, value: f(t) })
  return out
}

test('the windows are a tenth of the run within 30 s and 10 min, and the settled one starts after the warm-up', () => {
  assert.deepEqual(soakWindows(15 * MINUTE), { windowMs: 90_000, settledFromMs: 3 * MINUTE })
  assert.deepEqual(soakWindows(2 * MINUTE), { windowMs: 30_000, settledFromMs: 30_000 })
  assert.deepEqual(soakWindows(24 * 60 * MINUTE), { windowMs: 10 * MINUTE, settledFromMs: 15 * MINUTE })
})

test('a window is the median of the samples inside it', () => {
  const samples = [
    { t: 0, value: 100 },
    { t: 1000, value: 7 },
    { t: 2000, value: 5 },
    { t: 3000, value: 6 },
    { t: 4000, value: Number.NaN },
  ]
  assert.deepEqual(windowStat(samples, 1000, 5000), { fromMs: 1000, toMs: 5000, n: 3, median: 6 })
  assert.equal(windowStat(samples, 10_000, 20_000), undefined)
})

test('growth compares the first settled window with the last, so a warm-up climb does not count', () => {
  // Climbs from 50 to 100 MiB in the first 2 minutes, then flat with noise: no growth.
  const flat = series(15, (t) => (t < 2 * MINUTE ? 50 + (50 * t) / (2 * MINUTE) : 100 + ((t / 5000) % 3) - 1))
  const g = growth(flat, 15 * MINUTE)
  assert.ok(g)
  assert.equal(g.first.fromMs, 3 * MINUTE)
  assert.equal(g.last.toMs, 15 * MINUTE + 1)
  assert.ok(Math.abs(g.growth) < 0.01, `growth ${g.growth}`)

  // A slow leak after the warm-up: 100 → about 115 MiB.
  const leak = series(15, (t) => 100 + (15 * t) / (15 * MINUTE))
  const l = growth(leak, 15 * MINUTE)!
  assert.ok(l.growth > 0.09 && l.growth < 0.12, `growth ${l.growth}`)
})

test('a run too short for two windows, or with an empty window, has no growth', () => {
  assert.equal(
    growth(
      series(1, () => 1),
      MINUTE,
    ),
    undefined,
  )
  assert.equal(growth([], 15 * MINUTE), undefined)
})

test('memory fails at 5 % growth; lag only when it also grew by the floor; a series without windows fails', () => {
  const g = (first: number, last: number) => ({
    first: { fromMs: 0, toMs: 1, n: 1, median: first },
    last: { fromMs: 2, toMs: 3, n: 1, median: last },
    growth: (last - first) / first,
  })
  const ok: Series[] = [
    { name: 'standalone RSS', kind: 'memory', growth: g(100, 104.9) },
    { name: 'standalone lag p99', kind: 'lag', growth: g(1, 5.5) }, // +450 % but only 4.5 ms
  ]
  assert.deepEqual(verdict(ok), { ok: true, failures: [] })
  const bad: Series[] = [
    { name: 'standalone RSS', kind: 'memory', growth: g(100, 105) },
    { name: 'worker 2 lag p99', kind: 'lag', growth: g(10, 15) },
    { name: 'worker 1 RSS', kind: 'memory', growth: undefined },
  ]
  assert.deepEqual(verdict(bad), {
    ok: false,
    failures: [
      'standalone RSS grew 5.0 % (100.0 → 105.0 MiB)',
      'worker 2 lag p99 grew 50.0 % (10.00 → 15.00 ms)',
      'worker 1 RSS: too few samples for a first settled and a last window',
    ],
  })
})

test('the probe’s file is read line by line; a blank line and one cut short by a kill are left out', () => {
  const text = '{"t":1,"lagP99Ms":2,"heapTotalMb":60}\n\n{"t":2,"lagP99Ms":3,"heapTotalMb":61}\n{"t":3,"lagP9'
  assert.deepEqual(parseProbe(text), [
    { t: 1, lagP99Ms: 2, heapTotalMb: 60 },
    { t: 2, lagP99Ms: 3, heapTotalMb: 61 },
  ])
  assert.deepEqual(parseProbe(''), [])
})
