/**
 * The sink groups (issue 15): Ferry's Elasticsearch and S3 sinks against the limit measured in the same run, a direct
 * client doing the same writes with the same batch sizes. Neither side is Apache Connect: Confluent's connectors are
 * not on Maven Central, so the limit is what the server takes from a plain client.
 *
 * - `elasticsearch` (workload 15): topic → an index on one OpenSearch 2.x node. The direct `_bulk` loader sends the
 *   same action lines as the sink (id = the order id, external version = the offset) in batches of `batch.size`
 *   documents with `max.in.flight.requests` requests in flight.
 * - `s3` (workloads 16, 17): topic → an S3Mock bucket, JsonFormat with the JsonConverter and ByteArrayFormat with the
 *   ByteArrayConverter. The direct uploads PutObject the records' values joined by newlines, `flush.size` records an
 *   object, two in flight as a sink task uploads one partition's objects, through the sink's own S3 client settings.
 *   Both are timed by their objects' LastModified, first object to last.
 *
 * What each window holds, so that both sides are timed as a steady stream would see them:
 * - Ferry's windows start once it writes: start-up, the consumer group join, the first fetch and the first batch or
 *   object are outside them (their records are not counted either). The Elasticsearch window runs from the first
 *   poll (every 100 ms) that finds documents indexed to the one that finds them all; the polls read the index's
 *   `indexing.index_total`, which needs no `_refresh` (refreshing ten times a second made OpenSearch write a segment
 *   each time, during Ferry's runs only). A `_refresh` and `_count` after the run check that every record arrived.
 * - The loader's window runs from its first request to its last answer, its uploads' from the first object's
 *   LastModified to the last (S3Mock stamps milliseconds).
 * - A full run moves 400,000 documents and 1,000,000 records (100 objects): each Ferry run is a fresh worker whose
 *   code the JIT compiles during its first second or so, and each server warms up too, fixed costs that weighed a
 *   lot in the 1–4 s windows of 200,000 and 400,000 records. OpenSearch takes a 100,000-document warm-up load and
 *   S3Mock five objects before anything is timed.
 *
 * Each group starts its server once, fills one topic, and every run writes an index or a prefix of its own.
 * For side experiments only (the figures use the keys below): `FERRY_BENCH_SINK_PROPS='{"key":"value"}'` adds keys to
 * Ferry's sink connectors, e.g. consumer overrides.
 */

import { randomUUID } from 'node:crypto'
import http from 'node:http'
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { s3Settings } from '../../packages/connectors/s3/src/config.ts'
import { newS3Client } from '../../packages/connectors/s3/src/storage.ts'
import { S3MOCK_VERSION, startS3Mock } from '../s3mock/harness.ts'
import { startSearch } from '../search/harness.ts'
import { createTopic, produce } from './data.ts'
import type { WorkloadHelpers } from './jdbc.ts'
import type { SinkGroup } from './results.ts'
import { startWorker, type Worker } from './workers.ts'
import type { BenchContext, Runner, Workload } from './workloads.ts'

const MiB = 1024 * 1024

/** Records, batch and object sizes of a full and a `--quick` run. */
export const SINK_PRESETS = {
  full: { esRecords: 400_000, s3Records: 1_000_000, flushSize: 10_000 },
  quick: { esRecords: 10_000, s3Records: 20_000, flushSize: 1_000 },
} as const
/** The sink's `batch.size` and `max.in.flight.requests`, and the loader's. */
export const ES_BATCH = 2000
export const ES_IN_FLIGHT = 5
/** Uploads in flight: the S3 sink's for one partition (a commit uploading while the next fills). */
export const S3_IN_FLIGHT = 2
const BUCKET = 'bench'

