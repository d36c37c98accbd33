/**
 * Hostile input at the REST API, generated from a fixed seed (issue 13): malformed bodies, wrong types for every field
 * of every body, huge and deeply nested bodies, odd connector names, every HTTP method on every path, odd content
 * types. Shared by the unit suite (fake herder, `inject`) and the integration suite (a real standalone worker).
 *
 * `checkAnswer` states what every answer must be: a 2xx, or an error with exactly Apache's `{"error_code","message"}`
 * body whose code is the status; a 500 only where Apache answers 500 too (the JSON reader's refusals, a missing
 * body, the internal endpoints in standalone mode), never an uncaught exception of Ferry's own.
 */
import assert from 'node:assert/strict'
import { METHODS } from 'node:http'
import type { RouteSpec } from '../src/context.ts'

/** One request of the corpus. */
export interface HostileRequest {
  label: string
  method: string
  url: string
  payload?: Buffer
  headers?: Record<string, string>
}

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const SOURCE = { 'connector.class': 'FileStreamSource', topic: 'hostile-topic', file: '/dev/null' }

/** A valid body for each route that reads one, keyed `METHOD url`. */
const VALID_BODIES: Readonly<Record<string, unknown>> = {
  'POST /connectors': { name: 'hostile', config: SOURCE, initial_state: 'PAUSED' },
  'PUT /connectors/:connector/config': SOURCE,
  'PATCH /connectors/:connector/config': { topic: 'other', file: null },
  'PATCH /connectors/:connector/offsets': {
    offsets: [{ partition: { filename: '/dev/null' }, offset: { position: 1 } }],
  },
  'POST /connectors/:connector/tasks': [{ 'task.class': 'T' }],
  'PUT /connector-plugins/:plugin/config/validate': SOURCE,
  'PUT /admin/loggers/:logger': { level: 'DEBUG' },
}

/** Values of every JSON type, and some that stress a parser. */
function wrongValues(random: () => number): unknown[] {
  const deep = (n: number) => JSON.parse(`${'['.repeat(n)}${']'.repeat(n)}`)
  return [
    null,
    true,
    0,
    -1.5e308,
    '',
    'x'.repeat(1 + Math.floor(random() * 64)),
    [],
    [1, 'a', null],
    {},
    { a: { b: [] } },
    deep(200),
    '\u0000\ud800\u2028',
  ]
}

/** Every path into a JSON value: `[]` is the value itself. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out = [prefix]
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...paths(v, [...prefix, i]))
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]))
  }
  return out
}

function replaced(value: unknown, path: Array<string | number>, by: unknown): unknown {
  if (path.length === 0) return by
  const copy = structuredClone(value) as Record<string | number, unknown>
  let at = copy
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>
  at[path[path.length - 1]!] = by
  return copy
}

/** Odd connector names: each is created, reached through its Location and deleted, or refused with a 4xx. */
export function oddNames(random: () => number): string[] {
  const alphabet = ['/', '.', '..', '%', '%2F', '?', '#', ';', '\\', ' ', '\u00a0', '\u2028', '\t', '\u0001', '\u007f']
  alphabet.push('\u{1f41f}', '\ud800', '\udc00', 'é', '+', '&', '=', '"', "'", '<', '{', '\ufeff', 'a', 'Z', '0')
  const names = [
    '/',
    '..',
    '.',
    '%2F',
    'a/b',
    '../x',
    '%',
    '?x',
    '#',
    'n\u00a0',
    'n\u2028',
    '\u0000',
    'x'.repeat(100_000),
  ]
  names.push('y'.repeat(8192), 'é'.repeat(3000), ' lead and trail ', '\ufeffbom')
  for (let i = 0; i < 40; i++) {
    let name = ''
    const length = 1 + Math.floor(random() * 8)
    for (let j = 0; j < length; j++) name += alphabet[Math.floor(random() * alphabet.length)]
    names.push(name)
  }
  return names
}

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/json;;',
  'application/vnd.kafka.json.v2+json',
  '*/*',
  'garbage',
  '',
  'application/',
  'application/json\u0000',
]

const json = (value: unknown) => Buffer.from(JSON.stringify(value))
const JSON_HEADERS = { 'content-type': 'application/json' }

/** Fills `:params` with `name` (already encoded). */
function fill(url: string, name: string): string {
  return url.replace(/:task\b/, '0').replace(/:[a-z]+/g, name)
}

/**
 * The corpus for `routes` (the server's own table, so every route and every body is covered), against an existing
 * connector `existing`. `bodyLimit` is the server's, so one body is just over it.
 */
