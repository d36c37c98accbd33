/**
 * HTTP to a Confluent-compatible schema registry (Confluent's `RestService`): JSON requests to the first base URL that
 * answers, in turn. A URL that cannot be reached (refused, reset, timed out) moves the service to the next one and
 * stays there; when no URL answered, every URL is tried again after a backoff, `maxRetries` times, and then the call
 * fails with a `RetriableException` (the worker's retry and error handling take it from there).
 *
 * Answers of 400 and more become `RestClientException`s with the registry's `error_code` and `message`: 401 and 403
 * say which registry refused which kind of credentials in one line, never the credentials; 5xx, 408 and 429 are
 * `RetriableRestClientException`s. A certificate the client does not trust (or that names another host) fails at
 * once, not retried. Neither the password nor the token ever appears in an error.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import { ConnectException, RetriableException } from '@ferry/api'
import type { RegistryClientOptions } from './schema-registry-client-config.ts'

/** Content type of Confluent's API v1. */
export const SCHEMA_REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'

/** The registry answered with an error: `status` is the HTTP status, `errorCode` the registry's (40401, 409, ...). */
export class RestClientException extends ConnectException {
  readonly status: number
  readonly errorCode: number
  constructor(message: string, status: number, errorCode: number) {
    super(`${message}; error code: ${errorCode}`)
    this.status = status
    this.errorCode = errorCode
  }
}

/** An error answer worth trying again later (5xx, 408, 429). */
export class RetriableRestClientException extends RetriableException {
  readonly status: number
  readonly errorCode: number
  constructor(message: string, status: number, errorCode: number) {
    super(`${message}; error code: ${errorCode}`)
    this.status = status
    this.errorCode = errorCode
  }
}

/** Subject not found, version not found, schema not found (Confluent's 40401, 40402, 40403). */
export const SUBJECT_NOT_FOUND = 40401
export const VERSION_NOT_FOUND = 40402
export const SCHEMA_NOT_FOUND = 40403

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'

/** Sends requests to the registry's base URLs; see the module comment. */
export class RestService {
  readonly #options: RegistryClientOptions
  readonly #authorization: string | null
  readonly #httpAgent = new HttpAgent({ keepAlive: true })
  readonly #httpsAgent: HttpsAgent
  /** The URL that answered last: requests start there. */
  #current = 0

  constructor(options: RegistryClientOptions) {
    if (options.urls.length === 0) throw new ConnectException('a schema registry client needs at least one URL')
    this.#options = options
    this.#httpsAgent = new HttpsAgent({ keepAlive: true, ...(options.tls ?? {}) })
    this.#authorization =
      options.bearerToken !== null
        ? `Bearer ${options.bearerToken}`
        : options.userInfo !== null
          ? `Basic ${Buffer.from(options.userInfo, 'utf8').toString('base64')}`
          : null
  }

  /** The base URLs, as configured (without user info). */
  get urls(): readonly string[] {
    return this.#options.urls
  }

  /** Sends `body` (JSON) to `path` (starting with `/`, already URL-encoded) and returns the parsed JSON answer. */
  async request(method: Method, path: string, body?: unknown): Promise<unknown> {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const { urls, maxRetries, retryWaitMs, retryMaxWaitMs } = this.#options
    let lastError: Error | undefined
    for (let round = 0; round <= maxRetries; round++) {
      if (round > 0) await sleep(Math.min(retryMaxWaitMs, retryWaitMs * 2 ** (round - 1)))
      for (let i = 0; i < urls.length; i++) {
        const index = (this.#current + i) % urls.length
        const base = urls[index] as string
        let answer: { status: number; text: string }
        try {
          answer = await this.#send(method, base + path, payload)
        } catch (e) {
          if (isTlsRefusal(e))
            throw new ConnectException(`Schema registry ${base}: the TLS handshake failed: ${(e as Error).message}`, e)
          lastError = e as Error
          continue
        }
        this.#current = index
        return this.#answer(method, base, path, answer)
      }
    }
    throw new RetriableException(
      `Schema registry unreachable (${urls.join(', ')}): ${lastError?.message ?? 'no answer'} after ${maxRetries + 1} attempt(s)`,
      lastError,
    )
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.#httpAgent.destroy()
    this.#httpsAgent.destroy()
  }

  #answer(method: Method, base: string, path: string, answer: { status: number; text: string }): unknown {
    const { status, text } = answer
    if (status >= 200 && status < 300) {
      try {
        return text === '' ? null : JSON.parse(text)
      } catch {
        throw new ConnectException(`Schema registry ${base} answered ${method} ${path} with a body that is not JSON`)
      }
    }
    if (status === 401 || status === 403) {
      const kind =
        this.#options.bearerToken !== null
          ? 'bearer token'
          : this.#options.userInfo !== null
            ? 'basic auth credentials'
            : 'no credentials'
      throw new RestClientException(
        `Schema registry ${base} refused the request (${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}) with ${kind}: check ${this.#options.bearerToken !== null ? 'bearer.auth.token' : 'basic.auth.credentials.source and basic.auth.user.info'}`,
        status,
        status * 100 + 1,
      )
    }
    let errorCode = status
    let message = text.slice(0, 500)
    try {
      const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown }
      if (typeof parsed.error_code === 'number') errorCode = parsed.error_code
      if (typeof parsed.message === 'string') message = parsed.message
    } catch {}
    const full = `Schema registry ${base} answered ${method} ${path} with ${status}: ${message}`
    if (status >= 500 || status === 408 || status === 429)
      throw new RetriableRestClientException(full, status, errorCode)
    throw new RestClientException(full, status, errorCode)
  }

  #send(method: Method, url: string, payload: string | undefined): Promise<{ status: number; text: string }> {
    const https = url.startsWith('https:')
    const headers: Record<string, string> = {
      Accept: `${SCHEMA_REGISTRY_CONTENT_TYPE}, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5`,
      ...this.#options.headers,
    }
    if (payload !== undefined) {
      headers['Content-Type'] = SCHEMA_REGISTRY_CONTENT_TYPE
      headers['Content-Length'] = String(Buffer.byteLength(payload))
    }
    if (this.#authorization !== null) headers.Authorization = this.#authorization
    const { connectTimeoutMs, readTimeoutMs } = this.#options
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(url, {
        method,
        headers,
        agent: https ? this.#httpsAgent : this.#httpAgent,
      })
      const connectTimer = setTimeout(
        () => req.destroy(new Error(`connect timed out after ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      )
      req.once('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connectTimer)
        else socket.once('connect', () => clearTimeout(connectTimer))
      })
      req.setTimeout(readTimeoutMs, () => req.destroy(new Error(`no answer within ${readTimeoutMs} ms`)))
      req.once('error', (e) => {
        clearTimeout(connectTimer)
        reject(e)
      })
      req.once('response', (res: IncomingMessage) => {
        clearTimeout(connectTimer)
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.once('error', reject)
        res.once('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
      })
      req.end(payload)
    })
  }
}

/** A TLS failure that trying again will not mend: an untrusted or expired certificate, another host's name. */
function isTlsRefusal(e: unknown): boolean {
  const code = (e as { code?: unknown }).code
  return (
    typeof code === 'string' &&
    /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID|ERR_SSL_/.test(code)
  )
}
