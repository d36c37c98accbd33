/**
 * npm run bench: Ferry and Apache Kafka Connect side by side on one local broker (see docs/benchmarks.md).
 *
 *   npm run bench                         full run, 3 rounds, profiles Ferry, rewrites docs/benchmarks.md
 *   npm run bench -- --quick              small, fast smoke run of everything (results file only)
 *   npm run bench -- --rounds 5 --only ferry --workloads source,sink --no-profile
 *   npm run bench -- --workloads scale    the scale group: 3 distributed workers each, 100/300/1,000 connectors
 *   npm run bench -- --workloads elasticsearch,s3    the sink groups: Ferry's sinks against direct clients
 *   npm run bench -- --workloads cdc --cdc-rows 100000    the CDC group: Ferry's postgres-cdc against Debezium
 *   npm run bench -- --workloads avro --records 200000    the Avro group: Ferry's AvroConverter against Apicurio's
 *   npm run bench -- --workloads eos --records 200000     the exactly-once group: EOS on against off, per engine
 *   npm run bench -- --workloads failover    the sink failover group: the longest sink delivery pause under kill -9
 *   npm run bench -- --report bench/results/<file>.json    rewrite the docs and chart from a results file
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { basename, join, relative, resolve } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { REPO_ROOT } from '../kafka/harness.ts'
import { latestSoak } from '../soak/results.ts'
import { runBench } from './bench.ts'
import { renderChart } from './chart.ts'
import { summarizeProfileFile } from './profile.ts'
import { renderReport, type SectionRun } from './report.ts'
import {
  AVRO_WORKLOAD_IDS,
  type BenchResults,
  CDC_WORKLOAD_IDS,
  EOS_WORKLOAD_IDS,
  eosCosts,
  FAILOVER_WORKLOAD_IDS,
  groupOf,
  hasGroup,
  SINK_GROUPS,
  type SinkGroup,
  type WorkloadGroup,
} from './results.ts'
import { SCALE_CONNECTORS, SCALE_QUICK_CONNECTORS } from './scale.ts'
import { ENGINES, type Engine } from './workers.ts'
import { WORKLOAD_IDS, type WorkloadId } from './workloads.ts'

export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results')
export const DOCS_FILE = join(REPO_ROOT, 'docs', 'benchmarks.md')

const USAGE = `Usage: npm run bench -- [options]

  --quick                 small data, 1 round, short idle period: a smoke run of everything
  --rounds N              rounds per workload (default 3, quick 1)
  --only apache|ferry     run one side only (the perf-tool ceiling still runs unless left out of --workloads)
  --workloads LIST        comma-separated workloads and groups (default all but scale):
                          ${WORKLOAD_IDS.join(',')};
                          elasticsearch, s3: the sink groups (Ferry's Elasticsearch sink against a direct _bulk
                          loader on OpenSearch; its S3 sink, JSON and bytes, against direct PutObject uploads to
                          S3Mock), scale: the scale group (three distributed workers per side; about an hour
                          at 100,300,1000 connectors, so only when named), cdc: the CDC group (${CDC_WORKLOAD_IDS.join(', ')}:
                          Ferry's postgres-cdc against Debezium's PostgresConnector on Apache Connect on a
                          PostgreSQL of its own; heavy, so only when named), avro: the Avro group
                          (${AVRO_WORKLOAD_IDS.join(', ')}: Ferry's AvroConverter against Apicurio Registry's Avro
                          converter on Apache Connect, file source and sink with --records records, on an Apicurio
                          Registry of its own; only when named), eos: the exactly-once group
                          (${EOS_WORKLOAD_IDS.join(', ')}: workload 1's file source on one distributed worker per
                          engine with exactly.once.source.support disabled, then enabled; each engine's cost of
                          exactly-once as a ratio; only when named), and failover: the sink failover group
                          (${FAILOVER_WORKLOAD_IDS.join(', ')}: three distributed workers per cluster, Apache Connect,
                          Ferry and Ferry with sink.task.static.membership=false, a 6-task FileStreamSink at 200
                          records/s, the busiest worker killed -9 and restarted 3 times, 1 with --quick; the longest
                          delivery pause, lost and duplicated records; only when named)
  --scale-connectors LIST connector counts of the scale group (default ${SCALE_CONNECTORS.join(',')}, quick ${SCALE_QUICK_CONNECTORS.join(',')})
  --records N             records for workloads 1, 2, 6, 8, 9 and 22-25 (default 1000000, quick 20000)
  --json-records N        records for workloads 3, 10 and 11 (default 1000000, quick 10000)
  --cdc-rows N            rows of the CDC snapshot and changes of the CDC streaming workload (default 1000000,
                          quick 20000)
  --run-timeout SECONDS   how long one run may take from its worker's start before it fails (default 600, quick
                          180): a 1,000,000-row CDC run of Debezium on a busy machine needs more
  --bootstrap-server H:P  use this broker for workloads 1-7 instead of starting one (8-11 start a secured broker)
  --no-profile            do not profile Ferry (node --cpu-prof) on workloads 1, 2, 8, 9, 15-17 and 20-25
  --docs / --no-docs      rewrite docs/benchmarks.md (default: yes for a full run, no for --quick); a run without
                          workloads 1-7 replaces only its own groups' sections of the page
  --keep                  keep the scratch directory (configs, logs, output files)
  --report FILE           only rewrite docs/benchmarks.md (as --docs does) and the chart from a results file
`

/** The groups `--workloads` names that run only when named (besides scale), and their workloads. */
const NAMED_GROUPS: Record<string, readonly WorkloadId[]> = {
  cdc: CDC_WORKLOAD_IDS,
  avro: AVRO_WORKLOAD_IDS,
  eos: EOS_WORKLOAD_IDS,
  failover: FAILOVER_WORKLOAD_IDS,
}

