/**
 * Ferry's REST API: Apache Kafka Connect's endpoints, status codes and bodies, on fastify.
 *
 * `createRestServer` builds one app (tests use `inject()` on it); `startRestServer` reads the worker's REST keys
 * (`listeners`, `admin.listeners`, `rest.advertised.*`, `access.control.allow.*`) and listens.
 */

import { hostname } from 'node:os'
import type { TlsOptions as TlsServerOptions } from 'node:tls'
import { ConfigException } from '@ferry/api'
import {
  ADMIN_LISTENERS_HTTPS_PREFIX,
  type Herder,
  LISTENERS_HTTPS_PREFIX,
  type Logger,
  type MetricsSource,
  type PluginRegistry,
  RestClient,
  restClientTls,
  restServerTls,
  type WorkerConfig,
} from '@ferry/runtime'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { installAuthentication, type RestAuthentication, restAuthentication } from './auth/authentication.ts'
import type { HttpMethod, RestContext, RouteSpec } from './context.ts'
import { httpStatusError, toErrorResponse } from './errors.ts'
import { forwardRequest, requestTarget } from './forwarding.ts'
import { answerAndClose, protocolErrorStatus } from './protocol-errors.ts'
import { checkContentTypeSyntax, checkJsonMediaType, jsonBody, keepRawBody } from './request-body.ts'
import { clusterRoutes } from './routes/cluster.ts'
import { connectorPluginRoutes } from './routes/connector-plugins.ts'
import { connectorRoutes } from './routes/connectors.ts'
import { healthRoutes } from './routes/health.ts'
import { loggerRoutes } from './routes/loggers.ts'
import { metricsRoutes } from './routes/metrics.ts'
import { rootRoutes } from './routes/root.ts'
import { uiRoutes } from './ui/ui-routes.ts'

export interface RestServerOptions {
  herder: Herder
  workerConfig: WorkerConfig
  plugins: PluginRegistry
  logger: Logger
  /** Which routes this app serves: all (default), all but `/admin/*`, or only `/admin/*`. */
  admin?: 'include' | 'exclude' | 'only'
  /** Default 90 000 (Apache's `DEFAULT_REST_REQUEST_TIMEOUT_MS`). */
  requestTimeoutMs?: number
  /** Default 10 000. */
  healthCheckTimeoutMs?: number
  /** The largest request body accepted (413 beyond it); default 8 MiB. */
  bodyLimit?: number
  /** TLS for an `https` listener. */
  https?: TlsServerOptions | null
  /** What `GET /metrics` serves (`startRestServer` serves it on the REST listeners unless `metrics.listener` is set). */
  metrics?: MetricsSource | null
  /** Who may call the API (`rest.extension.classes`, `rest.auth.*`); null or absent: everyone. */
  auth?: RestAuthentication | null
}

const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024
/** Path parameters are limited only by the request line (Node's 16 KiB header limit), not fastify's 100 characters. */
const MAX_PARAM_LENGTH = 64 * 1024

/** Every endpoint, in the order docs/rest.md lists them. */
export function restRoutes(ctx: RestContext): RouteSpec[] {
  return [
    ...rootRoutes(ctx),
    ...healthRoutes(ctx),
    ...connectorRoutes(ctx),
    ...connectorPluginRoutes(ctx),
    ...loggerRoutes(ctx),
    ...metricsRoutes(ctx),
    ...clusterRoutes(ctx),
    ...uiRoutes(ctx),
  ]
}

