/**
 * Workloads 8–11: workloads 1 (file source → topic) and 3 (JSON + 3 transforms → file sink) again, on a secured
 * broker's SASL_SSL listener (TLS, SCRAM-SHA-512) with `producer.compression.type` lz4 or zstd. Apache Connect and
 * Ferry get the same worker file, which carries the security keys at the top level and again under `producer.` and
 * `consumer.` (Apache's task clients do not inherit the top-level ones; Ferry's would).
 *
 * Fairness checks: the record batches each worker wrote (8, 9) and the batches of the topic the sinks read (10, 11)
 * are fetched raw and must all carry the codec, and neither worker's log may hold the SASL password.
 */
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { ConnectionPool } from '@platformatic/kafka'
import type { CompressionType } from '../../packages/runtime/src/kafka/client-settings.ts'
import { sendFetch } from '../../packages/runtime/src/kafka/fetch.ts'
import { type SecuredKafkaCluster, startSecuredKafka } from '../kafka/harness.ts'
import { createTopic, JSON_TRANSFORMS, LINE_BYTES, produce } from './data.ts'
import type { Worker } from './workers.ts'
import type { AfterRun, BenchContext, Runner, RunResult, runSink, runSource, Workload } from './workloads.ts'

export type SecuredCodec = 'lz4' | 'zstd'

/** The listener, mechanism and user both workers connect with. */
export const SECURED_LISTENER = 'SASL_SSL'
export const SECURED_MECHANISM = 'SCRAM-SHA-512'
export const SECURED_USER = 'alice'

/** Kafka's record batch codec ids (the low 3 bits of the batch attributes). */
export const CODEC_IDS: Record<CompressionType, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }
const CODEC_NAMES = Object.fromEntries(Object.entries(CODEC_IDS).map(([name, id]) => [id, name])) as Record<
  number,
  string
>

/** How much of a topic's start the codec check fetches. */
const CHECK_BYTES = 1024 * 1024

export interface SecuredSetup {
  /** `127.0.0.1:<port>` of the SASL_SSL listener. */
  bootstrap: string
  /** Apache client properties for it: `security.protocol`, the PKCS12 truststore, `sasl.mechanism`, `sasl.jaas.config`. */
  clientProps: Record<string, string>
  /** Strings that must not appear in a worker's log (the SASL password). */
  secrets: string[]
  /** Workloads 10 and 11: the JSON topic each codec's sinks read, written with that codec. */
  jsonTopics: Partial<Record<SecuredCodec, string>>
  /** What the codec check of those topics found. */
  inputChecks: Partial<Record<SecuredCodec, CompressionCheck>>
}

/** For the results: the secured broker of this bench run. */
export interface SecuredBrokerInfo {
  listener: string
  bootstrap: string
  mechanism: string
  user: string
  truststore: string
  /** `startSecuredKafka()` until every listener answered through its own TLS and SASL handshakes, seconds. */
  startupSeconds: number
  settings: string
}

/** The codec check of a topic's first record batches (partition 0, from offset 0). */
export interface CompressionCheck {
  topic: string
  /** The codec every batch must carry. */
  codec: CompressionType
  /** Batches fully inside the fetched bytes. */
  batches: number
  records: number
  /** Their size in the log (headers included), bytes. */
  bytes: number
  /** Codec name → batches carrying it. */
  codecs: Record<string, number>
  /** Batches with a producer id (written by an idempotent producer). */
  idempotent: number
}

/** One record batch header (magic v2): where it starts, its size, codec and record count. */
export interface BatchHeader {
  baseOffset: bigint
  /** The whole batch, bytes (the 12 bytes of offset and length included). */
  size: number
  codec: number
  records: number
  producerId: bigint
}

/**
 * The complete v2 record batches at the start of `data` (a Fetch response's records). Layout: baseOffset int64,
 * batchLength int32 (bytes after this field), partitionLeaderEpoch int32, magic int8, crc uint32, attributes int16
 * (bits 0–2 the codec), lastOffsetDelta int32, baseTimestamp int64, maxTimestamp int64, producerId int64,
 * producerEpoch int16, baseSequence int32, records count int32, records. A batch cut off by the fetch size is left
 * out.
 */
