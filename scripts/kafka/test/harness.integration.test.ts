import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import {
  Admin,
  Consumer,
  MessagesStreamModes,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka'
import { startKafka } from '../harness.ts'
import { testBootstrap } from '../test-env.ts'

test('a record produced to the shared test broker can be consumed back', { timeout: 60_000 }, async (t) => {
  const bootstrapBrokers = testBootstrap().split(',')
  const topic = `ferry-harness-${randomUUID()}`

  const admin = new Admin({ clientId: 'ferry-harness-admin', bootstrapBrokers })
  const producer = new Producer({
    clientId: 'ferry-harness-producer',
    bootstrapBrokers,
    serializers: stringSerializers,
  })
  const consumer = new Consumer({
    clientId: 'ferry-harness-consumer',
    groupId: `ferry-harness-${randomUUID()}`,
    bootstrapBrokers,
    deserializers: stringDeserializers,
    maxWaitTime: 500,
  })
  t.after(async () => {
    await consumer.close(true)
    await producer.close()
    await admin.close()
  })

  await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
  await producer.send({
    messages: [{ topic, key: 'greeting', value: 'hello from ferry', headers: { origin: 'harness' } }],
  })

  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false })
  let received: { key: string; value: string; origin: string | undefined } | undefined
  for await (const message of stream) {
    received = { key: message.key, value: message.value, origin: message.headers.get('origin') }
    break
  }
  await stream.close()

  assert.deepEqual(received, { key: 'greeting', value: 'hello from ferry', origin: 'harness' })
})

test('a three-broker cluster replicates a topic to all three brokers', { timeout: 180_000 }, async (t) => {
  const cluster = await startKafka({ brokers: 3 })
  let admin: Admin | undefined
  t.after(async () => {
    await admin?.close()
    await cluster.stop()
  })
  assert.equal(cluster.brokers, 3)
  assert.equal(cluster.bootstrapServers.split(',').length, 3)

  admin = new Admin({ clientId: 'ferry-harness-admin', bootstrapBrokers: cluster.bootstrapServers.split(',') })
  const topic = `ferry-replicated-${randomUUID()}`
  await admin.createTopics({ topics: [topic], partitions: 2, replicas: 3 })

  const metadata = await admin.metadata({ topics: [topic], forceUpdate: true })
  assert.equal(metadata.brokers.size, 3)
  const partitions = metadata.topics.get(topic)?.partitions ?? []
  assert.equal(partitions.length, 2)
  for (const partition of partitions) {
    assert.deepEqual([...partition.replicas].sort(), [1, 2, 3])
  }
})
