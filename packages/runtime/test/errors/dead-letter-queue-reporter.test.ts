import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  ConfigDef,
  type Converter,
  DataException,
  type HeaderConverter,
  Headers,
  Schema,
  SourceRecord,
} from '@ferry/api'
import {
  DeadLetterQueueReporter,
  ensureDeadLetterQueueTopic,
  offsetJson,
} from '../../src/errors/dead-letter-queue-reporter.ts'
import { ProcessingContext } from '../../src/errors/processing-context.ts'
import { Stage } from '../../src/errors/stage.ts'
import type { IncomingRecord, OutgoingRecord } from '../../src/kafka/clients.ts'
import { silentLogger } from '../../src/logger.ts'
import { RecordingTaskMetrics } from '../../src/metrics/task-metrics.ts'

class FakeProducer {
  readonly sent: OutgoingRecord[][] = []
  refuse: (r: OutgoingRecord) => boolean = () => false
  async send(records: OutgoingRecord[]) {
    if (records.some((r) => this.refuse(r))) throw new Error('MESSAGE_TOO_LARGE')
    this.sent.push(records)
    return []
  }
  async close() {}
}

const settings = { topic: 'dlq', replicationFactor: 3, contextHeaders: true }

const consumed: IncomingRecord = {
  topic: 'orders',
  partition: 2,
  offset: 41,
  timestamp: 1700000000000,
  key: Buffer.from('k1'),
  value: Buffer.from('{not json'),
  headers: [['trace', Buffer.from('abc')]],
}

function failed<T>(original: T, stage: (typeof Stage)[keyof typeof Stage], cls: string, error: Error) {
  const context = new ProcessingContext(original)
  context.currentContext(stage, cls)
  context.error = error
  return context
}

const headerText = (r: OutgoingRecord) =>
  Object.fromEntries((r.headers ?? []).map(([k, v]) => [k, v?.toString('utf8')]))

