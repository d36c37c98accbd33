/**
 * A source connector's own offsets topic (`offsets.storage.topic`, Apache's ConnectorOffsetBackingStore) on a real
 * worker and broker: the topic is created, the offsets are written there and copied to the worker's topic, the REST
 * offsets API reads them, and a reset removes them from both topics.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { distributedWorkerProps, randomName, startDistributed, tempDir, waitFor } from '@ferry/testing'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import { KafkaOffsetBackingStore } from '../../src/storage/kafka-offset-store.ts'

async function http(url: string, method = 'GET', body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : null }
}

/** The offset a topic holds for the connector's file partition (null when none). */
async function storedOffset(topic: string, connector: string, file: string): Promise<unknown> {
  const store = new KafkaOffsetBackingStore({
    bootstrapServers: testBootstrap().split(','),
    clientId: randomName('offsets-reader'),
    topic,
  })
  await store.start()
  try {
    return store.get(connector, { filename: file })
  } finally {
    await store.stop()
  }
}

test('offsets.storage.topic: the connector’s offsets go to its own topic and to the worker’s, REST reads and resets them', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('own-offsets')
  const own = randomName('own-offsets-topic')
  const file = join(dir, 'in.txt')
  const connector = randomName('src')
  const text = 'one\ntwo\nthree\n'
  await writeFile(file, text)
  const worker = await startDistributed(t, { dir, worker: distributedWorkerProps(testBootstrap(), group) })
  await waitFor('worker healthy', async () => (await http(`${worker.url}/health`)).status === 200, 60_000)
  const created = await http(`${worker.url}/connectors`, 'POST', {
    name: connector,
    config: {
      'connector.class': 'FileStreamSource',
      file,
      topic: randomName('own-offsets-lines'),
      'offsets.storage.topic': own,
    },
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const position = Buffer.byteLength(text)
  await waitFor(
    'the offset in the connector topic',
    async () => ((await storedOffset(own, connector, file)) as { position?: number } | null)?.position === position,
    60_000,
    500,
  )
  assert.deepEqual(await storedOffset(`${group}-offsets`, connector, file), { position })
  const offsets = await http(`${worker.url}/connectors/${connector}/offsets`)
  assert.deepEqual(offsets.body, { offsets: [{ partition: { filename: file }, offset: { position } }] })

  assert.equal((await http(`${worker.url}/connectors/${connector}/stop`, 'PUT')).status, 204)
  await waitFor(
    'the connector stopped',
    async () => (await http(`${worker.url}/connectors/${connector}/status`)).body?.connector?.state === 'STOPPED',
    60_000,
    500,
  )
  const reset = await http(`${worker.url}/connectors/${connector}/offsets`, 'DELETE')
  assert.equal(reset.status, 200, JSON.stringify(reset.body))
  assert.equal(await storedOffset(own, connector, file), null)
  assert.equal(await storedOffset(`${group}-offsets`, connector, file), null, 'no fallback left behind (KAFKA-15018)')
  assert.deepEqual((await http(`${worker.url}/connectors/${connector}/offsets`)).body, { offsets: [] })
})
