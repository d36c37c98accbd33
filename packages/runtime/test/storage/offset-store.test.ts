import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { FileOffsetBackingStore, offsetKey } from '../../src/storage/offset-store.ts'

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-offsets-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('offset keys do not depend on the order of the partition’s keys', () => {
  assert.equal(offsetKey('c', { a: 1, b: 'x' }), offsetKey('c', { b: 'x', a: 1 }))
  assert.notEqual(offsetKey('c1', { a: 1 }), offsetKey('c2', { a: 1 }))
})

test('offsets written by one store are read back by a new one from the same file', async (t) => {
  const path = join(await tempDir(t), 'connect.offsets')
  const first = new FileOffsetBackingStore(path)
  await first.start()
  await first.set('file-source', [[{ filename: '/tmp/in.txt' }, { position: 42 }]])
  await first.set('other', [[{ table: 't' }, { id: 7 }]])
  const second = new FileOffsetBackingStore(path)
  await second.start()
  assert.deepEqual(second.get('file-source', { filename: '/tmp/in.txt' }), { position: 42 })
  assert.deepEqual(second.get('other', { table: 't' }), { id: 7 })
  assert.equal(second.get('file-source', { filename: '/other' }), null)
  assert.deepEqual(second.partitions('file-source'), [{ filename: '/tmp/in.txt' }])
  const json = JSON.parse(await readFile(path, 'utf8'))
  assert.equal(json.version, 1)
})

test('a null offset removes the partition', async (t) => {
  const path = join(await tempDir(t), 'connect.offsets')
  const store = new FileOffsetBackingStore(path)
  await store.start()
  await store.set('c', [[{ p: 1 }, { o: 1 }]])
  await store.set('c', [[{ p: 1 }, null]])
  const reread = new FileOffsetBackingStore(path)
  await reread.start()
  assert.equal(reread.get('c', { p: 1 }), null)
})

test('a file that is not Ferry JSON (e.g. Apache’s Java-serialised one) fails the start with a clear message', async (t) => {
  const path = join(await tempDir(t), 'connect.offsets')
  await writeFile(path, Buffer.from([0xac, 0xed, 0x00, 0x05, 0x73, 0x72]))
  await assert.rejects(new FileOffsetBackingStore(path).start(), /not a Ferry offsets file.*Java-serialised/)
})

test('concurrent writes all land', async (t) => {
  const path = join(await tempDir(t), 'connect.offsets')
  const store = new FileOffsetBackingStore(path)
  await store.start()
  await Promise.all(Array.from({ length: 20 }, (_, i) => store.set('c', [[{ p: i }, { o: i }]])))
  const reread = new FileOffsetBackingStore(path)
  await reread.start()
  assert.equal(reread.partitions('c').length, 20)
})
