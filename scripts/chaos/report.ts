/** The shape of `chaos/results/<timestamp>.json`, and its rendering as text (stdout) and Markdown (docs/reliability.md). */
import type { ZombieRecord } from './faults.ts'
import type { Counts, PipelineSummary } from './ledger.ts'
import type { RestStats } from './rest.ts'

export interface ChaosResults {
  schema: 1
  /** The command that replays this run. */
  command: string
  seed: number
  durationMs: number
  /** Records written per second per pipeline. */
  rate: number
  startedAt: string
  finishedAt: string
  machine: { cores: number; cpuModel: string; loadAverageBefore: number[]; loadAverageAfter: number[] }
  versions: { node: string; kafka: string; ferry: string }
  /** The worker keys that shape failover. */
  workerSettings: Record<string, string>
  phases: Array<{ name: string; start: number; end: number; faults: string[] }>
  pipelines: PipelineSummary[]
  zombies: ZombieRecord[]
  rest: RestStats
  /** What each fault did, in order (epoch ms). */
  events: Array<{ time: number; text: string }>
  /** The pipelines' connector and task states at the end. */
  finalStates: Record<string, string[]>
  /** Peak resident memory of the chaos harness itself (not the workers or brokers), MiB. */
  harnessPeakRssMb: number
  failures: string[]
}

/** Phases of the same name (a mixed pair may come twice) merged: counts added, the longest pause kept. */
export function byFault(summary: PipelineSummary): Array<Counts & { phase: string }> {
  const out = new Map<string, Counts & { phase: string }>()
  for (const p of summary.phases) {
    const seen = out.get(p.phase)
    if (!seen) {
      out.set(p.phase, { ...p })
      continue
    }
    seen.written += p.written
    seen.delivered += p.delivered
    seen.lost += p.lost
    seen.duplicated += p.duplicated
    if (p.longestPauseS > seen.longestPauseS) {
      seen.longestPauseS = p.longestPauseS
      seen.longestPauseAt = p.longestPauseAt
    }
  }
  return [...out.values()]
}

function pad(cells: string[][]): string {
  const widths = cells[0]?.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length))) ?? []
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '))
    .join('\n')
}

const pipelineRow = (name: string, c: Counts): string[] => [
  name,
  String(c.written),
  String(c.lost),
  String(c.duplicated),
  c.longestPauseS.toFixed(1),
]

/** The report printed at the end of a run. */
export function renderText(r: ChaosResults): string {
  const lines: string[] = [`chaos run, seed ${r.seed} (replay: ${r.command})`, '']
  for (const p of r.pipelines) {
    lines.push(`pipeline ${p.pipeline} (${p.guarantee}):`)
    lines.push(
      pad([
        ['phase', 'written', 'lost', 'duplicated', 'longest pause (s)'],
        ...byFault(p).map((c) => pipelineRow(c.phase, c)),
        pipelineRow('whole run', p),
      ]),
    )
    if (p.unexpected) lines.push(`  ${p.unexpected} delivered records were never written`)
    if (p.lost) lines.push(`  lost, first ones: ${p.lostSample.join(', ')}`)
    lines.push('')
  }
  for (const z of r.zombies) lines.push(`zombie ${zombieLine(z)}`)
  lines.push(
    `REST: ${r.rest.calls} calls; ${Object.entries(r.rest.byCallAndStatus)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')}`,
  )
  for (const p of r.rest.problems) lines.push(`  REST problem: ${p.call} on ${p.worker} → ${p.status} ${p.body}`)
  lines.push(`harness peak RSS ${r.harnessPeakRssMb.toFixed(0)} MiB`)
  lines.push(r.failures.length ? `FAILED:\n${r.failures.map((f) => `  ${f}`).join('\n')}` : verdict(r))
  return lines.join('\n')
}

/** A run without failures: nothing lost, and with exactly-once pipelines nothing duplicated either. */
function verdict(r: ChaosResults): string {
  return r.pipelines.some((p) => p.guarantee === 'exactly-once') ? 'nothing lost or duplicated' : 'nothing lost'
}

function zombieLine(z: ZombieRecord): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`
  const moved =
    z.tasksMovedAt === null ? 'its source task did not move' : `task moved ${s(z.tasksMovedAt - z.frozenAt)}`
  const stopped = z.stoppedWorkAt === null ? 'never logged stopping' : `stopped ${s(z.stoppedWorkAt - z.resumedAt)}`
  return `${z.worker} (${z.ownerOf} source): frozen ${s(z.resumedAt - z.frozenAt)}, ${moved}, still owned at SIGCONT: ${z.stillOwned.length ? z.stillOwned.join(' ') : 'nothing'}; after SIGCONT ${stopped}, wrote ${z.fileSinkLines} file sink lines, ${z.jdbcSinkRows ?? '?'} JDBC sink rows, ${z.jdbcSourceRecords ?? '?'} JDBC source records`
}

/** The generated part of docs/reliability.md. */
export function renderMarkdown(r: ChaosResults, resultsFile: string): string {
  const out: string[] = []
  const minutes = (r.durationMs / 60_000).toFixed(0)
  out.push(
    `Run of ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC: \`${r.command}\` (${minutes} minutes of faults, ${r.rate} records/s per pipeline), ${r.machine.cores} cores (${r.machine.cpuModel}), load average ${r.machine.loadAverageBefore.map((x) => x.toFixed(1)).join(' ')} before; Node ${r.versions.node}, Kafka ${r.versions.kafka}. Raw results: [\`${resultsFile}\`](../${resultsFile}).`,
  )
  out.push('')
  out.push(
    r.failures.length
      ? `**Verdict: failed.** ${r.failures.join('; ')}`
      : `**Verdict: ${verdict(r)}** in any pipeline or phase.`,
  )
  for (const p of r.pipelines) {
    out.push('', `#### Pipeline \`${p.pipeline}\` (${p.guarantee})`, '')
    out.push('| Phase | Written | Lost | Duplicated | Longest pause (s) |', '|---|---:|---:|---:|---:|')
    for (const c of byFault(p))
      out.push(`| ${c.phase} | ${c.written} | ${c.lost} | ${c.duplicated} | ${c.longestPauseS.toFixed(1)} |`)
    out.push(`| **whole run** | ${p.written} | ${p.lost} | ${p.duplicated} | ${p.longestPauseS.toFixed(1)} |`)
  }
  if (r.zombies.length) {
    out.push('', '#### Zombies', '')
    for (const z of r.zombies) out.push(`- ${zombieLine(z)}`)
  }
  out.push('', '#### REST calls during the run', '')
  out.push(
    `${r.rest.calls} calls: ${Object.entries(r.rest.byCallAndStatus)
      .sort()
      .map(([k, v]) => `${k} ×${v}`)
      .join(
        ', ',
      )}.${r.rest.problems.length ? ` Problems: ${r.rest.problems.map((p) => `${p.call} → ${p.status}`).join('; ')}.` : ' No 5xx answer, no running worker that did not answer.'}`,
  )
  out.push('', '#### Phases in order', '')
  for (const [i, p] of r.phases.entries()) {
    out.push(
      `${i + 1}. ${p.name} (${((p.end - p.start) / 1000).toFixed(0)} s)${p.faults.length ? `: ${p.faults.join('; ')}` : ''}`,
    )
  }
  return out.join('\n')
}
