import { ConfigException } from '@ferry/api'

export type DialectName = 'postgresql' | 'mysql'

/** What a JDBC URL says, in the terms the Node drivers take. */
export interface JdbcUrl {
  dialect: DialectName
  /** The subprotocol as written: `postgresql`, `mysql` or `mariadb`. */
  subprotocol: string
  host: string
  port: number
  database: string | null
  user: string | null
  password: string | null
  /** The URL's properties (`?k=v&...`, and MySQL's `(k=v,...)` host options), decoded. */
  properties: Record<string, string>
}

const DEFAULT_PORTS: Record<DialectName, number> = { postgresql: 5432, mysql: 3306 }

/**
 * Parses `jdbc:postgresql://host[:port][/db][?k=v&...]`, `jdbc:postgresql:db`, `jdbc:mysql://[user[:pass]@]host[:port][/db][?k=v&...]`
 * and `jdbc:mariadb://...` (also with a sub-subprotocol such as `jdbc:mysql:loadbalance://`). Of a host list the
 * first host is used.
 */
export function parseJdbcUrl(url: string, key = 'connection.url'): JdbcUrl {
  const m = /^jdbc:([a-z0-9]+)(?::[a-z]+)?:(.*)$/is.exec(url.trim())
  if (!m) throw new ConfigException(key, sanitizeUrl(url), 'Not a JDBC URL (jdbc:postgresql://..., jdbc:mysql://...)')
  const subprotocol = m[1]!.toLowerCase()
  const rest = m[2]!
  let dialect: DialectName
  if (subprotocol === 'postgresql' || subprotocol === 'postgres') dialect = 'postgresql'
  else if (subprotocol === 'mysql' || subprotocol === 'mariadb') dialect = 'mysql'
  else {
    throw new ConfigException(
      key,
      sanitizeUrl(url),
      `Ferry's JDBC connectors support PostgreSQL (jdbc:postgresql:) and MySQL/MariaDB (jdbc:mysql:, jdbc:mariadb:), not '${subprotocol}'`,
    )
  }
  const properties: Record<string, string> = {}
  let user: string | null = null
  let password: string | null = null
  let host = '127.0.0.1'
  let port = DEFAULT_PORTS[dialect]
  let database: string | null = null
  let body = rest
  const q = body.indexOf('?')
  if (q >= 0) {
    for (const pair of body.slice(q + 1).split(/[&;]/)) {
      if (!pair) continue
      const eq = pair.indexOf('=')
      const k = decode(eq < 0 ? pair : pair.slice(0, eq))
      properties[k] = eq < 0 ? '' : decode(pair.slice(eq + 1))
    }
    body = body.slice(0, q)
  }
  if (body.startsWith('//')) {
    body = body.slice(2)
    const slash = body.indexOf('/')
    let authority = slash < 0 ? body : body.slice(0, slash)
    const path = slash < 0 ? '' : body.slice(slash + 1)
    if (path) database = decode(path)
    const at = authority.lastIndexOf('@')
    if (at >= 0) {
      const userInfo = authority.slice(0, at)
      authority = authority.slice(at + 1)
      const colon = userInfo.indexOf(':')
      user = decode(colon < 0 ? userInfo : userInfo.slice(0, colon))
      if (colon >= 0) password = decode(userInfo.slice(colon + 1))
    }
    const first = splitHosts(authority)[0] ?? ''
    const parsed = parseHost(first, properties)
    if (parsed.host) host = parsed.host
    if (parsed.port !== null) {
      if (!Number.isInteger(parsed.port) || parsed.port <= 0 || parsed.port > 65535) {
        throw new ConfigException(key, sanitizeUrl(url), `Invalid port in the JDBC URL: ${first}`)
      }
      port = parsed.port
    }
  } else if (body.length > 0 && dialect === 'postgresql') {
    // jdbc:postgresql:database
    database = decode(body.replace(/^\//, '')) || null
  } else if (body.length > 0) {
    throw new ConfigException(key, sanitizeUrl(url), 'Expected jdbc:mysql://host[:port]/database')
  }
  if (properties.user !== undefined) user = properties.user
  if (properties.password !== undefined) password = properties.password
  return { dialect, subprotocol, host, port, database, user, password, properties }
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** Splits `h1:p1,h2:p2` (MySQL address lists `address=(host=..)(port=..)` are taken apart too). */
function splitHosts(authority: string): string[] {
  const out: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < authority.length; i++) {
    const c = authority[i]
    if (c === '(' || c === '[') depth++
    else if (c === ')' || c === ']') depth--
    else if (c === ',' && depth === 0) {
      out.push(authority.slice(start, i))
      start = i + 1
    }
  }
  out.push(authority.slice(start))
  return out
}

function parseHost(spec: string, properties: Record<string, string>): { host: string; port: number | null } {
  // MySQL: address=(host=h)(port=p)(k=v) or (host=h,port=p,k=v)
  const kv = /\(([^)]*)\)/g
  if (spec.startsWith('address=') || spec.startsWith('(')) {
    let host = ''
    let port: number | null = null
    for (const group of spec.matchAll(kv)) {
      for (const item of group[1]!.split(',')) {
        const eq = item.indexOf('=')
        if (eq < 0) continue
        const k = item.slice(0, eq).trim()
        const v = decode(item.slice(eq + 1).trim())
        if (k === 'host') host = v
        else if (k === 'port') port = Number(v)
        else properties[k] = v
      }
    }
    return { host, port }
  }
  if (spec.startsWith('[')) {
    const close = spec.indexOf(']')
    const host = spec.slice(1, close)
    const portText = spec.slice(close + 1).replace(/^:/, '')
    return { host, port: portText ? Number(portText) : null }
  }
  const colon = spec.lastIndexOf(':')
  if (colon < 0) return { host: spec, port: null }
  return { host: spec.slice(0, colon), port: Number(spec.slice(colon + 1)) }
}

/** The URL with any password (`password=...`, `user:password@`) replaced by `****`, for messages and logs. */
export function sanitizeUrl(url: string): string {
  return url.replace(/([?&;(,]password=)[^&;),]*/gi, '$1****').replace(/(\/\/[^/:@]*:)[^@/]*@/, '$1****@')
}

/** A boolean URL property (`true`/`false`, any case); null when unset. */
export function booleanProperty(properties: Record<string, string>, ...names: string[]): boolean | null {
  for (const name of names) {
    const v = properties[name]
    if (v !== undefined) return v === '' || v.toLowerCase() === 'true'
  }
  return null
}
