import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { test } from 'node:test'
import { randomName, waitFor } from '@ferry/testing'
import { testBootstrap } from '../../../../../scripts/kafka/test-env.ts'
import type { AssignorConfigSnapshot } from '../../../src/herder/distributed/assignors.ts'
import type { Assignment, ConnectProtocolCompatibility } from '../../../src/herder/distributed/connect-protocol.ts'
import { WorkerCoordinator } from '../../../src/herder/distributed/worker-coordinator.ts'
import type { ConnectorTaskId } from '../../../src/worker/worker-task.ts'

function snapshot(connectors: number, tasks: number): AssignorConfigSnapshot {
  const names = Array.from({ length: connectors }, (_, i) => `connector-${i}`)
  return {
    offset: 42,
    connectors: () => names,
    tasks: (c) => (names.includes(c) ? Array.from({ length: tasks }, (_, task) => ({ connector: c, task })) : []),
  }
}

const taskName = (t: ConnectorTaskId) => `${t.connector}-${t.task}`

/**
 * A worker reduced to what the group sees: the work it runs, changed only by the coordinator's callbacks, with the
 * follow-up rejoins Apache's herder asks for (after revocations, and when the leader scheduled a rebalance).
 */
class TestWorker {
  readonly name: string
  readonly connectors = new Set<string>()
  readonly tasks = new Set<string>()
  readonly coordinator: WorkerCoordinator
  /** What the config topic holds now (the coordinator reads it at each join). */
  config: AssignorConfigSnapshot
  assignments = 0
  /** When the listener call in progress began (the herder's busy time), null when idle. */
  busySince: number | null = null
  /** The next assignment is not taken in until this resolves (a herder stuck in a connector's start, say). */
  blockNextAssignment: Promise<void> | null = null
  #delayTimer: NodeJS.Timeout | null = null

