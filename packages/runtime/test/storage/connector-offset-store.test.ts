import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { OffsetMap } from '@ferry/api'
import { silentLogger } from '../../src/logger.ts'
import { ConnectorOffsetBackingStore } from '../../src/storage/connector-offset-store.ts'
import { MemoryOffsetBackingStore } from '../../src/storage/offset-store.ts'

/** A memory store that records each write and can be made to fail. */
class RecordingStore extends MemoryOffsetBackingStore {
  writes: Array<Array<[OffsetMap, OffsetMap | null]>> = []
  failing = false
  override async set(connector: string, entries: Array<[OffsetMap, OffsetMap | null]>): Promise<void> {
    if (this.failing) throw new Error('broker down')
    this.writes.push(entries)
    await super.set(connector, entries)
  }
}

const file = (name: string) => ({ filename: name })

function stores() {
  const worker = new RecordingStore()
  const connector = new RecordingStore()
  return { worker, connector, store: new ConnectorOffsetBackingStore(worker, connector, 'own', silentLogger()) }
}

test('a read takes the connector topic’s offset, and falls back to the worker topic’s', async () => {
  const { worker, connector, store } = stores()
  await worker.set('c', [
    [file('a'), { position: 1 }],
    [file('b'), { position: 2 }],
  ])
  await connector.set('c', [[file('a'), { position: 10 }]])
  assert.deepEqual(store.get('c', file('a')), { position: 10 })
  assert.deepEqual(store.get('c', file('b')), { position: 2 })
  assert.equal(store.get('c', file('z')), null)
  assert.deepEqual(
    store
      .partitions('c')
      .map((p) => p.filename)
      .sort(),
    ['a', 'b'],
  )
})

test('a write goes to the connector topic first, then its offsets to the worker topic', async () => {
  const { worker, connector, store } = stores()
  await store.set('c', [[file('a'), { position: 5 }]])
  assert.deepEqual(connector.writes, [[[file('a'), { position: 5 }]]])
  assert.deepEqual(worker.writes, [[[file('a'), { position: 5 }]]])
})

test('a failed write to the worker topic is only logged; a failed write to the connector topic fails', async () => {
  const { worker, connector, store } = stores()
  worker.failing = true
  await store.set('c', [[file('a'), { position: 5 }]])
  assert.deepEqual(connector.get('c', file('a')), { position: 5 })
  connector.failing = true
  worker.failing = false
  await assert.rejects(store.set('c', [[file('a'), { position: 6 }]]), /broker down/)
  assert.deepEqual(worker.writes, [], 'nothing reaches the worker topic when the connector topic refused')
})

test('tombstones go to the worker topic before the connector topic, so a reset offset is not read back (KAFKA-15018)', async () => {
  const { worker, connector, store } = stores()
  await store.set('c', [[file('a'), { position: 5 }]])
  worker.writes = []
  connector.writes = []
  await store.set('c', [
    [file('a'), null],
    [file('b'), { position: 1 }],
  ])
  assert.deepEqual(worker.writes, [[[file('a'), null]], [[file('b'), { position: 1 }]]])
  assert.deepEqual(connector.writes, [
    [
      [file('a'), null],
      [file('b'), { position: 1 }],
    ],
  ])
  assert.equal(store.get('c', file('a')), null)
})

test('a failed tombstone write to the worker topic fails the write before the connector topic is touched', async () => {
  const { worker, connector, store } = stores()
  worker.failing = true
  await assert.rejects(store.set('c', [[file('a'), null]]), /broker down/)
  assert.deepEqual(connector.writes, [])
})
