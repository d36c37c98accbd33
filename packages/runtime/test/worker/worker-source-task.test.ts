import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  ConfigDef,
  type Converter,
  DataException,
  type HeaderConverter,
  RetriableException,
  Schema,
  SourceRecord,
  SourceTask,
} from '@ferry/api'
import type { ErrorReporter } from '../../src/errors/error-reporter.ts'
import { RetryWithToleranceOperator } from '../../src/errors/retry-with-tolerance-operator.ts'
import type { KafkaProducer, OutgoingRecord } from '../../src/kafka/clients.ts'
import { silentLogger } from '../../src/logger.ts'
import { MemoryOffsetBackingStore } from '../../src/storage/offset-store.ts'
import { TransformationChain } from '../../src/worker/transformation-chain.ts'
import { WorkerSourceTask } from '../../src/worker/worker-source-task.ts'
import type { TaskStatusListener } from '../../src/worker/worker-task.ts'

const utf8: Converter & HeaderConverter = {
  configure() {},
  config: () => new ConfigDef(),
  fromConnectData: (_t, _h, _s, v) => (v == null ? null : Buffer.from(String(v))),
  toConnectData: () => ({ schema: null, value: null }),
  fromConnectHeader: (_t, _k, _s, v) => (v == null ? null : Buffer.from(String(v))),
  toConnectHeader: () => ({ schema: null, value: null }),
}

/** Emits the given batches, then nothing. */
class ScriptedTask extends SourceTask {
  readonly batches: SourceRecord[][]
  committed = 0
  constructor(batches: SourceRecord[][]) {
    super()
    this.batches = batches
  }
  version = () => 'test'
  start() {}
  async poll(): Promise<SourceRecord[] | null> {
    await new Promise((r) => setTimeout(r, 1))
    return this.batches.shift() ?? null
  }
  stop() {}
  override commit() {
    this.committed++
  }
}

/** A producer whose sends complete only when the test says so. */
class ManualProducer {
  readonly sends: Array<{ records: OutgoingRecord[]; ack: () => void; fail: (e: Error) => void }> = []
  send(records: OutgoingRecord[]) {
    return new Promise<Array<{ topic: string; partition: number; offset: number }>>((resolve, reject) => {
      this.sends.push({ records, ack: () => resolve([]), fail: reject })
    })
  }
  async close() {}
}

const record = (partition: string, position: number) =>
  new SourceRecord(
    { p: partition },
    { position },
    'topic',
    null,
    null,
    null,
    Schema.STRING_SCHEMA,
    `${partition}@${position}`,
  )

const events: string[] = []
const listener: TaskStatusListener = {
  onStartup: () => events.push('startup'),
  onPause: () => events.push('pause'),
  onResume: () => events.push('resume'),
  onFailure: (_id, e) => events.push(`failure: ${e.message}`),
  onShutdown: () => events.push('shutdown'),
}

function makeTask(batches: SourceRecord[][], producer: ManualProducer, store: MemoryOffsetBackingStore) {
  const task = new ScriptedTask(batches)
  const worker = new WorkerSourceTask(
    { connector: 'c', task: 0 },
    task,
    {},
    { key: utf8, value: utf8, header: utf8 },
    new TransformationChain([]),
    producer as unknown as KafkaProducer,
    store,
    { offsetFlushIntervalMs: 60_000, offsetFlushTimeoutMs: 5000 },
    'STARTED',
    listener,
    silentLogger(),
  )
  return { task, worker }
}

async function until(check: () => boolean) {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2))
  assert.ok(check(), 'condition not reached')
}

test('a batch is produced only after the previous one was acked, and records keep their order', async () => {
  const producer = new ManualProducer()
  const store = new MemoryOffsetBackingStore()
  const { worker } = makeTask([[record('a', 1), record('a', 2)], [record('a', 3)]], producer, store)
  worker.run()
  await until(() => producer.sends.length === 1)
  await new Promise((r) => setTimeout(r, 20))
  assert.equal(producer.sends.length, 1, 'the second batch waits for the first ack')
  assert.deepEqual(
    producer.sends[0]?.records.map((r) => r.value?.toString()),
    ['a@1', 'a@2'],
  )
  producer.sends[0]?.ack()
  await until(() => producer.sends.length === 2)
  producer.sends[1]?.ack()
  await worker.stop(1000)
  assert.deepEqual(store.get('c', { p: 'a' }), { position: 3 }, 'the final commit at stop stores the last acked offset')
})

