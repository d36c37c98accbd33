/** One sample: the lifetime sum and count at its start, its maximum and minimum once closed. */
interface Sample {
  at: number
  sum: number
  count: number
  max: number
  min: number
}

/**
 * Apache's windowed statistics (`metrics.sample.window.ms` × `metrics.num.samples`), kept cheap for the hot path:
 * recording adds to running sums; a timer (`roll`) closes a sample every window, and rates, averages and maxima are
 * read over the samples still kept. Apache reports NaN for an average or maximum with nothing recorded.
 */
export class SampledStat {
  /** Lifetime sum and count of the recorded values. */
  sum = 0
  count = 0
  /** The largest and smallest values of the current (open) sample. */
  #max = Number.NaN
  #min = Number.NaN
  /**
   * Closed samples and the open one, oldest first: the sums and counts at their start, and their maxima and minima.
   * Null until the first value is recorded: a stat nothing was recorded in (most of an idle task's) keeps only the
   * start times of its samples (`#starts`), and makes the samples from them then, as they would have been.
   */
  #samples: Sample[] | null = null
  /** The start times of the samples kept while nothing was recorded, oldest first. */
  #starts: number[] | null
  readonly #samplesKept: number

  constructor(samplesKept: number, now = Date.now()) {
    this.#samplesKept = Math.max(1, samplesKept)
    this.#starts = [now]
  }

  record(value: number): void {
    if (this.#samples === null) this.#open()
    this.sum += value
    this.count++
    if (!(value <= this.#max)) this.#max = value
    if (!(value >= this.#min)) this.#min = value
  }

  /** Closes the current sample: called every `metrics.sample.window.ms`. */
  roll(now = Date.now()): void {
    const samples = this.#samples
    if (samples === null) {
      const starts = this.#starts!
      starts.push(now)
      if (starts.length > this.#samplesKept) starts.shift()
      return
    }
    const last = samples[samples.length - 1]!
    last.max = this.#max
    last.min = this.#min
    samples.push({ at: now, sum: this.sum, count: this.count, max: Number.NaN, min: Number.NaN })
    this.#max = Number.NaN
    this.#min = Number.NaN
    while (samples.length > this.#samplesKept) samples.shift()
  }

  /** The first value is recorded: the samples so far, all empty. */
  #open(): void {
    this.#samples = this.#starts!.map((at) => ({ at, sum: 0, count: 0, max: Number.NaN, min: Number.NaN }))
    this.#starts = null
  }

  #oldest(): { at: number; sum: number; count: number } {
    return this.#samples?.[0] ?? { at: this.#starts![0]!, sum: 0, count: 0 }
  }

  /** Sum of the values recorded in the window, per second (Apache's Rate). */
  rate(now = Date.now()): number {
    const oldest = this.#oldest()
    const elapsed = Math.max(now - oldest.at, 1)
    return ((this.sum - oldest.sum) * 1000) / elapsed
  }

  /** How many values were recorded in the window, per second (Apache's Rate of a count, e.g. completions). */
  countRate(now = Date.now()): number {
    const oldest = this.#oldest()
    return ((this.count - oldest.count) * 1000) / Math.max(now - oldest.at, 1)
  }

  /** Average of the values recorded in the window; NaN when none was. */
  avg(): number {
    const oldest = this.#oldest()
    const n = this.count - oldest.count
    return n === 0 ? Number.NaN : (this.sum - oldest.sum) / n
  }

  /** Largest value recorded in the window; NaN when none was. */
  max(): number {
    let max = this.#max
    const samples = this.#samples ?? []
    for (let i = 0; i < samples.length - 1; i++) {
      const m = samples[i]!.max
      if (m > max || (Number.isNaN(max) && !Number.isNaN(m))) max = m
    }
    return max
  }

  /** Smallest value recorded in the window; NaN when none was. */
  min(): number {
    let min = this.#min
    const samples = this.#samples ?? []
    for (let i = 0; i < samples.length - 1; i++) {
      const m = samples[i]!.min
      if (m < min || (Number.isNaN(min) && !Number.isNaN(m))) min = m
    }
    return min
  }
}
