/**
 * A pattern subscription's (`topics.regex`) look at the topics every `metadata.max.age.ms`, as Java's consumer takes
 * one: a failed look is tried again at the next interval. The first failure of a streak is logged as a warning (the
 * topics it matches may be out of date until a look succeeds), the look that ends the streak at info; the failures in
 * between are not logged again, so a broker that stays away costs one line, not one per interval.
 */
import type { Logger } from '../logger.ts'

export class PatternRecheck {
  readonly #pattern: RegExp
  readonly #intervalMs: number
  readonly #check: () => Promise<void>
  readonly #log: Logger
  #timer: NodeJS.Timeout | null = null
  #failing = false

  /** `check` looks at the topics once (and joins the group again when the matching ones changed). */
  constructor(pattern: RegExp, intervalMs: number, check: () => Promise<void>, log: Logger) {
    this.#pattern = pattern
    this.#intervalMs = intervalMs
    this.#check = check
    this.#log = log
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.run(), this.#intervalMs)
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }

  /** One look, as the timer takes it: never rejects. */
  async run(): Promise<void> {
    try {
      await this.#check()
    } catch (e) {
      if (this.#failing) return
      this.#failing = true
      this.#log.warn(
        { err: e },
        `Could not look up the topics matching topics.regex ${this.#pattern.source}: ${(e as Error)?.message ?? String(e)}; the subscription keeps the topics it had and looks again every ${this.#intervalMs} ms (metadata.max.age.ms)`,
      )
      return
    }
    if (this.#failing) {
      this.#failing = false
      this.#log.info(`Looked up the topics matching topics.regex ${this.#pattern.source} again`)
    }
  }
}
