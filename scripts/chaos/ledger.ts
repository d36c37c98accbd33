/**
 * What a chaos run counts per pipeline: every sequence number written at the source end (with its time) and every
 * delivery of one at the sink end (with its time). From these: written, lost (written, never delivered), duplicated
 * (deliveries beyond the first), unexpected (delivered, never written) and the longest pause in delivery (seconds
 * between consecutive deliveries at the sink end), for the whole run and per phase of the schedule.
 *
 * Memory: 18 bytes per written record (its write time, first delivery time and delivery count) and 8 per delivery;
 * typed arrays that double when full. A 10-minute run at 100 records/s per pipeline holds about two megabytes.
 */

/** How a pipeline delivers: with `exactly-once` (`--guarantee exactly-once`) any duplicate fails the run as a loss
 * does. */
export type Guarantee = 'at-least-once' | 'exactly-once'

export interface Window {
  name: string
  /** Epoch milliseconds, start inclusive, end exclusive. */
  start: number
  end: number
}

export interface Counts {
  written: number
  delivered: number
  lost: number
  duplicated: number
  /** The longest time without a delivery at the sink end while records were waiting, in seconds. */
  longestPauseS: number
  /** Epoch ms where that pause began (the delivery before it), for finding it in the logs. */
  longestPauseAt: number | null
}

export interface PipelineSummary extends Counts {
  pipeline: string
  guarantee: Guarantee
  /** Delivered sequence numbers that were never written (a corrupted or foreign line). */
  unexpected: number
  /** Up to 20 lost sequence numbers, for the logs. */
  lostSample: number[]
  phases: Array<Counts & { phase: string }>
}

