import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MemoryStatusBackingStore, traceOf } from '../../src/storage/status-store.ts'
import { statusBackingStoreContract } from './status-store-contract.ts'

statusBackingStoreContract('memory', async () => new MemoryStatusBackingStore())

test('a failure’s trace is its stack with each cause appended', () => {
  const error = new Error('outer', { cause: new Error('inner', { cause: 'not an error' }) })
  const trace = traceOf(error)
  assert.ok(trace.startsWith('Error: outer\n'))
  assert.match(trace, /\nCaused by: Error: inner\n/)
  assert.doesNotMatch(trace, /not an error/)
})
