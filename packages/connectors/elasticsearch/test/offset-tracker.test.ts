import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SinkRecord } from '@ferry/api'
import { AsyncOffsetTracker } from '../src/offset-tracker.ts'

const rec = (partition: number, offset: number) => new SinkRecord('t', partition, null, null, null, {}, offset)

test('the committable offset stops before the first record the cluster has not acknowledged', () => {
  const tracker = new AsyncOffsetTracker()
  const states = [0, 1, 2, 3].map((o) => tracker.addPendingRecord(rec(0, o)))
  states[0]!.processed = true
  states[2]!.processed = true
  tracker.updateOffsets()
  assert.deepEqual([...tracker.offsets().values()], [{ topic: 't', partition: 0, offset: 1 }])
  assert.equal(tracker.numEntries, 3)
  states[1]!.processed = true
  tracker.updateOffsets()
  assert.deepEqual([...tracker.offsets().values()], [{ topic: 't', partition: 0, offset: 3 }])
  assert.equal(tracker.numEntries, 1)
})

test('partitions are tracked apart, by their original coordinates, and closing one forgets it', () => {
  const tracker = new AsyncOffsetTracker()
  const renamed = new SinkRecord('renamed', 1, null, null, null, {}, 5, null, 'NoTimestampType', null, 't', 1, 5)
  tracker.addPendingRecord(rec(0, 0)).processed = true
  tracker.addPendingRecord(renamed).processed = true
  tracker.updateOffsets()
  assert.deepEqual([...tracker.offsets().entries()].sort(), [
    ['t:0', { topic: 't', partition: 0, offset: 1 }],
    ['t:1', { topic: 't', partition: 1, offset: 6 }],
  ])
  tracker.closePartitions([{ topic: 't', partition: 1 }])
  assert.deepEqual([...tracker.offsets().keys()], ['t:0'])
})

test('a redelivered record below the committable offset is not tracked again', () => {
  const tracker = new AsyncOffsetTracker()
  tracker.addPendingRecord(rec(0, 0)).processed = true
  tracker.updateOffsets()
  tracker.addPendingRecord(rec(0, 0))
  assert.equal(tracker.numEntries, 0)
})

test('a partition closed and then assigned again is tracked afresh from its next record', () => {
  const tracker = new AsyncOffsetTracker()
  tracker.addPendingRecord(rec(0, 7)).processed = true
  tracker.updateOffsets()
  tracker.closePartitions([{ topic: 't', partition: 0 }])
  const again = tracker.addPendingRecord(rec(0, 3))
  assert.equal(tracker.numEntries, 1)
  again.processed = true
  tracker.updateOffsets()
  assert.deepEqual([...tracker.offsets().values()], [{ topic: 't', partition: 0, offset: 4 }])
})
