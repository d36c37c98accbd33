/**
 * The Elasticsearch sink workload: topic → OpenSearch 2.x index, Ferry's sink against the limit measured in the same
 * run, a direct `_bulk` loader sending the same documents with the same batch size and requests in flight (and the
 * same action lines: key ids, external versions). Both write a fresh index of their own on one OpenSearch node.
 *
 *   npm run bench:elasticsearch [-- --records 200000 --batch 2000 --in-flight 5]
 *
 * Ferry is timed from its first indexed document to the last (worker start-up excluded), the loader from its first
 * request to its last answer; docs/s and MiB/s (of document JSON) for both, Ferry's CPU seconds and peak RSS from
 * /proc, and the ratio. Prints one JSON object.
 */

import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startKafka } from '../kafka/harness.ts'
import { startSearch } from '../search/harness.ts'
import { createTopic, produce } from './data.ts'
import { cpuSeconds, memory } from './proc.ts'

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '2000' },
    'in-flight': { type: 'string', default: '5' },
  },
})
const RECORDS = Number(args.records)
const BATCH = Number(args.batch)
const IN_FLIGHT = Number(args['in-flight'])

/** Document `i`: an order of about 200 bytes. */
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

async function count(url: string, index: string): Promise<number> {
  await fetch(`${url}/${index}/_refresh`, { method: 'POST' })
  const res = (await (await fetch(`${url}/${index}/_count`)).json()) as { count?: number }
  return res.count ?? 0
}

const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT })
function post(url: string, body: Buffer): Promise<void> {
  return new Promise((ok, fail) => {
    const req = http.request(
      `${url}/_bulk`,
      { method: 'POST', agent, headers: { 'content-type': 'application/x-ndjson', 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () => {
          const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'))
          if (res.statusCode !== 200 || parsed.errors) fail(new Error(`bulk failed: ${res.statusCode}`))
          else ok()
        })
      },
    )
    req.on('error', fail)
    req.end(body)
  })
}

/** The direct loader: the documents as the sink writes them (id = key, external version = offset). */
async function directLoad(url: string, index: string): Promise<number> {
  const started = performance.now()
  const inFlight = new Set<Promise<void>>()
  for (let start = 0; start < RECORDS; start += BATCH) {
    const lines: string[] = []
    for (let i = start; i < Math.min(RECORDS, start + BATCH); i++) {
      lines.push(`{"index":{"_index":"${index}","_id":"${i}","version":${i},"version_type":"external"}}\n${doc(i)}\n`)
    }
    const p = post(url, Buffer.from(lines.join(''))).finally(() => inFlight.delete(p))
    inFlight.add(p)
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
  return (performance.now() - started) / 1000
}

const dataMiB = (() => {
  let bytes = 0
  for (let i = 0; i < RECORDS; i++) bytes += Buffer.byteLength(doc(i))
  return bytes / 1024 / 1024
})()

const kafka = await startKafka()
const server = await startSearch({ kind: 'opensearch-2', heap: '1g' })
const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-es-'))
try {
  const topic = `bench-es-${randomUUID()}`
  await createTopic(kafka.bootstrapServers, topic)
  // The records have null keys: ValueToKey + ExtractField$Key make the order id the key, so the sink writes the
  // loader's ids and versions.
  await produce(kafka.bootstrapServers, topic, RECORDS, doc)
  process.stderr.write(`${RECORDS} records (${dataMiB.toFixed(1)} MiB of documents) in ${topic}\n`)

  const loaderSeconds = await directLoad(server.url, 'bench-direct')
  if ((await count(server.url, 'bench-direct')) !== RECORDS) throw new Error('the direct loader lost documents')

  const index = topic
  const workerFile = join(dir, 'worker.properties')
  const connectorFile = join(dir, 'es.properties')
  await writeFile(
    workerFile,
    [
      `bootstrap.servers=${kafka.bootstrapServers}`,
      'listeners=http://127.0.0.1:0',
      'key.converter=org.apache.kafka.connect.storage.StringConverter',
      'value.converter=org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable=false',
      `offset.storage.file.filename=${join(dir, 'offsets')}`,
      'offset.flush.interval.ms=1000',
      '',
    ].join('\n'),
  )
  await writeFile(
    connectorFile,
    [
      'name=bench-es',
      'connector.class=io.confluent.connect.elasticsearch.ElasticsearchSinkConnector',
      `topics=${topic}`,
      `connection.url=${server.url}`,
      'schema.ignore=true',
      `batch.size=${BATCH}`,
      `max.in.flight.requests=${IN_FLIGHT}`,
      `max.buffered.records=${Math.max(20000, BATCH * IN_FLIGHT)}`,
      'transforms=key,id',
      'transforms.key.type=org.apache.kafka.connect.transforms.ValueToKey',
      'transforms.key.fields=id',
      'transforms.id.type=org.apache.kafka.connect.transforms.ExtractField$Key',
      'transforms.id.field=id',
      '',
    ].join('\n'),
  )
  const worker = spawn(
    process.execPath,
    [join(import.meta.dirname, '../../packages/cli/bin/ferry.js'), 'standalone', workerFile, connectorFile],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, FERRY_LOG_LEVEL: 'warn' } },
  )
  let first = 0
  let peakRss = 0
  for (;;) {
    const n = await count(server.url, index).catch(() => 0)
    peakRss = Math.max(peakRss, memory(worker.pid!)?.peakRssMb ?? 0)
    if (n > 0 && first === 0) first = performance.now()
    if (n >= RECORDS) break
    if (worker.exitCode !== null) throw new Error(`the worker exited with ${worker.exitCode}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const ferrySeconds = (performance.now() - first) / 1000
  const cpu = cpuSeconds(worker.pid!) ?? Number.NaN
  peakRss = Math.max(peakRss, memory(worker.pid!)?.peakRssMb ?? 0)
  worker.kill('SIGTERM')
  await new Promise((r) => worker.once('exit', r))
  const result = {
    server: `OpenSearch ${server.version}`,
    records: RECORDS,
    batchSize: BATCH,
    inFlight: IN_FLIGHT,
    documentsMiB: Number(dataMiB.toFixed(1)),
    loader: { seconds: loaderSeconds, docsPerSec: RECORDS / loaderSeconds, mibPerSec: dataMiB / loaderSeconds },
    ferry: {
      seconds: ferrySeconds,
      docsPerSec: RECORDS / ferrySeconds,
      mibPerSec: dataMiB / ferrySeconds,
      cpuSeconds: cpu,
      peakRssMiB: peakRss,
    },
    ratio: loaderSeconds / ferrySeconds,
  }
  console.log(JSON.stringify(result, null, 2))
} finally {
  agent.destroy()
  await server.stop()
  await kafka.stop()
  await rm(dir, { recursive: true, force: true })
}
