/**
 * The scale group (`--workloads scale`, workloads 12 and up, one per connector count): a cluster of three distributed
 * workers, Apache Connect's and then Ferry's (or the other way round), on the same broker, given 100, 300 and 1,000
 * FileStreamSink connectors of 2 tasks each on one empty topic (a connector both have, costing only its consumers).
 *
 * Measured from outside, the same way for both:
 * - REST create latency, p50 and p99, through the leader and through a follower, one request at a time and with
 *   10 concurrent clients; the connectors are created in blocks of 20 that take turns between the four ways, so each
 *   way samples the whole range of cluster sizes. A 409 (rebalance in progress) is retried and counted; the latency
 *   includes the retries, as a client sees it.
 * - Time from the last create to every connector and task RUNNING.
 * - A fourth worker joins: time from its REST port answering to every task RUNNING and the tasks balanced (per worker
 *   within one of each other). Then a follower is SIGKILLed: time to every task RUNNING on the three left
 *   (`scheduled.rebalance.max.delay.ms` is short, `session.timeout.ms` the broker's minimum).
 * - Task starts that should not have happened: the `Creating task <c>-<n>` lines of the workers' logs (both log one
 *   per start), less one for each task that is new or moved to another worker (its latest status says where).
 * - REST latency (`GET /connectors/{c}/status` on a follower, every 100 ms) while each rebalance is under way.
 * - RSS (VmRSS) per worker once everything runs, and per task: the three workers' growth from their idle RSS with
 *   no connectors, divided by the tasks. For Ferry, also where each worker's growth is: the soak's probe
 *   (scripts/soak/lag-probe.js) preloaded into each worker reports V8's heap (committed; young generation, old
 *   generation, code) and Buffers every second; the medians over the same half minute as the RSS, busy less idle,
 *   averaged over the workers. The rest of the RSS growth is native memory.
 *
 * Statuses come from the cluster's own status topic, read by the bench as the workers' status stores read it.
 */
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { KafkaBasedLog, type LogRecord } from '../../packages/runtime/src/kafka/based-log.ts'
import { parseProbe } from '../soak/analysis.ts'
import { bootstrapList, createTopic } from './data.ts'
import { percentile } from './stats.ts'
import { type Engine, startWorker, type Worker } from './workers.ts'
import type { BenchContext, Runner, RunResult, Workload, WorkloadId } from './workloads.ts'

export const SCALE_CONNECTORS = [100, 300, 1000] as const
/** `--quick`: one small count. */
export const SCALE_QUICK_CONNECTORS = [20] as const
export const SCALE_FIRST_NUMBER = 12
export const TASKS_PER_CONNECTOR = 2
export const SCALE_WORKERS = 3
/** Concurrent clients of the concurrent create blocks. */
export const CREATE_CLIENTS = 10
/** Connectors per create block; the blocks take turns between the four ways of creating. */
export const CREATE_BLOCK = 20
export const SESSION_TIMEOUT_MS = 6000
export const HEARTBEAT_INTERVAL_MS = 2000
export const REBALANCE_DELAY_MS = 5000
const PROBE_INTERVAL_MS = 100
/** The soak's probe, preloaded into Ferry's workers: V8's heap spaces and Buffers, a line a second. */
const MEMORY_PROBE = pathToFileURL(join(import.meta.dirname, '..', 'soak', 'lag-probe.js')).href

export type ScaleWorkloadId = `scale-${number}`