/** Record `i`: an order of about 200 bytes of JSON, with a unique `id`. */
export function order(i: number): string {
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

/** Average value size of `records` orders, bytes. */
function averageBytes(records: number): number {
  let bytes = 0
  for (let i = 0; i < records; i++) bytes += Buffer.byteLength(order(i))
  return bytes / records
}

/** A sink group's server and topic, prepared once per bench run (`prepareSinkGroup`). */
export interface SinkSetup {
  group: SinkGroup
  /** The server as it names itself, for the report. */
  server: string
  url: string
  topic: string
  records: number
  recordBytes: number
  /** Records per object (S3). */
  flushSize: number
  s3?: S3Client | undefined
  stop(): Promise<void>
}

/** The servers of this bench run as they name themselves, for the workloads' descriptions. */
const serversUsed: Partial<Record<SinkGroup, string>> = {}

/** The group's server, started, and its topic, filled. Throws when the server cannot start (the group is skipped). */
export async function prepareSinkGroup(ctx: BenchContext, group: SinkGroup): Promise<SinkSetup> {
  const preset = ctx.quick ? SINK_PRESETS.quick : SINK_PRESETS.full
  const records = group === 'elasticsearch' ? preset.esRecords : preset.s3Records
  const topic = `bench-${group}-${randomUUID().slice(0, 8)}`
  let setup: SinkSetup
  if (group === 'elasticsearch') {
    ctx.log('Starting OpenSearch 2 (1 GiB heap)...')
    const server = await startSearch({ kind: 'opensearch-2', heap: '1g' })
    setup = {
      group,
      server: `OpenSearch ${server.version}`,
      url: server.url,
      topic,
      records,
      recordBytes: averageBytes(records),
      flushSize: 0,
      stop: () => server.stop(),
    }
    try {
      // A fresh JVM indexes slowly at first: a warm-up load (deleted again) before anything is timed, as for S3Mock.
      await bulkLoad({ ...setup, records: Math.min(records, 100_000) }, 'bench-warmup')
      await deleteIndex(server.url, 'bench-warmup')
    } catch (e) {
      await setup.stop()
      throw e
    }
  } else {
    ctx.log('Starting S3Mock (full JIT)...')
    const s3 = await startS3Mock({ buckets: [BUCKET], fullJit: true })
    const client = newS3Client(s3Settings(s3Connector(s3.endpoint, 'warmup', 'json', preset.flushSize)))
    setup = {
      group,
      server: `S3Mock ${S3MOCK_VERSION}`,
      url: s3.endpoint,
      topic,
      records,
      recordBytes: averageBytes(records),
      flushSize: preset.flushSize,
      s3: client,
      async stop() {
        client.destroy()
        await s3.stop()
      },
    }
    try {
      // S3Mock is a JVM: its first requests are slow, so a few objects warm it before anything is timed.
      const body = objectBody(0, preset.flushSize)
      for (let w = 0; w < 5; w++)
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `warmup/${w}.json`, Body: body }))
    } catch (e) {
      await setup.stop()
      throw e
    }
  }
  serversUsed[group] = setup.server
  try {
    ctx.log(`Loading ${records} orders (~${Math.round(setup.recordBytes)} bytes) into topic ${topic}...`)
    await createTopic(ctx.bootstrap, topic)
    await produce(ctx.bootstrap, topic, records, order)
  } catch (e) {
    await setup.stop()
    throw e
  }
  return setup
}

/** The JsonConverter without schemas (the orders are plain JSON) or the ByteArrayConverter, keys as strings. */
function sinkWorker(ctx: BenchContext, values: 'json' | 'bytes'): Record<string, string> {
  return {
    'bootstrap.servers': ctx.bootstrap,
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    ...(values === 'json'
      ? {
          'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
          'value.converter.schemas.enable': 'false',
        }
      : { 'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter' }),
    'offset.flush.interval.ms': '10000',
  }
}

/** A name no earlier run used: a new consumer group (reads the topic from the start), index or prefix. */
function runName(prefix: string, runner: Runner, round: number): string {
  return `${prefix}-${runner}-r${round}-${randomUUID().slice(0, 8)}`
}

