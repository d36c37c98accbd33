import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { PatternRecheck } from '../../src/kafka/pattern-recheck.ts'
import { createLogger } from '../../src/logger.ts'

function capture() {
  const lines: Array<Record<string, unknown>> = []
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line))
      done()
    },
  })
  return { lines, log: createLogger({ level: 'debug', destination }) }
}

test('a failed topics.regex re-check is logged once per failure streak, not at every look', async () => {
  const { lines, log } = capture()
  // true: the look succeeds; false: it fails.
  const outcomes = [true, false, false, false, true, true, false, false, true]
  let looks = 0
  const recheck = new PatternRecheck(
    300000,
    async () => {
      if (!outcomes[looks++]) throw new Error(`broker unreachable (look ${looks})`)
    },
    log,
  )
  recheck.start(/orders-.*/)
  recheck.stop()
  for (let i = 0; i < outcomes.length; i++) await recheck.run()
  assert.equal(looks, outcomes.length)
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg]),
    [
      [
        'warn',
        'Could not look up the topics matching topics.regex orders-.*: broker unreachable (look 2); the subscription keeps the topics it had and looks again every 300000 ms (metadata.max.age.ms)',
      ],
      ['info', 'Looked up the topics matching topics.regex orders-.* again'],
      [
        'warn',
        'Could not look up the topics matching topics.regex orders-.*: broker unreachable (look 7); the subscription keeps the topics it had and looks again every 300000 ms (metadata.max.age.ms)',
      ],
      ['info', 'Looked up the topics matching topics.regex orders-.* again'],
    ],
  )
  assert.match(String((lines[0]!.err as { message: string }).message), /look 2/)
})

test('starting again with another pattern replaces the earlier timer, and stop ends the looks', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] })
  const { lines, log } = capture()
  let looks = 0
  const recheck = new PatternRecheck(
    1000,
    async () => {
      looks++
      throw new Error('broker unreachable')
    },
    log,
  )
  t.after(() => recheck.stop())
  recheck.start(/orders-.*/)
  recheck.start(/invoices-.*/)
  t.mock.timers.tick(1000)
  await new Promise((r) => setImmediate(r))
  assert.equal(looks, 1, 'one timer, not one per start')
  assert.match(String(lines[0]?.msg), /topics\.regex invoices-\.\*/)
  t.mock.timers.tick(3000)
  assert.equal(looks, 4)
  recheck.stop()
  t.mock.timers.tick(5000)
  assert.equal(looks, 4)
})
