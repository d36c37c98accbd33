/**
 * KIP-158 on the test broker: a standalone worker's file sources create their topics with the first group that takes
 * each, and validation reports the groups' problems.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { builtinRegistry, randomName, tempDir, waitFor } from '@ferry/testing'
import { Admin, ConfigResourceTypes } from '@platformatic/kafka'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import { parseWorkerConfig } from '../../src/config/worker-config.ts'
import { StandaloneHerder } from '../../src/herder/standalone/standalone-herder.ts'
import { silentLogger } from '../../src/logger.ts'
import { FileOffsetBackingStore } from '../../src/storage/offset-store.ts'
import { Worker } from '../../src/worker/worker.ts'

async function standalone(t: { after(fn: () => unknown): void }, extra: Record<string, string> = {}) {
  const dir = await tempDir(t)
  const offsets = join(dir, 'offsets')
  const config = parseWorkerConfig(
    {
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'offset.storage.file.filename': offsets,
      ...extra,
    },
    'standalone',
  )
  const worker = new Worker(config, await builtinRegistry(), new FileOffsetBackingStore(offsets), silentLogger())
  const herder = new StandaloneHerder(worker, 'topic-creation-test:8083', silentLogger())
  await herder.start()
  t.after(() => herder.stop())
  return { herder, dir }
}

/** Partition count, replica count of partition 0 and the settings given for the topic (not defaults). */
async function describe(admin: Admin, topic: string) {
  const metadata = await admin.metadata({ topics: [topic] })
  const t = metadata.topics.get(topic)!
  const [description] = await admin.describeConfigs({
    resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }],
  })
  const set: Record<string, string> = {}
  // configSource 1: DYNAMIC_TOPIC_CONFIG, a setting given for this topic.
  for (const c of description?.configs ?? []) if (c.configSource === 1) set[c.name] = String(c.value)
  return { partitions: t.partitionsCount, replicas: t.partitions[0]?.replicas.length, set }
}

test('each source topic is created before the first write with the first group that takes it, default last', async (t) => {
  const { herder, dir } = await standalone(t)
  const p = randomName('kip158')
  const creation = {
    'topic.creation.default.replication.factor': '-1',
    'topic.creation.default.partitions': '3',
    'topic.creation.groups': 'compacted,short',
    'topic.creation.compacted.include': `${p}-state-.*`,
    'topic.creation.compacted.exclude': `${p}-state-tmp`,
    'topic.creation.compacted.partitions': '2',
    'topic.creation.compacted.cleanup.policy': 'compact',
    'topic.creation.short.include': `${p}-.*`,
    'topic.creation.short.replication.factor': '1',
    'topic.creation.short.partitions': '1',
    'topic.creation.short.retention.ms': '3600000',
  }
  const topics = { state: `${p}-state-a`, excluded: `${p}-state-tmp`, other: `other-${p}` }
  for (const [what, topic] of Object.entries(topics)) {
    const file = join(dir, `${what}.txt`)
    await writeFile(file, `${what}\n`)
    await herder.putConnectorConfig(
      `${p}-${what}`,
      { 'connector.class': 'FileStreamSource', file, topic, ...creation },
      false,
    )
  }
  const admin = new Admin({ clientId: randomName('describe'), bootstrapBrokers: testBootstrap().split(',') })
  t.after(() => admin.close())
  await waitFor('the three topics to exist', async () => {
    const existing = await admin.listTopics()
    return Object.values(topics).every((topic) => existing.includes(topic))
  })
  assert.deepEqual(await describe(admin, topics.state), {
    partitions: 2,
    replicas: 1,
    set: { 'cleanup.policy': 'compact' },
  })
  // Excluded from `compacted`, so the next group in topic.creation.groups order takes it.
  assert.deepEqual(await describe(admin, topics.excluded), {
    partitions: 1,
    replicas: 1,
    set: { 'retention.ms': '3600000' },
  })
  assert.deepEqual(await describe(admin, topics.other), { partitions: 3, replicas: 1, set: {} })
})

test('validation reports a missing default group setting and a bad group value on their keys, in their groups', async (t) => {
  const { herder } = await standalone(t)
  const infos = await herder.validateConnectorConfig({
    'connector.class': 'FileStreamSource',
    name: randomName('kip158-invalid'),
    topic: 't',
    'topic.creation.default.partitions': '3',
    'topic.creation.groups': 'a',
    'topic.creation.a.partitions': '0',
  })
  const errors = Object.fromEntries(
    infos.configs.filter((c) => (c.value?.errors.length ?? 0) > 0).map((c) => [c.value?.name, c.value?.errors]),
  )
  assert.deepEqual(errors, {
    'topic.creation.default.replication.factor': [
      'Missing required configuration "topic.creation.default.replication.factor" which has no default value.',
    ],
    'topic.creation.a.partitions': [
      "Invalid value 0 for configuration partitions: Number of partitions must be positive, or -1 to use the broker's default",
    ],
  })
  assert.equal(infos.error_count, 2)
  const groupOf = (name: string) => infos.configs.find((c) => c.definition?.name === name)?.definition?.group
  assert.equal(groupOf('topic.creation.default.partitions'), 'default: default')
  assert.equal(groupOf('topic.creation.a.include'), 'Topic Creation: a: Topic Creation: a')
  // The group's replication factor comes from the default group's (missing here: no value).
  assert.equal(infos.configs.find((c) => c.value?.name === 'topic.creation.a.replication.factor')?.value?.value, null)
})

test('with topic.creation.enable=false the worker leaves topic creation to the broker and validation to Apache’s keys', async (t) => {
  const { herder } = await standalone(t, { 'topic.creation.enable': 'false' })
  const infos = await herder.validateConnectorConfig({
    'connector.class': 'FileStreamSource',
    name: randomName('kip158-off'),
    topic: 't',
    'topic.creation.default.partitions': '3',
  })
  assert.equal(infos.error_count, 0)
  assert.equal(
    infos.configs.some((c) => c.definition?.name.startsWith('topic.creation.default.')),
    false,
  )
})
