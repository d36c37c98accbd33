/** A small hand-written SVG chart of the results (no browser, no dependencies). */
import {
  AVRO_WORKLOAD_IDS,
  type BenchResults,
  CDC_WORKLOAD_IDS,
  EOS_WORKLOAD_IDS,
  isScale,
  SECURED_WORKLOAD_IDS,
  type WorkloadResult,
} from './results.ts'

export interface RatioRow {
  workload: WorkloadResult
  metric: string
  label: string
  better: 'higher' | 'lower'
  target?: number
}

/** The Ferry/Apache ratios the chart and the targets table show. */
export const CHART_METRICS: Record<string, Array<Omit<RatioRow, 'workload'>>> = {
  source: [
    { metric: 'msgsPerSec', label: 'msgs/s', better: 'higher', target: 1.5 },
    { metric: 'cpuSecondsPerMillion', label: 'CPU s per M records', better: 'lower' },
    { metric: 'peakRssMb', label: 'peak RSS', better: 'lower', target: 0.2 },
  ],
  sink: [
    { metric: 'msgsPerSec', label: 'msgs/s', better: 'higher', target: 1.5 },
    { metric: 'cpuSecondsPerMillion', label: 'CPU s per M records', better: 'lower' },
    { metric: 'peakRssMb', label: 'peak RSS', better: 'lower', target: 0.2 },
  ],
  json: [
    { metric: 'msgsPerSec', label: 'msgs/s', better: 'higher', target: 1.5 },
    { metric: 'cpuSecondsPerMillion', label: 'CPU s per M records', better: 'lower' },
    { metric: 'peakRssMb', label: 'peak RSS', better: 'lower', target: 0.2 },
  ],
  idle: [{ metric: 'idleRssMb', label: 'idle RSS', better: 'lower', target: 0.2 }],
  startup: [
    { metric: 'healthSeconds', label: 'time to /health 200', better: 'lower', target: 0.2 },
    { metric: 'firstRecordSeconds', label: 'time to first record', better: 'lower' },
  ],
  jdbc: [
    { metric: 'msgsPerSec', label: 'msgs/s', better: 'higher', target: 1 },
    { metric: 'cpuSecondsPerMillion', label: 'CPU s per M records', better: 'lower' },
    { metric: 'peakRssMb', label: 'peak RSS', better: 'lower' },
  ],
  ...Object.fromEntries(
    CDC_WORKLOAD_IDS.map((id) => [
      id,
      [
        { metric: 'msgsPerSec', label: 'events/s', better: 'higher' as const, target: 1.5 },
        { metric: 'cpuSecondsPerMillion', label: 'CPU s per M events', better: 'lower' as const },
        { metric: 'peakRssMb', label: 'peak RSS', better: 'lower' as const, target: 0.2 },
      ],
    ]),
  ),
  ...Object.fromEntries(
    [...AVRO_WORKLOAD_IDS, ...EOS_WORKLOAD_IDS].map((id) => [
      id,
      [
        { metric: 'msgsPerSec', label: 'records/s', better: 'higher' as const },
        { metric: 'cpuSecondsPerMillion', label: 'CPU s per M records', better: 'lower' as const },
        { metric: 'peakRssMb', label: 'peak RSS', better: 'lower' as const },
      ],
    ]),
  ),
  'sink-failover': [{ metric: 'longestPauseSeconds', label: 'longest delivery pause', better: 'lower' as const }],
  ...Object.fromEntries(
    SECURED_WORKLOAD_IDS.map((id) => [
      id,
      [
        { metric: 'msgsPerSec', label: 'msgs/s', better: 'higher' as const },
        { metric: 'peakRssMb', label: 'peak RSS', better: 'lower' as const },
      ],
    ]),
  ),
}

/** The scale group's rows (its workload ids carry the connector count); ▲ marks issue 13's goals. */
export const SCALE_CHART_METRICS: Array<Omit<RatioRow, 'workload'>> = [
  { metric: 'createLeaderP50Ms', label: 'create via the leader p50', better: 'lower' },
  { metric: 'createFollowerP50Ms', label: 'create via a follower p50', better: 'lower' },
  { metric: 'joinSeconds', label: 'worker joins → balanced', better: 'lower', target: 0.5 },
  { metric: 'killSeconds', label: 'worker killed → all RUNNING', better: 'lower', target: 0.5 },
  { metric: 'rssPerTaskMb', label: 'RSS per task', better: 'lower', target: 0.1 },
]

