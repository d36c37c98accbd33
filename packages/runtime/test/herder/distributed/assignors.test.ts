import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import {
  type AssignorConfigSnapshot,
  type ClusterAssignment,
  type ConnectorsAndTasks,
  eagerAssignment,
  IncrementalCooperativeAssignor,
  performEagerAssignment,
} from '../../../src/herder/distributed/assignors.ts'
import { deserializeAssignment } from '../../../src/herder/distributed/connect-protocol.ts'
import type { ConnectorTaskId } from '../../../src/worker/worker-task.ts'

// Written by fixtures/generate.sh: Apache's own IncrementalCooperativeAssignor and EagerAssignor (4.4.0) run over
// the scenarios of Apache's IncrementalCooperativeAssignorTest and seeded random ones, every round recorded.
const vectors = JSON.parse(readFileSync(new URL('./fixtures/assignors.json', import.meta.url), 'utf8'))

type TaskJson = [string, number]
const task = ([connector, t]: TaskJson): ConnectorTaskId => ({ connector, task: t })
const taskJson = (t: ConnectorTaskId): TaskJson => [t.connector, t.task]

function snapshot(connectors: Iterable<[string, number]>, offset = 618): AssignorConfigSnapshot {
  const counts = new Map(connectors)
  return {
    offset,
    connectors: () => counts.keys(),
    tasks: (c) => Array.from({ length: counts.get(c) ?? 0 }, (_, i) => ({ connector: c, task: i })),
  }
}

function clusterJson(r: ClusterAssignment) {
  const strings = (m: Map<string, string[]>) => [...m].map(([k, v]) => [k, v])
  const tasks = (m: Map<string, ConnectorTaskId[]>) => [...m].map(([k, v]) => [k, v.map(taskJson)])
  return {
    newlyAssignedConnectors: strings(r.newlyAssignedConnectors),
    newlyAssignedTasks: tasks(r.newlyAssignedTasks),
    newlyRevokedConnectors: strings(r.newlyRevokedConnectors),
    newlyRevokedTasks: tasks(r.newlyRevokedTasks),
    allAssignedConnectors: strings(r.allAssignedConnectors),
    allAssignedTasks: tasks(r.allAssignedTasks),
  }
}

const sortedKeys = (list: Array<[string, ...unknown[]]>) => list.map(([k]) => k).sort()

/** What the members run between rounds, as Apache's test harness keeps it: revocations removed, new work added. */
class Cluster {
  readonly members = new Map<string, { connectors: Set<string>; tasks: Map<string, ConnectorTaskId> }>()

  add(worker: string, connectors: string[] = [], tasks: ConnectorTaskId[] = []): void {
    this.members.set(worker, {
      connectors: new Set(connectors),
      tasks: new Map(tasks.map((t) => [`${t.connector}/${t.task}`, t])),
    })
  }

  apply(r: ClusterAssignment): void {
    for (const [worker, revoked] of r.newlyRevokedConnectors) {
      if (!this.members.has(worker)) this.add(worker)
      for (const c of revoked) this.members.get(worker)!.connectors.delete(c)
    }
    for (const [worker, revoked] of r.newlyRevokedTasks)
      for (const t of revoked) this.members.get(worker)?.tasks.delete(`${t.connector}/${t.task}`)
    for (const [worker, added] of r.newlyAssignedConnectors) {
      if (!this.members.has(worker)) this.add(worker)
      for (const c of added) this.members.get(worker)!.connectors.add(c)
    }
    for (const [worker, added] of r.newlyAssignedTasks)
      for (const t of added) this.members.get(worker)!.tasks.set(`${t.connector}/${t.task}`, t)
  }

  input(): Map<string, ConnectorsAndTasks> {
    return new Map(
      [...this.members].map(([w, a]) => [w, { connectors: [...a.connectors], tasks: [...a.tasks.values()] }]),
    )
  }

  connectorCounts(): number[] {
    return [...this.members.values()].map((a) => a.connectors.size).sort((a, b) => a - b)
  }

  taskCounts(): number[] {
    return [...this.members.values()].map((a) => a.tasks.size).sort((a, b) => a - b)
  }
}

