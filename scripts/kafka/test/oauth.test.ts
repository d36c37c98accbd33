import assert from 'node:assert/strict'
import { createPublicKey, verify } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createOAuthIssuer, type OAuthIssuer, startTokenEndpoint, type TokenEndpoint } from '../oauth.ts'

/** Decodes a JWT and checks its RS256 signature against the JWKS; returns header and claims. */
function decode(token: string, jwks: OAuthIssuer['jwks']) {
  const [h, c, sig] = token.split('.')
  assert.ok(h && c && sig, 'three dot-separated parts')
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString()) as Record<string, unknown>
  const jwk = jwks.keys.find((k) => k.kid === header.kid)
  const valid =
    jwk !== undefined &&
    verify(
      'sha256',
      Buffer.from(`${h}.${c}`),
      createPublicKey({ key: jwk, format: 'jwk' }),
      Buffer.from(sig, 'base64url'),
    )
  return { header, claims, valid }
}

test('a minted token is an RS256 JWT the JWKS verifies, with sub, scope, iat, exp, iss and aud', () => {
  const issuer = createOAuthIssuer({ issuer: 'https://idp.example', audience: 'kafka-test' })
  const before = Math.floor(Date.now() / 1000)
  const { header, claims, valid } = decode(
    issuer.mintToken({ subject: 'alice', scope: 'read write', lifetimeSeconds: 120 }),
    issuer.jwks,
  )
  assert.ok(valid)
  assert.deepEqual(header, { alg: 'RS256', typ: 'JWT', kid: issuer.kid })
  assert.equal(claims.sub, 'alice')
  assert.equal(claims.scope, 'read write')
  assert.equal(claims.iss, 'https://idp.example')
  assert.equal(claims.aud, 'kafka-test')
  assert.ok((claims.iat as number) >= before && (claims.iat as number) <= before + 2)
  assert.equal((claims.exp as number) - (claims.iat as number), 120)
})

test('a token signed with the untrusted key fails verification against the JWKS', () => {
  const issuer = createOAuthIssuer()
  assert.equal(decode(issuer.mintToken({ subject: 'mallory', untrustedKey: true }), issuer.jwks).valid, false)
})

test('an expired token has exp in the past', () => {
  const issuer = createOAuthIssuer()
  const { claims } = decode(issuer.mintToken({ subject: 'alice', lifetimeSeconds: -60 }), issuer.jwks)
  assert.ok((claims.exp as number) < Date.now() / 1000)
  assert.ok((claims.iat as number) < (claims.exp as number))
})

test('the JWKS file holds the public key only', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-oauth-test-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const issuer = createOAuthIssuer()
  await issuer.writeJwks(join(dir, 'jwks.json'))
  const jwks = JSON.parse(await readFile(join(dir, 'jwks.json'), 'utf8')) as OAuthIssuer['jwks']
  assert.deepEqual(jwks, issuer.jwks)
  assert.deepEqual(Object.keys(jwks.keys[0] ?? {}).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use'])
})

async function endpoint(t: { after: (fn: () => Promise<void>) => void }, lifetimeSeconds = 600) {
  const issuer = createOAuthIssuer()
  const ep = await startTokenEndpoint({ issuer, clients: { svc: 's3cret', 'odd id': 'p@ss:word' }, lifetimeSeconds })
  t.after(() => ep.close())
  return { issuer, ep }
}

const post = (ep: TokenEndpoint, body: string, headers: Record<string, string> = {}) =>
  fetch(ep.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }))

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`

test('the token endpoint answers a client-credentials grant with basic auth', async (t) => {
  const { issuer, ep } = await endpoint(t)
  const res = await post(ep, 'grant_type=client_credentials&scope=kafka', { authorization: basic('svc', 's3cret') })
  assert.equal(res.status, 200)
  assert.equal(res.body.token_type, 'Bearer')
  assert.equal(res.body.expires_in, 600)
  const { claims, valid } = decode(res.body.access_token as string, issuer.jwks)
  assert.ok(valid)
  assert.equal(claims.sub, 'svc')
  assert.equal(claims.scope, 'kafka')
  assert.deepEqual(ep.log, [{ clientId: 'svc', auth: 'basic', scope: 'kafka', status: 200 }])
  assert.equal(ep.issued, 1)
})

test('the token endpoint takes form credentials and form-urlencoded basic credentials', async (t) => {
  const { ep } = await endpoint(t)
  const form = await post(ep, 'grant_type=client_credentials&client_id=svc&client_secret=s3cret')
  assert.equal(form.status, 200)
  const odd = await post(ep, 'grant_type=client_credentials', { authorization: basic('odd id', 'p@ss:word') })
  assert.equal(odd.status, 200)
  assert.equal(ep.issued, 2)
  assert.deepEqual(
    ep.log.map((e) => [e.clientId, e.auth]),
    [
      ['svc', 'form'],
      ['odd id', 'basic'],
    ],
  )
})

test('the token endpoint refuses a wrong secret, an unknown client and another grant type, and counts them', async (t) => {
  const { ep } = await endpoint(t)
  const wrong = await post(ep, 'grant_type=client_credentials', { authorization: basic('svc', 'nope') })
  assert.deepEqual(wrong, {
    status: 401,
    body: { error: 'invalid_client', error_description: 'unknown client or wrong secret' },
  })
  const unknown = await post(ep, 'grant_type=client_credentials&client_id=who&client_secret=s3cret')
  assert.equal(unknown.status, 401)
  const password = await post(ep, 'grant_type=password&username=a&password=b', {
    authorization: basic('svc', 's3cret'),
  })
  assert.equal(password.status, 400)
  assert.equal(password.body.error, 'unsupported_grant_type')
  const get = await fetch(ep.url)
  assert.equal(get.status, 405)
  assert.equal(ep.requests, 4)
  assert.equal(ep.issued, 0)
  assert.ok(!JSON.stringify(ep.log).includes('nope'), 'secrets are not logged')
})

test('changing the clients map changes what the token endpoint accepts', async (t) => {
  const { ep } = await endpoint(t)
  ep.clients.svc = 'rotated'
  assert.equal((await post(ep, 'grant_type=client_credentials', { authorization: basic('svc', 's3cret') })).status, 401)
  assert.equal(
    (await post(ep, 'grant_type=client_credentials', { authorization: basic('svc', 'rotated') })).status,
    200,
  )
})
