/**
 * The web UI (`/ui`): static files from `./static/` (plain ES modules, HTML and CSS, no build step) that drive the REST
 * API from the browser. Served by the same listeners, so TLS and any `Authorization` the browser sends apply alike;
 * `ui.enabled=false` leaves the routes out (404).
 */
import { readFileSync } from 'node:fs'
import type { RestContext, RouteSpec } from '../context.ts'
import { params } from '../context.ts'
import { httpStatusError } from '../errors.ts'

/** The files the UI is made of, by name, with their media types. Nothing else under `/ui/` is served. */
const FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'form.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
}

/** Only the UI's own files run on the page: no inline script, no other origin. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
}

let cache: Map<string, Buffer> | undefined

function file(name: string): Buffer {
  cache ??= new Map(Object.keys(FILES).map((f) => [f, readFileSync(new URL(`./static/${f}`, import.meta.url))]))
  return cache.get(name)!
}

/** index.html with its links relative to where it was asked for (`/ui/` or `/ui`). */
function page(underUi: boolean): string {
  return file('index.html')
    .toString('utf8')
    .replaceAll('__BASE__', underUi ? './' : 'ui/')
}

export function uiRoutes(ctx: RestContext): RouteSpec[] {
  if (ctx.workerConfig?.uiEnabled === false) return []
  return [
    {
      method: 'GET',
      url: '/ui',
      anyMediaType: true,
      summary: 'The web UI (an HTML page over this API; `ui.enabled=false` turns it off): see docs/operations.md',
      handler: async (request, reply) => {
        // `/ui` and `/ui/` are one route: the page's relative links must resolve under `/ui/` from either.
        const path = request.url.split('?')[0]!
        return reply
          .code(200)
          .headers(SECURITY_HEADERS)
          .type(FILES['index.html']!)
          .send(page(path.endsWith('/')))
      },
    },
    {
      method: 'GET',
      url: '/ui/:file',
      anyMediaType: true,
      summary: "The web UI's scripts and style sheet",
      handler: async (request, reply) => {
        const name = params(request).file!
        if (!Object.hasOwn(FILES, name)) throw httpStatusError(404)
        return reply
          .code(200)
          .headers(SECURITY_HEADERS)
          .type(FILES[name]!)
          .send(name === 'index.html' ? page(true) : file(name))
      },
    },
  ]
}
