/**
 * npm run chaos: three distributed Ferry workers on a three-broker cluster, two pipelines under steady load, and a
 * schedule of faults drawn from a seed; at the end, per pipeline and per fault, how many records were written,
 * lost, duplicated, and the longest pause in delivery. Exits 1 when anything was lost. See docs/reliability.md.
 *
 *   npm run chaos                                    10 minutes of faults, a random seed (printed)
 *   npm run chaos -- --duration 3m --seed 1234       replay seed 1234 for 3 minutes
 *   npm run chaos -- --seed 1234 --docs              also rewrite the results section of docs/reliability.md
 *   npm run chaos -- --guarantee exactly-once        exactly-once sources; any duplicate fails the run
 */

import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs, promisify } from 'node:util'
import { distributedWorkerProps } from '@ferry/testing'
import { KAFKA_VERSION, REPO_ROOT } from '../kafka/harness.ts'
import { type Brokers, createTopic, startBrokers, stopBrokers } from './brokers.ts'
import { type ChaosContext, runFault, type ZombieRecord } from './faults.ts'
import { failed, type Guarantee, type Window } from './ledger.ts'
import { filePipeline, guaranteeWorkerProps, jdbcPipeline, openDb, type Pipeline, randomSuffix } from './pipelines.ts'
import { type ChaosResults, renderMarkdown, renderText } from './report.ts'
import { RestChaos } from './rest.ts'
import { describeSchedule, faultLabel, parseDuration, schedule } from './schedule.ts'
import { http, startHealthy, WorkerSlot } from './workers.ts'

export const RESULTS_DIR = join(REPO_ROOT, 'chaos', 'results')
const DOCS_FILE = join(REPO_ROOT, 'docs', 'reliability.md')
/** The results section of each guarantee in docs/reliability.md, between these markers. */
const DOCS_MARKERS: Record<Guarantee, { begin: string; end: string }> = {
  'at-least-once': {
    begin: '<!-- chaos:results:begin (written by npm run chaos -- --docs) -->',
    end: '<!-- chaos:results:end -->',
  },
  'exactly-once': {
    begin: '<!-- chaos:results-exactly-once:begin (written by npm run chaos -- --guarantee exactly-once --docs) -->',
    end: '<!-- chaos:results-exactly-once:end -->',
  },
}
const DEFAULT_RATE = 50

const USAGE = `Usage: npm run chaos -- [options]

  --duration D   how long faults go on: 10m (default), 90s, 1h; then the pipelines drain
  --seed N       the schedule's seed (default: random; printed, with the command that replays it)
  --rate N       records written per second per pipeline (default ${DEFAULT_RATE})
  --guarantee G  at-least-once (default): the sinks' deliveries are counted, duplicates allowed;
                 exactly-once: workers with exactly.once.source.support=enabled, the file source with
                 exactly.once.support=required, each topic counted by a read_committed reader; a duplicate fails
                 the run as a loss does
  --docs         rewrite the results section of docs/reliability.md
  --keep         keep the scratch directory (worker logs, sink files, broker logs) and the PostgreSQL tables
`

/** The worker keys that shape failover; the rest are @ferry/testing's distributed defaults. */
const SESSION_TIMEOUT_MS = 10_000
const SCHEDULED_DELAY_MS = 10_000
const WORKER_SETTINGS: Record<string, string> = {
  'session.timeout.ms': String(SESSION_TIMEOUT_MS),
  'heartbeat.interval.ms': '3000',
  'rebalance.timeout.ms': '60000',
  'scheduled.rebalance.max.delay.ms': String(SCHEDULED_DELAY_MS),
  'offset.flush.interval.ms': '5000',
  'offset.storage.partitions': '5',
  'consumer.session.timeout.ms': '10000',
  'consumer.heartbeat.interval.ms': '3000',
  'config.providers': 'env',
  'config.providers.env.class': 'org.apache.kafka.common.config.provider.EnvVarConfigProvider',
  'config.providers.env.param.allowlist.pattern': 'CHAOS_WORKER',
}

function fail(message: string): never {
  process.stderr.write(`npm run chaos: ${message}\n`)
  process.exit(2)
}