export function parseBatchHeaders(data: Buffer): BatchHeader[] {
  const out: BatchHeader[] = []
  for (let at = 0; at + 61 <= data.length; ) {
    const size = 12 + data.readInt32BE(at + 8)
    if (at + size > data.length) break
    const magic = data.readInt8(at + 16)
    if (magic !== 2) throw new Error(`record batch at byte ${at} has magic ${magic}, not 2`)
    out.push({
      baseOffset: data.readBigInt64BE(at),
      size,
      codec: data.readInt16BE(at + 21) & 0x07,
      records: data.readInt32BE(at + 57),
      producerId: data.readBigInt64BE(at + 43),
    })
    at += size
  }
  return out
}

export function summarizeBatches(topic: string, codec: CompressionType, batches: BatchHeader[]): CompressionCheck {
  const codecs: Record<string, number> = {}
  for (const b of batches) {
    const name = CODEC_NAMES[b.codec] ?? `codec ${b.codec}`
    codecs[name] = (codecs[name] ?? 0) + 1
  }
  return {
    topic,
    codec,
    batches: batches.length,
    records: batches.reduce((n, b) => n + b.records, 0),
    bytes: batches.reduce((n, b) => n + b.size, 0),
    codecs,
    idempotent: batches.filter((b) => b.producerId >= 0n).length,
  }
}

/** Undefined when every checked batch carries the codec; otherwise what is wrong. */
export function compressionProblem(check: CompressionCheck): string | undefined {
  if (check.batches === 0) return `no complete record batch in the first ${CHECK_BYTES} bytes of ${check.topic}`
  const other = Object.entries(check.codecs).filter(([name]) => name !== check.codec)
  if (other.length === 0) return undefined
  return `${check.topic}: ${other.map(([name, n]) => `${n} of ${check.batches} batches are ${name}`).join(', ')}, not ${check.codec}`
}

/** One line for the report and the console: `12 batches, all lz4, 1,843 records per batch, 9.6 bytes per record`. */
export function describeCheck(check: CompressionCheck): string {
  const perBatch = check.batches > 0 ? Math.round(check.records / check.batches) : 0
  const perRecord = check.records > 0 ? check.bytes / check.records : Number.NaN
  const codecs =
    Object.keys(check.codecs).length === 1 && check.codecs[check.codec]
      ? `all ${check.codec}`
      : Object.entries(check.codecs)
          .map(([name, n]) => `${n} ${name}`)
          .join(', ')
  return `${check.batches.toLocaleString('en-US')} batches (${check.records.toLocaleString('en-US')} records), ${codecs}, ${perBatch.toLocaleString('en-US')} records per batch, ${perRecord.toFixed(1)} bytes per record in the log${check.idempotent > 0 ? `, ${check.idempotent === check.batches ? 'all' : check.idempotent} idempotent` : ''}`
}

/** Fetches the first MiB of partition 0 of `topic` through `bootstrap` (a PLAINTEXT listener) and checks its codec. */
export async function checkCompression(
  bootstrap: string,
  topic: string,
  codec: CompressionType,
): Promise<CompressionCheck> {
  const [host, port] = (bootstrap.split(',')[0] ?? '').split(':')
  const pool = new ConnectionPool(`ferry-bench-check-${randomUUID().slice(0, 8)}`)
  try {
    const connection = await pool.get({ host: host ?? '127.0.0.1', port: Number(port) })
    const response = await sendFetch(
      connection,
      { version: 12, maxWaitMs: 100, minBytes: 1, maxBytes: CHECK_BYTES, isolationLevel: 0 },
      [{ topic, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: CHECK_BYTES }] }],
    )
    const partition = response.responses[0]?.partitions[0]
    if (!partition) throw new Error(`the Fetch response for ${topic} has no partition 0`)
    if (partition.errorCode !== 0)
      throw new Error(`fetching ${topic} for the codec check: error ${partition.errorCode}`)
    return summarizeBatches(topic, codec, parseBatchHeaders(partition.records ?? Buffer.alloc(0)))
  } finally {
    await pool.close()
  }
}

/**
 * The worker file of workloads 8–11: `base` (converters, offset flush) on the SASL_SSL listener, the client
 * properties at the top level and under `producer.` and `consumer.`, and `producer.compression.type`.
 */