/** The worker file of a scale cluster; Apache's and Ferry's are the same. */
export function scaleWorkerConfig(bootstrap: string, group: string): Record<string, string> {
  const string = 'org.apache.kafka.connect.storage.StringConverter'
  return {
    'bootstrap.servers': bootstrap,
    'group.id': group,
    'config.storage.topic': `${group}-configs`,
    'offset.storage.topic': `${group}-offsets`,
    'status.storage.topic': `${group}-status`,
    'config.storage.replication.factor': '1',
    'offset.storage.replication.factor': '1',
    'status.storage.replication.factor': '1',
    'key.converter': string,
    'value.converter': string,
    'offset.flush.interval.ms': '10000',
    'session.timeout.ms': String(SESSION_TIMEOUT_MS),
    'heartbeat.interval.ms': String(HEARTBEAT_INTERVAL_MS),
    'scheduled.rebalance.max.delay.ms': String(REBALANCE_DELAY_MS),
  }
}

// ---------------------------------------------------------------- statuses (pure, unit-tested)

/** One record of the status topic: `status-connector-<c>` or `status-task-<c>-<n>`, and its state. */
export interface StatusEvent {
  key: string
  connector: string
  /** The task number; undefined for the Connector itself. */
  task: number | undefined
  /** null for a tombstone. */
  state: string | null
  workerId: string | null
}

/** Reads a status record; undefined for other keys (topic statuses) and unreadable values. */
export function parseStatus(key: string, value: string | null): StatusEvent | undefined {
  let connector: string
  let task: number | undefined
  if (key.startsWith('status-connector-')) connector = key.slice('status-connector-'.length)
  else if (key.startsWith('status-task-')) {
    const rest = key.slice('status-task-'.length)
    const dash = rest.lastIndexOf('-')
    task = Number(rest.slice(dash + 1))
    if (dash <= 0 || !Number.isInteger(task)) return undefined
    connector = rest.slice(0, dash)
  } else return undefined
  if (value === null) return { key, connector, task, state: null, workerId: null }
  try {
    const v = JSON.parse(value) as { state?: unknown; worker_id?: unknown }
    return {
      key,
      connector,
      task,
      state: typeof v.state === 'string' ? v.state : null,
      workerId: typeof v.worker_id === 'string' ? v.worker_id : null,
    }
  } catch {
    return undefined
  }
}

export function taskKey(connector: string, task: number): string {
  return `status-task-${connector}-${task}`
}

export interface ClusterView {
  /** Connectors and tasks expected, and how many of them are RUNNING on a live worker. */
  expected: number
  running: number
  /** RUNNING tasks per live worker (every live worker listed, 0 included). */
  tasksPerWorker: Map<string, number>
  allRunning: boolean
  /** All running and every live worker within one task of the others. */
  balanced: boolean
}

/** What the latest statuses say about `connectors` (with `tasksPer` tasks each) on the `live` workers. */
export function clusterView(
  latest: ReadonlyMap<string, StatusEvent>,
  connectors: readonly string[],
  tasksPer: number,
  live: readonly string[],
): ClusterView {
  const liveSet = new Set(live)
  const tasksPerWorker = new Map(live.map((w) => [w, 0]))
  const up = (e: StatusEvent | undefined) => e?.state === 'RUNNING' && e.workerId !== null && liveSet.has(e.workerId)
  let running = 0
  for (const c of connectors) {
    if (up(latest.get(`status-connector-${c}`))) running++
    for (let t = 0; t < tasksPer; t++) {
      const e = latest.get(taskKey(c, t))
      if (!up(e)) continue
      running++
      tasksPerWorker.set(e!.workerId!, (tasksPerWorker.get(e!.workerId!) ?? 0) + 1)
    }
  }
  const expected = connectors.length * (1 + tasksPer)
  const counts = [...tasksPerWorker.values()]
  const allRunning = running === expected
  return {
    expected,
    running,
    tasksPerWorker,
    allRunning,
    balanced: allRunning && counts.length > 0 && Math.max(...counts) - Math.min(...counts) <= 1,
  }
}

export interface Starts {
  /** RUNNING records of the tasks in the window. */
  starts: number
  /** Tasks that run on another worker at the end than at the start (or did not run at the start). */
  moved: number
  /** Starts beyond one per moved or new task: restarts of tasks that should have stayed put. */
  needless: number
  /** A few of those tasks with the workers of their starts, for the log: `c-0: w1 → w1`. */
  examples: string[]
}

