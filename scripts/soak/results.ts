/** The shape of a soak run's results file, `bench/results/soak-<timestamp>.json`, and where to find the newest. */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { REPO_ROOT } from '../kafka/harness.ts'
import type { Growth } from './analysis.ts'

export interface SoakWorkerResult {
  name: string
  mode: 'standalone' | 'distributed'
  samples: number
  rss: Growth | undefined
  lagP99: Growth | undefined
  heapUsed: Growth | undefined
  /**
   * Where the RSS is, first window against last (MiB): the heap's committed size, its young and old generations'
   * share of it, and memory outside the heap that Node tracks (Buffers). Absent in runs before 2026-12-04.
   */
  memory?: {
    heapTotal: Growth | undefined
    newSpace: Growth | undefined
    oldSpace: Growth | undefined
    external: Growth | undefined
  }
  peakRssMb: number
  /** CPU seconds over the whole run, and per minute. */
  cpuSeconds: number
}

export interface SoakPipelineResult {
  name: string
  written: number
  delivered: number
}

/** The shape of `bench/results/soak-<timestamp>.json`. */
export interface SoakResults {
  kind: 'soak'
  startedAt: string
  finishedAt: string
  durationMinutes: number
  ratePerPipeline: number
  sampleSeconds: number
  windows: { windowSeconds: number; settledFromSeconds: number }
  limitPercent: number
  machine: {
    cores: number
    cpuModel: string
    memoryGiB: number
    os: string
    loadAverageBefore: number[]
    loadAverageAfter: number[]
  }
  versions: { node: string; ferry: string }
  workers: SoakWorkerResult[]
  pipelines: SoakPipelineResult[]
  ok: boolean
  failures: string[]
  /** What happened besides the load (a worker started again after it exited during start-up). */
  notes?: string[]
}

export const SOAK_RESULTS_DIR = join(REPO_ROOT, 'bench', 'results')

/** The newest soak results file in `dir`, or undefined. */
export async function latestSoak(
  dir: string = SOAK_RESULTS_DIR,
): Promise<{ results: SoakResults; json: string } | undefined> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^soak-.*\.json$/.test(n)).sort()
  const last = names.at(-1)
  if (!last) return undefined
  return { results: JSON.parse(await readFile(join(dir, last), 'utf8')) as SoakResults, json: join(dir, last) }
}