test('offsets of an unacked batch are not committed at stop', async () => {
  const producer = new ManualProducer()
  const store = new MemoryOffsetBackingStore()
  const { worker, task } = makeTask([[record('a', 1)], [record('a', 2)]], producer, store)
  worker.run()
  await until(() => producer.sends.length === 1)
  producer.sends[0]?.ack()
  await until(() => producer.sends.length === 2)
  // The second send never completes: stop gives up on it.
  const stopping = worker.stop(200)
  producer.sends[1]?.fail(new Error('broker went away'))
  await stopping
  assert.deepEqual(store.get('c', { p: 'a' }), { position: 1 })
  assert.ok(task.committed >= 1, 'SourceTask.commit() runs after the offsets were written')
})

test('a record dropped by a transform still advances its offset', async () => {
  const producer = new ManualProducer()
  const store = new MemoryOffsetBackingStore()
  const task = new ScriptedTask([[record('a', 1), record('b', 7)]])
  const dropB = {
    configure() {},
    config: () => new ConfigDef(),
    close() {},
    apply: (r: SourceRecord) => (String(r.value).startsWith('b') ? null : r),
  }
  const worker = new WorkerSourceTask(
    { connector: 'c', task: 0 },
    task,
    {},
    { key: utf8, value: utf8, header: utf8 },
    new TransformationChain([{ alias: 'drop', transformation: dropB, predicate: null, negate: false }]),
    producer as unknown as KafkaProducer,
    store,
    { offsetFlushIntervalMs: 60_000, offsetFlushTimeoutMs: 5000 },
    'STARTED',
    listener,
    silentLogger(),
  )
  worker.run()
  await until(() => producer.sends.length === 1)
  assert.equal(producer.sends[0]?.records.length, 1)
  producer.sends[0]?.ack()
  await worker.stop(1000)
  assert.deepEqual(store.get('c', { p: 'b' }), { position: 7 })
  assert.deepEqual(store.get('c', { p: 'a' }), { position: 1 })
})

/** A transform that fails on values starting with `bad`. */
const failOnBad = {
  configure() {},
  config: () => new ConfigDef(),
  close() {},
  apply: (r: SourceRecord) => {
    if (String(r.value).startsWith('bad')) throw new DataException(`cannot cast ${r.value}`)
    return r
  },
}

function makeFailingTask(
  batches: SourceRecord[][],
  producer: ManualProducer,
  store: MemoryOffsetBackingStore,
  tolerance: 'none' | 'all',
  reporter: ErrorReporter<SourceRecord>,
  onFailure: (e: Error) => void = () => {},
) {
  const task = new ScriptedTask(batches)
  const operator = new RetryWithToleranceOperator<SourceRecord>({ retryTimeoutMs: 0, retryDelayMaxMs: 1000, tolerance })
  const worker = new WorkerSourceTask(
    { connector: 'c', task: 0 },
    task,
    {},
    { key: utf8, value: utf8, header: utf8 },
    new TransformationChain([
      { alias: 'cast', transformation: failOnBad, predicate: null, negate: false, className: 'com.example.Cast' },
    ]),
    producer as unknown as KafkaProducer,
    store,
    { offsetFlushIntervalMs: 60_000, offsetFlushTimeoutMs: 5000 },
    'STARTED',
    { ...listener, onFailure: (_id, e) => onFailure(e) },
    silentLogger(),
    { operator, reporters: async () => [reporter], converterClasses: { key: 'K', value: 'V', header: 'H' } },
  )
  return { task, worker }
}

test('with errors.tolerance=all a record that fails a transform is reported and skipped, and its offset advances once the report is written', async () => {
  const producer = new ManualProducer()
  const store = new MemoryOffsetBackingStore()
  const reports: Array<{ value: unknown; stage: string | null; cls: string | null; done: () => void }> = []
  const reporter: ErrorReporter<SourceRecord> = {
    report: (c) =>
      new Promise<void>((resolve) =>
        reports.push({ value: c.original.value, stage: c.stage, cls: c.executingClass, done: resolve }),
      ),
    close() {},
  }
  const { worker } = makeFailingTask(
    [[record('a', 1), record('bad', 2), record('a', 3)]],
    producer,
    store,
    'all',
    reporter,
  )
  worker.run()
  await until(() => producer.sends.length === 1)
  assert.deepEqual(
    producer.sends[0]?.records.map((r) => r.value?.toString()),
    ['a@1', 'a@3'],
  )
  assert.deepEqual(
    reports.map((r) => [r.value, r.stage, r.cls]),
    [['bad@2', 'TRANSFORMATION', 'com.example.Cast']],
  )
  producer.sends[0]?.ack()
  await new Promise((r) => setTimeout(r, 20))
  const stopping = worker.stop(1000)
  await new Promise((r) => setTimeout(r, 20))
  reports[0]?.done()
  await stopping
  assert.deepEqual(store.get('c', { p: 'a' }), { position: 3 })
  assert.deepEqual(store.get('c', { p: 'bad' }), { position: 2 }, 'the failed record’s offset advanced')
})