/** The fastify app serving Apache Connect's REST API for `herder`. */
export function createRestServer(options: RestServerOptions): FastifyInstance {
  const ctx: RestContext = {
    herder: options.herder,
    plugins: options.plugins,
    workerConfig: options.workerConfig,
    log: options.logger,
    requestTimeoutMs: options.requestTimeoutMs ?? 90_000,
    healthCheckTimeoutMs: options.healthCheckTimeoutMs ?? 10_000,
    metrics: options.metrics ?? null,
    restClient: new RestClient(options.workerConfig.originals),
  }
  const admin = options.admin ?? 'include'
  const routes = restRoutes(ctx).filter((r) =>
    admin === 'include' ? true : admin === 'only' ? r.admin === true : r.admin !== true,
  )
  const knownPath = pathMatcher(routes.map((r) => r.url))

  const app = Fastify({
    logger: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    forceCloseConnections: true,
    // A path fastify cannot decode (bad percent-encoding or UTF-8): Jetty's 400, with Apache's body.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const status = error.code === 'FST_ERR_BAD_URL' ? 400 : (error.statusCode ?? 500)
      const message =
        status === 400 ? 'HTTP 400 Bad Request: the path is not valid percent-encoded UTF-8' : error.message
      return reply.code(status).send({ error_code: status, message })
    },
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: import('node:net').Socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return
      answerAndClose(socket, protocolErrorStatus(error, knownPath))
    },
    ...(options.https ? { https: options.https } : {}),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance
  // Node closes a CONNECT request's socket without a word unless someone listens; Jetty answers 400.
  app.server.on('connect', (_request, socket) => answerAndClose(socket, 400))

  // Bodies are kept as bytes and read by the routes that take one (request-body.ts), after the route is chosen.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    keepRawBody(request, body as Buffer)
    done(null, undefined)
  })
  app.addHook('onRequest', async (request) => checkContentTypeSyntax(request))

  app.setErrorHandler(async (error, request, reply) => {
    const target = requestTarget(error)
    if (target !== undefined) return forwardRequest(ctx, target, request, reply)
    const { status, body } = toErrorResponse(error)
    if (status >= 500) ctx.log.error({ err: error }, `Uncaught exception in REST call to ${request.url}`)
    else ctx.log.debug({ err: error }, `REST call to ${request.url} failed: ${body.message}`)
    return reply.code(status).send(body)
  })
  // Jersey answers any other method on a known path with 405 (HEAD too where there is no GET), else 404.
  app.setNotFoundHandler((request, reply) => {
    const status = knownPath(request.url.split('?')[0]!) ? 405 : 404
    return reply.code(status).send({ error_code: status, message: httpStatusError(status).message })
  })
  app.addHook('onResponse', async (request, reply) => {
    ctx.log.debug(`"${request.method} ${request.url}" ${reply.statusCode} ${Math.round(reply.elapsedTime)}ms`)
  })
  installCors(app, options.workerConfig.originals)
  if (options.auth) installAuthentication(app, options.auth)

  const methodsByUrl = new Map<string, HttpMethod[]>()
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      handler: async (request, reply) => {
        if (!route.anyMediaType) checkJsonMediaType(request, route.entity === true)
        if (route.entity) request.body = jsonBody(request)
        return route.handler(request, reply)
      },
    })
    methodsByUrl.set(route.url, [...(methodsByUrl.get(route.url) ?? []), route.method])
  }
  // OPTIONS lists the allowed methods, as Jersey answers it.
  for (const [url, methods] of methodsByUrl) {
    const allow = [...(methods.includes('GET') ? ['HEAD'] : []), ...methods, 'OPTIONS'].join(', ')
    app.route({
      method: 'OPTIONS',
      url,
      handler: async (_request, reply) => reply.code(200).header('Allow', allow).type('text/plain').send(allow),
    })
  }
  return app
}

/** Whether a raw request path (percent-encoded, no query) names one of `urls` (`:param` is one segment). */
function pathMatcher(urls: readonly string[]): (path: string) => boolean {
  const patterns = urls.map(
    (url) => new RegExp(`^${url.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z]+/g, '[^/]+')}/?$`),
  )
  return (path) => patterns.some((p) => p.test(path))
}

/** `access.control.allow.origin` / `.methods`: a CORS filter (Jetty's defaults for the rest). */
function installCors(app: FastifyInstance, originals: Readonly<Record<string, string>>): void {
  const origins = (originals['access.control.allow.origin'] ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
  if (origins.length === 0) return
  const methods = (originals['access.control.allow.methods'] ?? '').trim() || 'GET,POST,HEAD'
  const matches = (origin: string) =>
    origins.some((allowed) => {
      if (allowed === '*' || allowed === origin) return true
      if (!allowed.includes('*')) return false
      const pattern = allowed.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')
      return new RegExp(`^${pattern}$`).test(origin)
    })
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin
    if (!origin || !matches(origin)) return
    reply.header('Access-Control-Allow-Origin', origin)
    reply.header('Access-Control-Allow-Credentials', 'true')
    reply.header('Vary', 'Origin')
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      reply.header('Access-Control-Allow-Methods', methods)
      reply.header('Access-Control-Allow-Headers', 'X-Requested-With,Content-Type,Accept,Origin')
      reply.header('Access-Control-Max-Age', '1800')
      return reply.code(204).send()
    }
  })
}

