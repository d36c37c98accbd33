import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pino } from 'pino'
import { Loggers } from '../../src/herder/loggers.ts'

function loggers() {
  const root = pino({ level: 'info' })
  const worker = root.child({})
  return { root, worker, loggers: new Loggers(root, { 'org.apache.kafka.connect.runtime.Worker': worker }, () => 42) }
}

test('every logger is listed by name with its level, root included', () => {
  const { loggers: l } = loggers()
  assert.deepEqual(l.allLevels(), {
    'org.apache.kafka.connect.runtime.Worker': { level: 'INFO', last_modified: null },
    root: { level: 'INFO', last_modified: null },
  })
  assert.equal(l.level('nope'), null)
})

test('a namespace’s level applies to the loggers below it and to the running pino logger', () => {
  const { worker, loggers: l } = loggers()
  const taskLog = worker.child({ task: 'x-0' })
  assert.deepEqual(l.setLevel('org.apache.kafka.connect', 'debug'), [
    'org.apache.kafka.connect',
    'org.apache.kafka.connect.runtime.Worker',
  ])
  assert.equal(worker.level, 'debug')
  assert.equal(taskLog.isLevelEnabled('debug'), true)
  assert.deepEqual(l.level('org.apache.kafka.connect'), { level: 'DEBUG', last_modified: 42 })
  // Setting the same level again changes nothing.
  assert.deepEqual(l.setLevel('org.apache.kafka.connect.runtime.Worker', 'DEBUG'), [])
})

test('root sets every logger; OFF and ALL map to pino’s silent and trace', () => {
  const { root, worker, loggers: l } = loggers()
  assert.deepEqual(l.setLevel('root', 'OFF'), ['org.apache.kafka.connect.runtime.Worker', 'root'])
  assert.equal(root.level, 'silent')
  assert.equal(l.level('root')?.level, 'OFF')
  l.setLevel('org.apache.kafka.connect.runtime.Worker', 'all')
  assert.equal(worker.level, 'trace')
  assert.equal(Loggers.isValidLevel('warn'), true)
  assert.equal(Loggers.isValidLevel('bogus'), false)
  assert.throws(() => l.setLevel('x', 'bogus'), /invalid log level 'bogus'/)
})

test('a new namespace follows its closest ancestor until it gets its own level', () => {
  const { loggers: l } = loggers()
  l.setLevel('a', 'WARN')
  const child = l.logger('a.b')
  assert.equal(child.level, 'warn')
  assert.deepEqual(l.setLevel('a.b', 'WARN'), [])
})
