import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Schema, SourceRecord } from '@ferry/api'
import { WorkerTransactionContext } from '../../src/worker/worker-transaction-context.ts'

const record = (n: number) => new SourceRecord({ p: 'a' }, { n }, 't', 2, null, null, Schema.STRING_SCHEMA, `v${n}`)

test('a record-level request is answered once, for that record only', () => {
  const context = new WorkerTransactionContext()
  const [a, b] = [record(1), record(2)]
  context.commitTransaction(a)
  context.abortTransaction(b)
  assert.equal(context.shouldCommitOn(b), false)
  assert.equal(context.shouldAbortOn(b), true)
  assert.equal(context.shouldAbortOn(b), false, 'answered once')
  assert.equal(context.shouldCommitOn(a), true)
  assert.equal(context.shouldCommitOn(a), false)
})

test('a batch-level request is answered once', () => {
  const context = new WorkerTransactionContext()
  context.commitTransaction()
  assert.equal(context.shouldAbortBatch(), false)
  assert.equal(context.shouldCommitBatch(), true)
  assert.equal(context.shouldCommitBatch(), false)
  context.abortTransaction()
  assert.equal(context.shouldAbortBatch(), true)
})

test('both a commit and an abort for one point is an error with Apache’s message', () => {
  const context = new WorkerTransactionContext()
  const a = record(1)
  context.commitTransaction(a)
  context.abortTransaction(a)
  assert.throws(() => context.shouldCommitOn(a), {
    message: 'Connector requested both commit and abort of same record against topic/partition t/2',
  })
  context.commitTransaction()
  context.abortTransaction()
  assert.throws(() => context.shouldCommitBatch(), {
    message: 'Connector requested both commit and abort of same transaction',
  })
})
