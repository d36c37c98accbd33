/**
 * The conformance suite every connector passes, Ferry's built-ins and third parties' alike (as every Benthos
 * component passes the same suite): `connectorConformance(t, options)` runs its checks as subtests of `t`.
 *
 * - `version()`: a non-empty string, for the connector and its task class;
 * - `config()`: a `ConfigDef`, the same keys on every call, each key documented, its default valid;
 * - `validate()`: the valid config has no error on any key and every key of `config()` is reported; a config
 *   without the required keys reports each of them; `invalid` reports its error on its key;
 * - `start`/`stop`: stop before start, twice after start, and a start again after a stop all work;
 * - `taskConfigs(n)`: at most n configs (n = 1, 2, 5, as `tasks.max`), string values only;
 * - a task stopped in the middle of a `poll` (source) or `put` (sink) ends it within `stopTimeoutMs`;
 * - offsets round-trip: a source task's partitions and offsets survive the offset store's JSON, and a task started
 *   from them does not emit the records they cover again; a sink task's `preCommit` commits no further than the
 *   records it was given, and only for its assigned partitions.
 *
 * A check that needs the external system (start, tasks) runs only when `options.running` is not false: a connector
 * whose system is not at hand in a test still has its config, validation and version checked.
 */
import assert from 'node:assert/strict'
import {
  ConfigDef,
  type Connector,
  type OffsetMap,
  type PartitionOffsets,
  SinkConnector,
  SinkRecord,
  type SinkTask,
  SourceConnector,
  type SourceRecord,
  type SourceTask,
  type Task,
} from '@ferry/api'
import { MemoryOffsetBackingStore } from '@ferry/runtime'
import {
  offsetStorageReader,
  TestConnectorContext,
  TestSinkTaskContext,
  TestSourceTaskContext,
} from './task-contexts.ts'
import { runSourceTask, type SourceOffsets } from './task-runners.ts'

/** Where the checks run as subtests: node:test's `TestContext` (or anything with its `test`). */
export interface Subtests {
  test(name: string, fn: () => void | Promise<void>): Promise<unknown>
}

export interface ConnectorConformanceOptions {
  /** A new, unstarted connector each call. */
  create: () => Connector
  /** A valid config, as a connector file holds it (the connector's own keys; `name` and `tasks.max` may be added). */
  config: Record<string, string>
  /** A config with a bad value, and the key `validate` must report it on. */
  invalid?: { config: Record<string, string>; key: string }
  /**
   * Whether the connector and its tasks can start here (default true). False when they need an external system the
   * test does not have: start/stop, task configs and the task checks are then left out.
   */
  running?: boolean
  /**
   * Keys on which `validate` may report that the external system cannot be reached, when `running` is false (a
   * connector that checks its connection while validating, such as Elasticsearch's `connection.url`).
   */
  unreachable?: string[]
  /** How long a task may take to end a pending `poll` or `put` once stopped (default 5000 ms). */
  stopTimeoutMs?: number
  /**
   * Sinks: the records `put` gets (default: three STRING records on one partition of a random topic). Sources: how
   * many records the offsets check polls before it restarts the task (default: whatever the first poll with records
   * returns); the config must give the source something to read.
   */
  sinkRecords?: () => SinkRecord[]
  sourceRecords?: number
}