export function securedWorkerConfig(
  base: Record<string, string>,
  setup: Pick<SecuredSetup, 'bootstrap' | 'clientProps'>,
  codec: SecuredCodec,
): Record<string, string> {
  const worker: Record<string, string> = { ...base, 'bootstrap.servers': setup.bootstrap, ...setup.clientProps }
  for (const prefix of ['producer.', 'consumer.'])
    for (const [key, value] of Object.entries(setup.clientProps)) worker[`${prefix}${key}`] = value
  worker['producer.compression.type'] = codec
  return worker
}

/** The worker file of workloads 8–11 for the report, with the password and the truststore's path left out. */
export function securedWorkerSample(codec: SecuredCodec): string {
  const props: Record<string, string> = {
    'security.protocol': 'SASL_SSL',
    'ssl.truststore.type': 'PKCS12',
    'ssl.truststore.location': '<data dir>/truststore.p12',
    'ssl.truststore.password': '<hidden>',
    'sasl.mechanism': SECURED_MECHANISM,
    'sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${SECURED_USER}" password="<hidden>";`,
  }
  const worker = securedWorkerConfig({}, { bootstrap: '127.0.0.1:<SASL_SSL port>', clientProps: props }, codec)
  return Object.entries(worker)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')
}

/** Starts the secured broker and writes the compressed JSON topics of workloads 10 and 11. */
export async function prepareSecured(options: {
  jsonRecords: number
  jsonCodecs: SecuredCodec[]
  jsonRecord: (i: number) => string
  log: (line: string) => void
}): Promise<{ cluster: SecuredKafkaCluster; setup: SecuredSetup; broker: SecuredBrokerInfo }> {
  options.log('Starting a secured Kafka broker (TLS, SASL, SCRAM users)...')
  const t0 = performance.now()
  const cluster = await startSecuredKafka()
  const startupSeconds = (performance.now() - t0) / 1000
  try {
    const clientProps = cluster.clientProps(SECURED_LISTENER, SECURED_MECHANISM, SECURED_USER)
    const setup: SecuredSetup = {
      bootstrap: cluster.listeners[SECURED_LISTENER].bootstrap,
      clientProps,
      secrets: [cluster.users[SECURED_USER], clientProps['ssl.truststore.password']].filter(
        (s): s is string => typeof s === 'string' && s.length >= 6,
      ),
      jsonTopics: {},
      inputChecks: {},
    }
    for (const codec of options.jsonCodecs) {
      const topic = `bench-json-${codec}-${randomUUID().slice(0, 8)}`
      options.log(`Loading ${options.jsonRecords} JSON records into topic ${topic}, ${codec}-compressed...`)
      await createTopic(cluster.bootstrapServers, topic)
      await produce(cluster.bootstrapServers, topic, options.jsonRecords, options.jsonRecord, codec)
      const check = await checkCompression(cluster.bootstrapServers, topic, codec)
      const problem = compressionProblem(check)
      if (problem) throw new Error(`the bench's own ${codec} topic is not ${codec}-compressed: ${problem}`)
      setup.jsonTopics[codec] = topic
      setup.inputChecks[codec] = check
    }
    return {
      cluster,
      setup,
      broker: {
        listener: SECURED_LISTENER,
        bootstrap: setup.bootstrap,
        mechanism: SECURED_MECHANISM,
        user: SECURED_USER,
        truststore: clientProps['ssl.truststore.type'] ?? 'JKS',
        startupSeconds,
        settings:
          'scripts/kafka/harness.ts startSecuredKafka(): one KRaft node, -Xmx512m, C1 only, SSL/SASL listeners beside PLAINTEXT, StandardAuthorizer',
      },
    }
  } catch (e) {
    await cluster.stop()
    throw e
  }
}

/**
 * Runs after a worker stopped: its log must not hold a secret, and with a `codec` every checked batch of the
 * worker's output `topic` must carry it (records per batch and bytes per record become metrics).
 */
export function afterRun(ctx: BenchContext, codec: SecuredCodec | undefined): AfterRun {
  return async (w: Pick<Worker, 'engine' | 'logPath'>, topic: string) => {
    const setup = ctx.secured
    if (!setup) throw new Error('the secured broker is not prepared')
    const log = await readFile(w.logPath, 'utf8').catch(() => '')
    if (setup.secrets.some((s) => log.includes(s)))
      throw new Error(`a secret (the SASL or truststore password) appears in the ${w.engine} worker's log ${w.logPath}`)
    if (!codec) return {}
    const check = await checkCompression(ctx.bootstrap, topic, codec)
    const problem = compressionProblem(check)
    if (problem) throw new Error(`the ${w.engine} worker's records are not ${codec}-compressed: ${problem}`)
    return {
      compression: check,
      metrics: { recordsPerBatch: check.records / check.batches, logBytesPerRecord: check.bytes / check.records },
    }
  }
}

