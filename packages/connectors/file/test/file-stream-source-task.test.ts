import assert from 'node:assert/strict'
import { mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { FileStreamSourceTask } from '../src/file-stream-source-task.ts'

/** How many of this process's descriptors are open on `path` (Linux: /proc/self/fd). */
async function handlesOn(path: string): Promise<number> {
  let n = 0
  for (const fd of await readdir('/proc/self/fd')) {
    if ((await readlink(`/proc/self/fd/${fd}`).catch(() => '')) === path) n++
  }
  return n
}

async function startedTask(t: { after(fn: () => unknown): void }, lines: string) {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-file-source-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'input.txt')
  await writeFile(file, lines)
  const task = new FileStreamSourceTask()
  const props = { file, topic: 't' }
  task.initialize({
    configs: () => props,
    offsetStorageReader: () => ({ offset: () => null, offsets: () => new Map() }),
  })
  await task.start(props)
  return { task, file }
}

test('a file source stopped while it opens its file closes the file as soon as the open returns', async (t) => {
  const { task, file } = await startedTask(t, 'a\nb\n')
  const polled = task.poll()
  // stop() comes while poll waits for open(): the handle does not exist yet, so stop has nothing to close.
  await task.stop()
  assert.equal(await polled, null, 'a poll that was stopped returns no records')
  assert.equal(await handlesOn(file), 0, 'no handle on the file is left open')
})

test('a file source stopped while it reads closes its file, and the read in progress completes first', async (t) => {
  // 100-byte lines: a batch of 2000 takes several 64 KiB reads.
  const { task, file } = await startedTask(t, `${'x'.repeat(99)}\n`.repeat(10_000))
  assert.equal((await task.poll())?.length, 2000)
  assert.equal(await handlesOn(file), 1)
  const polled = task.poll()
  await task.stop()
  const records = await polled
  assert.ok(records === null || records.length <= 2000, 'the last poll returns what it had read, or nothing')
  assert.equal(await handlesOn(file), 0, 'no handle on the file is left open')
})
