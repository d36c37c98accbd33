/**
 * WorkerSinkTask with real consumers of one group on the test broker: what a rebalance does to delivery.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  ConfigDef,
  type Converter,
  type HeaderConverter,
  type PartitionOffsets,
  Schema,
  type SinkRecord,
  SinkTask,
} from '@ferry/api'
import { randomName } from '@ferry/testing'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import { KafkaAdmin, KafkaConsumer, KafkaProducer } from '../../src/kafka/clients.ts'
import { silentLogger } from '../../src/logger.ts'
import { TransformationChain } from '../../src/worker/transformation-chain.ts'
import { WorkerSinkTask } from '../../src/worker/worker-sink-task.ts'

const bootstrapServers = () => testBootstrap().split(',')

const text: Converter & HeaderConverter = {
  configure() {},
  config: () => new ConfigDef(),
  fromConnectData: () => null,
  toConnectData: (_t, _h, v) => ({ schema: Schema.OPTIONAL_STRING_SCHEMA, value: v === null ? null : v.toString() }),
  fromConnectHeader: () => null,
  toConnectHeader: (_t, _k, v) => ({ schema: Schema.OPTIONAL_STRING_SCHEMA, value: v?.toString() ?? null }),
}

/** Records which task was handed each record (`partition:offset` → task names), slowly enough to be caught mid-put. */
class RecordingTask extends SinkTask {
  readonly name: string
  readonly deliveries: Map<string, string[]>
  constructor(name: string, deliveries: Map<string, string[]>) {
    super()
    this.name = name
    this.deliveries = deliveries
  }
  version = () => 'test'
  start() {}
  async put(records: SinkRecord[]) {
    if (records.length > 0) await new Promise((r) => setTimeout(r, 5))
    for (const r of records) {
      const key = `${r.kafkaPartition}:${r.kafkaOffset}`
      this.deliveries.set(key, [...(this.deliveries.get(key) ?? []), this.name])
    }
  }
  stop() {}
  override async preCommit(offsets: PartitionOffsets) {
    return offsets
  }
}

function sinkTask(name: string, topic: string, group: string, deliveries: Map<string, string[]>) {
  const consumer = new KafkaConsumer({
    bootstrapServers: bootstrapServers(),
    clientId: randomName(name),
    groupId: group,
    sessionTimeoutMs: 10000,
    heartbeatIntervalMs: 300,
    rebalanceTimeoutMs: 10000,
  })
  const failures: Error[] = []
  const worker = new WorkerSinkTask(
    { connector: 'sink', task: Number(name.slice(-1)) },
    new RecordingTask(name, deliveries),
    {},
    { key: text, value: text, header: text },
    new TransformationChain([]),
    consumer,
    // Offsets are committed only when partitions are given up (and at stop): the next owner starts from them.
    { topics: [topic], offsetFlushIntervalMs: 3_600_000, maxPollRecords: 50 },
    'STARTED',
    {
      onStartup() {},
      onPause() {},
      onResume() {},
      onFailure: (_id, e) => failures.push(e),
      onShutdown() {},
    },
    silentLogger(),
  )
  return { worker, failures }
}

