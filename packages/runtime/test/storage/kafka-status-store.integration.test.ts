import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { randomName } from '@ferry/testing'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import { KafkaBasedLog, type LogRecord } from '../../src/kafka/based-log.ts'
import { KafkaStatusBackingStore, parseTaskStatusKey } from '../../src/storage/kafka-status-store.ts'
import { statusBackingStoreContract } from './status-store-contract.ts'

// What Apache's KafkaStatusBackingStore sent to its log (fixtures/generate.sh), with the partition of each key.
const vectors = JSON.parse(
  readFileSync(new URL('../herder/distributed/fixtures/records.json', import.meta.url), 'utf8'),
) as { status: Array<{ key: string; value: string | null; partitions: Record<string, number> }> }

const settings = () => ({ bootstrapServers: testBootstrap().split(','), clientId: randomName('status-store-test') })

function newStore(topic: string): KafkaStatusBackingStore {
  return new KafkaStatusBackingStore({ ...settings(), topic, partitions: 5, replicationFactor: 1 })
}

statusBackingStoreContract('Kafka', async (t) => {
  const store = newStore(randomName('status'))
  await store.start()
  t.after(() => store.stop())
  return store
})

async function rawRecords(topic: string): Promise<LogRecord[]> {
  const seen: LogRecord[] = []
  const log = new KafkaBasedLog({ ...settings(), topic, readOnly: true, onRecord: (r) => seen.push(r) })
  await log.start()
  await log.stop()
  return seen
}

async function writeRaw(topic: string, records: Array<{ key: string; value: string | null }>): Promise<void> {
  const log = new KafkaBasedLog({ ...settings(), topic, onRecord: () => {} })
  await log.start()
  try {
    for (const r of records) await log.send([{ key: r.key, value: r.value === null ? null : Buffer.from(r.value) }])
  } finally {
    await log.stop()
  }
}

