import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { type TestContext, test } from 'node:test'
import { builtinRegistry, randomName, tempDir, waitFor } from '@ferry/testing'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import { parseWorkerConfig } from '../../src/config/worker-config.ts'
import { StandaloneHerder } from '../../src/herder/standalone/standalone-herder.ts'
import { type IncomingRecord, KafkaAdmin, KafkaConsumer, KafkaProducer } from '../../src/kafka/clients.ts'
import { createLogger, silentLogger } from '../../src/logger.ts'
import { FileOffsetBackingStore } from '../../src/storage/offset-store.ts'
import { Worker } from '../../src/worker/worker.ts'

/** The worker's log lines, for assertions. */
const logLines: string[] = []
const workerLog = createLogger({
  level: 'warn',
  destination: new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean))
      done()
    },
  }),
})

async function startHerder(t: TestContext, dir: string): Promise<StandaloneHerder> {
  const config = parseWorkerConfig(
    {
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'offset.storage.file.filename': join(dir, 'offsets'),
      'offset.flush.interval.ms': '300',
    },
    'standalone',
  )
  const worker = new Worker(
    config,
    await builtinRegistry(),
    new FileOffsetBackingStore(join(dir, 'offsets')),
    workerLog,
  )
  const herder = new StandaloneHerder(worker, 'test:8083', silentLogger())
  await herder.start()
  t.after(() => herder.stop())
  return herder
}

async function produce(
  topic: string,
  records: Array<{ key: string; value: string; headers?: Array<[string, string]> }>,
) {
  const producer = new KafkaProducer({ bootstrapServers: testBootstrap().split(','), clientId: randomName('test') })
  try {
    await producer.send(
      records.map((r) => ({
        topic,
        partition: 0,
        key: Buffer.from(r.key),
        value: Buffer.from(r.value),
        timestamp: 1700000000000,
        headers: r.headers?.map(([k, v]) => [k, Buffer.from(v)] as [string, Buffer]),
      })),
    )
  } finally {
    await producer.close()
  }
}

/** Reads `count` records from the start of a topic. */
async function consume(topic: string, count: number): Promise<IncomingRecord[]> {
  const consumer = new KafkaConsumer({
    bootstrapServers: testBootstrap().split(','),
    clientId: randomName('test'),
    groupId: randomName('reader'),
  })
  try {
    await consumer.subscribe([topic])
    const out: IncomingRecord[] = []
    await waitFor(`${count} records in ${topic}`, async () => {
      out.push(...(await consumer.poll(100, 200)))
      return out.length >= count
    })
    return out
  } finally {
    await consumer.close()
  }
}

const headerText = (r: IncomingRecord) => Object.fromEntries(r.headers.map(([k, v]) => [k, v?.toString('utf8')]))

async function readLines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8').catch(() => '')).split('\n').filter(Boolean)
}

