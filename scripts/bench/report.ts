/** Writes docs/benchmarks.md from a results file. Everything in that page comes from here and the results. */

import type { Growth } from '../soak/analysis.ts'
import type { SoakResults } from '../soak/results.ts'
import { CHART_METRICS, ratioLabel } from './chart.ts'
import {
  type BenchResults,
  EOS_COST_METRICS,
  eosCosts,
  groupOf,
  hasGroup,
  isSecured,
  SINK_GROUPS,
  type SinkGroup,
  type WorkloadGroup,
  type WorkloadResult,
} from './results.ts'
import {
  CREATE_BLOCK,
  CREATE_CLIENTS,
  HEARTBEAT_INTERVAL_MS,
  REBALANCE_DELAY_MS,
  RSS_SAMPLES,
  SCALE_WORKERS,
  SESSION_TIMEOUT_MS,
  TASKS_PER_CONNECTOR,
} from './scale.ts'
import { describeCheck, SECURED_LISTENER, SECURED_MECHANISM, SECURED_USER, securedWorkerSample } from './secured.ts'
import type { Summary } from './stats.ts'
import type { Runner } from './workloads.ts'

interface MetricInfo {
  label: string
  digits: number
  better: 'higher' | 'lower'
  /** No Ferry / baseline ratio: the figure says how a run went (its length, say), not how well. */
  noRatio?: true
}

export const METRICS: Record<string, MetricInfo> = {
  msgsPerSec: { label: 'msgs/s', digits: 0, better: 'higher' },
  mbPerSec: { label: 'MiB/s', digits: 1, better: 'higher' },
  cpuSecondsPerMillion: { label: 'CPU s per million records', digits: 1, better: 'lower' },
  peakRssMb: { label: 'peak RSS, MiB', digits: 0, better: 'lower' },
  seconds: { label: 'measured window, s', digits: 1, better: 'lower' },
  wallSeconds: { label: 'process start → done, s', digits: 1, better: 'lower' },
  totalCpuSeconds: { label: 'CPU s, process total', digits: 1, better: 'lower' },
  healthSeconds: { label: 'start → GET /health 200, s', digits: 2, better: 'lower' },
  firstRecordSeconds: { label: 'start → first record in topic, s', digits: 2, better: 'lower' },
  startupCpuSeconds: { label: 'CPU s until healthy', digits: 2, better: 'lower' },
  rssAtHealthMb: { label: 'RSS when healthy, MiB', digits: 0, better: 'lower' },
  idleRssMb: { label: 'idle RSS, MiB', digits: 0, better: 'lower' },
  idleCpuPercent: { label: 'CPU while idle, %', digits: 2, better: 'lower' },
  readySeconds: { label: 'start → all 10 RUNNING, s', digits: 2, better: 'lower' },
  // The exactly-once group (eos.ts)
  transactions: { label: 'transactions committed (commit markers in the topic)', digits: 0, better: 'lower' },
  recordsPerTransaction: { label: 'records per transaction', digits: 0, better: 'higher' },
  recordsPerBatch: { label: 'records per batch in the log', digits: 0, better: 'higher' },
  // The sink failover group (failover.ts)
  longestPauseSeconds: { label: 'longest delivery pause, s', digits: 1, better: 'lower' },
  ...Object.fromEntries(
    [1, 2, 3, 4, 5].map((k) => [
      `kill${k}PauseSeconds`,
      { label: `kill ${k}: longest pause, s`, digits: 1, better: 'lower' as const },
    ]),
  ),
  quietPauseSeconds: { label: 'longest pause before the first kill, s', digits: 1, better: 'lower' },
  taskMoveSeconds: { label: 'kill → every task RUNNING on the two left, s (slowest kill)', digits: 1, better: 'lower' },
  written: {
    label: 'records written (a run lasts as long as its kills take)',
    digits: 0,
    better: 'higher',
    noRatio: true,
  },
  lost: { label: 'records lost', digits: 0, better: 'lower' },
  duplicated: { label: 'records delivered again', digits: 0, better: 'lower' },
  unexpectedLines: { label: 'lines that are no record written', digits: 0, better: 'lower' },
  producerResends: { label: 'sends the bench repeated', digits: 0, better: 'lower' },
  unsentRecords: { label: 'records the bench could not send (counted as lost)', digits: 0, better: 'lower' },
  // The CDC group (cdc.ts)
  latencyP50Ms: { label: 'commit → Kafka latency p50, ms', digits: 0, better: 'lower' },
  latencyP99Ms: { label: 'commit → Kafka latency p99, ms', digits: 0, better: 'lower' },
  writerEventsPerSec: { label: 'writer events/s (the backlog, connector paused)', digits: 0, better: 'higher' },
  logBytesPerRecord: { label: 'bytes per record in the log', digits: 1, better: 'lower' },
  // The scale group (scale.ts)
  createLeaderP50Ms: { label: 'create via the leader, p50, ms', digits: 0, better: 'lower' },
  createLeaderP99Ms: { label: 'create via the leader, p99, ms', digits: 0, better: 'lower' },
  createFollowerP50Ms: { label: 'create via a follower, p50, ms', digits: 0, better: 'lower' },
  createFollowerP99Ms: { label: 'create via a follower, p99, ms', digits: 0, better: 'lower' },
  createLeader10P50Ms: { label: 'create via the leader, 10 clients, p50, ms', digits: 0, better: 'lower' },
  createLeader10P99Ms: { label: 'create via the leader, 10 clients, p99, ms', digits: 0, better: 'lower' },
  createFollower10P50Ms: { label: 'create via a follower, 10 clients, p50, ms', digits: 0, better: 'lower' },
  createFollower10P99Ms: { label: 'create via a follower, 10 clients, p99, ms', digits: 0, better: 'lower' },
  createRetries: { label: 'creates answered 409 and retried', digits: 0, better: 'lower' },
  createSeconds: { label: 'all creates, s', digits: 1, better: 'lower' },
  runningAfterCreateSeconds: { label: 'last create → all RUNNING, s', digits: 2, better: 'lower' },
  createNeedlessStarts: { label: 'task starts beyond one per task while creating', digits: 0, better: 'lower' },
  idleRssPerWorkerMb: { label: 'RSS per worker, no connectors, MiB', digits: 0, better: 'lower' },
  rssPerWorkerMb: { label: 'RSS per worker, all running, MiB', digits: 0, better: 'lower' },
  rssPerTaskMb: { label: 'RSS per task, MiB', digits: 2, better: 'lower' },
  heapGrowthPerWorkerMb: {
    label: 'per worker, idle → all running: V8 heap committed, MiB',
    digits: 1,
    better: 'lower',
  },
  youngGrowthPerWorkerMb: { label: '… of it the young generation, MiB', digits: 1, better: 'lower' },
  oldGrowthPerWorkerMb: { label: '… of it the old generation, MiB', digits: 1, better: 'lower' },
  codeGrowthPerWorkerMb: { label: '… of it compiled code, MiB', digits: 1, better: 'lower' },
  buffersGrowthPerWorkerMb: { label: 'per worker, idle → all running: Buffers, MiB', digits: 1, better: 'lower' },
  nativeGrowthPerWorkerMb: {
    label: 'per worker, idle → all running: the rest of the RSS (native), MiB',
    digits: 1,
    better: 'lower',
  },
  joinSeconds: { label: 'worker joins: its REST up → balanced and all RUNNING, s', digits: 2, better: 'lower' },
  joinFromSpawnSeconds: { label: 'worker joins: its process start → balanced, s', digits: 2, better: 'lower' },
  joinMovedTasks: { label: 'worker joins: tasks moved', digits: 0, better: 'lower' },
  joinNeedlessRestarts: { label: 'worker joins: restarts of tasks that should stay put', digits: 0, better: 'lower' },
  joinRestP50Ms: { label: 'worker joins: GET status p50, ms', digits: 0, better: 'lower' },
  joinRestP99Ms: { label: 'worker joins: GET status p99, ms', digits: 0, better: 'lower' },
  joinRestErrors: { label: 'worker joins: GET status not 200', digits: 0, better: 'lower' },
  killSeconds: { label: 'follower killed → all RUNNING, s', digits: 2, better: 'lower' },
  killMovedTasks: { label: 'follower killed: tasks moved', digits: 0, better: 'lower' },
  killNeedlessRestarts: {
    label: 'follower killed: restarts of tasks that should stay put',
    digits: 0,
    better: 'lower',
  },
  killRestP50Ms: { label: 'follower killed: GET status p50, ms', digits: 0, better: 'lower' },
  killRestP99Ms: { label: 'follower killed: GET status p99, ms', digits: 0, better: 'lower' },
  killRestErrors: { label: 'follower killed: GET status not 200', digits: 0, better: 'lower' },
}

