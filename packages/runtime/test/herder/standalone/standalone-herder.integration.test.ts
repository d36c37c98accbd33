import assert from 'node:assert/strict'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { ConfigDef, ConnectException, SourceConnector, type SourceRecord, SourceTask } from '@ferry/api'
import { builtinRegistry, randomName, tempDir, waitFor } from '@ferry/testing'
import { testBootstrap } from '../../../../../scripts/kafka/test-env.ts'
import { parseWorkerConfig } from '../../../src/config/worker-config.ts'
import type { TaskState } from '../../../src/herder/herder.ts'
import { StandaloneHerder } from '../../../src/herder/standalone/standalone-herder.ts'
import { silentLogger } from '../../../src/logger.ts'
import { FileOffsetBackingStore } from '../../../src/storage/offset-store.ts'
import { Worker } from '../../../src/worker/worker.ts'

/** How often each fixture connector (by `key`) and its task were started. */
const taskStarts = new Map<string, number>()
const connectorStarts = new Map<string, number>()

/**
 * A task that fails in `start` the first `task.failures` times, then runs; with `fail.after.ms` it also fails that
 * long after each start (from poll).
 */
class FlakyTask extends SourceTask {
  #failAt = Number.POSITIVE_INFINITY
  version = () => '1.0'
  start(props: Record<string, string>): void {
    const n = (taskStarts.get(props.key!) ?? 0) + 1
    taskStarts.set(props.key!, n)
    if (n <= Number(props['task.failures'] ?? 0)) throw new ConnectException(`transient failure on start ${n}`)
    if (props['fail.after.ms']) this.#failAt = Date.now() + Number(props['fail.after.ms'])
  }
  async poll(): Promise<SourceRecord[] | null> {
    await new Promise((r) => setTimeout(r, 20))
    if (Date.now() >= this.#failAt) throw new ConnectException('failure while running')
    return null
  }
  stop(): void {}
}

/** A connector that fails in `start` the first `connector.failures` times. */
class FlakyConnector extends SourceConnector {
  #props: Record<string, string> = {}
  version = () => '1.0'
  start(props: Record<string, string>): void {
    const n = (connectorStarts.get(props.key!) ?? 0) + 1
    connectorStarts.set(props.key!, n)
    if (n <= Number(props['connector.failures'] ?? 0)) throw new ConnectException(`connector failure on start ${n}`)
    this.#props = props
  }
  taskClass = () => FlakyTask
  taskConfigs = () => [{ ...this.#props }]
  stop(): void {}
  config = () => new ConfigDef()
}

async function startHerder(t: TestContext, workerProps: Record<string, string> = {}): Promise<StandaloneHerder> {
  const dir = await tempDir(t)
  const config = parseWorkerConfig(
    {
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'StringConverter',
      'value.converter': 'StringConverter',
      'offset.storage.file.filename': join(dir, 'offsets'),
      ...workerProps,
    },
    'standalone',
  )
  // The fixture plugin is registered next to the built-ins, in this test's own registry.
  const registry = (await builtinRegistry()).register({
    className: 'com.example.FlakyConnector',
    kind: ['source'],
    version: '1.0',
    create: () => new FlakyConnector(),
  })
  const worker = new Worker(config, registry, new FileOffsetBackingStore(join(dir, 'offsets')), silentLogger())
  const herder = new StandaloneHerder(worker, 'test:8083', silentLogger())
  await herder.start()
  t.after(() => herder.stop())
  return herder
}

/** Polls a task's status until it is RUNNING, keeping every distinct FAILED trace seen on the way. */
async function tracesUntilRunning(herder: StandaloneHerder, name: string, timeoutMs = 20_000): Promise<string[]> {
  const traces: string[] = []
  await waitFor(
    `task ${name}-0 RUNNING`,
    () => {
      const task: TaskState | undefined = herder.connectorStatus(name).tasks[0]
      if (task?.state === 'FAILED' && task.trace && !traces.includes(task.trace)) traces.push(task.trace)
      return task?.state === 'RUNNING'
    },
    timeoutMs,
    10,
  )
  return traces
}

test('a task that fails on its first two starts is restarted automatically and ends RUNNING, the attempts in its trace while FAILED', async (t) => {
  const herder = await startHerder(t)
  const name = randomName('flaky')
  // Before the create: the task may start, and fail for the first time, before putConnectorConfig returns.
  const started = Date.now()
  await herder.putConnectorConfig(
    name,
    {
      'connector.class': 'FlakyConnector',
      key: name,
      'task.failures': '2',
      'errors.restart.enable': 'true',
      'errors.restart.max.attempts': '5',
      'errors.restart.backoff.initial.ms': '300',
      'errors.restart.backoff.max.ms': '500',
    },
    false,
  )
  const traces = await tracesUntilRunning(herder, name)
  assert.equal(taskStarts.get(name), 3)
  assert.equal(traces.length, 2, `two FAILED states, got:\n${traces.join('\n---\n')}`)
  const note = /\nFerry automatic restart: attempt (\d) of 5 at (\S+) \(in (\d+) ms\)$/
  const [first, second] = traces.map((trace) => note.exec(trace))
  assert.ok(first && second, 'the trace ends with the attempt and the time of the next restart')
  assert.deepEqual([first[1], first[3]], ['1', '300'])
  assert.deepEqual([second[1], second[3]], ['2', '500'], 'the backoff doubles, capped at errors.restart.backoff.max.ms')
  assert.ok(Date.parse(first[2]!) >= started)
  assert.match(traces[0]!, /^ConnectException: transient failure on start 1\n/)
  assert.ok(Date.now() - started >= 800, 'the restarts waited for their backoff')
})

test('errors.restart.* in the worker config is the default for every connector; a failed connector comes back too', async (t) => {
  const herder = await startHerder(t, {
    'errors.restart.enable': 'true',
    'errors.restart.backoff.initial.ms': '100',
  })
  const name = randomName('flaky')
  await herder.putConnectorConfig(
    name,
    { 'connector.class': 'FlakyConnector', key: name, 'connector.failures': '1' },
    false,
  )
  const connector = await waitFor('the connector to fail', () => {
    const s = herder.connectorStatus(name).connector
    return s.state === 'FAILED' ? s : undefined
  })
  assert.match(connector.trace ?? '', /connector failure on start 1/)
  assert.match(connector.trace ?? '', /\nFerry automatic restart: attempt 1 at \S+ \(in 100 ms\)$/)
  await tracesUntilRunning(herder, name)
  assert.equal(herder.connectorStatus(name).connector.state, 'RUNNING')
  assert.equal(connectorStarts.get(name), 2)
})

test('after errors.restart.max.attempts restarts the task stays FAILED and its trace says so', async (t) => {
  const herder = await startHerder(t)
  const name = randomName('flaky')
  await herder.putConnectorConfig(
    name,
    {
      'connector.class': 'FlakyConnector',
      key: name,
      'task.failures': '10',
      'errors.restart.enable': 'true',
      'errors.restart.max.attempts': '1',
      'errors.restart.backoff.initial.ms': '50',
    },
    false,
  )
  const task = await waitFor('the task to give up', () => {
    const s = herder.connectorStatus(name).tasks[0]
    return s?.state === 'FAILED' && s.trace?.includes('gave up') ? s : undefined
  })
  assert.match(
    task.trace ?? '',
    /\nFerry automatic restart: gave up after 1 attempts \(errors\.restart\.max\.attempts=1\); restart it through the REST API$/,
  )
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(taskStarts.get(name), 2)
})

test('a task that ran for errors.restart.reset.after.ms before failing starts counting attempts again', async (t) => {
  const herder = await startHerder(t)
  const name = randomName('flaky')
  await herder.putConnectorConfig(
    name,
    {
      'connector.class': 'FlakyConnector',
      key: name,
      'fail.after.ms': '200',
      'errors.restart.enable': 'true',
      'errors.restart.max.attempts': '1',
      'errors.restart.backoff.initial.ms': '50',
      'errors.restart.reset.after.ms': '100',
    },
    false,
  )
  // With max.attempts=1 and no reset, the second failure would leave it FAILED.
  await waitFor('four starts', () => (taskStarts.get(name) ?? 0) >= 4, 20_000, 10)
  const trace = herder.connectorStatus(name).tasks[0]?.trace ?? ''
  assert.doesNotMatch(trace, /gave up/)
})

test('without errors.restart.enable a failed task stays FAILED, as in Apache', async (t) => {
  const herder = await startHerder(t)
  const name = randomName('flaky')
  await herder.putConnectorConfig(name, { 'connector.class': 'FlakyConnector', key: name, 'task.failures': '1' }, false)
  const task = await waitFor('the task to fail', () => {
    const s = herder.connectorStatus(name).tasks[0]
    return s?.state === 'FAILED' ? s : undefined
  })
  await new Promise((r) => setTimeout(r, 1500))
  assert.equal(herder.connectorStatus(name).tasks[0]?.state, 'FAILED')
  assert.equal(taskStarts.get(name), 1)
  assert.doesNotMatch(task.trace ?? '', /automatic restart/)
})

test('a bad errors.restart.* value is refused when the connector is created', async (t) => {
  const herder = await startHerder(t)
  await assert.rejects(
    herder.putConnectorConfig(
      randomName('bad'),
      { 'connector.class': 'FlakyConnector', key: 'x', 'errors.restart.max.attempts': 'many' },
      false,
    ),
    /errors\.restart\.max\.attempts/,
  )
})