export function hostileRequests(routes: readonly RouteSpec[], existing: string, bodyLimit: number, seed: number) {
  const random = seededRandom(seed)
  const requests: HostileRequest[] = []
  const entityRoutes = routes.filter((r) => r.entity)
  for (const route of entityRoutes) {
    const key = `${route.method} ${route.url}`
    const valid = VALID_BODIES[key]
    assert.ok(valid !== undefined, `no valid body for ${key}: add one to VALID_BODIES`)
    const url = fill(route.url, existing)
    // Wrong types for every field (and for the body itself).
    for (const path of paths(valid)) {
      for (const value of wrongValues(random)) {
        requests.push({
          label: `${key} ${path.join('.') || '<body>'} = ${JSON.stringify(value)?.slice(0, 40)}`,
          method: route.method,
          url,
          payload: json(replaced(valid, path, value)),
          headers: JSON_HEADERS,
        })
      }
    }
    // Malformed JSON: the valid body cut short, or with random bytes in it.
    const text = JSON.stringify(valid)
    for (let i = 0; i < 12; i++) {
      const cut = Math.floor(random() * text.length)
      const noise = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 6) }, () => Math.floor(random() * 256)))
      requests.push({
        label: `${key} cut at ${cut}`,
        method: route.method,
        url,
        payload: Buffer.from(text.slice(0, cut)),
        headers: JSON_HEADERS,
      })
      requests.push({
        label: `${key} noise at ${cut}`,
        method: route.method,
        url,
        payload: Buffer.concat([Buffer.from(text.slice(0, cut)), noise, Buffer.from(text.slice(cut))]),
        headers: JSON_HEADERS,
      })
    }
    // Content types.
    for (const type of CONTENT_TYPES) {
      requests.push({
        label: `${key} as ${JSON.stringify(type)}`,
        method: route.method,
        url,
        payload: json(valid),
        headers: { 'content-type': type },
      })
    }
    // Huge and deep.
    requests.push({
      label: `${key} deep`,
      method: route.method,
      url,
      payload: Buffer.from(`${'['.repeat(20_000)}${']'.repeat(20_000)}`),
      headers: JSON_HEADERS,
    })
    requests.push({
      label: `${key} deep object`,
      method: route.method,
      url,
      payload: Buffer.from(`${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`),
      headers: JSON_HEADERS,
    })
  }
  const many: Record<string, string> = { ...SOURCE }
  for (let i = 0; i < 10_000; i++) many[`k${i}`] = String(i)
  requests.push({
    label: 'PUT config with 10,000 keys',
    method: 'PUT',
    url: `/connectors/${existing}-many/config`,
    payload: json(many),
    headers: JSON_HEADERS,
  })
  requests.push({
    label: 'a body one byte over the limit',
    method: 'POST',
    url: '/connectors',
    payload: Buffer.alloc(bodyLimit + 1, 0x20),
    headers: JSON_HEADERS,
  })
  // Every method on every path, with odd names in the path.
  const urls = [...new Set(routes.map((r) => r.url))]
  const segments = [
    '%2F',
    '..',
    '%2E%2E',
    '.',
    '%00',
    '%09',
    '%',
    '%zz',
    '%ED%A0%80',
    'x%3Fy',
    'a;b',
    encodeURIComponent('x'.repeat(20_000)),
  ]
  for (const url of urls) {
    for (const method of METHODS.filter((m) => m !== 'CONNECT')) {
      requests.push({ label: `${method} ${url}`, method, url: fill(url, existing) })
    }
    for (const segment of segments) {
      if (!url.includes(':')) continue
      requests.push({ label: `GET ${url} with ${segment.slice(0, 20)}`, method: 'GET', url: fill(url, segment) })
    }
  }
  return requests
}

/** The 500 messages Ferry may answer (each where Apache answers 500 too). */
const APACHE_500 = [
  /^Malformed JSON in the request body: /,
  /^The request body is not valid UTF-(8|16|32)/,
  /^The request body is missing: /,
  /^Cannot deserialize value of type /,
  /^Unrecognized field "/,
  /^Cannot construct instance of /,
  /^Kafka Connect in standalone mode does not support /,
  // FileStreamSourceConnector.alterOffsets refusing offsets, a ConnectException Apache answers with 500 (checked).
  /^(Offsets cannot be modified if the 'file'|Partition objects should contain|The value for the '[a-z]+' key in the (offset|partition))/,
  // The worker's check of offset values (Apache's OffsetUtils.validateFormat), a DataException Apache answers with 500.
  /^Offsets may only contain primitive types as values, but field /,
  // Apache wraps this one BadRequestException of validation in a 500.
  /^org\.apache\.kafka\.connect\.runtime\.rest\.errors\.BadRequestException: Connector config contains no connector type$/,
]

/** What every answer must be; `label` names the request in the failure. */
export function checkAnswer(label: string, status: number, text: string, method = 'GET'): void {
  assert.ok(status >= 200 && status < 600, `${label}: status ${status}`)
  if (status < 300 || method === 'HEAD') return
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    assert.fail(`${label}: ${status} with a body that is not JSON: ${text.slice(0, 200)}`)
  }
  const error = body as { error_code?: unknown; message?: unknown }
  assert.deepEqual(Object.keys(error).sort(), ['error_code', 'message'], `${label}: ${text.slice(0, 200)}`)
  assert.equal(error.error_code, status, `${label}: ${text.slice(0, 200)}`)
  assert.equal(typeof error.message, 'string', label)
  if (status >= 500) {
    assert.ok(
      status === 500 && APACHE_500.some((p) => p.test(error.message as string)),
      `${label}: ${status} ${String(error.message).slice(0, 300)}`,
    )
  }
}
