/**
 * SASL/OAUTHBEARER tokens, as Apache's client login gets them:
 *
 * - the unsecured token of `OAuthBearerUnsecuredLoginCallbackHandler` (Apache's default login callback handler for
 *   OAUTHBEARER, for tests): a JWS with `{"alg":"none"}`, claims from the `unsecuredLogin*` JAAS options;
 * - KIP-768 client credentials (`OAuthBearerLoginCallbackHandler` with `ClientCredentialsJwtRetriever`): a POST to
 *   `sasl.oauthbearer.token.endpoint.url` with HTTP basic auth (client id and secret) and the form body
 *   `grant_type=client_credentials[&scope=...]`, retried with Apache's backoff, the answer checked as
 *   `ClientJwtValidator` does; or a token read from a `file:` URL (`FileJwtRetriever`).
 *
 * `TokenProvider` keeps the token and gets a new one when Apache's refresh thread would (`sasl.login.refresh.*`, see
 * `refreshTimeMs`), so a new connection, or a connection re-authenticating (KIP-368), always gets a valid token. Its
 * `token()` is what `@platformatic/kafka`'s `sasl.token` provider takes.
 *
 * Messages never contain a token or a client secret.
 */
import { readFileSync } from 'node:fs'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { ConnectionOptions } from 'node:tls'
import { javaDoubleToString } from '@ferry/api'

/** A token Ferry presents, with what Apache's validator read from it. */
export interface BearerToken {
  value: string
  principal: string
  expiresAtMs: number
  issuedAtMs: number | null
  scope: readonly string[]
}

/** `sasl.login.refresh.*`. */
export interface RefreshConfig {
  windowFactor: number
  windowJitter: number
  minPeriodSeconds: number
  bufferSeconds: number
}

export const DEFAULT_REFRESH: RefreshConfig = {
  windowFactor: 0.8,
  windowJitter: 0.05,
  minPeriodSeconds: 60,
  bufferSeconds: 300,
}

