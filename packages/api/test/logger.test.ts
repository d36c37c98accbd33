import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bindLogging, getLogger, type LogLevel } from '../src/logger.ts'

/** What `fn` writes to stdout. */
function stdoutOf(fn: () => void): string {
  const write = process.stdout.write
  let out = ''
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk)
    return true
  }) as typeof process.stdout.write
  try {
    fn()
  } finally {
    process.stdout.write = write
  }
  return out
}

test('a logger goes to the bound runtime, looked up at each line, so one made before the runtime bound itself works', (t) => {
  const log = getLogger('com.example.Task')
  const seen: Array<[string, LogLevel, string, unknown]> = []
  bindLogging({ log: (name, level, message, error) => seen.push([name, level, message, error]) })
  t.after(() => bindLogging(undefined))
  const boom = new Error('boom')
  log.info('started')
  log.error('failed', boom)
  assert.deepEqual(seen, [
    ['com.example.Task', 'info', 'started', undefined],
    ['com.example.Task', 'error', 'failed', boom],
  ])
})

test('unbound (a plugin tested on its own), lines are JSON on stdout with the level name, below FERRY_LOG_LEVEL dropped', (t) => {
  bindLogging(undefined)
  const level = process.env.FERRY_LOG_LEVEL
  process.env.FERRY_LOG_LEVEL = 'info'
  t.after(() => {
    if (level === undefined) delete process.env.FERRY_LOG_LEVEL
    else process.env.FERRY_LOG_LEVEL = level
  })
  const log = getLogger('com.example.Task')
  const out = stdoutOf(() => {
    log.debug('not shown')
    log.warn('careful', new Error('why'))
  })
  const lines = out.trim().split('\n')
  assert.equal(lines.length, 1, out)
  const line = JSON.parse(lines[0]!)
  assert.equal(line.level, 'warn')
  assert.equal(line.name, 'com.example.Task')
  assert.equal(line.msg, 'careful')
  assert.equal(line.err.message, 'why')
})
