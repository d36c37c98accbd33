import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { OutgoingRecord } from '../../../packages/runtime/src/kafka/clients.ts'
import { encodeRecordBatch } from '../../../packages/runtime/src/kafka/produce.ts'
import {
  afterRun,
  compressionProblem,
  describeCheck,
  parseBatchHeaders,
  type SecuredSetup,
  securedWorkerConfig,
  securedWorkerSample,
  summarizeBatches,
} from '../secured.ts'
import type { BenchContext } from '../workloads.ts'

const records = (n: number, from = 0): OutgoingRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    topic: 't',
    key: null,
    value: Buffer.from(`line ${from + i} ${'x'.repeat(80)}`),
  }))

/** Batches as they sit in a log: each with its base offset. */
function log(...batches: Buffer[]): Buffer {
  let offset = 0n
  for (const b of batches) {
    b.writeBigInt64BE(offset, 0)
    offset += BigInt(b.readInt32BE(57))
  }
  return Buffer.concat(batches)
}

test('the batch headers of a fetched log give each batch its codec, record count, size and producer id', () => {
  const lz4 = encodeRecordBatch(records(100), 0, {
    producerId: 7n,
    producerEpoch: 0,
    baseSequence: 0,
    compression: 'lz4',
  })
  const zstd = encodeRecordBatch(records(30, 100), 0, {
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    compression: 'zstd',
  })
  const plain = encodeRecordBatch(records(5, 130), 0)
  const headers = parseBatchHeaders(log(lz4, zstd, plain))
  assert.deepEqual(
    headers.map((h) => [h.baseOffset, h.codec, h.records, h.size, h.producerId]),
    [
      [0n, 3, 100, lz4.length, 7n],
      [100n, 4, 30, zstd.length, -1n],
      [130n, 0, 5, plain.length, -1n],
    ],
  )
})

test('a batch cut off by the fetch size is left out, and a non-v2 batch is refused', () => {
  const a = encodeRecordBatch(records(10), 0, {
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    compression: 'lz4',
  })
  const b = encodeRecordBatch(records(10, 10), 0, {
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    compression: 'lz4',
  })
  const data = log(a, b)
  assert.equal(parseBatchHeaders(data.subarray(0, data.length - 1)).length, 1)
  assert.equal(parseBatchHeaders(data.subarray(0, a.length + 40)).length, 1)
  assert.deepEqual(parseBatchHeaders(Buffer.alloc(0)), [])
  const old = Buffer.from(a)
  old.writeInt8(1, 16)
  assert.throws(() => parseBatchHeaders(old), /magic 1, not 2/)
})

test('the codec check passes only when every batch carries the codec, and says which do not', () => {
  const batch = (compression: 'lz4' | 'zstd' | 'none') =>
    encodeRecordBatch(records(20), 0, { producerId: -1n, producerEpoch: -1, baseSequence: -1, compression })
  const good = summarizeBatches('out', 'lz4', parseBatchHeaders(log(batch('lz4'), batch('lz4'))))
  assert.equal(compressionProblem(good), undefined)
  assert.equal(good.batches, 2)
  assert.equal(good.records, 40)
  assert.deepEqual(good.codecs, { lz4: 2 })
  assert.match(describeCheck(good), /^2 batches \(40 records\), all lz4, 20 records per batch, [\d.]+ bytes per record/)

  const mixed = summarizeBatches('out', 'lz4', parseBatchHeaders(log(batch('lz4'), batch('none'), batch('zstd'))))
  assert.equal(compressionProblem(mixed), 'out: 1 of 3 batches are none, 1 of 3 batches are zstd, not lz4')
  assert.match(describeCheck(mixed), /1 lz4, 1 none, 1 zstd/)

  const empty = summarizeBatches('out', 'zstd', [])
  assert.match(compressionProblem(empty) ?? '', /no complete record batch/)
})

test('the secured worker file carries the client properties at the top level and for the producer and consumer', () => {
  const clientProps = {
    'security.protocol': 'SASL_SSL',
    'ssl.truststore.location': '/x/truststore.p12',
    'sasl.mechanism': 'SCRAM-SHA-512',
  }
  const worker = securedWorkerConfig(
    { 'bootstrap.servers': '127.0.0.1:1', 'key.converter': 'K' },
    { bootstrap: '127.0.0.1:2', clientProps },
    'zstd',
  )
  assert.equal(worker['bootstrap.servers'], '127.0.0.1:2')
  assert.equal(worker['key.converter'], 'K')
  for (const [k, v] of Object.entries(clientProps)) {
    assert.equal(worker[k], v)
    assert.equal(worker[`producer.${k}`], v)
    assert.equal(worker[`consumer.${k}`], v)
  }
  assert.equal(worker['producer.compression.type'], 'zstd')
  assert.equal(worker['compression.type'], undefined)
  assert.equal(worker['consumer.compression.type'], undefined)
})

test("the report's sample worker file hides the passwords", () => {
  const sample = securedWorkerSample('lz4')
  assert.match(sample, /^producer\.compression\.type=lz4$/m)
  assert.match(sample, /^consumer\.sasl\.jaas\.config=.* password="<hidden>";$/m)
  for (const line of sample.split('\n').filter((l) => /password/.test(l)))
    assert.match(line, /<hidden>/, `${line} shows a password`)
})

test('a run fails when its worker log holds the SASL password', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-secured-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const secured: SecuredSetup = {
    bootstrap: '127.0.0.1:1',
    clientProps: {},
    secrets: ['s3cret-Pa55word'],
    jsonTopics: {},
    inputChecks: {},
  }
  const ctx = { bootstrap: '127.0.0.1:1', secured } as unknown as BenchContext
  const logPath = join(dir, 'ferry.log')
  await writeFile(logPath, '{"msg":"connected as alice"}\n')
  assert.deepEqual(await afterRun(ctx, undefined)({ engine: 'ferry', logPath }, 'topic'), {})
  await writeFile(logPath, '{"msg":"sasl.jaas.config=... password=\\"s3cret-Pa55word\\""}\n')
  await assert.rejects(
    afterRun(ctx, undefined)({ engine: 'ferry', logPath }, 'topic'),
    /appears in the ferry worker's log/,
  )
})
