/**
 * KafkaProducer against a real broker: it encodes record batches itself (src/kafka/produce.ts), so these tests read
 * back what it wrote: keys on Java's murmur2 partitions, keyless batches on one partition each (sticky, the next
 * batch on the next), explicit partitions, repeated header names, timestamps, and the base offsets it returns.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { randomName } from '@ferry/testing'
import { murmur2 } from '@platformatic/kafka'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import { type IncomingRecord, KafkaAdmin, KafkaConsumer, KafkaProducer } from '../../src/kafka/clients.ts'

const bootstrapServers = () => testBootstrap().split(',')

async function readAll(topic: string, count: number): Promise<IncomingRecord[]> {
  const c = new KafkaConsumer({
    bootstrapServers: bootstrapServers(),
    clientId: randomName('c'),
    groupId: randomName('g'),
  })
  const out: IncomingRecord[] = []
  try {
    await c.subscribe([topic])
    const deadline = Date.now() + 30000
    while (out.length < count && Date.now() < deadline) out.push(...(await c.poll(1000, 200)))
    out.push(...(await c.poll(1000, 300)))
  } finally {
    await c.close()
  }
  return out
}

test('keys go to murmur2 partitions, keyless batches stick to one partition, explicit partitions are kept', async () => {
  const topic = randomName('producer')
  const admin = new KafkaAdmin({ bootstrapServers: bootstrapServers(), clientId: randomName('admin') })
  try {
    await admin.createTopic(topic, 6, 1)
  } finally {
    await admin.close()
  }
  const producer = new KafkaProducer({ bootstrapServers: bootstrapServers(), clientId: randomName('p') })
  const sent: Array<Awaited<ReturnType<KafkaProducer['send']>>> = []
  try {
    const keyed = Array.from({ length: 60 }, (_, i) => ({
      topic,
      key: Buffer.from(`key-${i}`),
      value: Buffer.from(`keyed-${i}`),
      timestamp: 1_700_000_000_000 + i,
      headers: [
        ['h', Buffer.from('1')],
        ['h', Buffer.from('2')],
      ] as Array<[string, Buffer | null]>,
    }))
    sent.push(await producer.send(keyed))
    for (let b = 0; b < 3; b++)
      sent.push(
        await producer.send(
          Array.from({ length: 10 }, (_, i) => ({ topic, key: null, value: Buffer.from(`keyless-${b}-${i}`) })),
        ),
      )
    sent.push(await producer.send([{ topic, partition: 4, key: null, value: Buffer.from('explicit') }]))
  } finally {
    await producer.close()
  }
  const records = await readAll(topic, 60 + 30 + 1)
  assert.equal(records.length, 91)
  const byValue = new Map(records.map((r) => [r.value!.toString(), r]))
  for (let i = 0; i < 60; i++) {
    const r = byValue.get(`keyed-${i}`)!
    assert.equal(r.partition, (murmur2(Buffer.from(`key-${i}`)) & 0x7fffffff) % 6, `key-${i}`)
    assert.equal(r.key!.toString(), `key-${i}`)
    assert.equal(r.timestamp, 1_700_000_000_000 + i)
    assert.deepEqual(
      r.headers.map(([k, v]) => [k, v!.toString()]),
      [
        ['h', '1'],
        ['h', '2'],
      ],
    )
  }
  const keylessPartitions = [0, 1, 2].map((b) => {
    const ps = new Set(Array.from({ length: 10 }, (_, i) => byValue.get(`keyless-${b}-${i}`)!.partition))
    assert.equal(ps.size, 1, `batch ${b} on one partition`)
    return [...ps][0]!
  })
  assert.equal(new Set(keylessPartitions).size, 3, 'each keyless batch on the next partition')
  assert.equal(byValue.get('explicit')!.partition, 4)
  // The offsets returned are each partition's base offset of the batch.
  for (const o of sent[1]!) assert.equal(o.offset, byValue.get('keyless-0-0')!.offset)
  assert.deepEqual(
    sent[4]!.map((o) => [o.partition, o.offset]),
    [[4, byValue.get('explicit')!.offset]],
  )
})
