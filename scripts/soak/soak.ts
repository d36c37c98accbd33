/**
 * npm run soak: steady load on Ferry for hours, watching for memory growth and a slowing event loop.
 *
 *   npm run soak -- --hours 8
 *   npm run soak -- --minutes 15 --rate 500
 *
 * One standalone worker and a cluster of two distributed workers each run two pipelines: a file source → topic →
 * file sink of 100-byte lines, and a file source of JSON envelopes → topic → JsonConverter + three transforms → file
 * sink. The soak appends to the source files at a steady rate, samples each worker's RSS (/proc) and, through a
 * probe preloaded into the worker (lag-probe.js), its event-loop delay, and at the end compares the first settled
 * window with the last (analysis.ts). Exit code 0 when no worker's RSS grew 5 % or more, its event-loop p99 did not
 * grow 5 % and by 5 ms or more, and every line written came out of its sink; 1 otherwise; 2 for bad arguments.
 */
import { randomUUID } from 'node:crypto'
import { appendFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os'
import { join, relative } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { createTopic, JSON_TRANSFORMS, jsonRecord, LineCounter, line } from '../bench/data.ts'
import { scaleWorkerConfig } from '../bench/scale.ts'
import { startWorker, type Worker } from '../bench/workers.ts'
import { REPO_ROOT, startKafka } from '../kafka/harness.ts'
import { type Growth, growth, parseProbe, type Sample, type Series, soakWindows, verdict } from './analysis.ts'
import { SOAK_RESULTS_DIR, type SoakResults, type SoakWorkerResult } from './results.ts'

const USAGE = `Usage: npm run soak -- (--hours N | --minutes N) [options]

  --hours N / --minutes N   how long the load runs (one of them; decimals allowed)
  --rate N                  records per second into each of the 4 pipelines (default 200)
  --sample-seconds N        how often RSS and the event-loop delay are sampled (default 5; 30 for runs over 2 h)
  --bootstrap-server H:P    use this broker instead of starting one
  --docs / --no-docs        put the results in docs/benchmarks.md (default: yes for runs of 15 minutes or more)
  --keep                    keep the scratch directory (configs, logs, input and output files)
`

const STRING = 'org.apache.kafka.connect.storage.StringConverter'
const JSON_CONVERTER = 'org.apache.kafka.connect.json.JsonConverter'
const PROBE = pathToFileURL(join(import.meta.dirname, 'lag-probe.js')).href

class UsageError extends Error {}

interface Pipeline {
  name: string
  input: string
  output: string
  make: (i: number) => string
  written: number
  counter: LineCounter
}

function pipelines(
  dir: string,
  mode: string,
  id: string,
  bootstrapTopics: string[],
): {
  list: Pipeline[]
  connectors: Array<Record<string, string>>
} {
  const text = `soak-${mode}-text-${id}`
  const json = `soak-${mode}-json-${id}`
  bootstrapTopics.push(text, json)
  const p = (name: string, make: (i: number) => string): Pipeline => ({
    name: `${mode} ${name}`,
    input: join(dir, `${mode}-${name}-in.txt`),
    output: join(dir, `${mode}-${name}-out.txt`),
    make,
    written: 0,
    counter: new LineCounter(join(dir, `${mode}-${name}-out.txt`)),
  })
  const list = [p('text', line), p('json', jsonRecord)]
  const [t, j] = list as [Pipeline, Pipeline]
  return {
    list,
    connectors: [
      {
        name: `${mode}-text-source`,
        'connector.class': 'FileStreamSource',
        'tasks.max': '1',
        file: t.input,
        topic: text,
      },
      {
        name: `${mode}-text-sink`,
        'connector.class': 'FileStreamSink',
        'tasks.max': '1',
        file: t.output,
        topics: text,
      },
      {
        name: `${mode}-json-source`,
        'connector.class': 'FileStreamSource',
        'tasks.max': '1',
        file: j.input,
        topic: json,
      },
      {
        name: `${mode}-json-sink`,
        'connector.class': 'FileStreamSink',
        'tasks.max': '1',
        file: j.output,
        topics: json,
        'value.converter': JSON_CONVERTER,
        'value.converter.schemas.enable': 'true',
        ...JSON_TRANSFORMS,
      },
    ],
  }
}

async function createConnectors(w: Worker, connectors: Array<Record<string, string>>): Promise<void> {
  for (const config of connectors) {
    const { name, ...rest } = config
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${w.restUrl}/connectors`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, config: rest }),
        signal: AbortSignal.timeout(60_000),
      })
      const body = await res.text()
      if (res.status === 201) break
      if (res.status !== 409 || attempt > 100) throw new Error(`creating ${name}: ${res.status} ${body.slice(0, 300)}`)
      await sleep(300)
    }
  }
}

async function waitHealthy(ws: Worker[], timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const statuses = await Promise.all(
      ws.map((w) =>
        fetch(`${w.restUrl}/health`, { signal: AbortSignal.timeout(2000) }).then(
          async (r) => {
            await r.text()
            return r.status
          },
          () => 0,
        ),
      ),
    )
    if (statuses.every((s) => s === 200)) return
    const dead = ws.find((w) => !w.running())
    if (dead) throw new Error(`worker ${dead.restUrl} exited; last log lines:\n${dead.logTail(30)}`)
    if (Date.now() > deadline)
      throw new Error(`the workers did not answer GET /health 200 within ${timeoutMs / 1000} s`)
    await sleep(200)
  }
}

async function ferryVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'packages', 'cli', 'package.json'), 'utf8')) as {
    version: string
  }
  try {
    const { execFileSync } = await import('node:child_process')
    const commit = execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
    return `${pkg.version} (${commit})`
  } catch {
    return pkg.version
  }
}

const OPTIONS = {
  hours: { type: 'string' },
  minutes: { type: 'string' },
  rate: { type: 'string' },
  'sample-seconds': { type: 'string' },
  'bootstrap-server': { type: 'string' },
  docs: { type: 'boolean' },
  'no-docs': { type: 'boolean', default: false },
  keep: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const

function parseArgsOrThrow(argv: string[]) {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; strict: true }>>['values']
  try {
    values = parseArgs({ args: argv, options: OPTIONS, strict: true }).values
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
  const positive = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined
    const n = Number(v)
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got ${v}`)
    return n
  }
  const hours = positive('hours', values.hours)
  const minutes = positive('minutes', values.minutes)
  if (values.help) return { help: true as const }
  if (hours !== undefined && minutes !== undefined) throw new UsageError('give --hours or --minutes, not both')
  if (hours === undefined && minutes === undefined)
    throw new UsageError('give how long to run: --hours N or --minutes N')
  const durationMs = Math.round((hours ?? 0) * 3_600_000 + (minutes ?? 0) * 60_000)
  const rate = positive('rate', values.rate) ?? 200
  const sampleSeconds = positive('sample-seconds', values['sample-seconds']) ?? (durationMs > 2 * 3_600_000 ? 30 : 5)
  return {
    help: false as const,
    durationMs,
    rate,
    sampleMs: sampleSeconds * 1000,
    bootstrap: values['bootstrap-server'],
    docs: values['no-docs'] ? false : (values.docs ?? durationMs >= 15 * 60_000),
    keep: values.keep,
  }
}

