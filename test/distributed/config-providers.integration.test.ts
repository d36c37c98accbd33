// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests write provider references, ${provider:path:key}, literally
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { distributedWorkerProps, randomName, startDistributed, tempDir, waitFor } from '@ferry/testing'
import { KafkaBasedLog } from '../../packages/runtime/src/kafka/based-log.ts'
import { KafkaAdmin, KafkaProducer } from '../../packages/runtime/src/kafka/clients.ts'
import { testBootstrap } from '../../scripts/kafka/test-env.ts'

async function http(url: string, method = 'GET', body?: unknown): Promise<{ status: number; text: string; json: any }> {
  const response = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, text, json: text ? JSON.parse(text) : null }
}

/** Every record of a topic as raw text (key and value), read from the start. */
async function rawRecords(topic: string): Promise<string[]> {
  const records: string[] = []
  const log = new KafkaBasedLog({
    bootstrapServers: testBootstrap().split(','),
    clientId: randomName('config-reader'),
    topic,
    readOnly: true,
    onRecord: (r) => records.push(`${r.key?.toString('utf8') ?? ''} ${r.value?.toString('utf8') ?? ''}`),
  })
  await log.start()
  await log.stop()
  return records
}

test('distributed: the config topic holds references only, connector and task configs alike, while the sink writes to the resolved path', async (t) => {
  const dir = await tempDir(t)
  const secret = `fake-secret-${randomUUID()}`
  const secrets = join(dir, 'secrets.properties')
  await writeFile(secrets, `token=${secret}\n`)
  const out = join(dir, 'out.txt')
  const ref = `\${file:${secrets}:token}`
  const group = randomName('providers')
  const topic = randomName('providers-in')
  // The sink's consumer group (connect-<name>) lives on the broker other tests share: a name of its own.
  const sink = randomName('sink')
  const bootstrap = testBootstrap().split(',')
  const admin = new KafkaAdmin({ bootstrapServers: bootstrap, clientId: randomName('admin') })
  t.after(() => admin.close())
  await admin.createTopic(topic, 1, 1)

  const worker = await startDistributed(t, {
    dir,
    env: { FERRY_TEST_OUT: out },
    worker: distributedWorkerProps(testBootstrap(), group, {
      'config.providers': 'file,env',
      'config.providers.file.class': 'FileConfigProvider',
      'config.providers.file.param.allowed.paths': dir,
      'config.providers.env.class': 'org.apache.kafka.common.config.provider.EnvVarConfigProvider',
    }),
  })
  await waitFor('the worker healthy', async () => (await http(`${worker.url}/health`)).status === 200, 60_000)
  const created = await http(`${worker.url}/connectors`, 'POST', {
    name: sink,
    config: {
      'connector.class': 'FileStreamSink',
      topics: topic,
      file: '${env:FERRY_TEST_OUT}',
      'connection.token': ref,
      'tasks.max': '2',
    },
  })
  assert.equal(created.status, 201, created.text)

  const producer = new KafkaProducer({ bootstrapServers: bootstrap, clientId: randomName('producer') })
  t.after(() => producer.close())
  await producer.send(['a', 'b', 'c'].map((v) => ({ topic, key: null, value: Buffer.from(v) })))
  await waitFor(
    'three lines at the resolved path',
    async () => (await readFile(out, 'utf8').catch(() => '')).split('\n').filter(Boolean).length >= 3,
    90_000,
    200,
  )

  const config = await http(`${worker.url}/connectors/${sink}/config`)
  assert.equal(config.json.file, '${env:FERRY_TEST_OUT}')
  assert.equal(config.json['connection.token'], ref)
  const tasks = await http(`${worker.url}/connectors/${sink}/tasks`)
  assert.equal(tasks.json.length, 2)
  for (const task of tasks.json) assert.equal(task.config.file, '${env:FERRY_TEST_OUT}')

  const records = await rawRecords(`${group}-configs`)
  const taskRecords = records.filter((r) => r.startsWith(`task-${sink}-`))
  assert.equal(taskRecords.length, 2, records.join('\n'))
  for (const r of taskRecords) assert.ok(r.includes('"file":"${env:FERRY_TEST_OUT}"'), r)
  assert.ok(records.some((r) => r.startsWith(`connector-${sink} `) && r.includes(ref)))
  for (const r of records) {
    assert.ok(!r.includes(secret), `no secret in the config topic: ${r}`)
    assert.ok(!r.includes(out), `no resolved path in the config topic: ${r}`)
  }

  assert.equal(await worker.stop(), 0)
  assert.ok(!(await worker.log()).includes(secret), 'no log line holds the secret')
})
