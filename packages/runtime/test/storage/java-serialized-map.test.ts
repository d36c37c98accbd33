import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { readSerializedByteArrayMap, writeSerializedByteArrayMap } from '../../src/storage/java-serialized-map.ts'

/** Written by Java 17's ObjectOutputStream: a HashMap<byte[], byte[]> of three entries, one value null. */
const FIXTURE = join(import.meta.dirname, 'fixtures', 'apache-standalone.offsets')

test('a map written by Java is read, and written back byte for byte as Java wrote it', async () => {
  const bytes = await readFile(FIXTURE)
  const entries = readSerializedByteArrayMap(bytes)
  assert.deepEqual(
    entries.map(([k, v]) => [String(k), v === null ? null : String(v)]),
    [
      ['["jdbc",{"table":"t","protocol":"1"}]', '{"incrementing":8}'],
      ['["gone",{"p":1}]', null],
      ['["src",{"filename":"/tmp/in.txt"}]', '{"position":42}'],
    ],
  )
  assert.deepEqual(writeSerializedByteArrayMap(entries.map(([k, v]) => [k!, v])), bytes)
})

test('maps of any size are read back as written (the table grows past 12 entries)', () => {
  for (const n of [0, 1, 12, 13, 100]) {
    const entries: Array<[Buffer, Buffer | null]> = Array.from({ length: n }, (_, i) => [
      Buffer.from(`["c",{"p":${i}}]`),
      i % 7 === 3 ? null : Buffer.from('é'.repeat(i)),
    ])
    assert.deepEqual(readSerializedByteArrayMap(writeSerializedByteArrayMap(entries)), entries)
  }
})

test('a stream that is not such a map is refused saying what was found', () => {
  const string = Buffer.from([0xac, 0xed, 0x00, 0x05, 0x74, 0x00, 0x01, 0x61])
  assert.throws(() => readSerializedByteArrayMap(string), /expected a java\.util\.HashMap/)
  assert.throws(() => readSerializedByteArrayMap(Buffer.from([0xac, 0xed, 0x00, 0x04])), /not version 5/)
  const valid = writeSerializedByteArrayMap([[Buffer.from('k'), Buffer.from('v')]])
  assert.throws(() => readSerializedByteArrayMap(valid.subarray(0, valid.length - 3)), /the stream ends early/)
})
