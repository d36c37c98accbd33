/**
 * The transactional KafkaProducer and KafkaAdmin.fenceProducers against a real broker: what read_committed and
 * read_uncommitted consumers see of committed and aborted transactions, fencing by a second producer of the same
 * transactional id and by the admin client, a producer killed mid-transaction, a transaction the coordinator expires,
 * and interop: Apache's console consumer reading what Ferry committed, Java's transactional producer fencing Ferry's
 * and Ferry's read_committed consumer reading what Java committed.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { randomName } from '@ferry/testing'
import { runConsoleConsumer } from '../../../../scripts/kafka/console.ts'
import { ensureKafka, javaCommand } from '../../../../scripts/kafka/harness.ts'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import {
  type IncomingRecord,
  KafkaAdmin,
  KafkaConsumer,
  KafkaProducer,
  type OutgoingRecord,
} from '../../src/kafka/clients.ts'
import { isProducerFenced, ProducerFencedException } from '../../src/kafka/transaction-coordinator.ts'

const bootstrapServers = () => testBootstrap().split(',')

function transactional(transactionalId: string, extra: Record<string, unknown> = {}): KafkaProducer {
  return new KafkaProducer({
    bootstrapServers: bootstrapServers(),
    clientId: randomName('p'),
    transactionalId,
    ...extra,
  })
}

async function createTopic(partitions = 1): Promise<string> {
  const topic = randomName('txn')
  const admin = new KafkaAdmin({ bootstrapServers: bootstrapServers(), clientId: randomName('admin') })
  try {
    await admin.createTopic(topic, partitions, 1)
  } finally {
    await admin.close()
  }
  return topic
}

const records = (topic: string, prefix: string, count: number, partition?: number): OutgoingRecord[] =>
  Array.from({ length: count }, (_, i) => ({ topic, partition, key: null, value: Buffer.from(`${prefix}-${i}`) }))

/**
 * Reads `topic` from the start until a record with value `last` arrived (then a little more), with the isolation
 * level given: a marker committed last tells a read_committed reader it has seen everything before it.
 */
async function readUntil(
  topic: string,
  last: string,
  isolationLevel: 'read_committed' | 'read_uncommitted',
): Promise<string[]> {
  const c = new KafkaConsumer({
    bootstrapServers: bootstrapServers(),
    clientId: randomName('c'),
    groupId: randomName('g'),
    isolationLevel,
    autoOffsetReset: 'earliest',
  })
  const out: IncomingRecord[] = []
  try {
    await c.subscribe([topic])
    const deadline = Date.now() + 60000
    while (!out.some((r) => r.value?.toString() === last)) {
      if (Date.now() > deadline) throw new Error(`${last} not read from ${topic} within 60 s: ${out.length} records`)
      out.push(...(await c.poll(1000, 200)))
    }
    out.push(...(await c.poll(1000, 300)))
  } finally {
    await c.close()
  }
  return out.map((r) => r.value!.toString())
}

/** Commits one marker record in a transaction of its own, so readers know where to stop. */
async function commitMarker(topic: string, marker: string, partition?: number): Promise<void> {
  const p = transactional(randomName('marker'))
  try {
    await p.initTransactions()
    p.beginTransaction()
    await p.send([{ topic, partition, key: null, value: Buffer.from(marker) }])
    await p.commitTransaction()
  } finally {
    await p.close()
  }
}

test('a committed transaction is read by read_committed consumers; an aborted one only by read_uncommitted ones', async () => {
  const topic = await createTopic(3)
  const producer = transactional(randomName('tx'))
  try {
    await producer.initTransactions()
    producer.beginTransaction()
    const sends = [producer.send(records(topic, 'committed-a', 5)), producer.send(records(topic, 'committed-b', 5))]
    await producer.commitTransaction()
    await Promise.all(sends)

    producer.beginTransaction()
    await producer.send(records(topic, 'aborted', 7))
    await producer.abortTransaction()

    // The producer goes on after an abort.
    producer.beginTransaction()
    await producer.send([{ topic, key: null, value: Buffer.from('last') }])
    await producer.commitTransaction()
  } finally {
    await producer.close()
  }
  const committed = await readUntil(topic, 'last', 'read_committed')
  assert.deepEqual(
    committed.filter((v) => v !== 'last').sort(),
    [...records(topic, 'committed-a', 5), ...records(topic, 'committed-b', 5)].map((r) => r.value!.toString()).sort(),
  )
  // Both levels skip the control batches (commit and abort markers): only the records sent come back.
  const all = await readUntil(topic, 'last', 'read_uncommitted')
  assert.equal(all.length, 18)
  assert.equal(all.filter((v) => v.startsWith('aborted-')).length, 7)
  assert.equal(all.filter((v) => v.startsWith('committed-')).length, 10)
})

