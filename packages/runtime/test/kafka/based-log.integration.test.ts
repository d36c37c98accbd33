import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { ConfigException } from '@ferry/api'
import { randomName } from '@ferry/testing'
import { Admin } from '@platformatic/kafka'
import { startKafka } from '../../../../scripts/kafka/harness.ts'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import {
  cleanupPolicyMessage,
  ensureInternalTopic,
  type InternalTopicSpec,
  KafkaBasedLog,
  type LogRecord,
} from '../../src/kafka/based-log.ts'
import { KafkaAdmin } from '../../src/kafka/clients.ts'
import { partitionFor } from '../../src/kafka/producer.ts'

const records = JSON.parse(
  readFileSync(new URL('../herder/distributed/fixtures/records.json', import.meta.url), 'utf8'),
)

const settings = () => ({ bootstrapServers: testBootstrap().split(','), clientId: randomName('based-log-test') })

function spec(name: string, partitions: number): InternalTopicSpec {
  return {
    name,
    partitions,
    replicationFactor: 1,
    workerConfigKey: 'status.storage.topic',
    purpose: 'connector and task statuses',
  }
}

async function topicConfig(topic: string): Promise<{ partitions: number }> {
  const admin = new KafkaAdmin(settings())
  try {
    return { partitions: (await admin.offsets(topic)).length }
  } finally {
    await admin.close()
  }
}

test('a missing internal topic is created compacted with the partitions asked for, and an existing one is found', async () => {
  const topic = randomName('internal')
  assert.deepEqual(await ensureInternalTopic(settings(), spec(topic, 3)), { created: true })
  assert.deepEqual(await topicConfig(topic), { partitions: 3 })
  // Second time: it exists, and it is compacted, so it passes the check.
  assert.deepEqual(await ensureInternalTopic(settings(), spec(topic, 3)), { created: false })
})

test('an existing internal topic that is not compacted is refused with Apache’s message', async () => {
  const topic = randomName('not-compacted')
  const admin = new KafkaAdmin(settings())
  try {
    await admin.createTopic(topic, 1, 1, { 'cleanup.policy': 'delete' })
  } finally {
    await admin.close()
  }
  await assert.rejects(
    ensureInternalTopic(settings(), spec(topic, 1)),
    (e: Error) =>
      e instanceof ConfigException &&
      e.message ===
        `Topic '${topic}' supplied via the 'status.storage.topic' property is required to have 'cleanup.policy=compact' to guarantee consistency and durability of connector and task statuses, but found the topic currently has 'cleanup.policy=delete'. Continuing would likely result in eventually losing connector and task statuses and problems restarting this Connect cluster in the future. Change the 'status.storage.topic' property in the Connect worker configurations to use a topic with 'cleanup.policy=compact'.`,
  )
})

test('the refusal lists several cleanup policies in the order Java joins them', () => {
  const message = cleanupPolicyMessage({ name: 't', workerConfigKey: 'k', purpose: 'p' }, ['delete', 'compact'])
  assert.match(message, /currently has 'cleanup.policy=compact,delete'/)
})

test('a started log has read everything already in the topic, and readToEnd catches up with later writes', async (t) => {
  const topic = randomName('log')
  const writer = new KafkaBasedLog({ ...settings(), topic, topicSpec: spec(topic, 5), onRecord: () => {} })
  await writer.start()
  t.after(() => writer.stop())
  const written = await writer.send(
    Array.from({ length: 50 }, (_, i) => ({ key: `key-${i % 10}`, value: Buffer.from(`value-${i}`) })),
  )
  assert.equal(written.length, 50)

  const seen: LogRecord[] = []
  const reader = new KafkaBasedLog({ ...settings(), topic, readOnly: true, onRecord: (r) => seen.push(r) })
  await reader.start()
  t.after(() => reader.stop())
  assert.equal(seen.length, 50)
  assert.equal(reader.partitionCount, 5)
  // Per key, records come in the order they were written, and on the partition Java's partitioner picks.
  for (let k = 0; k < 10; k++) {
    const ofKey = seen.filter((r) => r.key?.toString() === `key-${k}`)
    assert.deepEqual(
      ofKey.map((r) => r.value?.toString()),
      [0, 1, 2, 3, 4].map((j) => `value-${j * 10 + k}`),
    )
    assert.ok(ofKey.every((r) => r.partition === partitionFor(`key-${k}`, 5)))
  }
  for (const w of written) assert.ok(w.offset >= 0)

  await writer.send([
    { key: 'late', value: Buffer.from('x') },
    { key: 'key-1', value: null },
  ])
  await reader.readToEnd(10000)
  assert.equal(seen.length, 52)
  const tombstone = seen.find((r) => r.key?.toString() === 'key-1' && r.value === null)
  assert.ok(tombstone, 'a null value arrives as a tombstone')
})

test('readToEnd in the writing log itself sees its own writes', async (t) => {
  const topic = randomName('own')
  const seen: string[] = []
  const log = new KafkaBasedLog({
    ...settings(),
    topic,
    topicSpec: spec(topic, 1),
    onRecord: (r) => seen.push(String(r.value)),
  })
  await log.start()
  t.after(() => log.stop())
  for (let i = 0; i < 5; i++) {
    void log.send([{ key: 'k', value: Buffer.from(String(i)) }])
  }
  await log.readToEnd(10000)
  assert.deepEqual(seen, ['0', '1', '2', '3', '4'])
})