/** CPU seconds (user + system) this process has used. */
function ownCpuSeconds(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

/** Metrics of a direct client's run, timed by the bench itself (its CPU is this process's). */
function directMetrics(records: number, recordBytes: number, seconds: number, cpu: number): Record<string, number> {
  const msgsPerSec = records / seconds
  return {
    msgsPerSec,
    mbPerSec: (msgsPerSec * recordBytes) / MiB,
    cpuSecondsPerMillion: (cpu / records) * 1e6,
    seconds,
  }
}

// ---------------------------------------------------------------- Elasticsearch / OpenSearch

/**
 * Documents the index has taken so far: its primaries' `indexing.index_total`, read without a `_refresh` (a refresh
 * every poll would make the server write a segment ten times a second, during Ferry's runs only).
 */
async function indexedCount(url: string, index: string): Promise<number> {
  const res = await fetch(`${url}/${index}/_stats/indexing`)
  const body = (await res.json()) as {
    indices?: Record<string, { primaries?: { indexing?: { index_total?: number } } }>
  }
  return body.indices?.[index]?.primaries?.indexing?.index_total ?? 0
}

/** Documents searchable in the index, after a `_refresh`: the check that every record arrived. */
async function indexCount(url: string, index: string): Promise<number> {
  await (await fetch(`${url}/${index}/_refresh`, { method: 'POST' })).text()
  const res = await fetch(`${url}/${index}/_count`)
  const body = (await res.json()) as { count?: number }
  return body.count ?? 0
}

async function deleteIndex(url: string, index: string): Promise<void> {
  await (await fetch(`${url}/${index}`, { method: 'DELETE' })).text()
}

function bulk(agent: http.Agent, url: string, body: Buffer): Promise<void> {
  return new Promise((ok, fail) => {
    const req = http.request(
      `${url}/_bulk`,
      { method: 'POST', agent, headers: { 'content-type': 'application/x-ndjson', 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          if (res.statusCode !== 200 || (JSON.parse(text) as { errors?: boolean }).errors)
            fail(new Error(`_bulk answered ${res.statusCode}: ${text.slice(0, 300)}`))
          else ok()
        })
        res.on('error', fail)
      },
    )
    req.on('error', fail)
    req.end(body)
  })
}

/** The direct loader: the documents as the sink writes them (id = key, external version = offset). */
async function bulkLoad(setup: SinkSetup, index: string): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: ES_IN_FLIGHT })
  try {
    const started = performance.now()
    const inFlight = new Set<Promise<void>>()
    for (let start = 0; start < setup.records; start += ES_BATCH) {
      const lines: string[] = []
      for (let i = start; i < Math.min(setup.records, start + ES_BATCH); i++)
        lines.push(
          `{"index":{"_index":"${index}","_id":"${i}","version":${i},"version_type":"external"}}\n${order(i)}\n`,
        )
      const p: Promise<void> = bulk(agent, setup.url, Buffer.from(lines.join(''))).finally(() => inFlight.delete(p))
      inFlight.add(p)
      if (inFlight.size >= ES_IN_FLIGHT) await Promise.race(inFlight)
    }
    await Promise.all(inFlight)
    return (performance.now() - started) / 1000
  } finally {
    agent.destroy()
  }
}

function elasticsearchConnector(setup: SinkSetup, name: string, index: string): Record<string, string> {
  return {
    name,
    'connector.class': 'io.confluent.connect.elasticsearch.ElasticsearchSinkConnector',
    'tasks.max': '1',
    topics: setup.topic,
    'connection.url': setup.url,
    'schema.ignore': 'true',
    'batch.size': String(ES_BATCH),
    'max.in.flight.requests': String(ES_IN_FLIGHT),
    'max.buffered.records': String(Math.max(20_000, ES_BATCH * ES_IN_FLIGHT)),
    // The loader waits for its answers as long as the server takes; so does the sink (Confluent's 3 s read timeout
    // ran out on a starved server, and six in a row fail the task: a run stalled at load 30).
    'read.timeout.ms': '600000',
    // The records have null keys: ValueToKey + ExtractField$Key make the order id the key (the document id), and
    // RegexRouter sends each run to an index of its own.
    transforms: 'key,id,route',
    'transforms.key.type': 'org.apache.kafka.connect.transforms.ValueToKey',
    'transforms.key.fields': 'id',
    'transforms.id.type': 'org.apache.kafka.connect.transforms.ExtractField$Key',
    'transforms.id.field': 'id',
    'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter',
    'transforms.route.regex': '.*',
    'transforms.route.replacement': index,
  }
}

