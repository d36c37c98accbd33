import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { OffsetMap } from '@ferry/api'
import { FileStreamSourceConnector } from '../src/file-stream-source-connector.ts'

const props = { file: '/tmp/in.txt', topic: 't' }
const alter = (offsets: Array<[OffsetMap, OffsetMap | null]>, config: Record<string, string> = props) =>
  new FileStreamSourceConnector().alterOffsets(config, new Map(offsets))

test('offsets with a non-negative integer position for a filename partition, and tombstones, are accepted', () => {
  assert.equal(alter([[{ filename: '/tmp/in.txt' }, { position: 10 }]]), true)
  assert.equal(
    alter([
      [{ filename: '/old.txt' }, { position: 0 }],
      [{ garbage: 1 }, null],
    ]),
    true,
  )
})

test('offsets are refused with Apache’s messages when they cannot be a file position', () => {
  assert.throws(
    () => alter([[{ filename: 'f' }, { pos: 1 }]]),
    /Offset objects should either be null or contain the key 'position'/,
  )
  assert.throws(() => alter([[{ filename: 'f' }, { position: '1' }]]), /is expected to be a Long value/)
  assert.throws(() => alter([[{ filename: 'f' }, { position: 1.5 }]]), /is expected to be a Long value/)
  assert.throws(() => alter([[{ filename: 'f' }, { position: -1 }]]), /should be a non-negative value/)
  assert.throws(() => alter([[{ file: 'f' }, { position: 1 }]]), /Partition objects should contain the key 'filename'/)
})

test('offsets of a connector reading standard input cannot be modified', () => {
  assert.throws(
    () => alter([], { topic: 't' }),
    /Offsets cannot be modified if the 'file' configuration is unspecified/,
  )
})