/** Runs the connector conformance checks as subtests of `t`. */
export async function connectorConformance(t: Subtests, options: ConnectorConformanceOptions): Promise<void> {
  const create = options.create
  const config = { name: `conformance-${Math.random().toString(36).slice(2, 10)}`, ...options.config }
  const running = options.running ?? true
  const stopTimeoutMs = options.stopTimeoutMs ?? 5000

  await t.test('version() is a non-empty string, for the connector and its task', () => {
    const connector = create()
    assert.ok(connector instanceof SourceConnector || connector instanceof SinkConnector, 'a source or a sink')
    assertVersion(connector.version(), `${connector.constructor.name}.version()`)
    const task = new (connector.taskClass())() as Task
    assertVersion(task.version(), `${task.constructor.name}.version()`)
  })

  await t.test('config() is a valid ConfigDef: the same keys each call, each documented, each default valid', () => {
    const connector = create()
    const def = connector.config()
    assert.ok(def instanceof ConfigDef, 'config() must return a ConfigDef')
    assert.deepEqual([...create().config().names()].sort(), [...def.names()].sort(), 'config() keys differ per call')
    for (const [name, key] of def.configKeys()) {
      assert.ok(name.trim().length > 0, 'a key has an empty name')
      assert.ok(
        typeof key.documentation === 'string' && key.documentation.trim() !== '',
        `${name} has no documentation`,
      )
      if (key.hasDefault() && key.defaultValue !== null && key.validator) {
        assert.doesNotThrow(
          () => key.validator!.ensureValid(name, def.parseValue(key, key.defaultValue, false)),
          `the default of ${name} fails its own validator`,
        )
      }
      for (const dependent of key.dependents) {
        assert.ok(def.names().has(dependent), `${name} names an undefined dependent key ${dependent}`)
      }
    }
    assert.doesNotThrow(() => def.parse(config), 'the valid config does not parse')
  })

  await t.test('validate() accepts the valid config and reports on every key', async () => {
    const connector = create()
    const result = await connector.validate({ ...config })
    const byName = new Map(result.configValues.map((v) => [v.name, v]))
    for (const name of connector.config().names()) assert.ok(byName.has(name), `validate() leaves out ${name}`)
    const allowed = running ? [] : (options.unreachable ?? [])
    const errors = result.configValues.filter((v) => v.errorMessages.length > 0 && !allowed.includes(v.name))
    assert.deepEqual(
      errors.map((v) => `${v.name}: ${v.errorMessages.join('; ')}`),
      [],
      'the valid config has errors',
    )
  })

  await t.test('validate() reports each missing required key, and a bad value on its key', async () => {
    const connector = create()
    const required = [...connector.config().configKeys()].filter(([, k]) => !k.hasDefault()).map(([n]) => n)
    const result = await connector.validate({})
    for (const name of required) {
      const value = result.configValues.find((v) => v.name === name)
      assert.ok(value && value.errorMessages.length > 0, `validate({}) does not report the missing ${name}`)
    }
    if (options.invalid) {
      const bad = await create().validate({ name: config.name, ...options.invalid.config })
      const value = bad.configValues.find((v) => v.name === options.invalid!.key)
      assert.ok(value && value.errorMessages.length > 0, `validate() reports nothing on ${options.invalid.key}`)
    }
  })

  if (!running) return

  await t.test('start() and stop() are idempotent: stop before start, stop twice, start again after stop', async () => {
    const connector = create()
    const context = new TestConnectorContext()
    connector.initialize(context)
    await connector.stop()
    await connector.start({ ...config })
    await connector.stop()
    await connector.stop()
    await connector.start({ ...config })
    await connector.stop()
    assert.deepEqual(context.errors, [], 'the connector raised errors')
  })

  await t.test('taskConfigs(tasks.max) gives at most tasks.max configs of strings', async () => {
    const connector = create()
    connector.initialize(new TestConnectorContext())
    await connector.start({ ...config })
    try {
      for (const max of [1, 2, 5]) {
        const configs = await connector.taskConfigs(max)
        assert.ok(Array.isArray(configs), 'taskConfigs() must return an array')
        assert.ok(configs.length <= max, `taskConfigs(${max}) gave ${configs.length} configs`)
        for (const c of configs) {
          for (const [k, v] of Object.entries(c)) assert.equal(typeof v, 'string', `task config ${k} is not a string`)
        }
      }
    } finally {
      await connector.stop()
    }
  })

  if (create() instanceof SourceConnector) {
    await t.test('a source task stopped during poll() ends the poll soon, without an error', async () => {
      const { task, stopConnector } = await startSourceTask(create(), config)
      try {
        // Drain what is there, so the last poll is one that waits for more.
        for (let i = 0; i < 5; i++) if (((await task.poll()) ?? []).length === 0) break
        const polling = task.poll()
        await task.stop()
        const result = await within(polling, stopTimeoutMs, 'poll() after stop()')
        assert.ok(result === null || Array.isArray(result), 'poll() must resolve with records or null')
      } finally {
        await stopConnector()
      }
    })

    await t.test(
      'source offsets round-trip: a task started from the committed offsets does not repeat records',
      async () => {
        const first = await runSourceTask(create(), {
          config,
          ...(options.sourceRecords === undefined ? {} : { count: options.sourceRecords }),
        })
        const seen = new Set(first.polled.map(offsetId))
        assert.ok(first.offsets.length > 0, 'the source records carry no source partition and offset')
        for (const [partition, offset] of first.offsets) assertOffsetMap(partition, offset)
        const again = await pollOnce(create(), config, first.offsets)
        const repeated = again.filter((r) => seen.has(offsetId(r)))
        assert.deepEqual(repeated.map(offsetId), [], 'records already committed were emitted again')
      },
    )
  } else {
    const records = options.sinkRecords ?? defaultSinkRecords
    await t.test('a sink task stopped during put() ends the put soon', async () => {
      const { task, stopConnector } = await startSinkTask(create(), config, records())
      try {
        const putting = task.put(records())
        await task.stop()
        await within(
          putting.catch(() => {}),
          stopTimeoutMs,
          'put() after stop()',
        )
      } finally {
        await stopConnector()
      }
    })

    await t.test(
      'sink offsets: preCommit() commits no further than the records put, for assigned partitions',
      async () => {
        const batch = records()
        const { task, context, stopConnector } = await startSinkTask(create(), config, batch)
        try {
          await task.put(batch)
          const current: PartitionOffsets = new Map()
          for (const r of batch) {
            const key = `${r.topic}:${r.kafkaPartition}`
            const next = Math.max(current.get(key)?.offset ?? 0, r.kafkaOffset + 1)
            current.set(key, { topic: r.topic, partition: r.kafkaPartition ?? 0, offset: next })
          }
          const committed = await task.preCommit(new Map(current))
          const assigned = new Set(context.assigned.map((tp) => `${tp.topic}:${tp.partition}`))
          for (const [key, { offset }] of committed) {
            assert.ok(assigned.has(key), `preCommit() commits ${key}, which is not assigned`)
            assert.ok(offset <= current.get(key)!.offset, `preCommit() commits ${key} at ${offset}, past the records`)
          }
          await task.close(context.assigned)
        } finally {
          await task.stop()
          await stopConnector()
        }
      },
    )
  }
}

