/**
 * The leader's zombie fencing (KIP-618) against Apache's DistributedHerder.doFenceZombieSourceTasks: when it fences
 * and when it only records, that the old generation's producers are fenced before the new task count is recorded,
 * what a follower, an unknown or sink connector and new task configs during a round get, and what a failed fencing
 * does (reported to every caller of the round, nothing recorded, the next request tries again).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConnectException, NotFoundException } from '@ferry/api'
import {
  FencingConflictException,
  type ZombieFencingHost,
  ZombieFencings,
} from '../../../src/herder/distributed/zombie-fencing.ts'
import { BadRequestException, NotLeaderException } from '../../../src/herder/herder.ts'
import { silentLogger } from '../../../src/logger.ts'
import { type ClusterConfigState, MemoryConfigBackingStore } from '../../../src/storage/config-store.ts'

const SOURCE = { 'connector.class': 'FileStreamSource', topic: 't' }
const SINK = { 'connector.class': 'FileStreamSink', topics: 't' }

/** What the admin client was asked to fence, with the task count recorded at that moment. */
interface FenceCall {
  ids: string[]
  recordedThen: number | null
}

/** A leader over an in-memory config store; `fence` is the admin's fenceProducers, which a test may hold or fail. */
function leader(options: { leader?: boolean; refresh?: () => Promise<void> } = {}) {
  const store = new MemoryConfigBackingStore()
  const calls: FenceCall[] = []
  let fence: (ids: string[]) => Promise<void> = async () => {}
  let queue: Promise<unknown> = Promise.resolve()
  let snapshot: ClusterConfigState = store.snapshot()
  const host: ZombieFencingHost = {
    log: silentLogger(),
    groupId: 'g',
    syncTimeoutMs: 1000,
    store: {
      contains: (c) => store.contains(c),
      snapshot: () => store.snapshot(),
      putTaskCountRecord: (c, n) => store.putTaskCountRecord(c, n),
      refresh: options.refresh ?? (() => store.refresh()),
    },
    // The herder's serial queue: one operation at a time, in order.
    serial: <T>(fn: () => Promise<T>) => {
      const next = queue.then(fn, fn)
      queue = next.catch(() => {})
      return next
    },
    isLeader: () => options.leader ?? true,
    leaderUrl: () => 'http://leader:8083/',
    snapshot: () => snapshot,
    refreshed: (s) => {
      snapshot = s
    },
    isSource: (config) => config['connector.class'] !== 'FileStreamSink',
    fenceProducers: (_config, connector, ids) => {
      calls.push({ ids, recordedThen: store.snapshot().taskCountRecord(connector) })
      return fence(ids)
    },
  }
  const fencings = new ZombieFencings(host)
  return {
    store,
    calls,
    fencings,
    /** The herder's snapshot follows the store (as it does once the config topic is read). */
    read: () => {
      snapshot = store.snapshot()
    },
    setFence: (f: (ids: string[]) => Promise<void>) => {
      fence = f
    },
  }
}

/** A connector with `tasks` task configs (a new generation, pending fencing), and optionally a task count record. */
async function connector(store: MemoryConfigBackingStore, name: string, tasks: number, recorded?: number) {
  if (!store.contains(name)) await store.putConnectorConfig(name, SOURCE, 'STARTED')
  if (recorded !== undefined) {
    await store.putTaskConfigs(
      name,
      Array.from({ length: recorded }, () => ({ topic: 't' })),
    )
    await store.putTaskCountRecord(name, recorded)
  }
  await store.putTaskConfigs(
    name,
    Array.from({ length: tasks }, () => ({ topic: 't' })),
  )
}

