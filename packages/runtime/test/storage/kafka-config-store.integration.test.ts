import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { ConfigException } from '@ferry/api'
import { randomName } from '@ferry/testing'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import { KafkaBasedLog, type LogRecord } from '../../src/kafka/based-log.ts'
import { KafkaAdmin } from '../../src/kafka/clients.ts'
import { KafkaConfigBackingStore } from '../../src/storage/kafka-config-store.ts'
import { configBackingStoreContract, recordingListener } from './config-store-contract.ts'

// What Apache's KafkaConfigBackingStore writes (fixtures/generate.sh runs its schemas through Apache's JsonConverter).
const vectors = JSON.parse(
  readFileSync(new URL('../herder/distributed/fixtures/records.json', import.meta.url), 'utf8'),
) as { config: Array<{ key: string; value: string | null }> }

const settings = () => ({ bootstrapServers: testBootstrap().split(','), clientId: randomName('config-store-test') })

function newStore(topic: string): KafkaConfigBackingStore {
  return new KafkaConfigBackingStore({ ...settings(), topic, replicationFactor: 1 })
}

configBackingStoreContract('Kafka', async (t) => {
  const store = newStore(randomName('configs'))
  await store.start()
  t.after(() => store.stop())
  return store
})

/** Every record of the topic, raw. */
async function rawRecords(topic: string): Promise<LogRecord[]> {
  const seen: LogRecord[] = []
  const log = new KafkaBasedLog({ ...settings(), topic, readOnly: true, onRecord: (r) => seen.push(r) })
  await log.start()
  await log.stop()
  return seen
}

function raw(r: LogRecord) {
  return { key: r.key?.toString('utf8') ?? null, value: r.value?.toString('utf8') ?? null }
}

/** Writes Apache's records into the topic as they are. */
async function writeRaw(topic: string, records: Array<{ key: string; value: string | null }>): Promise<void> {
  const log = new KafkaBasedLog({
    ...settings(),
    topic,
    topicSpec: {
      name: topic,
      partitions: 1,
      replicationFactor: 1,
      workerConfigKey: 'config.storage.topic',
      purpose: 'connector configurations',
    },
    onRecord: () => {},
  })
  await log.start()
  try {
    for (const r of records)
      await log.send([{ key: r.key, value: r.value === null ? null : Buffer.from(r.value, 'utf8') }])
  } finally {
    await log.stop()
  }
}

const vector = (key: string, n = 0) => {
  const found = vectors.config.filter((r) => r.key === key)[n]
  assert.ok(found, `vector ${key} #${n}`)
  return { key: found.key, value: found.value }
}

test('every record the store writes has Apache’s key and exactly Apache’s JSON bytes', async (t) => {
  const topic = randomName('configs')
  const store = newStore(topic)
  await store.start()
  t.after(() => store.stop())

  await store.putConnectorConfig(
    'file-source',
    {
      'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector',
      name: 'file-source',
      'tasks.max': '1',
      file: '/tmp/in "quoted" ü.txt',
      topic: 'lines',
      nullable: null,
    },
    'STARTED',
  )
  await store.putTaskConfigs('file-source', [
    { 'task.class': 'org.apache.kafka.connect.file.FileStreamSourceTask', file: '/tmp/in.txt', topic: 'lines' },
  ])
  await store.putTargetState('file-source', 'PAUSED')
  await store.putTargetState('file-source', 'STOPPED')
  await store.putTaskCountRecord('file-source', 3)
  const keyBytes = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 7 + 1) & 0xff))
  await store.putSessionKey({ key: keyBytes, algorithm: 'HmacSHA256', creationTimestamp: 1700000000123 })
  await store.putRestartRequest({ connector: 'file-source', includeTasks: true, onlyFailed: false })
  await store.putRestartRequest({ connector: 'file-source', includeTasks: false, onlyFailed: true })
  await store.putLoggerLevel('org.apache.kafka.connect', 'DEBUG')
  await store.removeConnectorConfig('file-source')

  const written = (await rawRecords(topic)).map(raw)
  assert.deepEqual(written, [
    vector('target-state-file-source', 0),
    vector('connector-file-source', 0),
    vector('task-file-source-0'),
    vector('commit-file-source'),
    vector('target-state-file-source', 1),
    vector('target-state-file-source', 2),
    vector('tasks-fencing-file-source'),
    vector('session-key'),
    vector('restart-connector-file-source', 0),
    vector('restart-connector-file-source', 1),
    vector('logger-cluster-org.apache.kafka.connect'),
    vector('connector-file-source', 1),
    { key: 'target-state-file-source', value: null },
  ])
})