  constructor(
    name: string,
    groupId: string,
    config: AssignorConfigSnapshot,
    protocol: ConnectProtocolCompatibility,
    rebalanceTimeoutMs = 10000,
    probeIntervalMs = 0,
    heartbeat: { sessionTimeoutMs: number; heartbeatIntervalMs: number } = {
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
    },
  ) {
    this.name = name
    this.config = config
    this.coordinator = new WorkerCoordinator({
      bootstrapServers: testBootstrap().split(','),
      clientId: `${groupId}-${name}`,
      groupId,
      restUrl: `http://${name}:8083/`,
      connectProtocol: protocol,
      ...heartbeat,
      rebalanceTimeoutMs,
      scheduledRebalanceMaxDelayMs: 2000,
      probeIntervalMs,
      configSnapshot: () => this.config,
      busySince: () => this.busySince,
      listener: {
        onRevoked: (_leader, connectors, tasks) => {
          for (const c of connectors) this.connectors.delete(c)
          for (const t of tasks) this.tasks.delete(taskName(t))
        },
        onAssigned: async (a: Assignment) => {
          const block = this.blockNextAssignment
          if (block) {
            this.blockNextAssignment = null
            this.busySince = Date.now()
            await block
            this.busySince = null
          }
          this.assignments++
          this.connectors.clear()
          this.tasks.clear()
          for (const c of a.connectors) this.connectors.add(c)
          for (const t of a.tasks) this.tasks.add(taskName(t))
          if (a.revokedConnectors.length > 0 || a.revokedTasks.length > 0) this.coordinator.requestRejoin('revocations')
          if (this.#delayTimer) clearTimeout(this.#delayTimer)
          this.#delayTimer =
            a.delay > 0 ? setTimeout(() => this.coordinator.requestRejoin('scheduled rebalance'), a.delay) : null
        },
      },
    })
  }

  get rebalancing(): boolean {
    return this.coordinator.rejoinNeededOrPending
  }

  start(): void {
    this.coordinator.start()
  }

  async stop(): Promise<void> {
    if (this.#delayTimer) clearTimeout(this.#delayTimer)
    await this.coordinator.stop()
  }
}

interface RunsWork {
  readonly connectors: Set<string>
  readonly tasks: Set<string>
  readonly rebalancing: boolean
}

/** Every connector and task runs on exactly one worker, and counts differ by at most one. */
function balancedAndComplete(workers: RunsWork[], config: AssignorConfigSnapshot): string | null {
  if (workers.some((w) => w.rebalancing)) return 'rebalancing'
  const allConnectors = [...config.connectors()]
  const allTasks = allConnectors.flatMap((c) => config.tasks(c).map(taskName))
  const connectors = workers.flatMap((w) => [...w.connectors])
  const tasks = workers.flatMap((w) => [...w.tasks])
  if (connectors.length !== allConnectors.length || new Set(connectors).size !== connectors.length)
    return `connectors: ${connectors.length}`
  if (tasks.length !== allTasks.length || new Set(tasks).size !== tasks.length) return `tasks: ${tasks.length}`
  const spread = (counts: number[]) => Math.max(...counts) - Math.min(...counts)
  if (spread(workers.map((w) => w.connectors.size)) > 1) return 'connectors unbalanced'
  if (spread(workers.map((w) => w.tasks.size)) > 1) return 'tasks unbalanced'
  return null
}

async function settle(workers: RunsWork[], config: AssignorConfigSnapshot, timeoutMs = 30000): Promise<void> {
  let last: string | null = null
  await waitFor(
    `a balanced, complete assignment (last: ${last})`,
    () => {
      last = balancedAndComplete(workers, config)
      return last === null
    },
    timeoutMs,
    100,
  )
}

test('a rejoin asked for while a rebalance is under way gets a round of its own: a connector created after the leader took its config snapshot is assigned', async (t) => {
  const groupId = randomName('connect-group')
  const before = snapshot(1, 1)
  const worker = new TestWorker('w1', groupId, before, 'sessioned')
  t.after(() => worker.stop())
  worker.start()
  await settle([worker], before)

  const after = { ...snapshot(2, 1), offset: 43 }
  let createdDuringRound = false
  // The herder reads the new connector's config while the leader assigns from the snapshot it took when the round
  // began, and asks for another round, as the herder does for a connector it had not seen.
  worker.config = {
    ...before,
    connectors: () => {
      if (!createdDuringRound) {
        createdDuringRound = true
        worker.config = after
        worker.coordinator.requestRejoin('connector-1 created')
      }
      return before.connectors()
    },
  }
  worker.coordinator.requestRejoin('a rebalance for another reason')
  await settle([worker], after)
  assert.ok(createdDuringRound)
  assert.deepEqual([...worker.connectors].sort(), ['connector-0', 'connector-1'])
})

test('three workers in one group share connectors and tasks disjointly and within one of each other, and each lists all three', async (t) => {
  const groupId = randomName('connect-group')
  const config = snapshot(5, 4)
  const workers = ['w1', 'w2', 'w3'].map((n) => new TestWorker(n, groupId, config, 'sessioned'))
  t.after(() => Promise.all(workers.map((w) => w.stop())))
  for (const w of workers) w.start()
  await settle(workers, config)

  const leaders = workers.filter((w) => w.coordinator.isLeader)
  assert.equal(leaders.length, 1)
  const leader = leaders[0]!
  for (const w of workers) {
    assert.equal(w.coordinator.currentProtocolVersion, 2)
    assert.equal(w.coordinator.leaderUrl, `http://${leader.name}:8083/`)
  }
  // The leader knows who runs what; followers do not answer.
  const owner = workers.find((w) => w.connectors.has('connector-0'))!
  assert.equal(leader.coordinator.connectorOwnerUrl('connector-0'), `http://${owner.name}:8083/`)
  const taskOwner = workers.find((w) => w.tasks.has('connector-1-2'))!
  assert.equal(leader.coordinator.taskOwnerUrl({ connector: 'connector-1', task: 2 }), `http://${taskOwner.name}:8083/`)
  const follower = workers.find((w) => w !== leader)!
  assert.equal(follower.coordinator.connectorOwnerUrl('connector-0'), null)
  // Any member can list the group (DescribeGroups): every worker with the REST URL of its metadata.
  const members = await follower.coordinator.members()
  assert.deepEqual(
    members.map((m) => [m.memberId, m.url]).sort(),
    workers.map((w) => [w.coordinator.memberId, `http://${w.name}:8083/`]).sort(),
  )
})

test('when a worker leaves, its work moves to the others after the scheduled rebalance delay', async (t) => {
  const groupId = randomName('connect-group')
  const config = snapshot(4, 3)
  const workers = ['w1', 'w2', 'w3'].map((n) => new TestWorker(n, groupId, config, 'sessioned'))
  t.after(() => Promise.all(workers.map((w) => w.stop())))
  for (const w of workers) w.start()
  await settle(workers, config)

  const leaving = workers.find((w) => !w.coordinator.isLeader)!
  const stayed = workers.filter((w) => w !== leaving)
  const before = new Map(stayed.map((w) => [w.name, new Set(w.tasks)]))
  const left = Date.now()
  await leaving.stop()

  await settle(stayed, config)
  // Held back for the delay (2 s), then handed out; nobody had to give up a task it kept running.
  assert.ok(Date.now() - left >= 1500, `reassigned after ${Date.now() - left} ms`)
  for (const w of stayed) for (const task of before.get(w.name)!) assert.ok(w.tasks.has(task), `${w.name} kept ${task}`)
})

test('a worker that joins later gets a fair share, and work that stays put is not revoked', async (t) => {
  const groupId = randomName('connect-group')
  const config = snapshot(6, 2)
  const workers = ['w1', 'w2'].map((n) => new TestWorker(n, groupId, config, 'sessioned'))
  t.after(() => Promise.all(workers.map((w) => w.stop())))
  for (const w of workers) w.start()
  await settle(workers, config)
  const revoked: string[] = []
  const before = new Map(workers.map((w) => [w.name, new Set(w.tasks)]))

  const third = new TestWorker('w3', groupId, config, 'sessioned')
  workers.push(third)
  third.start()
  await settle(workers, config)
  assert.equal(third.tasks.size, 4)
  for (const w of workers.slice(0, 2))
    for (const task of before.get(w.name)!) if (!w.tasks.has(task)) revoked.push(task)
  // 12 tasks over 3 workers: exactly the 4 the new worker runs moved.
  assert.equal(revoked.length, 4)
  assert.deepEqual(new Set(revoked), third.tasks)
})

test('beyond Apache: right after a join a worker heartbeats sooner, so one that gave nothing up joins the second round of a rebalance without waiting a heartbeat interval', async (t) => {
  const groupId = randomName('connect-group')
  const config = snapshot(6, 2)
  // A heartbeat interval longer than the wait below: a round that waited for one would not settle in time.
  const slow = { sessionTimeoutMs: 90_000, heartbeatIntervalMs: 30_000 }
  const start = (name: string) => {
    const w = new TestWorker(name, groupId, config, 'sessioned', 10000, 0, slow)
    workers.push(w)
    w.start()
  }
  const workers: TestWorker[] = []
  t.after(() => Promise.all(workers.map((w) => w.stop())))
  start('w1')
  await settle(workers, config, 15_000)
  // w2 joins within w1's quick heartbeats: w1 gives half its work up and joins again; w2, which gave nothing up,
  // learns of that second round from its own next heartbeat.
  start('w2')
  await settle(workers, config, 15_000)
  assert.equal(workers[1]!.tasks.size, 6)
})

test('eager workers get complete assignments, and a group mixing protocols falls back to the one all support', async (t) => {
  const groupId = randomName('connect-group')
  const config = snapshot(3, 3)
  const workers = [new TestWorker('e1', groupId, config, 'eager'), new TestWorker('s1', groupId, config, 'sessioned')]
  t.after(() => Promise.all(workers.map((w) => w.stop())))
  for (const w of workers) w.start()
  await settle(workers, config)
  for (const w of workers) assert.equal(w.coordinator.currentProtocolVersion, 0)
})

/** A member in a child process (helpers/coordinator-child.ts), to be killed without leaving the group. */
class ChildWorker implements RunsWork {
  readonly connectors = new Set<string>()
  readonly tasks = new Set<string>()
  readonly rebalancing = false
  readonly #child

  constructor(name: string, groupId: string, connectors: number, tasks: number, env: Record<string, string> = {}) {
    const script = new URL('./helpers/coordinator-child.ts', import.meta.url).pathname
    this.#child = spawn(process.execPath, [script, groupId, name, String(connectors), String(tasks)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    })
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      const a = JSON.parse(line) as { connectors: string[]; tasks: string[] }
      this.connectors.clear()
      this.tasks.clear()
      for (const c of a.connectors) this.connectors.add(c)
      for (const t of a.tasks) this.tasks.add(t)
    })
  }