/** A promise that a test resolves or rejects itself. */
function held() {
  let resolve!: () => void
  let reject!: (e: unknown) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

test('the first generation with exactly-once support: no fencing, the task count record is written', async () => {
  const l = leader()
  await connector(l.store, 'c', 2)
  l.read()
  assert.equal(l.store.snapshot().pendingFencing('c'), true)
  await l.fencings.fence('c')
  assert.deepEqual(l.calls, [])
  assert.equal(l.store.snapshot().taskCountRecord('c'), 2)
  assert.equal(l.store.snapshot().pendingFencing('c'), false)
})

test('one task before and one now: no fencing (the new producer fences the old by its id), only the record', async () => {
  const l = leader()
  await connector(l.store, 'c', 1, 1)
  l.read()
  await l.fencings.fence('c')
  assert.deepEqual(l.calls, [])
  assert.equal(l.store.snapshot().taskCountRecord('c'), 1)
  assert.equal(l.store.snapshot().pendingFencing('c'), false)
})

test('a new generation: the producers of every task of the recorded count are fenced, then the new count recorded', async () => {
  const l = leader()
  await connector(l.store, 'c', 3, 2)
  l.read()
  await l.fencings.fence('c')
  // Fenced while the old count was still the record: the record follows the fencing, never precedes it.
  assert.deepEqual(l.calls, [{ ids: ['g-c-0', 'g-c-1'], recordedThen: 2 }])
  assert.equal(l.store.snapshot().taskCountRecord('c'), 3)
  assert.equal(l.store.snapshot().pendingFencing('c'), false)

  // Down to one task: the 3 of the record are fenced (1 -> 1 is the only case left to the producers).
  await connector(l.store, 'c', 1)
  l.read()
  await l.fencings.fence('c')
  assert.deepEqual(l.calls[1], { ids: ['g-c-0', 'g-c-1', 'g-c-2'], recordedThen: 3 })
  assert.equal(l.store.snapshot().taskCountRecord('c'), 1)
})

test('generations already fenced: nothing is fenced or written again', async () => {
  const l = leader()
  await connector(l.store, 'c', 3, 2)
  await l.store.putTaskCountRecord('c', 3)
  l.read()
  const before = l.store.snapshot().taskCountRecord('c')
  await l.fencings.fence('c')
  assert.deepEqual(l.calls, [])
  assert.equal(before, 3)
  assert.equal(l.store.snapshot().taskCountRecord('c'), 3)
})

test('a follower answers NotLeaderException with the leader URL (the worker forwards PUT /connectors/{c}/fence)', async () => {
  const l = leader({ leader: false })
  await connector(l.store, 'c', 3, 2)
  l.read()
  await assert.rejects(l.fencings.fence('c'), (e: unknown) => {
    assert.ok(e instanceof NotLeaderException)
    assert.equal(e.message, 'Only the leader may perform zombie fencing.')
    assert.equal(e.forwardUrl, 'http://leader:8083/')
    return true
  })
  assert.deepEqual(l.calls, [])
})

test('an unknown connector is 404 and a sink connector 400, with Apache’s messages', async () => {
  const l = leader()
  await assert.rejects(l.fencings.fence('nope'), (e: unknown) => {
    assert.ok(e instanceof NotFoundException)
    assert.equal(e.message, 'Connector nope not found')
    return true
  })
  await l.store.putConnectorConfig('s', SINK, 'STARTED')
  l.read()
  await assert.rejects(l.fencings.fence('s'), (e: unknown) => {
    assert.ok(e instanceof BadRequestException)
    assert.equal(e.message, 'Connector s is not a source connector')
    return true
  })
})

test('requests for one connector while a round is under way share it: one fencing, one record', async () => {
  const l = leader()
  await connector(l.store, 'c', 3, 2)
  l.read()
  const admin = held()
  l.setFence(() => admin.promise)
  const first = l.fencings.fence('c')
  const second = l.fencings.fence('c')
  await new Promise((r) => setImmediate(r))
  admin.resolve()
  await Promise.all([first, second])
  assert.equal(l.calls.length, 1)
  assert.equal(l.store.snapshot().taskCountRecord('c'), 3)
})

test('new task configs during a round fail it with 409 and record nothing; the next request fences the newest', async () => {
  const l = leader()
  await connector(l.store, 'c', 3, 2)
  l.read()
  const admin = held()
  l.setFence(() => admin.promise)
  const round = l.fencings.fence('c')
  await new Promise((r) => setImmediate(r))
  // The herder reads new task configs from the config topic: its listener tells the fencings.
  await l.store.putTaskConfigs('c', [{}, {}, {}, {}])
  l.fencings.taskConfigsChanged('c')
  await assert.rejects(round, (e: unknown) => {
    assert.ok(e instanceof FencingConflictException)
    assert.equal(e.statusCode, 409)
    assert.equal(e.message, 'Failed to complete zombie fencing because a new set of task configs was generated')
    return true
  })
  admin.resolve()
  await new Promise((r) => setImmediate(r))
  assert.equal(l.store.snapshot().taskCountRecord('c'), 2, 'nothing recorded for the overtaken round')
  l.setFence(async () => {})
  await l.fencings.fence('c')
  assert.deepEqual(l.calls.at(-1)?.ids, ['g-c-0', 'g-c-1'])
  assert.equal(l.store.snapshot().taskCountRecord('c'), 4)
})

test('new task configs written but not yet signalled: the generation check after fencing fails the round with 409', async () => {
  const l = leader()
  await connector(l.store, 'c', 3, 2)
  l.read()
  l.setFence(async () => {
    // Another leader's write the listener has not reported yet: the refresh after fencing sees it.
    await l.store.putTaskConfigs('c', [{}, {}])
  })
  await assert.rejects(l.fencings.fence('c'), (e: unknown) => {
    assert.ok(e instanceof FencingConflictException)
    assert.equal(e.message, 'Fencing failed because new task configurations were generated for the connector')
    return true
  })
  assert.equal(l.store.snapshot().taskCountRecord('c'), 2)
  assert.equal(l.store.snapshot().pendingFencing('c'), true)
})

test('a failed fencing is reported to every caller of the round, records nothing, and is tried again on the next request', async () => {
  const l = leader()
  await connector(l.store, 'c', 3, 2)
  l.read()
  const admin = held()
  l.setFence(() => admin.promise)
  const first = l.fencings.fence('c')
  const second = l.fencings.fence('c')
  await new Promise((r) => setImmediate(r))
  admin.reject(new Error('Timed out waiting for a node assignment. Call: fenceProducers'))
  for (const caller of [first, second]) {
    await assert.rejects(caller, (e: unknown) => {
      assert.ok(e instanceof ConnectException)
      assert.equal(e.message, 'Failed to perform zombie fencing for connector c')
      assert.match(String((e.cause as Error).message), /fenceProducers/)
      return true
    })
  }
  assert.equal(l.store.snapshot().taskCountRecord('c'), 2)
  assert.equal(l.store.snapshot().pendingFencing('c'), true, 'still pending: no task of the new generation may start')
  // Not retried by the leader on its own (as Apache): the next request (the task restarted) starts a new round.
  assert.equal(l.calls.length, 1)
  l.setFence(async () => {})
  await l.fencings.fence('c')
  assert.equal(l.calls.length, 2)
  assert.equal(l.store.snapshot().taskCountRecord('c'), 3)
})

test('the config topic not read to its end: the round fails before fencing, naming it', async () => {
  const l = leader({
    refresh: async () => {
      throw new Error('Timed out')
    },
  })
  await connector(l.store, 'c', 3, 2)
  l.read()
  await assert.rejects(l.fencings.fence('c'), (e: unknown) => {
    assert.ok(e instanceof ConnectException)
    assert.equal(e.message, 'Failed to read to end of config topic before performing zombie fencing')
    return true
  })
  assert.deepEqual(l.calls, [])
})
