/**
 * The workloads. Each run starts a fresh worker process (or perf tool), measures it from the outside through Kafka,
 * the output file, its REST API and /proc, and stops it. Workloads 8–11 (secured.ts) run 1 and 3 again on a secured
 * broker's SASL_SSL listener with a compression codec.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdir, open, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { KafkaAdmin } from '../../packages/runtime/src/kafka/clients.ts'
import { type ApacheConnect, log4jConfig, PERF_TOOL_JVM_OPTIONS } from './apache.ts'
import { type AvroSetup, avroWorkloads } from './avro.ts'
import { type CdcSetup, cdcWorkloads } from './cdc.ts'
import { createTopic, JSON_TRANSFORMS, LINE_BYTES, LineCounter } from './data.ts'
import { eosWorkloads } from './eos.ts'
import { failoverWorkloads } from './failover.ts'
import { type JdbcSetup, jdbcWorkload } from './jdbc.ts'
import { cpuSeconds, memory } from './proc.ts'
import {
  type AvroWorkloadId,
  type CdcWorkloadId,
  type EosWorkloadId,
  type FailoverWorkloadId,
  SECURED_WORKLOAD_IDS,
  type SecuredWorkloadId,
  SINK_GROUPS,
  type SinkGroup,
  type SinkWorkloadId,
} from './results.ts'
import { type ScaleHelpers, type ScaleWorkloadId, scaleWorkloads } from './scale.ts'
import { type CompressionCheck, type SecuredSetup, securedWorkloads } from './secured.ts'
import { type SinkSetup, sinkWorkloads } from './sinks.ts'
import { type Engine, startWorker, type Worker } from './workers.ts'

export type WorkloadId =
  | 'source'
  | 'sink'
  | 'json'
  | 'idle'
  | 'startup'
  | 'ceiling'
  | 'jdbc'
  | 'metrics-source'
  | 'metrics-sink'
  | SecuredWorkloadId
  | SinkWorkloadId
  | ScaleWorkloadId
  | CdcWorkloadId
  | AvroWorkloadId
  | EosWorkloadId
  | FailoverWorkloadId
/**
 * The workloads with a fixed id of the default set; the scale group's (`scale-<connectors>`) come from
 * `scaleWorkloads`, and the CDC group's (CDC_WORKLOAD_IDS), the Avro group's (AVRO_WORKLOAD_IDS), the
 * exactly-once group's (EOS_WORKLOAD_IDS) and the sink failover group's (FAILOVER_WORKLOAD_IDS) run only when named.
 */
export const WORKLOAD_IDS: readonly WorkloadId[] = [
  'source',
  'sink',
  'json',
  'idle',
  'startup',
  'ceiling',
  'jdbc',
  'metrics-source',
  'metrics-sink',
  ...SECURED_WORKLOAD_IDS,
  ...Object.values(SINK_GROUPS).flat(),
]

/**
 * Who runs in a workload: the two workers, the broker's own perf tools for the ceiling, the sink groups' direct
 * clients (a `_bulk` loader, PutObject uploads), Ferry keeping no metrics (nothing served: `metrics.listener=`
 * empty, `ui.enabled=false`), the baseline of the metrics cost workloads, or Ferry with its sink task consumers
 * dynamic members (`sink.task.static.membership=false`, the sink failover group).
 */
export type Runner =
  | Engine
  | 'producer-perf'
  | 'consumer-perf'
  | 'bulk-loader'
  | 'put-object'
  | 'ferry-no-metrics'
  | 'ferry-dynamic'

/** The worker process a runner starts (for a runner that is no worker: the runner itself). */
export function engineOf(runner: Runner): Engine {
  return runner === 'ferry-no-metrics' || runner === 'ferry-dynamic' ? 'ferry' : (runner as Engine)
}

/**
 * Fetches the worker's `GET /metrics` every `intervalMs` until the returned function is called, which resolves with
 * the number of scrapes that answered 200 (a Prometheus server scraping it, for the metrics cost workloads).
 */
function scrapeMetrics(w: Worker, intervalMs: number): () => Promise<number> {
  let scrapes = 0
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      try {
        const res = await fetch(`${w.restUrl}/metrics`, { signal: AbortSignal.timeout(2000) })
        await res.text()
        if (res.status === 200) scrapes++
      } catch {
        // not listening yet
      }
      await sleep(intervalMs)
    }
  })()
  return async () => {
    stopped = true
    await loop
    return scrapes
  }
}