/**
 * Counts task starts in `window` (the status records of one phase, in order) for `tasks` (status keys), given the
 * latest status of each before the phase. A task that was not RUNNING before, or ends on another worker, needs one
 * start; every other start is needless.
 */
export function countStarts(
  before: ReadonlyMap<string, StatusEvent>,
  window: readonly StatusEvent[],
  tasks: readonly string[],
): Starts {
  const wanted = new Set(tasks)
  const where = new Map<string, Array<string | null>>()
  for (const e of window) {
    if (!wanted.has(e.key) || e.state !== 'RUNNING') continue
    where.set(e.key, [...(where.get(e.key) ?? []), e.workerId])
  }
  let total = 0
  let moved = 0
  let needless = 0
  const examples: string[] = []
  for (const key of tasks) {
    const workers = where.get(key) ?? []
    const n = workers.length
    total += n
    const b = before.get(key)
    const from = b?.state === 'RUNNING' ? b.workerId : undefined
    const to = n > 0 ? workers[n - 1] : from
    const needed = from === undefined || to !== from ? 1 : 0
    if (n > 0 && needed === 1) moved++
    needless += Math.max(0, n - needed)
    if (n > needed && examples.length < 3)
      examples.push(`${key.slice('status-task-'.length)}: ${[from ?? 'new', ...workers].join(' → ')}`)
  }
  return { starts: total, moved, needless, examples }
}

/**
 * Task starts in a worker's log, per task: both workers log `Creating task <connector>-<n>` once each time they
 * start a task (Apache's Worker.startTask, Ferry's Worker.startTask).
 */
