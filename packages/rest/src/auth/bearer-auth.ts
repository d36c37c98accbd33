/**
 * Bearer tokens, Ferry's own: `rest.auth.bearer.tokens.file` names a properties file of `<name>=<token>` lines, read
 * at start; a request with `Authorization: Bearer <token>` for one of them is let in as `<name>`. Tokens are compared
 * in constant time and never logged (the names are).
 */
import { readFileSync } from 'node:fs'
import { ConfigException } from '@ferry/api'
import { parseProperties } from '@ferry/runtime'
import { matchesSecret, secretDigest } from './secret.ts'

export const REST_AUTH_BEARER_TOKENS_FILE = 'rest.auth.bearer.tokens.file'

export interface BearerAuthenticator {
  /** The token's name when the `Authorization` header carries a known bearer token, else null. */
  authenticate(authorization: string | undefined): string | null
  readonly description: string
}

/** Reads the tokens file; throws `ConfigException` naming the key when it cannot be read or holds no token. */
export function bearerAuthenticator(path: string): BearerAuthenticator {
  let tokens: Record<string, string>
  try {
    tokens = parseProperties(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new ConfigException(REST_AUTH_BEARER_TOKENS_FILE, path, `cannot be read: ${(e as Error).message}`)
  }
  const entries = Object.entries(tokens).map(([name, token]) => ({ name, token: token.trim() }))
  const empty = entries.filter((e) => e.token === '').map((e) => e.name)
  if (empty.length > 0)
    throw new ConfigException(REST_AUTH_BEARER_TOKENS_FILE, path, `the token of ${empty.join(', ')} is empty`)
  if (entries.length === 0)
    throw new ConfigException(REST_AUTH_BEARER_TOKENS_FILE, path, 'holds no token (lines of <name>=<token>)')
  const known = entries.map((e) => ({ name: e.name, digest: secretDigest(e.token) }))
  return {
    authenticate: (authorization) => {
      const m = /^bearer +(\S+) *$/i.exec(authorization ?? '')
      if (!m) return null
      const given = m[1]!
      let match: string | null = null
      for (const k of known) if (matchesSecret(k.digest, given) && match === null) match = k.name
      return match
    },
    description: `bearer tokens (${REST_AUTH_BEARER_TOKENS_FILE}) for ${known.map((k) => k.name).join(', ')}`,
  }
}