test('records written by Apache are read into the same snapshot Apache would build', async (t) => {
  const topic = randomName('configs')
  await writeRaw(topic, [
    vector('connector-file-source', 0),
    vector('task-file-source-0'),
    vector('commit-file-source'),
    vector('target-state-file-source', 2),
    vector('target-state-old-writer'),
    vector('tasks-fencing-file-source'),
    vector('session-key'),
    vector('logger-cluster-org.apache.kafka.connect'),
  ])
  const store = newStore(topic)
  const listener = recordingListener()
  store.setUpdateListener(listener)
  await store.start()
  t.after(() => store.stop())

  const s = store.snapshot()
  assert.equal(s.offset, 8)
  assert.deepEqual(s.connectors(), ['file-source'])
  assert.deepEqual(s.connectorConfig('file-source'), {
    'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector',
    name: 'file-source',
    'tasks.max': '1',
    file: '/tmp/in "quoted" ü.txt',
    topic: 'lines',
    nullable: null,
  })
  assert.deepEqual(s.tasks('file-source'), [{ connector: 'file-source', task: 0 }])
  assert.deepEqual(s.taskConfig({ connector: 'file-source', task: 0 }), {
    'task.class': 'org.apache.kafka.connect.file.FileStreamSourceTask',
    file: '/tmp/in.txt',
    topic: 'lines',
  })
  // `state.v2` wins over the PAUSED written for old readers; an old writer's `state` is read when alone.
  assert.equal(s.targetState('file-source'), 'STOPPED')
  assert.equal(s.targetState('old-writer'), 'PAUSED')
  assert.equal(s.taskCountRecord('file-source'), 3)
  assert.equal(s.pendingFencing('file-source'), false)
  assert.equal(s.taskConfigGeneration('file-source'), 0)
  assert.deepEqual(s.appliedConnectorConfig('file-source'), s.connectorConfig('file-source'))
  assert.equal(s.sessionKey?.algorithm, 'HmacSHA256')
  assert.equal(s.sessionKey?.creationTimestamp, 1700000000123)
  assert.equal(s.sessionKey?.key.length, 32)
  // Nothing read before the start is reported; the cluster logger level written earlier does not apply.
  assert.deepEqual(listener.events, [])

  await writeRaw(topic, [vector('logger-cluster-org.apache.kafka.connect'), vector('restart-connector-file-source', 0)])
  await store.refresh(10000)
  assert.deepEqual(listener.events, ['logger org.apache.kafka.connect DEBUG', 'restart file-source true false'])
  assert.equal(store.snapshot().offset, 10)
})

