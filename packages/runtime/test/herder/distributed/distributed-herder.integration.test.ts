import assert from 'node:assert/strict'
import { appendFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  type DistributedProcess,
  distributedWorkerProps,
  randomName,
  startDistributed,
  tempDir,
  waitFor,
} from '@ferry/testing'
import { testBootstrap } from '../../../../../scripts/kafka/test-env.ts'
import { signatureHeaders } from '../../../src/herder/distributed/request-signature.ts'
import { KafkaAdmin, KafkaProducer } from '../../../src/kafka/clients.ts'
import { KafkaConfigBackingStore } from '../../../src/storage/kafka-config-store.ts'

type TestContext = Parameters<typeof tempDir>[0]

const workerProps = (group: string, extra: Record<string, string> = {}) =>
  distributedWorkerProps(testBootstrap(), group, extra)

const SESSION_TIMEOUT_MS = Number(distributedWorkerProps('', 'any')['session.timeout.ms'])
const MAX_DELAY_MS = Number(distributedWorkerProps('', 'any')['scheduled.rebalance.max.delay.ms'])

interface Reply {
  status: number
  body: unknown
  headers: Headers
}

async function http(url: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers }
}

async function startWorkers(
  t: TestContext,
  dir: string,
  group: string,
  count: number,
  first = 0,
  extra: Record<string, string> = {},
): Promise<DistributedProcess[]> {
  const workers = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      startDistributed(t, { dir, worker: workerProps(group, extra), label: `-${first + i}` }),
    ),
  )
  for (const w of workers) {
    await waitFor(`worker ${w.url} healthy`, async () => (await http(`${w.url}/health`)).status === 200, 60_000)
  }
  return workers
}

interface ConnectorStatus {
  name: string
  connector: { state: string; worker_id: string; trace?: string }
  tasks: Array<{ id: number; state: string; worker_id: string; trace?: string }>
}

async function statuses(url: string): Promise<Record<string, ConnectorStatus>> {
  const reply = await http(`${url}/connectors?expand=status`)
  const out: Record<string, ConnectorStatus> = {}
  for (const [name, v] of Object.entries(reply.body as Record<string, { status: ConnectorStatus }>))
    out[name] = v.status
  return out
}

/** Task counts per worker id when every one of `connectors` × `tasks` is RUNNING, else undefined. */
async function runningTasksPerWorker(
  url: string,
  connectors: string[],
  tasks: number,
): Promise<Map<string, number> | undefined> {
  const all = await statuses(url)
  const perWorker = new Map<string, number>()
  for (const name of connectors) {
    const s = all[name]
    if (s?.connector.state !== 'RUNNING' || s.tasks.length !== tasks) return undefined
    for (const task of s.tasks) {
      if (task.state !== 'RUNNING') return undefined
      perWorker.set(task.worker_id, (perWorker.get(task.worker_id) ?? 0) + 1)
    }
  }
  return perWorker
}

function workerId(w: DistributedProcess): string {
  return w.url.replace(/^http:\/\//, '')
}

/** How many times each task was created on the worker, from its log. */
async function creations(w: DistributedProcess): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const m of (await w.log()).matchAll(/Creating task ([\w.-]+)/g)) out.set(m[1]!, (out.get(m[1]!) ?? 0) + 1)
  return out
}

function sinkConfig(topic: string, file: string, tasks: number): Record<string, string> {
  return {
    'connector.class': 'FileStreamSink',
    topics: topic,
    file,
    'tasks.max': String(tasks),
  }
}

