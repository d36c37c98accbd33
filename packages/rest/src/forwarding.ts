/**
 * Request forwarding in distributed mode (Apache's `HerderRequestHandler.completeOrForwardRequest`): a request the
 * herder cannot handle on this worker (`NotLeaderException`, `NotAssignedException`) is sent on to the worker that
 * can, at most twice: `?forward=true` from the first worker, `?forward=false` from the second, and a worker that
 * receives `forward=false` and still cannot handle it answers 409.
 */
import { RestIoError } from '@ferry/runtime'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { query, type RestContext } from './context.ts'
import type { ErrorMessage } from './errors.ts'
import { rawBody } from './request-body.ts'

const TARGET_ERRORS = new Set(['NotLeaderException', 'NotAssignedException', 'RequestTargetException'])

/** The URL a herder error says the request belongs to; null when unknown; undefined for any other error. */
export function requestTarget(error: unknown): string | null | undefined {
  if (!(error instanceof Error) || !TARGET_ERRORS.has(error.name) || !('forwardUrl' in error)) return undefined
  const url = (error as { forwardUrl: unknown }).forwardUrl
  return typeof url === 'string' && url.length > 0 ? url : null
}

/** Headers passed on: the caller's credentials and an internal request's signature. */
const PASSED_HEADERS = ['authorization', 'x-connect-authorization', 'x-connect-request-signature-algorithm']

/**
 * Sends the request on to `target` and answers with what it answered. Never throws: a target that cannot be reached
 * (or that breaks off its answer) is answered here with Apache's 500 `IO Error trying to forward REST request: ...`
 * in Apache's body, as the server's error handler, which calls this, is the last one an error could reach.
 */
export async function forwardRequest(
  ctx: RestContext,
  target: string | null,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const conflict = (message: string) => reply.code(409).send({ error_code: 409, message })
  if (target === null) {
    return conflict(
      'Cannot complete request because of a conflicting operation (e.g. worker rebalance): no known leader URL, likely because a rebalance was underway.',
    )
  }
  const forward = query(request).forward
  const forwardValue = Array.isArray(forward) ? forward[0] : forward
  if (forwardValue !== undefined && forwardValue.toLowerCase() === 'false') {
    return conflict('Cannot complete request because of a conflicting operation (e.g. worker rebalance)')
  }
  try {
    return await forwardTo(ctx, target, forwardValue === undefined, request, reply)
  } catch (e) {
    // Apache's RestClient: a failed connection, a timeout or a broken-off answer is an IO error; anything else is not.
    const reason = (e as Error).message
    const message = `${e instanceof RestIoError ? 'IO Error' : 'Error'} trying to forward REST request: ${reason}`
    ctx.log.error({ err: e }, `Could not forward ${request.method} ${request.url} to ${target}: ${reason}`)
    const body: ErrorMessage = { error_code: 500, message }
    return reply.code(500).send(body)
  }
}

async function forwardTo(
  ctx: RestContext,
  target: string,
  first: boolean,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const [path, search = ''] = request.url.split('?', 2) as [string, string?]
  const url = new URL(`${target.replace(/\/+$/, '')}${path}`)
  for (const [k, v] of new URLSearchParams(search)) if (k !== 'forward') url.searchParams.append(k, v)
  url.searchParams.set('forward', String(first))
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'application/json',
    'User-Agent': 'kafka-connect',
  }
  for (const h of PASSED_HEADERS) {
    const value = request.headers[h]
    if (typeof value === 'string') headers[h] = value
  }
  const body = rawBody(request)
  ctx.log.debug(`Forwarding ${request.method} ${request.url} to ${url}`)
  const response = await ctx.restClient.request(url.href, {
    method: request.method,
    headers,
    ...(body === undefined || request.method === 'GET' || request.method === 'HEAD' ? {} : { body }),
    timeoutMs: ctx.requestTimeoutMs,
  })
  const text = response.body
  reply.code(response.status)
  const location = response.headers.location
  // Jersey builds Location from the request that reached this worker, so the path is kept and the host is ours.
  if (location) {
    const host = request.headers.host ?? request.hostname
    reply.header('Location', `${request.protocol}://${host}${new URL(location, url).pathname}`)
  }
  if (text.length === 0) return reply.send()
  return reply.type(response.headers['content-type'] ?? 'application/json').send(text)
}