// ---------------------------------------------------------------- S3

function s3Connector(
  endpoint: string,
  topicsDir: string,
  format: 'json' | 'bytes',
  flushSize: number,
): Record<string, string> {
  return {
    'connector.class': 'io.confluent.connect.s3.S3SinkConnector',
    's3.bucket.name': BUCKET,
    's3.region': 'us-east-1',
    'store.url': endpoint,
    'aws.access.key.id': 'bench',
    'aws.secret.access.key': 'bench-secret',
    'storage.class': 'io.confluent.connect.s3.storage.S3Storage',
    'format.class':
      format === 'json'
        ? 'io.confluent.connect.s3.format.json.JsonFormat'
        : 'io.confluent.connect.s3.format.bytearray.ByteArrayFormat',
    'flush.size': String(flushSize),
    'topics.dir': topicsDir,
  }
}

/** Object `o`'s bytes as the direct uploads send them: its records' values, each followed by a newline. */
function objectBody(o: number, flushSize: number): Buffer {
  const lines: string[] = []
  for (let i = o * flushSize; i < (o + 1) * flushSize; i++) lines.push(`${order(i)}\n`)
  return Buffer.from(lines.join(''))
}

/** The objects under `prefix` and the seconds from the first one's LastModified to the last one's. */
async function listObjects(client: S3Client, prefix: string): Promise<{ count: number; seconds: number }> {
  const times: number[] = []
  let token: string | undefined
  do {
    const res = await client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }),
    )
    for (const o of res.Contents ?? []) if (o.LastModified) times.push(o.LastModified.getTime())
    token = res.NextContinuationToken
  } while (token)
  return { count: times.length, seconds: times.length ? (Math.max(...times) - Math.min(...times)) / 1000 : 0 }
}

