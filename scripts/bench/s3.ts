/**
 * The S3 sink workload: topic → S3Mock bucket, Ferry's S3 sink against the limit measured in the same run, direct
 * PutObject uploads of objects of the same size (the records' values joined by newlines, `flush.size` records each),
 * two in flight at a time as a sink task uploads a partition's objects, through the same AWS SDK client settings.
 *
 *   npm run bench:s3 [-- --records 400000 --flush-size 10000 --format json]
 *
 * `--format json` runs JsonFormat with the JsonConverter (schemas off), `--format bytes` ByteArrayFormat with the
 * ByteArrayConverter. Both are timed by their objects' LastModified, from the first object to the last (worker
 * start-up and the first object's records are left out: the records counted are those of the objects after the
 * first), so the bucket is listed only every 500 ms; records/s and MiB/s (of record values) for both, Ferry's CPU
 * seconds and peak RSS from /proc, and the ratio. Prints one JSON object. FERRY_BENCH_CPU_PROF=<dir> writes a CPU
 * profile of the worker; FERRY_BENCH_S3_PROPS='{"key":"value"}' adds keys to the connector config (e.g. consumer
 * overrides) for side experiments.
 */

import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { s3Settings } from '../../packages/connectors/s3/src/config.ts'
import { newS3Client } from '../../packages/connectors/s3/src/storage.ts'
import { startKafka } from '../kafka/harness.ts'
import { startS3Mock } from '../s3mock/harness.ts'
import { createTopic, produce } from './data.ts'
import { cpuSeconds, memory } from './proc.ts'

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '400000' },
    'flush-size': { type: 'string', default: '10000' },
    format: { type: 'string', default: 'json' },
  },
})
const RECORDS = Number(args.records)
const FLUSH = Number(args['flush-size'])
const FORMAT = args.format === 'bytes' ? 'bytes' : 'json'
if (RECORDS % FLUSH !== 0) throw new Error('--records must be a multiple of --flush-size')
const OBJECTS = RECORDS / FLUSH
const BUCKET = 'bench'

/** Record `i`: an order of about 200 bytes of JSON. */
function doc(i: number): string {
  const c = i % 1000
  return JSON.stringify({
    id: i,
    customer: `customer-${String(c).padStart(4, '0')}`,
    email: `customer${c}@example.com`,
    amount: (i % 100_000) / 100,
    currency: i % 3 === 0 ? 'USD' : 'EUR',
    paid: i % 2 === 0,
    note: `order ${i} of customer ${c}, shipped in ${(i % 7) + 1} days`,
  })
}

const dataMiB = (() => {
  let bytes = 0
  for (let i = 0; i < RECORDS; i++) bytes += Buffer.byteLength(doc(i)) + 1
  return bytes / 1024 / 1024
})()

const kafka = await startKafka()
const s3 = await startS3Mock({ buckets: [BUCKET], fullJit: true })
const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-s3-'))
const connectorProps = {
  name: 'bench-s3',
  'connector.class': 'io.confluent.connect.s3.S3SinkConnector',
  's3.bucket.name': BUCKET,
  's3.region': 'us-east-1',
  'store.url': s3.endpoint,
  'aws.access.key.id': 'bench',
  'aws.secret.access.key': 'bench-secret',
  'storage.class': 'io.confluent.connect.s3.storage.S3Storage',
  'format.class': FORMAT === 'json' ? 'io.confluent.connect.s3.format.json.JsonFormat' : 'ByteArrayFormat',
  'flush.size': String(FLUSH),
  'topics.dir': 'ferry',
  ...JSON.parse(process.env.FERRY_BENCH_S3_PROPS ?? '{}'),
}
const client = newS3Client(s3Settings(connectorProps))

/** The objects under `prefix` and the seconds between the first one's LastModified and the last one's. */
async function listObjects(prefix: string): Promise<{ count: number; seconds: number }> {
  const times: number[] = []
  let token: string | undefined
  do {
    const res = await client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }),
    )
    for (const o of res.Contents ?? []) times.push(o.LastModified!.getTime())
    token = res.NextContinuationToken
  } while (token)
  return { count: times.length, seconds: times.length ? (Math.max(...times) - Math.min(...times)) / 1000 : 0 }
}

