import { readFile } from 'node:fs/promises'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { UsageError } from '../errors.ts'
import type { Context } from './contexts.ts'

/** The server answered with an error status; `message` is Apache's `{"error_code","message"}` message when it sent one. */
export class ServerError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

/** No answer came: the connection was refused, the name did not resolve, TLS failed, or the request timed out. */
export class UnreachableError extends Error {}

export interface RestResponse {
  status: number
  /** The parsed JSON body, or null when there was none. */
  body: unknown
}

/** How long one request may take: Apache's REST requests time out after 90 s on the server. */
const REQUEST_TIMEOUT_MS = 120_000

/**
 * A client of the Connect REST API (Apache's or Ferry's) for one context: adds its auth header and TLS settings,
 * sends and reads JSON. Resolves with 2xx answers; rejects with `ServerError` for 4xx/5xx and `UnreachableError`
 * when no answer came.
 */
export class ConnectClient {
  readonly url: string
  readonly #context: Context
  #ca: Promise<Buffer> | undefined
  #clientCert: Promise<{ cert: Buffer; key: Buffer }> | undefined

  constructor(context: Context) {
    this.#context = context
    this.url = context.url.replace(/\/+$/, '')
  }

  get(path: string): Promise<RestResponse> {
    return this.request('GET', path)
  }

  async request(method: string, path: string, body?: unknown): Promise<RestResponse> {
    const target = new URL(`${this.url}${path}`)
    const headers: Record<string, string> = { Accept: 'application/json' }
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    if (payload) {
      headers['Content-Type'] = 'application/json'
      headers['Content-Length'] = String(payload.length)
    }
    const c = this.#context
    if (c.user !== undefined) {
      headers.Authorization = `Basic ${Buffer.from(`${c.user}:${c.password ?? ''}`).toString('base64')}`
    } else if (c.token !== undefined) {
      headers.Authorization = `Bearer ${c.token}`
    }
    const https = target.protocol === 'https:'
    const tls = https
      ? {
          ...(c['ca-file'] ? { ca: await this.#readCa() } : {}),
          ...(c['cert-file'] ? await this.#readClientCert() : {}),
          rejectUnauthorized: !c.insecure,
        }
      : {}
    const res = await new Promise<{ status: number; text: string; res: IncomingMessage }>((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(target, { method, headers, ...tls }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), res }))
        res.on('error', (e) => reject(this.#unreachable(e)))
      })
      req.setTimeout(REQUEST_TIMEOUT_MS, () =>
        req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
      )
      req.on('error', (e) => reject(this.#unreachable(e)))
      req.end(payload)
    })
    let parsed: unknown = null
    if (res.text.trim() !== '') {
      try {
        parsed = JSON.parse(res.text)
      } catch {
        parsed = res.text
      }
    }
    if (res.status >= 400) throw new ServerError(res.status, errorMessage(res.status, res.res.statusMessage, parsed))
    return { status: res.status, body: parsed }
  }

  #readCa(): Promise<Buffer> {
    const file = this.#context['ca-file']!
    this.#ca ??= readFile(file).catch((e: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read ca-file ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`)
    })
    return this.#ca
  }

  #readClientCert(): Promise<{ cert: Buffer; key: Buffer }> {
    const read = (key: 'cert-file' | 'key-file') => {
      const file = this.#context[key]!
      return readFile(file).catch((e: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot read ${key} ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`)
      })
    }
    this.#clientCert ??= Promise.all([read('cert-file'), read('key-file')]).then(([cert, key]) => ({ cert, key }))
    return this.#clientCert
  }

  #unreachable(e: Error): UnreachableError {
    const code = (e as NodeJS.ErrnoException).code
    const reasons: Record<string, string> = {
      ECONNREFUSED: 'connection refused',
      ENOTFOUND: 'unknown host',
      EAI_AGAIN: 'host name lookup failed',
      ECONNRESET: 'connection reset',
      EHOSTUNREACH: 'host unreachable',
      ENETUNREACH: 'network unreachable',
      ETIMEDOUT: `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`,
    }
    let reason = (code && reasons[code]) ?? e.message
    if (code && /CERT|SIGNATURE|ALTNAME/.test(code)) {
      reason = `TLS: ${e.message} (set the context's ca-file to the CA that signed it, or insecure)`
    }
    return new UnreachableError(`cannot reach ${this.url}: ${reason}`)
  }
}

function errorMessage(status: number, statusText: string | undefined, body: unknown): string {
  if (body !== null && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message
  }
  // Not Apache's JSON error (a proxy, Jetty's HTML page): the status line says what happened.
  return `HTTP ${status}${statusText ? ` ${statusText}` : ''}`
}