test('three workers share 10 connectors × 3 tasks within one task of each other; a fourth joins, gets its share, and tasks that stay put are not restarted', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('dist-balance')
  const topic = randomName('dist-balance-in')
  const admin = new KafkaAdmin({ bootstrapServers: testBootstrap().split(','), clientId: randomName('admin') })
  t.after(() => admin.close())
  await admin.createTopic(topic, 3, 1)
  const workers = await startWorkers(t, dir, group, 3)
  const prefix = randomName('sink')
  const names = Array.from({ length: 10 }, (_, i) => `${prefix}-${i}`)
  for (const [i, name] of names.entries()) {
    // Through every worker in turn: followers forward to the leader.
    const reply = await http(`${workers[i % 3]!.url}/connectors`, 'POST', {
      name,
      config: sinkConfig(topic, join(dir, `${name}.txt`), 3),
    })
    assert.equal(reply.status, 201, JSON.stringify(reply.body))
    assert.equal(reply.headers.get('location'), `${workers[i % 3]!.url}/connectors/${name}`)
  }
  for (const w of workers) {
    const expected = JSON.stringify([...names].sort())
    await waitFor(`all connectors listed by ${w.url}`, async () => {
      return JSON.stringify((await http(`${w.url}/connectors`)).body) === expected
    })
  }

  const balanced = (counts: Map<string, number>, n: number) =>
    counts.size === n && Math.max(...counts.values()) - Math.min(...counts.values()) <= 1
  const before = await waitFor(
    '30 running tasks spread over 3 workers within ±1',
    async () => {
      const counts = await runningTasksPerWorker(workers[0]!.url, names, 3)
      return counts && balanced(counts, 3) ? counts : undefined
    },
    120_000,
    500,
  )
  assert.deepEqual([...before.values()].sort(), [10, 10, 10])
  const placement = new Map<string, string>()
  for (const s of Object.values(await statuses(workers[0]!.url))) {
    for (const task of s.tasks) placement.set(`${s.name}-${task.id}`, task.worker_id)
  }
  const createdBefore = await Promise.all(workers.map(creations))

  const [fourth] = await startWorkers(t, dir, group, 1, 3)
  const after = await waitFor(
    'the fourth worker to get its share (7 or 8 tasks each)',
    async () => {
      const counts = await runningTasksPerWorker(workers[0]!.url, names, 3)
      return counts && balanced(counts, 4) ? counts : undefined
    },
    120_000,
    500,
  )
  assert.ok((after.get(workerId(fourth!)) ?? 0) >= 7, JSON.stringify([...after]))
  const createdAfter = await Promise.all(workers.map(creations))
  for (const s of Object.values(await statuses(workers[0]!.url))) {
    for (const task of s.tasks) {
      const key = `${s.name}-${task.id}`
      const owner = workers.findIndex((w) => workerId(w) === task.worker_id)
      if (owner < 0 || placement.get(key) !== task.worker_id) continue
      assert.equal(
        createdAfter[owner]!.get(key),
        createdBefore[owner]!.get(key),
        `task ${key} stayed on ${task.worker_id} but was restarted`,
      )
    }
  }
})

/**
 * The generations a worker was a member of, from its log: those whose JoinGroup it got an answer to. (Not every one
 * of them completes for it: when another member rejoins before this one's SyncGroup arrives, which a loaded machine
 * makes likely, the coordinator answers REBALANCE_IN_PROGRESS and the worker takes part in the next one instead.)
 */