/** The direct uploads: each object's bytes built, then PutObject, two in flight as the sink's uploads of a partition. */
async function directUploads(): Promise<void> {
  const inFlight = new Set<Promise<unknown>>()
  for (let o = 0; o < OBJECTS; o++) {
    const lines: string[] = []
    for (let i = o * FLUSH; i < (o + 1) * FLUSH; i++) lines.push(`${doc(i)}\n`)
    const key = `direct/${o}.json`
    const p = client
      .send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from(lines.join('')) }))
      .finally(() => inFlight.delete(p))
    inFlight.add(p)
    if (inFlight.size >= 2) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
}

try {
  const topic = `bench-s3-${randomUUID()}`
  await createTopic(kafka.bootstrapServers, topic)
  await produce(kafka.bootstrapServers, topic, RECORDS, doc)
  process.stderr.write(`${RECORDS} records (${dataMiB.toFixed(1)} MiB of values) in ${topic}, ${OBJECTS} objects\n`)

  // S3Mock is a JVM: the first requests of a run are slow, so a few objects warm it before anything is timed.
  for (let w = 0; w < 5; w++) {
    const body = Buffer.from(Array.from({ length: FLUSH }, (_, i) => `${doc(i)}\n`).join(''))
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `warmup/${w}.json`, Body: body }))
  }
  await directUploads()
  const direct = await listObjects('direct/')
  if (direct.count !== OBJECTS) throw new Error('the direct uploads lost objects')

  const workerFile = join(dir, 'worker.properties')
  const connectorFile = join(dir, 's3.properties')
  const converter =
    FORMAT === 'json'
      ? ['value.converter=org.apache.kafka.connect.json.JsonConverter', 'value.converter.schemas.enable=false']
      : ['value.converter=org.apache.kafka.connect.converters.ByteArrayConverter']
  await writeFile(
    workerFile,
    [
      `bootstrap.servers=${kafka.bootstrapServers}`,
      'listeners=http://127.0.0.1:0',
      'key.converter=org.apache.kafka.connect.storage.StringConverter',
      ...converter,
      `offset.storage.file.filename=${join(dir, 'offsets')}`,
      'offset.flush.interval.ms=1000',
      '',
    ].join('\n'),
  )
  await writeFile(
    connectorFile,
    `${Object.entries({ ...connectorProps, topics: topic })
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  )
  const worker = spawn(
    process.execPath,
    [
      // FERRY_BENCH_CPU_PROF=<dir>: a V8 CPU profile of the worker (see profile.ts to read it).
      ...(process.env.FERRY_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.FERRY_BENCH_CPU_PROF}`] : []),
      join(import.meta.dirname, '../../packages/cli/bin/ferry.js'),
      'standalone',
      workerFile,
      connectorFile,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, FERRY_LOG_LEVEL: 'warn' } },
  )
  let peakRss = 0
  let ferry = { count: 0, seconds: 0 }
  for (;;) {
    ferry = await listObjects('ferry/').catch(() => ferry)
    peakRss = Math.max(peakRss, memory(worker.pid!)?.peakRssMb ?? 0)
    if (ferry.count >= OBJECTS) break
    if (worker.exitCode !== null) throw new Error(`the worker exited with ${worker.exitCode}`)
    await new Promise((r) => setTimeout(r, 500))
  }
  const cpu = cpuSeconds(worker.pid!) ?? Number.NaN
  peakRss = Math.max(peakRss, memory(worker.pid!)?.peakRssMb ?? 0)
  worker.kill('SIGTERM')
  await new Promise((r) => worker.once('exit', r))
  // Both are timed by their objects' LastModified, first to last: the window holds the objects after the first one.
  const timedRecords = RECORDS - FLUSH
  const timedMiB = (dataMiB * timedRecords) / RECORDS
  const result = {
    server: 'S3Mock 5.2.0',
    format: FORMAT,
    records: RECORDS,
    flushSize: FLUSH,
    objects: OBJECTS,
    objectMiB: Number((dataMiB / OBJECTS).toFixed(2)),
    valuesMiB: Number(dataMiB.toFixed(1)),
    direct: {
      seconds: direct.seconds,
      recordsPerSec: timedRecords / direct.seconds,
      mibPerSec: timedMiB / direct.seconds,
    },
    ferry: {
      seconds: ferry.seconds,
      recordsPerSec: timedRecords / ferry.seconds,
      mibPerSec: timedMiB / ferry.seconds,
      cpuSeconds: cpu,
      peakRssMiB: peakRss,
    },
    ratio: direct.seconds / ferry.seconds,
  }
  console.log(JSON.stringify(result, null, 2))
} finally {
  client.destroy()
  await s3.stop()
  await kafka.stop()
  await rm(dir, { recursive: true, force: true })
}