export class OAuthError extends Error {
  /** False for answers that will not change on retry (HTTP 400, 401, 403, ...). */
  readonly retriable: boolean
  constructor(message: string, retriable = false) {
    super(message)
    this.name = 'OAuthError'
    this.retriable = retriable
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// The unsecured token (OAuthBearerUnsecuredLoginCallbackHandler)

const STRING_CLAIM = 'unsecuredLoginStringClaim_'
const NUMBER_CLAIM = 'unsecuredLoginNumberClaim_'
const LIST_CLAIM = 'unsecuredLoginListClaim_'
/** The JAAS option prefix of the unsecured token's SASL extensions. */
export const UNSECURED_EXTENSION_PREFIX = 'unsecuredLoginExtension_'
const EXTENSION_KEY = /^[A-Za-z]+$/
const EXTENSION_VALUE = /^[\x21-\x7E \t\r\n]+$/

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url')
}

// Apache escapes `"` first and then `\`, so a quote comes out as `\\"`; kept as is, since the broker reads it back.
function escapeJson(value: string): string {
  return value.replace(/"/g, '\\"').replace(/\\/g, '\\\\')
}

/** An `unsecuredLoginListClaim_` value: its first character is the delimiter. */
function listElements(value: string): string[] {
  if (value.length <= 1) return []
  const delimiter = value[0]!
  const rest = value.slice(1)
  const elements = rest.split(delimiter)
  // Java's String.split drops trailing empty strings; Apache then appends one "" if any element was empty.
  while (elements.length > 0 && elements[elements.length - 1] === '') elements.pop()
  if (rest.startsWith(delimiter) || rest.endsWith(delimiter) || rest.includes(delimiter + delimiter)) elements.push('')
  return elements
}

function javaNumber(text: string, option: string): number {
  const n = Number(text.trim())
  if (text.trim() === '' || !Number.isFinite(n)) throw new OAuthError(`The JAAS option ${option} is not a number`)
  return n
}

/** The SASL extensions of the JAAS options with the given prefix (`unsecuredLoginExtension_`, `extension_`). */
export function saslExtensions(options: ReadonlyMap<string, string>, prefix: string): Record<string, string> {
  const extensions: Record<string, string> = {}
  for (const [key, value] of options) {
    if (!key.startsWith(prefix)) continue
    const name = key.slice(prefix.length)
    if (!EXTENSION_KEY.test(name) || name === 'auth') throw new OAuthError(`Extension name ${name} is invalid`)
    if (!EXTENSION_VALUE.test(value)) throw new OAuthError(`Extension value for extension ${name} is invalid`)
    extensions[name] = value
  }
  return extensions
}

/** The token Apache's unsecured login callback handler builds from the JAAS options, at `nowMs`. */
export function unsecuredToken(options: ReadonlyMap<string, string>, nowMs: number): BearerToken {
  const option = (name: string) => options.get(`unsecuredLogin${name}`)
  const principalClaim = option('PrincipalClaimName')?.trim() || 'sub'
  const scopeClaim = option('ScopeClaimName')?.trim() || 'scope'
  const lifetimeText = option('LifetimeSeconds') ?? '3600'
  if (!/^[+-]?\d+$/.test(lifetimeText)) {
    throw new OAuthError(`The JAAS option unsecuredLoginLifetimeSeconds must be a whole number of seconds`)
  }
  const nowSeconds = nowMs / 1000
  const exp = nowSeconds + Number(lifetimeText)
  const claims: Record<string, unknown> = { exp, iat: nowSeconds }
  let json = `{"exp":${javaDoubleToString(exp)},"iat":${javaDoubleToString(nowSeconds)}`
  for (const [key, value] of options) {
    let name: string
    let text: string
    if (key.startsWith(STRING_CLAIM) && key.length > STRING_CLAIM.length) {
      name = key.slice(STRING_CLAIM.length)
      text = `"${escapeJson(value)}"`
      claims[name] = value
    } else if (key.startsWith(NUMBER_CLAIM) && key.length > NUMBER_CLAIM.length) {
      name = key.slice(NUMBER_CLAIM.length)
      const n = javaNumber(value, key)
      text = javaDoubleToString(n)
      claims[name] = n
    } else if (key.startsWith(LIST_CLAIM) && key.length > LIST_CLAIM.length) {
      name = key.slice(LIST_CLAIM.length)
      const elements = listElements(value)
      text = `[${elements.map((e) => `"${escapeJson(e)}"`).join(',')}]`
      claims[name] = elements
    } else continue
    if (name === 'iat' || name === 'exp') throw new OAuthError(`Cannot explicitly set the '${name}' claim`)
    json += `,"${escapeJson(name)}":${text}`
  }
  json += '}'
  const principal = claims[principalClaim]
  if (typeof principal !== 'string' || principal.trim() === '') {
    throw new OAuthError(`No principal name in JWT claim: ${principalClaim}`)
  }
  const scopeValue = claims[scopeClaim]
  const scope = typeof scopeValue === 'string' ? [scopeValue] : Array.isArray(scopeValue) ? scopeValue.map(String) : []
  return {
    value: `${base64url('{"alg":"none"}')}.${base64url(json)}.`,
    principal,
    expiresAtMs: Math.floor(exp * 1000),
    issuedAtMs: Math.floor(nowMs),
    scope,
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// ClientJwtValidator

function blank(value: unknown): boolean {
  return typeof value !== 'string' || value.trim() === ''
}

/** Checks a JWT from the token endpoint as Apache's `ClientJwtValidator` does and reads its claims. */
export function validateClientJwt(jwt: string, scopeClaim: string, subClaim: string): BearerToken {
  const parts = jwt.trim().split('.')
  if (parts.length !== 3 || parts[0] === '' || parts[1] === '') {
    throw new OAuthError('Malformed JWT provided; expected three sections (header, payload, and signature)')
  }
  let payload: Record<string, unknown>
  try {
    payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'))
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new Error('not an object')
  } catch (e) {
    throw new OAuthError(
      `Could not validate the access token: the payload is not a JSON object (${(e as Error).message})`,
    )
  }
  const scopeRaw = payload[scopeClaim]
  const scopes = typeof scopeRaw === 'string' ? [scopeRaw] : Array.isArray(scopeRaw) ? scopeRaw : []
  const scope: string[] = []
  for (const s of scopes) {
    if (blank(s)) throw new OAuthError(`${scopeClaim} value must be non-null, non-empty, and non-whitespace`)
    const trimmed = (s as string).trim()
    if (scope.includes(trimmed))
      throw new OAuthError(`${scopeClaim} value must not contain duplicates - ${trimmed} already present`)
    scope.push(trimmed)
  }
  const exp = payload.exp
  if (typeof exp !== 'number') throw new OAuthError('exp value must be non-null')
  if (exp < 0) throw new OAuthError(`exp value must be non-negative; value given was "${exp * 1000}"`)
  const sub = payload[subClaim]
  if (blank(sub)) throw new OAuthError(`${subClaim} value must be non-null, non-empty, and non-whitespace`)
  const iat = payload.iat
  if (iat !== undefined && iat !== null && (typeof iat !== 'number' || iat < 0)) {
    throw new OAuthError(`iat value must be null or non-negative; value given was "${String(iat)}"`)
  }
  return {
    value: jwt.trim(),
    principal: (sub as string).trim(),
    expiresAtMs: Math.trunc(exp) * 1000,
    issuedAtMs: typeof iat === 'number' ? Math.trunc(iat) * 1000 : null,
    scope,
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// The token endpoint

export interface TokenEndpoint {
  url: URL
  clientId: string
  clientSecret: string
  scope: string | null
  /** `sasl.oauthbearer.header.urlencode`: URL-encode the client id, secret and scope (RFC 6749 2.3.1). */
  urlencode: boolean
  /** `sasl.login.connect.timeout.ms` (none when null, as Java's HttpURLConnection). */
  connectTimeoutMs: number | null
  /** `sasl.login.read.timeout.ms`. */
  readTimeoutMs: number | null
  /** `sasl.login.retry.backoff.ms`: the first wait after a failed attempt, doubled each time. */
  retryBackoffMs: number
  /** `sasl.login.retry.backoff.max.ms`: Apache gives up once this much time has passed since the first attempt. */
  retryBackoffMaxMs: number
  /** TLS for an https endpoint (the JAAS `ssl.*` options); the host name is always checked, as Java's HTTPS does. */
  tls: ConnectionOptions | null
}

// HttpJwtRetriever.UNRETRYABLE_HTTP_CODES
const UNRETRIABLE_STATUS = new Set([
  400, 401, 402, 403, 404, 405, 406, 407, 409, 410, 411, 412, 413, 414, 415, 501, 505,
])

/** java.net.URLEncoder.encode(s, UTF_8). */
function javaUrlEncode(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
}

/** The request Apache's ClientSecretRequestFormatter makes (headers and body). */
export function clientCredentialsRequest(endpoint: TokenEndpoint): { headers: Record<string, string>; body: string } {
  let clientId = endpoint.clientId.trim()
  let clientSecret = endpoint.clientSecret.trim()
  let scope = endpoint.scope === null || endpoint.scope.trim() === '' ? null : endpoint.scope.trim()
  if (endpoint.urlencode) {
    clientId = javaUrlEncode(clientId)
    clientSecret = javaUrlEncode(clientSecret)
    if (scope !== null) scope = javaUrlEncode(scope)
  }
  const body = `grant_type=client_credentials${scope === null ? '' : `&scope=${scope}`}`
  return {
    headers: {
      Accept: 'application/json',
      Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`, 'utf8').toString('base64')}`,
      'Cache-Control': 'no-cache',
      'Content-Type': 'application/x-www-form-urlencoded',
      'Content-Length': String(Buffer.byteLength(body)),
    },
    body,
  }
}

/** HttpJwtRetriever.formatErrorMessage: OAuth's `error` and `error_description` (RFC 6749 5.2), never a token. */
function errorMessage(body: string): string {
  if (body.trim() === '') return '{}'
  try {
    const json = JSON.parse(body)
    const text = (v: unknown) => (v === undefined ? '' : JSON.stringify(v))
    if (json && typeof json === 'object' && 'error' in json)
      return `{${text(json.error)} - ${text(json.error_description)}}`
    if (json && typeof json === 'object' && 'errorCode' in json)
      return `{${text(json.errorCode)} - ${text(json.errorSummary)}}`
    return '{the answer has no error field}'
  } catch {
    return '{the answer is not JSON}'
  }
}

function post(endpoint: TokenEndpoint, headers: Record<string, string>, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const https = endpoint.url.protocol === 'https:'
    const tls = https && endpoint.tls ? { ...endpoint.tls } : {}
    // Java's HttpsURLConnection checks the host name whatever ssl.endpoint.identification.algorithm says.
    delete (tls as { checkServerIdentity?: unknown }).checkServerIdentity
    const req = (https ? httpsRequest : httpRequest)(endpoint.url, { method: 'POST', headers, agent: false, ...tls })
    let connectTimer: NodeJS.Timeout | null = null
    const fail = (e: Error) => {
      if (connectTimer) clearTimeout(connectTimer)
      reject(new OAuthError(`The token endpoint ${endpoint.url.origin} could not be reached: ${e.message}`, true))
    }
    if (endpoint.connectTimeoutMs !== null) {
      connectTimer = setTimeout(
        () => req.destroy(new Error(`connect timed out after ${endpoint.connectTimeoutMs} ms`)),
        endpoint.connectTimeoutMs,
      )
      req.once('socket', (socket) => {
        socket.once('connect', () => {
          if (connectTimer) clearTimeout(connectTimer)
        })
      })
    }
    if (endpoint.readTimeoutMs !== null) {
      req.setTimeout(endpoint.readTimeoutMs, () =>
        req.destroy(new Error(`read timed out after ${endpoint.readTimeoutMs} ms`)),
      )
    }
    req.once('error', fail)
    req.once('response', (res: IncomingMessage) => {
      if (connectTimer) clearTimeout(connectTimer)
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.once('error', fail)
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        const status = res.statusCode ?? 0
        if (status === 200 || status === 201) {
          if (text === '') {
            reject(
              new OAuthError(
                `The token endpoint response was unexpectedly empty despite response code ${status} from ${endpoint.url.origin}`,
                true,
              ),
            )
          } else resolve(text)
        } else if (UNRETRIABLE_STATUS.has(status)) {
          reject(
            new OAuthError(
              `The response code ${status} and error response ${errorMessage(text)} was encountered reading the token endpoint response; will not attempt further retries`,
            ),
          )
        } else {
          reject(
            new OAuthError(
              `The unexpected response code ${status} and error message ${errorMessage(text)} was encountered reading the token endpoint response`,
              true,
            ),
          )
        }
      })
    })
    req.end(body)
  })
}

/** JwtResponseParser: the `access_token` (or `id_token`) of the token endpoint's JSON answer. */
function jwtFromResponse(body: string): string {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    throw new OAuthError('The token endpoint response is not JSON')
  }
  const record = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>
  const token = typeof record.access_token === 'string' ? record.access_token : record.id_token
  if (typeof token !== 'string' || token.trim() === '') {
    throw new OAuthError(
      `The token endpoint response did not contain a valid JWT (fields: ${Object.keys(record).join(', ') || 'none'})`,
    )
  }
  return token.trim()
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Posts the client credentials (Apache's `Retry`: attempts go on, waiting `retryBackoffMs` doubled each time, until
 * `retryBackoffMaxMs` has passed since the first; a 4xx answer ends them at once) and returns the JWT it answered.
 */
export async function requestToken(endpoint: TokenEndpoint, now: () => number = Date.now): Promise<string> {
  const { headers, body } = clientCredentialsRequest(endpoint)
  const endMs = now() + endpoint.retryBackoffMaxMs
  let attempt = 0
  let first: OAuthError | null = null
  while (now() <= endMs) {
    attempt++
    try {
      return jwtFromResponse(await post(endpoint, headers, body))
    } catch (e) {
      const error = e instanceof OAuthError ? e : new OAuthError((e as Error).message, true)
      first ??= error
      if (!error.retriable) break
      const wait = Math.min(endpoint.retryBackoffMs * 2 ** (attempt - 1), endMs - now())
      if (wait <= 0) break
      await sleep(wait)
    }
  }
  throw first ?? new OAuthError('Exhausted all retry attempts but no attempt returned value or encountered exception')
}

// ---------------------------------------------------------------------------------------------------------------------
// Refreshing (ExpiringCredentialRefreshingLogin)

/** When Apache's refresh thread would get a new token for `token`, obtained at `nowMs`. */
export function refreshTimeMs(
  nowMs: number,
  token: BearerToken,
  cfg: RefreshConfig,
  random: () => number = Math.random,
): number {
  const expireMs = token.expiresAtMs
  if (nowMs > expireMs) return nowMs + 10_000
  const startMs = token.issuedAtMs ?? nowMs
  const pct = cfg.windowFactor + cfg.windowJitter * random()
  // Ignore the buffers if the token's remaining lifetime is shorter than their sum.
  if (nowMs + 1000 * (cfg.minPeriodSeconds + cfg.bufferSeconds) > expireMs) {
    return nowMs + Math.trunc((expireMs - nowMs) * pct)
  }
  const proposed = startMs + Math.trunc((expireMs - startMs) * pct)
  const endBuffer = expireMs - cfg.bufferSeconds * 1000
  if (proposed > endBuffer) return endBuffer
  const minRefresh = nowMs + 1000 * cfg.minPeriodSeconds
  if (proposed < minRefresh) return minRefresh
  return proposed
}

export interface TokenProviderOptions {
  now?: () => number
  random?: () => number
  /** Told when a refresh failed and the current, still valid, token is used meanwhile. */
  onRefreshError?: (error: Error) => void
}

/**
 * Holds the current token and gets the next one when its refresh time comes (on the first `token()` call after it),
 * one request at a time. A failed refresh keeps the current token while it is valid and tries again 10 s later, as
 * Apache's refresh thread does; with no valid token the error goes to the caller (the connection fails and is retried).
 */
export class TokenProvider {
  readonly #retrieve: () => Promise<BearerToken>
  readonly #refresh: RefreshConfig
  readonly #now: () => number
  readonly #random: () => number
  readonly #onRefreshError: ((error: Error) => void) | undefined
  #current: BearerToken | null = null
  #refreshAtMs = 0
  #pending: Promise<BearerToken> | null = null

  constructor(retrieve: () => Promise<BearerToken>, refresh: RefreshConfig, options: TokenProviderOptions = {}) {
    this.#retrieve = retrieve
    this.#refresh = refresh
    this.#now = options.now ?? Date.now
    this.#random = options.random ?? Math.random
    this.#onRefreshError = options.onRefreshError
  }

  /** The token last obtained (null before the first `token()`). */
  get current(): BearerToken | null {
    return this.#current
  }

  /** When the current token will be replaced (ms since the epoch). */
  get refreshAtMs(): number {
    return this.#refreshAtMs
  }

  /** A valid token: the current one, or a new one when the refresh time has come. */
  async token(): Promise<string> {
    const current = this.#current
    const now = this.#now()
    if (current !== null && now < this.#refreshAtMs) return current.value
    if (current !== null && now < current.expiresAtMs) {
      try {
        return (await this.#next()).value
      } catch (e) {
        this.#refreshAtMs = now + 10_000
        this.#onRefreshError?.(e as Error)
        return current.value
      }
    }
    return (await this.#next()).value
  }

  #next(): Promise<BearerToken> {
    this.#pending ??= this.#retrieve()
      .then((token) => {
        const now = this.#now()
        this.#current = token
        this.#refreshAtMs = refreshTimeMs(now, token, this.#refresh, this.#random)
        return token
      })
      .finally(() => {
        this.#pending = null
      })
    return this.#pending
  }
}

/** A token from a `file:` token endpoint URL (Apache's FileJwtRetriever), read again at each refresh. */
export function fileToken(path: string, scopeClaim: string, subClaim: string): BearerToken {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new OAuthError(
      `The token file ${path} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    )
  }
  return validateClientJwt(text, scopeClaim, subClaim)
}
