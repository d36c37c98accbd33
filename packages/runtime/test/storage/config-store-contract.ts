// The ConfigBackingStore contract, run against every implementation (memory in config-store.test.ts, Kafka in
// kafka-config-store.integration.test.ts).
import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import type { ConfigBackingStore, ConfigUpdateListener } from '../../src/storage/config-store.ts'

/** Opens a started store that is stopped when `t` ends. */
export type OpenConfigStore = (t: TestContext) => Promise<ConfigBackingStore>

/** Records what the store tells its listener, one line per call. */
export function recordingListener(): ConfigUpdateListener & { events: string[] } {
  const events: string[] = []
  return {
    events,
    onConnectorConfigRemove: (c) => events.push(`remove ${c}`),
    onConnectorConfigUpdate: (c) => events.push(`update ${c}`),
    onTaskConfigUpdate: (tasks) => events.push(`tasks ${tasks.map((id) => `${id.connector}-${id.task}`).join(',')}`),
    onConnectorTargetStateChange: (c) => events.push(`target ${c}`),
    onSessionKeyUpdate: (k) => events.push(`session ${k.algorithm}`),
    onRestartRequest: (r) => events.push(`restart ${r.connector} ${r.includeTasks} ${r.onlyFailed}`),
    onLoggingLevelUpdate: (ns, level) => events.push(`logger ${ns} ${level}`),
  }
}

/** Opens a store with a recording listener; `settle` waits until the snapshot shows every write so far. */
async function openWithListener(t: TestContext, open: OpenConfigStore) {
  const store = await open(t)
  const listener = recordingListener()
  store.setUpdateListener(listener)
  return { store, events: listener.events, settle: () => store.refresh(10_000) }
}

export function configBackingStoreContract(kind: string, open: OpenConfigStore): void {
  test(`${kind} config store: a new connector starts in the target state given, and an update keeps it and its tasks`, async (t) => {
    const { store, events, settle } = await openWithListener(t, open)
    await store.putConnectorConfig('paused', { 'connector.class': 'A', 'tasks.max': '2' }, 'PAUSED')
    await store.putConnectorConfig('started', { 'connector.class': 'B', 'nullable.key': null })
    await store.putTaskConfigs('paused', [{ t: '0' }])
    await store.putConnectorConfig('paused', { 'connector.class': 'A', 'tasks.max': '3' })
    await settle()
    const snapshot = store.snapshot()
    assert.deepEqual(snapshot.connectors().sort(), ['paused', 'started'])
    assert.ok(store.contains('paused') && !store.contains('missing'))
    assert.equal(snapshot.targetState('paused'), 'PAUSED')
    assert.equal(snapshot.targetState('started'), 'STARTED')
    assert.deepEqual(snapshot.connectorConfig('paused'), { 'connector.class': 'A', 'tasks.max': '3' })
    assert.deepEqual(snapshot.connectorConfig('started'), { 'connector.class': 'B', 'nullable.key': null })
    assert.deepEqual(snapshot.tasks('paused'), [{ connector: 'paused', task: 0 }])
    // The tasks were made from the config before the update.
    assert.deepEqual(snapshot.appliedConnectorConfig('paused'), { 'connector.class': 'A', 'tasks.max': '2' })
    assert.equal(snapshot.connectorConfig('missing'), null)
    assert.deepEqual(events, ['update paused', 'update started', 'tasks paused-0', 'update paused'])
  })

  test(`${kind} config store: task configs replace the previous set as a whole`, async (t) => {
    const { store, events, settle } = await openWithListener(t, open)
    await store.putConnectorConfig('c', { 'connector.class': 'A' }, 'STARTED')
    await store.putTaskConfigs('c', [{ t: '0' }, { t: '1', gone: null }])
    await settle()
    let snapshot = store.snapshot()
    assert.equal(snapshot.taskCount('c'), 2)
    assert.deepEqual(snapshot.taskConfig({ connector: 'c', task: 1 }), { t: '1', gone: null })
    assert.deepEqual(snapshot.appliedConnectorConfig('c'), { 'connector.class': 'A' })
    await store.putTaskConfigs('c', [])
    await settle()
    snapshot = store.snapshot()
    assert.equal(snapshot.taskCount('c'), 0)
    assert.deepEqual(snapshot.tasks('c'), [])
    assert.deepEqual(events, ['update c', 'tasks c-0,c-1', 'tasks '])
  })

  test(`${kind} config store: a target state change is told, and removing a connector drops everything of it`, async (t) => {
    const { store, events, settle } = await openWithListener(t, open)
    await store.putConnectorConfig('c', { 'connector.class': 'A' }, 'STARTED')
    await store.putTaskConfigs('c', [{ t: '0' }])
    await store.putTargetState('c', 'STOPPED')
    await settle()
    assert.equal(store.snapshot().targetState('c'), 'STOPPED')
    await store.removeConnectorConfig('c')
    await settle()
    const snapshot = store.snapshot()
    assert.ok(!store.contains('c'))
    assert.deepEqual(snapshot.connectors(), [])
    assert.equal(snapshot.connectorConfig('c'), null)
    assert.equal(snapshot.targetState('c'), null)
    assert.deepEqual(snapshot.tasks('c'), [])
    assert.equal(snapshot.taskConfig({ connector: 'c', task: 0 }), null)
    assert.deepEqual(events, ['update c', 'tasks c-0', 'target c', 'remove c'])
  })

  test(`${kind} config store: session keys, restart requests and cluster logger levels reach the listener`, async (t) => {
    const { store, events, settle } = await openWithListener(t, open)
    const key = { key: Buffer.from('0123456789abcdef'), algorithm: 'HmacSHA256', creationTimestamp: 1700000000000 }
    await store.putConnectorConfig('c', { 'connector.class': 'A' })
    await store.putSessionKey(key)
    await store.putRestartRequest({ connector: 'c', includeTasks: true, onlyFailed: false })
    await store.putLoggerLevel('org.example', 'DEBUG')
    await store.putTaskCountRecord('c', 3)
    await settle()
    const snapshot = store.snapshot()
    assert.deepEqual(snapshot.sessionKey, key)
    assert.equal(snapshot.taskCountRecord('c'), 3)
    assert.deepEqual(events, ['update c', 'session HmacSHA256', 'restart c true false', 'logger org.example DEBUG'])
  })
}
