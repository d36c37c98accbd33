/**
 * Runs the workloads against Apache Kafka Connect and Ferry on one broker, alternating the two over the rounds,
 * and returns everything measured (see results.ts for the shape). run.ts is the command line around it.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { KAFKA_VERSION, REPO_ROOT, type SecuredKafkaCluster, startKafka } from '../kafka/harness.ts'
import { CONNECT_JVM_OPTIONS, ensureApacheConnect, javaVersion, PERF_TOOL_JVM_OPTIONS } from './apache.ts'
import { prepareAvro } from './avro.ts'
import { CDC_PRESETS, prepareCdc } from './cdc.ts'
import { admin, createTopic, jsonRecord, LINE_BYTES, line, produce, writeLinesFile } from './data.ts'
import { prepareJdbc } from './jdbc.ts'
import { summarizeProfileDir } from './profile.ts'
import {
  type BenchResults,
  isAvro,
  isCdc,
  isEos,
  isSecured,
  type ProfileResult,
  SINK_GROUPS,
  type SinkGroup,
  sinkGroupOf,
  type WorkloadResult,
} from './results.ts'
import { describeCheck, prepareSecured, SECURED_LISTENER, type SecuredBrokerInfo } from './secured.ts'
import { prepareSinkGroup } from './sinks.ts'
import { ratio, type Summary, summarize } from './stats.ts'
import { ENGINES, type Engine, FERRY_BIN } from './workers.ts'
import {
  type BenchContext,
  engineOf,
  type Runner,
  type RunResult,
  scaleGroup,
  WORKLOADS,
  type Workload,
  type WorkloadId,
} from './workloads.ts'

export interface BenchOptions {
  quick: boolean
  rounds: number
  engines: Engine[]
  workloads: WorkloadId[]
  /** Use this broker instead of starting one (workloads 1–7; 8–11 always start their own secured broker). */
  bootstrap?: string | undefined
  /** Profile Ferry on the workloads that ask for it: 1, 2, 8, 9, 15–17 and 20–25 (node --cpu-prof). */
  profile: boolean
  /** Override the record counts (workloads 1, 2, 6, 8, 9, 22–25; and 3, 10 and 11 when smaller than theirs). */
  records?: number | undefined
  jsonRecords?: number | undefined
  /** Records of workload 7 (default: as workload 3). */
  jdbcRecords?: number | undefined
  /** Rows of the CDC snapshot and changes of the CDC streaming workload (default CDC_PRESETS). */
  cdcRows?: number | undefined
  idleSettleMs?: number | undefined
  /** How long one run may take from its worker's start before it fails (default 600 s, quick 180 s). */
  runTimeoutMs?: number | undefined
  /** The scale group's connector counts (the workloads `scale-<count>` in `workloads`). */
  scaleConnectors?: readonly number[] | undefined
  /** Where to keep the .cpuprofile files. */
  profileDir: string
  keepFiles?: boolean
  log?: (line: string) => void
}

export const FULL = {
  records: 1_000_000,
  jsonRecords: 1_000_000,
  jdbcRecords: 1_000_000,
  idleSettleMs: 20_000,
  pollMs: 100,
  runTimeoutMs: 600_000,
}
export const QUICK = {
  records: 20_000,
  jsonRecords: 10_000,
  jdbcRecords: 20_000,
  idleSettleMs: 3_000,
  pollMs: 50,
  runTimeoutMs: 180_000,
}

const run = promisify(execFile)

/** Whether `ferry plugins` lists Apache's InsertField$Value (workload 3 needs it and two more transformations). */
async function ferryJsonSkip(): Promise<string | undefined> {
  const needed = [
    'org.apache.kafka.connect.transforms.InsertField$Value',
    'org.apache.kafka.connect.transforms.ReplaceField$Value',
    'org.apache.kafka.connect.transforms.TimestampRouter',
  ]
  let out: string
  try {
    out = (await run(process.execPath, [FERRY_BIN, 'plugins'])).stdout
  } catch (e) {
    return `\`ferry plugins\` failed: ${(e as Error).message.split('\n')[0]}`
  }
  const missing = needed.filter((c) => !out.split('\n').some((l) => l.trim().split(/\s+/).includes(c)))
  return missing.length === 0
    ? undefined
    : `\`ferry plugins\` does not list ${missing.join(', ')} yet (the transforms package is not in Ferry's plugin registry)`
}

async function ferryVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'packages', 'cli', 'package.json'), 'utf8')) as {
    version: string
  }
  let commit = ''
  try {
    commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim()
  } catch {
    // not a git checkout
  }
  return commit ? `${pkg.version} (${commit})` : pkg.version
}