test('task configs are held back until their commit, and an incomplete commit leaves the connector without tasks', async (t) => {
  const topic = randomName('configs')
  const store = newStore(topic)
  const listener = recordingListener()
  store.setUpdateListener(listener)
  await store.start()
  t.after(() => store.stop())
  await store.putConnectorConfig('my-dashed-connector', { name: 'my-dashed-connector' }, 'STARTED')
  const task = (n: number, v: string) => ({
    key: `task-my-dashed-connector-${n}`,
    value: JSON.stringify({ properties: { v } }),
  })
  await writeRaw(topic, [task(0, 'a'), task(1, 'b')])
  await store.refresh(10000)
  assert.deepEqual(store.snapshot().tasks('my-dashed-connector'), [])
  assert.equal(store.snapshot().taskConfig({ connector: 'my-dashed-connector', task: 0 }), null)

  // A commit of three tasks when only 0 and 1 are there: inconsistent, no tasks.
  await writeRaw(topic, [{ key: 'commit-my-dashed-connector', value: '{"tasks":3}' }])
  await store.refresh(10000)
  let s = store.snapshot()
  assert.deepEqual(s.inconsistentConnectors(), ['my-dashed-connector'])
  assert.deepEqual(s.tasks('my-dashed-connector'), [])
  assert.equal(s.taskCount('my-dashed-connector'), 3)

  // A complete set, committed: applied at once, and the listener hears about the tasks.
  await store.putTaskConfigs('my-dashed-connector', [{ v: 'x' }, { v: 'y' }])
  s = store.snapshot()
  assert.deepEqual(s.inconsistentConnectors(), [])
  assert.deepEqual(
    s.tasks('my-dashed-connector').map((t) => s.taskConfig(t)),
    [{ v: 'x' }, { v: 'y' }],
  )
  assert.equal(s.pendingFencing('my-dashed-connector'), true)
  assert.ok(listener.events.includes('tasks my-dashed-connector-0,my-dashed-connector-1'))
  assert.ok(listener.events.includes('update my-dashed-connector'))
})

test('deleting a connector drops its tasks; a later commit for it is ignored; a target state tombstone means STARTED', async (t) => {
  const topic = randomName('configs')
  const store = newStore(topic)
  await store.start()
  t.after(() => store.stop())
  await store.putConnectorConfig('a', { name: 'a' }, 'PAUSED')
  await store.putTaskConfigs('a', [{ k: '1' }])
  assert.equal(store.snapshot().targetState('a'), 'PAUSED')
  await writeRaw(topic, [{ key: 'target-state-a', value: null }])
  await store.refresh(10000)
  assert.equal(store.snapshot().targetState('a'), 'STARTED')

  await store.removeConnectorConfig('a')
  let s = store.snapshot()
  assert.equal(s.contains('a'), false)
  assert.deepEqual(s.tasks('a'), [])
  assert.equal(s.taskConfig({ connector: 'a', task: 0 }), null)
  assert.equal(s.targetState('a'), null)

  await writeRaw(topic, [
    { key: 'task-a-0', value: '{"properties":{}}' },
    { key: 'commit-a', value: '{"tasks":1}' },
    { key: 'not-a-known-key', value: '{}' },
    { key: 'connector-broken', value: '{not json' },
  ])
  await store.refresh(10000)
  s = store.snapshot()
  assert.equal(s.contains('a'), false)
  assert.deepEqual(s.tasks('a'), [])
  // The unknown key still counts for the offset; the record that is not JSON does not.
  assert.equal(s.offset, (await rawRecords(topic)).length - 1)
})

test('a config topic with more than one partition is refused with Apache’s message', async () => {
  const topic = randomName('configs')
  const admin = new KafkaAdmin(settings())
  try {
    await admin.createTopic(topic, 2, 1, { 'cleanup.policy': 'compact' })
  } finally {
    await admin.close()
  }
  await assert.rejects(
    newStore(topic).start(),
    (e: Error) =>
      e instanceof ConfigException &&
      e.message ===
        `Topic '${topic}' supplied via the 'config.storage.topic' property is required to have a single partition in order to guarantee consistency of connector configurations, but found 2 partitions.`,
  )
})

test('a missing config topic is created with one partition', async (t) => {
  const topic = randomName('configs')
  const store = newStore(topic)
  await store.start()
  t.after(() => store.stop())
  const admin = new KafkaAdmin(settings())
  try {
    assert.equal((await admin.offsets(topic)).length, 1)
  } finally {
    await admin.close()
  }
  assert.equal(store.snapshot().offset, -1)
})
