/**
 * KafkaConsumer against a real broker: it fetches on its own (src/kafka/fetch.ts), so these tests check what the
 * client's stream used to guarantee: every record once and in order per partition, keys/values/headers/timestamps as
 * produced, compressed batches, committed offsets resumed, aborted transactions skipped, and a rebalance between two
 * members that loses and duplicates nothing once offsets are committed.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { randomName } from '@ferry/testing'
import { ProduceAcks, Producer } from '@platformatic/kafka'
import { startKafka } from '../../../../scripts/kafka/harness.ts'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import {
  type ConsumerSettings,
  type IncomingRecord,
  KafkaAdmin,
  KafkaConsumer,
  KafkaProducer,
} from '../../src/kafka/clients.ts'

const bootstrapServers = () => testBootstrap().split(',')

async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = new KafkaAdmin({ bootstrapServers: bootstrapServers(), clientId: randomName('admin') })
  try {
    await admin.createTopic(topic, partitions, 1)
  } finally {
    await admin.close()
  }
}

function consumer(groupId: string, extra: Partial<ConsumerSettings> = {}): KafkaConsumer {
  return new KafkaConsumer({
    bootstrapServers: bootstrapServers(),
    clientId: randomName('consumer'),
    groupId,
    sessionTimeoutMs: 10000,
    heartbeatIntervalMs: 500,
    rebalanceTimeoutMs: 10000,
    ...extra,
  })
}

/** Polls until `count` records arrived (or the deadline), then a little longer to see that no more come. */
async function pollUntil(c: KafkaConsumer, count: number, out: IncomingRecord[] = [], ms = 30000) {
  const deadline = Date.now() + ms
  while (out.length < count && Date.now() < deadline) out.push(...(await c.poll(500, 200)))
  out.push(...(await c.poll(500, 300)))
  return out
}

for (const version of [12, 11] as const) {
  test(`records come back once, in order, with keys, values, headers and timestamps, across many fetches (Fetch v${version})`, async () => {
    const topic = randomName('consumer-order')
    await createTopic(topic, 1)
    const producer = new KafkaProducer({ bootstrapServers: bootstrapServers(), clientId: randomName('p') })
    const total = 5000
    try {
      for (let start = 0; start < total; start += 1000) {
        const batch = []
        for (let i = start; i < start + 1000; i++) {
          batch.push({
            topic,
            partition: 0,
            key: i % 7 === 0 ? null : Buffer.from(`k${i}`),
            value: i % 11 === 0 ? null : Buffer.from(`value-${i}-${'x'.repeat(i % 300)}`),
            timestamp: 1_700_000_000_000 + i,
            headers:
              i % 5 === 0
                ? ([
                    ['h', Buffer.from(`${i}`)],
                    ['n', null],
                  ] as Array<[string, Buffer | null]>)
                : [],
          })
        }
        await producer.send(batch)
      }
    } finally {
      await producer.close()
    }
    // Small fetches: every response ends in a partial batch, so positions must come from complete batches only.
    const c = consumer(randomName('g'), { maxPartitionFetchBytes: 16 * 1024, maxFetchVersion: version })
    try {
      await c.subscribe([topic])
      const got = await pollUntil(c, total)
      assert.equal(got.length, total)
      got.forEach((r, i) => {
        assert.equal(r.offset, i)
        assert.equal(r.topic, topic)
        assert.equal(r.partition, 0)
        assert.equal(r.timestamp, 1_700_000_000_000 + i)
        assert.equal(r.key === null ? null : r.key.toString(), i % 7 === 0 ? null : `k${i}`)
        assert.equal(
          r.value === null ? null : r.value.toString(),
          i % 11 === 0 ? null : `value-${i}-${'x'.repeat(i % 300)}`,
        )
        const headers = r.headers.map(([k, v]) => [k, v === null ? null : v.toString()])
        // A null header value stays null (written with length -1, as Java's producer does).
        assert.deepEqual(
          headers,
          i % 5 === 0
            ? [
                ['h', `${i}`],
                ['n', null],
              ]
            : [],
        )
      })
    } finally {
      await c.close()
    }
  })
}

