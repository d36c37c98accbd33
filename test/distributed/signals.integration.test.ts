import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { distributedWorkerProps, randomName, startDistributed, tempDir, waitFor } from '@ferry/testing'
import { KafkaBasedLog } from '../../packages/runtime/src/kafka/based-log.ts'
import { KafkaAdmin } from '../../packages/runtime/src/kafka/clients.ts'
import { testBootstrap } from '../../scripts/kafka/test-env.ts'

function lines(n: number): string {
  let out = ''
  for (let i = 1; i <= n; i++) out += `line ${i} ${'x'.repeat(40)}\n`
  return out
}

async function countLines(path: string): Promise<number> {
  const text = await readFile(path, 'utf8').catch(() => '')
  return text.length === 0 ? 0 : text.split('\n').length - 1
}

async function http(url: string, method = 'GET', body?: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: response.status, text: await response.text() }
}

/** The latest source offset of each partition in an offset topic, keyed by the record key (Apache's format). */
async function storedOffsets(topic: string): Promise<Map<string, unknown>> {
  const offsets = new Map<string, unknown>()
  const log = new KafkaBasedLog({
    bootstrapServers: testBootstrap().split(','),
    clientId: randomName('offset-reader'),
    topic,
    readOnly: true,
    onRecord: (r) => {
      const key = r.key?.toString('utf8') ?? ''
      if (r.value === null) offsets.delete(key)
      else offsets.set(key, JSON.parse(r.value.toString('utf8')))
    },
  })
  await log.start()
  await log.stop()
  return offsets
}

test('distributed: SIGTERM twice within milliseconds still commits the final offsets; a restarted worker neither re-delivers nor skips', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('sigterm')
  const topic = randomName('sigterm-lines')
  const input = join(dir, 'input.txt')
  const output = join(dir, 'output.txt')
  const total = 100_000
  await writeFile(input, lines(total))
  const source = randomName('sigterm-src')
  const sink = randomName('sigterm-sink')
  // No periodic commit: only the commit at stop records what was delivered.
  const worker = distributedWorkerProps(testBootstrap(), group, { 'offset.flush.interval.ms': '600000' })
  const admin = new KafkaAdmin({ bootstrapServers: testBootstrap().split(','), clientId: randomName('sigterm-admin') })
  t.after(() => admin.close())

  const first = await startDistributed(t, { dir, worker, label: '-1' })
  await waitFor('the worker healthy', async () => (await http(`${first.url}/health`)).status === 200, 60_000)
  for (const [name, config] of [
    [source, { 'connector.class': 'FileStreamSource', file: input, topic, 'batch.size': '500' }],
    [sink, { 'connector.class': 'FileStreamSink', file: output, topics: topic }],
  ] as const) {
    const created = await http(`${first.url}/connectors/${name}/config`, 'PUT', config)
    assert.equal(created.status, 201, created.text)
  }
  await waitFor('records through the sink', async () => (await countLines(output)) >= 1000, 90_000, 20)
  // Twice, the second once the first has arrived (a signal sent while the same one is pending is merged into it).
  first.child.kill('SIGTERM')
  await waitFor('the first SIGTERM to arrive', async () => /SIGTERM received/.test(await first.log()), 10_000, 1)
  first.child.kill('SIGTERM')
  assert.equal(await first.exited, 0, 'the worker stopped gracefully and exited 0')
  await waitFor('the repeated SIGTERM in the log', async () =>
    /SIGTERM again: still stopping gracefully/.test(await first.log()),
  )

  const offsets = await storedOffsets(`${group}-offsets`)
  const stored = offsets.get(JSON.stringify([source, { filename: input }])) as { position: number } | undefined
  assert.ok(stored, `the source offset is in the offset topic (${[...offsets.keys()].join(', ')})`)
  const committedLines = lines(total).slice(0, stored.position).split('\n').length - 1
  const produced = await admin.recordCount(topic)
  assert.equal(committedLines, produced, 'the committed source offset covers every record produced, and no more')
  const written = await countLines(output)
  const sinkCommitted = (await admin.consumerGroupOffsets(`connect-${sink}`)).reduce((n, o) => n + o.offset, 0)
  assert.equal(sinkCommitted, written, 'the sink committed every record it wrote')
  t.diagnostic(`stopped with ${produced} of ${total} lines produced and ${written} written`)

  // The connectors come back from the config topic.
  await startDistributed(t, { dir, worker, label: '-2' })
  await waitFor('every line in the sink file', async () => (await countLines(output)) >= total, 120_000, 250)
  // Let a straggler batch show up if a record was produced or delivered twice.
  await new Promise((r) => setTimeout(r, 1500))
  assert.equal(await admin.recordCount(topic), total, 'the source resumed exactly where it stopped')
  assert.equal(await readFile(output, 'utf8'), lines(total), 'every line reached the sink once, in order')
})
