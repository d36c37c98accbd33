/**
 * One error mapper for the whole API (Apache's `ConnectExceptionMapper`): every error becomes
 * `{"error_code": <int>, "message": <string>}` with Apache's status and message.
 */
import { AlreadyExistsException, ConfigException, NotFoundException } from '@ferry/api'

/** Apache's error body. */
export interface ErrorMessage {
  error_code: number
  message: string
}

/** An error that carries its HTTP status (Apache's `ConnectRestException`); `errorCode` defaults to the status. */
export class ConnectRestException extends Error {
  readonly statusCode: number
  readonly errorCode: number

  constructor(statusCode: number, message: string, errorCode = statusCode) {
    super(message)
    this.name = 'ConnectRestException'
    this.statusCode = statusCode
    this.errorCode = errorCode
  }
}

/** A 400 (Apache's REST `BadRequestException`). */
export function badRequest(message: string): ConnectRestException {
  return new ConnectRestException(400, message)
}

/** The herder's `BadRequestException` (matched by name, so the REST package needs only the herder's types). */
export function isBadRequest(error: unknown): boolean {
  return error instanceof Error && error.name === 'BadRequestException'
}

/** The texts Jersey and Jetty give for statuses they answer themselves. */
const HTTP_REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  413: 'Request Entity Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
}

/** Apache's body for a status the framework answers itself: `HTTP 404 Not Found`. */
export function httpStatusError(status: number): ConnectRestException {
  return new ConnectRestException(status, `HTTP ${status} ${HTTP_REASONS[status] ?? ''}`.trim())
}

/** Apache's messages for a distributed herder that cannot answer now (used once the distributed herder exists). */
const CONFLICT_MESSAGES: Readonly<Record<string, string>> = {
  RebalanceNeededException:
    'Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)',
  NotLeaderException:
    'Cannot complete request because of a conflicting operation (e.g. worker rebalance): no known leader URL, likely because a rebalance was underway.',
}

/** Status and body for any error a route throws. */
export function toErrorResponse(error: unknown): { status: number; body: ErrorMessage } {
  const reply = (status: number, message: string, code = status) => ({
    status,
    body: { error_code: code, message },
  })
  if (error instanceof ConnectRestException) return reply(error.statusCode, error.message, error.errorCode)
  // The runtime's own REST-status errors (signature checks), matched by name.
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode
  if ((error as Error)?.name === 'ConnectRestException' && typeof statusCode === 'number') {
    return reply(statusCode, (error as Error).message)
  }
  if (error instanceof NotFoundException) return reply(404, error.message)
  if (error instanceof AlreadyExistsException) return reply(409, error.message)
  if (isBadRequest(error) || error instanceof ConfigException) return reply(400, (error as Error).message)
  const name = (error as { name?: unknown } | null)?.name
  if (typeof name === 'string' && CONFLICT_MESSAGES[name]) return reply(409, CONFLICT_MESSAGES[name])
  const fastifyError = fastifyStatus(error)
  if (fastifyError) return fastifyError
  const message = error instanceof Error ? error.message : String(error)
  return reply(500, message)
}

/** Errors fastify raises before a route runs, answered the way Jersey and Jetty answer them. */
function fastifyStatus(error: unknown): { status: number; body: ErrorMessage } | null {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code !== 'string' || !code.startsWith('FST_')) return null
  const statusError = (status: number) => {
    const e = httpStatusError(status)
    return { status, body: { error_code: status, message: e.message } }
  }
  switch (code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return statusError(code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 415 : 400)
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return statusError(413)
    case 'FST_ERR_NOT_FOUND':
      return statusError(404)
    default: {
      const status = (error as { statusCode?: unknown }).statusCode
      const message = error instanceof Error ? error.message : String(error)
      return {
        status: typeof status === 'number' ? status : 500,
        body: { error_code: typeof status === 'number' ? status : 500, message },
      }
    }
  }
}
