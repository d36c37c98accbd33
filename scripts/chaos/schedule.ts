/**
 * The chaos run's fault schedule, derived from a seed alone, so that `--seed N` replays the same faults in the same
 * order with the same parameters (their wall-clock times still depend on how fast the machine is).
 *
 * A schedule is a list of phases run one after the other: first a baseline with only the background REST calls,
 * then every fault alone (in an order drawn from the seed), then mixed phases of two different faults overlapping,
 * drawn from the seed, until the run's duration is used up.
 */

/** The faults a phase can hold. REST calls (create, pause, resume, restart, delete) run in the background throughout. */
export const FAULT_KINDS = [
  'kill-worker',
  'zombie-worker',
  'rolling-brokers',
  'kill-coordinator',
  'join-during-rebalance',
] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

/** What each fault does, for the report and the docs. */
export const FAULT_DESCRIPTIONS: Record<FaultKind | 'rest-only', string> = {
  'rest-only': 'no process fault; only the background REST calls (create, pause, resume, restart, delete)',
  'kill-worker': 'kill -9 of a random worker, restarted after a pause',
  'zombie-worker':
    'SIGSTOP of the worker running a source task, past its session timeout and the scheduled rebalance delay, then SIGCONT',
  'rolling-brokers': 'rolling restart of the three brokers (SIGTERM, start, wait for every replica in sync)',
  'kill-coordinator': 'kill -9 of the broker coordinating the Connect group (FindCoordinator), restarted after a pause',
  'join-during-rebalance':
    'a rebalance started (new connector or a worker leaving) and a fourth worker started into it',
}

export type Pipeline = 'file' | 'jdbc'

export type Fault =
  | { kind: 'kill-worker'; worker: number; downMs: number }
  | { kind: 'zombie-worker'; ownerOf: Pipeline; extraMs: number }
  | { kind: 'rolling-brokers'; order: number[]; gapMs: number }
  | { kind: 'kill-coordinator'; downMs: number }
  | {
      kind: 'join-during-rebalance'
      trigger: 'create-connector' | 'worker-leaves'
      /** The worker that leaves and comes back, for `worker-leaves`. */
      worker: number
      stayMs: number
    }

export interface ScheduledFault {
  /** Milliseconds after the phase starts. */
  offsetMs: number
  fault: Fault
}

export interface Phase {
  /** `rest-only`, a fault kind, or `a + b` for a mixed phase. */
  name: string
  faults: ScheduledFault[]
  /** Quiet time after the phase's faults are done, so that their effects (pauses, duplicates) land in the phase. */
  settleMs: number
}

/** How long a phase of each kind takes, roughly, to fit phases into the duration. */
export const ESTIMATED_MS: Record<FaultKind | 'rest-only', number> = {
  'rest-only': 40_000,
  'kill-worker': 50_000,
  'zombie-worker': 70_000,
  'rolling-brokers': 100_000,
  'kill-coordinator': 60_000,
  'join-during-rebalance': 60_000,
}

/** Mulberry32: a small, fast PRNG with 32 bits of state; plenty for picking faults. Returns floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** An integer in [min, max]. */
export function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1))
}

export function shuffle<T>(random: () => number, items: readonly T[]): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

/** One fault of `kind` with its parameters drawn from `random`. */
export function drawFault(random: () => number, kind: FaultKind, workers: number): Fault {
  switch (kind) {
    case 'kill-worker':
      return { kind, worker: between(random, 0, workers - 1), downMs: between(random, 2, 15) * 1000 }
    case 'zombie-worker':
      return { kind, ownerOf: random() < 0.5 ? 'file' : 'jdbc', extraMs: between(random, 3, 10) * 1000 }
    case 'rolling-brokers':
      return { kind, order: shuffle(random, [0, 1, 2]), gapMs: between(random, 2, 8) * 1000 }
    case 'kill-coordinator':
      return { kind, downMs: between(random, 5, 20) * 1000 }
    case 'join-during-rebalance':
      return {
        kind,
        trigger: random() < 0.5 ? 'create-connector' : 'worker-leaves',
        worker: between(random, 0, workers - 1),
        stayMs: between(random, 20, 40) * 1000,
      }
  }
}