test('a sink task joining its connector’s group mid-stream gets partitions the first task committed before giving them up: no record is delivered twice', async (t) => {
  const topic = randomName('sink-rebalance')
  const group = randomName('connect-sink')
  const admin = new KafkaAdmin({ bootstrapServers: bootstrapServers(), clientId: randomName('admin') })
  t.after(() => admin.close())
  await admin.createTopic(topic, 4, 1)
  const producer = new KafkaProducer({ bootstrapServers: bootstrapServers(), clientId: randomName('producer') })
  t.after(() => producer.close())
  let produced = 0
  let producing = true
  const production = (async () => {
    while (producing) {
      await producer.send(
        Array.from({ length: 40 }, (_, i) => ({
          topic,
          partition: i % 4,
          key: null,
          value: Buffer.from(`v${produced + i}`),
        })),
      )
      produced += 40
      await new Promise((r) => setTimeout(r, 10))
    }
  })()
  t.after(async () => {
    producing = false
    await production
  })

  const deliveries = new Map<string, string[]>()
  const a = sinkTask('task-0', topic, group, deliveries)
  const b = sinkTask('task-1', topic, group, deliveries)
  t.after(() => Promise.all([a.worker.stop(10000), b.worker.stop(10000)]))
  a.worker.run()
  const until = async (what: string, check: () => boolean, ms = 30000) => {
    const deadline = Date.now() + ms
    while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    assert.ok(check(), `timed out waiting for ${what}`)
  }
  await until('the first task delivering', () => deliveries.size > 500)
  b.worker.run()
  const by = (name: string) => [...deliveries.values()].filter((tasks) => tasks.includes(name)).length
  await until('the second task delivering', () => by('task-1') > 500)
  const delivered0 = by('task-0')
  await until('the first task still delivering', () => by('task-0') > delivered0 + 200)
  producing = false
  await production
  await until('every record delivered', () => deliveries.size === produced)
  assert.deepEqual(a.failures, [])
  assert.deepEqual(b.failures, [])
  const twice = [...deliveries].filter(([, tasks]) => tasks.length > 1)
  assert.deepEqual(twice.slice(0, 5), [], `${twice.length} records delivered more than once`)
})

/** A sink task whose behaviour each test sets: what it does in `open` and in `put`, with every record it got. */
class ScriptedTask extends SinkTask {
  readonly got: SinkRecord[] = []
  onOpen: (task: ScriptedTask, partitions: Array<{ topic: string; partition: number }>) => void = () => {}
  onPut: (task: ScriptedTask, records: SinkRecord[]) => void = () => {}
  version = () => 'test'
  start() {}
  override open(partitions: Array<{ topic: string; partition: number }>) {
    this.onOpen(this, partitions)
  }
  async put(records: SinkRecord[]) {
    this.got.push(...records)
    this.onPut(this, records)
  }
  stop() {}
  get ctx() {
    return this.context
  }
}

/** A WorkerSinkTask around `task` on the test broker, run until the test ends. */
function scriptedSink(
  t: { after: (fn: () => unknown) => void },
  task: ScriptedTask,
  topics: string[] | RegExp,
  consumer: { metadataMaxAgeMs?: number } = {},
) {
  const failures: Error[] = []
  const worker = new WorkerSinkTask(
    { connector: 'scripted', task: 0 },
    task,
    {},
    { key: text, value: text, header: text },
    new TransformationChain([]),
    new KafkaConsumer({
      bootstrapServers: bootstrapServers(),
      clientId: randomName('scripted'),
      groupId: randomName('connect-scripted'),
      heartbeatIntervalMs: 300,
      ...consumer,
    }),
    { topics, offsetFlushIntervalMs: 1000, maxPollRecords: 100 },
    'STARTED',
    {
      onStartup() {},
      onPause() {},
      onResume() {},
      onFailure: (_id, e) => failures.push(e),
      onShutdown() {},
    },
    silentLogger(),
  )
  worker.run()
  t.after(() => worker.stop(10000))
  return { worker, failures }
}

async function until(what: string, check: () => boolean, ms = 60000) {
  const deadline = Date.now() + ms
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  assert.ok(check(), `timed out waiting for ${what}`)
}

async function produce(topic: string, partition: number, values: string[]) {
  const producer = new KafkaProducer({ bootstrapServers: bootstrapServers(), clientId: randomName('producer') })
  try {
    await producer.send(values.map((v) => ({ topic, partition, key: null, value: Buffer.from(v) })))
  } finally {
    await producer.close()
  }
}

