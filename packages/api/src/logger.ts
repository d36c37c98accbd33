/**
 * Logging for plugins, as SLF4J is for Apache's: `getLogger(name)` where a Java connector has
 * `LoggerFactory.getLogger(MyTask.class)`. Name a logger after the Java class it stands for
 * (`io.confluent.connect.elasticsearch.ElasticsearchSinkTask`) and `/admin/loggers` sets its level as Apache's does.
 *
 * Inside a worker every line goes to the worker's log with the connector and task it was written for (Apache's MDC
 * `connector.context`); the runtime binds itself under a `Symbol.for` key, so a plugin that brings its own copy of this
 * package logs there too. Unbound (a plugin's unit tests), a line is written to stdout as the worker writes JSON,
 * filtered by `FERRY_LOG_LEVEL` (default info).
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error'

/** A named logger. `error` is an Error (its message and stack are logged) or any other value to show with the line. */
export interface Logger {
  trace(message: string, error?: unknown): void
  debug(message: string, error?: unknown): void
  info(message: string, error?: unknown): void
  warn(message: string, error?: unknown): void
  error(message: string, error?: unknown): void
}

/** What a runtime binds: writes one line of the logger `name`, at `level`, where and how the runtime logs. */
export interface LoggingBinding {
  log(name: string, level: LogLevel, message: string, error?: unknown): void
}

const BINDING = Symbol.for('ferry.api.logging')

/** Makes `binding` receive every plugin logger's lines (the runtime does this); undefined unbinds. */
export function bindLogging(binding: LoggingBinding | undefined): void {
  ;(globalThis as { [BINDING]?: LoggingBinding })[BINDING] = binding
}

/** The logger `name`. The binding is looked up at each line, so a logger made when a module loads works. */
export function getLogger(name: string): Logger {
  const write = (level: LogLevel) => (message: string, error?: unknown) => {
    const binding = (globalThis as { [BINDING]?: LoggingBinding })[BINDING]
    if (binding) binding.log(name, level, message, error)
    else writeUnbound(name, level, message, error)
  }
  return {
    trace: write('trace'),
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  }
}

const LEVELS: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 }

function writeUnbound(name: string, level: LogLevel, msg: string, error: unknown): void {
  const threshold = LEVELS[process.env.FERRY_LOG_LEVEL ?? 'info'] ?? LEVELS.info!
  if (LEVELS[level]! < threshold) return
  const err = error instanceof Error ? { type: error.name, message: error.message, stack: error.stack } : error
  const line = { level, time: new Date().toISOString(), name, msg, ...(error === undefined ? {} : { err }) }
  process.stdout.write(`${JSON.stringify(line)}\n`)
}
