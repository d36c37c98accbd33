import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  ConfigDef,
  type Converter,
  type HeaderConverter,
  type RecordMetadata,
  Schema,
  SourceRecord,
  SourceTask,
  type TransactionContext,
} from '@ferry/api'
import type { KafkaProducer, OutgoingRecord } from '../../src/kafka/clients.ts'
import { silentLogger } from '../../src/logger.ts'
import { RecordingTaskMetrics } from '../../src/metrics/task-metrics.ts'
import { ConnectorOffsetBackingStore } from '../../src/storage/connector-offset-store.ts'
import { MemoryOffsetBackingStore } from '../../src/storage/offset-store.ts'
import { TransformationChain } from '../../src/worker/transformation-chain.ts'
import { type ExactlyOnceSettings, WorkerSourceTask } from '../../src/worker/worker-source-task.ts'
import type { TaskStatusListener } from '../../src/worker/worker-task.ts'

const utf8: Converter & HeaderConverter = {
  configure() {},
  config: () => new ConfigDef(),
  fromConnectData: (_t, _h, _s, v) => (v == null ? null : Buffer.from(String(v))),
  toConnectData: () => ({ schema: null, value: null }),
  fromConnectHeader: (_t, _k, _s, v) => (v == null ? null : Buffer.from(String(v))),
  toConnectHeader: () => ({ schema: null, value: null }),
}

/**
 * Emits the given batches, then nothing; `beforeReturn` may ask its TransactionContext for boundaries; records each
 * commitRecord and commit.
 */
class ScriptedTask extends SourceTask {
  readonly batches: SourceRecord[][]
  readonly acked: Array<[string, RecordMetadata | null]> = []
  commits = 0
  transactions: TransactionContext | null | undefined
  beforeReturn: (batch: SourceRecord[], tx: TransactionContext | null) => void = () => {}
  constructor(batches: SourceRecord[][]) {
    super()
    this.batches = batches
  }
  version = () => 'test'
  start() {
    this.transactions = this.context.transactionContext?.()
  }
  async poll(): Promise<SourceRecord[] | null> {
    await new Promise((r) => setTimeout(r, 1))
    const batch = this.batches.shift()
    if (batch) this.beforeReturn(batch, this.transactions ?? null)
    return batch ?? null
  }
  stop() {}
  override commit() {
    this.commits++
  }
  override commitRecord(record: SourceRecord, metadata: RecordMetadata | null) {
    this.acked.push([String(record.value), metadata])
  }
}