/**
 * The workload ids of `--workloads` (undefined: the default set), with the groups `elasticsearch`, `s3`, `cdc`, `avro`,
 * `eos` and `failover` expanded and the scale group's `scale-<count>` for `scaleConnectors`; throws on an unknown name, naming the
 * known ones.
 */
export function selectWorkloads(list: string | undefined, scaleConnectors: readonly number[]): WorkloadId[] {
  const named = list?.split(',').map((s) => s.trim()) ?? [...WORKLOAD_IDS]
  const groups: Record<string, readonly string[]> = { ...SINK_GROUPS, ...NAMED_GROUPS }
  const ids: readonly string[] = [...WORKLOAD_IDS, ...Object.values(NAMED_GROUPS).flat()]
  const known = (w: string) => w === 'scale' || Object.hasOwn(groups, w) || ids.includes(w)
  const unknown = named.filter((w) => w === '' || !known(w))
  if (unknown.length > 0)
    throw new Error(
      `unknown workload ${unknown.map((w) => `'${w}'`).join(', ')} (known: ${ids.join(', ')}; groups: ${Object.keys(groups).join(', ')}, scale)`,
    )
  const selected = named.flatMap((w): string[] =>
    w === 'scale' ? [] : Object.hasOwn(groups, w) ? [...groups[w]!] : [w],
  )
  return [...new Set([...selected, ...scaleConnectors.map((n) => `scale-${n}`)])] as WorkloadId[]
}

/** Formats a written file as `npm run lint` (biome) wants it, when biome is installed. */
async function biomeFormat(file: string): Promise<void> {
  const biome = join(REPO_ROOT, 'node_modules', '.bin', 'biome')
  if (existsSync(biome)) await promisify(execFile)(biome, ['format', '--write', file]).catch(() => {})
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(`${file}.tmp`, `${JSON.stringify(value, null, 2)}\n`)
  await rename(`${file}.tmp`, file)
  await biomeFormat(file)
}

/** Writes the results JSON and the chart next to it; returns their paths. */
export async function writeResults(
  results: BenchResults,
  dir: string = RESULTS_DIR,
): Promise<{ json: string; svg: string }> {
  await mkdir(dir, { recursive: true })
  const stamp = results.startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')
  const stem = join(dir, `${stamp}${results.mode === 'quick' ? '-quick' : ''}`)
  const json = `${stem}.json`
  const svg = `${stem}.svg`
  await writeJson(json, results)
  await writeFile(svg, renderChart(results))
  return { json, svg }
}

