import { bindLogging, ConfigException, type LogLevel } from '@ferry/api'
import { pino } from 'pino'
import pinoPretty from 'pino-pretty'
import { connectorContextPrefix, loggingContext } from './logging-context.ts'

export type Logger = pino.Logger

/** `log.format`: JSON lines (the default), or pino-pretty's coloured lines for a terminal. */
export const LOG_FORMATS = ['json', 'pretty'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

/**
 * The log format from the worker's `log.format` key and the `FERRY_LOG_FORMAT` environment variable (which wins, so
 * one run can be switched without editing the file); default json. Throws a ConfigException naming where a value
 * that is not a format came from.
 */
export function logFormat(
  workerProps: Readonly<Record<string, string>>,
  env: NodeJS.ProcessEnv = process.env,
): LogFormat {
  const fromEnv = env.FERRY_LOG_FORMAT
  const [source, raw] =
    fromEnv !== undefined && fromEnv !== ''
      ? ['environment variable FERRY_LOG_FORMAT', fromEnv]
      : ['configuration log.format', workerProps['log.format'] ?? 'json']
  const value = raw.trim()
  if ((LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat
  throw new ConfigException(`Invalid value ${raw} for ${source}: String must be one of: ${LOG_FORMATS.join(', ')}`)
}

export interface LoggerOptions {
  /** Default `FERRY_LOG_LEVEL`, else info. */
  level?: string
  /** Default json. */
  format?: LogFormat
  /** Where lines go; default stdout. */
  destination?: NodeJS.WritableStream
  /** Pretty format only: colours; default when the destination is a terminal that takes them (NO_COLOR, FORCE_COLOR). */
  colorize?: boolean
  /** Sees every JSON line before it is written (or made pretty). */
  redact?: (line: string) => string
}

/** The process's root logger, once made: plugin lines written outside any connector or task go there. */
let processRoot: Logger | undefined

/**
 * The worker's root logger, level from `FERRY_LOG_LEVEL` (default info). JSON lines carry `"level":"info"` (the
 * label, not pino's number), an ISO `time`, `msg`, and the `connector` and `task` of the work they were written for
 * (see logging-context.ts). The pretty format is the same line made readable by pino-pretty: time, level, Apache's
 * `[connector|task-0] ` prefix, message, then the other fields. `redact` sees every JSON line before it is written
 * (the worker's `SecretRedactor`, so no resolved secret reaches the log).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.FERRY_LOG_LEVEL ?? 'info'
  const destination =
    (options.format ?? 'json') === 'pretty'
      ? prettyStream(options.destination, options.colorize)
      : (options.destination ?? pino.destination(1))
  const logger = pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: contextFields,
      ...(options.redact ? { hooks: { streamWrite: options.redact } } : {}),
    },
    destination,
  )
  processRoot = logger
  return logger
}

/** The connector and task of the code logging now (Apache's MDC), as fields of its line. */
function contextFields(): Record<string, unknown> {
  const context = loggingContext()
  if (!context) return {}
  return context.task === undefined
    ? { connector: context.connector }
    : { connector: context.connector, task: context.task }
}

function prettyStream(destination: NodeJS.WritableStream | undefined, colorize: boolean | undefined) {
  return pinoPretty({
    destination: destination ?? 1,
    sync: true,
    ...(colorize === undefined ? {} : { colorize }),
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'connector,task',
    messageFormat: (log, messageKey) => {
      const connector = log.connector
      const prefix =
        typeof connector === 'string'
          ? connectorContextPrefix(connector, typeof log.task === 'number' ? log.task : undefined)
          : ''
      return `${prefix}${String(log[messageKey] ?? '')}`
    },
  })
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}

// Plugins' loggers (`getLogger` of @ferry/api) write to the loggers of the worker doing the work, named as the plugin
// named them (so `/admin/loggers` sets their levels), else to the process's root logger.
bindLogging({
  log(name: string, level: LogLevel, message: string, error?: unknown) {
    const logger = loggingContext()?.loggers?.(name) ?? processRoot ?? createLogger()
    logger[level](error === undefined ? { name } : { name, err: error }, message)
  },
})
