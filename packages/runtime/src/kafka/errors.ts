/**
 * The one place Ferry reads the Kafka client's errors: a protocol error code's id and retryability, and the error
 * trees the client rejects with (a `MultipleErrors` holding `ProtocolError`s, network and timeout errors, causes),
 * walked the same way for every question asked of them.
 */
import { protocolErrors, protocolErrorsCodesById } from '@platformatic/kafka'
import { KafkaClientException } from './failures.ts'

/** A Kafka protocol error code's id (`NOT_LEADER_OR_FOLLOWER`), whether it is retriable, and its message. */
export function protocolError(code: number): { id: string; canRetry: boolean; message: string } {
  const id = protocolErrorsCodesById[code] ?? `UNKNOWN_ERROR_${code}`
  const known = protocolErrors[id]
  return { id, canRetry: known?.canRetry ?? false, message: known?.message ?? `Kafka error code ${code}` }
}

/** A Kafka protocol error id's retryability and message (`CONCURRENT_TRANSACTIONS` → retriable). */
export function protocolErrorById(id: string): { canRetry: boolean; message: string } {
  const known = protocolErrors[id]
  return { canRetry: known?.canRetry ?? false, message: known?.message ?? id }
}

/** Every error in the tree the client rejects with: the error, its `errors` and `cause`s, depth first. */
function errorTree(error: unknown): unknown[] {
  const out: unknown[] = []
  const visit = (e: unknown, depth: number) => {
    if (e === null || typeof e !== 'object' || depth > 5) return
    out.push(e)
    const errors = (e as { errors?: unknown }).errors
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1)
    visit((e as { cause?: unknown }).cause, depth + 1)
  }
  visit(error, 0)
  return out
}

/**
 * The message of the innermost error: the first of `errors` at each level, else the `cause`, as deep as they go
 * (`Creating topics failed.` → `Cannot connect to any broker.` → `Connection to h:p failed.` → `connect
 * ECONNREFUSED h:p`). For a failure's one-line reason.
 */
export function innermostMessage(error: unknown): string {
  let e = error as { errors?: unknown[]; cause?: unknown; message?: string } | null
  for (let i = 0; i < 10 && e; i++) {
    const next = Array.isArray(e.errors) && e.errors.length > 0 ? e.errors[0] : e.cause
    if (next === null || typeof next !== 'object') break
    e = next as typeof e
  }
  return e?.message ?? String(error)
}

/** Every message and protocol error id in the tree, for matching a failure's text. */
export function allMessages(error: unknown): string {
  return errorTree(error)
    .flatMap((e) => [String((e as Error).message ?? ''), String((e as { apiId?: string }).apiId ?? '')])
    .join(' ')
}

/** The Kafka protocol error ids (`GROUP_ID_NOT_FOUND`, `NON_EMPTY_GROUP`, ...) in an error from the client. */
export function kafkaErrorIds(error: unknown): string[] {
  return errorTree(error).flatMap((e) => {
    const id = (e as { apiId?: unknown }).apiId
    return typeof id === 'string' ? [id] : []
  })
}

/** True when the error means the broker could not be reached (as opposed to a refusal by the broker). */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code ?? ''
  if (code === 'PLT_KFK_NETWORK' || code === 'PLT_KFK_TIMEOUT') return true
  // A producer delivery that timed out because the brokers could not be reached.
  if (error instanceof KafkaClientException && error.name === 'TimeoutException' && error.cause !== undefined)
    return isConnectionError(error.cause)
  const errors = (error as { errors?: unknown[] } | null)?.errors
  return Array.isArray(errors) && errors.length > 0 && errors.every(isConnectionError)
}

/** Whether every error underneath says the request may succeed if repeated. */
export function isRetriable(error: unknown): boolean {
  if (isConnectionError(error)) return true
  const errors = (error as { errors?: unknown[] } | null)?.errors
  if (Array.isArray(errors) && errors.length > 0) return errors.every(isRetriable)
  return (error as { canRetry?: unknown } | null)?.canRetry === true
}
