/**
 * A tiny OAuth 2 identity provider for the secured test broker: an RSA key pair whose public half the broker reads as
 * a JWKS file (`OAuthBearerValidatorCallbackHandler` with `sasl.oauthbearer.jwks.endpoint.url=file:...`), signed JWTs
 * for any principal, and an HTTP token endpoint speaking the client-credentials grant as Apache's
 * `OAuthBearerLoginCallbackHandler` (and Ferry) call it.
 *
 * - `createOAuthIssuer()` makes the key pair; `issuer.mintToken({ subject })` signs an RS256 JWT with `kid`, `iss`,
 *   `aud`, `sub`, `iat`, `exp` and `scope`; `issuer.writeJwks(path)` writes the JWKS the broker trusts.
 * - `startTokenEndpoint({ issuer, clients })` serves `POST <url>`: form `grant_type=client_credentials` (and an
 *   optional `scope`), the client authenticated by HTTP Basic (`client_id:client_secret`, each form-urlencoded as
 *   RFC 6749 2.3.1 says) or by the form fields `client_id` and `client_secret`. It answers
 *   `{"access_token","token_type":"Bearer","expires_in","scope"}` with a token whose `sub` is the client id, 401
 *   `{"error":"invalid_client"}` for unknown clients or wrong secrets, 400 `unsupported_grant_type` /
 *   `invalid_request` otherwise. `requests` counts every request, `issued` every token handed out.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, randomUUID, sign } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export const DEFAULT_OAUTH_ISSUER = 'https://ferry-test-issuer.invalid'
export const DEFAULT_OAUTH_AUDIENCE = 'ferry-kafka'

export interface MintTokenOptions {
  /** The `sub` claim: the principal the broker will see (`User:<subject>`). */
  subject: string
  /** The `scope` claim, space-separated. Default `kafka`. */
  scope?: string
  /** Seconds until `exp`. Default 3600. Negative mints a token that has already expired. */
  lifetimeSeconds?: number
  /** Override the `aud` claim (a mismatch makes the broker refuse the token). */
  audience?: string
  /** Override the `iss` claim. */
  issuer?: string
  /** Sign with a key the JWKS does not hold (same `kid`): the broker must refuse the signature. */
  untrustedKey?: boolean
}

export interface OAuthIssuer {
  /** The `iss` claim in every token; the broker's `sasl.oauthbearer.expected.issuer`. */
  issuer: string
  /** The `aud` claim in every token; the broker's `sasl.oauthbearer.expected.audience`. */
  audience: string
  /** The key id in the JWKS and in every token's header. */
  kid: string
  /** The public JWKS (`{ keys: [{ kty, n, e, kid, use, alg }] }`). */
  jwks: { keys: Record<string, string>[] }
  /** A signed RS256 JWT for `subject`. */
  mintToken(opts: MintTokenOptions): string
  /** Writes the JWKS as JSON to `path` (for a `file:` JWKS URL). */
  writeJwks(path: string): Promise<void>
}

