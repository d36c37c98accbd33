/**
 * Apache's basic-auth REST extension (`BasicAuthSecurityRestExtension`, its `JaasBasicAuthFilter` and
 * `PropertyFileLoginModule`), configured the Apache way: the JAAS file of `-Djava.security.auth.login.config` (given
 * in `KAFKA_OPTS`, as Apache's scripts pass it to the JVM) or Ferry's `rest.auth.login.config` names the login
 * modules of its `KafkaConnect` entry, each with the credentials file of its `file` option (`user=password` lines,
 * Java properties in ISO-8859-1, as `Properties.load` reads them).
 *
 * Apache reads the JAAS file at start and each credentials file at its first request; a problem there makes every
 * request 401. Ferry reads both at start and refuses to start on a problem, naming the file and what is wrong.
 */
import { readFileSync } from 'node:fs'
import { ConfigException } from '@ferry/api'
import { type JaasModule, parseJaasFile, parseProperties } from '@ferry/runtime'
import { matchesSecret, secretDigest } from './secret.ts'

export const BASIC_AUTH_EXTENSION = 'org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension'
export const PROPERTY_FILE_LOGIN_MODULE = 'org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule'
/** Ferry's worker key for the JAAS file; it wins over `KAFKA_OPTS`. */
export const REST_AUTH_LOGIN_CONFIG = 'rest.auth.login.config'
const JAAS_ENTRY = 'KafkaConnect'
const SYSTEM_PROPERTY = 'java.security.auth.login.config'

/** The JAAS file: `rest.auth.login.config`, else `-Djava.security.auth.login.config=` in `KAFKA_OPTS`; or null. */
export function jaasFilePath(
  originals: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
): { path: string; from: string } | null {
  const own = originals[REST_AUTH_LOGIN_CONFIG]?.trim()
  if (own) return { path: own, from: REST_AUTH_LOGIN_CONFIG }
  let found: string | null = null
  for (const word of (env.KAFKA_OPTS ?? '').split(/\s+/)) {
    if (word.startsWith(`-D${SYSTEM_PROPERTY}=`)) found = word.slice(SYSTEM_PROPERTY.length + 3)
  }
  // `==path` (Java: use only this file) names the same file.
  found = found?.replace(/^=/, '') ?? null
  return found ? { path: found, from: `-D${SYSTEM_PROPERTY} in KAFKA_OPTS` } : null
}

/** Credentials checked as Apache's filter checks them: any login module of the entry that accepts them. */
export interface BasicAuthenticator {
  /**
   * The user name when the `Authorization` header's credentials are accepted (`''` when an empty credentials file
   * lets a request without them in), else null.
   */
  authenticate(authorization: string | undefined): string | null
  /** What the worker logs at start (file names, never a credential). */
  readonly description: string
}

/** Reads the JAAS file and every credentials file it names; throws `ConfigException` on any problem. */
export function basicAuthenticator(jaas: { path: string; from: string }): BasicAuthenticator {
  const problem = (message: string) =>
    new ConfigException(`${BASIC_AUTH_EXTENSION}: the JAAS file ${jaas.path} (${jaas.from}) ${message}`)
  let text: string
  try {
    text = readFileSync(jaas.path, 'utf8')
  } catch (e) {
    throw problem(`cannot be read: ${(e as Error).message}`)
  }
  let modules: JaasModule[] | undefined
  try {
    modules = parseJaasFile(text).get(JAAS_ENTRY)
  } catch (e) {
    throw problem(`is not a valid JAAS file: ${(e as Error).message}`)
  }
  if (!modules || modules.length === 0) throw problem(`has no ${JAAS_ENTRY} entry with a login module`)
  const stores = modules.map((m) => {
    if (m.loginModule !== PROPERTY_FILE_LOGIN_MODULE && m.loginModule !== 'PropertyFileLoginModule') {
      throw problem(
        `names the login module ${m.loginModule}: Ferry cannot load Java login modules, only Apache's ${PROPERTY_FILE_LOGIN_MODULE}`,
      )
    }
    const file = m.options.get('file')?.trim()
    if (!file)
      throw problem(
        `names ${PROPERTY_FILE_LOGIN_MODULE} without its file option (Property Credentials file must be specified)`,
      )
    let credentials: Record<string, string>
    try {
      credentials = parseProperties(readFileSync(file, 'latin1'))
    } catch (e) {
      throw problem(`names the credentials file ${file}, which cannot be read: ${(e as Error).message}`)
    }
    // Passwords are kept as digests and compared in constant time.
    return {
      file,
      credentials: new Map(Object.entries(credentials).map(([user, password]) => [user, secretDigest(password)])),
    }
  })
  return {
    // PropertyFileLoginModule: an empty file lets everyone in; otherwise the password must match the user's.
    authenticate: (authorization) => {
      const given = basicCredentials(authorization)
      for (const { credentials } of stores) {
        if (credentials.size === 0) return given?.user ?? ''
        if (given === null) continue
        const digest = credentials.get(given.user)
        if (digest !== undefined && matchesSecret(digest, given.password)) return given.user
      }
      return null
    },
    description: `basic authentication (${BASIC_AUTH_EXTENSION}) with the ${JAAS_ENTRY} entry of ${jaas.path}: ${stores
      .map(({ file, credentials }) =>
        credentials.size === 0
          ? `${file} is empty, so every request is let in (as Apache)`
          : `${credentials.size} user(s) in ${file}`,
      )
      .join('; ')}`,
  }
}

/**
 * User and password of an `Authorization` header, as Apache's `BasicAuthCredentials` reads it: `Basic` (any case),
 * a space, base64 of `user:password` (split at the first colon, the user not empty); null otherwise.
 */
export function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  if (header === undefined) return null
  const space = header.indexOf(' ')
  if (space <= 0 || header.slice(0, space).toLowerCase() !== 'basic') return null
  const encoded = header.slice(space + 1)
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 === 1) return null
  const decoded = Buffer.from(encoded, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return null
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}