/** One entry of `listeners` (Apache: `protocol://host:port`; an empty host means every interface). */
export interface Listener {
  protocol: 'http' | 'https'
  host: string
  port: number
}

/** Parses `listeners` or `admin.listeners`; names the key and the bad entry when one is malformed. */
export function parseListeners(value: string, key = 'listeners'): Listener[] {
  const out: Listener[] = []
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z]+):\/\/(\[[0-9A-Fa-f:.]*\]|[^:/[\]]*):(\d{1,5})\/?$/.exec(item)
    const protocol = m?.[1]?.toLowerCase()
    const port = Number(m?.[3])
    if (!m || (protocol !== 'http' && protocol !== 'https') || port > 65535) {
      throw new ConfigException(
        key,
        value,
        `Invalid listener '${item}': expected http://host:port or https://host:port (an empty host listens on every interface)`,
      )
    }
    out.push({ protocol, host: m[2]!.replace(/^\[|\]$/g, ''), port })
  }
  return out
}

/** The REST keys of a worker config, defaulted as Apache's RestServerConfig. */
export function restListeners(originals: Readonly<Record<string, string>>): {
  listeners: Listener[]
  adminListeners: Listener[] | null
} {
  const listeners = parseListeners(originals.listeners ?? 'http://:8083')
  if (listeners.length === 0) throw new ConfigException('listeners', originals.listeners, 'no listener given')
  const admin = originals['admin.listeners']
  return { listeners, adminListeners: admin === undefined ? null : parseListeners(admin, 'admin.listeners') }
}

/**
 * The URL other workers and tools reach this one at (Apache's `RestServer.advertisedUrl`): the first listener of the
 * `rest.advertised.listener` protocol, which defaults to http when any listener is http, else https; its host and port
 * unless `rest.advertised.host.name` / `rest.advertised.port` say otherwise (the machine's host name for an empty
 * host). The worker id is its `host:port`.
 */
export function advertisedUrl(
  originals: Readonly<Record<string, string>>,
  boundPorts: ReadonlyMap<Listener, number> = new Map(),
): { protocol: string; host: string; port: number } {
  const { listeners } = restListeners(originals)
  const wanted =
    originals['rest.advertised.listener']?.trim().toLowerCase() ||
    (listeners.some((l) => l.protocol === 'http') ? 'http' : 'https')
  const listener = listeners.find((l) => l.protocol === wanted) ?? listeners[0]!
  const host = originals['rest.advertised.host.name']?.trim() || listener.host || hostname()
  const advertisedPort = Number(originals['rest.advertised.port'])
  const port = advertisedPort > 0 ? advertisedPort : (boundPorts.get(listener) ?? listener.port)
  return { protocol: listener.protocol, host, port }
}

/** Apache's worker id: `host:port` of the advertised URL. */
export function workerIdFor(originals: Readonly<Record<string, string>>): string {
  const url = advertisedUrl(originals)
  return `${url.host.includes(':') ? `[${url.host}]` : url.host}:${url.port}`
}

/** A REST server that is listening. */
export interface RunningRestServer {
  /** The advertised URL, e.g. `http://worker1:8083/`. */
  advertisedUrl: string
  /** Where each app listens. */
  addresses: string[]
  /** The fastify apps (one per listener). */
  apps: FastifyInstance[]
  close(): Promise<void>
}

/** Thrown when a listener's port is taken. */
export class PortInUseError extends Error {
  readonly code = 'EADDRINUSE'
}

/**
 * Checks the REST keys as `startRestServer` reads them (listeners, the TLS of https ones, `rest.extension.classes`
 * and `rest.auth.*`), so a mistake stops the worker before anything starts; throws the `ConfigException` naming it.
 */
export function checkRestConfig(originals: Readonly<Record<string, string>>): void {
  const { listeners, adminListeners } = restListeners(originals)
  if (listeners.some((l) => l.protocol === 'https')) {
    restServerTls(originals, LISTENERS_HTTPS_PREFIX)
    // The same keys make the client other workers are called with (its host name check is a client key only).
    restClientTls(originals)
  }
  if (adminListeners?.some((l) => l.protocol === 'https')) restServerTls(originals, ADMIN_LISTENERS_HTTPS_PREFIX)
  restAuthentication(originals)
}

