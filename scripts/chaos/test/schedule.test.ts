import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FAULT_KINDS, parseDuration, rng, schedule, shuffle } from '../schedule.ts'

test('the same seed gives the same schedule, and another seed a different one', () => {
  const a = schedule({ seed: 42, durationMs: 600_000 })
  assert.deepEqual(schedule({ seed: 42, durationMs: 600_000 }), a)
  assert.notDeepEqual(schedule({ seed: 43, durationMs: 600_000 }), a)
})

test('a schedule starts with the REST-only baseline, then has every fault alone before any mixed phase', () => {
  const phases = schedule({ seed: 7, durationMs: 20 * 60_000 })
  assert.equal(phases[0]?.name, 'rest-only')
  assert.deepEqual(phases[0]?.faults, [])
  const singles = phases.slice(1, 1 + FAULT_KINDS.length)
  assert.deepEqual(singles.map((p) => p.name).sort(), [...FAULT_KINDS].sort())
  for (const p of singles) assert.equal(p.faults.length, 1)
  const mixed = phases.slice(1 + FAULT_KINDS.length)
  assert.ok(mixed.length > 0, 'a 20 minute run has mixed phases')
  for (const p of mixed) {
    assert.equal(p.faults.length, 2)
    const [a, b] = p.faults
    assert.notEqual(a?.fault.kind, b?.fault.kind)
    assert.equal(p.name, `${a?.fault.kind} + ${b?.fault.kind}`)
  }
})

test('a short duration still runs the baseline and one fault; a longer one runs more phases', () => {
  assert.equal(schedule({ seed: 1, durationMs: 30_000 }).length, 2)
  assert.ok(schedule({ seed: 1, durationMs: 600_000 }).length > schedule({ seed: 1, durationMs: 300_000 }).length)
})

test('fault parameters stay in range: workers exist, brokers are a permutation, two worker faults hit two workers', () => {
  for (let seed = 0; seed < 200; seed++) {
    for (const phase of schedule({ seed, durationMs: 30 * 60_000 })) {
      for (const { fault } of phase.faults) {
        if (fault.kind === 'kill-worker' || fault.kind === 'join-during-rebalance')
          assert.ok(fault.worker >= 0 && fault.worker < 3)
        if (fault.kind === 'rolling-brokers') assert.deepEqual([...fault.order].sort(), [0, 1, 2])
        if (fault.kind === 'kill-worker') assert.ok(fault.downMs >= 2000 && fault.downMs <= 15000)
      }
      const workers = phase.faults.flatMap(({ fault }) =>
        fault.kind === 'kill-worker' || fault.kind === 'join-during-rebalance' ? [fault.worker] : [],
      )
      assert.equal(new Set(workers).size, workers.length, `seed ${seed}: ${phase.name}`)
    }
  }
})

test('the generator is uniform enough and shuffle is a permutation', () => {
  const random = rng(123)
  const buckets = [0, 0, 0, 0]
  for (let i = 0; i < 40_000; i++) buckets[Math.floor(random() * 4)]!++
  for (const b of buckets) assert.ok(b > 9_000 && b < 11_000, String(buckets))
  assert.deepEqual(shuffle(rng(5), [1, 2, 3, 4, 5]).sort(), [1, 2, 3, 4, 5])
})

test('durations read as the flag takes them, and a bad one names the flag', () => {
  assert.equal(parseDuration('10m'), 600_000)
  assert.equal(parseDuration('90s'), 90_000)
  assert.equal(parseDuration('90'), 90_000)
  assert.equal(parseDuration('1h'), 3_600_000)
  assert.equal(parseDuration('1500ms'), 1500)
  assert.throws(() => parseDuration('ten minutes'), /--duration: 'ten minutes' is not a duration/)
})