async function generations(w: DistributedProcess): Promise<Set<number>> {
  const joins = (await w.log()).matchAll(/Successfully joined group with generation Generation\{generationId=(\d+)/g)
  return new Set([...joins].map((m) => Number(m[1])))
}

test('connectors created through followers, at once and one after another: every worker takes part in every rebalance (a follower waiting for the leader to take its task configs neither holds a rebalance up nor is left out of it)', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('dist-create')
  await writeFile(join(dir, 'in.txt'), '')
  const workers = await startWorkers(t, dir, group, 3)
  const leader = (
    await Promise.all(workers.map(async (w) => ((await w.log()).includes('as leader:') ? w : null)))
  ).find((w) => w !== null)
  assert.ok(leader, 'one worker leads')
  const followers = workers.filter((w) => w !== leader)
  const create = async (via: DistributedProcess, name: string) => {
    const start = performance.now()
    const reply = await http(`${via.url}/connectors`, 'POST', {
      name,
      config: { 'connector.class': 'FileStreamSource', file: join(dir, 'in.txt'), topic: `${group}-out` },
    })
    assert.equal(reply.status, 201, JSON.stringify(reply.body))
    return performance.now() - start
  }
  // At once: the followers that get the new connectors send their task configs to the leader while the next
  // creations rebalance the group.
  await Promise.all(Array.from({ length: 6 }, (_, i) => create(followers[i % 2]!, `together-${i}`)))
  const latencies: number[] = []
  for (let i = 0; i < 6; i++) latencies.push(await create(followers[i % 2]!, `one-by-one-${i}`))
  t.diagnostic(`create through a follower, one after another: ${latencies.map((ms) => ms.toFixed(0)).join(', ')} ms`)
  const names = [
    ...Array.from({ length: 6 }, (_, i) => `together-${i}`),
    ...Array.from({ length: 6 }, (_, i) => `one-by-one-${i}`),
  ]
  await waitFor('every connector and task RUNNING', async () => {
    const all = await statuses(leader.url)
    return names.every((n) => all[n]?.connector.state === 'RUNNING' && all[n]?.tasks[0]?.state === 'RUNNING')
  })
  // The generations of the full cluster (the first worker was alone before the others started) each worker was not a
  // member of. A worker's log may lag behind the leader's by the newest one, so that one is waited for; a worker left
  // out of a generation (dropped after its session or the rebalance timeout) never logs it.
  const missed = async () => {
    const joined = await Promise.all(workers.map(generations))
    const full = Math.max(...joined.map((g) => Math.min(...g)))
    const leaderGenerations = [...joined[workers.indexOf(leader)]!].filter((g) => g >= full)
    return joined.map((g) => leaderGenerations.filter((n) => !g.has(n)))
  }
  const lastMissed = await waitFor(
    'every worker in every generation',
    async () => {
      const m = await missed()
      return m.every((gs) => gs.length === 0) ? m : undefined
    },
    15_000,
  ).catch(() => missed())
  for (const [i, w] of workers.entries()) {
    assert.deepEqual(lastMissed[i], [], `${w.url} was left out of generations ${lastMissed[i]!.join(', ')}`)
  }
  // A follower that cannot rejoin while it waits for the leader's answer is kept in the group (it heartbeats) for the
  // rebalance timeout, but the leader waits for a stable group only so long (15 s) before it answers 409.
  for (const w of followers) {
    const refused = (await w.log()).match(/Failed to write the task configs of [^"]*the leader answered 409/)
    assert.equal(refused, null, `${w.url}: ${refused?.[0]}`)
  }
})

test('a worker killed under load: the others remove it from the group (peer probe), its source task runs elsewhere within the scheduled delay plus the session timeout, and the file pipeline loses no line', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('dist-failover')
  const topic = randomName('dist-failover-lines')
  const input = join(dir, 'in.txt')
  const output = join(dir, 'out.txt')
  const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line-${from + i}`)
  await writeFile(input, `${lines(0, 5000).join('\n')}\n`)
  const workers = await startWorkers(t, dir, group, 3)
  await http(`${workers[0]!.url}/connectors`, 'POST', {
    name: 'source',
    config: { 'connector.class': 'FileStreamSource', file: input, topic, 'tasks.max': '1' },
  })
  // A name of its own: the sink's consumer group (connect-<name>) lives on the broker other tests share.
  const sink = randomName('sink')
  await http(`${workers[1]!.url}/connectors`, 'POST', { name: sink, config: sinkConfig(topic, output, 1) })
  const running = async () => {
    const s = await statuses(workers.find((w) => w.child.exitCode === null && w.child.signalCode === null)!.url)
    const task = s.source?.tasks[0]
    return task?.state === 'RUNNING' && s[sink]?.tasks[0]?.state === 'RUNNING' ? task.worker_id : undefined
  }
  const sourceWorker = await waitFor('source and sink running', running, 60_000, 200)
  // Keep the source busy, then crash the worker that runs it.
  let next = 5000
  const writer = setInterval(() => {
    void appendFile(input, `${lines(next, next + 200).join('\n')}\n`)
    next += 200
  }, 50)
  t.after(() => clearInterval(writer))
  await new Promise((r) => setTimeout(r, 1000))
  const victim = workers.find((w) => workerId(w) === sourceWorker)!
  const killedAt = Date.now()
  await victim.kill()
  const survivors = workers.filter((w) => w !== victim)
  const newOwner = await waitFor(
    'the source task RUNNING on another worker',
    async () => {
      const task = (await statuses(survivors[0]!.url)).source?.tasks[0]
      return task?.state === 'RUNNING' && task.worker_id !== sourceWorker ? task.worker_id : undefined
    },
    60_000,
    200,
  )
  const tookMs = Date.now() - killedAt
  assert.notEqual(newOwner, sourceWorker)
  // Beyond Apache: the survivors' peer probe (worker.probe.interval.ms) found the killed worker's REST port closed and
  // removed it from the group, instead of waiting for the coordinator to miss it after session.timeout.ms.
  const removals = await Promise.all(
    survivors.map(async (w) => (await w.log()).includes(`Worker ${victim.url}/ (member `)),
  )
  assert.ok(removals.some(Boolean), 'a survivor removed the killed worker from the group')
  assert.ok(
    tookMs <= MAX_DELAY_MS + SESSION_TIMEOUT_MS + 10_000,
    `failover took ${tookMs} ms (max delay ${MAX_DELAY_MS} + session timeout ${SESSION_TIMEOUT_MS} + 10 s slack)`,
  )
  await new Promise((r) => setTimeout(r, 1000))
  clearInterval(writer)
  const expected = lines(0, next)
  await waitFor(
    `all ${expected.length} lines in the sink file`,
    async () => {
      const got = new Set((await readFile(output, 'utf8').catch(() => '')).split('\n'))
      return expected.every((l) => got.has(l))
    },
    90_000,
    500,
  )
})

test('pause survives a full cluster restart; restart?includeTasks&onlyFailed restarts the failed task on the worker that runs it; a follower forwards', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('dist-pause')
  const topic = randomName('dist-pause-in')
  const bad = randomName('dist-bad-json')
  const producer = new KafkaProducer({ bootstrapServers: testBootstrap().split(','), clientId: randomName('test') })
  t.after(() => producer.close())
  await producer.send([{ topic: bad, key: null, value: Buffer.from('not json {') }])
  let workers = await startWorkers(t, dir, group, 2)
  await http(`${workers[0]!.url}/connectors`, 'POST', {
    name: 'paused',
    config: sinkConfig(topic, join(dir, 'paused.txt'), 2),
  })
  await http(`${workers[1]!.url}/connectors`, 'POST', {
    name: 'failing',
    config: {
      ...sinkConfig(bad, join(dir, 'bad.txt'), 1),
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    },
  })
  await waitFor(
    'paused to run',
    async () => (await runningTasksPerWorker(workers[0]!.url, ['paused'], 2)) !== undefined,
  )
  assert.equal((await http(`${workers[1]!.url}/connectors/paused/pause`, 'PUT')).status, 202)
  const allPaused = async (url: string) => {
    const s = (await statuses(url)).paused
    return s?.connector.state === 'PAUSED' && s.tasks.length === 2 && s.tasks.every((x) => x.state === 'PAUSED')
  }
  await waitFor('connector and tasks PAUSED', () => allPaused(workers[0]!.url))

  // Through each worker in turn (one of them forwards to the leader), once the task has FAILED
  // again. As in Apache, the leader answers with the plan from its own view of the statuses and
  // writes a restart request; the owner restarts what its own view shows FAILED when it reads
  // that request. Right after a restart re-created the task, a view may still show the FAILED
  // from before it, so the two views can disagree: a plan may name the task UNASSIGNED or RUNNING
  // (left alone, as onlyFailed must), or RESTARTING while the owner has already read the restart's
  // UNASSIGNED and leaves it alone. So the request is sent again, a second apart, until the task
  // is created again; no plan may leave a FAILED task alone.
  for (const w of workers) {
    const failed = await waitFor("the failing task FAILED in every worker's view", async () => {
      const tasks = await Promise.all(workers.map(async (x) => (await statuses(x.url)).failing?.tasks[0]))
      return tasks.every((task) => task?.state === 'FAILED') ? tasks[0] : undefined
    })
    const owner = workers.find((x) => workerId(x) === failed.worker_id)!
    const createdBefore = (await creations(owner)).get('failing-0') ?? 0
    const plans: string[] = []
    await waitFor(
      `a restart through ${w.url} to create the failed task again where it runs`,
      async () => {
        if (((await creations(owner)).get('failing-0') ?? 0) > createdBefore) return true
        const reply = await http(`${w.url}/connectors/failing/restart?includeTasks=true&onlyFailed=true`, 'POST')
        assert.equal(reply.status, 202, JSON.stringify(reply.body))
        const plan = reply.body as ConnectorStatus
        assert.equal(plan.connector.state, 'RUNNING')
        plans.push(plan.tasks[0]!.state)
        return false
      },
      60_000,
      1_000,
    )
    assert.ok(plans.includes('RESTARTING'), plans.join())
    assert.ok(!plans.includes('FAILED'), plans.join())
  }

  // Stop the whole cluster, start a new one on the same topics: the connector comes back PAUSED.
  await Promise.all(workers.map((w) => w.stop()))
  workers = await startWorkers(t, dir, group, 2, 2)
  await waitFor('paused still PAUSED after the restart', () => allPaused(workers[1]!.url), 60_000, 300)
  assert.equal((await http(`${workers[0]!.url}/connectors/paused/resume`, 'PUT')).status, 202)
  await waitFor('paused RUNNING after resume', async () => {
    return (await runningTasksPerWorker(workers[1]!.url, ['paused'], 2)) !== undefined
  })
})

test('internal task config requests: 400 without a signature, 403 with a bad one; the leader takes a signed one', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('dist-sign')
  const [worker] = await startWorkers(t, dir, group, 1)
  const url = worker!.url
  await http(`${url}/connectors`, 'POST', {
    name: 'src',
    config: { 'connector.class': 'FileStreamSource', file: join(dir, 'none.txt'), topic: randomName('t') },
  })
  await waitFor(
    'the task config',
    async () => ((await http(`${url}/connectors/src/tasks`)).body as unknown[]).length === 1,
  )
  const body = JSON.stringify([{ 'task.class': 'FileStreamSourceTask', file: 'x', topic: 'y' }])
  const missing = await http(`${url}/connectors/src/tasks`, 'POST', body)
  assert.deepEqual(missing.body, { error_code: 400, message: 'Internal request missing required signature' })
  const forged = await http(`${url}/connectors/src/tasks`, 'POST', body, {
    'X-Connect-Authorization': Buffer.from('forged').toString('base64'),
    'X-Connect-Request-Signature-Algorithm': 'HmacSHA256',
  })
  assert.deepEqual(forged.body, { error_code: 403, message: 'Internal request contained invalid signature.' })
  const unknownAlgorithm = await http(`${url}/connectors/src/tasks`, 'POST', body, {
    'X-Connect-Authorization': 'AAAA',
    'X-Connect-Request-Signature-Algorithm': 'HmacMD4',
  })
  assert.equal(unknownAlgorithm.status, 400)
  assert.match((unknownAlgorithm.body as { message: string }).message, /does not support the 'HmacMD4' key signing/)
  const tasks = await http(`${url}/connectors/src/tasks`)
  assert.notEqual(
    (tasks.body as Array<{ config: { file: string } }>)[0]!.config.file,
    'x',
    'a rejected request changed nothing',
  )

  // Signed with the session key the leader wrote to the config topic, the same request is taken.
  const store = new KafkaConfigBackingStore({
    bootstrapServers: testBootstrap().split(','),
    clientId: randomName('reader'),
    topic: `${group}-configs`,
  })
  await store.start()
  t.after(() => store.stop())
  const key = store.snapshot().sessionKey
  assert.ok(key, 'the leader wrote a session key')
  const signed = await http(
    `${url}/connectors/src/tasks`,
    'POST',
    body,
    signatureHeaders(key, 'HmacSHA256', Buffer.from(body)),
  )
  assert.equal(signed.status, 204, JSON.stringify(signed.body))
  const taken = await http(`${url}/connectors/src/tasks`)
  assert.equal((taken.body as Array<{ config: { file: string } }>)[0]!.config.file, 'x')
})

test('an existing internal topic that is not compacted is refused with Apache message and a non-zero exit', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('dist-policy')
  const admin = new KafkaAdmin({ bootstrapServers: testBootstrap().split(','), clientId: randomName('admin') })
  t.after(() => admin.close())
  await admin.createTopic(`${group}-status`, 1, 1, { 'cleanup.policy': 'delete' })
  const worker = await startDistributed(t, { dir, worker: workerProps(group) })
  const code = await worker.exited
  assert.notEqual(code, 0)
  const log = await worker.log()
  assert.match(
    log,
    /ferry: Topic '.*-status' supplied via the 'status.storage.topic' property is required to have 'cleanup.policy=compact'/,
  )
})

test('before it can reach Kafka a worker answers /health with starting and says why in its log', async (t) => {
  const dir = await tempDir(t)
  const worker = await startDistributed(t, {
    dir,
    worker: workerProps(randomName('dist-down'), { 'bootstrap.servers': '127.0.0.1:9' }),
  })
  const health = await waitFor('the REST API', async () => {
    const reply = await http(`${worker.url}/health`).catch(() => undefined)
    return reply?.status === 503 ? reply : undefined
  })
  assert.deepEqual(health.body, { status: 'starting', message: 'Worker is still starting up.' })
  await waitFor('the log line', async () =>
    /Cannot reach Kafka at bootstrap.servers=127.0.0.1:9/.test(await worker.log()),
  )
  assert.equal(await worker.stop(), 0)
})

test('through any worker: stop, offset changes, restarts reach the worker that can do them; cluster logger levels reach every worker; delete leaves no status; failed tasks restart automatically', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('dist-ops')
  const workers = await startWorkers(t, dir, group, 2)
  const input = join(dir, 'in.txt')
  await writeFile(input, 'a\nb\nc\n')
  const topic = randomName('dist-ops-lines')
  await http(`${workers[0]!.url}/connectors`, 'POST', {
    name: 'src',
    config: { 'connector.class': 'FileStreamSource', file: input, topic },
  })
  await waitFor('src running', async () => (await runningTasksPerWorker(workers[0]!.url, ['src'], 1)) !== undefined)
  await waitFor('the source offset', async () => {
    const reply = await http(`${workers[1]!.url}/connectors/src/offsets`)
    const offsets = (reply.body as { offsets: Array<{ offset: { position: number } }> }).offsets
    return offsets[0]?.offset.position === 6
  })

  // Restarts are forwarded to the owner, whichever worker is asked.
  for (const w of workers) {
    const owner = (await statuses(w.url)).src!.tasks[0]!.worker_id
    const ownerWorker = workers.find((x) => workerId(x) === owner)!
    const before = (await creations(ownerWorker)).get('src-0') ?? 0
    assert.equal((await http(`${w.url}/connectors/src/tasks/0/restart`, 'POST')).status, 204)
    await waitFor('the task created again', async () => ((await creations(ownerWorker)).get('src-0') ?? 0) > before)
    assert.equal((await http(`${w.url}/connectors/src/restart`, 'POST')).status, 204)
  }
  assert.deepEqual((await http(`${workers[1]!.url}/connectors/nope/tasks/0/restart`, 'POST')).body, {
    error_code: 404,
    message: 'Unknown connector: nope',
  })

  // Offsets change only once the connector is stopped; both requests work through a follower.
  const patch = { offsets: [{ partition: { filename: input }, offset: { position: 2 } }] }
  const early = await http(`${workers[1]!.url}/connectors/src/offsets`, 'PATCH', patch)
  assert.equal(early.status, 400)
  assert.match((early.body as { message: string }).message, /must be in the STOPPED state/)
  for (const w of workers) assert.equal((await http(`${w.url}/connectors/src/stop`, 'PUT')).status, 204)
  await waitFor('src STOPPED with no tasks', async () => {
    const s = (await statuses(workers[0]!.url)).src
    return (
      s?.connector.state === 'STOPPED' &&
      ((await http(`${workers[1]!.url}/connectors/src/tasks`)).body as []).length === 0
    )
  }) // The task commits its last offset as it stops: change offsets once it has (as with Apache, before is a race).
  await waitFor('the source task stopped', async () => {
    return (await statuses(workers[0]!.url)).src!.tasks.every((task) => task.state !== 'RUNNING')
  })

  for (const w of workers) {
    const altered = await http(`${w.url}/connectors/src/offsets`, 'PATCH', patch)
    assert.deepEqual(altered.body, { message: 'The offsets for this connector have been altered successfully' })
  }
  const offsets = await http(`${workers[0]!.url}/connectors/src/offsets`)
  assert.deepEqual(offsets.body, { offsets: [{ partition: { filename: input }, offset: { position: 2 } }] })
  const reset = await http(`${workers[1]!.url}/connectors/src/offsets`, 'DELETE')
  assert.deepEqual(reset.body, { message: 'The offsets for this connector have been reset successfully' })

  // A cluster-scope logger level is written to the config topic and applied by every worker.
  const level = await http(
    `${workers[1]!.url}/admin/loggers/org.apache.kafka.connect.runtime.WorkerSourceTask?scope=cluster`,
    'PUT',
    { level: 'DEBUG' },
  )
  assert.equal(level.status, 204)
  for (const w of workers) {
    await waitFor(`the level on ${w.url}`, async () => {
      const reply = await http(`${w.url}/admin/loggers/org.apache.kafka.connect.runtime.WorkerSourceTask`)
      return (reply.body as { level?: string }).level === 'DEBUG'
    })
  }

  // Ferry's automatic restart works in distributed mode too.
  const bad = randomName('dist-ops-bad')
  const producer = new KafkaProducer({ bootstrapServers: testBootstrap().split(','), clientId: randomName('test') })
  t.after(() => producer.close())
  await producer.send([{ topic: bad, key: null, value: Buffer.from('not json {') }])
  await http(`${workers[1]!.url}/connectors`, 'POST', {
    name: 'flaky',
    config: {
      ...sinkConfig(bad, join(dir, 'flaky.txt'), 1),
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'errors.restart.enable': 'true',
      'errors.restart.max.attempts': '2',
      'errors.restart.backoff.initial.ms': '100',
    },
  })
  const gaveUp = await waitFor(
    'the task FAILED after two automatic restarts',
    async () => {
      const task = (await statuses(workers[0]!.url)).flaky?.tasks[0]
      return task?.state === 'FAILED' && /gave up after 2 attempts/.test(task.trace ?? '') ? task : undefined
    },
    60_000,
    200,
  )
  assert.ok(workers.some((w) => workerId(w) === gaveUp.worker_id))
  let flakyCreations = 0
  for (const w of workers) flakyCreations += (await creations(w)).get('flaky-0') ?? 0
  assert.equal(flakyCreations, 3, 'the first start and two automatic restarts')

  // Deleting a connector removes its status everywhere.
  assert.equal((await http(`${workers[1]!.url}/connectors/flaky`, 'DELETE')).status, 204)
  for (const w of workers) {
    await waitFor(`no flaky status on ${w.url}`, async () => {
      return (
        (await http(`${w.url}/connectors/flaky/status`)).status === 404 && (await statuses(w.url)).flaky === undefined
      )
    })
  }
  assert.deepEqual((await http(`${workers[0]!.url}/connectors`)).body, ['src'])
})

test('with connect.protocol=eager two workers share the work, a config change moves a sink to its new file, and a stopped worker hands its work over at once', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('dist-eager')
  const topic = randomName('dist-eager-in')
  const producer = new KafkaProducer({ bootstrapServers: testBootstrap().split(','), clientId: randomName('test') })
  t.after(() => producer.close())
  const workers = await startWorkers(t, dir, group, 2, 0, { 'connect.protocol': 'eager' })
  const names = ['a', 'b', 'c', 'd']
  for (const name of names) {
    await http(`${workers[1]!.url}/connectors`, 'POST', {
      name,
      config: sinkConfig(topic, join(dir, `${name}.txt`), 1),
    })
  }
  const counts = await waitFor('four sinks over two workers, two each', async () => {
    const c = await runningTasksPerWorker(workers[0]!.url, names, 1)
    return c && c.size === 2 && [...c.values()].every((n) => n === 2) ? c : undefined
  })
  assert.equal(counts.size, 2)

  // A changed connector config: its tasks get new configs and write to the new file.
  const moved = join(dir, 'a-moved.txt')
  const created = async () => {
    let n = 0
    for (const w of workers) n += (await creations(w)).get('a-0') ?? 0
    return n
  }
  const createdBefore = await created()
  const put = await http(`${workers[0]!.url}/connectors/a/config`, 'PUT', sinkConfig(topic, moved, 1))
  assert.equal(put.status, 200, JSON.stringify(put.body))
  await waitFor('the new task config', async () => {
    const tasks = (await http(`${workers[1]!.url}/connectors/a/tasks`)).body as Array<{ config: { file: string } }>
    return tasks[0]?.config.file === moved
  })
  // The old task runs until the rebalance replaces it: send once the new one runs.
  await waitFor('the task created again', async () => (await created()) > createdBefore)
  await waitFor('the task RUNNING', async () => (await runningTasksPerWorker(workers[0]!.url, ['a'], 1)) !== undefined)
  await producer.send([{ topic, key: null, value: Buffer.from('hello') }])
  await waitFor('the record in the new file', async () => (await readFile(moved, 'utf8').catch(() => '')) === 'hello\n')

  // A worker that stops cleanly leaves the group: its work moves without waiting for the scheduled delay.
  await workers[0]!.stop()
  const survivor = workerId(workers[1]!)
  await waitFor(
    'every sink on the remaining worker',
    async () => {
      const c = await runningTasksPerWorker(workers[1]!.url, names, 1)
      return c?.get(survivor) === 4
    },
    MAX_DELAY_MS,
    100,
  )
})

test('the leader rotates the session key after inter.worker.key.ttl.ms, and followers keep getting their task configs accepted', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('dist-keys')
  const workers = await startWorkers(t, dir, group, 2, 0, { 'inter.worker.key.ttl.ms': '1500' })
  const store = new KafkaConfigBackingStore({
    bootstrapServers: testBootstrap().split(','),
    clientId: randomName('reader'),
    topic: `${group}-configs`,
  })
  const keys = new Set<string>()
  store.setUpdateListener({
    onConnectorConfigRemove() {},
    onConnectorConfigUpdate() {},
    onTaskConfigUpdate() {},
    onConnectorTargetStateChange() {},
    onSessionKeyUpdate: (key) => keys.add(key.key.toString('base64')),
    onRestartRequest() {},
    onLoggingLevelUpdate() {},
  })
  await store.start()
  t.after(() => store.stop())
  await waitFor('two rotations', () => keys.size >= 2, 30_000)
  // Connectors spread over both workers: the follower's task configs reach the leader signed with the current key,
  // before and after the key rotates again.
  const names: string[] = []
  for (const round of [1, 2]) {
    const before = keys.size
    for (const name of [`k${round}-1`, `k${round}-2`, `k${round}-3`, `k${round}-4`]) {
      names.push(name)
      await http(`${workers[0]!.url}/connectors`, 'POST', {
        name,
        config: { 'connector.class': 'FileStreamSource', file: join(dir, `${name}.txt`), topic: randomName('keys') },
      })
    }
    const counts = await waitFor(`round ${round}: every task running, on both workers`, async () => {
      const c = await runningTasksPerWorker(workers[1]!.url, names, 1)
      return c?.size === 2 ? c : undefined
    })
    assert.deepEqual([...counts.values()], [names.length / 2, names.length / 2])
    await waitFor('the key rotating again', () => keys.size > before, 30_000)
  }
})
