/**
 * KafkaProducer without a broker: the transactional producer's configuration checks and the calls it refuses before
 * anything is sent, with Java's exceptions and messages (the transactions themselves: transactions.integration.test.ts);
 * and that send() leaves the caller's records as they are.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { ConfigException } from '@ferry/api'
import { KafkaProducer } from '../../src/kafka/clients.ts'

/** A port nothing listens on: a server's, closed again. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const settings = (extra: Record<string, unknown> = {}) => ({
  bootstrapServers: ['127.0.0.1:9'],
  clientId: 'p',
  transactionalId: 'tx',
  ...extra,
})

test("a transactional id needs idempotence: refused with Java's messages when acks, retries or enable.idempotence turn it off", () => {
  assert.throws(
    () => new KafkaProducer(settings({ acks: 1 })),
    (e: unknown) =>
      e instanceof ConfigException && e.message === 'Cannot set a transactional.id without also enabling idempotence.',
  )
  assert.throws(
    () => new KafkaProducer(settings({ idempotence: false })),
    /Cannot set a transactional.id without also enabling idempotence./,
  )
  assert.throws(() => new KafkaProducer(settings({ retries: 0 })), /without also enabling idempotence/)
  // Asked for explicitly, idempotence's own checks come first.
  assert.throws(
    () => new KafkaProducer(settings({ idempotence: true, acks: 1 })),
    /Must set acks to all in order to use the idempotent producer/,
  )
})

test('transactional methods of a producer without a transactional id fail with IllegalStateException', async () => {
  const producer = new KafkaProducer({ bootstrapServers: ['127.0.0.1:9'], clientId: 'p' })
  try {
    assert.equal(producer.transactionalId, null)
    assert.throws(() => producer.beginTransaction(), {
      name: 'IllegalStateException',
      message: 'Transactional method invoked on a non-transactional producer.',
    })
    for (const call of [() => producer.initTransactions(), () => producer.commitTransaction()])
      await assert.rejects(call(), {
        name: 'IllegalStateException',
        message: 'Transactional method invoked on a non-transactional producer.',
      })
  } finally {
    await producer.close()
  }
})

test("a transactional producer refuses begin, send, commit and abort before initTransactions, with Java's messages", async () => {
  const producer = new KafkaProducer(settings())
  try {
    assert.throws(() => producer.beginTransaction(), {
      name: 'IllegalStateException',
      message: 'TransactionalId tx: Invalid transition attempted from state UNINITIALIZED to state IN_TRANSACTION',
    })
    await assert.rejects(producer.send([{ topic: 't', partition: 0, key: null, value: Buffer.from('v') }]), {
      name: 'IllegalStateException',
      message: 'Cannot add partition t-0 to transaction before completing a call to initTransactions',
    })
    await assert.rejects(producer.commitTransaction(), {
      message:
        'TransactionalId tx: Invalid transition attempted from state UNINITIALIZED to state COMMITTING_TRANSACTION',
    })
    await assert.rejects(producer.abortTransaction(), {
      message:
        'TransactionalId tx: Invalid transition attempted from state UNINITIALIZED to state ABORTING_TRANSACTION',
    })
  } finally {
    await producer.close()
  }
})

test('send() does not change the caller’s records: one without a timestamp is stamped in its batch, not in place', async () => {
  const producer = new KafkaProducer({ bootstrapServers: [`127.0.0.1:${await closedPort()}`], clientId: 'p' })
  try {
    const record = { topic: 't', key: null, value: Buffer.from('v') }
    const sent = producer.send([record])
    assert.deepEqual(Object.keys(record), ['topic', 'key', 'value'], 'no timestamp added when send() is called')
    await assert.rejects(sent) // nothing listens
    assert.deepEqual(Object.keys(record), ['topic', 'key', 'value'])
  } finally {
    await producer.close()
  }
})

test('initTransactions gives up after max.block.ms; it must be called again before any other transactional call', async () => {
  const producer = new KafkaProducer(
    settings({ bootstrapServers: [`127.0.0.1:${await closedPort()}`], maxBlockMs: 300, retryBackoffMs: 50 }),
  )
  try {
    await assert.rejects(producer.initTransactions(), {
      name: 'TimeoutException',
      message: 'Timeout expired after 300ms while awaiting InitProducerId',
    })
    assert.throws(() => producer.beginTransaction(), {
      name: 'IllegalStateException',
      message:
        'Cannot attempt operation `beginTransaction` because the previous call to `initTransactions` timed out and must be retried',
    })
    await assert.rejects(producer.commitTransaction(), {
      message:
        'Cannot attempt operation `commitTransaction` because the previous call to `initTransactions` timed out and must be retried',
    })
    // Calling it again waits for the same InitProducerId, which still finds no broker.
    await assert.rejects(producer.initTransactions(), { name: 'TimeoutException' })
  } finally {
    await producer.close()
  }
})
