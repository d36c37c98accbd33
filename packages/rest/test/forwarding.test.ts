import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { test } from 'node:test'
import { freePort } from '@ferry/testing'
import { FakeHerder } from './fake-herder.ts'
import { call, testServer } from './helpers.ts'

/** The distributed herder's answer on a follower: the request belongs to the leader at `forwardUrl`. */
class NotLeaderException extends Error {
  readonly forwardUrl: string | null
  constructor(forwardUrl: string | null) {
    super('This worker is not able to communicate with the leader of the cluster')
    this.name = 'NotLeaderException'
    this.forwardUrl = forwardUrl
  }
}

/** A follower: every connector creation must go to the leader at `leaderUrl`. */
class FollowerHerder extends FakeHerder {
  readonly leaderUrl: string | null
  constructor(leaderUrl: string | null) {
    super()
    this.leaderUrl = leaderUrl
  }
  override async putConnectorConfig(): Promise<never> {
    throw new NotLeaderException(this.leaderUrl)
  }
}

async function leader(
  t: { after(fn: () => unknown): void },
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = []
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    answer(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, requests }
}

const create = { name: 'c1', config: { 'connector.class': 'FileStreamSource' } }

test('a request forwarded to a leader that is gone is answered with Apache’s body: 500, IO Error and the reason', async (t) => {
  const gone = `http://127.0.0.1:${await freePort()}/`
  const { app, log } = testServer(t, { herder: new FollowerHerder(gone) })
  const res = await call(app, 'POST', '/connectors', create)
  assert.equal(res.status, 500)
  assert.deepEqual(Object.keys(res.body as object), ['error_code', 'message'])
  assert.equal((res.body as { error_code: number }).error_code, 500)
  assert.match(
    (res.body as { message: string }).message,
    /^IO Error trying to forward REST request: connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
  )
  assert.ok(log.lines.some((l) => /^error Could not forward POST \/connectors to http:\/\/127\.0\.0\.1:\d+\//.test(l)))
})

test('a leader that breaks off its answer is an IO error in Apache’s body too', async (t) => {
  const { url } = await leader(t, (_req, res) => {
    res.writeHead(201, { 'content-type': 'application/json', 'content-length': '100' })
    res.write('{"name":')
    res.socket?.destroy()
  })
  const { app } = testServer(t, { herder: new FollowerHerder(url) })
  const res = await call(app, 'POST', '/connectors', create)
  assert.equal(res.status, 500)
  assert.match((res.body as { message: string }).message, /^IO Error trying to forward REST request: /)
  assert.deepEqual(Object.keys(res.body as object), ['error_code', 'message'])
})

test('a leader that does not answer within the request timeout is an IO error in Apache’s body', async (t) => {
  const { url } = await leader(t, () => {})
  const { app } = testServer(t, { herder: new FollowerHerder(url), requestTimeoutMs: 200 })
  const res = await call(app, 'POST', '/connectors', create)
  assert.equal(res.status, 500)
  assert.deepEqual(res.body, {
    error_code: 500,
    message: 'IO Error trying to forward REST request: The operation was aborted due to timeout',
  })
})

test('a forwarded request gets the leader’s answer, with forward=true, and the Location on this worker', async (t) => {
  const { url, requests } = await leader(t, (_req, res) => {
    res.writeHead(201, { 'content-type': 'application/json', location: 'http://leader:8083/connectors/c1' })
    res.end('{"name":"c1","config":{},"tasks":[],"type":"source"}')
  })
  const { app } = testServer(t, { herder: new FollowerHerder(url) })
  const res = await app.inject({ method: 'POST', url: '/connectors', payload: create })
  assert.equal(res.statusCode, 201)
  assert.equal(res.json().name, 'c1')
  assert.equal(res.headers.location, 'http://localhost:80/connectors/c1')
  assert.deepEqual(requests, ['POST /connectors?forward=true'])
})

test('a request that was forwarded once and still finds no leader is a 409, without a third hop', async (t) => {
  const { url, requests } = await leader(t, (_req, res) => res.end())
  const { app } = testServer(t, { herder: new FollowerHerder(url) })
  const res = await call(app, 'POST', '/connectors?forward=false', create)
  assert.equal(res.status, 409)
  assert.deepEqual(res.body, {
    error_code: 409,
    message: 'Cannot complete request because of a conflicting operation (e.g. worker rebalance)',
  })
  assert.deepEqual(requests, [])
})
