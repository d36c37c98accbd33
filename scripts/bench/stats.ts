/** Median and spread of a metric over the rounds. */

export interface Summary {
  median: number
  min: number
  max: number
  /** (max - min) / median: 0.1 means the rounds were within 10 % of each other. */
  spread: number
  n: number
}

export function summarize(values: readonly number[]): Summary | undefined {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (xs.length === 0) return undefined
  const mid = Math.floor(xs.length / 2)
  const median = xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2
  const min = xs[0]!
  const max = xs[xs.length - 1]!
  return { median, min, max, spread: median === 0 ? 0 : (max - min) / Math.abs(median), n: xs.length }
}

/** `b / a`, or undefined when either is missing or a is 0. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || a === 0) return undefined
  return b / a
}

/** The nearest-rank percentile `p` (0–100) of the finite values, or undefined when there are none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (xs.length === 0) return undefined
  return xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))]
}