test('a sink task that seeks back with context.offset() gets the records again from that offset', async (t) => {
  const topic = randomName('sink-seek')
  const admin = new KafkaAdmin({ bootstrapServers: bootstrapServers(), clientId: randomName('admin') })
  t.after(() => admin.close())
  await admin.createTopic(topic, 1, 1)
  await produce(
    topic,
    0,
    Array.from({ length: 20 }, (_, i) => `v${i}`),
  )
  const task = new ScriptedTask()
  let sought = false
  task.onPut = (self, records) => {
    // Once the last record came, back to offset 5, with the single-partition form.
    if (!sought && records.some((r) => r.kafkaOffset === 19)) {
      sought = true
      self.ctx.offset({ topic, partition: 0 }, 5)
    }
  }
  const { failures } = scriptedSink(t, task, [topic])
  await until('the records from offset 5 again', () => task.got.filter((r) => r.kafkaOffset === 19).length === 2)
  const offsets = task.got.map((r) => r.kafkaOffset)
  assert.deepEqual(offsets, [
    ...Array.from({ length: 20 }, (_, i) => i),
    ...Array.from({ length: 15 }, (_, i) => i + 5),
  ])
  assert.deepEqual(failures, [])
})

test('a partition the task paused delivers nothing until resumed, also across a pause and resume of the connector', async (t) => {
  const topic = randomName('sink-pause')
  const admin = new KafkaAdmin({ bootstrapServers: bootstrapServers(), clientId: randomName('admin') })
  t.after(() => admin.close())
  await admin.createTopic(topic, 2, 1)
  const task = new ScriptedTask()
  const p1 = { topic, partition: 1 }
  task.onOpen = (self) => self.ctx.pause(p1)
  const { worker, failures } = scriptedSink(t, task, [topic])
  await produce(topic, 1, ['p1-a', 'p1-b'])
  await produce(topic, 0, ['p0-a', 'p0-b'])
  await until('partition 0 delivered', () => task.got.length >= 2)
  // The records of partition 1 were produced first: delivered by now, were the partition not paused.
  worker.transitionTo('PAUSED')
  worker.transitionTo('STARTED')
  await produce(topic, 0, ['p0-c'])
  await until('partition 0 delivered after the connector resumed', () => task.got.length >= 3)
  assert.deepEqual(
    task.got.map((r) => r.value),
    ['p0-a', 'p0-b', 'p0-c'],
  )
  assert.throws(() => task.ctx.pause({ topic, partition: 7 }), {
    name: 'IllegalWorkerStateException',
    message: 'SinkTasks may not pause partitions that are not currently assigned to them.',
  })
  task.ctx.resume(p1)
  await until('partition 1 delivered once resumed', () => task.got.length >= 5)
  assert.deepEqual(
    task.got.slice(3).map((r) => r.value),
    ['p1-a', 'p1-b'],
  )
  assert.deepEqual(
    task.ctx.assignment().sort((a, b) => a.partition - b.partition),
    [
      { topic, partition: 0 },
      { topic, partition: 1 },
    ],
  )
  assert.deepEqual(failures, [])
})

test('a topics.regex sink picks up a topic created after it started, and drops a deleted one', async (t) => {
  const prefix = randomName('sink-regex')
  const first = `${prefix}-a`
  const later = `${prefix}-b`
  const admin = new KafkaAdmin({ bootstrapServers: bootstrapServers(), clientId: randomName('admin') })
  t.after(() => admin.close())
  await admin.createTopic(first, 1, 1)
  await produce(first, 0, ['a0'])
  const task = new ScriptedTask()
  const { failures } = scriptedSink(t, task, new RegExp(`^(?:${prefix}-.*)$`), { metadataMaxAgeMs: 1000 })
  await until('the first topic delivered', () => task.got.length === 1)
  await admin.createTopic(later, 2, 1)
  await produce(later, 1, ['b0'])
  await until('the topic created later delivered', () => task.got.some((r) => r.topic === later))
  assert.deepEqual(
    task.got.map((r) => `${r.topic}:${r.value}`),
    [`${first}:a0`, `${later}:b0`],
  )
  await admin.deleteTopics([first])
  // Between the rebalance's revocation and its assignment the task holds nothing: wait for the new assignment.
  await until('the deleted topic left out of the assignment', () => {
    const assigned = task.ctx.assignment()
    return assigned.length === 2 && assigned.every((tp) => tp.topic === later)
  })
  assert.deepEqual(failures, [])
})
