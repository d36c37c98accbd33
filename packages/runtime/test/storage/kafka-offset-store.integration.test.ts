import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { randomName } from '@ferry/testing'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import { KafkaBasedLog, type LogRecord } from '../../src/kafka/based-log.ts'
import { KafkaOffsetBackingStore, offsetRecordKey } from '../../src/storage/kafka-offset-store.ts'

// What Apache's OffsetStorageWriter writes (fixtures/generate.sh, Apache's JsonConverter), and where it lands.
const vectors = JSON.parse(
  readFileSync(new URL('../herder/distributed/fixtures/records.json', import.meta.url), 'utf8'),
) as { offsets: Array<{ connector: string; key: string; value: string | null; partitions: Record<string, number> }> }

const settings = () => ({ bootstrapServers: testBootstrap().split(','), clientId: randomName('offset-store-test') })

function newStore(topic: string, partitions = 25): KafkaOffsetBackingStore {
  return new KafkaOffsetBackingStore({ ...settings(), topic, partitions, replicationFactor: 1 })
}

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
    for (const r of records)
      await log.send([{ key: Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value) }])
  } finally {
    await log.stop()
  }
}

test('offsets are written with Apache’s key and value bytes, on the partition Apache’s producer picks', async (t) => {
  const topic = randomName('offsets')
  const store = newStore(topic)
  await store.start()
  t.after(() => store.stop())
  await store.set('file-source', [[{ filename: '/tmp/in.txt' }, { position: 42 }]])
  await store.set('cdc', [
    [
      { db: 'inventory', table: 'orders', shard: 3 },
      { lsn: 123456789012345, ts: 1.5, snapshot: true, txid: null, nested: { a: [1, 2] } } as never,
    ],
  ])
  await store.set('file-source', [[{ filename: '/tmp/in.txt' }, null]])

  // Per key in write order (records of one key share a partition, so their offsets give the order).
  const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  const records = (await rawRecords(topic)).sort((a, b) => a.offset - b.offset)
  assert.deepEqual(
    records
      .map((r) => ({ key: r.key!.toString(), value: r.value?.toString() ?? null, partition: r.partition }))
      .sort(byKey),
    vectors.offsets.map((v) => ({ key: v.key, value: v.value, partition: v.partitions['25'] })).sort(byKey),
  )
})

test('offsets read back by a new store, tombstones remove them, and partitions are listed per connector', async (t) => {
  const topic = randomName('offsets')
  const first = newStore(topic, 5)
  await first.start()
  await first.set('src', [
    [{ file: 'a' }, { pos: 1 }],
    [{ file: 'b' }, { pos: 2 }],
  ])
  await first.set('src', [[{ file: 'a' }, { pos: 3 }]])
  await first.set('other', [[{ file: 'a' }, { pos: 9 }]])
  await first.set('src', [[{ file: 'b' }, null]])
  assert.deepEqual(first.get('src', { file: 'a' }), { pos: 3 })
  await first.stop()

  const second = newStore(topic, 5)
  await second.start()
  t.after(() => second.stop())
  assert.deepEqual(second.get('src', { file: 'a' }), { pos: 3 })
  assert.equal(second.get('src', { file: 'b' }), null)
  assert.deepEqual(second.get('other', { file: 'a' }), { pos: 9 })
  assert.deepEqual(second.partitions('src'), [{ file: 'a' }])
})

test('offsets Apache wrote are found whatever the order of the partition’s keys, and malformed keys are ignored', async (t) => {
  const topic = randomName('offsets')
  const store = newStore(topic, 3)
  await store.start()
  t.after(() => store.stop())
  await writeRaw(topic, [
    // Java's HashMap order for this partition map, and a big offset that only a long holds.
    { key: '["cdc",{"table":"orders","db":"inventory"}]', value: '{"lsn":9007199254740993}' },
    { key: '{"not":"a list"}', value: '{"x":1}' },
    { key: '["only-one"]', value: '{"x":1}' },
    { key: '[1,{"a":1}]', value: '{"x":1}' },
    { key: '["c",null]', value: '{"x":1}' },
    { key: 'not json', value: '{"x":1}' },
  ])
  await store.refresh(10000)
  assert.deepEqual(store.get('cdc', { db: 'inventory', table: 'orders' }), { lsn: 9007199254740993n })
  assert.deepEqual(store.partitions('cdc'), [{ table: 'orders', db: 'inventory' }])
  assert.deepEqual(store.partitions('only-one'), [])
  assert.deepEqual(store.partitions('c'), [])
})

test('a store’s own write is not undone by older records it has not read yet', async (t) => {
  const topic = randomName('offsets')
  const writer = newStore(topic, 1)
  await writer.start()
  t.after(() => writer.stop())
  for (let i = 0; i < 50; i++) await writer.set('s', [[{ p: 0 }, { n: i }]])
  const late = newStore(topic, 1)
  await late.start()
  t.after(() => late.stop())
  await late.set('s', [[{ p: 0 }, { n: 1000 }]])
  assert.deepEqual(late.get('s', { p: 0 }), { n: 1000 })
  await late.refresh(10000)
  assert.deepEqual(late.get('s', { p: 0 }), { n: 1000 })
  await writer.refresh(10000)
  assert.deepEqual(writer.get('s', { p: 0 }), { n: 1000 })
  assert.equal(offsetRecordKey('s', { p: 0 }).toString(), '["s",{"p":0}]')
})