/** A transactional producer that logs each call: what a read_committed reader would see is in `committed`. */
class TransactionalProducer {
  readonly calls: string[] = []
  /** Records of committed transactions, in order. */
  readonly committed: OutgoingRecord[] = []
  #open: OutgoingRecord[] = []
  failCommitWith: Error | null = null
  failSendWith: Error | null = null
  /** The next commit waits for it. */
  commitGate: Promise<void> | null = null
  #offset = 0
  async initTransactions() {
    this.calls.push('init')
  }
  beginTransaction() {
    this.calls.push('begin')
  }
  async send(records: OutgoingRecord[]) {
    if (this.failSendWith) throw this.failSendWith
    this.calls.push(`send ${records.map((r) => `${r.topic}:${r.value?.toString()}`).join(' ')}`)
    this.#open.push(...records)
    return records.map((r) => ({ topic: r.topic, partition: 0, offset: this.#offset++ }))
  }
  async commitTransaction() {
    const gate = this.commitGate
    this.commitGate = null
    if (gate) await gate
    if (this.failCommitWith) throw this.failCommitWith
    this.calls.push('commit')
    this.committed.push(...this.#open)
    this.#open = []
  }
  async abortTransaction() {
    this.calls.push('abort')
    this.#open = []
  }
  async close() {
    this.calls.push('close')
  }
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

function eventsListener(events: string[]): TaskStatusListener {
  return {
    onStartup: () => events.push('startup'),
    onPause: () => events.push('pause'),
    onResume: () => events.push('resume'),
    onFailure: (_id, e) => events.push(`failure: ${e.message}`),
    onShutdown: () => events.push('shutdown'),
  }
}

function makeTask(
  batches: SourceRecord[][],
  eos: Partial<ExactlyOnceSettings> = {},
  store: MemoryOffsetBackingStore | ConnectorOffsetBackingStore = new MemoryOffsetBackingStore(),
  metrics = new RecordingTaskMetrics('c', 0, 'source', 2),
  chain = new TransformationChain<SourceRecord>([]),
) {
  const task = new ScriptedTask(batches)
  const producer = new TransactionalProducer()
  const events: string[] = []
  const worker = new WorkerSourceTask(
    { connector: 'c', task: 0 },
    task,
    {},
    { key: utf8, value: utf8, header: utf8 },
    chain,
    producer as unknown as KafkaProducer,
    store,
    {
      offsetFlushIntervalMs: 60_000,
      offsetFlushTimeoutMs: 5000,
      exactlyOnce: { boundary: 'poll', intervalMs: 60_000, offsetsTopic: 'offsets', ...eos },
    },
    'STARTED',
    eventsListener(events),
    silentLogger(),
    undefined,
    metrics,
  )
  return { task, worker, producer, events, metrics }
}

async function until(check: () => boolean) {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 2))
  assert.ok(check(), 'condition not reached')
}

/** The offsets a transaction wrote, as `partition@position` of their values. */
const offsetWrites = (records: OutgoingRecord[]) =>
  records.filter((r) => r.topic === 'offsets').map((r) => `${r.key?.toString()} ${r.value?.toString()}`)

test('transaction.boundary=poll: each batch and its source offsets are one transaction, sent together', async () => {
  const { worker, producer, task } = makeTask([[record('a', 1), record('a', 2)], [record('b', 1)]])
  worker.run()
  await until(() => producer.calls.filter((c) => c === 'commit').length === 2)
  await worker.stop(5000)
  assert.deepEqual(producer.calls, [
    'init',
    'begin',
    'send topic:a@1 topic:a@2 offsets:{"position":2}',
    'commit',
    'begin',
    'send topic:b@1 offsets:{"position":1}',
    'commit',
    'close',
  ])
  assert.deepEqual(offsetWrites(producer.committed), [
    '["c",{"p":"a"}] {"position":2}',
    '["c",{"p":"b"}] {"position":1}',
  ])
  assert.deepEqual(
    task.acked.map(([v, m]) => `${v}:${m?.topic}`),
    ['a@1:topic', 'a@2:topic', 'b@1:topic'],
    'commitRecord once each transaction is committed',
  )
  assert.ok(task.commits >= 2)
})

test('transaction.boundary=poll: the next batch is polled while the last commit is under way, and sent once it is committed', async () => {
  const { worker, producer, task } = makeTask([[record('a', 1)], [record('b', 1)]])
  let release = () => {}
  producer.commitGate = new Promise<void>((resolve) => {
    release = resolve
  })
  worker.run()
  await until(() => task.batches.length === 0)
  assert.deepEqual(producer.calls, ['init', 'begin', 'send topic:a@1 offsets:{"position":1}'])
  assert.equal(task.acked.length, 0, 'no commitRecord before the commit')
  release()
  await until(() => producer.calls.filter((c) => c === 'commit').length === 2)
  await worker.stop(5000)
  assert.deepEqual(producer.calls, [
    'init',
    'begin',
    'send topic:a@1 offsets:{"position":1}',
    'commit',
    'begin',
    'send topic:b@1 offsets:{"position":1}',
    'commit',
    'close',
  ])
  assert.deepEqual(
    task.acked.map(([v]) => v),
    ['a@1', 'b@1'],
  )
})

test('a commit that fails while the next batch is polled fails the task; that batch is not sent', async () => {
  const { worker, producer, task, events } = makeTask([[record('a', 1)], [record('b', 1)]])
  let release = () => {}
  producer.commitGate = new Promise<void>((resolve) => {
    release = resolve
  })
  producer.failCommitWith = new Error('broker said no')
  worker.run()
  await until(() => task.batches.length === 0)
  release()
  await until(() => events.some((e) => e.startsWith('failure')))
  await worker.stop(5000)
  assert.match(
    events.find((e) => e.startsWith('failure'))!,
    /Failed to flush offsets and\/or records for task c-0: broker said no/,
  )
  assert.ok(!producer.calls.some((c) => c.includes('b@1')), 'the batch polled meanwhile is not sent')
  assert.deepEqual(producer.calls.slice(-2), ['abort', 'close'])
  assert.deepEqual(producer.committed, [])
})

test('a record a transform drops gets commitRecord(record, null) once, when its transaction is committed', async () => {
  const dropB = {
    configure() {},
    config: () => new ConfigDef(),
    close() {},
    apply: (r: SourceRecord) => (String(r.value).startsWith('b') ? null : r),
  }
  const chain = new TransformationChain([{ alias: 'drop', transformation: dropB, predicate: null, negate: false }])
  const { worker, producer, task } = makeTask([[record('a', 1), record('b', 7)]], {}, undefined, undefined, chain)
  let release = () => {}
  producer.commitGate = new Promise<void>((resolve) => {
    release = resolve
  })
  worker.run()
  await until(() => producer.calls.some((c) => c.startsWith('send')))
  assert.equal(task.acked.length, 0, 'nothing before the commit')
  release()
  await until(() => producer.calls.includes('commit'))
  await worker.stop(5000)
  assert.deepEqual(task.acked.map(([v, m]) => `${v}:${m?.topic ?? null}`).sort(), ['a@1:topic', 'b@7:null'])
  assert.deepEqual(offsetWrites(producer.committed).sort(), [
    '["c",{"p":"a"}] {"position":1}',
    '["c",{"p":"b"}] {"position":7}',
  ])
})

test('transaction-size records the records of each committed transaction', async () => {
  const { worker, producer, metrics } = makeTask([[record('a', 1), record('a', 2), record('a', 3)], [record('b', 1)]])
  worker.run()
  await until(() => producer.calls.filter((c) => c === 'commit').length === 2)
  await worker.stop(5000)
  assert.equal(metrics.transactionSize.min(), 1)
  assert.equal(metrics.transactionSize.max(), 3)
  assert.equal(metrics.transactionSize.avg(), 2)
})

test('the zombie checks run around initTransactions, before the task starts', async () => {
  const order: string[] = []
  const { worker, producer, task } = makeTask([], {
    preProducerCheck: async () => {
      order.push(`pre (${producer.calls.join(',')})`)
    },
    postProducerCheck: async () => {
      order.push(`post (${producer.calls.join(',')}) started=${task.transactions !== undefined}`)
    },
  })
  worker.run()
  await until(() => order.length === 2)
  await worker.stop(5000)
  assert.deepEqual(order, ['pre ()', 'post (init) started=false'])
})

test('transaction.boundary=interval: batches share a transaction until the interval has passed', async () => {
  const { worker, producer } = makeTask([[record('a', 1)], [record('a', 2)], [record('a', 3)]], {
    boundary: 'interval',
    intervalMs: 60_000,
  })
  worker.run()
  await until(() => producer.calls.filter((c) => c.startsWith('send topic')).length === 3)
  assert.equal(producer.calls.filter((c) => c === 'begin').length, 1, 'one transaction for the three batches')
  assert.ok(!producer.calls.includes('commit'), 'nothing committed before the interval or the stop')
  await worker.stop(5000)
  assert.deepEqual(producer.calls.slice(-3), ['send offsets:{"position":3}', 'commit', 'close'])
  assert.deepEqual(offsetWrites(producer.committed), ['["c",{"p":"a"}] {"position":3}'])
})

test('transaction.boundary=connector: the task commits after a record, and an abort drops its records but keeps offsets', async () => {
  const batch = [record('a', 1), record('a', 2), record('a', 3), record('a', 4)]
  const { worker, producer, task } = makeTask([batch], { boundary: 'connector' })
  task.beforeReturn = (records, tx) => {
    tx!.commitTransaction(records[1]!)
    tx!.abortTransaction(records[3]!)
  }
  worker.run()
  await until(() => producer.calls.filter((c) => c === 'commit').length === 2)
  await worker.stop(5000)
  assert.ok(task.transactions, 'the task has a TransactionContext')
  assert.deepEqual(producer.calls, [
    'init',
    'begin',
    'send topic:a@1 topic:a@2 offsets:{"position":2}',
    'commit',
    'begin',
    'send topic:a@3 topic:a@4',
    'abort',
    'begin',
    'send offsets:{"position":4}',
    'commit',
    'close',
  ])
  assert.deepEqual(
    producer.committed.filter((r) => r.topic === 'topic').map((r) => r.value?.toString()),
    ['a@1', 'a@2'],
  )
})

test('transaction.boundary=connector without a request leaves the transaction open, and a stop does not commit it', async () => {
  const { worker, producer, task } = makeTask([[record('a', 1)]], { boundary: 'connector' })
  worker.run()
  await until(() => producer.calls.some((c) => c.startsWith('send topic')))
  await worker.stop(5000)
  assert.ok(!producer.calls.includes('commit'))
  assert.deepEqual(producer.committed, [])
  assert.equal(task.acked.length, 0, 'no commitRecord for records never committed')
})

test('a task that asks for both a commit and an abort of one record fails, as Apache’s', async () => {
  const batch = [record('a', 1)]
  const { worker, producer, task, events } = makeTask([batch], { boundary: 'connector' })
  task.beforeReturn = (records, tx) => {
    tx!.commitTransaction(records[0]!)
    tx!.abortTransaction(records[0]!)
  }
  worker.run()
  await until(() => events.some((e) => e.startsWith('failure')))
  await worker.stop(5000)
  assert.match(events.find((e) => e.startsWith('failure'))!, /requested both commit and abort of same record/)
  assert.deepEqual(producer.committed, [])
})

test('a fenced producer fails the task at the commit, and nothing of the transaction is committed', async () => {
  const { worker, producer, events } = makeTask([[record('a', 1)]])
  const fenced = Object.assign(
    new Error('There is a newer producer with the same transactionalId which fences the current one.'),
    {
      name: 'ProducerFencedException',
    },
  )
  producer.failCommitWith = fenced
  worker.run()
  await until(() => events.some((e) => e.startsWith('failure')))
  await worker.stop(5000)
  const failure = events.find((e) => e.startsWith('failure'))!
  assert.match(failure, /Failed to flush offsets and\/or records for task c-0: There is a newer producer/)
  assert.deepEqual(producer.committed, [])
  assert.ok(producer.calls.includes('abort'), 'the failed task aborts its open transaction')
})

test('an expired transaction (INVALID_PRODUCER_EPOCH) fails the task with Apache’s advice', async () => {
  const { worker, producer, events } = makeTask([[record('a', 1)]])
  producer.failCommitWith = Object.assign(new Error('Producer attempted to produce with an old epoch.'), {
    apiId: 'INVALID_PRODUCER_EPOCH',
  })
  worker.run()
  await until(() => events.some((e) => e.startsWith('failure')))
  await worker.stop(5000)
  assert.match(events.find((e) => e.startsWith('failure'))!, /before its producer transaction expired/)
})

test('a record for the connector’s own offsets topic fails the task', async () => {
  const bad = new SourceRecord({ p: 'a' }, { position: 1 }, 'offsets', null, null, null, Schema.STRING_SCHEMA, 'x')
  const { worker, events, producer } = makeTask([[bad]])
  worker.run()
  await until(() => events.some((e) => e.startsWith('failure')))
  await worker.stop(5000)
  assert.match(
    events.find((e) => e.startsWith('failure'))!,
    /Source tasks may not produce to their own offsets topics when exactly-once support is enabled/,
  )
  assert.deepEqual(producer.committed, [])
})

test('with a connector offsets topic, committed offsets are copied to the worker’s topic after the commit', async () => {
  const worker = new MemoryOffsetBackingStore()
  const own = new MemoryOffsetBackingStore()
  const store = new ConnectorOffsetBackingStore(worker, own, 'offsets', silentLogger())
  const made = makeTask([[record('a', 7)]], {}, store)
  made.worker.run()
  await until(() => worker.get('c', { p: 'a' }) !== null)
  await made.worker.stop(5000)
  assert.deepEqual(worker.get('c', { p: 'a' }), { position: 7 })
  assert.equal(own.get('c', { p: 'a' }), null, 'the connector topic is written by the transaction, not the store')
})