const RUNNER_NAMES: Record<Runner, string> = {
  apache: 'Apache Connect',
  ferry: 'Ferry',
  'producer-perf': 'kafka-producer-perf-test',
  'consumer-perf': 'kafka-consumer-perf-test',
  'bulk-loader': 'direct `_bulk` loader',
  'put-object': 'direct PutObject uploads',
  'ferry-no-metrics': 'Ferry, metrics off',
  'ferry-dynamic': 'Ferry, dynamic members',
}

/** How the ratio column names the baseline. */
const BASELINE_NAMES: Partial<Record<Runner, string>> = { apache: 'Apache', 'ferry-no-metrics': 'metrics off' }

function num(x: number, digits: number): string {
  if (!Number.isFinite(x)) return '-'
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

function cell(s: Summary | undefined, digits: number): string {
  if (!s) return '-'
  if (s.n === 1 || s.min === s.max) return num(s.median, digits)
  return `${num(s.median, digits)} (${num(s.min, digits)}–${num(s.max, digits)})`
}

function verdict(ok: boolean | undefined): string {
  return ok === undefined ? 'not measured' : ok ? '**met**' : 'not met'
}

function workloadTable(w: WorkloadResult): string {
  const runners = w.runners.filter((r) => w.summary[r])
  if (runners.length === 0) return '_No successful runs._\n'
  const keys = Object.keys(METRICS).filter((k) => runners.some((r) => w.summary[r]?.[k]))
  const baseline = w.baseline ?? 'apache'
  const withRatio = w.id !== 'ceiling' && runners.includes(baseline) && runners.includes('ferry')
  const head = `| metric | ${runners.map((r) => RUNNER_NAMES[r]).join(' | ')} |${withRatio ? ` Ferry / ${BASELINE_NAMES[baseline] ?? 'direct'} |` : ''}`
  const sep = `|---|${runners.map(() => '---:').join('|')}|${withRatio ? '---:|' : ''}`
  const rows = keys.map((k) => {
    const info = METRICS[k]!
    const r = info.noRatio ? undefined : w.ratios[k]
    const ratioCell = withRatio
      ? ` ${r === undefined ? '-' : `${ratioLabel(r)} ${info.better === 'higher' ? '↑' : '↓'}`} |`
      : ''
    return `| ${info.label} | ${runners.map((x) => cell(w.summary[x]?.[k], info.digits)).join(' | ')} |${ratioCell}`
  })
  return `${head}\n${sep}\n${rows.join('\n')}\n`
}

function targets(results: BenchResults): string {
  const rows: string[] = []
  const byId = new Map(results.workloads.map((w) => [w.id, w]))
  for (const id of ['source', 'sink', 'json'] as const) {
    const w = byId.get(id)
    if (!w) continue
    const r = w.ratios.msgsPerSec
    rows.push(
      `| ${w.number}. ${w.title}: throughput ≥ 1.5× Apache | ${r === undefined ? (w.skipped.ferry ? 'Ferry skipped' : '-') : ratioLabel(r)} | ${verdict(r === undefined ? undefined : r >= 1.5)} |`,
    )
    const f = w.ceilingFraction?.ferry
    if (f !== undefined)
      rows.push(`| ${w.number}. ${w.title}: ≥ 0.7 of the perf-tool ceiling | ${f.toFixed(2)} | ${verdict(f >= 0.7)} |`)
  }
  for (const w of results.workloads) {
    if (groupOf(w.id) === 'cdc') continue // their goals are in their section
    for (const m of CHART_METRICS[w.id] ?? []) {
      if (m.metric === 'msgsPerSec' || m.target === undefined) continue
      const r = w.ratios[m.metric]
      rows.push(
        `| ${w.number}. ${w.title}: ${m.label} ≤ ${m.target}× Apache | ${r === undefined ? '-' : ratioLabel(r)} | ${verdict(r === undefined ? undefined : r <= m.target)} |`,
      )
    }
  }
  const jdbc = byId.get('jdbc')
  if (jdbc) {
    const r = jdbc.ratios.msgsPerSec
    const skipped = jdbc.skipped.ferry ? 'Ferry skipped' : jdbc.skipped.apache ? 'Debezium skipped' : '-'
    rows.push(
      `| ${jdbc.number}. ${jdbc.title}: throughput ≥ 1.0× the Debezium JDBC sink on Apache (issue 8) | ${r === undefined ? skipped : ratioLabel(r)} | ${verdict(r === undefined ? undefined : r >= 1)} |`,
    )
  }
  for (const id of ['metrics-source', 'metrics-sink'] as const) {
    const w = byId.get(id)
    if (!w) continue
    const r = w.ratios.msgsPerSec
    const cpu = w.ratios.cpuSecondsPerMillion
    rows.push(
      `| ${w.number}. ${w.title}: metrics (scraped every second) cost < 3 % of throughput (≥ 0.97× metrics off) | ${r === undefined ? '-' : ratioLabel(r)} | ${verdict(r === undefined ? undefined : r >= 0.97)} |`,
      `| ${w.number}. ${w.title}: and < 3 % more CPU per record (≤ 1.03× metrics off; steadier on a busy machine) | ${cpu === undefined ? '-' : ratioLabel(cpu)} | ${verdict(cpu === undefined ? undefined : cpu <= 1.03)} |`,
    )
  }
  const startup = byId.get('startup')?.summary.ferry?.healthSeconds?.median
  if (startup !== undefined)
    rows.push(`| 5. Start-up under 1 s (Ferry, to /health 200) | ${num(startup, 2)} s | ${verdict(startup < 1)} |`)
  return `| target | measured | |\n|---|---:|---|\n${rows.join('\n')}\n`
}

/** One sentence: which packages the busy time went to, and how much of it was Ferry's own code. */
function headline(s: BenchResults['profiles'][number]['summary']): string {
  const ferry = s.components.filter((c) => c.component.startsWith('@ferry/')).reduce((a, c) => a + c.busyPct, 0)
  const top = s.components.slice(0, 3).map((c) => `${c.component} ${num(c.busyPct, 0)} %`)
  return `Busy time by package: ${top.join(', ')}; Ferry's own packages (@ferry/…) ${num(ferry, 0)} %.`
}

function profiles(results: BenchResults, list: BenchResults['profiles'], workloads: string): string {
  if (list.length === 0)
    return `_No profile in this run (\`npm run bench\` profiles Ferry on workloads ${workloads} unless \`--no-profile\`)._\n`
  const out: string[] = []
  for (const p of list) {
    const w = results.workloads.find((x) => x.id === p.workload)
    const s = p.summary
    out.push(
      `### ${w ? `${w.number}. ${w.title}` : p.workload} (${p.records.toLocaleString('en-US')} records)\n`,
      `Profiled run: ${num(p.metrics.msgsPerSec ?? Number.NaN, 0)} msgs/s under the profiler. Of ${num(s.totalMs / 1000, 1)} s profiled, ${num(s.busyMs / 1000, 1)} s were busy on the main thread (the rest idle in the event loop, waiting for Kafka or the disk); percentages are of the busy time. Profile: \`${p.cpuProfile}\` (not committed; open it in Chrome DevTools or speedscope for a flame graph).\n`,
      `${headline(s)}\n`,
      '| self time | function | file:line | mostly called from |',
      '|---:|---|---|---|',
      ...s.top.map(
        (h) =>
          `| ${num(h.busyPct, 1)} % | \`${h.function}\` | ${h.file ? `\`${h.file}:${h.line}\`` : '(V8)'} | ${h.calledFrom ? `\`${h.calledFrom}\`` : ''} |`,
      ),
      '',
      'By package:',
      '',
      '| self time | package |',
      '|---:|---|',
      ...s.components.slice(0, 10).map((c) => `| ${num(c.busyPct, 1)} % | ${c.component} |`),
      '',
    )
  }
  return out.join('\n')
}

/** When a worker beat the producer perf tool, say why that is not beating the broker. */
function ceilingCaveat(results: BenchResults): string {
  const above = results.workloads.some((w) => Object.values(w.ceilingFraction ?? {}).some((f) => f > 1))
  if (!above) return ''
  return `\n\nA fraction above 1 means the tool, run with its defaults, is not the broker's limit. The producer perf tool uses the Java producer's defaults (\`batch.size\` 16384 bytes, \`linger.ms\` 5), as Apache's worker does; Ferry's client sends each polled batch (up to 2000 records of the file source) as one produce request, so it can pass the tool's rate.`
}

export interface ReportOptions {
  /** Path of the results JSON, relative to docs/. */
  resultsLink: string
  /** Path of the chart, relative to docs/. */
  chartLink: string
  /** Earlier full runs (bench/results), oldest first, for the before/after table. */
  history?: BenchResults[]
  /**
   * Workloads 8–11's section: the run it comes from (the page's own run when that has them, else the latest full
   * run that did), with the links of that run's results and chart.
   */
  secured?: SectionRun | undefined
  /** The scale group's section, likewise. */
  scale?: SectionRun | undefined
  /** The sink groups' sections, likewise. */
  sinks?: Partial<Record<SinkGroup, SectionRun | undefined>> | undefined
  /** The CDC group's section, likewise. */
  cdc?: SectionRun | undefined
  /** The Avro group's section, likewise. */
  avro?: SectionRun | undefined
  /** The exactly-once group's section, likewise. */
  eos?: SectionRun | undefined
  /** The sink failover group's section, likewise. */
  failover?: SectionRun | undefined
  /** The newest soak run (`npm run soak`) and the link of its results file. */
  soak?: { results: SoakResults; resultsLink: string } | undefined
}

/** A section's run and the links of its results and chart. */
export interface SectionRun {
  results: BenchResults
  resultsLink: string
  chartLink: string
}

function hasPlain(r: BenchResults): boolean {
  return hasGroup(r, 'plain')
}

function hasSecuredWorkloads(r: BenchResults): boolean {
  return hasGroup(r, 'secured')
}

/** Ferry/Apache ratios of this run and the earlier full runs, so each change's effect stays on record. */
function history(results: BenchResults, earlier: BenchResults[]): string {
  // Runs of workloads 8–11 alone have their own table (securedHistory).
  const runs = [...earlier.filter((r) => r.startedAt < results.startedAt), results].filter(
    (r) => r.mode === 'full' && r.engines.includes('apache') && r.engines.includes('ferry') && hasPlain(r),
  )
  if (runs.length < 2) return ''
  const ratio = (r: BenchResults, id: string, metric: string) => {
    const x = r.workloads.find((w) => w.id === id)?.ratios[metric]
    return x === undefined ? '-' : ratioLabel(x)
  }
  const health = (r: BenchResults) => {
    const x = r.workloads.find((w) => w.id === 'startup')?.summary.ferry?.healthSeconds?.median
    return x === undefined ? '-' : `${num(x, 2)} s`
  }
  const rows = runs.map(
    (r) =>
      `| ${r.startedAt.slice(0, 16).replace('T', ' ')} | ${r.versions.ferry} | ${ratio(r, 'source', 'msgsPerSec')} | ${ratio(r, 'sink', 'msgsPerSec')} | ${ratio(r, 'json', 'msgsPerSec')} | ${ratio(r, 'source', 'peakRssMb')} | ${ratio(r, 'sink', 'peakRssMb')} | ${ratio(r, 'json', 'peakRssMb')} | ${ratio(r, 'idle', 'idleRssMb')} | ${health(r)} | ${ratio(r, 'jdbc', 'msgsPerSec')} |`,
  )
  return `## Before and after

Ferry / Apache ratios of every full run in \`bench/results/\`, oldest first (this run last): throughput (msgs/s,
higher is better) and peak or idle RSS (lower is better) of workloads 1–4, Ferry's start-up to \`GET /health\`, and
workload 7's throughput against the Debezium JDBC sink.

| run (UTC) | Ferry | 1. msgs/s | 2. msgs/s | 3. msgs/s | 1. peak RSS | 2. peak RSS | 3. peak RSS | 4. idle RSS | 5. Ferry start-up | 7. msgs/s |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

`
}

function workloadSection(results: BenchResults, w: WorkloadResult): string {
  return `### ${w.number}. ${w.title}

${w.description} ${w.records > 0 ? `Records: **${w.records.toLocaleString('en-US')}** of **${w.recordBytes} bytes** (${groupOf(w.id) === 'cdc' ? 'value as the JsonConverter wrote it, averaged over some records of the last run; keys hold the primary key' : groupOf(w.id) === 'avro' ? "value as Ferry's converter wrote it, schema id included, averaged over some records of the last run; keys are null" : 'value; keys are null'}).` : ''}${
    w.ceilingFraction
      ? ` Fraction of the perf-tool ceiling: ${Object.entries(w.ceilingFraction)
          .map(([e, f]) => `${RUNNER_NAMES[e as Runner]} ${f.toFixed(2)}`)
          .join(', ')}.`
      : ''
  }${w.id === 'ceiling' ? ceilingCaveat(results) : ''}${
    Object.keys(w.skipped).length > 0
      ? `\n\n**Skipped:** ${Object.entries(w.skipped)
          .map(([r, why]) => `${RUNNER_NAMES[r as Runner]}: ${why}.`)
          .join(' ')}`
      : ''
  }

${workloadTable(w)}`
}

/** `- 2, Ferry: \`first line\`` for each sink workload and worker. */
function outputSamples(workloads: WorkloadResult[]): string[] {
  return workloads
    .filter((w) => w.runs.some((r) => r.sample))
    .flatMap((w) =>
      (['apache', 'ferry'] as const).flatMap((e) => {
        const s = w.runs.find((r) => r.runner === e && r.sample)?.sample
        return s ? [`- ${w.number}, ${RUNNER_NAMES[e]}: \`${s.length > 160 ? `${s.slice(0, 160)}…` : s}\``] : []
      }),
    )
}

/** Failed runs and skipped runners, one line each. */
function problems(workloads: WorkloadResult[]): string[] {
  const failures = workloads.flatMap((w) =>
    w.runs
      .filter((r) => !r.ok)
      .map((r) => `- ${w.number}. ${w.title}, ${RUNNER_NAMES[r.runner]}, round ${r.round}: ${r.error?.split('\n')[0]}`),
  )
  const skips = workloads.flatMap((w) =>
    Object.entries(w.skipped).map(
      ([r, why]) => `- ${w.number}. ${w.title}: ${RUNNER_NAMES[r as Runner]} skipped: ${why}`,
    ),
  )
  return [...skips, ...failures]
}

/** Ferry / Apache ratios of every full run of workloads 8–11, oldest first. */
function securedHistory(results: BenchResults, earlier: BenchResults[]): string {
  const runs = [...earlier.filter((r) => r.startedAt < results.startedAt), results].filter(
    (r) => r.mode === 'full' && r.engines.includes('apache') && r.engines.includes('ferry') && hasSecuredWorkloads(r),
  )
  if (runs.length < 2) return ''
  const ids = ['source-sasl-lz4', 'source-sasl-zstd', 'json-sasl-lz4', 'json-sasl-zstd']
  const ratio = (r: BenchResults, id: string, metric: string) => {
    const x = r.workloads.find((w) => w.id === id)?.ratios[metric]
    return x === undefined ? '-' : ratioLabel(x)
  }
  const rows = runs.map(
    (r) =>
      `| ${r.startedAt.slice(0, 16).replace('T', ' ')} | ${r.versions.ferry} | ${ids.map((id) => ratio(r, id, 'msgsPerSec')).join(' | ')} | ${ids.map((id) => ratio(r, id, 'peakRssMb')).join(' | ')} |`,
  )
  return `### Before and after

Ferry / Apache ratios of every full run of workloads 8–11 in \`bench/results/\`, oldest first.

| run (UTC) | Ferry | 8. msgs/s | 9. msgs/s | 10. msgs/s | 11. msgs/s | 8. peak RSS | 9. peak RSS | 10. peak RSS | 11. peak RSS |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

`
}

/** Workloads 8–11: their own section, from their own run when that is not the page's. */
function securedSection(
  s: BenchResults,
  links: { resultsLink: string; chartLink: string; separate: boolean; history: BenchResults[] },
): string {
  const workloads = s.workloads.filter((w) => isSecured(w.id))
  const broker = s.securedBroker
  const load = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' / ')
  const run = links.separate
    ? `These figures come from a separate run of \`npm run bench\` (${s.startedAt}, ${s.mode} run, ${s.rounds} round${s.rounds === 1 ? '' : 's'}, Ferry ${s.versions.ferry}, load average before ${load(s.machine.loadAverageBefore)}, after ${load(s.machine.loadAverageAfter)}; results: [${links.resultsLink.split('/').at(-1)}](${links.resultsLink})), on the same machine and Apache Connect ${s.versions.apacheConnect ?? '-'} set-up as above.\n\n![Ferry / Apache ratios, workloads 8–11](${links.chartLink})\n\n`
    : ''
  const brokerLine = broker
    ? `The bench starts a secured broker for them once per run (${broker.settings}); it was up in **${num(broker.startupSeconds, 1)} s** (\`startSecuredKafka()\` until every listener had answered a Metadata request through its own TLS and SASL handshakes: certificates made with openssl and keytool, SCRAM users written at format time). Both workers connect to its \`${broker.listener}\` listener as \`${broker.user}\` with ${broker.mechanism}, trusting the broker's CA through a ${broker.truststore} truststore.`
    : `The bench starts a secured broker for them once per run; both workers connect to its \`${SECURED_LISTENER}\` listener as \`${SECURED_USER}\` with ${SECURED_MECHANISM}.`
  const checks = workloads.flatMap((w) => {
    const lines: string[] = []
    if (w.inputCompression)
      lines.push(
        `- ${w.number}, the topic both sinks read (written by the bench): ${describeCheck(w.inputCompression)}`,
      )
    for (const e of ['apache', 'ferry'] as const) {
      const runs = w.runs.filter((r) => r.runner === e && r.compression)
      const first = runs[0]?.compression
      if (first)
        lines.push(
          `- ${w.number}, ${RUNNER_NAMES[e]}: ${describeCheck(first)}${runs.length > 1 ? ` (round ${runs[0]!.round}; ${runs.length} runs checked)` : ''}`,
        )
    }
    return lines
  })
  const samples = outputSamples(workloads)
  const notes = [...problems(workloads), ...(links.separate ? s.notes.map((n) => `- ${n}`) : [])]
  const profiled = s.profiles.filter((p) => isSecured(p.workload))
  return `## Secured broker: SASL_SSL with lz4 and zstd (workloads 8–11)

${run}Workloads 1 and 3 again, against a secured broker with producer compression. ${brokerLine}

Apache Connect and Ferry get the same worker file: the workload's converters and \`offset.flush.interval.ms\` as
above, then these keys (passwords hidden here; \`zstd\` for workloads 9 and 11):

\`\`\`properties
${securedWorkerSample('lz4')}
\`\`\`

Apache needs the security keys repeated under \`producer.\` and \`consumer.\`: its task clients do not inherit the
top-level ones. Ferry's would; with them repeated, the two behave the same. Topics are created, progress is polled and
the codec checks fetch through the broker's PLAINTEXT listener, which costs the workers nothing.

${workloads.map((w) => workloadSection(s, w)).join('\n')}
### Codec check

The first MiB of record batches of each run's output topic (8, 9; after every run) and of the topic the sinks read
(10, 11; once, when the bench writes it) fetched raw: every batch must carry the codec, or the run fails. A run also
fails if its worker's log holds the SASL or the truststore password.

${checks.length > 0 ? checks.join('\n') : '_No run was checked._'}

${securedHistory(s, links.history)}${
  profiled.length > 0
    ? `### Where the time goes\n\nFerry profiled with \`node --cpu-prof\` (one extra run each, after the timed rounds), as above.\n\n${profiles(s, profiled, '8 and 9').replace(/^### /gm, '#### ')}\n`
    : ''
}${samples.length > 0 ? `### Output check\n\nThe first line each sink wrote:\n\n${samples.join('\n')}\n\n` : ''}${
  notes.length > 0 ? `### Notes\n\n${notes.join('\n')}\n\n` : ''
}`
}

/** The scale group's goals: rebalance time ≤ 0.5× Apache's, memory per task ≤ 0.1× Apache's, no needless restarts. */
function scaleGoals(workloads: WorkloadResult[]): string {
  const rows: string[] = []
  for (const w of workloads) {
    const at = `${w.number}. ${w.title.replace(/^Scale: /, '')}`
    for (const [metric, what, goal] of [
      ['joinSeconds', 'a worker joins: time to balanced and all RUNNING', 0.5],
      ['killSeconds', 'a follower is killed: time to all RUNNING', 0.5],
      ['rssPerTaskMb', 'RSS per task', 0.1],
    ] as const) {
      const r = w.ratios[metric]
      rows.push(
        `| ${at}: ${what} ≤ ${goal}× Apache | ${r === undefined ? '-' : ratioLabel(r)} | ${verdict(r === undefined ? undefined : r <= goal)} |`,
      )
    }
    const f = w.summary.ferry
    const needless =
      f && ['createNeedlessStarts', 'joinNeedlessRestarts', 'killNeedlessRestarts'].every((k) => f[k])
        ? (f.createNeedlessStarts?.median ?? 0) +
          (f.joinNeedlessRestarts?.median ?? 0) +
          (f.killNeedlessRestarts?.median ?? 0)
        : undefined
    rows.push(
      `| ${at}: Ferry restarts no task that should stay put (creates, join, kill) | ${needless === undefined ? '-' : num(needless, 0)} | ${verdict(needless === undefined ? undefined : needless === 0)} |`,
    )
  }
  return `| goal | measured (Ferry / Apache) | |\n|---|---:|---|\n${rows.join('\n')}\n`
}

/** The scale group: its own section, from its own run when that is not the page's. */
function scaleSection(s: SectionRun, separate: boolean): string {
  const r = s.results
  const workloads = r.workloads.filter((w) => groupOf(w.id) === 'scale')
  const load = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' / ')
  const counts = workloads.map((w) => w.title.match(/^Scale: ([\d,]+)/)?.[1] ?? w.id).join(', ')
  const numbers =
    workloads.length > 1 ? `${workloads[0]!.number}–${workloads.at(-1)!.number}` : `${workloads[0]?.number ?? ''}`
  const run = separate
    ? `These figures come from a separate run of \`npm run bench\` (${r.startedAt}, ${r.mode} run, Ferry ${r.versions.ferry}, load average before ${load(r.machine.loadAverageBefore)}, after ${load(r.machine.loadAverageAfter)}; results: [${s.resultsLink.split('/').at(-1)}](${s.resultsLink})), on the same machine and Apache Connect ${r.versions.apacheConnect ?? '-'} set-up as above.\n\n`
    : ''
  const notes = [...problems(workloads), ...(separate ? r.notes.map((n) => `- ${n}`) : [])]
  return `## Scale: ${SCALE_WORKERS} distributed workers, ${counts} connectors (workload${workloads.length > 1 ? 's' : ''} ${numbers})

${run}Each workload starts a cluster of ${SCALE_WORKERS} distributed workers (\`connect-distributed\`, \`ferry distributed\`) of one
side, then of the other (who goes first alternates by workload), on the page's broker, and creates the connectors
through the REST API: \`FileStreamSink\` with \`tasks.max=${TASKS_PER_CONNECTOR}\` on one empty one-partition topic, a connector both
have that costs little beyond its tasks' consumers. Then a fourth worker joins, and once the tasks are balanced a
follower is SIGKILLed. Both sides get the same worker file: StringConverter, internal topics of replication factor 1
with the default partitions, \`session.timeout.ms=${SESSION_TIMEOUT_MS}\` (the broker's minimum), \`heartbeat.interval.ms=${HEARTBEAT_INTERVAL_MS}\` and
\`scheduled.rebalance.max.delay.ms=${REBALANCE_DELAY_MS}\`, so on Apache a killed worker's tasks wait about ${(SESSION_TIMEOUT_MS + REBALANCE_DELAY_MS) / 1000} s (session timeout, then the
delay) before anyone may take them. Ferry's workers keep their default \`worker.probe.interval.ms=1000\`: they find the
killed worker's REST port closed within about a second and remove it from the group, so its tasks wait for the delay
alone (see [distributed.md](distributed.md)). Each Apache worker is a JVM with \`connect-distributed.sh\`'s default
options (heap \`-Xms256M -Xmx2G\`). One round per workload.

- **Create latency**: \`POST /connectors\` until it answers 201, through the leader and through a follower (which
  forwards to the leader), one request at a time and from ${CREATE_CLIENTS} concurrent clients. The connectors are created in
  blocks of up to ${CREATE_BLOCK} that take turns between the four ways, so each way samples the cluster at every size. A 409
  (rebalance in progress) is retried after 100 ms and counted; the latency includes the retries. The leader is the
  worker the logs name (Apache's \`leaderUrl\`, Ferry's \`Joined generation N as leader\`).
- **All RUNNING**: the cluster's status topic, read by the bench as the workers read it: every connector and task has a
  RUNNING record from a live worker.
- **A worker joins**: from the new worker's REST port answering to every task RUNNING and each worker within one task
  of the others (process start → balanced is also shown). **A follower is killed**: from SIGKILL to every task
  RUNNING on the workers left. RUNNING is what each worker writes: Apache writes a sink task's RUNNING when the task
  starts, before its consumer has joined the connector's group (which waits for the dead worker's consumer until the
  consumer's \`session.timeout.ms\`, 45 s by default).
- **Restarts of tasks that should stay put**: each \`Creating task <connector>-<n>\` line in a worker's log is one
  start (both log one per start). A task that is new or ends on another worker (its latest status says which) needs
  one; every other start is counted. Goal: 0. (The status topic is no count of starts: under load Apache wrote
  RUNNING twice for one start.)
- **GET status during a rebalance**: \`GET /connectors/{c}/status\` on a follower every 100 ms, over the connectors
  in turn; percentiles of the requests sent between the rebalance's start and its end.
- **RSS**: \`VmRSS\` of each worker, the median of ${RSS_SAMPLES} samples a second apart, with no connectors and once all run; per
  task is the three workers' growth divided by the tasks (connector instances and consumers included). For Ferry,
  the rows after it say where a worker's growth is, from the soak's probe preloaded into each worker (V8's heap
  committed: young and old generation, compiled code; Buffers; the rest of the RSS is native): medians over the same
  half minute, busy less idle, averaged over the workers.

### Goals (issue 13)

${scaleGoals(workloads)}
${workloads.map((w) => workloadSection(r, w)).join('\n')}
${notes.length > 0 ? `### Notes\n\n${notes.join('\n')}\n\n` : ''}`
}

/** Issue 15's goal for the sink groups: Ferry's throughput at least this fraction of the direct client's. */
export const SINK_GOAL = 0.8

const SINK_SECTIONS: Record<SinkGroup, { heading: string; intro: string }> = {
  elasticsearch: {
    heading: 'Elasticsearch sink',
    intro:
      "Ferry's Elasticsearch sink against the limit measured in the same run: a direct `_bulk` loader, in the bench process, sending the same documents as the sink's action lines with the same `batch.size` and requests in flight. Apache Connect is not part of it (Confluent's connector is not on Maven Central). msgs/s are documents indexed per second. Details and caveats: [connectors/elasticsearch.md](connectors/elasticsearch.md#benchmark).",
  },
  s3: {
    heading: 'S3 sink',
    intro:
      "Ferry's S3 sink against the limit measured in the same run: direct PutObject uploads, from the bench process, of objects of the same records with the same `flush.size` and uploads in flight, through the sink's own client settings. Apache Connect is not part of it (Confluent's connector is not on Maven Central). S3Mock stands in for S3: both sides are timed by their objects' LastModified. Details: [connectors/s3.md](connectors/s3.md#benchmark).",
  },
}

/**
 * A group's own section: its `## heading (workload N[–M])`, the sentence naming its run when that is not the page's,
 * the intro, a goals (or ratios) table, the workloads, their profiles and notes. Used by the sink, CDC, Avro and
 * exactly-once groups.
 */
function groupSection(
  group: WorkloadGroup,
  s: SectionRun,
  separate: boolean,
  parts: {
    heading: string
    intro: string
    /** Whether the run's Apache Connect version belongs in the separate-run sentence. */
    apache: boolean
    /** The table's `### ` heading and head row, and a row per workload. */
    table: { heading: string; head: string; rows: (w: WorkloadResult) => string[] }
  },
): string {
  const r = s.results
  const workloads = r.workloads.filter((w) => groupOf(w.id) === group)
  const load = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' / ')
  const numbers =
    workloads.length > 1 ? `s ${workloads[0]!.number}–${workloads.at(-1)!.number}` : ` ${workloads[0]?.number ?? ''}`
  const run = separate
    ? `These figures come from a separate run of \`npm run bench\` (${r.startedAt}, ${r.mode} run, ${r.rounds} round${r.rounds === 1 ? '' : 's'}, Ferry ${r.versions.ferry}${parts.apache ? `, Apache Connect ${r.versions.apacheConnect ?? '-'}` : ''}, load average before ${load(r.machine.loadAverageBefore)}, after ${load(r.machine.loadAverageAfter)}; results: [${s.resultsLink.split('/').at(-1)}](${s.resultsLink})), on the same machine.\n\n`
    : ''
  const notes = [...problems(workloads), ...(separate ? r.notes.map((n) => `- ${n}`) : [])]
  return `## ${parts.heading} (workload${numbers})

${run}${parts.intro}

### ${parts.table.heading}

${parts.table.head}
${workloads.flatMap(parts.table.rows).join('\n')}

${workloads.map((w) => workloadSection(r, w)).join('\n')}
### Where the time goes

Ferry profiled with \`node --cpu-prof\` (one extra run each, after the timed rounds): self time per function, as a
share of the time the main thread was busy.

${profiles(
  r,
  r.profiles.filter((p) => groupOf(p.workload) === group),
  workloads.map((w) => w.number).join(' and '),
).replace(/^### /gm, '#### ')}
${notes.length > 0 ? `### Notes\n\n${notes.join('\n')}\n\n` : ''}`
}

/** A sink group: its own section, from its own run when that is not the page's, with issue 15's goal. */
function sinkSection(group: SinkGroup, s: SectionRun, separate: boolean): string {
  return groupSection(group, s, separate, {
    ...SINK_SECTIONS[group],
    apache: false,
    table: {
      heading: 'Goal (issue 15)',
      head: '| goal | measured (Ferry / direct) | |\n|---|---:|---|',
      rows: (w) => {
        const f = w.ratios.msgsPerSec
        const why = w.skipped.ferry ?? (w.baseline ? w.skipped[w.baseline] : undefined)
        return [
          `| ${w.number}. ${w.title}: throughput ≥ ${SINK_GOAL} of the ${RUNNER_NAMES[w.baseline ?? 'apache']} | ${f === undefined ? (why ? 'skipped' : '-') : f.toFixed(2)} | ${verdict(f === undefined ? undefined : f >= SINK_GOAL)} |`,
        ]
      },
    },
  })
}

/** Issue 17's goals for the CDC group: Ferry's events/s at least this many times Debezium's, its peak RSS at most. */
export const CDC_GOALS = { msgsPerSec: 1.5, peakRssMb: 0.2 } as const

/** The CDC group: its own section, from its own run when that is not the page's, with issue 17's goals. */
function cdcSection(s: SectionRun, separate: boolean): string {
  return groupSection('cdc', s, separate, {
    heading: 'PostgreSQL CDC',
    intro: `Ferry's PostgreSQL CDC source against Debezium's PostgreSQL connector on Apache Connect, in the same run, with the
same connector file, PostgreSQL and broker (the Apache column is Debezium on Apache Connect). Details, caveats and what
the profile says: [connectors/postgres-cdc.md](connectors/postgres-cdc.md#benchmark).`,
    apache: true,
    table: {
      heading: 'Goals (issue 17)',
      head: '| goal | measured (Ferry / Debezium) | |\n|---|---:|---|',
      rows: (w) => {
        const why = w.skipped.ferry ?? w.skipped.apache
        const row = (what: string, metric: 'msgsPerSec' | 'peakRssMb') => {
          const x = w.ratios[metric]
          const goal = CDC_GOALS[metric]
          const ok = x === undefined ? undefined : metric === 'msgsPerSec' ? x >= goal : x <= goal
          return `| ${w.number}. ${w.title}: ${what} ${metric === 'msgsPerSec' ? '≥' : '≤'} ${goal}× Debezium's | ${x === undefined ? (why ? 'skipped' : '-') : ratioLabel(x)} | ${verdict(ok)} |`
        }
        return [row('events/s', 'msgsPerSec'), row('peak RSS', 'peakRssMb')]
      },
    },
  })
}

/** The Avro group: its own section, from its own run when that is not the page's; issue 19 states no goal. */
function avroSection(s: SectionRun, separate: boolean): string {
  const ratio = (w: WorkloadResult, metric: string) => {
    const x = w.ratios[metric]
    return x === undefined ? ((w.skipped.ferry ?? w.skipped.apache) ? 'skipped' : '-') : ratioLabel(x)
  }
  return groupSection('avro', s, separate, {
    heading: 'Avro converter',
    intro: `Issue 19: Ferry's Avro converter against Apicurio Registry's Avro converter on Apache Connect, in the same run, on
the same broker and registry, with the same connectors and transformations (the Apache column is Apache Connect with
Apicurio's converter). Issue 19 states no goal: the table gives Ferry / Apache of the medians. The formats:
[formats.md](formats.md).`,
    apache: true,
    table: {
      heading: 'Ratios (issue 19)',
      head: '| workload | records/s | CPU s per million records | peak RSS |\n|---|---:|---:|---:|',
      rows: (w) => [
        `| ${w.number}. ${w.title} | ${ratio(w, 'msgsPerSec')} | ${ratio(w, 'cpuSecondsPerMillion')} | ${ratio(w, 'peakRssMb')} |`,
      ],
    },
  })
}

/**
 * The exactly-once group: its own section, from its own run when that is not the page's. Issue 18 states no goal: the
 * table gives each engine's cost of exactly-once (enabled / disabled) and Ferry / Apache with it enabled.
 */
function eosSection(s: SectionRun, separate: boolean): string {
  const r = s.results
  const workloads = r.workloads.filter((w) => groupOf(w.id) === 'eos')
  const costs = eosCosts(r)
  const cellOf = (x: number | undefined) => (x === undefined ? '-' : ratioLabel(x))
  const both = (id: string, how: string) => {
    const w = workloads.find((x) => x.id === id)
    return `| Ferry / Apache Connect, both ${how} | ${EOS_COST_METRICS.map((m) => cellOf(w?.ratios[m])).join(' | ')} |`
  }
  const rows = [
    ...(['apache', 'ferry'] as const).map(
      (e) =>
        `| ${RUNNER_NAMES[e]}: enabled / disabled (the cost of exactly-once) | ${EOS_COST_METRICS.map((m) => cellOf(costs[e]?.[m])).join(' | ')} |`,
    ),
    both('eos-on', 'enabled'),
    both('eos-off', 'disabled'),
  ]
  return groupSection('eos', s, separate, {
    heading: 'Exactly-once source support',
    intro: `Issue 18: what \`exactly.once.source.support=enabled\` (KIP-618) costs Apache Connect and Ferry, each measured
against itself with the support disabled, in the same run, on the same broker, lines file and connector config. A
cost below 1× for records/s (above 1× for CPU) is the price of the transactions. How Ferry does exactly-once:
[distributed.md](distributed.md#exactly-once-source-support-kip-618).`,
    apache: true,
    table: {
      heading: 'Ratios (issue 18)',
      head: '| | records/s | CPU s per million records | peak RSS |\n|---|---:|---:|---:|',
      rows: (w) => (w === workloads.at(-1) ? rows : []),
    },
  })
}

/** The sink failover group (issue 13): its own section, from its own run when that is not the page's. */
function failoverSection(s: SectionRun, separate: boolean): string {
  const r = s.results
  const w = r.workloads.find((x) => groupOf(x.id) === 'failover')
  if (!w) return ''
  const load = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' / ')
  const run = separate
    ? `These figures come from a separate run of \`npm run bench\` (${r.startedAt}, ${r.mode} run, Ferry ${r.versions.ferry}, Apache Connect ${r.versions.apacheConnect ?? '-'}, load average before ${load(r.machine.loadAverageBefore)}, after ${load(r.machine.loadAverageAfter)}; results: [${s.resultsLink.split('/').at(-1)}](${s.resultsLink})), on the same machine.\n\n`
    : ''
  const runners = w.runners.filter((x) => w.summary[x])
  const m = (x: Runner, k: string) => w.summary[x]?.[k]?.median
  const kills = Object.keys(METRICS).filter(
    (k) => /^kill\d+PauseSeconds$/.test(k) && runners.some((x) => m(x, k) !== undefined),
  )
  const row = (label: string, f: (x: Runner) => string) => `| ${label} | ${runners.map(f).join(' | ')} |`
  const secs = (x: number | undefined) => (x === undefined ? '-' : `${num(x, 1)} s`)
  const table = [
    `| | ${runners.map((x) => RUNNER_NAMES[x]).join(' | ')} |`,
    `|---|${runners.map(() => '---:').join('|')}|`,
    row('**longest delivery pause**', (x) => `**${secs(m(x, 'longestPauseSeconds'))}**`),
    row('pause per kill', (x) => kills.map((k) => secs(m(x, k))).join(', ')),
    row('pause before the first kill', (x) => secs(m(x, 'quietPauseSeconds'))),
    row('lost', (x) => num(m(x, 'lost') ?? Number.NaN, 0)),
    row('delivered again', (x) => num(m(x, 'duplicated') ?? Number.NaN, 0)),
    row('longest pause / Apache', (x) => {
      const a = m('apache', 'longestPauseSeconds')
      const v = m(x, 'longestPauseSeconds')
      return a && v !== undefined ? ratioLabel(v / a) : '-'
    }),
  ]
  const notes = problems([w])
  return `## Sink failover (workload ${w.number})

${run}Issue 13: a sink task moved off a dead worker should not wait out the dead consumer's session. Three clusters in the
same run, on the same broker, one after the other: Apache Connect, Ferry (each sink task's consumer a static member,
its default) and Ferry with \`sink.task.static.membership=false\` (dynamic members, as Apache's). Each is
${SCALE_WORKERS} distributed workers with the scale group's worker file (\`session.timeout.ms\` ${SESSION_TIMEOUT_MS},
\`heartbeat.interval.ms\` ${HEARTBEAT_INTERVAL_MS}, \`scheduled.rebalance.max.delay.ms\` ${REBALANCE_DELAY_MS}; Ferry's
\`worker.probe.interval.ms\` at its default) running one FileStreamSink with one task per partition; the sink
consumers keep the consumer default \`session.timeout.ms\` (45 s), what users get. The bench writes numbered records
at a steady rate and reads the sink's file as it grows, every 50 ms. **A pause** is a time during which a record of a
partition had been written and none of that partition's records reached the file; a kill's pause is the longest pause
of any partition that ended between that kill and the next (or the end of the run), which takes in the restart of the
killed worker too. How Ferry takes a sink task over: [distributed.md](distributed.md).

${table.join('\n')}

${workloadSection(r, w)}
${notes.length > 0 ? `### Notes\n\n${notes.join('\n')}\n\n` : ''}`
}

