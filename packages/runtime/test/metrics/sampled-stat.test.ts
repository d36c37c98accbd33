import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SampledStat } from '../../src/metrics/sampled-stat.ts'

test('a sampled stat reports NaN average and maximum before anything is recorded, and a rate of 0', () => {
  const stat = new SampledStat(2, 0)
  assert.ok(Number.isNaN(stat.avg()))
  assert.ok(Number.isNaN(stat.max()))
  assert.equal(stat.rate(1000), 0)
})

test('rates, averages and maxima cover the samples kept; older samples fall out of the window', () => {
  const stat = new SampledStat(2, 0)
  stat.record(10)
  stat.record(30)
  assert.equal(stat.avg(), 20)
  assert.equal(stat.max(), 30)
  assert.equal(stat.rate(2000), 20) // 40 over 2 s
  stat.roll(1000)
  stat.record(5)
  assert.equal(stat.max(), 30, 'the closed sample still counts')
  assert.equal(stat.avg(), 15)
  stat.roll(2000)
  // Two samples kept: the one opened at 1000 (with 5) and the open one.
  assert.equal(stat.max(), 5)
  assert.equal(stat.avg(), 5)
  assert.equal(stat.rate(3000), 2.5) // 5 over the 2 s since 1000
  assert.equal(stat.sum, 45, 'the lifetime sum is kept for the totals')
  assert.equal(stat.count, 3)
})

test('minima cover the samples kept, NaN before anything is recorded', () => {
  const stat = new SampledStat(2, 0)
  assert.ok(Number.isNaN(stat.min()))
  stat.record(10)
  stat.record(3)
  assert.equal(stat.min(), 3)
  stat.roll(1000)
  stat.record(7)
  assert.equal(stat.min(), 3, 'the closed sample still counts')
  stat.roll(2000)
  assert.equal(stat.min(), 7, 'the sample with 3 fell out of the window')
})

test('a stat first recorded in after some windows rolled reports the rates and averages of the windows kept', () => {
  const stat = new SampledStat(2, 0)
  stat.roll(1000)
  assert.equal(stat.rate(1500), 0, 'nothing recorded: a rate of 0 over the windows kept')
  assert.ok(Number.isNaN(stat.max()))
  stat.roll(2000)
  stat.roll(3000)
  stat.record(8)
  // Two samples kept, opened at 2000 and 3000: the rate covers the 2 s since 2000.
  assert.equal(stat.rate(4000), 4)
  assert.equal(stat.countRate(4000), 0.5)
  assert.equal(stat.avg(), 8)
  assert.equal(stat.max(), 8)
  stat.roll(4000)
  stat.record(2)
  assert.equal(stat.max(), 8, 'the closed sample still counts')
  assert.equal(stat.min(), 2)
  stat.roll(5000)
  assert.equal(stat.max(), 2, 'the sample with 8 fell out of the window')
  assert.equal(stat.rate(5000), 2) // 2 over the 1 s since 4000
})