test('compressed batches are read, a committed offset is resumed, and aborted transactions are skipped when read_committed', async () => {
  const topic = randomName('consumer-compressed')
  await createTopic(topic, 1)
  const producer = new Producer({
    clientId: randomName('p'),
    bootstrapBrokers: bootstrapServers(),
    compression: 'gzip',
    acks: ProduceAcks.ALL,
    idempotent: true,
    transactionalId: randomName('tx'),
  })
  const send = (from: number, to: number) => {
    const messages = []
    for (let i = from; i < to; i++) messages.push({ topic, partition: 0, value: Buffer.from(`v${i}`) })
    return messages
  }
  try {
    let tx = await producer.beginTransaction()
    await tx.send({ messages: send(0, 100) })
    await tx.commit()
    tx = await producer.beginTransaction()
    await tx.send({ messages: send(1000, 1050) })
    await tx.abort()
    tx = await producer.beginTransaction()
    await tx.send({ messages: send(100, 200) })
    await tx.commit()
  } finally {
    await producer.close()
  }
  // Apache's default isolation.level, read_uncommitted, hands out the aborted records too.
  const uncommitted = consumer(randomName('g'))
  try {
    await uncommitted.subscribe([topic])
    const got = await pollUntil(uncommitted, 250)
    assert.deepEqual(
      got.map((r) => r.value?.toString()),
      [
        ...Array.from({ length: 100 }, (_, i) => `v${i}`),
        ...Array.from({ length: 50 }, (_, i) => `v${1000 + i}`),
        ...Array.from({ length: 100 }, (_, i) => `v${100 + i}`),
      ],
    )
  } finally {
    await uncommitted.close()
  }
  const expected = [...Array.from({ length: 200 }, (_, i) => `v${i}`)]
  const group = randomName('g')
  const first = consumer(group, { isolationLevel: 'read_committed' })
  let firstHalf: IncomingRecord[]
  try {
    await first.subscribe([topic])
    const got = await pollUntil(first, expected.length)
    assert.deepEqual(
      got.map((r) => r.value?.toString()),
      expected,
    )
    firstHalf = got.slice(0, 120)
    const last = firstHalf[firstHalf.length - 1]!
    await first.commit([{ topic, partition: 0, offset: last.offset + 1 }])
  } finally {
    await first.close()
  }
  const second = consumer(group, { isolationLevel: 'read_committed' })
  try {
    await second.subscribe([topic])
    const got = await pollUntil(second, expected.length - 120)
    assert.deepEqual(
      got.map((r) => r.value?.toString()),
      expected.slice(120),
    )
  } finally {
    await second.close()
  }
})

test('two members of a group split the partitions; with commits, every record is delivered and none twice', async () => {
  const topic = randomName('consumer-group')
  await createTopic(topic, 4)
  const producer = new KafkaProducer({ bootstrapServers: bootstrapServers(), clientId: randomName('p') })
  const perPartition = 500
  const produce = async (round: number) => {
    const batch = []
    for (let p = 0; p < 4; p++)
      for (let i = 0; i < perPartition; i++)
        batch.push({ topic, partition: p, key: null, value: Buffer.from(`${round}-${p}-${i}`) })
    await producer.send(batch)
  }
  const group = randomName('g')
  const a = consumer(group)
  const b = consumer(group)
  // Deliveries per record, by partition and offset (a produce retry may write a value twice; that is not ours).
  const seen = new Map<string, number>()
  const take = async (c: KafkaConsumer) => {
    const records = await c.poll(1000, 200)
    const next = new Map<number, number>()
    for (const r of records) {
      const key = `${r.partition}:${r.offset}`
      seen.set(key, (seen.get(key) ?? 0) + 1)
      next.set(r.partition, r.offset + 1)
    }
    if (next.size > 0) await c.commit([...next].map(([partition, offset]) => ({ topic, partition, offset })))
    return records.length
  }
  const written = async () => {
    const admin = new KafkaAdmin({ bootstrapServers: bootstrapServers(), clientId: randomName('admin') })
    try {
      return await admin.recordCount(topic)
    } finally {
      await admin.close()
    }
  }
  let assignedA: number[] = []
  let assignedB: number[] = []
  a.onAssignment = (as) => {
    assignedA = as.map((tp) => tp.partition)
  }
  b.onAssignment = (as) => {
    assignedB = as.map((tp) => tp.partition)
  }
  try {
    await produce(1)
    const first = await written()
    await a.subscribe([topic])
    const deadline = Date.now() + 30000
    while (seen.size < first && Date.now() < deadline) await take(a)
    assert.equal(seen.size, first)
    assert.deepEqual(assignedA.sort(), [0, 1, 2, 3])
    // A second member joins: the partitions are split, and new records go to whoever holds their partition.
    const joined = b.subscribe([topic])
    while (assignedB.length === 0 && Date.now() < deadline) await take(a)
    await joined
    await produce(2)
    const all = await written()
    while (seen.size < all && Date.now() < deadline) {
      await take(a)
      await take(b)
    }
    await take(a)
    await take(b)
    assert.deepEqual([...assignedA, ...assignedB].sort(), [0, 1, 2, 3])
    assert.ok(assignedA.length > 0 && assignedB.length > 0)
    assert.equal(seen.size, all)
    assert.deepEqual(
      [...seen].filter(([, n]) => n !== 1),
      [],
    )
  } finally {
    await Promise.all([a.close(), b.close()])
    await producer.close()
  }
})