export function logStarts(log: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const m of log.matchAll(/Creating task (\S+-\d+)(?=[\s"(]|$)/gm)) out.set(m[1]!, (out.get(m[1]!) ?? 0) + 1)
  return out
}

/**
 * The start events of a phase from the workers' log counts before and after it (worker id → task → starts), as
 * status events for `countStarts`; a task's starts on the worker it ends on (`after`, its latest status) come last.
 */
export function startEvents(
  before: ReadonlyMap<string, ReadonlyMap<string, number>>,
  after: ReadonlyMap<string, ReadonlyMap<string, number>>,
  latest: ReadonlyMap<string, StatusEvent>,
): StatusEvent[] {
  const byTask = new Map<string, StatusEvent[]>()
  for (const [workerId, counts] of after) {
    for (const [task, n] of counts) {
      const fresh = n - (before.get(workerId)?.get(task) ?? 0)
      if (fresh <= 0) continue
      const dash = task.lastIndexOf('-')
      const key = taskKey(task.slice(0, dash), Number(task.slice(dash + 1)))
      const e: StatusEvent = {
        key,
        connector: task.slice(0, dash),
        task: Number(task.slice(dash + 1)),
        state: 'RUNNING',
        workerId,
      }
      const list = byTask.get(key) ?? []
      for (let i = 0; i < fresh; i++) list.push(e)
      byTask.set(key, list)
    }
  }
  const out: StatusEvent[] = []
  for (const [key, list] of byTask) {
    const owner = latest.get(key)?.workerId
    out.push(...list.filter((e) => e.workerId !== owner), ...list.filter((e) => e.workerId === owner))
  }
  return out
}

/** The connectors of a run: created in blocks of CREATE_BLOCK, the blocks taking turns between the four ways. */
export type CreateWay = 'leader' | 'follower' | 'leader10' | 'follower10'
export const CREATE_WAYS: readonly CreateWay[] = ['leader', 'follower', 'leader10', 'follower10']

export function createPlan(count: number, block = CREATE_BLOCK): Array<{ way: CreateWay; names: string[] }> {
  // Small counts still give every way a block.
  const size = Math.max(1, Math.min(block, Math.floor(count / CREATE_WAYS.length)))
  const plan: Array<{ way: CreateWay; names: string[] }> = []
  for (let i = 0, b = 0; i < count; i += size, b++) {
    const names = Array.from({ length: Math.min(size, count - i) }, (_, k) => `bench-scale-${i + k}`)
    plan.push({ way: CREATE_WAYS[b % CREATE_WAYS.length]!, names })
  }
  return plan
}

// ---------------------------------------------------------------- the status topic, read live

/** The latest status record per key of a cluster, read as it arrives. */
class StatusWatch {
  readonly latest = new Map<string, StatusEvent>()
  readonly #log: KafkaBasedLog

  constructor(bootstrap: string, topic: string) {
    this.#log = new KafkaBasedLog({
      bootstrapServers: bootstrapList(bootstrap),
      clientId: `ferry-bench-status-${randomUUID().slice(0, 8)}`,
      topic,
      readOnly: true,
      fetchMaxWaitMs: 100,
      onRecord: (r: LogRecord) => {
        if (!r.key) return
        const e = parseStatus(r.key.toString('utf8'), r.value ? r.value.toString('utf8') : null)
        if (e) this.latest.set(e.key, e)
      },
    })
  }

  start(): Promise<void> {
    return this.#log.start()
  }

  stop(): Promise<void> {
    return this.#log.stop()
  }

  /** Catches up with the topic; returns the latest statuses then. */
  async mark(): Promise<Map<string, StatusEvent>> {
    await this.#log.readToEnd()
    return new Map(this.latest)
  }
}

// ---------------------------------------------------------------- REST

/**
 * Creates a connector (`POST /connectors`); retries a 409 (rebalance) for up to `timeoutMs`. Returns the time it took
 * and the retries.
 */
export async function createConnector(
  url: string,
  name: string,
  config: Record<string, string>,
  timeoutMs: number,
): Promise<{ ms: number; retries: number }> {
  const body = JSON.stringify({ name, config })
  const t0 = performance.now()
  let retries = 0
  for (;;) {
    const res = await fetch(`${url}/connectors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await res.text()
    if (res.status === 201) return { ms: performance.now() - t0, retries }
    if (res.status !== 409 || performance.now() - t0 > timeoutMs)
      throw new Error(`POST ${url}/connectors for ${name} answered ${res.status}: ${text.slice(0, 300)}`)
    retries++
    await sleep(100)
  }
}

/** GET requests in a loop against one worker; latencies of the requests that started between `from` and `to`. */
class RestProbe {
  readonly #samples: Array<{ t: number; ms: number; ok: boolean }> = []
  #running = true
  readonly #loop: Promise<void>

  constructor(url: string, path: () => string) {
    this.#loop = (async () => {
      while (this.#running) {
        const t = performance.now()
        let ok = false
        try {
          const res = await fetch(`${url}${path()}`, { signal: AbortSignal.timeout(30_000) })
          await res.text()
          ok = res.status === 200
        } catch {
          ok = false
        }
        this.#samples.push({ t, ms: performance.now() - t, ok })
        await sleep(PROBE_INTERVAL_MS)
      }
    })()
  }

  between(from: number, to: number): { latencies: number[]; errors: number } {
    const xs = this.#samples.filter((s) => s.t >= from && s.t <= to)
    return { latencies: xs.map((s) => s.ms), errors: xs.filter((s) => !s.ok).length }
  }

  async stop(): Promise<void> {
    this.#running = false
    await this.#loop
  }
}

/** The status of `GET /health` (0: no answer). */
export async function restAnswers(url: string): Promise<number> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })
    await res.text()
    return res.status
  } catch {
    return 0
  }
}

function workerId(w: Worker): string {
  return w.restUrl.replace(/^https?:\/\//, '')
}

/** Polls `check` until it gives a value; throws when a worker exits or after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  workers: readonly Worker[],
  check: () => T | undefined | Promise<T | undefined>,
  intervalMs = 100,
): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined) return v
    const dead = workers.find((w) => !w.running())
    if (dead) throw new Error(`${dead.engine} worker ${dead.restUrl} exited; last log lines:\n${dead.logTail(15)}`)
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`)
    await sleep(intervalMs)
  }
}

/**
 * The leader, from the workers' logs: Apache logs each assignment with `leaderUrl='http://host:port/'`, Ferry
 * `Joined generation N as leader|follower`.
 */
export function leaderFromLogs(logs: ReadonlyArray<{ url: string; log: string }>): string | undefined {
  for (const { log } of logs) {
    const urls = [...log.matchAll(/leaderUrl='([^']*)'/g)]
    const last = urls.at(-1)?.[1]?.replace(/\/+$/, '')
    if (last) return last
  }
  for (const { url, log } of logs) {
    const roles = [...log.matchAll(/Joined generation \d+ as (leader|follower)/g)]
    if (roles.at(-1)?.[1] === 'leader') return url
  }
  return undefined
}

/**
 * Median RSS of each worker over samples a second apart, MiB. Half a minute of them: a JVM's and V8's heaps grow and
 * shrink with their collections, and five seconds of samples caught one worker's step of 15 MiB in one run and not in
 * the next.
 */
export const RSS_SAMPLES = 30
async function sampleRss(
  workers: readonly Worker[],
  probes: ReadonlyMap<Worker, string>,
  samples = RSS_SAMPLES,
): Promise<{ rss: number[]; heap: Array<HeapBreakdown | undefined> }> {
  const from = Date.now()
  const per = workers.map(() => [] as number[])
  for (let i = 0; i < samples; i++) {
    if (i > 0) await sleep(1000)
    workers.forEach((w, k) => {
      const m = w.memory()?.rssMb
      if (m !== undefined && Number.isFinite(m)) per[k]!.push(m)
    })
  }
  const to = Date.now()
  const heap = await Promise.all(
    workers.map(async (w) => {
      const file = probes.get(w)
      return file === undefined ? undefined : heapBreakdown(await readFile(file, 'utf8').catch(() => ''), from, to)
    }),
  )
  return { rss: per.map((xs) => percentile(xs, 50) ?? Number.NaN), heap }
}

/** Where a Ferry worker's memory is, MiB: the median of each of the probe's figures over a window. */
export interface HeapBreakdown {
  heapTotalMb: number
  newSpaceMb: number
  oldSpaceMb: number
  codeSpaceMb: number
  externalMb: number
}
const HEAP_KEYS = ['heapTotalMb', 'newSpaceMb', 'oldSpaceMb', 'codeSpaceMb', 'externalMb'] as const

/** The medians of the probe's lines (JSON, one a line, epoch `t`) from `from` to `to`; undefined when none. */
export function heapBreakdown(probeLines: string, from: number, to: number): HeapBreakdown | undefined {
  const lines = parseProbe(probeLines).filter((x) => x.t >= from && x.t <= to)
  if (lines.length === 0) return undefined
  const median = (k: (typeof HEAP_KEYS)[number]) =>
    percentile(
      lines.map((l) => l[k] ?? Number.NaN).filter((v) => Number.isFinite(v)),
      50,
    ) ?? Number.NaN
  return Object.fromEntries(HEAP_KEYS.map((k) => [k, median(k)])) as unknown as HeapBreakdown
}

/** Busy less idle, averaged over the workers that have both, per figure; with the rest of the RSS growth (native). */
export function heapGrowth(
  idle: ReadonlyArray<HeapBreakdown | undefined>,
  busy: ReadonlyArray<HeapBreakdown | undefined>,
  idleRss: readonly number[],
  busyRss: readonly number[],
): Record<string, number> {
  const pairs = idle.flatMap((a, i) => {
    const b = busy[i]
    return a && b ? [{ a, b, rss: busyRss[i]! - idleRss[i]! }] : []
  })
  if (pairs.length === 0) return {}
  const mean = (f: (p: (typeof pairs)[number]) => number) => pairs.reduce((s, p) => s + f(p), 0) / pairs.length
  const growth = (k: (typeof HEAP_KEYS)[number]) => mean((p) => p.b[k] - p.a[k])
  return {
    heapGrowthPerWorkerMb: growth('heapTotalMb'),
    youngGrowthPerWorkerMb: growth('newSpaceMb'),
    oldGrowthPerWorkerMb: growth('oldSpaceMb'),
    codeGrowthPerWorkerMb: growth('codeSpaceMb'),
    buffersGrowthPerWorkerMb: growth('externalMb'),
    nativeGrowthPerWorkerMb: mean(
      (p) => p.rss - (p.b.heapTotalMb - p.a.heapTotalMb) - (p.b.externalMb - p.a.externalMb),
    ),
  }
}

// ---------------------------------------------------------------- the run

export interface ScaleHelpers {
  runDir(ctx: BenchContext, workload: WorkloadId, runner: Runner, round: number): Promise<string>
  cleanup(ctx: BenchContext, dir: string): Promise<void>
  failure(runner: Runner, round: number, error: unknown): RunResult
}

async function runScale(
  ctx: BenchContext,
  helpers: ScaleHelpers,
  id: ScaleWorkloadId,
  count: number,
  runner: Runner,
  round: number,
): Promise<RunResult> {
  const engine = runner as Engine
  const dir = await helpers.runDir(ctx, id, runner, round)
  const group = `bench-scale-${engine}-${count}-${randomUUID().slice(0, 8)}`
  const topic = `${group}-in`
  const config = scaleWorkerConfig(ctx.bootstrap, group)
  const settleMs = ctx.quick ? 2000 : 10_000
  const waitMs = ctx.runTimeoutMs
  const workers: Worker[] = []
  /** Ferry's workers: the file their memory probe writes. */
  const probes = new Map<Worker, string>()
  let watch: StatusWatch | undefined
  let probe: RestProbe | undefined
  const start = async (n: number) => {
    const probe = join(dir, `memory-${n}.jsonl`)
    const w = await startWorker({
      engine,
      mode: 'distributed',
      label: `-${n}`,
      dir,
      apache: ctx.apache,
      worker: config,
      connectors: [],
      ...(engine === 'ferry'
        ? {
            nodeOptions: ['--import', MEMORY_PROBE],
            env: { FERRY_SOAK_PROBE_FILE: probe, FERRY_SOAK_PROBE_MS: '1000' },
          }
        : {}),
    })
    if (engine === 'ferry') probes.set(w, probe)
    return w
  }
  const healthy = (ws: Worker[]) =>
    waitUntil('the workers to answer GET /health 200', waitMs, ws, async () =>
      (await Promise.all(ws.map((w) => restAnswers(w.restUrl)))).every((s) => s === 200) ? true : undefined,
    )
  try {
    await createTopic(ctx.bootstrap, topic)
    // The first worker alone first, so that it leads (the group's first member is its leader).
    workers.push(await start(1))
    await healthy(workers)
    workers.push(await start(2), await start(3))
    await healthy(workers)
    watch = new StatusWatch(ctx.bootstrap, config['status.storage.topic']!)
    await watch.start()
    const leaderUrl = await waitUntil('a leader in the logs', 30_000, workers, async () =>
      leaderFromLogs(
        await Promise.all(
          workers.map(async (w) => ({ url: w.restUrl, log: await readFile(w.logPath, 'utf8').catch(() => '') })),
        ),
      ),
    )
    const leader = workers.find((w) => w.restUrl === leaderUrl)
    if (!leader) throw new Error(`the logs name ${leaderUrl} as the leader, which is none of the workers`)
    const [follower, victim] = workers.filter((w) => w !== leader) as [Worker, Worker]
    ctx.log(`  scale ${count}, ${engine}: leader ${leader.restUrl}, follower ${follower.restUrl}`)

    await sleep(settleMs)
    const idle = await sampleRss(workers, probes)
    const idleRss = idle.rss

    // ------------------------------------------------ creates
    const plan = createPlan(count)
    const names = plan.flatMap((b) => b.names)
    const latencies: Record<CreateWay, number[]> = { leader: [], follower: [], leader10: [], follower10: [] }
    let retries = 0
    /** The statuses and each worker's task starts (from its log) at a moment, and the starts between two. */
    const mark = async () => {
      const latest = await watch!.mark()
      const logs = new Map<string, Map<string, number>>()
      for (const w of workers) logs.set(workerId(w), logStarts(await readFile(w.logPath, 'utf8').catch(() => '')))
      return { latest, logs }
    }
    const startsBetween = (a: Awaited<ReturnType<typeof mark>>, b: Awaited<ReturnType<typeof mark>>) =>
      countStarts(a.latest, startEvents(a.logs, b.logs, b.latest), tasks)
    const tasks = names.flatMap((c) => Array.from({ length: TASKS_PER_CONNECTOR }, (_, t) => taskKey(c, t)))
    const created = await mark()
    const sinkConfig = { 'connector.class': 'FileStreamSink', 'tasks.max': String(TASKS_PER_CONNECTOR), topics: topic }
    const createStart = performance.now()
    for (const block of plan) {
      const url = block.way.startsWith('leader') ? leader.restUrl : follower.restUrl
      const clients = block.way.endsWith('10') ? CREATE_CLIENTS : 1
      const queue = [...block.names]
      await Promise.all(
        Array.from({ length: clients }, async () => {
          for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
            const r = await createConnector(url, name, sinkConfig, 120_000)
            latencies[block.way].push(r.ms)
            retries += r.retries
          }
        }),
      )
    }
    const lastCreate = performance.now()
    const live3 = workers.map(workerId)
    await waitUntil('every connector and task RUNNING after the creates', waitMs, workers, () =>
      clusterView(watch!.latest, names, TASKS_PER_CONNECTOR, live3).allRunning ? true : undefined,
    )
    const runningAt = performance.now()
    const afterCreate = await mark()
    const createStarts = startsBetween(created, afterCreate)
    const say = (phase: string, x: Starts) =>
      x.needless > 0 &&
      ctx.log(`  scale ${count}, ${engine}: ${x.needless} needless task starts ${phase}, e.g. ${x.examples.join('; ')}`)
    say('while creating', createStarts)

    await sleep(settleMs)
    const busy = await sampleRss(workers, probes)
    const busyRss = busy.rss
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)

    // ------------------------------------------------ a worker joins
    let probeIndex = 0
    probe = new RestProbe(follower.restUrl, () => `/connectors/${names[probeIndex++ % names.length]}/status`)
    const joinMark = await mark()
    const joiner = await start(4)
    workers.push(joiner)
    await waitUntil('the joining worker to answer', waitMs, workers, async () =>
      (await restAnswers(joiner.restUrl)) > 0 ? true : undefined,
    )
    const joinUp = performance.now()
    const live4 = workers.map(workerId)
    await waitUntil('every task RUNNING and balanced after a worker joined', waitMs, workers, () =>
      clusterView(watch!.latest, names, TASKS_PER_CONNECTOR, live4).balanced ? true : undefined,
    )
    const joinDone = performance.now()
    const joinStarts = startsBetween(joinMark, await mark())
    const joinRest = probe.between(joinUp, joinDone)
    say('when a worker joined', joinStarts)
    await sleep(settleMs)

    // ------------------------------------------------ a follower dies
    const killMark = await mark()
    const killAt = performance.now()
    await victim.kill()
    const alive = workers.filter((w) => w !== victim)
    const live = alive.map(workerId)
    await waitUntil('every task RUNNING on the workers left after one was killed', waitMs, alive, () =>
      clusterView(watch!.latest, names, TASKS_PER_CONNECTOR, live).allRunning ? true : undefined,
    )
    const killDone = performance.now()
    const killStarts = startsBetween(killMark, await mark())
    const killRest = probe.between(killAt, killDone)
    say('when a worker was killed', killStarts)
    await probe.stop()
    probe = undefined

    const p = (xs: number[], q: number) => percentile(xs, q) ?? Number.NaN
    const taskCount = count * TASKS_PER_CONNECTOR
    return {
      runner,
      round,
      ok: true,
      metrics: {
        connectors: count,
        tasks: taskCount,
        createLeaderP50Ms: p(latencies.leader, 50),
        createLeaderP99Ms: p(latencies.leader, 99),
        createFollowerP50Ms: p(latencies.follower, 50),
        createFollowerP99Ms: p(latencies.follower, 99),
        createLeader10P50Ms: p(latencies.leader10, 50),
        createLeader10P99Ms: p(latencies.leader10, 99),
        createFollower10P50Ms: p(latencies.follower10, 50),
        createFollower10P99Ms: p(latencies.follower10, 99),
        createRetries: retries,
        createSeconds: (lastCreate - createStart) / 1000,
        runningAfterCreateSeconds: (runningAt - lastCreate) / 1000,
        createNeedlessStarts: createStarts.needless,
        idleRssPerWorkerMb: sum(idleRss) / idleRss.length,
        rssPerWorkerMb: sum(busyRss) / busyRss.length,
        rssPerTaskMb: (sum(busyRss) - sum(idleRss)) / taskCount,
        ...heapGrowth(idle.heap, busy.heap, idleRss, busyRss),
        joinSeconds: (joinDone - joinUp) / 1000,
        joinFromSpawnSeconds: (joinDone - joiner.startedAt) / 1000,
        joinMovedTasks: joinStarts.moved,
        joinNeedlessRestarts: joinStarts.needless,
        joinRestP50Ms: p(joinRest.latencies, 50),
        joinRestP99Ms: p(joinRest.latencies, 99),
        joinRestErrors: joinRest.errors,
        killSeconds: (killDone - killAt) / 1000,
        killMovedTasks: killStarts.moved,
        killNeedlessRestarts: killStarts.needless,
        killRestP50Ms: p(killRest.latencies, 50),
        killRestP99Ms: p(killRest.latencies, 99),
        killRestErrors: killRest.errors,
      },
    }
  } catch (e) {
    return helpers.failure(runner, round, e)
  } finally {
    await probe?.stop()
    await watch?.stop().catch(() => {})
    await Promise.all(workers.map((w) => w.stop(30_000)))
    await helpers.cleanup(ctx, dir)
  }
}

/** One workload per connector count, numbered from 12 in the order given. */
export function scaleWorkloads(counts: readonly number[], helpers: ScaleHelpers): Workload[] {
  return counts.map((count, i) => {
    const id: ScaleWorkloadId = `scale-${count}`
    return {
      id,
      number: SCALE_FIRST_NUMBER + i,
      title: `Scale: ${count.toLocaleString('en-US')} connectors × ${TASKS_PER_CONNECTOR} tasks, ${SCALE_WORKERS} workers`,
      description: `${SCALE_WORKERS} distributed workers, then a fourth joins and one follower is killed; ${count.toLocaleString('en-US')} FileStreamSink connectors (\`tasks.max=${TASKS_PER_CONNECTOR}\`) on one empty topic.`,
      runners: () => ['apache', 'ferry'],
      records: () => 0,
      recordBytes: () => 0,
      maxRounds: 1,
      run: (ctx, runner, round) => runScale(ctx, helpers, id, count, runner, round),
    }
  })
}
