import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseWorkerConfig } from '../../src/config/worker-config.ts'
import { silentLogger } from '../../src/logger.ts'
import { ConnectorOffsetBackingStore } from '../../src/storage/connector-offset-store.ts'
import { MemoryOffsetBackingStore } from '../../src/storage/offset-store.ts'
import { ConnectorOffsetStores } from '../../src/worker/connector-offset-stores.ts'

const CONVERTERS = {
  'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
  'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
}
const DISTRIBUTED = parseWorkerConfig(
  {
    ...CONVERTERS,
    'group.id': 'g',
    'config.storage.topic': 'c',
    'offset.storage.topic': 'offsets',
    'status.storage.topic': 's',
  },
  'distributed',
)
const STANDALONE = parseWorkerConfig({ ...CONVERTERS, 'offset.storage.file.filename': '/tmp/unused' }, 'standalone')

/** A connector store that counts its starts and stops. */
class CountingStore extends MemoryOffsetBackingStore {
  starts = 0
  stops = 0
  override async start(): Promise<void> {
    this.starts++
  }
  override async stop(): Promise<void> {
    this.stops++
  }
}

function stores(config = DISTRIBUTED) {
  const worker = new MemoryOffsetBackingStore()
  const made: Array<{ topic: string; store: CountingStore }> = []
  const offsetStores = new ConnectorOffsetStores(worker, config, silentLogger(), (topic) => {
    const store = new CountingStore()
    made.push({ topic, store })
    return store
  })
  return { worker, made, offsetStores }
}

test('standalone mode uses the worker’s store even with offsets.storage.topic (no effect there, as in Apache)', async () => {
  const { worker, made, offsetStores } = stores(STANDALONE)
  const lease = await offsetStores.acquire({ 'offsets.storage.topic': 'own' })
  assert.equal(lease.store, worker)
  assert.equal(lease.topic, null)
  assert.equal(made.length, 0)
})

test('a connector without offsets.storage.topic, or naming the worker’s topic, uses the worker’s store', async () => {
  const { worker, made, offsetStores } = stores()
  const configs: Array<Record<string, string>> = [
    {},
    { 'offsets.storage.topic': ' ' },
    { 'offsets.storage.topic': 'offsets' },
  ]
  for (const config of configs) {
    const lease = await offsetStores.acquire(config)
    assert.equal(lease.store, worker)
    assert.equal(lease.topic, 'offsets')
  }
  assert.equal(made.length, 0)
})

test('a connector topic gets one store shared by the connector and its tasks, stopped when the last lets go', async () => {
  const { worker, made, offsetStores } = stores()
  const connector = await offsetStores.acquire({ 'offsets.storage.topic': 'own' })
  const task = await offsetStores.acquire({ 'offsets.storage.topic': 'own' })
  assert.ok(connector.store instanceof ConnectorOffsetBackingStore)
  assert.equal(connector.store, task.store)
  assert.equal(connector.topic, 'own')
  assert.equal((connector.store as ConnectorOffsetBackingStore).workerStore, worker)
  assert.deepEqual(
    made.map((m) => m.topic),
    ['own'],
  )
  const own = made[0]!.store
  assert.equal(own.starts, 1)
  await connector.release()
  await connector.release()
  assert.equal(own.stops, 0, 'a lease released twice counts once')
  await task.release()
  assert.equal(own.stops, 1)
  // A later use opens the topic again.
  const again = await offsetStores.acquire({ 'offsets.storage.topic': 'own' })
  assert.equal(made.length, 2)
  await again.release()
})
