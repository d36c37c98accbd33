/**
 * A pattern subscription's (`topics.regex`) look at the topics every `metadata.max.age.ms`, as Java's consumer takes
 * one: a failed look is tried again at the next interval. The first failure of a streak is logged as a warning (the
 * topics it matches may be out of date until a look succeeds), the look that ends the streak at info; the failures in
 * between are not logged again, so a broker that stays away costs one line, not one per interval.
 *
 * A consumer has one: subscribing again with another pattern replaces the pattern and its timer (Java's consumer
 * replaces the subscription), so there is never more than one timer per consumer.
 */
import type { Logger } from '../logger.ts'

export class PatternRecheck {
  readonly #intervalMs: number
  readonly #check: () => Promise<void>
  readonly #log: Logger
  #pattern: RegExp | null = null
  #timer: NodeJS.Timeout | null = null
  #failing = false

  /** `check` looks at the topics once (and joins the group again when the matching ones changed). */
  constructor(intervalMs: number, check: () => Promise<void>, log: Logger) {
    this.#intervalMs = intervalMs
    this.#check = check
    this.#log = log
  }

  /** Looks every interval for `pattern`, in place of the pattern (and timer) it looked for before. */
  start(pattern: RegExp): void {
    this.stop()
    this.#pattern = pattern
    this.#failing = false
    this.#timer = setInterval(() => void this.run(), this.#intervalMs)
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }

  /** One look, as the timer takes it: never rejects. */
  async run(): Promise<void> {
    const pattern = this.#pattern?.source
    try {
      await this.#check()
    } catch (e) {
      if (this.#failing) return
      this.#failing = true
      this.#log.warn(
        { err: e },
        `Could not look up the topics matching topics.regex ${pattern}: ${(e as Error)?.message ?? String(e)}; the subscription keeps the topics it had and looks again every ${this.#intervalMs} ms (metadata.max.age.ms)`,
      )
      return
    }
    if (this.#failing) {
      this.#failing = false
      this.#log.info(`Looked up the topics matching topics.regex ${pattern} again`)
    }
  }
}
