import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { type PluginRegistry, RestClient } from '@ferry/runtime'
import {
  distributedWorkerProps,
  freePort,
  randomName,
  startDistributed,
  startStandalone,
  tempDir,
  waitFor,
} from '@ferry/testing'
import { testBootstrap } from '../../../scripts/kafka/test-env.ts'
import { restRoutes } from '../src/server.ts'
import { FakeHerder, fakePlugins, workerConfig } from './fake-herder.ts'
import { memoryLogger, rawRequest } from './helpers.ts'
import { checkAnswer, type HostileRequest, hostileRequests } from './hostile-input.ts'

const SEED = 0x13
const BODY_LIMIT = 8 * 1024 * 1024
const STRING = 'org.apache.kafka.connect.storage.StringConverter'

/**
 * The request's bytes. A body over the limit is announced but not sent: the worker refuses it from its length, and a
 * server that closes a connection with unread bytes in it resets it, which can lose the answer on the way back.
 */
function toWire(r: HostileRequest): Buffer {
  const payload = r.payload ?? Buffer.alloc(0)
  const headers = Object.entries(r.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`)
  const length = r.payload ? `Content-Length: ${payload.length}\r\n` : ''
  const head = `${r.method} ${r.url} HTTP/1.1\r\nHost: worker\r\nConnection: close\r\n${headers.join('')}${length}\r\n`
  return Buffer.concat([Buffer.from(head, 'latin1'), payload.length > BODY_LIMIT ? Buffer.alloc(0) : payload])
}

/** Resident memory of a process, from /proc (Linux). */
async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) * 1024
}

const create = (base: string, name: string, topic: string) =>
  fetch(`${base}/connectors`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, config: { 'connector.class': 'FileStreamSource', topic, file: '/dev/null' } }),
  }).then((r) => r.status)

test('a real standalone worker answers the hostile corpus with Apache’s bodies, stays up with flat memory, and one concurrent create wins', async (t) => {
  const dir = await tempDir(t)
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const worker = await startStandalone(t, {
    dir,
    worker: {
      'bootstrap.servers': testBootstrap(),
      'key.converter': STRING,
      'value.converter': STRING,
      'offset.storage.file.filename': `${dir}/offsets`,
      listeners: base,
    },
    connectors: [],
  })
  await waitFor(
    'the worker to be healthy',
    async () => (await fetch(`${base}/health`).catch(() => null))?.status === 200,
  )
  const topic = randomName('hostile')
  const existing = randomName('hostile-fs')
  assert.equal(await create(base, existing, topic), 201)

  // The server's own route table (the worker serves the same routes), so every body and path is covered.
  const routes = restRoutes({
    herder: new FakeHerder(),
    plugins: fakePlugins([]) as unknown as PluginRegistry,
    workerConfig: workerConfig(),
    log: memoryLogger(),
    requestTimeoutMs: 1000,
    healthCheckTimeoutMs: 1000,
    restClient: new RestClient({}),
  })
  // Requests that would delete or stop the connector are left to the end, so the rest reach a live one.
  const requests = hostileRequests(routes, existing, BODY_LIMIT, SEED).filter((r) => r.method !== 'DELETE')
  const round = async () => {
    for (const r of requests) {
      const res = await rawRequest(base, toWire(r))
      if (res.status === 0) {
        const tail = (await worker.log()).trimEnd().split('\n').slice(-5).join('\n')
        assert.fail(`${r.label}: no answer (worker exit code ${worker.child.exitCode}); its log ends:\n${tail}`)
      }
      checkAnswer(r.label, res.status, res.body, r.method)
    }
  }
  await round()
  const pid = worker.child.pid!
  const before = await residentBytes(pid)
  await round()
  const grown = (await residentBytes(pid)) - before
  t.diagnostic(
    `${requests.length} requests a round; worker RSS after one more round: ${Math.round(grown / 1024)} KiB more`,
  )
  // Generous: the worker's heap grows and shrinks with the bodies; a per-request leak would be far above it.
  assert.ok(grown < 64 * 1024 * 1024, `the worker's resident memory grew by ${Math.round(grown / 1024 / 1024)} MiB`)

  // Concurrent duplicate creates: exactly one 201, the rest 409; the same through PUT config: one 201, the rest 200.
  const name = randomName('dup')
  const posts = await Promise.all(Array.from({ length: 20 }, () => create(base, name, topic)))
  assert.deepEqual(
    posts.toSorted((a, b) => a - b),
    [201, ...Array(19).fill(409)],
  )
  const putName = randomName('dup-put')
  const puts = await Promise.all(
    Array.from({ length: 20 }, () =>
      fetch(`${base}/connectors/${putName}/config`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ 'connector.class': 'FileStreamSource', topic, file: '/dev/null' }),
      }).then((r) => r.status),
    ),
  )
  assert.deepEqual(
    puts.toSorted((a, b) => a - b),
    [...Array(19).fill(200), 201],
  )

  // Alive: a connector still runs, and the DELETEs of the corpus answer too.
  assert.equal(worker.child.exitCode, null)
  await waitFor('the connector to run', async () => {
    const status = (await (await fetch(`${base}/connectors/${name}/status`)).json()) as {
      connector?: { state: string }
    }
    return status.connector?.state === 'RUNNING'
  })
  for (const r of hostileRequests(routes, existing, BODY_LIMIT, SEED).filter((x) => x.method === 'DELETE')) {
    const res = await rawRequest(base, toWire(r))
    checkAnswer(r.label, res.status, res.body, r.method)
  }
  assert.equal((await fetch(`${base}/health`)).status, 200)
})

test('concurrent duplicate creates on a distributed worker: exactly one wins', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('hostile-group')
  const worker = await startDistributed(t, { dir, worker: distributedWorkerProps(testBootstrap(), group) })
  await waitFor(
    'the worker to join',
    async () => (await fetch(`${worker.url}/health`).catch(() => null))?.status === 200,
    60_000,
  )
  const name = randomName('dup')
  const statuses = await Promise.all(Array.from({ length: 10 }, () => create(worker.url, name, randomName('t'))))
  assert.deepEqual(
    statuses.toSorted((a, b) => a - b),
    [201, ...Array(9).fill(409)],
  )
})