for (const scenario of vectors.scenarios) {
  test(`the incremental assignor decides exactly as Apache's in "${scenario.name}"`, () => {
    let now = scenario.startTime as number
    let assignor: IncrementalCooperativeAssignor | null = null
    const configured = new Map<string, number>()
    const cluster = new Cluster()
    let round = 0
    for (const op of scenario.ops) {
      switch (op.op) {
        case 'newAssignor':
          assignor = new IncrementalCooperativeAssignor({ maxDelayMs: scenario.maxDelay, now: () => now })
          assignor.previousGenerationId = op.previousGenerationId
          break
        case 'setConnector':
          configured.set(op.name, op.tasks)
          break
        case 'removeConnector':
          configured.delete(op.name)
          break
        case 'addWorker':
          cluster.add(op.name, op.connectors, op.tasks.map(task))
          break
        case 'removeWorker':
          cluster.members.delete(op.name)
          break
        case 'sleep':
          now += op.ms
          break
        case 'rebalance': {
          round++
          const where = `round ${round}`
          assert.equal(now, op.now, where)
          assert.deepEqual(new Map(op.configured), configured, where)
          // The harness agrees with Apache's on what every member runs; the input keeps Apache's member order.
          const members = new Map<string, ConnectorsAndTasks>(
            op.members.map(([w, c, t]: [string, string[], TaskJson[]]) => [w, { connectors: c, tasks: t.map(task) }]),
          )
          const ours = cluster.input()
          assert.deepEqual([...ours.keys()].sort(), [...members.keys()].sort(), where)
          for (const [w, a] of members) {
            assert.deepEqual(new Set(ours.get(w)!.connectors), new Set(a.connectors), `${where} ${w}`)
            assert.deepEqual(
              new Set(ours.get(w)!.tasks.map(taskJson).map(String)),
              new Set(a.tasks.map(taskJson).map(String)),
            )
          }
          const result = assignor!.performTaskAssignment(
            snapshot(op.configured),
            op.lastCompletedGenerationId,
            op.generationId,
            members,
          )
          const e = op.expected
          const actual = clusterJson(result)
          for (const key of Object.keys(actual) as Array<keyof typeof actual>) {
            // Same members; each member's list in Apache's order.
            assert.deepEqual(sortedKeys(actual[key] as never), sortedKeys(e[key]), `${where} ${key} members`)
            assert.deepEqual(new Map(actual[key] as never), new Map(e[key]), `${where} ${key}`)
          }
          assert.equal(assignor!.delay, e.delay, `${where} delay`)
          assert.equal(assignor!.scheduledRebalance, e.scheduledRebalance, `${where} scheduledRebalance`)
          assert.deepEqual(assignor!.candidateWorkersForReassignment, e.candidateWorkersForReassignment, where)
          if (!op.failure) cluster.apply(result)
          break
        }
        default:
          assert.fail(`unknown op ${op.op}`)
      }
    }
  })
}

for (const [i, round] of vectors.leaderRounds.entries()) {
  if (round.assignor !== 'eager') continue
  test(`the eager leader writes Apache's assignment bytes (round ${i}, ${round.members.length} members)`, () => {
    const result = performEagerAssignment(
      round.leader,
      round.members.map(([memberId, hex]: [string, string]) => ({ memberId, metadata: Buffer.from(hex, 'hex') })),
      {
        configSnapshot: () => snapshot(round.snapshot.connectors, round.snapshot.offset),
        configFreshSnapshot: () => snapshot(round.freshSnapshot.connectors, round.freshSnapshot.offset),
        generationId: round.generationId,
        lastCompletedGenerationId: round.lastCompletedGenerationId,
      },
    )
    assert.deepEqual(
      new Map([...result.assignments].map(([m, b]) => [m, b.toString('hex')])),
      new Map(round.assignments),
    )
  })
}

test('the incremental leader writes Apache’s assignment bytes round after round, with CONFIG_MISMATCH and a fresh snapshot', () => {
  const assignor = new IncrementalCooperativeAssignor({ maxDelayMs: 60000, now: () => 1_700_000_000_000 })
  for (const [i, round] of vectors.leaderRounds.entries()) {
    if (round.assignor !== 'incremental') continue
    const result = assignor.performAssignment(
      round.leader,
      round.protocol,
      round.members.map(([memberId, hex]: [string, string]) => ({ memberId, metadata: Buffer.from(hex, 'hex') })),
      {
        configSnapshot: () => snapshot(round.snapshot.connectors, round.snapshot.offset),
        configFreshSnapshot: () => snapshot(round.freshSnapshot.connectors, round.freshSnapshot.offset),
        generationId: round.generationId,
        lastCompletedGenerationId: round.lastCompletedGenerationId,
      },
    )
    assert.deepEqual(
      new Map([...result.assignments].map(([m, b]) => [m, b.toString('hex')])),
      new Map(round.assignments),
      `round ${i}`,
    )
    const decoded = deserializeAssignment(result.assignments.values().next().value!)
    assert.equal(result.leaderState === null, decoded.error !== 0)
  }
})

