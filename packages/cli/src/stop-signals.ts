import type { Logger } from '@ferry/runtime'

/** A person's second Ctrl-C comes at least this long after the first; a faster one is a duplicate. */
export const FORCE_AFTER_MS = 1000

/** What a worker does on a stop signal: `stop` once, `force` when a person insists. */
export interface StopSignalHandlers {
  /** Starts the graceful stop (tasks stopped, final offsets committed); called once, for the first signal. */
  stop(signal: NodeJS.Signals): void
  /** Exits at once, without waiting for the tasks. */
  force(signal: NodeJS.Signals): void
}

export interface StopSignalOptions {
  log: Logger
  /** Whether a person can press Ctrl-C: stdin, stdout or stderr is a terminal. */
  interactive?: boolean
  /** Where the signals come from (the process; an emitter in tests). */
  source?: Pick<NodeJS.EventEmitter, 'on' | 'off'>
  now?: () => number
}

/**
 * Listens for SIGTERM and SIGINT as supervisors and people send them. The first of either stops the worker
 * gracefully. Every further SIGTERM is logged and ignored: process-group kills, `timeout` and some init systems send
 * it twice within milliseconds, and the final offsets must still be committed. A further SIGINT forces the exit only
 * when it is a person's second Ctrl-C: in a process attached to a terminal, at least `FORCE_AFTER_MS` after the first
 * signal (a terminal's Ctrl-C and a wrapper forwarding it arrive together). Returns a function that stops listening.
 */
export function onStopSignals(handlers: StopSignalHandlers, options: StopSignalOptions): () => void {
  const { log } = options
  const interactive = options.interactive ?? isInteractive()
  const source = options.source ?? process
  const now = options.now ?? Date.now
  let firstAt: number | null = null
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstAt === null) {
      firstAt = now()
      handlers.stop(signal)
      return
    }
    if (signal === 'SIGINT' && interactive && now() - firstAt >= FORCE_AFTER_MS) {
      log.warn(`${signal} again: exiting without waiting for tasks; offsets not yet committed are not`)
      handlers.force(signal)
      return
    }
    log.info(
      `${signal} again: still stopping gracefully${interactive ? ' (press Ctrl-C again to exit without waiting for the tasks)' : ''}`,
    )
  }
  const onSigint = () => onSignal('SIGINT')
  const onSigterm = () => onSignal('SIGTERM')
  source.on('SIGINT', onSigint)
  source.on('SIGTERM', onSigterm)
  return () => {
    source.off('SIGINT', onSigint)
    source.off('SIGTERM', onSigterm)
  }
}

function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY || process.stdout.isTTY || process.stderr.isTTY)
}