test('a sink record goes to the DLQ with its original bytes and Apache’s context headers, in order', async () => {
  const producer = new FakeProducer()
  const reporter = DeadLetterQueueReporter.sink(producer, settings, { connector: 'sink', task: 1 }, silentLogger())
  const error = new DataException('Converting byte[] to Kafka Connect data failed due to serialization error')
  await reporter.report(failed(consumed, Stage.VALUE_CONVERTER, 'org.apache.kafka.connect.json.JsonConverter', error))
  const [record] = producer.sent[0]!
  assert.equal(record?.topic, 'dlq')
  assert.deepEqual(record?.key, Buffer.from('k1'))
  assert.deepEqual(record?.value, Buffer.from('{not json'))
  assert.equal(record?.timestamp, 1700000000000)
  assert.deepEqual(
    record?.headers?.map(([k]) => k),
    [
      'trace',
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
  const h = headerText(record!)
  assert.equal(h.trace, 'abc')
  assert.equal(h['__connect.errors.topic'], 'orders')
  assert.equal(h['__connect.errors.partition'], '2')
  assert.equal(h['__connect.errors.offset'], '41')
  assert.equal(h['__connect.errors.connector.name'], 'sink')
  assert.equal(h['__connect.errors.task.id'], '1')
  assert.equal(h['__connect.errors.stage'], 'VALUE_CONVERTER')
  assert.equal(h['__connect.errors.class.name'], 'org.apache.kafka.connect.json.JsonConverter')
  assert.equal(h['__connect.errors.exception.class.name'], 'org.apache.kafka.connect.errors.DataException')
  assert.equal(h['__connect.errors.exception.message'], error.message)
  assert.match(
    h['__connect.errors.exception.stacktrace']!,
    /^org\.apache\.kafka\.connect\.errors\.DataException: Converting byte\[\] .*\n\tat /,
  )
})

test('without context headers only the original headers go along', async () => {
  const producer = new FakeProducer()
  const reporter = DeadLetterQueueReporter.sink(
    producer,
    { ...settings, contextHeaders: false },
    { connector: 'sink', task: 0 },
    silentLogger(),
  )
  await reporter.report(failed(consumed, Stage.KEY_CONVERTER, 'K', new Error('x')))
  assert.deepEqual(producer.sent[0]?.[0]?.headers, [['trace', Buffer.from('abc')]])
})

test('failures of one turn are written in one request', async () => {
  const producer = new FakeProducer()
  const reporter = DeadLetterQueueReporter.sink(producer, settings, { connector: 'sink', task: 0 }, silentLogger())
  await Promise.all(
    [1, 2, 3].map((offset) =>
      reporter.report(failed({ ...consumed, offset }, Stage.VALUE_CONVERTER, 'V', new Error())),
    ),
  )
  assert.equal(producer.sent.length, 1)
  assert.deepEqual(
    producer.sent[0]?.map((r) => headerText(r)['__connect.errors.offset']),
    ['1', '2', '3'],
  )
})

test('a record Kafka refuses is logged and skipped; the others of its request are still written', async () => {
  const producer = new FakeProducer()
  producer.refuse = (r) => headerText(r)['__connect.errors.offset'] === '2'
  const metrics = new RecordingTaskMetrics('sink', 0, 'sink', 2)
  const reporter = DeadLetterQueueReporter.sink(
    producer,
    settings,
    { connector: 'sink', task: 0 },
    silentLogger(),
    metrics,
  )
  await Promise.all(
    [1, 2, 3].map((offset) =>
      reporter.report(failed({ ...consumed, offset }, Stage.VALUE_CONVERTER, 'V', new Error())),
    ),
  )
  assert.deepEqual(
    producer.sent.flat().map((r) => headerText(r)['__connect.errors.offset']),
    ['1', '3'],
  )
  // task-error-metrics: three produce requests, one failure.
  assert.equal(metrics.deadLetterQueueProduceRequests, 3)
  assert.equal(metrics.deadLetterQueueProduceFailures, 1)
})

const text: Converter & HeaderConverter = {
  configure() {},
  config: () => new ConfigDef(),
  fromConnectData: (_t, _h, _s, v) => {
    if (v === 'unconvertible') throw new DataException('cannot convert')
    return v == null ? null : Buffer.from(`<${String(v)}>`)
  },
  toConnectData: () => ({ schema: null, value: null }),
  fromConnectHeader: (_t, _k, _s, v) => (v == null ? null : Buffer.from(String(v))),
  toConnectHeader: () => ({ schema: null, value: null }),
}

test('a source record goes to the DLQ converted, with its source partition and offset as JSON headers', async () => {
  const producer = new FakeProducer()
  const reporter = DeadLetterQueueReporter.source(
    producer,
    settings,
    { connector: 'src', task: 0 },
    { key: text, value: text, header: text },
    silentLogger(),
  )
  const headers = new Headers().addString('origin', 'file')
  const record = new SourceRecord(
    { filename: '/tmp/in.txt' },
    { position: 1234n },
    'lines',
    null,
    Schema.STRING_SCHEMA,
    'key',
    Schema.STRING_SCHEMA,
    'unconvertible',
    1700000000000,
    headers,
  )
  await reporter.report(
    failed(record, Stage.TRANSFORMATION, 'org.apache.kafka.connect.transforms.Cast$Value', new DataException('nope')),
  )
  const out = producer.sent[0]![0]!
  assert.deepEqual(out.key, Buffer.from('<key>'))
  assert.deepEqual(out.value, Buffer.from('unconvertible'), 'a value the converter refuses is written as its text')
  const h = headerText(out)
  assert.equal(h.origin, 'file')
  assert.equal(h['__connect.errors.topic'], 'lines')
  assert.equal(h['__connect.errors.partition'], undefined)
  assert.equal(h['__connect.errors.offset'], undefined)
  assert.equal(h['__connect.errors.stage'], 'TRANSFORMATION')
  assert.equal(h['__connect.errors.class.name'], 'org.apache.kafka.connect.transforms.Cast$Value')
  assert.equal(h['__connect.errors.source.partition'], '{"filename":"/tmp/in.txt"}')
  assert.equal(h['__connect.errors.source.offset'], '{"position":1234}')
})

test('source partitions and offsets keep big integers exact in JSON', () => {
  assert.equal(
    offsetJson({ a: 2n ** 64n, b: 'x', c: null, d: true }),
    '{"a":18446744073709551616,"b":"x","c":null,"d":true}',
  )
  assert.equal(offsetJson(null), 'null')
})

test('the DLQ topic is created with one partition, the replication factor lowered to what the cluster holds', async () => {
  const created: Array<[string, number, number]> = []
  const admin = {
    listTopics: async () => ['other'],
    async createTopic(name: string, partitions: number, rf: number) {
      if (rf > 1)
        throw Object.assign(new Error('Replication factor too large'), { apiId: 'INVALID_REPLICATION_FACTOR' })
      created.push([name, partitions, rf])
    },
  }
  await ensureDeadLetterQueueTopic(admin, 'dlq', 3, silentLogger())
  assert.deepEqual(created, [['dlq', 1, 1]])
})

test('an existing DLQ topic is used as it is', async () => {
  let creates = 0
  const admin = {
    listTopics: async () => ['dlq'],
    async createTopic() {
      creates++
    },
  }
  await ensureDeadLetterQueueTopic(admin, 'dlq', 3, silentLogger())
  assert.equal(creates, 0)
})
