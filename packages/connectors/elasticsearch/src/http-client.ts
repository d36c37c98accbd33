/**
 * HTTP to the search cluster with Node's own http/https (keep-alive agents, one per scheme): the node URLs of
 * `connection.url` taken in turn, basic authentication, gzip request bodies (`connection.compression`), a connect
 * timeout, a read timeout, idle connections closed after `max.connection.idle.time.ms`, TLS from `elastic.https.ssl.*`
 * and a plain-HTTP proxy. Speaks only what Elasticsearch 7/8 and OpenSearch 1–3 share: JSON and NDJSON over REST.
 */
import http from 'node:http'
import https from 'node:https'
import { gunzipSync, gzipSync } from 'node:zlib'
import { ConfigException } from '@ferry/api'
import type { SinkSettings } from './config.ts'

export interface HttpResponse {
  status: number
  body: Buffer
}

/** A request that got no HTTP answer (refused, reset, timed out); always worth retrying. */
export class TransportError extends Error {
  readonly url: string
  constructor(url: string, message: string) {
    super(`${message} (${url})`)
    this.name = 'TransportError'
    this.url = url
  }
}

export class HttpClient {
  readonly #urls: URL[]
  readonly #settings: SinkSettings
  readonly #agent: http.Agent
  readonly #auth: string | null
  #next = 0

  constructor(settings: SinkSettings) {
    this.#settings = settings
    this.#urls = settings.connectionUrls.map((u) => new URL(u))
    // Confluent: HTTPS is used for every node when any URL starts with https.
    const tls = this.#urls.some((u) => u.protocol === 'https:')
    if (tls) for (const u of this.#urls) u.protocol = 'https:'
    if (settings.proxy && tls) {
      throw new ConfigException(
        'proxy.host',
        settings.proxy.host,
        'Ferry connects through a proxy to http:// URLs only; an https:// connection.url cannot go through it',
      )
    }
    const agentOptions: https.AgentOptions = {
      keepAlive: true,
      maxSockets: settings.maxInFlightRequests + 2,
      timeout: settings.maxIdleTimeMs > 0 ? settings.maxIdleTimeMs : undefined,
    }
    const t = settings.tls
    this.#agent = tls
      ? new https.Agent({
          ...agentOptions,
          ca: t?.ca,
          cert: t?.cert,
          key: t?.key,
          pfx: t?.pfx,
          passphrase: t?.passphrase,
          minVersion: t?.minVersion,
          maxVersion: t?.maxVersion,
          checkServerIdentity: t && !t.checkServerIdentity ? () => undefined : undefined,
        })
      : new http.Agent(agentOptions)
    this.#auth =
      settings.username != null && settings.password != null
        ? `Basic ${Buffer.from(`${settings.username}:${settings.password}`).toString('base64')}`
        : null
  }

  /** One request to the next node; resolves with any HTTP status, rejects with TransportError when none came. */
  request(method: string, path: string, body?: Buffer, contentType = 'application/json'): Promise<HttpResponse> {
    const base = this.#urls[this.#next++ % this.#urls.length]!
    const s = this.#settings
    const target = new URL(base.pathname.replace(/\/$/, '') + path, base)
    const headers: Record<string, string> = { accept: 'application/json' }
    if (this.#auth) headers.authorization = this.#auth
    let payload = body
    if (payload) {
      headers['content-type'] = contentType
      if (s.compression) {
        payload = gzipSync(payload)
        headers['content-encoding'] = 'gzip'
        headers['accept-encoding'] = 'gzip'
      }
      headers['content-length'] = String(payload.length)
    }
    const proxy = s.proxy
    const options: http.RequestOptions = proxy
      ? { host: proxy.host, port: proxy.port, path: target.href, method, headers, agent: this.#agent }
      : {
          host: target.hostname,
          port: target.port || (target.protocol === 'https:' ? 443 : 80),
          path: target.pathname + target.search,
          method,
          headers,
          agent: this.#agent,
        }
    if (proxy?.username) {
      headers['proxy-authorization'] =
        `Basic ${Buffer.from(`${proxy.username}:${proxy.password ?? ''}`).toString('base64')}`
    }
    const where = `${method} ${base.origin}${path.split('?')[0]}`
    const transport = target.protocol === 'https:' && !proxy ? https : http
    return new Promise<HttpResponse>((resolve, reject) => {
      let connectTimer: NodeJS.Timeout | undefined
      const req = transport.request(options, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', (e) => reject(new TransportError(where, e.message)))
        res.on('end', () => {
          let data = Buffer.concat(chunks)
          if (res.headers['content-encoding'] === 'gzip') data = gunzipSync(data)
          resolve({ status: res.statusCode ?? 0, body: data })
        })
      })
      req.on('socket', (socket) => {
        if (!socket.connecting) return
        if (s.connectionTimeoutMs > 0) {
          connectTimer = setTimeout(
            () => req.destroy(new Error(`connect timed out after ${s.connectionTimeoutMs} ms (connection.timeout.ms)`)),
            s.connectionTimeoutMs,
          )
        }
        socket.once('connect', () => clearTimeout(connectTimer))
      })
      if (s.readTimeoutMs > 0) {
        req.setTimeout(s.readTimeoutMs, () =>
          req.destroy(new Error(`no response within ${s.readTimeoutMs} ms (read.timeout.ms)`)),
        )
      }
      req.on('error', (e) => {
        clearTimeout(connectTimer)
        reject(new TransportError(where, e.message))
      })
      req.end(payload)
    })
  }

  close(): void {
    this.#agent.destroy()
  }
}