/** The full runs' results files in a directory, oldest first (for the before/after tables and merged sections). */
async function earlierRuns(dir: string): Promise<Array<{ results: BenchResults; json: string }>> {
  const out: Array<{ results: BenchResults; json: string }> = []
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json') && !n.includes('-quick')).sort()) {
    try {
      const r = JSON.parse(await readFile(join(dir, name), 'utf8')) as BenchResults
      if (r.mode === 'full') out.push({ results: r, json: join(dir, name) })
    } catch {
      // not a results file
    }
  }
  return out.sort((a, b) => a.results.startedAt.localeCompare(b.results.startedAt))
}

/** The `## ` headings the report writes (report.ts); any other `## ` section of the page is someone's, kept by hand. */
const GENERATED =
  /^## (Run|How it is measured|Results|Secured broker|Scale|Elasticsearch sink \(workloads?|S3 sink \(workloads?|PostgreSQL CDC \(workloads?|Avro converter \(workloads?|Exactly-once source support \(workloads?|Sink failover \(workloads?|Soak|Targets|Before and after|Where the time goes|Output check|Notes|Running it)\b/

/** The new page with the hand-kept `## ` sections of the old one appended, in their order. */
export function keepHandSections(old: string, page: string): string {
  const sections = old.split(/^(?=## )/m).slice(1)
  const kept = sections.filter((s) => !GENERATED.test(s)).map((s) => s.trimEnd())
  return kept.length === 0 ? page : `${page.trimEnd()}\n\n${kept.join('\n\n')}\n`
}

/** The heading of each group's own section on the page (report.ts); workloads 1–7 are the page's frame. */
const GROUP_SECTIONS: Record<Exclude<WorkloadGroup, 'plain'>, RegExp> = {
  secured: /^## Secured broker\b/,
  scale: /^## Scale\b/,
  elasticsearch: /^## Elasticsearch sink \(workloads? /,
  s3: /^## S3 sink \(workloads? /,
  cdc: /^## PostgreSQL CDC \(workloads? /,
  avro: /^## Avro converter \(workloads? /,
  eos: /^## Exactly-once source support \(workloads? /,
  failover: /^## Sink failover \(workloads? /,
}

/**
 * The old page with the sections of `groups` and the page's opening (title, generated-from line, intro) taken from the
 * newly rendered one, and the soak section too (it is always the newest soak run's): each replaces its old one where
 * the page has one, else goes in before the soak section (or the targets, or the end). Every other section of the old page, hand-kept or other groups', stays as it was.
 */
export function spliceSections(old: string, page: string, groups: WorkloadGroup[]): string {
  const sections = old.split(/^(?=## )/m).slice(1)
  const [head = '', ...rendered] = page.split(/^(?=## )/m)
  // The soak section is the newest soak run's, whichever run the page is written for.
  const headings = [...groups.flatMap((g) => (g === 'plain' ? [] : [GROUP_SECTIONS[g]])), /^## Soak\b/]
  for (const heading of headings) {
    const section = rendered.find((s) => heading.test(s))
    if (section === undefined) continue
    const at = sections.findIndex((s) => heading.test(s))
    if (at >= 0) sections[at] = section
    else {
      const before = sections.findIndex((s) => /^## (Soak|Targets)\b/.test(s))
      sections.splice(before < 0 ? sections.length : before, 0, section)
    }
  }
  return `${head}${sections.map((s) => s.trimEnd()).join('\n\n')}\n`
}

/**
 * Rewrites the docs page for a results file (and its chart, which sits next to it). A run with workloads 1–7 renders
 * the whole page: its own sections, and each other group's from the latest full run of both workers that had it,
 * with the hand-kept sections of the old page after them. A run without workloads 1–7 (one group's run, e.g.
 * `--workloads eos`) replaces only its own groups' sections of the existing page, so sections spliced in from other
 * runs stay as they are; with no page yet it renders the whole page as a run of 1–7 would.
 */
export async function writeDocs(
  results: BenchResults,
  files: { json: string; svg: string },
  docsFile: string = DOCS_FILE,
): Promise<void> {
  const from = join(docsFile, '..')
  const runs = await earlierRuns(join(files.json, '..'))
  // Sections are kept only from earlier runs that compared both workers (not `--only ferry` ones).
  const upTo = runs.filter(
    (r) =>
      r.results.startedAt < results.startedAt &&
      r.results.engines.includes('apache') &&
      r.results.engines.includes('ferry'),
  )
  const svgOf = (json: string) => json.replace(/\.json$/, '.svg')
  type Run = { results: BenchResults; json: string; svg: string }
  const current: Run = { results, json: files.json, svg: files.svg }
  /** The run a section comes from: this one when it has the group, else (full runs only) the latest that had it. */
  const sectionRun = (group: WorkloadGroup): Run | undefined => {
    if (hasGroup(results, group)) return current
    if (results.mode !== 'full') return undefined
    const before = upTo.filter((r) => hasGroup(r.results, group)).at(-1)
    return before && { ...before, svg: svgOf(before.json) }
  }
  const page = sectionRun('plain') ?? current
  // The soak (scripts/soak) writes its results beside the bench's; the newest one has a section.
  const soak = await latestSoak(join(files.json, '..'))
  const link = (r: Run | undefined) =>
    r && { results: r.results, resultsLink: relative(from, r.json), chartLink: relative(from, r.svg) }
  const old = await readFile(docsFile, 'utf8').catch(() => '')
  const groups = [...new Set(results.workloads.map((w) => groupOf(w.id)))]
  const place = (rendered: string) =>
    old.trim() !== '' && !groups.includes('plain')
      ? spliceSections(old, rendered, groups)
      : keepHandSections(old, rendered)
  await writeFile(
    docsFile,
    place(
      renderReport(page.results, {
        resultsLink: relative(from, page.json),
        chartLink: relative(from, page.svg),
        history: runs.map((r) => r.results).filter((r) => r.startedAt <= results.startedAt),
        secured: link(sectionRun('secured')),
        scale: link(sectionRun('scale')),
        sinks: Object.fromEntries(
          (Object.keys(SINK_GROUPS) as SinkGroup[]).map((g) => [g, link(sectionRun(g))]),
        ) as Partial<Record<SinkGroup, SectionRun>>,
        cdc: link(sectionRun('cdc')),
        avro: link(sectionRun('avro')),
        eos: link(sectionRun('eos')),
        failover: link(sectionRun('failover')),
        soak: soak && { results: soak.results, resultsLink: relative(from, soak.json) },
      }),
    ),
  )
  await biomeFormat(docsFile)
}

/**
 * Rewrites the docs page from the newest full run of both workers in `dir` (as that run left it, with the newest soak
 * run's section): what `npm run soak` does when it finishes.
 */
export async function rewriteDocs(dir: string = RESULTS_DIR, docsFile: string = DOCS_FILE): Promise<void> {
  const latest = (await earlierRuns(dir))
    .filter((r) => r.results.engines.includes('apache') && r.results.engines.includes('ferry'))
    .at(-1)
  if (!latest) throw new Error(`no full run of both workers in ${dir}: run npm run bench first`)
  await writeDocs(latest.results, { json: latest.json, svg: latest.json.replace(/\.json$/, '.svg') }, docsFile)
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      only: { type: 'string' },
      workloads: { type: 'string' },
      'scale-connectors': { type: 'string' },
      records: { type: 'string' },
      'json-records': { type: 'string' },
      'cdc-rows': { type: 'string' },
      'run-timeout': { type: 'string' },
      'bootstrap-server': { type: 'string' },
      'no-profile': { type: 'boolean', default: false },
      docs: { type: 'boolean' },
      'no-docs': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      report: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(USAGE)
    return 0
  }
  const positive = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined
    const n = Number(v)
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${v}`)
    return n
  }

  if (values.report) {
    const json = resolve(values.report)
    const results = JSON.parse(await readFile(json, 'utf8')) as BenchResults
    // Re-read the CPU profiles that are still on disk, so a better analysis reaches old results too.
    let reanalysed = false
    for (const p of results.profiles) {
      const file = resolve(REPO_ROOT, p.cpuProfile)
      if (!existsSync(file)) continue
      p.summary = await summarizeProfileFile(file, p.summary.top.length || 15, p.summary.window)
      reanalysed = true
    }
    if (reanalysed) await writeJson(json, results)
    const svg = json.replace(/\.json$/, '.svg')
    await writeFile(svg, renderChart(results))
    await writeDocs(results, { json, svg })
    process.stderr.write(`Wrote ${relative(process.cwd(), svg)} and ${relative(process.cwd(), DOCS_FILE)}\n`)
    return 0
  }

  const engines: Engine[] = values.only ? [values.only as Engine] : [...ENGINES]
  if (!engines.every((e) => ENGINES.includes(e))) throw new Error(`--only must be apache or ferry, got ${values.only}`)
  const quick = values.quick
  const named = values.workloads?.split(',').map((s) => s.trim()) ?? []
  const scaleConnectors = named.includes('scale')
    ? (values['scale-connectors']?.split(',').map((s) => positive('scale-connectors', s.trim())!) ??
      (quick ? [...SCALE_QUICK_CONNECTORS] : [...SCALE_CONNECTORS]))
    : []
  if (values['scale-connectors'] && !named.includes('scale'))
    throw new Error('--scale-connectors needs the scale group in --workloads (e.g. --workloads scale)')
  const workloads = selectWorkloads(values.workloads, scaleConnectors)
  const docs = values['no-docs'] ? false : (values.docs ?? !quick)

  const stop = (signal: string) => {
    process.stderr.write(`\n${signal}: stopping the workers and the broker\n`)
    process.exit(130) // the exit hooks of the harness and workers.ts kill what is left
  }
  process.once('SIGINT', () => stop('SIGINT'))
  process.once('SIGTERM', () => stop('SIGTERM'))

  const results = await runBench({
    quick,
    rounds: positive('rounds', values.rounds) ?? (quick ? 1 : 3),
    engines,
    workloads,
    bootstrap: values['bootstrap-server'],
    profile: !values['no-profile'],
    records: positive('records', values.records),
    jsonRecords: positive('json-records', values['json-records']),
    cdcRows: positive('cdc-rows', values['cdc-rows']),
    runTimeoutMs: (positive('run-timeout', values['run-timeout']) ?? 0) * 1000 || undefined,
    scaleConnectors,
    profileDir: join(REPO_ROOT, '.cache', 'bench', 'profiles'),
    keepFiles: values.keep,
  })
  const files = await writeResults(results)
  process.stderr.write(
    `Results: ${relative(process.cwd(), files.json)}\nChart:   ${relative(process.cwd(), files.svg)}\n`,
  )
  if (docs) {
    await writeDocs(results, files)
    process.stderr.write(`Docs:    ${relative(process.cwd(), DOCS_FILE)}\n`)
  }
  const failed = results.workloads.flatMap((w) => w.runs.filter((r) => !r.ok))
  for (const w of results.workloads) {
    const ratios = Object.entries(w.ratios)
      .filter(([k]) => ['msgsPerSec', 'cpuSecondsPerMillion', 'peakRssMb', 'idleRssMb', 'healthSeconds'].includes(k))
      .map(([k, r]) => `${k} ${r.toFixed(2)}x`)
    if (ratios.length > 0)
      process.stderr.write(`  ${w.number}. ${w.title}: Ferry/${w.baseline ?? 'Apache'} ${ratios.join(', ')}\n`)
  }
  for (const [engine, cost] of Object.entries(eosCosts(results)))
    process.stderr.write(
      `  Exactly-once cost, ${engine} (enabled / disabled): ${Object.entries(cost)
        .map(([k, r]) => `${k} ${r.toFixed(2)}x`)
        .join(', ')}\n`,
    )
  if (failed.length > 0) process.stderr.write(`${failed.length} run(s) failed; see ${basename(files.json)}\n`)
  return failed.length > 0 ? 1 : 0
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`)
      process.exit(1)
    },
  )
}