export interface RunResult {
  runner: Runner
  round: number
  ok: boolean
  error?: string
  metrics: Record<string, number>
  /** The first line the sink wrote, to see both workers did the same work. */
  sample?: string
  /** The measured window on CLOCK_MONOTONIC in microseconds (V8 CPU profiles use the same clock). */
  window?: { startUs: number; endUs: number }
  /** Workloads 8 and 9: the codec of the record batches the worker wrote (secured.ts). */
  compression?: CompressionCheck
}

export interface BenchContext {
  bootstrap: string
  admin: KafkaAdmin
  apache: ApacheConnect | undefined
  /** Scratch directory for this bench run. */
  workDir: string
  quick: boolean
  /** Records of workloads 1, 2 and 6. */
  records: number
  /** Records of workload 3. */
  jsonRecords: number
  /** Average value size of workload 3's records, bytes. */
  jsonRecordBytes: number
  /** Workload 4: connectors per worker, and how long the worker idles before its RSS is read. */
  idleConnectors: number
  idleSettleMs: number
  linesFile: string
  /** Topic holding `records` lines (workload 2) and `jsonRecords` JSON records (workload 3). */
  linesTopic: string
  jsonTopic: string
  /** Why Ferry cannot run workload 3 (its registry lacks the transformations), or undefined. */
  ferryJsonSkip: string | undefined
  /** Workload 7 (jdbc.ts): its topic, record count, the Debezium plugin, what is skipped. */
  jdbc?: JdbcSetup | undefined
  /** Workloads 8–11 (secured.ts): the SASL_SSL listener, its client properties, the compressed JSON topics. */
  secured?: SecuredSetup | undefined
  /** Why workloads 8–11 cannot run (the secured broker did not start), or undefined. */
  securedSkip?: string | undefined
  /** The sink groups' servers and topics (sinks.ts), and why a group cannot run. */
  sinks?: Partial<Record<SinkGroup, SinkSetup>>
  sinkSkip?: Partial<Record<SinkGroup, string>>
  /** The CDC group's PostgreSQL and snapshot table (cdc.ts), and why the group cannot run. */
  cdc?: CdcSetup | undefined
  cdcSkip?: string | undefined
  /** The Avro group's registry and topics (avro.ts), and why the group cannot run. */
  avro?: AvroSetup | undefined
  avroSkip?: string | undefined
  pollMs: number
  runTimeoutMs: number
  keepFiles: boolean
  log: (line: string) => void
}

export interface Workload {
  id: WorkloadId
  number: number
  title: string
  /** What is measured, for the report. */
  description: string
  runners(ctx: BenchContext): Runner[]
  /** Whom Ferry's ratios compare with when not Apache (the sink groups' direct clients). */
  baseline?: Runner
  records(ctx: BenchContext): number
  recordBytes(ctx: BenchContext): number
  skip?(ctx: BenchContext, runner: Runner): string | undefined
  run(ctx: BenchContext, runner: Runner, round: number, options?: { cpuProfileDir?: string }): Promise<RunResult>
  /** Profile Ferry on it after the timed rounds (`node --cpu-prof`), unless `--no-profile`. */
  profile?: boolean
  /** Run at most this many rounds whatever `--rounds` says (the scale group: 1). */
  maxRounds?: number
  /** Workloads 10 and 11: the codec check of the prepared topic the sinks read. */
  inputCompression?(ctx: BenchContext): CompressionCheck | undefined
}

const MiB = 1024 * 1024

function stringWorker(ctx: BenchContext): Record<string, string> {
  return {
    'bootstrap.servers': ctx.bootstrap,
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    // Apache's config/connect-standalone.properties sets 10 s (the default is 60 s).
    'offset.flush.interval.ms': '10000',
  }
}

/** Workload 3's worker: JsonConverter with schemas for the values. */
function jsonWorker(ctx: BenchContext): Record<string, string> {
  return {
    ...stringWorker(ctx),
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'true',
  }
}

async function runDir(ctx: BenchContext, workload: WorkloadId, runner: Runner, round: number): Promise<string> {
  const dir = join(ctx.workDir, `${workload}-${runner}-r${round}-${randomUUID().slice(0, 6)}`)
  await mkdir(dir, { recursive: true })
  return dir
}