test('readToEnd does not wait for the reader’s long-polling fetch to return', async (t) => {
  const topic = randomName('long-poll')
  const seen: string[] = []
  // The reader's fetch waits up to 25 s for data; a ListOffsets queued behind it on the same connection waited as
  // long (500 ms per read-to-end with the default, which the config store does up to three times per write).
  const log = new KafkaBasedLog({
    ...settings(),
    topic,
    topicSpec: spec(topic, 1),
    fetchMaxWaitMs: 25_000,
    onRecord: (r) => seen.push(String(r.value)),
  })
  await log.start()
  t.after(() => log.stop())
  const readBeforeTheLongPollEnds = async (what: string) => {
    let timer: NodeJS.Timeout | undefined
    const longPoll = new Promise<'long poll'>((r) => {
      timer = setTimeout(() => r('long poll'), 20_000)
    })
    const first = await Promise.race([log.readToEnd().then(() => 'read' as const), longPoll])
    clearTimeout(timer)
    assert.equal(first, 'read', `read-to-end ${what} waited for the reader's fetch`)
  }
  for (let i = 0; i < 3; i++) {
    // Caught up (the fetch in flight has nothing to return), then after a write.
    await readBeforeTheLongPollEnds(`before write ${i}`)
    await log.send([{ key: 'k', value: Buffer.from(String(i)) }])
    await readBeforeTheLongPollEnds(`after write ${i}`)
  }
  assert.deepEqual(seen, ['0', '1', '2'])
})

test('keys land on the partitions Apache’s producer would pick', () => {
  for (const r of [...records.status, ...records.config]) {
    assert.equal(partitionFor(r.key, 5), r.partitions['5'], r.key)
    assert.equal(partitionFor(r.key, 25), r.partitions['25'], r.key)
  }
  for (const r of records.offsets) assert.equal(partitionFor(Buffer.from(r.key), 25), r.partitions['25'], r.key)
})

test('a log on a topic that does not appear fails to start with Apache’s message', async () => {
  const topic = randomName('absent')
  const log = new KafkaBasedLog({ ...settings(), topic, readOnly: true, partitionsTimeoutMs: 1500, onRecord: () => {} })
  await assert.rejects(log.start(), /Could not look up partition metadata for topic '.*' in the allotted period/)
  await log.stop()
})

test('on a fresh three-broker cluster a log starts on the offsets topic it has just created (25 partitions, replication factor 3), a read-to-end after each write of a replicated log reads that write, and a log whose partitions have no leader waits for one instead of failing', async (t) => {
  const cluster = await startKafka({ brokers: 3 })
  t.after(() => cluster.stop())
  const clusterSettings = () => ({
    bootstrapServers: cluster.bootstrapServers.split(','),
    clientId: randomName('based-log-test'),
  })

  // The worker's first start: the topic is created and read at once, while its leaders are still being elected.
  const offsetsTopic = randomName('offsets')
  const fresh = new KafkaBasedLog({
    ...clusterSettings(),
    topic: offsetsTopic,
    topicSpec: { ...spec(offsetsTopic, 25), replicationFactor: 3, workerConfigKey: 'offset.storage.topic' },
    onRecord: () => {},
  })
  await fresh.start()
  t.after(() => fresh.stop())
  assert.equal(fresh.partitionCount, 25)

  // The config store's create: write, read to the end, then look the connector up. The read-to-end reads to the high
  // watermark, which covers the write only when the write was acknowledged by every replica in sync (acks=all); with
  // acks=1 it returned before the write (issue 13: every POST /connectors on a replicated config topic answered 404).
  const configTopic = randomName('configs')
  const read: string[] = []
  const configs = new KafkaBasedLog({
    ...clusterSettings(),
    topic: configTopic,
    topicSpec: { ...spec(configTopic, 1), replicationFactor: 3, workerConfigKey: 'config.storage.topic' },
    onRecord: (r) => read.push(String(r.value)),
  })
  await configs.start()
  t.after(() => configs.stop())
  for (let i = 0; i < 5; i++) {
    await configs.send([{ key: `connector-${i}`, value: Buffer.from(String(i)) }])
    await configs.readToEnd(30_000)
    assert.equal(read.at(-1), String(i), `read-to-end after write ${i} returned having read ${JSON.stringify(read)}`)
  }

  // Every partition of this topic lives on the third broker only; with it stopped they have no leader.
  const topic = randomName('leaderless')
  const admin = new Admin({ clientId: randomName('admin'), bootstrapBrokers: cluster.bootstrapServers.split(',') })
  try {
    await admin.createTopics({
      topics: [topic],
      assignments: [0, 1, 2].map((partition) => ({ partition, brokers: [3] })),
      configs: [{ name: 'cleanup.policy', value: 'compact' }],
    })
  } finally {
    await admin.close()
  }
  const writer = new KafkaBasedLog({ ...clusterSettings(), topic, onRecord: () => {} })
  await writer.start()
  await writer.send([{ key: 'k', value: Buffer.from('before the broker stopped') }])
  await writer.stop()
  await cluster.stopNode(2)

  const seen: string[] = []
  const reader = new KafkaBasedLog({
    ...clusterSettings(),
    topic,
    readOnly: true,
    onRecord: (r) => seen.push(r.value?.toString('utf8') ?? ''),
  })
  t.after(() => reader.stop())
  let outcome: 'started' | Error | null = null
  const starting = reader.start().then(
    () => {
      outcome = 'started'
    },
    (e: Error) => {
      outcome = e
    },
  )
  // Longer than the client's own retries of one ListOffsets (three, a second apart at most).
  await new Promise((r) => setTimeout(r, 6000))
  assert.equal(outcome, null, `the log gave up while the leader was away: ${String(outcome)}`)
  await cluster.startNode(2)
  await starting
  assert.equal(outcome, 'started')
  assert.deepEqual(seen, ['before the broker stopped'])
})