test('a sink with errors.tolerance=all writes malformed JSON to the DLQ with Apache’s headers and the original bytes, and the good records to the file', async (t) => {
  const dir = await tempDir(t)
  const herder = await startHerder(t, dir)
  const topic = randomName('json')
  const dlq = randomName('dlq')
  const output = join(dir, 'out.txt')
  await produce(topic, [
    { key: 'k0', value: '{"n":0}' },
    { key: 'k1', value: '{not json', headers: [['origin', 'test']] },
    { key: 'k2', value: '{"n":2}' },
    { key: 'k3', value: 'also bad' },
    { key: 'k4', value: '{"n":4}' },
  ])
  const name = randomName('sink')
  await herder.putConnectorConfig(
    name,
    {
      'connector.class': 'FileStreamSink',
      topics: topic,
      file: output,
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
      'errors.tolerance': 'all',
      'errors.log.enable': 'true',
      'errors.deadletterqueue.topic.name': dlq,
      'errors.deadletterqueue.context.headers.enable': 'true',
      // The test broker has one node: Ferry creates the topic with replication factor 1.
    },
    false,
  )
  await waitFor('the good records in the file', async () => (await readLines(output)).length >= 3)
  assert.ok(
    logLines.some((l) => l.includes(`Created the dead letter queue topic ${dlq} with replication factor 1`)),
    'the replication factor was lowered to the one broker, and the log says so',
  )
  assert.deepEqual(await readLines(output), ['{n=0}', '{n=2}', '{n=4}'])
  const dead = await consume(dlq, 2)
  assert.deepEqual(
    dead.map((r) => [r.key?.toString(), r.value?.toString()]),
    [
      ['k1', '{not json'],
      ['k3', 'also bad'],
    ],
  )
  assert.equal(dead[0]?.timestamp, 1700000000000)
  const h = headerText(dead[0]!)
  assert.deepEqual(
    dead[0]!.headers.map(([k]) => k),
    [
      'origin',
      '__connect.errors.topic',
      '__connect.errors.partition',
      '__connect.errors.offset',
      '__connect.errors.connector.name',
      '__connect.errors.task.id',
      '__connect.errors.stage',
      '__connect.errors.class.name',
      '__connect.errors.exception.class.name',
      '__connect.errors.exception.message',
      '__connect.errors.exception.stacktrace',
    ],
  )
  assert.equal(h.origin, 'test')
  assert.equal(h['__connect.errors.topic'], topic)
  assert.equal(h['__connect.errors.partition'], '0')
  assert.equal(h['__connect.errors.offset'], '1')
  assert.equal(headerText(dead[1]!)['__connect.errors.offset'], '3')
  assert.equal(h['__connect.errors.connector.name'], name)
  assert.equal(h['__connect.errors.task.id'], '0')
  assert.equal(h['__connect.errors.stage'], 'VALUE_CONVERTER')
  assert.equal(h['__connect.errors.class.name'], 'org.apache.kafka.connect.json.JsonConverter')
  assert.equal(h['__connect.errors.exception.class.name'], 'org.apache.kafka.connect.errors.DataException')
  assert.match(
    h['__connect.errors.exception.message']!,
    /^Converting byte\[\] to Kafka Connect data failed due to serialization error/,
  )
  assert.match(h['__connect.errors.exception.stacktrace']!, /^org\.apache\.kafka\.connect\.errors\.DataException: /)
  assert.equal(herder.connectorStatus(name).tasks[0]?.state, 'RUNNING')
  // The pipeline keeps going, and the consumed offsets were committed past the bad records.
  await produce(topic, [{ key: 'k5', value: '{"n":5}' }])
  await waitFor('the next record', async () => (await readLines(output)).length >= 4)
  await waitFor('committed offsets', async () => {
    const offsets = await herder.connectorOffsets(name)
    return offsets.offsets[0]?.offset?.kafka_offset === 6
  })
})

test('a sink with errors.tolerance=none fails on malformed JSON; the trace names the stage and class', async (t) => {
  const dir = await tempDir(t)
  const herder = await startHerder(t, dir)
  const topic = randomName('json')
  await produce(topic, [
    { key: 'k0', value: '{"n":0}' },
    { key: 'k1', value: '{not json' },
  ])
  const name = randomName('sink')
  await herder.putConnectorConfig(
    name,
    {
      'connector.class': 'FileStreamSink',
      topics: topic,
      file: join(dir, 'out.txt'),
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
    },
    false,
  )
  const task = await waitFor('the task to fail', () => {
    const s = herder.connectorStatus(name).tasks[0]
    return s?.state === 'FAILED' ? s : undefined
  })
  assert.match(task.trace ?? '', /^ConnectException: Tolerance exceeded in error handler\n/)
  assert.match(
    task.trace ?? '',
    /Executing stage 'VALUE_CONVERTER' with class 'org\.apache\.kafka\.connect\.json\.JsonConverter'/,
  )
  assert.match(task.trace ?? '', /Caused by: DataException: Converting byte\[\] to Kafka Connect data failed/)
  assert.equal(herder.connectorStatus(name).connector.state, 'RUNNING')
})