  kill(): void {
    this.#child.kill('SIGKILL')
  }
}

test('the work of a member that dies without leaving moves to the others after the session timeout and the delay', async (t) => {
  const groupId = randomName('connect-group')
  const config = snapshot(4, 3)
  const workers = ['w1', 'w2'].map((n) => new TestWorker(n, groupId, config, 'sessioned'))
  const child = new ChildWorker('child', groupId, 4, 3)
  t.after(async () => {
    child.kill()
    await Promise.all(workers.map((w) => w.stop()))
  })
  for (const w of workers) w.start()
  await settle([...workers, child], config, 60000)
  assert.ok(child.tasks.size > 0)

  const killed = Date.now()
  child.kill()
  await settle(workers, config, 60000)
  // Not before the coordinator gave up on the member (session timeout 6 s) and the leader's delay (2 s) ran out.
  const took = Date.now() - killed
  assert.ok(took >= 6000, `reassigned after ${took} ms`)
})

test("beyond Apache: a member whose process exited is removed by the others' probe of its REST port, so its work moves after the delay without waiting for its session timeout", async (t) => {
  const groupId = randomName('connect-group')
  const config = snapshot(4, 3)
  const workers = ['w1', 'w2'].map((n) => new TestWorker(n, groupId, config, 'sessioned', 10000, 200))
  // The child's session (60 s) is far longer than the whole wait allowed below.
  const child = new ChildWorker('child', groupId, 4, 3, {
    FERRY_TEST_LISTEN: '1',
    FERRY_TEST_SESSION_TIMEOUT_MS: '60000',
  })
  t.after(async () => {
    child.kill()
    await Promise.all(workers.map((w) => w.stop()))
  })
  for (const w of workers) w.start()
  await settle([...workers, child], config, 60000)
  assert.ok(child.tasks.size > 0)
  // Every member has seen the child's port open (the probes run every 200 ms).
  await new Promise((resolve) => setTimeout(resolve, 1000))

  child.kill()
  await settle(workers, config, 40000)
})

