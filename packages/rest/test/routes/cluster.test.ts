import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { WorkerInfo } from '@ferry/runtime'
import { FakeHerder } from '../fake-herder.ts'
import { call, testServer } from '../helpers.ts'

const distributed = (workerId: string, url: string, leaderUrl: string, generation: number): WorkerInfo => ({
  worker_id: workerId,
  url,
  mode: 'distributed',
  group_id: 'connect-cluster',
  generation,
  leader_url: leaderUrl,
  is_leader: url === leaderUrl,
  tasks: [],
})

test('GET /ferry/worker is the herder’s view of this worker', async (t) => {
  const { app, herder } = testServer(t)
  herder.info.tasks = [{ connector: 'in', task: 0, type: 'source', records_per_second: 12.5 }]
  const res = await call(app, 'GET', '/ferry/worker')
  assert.equal(res.status, 200)
  assert.deepEqual(res.body, herder.info)
})

test('a standalone worker is the whole cluster: its leader, with its connectors’ records per second (none when not measured)', async (t) => {
  const { app, herder } = testServer(t)
  herder.info.tasks = [
    { connector: 'in', task: 0, type: 'source', records_per_second: 10 },
    { connector: 'in', task: 1, type: 'source', records_per_second: 2.5 },
    { connector: 'out', task: 0, type: 'sink', records_per_second: 0 },
    { connector: 'quiet', task: 0, type: 'sink', records_per_second: null },
  ]
  const res = await call(app, 'GET', '/ferry/cluster')
  assert.equal(res.status, 200)
  assert.equal(res.body.mode, 'standalone')
  assert.equal(res.body.generation, null)
  assert.deepEqual(
    res.body.workers.map((w: { worker_id: string; leader: boolean }) => [w.worker_id, w.leader]),
    [['fake:8083', true]],
  )
  assert.deepEqual(res.body.connectors, {
    in: { records_per_second: 12.5, tasks: 2 },
    out: { records_per_second: 0, tasks: 1 },
    quiet: { records_per_second: null, tasks: 1 },
  })
})

test('in a group, the worker asked gathers every member’s /ferry/worker (with the caller’s credentials), marks the leader, and says which one could not be reached', async (t) => {
  // A second worker, listening for real: the first asks it over HTTP.
  const peer = testServer(t)
  const seen: Array<string | undefined> = []
  peer.app.addHook('onRequest', async (request) => {
    seen.push(request.headers.authorization)
  })
  const peerUrl = await peer.app.listen({ host: '127.0.0.1', port: 0 })
  const selfUrl = 'http://self.example:8083/'
  peer.herder.info = {
    ...distributed('127.0.0.1:peer', `${peerUrl}/`, `${peerUrl}/`, 7),
    tasks: [{ connector: 'out', task: 0, type: 'sink', records_per_second: 4 }],
  }
  const herder = new FakeHerder()
  herder.info = {
    ...distributed('self.example:8083', selfUrl, `${peerUrl}/`, 7),
    tasks: [{ connector: 'out', task: 1, type: 'sink', records_per_second: 1 }],
  }
  herder.members = [
    { member_id: 'connect-1-self', url: selfUrl },
    { member_id: 'connect-2-peer', url: `${peerUrl}/` },
    { member_id: 'connect-3-gone', url: 'http://127.0.0.1:1/' },
  ]
  const { app } = testServer(t, { herder })
  const res = await call(app, 'GET', '/ferry/cluster', undefined, { authorization: 'Basic dXNlcjpwdw==' })
  assert.equal(res.status, 200, res.text)
  assert.equal(res.body.mode, 'distributed')
  assert.equal(res.body.generation, 7)
  assert.equal(res.body.leader_url, `${peerUrl}/`)
  const workers = res.body.workers as Array<Record<string, unknown>>
  assert.deepEqual(
    workers.map((w) => [w.member_id, w.worker_id, w.leader, w.generation]),
    [
      ['connect-1-self', 'self.example:8083', false, 7],
      ['connect-2-peer', '127.0.0.1:peer', true, 7],
      ['connect-3-gone', undefined, false, undefined],
    ],
  )
  assert.match(String(workers[2]!.error), /fetch failed|ECONNREFUSED/)
  assert.deepEqual(res.body.connectors, { out: { records_per_second: 5, tasks: 2 } })
  assert.deepEqual(seen, ['Basic dXNlcjpwdw=='])
})

test('a worker the group does not list (between generations) is still shown', async (t) => {
  const herder = new FakeHerder()
  herder.info = distributed('self.example:8083', 'http://self.example:8083/', 'http://other:8083/', 3)
  herder.members = []
  const { app } = testServer(t, { herder })
  const res = await call(app, 'GET', '/ferry/cluster')
  assert.equal(res.status, 200, res.text)
  assert.deepEqual(
    res.body.workers.map((w: { worker_id: string; member_id: string | null }) => [w.worker_id, w.member_id]),
    [['self.example:8083', null]],
  )
})
