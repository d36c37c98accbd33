import assert from 'node:assert/strict'
import { test } from 'node:test'
import { WorkerClients } from '../../src/worker/worker-clients.ts'

const SERVERS = ['127.0.0.1:9092']
const JAAS = (user: string, password: string) =>
  `org.apache.kafka.common.security.plain.PlainLoginModule required username="${user}" password="${password}";`

const secured = {
  'bootstrap.servers': '127.0.0.1:9092',
  'group.id': 'connect-cluster',
  'security.protocol': 'SASL_PLAINTEXT',
  'sasl.mechanism': 'PLAIN',
  'sasl.jaas.config': JAAS('worker', 'worker-secret'),
}

test("the worker's own clients take the top-level security keys", () => {
  const clients = new WorkerClients(secured, SERVERS)
  const internal = clients.internal('configs')
  assert.equal(internal.clientId, 'configs')
  assert.equal(internal.security?.protocol, 'SASL_PLAINTEXT')
  assert.equal(internal.security?.sasl?.mechanism, 'PLAIN')
  assert.equal(internal.requestTimeoutMs, 40000)
})

test('task producers and consumers inherit top-level security keys when their prefixed form is absent', () => {
  const clients = new WorkerClients(secured, SERVERS)
  const producer = clients.producer({ name: 'c' }, 'connector-producer-c-0')
  const consumer = clients.consumer({ name: 'c' }, 'connector-consumer-c-0', 'connect-c')
  assert.equal(producer.security?.protocol, 'SASL_PLAINTEXT')
  assert.equal(consumer.security?.protocol, 'SASL_PLAINTEXT')
  assert.equal(consumer.groupId, 'connect-c')
  assert.equal(consumer.autoOffsetReset, 'earliest')
  assert.equal(producer.clientId, 'connector-producer-c-0')
})

test('prefixed and per-connector keys win over inherited ones, in Apache order', () => {
  const clients = new WorkerClients(
    {
      ...secured,
      'producer.sasl.jaas.config': JAAS('tasks', 'tasks-secret'),
      'producer.compression.type': 'lz4',
      'consumer.max.poll.records': '42',
    },
    SERVERS,
  )
  const producer = clients.producer(
    { name: 'c', 'producer.override.compression.type': 'zstd', 'producer.override.acks': '1' },
    'p',
  )
  assert.equal(producer.compression?.type, 'zstd')
  assert.equal(producer.acks, 1)
  assert.match(producer.security?.description ?? '', /tasks/)
  const consumer = clients.consumer({ name: 'c', 'consumer.override.group.id': 'mine' }, 'c', 'connect-c')
  assert.equal(consumer.maxPollRecords, 42)
  assert.equal(consumer.groupId, 'mine')
})

test('a bad worker-level client key stops the worker, naming the key', () => {
  assert.throws(
    () => new WorkerClients({ ...secured, 'producer.compression.type': 'brotli' }, SERVERS),
    /compression\.type/,
  )
  assert.throws(() => new WorkerClients({ ...secured, 'sasl.mechanism': 'GSSAPI' }, SERVERS), /sasl\.mechanism/)
})

test('no error or warning shows a password', () => {
  try {
    new WorkerClients({ ...secured, 'sasl.jaas.config': 'not jaas "worker-secret"' }, SERVERS)
    assert.fail('expected an error')
  } catch (e) {
    assert.match((e as Error).message, /sasl\.jaas\.config/)
    assert.doesNotMatch((e as Error).message, /worker-secret/)
  }
})

test('connector overrides are checked on their prefixed keys', () => {
  const clients = new WorkerClients(secured, SERVERS)
  const problems = clients.validateOverrides('producer', {
    name: 'c',
    'producer.override.acks': 'some',
    'producer.override.interceptor.classes': 'com.example.Interceptor',
  })
  assert.deepEqual(problems.map((p) => p.key).sort(), [
    'producer.override.acks',
    'producer.override.interceptor.classes',
  ])
  assert.deepEqual(clients.validateOverrides('producer', { name: 'c', 'producer.override.acks': '1' }), [])
})

test("unknown prefixed keys get Apache's warning; top-level producer keys say they are not used", () => {
  const clients = new WorkerClients(
    { ...secured, 'producer.no.such.key': 'x', 'compression.type': 'gzip', 'key.converter': 'JsonConverter' },
    SERVERS,
  )
  const warnings = clients.drainWarnings()
  assert.ok(warnings.includes("The configuration 'producer.no.such.key' was supplied but isn't a known config."))
  assert.ok(warnings.some((w) => w.includes("'compression.type'") && w.includes('producer.compression.type')))
  assert.ok(!warnings.some((w) => w.includes('key.converter')))
  assert.deepEqual(clients.drainWarnings(), [])
  assert.deepEqual(clients.unknownOverrides({ 'consumer.override.nope': '1' }), [
    "The configuration 'consumer.override.nope' was supplied but isn't a known config.",
  ])
})

test("an exactly-once task's producer takes the runtime's transactional id; a user's transactional.id is refused", () => {
  const reason = 'for connectors when exactly-once source support is enabled'
  const clients = new WorkerClients({ ...secured, 'producer.transaction.timeout.ms': '90000' }, SERVERS)
  const settings = clients.producer(
    { name: 'c', 'producer.override.enable.idempotence': 'false' },
    'connector-producer-c-0',
    { id: 'connect-cluster-c-0', reason },
  )
  assert.equal(settings.transactionalId, 'connect-cluster-c-0')
  assert.equal(settings.transactionTimeoutMs, 90000)
  assert.equal(settings.idempotence, true)
  assert.deepEqual(clients.drainWarnings(), [
    `The value 'false' for the 'enable.idempotence' property will be ignored as it cannot be overridden ${reason}. The value 'true' will be used instead.`,
  ])
  assert.equal(clients.producer({ name: 'c' }, 'connector-producer-c-0').transactionalId, undefined)
  assert.throws(
    () => new WorkerClients({ ...secured, 'producer.transactional.id': 'mine' }, SERVERS),
    /transactional\.id/,
  )
  assert.deepEqual(
    clients
      .validateOverrides('producer', { name: 'c', 'producer.override.transactional.id': 'mine' })
      .map((p) => p.key),
    ['producer.override.transactional.id'],
  )
})