export interface ScheduleOptions {
  seed: number
  durationMs: number
  /** Workers of the cluster (the fourth one a join starts is extra). */
  workers?: number
}

/**
 * The phases for a run of `durationMs`: the baseline, every fault alone, then mixed pairs while the estimated time
 * fits. A short duration keeps the first phases that fit (the baseline and at least one fault).
 */
export function schedule(options: ScheduleOptions): Phase[] {
  const random = rng(options.seed)
  const workers = options.workers ?? 3
  const phases: Phase[] = [{ name: 'rest-only', faults: [], settleMs: ESTIMATED_MS['rest-only'] }]
  let budget = options.durationMs - ESTIMATED_MS['rest-only']
  const settle = () => between(random, 10, 20) * 1000
  for (const kind of shuffle(random, FAULT_KINDS)) {
    const fault = drawFault(random, kind, workers)
    const settleMs = settle()
    if (budget < ESTIMATED_MS[kind] && phases.length > 1) return phases
    phases.push({ name: kind, faults: [{ offsetMs: 0, fault }], settleMs })
    budget -= ESTIMATED_MS[kind]
  }
  for (;;) {
    const [a, b] = shuffle(random, FAULT_KINDS) as [FaultKind, FaultKind]
    const first = drawFault(random, a, workers)
    let second = drawFault(random, b, workers)
    // Two worker faults hit two different workers, so one worker always stays up.
    if (first.kind === 'kill-worker' && second.kind === 'join-during-rebalance')
      second = { ...second, worker: (first.worker + 1) % workers }
    if (second.kind === 'kill-worker' && first.kind === 'join-during-rebalance')
      second = { ...second, worker: (first.worker + 1) % workers }
    const offsetMs = between(random, 0, 15) * 1000
    const settleMs = settle()
    const estimate = Math.max(ESTIMATED_MS[a], ESTIMATED_MS[b] + offsetMs)
    if (budget < estimate) return phases
    phases.push({
      name: `${a} + ${b}`,
      faults: [
        { offsetMs: 0, fault: first },
        { offsetMs, fault: second },
      ],
      settleMs,
    })
    budget -= estimate
  }
}

/** `10m`, `90s`, `1h`, `1500ms` or a bare number of seconds, in milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim())
  if (!m) throw new Error(`--duration: '${text}' is not a duration (e.g. 10m, 90s, 1h)`)
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']
  return Math.round(Number(m[1]) * unit)
}

/** A line per phase, for the start of a run. */
export function describeSchedule(phases: readonly Phase[]): string {
  return phases
    .map((p, i) => {
      const faults = p.faults.map((f) => `${f.offsetMs > 0 ? `+${f.offsetMs / 1000}s ` : ''}${faultLabel(f.fault)}`)
      return `  ${String(i + 1).padStart(2)}. ${p.name}${faults.length ? `: ${faults.join('; ')}` : ''}`
    })
    .join('\n')
}

export function faultLabel(f: Fault): string {
  switch (f.kind) {
    case 'kill-worker':
      return `kill -9 worker ${f.worker}, down ${f.downMs / 1000}s`
    case 'zombie-worker':
      return `SIGSTOP the ${f.ownerOf} source's worker for session + delay + ${f.extraMs / 1000}s`
    case 'rolling-brokers':
      return `restart brokers ${f.order.join(', ')} (${f.gapMs / 1000}s apart)`
    case 'kill-coordinator':
      return `kill -9 the Connect group's coordinator, down ${f.downMs / 1000}s`
    case 'join-during-rebalance':
      return `${f.trigger === 'create-connector' ? 'a new connector' : `worker ${f.worker} restarting`} + a fourth worker for ${f.stayMs / 1000}s`
  }
}
