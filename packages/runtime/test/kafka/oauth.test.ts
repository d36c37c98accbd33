import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import {
  type BearerToken,
  DEFAULT_REFRESH,
  fileToken,
  OAuthError,
  refreshTimeMs,
  requestToken,
  saslExtensions,
  type TokenEndpoint,
  TokenProvider,
  unsecuredToken,
  validateClientJwt,
} from '../../src/kafka/oauth.ts'

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'RS256' })}.${b64(claims)}.c2lnbmF0dXJl`
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))

interface Received {
  authorization: string | undefined
  contentType: string | undefined
  accept: string | undefined
  body: string
}

/** A token endpoint on 127.0.0.1 that answers each request with the next of `answers` (the last one repeats). */
async function tokenServer(
  t: TestContext,
  answers: ((res: ServerResponse) => void)[],
): Promise<{ url: URL; received: Received[] }> {
  const received: Received[] = []
  const server = createServer((req: IncomingMessage, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      received.push({
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        accept: req.headers.accept,
        body,
      })
      answers[Math.min(received.length - 1, answers.length - 1)]!(res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(resolve))
  })
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/token`), received }
}

const json = (status: number, body: unknown) => (res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

function endpoint(url: URL, overrides: Partial<TokenEndpoint> = {}): TokenEndpoint {
  return {
    url,
    clientId: 'ferry-app',
    clientSecret: 'the-client-secret',
    scope: null,
    urlencode: false,
    connectTimeoutMs: null,
    readTimeoutMs: null,
    retryBackoffMs: 10,
    retryBackoffMaxMs: 1000,
    tls: null,
    ...overrides,
  }
}

describe('unsecuredToken', () => {
  const options = (o: Record<string, string>) => new Map(Object.entries(o))

  it("builds Apache's unsecured JWS: alg none, exp and iat in seconds, the claims of the JAAS options", () => {
    const now = 1_700_000_000_123
    const token = unsecuredToken(
      options({
        unsecuredLoginStringClaim_sub: 'alice',
        unsecuredLoginNumberClaim_level: '3',
        unsecuredLoginListClaim_scope: '|read|write',
        unsecuredLoginLifetimeSeconds: '60',
      }),
      now,
    )
    const [header, payload, signature] = token.value.split('.')
    assert.deepEqual(decode(header!), { alg: 'none' })
    assert.equal(signature, '')
    assert.deepEqual(decode(payload!), {
      exp: 1_700_000_060.123,
      iat: 1_700_000_000.123,
      sub: 'alice',
      level: 3,
      scope: ['read', 'write'],
    })
    // Java's Double.toString, as Apache writes the numbers.
    assert.match(
      Buffer.from(payload!, 'base64url').toString(),
      /^\{"exp":1\.700000060123E9,"iat":1\.700000000123E9,"sub":"alice","level":3\.0,"scope":\["read","write"\]\}$/,
    )
    assert.equal(token.principal, 'alice')
    assert.equal(token.expiresAtMs, now + 60_000)
    assert.deepEqual(token.scope, ['read', 'write'])
  })

  it('takes another principal claim name and a one hour lifetime by default', () => {
    const token = unsecuredToken(
      options({ unsecuredLoginPrincipalClaimName: 'user', unsecuredLoginStringClaim_user: 'bob' }),
      0,
    )
    assert.equal(token.principal, 'bob')
    assert.equal(token.expiresAtMs, 3_600_000)
  })

  it('refuses what Apache refuses: no principal, iat or exp set, a lifetime that is not a number', () => {
    assert.throws(() => unsecuredToken(options({}), 0), { message: 'No principal name in JWT claim: sub' })
    assert.throws(
      () => unsecuredToken(options({ unsecuredLoginStringClaim_sub: 'a', unsecuredLoginNumberClaim_exp: '1' }), 0),
      {
        message: "Cannot explicitly set the 'exp' claim",
      },
    )
    assert.throws(
      () => unsecuredToken(options({ unsecuredLoginStringClaim_sub: 'a', unsecuredLoginLifetimeSeconds: 'x' }), 0),
      OAuthError,
    )
  })

  it('reads SASL extensions and refuses invalid names', () => {
    assert.deepEqual(
      saslExtensions(options({ unsecuredLoginExtension_traceId: '123', other: 'x' }), 'unsecuredLoginExtension_'),
      { traceId: '123' },
    )
    assert.throws(() => saslExtensions(options({ extension_auth: 'x' }), 'extension_'), {
      message: 'Extension name auth is invalid',
    })
    assert.throws(() => saslExtensions(options({ extension_a1: 'x' }), 'extension_'), {
      message: 'Extension name a1 is invalid',
    })
  })
})

describe('validateClientJwt', () => {
  it('reads sub, exp, iat and the scope claim of a token', () => {
    const token = validateClientJwt(jwt({ sub: 'svc', exp: 2000, iat: 1000, scope: 'kafka' }), 'scope', 'sub')
    assert.deepEqual(token, {
      value: token.value,
      principal: 'svc',
      expiresAtMs: 2_000_000,
      issuedAtMs: 1_000_000,
      scope: ['kafka'],
    })
    const custom = validateClientJwt(jwt({ client_id: 'app', exp: 2000, scp: ['a', 'b'] }), 'scp', 'client_id')
    assert.deepEqual([custom.principal, custom.scope, custom.issuedAtMs], ['app', ['a', 'b'], null])
  })

  it("refuses what Apache's ClientJwtValidator refuses, without showing the token", () => {
    const cases: [string, RegExp][] = [
      ['not-a-jwt', /^Malformed JWT provided; expected three sections/],
      [jwt({ sub: 'svc' }), /^exp value must be non-null$/],
      [jwt({ exp: 1, sub: ' ' }), /^sub value must be non-null, non-empty, and non-whitespace$/],
      [jwt({ exp: 1, sub: 'a', scope: ['x', 'x'] }), /^scope value must not contain duplicates - x already present$/],
      [`${b64({})}.bm90IGpzb24.`, /^Could not validate the access token/],
    ]
    for (const [token, message] of cases) {
      assert.throws(
        () => validateClientJwt(token, 'scope', 'sub'),
        (e: Error) => message.test(e.message) && !e.message.includes(token),
      )
    }
  })
})

describe('requestToken', () => {
  it('posts the client credentials with HTTP basic auth and the client_credentials form, and returns the access token', async (t) => {
    const token = jwt({ sub: 'ferry-app', exp: 4_000_000_000 })
    const { url, received } = await tokenServer(t, [
      json(200, { access_token: token, token_type: 'bearer', expires_in: 3600 }),
    ])
    assert.equal(await requestToken(endpoint(url, { scope: 'kafka-cluster' })), token)
    assert.equal(received.length, 1)
    assert.equal(received[0]!.authorization, `Basic ${Buffer.from('ferry-app:the-client-secret').toString('base64')}`)
    assert.equal(received[0]!.contentType, 'application/x-www-form-urlencoded')
    assert.equal(received[0]!.accept, 'application/json')
    assert.equal(received[0]!.body, 'grant_type=client_credentials&scope=kafka-cluster')
  })

  it('URL-encodes the client id, secret and scope with sasl.oauthbearer.header.urlencode, as Java', async (t) => {
    const { url, received } = await tokenServer(t, [json(200, { access_token: 'a.b.c' })])
    await requestToken(endpoint(url, { clientId: 'my app', clientSecret: 's:é*~', scope: 'a b', urlencode: true }))
    assert.equal(received[0]!.authorization, `Basic ${Buffer.from('my+app:s%3A%C3%A9*%7E').toString('base64')}`)
    assert.equal(received[0]!.body, 'grant_type=client_credentials&scope=a+b')
  })

  it('retries a 5xx answer with backoff and succeeds', async (t) => {
    const { url, received } = await tokenServer(t, [
      json(503, {}),
      json(500, { error: 'busy' }),
      json(200, { access_token: 'x.y.z' }),
    ])
    assert.equal(await requestToken(endpoint(url)), 'x.y.z')
    assert.equal(received.length, 3)
  })

  it('does not retry a 401, and says what the endpoint answered without the secret', async (t) => {
    const { url, received } = await tokenServer(t, [
      json(401, { error: 'invalid_client', error_description: 'bad secret' }),
    ])
    await assert.rejects(requestToken(endpoint(url)), (e: Error) => {
      assert.equal(
        e.message,
        'The response code 401 and error response {"invalid_client" - "bad secret"} was encountered reading the token endpoint response; will not attempt further retries',
      )
      return !e.message.includes('the-client-secret')
    })
    assert.equal(received.length, 1)
  })

  it('gives up once sasl.login.retry.backoff.max.ms has passed', async (t) => {
    const { url, received } = await tokenServer(t, [json(500, {})])
    await assert.rejects(
      requestToken(endpoint(url, { retryBackoffMs: 20, retryBackoffMaxMs: 200 })),
      /unexpected response code 500/,
    )
    // Waits of 20, 40, 80 ms and the rest of the 200 ms: at most five attempts, fewer when each answer is slow (a
    // loaded machine), so only the bound is checked; retrying itself is the 5xx test's.
    assert.ok(received.length >= 1 && received.length <= 6, String(received.length))
  })

  it('times out a read with sasl.login.read.timeout.ms', async (t) => {
    const { url } = await tokenServer(t, [() => {}])
    await assert.rejects(
      requestToken(endpoint(url, { readTimeoutMs: 100, retryBackoffMaxMs: 0 })),
      /read timed out after 100 ms/,
    )
  })

  it('refuses an answer without a token, naming only its fields', async (t) => {
    const { url } = await tokenServer(t, [json(200, { refresh_token: 'secret-refresh', token_type: 'bearer' })])
    await assert.rejects(
      requestToken(endpoint(url)),
      (e: Error) => /fields: refresh_token, token_type/.test(e.message) && !e.message.includes('secret-refresh'),
    )
  })
})

describe('refreshTimeMs', () => {
  const token = (issuedAtMs: number | null, expiresAtMs: number): BearerToken => ({
    value: 'x',
    principal: 'p',
    issuedAtMs,
    expiresAtMs,
    scope: [],
  })
  const noJitter = () => 0

  it('refreshes at 80% of the lifetime', () => {
    assert.equal(refreshTimeMs(0, token(0, 3_600_000), DEFAULT_REFRESH, noJitter), 2_880_000)
  })

  it('keeps sasl.login.refresh.buffer.seconds before expiry and waits at least min.period.seconds', () => {
    const cfg = { ...DEFAULT_REFRESH, windowFactor: 1 }
    assert.equal(refreshTimeMs(0, token(0, 3_600_000), cfg, noJitter), 3_600_000 - 300_000)
    assert.equal(refreshTimeMs(0, token(-10_000_000, 1_000_000), DEFAULT_REFRESH, noJitter), 60_000)
  })

  it('ignores the buffers for a short-lived token', () => {
    assert.equal(refreshTimeMs(0, token(0, 100_000), DEFAULT_REFRESH, noJitter), 80_000)
  })

  it('adds up to window.jitter of the lifetime', () => {
    assert.equal(
      refreshTimeMs(0, token(0, 1_000_000), { ...DEFAULT_REFRESH, minPeriodSeconds: 0, bufferSeconds: 0 }, () => 1),
      850_000,
    )
  })
})

describe('TokenProvider', () => {
  function provider(lifetimeMs: number, fail: () => boolean = () => false) {
    let now = 0
    let fetches = 0
    const p = new TokenProvider(
      async () => {
        fetches++
        if (fail()) throw new OAuthError('endpoint down', true)
        return { value: `token-${fetches}`, principal: 'p', issuedAtMs: now, expiresAtMs: now + lifetimeMs, scope: [] }
      },
      { ...DEFAULT_REFRESH, windowJitter: 0 },
      { now: () => now },
    )
    return { p, advance: (ms: number) => (now += ms), fetches: () => fetches }
  }

  it('gets one token for concurrent callers and keeps it until its refresh time', async () => {
    const { p, advance, fetches } = provider(3_600_000)
    assert.deepEqual(await Promise.all([p.token(), p.token(), p.token()]), ['token-1', 'token-1', 'token-1'])
    assert.equal(fetches(), 1)
    advance(2_879_000)
    assert.equal(await p.token(), 'token-1')
    assert.equal(fetches(), 1)
  })

  it('gets a new token before the current one expires', async () => {
    const { p, advance } = provider(3_600_000)
    await p.token()
    assert.equal(p.refreshAtMs, 2_880_000)
    advance(2_880_000)
    assert.equal(await p.token(), 'token-2')
    assert.ok(p.current!.expiresAtMs > 2_880_000 + 3_000_000)
  })

  it('keeps the valid token when a refresh fails, and tries again 10 s later', async () => {
    let failing = false
    const { p, advance, fetches } = provider(3_600_000, () => failing)
    await p.token()
    failing = true
    advance(2_900_000)
    assert.equal(await p.token(), 'token-1')
    assert.equal(fetches(), 2)
    advance(5_000)
    assert.equal(await p.token(), 'token-1')
    assert.equal(fetches(), 2)
    failing = false
    advance(5_000)
    assert.equal(await p.token(), 'token-3')
  })

  it('fails when there is no valid token and the endpoint fails', async () => {
    let failing = false
    const { p, advance } = provider(1_000, () => failing)
    await p.token()
    failing = true
    advance(2_000)
    await assert.rejects(p.token(), { message: 'endpoint down' })
  })
})

describe('fileToken', () => {
  it('reads and checks the token in a file', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-token-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const path = join(dir, 'token.jwt')
    await writeFile(path, `${jwt({ sub: 'file-user', exp: 4_000_000_000 })}\n`)
    assert.equal(fileToken(path, 'scope', 'sub').principal, 'file-user')
    assert.throws(() => fileToken(join(dir, 'missing'), 'scope', 'sub'), /cannot be read: ENOENT/)
  })
})
