import { ConnectException, PendingException, RetriableException } from '@ferry/api'
import { type ErrorHandlingMetrics, NOOP_ERROR_HANDLING_METRICS } from '../metrics/task-metrics.ts'
import type { ErrorReporter } from './error-reporter.ts'
import type { ProcessingContext } from './processing-context.ts'
import { Stage } from './stage.ts'

export type ToleranceType = 'none' | 'all'

/** The `errors.retry.*` and `errors.tolerance` settings of a connector. */
export interface ToleranceSettings {
  /** `errors.retry.timeout`: how long a failing operation is retried; 0 = never, -1 = forever. */
  retryTimeoutMs: number
  /** `errors.retry.delay.max.ms`: the longest wait between two attempts. */
  retryDelayMaxMs: number
  /** `errors.tolerance`. */
  tolerance: ToleranceType
}

/** Time as the operator sees it; tests pass a fake one. */
export interface OperatorClock {
  now(): number
  /** Waits `ms`, or less when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>
  /** A number in [0, 1). */
  random(): number
}

export const SYSTEM_CLOCK: OperatorClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve()
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      signal.addEventListener('abort', done, { once: true })
    }),
  random: () => Math.random(),
}

/**
 * A wait the operator asks for between two attempts of an operation: `delayMs` after a failure, or until `until`
 * settles when the operation threw PendingException (it needs something fetched first).
 */
export interface Backoff {
  readonly delayMs: number
  readonly until?: Promise<void>
}

/** The remaining attempts of an operation: a generator that yields a Backoff whenever it must wait. */
export type Retrying<V> = Generator<Backoff, V, void>

/**
 * Returned by `execute` when the first attempt threw RetriableException and there is time to retry. The pipelines
 * are generators that continue with `yield* pending.attempts`, so a record that is being retried waits while the
 * common case (no retry) runs synchronously, without a promise per operation; `RetryWithToleranceOperator.run`
 * drives them.
 */
export class PendingRetry<V> {
  readonly attempts: Retrying<V | null>

  constructor(attempts: Retrying<V | null>) {
    this.attempts = attempts
  }
}

/** The first wait between attempts (Apache's `RETRIES_DELAY_MIN_MS`); it doubles each time. */
export const RETRIES_DELAY_MIN_MS = 300

/** Stages where any error may be tolerated; elsewhere only RetriableException (Apache's `TOLERABLE_EXCEPTIONS`). */
const TOLERATES_ANY_ERROR: ReadonlySet<Stage> = new Set([
  Stage.TRANSFORMATION,
  Stage.HEADER_CONVERTER,
  Stage.KEY_CONVERTER,
  Stage.VALUE_CONVERTER,
])

/** Thrown when the task is stopped while an operation waits to be retried: the record was not processed. */
export class RetriesInterruptedException extends ConnectException {}

/**
 * A ConnectException with Apache's message (`Tolerance exceeded in error handler`, `Unhandled exception in error
 * handler`) and the failure as its cause. Its trace names the stage and class that failed, in the log reporter's
 * words, so a FAILED task's status says where the record broke.
 */
export function errorHandlerException(message: string, context: ProcessingContext<unknown>, cause: unknown) {
  const error = new ConnectException(message, cause) as ConnectException & {
    stage: Stage | null
    executingClass: string | null
  }
  error.stage = context.stage
  error.executingClass = context.executingClass
  if (error.stack && context.stage) {
    const [head, ...frames] = error.stack.split('\n')
    error.stack = [
      head,
      `    Executing stage '${context.stage}' with class '${context.executingClass ?? 'null'}'`,
      ...frames,
    ].join('\n')
  }
  return error
}

/**
 * Retries failed operations and tolerates failed records (Apache's `RetryWithToleranceOperator`, KIP-298).
 *
 * An operation that throws RetriableException is attempted again after 300 ms, 600 ms, 1200 ms, ... (a random wait
 * below `errors.retry.delay.max.ms` once the doubling passes it), never past `errors.retry.timeout` after the first
 * attempt (-1: no limit). Other errors are not retried. When an operation finally fails, the record's context holds
 * the error, every reporter (log, dead letter queue) is told, and then:
 * - in the converter and transformation stages any error is tolerated, elsewhere only RetriableException; an error
 *   that cannot be tolerated throws `Unhandled exception in error handler`;
 * - with `errors.tolerance=none` the first failure throws `Tolerance exceeded in error handler` (the task fails);
 *   with `all` the operation returns null and the record is skipped.
 *
 * One difference from Apache: a RetriableException that is still thrown when the retry time is over counts as a
 * failure like any other (with `none` the task fails), where Apache skips the record silently.
 *
 * task-error-metrics are told as Apache's operator tells them: every failed attempt is a failure, every wait before
 * another attempt a retry, a record whose operation failed for good an error (and its time the last error's), and a
 * tolerated one skipped. A failure reported from outside (`executeFailed`) is a failure, and an error only when it
 * is not tolerated.
 */