test('a member still busy with its last assignment when the next rebalance begins keeps heartbeating: the group waits for it up to the rebalance timeout instead of dropping it after the session timeout', async (t) => {
  const groupId = randomName('connect-group')
  const config = snapshot(2, 2)
  const sessionTimeoutMs = 6000
  const busyMs = sessionTimeoutMs + 3000
  const generations = new Map<string, number[]>([
    ['a', []],
    ['b', []],
  ])
  let holdB = false
  let bBusy: (() => void) | null = null
  const member = (name: string) =>
    new WorkerCoordinator({
      bootstrapServers: testBootstrap().split(','),
      clientId: `${groupId}-${name}`,
      groupId,
      restUrl: `http://${name}:8083/`,
      sessionTimeoutMs,
      heartbeatIntervalMs: 500,
      rebalanceTimeoutMs: 30000,
      scheduledRebalanceMaxDelayMs: 2000,
      configSnapshot: () => config,
      listener: {
        onRevoked: () => {},
        // b's herder, busy starting its work for longer than the session timeout (its coordinator cannot rejoin).
        onAssigned: async (_a, generation) => {
          generations.get(name)!.push(generation)
          if (name !== 'b' || !holdB) return
          holdB = false
          bBusy?.()
          await new Promise((r) => setTimeout(r, busyMs))
        },
      },
    })
  const [a, b] = [member('a'), member('b')]
  t.after(() => Promise.all([a.stop(), b.stop()]))
  // a first, so it leads: a rejoining leader always starts a rebalance (a follower rejoining with what it had does not).
  a.start()
  await waitFor('a in the group', () => a.lastCompletedGenerationId >= 0 && !a.rejoinNeededOrPending, 60000)
  b.start()
  const settled = () =>
    [a, b].every((m) => !m.rejoinNeededOrPending) && a.lastCompletedGenerationId === b.lastCompletedGenerationId
  await waitFor('both members in one stable generation', settled, 60000)
  assert.ok(a.isLeader)

  holdB = true
  const busy = new Promise<void>((r) => {
    bBusy = r
  })
  a.requestRejoin('a generation b is slow to take in')
  await busy
  const first = b.generationId
  await waitFor('a done with that generation', () => a.lastCompletedGenerationId === first && !a.rejoinNeededOrPending)
  a.requestRejoin('the rebalance that begins while b is busy')
  await waitFor('both members in one stable generation again', settled, 60000)

  const since = (name: string) => generations.get(name)!.filter((g) => g >= first)
  assert.ok(since('a').length >= 2, `a took part in a rebalance after generation ${first}: ${since('a')}`)
  assert.deepEqual(since('b'), since('a'), 'b took part in every generation a did')
})

test('a worker whose herder is stuck past rebalance.timeout.ms leaves the group, the other takes its work over, and it rejoins when the herder comes back', async (t) => {
  const groupId = randomName('connect-group')
  const config = snapshot(2, 3)
  const stuck = new TestWorker('stuck', groupId, config, 'sessioned', 3000)
  const other = new TestWorker('other', groupId, config, 'sessioned', 3000)
  t.after(() => Promise.all([stuck.stop(), other.stop()]))
  stuck.start()
  other.start()
  await settle([stuck, other], config)
  assert.ok(stuck.tasks.size > 0)

  // The stuck worker's herder blocks in the next assignment it handles (as in a connector's start).
  let release = () => {}
  stuck.blockNextAssignment = new Promise<void>((resolve) => {
    release = resolve
  })
  const grown = { ...snapshot(3, 3), offset: 43 }
  stuck.config = grown
  other.config = grown
  other.coordinator.requestRejoin('connector-2 created')
  await waitFor('the stuck worker to be in its blocked assignment', () => stuck.busySince !== null, 30000)
  // Past the rebalance timeout it leaves; the other worker runs everything after the scheduled delay.
  await settle([other], grown, 60000)
  assert.match(stuck.coordinator.membershipInDoubt() ?? '', /herder was stuck .* \(rebalance\.timeout\.ms=3000\)/)
  assert.deepEqual(
    (await other.coordinator.members()).map((m) => m.url),
    ['http://other:8083/'],
  )

  release()
  await settle([stuck, other], grown, 60000)
  assert.equal(stuck.coordinator.membershipInDoubt(), null)
  assert.equal((await other.coordinator.members()).length, 2)
})