class Float64List {
  #data = new Float64Array(1024)
  length = 0
  push(v: number): void {
    if (this.length === this.#data.length) {
      const next = new Float64Array(this.#data.length * 2)
      next.set(this.#data)
      this.#data = next
    }
    this.#data[this.length++] = v
  }
  get(i: number): number {
    return this.#data[i] as number
  }
  sorted(): Float64Array {
    return this.#data.slice(0, this.length).sort()
  }
}

export class Ledger {
  readonly pipeline: string
  readonly guarantee: Guarantee
  /** Write time of sequence number `i + 1` (sequence numbers start at 1 and are contiguous). */
  readonly #writes = new Float64List()
  #counts = new Uint16Array(1024)
  /** First delivery time of each sequence number (index = seq), NaN before it arrives. */
  #first = new Float64Array(1024).fill(Number.NaN)
  readonly #deliveries = new Float64List()
  #unexpected = 0

  constructor(pipeline: string, guarantee: Guarantee = 'at-least-once') {
    this.pipeline = pipeline
    this.guarantee = guarantee
  }

  /** How many sequence numbers were written so far (the highest one). */
  get written(): number {
    return this.#writes.length
  }

  /** Records that sequence number `seq` was written at `time`; sequence numbers come in order from 1. */
  wrote(seq: number, time: number): void {
    if (seq !== this.#writes.length + 1) throw new Error(`${this.pipeline}: wrote ${seq} after ${this.#writes.length}`)
    this.#writes.push(time)
  }

  /** Records one delivery of `seq` at the sink end at `time`. */
  delivered(seq: number, time: number): void {
    this.#deliveries.push(time)
    if (!Number.isInteger(seq) || seq < 1 || seq > this.#writes.length) {
      this.#unexpected++
      return
    }
    while (seq >= this.#counts.length) {
      const next = new Uint16Array(this.#counts.length * 2)
      next.set(this.#counts)
      this.#counts = next
      const first = new Float64Array(next.length).fill(Number.NaN)
      first.set(this.#first)
      this.#first = first
    }
    const c = this.#counts[seq] as number
    if (c < 0xffff) this.#counts[seq] = c + 1
    const f = this.#first[seq] as number
    if (Number.isNaN(f) || time < f) this.#first[seq] = time
  }

  /** Distinct sequence numbers delivered at least once. */
  get deliveredDistinct(): number {
    let n = 0
    for (let s = 1; s <= this.#writes.length; s++) if ((this.#counts[s] ?? 0) > 0) n++
    return n
  }

  /** Whether every written sequence number has been delivered. */
  complete(): boolean {
    return this.deliveredDistinct === this.#writes.length
  }

  /**
   * The counts for the whole run and per window. A record belongs to the window it was written in. A pause is a time
   * without deliveries while a written record waited: from the later of the previous delivery and the oldest waiting
   * record's write, to the next delivery (or to `end` for records never delivered). It counts in every window it
   * overlaps. Gaps while nothing waited (the writer between two records, after the last one) are not pauses. The
   * whole run's longest pause counts from `pausesFrom` (the first phase: the pipelines' start-up is no pause).
   */
  summary(windows: readonly Window[], end: number, pausesFrom = Number.NEGATIVE_INFINITY): PipelineSummary {
    const gaps = this.pauses(end)
    const count = (from: number, to: number, pauseFrom = from): Counts => {
      let written = 0
      let delivered = 0
      let lost = 0
      let duplicated = 0
      for (let s = 1; s <= this.#writes.length; s++) {
        const t = this.#writes.get(s - 1)
        if (t < from || t >= to) continue
        written++
        const c = this.#counts[s] ?? 0
        if (c === 0) lost++
        else {
          delivered++
          duplicated += c - 1
        }
      }
      let longest = 0
      let at: number | null = null
      for (const [a, b] of gaps) {
        if (b <= pauseFrom || a >= to) continue
        if (b - a > longest) {
          longest = b - a
          at = a
        }
      }
      return { written, delivered, lost, duplicated, longestPauseS: round1(longest / 1000), longestPauseAt: at }
    }
    const all = count(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, pausesFrom)
    const lostSample: number[] = []
    for (let s = 1; s <= this.#writes.length && lostSample.length < 20; s++)
      if ((this.#counts[s] ?? 0) === 0) lostSample.push(s)
    return {
      pipeline: this.pipeline,
      guarantee: this.guarantee,
      ...all,
      unexpected: this.#unexpected,
      lostSample,
      phases: windows.map((w) => ({ phase: w.name, ...count(w.start, w.end) })),
    }
  }

  /** The pauses as [start, end] pairs (see `summary`); only those of 50 ms or more. */
  pauses(end: number): Array<[number, number]> {
    const times = this.#deliveries.sorted()
    const out: Array<[number, number]> = []
    const n = this.#writes.length
    // `waiting`: the oldest sequence number whose first delivery is not before the delivery being looked at. As that
    // delivery's time grows, records only stop waiting, so the pointer only moves forward.
    let waiting = 1
    const pauseBefore = (from: number, to: number) => {
      while (waiting <= n && (this.#first[waiting] ?? Number.NaN) < to) waiting++
      if (waiting > n) return
      const start = Math.max(from, this.#writes.get(waiting - 1))
      if (to - start >= 50) out.push([start, to])
    }
    for (let i = 0; i < times.length; i++)
      pauseBefore(i === 0 ? Number.NEGATIVE_INFINITY : (times[i - 1] as number), times[i] as number)
    const last = times.length ? (times[times.length - 1] as number) : Number.NEGATIVE_INFINITY
    // Records never delivered: NaN first times never stop waiting.
    while (waiting <= n && !Number.isNaN(this.#first[waiting] ?? Number.NaN)) waiting++
    if (waiting <= n) out.push([Math.max(last, this.#writes.get(waiting - 1)), end])
    return out
  }
}

/** Whether a pipeline's counts fail the run: any loss, and duplicates where the guarantee is exactly-once. */
export function failed(s: PipelineSummary): boolean {
  return s.lost > 0 || s.unexpected > 0 || (s.guarantee === 'exactly-once' && s.duplicated > 0)
}

function round1(x: number): number {
  return Math.round(x * 10) / 10
}
