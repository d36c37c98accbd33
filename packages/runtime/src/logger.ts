import { pino } from 'pino'

export type Logger = pino.Logger

/**
 * The worker's root logger: JSON lines on stdout, level from `FERRY_LOG_LEVEL` (default info). `redact` sees every
 * line before it is written (the worker's `SecretRedactor`, so no resolved secret reaches the log).
 */
export function createLogger(
  options: { level?: string; destination?: NodeJS.WritableStream; redact?: (line: string) => string } = {},
): Logger {
  const level = options.level ?? process.env.FERRY_LOG_LEVEL ?? 'info'
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      ...(options.redact ? { hooks: { streamWrite: options.redact } } : {}),
    },
    options.destination ?? pino.destination(1),
  )
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