async function cleanup(ctx: BenchContext, dir: string): Promise<void> {
  if (!ctx.keepFiles) await rm(dir, { recursive: true, force: true })
}

function failure(runner: Runner, round: number, error: unknown): RunResult {
  return { runner, round, ok: false, error: error instanceof Error ? error.message : String(error), metrics: {} }
}

/** Sum of a topic's end offsets (records written, for a fresh topic). */
async function topicEnd(admin: KafkaAdmin, topic: string): Promise<number> {
  try {
    return (await admin.offsets(topic)).reduce((n, p) => n + p.end, 0)
  } catch {
    return 0 // not created yet
  }
}

interface Mark {
  t: number
  n: number
  cpu: number | undefined
}

/** CLOCK_MONOTONIC in microseconds, the clock of `performance.now()` in every process and of V8's CPU profiles. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n)

/** Polls `GET /health` until it answers 200; resolves with the time and the worker's CPU then. */
async function waitHealthy(w: Worker, stop: AbortSignal): Promise<Mark | undefined> {
  while (!stop.aborted && w.running()) {
    try {
      const res = await fetch(`${w.restUrl}/health`, { signal: AbortSignal.timeout(2000) })
      await res.text()
      if (res.status === 200) return { t: performance.now(), n: 0, cpu: w.cpuSeconds() }
    } catch {
      // not listening yet
    }
    await sleep(20)
  }
  return undefined
}

function exitedError(w: Worker): Error {
  return new Error(`${w.engine} worker exited early; last log lines:\n${w.logTail(15)}`)
}

/**
 * Starts a worker and polls `progress` until it reaches `target`. Throughput counts from the first poll that saw
 * progress to the one that saw the target, so the worker's start-up is not part of it.
 */
async function measureThroughput(
  ctx: BenchContext,
  w: Worker,
  target: number,
  bytesPerRecord: number,
  progress: () => Promise<number>,
): Promise<{ metrics: Record<string, number>; window: { startUs: number; endUs: number } }> {
  const stopHealth = new AbortController()
  const health = waitHealthy(w, stopHealth.signal)
  try {
    const deadline = w.startedAt + ctx.runTimeoutMs
    let first: Mark | undefined
    let last: Mark | undefined
    let startUs = monotonicUs()
    let n = 0
    while (n < target) {
      if (!w.running()) throw exitedError(w)
      if (performance.now() > deadline)
        throw new Error(
          `timed out after ${ctx.runTimeoutMs / 1000}s with ${n} of ${target} records; last log lines:\n${w.logTail(15)}`,
        )
      await sleep(ctx.pollMs)
      n = await progress()
      const mark = { t: performance.now(), n, cpu: w.cpuSeconds() }
      if (first === undefined && n > 0) {
        first = mark
        startUs = monotonicUs()
      }
      last = mark
    }
    const endUs = monotonicUs()
    const mem = w.memory()
    const healthy = await Promise.race([health, sleep(0, undefined)])
    if (!first || !last) throw new Error('no progress seen')
    let records = last.n - first.n
    let seconds = (last.t - first.t) / 1000
    let cpu = (last.cpu ?? Number.NaN) - (first.cpu ?? Number.NaN)
    // Finished within a poll or two (tiny data): count from the moment the worker was healthy instead.
    if (records < target * 0.05) {
      const from = healthy ?? { t: w.startedAt, n: 0, cpu: 0 }
      startUs = endUs - (last.t - from.t) * 1000
      records = last.n
      seconds = (last.t - from.t) / 1000
      cpu = (last.cpu ?? Number.NaN) - (from.cpu ?? Number.NaN)
    }
    const msgsPerSec = records / seconds
    const metrics = {
      msgsPerSec,
      mbPerSec: (msgsPerSec * bytesPerRecord) / MiB,
      cpuSecondsPerMillion: (cpu / records) * 1e6,
      peakRssMb: mem?.peakRssMb ?? Number.NaN,
      seconds,
      wallSeconds: (last.t - w.startedAt) / 1000,
      totalCpuSeconds: last.cpu ?? Number.NaN,
      ...(healthy ? { healthSeconds: (healthy.t - w.startedAt) / 1000 } : {}),
    }
    return { metrics, window: { startUs, endUs } }
  } finally {
    stopHealth.abort()
    await health
  }
}