async function runSoak(options: Exclude<ReturnType<typeof parseArgsOrThrow>, { help: true }>): Promise<SoakResults> {
  const log = (l: string) => process.stderr.write(`${l}\n`)
  const startedAt = new Date()
  const loadBefore = loadavg()
  const id = randomUUID().slice(0, 8)
  const dir = await mkdtemp(join(tmpdir(), 'ferry-soak-'))
  const notes: string[] = []
  let cluster: Awaited<ReturnType<typeof startKafka>> | undefined
  const workers: Array<{ name: string; mode: 'standalone' | 'distributed'; w: Worker; probe: string; rss: Sample[] }> =
    []
  try {
    if (!options.bootstrap) {
      log('Starting a Kafka broker...')
      cluster = await startKafka()
    }
    const bootstrap = options.bootstrap ?? cluster!.bootstrapServers
    const topics: string[] = []
    const standalone = pipelines(dir, 'standalone', id, topics)
    const distributed = pipelines(dir, 'distributed', id, topics)
    for (const t of topics) await createTopic(bootstrap, t)
    for (const p of [...standalone.list, ...distributed.list]) await writeFile(p.input, '')
    const probeEnv = (name: string) => ({
      FERRY_SOAK_PROBE_FILE: join(dir, `${name}.probe.jsonl`),
      FERRY_SOAK_PROBE_MS: String(options.sampleMs),
    })
    /**
     * Starts a worker and waits for GET /health 200. A worker that exits during start-up is started once more and
     * the soak notes it (a start-up failure is not what the soak measures, but it is reported).
     */
    const start = async (
      name: string,
      mode: 'standalone' | 'distributed',
      worker: Record<string, string>,
      connectors: Array<Record<string, string>>,
    ) => {
      const env = probeEnv(name)
      for (let attempt = 1; ; attempt++) {
        const w = await startWorker({
          engine: 'ferry',
          mode,
          label: `-${name}${attempt > 1 ? `-${attempt}` : ''}`,
          dir,
          worker,
          connectors,
          nodeOptions: ['--import', PROBE],
          env,
        })
        try {
          await waitHealthy([w])
          workers.push({ name, mode, w, probe: env.FERRY_SOAK_PROBE_FILE, rss: [] })
          return w
        } catch (e) {
          await w.stop()
          const why =
            (e as Error).message.split('\n').find((l) => l.startsWith('ferry:')) ?? (e as Error).message.split('\n')[0]
          if (attempt >= 2) throw e
          notes.push(`${name} exited during start-up (${why}) and was started again`)
          log(`${name} exited during start-up (${why}); starting it again`)
        }
      }
    }
    log('Starting a standalone worker and a cluster of two distributed workers...')
    const base = {
      'bootstrap.servers': bootstrap,
      'key.converter': STRING,
      'value.converter': STRING,
      'offset.flush.interval.ms': '10000',
    }
    await start('standalone', 'standalone', base, standalone.connectors)
    const group = `soak-${id}`
    const dconfig = { ...scaleWorkerConfig(bootstrap, group), 'offset.flush.interval.ms': '10000' }
    const d1 = await start('distributed-1', 'distributed', dconfig, [])
    await start('distributed-2', 'distributed', dconfig, [])
    await createConnectors(d1, distributed.connectors)

    const all = [...standalone.list, ...distributed.list]
    const perTick = options.rate / 10
    let owed = 0
    let ticks = 0
    const t0 = performance.now()
    const elapsed = () => performance.now() - t0
    log(
      `Load: ${options.rate} records/s into each of ${all.length} pipelines for ${(options.durationMs / 60_000).toFixed(1)} min; samples every ${options.sampleMs / 1000} s; scratch ${dir}`,
    )
    // The load: every 100 ms, what is due since the start, so a late tick catches up.
    const load = (async () => {
      while (elapsed() < options.durationMs) {
        ticks++
        owed = Math.floor(ticks * perTick) - all[0]!.written
        if (owed > 0)
          await Promise.all(
            all.map(async (p) => {
              let chunk = ''
              for (let i = 0; i < owed; i++) chunk += `${p.make(p.written + i)}\n`
              await appendFile(p.input, chunk)
              p.written += owed
            }),
          )
        const next = ticks * 100 - elapsed()
        if (next > 0) await sleep(next)
      }
    })()
    const sampler = (async () => {
      let lastReport = 0
      while (elapsed() < options.durationMs) {
        const t = elapsed()
        for (const x of workers) {
          if (!x.w.running()) throw new Error(`${x.name} worker exited; last log lines:\n${x.w.logTail(15)}`)
          x.rss.push({ t, value: x.w.memory()?.rssMb ?? Number.NaN })
        }
        if (t - lastReport >= 60_000) {
          lastReport = t
          const delivered = await Promise.all(all.map((p) => p.counter.count()))
          log(
            `${(t / 60_000).toFixed(1)} min: RSS ${workers.map((x) => `${x.name} ${(x.rss.at(-1)?.value ?? 0).toFixed(0)}`).join(', ')} MiB; behind ${all.map((p, i) => p.written - delivered[i]!).join('/')} records`,
          )
        }
        await sleep(Math.max(0, options.sampleMs - (elapsed() - t)))
      }
      // One more sample at the very end, so the last window reaches it.
      for (const x of workers) x.rss.push({ t: elapsed(), value: x.w.memory()?.rssMb ?? Number.NaN })
    })()
    await Promise.all([load, sampler])
    const durationMs = elapsed()

    log('Load stopped; waiting for the sinks to write every line...')
    const drainDeadline = Date.now() + 120_000
    let delivered = await Promise.all(all.map((p) => p.counter.count()))
    while (all.some((p, i) => delivered[i]! < p.written) && Date.now() < drainDeadline) {
      await sleep(500)
      delivered = await Promise.all(all.map((p) => p.counter.count()))
    }
    const cpu = workers.map((x) => x.w.cpuSeconds() ?? Number.NaN)
    const peak = workers.map((x) => x.w.memory()?.peakRssMb ?? Number.NaN)
    await Promise.all(workers.map((x) => x.w.stop(30_000)))

    const results: SoakWorkerResult[] = []
    const series: Series[] = []
    for (const [i, x] of workers.entries()) {
      const probe = parseProbe(await readFile(x.probe, 'utf8').catch(() => ''))
      // The probe's clock is the epoch: put its samples on the load's clock.
      const epochAtT0 = Date.now() - (performance.now() - t0)
      const at = (t: number) => t - epochAtT0
      const lag = probe.map((p) => ({ t: at(p.t), value: p.lagP99Ms }))
      const heap = probe.map((p) => ({ t: at(p.t), value: p.heapUsedMb }))
      const of = (key: 'heapTotalMb' | 'newSpaceMb' | 'oldSpaceMb' | 'externalMb') =>
        growth(
          probe.map((p) => ({ t: at(p.t), value: p[key] })),
          durationMs,
        )
      const r: SoakWorkerResult = {
        name: x.name,
        mode: x.mode,
        samples: x.rss.length,
        rss: growth(x.rss, durationMs),
        lagP99: growth(lag, durationMs),
        heapUsed: growth(heap, durationMs),
        memory: {
          heapTotal: of('heapTotalMb'),
          newSpace: of('newSpaceMb'),
          oldSpace: of('oldSpaceMb'),
          external: of('externalMb'),
        },
        peakRssMb: peak[i]!,
        cpuSeconds: cpu[i]!,
      }
      results.push(r)
      series.push(
        { name: `${x.name} RSS`, kind: 'memory', growth: r.rss },
        { name: `${x.name} event-loop delay p99`, kind: 'lag', growth: r.lagP99 },
      )
    }
    const judged = verdict(series)
    const pipes = all.map((p, i) => ({ name: p.name, written: p.written, delivered: delivered[i]! }))
    for (const p of pipes)
      if (p.delivered !== p.written)
        judged.failures.push(`${p.name}: ${p.written} lines written, ${p.delivered} came out of the sink`)
    const { windowMs, settledFromMs } = soakWindows(durationMs)
    return {
      kind: 'soak',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      durationMinutes: durationMs / 60_000,
      ratePerPipeline: options.rate,
      sampleSeconds: options.sampleMs / 1000,
      windows: { windowSeconds: windowMs / 1000, settledFromSeconds: settledFromMs / 1000 },
      limitPercent: 5,
      machine: {
        cores: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        os: `${type()} ${release()}`,
        loadAverageBefore: loadBefore.map((x) => Math.round(x * 100) / 100),
        loadAverageAfter: loadavg().map((x) => Math.round(x * 100) / 100),
      },
      versions: { node: process.version, ferry: await ferryVersion() },
      workers: results,
      pipelines: pipes,
      ok: judged.failures.length === 0,
      failures: judged.failures,
      notes,
    }
  } finally {
    await Promise.all(workers.map((x) => x.w.stop(30_000)))
    await cluster?.stop()
    if (!options.keep) await rm(dir, { recursive: true, force: true })
  }
}

