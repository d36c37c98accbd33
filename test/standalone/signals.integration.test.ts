import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { KafkaAdmin } from '@ferry/runtime'
import { committedOffsets, randomName, startStandalone, tempDir, waitFor } from '@ferry/testing'
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

test('SIGTERM twice within milliseconds still commits the final offsets: a restarted worker neither re-delivers nor skips', async (t) => {
  const dir = await tempDir(t)
  const topic = randomName('sigterm')
  const input = join(dir, 'input.txt')
  const output = join(dir, 'output.txt')
  const total = 100_000
  await writeFile(input, lines(total))
  const sink = randomName('sigterm-sink')
  const connectors: Array<Record<string, string>> = [
    { name: randomName('sigterm-src'), 'connector.class': 'FileStreamSource', file: input, topic, 'batch.size': '500' },
    { name: sink, 'connector.class': 'FileStreamSink', file: output, topics: topic },
  ]
  const worker = {
    'bootstrap.servers': testBootstrap(),
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'offset.storage.file.filename': join(dir, 'connect.offsets'),
    // No periodic commit: only the commit at stop records what was delivered.
    'offset.flush.interval.ms': '600000',
    'consumer.session.timeout.ms': '6000',
    'consumer.heartbeat.interval.ms': '1000',
  }
  const admin = new KafkaAdmin({ bootstrapServers: [testBootstrap()], clientId: randomName('sigterm-admin') })
  t.after(() => admin.close())

  const first = await startStandalone(t, { dir, worker, connectors, label: '-1' })
  await waitFor('records through the sink', async () => (await countLines(output)) >= 1000, 90_000, 20)
  // Twice, as a process-group kill through a wrapper or `timeout` delivers it. The second goes once the first has
  // arrived (a signal sent while the same one is still pending is merged into it by the kernel).
  first.child.kill('SIGTERM')
  await waitFor('the first SIGTERM to arrive', async () => /SIGTERM received/.test(await first.log()), 10_000, 1)
  first.child.kill('SIGTERM')
  assert.equal(await first.exited, 0, 'the worker stopped gracefully and exited 0')
  await waitFor('the repeated SIGTERM in the log', async () =>
    /SIGTERM again: still stopping gracefully/.test(await first.log()),
  )

  const committed = (await committedOffsets(join(dir, 'connect.offsets')))[0]?.offset?.position as number
  const committedLines = lines(total).slice(0, committed).split('\n').length - 1
  const produced = await admin.recordCount(topic)
  assert.equal(committedLines, produced, 'the committed source offset covers every record produced, and no more')
  const written = await countLines(output)
  const sinkCommitted = (await admin.consumerGroupOffsets(`connect-${sink}`)).reduce((n, o) => n + o.offset, 0)
  assert.equal(sinkCommitted, written, 'the sink committed every record it wrote')
  t.diagnostic(`stopped with ${produced} of ${total} lines produced and ${written} written`)

  await startStandalone(t, { dir, worker, connectors, label: '-2' })
  await waitFor('every line in the sink file', async () => (await countLines(output)) >= total, 120_000, 250)
  // Let a straggler batch show up if a record was produced or delivered twice.
  await new Promise((r) => setTimeout(r, 1500))
  assert.equal(await admin.recordCount(topic), total, 'the source resumed exactly where it stopped')
  assert.equal(await readFile(output, 'utf8'), lines(total), 'every line reached the sink once, in order')
})
