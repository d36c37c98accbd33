/**
 * Who may call the REST API (Apache's `rest.extension.classes` and its basic-auth filter, plus Ferry's bearer
 * tokens). With either configured, every request needs credentials that one of them accepts, except the internal
 * requests workers send each other (`POST /connectors/{c}/tasks`, `PUT /connectors/{c}/fence`), which are signed
 * instead, as Apache's `JaasBasicAuthFilter` lets them through. As there (a Jersey filter that runs once a resource
 * matched), a path no route serves is still 404 and a wrong method 405 without credentials. A refused request is
 * Apache 4.4's answer byte for byte: 401, `Content-Type: application/json`, the bare text `User cannot access the
 * resource.`, no `WWW-Authenticate`; only the web UI's pages and its API calls (marked `X-Ferry-UI`) add
 * `WWW-Authenticate: Basic` (when basic authentication is on), so a browser asks for a user and password once and
 * answers later challenges with them.
 */
import { ConfigException } from '@ferry/api'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { BASIC_AUTH_EXTENSION, type BasicAuthenticator, basicAuthenticator, jaasFilePath } from './basic-auth.ts'
import { type BearerAuthenticator, bearerAuthenticator, REST_AUTH_BEARER_TOKENS_FILE } from './bearer-auth.ts'

export const REST_EXTENSION_CLASSES = 'rest.extension.classes'
/** Apache's REST extensions Ferry has built in, by class name and Apache's aliases. */
const KNOWN_EXTENSIONS: Readonly<Record<string, string>> = {
  [BASIC_AUTH_EXTENSION]: BASIC_AUTH_EXTENSION,
  BasicAuthSecurityRestExtension: BASIC_AUTH_EXTENSION,
}
const INTERNAL_REQUESTS: ReadonlyArray<{ method: string; path: RegExp }> = [
  { method: 'POST', path: /^\/?connectors\/[^/]+\/tasks\/?$/ },
  { method: 'PUT', path: /^\/?connectors\/[^/]+\/fence\/?$/ },
]
const UNAUTHORIZED_BODY = Buffer.from('User cannot access the resource.')

/** The worker's REST authentication; null when the API is open. */
export interface RestAuthentication {
  readonly basic: BasicAuthenticator | null
  readonly bearer: BearerAuthenticator | null
  /** The principal a request's `Authorization` header stands for, or null when it is refused. */
  authenticate(authorization: string | undefined): string | null
}

/**
 * Reads `rest.extension.classes` (an extension Ferry does not have is refused, naming it), the JAAS file of the
 * basic-auth extension and `rest.auth.bearer.tokens.file`; every problem is a `ConfigException`.
 */
export function restAuthentication(
  originals: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): RestAuthentication | null {
  const extensions = (originals[REST_EXTENSION_CLASSES] ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean)
  let basic: BasicAuthenticator | null = null
  for (const name of extensions) {
    const known = KNOWN_EXTENSIONS[name]
    if (known === undefined) {
      throw new ConfigException(
        REST_EXTENSION_CLASSES,
        originals[REST_EXTENSION_CLASSES],
        `Ferry cannot load the REST extension ${name}: it has Apache's ${BASIC_AUTH_EXTENSION} built in, and bearer tokens with ${REST_AUTH_BEARER_TOKENS_FILE}`,
      )
    }
    const jaas = jaasFilePath(originals, env)
    if (jaas === null) {
      throw new ConfigException(
        `${REST_EXTENSION_CLASSES} names ${BASIC_AUTH_EXTENSION}, which needs a JAAS file with a KafkaConnect entry: set rest.auth.login.config, or -Djava.security.auth.login.config=<file> in KAFKA_OPTS as for Apache`,
      )
    }
    basic = basicAuthenticator(jaas)
  }
  const tokensFile = originals[REST_AUTH_BEARER_TOKENS_FILE]?.trim()
  const bearer = tokensFile ? bearerAuthenticator(tokensFile) : null
  if (basic === null && bearer === null) return null
  return {
    basic,
    bearer,
    authenticate: (authorization) => bearer?.authenticate(authorization) ?? basic?.authenticate(authorization) ?? null,
  }
}

function isInternalRequest(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0]!
  return INTERNAL_REQUESTS.some((r) => r.method === request.method && r.path.test(path))
}

/** Refuses every request to a route that `auth` does not accept. */
export function installAuthentication(app: FastifyInstance, auth: RestAuthentication): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url === undefined || isInternalRequest(request)) return
    const principal = auth.authenticate(request.headers.authorization)
    if (principal !== null) return
    const ui = /^\/ui(\/|$|\?)/.test(request.url) || request.headers['x-ferry-ui'] !== undefined
    if (ui && auth.basic) reply.header('WWW-Authenticate', 'Basic realm="Kafka Connect", charset="UTF-8"')
    return reply.code(401).header('content-type', 'application/json').send(UNAUTHORIZED_BODY)
  })
}
