/**
 * The sink failover group (`--workloads failover`, workload 26; issue 13): the longest sink delivery pause under
 * repeated kill -9, for three clusters of three distributed workers in the same run: Apache Connect, Ferry (sink task
 * consumers are static members, its default) and Ferry with `sink.task.static.membership=false` (dynamic members, as
 * Apache's). Each gets the scale group's worker file (`session.timeout.ms` 6000, `heartbeat.interval.ms` 2000,
 * `scheduled.rebalance.max.delay.ms` 5000) and one FileStreamSink connector (Apache's class name) with
 * `tasks.max=6` on a six-partition topic; the sink consumers keep the consumer default `session.timeout.ms` (45 s),
 * which is what users get.
 *
 * The bench produces `<partition>-<n>` lines (n counting from 1 in each partition) at a steady rate, spread evenly over
 * the partitions, and reads the sink's file as it grows. Once every task runs and every partition delivers, a quiet
 * spell; then, per kill: kill -9 of the worker running the most sink tasks, every task RUNNING on the two left, the
 * worker started again on its old port, every task RUNNING and balanced over the three, every record written up to a
 * second before delivered, a quiet spell. After the last, the producer stops and the bench waits for every record.
 *
 * A pause is counted per partition by the chaos run's ledger (scripts/chaos/ledger.ts): a time during which a record
 * of that partition was written and waiting and none of the partition's records reached the file. A kill's pause is the
 * longest pause of any partition that overlaps the time from that kill to the next (or to the end); the longest pause
 * is the largest of those. The quiet spell before the first kill gives the pause without faults. Lost: written, never
 * in the file (must be 0); duplicated: lines beyond the first of a record.
 */
import { randomUUID } from 'node:crypto'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from '@ferry/testing'
import { KafkaProducer } from '../../packages/runtime/src/kafka/clients.ts'
import { Ledger, type Window } from '../chaos/ledger.ts'
import { bootstrapList } from './data.ts'
import type { WorkloadHelpers } from './jdbc.ts'
import { createConnector, restAnswers, scaleWorkerConfig, waitUntil } from './scale.ts'
import { type Engine, startWorker, type Worker } from './workers.ts'
import type { BenchContext, Runner, RunResult, Workload } from './workloads.ts'

export const FAILOVER_NUMBER = 26
export const FAILOVER_WORKERS = 3
export const FAILOVER_PARTITIONS = 6
/** Records per second, all partitions together. */
export const FAILOVER_RATE = 200
export const FAILOVER_KILLS = { full: 3, quick: 1 } as const
/** The quiet spell before the first kill and after each restart, ms. */
export const FAILOVER_QUIET_MS = { full: 10_000, quick: 5_000 } as const
const TICK_MS = 50
const TAIL_MS = 50
const CONNECTOR = 'bench-failover-sink'

/** Who runs the workload: Apache Connect, Ferry (static members) and Ferry with dynamic members. */
export const FAILOVER_RUNNERS: readonly Runner[] = ['apache', 'ferry', 'ferry-dynamic']

// ---------------------------------------------------------------- lines and pauses (pure, unit-tested)

/** The line of the `n`th record (from 1) of a partition. */
export function failoverLine(partition: number, n: number): string {
  return `${partition}-${n}`
}

/** Reads a sink line back; undefined for anything else (a torn or foreign line). */
export function parseFailoverLine(line: string): { partition: number; n: number } | undefined {
  const m = /^(\d+)-(\d+)$/.exec(line)
  if (!m) return undefined
  return { partition: Number(m[1]), n: Number(m[2]) }
}

/** One ledger per partition: what was written and delivered, and when (epoch ms). */
export class PartitionLedgers {
  readonly ledgers: Ledger[]
  /** Lines that are no record of the topic. */
  unparsed = 0

  constructor(partitions: number) {
    this.ledgers = Array.from({ length: partitions }, (_, p) => new Ledger(`partition ${p}`))
  }

  wrote(partition: number, n: number, time: number): void {
    this.ledgers[partition]!.wrote(n, time)
  }

  /** A line of the sink's file, seen at `time`. */
  delivered(line: string, time: number): void {
    const r = parseFailoverLine(line)
    const ledger = r && this.ledgers[r.partition]
    if (!r || !ledger) this.unparsed++
    else ledger.delivered(r.n, time)
  }

  /** Whether each partition has delivered (at least) its first `upTo[p]` records. */
  caughtUp(upTo: readonly number[]): boolean {
    return this.ledgers.every((l, p) => l.deliveredDistinct >= Math.min(l.written, upTo[p] ?? 0))
  }
}

