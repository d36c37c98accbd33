import assert from 'node:assert/strict'
import { appendFile, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { FileOffsetBackingStore, parseWorkerConfig, StandaloneHerder, silentLogger, Worker } from '@ferry/runtime'
import { builtinRegistry, freePort, randomName, runFerry, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { testBootstrap } from '../../scripts/kafka/test-env.ts'

const run = runFerry

async function writeConfigs(dir: string, connector: Record<string, string>): Promise<string[]> {
  const worker = join(dir, 'worker.properties')
  await writeFile(
    worker,
    `listeners=http://127.0.0.1:${await freePort()}\nbootstrap.servers=${testBootstrap()}\nkey.converter=StringConverter\nvalue.converter=StringConverter\noffset.storage.file.filename=${join(dir, 'offsets')}\n`,
  )
  const file = join(dir, 'connector.properties')
  await writeFile(
    file,
    Object.entries(connector)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  )
  return ['standalone', worker, file]
}

test('an unknown connector.class exits 2 with one line that names it and lists the known connectors', async (t) => {
  const dir = await tempDir(t)
  const args = await writeConfigs(dir, { name: 'x', 'connector.class': 'com.example.NoSuchConnector', topic: 't' })
  const { code, stderr } = await run(args, dir)
  assert.equal(code, 2)
  assert.equal(stderr.trim().split('\n').length, 1, `one line, got: ${stderr}`)
  assert.match(stderr, /com\.example\.NoSuchConnector/)
  assert.match(stderr, /org\.apache\.kafka\.connect\.file\.FileStreamSourceConnector/)
})

test('a missing required key exits 2 with an error naming the key', async (t) => {
  const dir = await tempDir(t)
  const args = await writeConfigs(dir, { name: 'x', 'connector.class': 'FileStreamSource', file: '/tmp/in.txt' })
  const { code, stderr } = await run(args, dir)
  assert.equal(code, 2)
  assert.match(stderr, /topic: Missing required configuration "topic" which has no default value\./)
})

test('a worker config without a converter names the missing key', async (t) => {
  const dir = await tempDir(t)
  const worker = join(dir, 'worker.properties')
  await writeFile(
    worker,
    `listeners=http://127.0.0.1:${await freePort()}\noffset.storage.file.filename=${join(dir, 'o')}\nvalue.converter=StringConverter\n`,
  )
  const { code, stderr } = await run(['standalone', worker], dir)
  assert.equal(code, 2)
  assert.match(stderr, /Missing required configuration "key.converter"/)
})

test('log.format: a value that is not a format exits 2 naming the key; pretty writes readable lines with the task context', async (t) => {
  const dir = await tempDir(t)
  const [, worker, connector] = await writeConfigs(dir, {
    name: 'x',
    'connector.class': 'FileStreamSource',
    topic: 't',
  })
  await appendFile(worker!, 'log.format=yaml\n')
  const refused = await run(['standalone', worker!, connector!], dir)
  assert.equal(refused.code, 2)
  assert.equal(
    refused.stderr.trim(),
    `ferry: ${worker}: Invalid value yaml for configuration log.format: String must be one of: json, pretty`,
  )

  const input = join(dir, 'in.txt')
  await writeFile(input, 'one\n')
  const name = randomName('pretty')
  const w = await startStandalone(t, {
    dir,
    worker: {
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'StringConverter',
      'value.converter': 'StringConverter',
      'offset.storage.file.filename': join(dir, 'offsets-pretty'),
      'log.format': 'pretty',
    },
    connectors: [{ name, 'connector.class': 'FileStreamSource', file: input, topic: randomName('t') }],
  })
  const line = new RegExp(`^\\[[\\d: .-]+\\] INFO: \\[${name}\\|task-0\\] Creating task ${name}-0$`, 'm')
  await waitFor('the pretty task line', async () => line.test(await w.log()), 60_000)
  assert.ok(!(await w.log()).includes('{"level"'), 'no JSON line')
})

test('an unreadable source file fails the task with a readable reason while the worker keeps running', async (t) => {
  const dir = await tempDir(t)
  const unreadable = join(dir, 'a-directory')
  await mkdir(unreadable)
  const config = parseWorkerConfig(
    {
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'StringConverter',
      'value.converter': 'StringConverter',
      'offset.storage.file.filename': join(dir, 'offsets'),
    },
    'standalone',
  )
  const worker = new Worker(
    config,
    await builtinRegistry(),
    new FileOffsetBackingStore(join(dir, 'offsets')),
    silentLogger(),
  )
  const herder = new StandaloneHerder(worker, 'test:8083', silentLogger())
  await herder.start()
  t.after(() => herder.stop())
  const name = randomName('unreadable')
  await herder.putConnectorConfig(
    name,
    { 'connector.class': 'FileStreamSource', file: unreadable, topic: randomName('t') },
    false,
  )
  const status = await waitFor('the task to fail', () => {
    const s = herder.connectorStatus(name)
    return s.tasks[0]?.state === 'FAILED' ? s : undefined
  })
  assert.equal(status.connector.state, 'RUNNING')
  assert.match(status.tasks[0]?.trace ?? '', /Error while reading from file .*a-directory: EISDIR/)
  // The worker still takes and runs connectors.
  const other = randomName('still-works')
  const input = join(dir, 'in.txt')
  await writeFile(input, 'hello\n')
  await herder.putConnectorConfig(
    other,
    { 'connector.class': 'FileStreamSource', file: input, topic: randomName('t') },
    false,
  )
  await waitFor('the other connector’s task to run', () => herder.connectorStatus(other).tasks[0]?.state === 'RUNNING')
})

test('an unreachable broker gives a clear log line and retries instead of hanging silently', async (t) => {
  const dir = await tempDir(t)
  // A port nobody listens on.
  const port = await freePort()
  const worker = await startStandalone(t, {
    dir,
    worker: {
      'bootstrap.servers': `127.0.0.1:${port}`,
      'key.converter': 'StringConverter',
      'value.converter': 'StringConverter',
      'offset.storage.file.filename': join(dir, 'offsets'),
    },
    connectors: [],
  })
  const pattern = new RegExp(`Cannot reach Kafka at bootstrap.servers=127.0.0.1:${port}.*retrying`, 'g')
  await waitFor(
    'two connection attempts in the log',
    async () => ((await worker.log()).match(pattern) ?? []).length >= 2,
    30_000,
    200,
  )
  assert.equal(await worker.stop(), 0)
})