function options() {
  let parsed: ReturnType<typeof parse>
  function parse() {
    return parseArgs({
      options: {
        duration: { type: 'string', default: '10m' },
        seed: { type: 'string' },
        rate: { type: 'string', default: String(DEFAULT_RATE) },
        guarantee: { type: 'string', default: 'at-least-once' },
        docs: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    })
  }
  try {
    parsed = parse()
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`)
  }
  const v = parsed.values
  if (v.help) {
    process.stdout.write(USAGE)
    process.exit(0)
  }
  let durationMs: number
  try {
    durationMs = parseDuration(v.duration)
  } catch (e) {
    fail((e as Error).message)
  }
  const seed = v.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(v.seed)
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
    fail(`--seed: '${v.seed}' is not an integer from 0 to ${2 ** 32 - 1}`)
  const rate = Number(v.rate)
  if (!Number.isFinite(rate) || rate <= 0 || rate > 5000) fail(`--rate: '${v.rate}' is not a number from 1 to 5000`)
  const guarantee = v.guarantee as Guarantee
  if (guarantee !== 'at-least-once' && guarantee !== 'exactly-once')
    fail(`--guarantee: '${v.guarantee}' is not at-least-once or exactly-once`)
  return { durationMs, duration: v.duration, seed, rate, guarantee, docs: v.docs, keep: v.keep }
}

async function createConnector(slots: WorkerSlot[], c: { name: string; config: Record<string, string> }) {
  const deadline = Date.now() + 120_000
  for (;;) {
    const worker = slots.find((s) => s.available())
    const reply = worker ? await http(`${worker.url}/connectors`, 'POST', { name: c.name, config: c.config }) : null
    if (reply?.status === 201 || (reply?.status === 409 && /already exists/.test(JSON.stringify(reply.body)))) return
    if (Date.now() > deadline) throw new Error(`could not create ${c.name}: ${JSON.stringify(reply)}`)
    await sleep(1000)
  }
}

/** Each connector of the pipelines with its state and its tasks' (`RUNNING`, `FAILED: trace`...). */
async function finalStates(slots: WorkerSlot[], names: string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  const worker = slots.find((s) => s.available())
  for (const name of names) {
    const reply = worker ? await http(`${worker.url}/connectors/${name}/status`) : { status: 0, body: 'no worker' }
    if (reply.status !== 200) {
      out[name] = [`status ${reply.status}: ${JSON.stringify(reply.body).slice(0, 200)}`]
      continue
    }
    const body = reply.body as {
      connector: { state: string; trace?: string }
      tasks: Array<{ id: number; state: string; trace?: string; worker_id: string }>
    }
    const state = (s: { state: string; trace?: string }) =>
      s.state === 'FAILED' ? `FAILED: ${(s.trace ?? '').split('\n')[0]}` : s.state
    out[name] = [`connector ${state(body.connector)}`, ...body.tasks.map((t) => `task ${t.id} ${state(t)}`)]
  }
  return out
}

/** Waits until every pipeline delivered every record, or nothing moved for 3 minutes (10 minutes at most). */
async function drain(pipelines: Pipeline[], event: (t: string) => void): Promise<void> {
  const deadline = Date.now() + 10 * 60_000
  let last = -1
  let lastMove = Date.now()
  for (;;) {
    const counts = await Promise.all(pipelines.map((p) => p.deliveredDistinct()))
    const missing = pipelines.reduce((n, p, i) => n + p.ledger.written - (counts[i] ?? 0), 0)
    if (missing === 0) return event('every record delivered')
    const total = counts.reduce((a, b) => a + b, 0)
    if (total !== last) {
      last = total
      lastMove = Date.now()
    }
    if (Date.now() - lastMove > 180_000 || Date.now() > deadline)
      return event(`drain gave up with ${missing} records missing`)
    await sleep(2000)
  }
}

async function main(): Promise<number> {
  const opts = options()
  const command = `npm run chaos -- --duration ${opts.duration} --seed ${opts.seed}${opts.rate !== DEFAULT_RATE ? ` --rate ${opts.rate}` : ''}${opts.guarantee === 'exactly-once' ? ' --guarantee exactly-once' : ''}`
  const phases = schedule({ seed: opts.seed, durationMs: opts.durationMs })
  process.stdout.write(`chaos seed ${opts.seed} (replay: ${command})\nschedule:\n${describeSchedule(phases)}\n`)

  const startedAt = new Date()
  const loadBefore = loadavg()
  const events: Array<{ time: number; text: string }> = []
  const event = (text: string) => {
    events.push({ time: Date.now(), text })
    process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`)
  }
  try {
    await (await openDb()).close()
  } catch (e) {
    fail(`PostgreSQL is not reachable (${(e as Error).message.split('\n')[0]}); set FERRY_TEST_POSTGRES_URL`)
  }

  const root = await mkdtemp(join(tmpdir(), 'ferry-chaos-'))
  const suffix = randomSuffix()
  const group = `chaos-${suffix}`
  let brokers: Brokers | undefined
  let slots: WorkerSlot[] = []
  const pipelines: Pipeline[] = []
  let keep = opts.keep
  const failures: string[] = []
  const problem = (text: string) => {
    failures.push(text)
    event(`PROBLEM: ${text}`)
  }
  const cleanUp = async () => {
    await Promise.all(slots.map((s) => s.stop(20_000)))
    for (const p of pipelines) await p.close(keep).catch(() => {})
    if (brokers) await stopBrokers(brokers)
    if (keep) process.stdout.write(`kept ${root}\n`)
    else await rm(root, { recursive: true, force: true })
  }
  // Ctrl-C stops the workers and brokers and drops the tables; a second one exits at once (the exit hooks still kill
  // the processes).
  let interrupted = false
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) process.exit(130)
      interrupted = true
      process.stdout.write(`${signal}: cleaning up (again to exit at once)\n`)
      void cleanUp().finally(() => process.exit(130))
    })
  }
  try {
    event(`scratch directory ${root}; starting three brokers`)
    brokers = await startBrokers(join(root, 'kafka-logs'))
    event(`brokers up: ${brokers.cluster.bootstrapServers}`)
    const props = {
      ...distributedWorkerProps(brokers.cluster.bootstrapServers, group, {}, 3),
      ...WORKER_SETTINGS,
      ...guaranteeWorkerProps(opts.guarantee),
    }
    slots = await Promise.all([0, 1, 2, 3].map((i) => WorkerSlot.create(i, root, props)))
    const bootstrap = brokers.cluster.bootstrapServers
    const guarantee = opts.guarantee
    const file = await filePipeline({ inputFile: join(root, 'file-source.txt'), slots, suffix, guarantee, bootstrap })
    const jdbc = await jdbcPipeline({ suffix, guarantee, bootstrap })
    pipelines.push(file, jdbc)
    for (const p of pipelines) await createTopic(brokers, p.topic, 3)
    for (const p of pipelines) await p.startReading()

    await Promise.all(slots.slice(0, 3).map((s) => startHealthy(s, problem)))
    event('three workers healthy')
    for (const p of pipelines) {
      await createConnector(slots, p.source)
      await createConnector(slots, p.sink)
    }
    for (const p of pipelines) p.startWriting(opts.rate)
    const warm = Date.now() + 180_000
    while ((await Promise.all(pipelines.map((p) => p.deliveredDistinct()))).some((n) => n === 0)) {
      if (Date.now() > warm) throw new Error('the pipelines delivered nothing within 3 minutes of their start')
      await sleep(1000)
    }
    event('both pipelines delivering')

    const rest = new RestChaos({
      seed: opts.seed,
      workers: () => slots.filter((s) => s.available()),
      mainConnectors: pipelines.flatMap((p) => [p.source.name, p.sink.name]),
      dir: root,
      suffix,
    })
    await rest.start()
    const zombies: ZombieRecord[] = []
    const ctx: ChaosContext = {
      slots,
      brokers,
      group,
      file,
      jdbc,
      rest,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      scheduledDelayMs: SCHEDULED_DELAY_MS,
      syncTopics: [
        ...pipelines.map((p) => p.topic),
        props['config.storage.topic'] as string,
        props['offset.storage.topic'] as string,
        props['status.storage.topic'] as string,
      ],
      zombies,
      event,
      problem,
    }
    const windows: Array<Window & { faults: string[] }> = []
    const faultsStart = Date.now()
    for (const [i, phase] of phases.entries()) {
      if (i > 1 && Date.now() - faultsStart > opts.durationMs) {
        event(`duration reached: ${phases.length - i} phases left out`)
        break
      }
      event(`phase ${i + 1}/${phases.length}: ${phase.name}`)
      const start = Date.now()
      await Promise.all(
        phase.faults.map(async ({ offsetMs, fault }) => {
          await sleep(offsetMs)
          try {
            await runFault(ctx, fault)
          } catch (e) {
            failures.push(`fault ${faultLabel(fault)} could not be carried out: ${(e as Error).message}`)
            event(`fault ${fault.kind} failed: ${(e as Error).message}`)
          }
        }),
      )
      await sleep(phase.settleMs)
      windows.push({ name: phase.name, start, end: Date.now(), faults: phase.faults.map((f) => faultLabel(f.fault)) })
    }
    await rest.stop()
    for (const p of pipelines) await p.stopWriting()
    event(`writers stopped: ${pipelines.map((p) => `${p.name} ${p.ledger.written}`).join(', ')}; draining`)
    await drain(pipelines, event)
    const end = Date.now()
    for (const p of pipelines) await p.collect()

    for (const z of zombies) {
      const stoppedAt = z.stoppedWorkAt ?? z.resumedAt + 60_000
      z.jdbcSinkRows = (
        await jdbc.rows(
          'WHERE sink_worker = $1 AND delivered_at > to_timestamp($2) AND delivered_at < to_timestamp($3)',
          [z.worker, z.resumedAt / 1000, stoppedAt / 1000],
        )
      ).length
      if (z.ownerOf === 'jdbc')
        z.jdbcSourceRecords = (
          await jdbc.rows('WHERE src_worker = $1 AND seq > $2 AND seq <= $3', [
            z.worker,
            z.writtenAtFreeze,
            z.writtenAtStop,
          ])
        ).length
    }
    const summaries = pipelines.map((p) => p.ledger.summary(windows, end, faultsStart))
    for (const s of summaries) {
      if (failed(s))
        failures.push(
          `${s.pipeline}: ${s.lost} lost${s.unexpected ? `, ${s.unexpected} unexpected` : ''}${s.guarantee === 'exactly-once' && s.duplicated ? `, ${s.duplicated} duplicated` : ''}`,
        )
    }
    const states = await finalStates(
      slots,
      pipelines.flatMap((p) => [p.source.name, p.sink.name]),
    )
    for (const [name, lines] of Object.entries(states))
      for (const line of lines) if (!/ RUNNING$/.test(line)) failures.push(`${name}: ${line} at the end`)
    if (failures.some((f) => /lost|unexpected/.test(f))) keep = true

    const results: ChaosResults = {
      schema: 1,
      command,
      seed: opts.seed,
      durationMs: opts.durationMs,
      rate: opts.rate,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        cores: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadavg(),
      },
      versions: { node: process.version, kafka: KAFKA_VERSION, ferry: await ferryVersion() },
      workerSettings: { ...WORKER_SETTINGS, ...guaranteeWorkerProps(opts.guarantee) },
      phases: windows.map((w) => ({ name: w.name, start: w.start, end: w.end, faults: w.faults })),
      pipelines: summaries,
      zombies,
      rest: rest.stats,
      events,
      finalStates: states,
      harnessPeakRssMb: process.resourceUsage().maxRSS / 1024,
      failures,
    }
    await mkdir(RESULTS_DIR, { recursive: true })
    const resultsFile = join(RESULTS_DIR, `${results.startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}.json`)
    await writeFile(`${resultsFile}.tmp`, `${JSON.stringify(results, null, 2)}\n`)
    await rename(`${resultsFile}.tmp`, resultsFile)
    await biomeFormat(resultsFile)
    process.stdout.write(`\n${renderText(results)}\nresults: ${relative(process.cwd(), resultsFile)}\n`)
    if (opts.docs) {
      await writeDocs(DOCS_MARKERS[opts.guarantee], renderMarkdown(results, relative(REPO_ROOT, resultsFile)))
      process.stdout.write(`rewrote ${relative(process.cwd(), DOCS_FILE)}\n`)
    }
    // 1: records lost (or duplicated where that is not allowed); 3: the run had other problems (a fault that could
    // not be carried out, a connector not RUNNING at the end).
    return summaries.some(failed) ? 1 : failures.length ? 3 : 0
  } catch (e) {
    keep = true
    throw e
  } finally {
    if (!interrupted) await cleanUp()
  }
}

/** Formats the results file as `npm run lint` wants it (as the bench does). */
async function biomeFormat(file: string): Promise<void> {
  const biome = join(REPO_ROOT, 'node_modules', '.bin', 'biome')
  if (existsSync(biome)) await promisify(execFile)(biome, ['format', '--write', file]).catch(() => {})
}

async function ferryVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
  return pkg.version
}

async function writeDocs(markers: { begin: string; end: string }, section: string): Promise<void> {
  const text = await readFile(DOCS_FILE, 'utf8')
  const a = text.indexOf(markers.begin)
  const b = text.indexOf(markers.end)
  if (a < 0 || b < a) throw new Error(`${DOCS_FILE} has no ${markers.begin} ... ${markers.end} section`)
  await writeFile(DOCS_FILE, `${text.slice(0, a + markers.begin.length)}\n${section}\n${text.slice(b)}`)
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`npm run chaos: ${(e as Error).stack ?? String(e)}\n`)
    process.exit(1)
  },
)
