import type { Herder, Logger, MetricsSource, PluginRegistry, RestClient, WorkerConfig } from '@ferry/runtime'
import type { FastifyReply, FastifyRequest } from 'fastify'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** What every route sees. */
export interface RestContext {
  herder: Herder
  plugins: PluginRegistry
  workerConfig: WorkerConfig
  log: Logger
  /** How long a request waits for the herder (Apache: 90 s) before answering 500 "Request timed out". */
  requestTimeoutMs: number
  /** How long the health check waits (Apache: 10 s). */
  healthCheckTimeoutMs: number
  /** What `GET /metrics` serves on this listener; null when `metrics.listener` serves it elsewhere (or nowhere). */
  metrics?: MetricsSource | null
  /** Sends forwarded requests to other workers (https with the worker's `listeners.https.` TLS). */
  restClient: RestClient
}

/** One endpoint: the route table is the single source for the server, the 405s and docs/rest.md. */
export interface RouteSpec {
  method: HttpMethod
  url: string
  /** One line for docs/rest.md. */
  summary: string
  /** Served only where `admin.listeners` says (`/admin/*`). */
  admin?: boolean
  /** Reads a JSON body: `request.body` is the parsed body (undefined when there is none). */
  entity?: boolean
  /** Takes any `Content-Type` (Apache's RootResource has no `@Consumes`); other routes want `application/json`. */
  anyMediaType?: boolean
  handler(request: FastifyRequest, reply: FastifyReply): Promise<unknown>
}

/** Waits for a herder operation at most `ms` (Apache's `Request timed out`, 500). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message = 'Request timed out'): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(message)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

export class TimeoutError extends Error {
  override name = 'TimeoutError'
}

/** Path parameters, typed. */
export function params(request: FastifyRequest): Record<string, string> {
  return request.params as Record<string, string>
}

export function query(request: FastifyRequest): Record<string, string | string[] | undefined> {
  return request.query as Record<string, string | string[] | undefined>
}