async function firstLine(path: string): Promise<string | undefined> {
  try {
    const file = await open(path, 'r')
    try {
      const buf = Buffer.alloc(1024)
      const { bytesRead } = await file.read(buf, 0, buf.length, 0)
      const text = buf.toString('utf8', 0, bytesRead)
      const nl = text.indexOf('\n')
      return nl >= 0 ? text.slice(0, nl) : text
    } finally {
      await file.close()
    }
  } catch {
    return undefined
  }
}

const workers: Runner[] = ['apache', 'ferry']

// ---------------------------------------------------------------- 1. file source → topic

/** After a run's worker stopped, before its directory is removed: more checks and metrics (secured.ts). */
export type AfterRun = (
  w: Pick<Worker, 'engine' | 'logPath'>,
  topic: string,
) => Promise<{ metrics?: Record<string, number>; compression?: CompressionCheck }>

/** A file source run into a new topic: workloads 1, 8 and 9. */
export async function runSource(
  ctx: BenchContext,
  workload: WorkloadId,
  runner: Runner,
  round: number,
  spec: { worker: Record<string, string>; after?: AfterRun | undefined; scrapeMs?: number },
  options: { cpuProfileDir?: string },
): Promise<RunResult> {
  const dir = await runDir(ctx, workload, runner, round)
  const topic = `bench-${workload}-${runner}-${round}-${randomUUID().slice(0, 8)}`
  let w: Worker | undefined
  try {
    await createTopic(ctx.bootstrap, topic)
    w = await startWorker({
      engine: engineOf(runner),
      dir,
      apache: ctx.apache,
      cpuProfileDir: options.cpuProfileDir,
      worker: spec.worker,
      connectors: [
        { name: 'bench-source', 'connector.class': 'FileStreamSource', 'tasks.max': '1', file: ctx.linesFile, topic },
      ],
    })
    const worker = w
    const scrapes = spec.scrapeMs === undefined ? undefined : scrapeMetrics(worker, spec.scrapeMs)
    const measured = await measureThroughput(ctx, worker, ctx.records, LINE_BYTES, () => topicEnd(ctx.admin, topic))
    if (scrapes) measured.metrics.metricsScrapes = await scrapes()
    if (!spec.after) return { runner, round, ok: true, ...measured }
    await worker.stop()
    const checked = await spec.after(worker, topic)
    return {
      runner,
      round,
      ok: true,
      ...measured,
      metrics: { ...measured.metrics, ...checked.metrics },
      ...(checked.compression ? { compression: checked.compression } : {}),
    }
  } catch (e) {
    return failure(runner, round, e)
  } finally {
    await w?.stop()
    await cleanup(ctx, dir)
  }
}

const source: Workload = {
  id: 'source',
  number: 1,
  title: 'File source → topic',
  description:
    'FileStreamSource reads the lines file (StringConverter) into a new one-partition topic; done when the topic end offset reaches the line count.',
  runners: () => workers,
  records: (ctx) => ctx.records,
  recordBytes: () => LINE_BYTES,
  profile: true,
  run(ctx, runner, round, options = {}) {
    return runSource(ctx, 'source', runner, round, { worker: stringWorker(ctx) }, options)
  },
}

// ---------------------------------------------------------------- 2 and 3. topic → file sink