test('read_committed skips the batches of an aborted transaction interleaved with a committed one in the same partition', async () => {
  const topic = await createTopic(1)
  const a = transactional(randomName('tx'))
  const b = transactional(randomName('tx'))
  try {
    await Promise.all([a.initTransactions(), b.initTransactions()])
    a.beginTransaction()
    b.beginTransaction()
    for (let round = 0; round < 3; round++) {
      await a.send(records(topic, `a${round}`, 2, 0))
      await b.send(records(topic, `b${round}`, 2, 0))
    }
    await b.abortTransaction()
    await a.send([{ topic, partition: 0, key: null, value: Buffer.from('a-last') }])
    await a.commitTransaction()
  } finally {
    await a.close()
    await b.close()
  }
  assert.deepEqual(await readUntil(topic, 'a-last', 'read_committed'), [
    'a0-0',
    'a0-1',
    'a1-0',
    'a1-1',
    'a2-0',
    'a2-1',
    'a-last',
  ])
})

test('the records of an open transaction are read at once by read_uncommitted consumers, by read_committed ones after the commit', async () => {
  const topic = await createTopic(1)
  const producer = transactional(randomName('tx'))
  try {
    await producer.initTransactions()
    producer.beginTransaction()
    await producer.send(records(topic, 'pending', 3))
    // Written but not committed: a read_uncommitted consumer sees it, read_committed waits at the open transaction.
    const uncommitted = await readUntil(topic, 'pending-2', 'read_uncommitted')
    assert.deepEqual(uncommitted, ['pending-0', 'pending-1', 'pending-2'])
    await producer.commitTransaction()
  } finally {
    await producer.close()
  }
  assert.deepEqual(await readUntil(topic, 'pending-2', 'read_committed'), ['pending-0', 'pending-1', 'pending-2'])
})

test('a failed send leaves the transaction to be aborted: commit fails with its error, the abort makes the producer usable again', async () => {
  const topic = await createTopic(1)
  const producer = transactional(randomName('tx'))
  try {
    await producer.initTransactions()
    producer.beginTransaction()
    const good = producer.send(records(topic, 'good', 2))
    await assert.rejects(producer.send(records(topic, 'bad', 1, 5)), /Partition 5 of topic/)
    await good
    await assert.rejects(producer.commitTransaction(), (e: unknown) => {
      assert.equal((e as Error).name, 'KafkaException')
      assert.equal((e as Error).message, 'Cannot execute transactional method because we are in an error state')
      assert.match(String(((e as Error).cause as Error)?.message), /Partition 5 of topic/)
      return true
    })
    await assert.rejects(producer.send(records(topic, 'more', 1)), {
      message: 'Cannot execute transactional method because we are in an error state',
    })
    await producer.abortTransaction()
    producer.beginTransaction()
    await producer.send([{ topic, key: null, value: Buffer.from('after') }])
    await producer.commitTransaction()
  } finally {
    await producer.close()
  }
  assert.deepEqual(await readUntil(topic, 'after', 'read_committed'), ['after'])
})

test('a second producer with the same transactional id fences the first: its open transaction is aborted and its commit fails, fenced', async () => {
  const topic = await createTopic(1)
  const id = randomName('tx')
  const first = transactional(id)
  const second = transactional(id)
  try {
    await first.initTransactions()
    first.beginTransaction()
    await first.send(records(topic, 'zombie', 4))

    await second.initTransactions()
    second.beginTransaction()
    await second.send([{ topic, key: null, value: Buffer.from('second') }])
    await second.commitTransaction()

    await assert.rejects(first.commitTransaction(), (e: unknown) => {
      assert.ok(e instanceof ProducerFencedException, String(e))
      assert.equal(e.apiId, 'PRODUCER_FENCED')
      return true
    })
    // Fatal: every later call fails the same way.
    assert.throws(() => first.beginTransaction(), ProducerFencedException)
    await assert.rejects(first.send(records(topic, 'after', 1)), ProducerFencedException)
    await assert.rejects(first.abortTransaction(), ProducerFencedException)
  } finally {
    await first.close()
    await second.close()
  }
  assert.deepEqual(await readUntil(topic, 'second', 'read_committed'), ['second'])
  const all = await readUntil(topic, 'second', 'read_uncommitted')
  assert.equal(all.filter((v) => v.startsWith('zombie-')).length, 4)
})