export class RetryWithToleranceOperator<T> {
  readonly settings: ToleranceSettings
  readonly #clock: OperatorClock
  readonly #stop = new AbortController()
  readonly #metrics: ErrorHandlingMetrics
  #reporters: ErrorReporter<T>[] = []
  #totalFailures = 0

  constructor(
    settings: ToleranceSettings,
    clock: OperatorClock = SYSTEM_CLOCK,
    metrics: ErrorHandlingMetrics = NOOP_ERROR_HANDLING_METRICS,
  ) {
    this.settings = settings
    this.#clock = clock
    this.#metrics = metrics
  }

  get totalFailures(): number {
    return this.#totalFailures
  }

  get stopping(): boolean {
    return this.#stop.signal.aborted
  }

  reporters(reporters: ErrorReporter<T>[]): void {
    this.#reporters = reporters
  }

  /**
   * Runs `operation` for the record of `context` in `stage`, retrying and tolerating failures as configured. Returns
   * the operation's result, null when the record failed (now or in an earlier stage) and that is tolerated, or a
   * PendingRetry when the operation has to be attempted again after a wait.
   */
  execute<V>(
    context: ProcessingContext<T>,
    operation: () => V,
    stage: Stage,
    executingClass: string,
  ): V | null | PendingRetry<V> {
    context.currentContext(stage, executingClass)
    if (context.failed) return null
    try {
      const result = operation()
      context.attempt = 1
      return result
    } catch (e) {
      if (e instanceof PendingException) return new PendingRetry(this.#resume(context, operation, e))
      return this.#firstFailure(context, operation, e)
    }
  }

  /** The first attempt failed with `e`: retried when it is retriable and there is time, else failed. */
  #firstFailure<V>(context: ProcessingContext<T>, operation: () => V, e: unknown): null | PendingRetry<V> {
    context.attempt = 1
    this.#metrics.recordFailure()
    if (e instanceof RetriableException && this.settings.retryTimeoutMs !== 0) {
      const timeout = this.settings.retryTimeoutMs
      const deadline = timeout > 0 ? this.#clock.now() + timeout : Number.POSITIVE_INFINITY
      return new PendingRetry(this.#retry(context, operation, deadline))
    }
    return this.#failed(context, e)
  }

  /** The first attempt threw PendingException: waits for it, then goes on as `execute` does with the outcome. */
  *#resume<V>(context: ProcessingContext<T>, operation: () => V, pending: PendingException): Retrying<V | null> {
    let result: V
    try {
      result = yield* this.#settled(context, operation, pending)
    } catch (e) {
      if (e instanceof RetriesInterruptedException) throw e
      const failed = this.#firstFailure(context, operation, e)
      return failed instanceof PendingRetry ? yield* failed.attempts : failed
    }
    context.attempt = 1
    return result
  }

