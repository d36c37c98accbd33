// The StatusBackingStore contract, run against every implementation (memory in status-store.test.ts, Kafka in
// kafka-status-store.integration.test.ts).
import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import type { ConnectorStatus, StatusBackingStore, TaskStatus } from '../../src/storage/status-store.ts'

/** Opens a started store that is stopped when `t` ends. */
export type OpenStatusStore = (t: TestContext) => Promise<StatusBackingStore>

/** Waits until the getters show every put so far. */
async function settle(store: StatusBackingStore): Promise<void> {
  await store.flush()
  await store.refresh(10_000)
}

const connector = (
  name: string,
  state: ConnectorStatus['state'],
  workerId = 'w1:8083',
  generation = 1,
): ConnectorStatus => ({ connector: name, state, trace: null, workerId, generation, version: null })

const task = (
  name: string,
  n: number,
  state: TaskStatus['state'],
  workerId = 'w1:8083',
  generation = 1,
): TaskStatus => ({
  id: { connector: name, task: n },
  state,
  trace: null,
  workerId,
  generation,
  version: null,
})

export function statusBackingStoreContract(kind: string, open: OpenStatusStore): void {
  test(`${kind} status store: statuses are read back as put, tasks in task order`, async (t) => {
    const store = await open(t)
    store.putConnector({ ...connector('c', 'FAILED'), trace: 'Error: boom', version: '1.2' })
    store.putTask(task('c', 2, 'RUNNING'))
    store.putTask(task('c', 0, 'PAUSED'))
    store.putTask(task('only-tasks', 0, 'RUNNING'))
    await settle(store)
    assert.deepEqual(store.getConnector('c'), { ...connector('c', 'FAILED'), trace: 'Error: boom', version: '1.2' })
    assert.deepEqual(store.getTask({ connector: 'c', task: 2 }), task('c', 2, 'RUNNING'))
    assert.deepEqual(store.getAll('c'), [task('c', 0, 'PAUSED'), task('c', 2, 'RUNNING')])
    assert.equal(store.getConnector('missing'), null)
    assert.equal(store.getTask({ connector: 'c', task: 1 }), null)
    assert.deepEqual(store.getAll('missing'), [])
    // Connectors with a connector status: a task status alone does not count.
    assert.deepEqual(store.connectors(), ['c'])
  })

  test(`${kind} status store: DESTROYED removes a task’s status, and a connector’s with its tasks’`, async (t) => {
    const store = await open(t)
    store.putConnector(connector('c', 'RUNNING'))
    store.putTask(task('c', 0, 'RUNNING'))
    store.putTask(task('c', 1, 'RUNNING'))
    await settle(store)
    store.putTask(task('c', 1, 'DESTROYED'))
    await settle(store)
    assert.deepEqual(
      store.getAll('c').map((s) => s.id.task),
      [0],
    )
    store.putConnector(connector('c', 'DESTROYED'))
    await settle(store)
    assert.equal(store.getConnector('c'), null)
    assert.deepEqual(store.getAll('c'), [])
    assert.deepEqual(store.connectors(), [])
  })

  test(`${kind} status store: a safe put is skipped only when another worker wrote a newer generation`, async (t) => {
    const store = await open(t)
    store.putConnector(connector('c', 'RUNNING', 'w2:8083', 10))
    store.putTask(task('c', 0, 'RUNNING', 'w2:8083', 10))
    await settle(store)
    store.putConnectorSafe(connector('c', 'UNASSIGNED', 'w1:8083', 9))
    store.putTaskSafe(task('c', 0, 'FAILED', 'w1:8083', 9))
    await settle(store)
    assert.deepEqual(store.getConnector('c'), connector('c', 'RUNNING', 'w2:8083', 10))
    assert.deepEqual(store.getTask({ connector: 'c', task: 0 }), task('c', 0, 'RUNNING', 'w2:8083', 10))
    store.putConnectorSafe(connector('c', 'UNASSIGNED', 'w1:8083', 10))
    store.putTaskSafe(task('c', 0, 'FAILED', 'w2:8083', 3))
    await settle(store)
    assert.deepEqual(store.getConnector('c'), connector('c', 'UNASSIGNED', 'w1:8083', 10))
    assert.deepEqual(store.getTask({ connector: 'c', task: 0 }), task('c', 0, 'FAILED', 'w2:8083', 3))
  })

  test(`${kind} status store: a connector’s active topics are kept per connector until deleted`, async (t) => {
    const store = await open(t)
    const topic = (name: string, c = 'c') => ({ topic: name, connector: c, task: 1, discoverTimestamp: 1700000000123 })
    store.putTopic(topic('a'))
    store.putTopic(topic('b'))
    store.putTopic(topic('a', 'other'))
    await settle(store)
    assert.deepEqual(store.getTopic('c', 'a'), topic('a'))
    assert.equal(store.getTopic('c', 'z'), null)
    assert.deepEqual(
      store
        .getAllTopics('c')
        .map((s) => s.topic)
        .sort(),
      ['a', 'b'],
    )
    store.deleteTopic('c', 'a')
    await settle(store)
    assert.equal(store.getTopic('c', 'a'), null)
    assert.deepEqual(store.getAllTopics('c'), [topic('b')])
    assert.deepEqual(store.getAllTopics('other'), [topic('a', 'other')])
  })
}
