/**
 * The HTTP client workers call each other with (Apache's `RestClient`): requests forwarded to the leader or to the
 * worker that runs a connector, and the task configs a follower sends to the leader. An `https` URL uses the TLS of
 * the `listeners.https.` keys (ssl-utils.ts), read on the first https request, as Apache reads them only then.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { ConnectionOptions } from 'node:tls'
import { restClientTls } from './ssl-utils.ts'

export interface RestRequest {
  method: string
  headers?: Record<string, string>
  body?: Buffer | string
  /** How long to wait for the whole answer; then an `RestIoError` saying so. */
  timeoutMs: number
}

export interface RestResponse {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** A request that got no complete answer: no connection, a TLS failure, a broken-off answer, a timeout. */
export class RestIoError extends Error {
  override name = 'RestIoError'
}

export class RestClient {
  readonly #originals: Readonly<Record<string, string>>
  #tls: ConnectionOptions | null = null

  constructor(originals: Readonly<Record<string, string>>) {
    this.#originals = originals
  }

  /** Sends the request and resolves with the answer, whatever its status; rejects with `RestIoError` otherwise. */
  request(url: string, options: RestRequest): Promise<RestResponse> {
    const target = new URL(url)
    const https = target.protocol === 'https:'
    if (https && this.#tls === null) this.#tls = restClientTls(this.#originals)
    const send = https ? httpsRequest : httpRequest
    return new Promise((resolve, reject) => {
      const fail = (e: Error) => reject(new RestIoError(e.message, { cause: e }))
      const req = send(
        target,
        { method: options.method, headers: options.headers, ...(https ? this.#tls : {}) },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', fail)
          res.on('aborted', () => fail(new Error('the answer was broken off')))
          res.on('end', () => {
            if (!res.complete) return fail(new Error('the answer was broken off'))
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') })
          })
        },
      )
      const timer = setTimeout(
        () => req.destroy(new Error('The operation was aborted due to timeout')),
        options.timeoutMs,
      )
      req.on('error', fail)
      req.on('close', () => clearTimeout(timer))
      req.end(options.body)
    })
  }
}