test('with errors.tolerance=none a record that fails a transform fails the task with Apache’s message', async () => {
  const producer = new ManualProducer()
  const store = new MemoryOffsetBackingStore()
  let failure: Error | null = null
  const { worker } = makeFailingTask(
    [[record('a', 1), record('bad', 2)]],
    producer,
    store,
    'none',
    { report() {}, close() {} },
    (e) => {
      failure = e
    },
  )
  worker.run()
  await until(() => failure !== null)
  assert.equal(failure!.message, 'Tolerance exceeded in error handler')
  assert.match(String((failure!.cause as Error).message), /cannot cast bad@2/)
  assert.match(failure!.stack ?? '', /Executing stage 'TRANSFORMATION' with class 'com\.example\.Cast'/)
  await worker.stop(1000)
  assert.equal(producer.sends.length, 0)
  assert.equal(store.get('c', { p: 'a' }), null, 'nothing of the failed batch is committed')
})

test('a batch Kafka refuses fails the task at once, even when no further records come', async () => {
  const producer = new ManualProducer()
  const store = new MemoryOffsetBackingStore()
  let failure: Error | null = null
  const { worker } = makeFailingTask([[record('a', 1)]], producer, store, 'none', { report() {}, close() {} }, (e) => {
    failure = e
  })
  worker.run()
  await until(() => producer.sends.length === 1)
  producer.sends[0]?.fail(new Error('MESSAGE_TOO_LARGE'))
  await until(() => failure !== null)
  assert.match(failure!.message, /Unrecoverable exception from producer send callback: MESSAGE_TOO_LARGE/)
  await worker.stop(1000)
  assert.equal(store.get('c', { p: 'a' }), null)
})

test('a transform that throws RetriableException is retried within errors.retry.timeout, and the batch keeps its order', async () => {
  const producer = new ManualProducer()
  const store = new MemoryOffsetBackingStore()
  // The first failure sends the record down the error-handling path, where it fails twice more: 300 ms, 600 ms.
  let failures = 3
  const flaky = {
    configure() {},
    config: () => new ConfigDef(),
    close() {},
    apply: (r: SourceRecord) => {
      if (r.value === 'a@2' && failures-- > 0) throw new RetriableException('not yet')
      return r
    },
  }
  const worker = new WorkerSourceTask(
    { connector: 'c', task: 0 },
    new ScriptedTask([[record('a', 1), record('a', 2), record('a', 3)]]),
    {},
    { key: utf8, value: utf8, header: utf8 },
    new TransformationChain([{ alias: 'flaky', transformation: flaky, predicate: null, negate: false }]),
    producer as unknown as KafkaProducer,
    store,
    { offsetFlushIntervalMs: 60_000, offsetFlushTimeoutMs: 5000 },
    'STARTED',
    listener,
    silentLogger(),
    {
      operator: new RetryWithToleranceOperator({ retryTimeoutMs: 5000, retryDelayMaxMs: 1000, tolerance: 'none' }),
      reporters: async () => [],
      converterClasses: { key: 'K', value: 'V', header: 'H' },
    },
  )
  const started = Date.now()
  worker.run()
  try {
    await until(() => producer.sends.length === 1)
    assert.ok(Date.now() - started >= 800, 'waited 300 ms, then 600 ms')
    assert.deepEqual(
      producer.sends[0]?.records.map((r) => r.value?.toString()),
      ['a@1', 'a@2', 'a@3'],
    )
    producer.sends[0]?.ack()
  } finally {
    await worker.stop(1000)
  }
  assert.deepEqual(store.get('c', { p: 'a' }), { position: 3 })
})

/** A task whose start waits until the test lets it finish; counts its stop calls. */
class SlowStartTask extends ScriptedTask {
  finishStart: () => void = () => {}
  stops = 0
  constructor() {
    super([])
  }
  override start() {
    return new Promise<void>((resolve) => {
      this.finishStart = resolve
    })
  }
  override stop() {
    this.stops++
  }
}