/** A file sink run from a prepared topic: workloads 2, 3, 10 and 11. */
export async function runSink(
  ctx: BenchContext,
  workload: WorkloadId,
  runner: Runner,
  round: number,
  spec: {
    topic: string
    records: number
    recordBytes: number
    worker: Record<string, string>
    after?: AfterRun | undefined
    /** Scrape `GET /metrics` this often during the run. */
    scrapeMs?: number
  },
  extra: Record<string, string>,
  options: { cpuProfileDir?: string },
): Promise<RunResult> {
  const dir = await runDir(ctx, workload, runner, round)
  const out = join(dir, 'sink-output.txt')
  let w: Worker | undefined
  try {
    w = await startWorker({
      engine: engineOf(runner),
      dir,
      apache: ctx.apache,
      cpuProfileDir: options.cpuProfileDir,
      worker: spec.worker,
      connectors: [
        {
          // A new name per run is a new consumer group (connect-<name>), which reads the topic from the start.
          name: `bench-${workload}-${runner}-${round}-${randomUUID().slice(0, 8)}`,
          'connector.class': 'FileStreamSink',
          'tasks.max': '1',
          file: out,
          topics: spec.topic,
          ...extra,
        },
      ],
    })
    const counter = new LineCounter(out)
    const scrapes = spec.scrapeMs === undefined ? undefined : scrapeMetrics(w, spec.scrapeMs)
    const measured = await measureThroughput(ctx, w, spec.records, spec.recordBytes, () => counter.count())
    if (scrapes) measured.metrics.metricsScrapes = await scrapes()
    const sample = await firstLine(out)
    const result: RunResult = {
      runner,
      round,
      ok: true,
      ...measured,
      ...(sample === undefined ? {} : { sample: sample.slice(0, 400) }),
    }
    if (!spec.after) return result
    await w.stop()
    const checked = await spec.after(w, spec.topic)
    return {
      ...result,
      metrics: { ...result.metrics, ...checked.metrics },
      ...(checked.compression ? { compression: checked.compression } : {}),
    }
  } catch (e) {
    return failure(runner, round, e)
  } finally {
    await w?.stop()
    await cleanup(ctx, dir)
  }
}

const sink: Workload = {
  id: 'sink',
  number: 2,
  title: 'Topic → file sink',
  description:
    'FileStreamSink (StringConverter) writes the same lines from a prepared topic to a file; done when the file has every line.',
  runners: () => workers,
  records: (ctx) => ctx.records,
  recordBytes: () => LINE_BYTES,
  profile: true,
  run(ctx, runner, round, options = {}) {
    return runSink(
      ctx,
      'sink',
      runner,
      round,
      { topic: ctx.linesTopic, records: ctx.records, recordBytes: LINE_BYTES, worker: stringWorker(ctx) },
      {},
      options,
    )
  },
}

const json: Workload = {
  id: 'json',
  number: 3,
  title: 'JSON with schemas + 3 transforms → file sink',
  description:
    'JsonConverter (schemas.enable=true) reads JSON envelopes from a prepared topic, then InsertField$Value (static and timestamp field), ReplaceField$Value (exclude, rename) and TimestampRouter, and FileStreamSink writes each Struct as a line; done when the file has every line.',
  runners: () => workers,
  records: (ctx) => ctx.jsonRecords,
  recordBytes: (ctx) => ctx.jsonRecordBytes,
  skip: (ctx, runner) => (runner === 'ferry' ? ctx.ferryJsonSkip : undefined),
  run(ctx, runner, round, options = {}) {
    return runSink(
      ctx,
      'json',
      runner,
      round,
      {
        topic: ctx.jsonTopic,
        records: ctx.jsonRecords,
        recordBytes: ctx.jsonRecordBytes,
        worker: jsonWorker(ctx),
      },
      JSON_TRANSFORMS,
      options,
    )
  },
}

// ---------------------------------------------------------------- 4. idle memory

interface ConnectorStatus {
  status?: { connector?: { state?: string }; tasks?: Array<{ state?: string }> }
}

async function allRunning(w: Worker, count: number): Promise<boolean> {
  try {
    const res = await fetch(`${w.restUrl}/connectors?expand=status`, { signal: AbortSignal.timeout(2000) })
    if (res.status !== 200) {
      await res.text()
      return false
    }
    const body = (await res.json()) as Record<string, ConnectorStatus>
    const list = Object.values(body)
    return (
      list.length === count &&
      list.every(
        (c) =>
          c.status?.connector?.state === 'RUNNING' &&
          (c.status.tasks?.length ?? 0) > 0 &&
          c.status.tasks?.every((t) => t.state === 'RUNNING'),
      )
    )
  } catch {
    return false
  }
}

