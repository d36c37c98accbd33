import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  clusterView,
  countStarts,
  createPlan,
  heapBreakdown,
  heapGrowth,
  leaderFromLogs,
  logStarts,
  parseStatus,
  type StatusEvent,
  startEvents,
  taskKey,
} from '../scale.ts'
import { percentile } from '../stats.ts'

const running = (connector: string, task: number | undefined, workerId: string): StatusEvent => ({
  key: task === undefined ? `status-connector-${connector}` : taskKey(connector, task),
  connector,
  task,
  state: 'RUNNING',
  workerId,
})

const latestOf = (events: StatusEvent[]) => new Map(events.map((e) => [e.key, e]))

test('status records are read from their key and JSON value, connector names with dashes included', () => {
  assert.deepEqual(
    parseStatus(
      'status-task-bench-scale-7-1',
      '{"state":"RUNNING","trace":null,"worker_id":"127.0.0.1:8083","generation":4}',
    ),
    {
      key: 'status-task-bench-scale-7-1',
      connector: 'bench-scale-7',
      task: 1,
      state: 'RUNNING',
      workerId: '127.0.0.1:8083',
    },
  )
  assert.deepEqual(parseStatus('status-connector-a-b', null), {
    key: 'status-connector-a-b',
    connector: 'a-b',
    task: undefined,
    state: null,
    workerId: null,
  })
  assert.equal(parseStatus('status-topic-t:connector-a', '{"topic":{}}'), undefined)
  assert.equal(parseStatus('status-task-nonumber', '{}'), undefined)
  assert.equal(parseStatus('status-task-a-0', 'not json'), undefined)
})

test('the cluster is all RUNNING only when every connector and task runs on a live worker, balanced within one task', () => {
  const events = [
    running('a', undefined, 'w1'),
    running('a', 0, 'w1'),
    running('a', 1, 'w2'),
    running('b', undefined, 'w2'),
    running('b', 0, 'w1'),
    running('b', 1, 'w2'),
  ]
  const up = clusterView(latestOf(events), ['a', 'b'], 2, ['w1', 'w2'])
  assert.equal(up.expected, 6)
  assert.equal(up.running, 6)
  assert.ok(up.allRunning)
  assert.ok(up.balanced)
  assert.deepEqual(
    [...up.tasksPerWorker],
    [
      ['w1', 2],
      ['w2', 2],
    ],
  )

  // A third worker with nothing: all running, not balanced.
  const joined = clusterView(latestOf(events), ['a', 'b'], 2, ['w1', 'w2', 'w3'])
  assert.ok(joined.allRunning)
  assert.equal(joined.balanced, false)

  // w2 died: its statuses still say RUNNING, but not on a live worker.
  const killed = clusterView(latestOf(events), ['a', 'b'], 2, ['w1'])
  assert.equal(killed.running, 3)
  assert.equal(killed.allRunning, false)

  // A task UNASSIGNED, or missing (its connector has not made task configs yet).
  const unassigned = latestOf([...events, { ...running('a', 1, 'w2'), state: 'UNASSIGNED' }])
  assert.equal(clusterView(unassigned, ['a', 'b'], 2, ['w1', 'w2']).allRunning, false)
  assert.equal(clusterView(latestOf(events.slice(0, 4)), ['a', 'b'], 2, ['w1', 'w2']).allRunning, false)
})

test('a task start is needless unless the task is new or ends on another worker', () => {
  const tasks = [taskKey('a', 0), taskKey('a', 1), taskKey('b', 0), taskKey('b', 1)]
  const before = latestOf([running('a', 0, 'w1'), running('a', 1, 'w2'), running('b', 0, 'w1')])
  const window: StatusEvent[] = [
    { ...running('a', 0, 'w1'), state: 'UNASSIGNED' }, // not a start
    running('a', 0, 'w3'), // moved: needed
    running('a', 1, 'w2'), // restarted in place: needless
    running('b', 0, 'w2'),
    running('b', 0, 'w1'), // moved away and back: both needless
    running('b', 1, 'w1'), // new: needed
    running('b', 1, 'w1'), // started twice: one needless
    running('c', 0, 'w1'), // not one of the tasks
    running('a', undefined, 'w3'), // a connector, not a task
  ]
  assert.deepEqual(countStarts(before, window, tasks), {
    starts: 6,
    moved: 2,
    needless: 4,
    examples: ['a-1: w2 → w2', 'b-0: w1 → w2 → w1', 'b-1: new → w1 → w1'],
  })
  assert.deepEqual(countStarts(before, [], tasks), { starts: 0, moved: 0, needless: 0, examples: [] })
})

test('the create plan takes turns between the four ways in blocks, and small counts give every way a block', () => {
  const plan = createPlan(100)
  assert.deepEqual(
    plan.map((b) => [b.way, b.names.length]),
    [
      ['leader', 20],
      ['follower', 20],
      ['leader10', 20],
      ['follower10', 20],
      ['leader', 20],
    ],
  )
  const names = plan.flatMap((b) => b.names)
  assert.equal(new Set(names).size, 100)
  assert.equal(names[0], 'bench-scale-0')
  assert.equal(names[99], 'bench-scale-99')
  assert.deepEqual(
    createPlan(10).map((b) => [b.way, b.names.length]),
    [
      ['leader', 2],
      ['follower', 2],
      ['leader10', 2],
      ['follower10', 2],
      ['leader', 2],
    ],
  )
  assert.deepEqual(
    createPlan(2).map((b) => b.way),
    ['leader', 'follower'],
  )
})