/** Where each worker's memory is, first settled window → last (MiB), for soak runs that recorded it; else ''. */
function memoryBreakdown(r: SoakResults): string {
  const workers = r.workers.filter((w) => w.memory)
  if (workers.length === 0) return ''
  const g = (x: Growth | undefined) => (x ? `${num(x.first.median, 1)} → ${num(x.last.median, 1)}` : '-')
  return `Where the memory is (the probe's \`process.memoryUsage()\` and \`v8.getHeapSpaceStatistics()\`, medians of the
same windows, MiB): the heap's committed size, its young generation (both semi-spaces; V8 commits one or both as the
allocation rate changes) and old generation, and Buffers outside the heap. RSS beyond these is native: code,
stacks, malloc.

| worker | heap committed | young generation | old generation | Buffers |
|---|---:|---:|---:|---:|
${workers.map((w) => `| ${w.name} | ${g(w.memory!.heapTotal)} | ${g(w.memory!.newSpace)} | ${g(w.memory!.oldSpace)} | ${g(w.memory!.external)} |`).join('\n')}

`
}

/** The newest soak run: each worker's RSS and event-loop delay, first settled window against the last. */
function soakSection(soak: { results: SoakResults; resultsLink: string }): string {
  const r = soak.results
  const g = (x: Growth | undefined, digits: number) =>
    x
      ? `${num(x.first.median, digits)} | ${num(x.last.median, digits)} | ${x.growth >= 0 ? '+' : ''}${num(x.growth * 100, 1)} %`
      : '- | - | -'
  const minutes = r.durationMinutes >= 120 ? `${num(r.durationMinutes / 60, 1)} h` : `${num(r.durationMinutes, 1)} min`
  const load = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' / ')
  return `## Soak

\`npm run soak\` (scripts/soak): ${minutes} of steady load on Ferry ${r.versions.ferry}, ${r.startedAt}, load average
before ${load(r.machine.loadAverageBefore)}, after ${load(r.machine.loadAverageAfter)}; results:
[${soak.resultsLink.split('/').at(-1)}](${soak.resultsLink}). One standalone worker and a cluster of two distributed
workers each run two pipelines: a file source → topic → file sink of 100-byte lines, and a file source of JSON
envelopes → topic → JsonConverter with schemas + the three transforms of workload 3 → file sink. The soak appends
**${num(r.ratePerPipeline, 0)} records/s** to each pipeline's source file (${num(r.ratePerPipeline * r.pipelines.length, 0)} records/s in all) and every ${num(r.sampleSeconds, 0)} s samples
each worker's RSS (\`/proc\`) and, through a probe preloaded into the worker (\`node --import\`), its event-loop delay
(\`perf_hooks.monitorEventLoopDelay\`, p99 per interval) and heap. Growth compares the medians of the first settled
window (${num(r.windows.windowSeconds, 0)} s from ${num(r.windows.settledFromSeconds, 0)} s, after the warm-up) and the last window (the final ${num(r.windows.windowSeconds, 0)} s). The
soak fails when an RSS grows ${r.limitPercent} % or more, when an event-loop p99 grows ${r.limitPercent} % and by 5 ms or more, or when a sink
misses a line.${r.startedAt < TS_PROBE_BEFORE ? ' In this run the probe was a TypeScript file, which made Node load its type stripper into each worker: about 20 MiB of every RSS below is the probe’s (the growth is not affected); since then it is plain JavaScript.' : ''}

| worker | RSS first, MiB | RSS last, MiB | RSS growth | event-loop p99 first, ms | last, ms | growth | heap first, MiB | last, MiB | growth | peak RSS, MiB | CPU s |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${r.workers.map((w) => `| ${w.name} | ${g(w.rss, 1)} | ${g(w.lagP99, 2)} | ${g(w.heapUsed, 1)} | ${num(w.peakRssMb, 0)} | ${num(w.cpuSeconds, 1)} |`).join('\n')}

${memoryBreakdown(r)}| pipeline | lines written | lines out of the sink |
|---|---:|---:|
${r.pipelines.map((p) => `| ${p.name} | ${num(p.written, 0)} | ${num(p.delivered, 0)} |`).join('\n')}

**${r.ok ? 'Passed' : 'Failed'}**${r.ok ? `: no growth of ${r.limitPercent} % or more, every line delivered.` : `: ${r.failures.join('; ')}.`}
${(r.notes ?? []).length > 0 ? `\nNotes: ${(r.notes ?? []).join('; ')}.\n` : ''}
`
}