function fmt(x: number | undefined, digits = 0): string {
  return x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits)
}

/** One line per run for the console. */
function describe(workload: WorkloadId, r: RunResult): string {
  if (!r.ok) return `failed: ${r.error?.split('\n')[0]}`
  const m = r.metrics
  if (workload.startsWith('scale-'))
    return `create p50 via leader ${fmt(m.createLeaderP50Ms)} ms, via follower ${fmt(m.createFollowerP50Ms)} ms; last create → RUNNING ${fmt(m.runningAfterCreateSeconds, 1)} s; join ${fmt(m.joinSeconds, 1)} s, kill ${fmt(m.killSeconds, 1)} s; needless restarts ${fmt((m.createNeedlessStarts ?? 0) + (m.joinNeedlessRestarts ?? 0) + (m.killNeedlessRestarts ?? 0))}; RSS per task ${fmt(m.rssPerTaskMb, 2)} MiB`
  switch (workload) {
    case 'sink-failover':
      return `longest pause ${fmt(m.longestPauseSeconds, 1)} s (per kill ${Object.keys(m)
        .filter((k) => /^kill\d+PauseSeconds$/.test(k))
        .map((k) => fmt(m[k], 1))
        .join(', ')} s, quiet ${fmt(m.quietPauseSeconds, 1)} s); lost ${fmt(m.lost)}, duplicated ${fmt(m.duplicated)}`
    case 'idle':
      return `idle RSS ${fmt(m.idleRssMb)} MiB, peak ${fmt(m.peakRssMb)} MiB, ${fmt(m.idleCpuPercent, 1)}% CPU idle`
    case 'startup':
      return `/health ${fmt(m.healthSeconds, 2)} s, first record ${fmt(m.firstRecordSeconds, 2)} s, RSS ${fmt(m.rssAtHealthMb)} MiB`
    default:
      return `${fmt(m.msgsPerSec)} msgs/s, ${fmt(m.mbPerSec, 1)} MiB/s, ${fmt(m.cpuSecondsPerMillion, 1)} CPU s/M, peak RSS ${fmt(m.peakRssMb)} MiB${r.compression ? `; output: ${describeCheck(r.compression)}` : ''}`
  }
}