export function createOAuthIssuer(opts: { issuer?: string; audience?: string } = {}): OAuthIssuer {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  let untrusted: KeyObject | undefined
  const kid = `ferry-${randomBytes(6).toString('hex')}`
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as Record<string, string>
  const jwks = { keys: [{ kty: 'RSA', n: publicJwk.n ?? '', e: publicJwk.e ?? '', kid, use: 'sig', alg: 'RS256' }] }
  const issuer = opts.issuer ?? DEFAULT_OAUTH_ISSUER
  const audience = opts.audience ?? DEFAULT_OAUTH_AUDIENCE
  return {
    issuer,
    audience,
    kid,
    jwks,
    mintToken(o) {
      const now = Math.floor(Date.now() / 1000)
      const lifetime = o.lifetimeSeconds ?? 3600
      const header = { alg: 'RS256', typ: 'JWT', kid }
      const claims = {
        iss: o.issuer ?? issuer,
        aud: o.audience ?? audience,
        sub: o.subject,
        iat: lifetime < 0 ? now + 2 * lifetime : now,
        exp: now + lifetime,
        jti: randomUUID(),
        scope: o.scope ?? 'kafka',
      }
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
      const input = `${b64(header)}.${b64(claims)}`
      if (o.untrustedKey) untrusted ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
      const key = o.untrustedKey && untrusted ? untrusted : privateKey
      return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`
    },
    async writeJwks(path) {
      await writeFile(path, `${JSON.stringify(jwks)}\n`)
    },
  }
}

export interface TokenEndpointOptions {
  issuer: OAuthIssuer
  /** client id → client secret. */
  clients: Record<string, string>
  /** `expires_in` and the token's lifetime. Default 3600. */
  lifetimeSeconds?: number
  /** The path served. Default `/oauth2/token`. */
  path?: string
}

export interface TokenRequest {
  clientId: string | undefined
  /** How the client authenticated. */
  auth: 'basic' | 'form' | 'none'
  scope: string | undefined
  /** The HTTP status answered. */
  status: number
}

export interface TokenEndpoint {
  /** `http://127.0.0.1:<port>/oauth2/token`: Apache's `sasl.oauthbearer.token.endpoint.url`. */
  url: string
  /** Every request received, valid or not. */
  readonly requests: number
  /** Tokens handed out. */
  readonly issued: number
  /** Each request, oldest first (never the secret). */
  readonly log: readonly TokenRequest[]
  /** The client ids and secrets it accepts (add or change entries to change them). */
  clients: Record<string, string>
  close(): Promise<void>
}

export async function startTokenEndpoint(opts: TokenEndpointOptions): Promise<TokenEndpoint> {
  const path = opts.path ?? '/oauth2/token'
  const lifetime = opts.lifetimeSeconds ?? 3600
  const log: TokenRequest[] = []
  let issued = 0
  const clients = opts.clients

  const answer = (res: ServerResponse, status: number, body: Record<string, unknown>) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(JSON.stringify(body))
  }
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const entry: TokenRequest = { clientId: undefined, auth: 'none', scope: undefined, status: 0 }
    log.push(entry)
    const reply = (status: number, body: Record<string, unknown>) => {
      entry.status = status
      answer(res, status, body)
    }
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== path) {
      reply(req.method === 'POST' ? 404 : 405, { error: 'invalid_request', error_description: `POST ${path} only` })
      return
    }
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
    let clientId: string | undefined
    let secret: string | undefined
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')
    if (basic?.[1]) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      const formDecode = (s: string) => {
        try {
          return decodeURIComponent(s.replace(/\+/g, ' '))
        } catch {
          return s
        }
      }
      clientId = formDecode(colon < 0 ? decoded : decoded.slice(0, colon))
      secret = colon < 0 ? '' : formDecode(decoded.slice(colon + 1))
      entry.auth = 'basic'
    } else if (form.has('client_id')) {
      clientId = form.get('client_id') ?? undefined
      secret = form.get('client_secret') ?? ''
      entry.auth = 'form'
    }
    entry.clientId = clientId
    entry.scope = form.get('scope') ?? undefined
    if (form.get('grant_type') !== 'client_credentials') {
      reply(400, { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' })
      return
    }
    if (clientId === undefined || !Object.hasOwn(clients, clientId) || clients[clientId] !== secret) {
      reply(401, { error: 'invalid_client', error_description: 'unknown client or wrong secret' })
      return
    }
    const scope = entry.scope ?? 'kafka'
    const token = opts.issuer.mintToken({ subject: clientId, scope, lifetimeSeconds: lifetime })
    issued++
    reply(200, { access_token: token, token_type: 'Bearer', expires_in: lifetime, scope })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) =>
      answer(res, 500, { error: 'server_error', error_description: String(err) }),
    )
  })
  await new Promise<void>((ok, ko) => {
    server.once('error', ko)
    server.listen(0, '127.0.0.1', () => ok())
  })
  server.unref()
  const port = (server.address() as AddressInfo).port
  let closing: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${port}${path}`,
    get requests() {
      return log.length
    },
    get issued() {
      return issued
    },
    log,
    clients,
    close() {
      closing ??= new Promise<void>((ok) => {
        server.close(() => ok())
        server.closeAllConnections()
      })
      return closing
    },
  }
}
