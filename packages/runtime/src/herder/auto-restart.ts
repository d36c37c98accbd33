/**
 * Ferry's automatic restart (`errors.restart.*`, beyond Apache) of failed connectors and tasks, for either herder:
 * the herder reports failures and RUNNING states; this schedules restarts with backoff and notes them in the trace.
 */
import { parseRestartPolicy, type RestartPolicy, restartBackoffMs } from '../config/connector-config.ts'
import type { Logger } from '../logger.ts'
import type { AutoRestartCount } from '../metrics/connect-metrics.ts'
import { traceOf } from '../storage/status-store.ts'

/** Ferry's automatic restart (`errors.restart.*`) of one connector or task. */
interface RestartState {
  /** Automatic restarts made since the count was last reset. */
  attempts: number
  /** When it last reported RUNNING; a long enough run resets `attempts` at the next failure. */
  runningSince: number | null
  timer: NodeJS.Timeout | null
  /** Automatic restarts scheduled in all (not reset by a long run), and whether they ran out: for the metrics. */
  scheduled: number
  gaveUp: boolean
}

export interface AutoRestartsOptions {
  log: Logger
  /** The connector's config, or null when it no longer exists. */
  connectorConfig(name: string): Readonly<Record<string, string>> | null
  /** The worker's properties (the defaults of `errors.restart.*`). */
  workerConfig: Readonly<Record<string, string>>
  /** Runs a restart the way the herder runs its operations (serialised). */
  run(fn: () => Promise<void>): Promise<void>
  /** False while the herder is starting or stopping: no restart is scheduled or made then. */
  active(): boolean
}

/** See the module comment. Keys are `[connector]` and `[connector, task]`. */
export class AutoRestarts {
  /** By connector (`[name]`) and task (`[name, task]`), as JSON. */
  readonly #restarts = new Map<string, RestartState>()
  readonly #log: Logger
  readonly #options: AutoRestartsOptions
  readonly #run: (fn: () => Promise<void>) => Promise<void>
  readonly #active: () => boolean

  constructor(options: AutoRestartsOptions) {
    this.#options = options
    this.#log = options.log
    this.#run = options.run
    this.#active = options.active
    // A bad worker-level errors.restart.* value fails here, before anything runs.
    parseRestartPolicy({}, options.workerConfig)
  }

  /** Cancels every pending restart. */
  clear(): void {
    for (const state of this.#restarts.values()) if (state.timer) clearTimeout(state.timer)
    this.#restarts.clear()
  }

  #policy(name: string): RestartPolicy | null {
    const config = this.#options.connectorConfig(name)
    if (!config) return null
    try {
      return parseRestartPolicy(config, this.#options.workerConfig)
    } catch (e) {
      this.#log.error({ connector: name, err: e }, `No automatic restart for ${name}: ${(e as Error).message}`)
      return null
    }
  }

  #state(key: [string] | [string, number]): RestartState {
    const k = JSON.stringify(key)
    let state = this.#restarts.get(k)
    if (!state) {
      state = { attempts: 0, runningSince: null, timer: null, scheduled: 0, gaveUp: false }
      this.#restarts.set(k, state)
    }
    return state
  }

  /** What has been restarted automatically, for Ferry's `ferry_auto_restart_*` metrics. */
  *counts(): Iterable<AutoRestartCount> {
    for (const [k, state] of this.#restarts) {
      if (state.scheduled === 0 && !state.gaveUp) continue
      const [connector, task] = JSON.parse(k) as [string, number?]
      yield { connector, task: task ?? null, attempts: state.scheduled, gaveUp: state.gaveUp }
    }
  }

  markRunning(key: [string] | [string, number]): void {
    if (this.#restarts.has(JSON.stringify(key)) || this.#policy(key[0])?.enabled) {
      this.#state(key).runningSince = Date.now()
    }
  }

  /**
   * Drops automatic restart state, with any restart pending: of the connector and its tasks (`all`), of the
   * connector only, of all its tasks, or of the given tasks.
   */
  forget(name: string, scope: 'all' | 'connector' | 'tasks' | readonly number[]): void {
    for (const [k, state] of this.#restarts) {
      const [connector, task] = JSON.parse(k) as [string, number?]
      if (connector !== name) continue
      const matches =
        scope === 'all' ||
        (scope === 'connector'
          ? task === undefined
          : task !== undefined && (scope === 'tasks' || (scope as readonly number[]).includes(task)))
      if (!matches) continue
      if (state.timer) clearTimeout(state.timer)
      this.#restarts.delete(k)
    }
  }

  /**
   * A FAILED connector or task under `errors.restart.enable=true`: schedules its next automatic restart after the
   * backoff and returns the failure with a line saying so (the attempt, its time), for the status trace. Returns the
   * failure unchanged when there is no automatic restart.
   */
  schedule(key: [string] | [string, number], what: string, error: Error, restart: () => Promise<void>): Error {
    const policy = this.#policy(key[0])
    if (!policy?.enabled || !this.#active()) return error
    const state = this.#state(key)
    const now = Date.now()
    if (state.runningSince !== null && now - state.runningSince >= policy.resetAfterMs) state.attempts = 0
    state.runningSince = null
    if (state.timer) clearTimeout(state.timer)
    state.timer = null
    if (policy.maxAttempts >= 0 && state.attempts >= policy.maxAttempts) {
      const note = `Ferry automatic restart: gave up after ${state.attempts} attempts (errors.restart.max.attempts=${policy.maxAttempts}); restart it through the REST API`
      this.#log.error(`${what} failed and stays FAILED: automatic restart gave up after ${state.attempts} attempts`)
      state.gaveUp = true
      return withNote(error, note)
    }
    state.attempts++
    state.scheduled++
    state.gaveUp = false
    const attempt = state.attempts
    const delay = restartBackoffMs(policy, attempt)
    const at = new Date(now + delay).toISOString()
    const of = policy.maxAttempts >= 0 ? ` of ${policy.maxAttempts}` : ''
    this.#log.warn(`${what} failed; automatic restart attempt ${attempt}${of} at ${at} (in ${delay} ms)`)
    state.timer = setTimeout(() => {
      state.timer = null
      this.#run(async () => {
        if (this.#restarts.get(JSON.stringify(key)) !== state || !this.#active()) return
        this.#log.info(`Restarting ${what} automatically (attempt ${attempt}${of})`)
        await restart()
      }).catch((e) => this.#log.error({ err: e }, `Automatic restart of ${what} failed`))
    }, delay)
    state.timer.unref()
    return withNote(error, `Ferry automatic restart: attempt ${attempt}${of} at ${at} (in ${delay} ms)`)
  }
}

/** The failure with a line appended to its trace. */
function withNote(error: Error, note: string): Error {
  const noted = new Error(error.message)
  noted.name = error.name
  noted.stack = `${traceOf(error)}\n${note}`
  return noted
}