// Apache's IncrementalCooperativeAssignorTest assertions, on Ferry's assignor alone.

function rebalance(
  assignor: IncrementalCooperativeAssignor,
  cluster: Cluster,
  config: Map<string, number>,
  gen: number,
) {
  const r = assignor.performTaskAssignment(snapshot(config), gen - 1, gen, cluster.input())
  cluster.apply(r)
  return r
}

function assertBalancedAndComplete(cluster: Cluster, config: Map<string, number>): void {
  const c = cluster.connectorCounts()
  const t = cluster.taskCounts()
  assert.ok(c.at(-1)! - c[0]! <= 1, `connectors balanced: ${c}`)
  assert.ok(t.at(-1)! - t[0]! <= 1, `tasks balanced: ${t}`)
  const all = [...cluster.members.values()]
  assert.deepEqual(new Set(all.flatMap((a) => [...a.connectors])), new Set(config.keys()))
  const tasks = all.flatMap((a) => [...a.tasks.keys()])
  assert.equal(new Set(tasks).size, tasks.length, 'no task runs twice')
  assert.equal(
    tasks.length,
    [...config.values()].reduce((a, b) => a + b, 0),
  )
}

test('a worker that joins gets its fair share after one round of revocations', () => {
  let now = 0
  const assignor = new IncrementalCooperativeAssignor({ maxDelayMs: 300000, now: () => now })
  assignor.previousGenerationId = 1000
  const config = new Map([
    ['connector1', 4],
    ['connector2', 4],
  ])
  const cluster = new Cluster()
  cluster.add('worker1')
  rebalance(assignor, cluster, config, 1001)
  assert.deepEqual(cluster.taskCounts(), [8])
  cluster.add('worker2')
  const revoking = rebalance(assignor, cluster, config, 1002)
  assert.equal(assignor.delay, 0)
  assert.deepEqual(cluster.connectorCounts(), [0, 1])
  assert.deepEqual(cluster.taskCounts(), [0, 4])
  assert.equal(revoking.newlyRevokedTasks.get('worker1')!.length, 4)
  rebalance(assignor, cluster, config, 1003)
  assertBalancedAndComplete(cluster, config)
  now += 1
  const idle = rebalance(assignor, cluster, config, 1004)
  assert.ok([...idle.newlyAssignedTasks.values(), ...idle.newlyRevokedTasks.values()].every((l) => l.length === 0))
})

test('work of a worker that left is held back for scheduled.rebalance.max.delay.ms, then reassigned', () => {
  let now = 0
  const assignor = new IncrementalCooperativeAssignor({ maxDelayMs: 300000, now: () => now })
  assignor.previousGenerationId = 1000
  const config = new Map([
    ['connector1', 4],
    ['connector2', 4],
  ])
  const cluster = new Cluster()
  cluster.add('worker1')
  cluster.add('worker2')
  rebalance(assignor, cluster, config, 1001)
  cluster.members.delete('worker2')
  rebalance(assignor, cluster, config, 1002)
  assert.equal(assignor.delay, 300000)
  assert.deepEqual(cluster.taskCounts(), [4])
  now += 150000
  rebalance(assignor, cluster, config, 1003)
  assert.equal(assignor.delay, 150000)
  assert.deepEqual(cluster.taskCounts(), [4])
  now += 150001
  rebalance(assignor, cluster, config, 1004)
  assert.equal(assignor.delay, 0)
  assertBalancedAndComplete(cluster, config)
})

