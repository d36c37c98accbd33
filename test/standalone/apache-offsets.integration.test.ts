/**
 * Moving between Apache Kafka Connect's standalone worker (4.4.0 from the Maven Central jars, started by
 * scripts/kafka/apache-connect.ts) and Ferry's on the same `offset.storage.file.filename`: each resumes where the
 * other stopped, in both directions, so no line is read twice or skipped.
 */
import assert from 'node:assert/strict'
import { appendFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { KafkaAdmin } from '@ferry/runtime'
import { committedOffsets, randomName, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { startApacheConnect } from '../../scripts/kafka/apache-connect.ts'
import { testBootstrap } from '../../scripts/kafka/test-env.ts'

test('a file source moves from Apache standalone to Ferry and back on the same offsets file without re-reading a line', async (t) => {
  const dir = await tempDir(t)
  const topic = randomName('switch')
  const input = join(dir, 'input.txt')
  const offsetsFile = join(dir, 'connect.offsets')
  const name = randomName('file-src')
  const worker = {
    'bootstrap.servers': testBootstrap(),
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'offset.storage.file.filename': offsetsFile,
    'offset.flush.interval.ms': '500',
  }
  const connector = { name, 'connector.class': 'FileStreamSource', file: input, topic }
  const admin = new KafkaAdmin({ bootstrapServers: [testBootstrap()], clientId: 'apache-offsets-test' })
  t.after(() => admin.close())
  const records = (n: number) => async () => (await admin.recordCount(topic).catch(() => 0)) >= n
  const position = async () => (await committedOffsets(offsetsFile)).find((o) => o.connector === name)?.offset?.position

  await writeFile(input, 'a1\na2\na3\n')
  const apache = await startApacheConnect({ mode: 'standalone', dir, worker, connectors: [connector] })
  t.after(() => apache.stop())
  await waitFor('Apache’s 3 lines in the topic', records(3), 120_000, 250)
  await waitFor('Apache’s offset in the file', async () => (await position()) === 9, 60_000, 250)
  await apache.stop()

  await appendFile(input, 'f4\nf5\n')
  const ferry = await startStandalone(t, { dir, worker, connectors: [connector] })
  await waitFor('Ferry’s 2 new lines in the topic', records(5), 90_000, 250)
  await waitFor('Ferry’s offset in the file', async () => (await position()) === 15, 60_000, 250)
  assert.equal(await ferry.stop(), 0, 'Ferry stopped cleanly')
  assert.equal(await admin.recordCount(topic), 5, `Ferry resumed after Apache’s lines: ${await ferry.log()}`)

  await appendFile(input, 'a6\n')
  const back = await startApacheConnect({ mode: 'standalone', dir, worker, connectors: [connector], label: '-back' })
  t.after(() => back.stop())
  await waitFor('Apache’s new line in the topic', records(6), 120_000, 250)
  await waitFor('Apache’s offset after the switch back', async () => (await position()) === 18, 60_000, 250)
  await back.stop()
  assert.equal(await admin.recordCount(topic), 6, `Apache resumed after Ferry’s lines: ${await back.log()}`)
})