export interface FailoverSummary {
  written: number
  lost: number
  duplicated: number
  /** Delivered lines of records the bench had not written (a corrupted line). */
  unexpected: number
  /** The longest pause of any partition that ended after `pausesFrom`, seconds. */
  longestPauseSeconds: number
  /** Per window: the longest pause of any partition that ended in it, seconds. */
  windows: Array<{ name: string; pauseSeconds: number }>
}

/**
 * Sums the partitions' ledgers: counts added up, pauses the longest of any partition. A pause belongs to the window it
 * ends in (delivery resumed): a kill's pause begins with the last delivery before the kill, so it would overlap the
 * window before it.
 */
export function summarizeLedgers(
  ledgers: readonly Ledger[],
  windows: readonly Window[],
  end: number,
  pausesFrom: number,
): FailoverSummary {
  const sums = ledgers.map((l) => l.summary([], end, pausesFrom))
  const pauses = ledgers.flatMap((l) => l.pauses(end)).filter(([, b]) => b > pausesFrom)
  const longest = (xs: Array<[number, number]>) => Math.round(Math.max(0, ...xs.map(([a, b]) => b - a)) / 10) / 100
  return {
    written: sums.reduce((n, s) => n + s.written, 0),
    lost: sums.reduce((n, s) => n + s.lost, 0),
    duplicated: sums.reduce((n, s) => n + s.duplicated, 0),
    unexpected: sums.reduce((n, s) => n + s.unexpected, 0),
    longestPauseSeconds: longest(pauses),
    windows: windows.map((w) => ({
      name: w.name,
      pauseSeconds: longest(pauses.filter(([, b]) => b >= w.start && b < w.end)),
    })),
  }
}

/** The sink tasks per worker id (`host:port`) from a `GET /connectors/{c}/status` body; RUNNING tasks only. */
export function runningTasks(status: unknown): Map<string, number> {
  const out = new Map<string, number>()
  const tasks = (status as { tasks?: Array<{ state?: unknown; worker_id?: unknown }> } | null)?.tasks ?? []
  for (const t of tasks)
    if (t.state === 'RUNNING' && typeof t.worker_id === 'string') out.set(t.worker_id, (out.get(t.worker_id) ?? 0) + 1)
  return out
}

// ---------------------------------------------------------------- the producer and the file reader

/** Writes `FAILOVER_RATE` records a second, round-robin over the partitions, one send in flight. */
class SteadyProducer {
  /** Records sent per partition (the next one's n is this + 1). */
  readonly sent: number[]
  resends = 0
  /** Records given up on after the stop (counted as lost by the ledgers). */
  unsent = 0
  readonly #producer: KafkaProducer
  #running = true
  readonly #loop: Promise<void>

  constructor(bootstrap: string, topic: string, partitions: number, ledgers: PartitionLedgers) {
    this.sent = new Array(partitions).fill(0)
    const producer = new KafkaProducer({
      bootstrapServers: bootstrapList(bootstrap),
      clientId: `ferry-bench-failover-${randomUUID().slice(0, 8)}`,
    })
    this.#producer = producer
    const t0 = Date.now()
    let total = 0
    this.#loop = (async () => {
      while (this.#running) {
        const due = Math.min(FAILOVER_RATE, Math.floor(((Date.now() - t0) * FAILOVER_RATE) / 1000) - total)
        if (due > 0) {
          const now = Date.now()
          const records = Array.from({ length: due }, (_, i) => {
            const partition = (total + i) % partitions
            const n = ++this.sent[partition]!
            // Written when sent: a line may reach the file before the send's answer reaches the bench.
            ledgers.wrote(partition, n, now)
            return { topic, key: null, partition, value: Buffer.from(failoverLine(partition, n)) }
          })
          total += due
          // A send refused (a broker hiccup) goes again until it is in (after the stop, 50 more times at most: the
          // records are in the ledgers already, so records never sent would count as lost; `unsent` says so).
          for (let after = 0; ; ) {
            const ok = await producer.send(records).then(
              () => true,
              () => false,
            )
            if (ok) break
            if (!this.#running && ++after > 50) {
              this.unsent += records.length
              break
            }
            this.resends++
            await sleep(100)
          }
        }
        await sleep(TICK_MS)
      }
    })()
  }

  async stop(): Promise<void> {
    this.#running = false
    await this.#loop
    await this.#producer.close().catch(() => {})
  }
}

/** Reads the lines appended to a file as it grows, each stamped with the time it was read (epoch ms). */
class FileTail {
  readonly #path: string
  #position = 0
  #rest = ''
  readonly #buffer = Buffer.allocUnsafe(1 << 20)
  #running = true
  readonly #loop: Promise<void>
  readonly #onLine: (line: string, time: number) => void