test('a source task stopped while its start is still running gets its stop call once start returns', async () => {
  const producer = new ManualProducer()
  const task = new SlowStartTask()
  let closed = 0
  const worker = new WorkerSourceTask(
    { connector: 'c', task: 0 },
    task,
    {},
    { key: utf8, value: utf8, header: utf8 },
    new TransformationChain([]),
    { ...producer, send: producer.send.bind(producer), close: async () => void closed++ } as unknown as KafkaProducer,
    new MemoryOffsetBackingStore(),
    { offsetFlushIntervalMs: 60_000, offsetFlushTimeoutMs: 5000 },
    'STARTED',
    listener,
    silentLogger(),
  )
  worker.run()
  await new Promise((r) => setTimeout(r, 5))
  const stopped = worker.stop(1000)
  await new Promise((r) => setTimeout(r, 5))
  assert.equal(task.stops, 0, 'stop is not called while start runs (the task has nothing to stop yet)')
  task.finishStart()
  assert.equal(await stopped, true)
  assert.equal(task.stops, 1, 'the task is stopped exactly once, releasing what start opened')
  assert.equal(closed, 1, 'the producer is closed')
  assert.equal(producer.sends.length, 0, 'nothing was polled after the stop')
})

test('a source task backing off from an unreachable Kafka stops at once, without waiting out its backoff', async (t) => {
  // Timers only move when the test says so: a stop that waited for the backoff would never end.
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] })
  let attempts = 0
  const producer = {
    send: async () => {
      attempts++
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'PLT_KFK_NETWORK' })
    },
    close: async () => {},
  }
  let release: () => void = () => {}
  const task = new (class extends ScriptedTask {
    override async poll(): Promise<SourceRecord[] | null> {
      if (this.batches.length > 0) return this.batches.shift()!
      return new Promise<null>((resolve) => {
        release = () => resolve(null)
      })
    }
    override stop() {
      release()
    }
  })([[record('a', 1)]])
  const worker = new WorkerSourceTask(
    { connector: 'c', task: 0 },
    task,
    {},
    { key: utf8, value: utf8, header: utf8 },
    new TransformationChain([]),
    producer as unknown as KafkaProducer,
    new MemoryOffsetBackingStore(),
    { offsetFlushIntervalMs: 60_000, offsetFlushTimeoutMs: 5000 },
    'STARTED',
    listener,
    silentLogger(),
  )
  worker.run()
  const turns = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r))
  }
  for (let i = 0; i < 100 && attempts === 0; i++) await turns(1)
  assert.equal(attempts, 1, 'the first send failed and the task is backing off')
  const stopped = worker.stop(60_000)
  assert.equal(await Promise.race([stopped, turns(200).then(() => 'still waiting')]), true)
  assert.equal(attempts, 2, 'the task tried once more when woken, then gave up because it is stopping')
})

test('a held source task produces no batch until its hold ends, then produces it', async () => {
  const producer = new ManualProducer()
  const store = new MemoryOffsetBackingStore()
  const { worker } = makeTask([[record('a', 1)], [record('a', 2)]], producer, store)
  let hold: string | null = null
  worker.run(() => hold)
  await until(() => producer.sends.length === 1)
  producer.sends[0]?.ack()
  hold = 'this worker may have lost its work to others'
  await new Promise((r) => setTimeout(r, 150))
  assert.equal(producer.sends.length, 1, 'nothing is produced while held')
  hold = null
  await until(() => producer.sends.length === 2)
  assert.deepEqual(
    producer.sends[1]?.records.map((r) => r.value?.toString()),
    ['a@2'],
  )
  producer.sends[1]?.ack()
  await worker.stop(1000)
  assert.deepEqual(store.get('c', { p: 'a' }), { position: 2 })
})

test('a source task stopped while held drops the held batch and commits no offsets, not even those acked before', async () => {
  const producer = new ManualProducer()
  const store = new MemoryOffsetBackingStore()
  const { worker, task } = makeTask([[record('a', 1)], [record('a', 2)]], producer, store)
  let hold: string | null = null
  worker.run(() => hold)
  await until(() => producer.sends.length === 1)
  hold = 'this worker may have lost its work to others'
  producer.sends[0]?.ack()
  await new Promise((r) => setTimeout(r, 150))
  assert.equal(await worker.stop(1000), true, 'the stop does not wait for the hold to end')
  assert.equal(producer.sends.length, 1, 'the held batch was never produced')
  assert.equal(store.get('c', { p: 'a' }), null, 'the worker that runs the task now keeps its own offsets')
  assert.equal(task.committed, 0)
})
