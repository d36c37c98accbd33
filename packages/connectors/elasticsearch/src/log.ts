/**
 * The connector's log lines, in the worker's format (pino's JSON lines on stdout: level, time, msg), filtered by
 * FERRY_LOG_LEVEL like the worker's own. A connector package imports no logger from the runtime.
 */
const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const
export type Level = keyof typeof LEVELS

const threshold = LEVELS[(process.env.FERRY_LOG_LEVEL ?? 'info') as Level] ?? LEVELS.info

export interface Log {
  debug(msg: string): void
  info(msg: string): void
  warn(msg: string): void
  error(msg: string): void
}

/** A log whose lines carry `name` (e.g. `ElasticsearchSinkTask`) and the connector's name. */
export function createLog(name: string, connector: string): Log {
  const write = (level: Level, msg: string) => {
    if (LEVELS[level] < threshold) return
    process.stdout.write(
      `${JSON.stringify({ level: LEVELS[level], time: new Date().toISOString(), name, connector, msg })}\n`,
    )
  }
  return {
    debug: (msg) => write('debug', msg),
    info: (msg) => write('info', msg),
    warn: (msg) => write('warn', msg),
    error: (msg) => write('error', msg),
  }
}
