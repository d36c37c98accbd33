import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { test } from 'node:test'
import { silentLogger } from '@ferry/runtime'
import { FORCE_AFTER_MS, onStopSignals } from '../src/stop-signals.ts'

/** Signals from an emitter and a clock the test moves; records what the handlers were asked to do. */
function harness(interactive: boolean) {
  const source = new EventEmitter()
  let clock = 1_000_000
  const calls: string[] = []
  const dispose = onStopSignals(
    { stop: (s) => calls.push(`stop ${s}`), force: (s) => calls.push(`force ${s}`) },
    { log: silentLogger(), interactive, source, now: () => clock },
  )
  return {
    calls,
    dispose,
    source,
    send(signal: NodeJS.Signals, afterMs = 0) {
      clock += afterMs
      source.emit(signal)
    },
  }
}

test('SIGTERM twice within milliseconds stops gracefully once and never forces the exit', () => {
  const h = harness(true)
  h.send('SIGTERM')
  h.send('SIGTERM', 2)
  assert.deepEqual(h.calls, ['stop SIGTERM'])
})

test('SIGTERM repeated seconds apart still never forces the exit, on a terminal or not', () => {
  for (const interactive of [true, false]) {
    const h = harness(interactive)
    h.send('SIGTERM')
    h.send('SIGTERM', 5000)
    h.send('SIGTERM', 5000)
    assert.deepEqual(h.calls, ['stop SIGTERM'])
  }
})

test('a second Ctrl-C a second or more after the first forces the exit on a terminal', () => {
  const h = harness(true)
  h.send('SIGINT')
  h.send('SIGINT', FORCE_AFTER_MS)
  assert.deepEqual(h.calls, ['stop SIGINT', 'force SIGINT'])
})

test('a SIGINT arriving with the first (a terminal and a wrapper both sending it) is a duplicate; a later one forces', () => {
  const h = harness(true)
  h.send('SIGINT')
  h.send('SIGINT', 3)
  assert.deepEqual(h.calls, ['stop SIGINT'])
  h.send('SIGINT', FORCE_AFTER_MS)
  assert.deepEqual(h.calls, ['stop SIGINT', 'force SIGINT'])
})

test('without a terminal a repeated SIGINT is a supervisor’s, and the stop stays graceful', () => {
  const h = harness(false)
  h.send('SIGINT')
  h.send('SIGINT', 5000)
  assert.deepEqual(h.calls, ['stop SIGINT'])
})

test('Ctrl-C after a SIGTERM forces the exit: a person at the terminal wants out', () => {
  const h = harness(true)
  h.send('SIGTERM')
  h.send('SIGINT', 2000)
  assert.deepEqual(h.calls, ['stop SIGTERM', 'force SIGINT'])
})

test('after dispose no signal reaches the handlers', () => {
  const h = harness(true)
  h.dispose()
  assert.equal(h.source.listenerCount('SIGINT') + h.source.listenerCount('SIGTERM'), 0)
  h.send('SIGTERM')
  assert.deepEqual(h.calls, [])
})