function assertVersion(version: unknown, what: string): void {
  assert.equal(typeof version, 'string', `${what} must return a string`)
  assert.ok((version as string).trim().length > 0, `${what} is empty`)
}

const OFFSET_TYPES = new Set(['string', 'number', 'boolean', 'bigint'])

function assertOffsetMap(...maps: OffsetMap[]): void {
  for (const map of maps) {
    for (const [k, v] of Object.entries(map)) {
      assert.ok(v === null || OFFSET_TYPES.has(typeof v), `source partition/offset field ${k} is a ${typeof v}`)
    }
  }
}

function offsetId(record: SourceRecord): string {
  const plain = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x))
  return `${plain(record.sourcePartition)} ${plain(record.sourceOffset)}`
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function startSourceTask(connector: Connector, config: Record<string, string>, offsets: SourceOffsets = []) {
  const store = new MemoryOffsetBackingStore()
  await store.set(config.name!, offsets)
  const reader = offsetStorageReader(store, config.name!)
  connector.initialize(new TestConnectorContext(reader))
  await connector.start({ ...config })
  const props = (await connector.taskConfigs(1))[0] ?? {}
  const task = new (connector.taskClass())() as SourceTask
  task.initialize(new TestSourceTaskContext(props, reader))
  await task.start(props)
  return { task, stopConnector: () => connector.stop() }
}

/** Polls a task started from `offsets` until it has polled twice with nothing new or returned records once. */
async function pollOnce(connector: Connector, config: Record<string, string>, offsets: SourceOffsets) {
  const { task, stopConnector } = await startSourceTask(connector, config, offsets)
  try {
    for (let i = 0; i < 2; i++) {
      const records = (await task.poll()) ?? []
      if (records.length > 0) return records
    }
    return []
  } finally {
    await task.stop()
    await stopConnector()
  }
}

async function startSinkTask(connector: Connector, config: Record<string, string>, records: SinkRecord[]) {
  connector.initialize(new TestConnectorContext())
  await connector.start({ ...config })
  const props = (await connector.taskConfigs(1))[0] ?? {}
  const task = new (connector.taskClass())() as SinkTask
  const context = new TestSinkTaskContext(props)
  context.assigned = [...new Set(records.map((r) => `${r.topic}\0${r.kafkaPartition ?? 0}`))].map((k) => {
    const [topic, partition] = k.split('\0')
    return { topic: topic!, partition: Number(partition) }
  })
  task.initialize(context)
  await task.start(props)
  await task.open(context.assigned)
  return { task, context, stopConnector: () => connector.stop() }
}

function defaultSinkRecords(): SinkRecord[] {
  const topic = `conformance-${Math.random().toString(36).slice(2, 10)}`
  return ['one', 'two', 'three'].map(
    (value, i) => new SinkRecord(topic, 0, null, null, null, value, i, 1_700_000_000_000 + i, 'CreateTime'),
  )
}