/**
 * Listens on every `listeners` entry (and `admin.listeners`: unset serves `/admin/*` on the main listeners, empty
 * disables it, otherwise only there). `metrics.listener` works the same way for `GET /metrics`: unset serves it on the
 * REST listeners, empty nowhere, otherwise only there (http). A port that is taken fails with `PortInUseError` and
 * nothing keeps listening.
 */
export async function startRestServer(
  options: Omit<RestServerOptions, 'admin' | 'https' | 'auth'>,
): Promise<RunningRestServer> {
  const originals = options.workerConfig.originals
  const { listeners, adminListeners } = restListeners(originals)
  const auth = restAuthentication(originals)
  const plans: Array<{ listener: Listener; admin: 'include' | 'exclude' | 'only'; prefix: string }> = []
  for (const listener of listeners) {
    plans.push({ listener, admin: adminListeners === null ? 'include' : 'exclude', prefix: LISTENERS_HTTPS_PREFIX })
  }
  for (const listener of adminListeners ?? [])
    plans.push({ listener, admin: 'only', prefix: ADMIN_LISTENERS_HTTPS_PREFIX })
  const metricsListener = originals['metrics.listener']
  const metricsListeners = metricsListener === undefined ? null : parseListeners(metricsListener, 'metrics.listener')
  if (metricsListeners?.some((l) => l.protocol !== 'http')) {
    throw new ConfigException('metrics.listener', metricsListener, 'only http://host:port listeners serve metrics')
  }

  const apps: FastifyInstance[] = []
  const addresses: string[] = []
  const bound = new Map<Listener, number>()
  const closeAll = async () => {
    await Promise.all(apps.map((a) => a.close().catch(() => {})))
  }
  for (const plan of plans) {
    const app = createRestServer({
      ...options,
      admin: plan.admin,
      https: plan.listener.protocol === 'https' ? restServerTls(originals, plan.prefix) : null,
      metrics: metricsListeners === null ? options.metrics : null,
      auth,
    })
    apps.push(app)
    const host = plan.listener.host || '0.0.0.0'
    try {
      const address = await app.listen({ host, port: plan.listener.port })
      addresses.push(address)
      const port = app.server.address()
      if (port && typeof port === 'object') bound.set(plan.listener, port.port)
    } catch (e) {
      await closeAll()
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new PortInUseError(
          `cannot start the REST server: port ${plan.listener.port} on ${host} is already in use (${plan.admin === 'only' ? 'admin.listeners' : 'listeners'}=${plan.admin === 'only' ? originals['admin.listeners'] : (originals.listeners ?? 'http://:8083')})`,
        )
      }
      throw e
    }
  }
  for (const listener of metricsListeners ?? []) {
    const app = metricsServer(options.metrics ?? null)
    apps.push(app)
    const host = listener.host || '0.0.0.0'
    try {
      addresses.push(await app.listen({ host, port: listener.port }))
    } catch (e) {
      await closeAll()
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new PortInUseError(
          `cannot serve metrics: port ${listener.port} on ${host} is already in use (metrics.listener=${metricsListener})`,
        )
      }
      throw e
    }
  }
  const url = advertisedUrl(originals, bound)
  const advertised = `${url.protocol}://${url.host.includes(':') ? `[${url.host}]` : url.host}:${url.port}/`
  options.logger.info(`REST server listening at ${addresses.join(', ')}, advertised URL ${advertised}`)
  for (const a of [auth?.basic, auth?.bearer]) if (a) options.logger.info(`REST API requires ${a.description}`)
  return { advertisedUrl: advertised, addresses, apps, close: closeAll }
}

/** The app of a `metrics.listener`: `GET /metrics` only, other paths 404 with Apache's error body. */
function metricsServer(metrics: MetricsSource | null): FastifyInstance {
  const app = Fastify({ logger: false, forceCloseConnections: true })
  app.get('/metrics', async (_request, reply) => {
    if (!metrics) return reply.code(404).send({ error_code: 404, message: 'No metrics are kept by this worker' })
    return reply
      .code(200)
      .type(metrics.contentType)
      .send(await metrics.scrape())
  })
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error_code: 404, message: 'HTTP 404 Not Found: only GET /metrics is served here' }),
  )
  return app as unknown as FastifyInstance
}
