import { connect } from 'node:net'
import type { Logger, PluginDescriptor, PluginRegistry } from '@ferry/runtime'
import type { FastifyInstance } from 'fastify'
import { createRestServer, type RestServerOptions } from '../src/server.ts'
import { FakeHerder, fakePlugins, workerConfig } from './fake-herder.ts'

/** A logger that keeps what it was told (tests read `lines`). */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const log = (level: string) => (a: unknown, b?: unknown) => {
    lines.push(`${level} ${typeof a === 'string' ? a : String(b ?? '')}`)
  }
  return {
    lines,
    info: log('info'),
    debug: log('debug'),
    warn: log('warn'),
    error: log('error'),
  } as unknown as Logger & {
    lines: string[]
  }
}

export interface TestServer {
  app: FastifyInstance
  herder: FakeHerder
  log: Logger & { lines: string[] }
}

/** A REST app on a fake herder; `after` closes it. */
export function testServer(
  t: { after(fn: () => unknown): void },
  options: {
    originals?: Record<string, string>
    plugins?: PluginDescriptor[]
    admin?: RestServerOptions['admin']
    herder?: FakeHerder
    requestTimeoutMs?: number
    healthCheckTimeoutMs?: number
    bodyLimit?: number
  } = {},
): TestServer {
  const herder = options.herder ?? new FakeHerder()
  const log = memoryLogger()
  const app = createRestServer({
    herder,
    workerConfig: workerConfig(options.originals ?? {}),
    plugins: fakePlugins(options.plugins ?? []) as unknown as PluginRegistry,
    logger: log,
    ...(options.admin ? { admin: options.admin } : {}),
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    ...(options.healthCheckTimeoutMs ? { healthCheckTimeoutMs: options.healthCheckTimeoutMs } : {}),
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
  })
  t.after(() => app.close())
  return { app, herder, log }
}

/** A JSON request through `inject`, parsed. */
export async function call(
  app: FastifyInstance,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Record<string, unknown>; text: string }> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  const res = await app.inject({
    method: method as 'GET',
    url,
    ...(payload === undefined ? {} : { payload, headers: { 'content-type': 'application/json', ...headers } }),
    ...(payload === undefined && Object.keys(headers).length > 0 ? { headers } : {}),
  })
  let parsed: unknown
  try {
    parsed = res.body === '' ? undefined : JSON.parse(res.body)
  } catch {
    parsed = res.body
  }
  return { status: res.statusCode, body: parsed, headers: res.headers, text: res.body }
}

/** Sends raw bytes and reads the answer until the server closes the connection (send `Connection: close`). */
export function rawRequest(
  address: string,
  request: string | Buffer,
): Promise<{ status: number; head: string; body: string }> {
  const url = new URL(address)
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname)
    const chunks: Buffer[] = []
    socket.on('data', (d) => chunks.push(d))
    // A server that answers before it read the whole request (413, 414) may reset the connection: the answer counts.
    socket.on('error', () => {})
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const split = text.indexOf('\r\n\r\n')
      const head = split < 0 ? text : text.slice(0, split)
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: text.slice(split + 4) })
    })
    // No half-close: Node's server drops a request whose client ended its side before the answer (curl does not).
    socket.write(request)
  })
}