test('statuses are written with Apache’s keys and exactly Apache’s JSON, DESTROYED as a tombstone', async (t) => {
  const topic = randomName('status')
  const store = newStore(topic)
  await store.start()
  t.after(() => store.stop())
  store.putConnector({
    connector: 'file-source',
    state: 'RUNNING',
    trace: null,
    workerId: '10.0.0.1:8083',
    generation: 7,
    version: '4.4.0',
  })
  store.putConnector({
    connector: 'file-source',
    state: 'FAILED',
    trace: 'org.apache.kafka.connect.errors.ConnectException: boom\n\tat X.y(X.java:1)\n',
    workerId: '10.0.0.1:8083',
    generation: 8,
    version: null,
  })
  store.putTask({
    id: { connector: 'file-source', task: 0 },
    state: 'UNASSIGNED',
    trace: null,
    workerId: '10.0.0.2:8083',
    generation: 9,
    version: null,
  })
  store.putTask({
    id: { connector: 'my-dashed-connector', task: 3 },
    state: 'PAUSED',
    trace: null,
    workerId: 'w:1',
    generation: 2147483647,
    version: '1.0',
  })
  store.putConnector({
    connector: 'file-source',
    state: 'DESTROYED',
    trace: null,
    workerId: '10.0.0.1:8083',
    generation: 10,
    version: null,
  })
  store.putTopic({ topic: 'lines', connector: 'file-source', task: 0, discoverTimestamp: 1700000000456 })
  store.deleteTopic('file-source', 'lines')
  await store.flush()

  const key = (r: { key: string }) => r.key
  const records = (await rawRecords(topic)).sort((a, b) => a.partition - b.partition || a.offset - b.offset)
  const actual = records.map((r) => ({
    key: r.key!.toString(),
    value: r.value?.toString() ?? null,
    partition: r.partition,
  }))
  const expected = vectors.status.map((v) => ({ key: v.key, value: v.value, partition: v.partitions['5']! }))
  const order = (list: typeof actual) =>
    [...list].sort((a, b) => a.partition - b.partition || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
  // Same records on the same partitions; per key, in write order.
  assert.deepEqual(
    order(actual).map((r) => `${r.partition} ${r.key}`),
    order(expected).map((r) => `${r.partition} ${r.key}`),
  )
  for (const k of new Set(expected.map(key)))
    assert.deepEqual(
      actual.filter((r) => r.key === k).map((r) => r.value),
      expected.filter((r) => r.key === k).map((r) => r.value),
      k,
    )
})

test('statuses Apache wrote are read back, and a deleted connector status removes its tasks’ too', async (t) => {
  const topic = randomName('status')
  const store = newStore(topic)
  await store.start()
  t.after(() => store.stop())
  await writeRaw(topic, [
    ...vectors.status.slice(0, 4),
    { key: 'status-topic-lines:connector-file-source', value: vectors.status[5]!.value },
    { key: 'status-task-', value: '{}' },
    { key: 'status-connector-', value: '{}' },
    { key: 'bogus', value: '{}' },
  ])
  await store.refresh(10000)
  assert.deepEqual(store.getConnector('file-source'), {
    connector: 'file-source',
    state: 'FAILED',
    trace: 'org.apache.kafka.connect.errors.ConnectException: boom\n\tat X.y(X.java:1)\n',
    workerId: '10.0.0.1:8083',
    generation: 8,
    version: null,
  })
  assert.deepEqual(store.getTask({ connector: 'my-dashed-connector', task: 3 }), {
    id: { connector: 'my-dashed-connector', task: 3 },
    state: 'PAUSED',
    trace: null,
    workerId: 'w:1',
    generation: 2147483647,
    version: '1.0',
  })
  assert.deepEqual(
    store.getAll('file-source').map((s) => s.state),
    ['UNASSIGNED'],
  )
  assert.deepEqual(store.getAllTopics('file-source'), [
    { topic: 'lines', connector: 'file-source', task: 0, discoverTimestamp: 1700000000456 },
  ])
  // Connectors with a connector status (a task status alone does not count, as in Apache).
  assert.deepEqual(store.connectors(), ['file-source'])

  await writeRaw(topic, [{ key: 'status-connector-file-source', value: null }])
  await store.refresh(10000)
  assert.equal(store.getConnector('file-source'), null)
  assert.deepEqual(store.getAll('file-source'), [])
})

test('an UNASSIGNED task status of an older generation does not replace a RUNNING one', async (t) => {
  const topic = randomName('status')
  const store = newStore(topic)
  await store.start()
  t.after(() => store.stop())
  const id = { connector: 'c', task: 0 }
  const status = (state: 'RUNNING' | 'UNASSIGNED', generation: number) => ({
    id,
    state,
    trace: null,
    workerId: 'w1:8083',
    generation,
    version: null,
  })
  store.putTask(status('RUNNING', 5))
  store.putTask(status('UNASSIGNED', 5))
  await store.flush()
  await store.refresh(10000)
  assert.equal(store.getTask(id)?.state, 'RUNNING')
  store.putTask(status('UNASSIGNED', 6))
  await store.flush()
  await store.refresh(10000)
  assert.equal(store.getTask(id)?.state, 'UNASSIGNED')
})

test('a safe write is skipped when another worker wrote a newer generation, and goes through otherwise', async (t) => {
  const topic = randomName('status')
  const store = newStore(topic)
  await store.start()
  t.after(() => store.stop())
  const connector = (workerId: string, state: 'RUNNING' | 'UNASSIGNED', generation: number) => ({
    connector: 'c',
    state,
    trace: null,
    workerId,
    generation,
    version: null,
  })
  store.putConnector(connector('w2:8083', 'RUNNING', 10))
  await store.flush()
  await store.refresh(10000)
  store.putConnectorSafe(connector('w1:8083', 'UNASSIGNED', 9))
  await store.flush()
  await store.refresh(10000)
  assert.equal(store.getConnector('c')?.workerId, 'w2:8083')
  // Same worker, or a generation that is not older: written.
  store.putConnectorSafe(connector('w1:8083', 'UNASSIGNED', 10))
  await store.flush()
  await store.refresh(10000)
  assert.deepEqual(store.getConnector('c'), connector('w1:8083', 'UNASSIGNED', 10))
  assert.equal((await rawRecords(topic)).length, 2)
})

test('task status keys are split as Apache splits them', () => {
  assert.deepEqual(parseTaskStatusKey('status-task-my-dashed-connector-12'), {
    connector: 'my-dashed-connector',
    task: 12,
  })
  assert.equal(parseTaskStatusKey('status-task-x'), null)
  assert.equal(parseTaskStatusKey('status-task-x-y'), null)
  assert.deepEqual(parseTaskStatusKey('status-task-a-1-'), { connector: 'a', task: 1 })
})
