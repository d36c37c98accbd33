/**
 * What a soak run's samples say: the median of a metric in the first settled window and in the last window, and the
 * growth between them. A window is a tenth of the run (30 s to 10 min); the first settled window starts after the
 * warm-up (the longer of one window and a fifth of the run, at most 5 minutes past one window), when JIT, heap
 * sizing and the first offset commits are behind the worker.
 */

/** One line of the probe preloaded into a worker (lag-probe.js); `t` is epoch ms. */
export interface ProbeLine {
  t: number
  lagP50Ms: number
  lagP99Ms: number
  lagMaxMs: number
  heapUsedMb: number
  heapTotalMb: number
  newSpaceMb: number
  oldSpaceMb: number
  codeSpaceMb: number
  externalMb: number
}

/** The probe's lines in a file's text; a line cut short (the worker was killed while writing it) is left out. */
export function parseProbe(text: string): ProbeLine[] {
  const lines: ProbeLine[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      lines.push(JSON.parse(line))
    } catch {
      // cut short
    }
  }
  return lines
}

/** One sample of a metric, `t` in ms since the load started. */
export interface Sample {
  t: number
  value: number
}

export interface Windows {
  windowMs: number
  /** Where the first settled window starts. */
  settledFromMs: number
}

export interface WindowStat {
  fromMs: number
  toMs: number
  /** Samples in the window. */
  n: number
  median: number
}

export interface Growth {
  first: WindowStat
  last: WindowStat
  /** (last - first) / first: 0.05 is 5 % growth. */
  growth: number
}

const MINUTE = 60_000

export function soakWindows(durationMs: number): Windows {
  const windowMs = Math.min(10 * MINUTE, Math.max(30_000, durationMs / 10))
  const settledFromMs = Math.max(windowMs, Math.min(windowMs + 5 * MINUTE, durationMs / 5))
  return { windowMs, settledFromMs }
}

export function median(values: readonly number[]): number | undefined {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (xs.length === 0) return undefined
  const mid = Math.floor(xs.length / 2)
  return xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2
}

/** The median of the samples with fromMs <= t < toMs, or undefined when there are none. */
export function windowStat(samples: readonly Sample[], fromMs: number, toMs: number): WindowStat | undefined {
  const inside = samples.filter((s) => s.t >= fromMs && s.t < toMs).map((s) => s.value)
  const m = median(inside)
  return m === undefined ? undefined : { fromMs, toMs, n: inside.filter(Number.isFinite).length, median: m }
}

/**
 * Growth from the first settled window to the last window of a run of `durationMs`. Undefined when the run is too
 * short for the two not to overlap, or a window has no samples.
 */
export function growth(samples: readonly Sample[], durationMs: number): Growth | undefined {
  const { windowMs, settledFromMs } = soakWindows(durationMs)
  const lastFrom = durationMs - windowMs
  if (lastFrom < settledFromMs + windowMs) return undefined
  const first = windowStat(samples, settledFromMs, settledFromMs + windowMs)
  // The last window includes the sample taken at the very end.
  const last = windowStat(samples, lastFrom, durationMs + 1)
  if (!first || !last || first.median <= 0) return undefined
  return { first, last, growth: (last.median - first.median) / first.median }
}

export interface Series {
  /** e.g. `standalone RSS`. */
  name: string
  kind: 'memory' | 'lag'
  growth: Growth | undefined
}

/**
 * Pass or fail: a memory series fails at `limit` growth (0.05 = 5 %) or more; an event-loop lag series fails when
 * it grew by `limit` and by at least `lagFloorMs` (lag of a few ms moves by more than 5 % with any noise on a shared
 * machine, and that is not a trend). A series without two windows fails: nothing was shown.
 */
export function verdict(series: readonly Series[], limit = 0.05, lagFloorMs = 5): { ok: boolean; failures: string[] } {
  const failures: string[] = []
  for (const s of series) {
    const g = s.growth
    if (!g) {
      failures.push(`${s.name}: too few samples for a first settled and a last window`)
      continue
    }
    const pct = `${(g.growth * 100).toFixed(1)} %`
    if (s.kind === 'memory' && g.growth >= limit)
      failures.push(`${s.name} grew ${pct} (${g.first.median.toFixed(1)} → ${g.last.median.toFixed(1)} MiB)`)
    if (s.kind === 'lag' && g.growth >= limit && g.last.median - g.first.median >= lagFloorMs)
      failures.push(`${s.name} grew ${pct} (${g.first.median.toFixed(2)} → ${g.last.median.toFixed(2)} ms)`)
  }
  return { ok: failures.length === 0, failures }
}