const idle: Workload = {
  id: 'idle',
  number: 4,
  title: 'Idle memory, 10 connectors',
  description:
    'One worker runs 10 FileStreamSource connectors on empty files; once all are RUNNING (REST status) it idles, and its RSS (VmRSS) is the median of the samples over the second half of the idle period.',
  runners: () => workers,
  records: () => 0,
  recordBytes: () => 0,
  async run(ctx, runner, round) {
    const dir = await runDir(ctx, 'idle', runner, round)
    let w: Worker | undefined
    try {
      const connectors: Array<Record<string, string>> = []
      for (let i = 0; i < ctx.idleConnectors; i++) {
        const file = join(dir, `idle-${i}.txt`)
        await writeFile(file, '')
        connectors.push({
          name: `bench-idle-${i}`,
          'connector.class': 'FileStreamSource',
          'tasks.max': '1',
          file,
          topic: `bench-idle-${runner}-${i}`,
        })
      }
      w = await startWorker({
        engine: runner as Engine,
        dir,
        apache: ctx.apache,
        worker: stringWorker(ctx),
        connectors,
      })
      const deadline = w.startedAt + ctx.runTimeoutMs
      while (!(await allRunning(w, ctx.idleConnectors))) {
        if (!w.running()) throw exitedError(w)
        if (performance.now() > deadline) throw new Error('timed out waiting for the connectors to run')
        await sleep(100)
      }
      const ready = performance.now()
      const cpuAtReady = w.cpuSeconds() ?? Number.NaN
      const samples: number[] = []
      while (performance.now() - ready < ctx.idleSettleMs) {
        await sleep(Math.min(500, ctx.idleSettleMs / 4))
        if (!w.running()) throw exitedError(w)
        if (performance.now() - ready >= ctx.idleSettleMs / 2) samples.push(w.memory()?.rssMb ?? Number.NaN)
      }
      const idleSeconds = (performance.now() - ready) / 1000
      const cpu = (w.cpuSeconds() ?? Number.NaN) - cpuAtReady
      const sorted = samples.filter(Number.isFinite).sort((a, b) => a - b)
      return {
        runner,
        round,
        ok: true,
        metrics: {
          idleRssMb: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
          peakRssMb: w.memory()?.peakRssMb ?? Number.NaN,
          idleCpuPercent: (cpu / idleSeconds) * 100,
          readySeconds: (ready - w.startedAt) / 1000,
        },
      }
    } catch (e) {
      return failure(runner, round, e)
    } finally {
      await w?.stop()
      await cleanup(ctx, dir)
    }
  },
}

// ---------------------------------------------------------------- 5. start-up

const STARTUP_LINES = 10

const startup: Workload = {
  id: 'startup',
  number: 5,
  title: 'Start-up',
  description: `Process start until GET /health answers 200, and until the first record of a ${STARTUP_LINES}-line FileStreamSource is in its topic.`,
  runners: () => workers,
  records: () => STARTUP_LINES,
  recordBytes: () => LINE_BYTES,
  async run(ctx, runner, round) {
    const dir = await runDir(ctx, 'startup', runner, round)
    const topic = `bench-startup-${runner}-${round}-${randomUUID().slice(0, 8)}`
    let w: Worker | undefined
    const stopHealth = new AbortController()
    try {
      const file = join(dir, 'lines.txt')
      await writeFile(file, `${'x'.repeat(LINE_BYTES)}\n`.repeat(STARTUP_LINES))
      await createTopic(ctx.bootstrap, topic)
      w = await startWorker({
        engine: runner as Engine,
        dir,
        apache: ctx.apache,
        worker: stringWorker(ctx),
        connectors: [{ name: 'bench-startup', 'connector.class': 'FileStreamSource', 'tasks.max': '1', file, topic }],
      })
      const worker = w
      const health = waitHealthy(worker, stopHealth.signal).then((mark) => ({ mark, mem: worker.memory() }))
      const deadline = worker.startedAt + ctx.runTimeoutMs
      let firstRecord: number | undefined
      while (firstRecord === undefined) {
        if (!worker.running()) throw exitedError(worker)
        if (performance.now() > deadline) throw new Error('timed out waiting for the first record')
        if ((await topicEnd(ctx.admin, topic)) > 0) firstRecord = performance.now()
        else await sleep(20)
      }
      const healthy = await Promise.race([health, sleep(ctx.runTimeoutMs / 4, undefined, { ref: false })])
      if (!healthy?.mark) throw new Error('GET /health never answered 200')
      return {
        runner,
        round,
        ok: true,
        metrics: {
          healthSeconds: (healthy.mark.t - worker.startedAt) / 1000,
          firstRecordSeconds: (firstRecord - worker.startedAt) / 1000,
          startupCpuSeconds: healthy.mark.cpu ?? Number.NaN,
          rssAtHealthMb: healthy.mem?.rssMb ?? Number.NaN,
        },
      }
    } catch (e) {
      return failure(runner, round, e)
    } finally {
      stopHealth.abort()
      await w?.stop()
      await cleanup(ctx, dir)
    }
  },
}