test('auto.offset.reset: latest starts at the end, none fails with Java’s NoOffsetForPartitionException message', async () => {
  const topic = randomName('consumer-reset')
  await createTopic(topic, 2)
  const producer = new KafkaProducer({ bootstrapServers: bootstrapServers(), clientId: randomName('p') })
  const batch = (from: number) =>
    Array.from({ length: 10 }, (_, i) => ({ topic, partition: i % 2, key: null, value: Buffer.from(`v${from + i}`) }))
  try {
    await producer.send(batch(0))
    const latest = consumer(randomName('g'), { autoOffsetReset: 'latest' })
    try {
      await latest.subscribe([topic])
      // Nothing of what was there before the partitions were positioned.
      assert.deepEqual(await latest.poll(100, 1500), [])
      await producer.send(batch(10))
      const got = await pollUntil(latest, 10)
      assert.deepEqual(
        got.map((r) => r.value!.toString()).sort(),
        batch(10)
          .map((r) => r.value.toString())
          .sort(),
      )
    } finally {
      await latest.close()
    }
  } finally {
    await producer.close()
  }
  const none = consumer(randomName('g'), { autoOffsetReset: 'none' })
  try {
    await none.subscribe([topic])
    await assert.rejects(
      (async () => {
        for (const deadline = Date.now() + 15000; Date.now() < deadline; ) await none.poll(100, 200)
      })(),
      {
        name: 'NoOffsetForPartitionException',
        message: new RegExp(
          `^Undefined offset with no reset policy for partitions: \\[(${topic}-0, ${topic}-1|${topic}-1, ${topic}-0)\\]$`,
        ),
      },
    )
  } finally {
    await none.close()
  }
})

test('small fetch sizes (max.partition.fetch.bytes, fetch.max.bytes) and fetch.min.bytes still deliver every record in order', async () => {
  const topic = randomName('consumer-fetch-sizes')
  await createTopic(topic, 1)
  const producer = new KafkaProducer({
    bootstrapServers: bootstrapServers(),
    clientId: randomName('p'),
    batchSize: 2000,
  })
  const total = 2000
  try {
    await producer.send(
      Array.from({ length: total }, (_, i) => ({ topic, partition: 0, key: null, value: Buffer.from(`value-${i}`) })),
    )
  } finally {
    await producer.close()
  }
  const c = consumer(randomName('g'), {
    maxPartitionFetchBytes: 3000,
    fetchMaxBytes: 4000,
    fetchMinBytes: 1024 * 1024,
    fetchMaxWaitMs: 100,
  })
  try {
    await c.subscribe([topic])
    const got = await pollUntil(c, total)
    assert.deepEqual(
      got.map((r) => r.value!.toString()),
      Array.from({ length: total }, (_, i) => `value-${i}`),
    )
  } finally {
    await c.close()
  }
})

test('a consumer joining with a live member’s group.instance.id replaces it: the old one is fenced (FencedInstanceIdException), the new one reads its own subscription', async () => {
  const [first, second] = [randomName('static-a'), randomName('static-b')]
  await createTopic(first, 2)
  await createTopic(second, 2)
  const producer = new KafkaProducer({ bootstrapServers: bootstrapServers(), clientId: randomName('p') })
  const group = randomName('g')
  const instance = randomName('instance')
  const a = consumer(group, { groupInstanceId: instance })
  const b = consumer(group, { groupInstanceId: instance })
  try {
    await producer.send(
      Array.from({ length: 10 }, (_, i) => ({
        topic: second,
        partition: i % 2,
        key: null,
        value: Buffer.from(`v${i}`),
      })),
    )
    await a.subscribe([first])
    let assignedB: string[] = []
    b.onAssignment = (as) => {
      assignedB = as.map((tp) => `${tp.topic}-${tp.partition}`)
    }
    await b.subscribe([second])
    assert.deepEqual(assignedB.sort(), [`${second}-0`, `${second}-1`])
    assert.equal((await pollUntil(b, 10)).length, 10)
    let fenced: Error | null = null
    const deadline = Date.now() + 15000
    while (!fenced && Date.now() < deadline) {
      await a.poll(10, 200).catch((e: Error) => {
        fenced = e
      })
      await a.ensureMember().catch((e: Error) => {
        fenced = e
      })
    }
    assert.match(String((fenced as Error | null)?.stack), /FencedInstanceIdException/)
  } finally {
    await Promise.all([a.close(), b.close()])
    await producer.close()
  }
})

