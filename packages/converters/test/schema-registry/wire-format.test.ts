import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DataException } from '@ferry/api'
import { frame, unframe } from '../../src/schema-registry/wire-format.ts'

test('frame puts magic byte 0 and the big-endian id before the payload, and unframe reads them back', () => {
  const bytes = frame(0x01020304, Buffer.from([9, 8, 7]))
  assert.deepEqual([...bytes], [0, 1, 2, 3, 4, 9, 8, 7])
  const { id, payload } = unframe(new Uint8Array(bytes))
  assert.equal(id, 0x01020304)
  assert.deepEqual([...payload], [9, 8, 7])
  assert.deepEqual([...unframe(frame(7, new Uint8Array())).payload], [])
})

test('bytes without the magic byte, or shorter than the header, are a DataException', () => {
  assert.throws(
    () => unframe(Buffer.from([1, 0, 0, 0, 1, 5])),
    (e: unknown) => e instanceof DataException && /Unknown magic byte/.test(e.message),
  )
  assert.throws(() => unframe(Buffer.from([0, 0, 1])), DataException)
})