// ---------------------------------------------------------------- 6. ceiling: the broker's own perf tools

let perfTopic: string | undefined

/** Runs a perf tool JVM to its end, sampling its CPU and memory. */
async function runTool(
  ctx: BenchContext,
  dir: string,
  mainClass: string,
  args: string[],
): Promise<{ output: string; cpu: number; peakRssMb: number; seconds: number }> {
  const apache = ctx.apache
  if (!apache) throw new Error('the perf tools need the Apache jars (ensureApacheConnect)')
  const log4j = join(dir, 'tools-log4j2.properties')
  await writeFile(log4j, log4jConfig('WARN'))
  const started = performance.now()
  const child = spawn(
    apache.java,
    [...PERF_TOOL_JVM_OPTIONS, `-Dlog4j2.configurationFile=${log4j}`, '-cp', apache.classpath, mainClass, ...args],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    output += d
  })
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    output += d
  })
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  let done = false
  void exited.then(() => {
    done = true
  })
  let cpu = Number.NaN
  let peak = Number.NaN
  const pid = child.pid ?? -1
  const timer = setTimeout(() => child.kill('SIGKILL'), ctx.runTimeoutMs)
  try {
    while (!done) {
      // Once the JVM has exited but is not reaped yet, /proc/<pid>/status has no memory lines: keep the last reading.
      const c = cpuSeconds(pid)
      if (c !== undefined && Number.isFinite(c)) cpu = c
      const m = memory(pid)?.peakRssMb
      if (m !== undefined && Number.isFinite(m)) peak = m
      await Promise.race([exited, sleep(ctx.pollMs)])
    }
  } finally {
    clearTimeout(timer)
  }
  const code = await exited
  if (code !== 0)
    throw new Error(`${mainClass} exited with ${code}:\n${output.trimEnd().split('\n').slice(-10).join('\n')}`)
  return { output, cpu, peakRssMb: peak, seconds: (performance.now() - started) / 1000 }
}

const ceiling: Workload = {
  id: 'ceiling',
  number: 6,
  title: 'Ceiling: the broker’s perf tools',
  description:
    'org.apache.kafka.tools.ProducerPerformance (kafka-producer-perf-test) writes the same number of 100-byte records with its defaults (acks=all), then ConsumerPerformance (kafka-consumer-perf-test) reads them; their own msgs/s (for the consumer: fetch.nMsg.sec, without the group join) are the ceiling for workloads 1 and 2. CPU includes the JVM start-up.',
  runners: () => ['producer-perf', 'consumer-perf'],
  records: (ctx) => ctx.records,
  recordBytes: () => LINE_BYTES,
  async run(ctx, runner, round) {
    const dir = await runDir(ctx, 'ceiling', runner, round)
    try {
      if (runner === 'producer-perf') {
        perfTopic = `bench-perf-${round}-${randomUUID().slice(0, 8)}`
        await createTopic(ctx.bootstrap, perfTopic)
        const res = await runTool(ctx, dir, 'org.apache.kafka.tools.ProducerPerformance', [
          '--topic',
          perfTopic,
          '--num-records',
          String(ctx.records),
          '--record-size',
          String(LINE_BYTES),
          '--throughput',
          '-1',
          '--producer-props',
          `bootstrap.servers=${ctx.bootstrap}`,
        ])
        const m = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(
          res.output.trimEnd().split('\n').at(-1) ?? '',
        )
        if (!m) throw new Error(`unexpected ProducerPerformance output:\n${res.output.slice(-2000)}`)
        const msgsPerSec = Number(m[2])
        return {
          runner,
          round,
          ok: true,
          metrics: {
            msgsPerSec,
            mbPerSec: Number(m[3]),
            cpuSecondsPerMillion: (res.cpu / ctx.records) * 1e6,
            peakRssMb: res.peakRssMb,
            seconds: ctx.records / msgsPerSec,
            wallSeconds: res.seconds,
          },
        }
      }
      if (!perfTopic) throw new Error('the producer perf test did not run first')
      const res = await runTool(ctx, dir, 'org.apache.kafka.tools.ConsumerPerformance', [
        '--bootstrap-server',
        ctx.bootstrap,
        '--topic',
        perfTopic,
        '--messages',
        String(ctx.records),
        '--timeout',
        '60000',
      ])
      const lines = res.output.split('\n').map((l) => l.trim())
      const headerAt = lines.findIndex((l) => l.startsWith('start.time'))
      const header = lines[headerAt]?.split(',').map((s) => s.trim()) ?? []
      const values = lines[headerAt + 1]?.split(',').map((s) => s.trim()) ?? []
      const col = (name: string) => Number(values[header.indexOf(name)])
      const msgsPerSec = col('fetch.nMsg.sec')
      if (!(msgsPerSec > 0)) throw new Error(`unexpected ConsumerPerformance output:\n${res.output.slice(-2000)}`)
      return {
        runner,
        round,
        ok: true,
        metrics: {
          msgsPerSec,
          mbPerSec: col('fetch.MB.sec'),
          cpuSecondsPerMillion: (res.cpu / ctx.records) * 1e6,
          peakRssMb: res.peakRssMb,
          seconds: col('fetch.time.ms') / 1000,
          wallSeconds: res.seconds,
        },
      }
    } catch (e) {
      return failure(runner, round, e)
    } finally {
      await cleanup(ctx, dir)
    }
  },
}