async function putObjects(client: S3Client, setup: SinkSetup, prefix: string): Promise<void> {
  const inFlight = new Set<Promise<unknown>>()
  for (let o = 0; o < setup.records / setup.flushSize; o++) {
    const p: Promise<unknown> = client
      .send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${o}.json`, Body: objectBody(o, setup.flushSize) }))
      .finally(() => inFlight.delete(p))
    inFlight.add(p)
    if (inFlight.size >= S3_IN_FLIGHT) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
}

/**
 * Rates from the objects' LastModified, first to last: the window holds the objects after the first one, so the
 * records counted are those. Overrides the polled rates (a poll every 100 ms is coarse for windows of a second).
 */
function byLastModified(
  setup: SinkSetup,
  listed: { count: number; seconds: number },
): { msgsPerSec: number; mbPerSec: number; seconds: number } {
  const records = (listed.count - 1) * setup.flushSize
  const msgsPerSec = records / listed.seconds
  return { msgsPerSec, mbPerSec: (msgsPerSec * setup.recordBytes) / MiB, seconds: listed.seconds }
}

async function deletePrefix(client: S3Client, prefix: string): Promise<void> {
  let token: string | undefined
  do {
    const res = await client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }),
    )
    const keys = (res.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []))
    if (keys.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys } }))
    token = res.NextContinuationToken
  } while (token)
}

// ---------------------------------------------------------------- the workloads

/** What each sink workload runs, given workloads.ts's helpers (this file imports only its types). */
export function sinkWorkloads(helpers: WorkloadHelpers): Workload[] {
  const { runDir, cleanup, failure, measureThroughput } = helpers
  const setupOf = (ctx: BenchContext, group: SinkGroup) => ctx.sinks?.[group]
  const skipOf = (ctx: BenchContext, group: SinkGroup) =>
    ctx.sinkSkip?.[group] ?? (setupOf(ctx, group) ? undefined : 'not prepared')

  const extra = JSON.parse(process.env.FERRY_BENCH_SINK_PROPS ?? '{}') as Record<string, string>

  /** Starts Ferry with one connector and waits until `progress` reaches the topic's records. */
  async function runFerry(
    ctx: BenchContext,
    setup: SinkSetup,
    dir: string,
    values: 'json' | 'bytes',
    connector: Record<string, string>,
    progress: () => Promise<number>,
    options: { cpuProfileDir?: string },
  ): Promise<{ w: Worker; measured: Awaited<ReturnType<WorkloadHelpers['measureThroughput']>> }> {
    const w = await startWorker({
      engine: 'ferry',
      dir,
      cpuProfileDir: options.cpuProfileDir,
      worker: sinkWorker(ctx, values),
      connectors: [{ ...connector, ...extra }],
    })
    try {
      return { w, measured: await measureThroughput(ctx, w, setup.records, setup.recordBytes, progress) }
    } catch (e) {
      await w.stop()
      throw e
    }
  }

  const elasticsearch: Workload = {
    id: 'elasticsearch',
    number: 15,
    title: 'Topic → OpenSearch index (Elasticsearch sink)',
    get description() {
      return `JsonConverter (schemas.enable=false) reads JSON orders from a prepared topic and Ferry's \`io.confluent.connect.elasticsearch.ElasticsearchSinkConnector\` indexes them into one ${serversUsed.elasticsearch ?? 'OpenSearch 2'} node (1 GiB heap), a new index per run (\`batch.size=${ES_BATCH}\`, \`max.in.flight.requests=${ES_IN_FLIGHT}\`, \`schema.ignore=true\`, \`read.timeout.ms\` as long as a run, as the loader waits for its answers, ValueToKey + ExtractField$Key make the order id the document id, RegexRouter names the index); timed from the first poll that finds documents indexed to the one that finds them all (the index's \`indexing.index_total\`, read without a \`_refresh\`), then \`_count\` checks every document. The limit: a direct \`_bulk\` loader in the bench process sending the same action lines (id, external version = offset) in the same batches with as many requests in flight, timed from its first request to its last answer. MiB/s counts the documents' JSON; the loader's CPU is the bench process's.`
    },
    runners: () => ['bulk-loader', 'ferry'],
    baseline: 'bulk-loader',
    records: (ctx) => setupOf(ctx, 'elasticsearch')?.records ?? 0,
    recordBytes: (ctx) => Math.round(setupOf(ctx, 'elasticsearch')?.recordBytes ?? 0),
    skip: (ctx) => skipOf(ctx, 'elasticsearch'),
    profile: true,
    async run(ctx, runner, round, options = {}) {
      const setup = setupOf(ctx, 'elasticsearch')
      if (!setup) return failure(runner, round, new Error('the elasticsearch group was not prepared'))
      const index = runName('bench-es', runner, round)
      const dir = await runDir(ctx, 'elasticsearch', runner, round)
      let w: Worker | undefined
      try {
        if (runner === 'bulk-loader') {
          const cpu = ownCpuSeconds()
          const seconds = await bulkLoad(setup, index)
          const used = ownCpuSeconds() - cpu
          const n = await indexCount(setup.url, index)
          if (n !== setup.records) throw new Error(`the loader indexed ${n} of ${setup.records} documents`)
          return { runner, round, ok: true, metrics: directMetrics(setup.records, setup.recordBytes, seconds, used) }
        }
        const ran = await runFerry(
          ctx,
          setup,
          dir,
          'json',
          elasticsearchConnector(setup, runName('bench-es', runner, round), index),
          () => indexedCount(setup.url, index).catch(() => 0),
          options,
        )
        w = ran.w
        const n = await indexCount(setup.url, index)
        if (n !== setup.records) throw new Error(`the sink indexed ${n} of ${setup.records} documents`)
        return { runner, round, ok: true, ...ran.measured }
      } catch (e) {
        return failure(runner, round, e)
      } finally {
        await w?.stop()
        if (!ctx.keepFiles) await deleteIndex(setup.url, index).catch(() => {})
        await cleanup(ctx, dir)
      }
    },
  }

  const s3 = (id: 's3-json' | 's3-bytes', number: number, format: 'json' | 'bytes'): Workload => ({
    id,
    number,
    title:
      format === 'json' ? 'Topic → S3 objects, JsonFormat (S3 sink)' : 'Topic → S3 objects, ByteArrayFormat (S3 sink)',
    get description() {
      return `${format === 'json' ? 'JsonConverter (schemas.enable=false) reads JSON orders from a prepared one-partition topic and Ferry’s `io.confluent.connect.s3.S3SinkConnector` writes them with `JsonFormat`' : 'ByteArrayConverter reads the same orders and Ferry’s `io.confluent.connect.s3.S3SinkConnector` writes them with `ByteArrayFormat`'} into an ${serversUsed.s3 ?? 'S3Mock'} bucket (full JIT), a new \`topics.dir\` per run, \`flush.size\` records an object (${SINK_PRESETS.full.flushSize.toLocaleString('en-US')}; ${SINK_PRESETS.quick.flushSize.toLocaleString('en-US')} in a quick run); done when every object is listed. The limit: direct PutObject uploads of the same objects from the bench process (the values joined by newlines), ${S3_IN_FLIGHT} in flight as the sink's for one partition, through the sink's own S3 client settings. Both are timed by their objects' LastModified, from the first object to the last (the first object's records are not counted); MiB/s counts the record values.`
    },
    runners: () => ['put-object', 'ferry'],
    baseline: 'put-object',
    records: (ctx) => setupOf(ctx, 's3')?.records ?? 0,
    recordBytes: (ctx) => Math.round(setupOf(ctx, 's3')?.recordBytes ?? 0),
    skip: (ctx) => skipOf(ctx, 's3'),
    profile: true,
    async run(ctx, runner, round, options = {}) {
      const setup = setupOf(ctx, 's3')
      const client = setup?.s3
      if (!setup || !client) return failure(runner, round, new Error('the s3 group was not prepared'))
      const prefix = runName(id, runner, round)
      const objects = setup.records / setup.flushSize
      const dir = await runDir(ctx, id, runner, round)
      let w: Worker | undefined
      try {
        if (runner === 'put-object') {
          const cpu = ownCpuSeconds()
          await putObjects(client, setup, prefix)
          const used = ownCpuSeconds() - cpu
          const listed = await listObjects(client, `${prefix}/`)
          if (listed.count !== objects) throw new Error(`${listed.count} of ${objects} objects were uploaded`)
          return {
            runner,
            round,
            ok: true,
            metrics: {
              ...directMetrics(setup.records, setup.recordBytes, listed.seconds, used),
              ...byLastModified(setup, listed),
            },
          }
        }
        const ran = await runFerry(
          ctx,
          setup,
          dir,
          format,
          {
            name: runName(id, runner, round),
            'tasks.max': '1',
            topics: setup.topic,
            ...s3Connector(setup.url, prefix, format, setup.flushSize),
          },
          async () => (await listObjects(client, `${prefix}/`)).count * setup.flushSize,
          options,
        )
        w = ran.w
        const listed = await listObjects(client, `${prefix}/`)
        if (listed.count !== objects) throw new Error(`the sink wrote ${listed.count} objects, not ${objects}`)
        return {
          runner,
          round,
          ok: true,
          ...ran.measured,
          metrics: { ...ran.measured.metrics, ...byLastModified(setup, listed) },
        }
      } catch (e) {
        return failure(runner, round, e)
      } finally {
        await w?.stop()
        if (!ctx.keepFiles) await deletePrefix(client, `${prefix}/`).catch(() => {})
        await cleanup(ctx, dir)
      }
    },
  })

  return [elasticsearch, s3('s3-json', 16, 'json'), s3('s3-bytes', 17, 'bytes')]
}