test('the leader is read from Apache’s leaderUrl or from Ferry’s latest join line', () => {
  const apache = [
    {
      url: 'http://127.0.0.1:1',
      log: "got assignment: Assignment{error=0, leader='x', leaderUrl='http://127.0.0.1:9/', ...",
    },
    { url: 'http://127.0.0.1:2', log: "Assignment{error=0, leader='y', leaderUrl='http://127.0.0.1:2/', offset=3}" },
  ]
  assert.equal(leaderFromLogs(apache), 'http://127.0.0.1:9')
  const ferry = [
    {
      url: 'http://127.0.0.1:1',
      log: '{"msg":"Joined generation 1 as leader: 0 connectors"}\n{"msg":"Joined generation 2 as follower: 0 connectors"}',
    },
    { url: 'http://127.0.0.1:2', log: '{"msg":"Joined generation 2 as leader: 0 connectors"}' },
  ]
  assert.equal(leaderFromLogs(ferry), 'http://127.0.0.1:2')
  assert.equal(leaderFromLogs([{ url: 'http://127.0.0.1:1', log: 'starting' }]), undefined)
})

test('percentiles are nearest-rank over the finite values', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1)
  assert.equal(percentile(xs, 50), 50)
  assert.equal(percentile(xs, 99), 99)
  assert.equal(percentile(xs, 100), 100)
  assert.equal(percentile([5, Number.NaN, 1], 50), 1)
  assert.equal(percentile([7], 99), 7)
  assert.equal(percentile([], 50), undefined)
})

test('task starts are counted from both workers’ “Creating task” log lines, the final owner’s last', () => {
  const apache = `[2026-12-03 05:39:47,163] INFO Creating task bench-scale-1-1 (org.apache.kafka.connect.runtime.Worker)
[2026-12-03 05:39:47,164] INFO Instantiated task bench-scale-1-1 with version 4.4.0
[2026-12-03 05:40:49,492] INFO Creating task bench-scale-1-1 (org.apache.kafka.connect.runtime.Worker)
[2026-12-03 05:40:49,492] INFO Creating task bench-scale-10-0 (org.apache.kafka.connect.runtime.Worker)`
  assert.deepEqual(
    [...logStarts(apache)],
    [
      ['bench-scale-1-1', 2],
      ['bench-scale-10-0', 1],
    ],
  )
  const ferry = '{"level":30,"task":"a-b-0","msg":"Creating task a-b-0"}\n{"msg":"Connector a-b started"}'
  assert.deepEqual([...logStarts(ferry)], [['a-b-0', 1]])

  const before = new Map([['w1', new Map([['c-0', 1]])]])
  const after = new Map([
    ['w1', new Map([['c-0', 2]])],
    [
      'w2',
      new Map([
        ['c-0', 1],
        ['c-1', 1],
      ]),
    ],
  ])
  // c-0 ends on w1: its start on w2 comes first.
  const latest = new Map([[taskKey('c', 0), running('c', 0, 'w1')]])
  const events = startEvents(before, after, latest)
  assert.deepEqual(
    events.map((e) => [e.key, e.workerId]),
    [
      [taskKey('c', 0), 'w2'],
      [taskKey('c', 0), 'w1'],
      [taskKey('c', 1), 'w2'],
    ],
  )
  // c-0 ran on w1 before, bounced to w2 and back: two needless starts; c-1 is new.
  const was = new Map([[taskKey('c', 0), running('c', 0, 'w1')]])
  assert.deepEqual(countStarts(was, events, [taskKey('c', 0), taskKey('c', 1)]), {
    starts: 3,
    moved: 1,
    needless: 2,
    examples: ['c-0: w1 → w2 → w1'],
  })
})

test('a Ferry worker’s memory in a window is the median of each probe figure in it; growth is busy less idle per worker, averaged, the rest of the RSS native', () => {
  const line = (t: number, heap: number, young: number, old: number, code: number, buffers: number) =>
    JSON.stringify({
      t,
      lagP99Ms: 1,
      heapTotalMb: heap,
      newSpaceMb: young,
      oldSpaceMb: old,
      codeSpaceMb: code,
      externalMb: buffers,
    })
  const probe = [
    line(900, 99, 99, 99, 99, 99),
    line(1000, 60, 32, 20, 3, 5),
    line(1500, 62, 32, 22, 4, 6),
    line(2000, 70, 32, 30, 5, 7),
    '{"t":2100,"heapTot',
    line(2600, 99, 99, 99, 99, 99),
  ].join('\n')
  assert.deepEqual(heapBreakdown(probe, 1000, 2500), {
    heapTotalMb: 62,
    newSpaceMb: 32,
    oldSpaceMb: 22,
    codeSpaceMb: 4,
    externalMb: 6,
  })
  assert.equal(heapBreakdown(probe, 3000, 4000), undefined, 'no line in the window')
  assert.equal(heapBreakdown('', 0, 1), undefined)

  const at = (heap: number, old: number, code: number, buffers: number) => ({
    heapTotalMb: heap,
    newSpaceMb: 32,
    oldSpaceMb: old,
    codeSpaceMb: code,
    externalMb: buffers,
  })
  const growth = heapGrowth(
    [at(60, 20, 3, 5), at(50, 18, 2, 4), undefined],
    [at(70, 28, 5, 6), at(54, 20, 4, 6), at(1, 1, 1, 1)],
    [150, 150, 150],
    [165, 160, 170],
  )
  assert.deepEqual(growth, {
    heapGrowthPerWorkerMb: 7,
    youngGrowthPerWorkerMb: 0,
    oldGrowthPerWorkerMb: 5,
    codeGrowthPerWorkerMb: 2,
    buffersGrowthPerWorkerMb: 1.5,
    // (15 - 10 - 1) and (10 - 4 - 2): the third worker has no idle breakdown (Apache's never have one).
    nativeGrowthPerWorkerMb: 4,
  })
  assert.deepEqual(heapGrowth([undefined], [undefined], [1], [2]), {})
})
