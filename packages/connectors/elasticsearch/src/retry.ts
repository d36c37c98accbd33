/**
 * Confluent's RetryUtil: exponential backoff with full jitter. Attempt n (1-based) waits a random time in
 * [0, min(24 h, initialBackoff << n)).
 */
import { ConnectException } from '@ferry/api'

export const MAX_RETRY_TIME_MS = 24 * 3600 * 1000

/** The upper bound of the wait after `retryAttempts` attempts. */
export function computeRetryWaitTimeInMillis(retryAttempts: number, initialRetryBackoffMs: number): number {
  if (initialRetryBackoffMs < 0) return 0
  if (retryAttempts <= 0) return initialRetryBackoffMs
  if (retryAttempts > 32) return MAX_RETRY_TIME_MS
  return Math.min(MAX_RETRY_TIME_MS, initialRetryBackoffMs * 2 ** retryAttempts)
}

/** A random wait in [0, computeRetryWaitTimeInMillis). */
export function computeRandomRetryWaitTimeInMillis(retryAttempts: number, initialRetryBackoffMs: number): number {
  if (initialRetryBackoffMs < 0) return 0
  if (retryAttempts < 0) return initialRetryBackoffMs
  return Math.floor(Math.random() * computeRetryWaitTimeInMillis(retryAttempts, initialRetryBackoffMs))
}

/** An error that retrying cannot fix (a 4xx answer); `callWithRetries` gives up on it at once. */
export class PermanentError extends ConnectException {}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Calls `fn` up to `maxTotalAttempts` times, waiting with jittered backoff in between; `onRetry` hears each failure
 * that is retried. Throws ConnectException `Failed to <description> due to '<error>' after <n> attempt(s)`.
 */
export async function callWithRetries<T>(
  description: string,
  fn: () => Promise<T>,
  maxTotalAttempts: number,
  initialBackoffMs: number,
  onRetry?: (error: Error, attempt: number, backoffMs: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (e) {
      const error = e as Error
      if (attempt >= maxTotalAttempts || error instanceof PermanentError) {
        throw new ConnectException(
          `Failed to ${description} due to '${error.message}' after ${attempt} attempt(s)`,
          error,
        )
      }
      const backoff = computeRandomRetryWaitTimeInMillis(attempt, initialBackoffMs)
      onRetry?.(error, attempt, backoff)
      await sleep(backoff)
    }
  }
}
