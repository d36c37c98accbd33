import type { Logger } from '../logger.ts'
import type { LoggerLevel } from './herder.ts'

/** Apache's (log4j) level names and the pino level each one sets. */
const TO_PINO: Readonly<Record<string, string>> = {
  OFF: 'silent',
  FATAL: 'fatal',
  ERROR: 'error',
  WARN: 'warn',
  INFO: 'info',
  DEBUG: 'debug',
  TRACE: 'trace',
  ALL: 'trace',
}

const FROM_PINO: Readonly<Record<string, string>> = {
  silent: 'OFF',
  fatal: 'FATAL',
  error: 'ERROR',
  warn: 'WARN',
  info: 'INFO',
  debug: 'DEBUG',
  trace: 'TRACE',
}

export const ROOT_LOGGER = 'root'

/**
 * The worker's loggers by name (Apache's `Loggers`, for `/admin/loggers`): `root` is the process's pino logger, and
 * named loggers are pino children whose level follows their closest named ancestor until a level is set on them.
 * Setting a namespace's level sets it on the namespace and every logger below it (`a.b` is below `a`).
 */
export class Loggers {
  readonly #root: Logger
  readonly #named = new Map<string, Logger>()
  readonly #lastModified = new Map<string, number>()
  readonly #now: () => number

  constructor(root: Logger, named: Readonly<Record<string, Logger>> = {}, now: () => number = Date.now) {
    this.#root = root
    this.#now = now
    for (const [name, logger] of Object.entries(named)) this.#named.set(name, logger)
  }

  /** True for the levels Apache accepts (OFF, FATAL, ERROR, WARN, INFO, DEBUG, TRACE, ALL; any case). */
  static isValidLevel(level: string): boolean {
    return Object.hasOwn(TO_PINO, level.toUpperCase())
  }

  /** The logger for a namespace, created (a child of its closest ancestor) when it does not exist yet. */
  logger(namespace: string): Logger {
    if (namespace === ROOT_LOGGER) return this.#root
    const existing = this.#named.get(namespace)
    if (existing) return existing
    const created = this.#parentOf(namespace).child({})
    this.#named.set(namespace, created)
    return created
  }

  #parentOf(namespace: string): Logger {
    let name = namespace
    for (let dot = name.lastIndexOf('.'); dot > 0; dot = name.lastIndexOf('.')) {
      name = name.slice(0, dot)
      const parent = this.#named.get(name)
      if (parent) return parent
    }
    return this.#root
  }

  level(name: string): LoggerLevel | null {
    const logger = name === ROOT_LOGGER ? this.#root : this.#named.get(name)
    if (!logger) return null
    return { level: levelName(logger), last_modified: this.#lastModified.get(name) ?? null }
  }

  /** Every logger with its level, by name (sorted), `root` included. */
  allLevels(): Record<string, LoggerLevel> {
    const out: Record<string, LoggerLevel> = {}
    for (const name of [...this.#named.keys(), ROOT_LOGGER].sort()) out[name] = this.level(name)!
    return out
  }

  /**
   * Sets the level of `namespace` and every logger below it (all loggers for `root`). Returns the names of the
   * loggers whose level changed, sorted. Throws on a level `isValidLevel` rejects.
   */
  setLevel(namespace: string, level: string): string[] {
    const pinoLevel = TO_PINO[level.toUpperCase()]
    if (!pinoLevel) throw new Error(`invalid log level '${level}'.`)
    const targets: string[] = []
    if (namespace === ROOT_LOGGER) targets.push(ROOT_LOGGER, ...this.#named.keys())
    else {
      this.logger(namespace)
      for (const name of this.#named.keys()) {
        if (name === namespace || name.startsWith(`${namespace}.`)) targets.push(name)
      }
    }
    const now = this.#now()
    const loggers = targets.map((name) => ({
      name,
      logger: name === ROOT_LOGGER ? this.#root : this.#named.get(name)!,
    }))
    // Levels before any change: a child that follows its parent changes with it.
    const before = loggers.map(({ logger }) => logger.level)
    const changed: string[] = []
    loggers.forEach(({ name, logger }, i) => {
      logger.level = pinoLevel
      this.#lastModified.set(name, now)
      if (before[i] !== pinoLevel) changed.push(name)
    })
    return changed.sort()
  }
}

function levelName(logger: Logger): string {
  return FROM_PINO[logger.level] ?? logger.level.toUpperCase()
}
