import { AsyncLocalStorage } from 'node:async_hooks'
import type { Logger } from './logger.ts'

/**
 * The connector or task a piece of work is done for (Apache's `LoggingContext`, its MDC `connector.context`). The
 * worker runs a connector's and a task's code inside one, so every line logged from there, by the worker or by the
 * plugin, carries it: in JSON as `connector` and `task` fields, in the pretty format as Apache's `[my-sink|task-0] `.
 * `loggers` resolves the plugin loggers (`getLogger` of `@ferry/api`) of the worker doing the work.
 */
export interface LoggingContext {
  readonly connector: string
  /** The task number; absent for the connector itself (Apache's `[name|worker]`). */
  readonly task?: number
  readonly loggers?: (name: string) => Logger
}

const current = new AsyncLocalStorage<LoggingContext>()

/** Runs `fn` (and everything it starts) in `context`. */
export function runInLoggingContext<T>(context: LoggingContext, fn: () => T): T {
  return current.run(context, fn)
}

/** The context of the code running now, if any. */
export function loggingContext(): LoggingContext | undefined {
  return current.getStore()
}

/** Apache's MDC value: `[connector|task-N] ` for a task, `[connector|worker] ` for the connector. */
export function connectorContextPrefix(connector: string, task: number | undefined): string {
  return `[${connector}|${task === undefined ? 'worker' : `task-${task}`}] `
}