  constructor(path: string, onLine: (line: string, time: number) => void) {
    this.#path = path
    this.#onLine = onLine
    this.#loop = (async () => {
      while (this.#running) {
        await this.read()
        await sleep(TAIL_MS)
      }
    })()
  }

  async read(): Promise<void> {
    const file = await open(this.#path, 'r').catch(() => undefined)
    if (!file) return // not created yet
    try {
      const buffer = this.#buffer
      for (;;) {
        const { bytesRead } = await file.read(buffer, 0, buffer.length, this.#position)
        if (bytesRead === 0) break
        this.#position += bytesRead
        const time = Date.now()
        const lines = (this.#rest + buffer.toString('utf8', 0, bytesRead)).split('\n')
        this.#rest = lines.pop() ?? ''
        for (const l of lines) this.#onLine(l, time)
      }
    } finally {
      await file.close()
    }
  }

  async stop(): Promise<void> {
    this.#running = false
    await this.#loop
    await this.read()
  }
}

// ---------------------------------------------------------------- the run

async function connectorStatus(workers: readonly Worker[]): Promise<unknown> {
  for (const w of workers.filter((x) => x.running())) {
    try {
      const res = await fetch(`${w.restUrl}/connectors/${CONNECTOR}/status`, { signal: AbortSignal.timeout(5000) })
      if (res.status === 200) return await res.json()
      await res.text()
    } catch {
      // try the next
    }
  }
  return undefined
}

const idOf = (w: Worker) => w.restUrl.replace(/^https?:\/\//, '')

export function failoverWorkloads({ runDir, cleanup, failure }: WorkloadHelpers): Workload[] {
  async function run(ctx: BenchContext, runner: Runner, round: number): Promise<RunResult> {
    const engine: Engine = runner === 'apache' ? 'apache' : 'ferry'
    const dir = await runDir(ctx, 'sink-failover', runner, round)
    const group = `bench-failover-${runner}-${randomUUID().slice(0, 8)}`
    const topic = `${group}-in`
    const output = join(dir, 'sink.txt')
    const kills = ctx.quick ? FAILOVER_KILLS.quick : FAILOVER_KILLS.full
    const quietMs = ctx.quick ? FAILOVER_QUIET_MS.quick : FAILOVER_QUIET_MS.full
    const waitMs = ctx.runTimeoutMs
    const worker = {
      ...scaleWorkerConfig(ctx.bootstrap, group),
      ...(runner === 'ferry-dynamic' ? { 'sink.task.static.membership': 'false' } : {}),
    }
    const ports = await Promise.all(Array.from({ length: FAILOVER_WORKERS }, () => freePort()))
    const workers: Worker[] = []
    const ledgers = new PartitionLedgers(FAILOVER_PARTITIONS)
    let producer: SteadyProducer | undefined
    let tail: FileTail | undefined
    const start = (slot: number) =>
      startWorker({
        engine,
        mode: 'distributed',
        label: `-${slot + 1}`,
        port: ports[slot],
        dir,
        apache: ctx.apache,
        worker,
        connectors: [],
      })
    const live = () => workers.filter((w) => w.running())
    const healthy = (ws: Worker[]) =>
      waitUntil('the workers to answer GET /health 200', waitMs, ws, async () =>
        (await Promise.all(ws.map((w) => restAnswers(w.restUrl)))).every((s) => s === 200) ? true : undefined,
      )
    /** Every task RUNNING on a live worker (and, with `balanced`, each live worker within one task of the others). */
    const tasksRunning = (what: string, balanced: boolean) =>
      waitUntil(what, waitMs, live(), async () => {
        const ids = live().map(idOf)
        const per = runningTasks(await connectorStatus(live()))
        const counts = ids.map((id) => per.get(id) ?? 0)
        const all = counts.reduce((a, b) => a + b, 0) === FAILOVER_PARTITIONS
        return all && (!balanced || Math.max(...counts) - Math.min(...counts) <= 1) ? per : undefined
      })
    /** Every record written so far delivered. */
    const caughtUp = (what: string) => {
      const written = [...producer!.sent]
      return waitUntil(what, waitMs, live(), () => (ledgers.caughtUp(written) ? true : undefined))
    }
    try {
      await ctx.admin.createTopic(topic, FAILOVER_PARTITIONS, 1)
      // The first worker alone first, so that it leads, as in the scale group.
      workers.push(await start(0))
      await healthy(workers)
      for (let slot = 1; slot < FAILOVER_WORKERS; slot++) workers.push(await start(slot))
      await healthy(workers)
      await createConnector(
        workers[0]!.restUrl,
        CONNECTOR,
        {
          'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
          'tasks.max': String(FAILOVER_PARTITIONS),
          topics: topic,
          file: output,
        },
        120_000,
      )
      tail = new FileTail(output, (line, time) => ledgers.delivered(line, time))
      producer = new SteadyProducer(ctx.bootstrap, topic, FAILOVER_PARTITIONS, ledgers)
      await tasksRunning('every sink task RUNNING', true)
      await sleep(1000)
      await caughtUp('every partition delivering')
      // The quiet spell, then one window per kill from it to the next kill (the last to the end).
      const windows: Window[] = []
      const steadyFrom = Date.now()
      await sleep(quietMs)
      const moveSeconds: number[] = []
      for (let k = 1; k <= kills; k++) {
        const per = runningTasks(await connectorStatus(live()))
        const victim = [...workers].sort((a, b) => (per.get(idOf(b)) ?? 0) - (per.get(idOf(a)) ?? 0))[0]!
        const slot = workers.indexOf(victim)
        const killAt = Date.now()
        windows.push({
          name: k === 1 ? 'quiet' : `kill ${k - 1}`,
          start: windows.at(-1)?.end ?? steadyFrom,
          end: killAt,
        })
        await victim.kill()
        ctx.log(`  failover, ${runner}: kill ${k}/${kills} of ${victim.restUrl} (${per.get(idOf(victim)) ?? 0} tasks)`)
        await tasksRunning(`every sink task RUNNING on the workers left after kill ${k}`, false)
        moveSeconds.push((Date.now() - killAt) / 1000)
        workers[slot] = await start(slot)
        await healthy(live())
        await tasksRunning(`every sink task RUNNING and balanced after the restart ${k}`, true)
        await sleep(1000)
        await caughtUp(`every record delivered after kill ${k}`)
        await sleep(quietMs)
      }
      const stopAt = Date.now()
      windows.push({ name: `kill ${kills}`, start: windows.at(-1)!.end, end: Number.POSITIVE_INFINITY })
      await producer.stop()
      await caughtUp('every record delivered after the producer stopped').catch((e: unknown) => {
        ctx.log(`  failover, ${runner}: ${(e as Error).message}`)
      })
      await tail.stop()
      tail = undefined
      const end = Date.now()
      const s = summarizeLedgers(
        ledgers.ledgers,
        windows.map((w) => ({ ...w, end: Math.min(w.end, end) })),
        end,
        steadyFrom,
      )
      ctx.log(
        `  failover, ${runner}: pauses ${s.windows.map((w) => `${w.name} ${w.pauseSeconds.toFixed(1)} s`).join(', ')}; lost ${s.lost}, duplicated ${s.duplicated}`,
      )
      const [quiet, ...perKill] = s.windows
      return {
        runner,
        round,
        ok: true,
        metrics: {
          longestPauseSeconds: s.longestPauseSeconds,
          ...Object.fromEntries(perKill.map((w, i) => [`kill${i + 1}PauseSeconds`, w.pauseSeconds])),
          quietPauseSeconds: quiet!.pauseSeconds,
          taskMoveSeconds: Math.max(...moveSeconds),
          kills,
          written: s.written,
          lost: s.lost,
          duplicated: s.duplicated,
          unexpectedLines: s.unexpected + ledgers.unparsed,
          producerResends: producer.resends,
          unsentRecords: producer.unsent,
          runSeconds: (stopAt - steadyFrom) / 1000,
        },
      }
    } catch (e) {
      return failure(runner, round, e)
    } finally {
      await producer?.stop().catch(() => {})
      await tail?.stop().catch(() => {})
      await Promise.all(workers.map((w) => w.stop(30_000)))
      await cleanup(ctx, dir)
    }
  }

  return [
    {
      id: 'sink-failover',
      number: FAILOVER_NUMBER,
      title: 'Sink failover: the longest delivery pause under repeated kill -9',
      description: `${FAILOVER_WORKERS} distributed workers (the scale group's worker file), one FileStreamSink connector with \`tasks.max=${FAILOVER_PARTITIONS}\` on a ${FAILOVER_PARTITIONS}-partition topic the bench writes ${FAILOVER_RATE} records/s to; the worker running the most sink tasks (the first started, on a tie) is killed (kill -9) and started again on its REST port once the others run its tasks, ${FAILOVER_KILLS.full} times (${FAILOVER_KILLS.quick} with \`--quick\`). The sink consumers keep the consumer default \`session.timeout.ms\` (45 s). Ferry, dynamic members: \`sink.task.static.membership=false\`.`,
      runners: () => [...FAILOVER_RUNNERS],
      records: () => 0,
      recordBytes: () => 0,
      maxRounds: 1,
      run: (ctx, runner, round) => run(ctx, runner, round),
    },
  ]
}