export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`))
  const preset = options.quick ? QUICK : FULL
  const startedAt = new Date()
  const loadBefore = loadavg()
  // The commit the run starts at (others may commit to the tree while it runs).
  const ferry = await ferryVersion()
  const selected = [...WORKLOADS, ...scaleGroup(options.scaleConnectors ?? [])].filter((w) =>
    options.workloads.includes(w.id),
  )
  // The sink groups compare Ferry with direct clients, the metrics cost workloads Ferry with itself: they alone need
  // no Apache jars.
  const needApache =
    options.workloads.includes('ceiling') ||
    (options.engines.includes('apache') && selected.some((w) => !sinkGroupOf(w.id) && !w.id.startsWith('metrics-')))
  /**
   * The runners of a workload this run has: the engines asked for (Ferry without metrics is Ferry), and every runner
   * that is not an engine.
   */
  const runnersOf = (w: Workload, ctx: BenchContext) =>
    w.runners(ctx).filter((r) => {
      const engine = engineOf(r)
      return !ENGINES.includes(engine) || options.engines.includes(engine)
    })
  const notes: string[] = []
  const wants = (id: WorkloadId) => options.workloads.includes(id)

  const apache = needApache ? await ensureApacheConnect() : undefined
  const workDir = await mkdtemp(join(tmpdir(), 'ferry-bench-'))
  try {
    const records = options.records ?? preset.records
    const jsonRecords =
      options.jsonRecords ?? (options.records ? Math.min(options.records, preset.jsonRecords) : preset.jsonRecords)
    const wantsJson = selected.some((w) => w.id === 'json' || w.id.startsWith('json-sasl-'))
    const base = {
      apache,
      workDir,
      quick: options.quick,
      records,
      jsonRecords,
      jsonRecordBytes: Math.round(
        Array.from({ length: 100 }, (_, i) => Buffer.byteLength(jsonRecord(i * 997))).reduce((a, b) => a + b) / 100,
      ),
      idleConnectors: 10,
      idleSettleMs: options.idleSettleMs ?? preset.idleSettleMs,
      linesFile: join(workDir, 'lines.txt'),
      linesTopic: `bench-lines-${randomUUID().slice(0, 8)}`,
      jsonTopic: `bench-json-${randomUUID().slice(0, 8)}`,
      ferryJsonSkip: options.engines.includes('ferry') && wantsJson ? await ferryJsonSkip() : undefined,
      pollMs: preset.pollMs,
      runTimeoutMs: options.runTimeoutMs ?? preset.runTimeoutMs,
      keepFiles: options.keepFiles ?? false,
      log,
    }
    if (base.ferryJsonSkip) log(`Workloads 3, 10 and 11 skipped for Ferry: ${base.ferryJsonSkip}`)
    if (
      selected.some(
        (w) =>
          w.id === 'source' ||
          w.id === 'sink' ||
          w.id.startsWith('metrics-') ||
          w.id.startsWith('source-sasl-') ||
          isAvro(w.id) ||
          isEos(w.id),
      )
    ) {
      log(`Writing ${records} lines of ${LINE_BYTES} bytes...`)
      await writeLinesFile(base.linesFile, records)
    }

    const runs = new Map<WorkloadId, RunResult[]>(selected.map((w) => [w.id, []]))
    /** The context each workload ran in (its broker's), for the summary. */
    const contexts = new Map<WorkloadId, BenchContext>()
    const profiles: ProfileResult[] = []
    let securedBroker: SecuredBrokerInfo | undefined
    let plainBootstrap: string | undefined

    /** The rounds of some workloads on one broker, then the Ferry profiles of those that ask for one. */
    const runPhase = async (ctx: BenchContext, phase: readonly Workload[]) => {
      for (const w of phase) contexts.set(w.id, ctx)
      for (let round = 1; round <= options.rounds; round++) {
        for (const w of phase) {
          if (w.maxRounds !== undefined && round > w.maxRounds) continue
          let runners = runnersOf(w, ctx)
          // Alternate who goes first, so a slow drift of the machine does not favour one side (workloads of one
          // round alternate by their number).
          const turn = round + (w.maxRounds === 1 ? w.number : 0)
          if (w.id !== 'ceiling' && turn % 2 === 0) runners = [...runners].reverse()
          for (const runner of runners) {
            if (w.skip?.(ctx, runner)) continue
            const t0 = performance.now()
            const result = await w.run(ctx, runner, round)
            runs.get(w.id)!.push(result)
            log(
              `round ${round}/${options.rounds}  ${w.number}. ${w.title}  ${runner.padEnd(13)} ${describe(w.id, result)}  (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
            )
          }
        }
      }
      if (!options.profile || !options.engines.includes('ferry')) return
      for (const w of phase.filter((x) => x.profile && !x.skip?.(ctx, 'ferry'))) {
        const dir = join(options.profileDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}-${w.id}`)
        await mkdir(dir, { recursive: true })
        log(`Profiling Ferry on ${w.number}. ${w.title} (node --cpu-prof)...`)
        const result = await w.run(ctx, 'ferry', 0, { cpuProfileDir: dir })
        if (!result.ok) {
          notes.push(`Profiling workload ${w.number} failed: ${result.error}`)
          continue
        }
        try {
          const { file, summary } = await summarizeProfileDir(dir, 15, result.window)
          profiles.push({
            workload: w.id,
            records: w.records(ctx),
            cpuProfile: file.startsWith(REPO_ROOT) ? file.slice(REPO_ROOT.length + 1) : file,
            metrics: result.metrics,
            summary,
          })
        } catch (e) {
          notes.push(`Profile of workload ${w.number}: ${(e as Error).message}`)
        }
      }
    }

    // ------------------------------------------------------------ workloads 1–7: the plain broker
    const plain = selected.filter((w) => !isSecured(w.id))
    if (plain.length > 0) {
      let cluster: Awaited<ReturnType<typeof startKafka>> | undefined
      if (!options.bootstrap) {
        log('Starting a Kafka broker...')
        cluster = await startKafka()
      }
      const bootstrap = options.bootstrap ?? cluster!.bootstrapServers
      plainBootstrap = bootstrap
      const ctx: BenchContext = { ...base, bootstrap, admin: admin(bootstrap) }
      try {
        if (wants('jdbc')) {
          const jdbcRecords =
            options.jdbcRecords ??
            (options.records ? Math.min(options.records, preset.jdbcRecords) : preset.jdbcRecords)
          ctx.jdbc = await prepareJdbc({ records: jdbcRecords, engines: options.engines })
          for (const [engine, why] of Object.entries(ctx.jdbc.skip)) log(`Workload 7 skipped for ${engine}: ${why}`)
        }
        if (wants('sink') || wants('metrics-sink')) {
          log(`Loading them into topic ${ctx.linesTopic}...`)
          await createTopic(bootstrap, ctx.linesTopic)
          await produce(bootstrap, ctx.linesTopic, records, line)
        }
        const jsonRunners = options.engines.filter((e) => !(e === 'ferry' && ctx.ferryJsonSkip))
        if (wants('json') && jsonRunners.length > 0) {
          log(`Loading ${jsonRecords} JSON records (~${ctx.jsonRecordBytes} bytes) into topic ${ctx.jsonTopic}...`)
          await createTopic(bootstrap, ctx.jsonTopic)
          await produce(bootstrap, ctx.jsonTopic, jsonRecords, jsonRecord)
        }
        const jdbc = ctx.jdbc
        if (jdbc && options.engines.some((e) => !jdbc.skip[e])) {
          if (wants('json') && jsonRunners.length > 0 && jsonRecords === jdbc.records) jdbc.topic = ctx.jsonTopic
          else {
            log(`Loading ${jdbc.records} JSON records (~${ctx.jsonRecordBytes} bytes) into topic ${jdbc.topic}...`)
            await createTopic(bootstrap, jdbc.topic)
            await produce(bootstrap, jdbc.topic, jdbc.records, jsonRecord)
          }
        }
        await runPhase(
          ctx,
          plain.filter((w) => !sinkGroupOf(w.id) && !isCdc(w.id) && !isAvro(w.id)),
        )
        // The sink groups, one after the other on the same broker, each with its server up only for its own phase.
        for (const group of Object.keys(SINK_GROUPS) as SinkGroup[]) {
          const phase = plain.filter((w) => sinkGroupOf(w.id) === group)
          if (phase.length === 0) continue
          const setup = await prepareSinkGroup(ctx, group).catch((e: unknown) => {
            const why = `${group === 'elasticsearch' ? 'OpenSearch' : 'S3Mock'} could not be prepared: ${(e as Error).message.split('\n')[0]}`
            log(`The ${group} group skipped: ${why}`)
            ctx.sinkSkip = { ...ctx.sinkSkip, [group]: why }
            return undefined
          })
          if (setup) ctx.sinks = { ...ctx.sinks, [group]: setup }
          try {
            await runPhase(ctx, phase)
          } finally {
            await setup?.stop()
          }
        }
        // The CDC group, with its PostgreSQL up only for its own phase.
        const cdcPhase = plain.filter((w) => isCdc(w.id))
        if (cdcPhase.length > 0) {
          const rows = options.cdcRows ?? (options.quick ? CDC_PRESETS.quick : CDC_PRESETS.full).rows
          ctx.cdc = await prepareCdc({ rows, engines: options.engines, log }).catch((e: unknown) => {
            ctx.cdcSkip = `PostgreSQL could not be prepared: ${(e as Error).message.split('\n')[0]}`
            log(`The cdc group skipped: ${ctx.cdcSkip}`)
            return undefined
          })
          for (const [engine, why] of Object.entries(ctx.cdc?.skip ?? {}))
            log(`The cdc group skipped for ${engine}: ${why}`)
          try {
            await runPhase(ctx, cdcPhase)
          } finally {
            await ctx.cdc?.stop()
          }
        }
        // The Avro group, with its schema registry up only for its own phase.
        const avroPhase = plain.filter((w) => isAvro(w.id))
        if (avroPhase.length > 0) {
          ctx.avro = await prepareAvro({
            engines: options.engines,
            log,
            ...(options.keepFiles ? {} : { deleteTopics: (topics: string[]) => ctx.admin.deleteTopics(topics) }),
          }).catch((e: unknown) => {
            ctx.avroSkip = `Apicurio Registry could not be prepared: ${(e as Error).message.split('\n')[0]}`
            log(`The avro group skipped: ${ctx.avroSkip}`)
            return undefined
          })
          for (const [engine, why] of Object.entries(ctx.avro?.skip ?? {}))
            log(`The avro group skipped for ${engine}: ${why}`)
          try {
            await runPhase(ctx, avroPhase)
          } finally {
            await ctx.avro?.stop()
          }
        }
      } finally {
        await ctx.admin.close().catch(() => {})
        await cluster?.stop()
      }
    }

    // ------------------------------------------------------------ workloads 8–11: the secured broker
    const secured = selected.filter((w) => isSecured(w.id))
    if (secured.length > 0) {
      let cluster: SecuredKafkaCluster | undefined
      let ctx: BenchContext
      try {
        const jsonCodecs = (['lz4', 'zstd'] as const).filter(
          (c) => wants(`json-sasl-${c}`) && options.engines.some((e) => !(e === 'ferry' && base.ferryJsonSkip)),
        )
        const prepared = await prepareSecured({ jsonRecords, jsonCodecs, jsonRecord, log })
        cluster = prepared.cluster
        securedBroker = prepared.broker
        log(
          `Secured broker up in ${prepared.broker.startupSeconds.toFixed(1)} s; ${SECURED_LISTENER} at ${prepared.setup.bootstrap}`,
        )
        ctx = {
          ...base,
          bootstrap: cluster.bootstrapServers,
          admin: admin(cluster.bootstrapServers),
          secured: prepared.setup,
        }
      } catch (e) {
        const why = `the secured broker could not be prepared: ${(e as Error).message.split('\n')[0]}`
        log(`Workloads 8–11 skipped: ${why}`)
        // Every run of 8–11 is skipped with `why`: this admin client is never used.
        ctx = { ...base, bootstrap: '127.0.0.1:9', admin: admin('127.0.0.1:9'), securedSkip: why }
      }
      try {
        await runPhase(ctx, secured)
      } finally {
        await ctx.admin.close().catch(() => {})
        await cluster?.stop()
      }
    }

    // ------------------------------------------------------------ summary
    const workloads: WorkloadResult[] = selected.map((w) => {
      const ctx = contexts.get(w.id)!
      const list = runs.get(w.id) ?? []
      const runners = runnersOf(w, ctx)
      const skipped: Partial<Record<Runner, string>> = {}
      for (const r of runners) {
        const why = w.skip?.(ctx, r)
        if (why) skipped[r] = why
      }
      const summary: Partial<Record<Runner, Record<string, Summary>>> = {}
      for (const r of runners) {
        const ok = list.filter((x) => x.runner === r && x.ok)
        if (ok.length === 0) continue
        const metrics: Record<string, Summary> = {}
        for (const key of new Set(ok.flatMap((x) => Object.keys(x.metrics)))) {
          const s = summarize(ok.map((x) => x.metrics[key] ?? Number.NaN))
          if (s) metrics[key] = s
        }
        summary[r] = metrics
      }
      const ratios: Record<string, number> = {}
      const a = summary[w.baseline ?? 'apache']
      const f = summary.ferry
      if (a && f)
        for (const key of Object.keys(f)) {
          const x = ratio(a[key]?.median, f[key]?.median)
          if (x !== undefined) ratios[key] = x
        }
      const input = w.inputCompression?.(ctx)
      return {
        id: w.id,
        number: w.number,
        title: w.title,
        description: w.description,
        records: w.records(ctx),
        recordBytes: w.recordBytes(ctx),
        runners,
        skipped,
        runs: list,
        summary,
        ratios,
        ...(w.baseline ? { baseline: w.baseline } : {}),
        ...(input ? { inputCompression: input } : {}),
      }
    })
    const ceiling = workloads.find((w) => w.id === 'ceiling')
    for (const w of workloads) {
      const tool = w.id === 'source' ? 'producer-perf' : w.id === 'sink' ? 'consumer-perf' : undefined
      const top = tool && ceiling?.summary[tool]?.msgsPerSec?.median
      if (!top) continue
      w.ceilingFraction = {}
      for (const engine of options.engines) {
        const x = ratio(top, w.summary[engine]?.msgsPerSec?.median)
        if (x !== undefined) w.ceilingFraction[engine] = x
      }
    }

    const cpuModel = cpus()[0]?.model ?? 'unknown'
    return {
      schema: 1,
      mode: options.quick ? 'quick' : 'full',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      rounds: options.rounds,
      engines: options.engines,
      machine: {
        cores: cpus().length,
        cpuModel,
        memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        os: `${type()} ${release()}`,
        loadAverageBefore: loadBefore.map((x) => Math.round(x * 100) / 100),
        loadAverageAfter: loadavg().map((x) => Math.round(x * 100) / 100),
      },
      versions: {
        node: process.version,
        java: apache ? await javaVersion(apache.java) : undefined,
        kafka: KAFKA_VERSION,
        apacheConnect: apache?.version,
        connectFile: apache?.connectFileVersion,
        ferry,
      },
      apache: {
        jvmOptions: [...CONNECT_JVM_OPTIONS],
        perfToolJvmOptions: [...PERF_TOOL_JVM_OPTIONS],
      },
      broker: options.bootstrap
        ? { bootstrap: options.bootstrap, startedByBench: false }
        : {
            bootstrap: plainBootstrap ?? '',
            startedByBench: true,
            settings: 'scripts/kafka/harness.ts: one KRaft node, -Xmx512m, C1 only',
          },
      ...(securedBroker ? { securedBroker } : {}),
      workloads,
      profiles,
      notes,
    }
  } finally {
    if (!options.keepFiles) await rm(workDir, { recursive: true, force: true })
  }
}