test('a source whose records fail a Cast sends them to the DLQ with their source partition and offset, the others to the topic, and commits past them', async (t) => {
  const dir = await tempDir(t)
  const herder = await startHerder(t, dir)
  const topic = randomName('numbers')
  const dlq = randomName('dlq')
  const input = join(dir, 'in.txt')
  const text = '1\n2\nthree\n4\nfive\n6\n'
  await writeFile(input, text)
  const name = randomName('src')
  await herder.putConnectorConfig(
    name,
    {
      'connector.class': 'FileStreamSource',
      file: input,
      topic,
      transforms: 'cast',
      'transforms.cast.type': 'org.apache.kafka.connect.transforms.Cast$Value',
      'transforms.cast.spec': 'int32',
      'errors.tolerance': 'all',
      'errors.deadletterqueue.topic.name': dlq,
      'errors.deadletterqueue.context.headers.enable': 'true',
    },
    false,
  )
  const good = await consume(topic, 4)
  assert.deepEqual(
    good.map((r) => r.value?.toString()),
    ['1', '2', '4', '6'],
  )
  const dead = await consume(dlq, 2)
  assert.deepEqual(
    dead.map((r) => r.value?.toString()),
    ['three', 'five'],
  )
  const h = headerText(dead[0]!)
  assert.equal(h['__connect.errors.topic'], topic)
  assert.equal(h['__connect.errors.connector.name'], name)
  assert.equal(h['__connect.errors.task.id'], '0')
  assert.equal(h['__connect.errors.stage'], 'TRANSFORMATION')
  assert.equal(h['__connect.errors.class.name'], 'org.apache.kafka.connect.transforms.Cast$Value')
  assert.equal(h['__connect.errors.exception.class.name'], 'org.apache.kafka.connect.errors.DataException')
  assert.ok(h['__connect.errors.exception.message'])
  assert.ok(h['__connect.errors.exception.stacktrace'])
  assert.deepEqual(JSON.parse(h['__connect.errors.source.partition']!), { filename: input })
  assert.deepEqual(JSON.parse(h['__connect.errors.source.offset']!), { position: '1\n2\nthree\n'.length })
  assert.deepEqual(JSON.parse(headerText(dead[1]!)['__connect.errors.source.offset']!), {
    position: '1\n2\nthree\n4\nfive\n'.length,
  })
  await waitFor('the offset committed past every line', async () => {
    const offsets = await herder.connectorOffsets(name)
    return offsets.offsets[0]?.offset?.position === Buffer.byteLength(text)
  })
  assert.equal(herder.connectorStatus(name).tasks[0]?.state, 'RUNNING')
})

test('a source whose records fail a Cast, without tolerance, fails the task', async (t) => {
  const dir = await tempDir(t)
  const herder = await startHerder(t, dir)
  const input = join(dir, 'in.txt')
  await writeFile(input, '1\nthree\n')
  const name = randomName('src')
  await herder.putConnectorConfig(
    name,
    {
      'connector.class': 'FileStreamSource',
      file: input,
      topic: randomName('numbers'),
      transforms: 'cast',
      'transforms.cast.type': 'org.apache.kafka.connect.transforms.Cast$Value',
      'transforms.cast.spec': 'int32',
    },
    false,
  )
  const task = await waitFor('the task to fail', () => {
    const s = herder.connectorStatus(name).tasks[0]
    return s?.state === 'FAILED' ? s : undefined
  })
  assert.match(task.trace ?? '', /Tolerance exceeded in error handler/)
  assert.match(
    task.trace ?? '',
    /Executing stage 'TRANSFORMATION' with class 'org\.apache\.kafka\.connect\.transforms\.Cast\$Value'/,
  )
})

test('a source record Kafka refuses (too large for its topic) goes to the DLQ from stage KAFKA_PRODUCE, and the stream goes on', async (t) => {
  const dir = await tempDir(t)
  const herder = await startHerder(t, dir)
  const topic = randomName('small')
  const dlq = randomName('dlq')
  const admin = new KafkaAdmin({ bootstrapServers: testBootstrap().split(','), clientId: randomName('test') })
  try {
    await admin.createTopic(topic, 1, 1, { 'max.message.bytes': '10000' })
    await admin.createTopic(dlq, 1, 1, { 'max.message.bytes': '1000000' })
  } finally {
    await admin.close()
  }
  const input = join(dir, 'in.txt')
  const big = 'x'.repeat(50_000)
  await writeFile(input, `first\n${big}\nlast\n`)
  const name = randomName('src')
  await herder.putConnectorConfig(
    name,
    {
      'connector.class': 'FileStreamSource',
      file: input,
      topic,
      'errors.tolerance': 'all',
      'errors.deadletterqueue.topic.name': dlq,
      'errors.deadletterqueue.context.headers.enable': 'true',
    },
    false,
  )
  const good = await consume(topic, 2)
  assert.deepEqual(
    good.map((r) => r.value?.toString()),
    ['first', 'last'],
  )
  const [dead] = await consume(dlq, 1)
  assert.equal(dead?.value?.toString(), big)
  const h = headerText(dead!)
  assert.equal(h['__connect.errors.stage'], 'KAFKA_PRODUCE')
  assert.equal(h['__connect.errors.class.name'], 'org.apache.kafka.connect.runtime.WorkerSourceTask')
  assert.deepEqual(JSON.parse(h['__connect.errors.source.offset']!), { position: Buffer.byteLength(`first\n${big}\n`) })
  await waitFor('the offset committed past every line', async () => {
    const offsets = await herder.connectorOffsets(name)
    return offsets.offsets[0]?.offset?.position === Buffer.byteLength(`first\n${big}\nlast\n`)
  })
})
