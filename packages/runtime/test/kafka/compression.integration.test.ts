/**
 * Compression interop with Apache's Java clients, per codec: what Ferry's producer writes (its own batches,
 * compressed by src/kafka/compression.ts) Apache's console consumer reads, and what Apache's console producer writes
 * with the codec Ferry's consumer reads. The raw batches are fetched too, to see the codec bits each side set.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'
import { randomName } from '@ferry/testing'
import { ConnectionPool } from '@platformatic/kafka'
import { ensureKafka, javaCommand } from '../../../../scripts/kafka/harness.ts'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import type { CompressionType } from '../../src/kafka/client-settings.ts'
import { type IncomingRecord, KafkaAdmin, KafkaConsumer, KafkaProducer } from '../../src/kafka/clients.ts'
import { sendFetch } from '../../src/kafka/fetch.ts'

const bootstrap = () => testBootstrap()

/**
 * Runs one of Apache's command line tools (`kafka-tools`) from the harness's jars; resolves with its stdout, rejects
 * with its stderr when it exits non-zero.
 */
async function runApacheTool(mainClass: string, args: string[], stdin = ''): Promise<string> {
  const libs = await ensureKafka()
  const java = await javaCommand()
  return new Promise((resolve, reject) => {
    const child = spawn(java, ['-Xmx256m', '-cp', join(libs, '*'), mainClass, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => {
      out += d
    })
    child.stderr.on('data', (d) => {
      err += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(out)
      else reject(new Error(`${mainClass} exited with ${code}: ${err.slice(-2000)}`))
    })
    child.stdin.end(stdin)
  })
}

/** Apache's console consumer: the values of the first `count` records of `topic`, one per line. */
async function apacheConsume(topic: string, count: number): Promise<string[]> {
  const out = await runApacheTool('org.apache.kafka.tools.consumer.ConsoleConsumer', [
    '--bootstrap-server',
    bootstrap(),
    '--topic',
    topic,
    '--from-beginning',
    '--max-messages',
    String(count),
    '--timeout-ms',
    '30000',
  ])
  return out.split('\n').filter((l) => l.length > 0)
}

/** Apache's console producer writing `lines` with the codec (and its level). */
async function apacheProduce(topic: string, lines: string[], type: CompressionType, level?: number): Promise<void> {
  // The tool's --compression-codec sets compression.type (a --producer-property compression.type is overridden by it).
  const props = ['--compression-codec', type, '--producer-property', 'linger.ms=100']
  if (level !== undefined) props.push('--producer-property', `compression.${type}.level=${level}`)
  await runApacheTool(
    'org.apache.kafka.tools.ConsoleProducer',
    ['--bootstrap-server', bootstrap(), '--topic', topic, ...props],
    `${lines.join('\n')}\n`,
  )
}

/** The codec bits (attributes & 7) of every record batch in partition 0 of `topic`. */
async function batchCodecs(topic: string): Promise<number[]> {
  const [host, port] = bootstrap().split(',')[0]!.split(':') as [string, string]
  const pool = new ConnectionPool(randomName('raw'))
  try {
    const connection = await pool.get({ host, port: Number(port) })
    const response = await sendFetch(
      connection,
      { version: 12, maxWaitMs: 100, minBytes: 1, maxBytes: 10 * 1024 * 1024, isolationLevel: 0 },
      [{ topic, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 10 * 1024 * 1024 }] }],
    )
    const data = response.responses[0]!.partitions[0]!.records
    const codecs: number[] = []
    for (let at = 0; data !== null && at + 61 <= data.length; at += 12 + data.readInt32BE(at + 8))
      codecs.push(data.readInt16BE(at + 21) & 7)
    return codecs
  } finally {
    await pool.close()
  }
}

async function createTopic(topic: string): Promise<void> {
  const admin = new KafkaAdmin({ bootstrapServers: bootstrap().split(','), clientId: randomName('admin') })
  try {
    await admin.createTopic(topic, 1, 1)
  } finally {
    await admin.close()
  }
}

async function ferryConsume(topic: string, count: number): Promise<IncomingRecord[]> {
  const c = new KafkaConsumer({
    bootstrapServers: bootstrap().split(','),
    clientId: randomName('c'),
    groupId: randomName('g'),
  })
  const out: IncomingRecord[] = []
  try {
    await c.subscribe([topic])
    const deadline = Date.now() + 30000
    while (out.length < count && Date.now() < deadline) out.push(...(await c.poll(1000, 200)))
  } finally {
    await c.close()
  }
  return out
}

/** Lines that compress (repeats) with some variety, enough for several 32 KiB snappy and 64 KiB lz4 blocks. */
function lines(prefix: string, count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `${prefix} record ${i} ${'abcdefgh'.repeat(i % 20)} ${(i * 7919) % 1000}`,
  )
}

const CODECS: Array<[CompressionType, number, number | undefined]> = [
  ['gzip', 1, 9],
  ['snappy', 2, undefined],
  ['lz4', 3, undefined],
  ['lz4', 3, 12],
  ['zstd', 4, 10],
]

for (const [type, bits, level] of CODECS) {
  const name = `${type}${level === undefined ? '' : ` level ${level}`}`
  test(`${name}: Apache's console consumer reads what Ferry's producer compressed, and Ferry reads what Apache's producer compressed`, async (t) => {
    const fromFerry = randomName(`ferry-${type}`)
    await createTopic(fromFerry)
    const producer = new KafkaProducer({
      bootstrapServers: bootstrap().split(','),
      clientId: randomName('p'),
      compression: { type, level },
    })
    t.after(() => producer.close())
    const sent = lines('ferry', 3000)
    await producer.send(sent.map((v) => ({ topic: fromFerry, key: null, value: Buffer.from(v) })))
    const codecs = await batchCodecs(fromFerry)
    assert.ok(codecs.length > 0 && codecs.every((c) => c === bits), `batches written with ${type}: ${codecs}`)
    assert.deepEqual(await apacheConsume(fromFerry, sent.length), sent)

    const fromApache = randomName(`apache-${type}`)
    await createTopic(fromApache)
    const written = lines('apache', 3000)
    await apacheProduce(fromApache, written, type, level)
    const apacheCodecs = await batchCodecs(fromApache)
    assert.ok(apacheCodecs.length > 0 && apacheCodecs.every((c) => c === bits), `Apache wrote ${type}: ${apacheCodecs}`)
    const read = await ferryConsume(fromApache, written.length)
    assert.deepEqual(
      read.map((r) => r.value!.toString()),
      written,
    )
  })
}
