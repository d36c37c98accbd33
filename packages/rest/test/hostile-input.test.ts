import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { type PluginRegistry, RestClient } from '@ferry/runtime'
import { restRoutes } from '../src/server.ts'
import { FakeHerder, fakePlugins, workerConfig } from './fake-herder.ts'
import { memoryLogger, testServer } from './helpers.ts'
import { checkAnswer, hostileRequests, oddNames, seededRandom } from './hostile-input.ts'

const SEED = 0x13
const BODY_LIMIT = 1024 * 1024

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function routes() {
  return restRoutes({
    herder: new FakeHerder(),
    plugins: fakePlugins([]) as unknown as PluginRegistry,
    workerConfig: workerConfig(),
    log: memoryLogger(),
    requestTimeoutMs: 1000,
    healthCheckTimeoutMs: 1000,
    restClient: new RestClient({}),
  })
}

test('every hostile request is answered with Apache’s error body, and the heap stays flat over three rounds', async (t) => {
  const { app, herder } = testServer(t, { bodyLimit: BODY_LIMIT })
  await herder.putConnectorConfig('fs', { 'connector.class': 'FileStreamSource', topic: 't', name: 'fs' }, false)
  const requests = hostileRequests(routes(), 'fs', BODY_LIMIT, SEED)
  assert.ok(requests.length > 1000, `only ${requests.length} requests`)
  const round = async () => {
    for (const r of requests) {
      const res = await app.inject({
        method: r.method as 'GET',
        url: r.url,
        ...(r.payload ? { payload: r.payload } : {}),
        ...(r.headers ? { headers: r.headers } : {}),
      })
      checkAnswer(r.label, res.statusCode, res.body, r.method)
    }
  }
  await round()
  gc()
  const before = process.memoryUsage().heapUsed
  await round()
  await round()
  gc()
  const grown = process.memoryUsage().heapUsed - before
  t.diagnostic(`${requests.length} requests a round; heap after two more rounds: ${Math.round(grown / 1024)} KiB more`)
  // Generous: a leak of anything per request (a body, a name) over two rounds of the corpus would be far above it.
  assert.ok(grown < 16 * 1024 * 1024, `the heap grew by ${Math.round(grown / 1024)} KiB over two rounds`)
  assert.equal((await app.inject({ method: 'GET', url: '/connectors' })).statusCode, 200)
})

test('an odd name is created and reached through its Location, or refused with a 4xx; never half-created', async (t) => {
  const { app, herder } = testServer(t)
  for (const name of oddNames(seededRandom(SEED))) {
    const label = JSON.stringify(name.slice(0, 40))
    const res = await app.inject({
      method: 'POST',
      url: '/connectors',
      payload: { name, config: { 'connector.class': 'FileStreamSource', topic: 't' } },
    })
    checkAnswer(label, res.statusCode, res.body)
    if (res.statusCode !== 201) {
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${label}: ${res.statusCode}`)
      assert.deepEqual(herder.connectors(), [], `${label} was refused but created`)
      continue
    }
    const created = res.json().name as string
    const path = new URL(res.headers.location as string).pathname
    const read = await app.inject({ method: 'GET', url: `${path}/config` })
    assert.equal(read.statusCode, 200, `${label}: GET ${path.slice(0, 60)}/config`)
    assert.equal(read.json().name, created)
    const deleted = await app.inject({ method: 'DELETE', url: path })
    assert.equal(deleted.statusCode, 204, `${label}: DELETE`)
    assert.deepEqual(herder.connectors(), [])
  }
})