function describe(r: SoakResults): string {
  const pct = (g: Growth | undefined) => (g ? `${(g.growth * 100).toFixed(1)} %` : '-')
  const mib = (g: Growth | undefined) => (g ? `${g.first.median.toFixed(1)} → ${g.last.median.toFixed(1)}` : '-')
  const lines = r.workers.flatMap((w) => [
    `  ${w.name.padEnd(14)} RSS ${w.rss ? `${mib(w.rss)} MiB` : '-'} (${pct(w.rss)}), event-loop p99 ${w.lagP99 ? `${w.lagP99.first.median.toFixed(2)} → ${w.lagP99.last.median.toFixed(2)} ms` : '-'} (${pct(w.lagP99)}), heap ${pct(w.heapUsed)}`,
    ...(w.memory
      ? [
          `  ${''.padEnd(14)} heap committed ${mib(w.memory.heapTotal)} MiB (young ${mib(w.memory.newSpace)}, old ${mib(w.memory.oldSpace)}), Buffers ${mib(w.memory.external)} MiB`,
        ]
      : []),
  ])
  const pipes = r.pipelines.map((p) => `  ${p.name.padEnd(18)} ${p.written} written, ${p.delivered} delivered`)
  return [...lines, ...pipes, r.ok ? 'PASS' : `FAIL:\n  ${r.failures.join('\n  ')}`].join('\n')
}

async function main(argv: string[]): Promise<number> {
  const options = parseArgsOrThrow(argv)
  if (options.help) {
    process.stdout.write(USAGE)
    return 0
  }
  process.once('SIGINT', () => process.exit(130))
  process.once('SIGTERM', () => process.exit(143))
  const results = await runSoak(options)
  await mkdir(SOAK_RESULTS_DIR, { recursive: true })
  const json = join(SOAK_RESULTS_DIR, `soak-${results.startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}.json`)
  await writeFile(`${json}.tmp`, `${JSON.stringify(results, null, 2)}\n`)
  await rename(`${json}.tmp`, json)
  process.stderr.write(`${describe(results)}\nResults: ${relative(process.cwd(), json)}\n`)
  if (options.docs) {
    const { rewriteDocs } = await import('../bench/run.ts')
    await rewriteDocs()
    process.stderr.write('Docs:    docs/benchmarks.md\n')
  }
  return results.ok ? 0 : 1
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`soak: ${e instanceof Error ? e.message : String(e)}\n`)
      process.exit(e instanceof UsageError ? 2 : 1)
    },
  )
}