const jdbc = jdbcWorkload({ runDir, cleanup, failure, measureThroughput })

// ---------------------------------------------------------------- 18 and 19. what metrics cost

/**
 * Workloads 1 and 2 again, Ferry against Ferry: with its metrics scraped every second as Prometheus would, and with
 * `metrics.listener=` empty and `ui.enabled=false`, where the tasks record nothing. The ratio is what keeping and
 * serving metrics costs.
 */
const METRICS_SCRAPE_MS = 1000
const metricsWorker = (ctx: BenchContext, runner: Runner) => ({
  ...stringWorker(ctx),
  ...(runner === 'ferry-no-metrics' ? { 'metrics.listener': '', 'ui.enabled': 'false' } : {}),
})
const metricsRunners: Runner[] = ['ferry-no-metrics', 'ferry']
const metricsCost = (id: 'metrics-source' | 'metrics-sink', number: number, of: Workload): Workload => ({
  id,
  number,
  title: `What metrics cost: ${of.title.toLowerCase()}`,
  description: `Workload ${of.number} with Ferry only: with GET /metrics scraped every ${METRICS_SCRAPE_MS / 1000} s, against a worker with \`metrics.listener=\` empty and \`ui.enabled=false\`, whose tasks record nothing.`,
  runners: () => metricsRunners,
  baseline: 'ferry-no-metrics',
  records: (ctx) => ctx.records,
  recordBytes: () => LINE_BYTES,
  run(ctx, runner, round, options = {}) {
    const spec = {
      worker: metricsWorker(ctx, runner),
      ...(runner === 'ferry' ? { scrapeMs: METRICS_SCRAPE_MS } : {}),
    }
    return id === 'metrics-source'
      ? runSource(ctx, id, runner, round, spec, options)
      : runSink(
          ctx,
          id,
          runner,
          round,
          { ...spec, topic: ctx.linesTopic, records: ctx.records, recordBytes: LINE_BYTES },
          {},
          options,
        )
  },
})

export const WORKLOADS: readonly Workload[] = [
  source,
  sink,
  json,
  idle,
  startup,
  ceiling,
  jdbc,
  metricsCost('metrics-source', 18, source),
  metricsCost('metrics-sink', 19, sink),
  ...securedWorkloads({ runSource, runSink, stringWorker, jsonWorker }),
  ...sinkWorkloads({ runDir, cleanup, failure, measureThroughput }),
  ...cdcWorkloads({ runDir, cleanup, failure, measureThroughput }),
  ...avroWorkloads({ runDir, cleanup, failure, measureThroughput }),
  ...eosWorkloads({ runDir, cleanup, failure, measureThroughput }),
  ...failoverWorkloads({ runDir, cleanup, failure, measureThroughput }),
]

/** The scale group's workloads for these connector counts (scale.ts). */
export function scaleGroup(counts: readonly number[]): Workload[] {
  const helpers: ScaleHelpers = { runDir, cleanup, failure }
  return scaleWorkloads(counts, helpers)
}
