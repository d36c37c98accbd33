import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DataException } from '@ferry/api'
import { readMessageIndexes, writeMessageIndexes } from '../../src/protobuf/message-indexes.ts'

test('the first message is the single byte 0, others a zig-zag count and zig-zag indexes', () => {
  assert.deepEqual([...writeMessageIndexes([0])], [0])
  assert.deepEqual([...writeMessageIndexes([1])], [2, 2])
  assert.deepEqual([...writeMessageIndexes([0, 2])], [4, 0, 4])
  assert.deepEqual([...writeMessageIndexes([100])], [2, 0xc8, 0x01])
})

test('indexes read back with the offset of the message after them', () => {
  for (const indexes of [[0], [1], [0, 2], [3, 0, 70], [100]]) {
    const bytes = Buffer.concat([writeMessageIndexes(indexes), Buffer.from([0x08, 0x01])])
    const read = readMessageIndexes(bytes)
    assert.deepEqual(read.indexes, indexes)
    assert.deepEqual([...bytes.subarray(read.offset)], [0x08, 0x01])
  }
})

test('indexes cut short or negative are a DataException', () => {
  assert.throws(() => readMessageIndexes(Uint8Array.of(4, 0)), DataException)
  assert.throws(() => readMessageIndexes(Uint8Array.of(2, 1)), DataException)
  assert.throws(() => readMessageIndexes(Uint8Array.of()), DataException)
})
