import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigDef, type Converter, type HeaderConverter, Schema, SourceRecord, SourceTask } from '@ferry/api'
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
    { offsetFlushIntervalMs: 60_000, offsetFlushTimeoutMs: 5000, errorsToleranceAll: false },
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
    { offsetFlushIntervalMs: 60_000, offsetFlushTimeoutMs: 5000, errorsToleranceAll: false },
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