  /** Runs `operation` (after waiting for `pending` when given), again after each PendingException it throws. */
  *#settled<V>(context: ProcessingContext<T>, operation: () => V, pending: PendingException | null): Retrying<V> {
    for (;;) {
      if (pending !== null) {
        yield { delayMs: 0, until: pending.ready }
        if (this.stopping) {
          throw new RetriesInterruptedException(
            `Stopped while waiting in stage ${context.stage} with class ${context.executingClass}`,
            pending,
          )
        }
      }
      try {
        return operation()
      } catch (e) {
        if (!(e instanceof PendingException)) throw e
        pending = e
      }
    }
  }

  /** Attempts 2, 3, ... of an operation, each after its backoff, while it throws RetriableException before the deadline. */
  *#retry<V>(context: ProcessingContext<T>, operation: () => V, deadline: number): Retrying<V | null> {
    for (let attempt = 1; ; ) {
      this.#metrics.recordRetry()
      yield { delayMs: this.backoffDelay(attempt, deadline) }
      if (this.stopping) {
        throw new RetriesInterruptedException(
          `Stopped while retrying stage ${context.stage} with class ${context.executingClass}`,
          context.error,
        )
      }
      attempt++
      try {
        const result = yield* this.#settled(context, operation, null)
        context.attempt = attempt
        return result
      } catch (e) {
        if (e instanceof RetriesInterruptedException) throw e
        context.attempt = attempt
        this.#metrics.recordFailure()
        if (!(e instanceof RetriableException) || this.#clock.now() >= deadline) return this.#failed(context, e)
      }
    }
  }

  /**
   * The operation failed for good: reports it, then throws when it is not tolerated (`Unhandled exception in error
   * handler` outside the converter and transformation stages, unless retriable; `Tolerance exceeded in error
   * handler` with `errors.tolerance=none`), else returns null.
   */
  #failed(context: ProcessingContext<T>, error: unknown): null {
    this.#totalFailures++
    this.#metrics.recordErrorTimestamp()
    this.#metrics.recordError()
    context.error = error
    // Kept in context.reported, where the task waits for it.
    void this.report(context)
    const stage = context.stage
    if (stage !== null && !TOLERATES_ANY_ERROR.has(stage) && !(error instanceof RetriableException)) {
      throw errorHandlerException('Unhandled exception in error handler', context, error)
    }
    if (!this.withinToleranceLimits())
      throw errorHandlerException('Tolerance exceeded in error handler', context, error)
    this.#metrics.recordSkipped()
    return null
  }

  /** Drives an operation (see `Retrying`): synchronous while it does not wait, then a promise. */
  run<V>(operation: Retrying<V>): V | Promise<V> {
    const step = operation.next()
    return step.done ? step.value : this.#continue(operation, step.value)
  }

  async #continue<V>(operation: Retrying<V>, backoff: Backoff): Promise<V> {
    for (;;) {
      if (backoff.until) await untilOrStopped(backoff.until, this.#stop.signal)
      else await this.#clock.sleep(backoff.delayMs, this.#stop.signal)
      const step = operation.next()
      if (step.done) return step.value
      backoff = step.value
    }
  }

  /** `execute` run to its end (retries included): for callers off the per-record path, and tests. */
  async executeAsync<V>(
    context: ProcessingContext<T>,
    operation: () => V,
    stage: Stage,
    executingClass: string,
  ): Promise<V | null> {
    const result = this.execute(context, operation, stage, executingClass)
    return result instanceof PendingRetry ? await this.run(result.attempts) : result
  }

  /**
   * Records a failure that happened outside `execute` (a produce error, a record the sink task reports): reports it,
   * and throws `Tolerance exceeded in error handler` when it is not tolerated. The promise settles when the
   * reporters are done.
   */
  executeFailed(context: ProcessingContext<T>, stage: Stage, executingClass: string, error: unknown): Promise<void> {
    this.#totalFailures++
    this.#metrics.recordErrorTimestamp()
    this.#metrics.recordFailure()
    context.currentContext(stage, executingClass)
    context.error = error
    const reported = this.report(context)
    if (!this.withinToleranceLimits()) {
      this.#metrics.recordError()
      throw errorHandlerException('Tolerance exceeded in error handler', context, error)
    }
    return reported
  }

  /** The wait after `attempt` failed attempts: 300 ms doubling, random below the maximum past it, never past the deadline. */
  backoffDelay(attempt: number, deadline: number): number {
    const max = this.settings.retryDelayMaxMs
    let delay = RETRIES_DELAY_MIN_MS * 2 ** (attempt - 1)
    if (delay > max) delay = Math.floor(this.#clock.random() * max)
    const now = this.#clock.now()
    if (delay + now > deadline) delay = Math.max(0, deadline - now)
    return delay
  }

  withinToleranceLimits(): boolean {
    return this.settings.tolerance === 'all' || this.#totalFailures === 0
  }

  /**
   * Tells every reporter about the failed record; the promise (also kept in `context.reported`) settles when they
   * are done. Its rejection is handled here, so a task that fails before awaiting it does not crash the worker.
   */
  report(context: ProcessingContext<T>): Promise<void> {
    const pending: Array<Promise<void> | void> = []
    for (const reporter of this.#reporters) {
      try {
        pending.push(reporter.report(context))
      } catch (e) {
        pending.push(Promise.reject(e))
      }
    }
    const previous = context.reported
    const reported = Promise.all(previous ? [previous, ...pending] : pending).then(() => {})
    reported.catch(() => {})
    context.reported = reported
    return reported
  }

  /** Ends waits between retries at once; the operations being retried throw RetriesInterruptedException. */
  triggerStop(): void {
    this.#stop.abort()
  }

  async close(): Promise<void> {
    const reporters = this.#reporters
    this.#reporters = []
    const errors: unknown[] = []
    for (const reporter of reporters) {
      try {
        await reporter.close()
      } catch (e) {
        errors.push(e)
      }
    }
    if (errors.length > 0) throw new ConnectException('Failed to close all reporters', errors[0])
  }
}

/** Settles when `until` does or `signal` aborts. */
function untilOrStopped(until: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise<void>((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
    void until.then(done)
  })
}
