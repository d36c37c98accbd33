import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { KafkaAdmin } from '@ferry/runtime'
import { committedOffsets, randomName, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { testBootstrap } from '../../scripts/kafka/test-env.ts'

function lines(n: number, prefix = 'line'): string {
  let out = ''
  for (let i = 1; i <= n; i++) out += `${prefix} ${i} ${'x'.repeat(40)}\n`
  return out
}

async function countLines(path: string): Promise<number> {
  try {
    const text = await readFile(path, 'utf8')
    return text.length === 0 ? 0 : text.split('\n').length - 1
  } catch {
    return 0
  }
}

function workerProps(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'bootstrap.servers': testBootstrap(),
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'offset.storage.file.filename': join(dir, 'connect.offsets'),
    'offset.flush.interval.ms': '500',
    // A restarted sink rejoins its group at once instead of waiting for the killed member's session to expire.
    'consumer.session.timeout.ms': '6000',
    'consumer.heartbeat.interval.ms': '1000',
    ...extra,
  }
}

test('10,000 lines go from a file through Kafka to a file, unchanged and in order', async (t) => {
  const dir = await tempDir(t)
  const topic = randomName('pipeline')
  const input = join(dir, 'input.txt')
  const output = join(dir, 'output.txt')
  await writeFile(input, lines(10_000))
  const worker = await startStandalone(t, {
    dir,
    worker: workerProps(dir),
    connectors: [
      { name: randomName('src'), 'connector.class': 'FileStreamSource', file: input, topic },
      {
        name: randomName('sink'),
        'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
        file: output,
        topics: topic,
      },
    ],
  })
  await waitFor('10,000 lines in the sink file', async () => (await countLines(output)) >= 10_000, 90_000, 250)
  assert.equal(await worker.stop(), 0, 'a SIGTERM stops the worker cleanly with exit code 0')
  assert.equal(await readFile(output, 'utf8'), await readFile(input, 'utf8'))
  const offsets = await committedOffsets(join(dir, 'connect.offsets'))
  assert.deepEqual(
    offsets[0]?.offset,
    { position: Buffer.byteLength(lines(10_000)) },
    'the final source offset is committed at stop',
  )
})

test('after SIGKILL mid-stream the source resumes from its committed offset and the sink ends with every line', async (t) => {
  const dir = await tempDir(t)
  const topic = randomName('crash')
  const input = join(dir, 'input.txt')
  const output = join(dir, 'output.txt')
  const total = 200_000
  await writeFile(input, lines(total))
  const connectors: Array<Record<string, string>> = [
    { name: randomName('crash-src'), 'connector.class': 'FileStreamSource', file: input, topic, 'batch.size': '500' },
    { name: randomName('crash-sink'), 'connector.class': 'FileStreamSink', file: output, topics: topic },
  ]
  const admin = new KafkaAdmin({ bootstrapServers: [testBootstrap()], clientId: 'crash-test' })
  t.after(() => admin.close())

  const first = await startStandalone(t, { dir, worker: workerProps(dir), connectors, label: '-1' })
  // Kill once some offsets are committed but well before the end.
  await waitFor(
    'a committed source offset',
    async () => {
      const text = await readFile(join(dir, 'connect.offsets'), 'utf8').catch(() => '')
      return text.includes('"position"') && (await countLines(output)) > 1000
    },
    90_000,
    50,
  )
  await first.kill()
  // A produce request already on the wire may still land after the kill: let the broker settle before counting.
  await new Promise((r) => setTimeout(r, 1000))
  const committed = (await committedOffsets(join(dir, 'connect.offsets')))[0]?.offset?.position as number
  const committedLines = lines(total).slice(0, committed).split('\n').length - 1
  const producedBeforeCrash = await admin.recordCount(topic)
  assert.ok(committedLines < total, 'the crash happened mid-stream')
  assert.ok(producedBeforeCrash >= committedLines)

  await startStandalone(t, { dir, worker: workerProps(dir), connectors, label: '-2' })
  const expectedTotal = producedBeforeCrash + (total - committedLines)
  await waitFor('every line in the topic', async () => (await admin.recordCount(topic)) >= expectedTotal, 120_000, 250)
  await waitFor('every line in the sink file', async () => (await countLines(output)) >= total, 120_000, 250)
  // Let a straggler batch show up if the source re-read more than it should have.
  await new Promise((r) => setTimeout(r, 1500))
  const produced = await admin.recordCount(topic)
  const duplicates = produced - total
  t.diagnostic(
    `committed ${committedLines} lines before the crash, ${producedBeforeCrash} produced; ${duplicates} produced twice`,
  )
  assert.equal(
    produced,
    expectedTotal,
    'the source resumed exactly at its committed offset: duplicates are only the uncommitted tail',
  )
  assert.ok(duplicates < total / 2, 'the source did not start again from line 1')

  const sinkLines = (await readFile(output, 'utf8')).split('\n').filter(Boolean)
  const seen = new Set(sinkLines)
  const expected = lines(total).split('\n').filter(Boolean)
  const missing = expected.filter((l) => !seen.has(l))
  assert.equal(missing.length, 0, `no line is lost (missing e.g. ${missing[0]})`)
  t.diagnostic(`sink file: ${sinkLines.length} lines, ${sinkLines.length - total} delivered twice`)
})
