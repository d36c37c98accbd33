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