function chartMetrics(w: WorkloadResult): Array<Omit<RatioRow, 'workload'>> {
  return CHART_METRICS[w.id] ?? (isScale(w.id) ? SCALE_CHART_METRICS : [])
}

function shortName(w: WorkloadResult): string {
  return SHORT[w.id] ?? (isScale(w.id) ? `${w.number}. scale, ${w.id.slice('scale-'.length)} connectors` : w.title)
}

/** Short workload names for the chart's row labels. */
const SHORT: Record<string, string> = {
  source: '1. file source → topic',
  sink: '2. topic → file sink',
  json: '3. JSON + 3 transforms',
  idle: '4. idle, 10 connectors',
  startup: '5. start-up',
  jdbc: '7. topic → PostgreSQL upsert',
  'source-sasl-lz4': '8. file source, SASL_SSL + lz4',
  'source-sasl-zstd': '9. file source, SASL_SSL + zstd',
  'json-sasl-lz4': '10. JSON + transforms, SASL_SSL + lz4',
  'json-sasl-zstd': '11. JSON + transforms, SASL_SSL + zstd',
  'eos-off': '24. file source, distributed, EOS disabled',
  'eos-on': '25. file source, distributed, EOS enabled',
  'sink-failover': '26. sink failover under kill -9',
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

const GOOD = '#2e7d32'
const BAD = '#c62828'
const GREY = '#9e9e9e'
const INK = '#212121'
const FAMILY = 'font-family="Helvetica, Arial, sans-serif"'
const FONT = `${FAMILY} font-size="12"`

export function ratioLabel(r: number): string {
  return r >= 10 ? `${r.toFixed(0)}×` : r >= 1 ? `${r.toFixed(2)}×` : `${r.toFixed(3)}×`
}

export function renderChart(results: BenchResults): string {
  const width = 960
  const labelW = 330
  const plotX = labelW + 10
  const plotW = width - plotX - 70
  const rowH = 24
  const lines: string[] = []
  let y = 20

  lines.push(
    `<text x="${width / 2}" y="${y}" text-anchor="middle" ${FAMILY} font-size="15" font-weight="bold" fill="${INK}">Ferry / Apache Kafka Connect ${esc(results.versions.apacheConnect ?? '')} (median of ${results.rounds} round${results.rounds === 1 ? '' : 's'}, ${results.mode} run, ${results.machine.cores} cores)</text>`,
  )
  y += 22
  lines.push(
    `<text x="${width / 2}" y="${y}" text-anchor="middle" ${FONT} fill="#555">Green: Ferry better than Apache. Log scale; ▲ marks the issue's target.</text>`,
  )
  y += 18

  // ---- panel 1: ratios on a log axis
  const lo = Math.log10(0.02)
  const hi = Math.log10(50)
  const xOf = (r: number) => plotX + ((Math.log10(Math.min(50, Math.max(0.02, r))) - lo) / (hi - lo)) * plotW
  const rows: RatioRow[] = []
  for (const w of results.workloads) for (const m of chartMetrics(w)) rows.push({ workload: w, ...m })
  const top = y + 10
  const bottom = top + rows.length * rowH
  for (const tick of [0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50]) {
    const x = xOf(tick)
    lines.push(
      `<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${bottom}" stroke="${tick === 1 ? '#616161' : '#e0e0e0'}" stroke-width="${tick === 1 ? 1.5 : 1}"/>`,
      `<text x="${x}" y="${bottom + 14}" text-anchor="middle" ${FONT} fill="#555">${tick}×</text>`,
    )
  }
  rows.forEach((row, i) => {
    const cy = top + i * rowH + rowH / 2
    const wl = row.workload
    const arrow = row.better === 'higher' ? '↑' : '↓'
    lines.push(
      `<text x="${labelW}" y="${cy + 4}" text-anchor="end" ${FONT} fill="${INK}">${esc(shortName(wl))} · ${esc(row.label)} ${arrow}</text>`,
    )
    const r = wl.ratios[row.metric]
    if (r === undefined) {
      const why = wl.skipped.ferry ? 'Ferry skipped' : wl.skipped.apache ? 'Apache skipped' : 'no data'
      lines.push(`<text x="${xOf(1) + 6}" y="${cy + 4}" ${FONT} fill="${GREY}">${esc(why)}</text>`)
      return
    }
    const good = row.better === 'higher' ? r >= 1 : r <= 1
    const x1 = xOf(1)
    const x2 = xOf(r)
    lines.push(
      `<rect x="${Math.min(x1, x2)}" y="${cy - 7}" width="${Math.max(1, Math.abs(x2 - x1))}" height="14" fill="${good ? GOOD : BAD}" rx="2"/>`,
      `<text x="${x2 + (x2 >= x1 ? 5 : -5)}" y="${cy + 4}" text-anchor="${x2 >= x1 ? 'start' : 'end'}" ${FONT} fill="${INK}">${ratioLabel(r)}</text>`,
    )
    if (row.target !== undefined) {
      const tx = xOf(row.target)
      lines.push(`<path d="M${tx - 5},${cy + 11} L${tx + 5},${cy + 11} L${tx},${cy + 4} Z" fill="${INK}"/>`)
    }
  })
  y = bottom + 40

  // ---- panel 2: fraction of the perf-tool ceiling
  const ceilingRows = results.workloads.filter((w) => w.ceilingFraction)
  if (ceilingRows.length > 0) {
    lines.push(
      `<text x="${width / 2}" y="${y}" text-anchor="middle" ${FAMILY} font-size="14" font-weight="bold" fill="${INK}">Throughput as a fraction of the broker's perf tools (▲ target 0.7)</text>`,
    )
    y += 14
    const cTop = y
    const entries = ceilingRows.flatMap((w) =>
      (['apache', 'ferry'] as const).map((engine) => ({ w, engine, f: w.ceilingFraction?.[engine] })),
    )
    const max = Math.max(1.2, Math.ceil(Math.max(...entries.map((e) => e.f ?? 0)) * 5) / 5)
    const xc = (f: number) => plotX + (Math.min(max, Math.max(0, f)) / max) * plotW
    const cBottom = cTop + entries.length * rowH
    const step = max > 3 ? 1 : max > 1.6 ? 0.4 : 0.2
    for (let tick = 0; tick <= max + 1e-9; tick = Math.round((tick + step) * 10) / 10) {
      const x = xc(tick)
      lines.push(
        `<line x1="${x}" y1="${cTop}" x2="${x}" y2="${cBottom}" stroke="${tick === 1 ? '#616161' : '#e0e0e0'}"/>`,
        `<text x="${x}" y="${cBottom + 14}" text-anchor="middle" ${FONT} fill="#555">${tick}</text>`,
      )
    }
    entries.forEach(({ w, engine, f }, i) => {
      const cy = cTop + i * rowH + rowH / 2
      const tool = w.id === 'source' ? 'producer-perf-test' : 'consumer-perf-test'
      lines.push(
        `<text x="${labelW}" y="${cy + 4}" text-anchor="end" ${FONT} fill="${INK}">${esc(SHORT[w.id] ?? w.title)} · ${engine === 'ferry' ? 'Ferry' : 'Apache'} / ${tool}</text>`,
      )
      if (f === undefined) {
        lines.push(`<text x="${xc(0) + 6}" y="${cy + 4}" ${FONT} fill="${GREY}">no data</text>`)
        return
      }
      lines.push(
        `<rect x="${xc(0)}" y="${cy - 7}" width="${Math.max(1, xc(f) - xc(0))}" height="14" fill="${engine === 'ferry' ? '#1565c0' : '#ef6c00'}" rx="2"/>`,
        `<text x="${xc(f) + 5}" y="${cy + 4}" ${FONT} fill="${INK}">${f.toFixed(2)}</text>`,
        `<path d="M${xc(0.7) - 5},${cy + 11} L${xc(0.7) + 5},${cy + 11} L${xc(0.7)},${cy + 4} Z" fill="${INK}"/>`,
      )
    })
    y = cBottom + 30
  }

  const height = y
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">
<title>Ferry / Apache Kafka Connect benchmark ratios, ${esc(results.startedAt)}</title>
<rect width="100%" height="100%" fill="#ffffff"/>
${lines.join('\n')}
</svg>
`
}
