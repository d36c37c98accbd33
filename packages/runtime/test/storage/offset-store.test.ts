import assert from 'node:assert/strict'
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { isJavaSerialized, readSerializedByteArrayMap } from '../../src/storage/java-serialized-map.ts'
import { FileOffsetBackingStore, offsetKey } from '../../src/storage/offset-store.ts'

/** Written by Java's ObjectOutputStream as Apache's FileOffsetBackingStore writes it (a HashMap<byte[], byte[]>). */
const FIXTURE = join(import.meta.dirname, 'fixtures', 'apache-standalone.offsets')

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
  assert.ok(isJavaSerialized(await readFile(path)), 'the file is Java-serialised, as Apache writes it')
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

test('a file Apache’s standalone worker wrote is read: offsets by partition, a removed one gone', async (t) => {
  const path = join(await tempDir(t), 'connect.offsets')
  await copyFile(FIXTURE, path)
  const store = new FileOffsetBackingStore(path)
  await store.start()
  assert.deepEqual(store.get('src', { filename: '/tmp/in.txt' }), { position: 42 })
  assert.deepEqual(store.get('jdbc', { protocol: '1', table: 't' }), { incrementing: 8 })
  assert.equal(store.get('gone', { p: 1 }), null)
  assert.deepEqual(store.partitions('gone'), [])
})

test('the file is written in Apache’s format, keeping the key bytes read from Apache’s file', async (t) => {
  const path = join(await tempDir(t), 'connect.offsets')
  await copyFile(FIXTURE, path)
  const store = new FileOffsetBackingStore(path)
  await store.start()
  // The connector names the partition's keys in another order than Apache's HashMap wrote them.
  await store.set('jdbc', [[{ table: 't', protocol: '1' }, { incrementing: 9 }]])
  await store.set('new', [[{ b: 1, a: 2 }, { o: 1n }]])
  const written = await readFile(path)
  const entries = readSerializedByteArrayMap(written).map(([k, v]) => [String(k), v === null ? null : String(v)])
  assert.deepEqual(entries, [
    ['["jdbc",{"table":"t","protocol":"1"}]', '{"incrementing":9}'],
    ['["src",{"filename":"/tmp/in.txt"}]', '{"position":42}'],
    ['["new",{"b":1,"a":2}]', '{"o":1}'],
  ])
})

test('a file Ferry wrote as JSON before is read and rewritten in Apache’s format', async (t) => {
  const path = join(await tempDir(t), 'connect.offsets')
  await writeFile(
    path,
    JSON.stringify({ version: 1, offsets: [{ key: ['c', { filename: '/x' }], value: { position: 7 } }] }),
  )
  const store = new FileOffsetBackingStore(path)
  await store.start()
  assert.deepEqual(store.get('c', { filename: '/x' }), { position: 7 })
  await store.set('c', [[{ filename: '/y' }, { position: 1 }]])
  assert.ok(isJavaSerialized(await readFile(path)))
  const reread = new FileOffsetBackingStore(path)
  await reread.start()
  assert.deepEqual(reread.get('c', { filename: '/x' }), { position: 7 })
})

test('an empty file is an empty store; a file in neither format fails the start naming it', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'empty'), '')
  await new FileOffsetBackingStore(join(dir, 'empty')).start()
  await writeFile(join(dir, 'truncated'), (await readFile(FIXTURE)).subarray(0, 100))
  await assert.rejects(
    new FileOffsetBackingStore(join(dir, 'truncated')).start(),
    /truncated is not an offsets file Apache Connect or Ferry wrote: the stream ends early/,
  )
  await writeFile(join(dir, 'text'), 'hello')
  await assert.rejects(new FileOffsetBackingStore(join(dir, 'text')).start(), /text is not an offsets file/)
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
