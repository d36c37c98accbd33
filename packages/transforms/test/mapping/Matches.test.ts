import assert from 'node:assert/strict'
import test from 'node:test'
import { DataException, SinkRecord } from '@ferry/api'
import { predicateConformance } from '@ferry/testing'
import { FerryMatches } from '../../src/mapping/Matches.ts'

function record(value: unknown): SinkRecord {
  return new SinkRecord('payments', 0, null, null, null, value, 1, null, 'NoTimestampType')
}

test('Matches holds when the expression gives true, and not for false, nothing or null', () => {
  const matches = new FerryMatches()
  matches.configure({ expression: 'value.amount > 100 ? true : value.flag' })
  assert.equal(matches.test(record({ amount: 150 })), true)
  assert.equal(matches.test(record({ amount: 50, flag: false })), false)
  assert.equal(matches.test(record({ amount: 50 })), false)
  assert.equal(matches.test(record({ amount: 50, flag: null })), false)
  assert.equal(matches.test(record(null)), false)
})

test('Matches fails a record whose expression gives a non-boolean, pointing to $boolean()', () => {
  const matches = new FerryMatches()
  matches.configure({ expression: 'value.amount' })
  assert.throws(
    () => matches.test(record({ amount: 1 })),
    (e: unknown) =>
      e instanceof DataException &&
      /io\.ferry\.transforms\.predicates\.Matches: the expression gave the number 1, where true or false is needed \(wrap it in \$boolean\(\)/.test(
        (e as Error).message,
      ),
  )
  matches.configure({ expression: '$boolean(value.amount)' })
  assert.equal(matches.test(record({ amount: 1 })), true)
})

test('Matches names its expression in toString', () => {
  const matches = new FerryMatches()
  matches.configure({ expression: 'topic = "x"' })
  assert.equal(String(matches), 'Matches{expression=topic = "x"}')
})

test('Matches conforms to the predicate contract', async (t) => {
  await predicateConformance(t, () => new FerryMatches(), { expression: '$exists(value) and topic = "sample-topic"' })
})