test('subscribing again replaces the subscription as Java does: a new pattern moves the assignment (revoking first), topics after a pattern is IllegalStateException', async () => {
  const prefix = randomName('resub')
  const [first, second] = [`${prefix}-a-1`, `${prefix}-b-1`]
  await createTopic(first, 2)
  await createTopic(second, 1)
  const c = consumer(randomName('g'), { metadataMaxAgeMs: 500 })
  const revoked: string[][] = []
  let assigned: string[] = []
  c.onRevoke = async (tps) => {
    revoked.push(tps.map((tp) => `${tp.topic}-${tp.partition}`).sort())
  }
  c.onAssignment = (tps) => {
    assigned = tps.map((tp) => `${tp.topic}-${tp.partition}`).sort()
  }
  try {
    await c.subscribe(new RegExp(`^${prefix}-a-.*$`))
    assert.deepEqual(assigned, [`${first}-0`, `${first}-1`])
    await c.subscribe(new RegExp(`^${prefix}-b-.*$`))
    const deadline = Date.now() + 20000
    while (assigned.join() !== `${second}-0` && Date.now() < deadline) await c.poll(10, 200)
    assert.deepEqual(assigned, [`${second}-0`])
    assert.deepEqual(revoked, [[`${first}-0`, `${first}-1`]])
    // Several re-checks later the subscription is still the second pattern's (the first's topics never come back).
    for (let i = 0; i < 10; i++) await c.poll(10, 200)
    assert.deepEqual(assigned, [`${second}-0`])
    assert.equal(revoked.length, 1)
    await assert.rejects(c.subscribe([first]), {
      name: 'IllegalStateException',
      message: 'Subscription to topics, partitions and pattern are mutually exclusive',
    })
  } finally {
    await c.close()
  }
})

test('a broker that is down for longer than the fetch retries is waited for, as Java does: the consumer fails nothing and delivers what is written once it is back', async (t) => {
  // Its own broker, to be stopped: the consumer's only broker, so fetches, metadata and the coordinator all fail.
  const cluster = await startKafka({ brokers: 1 })
  t.after(() => cluster.stop())
  const servers = cluster.bootstrapServers.split(',')
  const topic = randomName('consumer-broker-down')
  const admin = new KafkaAdmin({ bootstrapServers: servers, clientId: randomName('admin') })
  await admin.createTopic(topic, 1, 1)
  await admin.close()
  const produce = async (from: number, to: number) => {
    const producer = new KafkaProducer({ bootstrapServers: servers, clientId: randomName('p') })
    try {
      const batch = []
      for (let i = from; i < to; i++) batch.push({ topic, partition: 0, key: null, value: Buffer.from(`v${i}`) })
      await producer.send(batch)
    } finally {
      await producer.close()
    }
  }
  await produce(0, 10)
  const c = new KafkaConsumer({
    bootstrapServers: servers,
    clientId: randomName('consumer'),
    groupId: randomName('group'),
    sessionTimeoutMs: 45000,
    heartbeatIntervalMs: 1000,
    rebalanceTimeoutMs: 10000,
    // Short backoffs: the ten failed fetches that used to fail the consumer take about two seconds.
    retryBackoffMs: 50,
    retryBackoffMaxMs: 200,
  })
  t.after(() => c.close())
  await c.subscribe([topic])
  const got = await pollUntil(c, 10)
  assert.equal(got.length, 10)

  await cluster.stopNode(0)
  // Polling all along, as a sink task does: no error, no records, for well over the old budget.
  const downUntil = Date.now() + 8000
  while (Date.now() < downUntil) assert.deepEqual(await c.poll(500, 200), [])
  await cluster.startNode(0)
  await produce(10, 20)
  const after = await pollUntil(c, 10, [], 90000)
  assert.deepEqual(
    after.map((r) => r.value?.toString()),
    Array.from({ length: 10 }, (_, i) => `v${i + 10}`),
  )
})

test('wakeup ends a poll that waits for records, also one whose partitions are paused; one that comes first ends the next poll before it waits; a closed consumer’s poll does not wait', async () => {
  const topic = randomName('consumer-wakeup')
  await createTopic(topic, 1)
  const c = consumer(randomName('g'))
  // Each poll below would wait a minute for records that never come; it must return long before.
  const quick = async (what: string, poll: Promise<IncomingRecord[]>, wake?: () => void) => {
    const started = Date.now()
    if (wake) setTimeout(wake, 100)
    assert.deepEqual(await poll, [], what)
    assert.ok(Date.now() - started < 30_000, `${what}: returned after ${Date.now() - started} ms`)
  }
  try {
    await c.subscribe([topic])
    await quick('a waiting poll', c.poll(500, 60_000), () => c.wakeup())
    c.wakeup()
    await quick('the poll after a wakeup', c.poll(500, 60_000))
    c.pause([{ topic, partition: 0 }])
    await quick('a poll with its partition paused', c.poll(500, 60_000), () => c.wakeup())
    c.resume([{ topic, partition: 0 }])
    const closing = c.poll(500, 60_000)
    await quick('a poll when the consumer is closed', closing, () => void c.close())
    await quick('a poll after the close', c.poll(500, 60_000))
  } finally {
    await c.close()
  }
})