test("a fenced producer's next send fails with Java's InvalidProducerEpochException, its commit too, its abort as fenced", async () => {
  const topic = await createTopic(1)
  const id = randomName('tx')
  const first = transactional(id)
  const second = transactional(id)
  try {
    await first.initTransactions()
    first.beginTransaction()
    await first.send(records(topic, 'before', 1))
    await second.initTransactions()
    // The partition saw the newer epoch (the abort marker of first's transaction): an abortable error, as Java's.
    await assert.rejects(first.send(records(topic, 'after', 1)), {
      name: 'InvalidProducerEpochException',
      apiId: 'INVALID_PRODUCER_EPOCH',
    })
    await assert.rejects(first.commitTransaction(), {
      name: 'InvalidProducerEpochException',
      message:
        /^Producer with transactionalId '.*' and ProducerIdAndEpoch\(producerId=\d+, epoch=\d+\) attempted to produce with an old epoch$/,
    })
    // The coordinator knows the newer producer: fatal.
    await assert.rejects(first.abortTransaction(), (e: unknown) => isProducerFenced(e))
    assert.throws(() => first.beginTransaction(), ProducerFencedException)
  } finally {
    await first.close()
    await second.close()
  }
})

test('a transaction open longer than transaction.timeout.ms is aborted by the coordinator: the next send and the commit fail with InvalidProducerEpochException', async () => {
  const topic = await createTopic(1)
  const id = randomName('tx')
  const producer = transactional(id, { transactionTimeoutMs: 1000 })
  try {
    await producer.initTransactions()
    producer.beginTransaction()
    await producer.send(records(topic, 'expired', 2))
    // The coordinator looks for expired transactions every 10 s (transaction.abort.timed.out.transaction.cleanup.
    // interval.ms); sends go on until one is refused.
    let refusal: unknown = null
    const deadline = Date.now() + 60000
    while (refusal === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500))
      await producer.send(records(topic, 'late', 1)).catch((e: unknown) => {
        refusal = e
      })
    }
    assert.equal((refusal as Error | null)?.name, 'InvalidProducerEpochException', String(refusal))
    await assert.rejects(producer.commitTransaction(), { name: 'InvalidProducerEpochException' })
    // Java's abort sends EndTxn with the epoch the coordinator already bumped: fenced.
    await assert.rejects(producer.abortTransaction(), (e: unknown) => isProducerFenced(e))
  } finally {
    await producer.close()
  }
  await commitMarker(topic, 'after')
  assert.deepEqual(await readUntil(topic, 'after', 'read_committed'), ['after'])
})

test('KafkaAdmin.fenceProducers fences a live producer: its transaction is aborted and its next calls fail, fenced', async () => {
  const topic = await createTopic(1)
  const ids = [randomName('tx'), randomName('tx')]
  const producer = transactional(ids[0]!)
  const admin = new KafkaAdmin({ bootstrapServers: bootstrapServers(), clientId: randomName('admin') })
  try {
    await producer.initTransactions()
    producer.beginTransaction()
    await producer.send(records(topic, 'zombie', 3))
    // An id no producer used yet is fenced too (Apache's worker fences every task id of a connector).
    await admin.fenceProducers(ids)
    await assert.rejects(producer.commitTransaction(), (e: unknown) => isProducerFenced(e))
  } finally {
    await producer.close()
    await admin.close()
  }
  await commitMarker(topic, 'marker')
  assert.deepEqual(await readUntil(topic, 'marker', 'read_committed'), ['marker'])
})