/** workloads.ts's run helpers, handed in so that this file imports only its types (no import cycle). */
export interface SecuredHelpers {
  runSource(...args: Parameters<typeof runSource>): Promise<RunResult>
  runSink(...args: Parameters<typeof runSink>): Promise<RunResult>
  stringWorker(ctx: BenchContext): Record<string, string>
  jsonWorker(ctx: BenchContext): Record<string, string>
}

const SECURITY = `the secured broker's ${SECURED_LISTENER} listener (TLS with a PKCS12 truststore, ${SECURED_MECHANISM} as \`${SECURED_USER}\`)`

export function securedWorkloads(helpers: SecuredHelpers): Workload[] {
  const skip = (ctx: BenchContext) =>
    ctx.secured ? undefined : (ctx.securedSkip ?? 'the secured broker is not prepared')
  const source = (number: number, codec: SecuredCodec): Workload => ({
    id: `source-sasl-${codec}`,
    number,
    title: `File source → topic, SASL_SSL + ${codec}`,
    description: `Workload 1 on ${SECURITY}, with \`producer.compression.type=${codec}\`: FileStreamSource reads the lines file into a new one-partition topic; done when the topic end offset reaches the line count. After each run the topic's first MiB of record batches is fetched raw: every batch must carry the ${codec} codec (the run fails otherwise), and records per batch and bytes per record in the log are reported.`,
    runners: () => ['apache', 'ferry'],
    records: (ctx) => ctx.records,
    recordBytes: () => LINE_BYTES,
    skip,
    profile: true,
    run(ctx, runner, round, options = {}) {
      const setup = ctx.secured
      if (!setup) return Promise.resolve(failure(runner, round, skip(ctx) ?? 'the secured broker is not prepared'))
      return helpers.runSource(
        ctx,
        `source-sasl-${codec}`,
        runner,
        round,
        { worker: securedWorkerConfig(helpers.stringWorker(ctx), setup, codec), after: afterRun(ctx, codec) },
        options,
      )
    },
  })
  const json = (number: number, codec: SecuredCodec): Workload => ({
    id: `json-sasl-${codec}`,
    number,
    title: `JSON + 3 transforms → file sink, SASL_SSL + ${codec}`,
    description: `Workload 3 on ${SECURITY}: the sinks read a topic the bench wrote with ${codec} (so both consumers fetch and decompress ${codec} batches), JsonConverter with schemas, the same three transforms, FileStreamSink; done when the file has every line. The worker file is workload ${number - 2}'s, \`producer.compression.type=${codec}\` included (a sink task has no producer: here the codec is on the fetch side).`,
    runners: () => ['apache', 'ferry'],
    records: (ctx) => ctx.jsonRecords,
    recordBytes: (ctx) => ctx.jsonRecordBytes,
    skip: (ctx, runner) => skip(ctx) ?? (runner === 'ferry' ? ctx.ferryJsonSkip : undefined),
    inputCompression: (ctx) => ctx.secured?.inputChecks[codec],
    run(ctx, runner, round, options = {}) {
      const setup = ctx.secured
      const topic = setup?.jsonTopics[codec]
      if (!setup || !topic) return Promise.resolve(failure(runner, round, skip(ctx) ?? `no ${codec} JSON topic`))
      return helpers.runSink(
        ctx,
        `json-sasl-${codec}`,
        runner,
        round,
        {
          topic,
          records: ctx.jsonRecords,
          recordBytes: ctx.jsonRecordBytes,
          worker: securedWorkerConfig(helpers.jsonWorker(ctx), setup, codec),
          after: afterRun(ctx, undefined),
        },
        JSON_TRANSFORMS,
        options,
      )
    },
  })
  return [source(8, 'lz4'), source(9, 'zstd'), json(10, 'lz4'), json(11, 'zstd')]
}

function failure(runner: Runner, round: number, why: string): RunResult {
  return { runner, round, ok: false, error: why, metrics: {} }
}