/** Soak runs started before this preloaded a TypeScript probe (Node's type stripper, ~20 MiB of RSS). */
const TS_PROBE_BEFORE = '2026-12-04T13:00:00Z'

export function renderReport(results: BenchResults, links: ReportOptions): string {
  const m = results.machine
  const v = results.versions
  const load = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' / ')
  const plain = results.workloads.filter((w) => groupOf(w.id) === 'plain')
  const samples = outputSamples(plain)
  const notes = problems(plain)
  const secured = links.secured && hasSecuredWorkloads(links.secured.results) ? links.secured : undefined
  const securedText = secured
    ? securedSection(secured.results, {
        resultsLink: secured.resultsLink,
        chartLink: secured.chartLink,
        separate: secured.results !== results,
        history: links.history ?? [],
      })
    : ''
  const scale = links.scale && hasGroup(links.scale.results, 'scale') ? links.scale : undefined
  const scaleText = scale ? scaleSection(scale, scale.results !== results) : ''
  const sinks = (Object.keys(SINK_GROUPS) as SinkGroup[]).flatMap((g) => {
    const s = links.sinks?.[g]
    return s && hasGroup(s.results, g) ? [{ group: g, s }] : []
  })
  const sinksText = sinks.map(({ group, s }) => sinkSection(group, s, s.results !== results)).join('')
  const cdc = links.cdc && hasGroup(links.cdc.results, 'cdc') ? links.cdc : undefined
  const cdcText = cdc ? cdcSection(cdc, cdc.results !== results) : ''
  const avro = links.avro && hasGroup(links.avro.results, 'avro') ? links.avro : undefined
  const avroText = avro ? avroSection(avro, avro.results !== results) : ''
  const eos = links.eos && hasGroup(links.eos.results, 'eos') ? links.eos : undefined
  const eosText = eos ? eosSection(eos, eos.results !== results) : ''
  const failover = links.failover && hasGroup(links.failover.results, 'failover') ? links.failover : undefined
  const failoverText = failover ? failoverSection(failover, failover.results !== results) : ''
  const apart = [
    secured && secured.results !== results ? 'the secured workloads 8–11' : undefined,
    scale && scale.results !== results ? 'the scale group' : undefined,
    sinks.some(({ s }) => s.results !== results) ? 'the sink groups' : undefined,
    cdc && cdc.results !== results ? 'the CDC group' : undefined,
    avro && avro.results !== results ? 'the Avro group' : undefined,
    eos && eos.results !== results ? 'the exactly-once group' : undefined,
    failover && failover.results !== results ? 'the sink failover group' : undefined,
  ].filter((x) => x !== undefined)

  return `# Benchmarks: Ferry and Apache Kafka Connect side by side

<!-- Generated by scripts/bench (npm run bench) from ${links.resultsLink}; edits here are overwritten. -->

Every figure comes from one run of \`npm run bench\` in which Apache Kafka Connect and Ferry ran the same workloads
with the same worker and connector config files against the same local broker, alternating over ${results.rounds}
round${results.rounds === 1 ? '' : 's'}${apart.length > 0 ? ` (${apart.length > 1 ? `${apart.slice(0, -1).join(', ')} and ${apart.at(-1)}` : apart[0]} from ${apart.length > 1 ? 'runs' : 'a run'} of their own, named in their section)` : ''}. The machine is shared and noisy, so read the **ratios**; absolute numbers
move from run to run. Cells show the median and, in brackets, the lowest and highest round.

![Ferry / Apache ratios](${links.chartLink})

## Run

| | |
|---|---|
| date | ${results.startedAt} (${results.mode} run, ${results.rounds} round${results.rounds === 1 ? '' : 's'}) |
| machine | ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os} |
| load average (1/5/15 min) | before ${load(m.loadAverageBefore)}, after ${load(m.loadAverageAfter)} |
| Node.js (Ferry) | ${v.node} |
| Java (Apache Connect, perf tools) | ${v.java ?? '-'} |
| Kafka broker and clients | ${v.kafka} |
| Apache Kafka Connect | ${v.apacheConnect ?? '-'} (connect-runtime, connect-json, connect-transforms from Maven Central; connect-file ${v.connectFile ?? '-'}, see below) |
| Ferry | ${v.ferry} |
| broker | ${results.broker.startedByBench ? (results.broker.settings ?? 'started by the bench') : `existing broker ${results.broker.bootstrap}`} |

Apache Connect runs with the JVM options \`bin/connect-standalone.sh\` and \`bin/kafka-run-class.sh\` use when no
\`KAFKA_*_OPTS\` are set, i.e. its **default heap \`-Xms256M -Xmx2G\`**: \`${results.apache.jvmOptions.join(' ')}\`,
log4j2 at INFO to the console (as \`connect-log4j2.yaml\`), \`plugin.discovery\` left at its default
(\`hybrid_warn\`), connect-file on \`plugin.path\` as in Apache's quickstart. The perf tools get
\`kafka-*-perf-test.sh\`'s \`${results.apache.perfToolJvmOptions[0]}\`. Nothing is tuned on either side: both workers
get the same worker file (StringConverter or JsonConverter, \`offset.flush.interval.ms=10000\` as in Apache's sample
config, a \`listeners=http://127.0.0.1:<free port>\` each) and the connectors' defaults (\`batch.size\` 2000 for the
file source, Connect's producer and consumer defaults).

connect-file ${v.apacheConnect ?? ''} is not on Maven Central (Apache published connect-runtime, connect-json and
connect-transforms ${v.apacheConnect ?? ''}, but not connect-file), so the bench uses connect-file ${v.connectFile ?? '-'},
the newest there. Its connectors call \`AppInfoParser.getVersion()\`, a class that moved to
\`org.apache.kafka.common.utils.internals\` in 4.4.0; a two-method shim class compiled by the bench forwards the old name
(the only class the 4.3.1 connectors use that 4.4.0 moved).

## How it is measured

- Each run starts a fresh worker process and measures it from outside: the topic's end offsets (workloads 1, 5), the
  sink's output file (2, 3), the rows of the sink's PostgreSQL table (7), \`GET /health\` and \`GET /connectors?expand=status\` on its REST API, and
  \`/proc/<pid>\` for CPU (user + system, all threads) and memory.
- **msgs/s and MiB/s** (MiB = 2²⁰ bytes, as the perf tools print) count from the first poll that saw a record to the
  poll that saw the last one, so the worker's start-up is not part of them; **CPU s per million records** is the CPU
  the worker used in that same window. **Peak RSS** is \`VmHWM\` when the last record arrived, so it includes
  start-up (Apache's plugin scanning allocates much of its peak before the first record).
- **Start-up** is process start until \`GET /health\` answers 200, and separately until the first record of a small
  file source is in its topic.
- **Idle RSS** is the median \`VmRSS\` over the second half of a ${results.mode === 'quick' ? 'short' : '20 s'} idle period after all 10 connectors report RUNNING.
- Apache and Ferry alternate who goes first in each round. Each sink run is a new connector name, so a new consumer
  group that reads the prepared topic from the beginning.

## Results

${plain.length > 0 ? plain.map((w) => workloadSection(results, w)).join('\n') : '_Workloads 1–7 were not part of this run._\n'}
${securedText}${scaleText}${sinksText}${cdcText}${avroText}${eosText}${failoverText}${links.soak ? soakSection(links.soak) : ''}## Targets (issues 7 and 8)

${targets(results)}
${history(results, links.history ?? [])}## Where the time goes

Ferry profiled with \`node --cpu-prof\` on workloads 1 and 2 (one extra run each, after the timed rounds): self time
per function, as a share of the time the main thread was busy.

${profiles(
  results,
  results.profiles.filter((p) => groupOf(p.workload) === 'plain'),
  '1 and 2',
)}
${samples.length > 0 ? `## Output check\n\nThe first line each sink wrote:\n\n${samples.join('\n')}\n\n` : ''}${
  notes.length + results.notes.length > 0
    ? `## Notes\n\n${[...notes, ...results.notes.map((n) => `- ${n}`)].join('\n')}\n\n`
    : ''
}## Running it