test('a producer killed (SIGKILL) mid-transaction: the next initTransactions of its id aborts what it wrote', async () => {
  const topic = await createTopic(1)
  const id = randomName('tx')
  const script = `
    import { KafkaProducer } from ${JSON.stringify(new URL('../../src/kafka/clients.ts', import.meta.url).href)}
    const p = new KafkaProducer({ bootstrapServers: ${JSON.stringify(bootstrapServers())}, clientId: 'child', transactionalId: ${JSON.stringify(id)} })
    await p.initTransactions()
    p.beginTransaction()
    await p.send(Array.from({ length: 20 }, (_, i) => ({ topic: ${JSON.stringify(topic)}, key: null, value: Buffer.from('killed-' + i) })))
    process.stdout.write('sent\\n')
    setInterval(() => {}, 1000)
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    let output = ''
    child.stdout.setEncoding('utf8')
    while (!output.includes('sent')) {
      const [chunk] = (await Promise.race([once(child.stdout, 'data'), once(child, 'exit')])) as [string | number]
      if (typeof chunk !== 'string') throw new Error(`the child exited (${chunk}) before sending`)
      output += chunk
    }
  } finally {
    child.kill('SIGKILL')
  }
  const next = transactional(id, { transactionTimeoutMs: 60000 })
  try {
    await next.initTransactions()
    next.beginTransaction()
    await next.send([{ topic, key: null, value: Buffer.from('next') }])
    await next.commitTransaction()
  } finally {
    await next.close()
  }
  assert.deepEqual(await readUntil(topic, 'next', 'read_committed'), ['next'])
  assert.equal((await readUntil(topic, 'next', 'read_uncommitted')).filter((v) => v.startsWith('killed-')).length, 20)
})

test("Apache's console consumer with --isolation-level read_committed reads what Ferry committed and not what it aborted", async () => {
  const topic = await createTopic(1)
  const producer = transactional(randomName('tx'), { compression: { type: 'lz4' } })
  try {
    await producer.initTransactions()
    producer.beginTransaction()
    await producer.send(records(topic, 'aborted', 3))
    await producer.abortTransaction()
    producer.beginTransaction()
    await producer.send(records(topic, 'committed', 3))
    await producer.commitTransaction()
  } finally {
    await producer.close()
  }
  const values = await runConsoleConsumer({
    bootstrap: testBootstrap(),
    topic,
    maxMessages: 3,
    isolationLevel: 'read_committed',
  })
  assert.deepEqual(values, ['committed-0', 'committed-1', 'committed-2'])
})

/** Java's KafkaProducer: with `transactionalId`, one transaction of 3 records aborted, then one of 3 committed. */
const JAVA_TRANSACTIONS = `
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public class Transactions {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("transactional.id", args[2]);
    props.put("key.serializer", StringSerializer.class.getName());
    props.put("value.serializer", StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      producer.initTransactions();
      producer.beginTransaction();
      for (int i = 0; i < 3; i++) producer.send(new ProducerRecord<>(args[1], "java-aborted-" + i)).get();
      producer.abortTransaction();
      producer.beginTransaction();
      for (int i = 0; i < 3; i++) producer.send(new ProducerRecord<>(args[1], "java-committed-" + i));
      producer.commitTransaction();
    }
  }
}
`

test("Java's transactional producer fences Ferry's of the same id, and Ferry's read_committed consumer reads only what Java committed", async () => {
  const topic = await createTopic(1)
  const id = randomName('tx')
  const ferry = transactional(id)
  const dir = await mkdtemp(join(tmpdir(), 'ferry-java-txn-'))
  try {
    await ferry.initTransactions()
    ferry.beginTransaction()
    await ferry.send(records(topic, 'ferry-zombie', 3))

    const source = join(dir, 'Transactions.java')
    await writeFile(source, JAVA_TRANSACTIONS)
    const libs = await ensureKafka()
    const java = spawn(
      await javaCommand(),
      ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-cp', join(libs, '*'), source, testBootstrap(), topic, id],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    let stderr = ''
    java.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    const [code] = (await once(java, 'exit')) as [number | null]
    assert.equal(code, 0, stderr.slice(-2000))

    await assert.rejects(ferry.commitTransaction(), (e: unknown) => isProducerFenced(e))
  } finally {
    await ferry.close()
    await rm(dir, { recursive: true, force: true })
  }
  assert.deepEqual(await readUntil(topic, 'java-committed-2', 'read_committed'), [
    'java-committed-0',
    'java-committed-1',
    'java-committed-2',
  ])
  const all = await readUntil(topic, 'java-committed-2', 'read_uncommitted')
  assert.equal(all.length, 9)
})