test('a worker that comes back within the delay gets the lost work when the delay expires', () => {
  let now = 0
  const assignor = new IncrementalCooperativeAssignor({ maxDelayMs: 300000, now: () => now })
  assignor.previousGenerationId = 1000
  const config = new Map([
    ['connector1', 4],
    ['connector2', 4],
  ])
  const cluster = new Cluster()
  cluster.add('worker1')
  cluster.add('worker2')
  rebalance(assignor, cluster, config, 1001)
  cluster.members.delete('worker2')
  rebalance(assignor, cluster, config, 1002)
  now += 100000
  cluster.add('worker2')
  rebalance(assignor, cluster, config, 1003)
  assert.equal(assignor.delay, 200000)
  assert.deepEqual(assignor.candidateWorkersForReassignment, ['worker2'])
  assert.deepEqual(cluster.taskCounts(), [0, 4])
  now += 200000
  const back = rebalance(assignor, cluster, config, 1004)
  assert.equal(back.newlyAssignedTasks.get('worker2')!.length, 4)
  assert.ok([...back.newlyRevokedTasks.values()].every((l) => l.length === 0))
  assertBalancedAndComplete(cluster, config)
})

test('with scheduled.rebalance.max.delay.ms=0 lost work is reassigned at once', () => {
  const assignor = new IncrementalCooperativeAssignor({ maxDelayMs: 0, now: () => 0 })
  assignor.previousGenerationId = 1000
  const config = new Map([
    ['connector1', 4],
    ['connector2', 4],
  ])
  const cluster = new Cluster()
  cluster.add('worker1')
  cluster.add('worker2')
  rebalance(assignor, cluster, config, 1001)
  cluster.members.delete('worker2')
  rebalance(assignor, cluster, config, 1002)
  assert.equal(assignor.delay, 0)
  assertBalancedAndComplete(cluster, config)
})

test('ten connectors of three tasks end balanced within one task on three workers, and again when a fourth joins', () => {
  let gen = 1
  const assignor = new IncrementalCooperativeAssignor({ maxDelayMs: 300000, now: () => 0 })
  const config = new Map(Array.from({ length: 10 }, (_, i) => [`c${i}`, 3] as [string, number]))
  const cluster = new Cluster()
  for (const w of ['w1', 'w2', 'w3']) cluster.add(w)
  rebalance(assignor, cluster, config, gen++)
  assertBalancedAndComplete(cluster, config)
  cluster.add('w4')
  const before = new Map([...cluster.members].map(([w, a]) => [w, new Set(a.tasks.keys())]))
  rebalance(assignor, cluster, config, gen++)
  rebalance(assignor, cluster, config, gen++)
  assertBalancedAndComplete(cluster, config)
  // Tasks that stayed on their worker were never revoked (nothing is moved that need not move).
  let moved = 0
  for (const [w, tasks] of before) for (const t of tasks) if (!cluster.members.get(w)!.tasks.has(t)) moved++
  assert.equal(moved, 7)
})

test('duplicated work is revoked from every holder and assigned once', () => {
  const assignor = new IncrementalCooperativeAssignor({ maxDelayMs: 300000, now: () => 0 })
  assignor.previousGenerationId = 1000
  const config = new Map([['a', 2]])
  const cluster = new Cluster()
  cluster.add('w1', ['a'], [{ connector: 'a', task: 0 }])
  cluster.add(
    'w2',
    ['a'],
    [
      { connector: 'a', task: 0 },
      { connector: 'a', task: 1 },
    ],
  )
  const r = rebalance(assignor, cluster, config, 1001)
  assert.deepEqual(r.newlyRevokedConnectors.get('w1'), ['a'])
  assert.deepEqual(r.newlyRevokedConnectors.get('w2'), ['a'])
  rebalance(assignor, cluster, config, 1002)
  assertBalancedAndComplete(cluster, config)
})

test('the eager assignor deals connectors then tasks round-robin over the sorted members', () => {
  const { connectors, tasks } = eagerAssignment(
    snapshot([
      ['b', 2],
      ['a', 1],
    ]),
    ['m2', 'm1'],
  )
  assert.deepEqual(
    connectors,
    new Map([
      ['m1', ['a']],
      ['m2', ['b']],
    ]),
  )
  assert.deepEqual(
    tasks,
    new Map([
      [
        'm1',
        [
          { connector: 'a', task: 0 },
          { connector: 'b', task: 1 },
        ],
      ],
      ['m2', [{ connector: 'b', task: 0 }]],
    ]),
  )
})
