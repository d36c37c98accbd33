import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { ConfigException, getLogger } from '@ferry/api'
import { parseWorkerConfig } from '../src/config/worker-config.ts'
import { Loggers } from '../src/herder/loggers.ts'
import { createLogger, type LoggerOptions, logFormat } from '../src/logger.ts'
import { runInLoggingContext } from '../src/logging-context.ts'

/** A logger writing into `text` (pretty) or `lines` (JSON). */
function capture(options: LoggerOptions = {}) {
  let text = ''
  const destination = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk)
      done()
    },
  })
  const log = createLogger({ level: 'debug', destination, ...options })
  return {
    log,
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  }
}

test('JSON lines name their level ("level":"info") and carry no connector or task outside one', () => {
  const c = capture()
  c.log.debug('d')
  c.log.info('i')
  c.log.warn('w')
  c.log.error({ err: new Error('boom') }, 'e')
  const lines = c.lines()
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg]),
    [
      ['debug', 'd'],
      ['info', 'i'],
      ['warn', 'w'],
      ['error', 'e'],
    ],
  )
  assert.match(String(lines[0]!.time), /^\d{4}-\d\d-\d\dT/)
  assert.equal((lines[3]!.err as { message: string }).message, 'boom')
  for (const l of lines) assert.ok(!('connector' in l) && !('task' in l))
})

test("a line logged for a task carries its connector and task, also from work the task's code started later", async () => {
  const c = capture()
  await runInLoggingContext({ connector: 'orders-sink', task: 3 }, async () => {
    c.log.info('started')
    await new Promise((resolve) => setTimeout(resolve, 5))
    c.log.info('after a timer')
  })
  runInLoggingContext({ connector: 'orders-sink' }, () => c.log.info('the connector'))
  c.log.info('the worker')
  assert.deepEqual(
    c.lines().map(({ msg, connector, task }) => ({ msg, connector, task })),
    [
      { msg: 'started', connector: 'orders-sink', task: 3 },
      { msg: 'after a timer', connector: 'orders-sink', task: 3 },
      { msg: 'the connector', connector: 'orders-sink', task: undefined },
      { msg: 'the worker', connector: undefined, task: undefined },
    ],
  )
})

test("a plugin's getLogger lines go to the worker's logger of that name, with the name and the task's context", () => {
  const c = capture()
  const named: string[] = []
  const plugin = getLogger('com.example.MySinkTask')
  runInLoggingContext(
    {
      connector: 'my-sink',
      task: 0,
      loggers: (name) => {
        named.push(name)
        return c.log
      },
    },
    () => {
      plugin.info('wrote 5 rows')
      plugin.error('could not write', new Error('refused'))
    },
  )
  assert.deepEqual(named, ['com.example.MySinkTask', 'com.example.MySinkTask'])
  const [info, error] = c.lines()
  assert.deepEqual(
    { level: info!.level, name: info!.name, msg: info!.msg, connector: info!.connector, task: info!.task },
    { level: 'info', name: 'com.example.MySinkTask', msg: 'wrote 5 rows', connector: 'my-sink', task: 0 },
  )
  assert.equal(error!.level, 'error')
  assert.equal((error!.err as { message: string }).message, 'refused')
})

test("the pretty format: time, level, Apache's [connector|task-N] prefix, message, no JSON", () => {
  const c = capture({ format: 'pretty', colorize: false })
  runInLoggingContext({ connector: 'my-sink', task: 0 }, () => c.log.info('Creating task my-sink-0'))
  runInLoggingContext({ connector: 'my-sink' }, () => c.log.warn('Connector my-sink started'))
  c.log.error({ err: new Error('boom') }, 'worker trouble')
  const lines = c.text().split('\n')
  assert.match(
    lines[0]!,
    /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: \[my-sink\|task-0\] Creating task my-sink-0$/,
  )
  assert.match(lines[1]!, /^\[[^\]]+\] WARN: \[my-sink\|worker\] Connector my-sink started$/)
  assert.match(lines[2]!, /^\[[^\]]+\] ERROR: worker trouble$/)
  assert.ok(
    lines.some((l) => /Error: boom/.test(l)),
    'the error and its stack follow',
  )
  assert.ok(!c.text().includes('{"'), c.text())
})

test('the pretty format is coloured when asked', () => {
  const c = capture({ format: 'pretty', colorize: true })
  c.log.info('hello')
  assert.ok(c.text().includes('\u001b[32mINFO\u001b[39m'), JSON.stringify(c.text()))
})

test('log.format takes json or pretty (default json), FERRY_LOG_FORMAT wins, any other value is refused naming it', () => {
  assert.equal(logFormat({}, {}), 'json')
  assert.equal(logFormat({ 'log.format': 'pretty' }, {}), 'pretty')
  assert.equal(logFormat({ 'log.format': 'pretty' }, { FERRY_LOG_FORMAT: 'json' }), 'json')
  assert.throws(
    () => logFormat({ 'log.format': 'yaml' }, {}),
    (e: Error) =>
      e instanceof ConfigException &&
      e.message === 'Invalid value yaml for configuration log.format: String must be one of: json, pretty',
  )
  assert.throws(() => logFormat({}, { FERRY_LOG_FORMAT: 'PRETTY' }), /environment variable FERRY_LOG_FORMAT/)
  // The worker config declares the key: parsing refuses the same values.
  const worker = { 'key.converter': 'x', 'value.converter': 'x', 'offset.storage.file.filename': '/tmp/o' }
  assert.doesNotThrow(() => parseWorkerConfig({ ...worker, 'log.format': 'pretty' }, 'standalone'))
  assert.throws(() => parseWorkerConfig({ ...worker, 'log.format': 'yaml' }, 'standalone'), /log\.format/)
})

test("a plugin's logger level follows /admin/loggers: its namespace set to DEBUG shows its debug lines, others stay at INFO", () => {
  const c = capture({ level: 'info' })
  const loggers = new Loggers(c.log)
  const context = { connector: 'my-sink', task: 0, loggers: (name: string) => loggers.logger(name) }
  const mine = getLogger('com.example.sink.MySinkTask')
  const other = getLogger('org.other.Thing')
  runInLoggingContext(context, () => mine.debug('hidden'))
  assert.deepEqual(loggers.setLevel('com.example', 'DEBUG'), ['com.example', 'com.example.sink.MySinkTask'])
  runInLoggingContext(context, () => {
    mine.debug('shown')
    other.debug('still hidden')
  })
  assert.deepEqual(
    c.lines().map((l) => [l.msg, l.name]),
    [['shown', 'com.example.sink.MySinkTask']],
  )
})

test('redaction sees every line before it is written, in the pretty format too', () => {
  const redact = (line: string) => line.replaceAll('s3cr3t', '[hidden]')
  for (const format of ['json', 'pretty'] as const) {
    const c = capture({ format, colorize: false, redact })
    c.log.error({ err: new Error('login refused for s3cr3t') }, 'token s3cr3t refused')
    assert.ok(!c.text().includes('s3cr3t'), c.text())
    assert.match(c.text(), /token \[hidden\] refused/)
  }
})
