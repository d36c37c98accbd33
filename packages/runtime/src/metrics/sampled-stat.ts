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
  /** Closed samples, oldest first: the sums and counts at their start, and their maxima and minima. */
  readonly #samples: Array<{ at: number; sum: number; count: number; max: number; min: number }> = []
  readonly #samplesKept: number

  constructor(samplesKept: number, now = Date.now()) {
    this.#samplesKept = Math.max(1, samplesKept)
    this.#samples.push({ at: now, sum: 0, count: 0, max: Number.NaN, min: Number.NaN })
  }

  record(value: number): void {
    this.sum += value
    this.count++
    if (!(value <= this.#max)) this.#max = value
    if (!(value >= this.#min)) this.#min = value
  }

  /** Closes the current sample: called every `metrics.sample.window.ms`. */
  roll(now = Date.now()): void {
    const last = this.#samples[this.#samples.length - 1]!
    last.max = this.#max
    last.min = this.#min
    this.#samples.push({ at: now, sum: this.sum, count: this.count, max: Number.NaN, min: Number.NaN })
    this.#max = Number.NaN
    this.#min = Number.NaN
    while (this.#samples.length > this.#samplesKept) this.#samples.shift()
  }

  #oldest(): { at: number; sum: number; count: number } {
    return this.#samples[0]!
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
    for (let i = 0; i < this.#samples.length - 1; i++) {
      const m = this.#samples[i]!.max
      if (m > max || (Number.isNaN(max) && !Number.isNaN(m))) max = m
    }
    return max
  }

  /** Smallest value recorded in the window; NaN when none was. */
  min(): number {
    let min = this.#min
    for (let i = 0; i < this.#samples.length - 1; i++) {
      const m = this.#samples[i]!.min
      if (m < min || (Number.isNaN(min) && !Number.isNaN(m))) min = m
    }
    return min
  }
}
