import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConnectException } from '@ferry/api'
import { MemoryConfigBackingStore } from '../../src/storage/config-store.ts'
import { configBackingStoreContract } from './config-store-contract.ts'

configBackingStoreContract('memory', async () => new MemoryConfigBackingStore())

test('the memory config store refuses task configs and target states for a connector it does not have', async () => {
  const store = new MemoryConfigBackingStore()
  await assert.rejects(store.putTaskConfigs('missing', [{}]), ConnectException)
  await assert.rejects(store.putTargetState('missing', 'PAUSED'), ConnectException)
  assert.deepEqual(store.snapshot().connectors(), [])
})
