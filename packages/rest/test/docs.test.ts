import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import type { PluginRegistry } from '@ferry/runtime'
import { DOC_PATH, documentedRoutes, renderedDoc } from '../src/docs.ts'
import { createRestServer } from '../src/server.ts'
import { FakeHerder, fakePlugins, workerConfig } from './fake-herder.ts'
import { memoryLogger } from './helpers.ts'

test('docs/rest.md lists exactly the routes the server registers (regenerate with src/docs.ts --write)', () => {
  const current = readFileSync(DOC_PATH, 'utf8')
  assert.equal(current, renderedDoc(current), 'docs/rest.md is stale: run npx node packages/rest/src/docs.ts --write')
})

test('every documented route is registered, and every other method on its path is answered', async (t) => {
  const registered = new Set<string>()
  const app = createRestServer({
    herder: new FakeHerder(),
    workerConfig: workerConfig(),
    plugins: fakePlugins([]) as unknown as PluginRegistry,
    logger: memoryLogger(),
  })
  t.after(() => app.close())
  await app.ready()
  const documented = documentedRoutes().map((r) => `${r.method} ${r.url}`)
  for (const route of documented) {
    const [method, url] = route.split(' ') as [string, string]
    assert.ok(app.hasRoute({ method, url }), `${route} is documented but not registered`)
    registered.add(route)
  }
  // Other methods on a documented path are 405 rather than 404; OPTIONS lists the allowed ones.
  const routes = documentedRoutes()
  for (const url of new Set(routes.map((r) => r.url))) {
    const allowed = routes.filter((r) => r.url === url).map((r) => r.method as string)
    const path = url.replace(/:[a-z]+/g, '0')
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'TRACE', 'PROPFIND', 'OPTIONS']) {
      if (allowed.includes(method)) continue
      const res = await app.inject({ method: method as 'GET', url: path })
      assert.equal(res.statusCode, method === 'OPTIONS' ? 200 : 405, `${method} ${url}`)
    }
  }
  assert.equal(registered.size, documented.length)
})
