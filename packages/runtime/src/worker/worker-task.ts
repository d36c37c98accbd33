import type { ErrorReporter } from '../errors/error-reporter.ts'
import { RetriesInterruptedException, RetryWithToleranceOperator } from '../errors/retry-with-tolerance-operator.ts'
import type { Logger } from '../logger.ts'

export interface ConnectorTaskId {
  readonly connector: string
  readonly task: number
}

export type TargetState = 'STARTED' | 'PAUSED' | 'STOPPED'

/** Told about a task's life; the herder turns these into the status it reports. */
export interface TaskStatusListener {
  onStartup(id: ConnectorTaskId): void
  onPause(id: ConnectorTaskId): void
  onResume(id: ConnectorTaskId): void
  onFailure(id: ConnectorTaskId, error: Error): void
  onShutdown(id: ConnectorTaskId): void
}

/** A task's error handling (`errors.*`): the operator its records go through, and its reporters. */
export interface TaskErrorHandling<T> {
  operator: RetryWithToleranceOperator<T>
  /** Creates the reporters (log, dead letter queue) when the task starts; a failure fails the task. */
  reporters: () => Promise<ErrorReporter<T>[]>
  /** The converters' class names, as error reports name them. */
  converterClasses: { key: string; value: string; header: string }
}

/** Apache's defaults: no retries, no tolerance, no reporters. */
export function defaultErrorHandling<T>(converters: {
  key: object
  value: object
  header: object
}): TaskErrorHandling<T> {
  return {
    operator: new RetryWithToleranceOperator({ retryTimeoutMs: 0, retryDelayMaxMs: 60000, tolerance: 'none' }),
    reporters: async () => [],
    converterClasses: {
      key: converters.key.constructor.name,
      value: converters.value.constructor.name,
      header: converters.header.constructor.name,
    },
  }
}

/**
 * Whether a worker's tasks must not deliver records now, and why (null: they may). Read right before each delivery: a
 * source task produces no new batch and a sink task hands no records to `put` while it gives a reason. The
 * distributed herder holds its tasks while it may have lost them to other workers (see docs/distributed.md).
 */
export type TaskHold = () => string | null

/** How often a held task looks at its hold again. */
const HOLD_CHECK_MS = 100

export function taskName(id: ConnectorTaskId): string {
  return `${id.connector}-${id.task}`
}

/**
 * What source and sink task wrappers share: a run loop in the background, pause/resume, and a stop that waits
 * (bounded) for the loop to finish. A loop that throws fails the task; nothing is retried here.
 */
export abstract class WorkerTask {
  readonly id: ConnectorTaskId
  protected readonly log: Logger
  protected readonly listener: TaskStatusListener
  #state: TargetState
  #stopping = false
  #resume: (() => void) | null = null
  /** Waits in progress (`sleep`), ended early by `stop`. */
  readonly #sleepers = new Set<() => void>()
  #done: Promise<void> = Promise.resolve()
  #failed = false
  #hold: TaskHold = () => null

  constructor(id: ConnectorTaskId, initialState: TargetState, listener: TaskStatusListener, log: Logger) {
    this.id = id
    this.#state = initialState
    this.listener = listener
    this.log = log
  }

  get stopping(): boolean {
    return this.#stopping
  }

  get paused(): boolean {
    return this.#state === 'PAUSED'
  }

  get failed(): boolean {
    return this.#failed
  }

  /** Why the task must not deliver records now (see TaskHold), or null. */
  protected get heldBecause(): string | null {
    return this.#hold()
  }

  /** Starts the loop under `hold` (none by default); returns at once. */
  run(hold?: TaskHold): void {
    if (hold) this.#hold = hold
    this.#done = (async () => {
      try {
        await this.initializeAndStart()
        if (this.#stopping) return
        if (this.paused) this.listener.onPause(this.id)
        else this.listener.onStartup(this.id)
        await this.execute()
      } catch (e) {
        if (this.#stopping && e instanceof RetriesInterruptedException) {
          this.log.info(`${taskName(this.id)} stopped while retrying a failed operation; its record was not processed`)
          return
        }
        const error = e instanceof Error ? e : new Error(String(e))
        this.#failed = true
        this.log.error({ err: error }, `${taskName(this.id)} failed: ${error.message}`)
        this.listener.onFailure(this.id, error)
      } finally {
        try {
          await this.close()
        } catch (e) {
          this.log.warn({ err: e }, 'Error while closing the task')
        }
        if (!this.#failed) this.listener.onShutdown(this.id)
      }
    })()
  }

  transitionTo(state: TargetState): void {
    if (state === this.#state) return
    this.#state = state
    this.onTargetState()
    if (state === 'PAUSED') this.listener.onPause(this.id)
    else if (state === 'STARTED') {
      this.listener.onResume(this.id)
      this.#resume?.()
    }
  }

  /** Asks the loop to end and waits up to `timeoutMs` for it. Returns false when the loop did not end in time. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.#stopping = true
    this.#resume?.()
    for (const wake of this.#sleepers) wake()
    this.onStop()
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs)
    })
    const ended = await Promise.race([this.#done.then(() => true), timedOut])
    clearTimeout(timer)
    if (!ended) this.log.warn(`Graceful stop of task ${taskName(this.id)} failed after ${timeoutMs} ms`)
    return ended
  }

  /** Waits `ms`, or until the task is asked to stop: a backoff must not hold up the stop or outlive the task. */
  protected sleep(ms: number): Promise<void> {
    if (this.#stopping) return Promise.resolve()
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        this.#sleepers.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.#sleepers.add(wake)
    })
  }

  /**
   * Resolves at once when the task may deliver, else once its hold ends or the task is asked to stop (the caller
   * checks `stopping`: a task stopped while held delivers nothing more). Logs when a hold starts and ends.
   */
  protected async waitWhileHeld(): Promise<void> {
    let reason = this.#hold()
    if (reason === null || this.#stopping) return
    const since = Date.now()
    this.log.warn(`${taskName(this.id)} holds its records: ${reason}`)
    while (reason !== null && !this.#stopping) {
      await this.sleep(HOLD_CHECK_MS)
      reason = this.#hold()
    }
    if (!this.#stopping) this.log.info(`${taskName(this.id)} delivers again after a hold of ${Date.now() - since} ms`)
  }

  /** Resolves when the task is running again or stopping. */
  protected async waitWhilePaused(): Promise<void> {
    while (this.paused && !this.#stopping) {
      await new Promise<void>((resolve) => {
        this.#resume = resolve
      })
      this.#resume = null
    }
  }

  protected abstract initializeAndStart(): Promise<void>
  protected abstract execute(): Promise<void>
  /** Called when the target state changes (paused or resumed), after `paused` says the new state. */
  protected onTargetState(): void {}
  /** Called once when stop is requested, before waiting; should make a blocked poll or put return soon. */
  protected abstract onStop(): void
  /** Releases clients and commits what can be committed; runs once after the loop, also after a failure. */
  protected abstract close(): Promise<void>
}