\`\`\`sh
npm run bench                      # full run: 1,000,000 records, ${results.mode === 'full' ? results.rounds : 3} rounds, profiles, rewrites this page
npm run bench -- --quick           # smoke run of everything on small data (results file only)
npm run bench -- --rounds 5        # more rounds
npm run bench -- --only ferry --workloads source,sink --no-profile
npm run bench -- --workloads source-sasl-lz4,source-sasl-zstd,json-sasl-lz4,json-sasl-zstd   # only 8–11
npm run bench -- --workloads scale # the scale group, 100/300/1,000 connectors (about an hour; not in the default set)
npm run bench -- --workloads scale --scale-connectors 20 --only ferry   # a small one, one side
npm run bench -- --workloads elasticsearch,s3   # only the sink groups (15–17): Ferry's sinks against direct clients
npm run bench -- --workloads cdc --cdc-rows 100000   # the CDC group (20, 21): postgres-cdc against Debezium (not in the default set)
npm run bench -- --workloads avro --records 200000   # the Avro group (22, 23): AvroConverter against Apicurio's (not in the default set)
npm run bench -- --workloads eos --records 200000    # the exactly-once group (24, 25): EOS off and on, per engine (not in the default set)
npm run bench -- --workloads failover   # the sink failover group (26): the longest sink pause under kill -9 (not in the default set)
npm run soak -- --minutes 15       # the soak (or --hours N); rewrites this page when it ran 15 minutes or more
npm run bench -- --report bench/results/<file>.json   # rewrite this page and the chart from a results file
                                   # (a run without workloads 1-7 replaces only its own groups' sections)
\`\`\`

A run with any of workloads 1–7 rewrites the page from its results; a run of only 8–11, the scale group, the sink
groups, the CDC group, the Avro group, the exactly-once group or the sink failover group rewrites those sections and
keeps the rest from the latest full run with workloads 1–7, and a run without 8–11, the scale group, a sink group, the
CDC group, the Avro group, the exactly-once group or the sink failover group keeps their
sections from the latest full run that had them. The soak section is the newest
\`bench/results/soak-*.json\`.

Needs Java 17+ (a JDK: the bench compiles the connect-file shim with javac) and Maven; the Apache jars go to
\`.cache/bench/\`. Results: \`bench/results/<timestamp>.json\` and \`.svg\`. Workload 7 needs PostgreSQL
(\`FERRY_BENCH_POSTGRES_URL\`, default \`jdbc:postgresql://127.0.0.1:5432/test\`, user \`FERRY_BENCH_POSTGRES_USER\` or
\`postgres\`) and fetches the Debezium JDBC sink with Maven into \`.cache/bench/\` too; without them it is skipped with a
note saying why. Workloads 8–11 start their own secured broker (openssl and keytool make its certificates), also
with \`--bootstrap-server\`. The sink groups start their servers from Maven Central jars (one OpenSearch 2 node through
scripts/search/harness.ts, S3Mock through scripts/s3mock/harness.ts) on the page's broker; a server that cannot start
skips its group with a note saying why. The CDC group starts its own PostgreSQL with \`wal_level=logical\`
(scripts/postgres/harness.ts: the server binaries under \`/usr/lib/postgresql/<major>/bin\` or \`FERRY_PG_BIN\`) and
fetches Debezium's PostgreSQL connector with Maven into \`.cache/\`. The Avro group starts its own Apicurio Registry
(scripts/apicurio/harness.ts, from Maven Central) on the page's broker and fetches Apicurio's converter for Apache
Connect with Maven into \`.cache/bench/\`. The exactly-once group runs \`connect-distributed\` and \`ferry distributed\`
on the page's broker, each run with a group and internal topics of its own, and so does the sink failover group.
`
}
