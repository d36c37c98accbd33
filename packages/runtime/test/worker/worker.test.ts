// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests write provider references, ${provider:path:key}, literally
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import {
  ConfigDef,
  ConnectException,
  getLogger,
  SinkConnector,
  SinkTask,
  SourceConnector,
  type SourceRecord,
  SourceTask,
  type TaskClass,
} from '@ferry/api'
import { builtinRegistry, distributedWorkerProps, tempDir } from '@ferry/testing'
import {
  configProvidersFromWorkerConfig,
  EnvVarConfigProvider,
  WorkerConfigTransformer,
} from '../../src/config/config-providers.ts'
import { parseWorkerConfig } from '../../src/config/worker-config.ts'
import { createLogger, silentLogger } from '../../src/logger.ts'
import { MemoryOffsetBackingStore } from '../../src/storage/offset-store.ts'
import type { ConnectorStoreFactory } from '../../src/worker/connector-offset-stores.ts'
import { sinkTaskInstanceId, Worker } from '../../src/worker/worker.ts'
import type { ConnectorTaskId } from '../../src/worker/worker-task.ts'

class NoopTask extends SinkTask {
  version(): string {
    return '1'
  }
  start(): void {}
  async put(): Promise<void> {}
  stop(): void {}
}

/** A sink connector that fails to start with an error quoting its `token` (as a careless plugin might). */
class QuotingConnector extends SinkConnector {
  version(): string {
    return '1'
  }
  start(props: Record<string, string>): void {
    throw new Error(`login refused for token ${props.token}`)
  }
  taskClass(): TaskClass {
    return NoopTask
  }
  taskConfigs(): Record<string, string>[] {
    return []
  }
  stop(): void {}
  config(): ConfigDef {
    return new ConfigDef().define({ name: 'api.secret', type: 'PASSWORD', importance: 'HIGH', documentation: 'x' })
  }
}

/** A worker with `file` and `env` providers; `dir` holds secrets.properties with a token. */
async function worker(t: Parameters<typeof tempDir>[0], env: Record<string, string> = {}) {
  const dir = await tempDir(t)
  const secret = `tok-${Math.random().toString(36).slice(2)}`
  await writeFile(join(dir, 'secrets.properties'), `token=${secret}\n`)
  const props = {
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'offset.storage.file.filename': join(dir, 'offsets'),
    'config.providers': 'file,env',
    'config.providers.file.class': 'FileConfigProvider',
    'config.providers.file.param.allowed.paths': dir,
    'config.providers.env.class': 'EnvVarConfigProvider',
  }
  const providers = configProvidersFromWorkerConfig(props)
  // The env provider reads the test's variables instead of the process's.
  const envProvider = new EnvVarConfigProvider(env)
  envProvider.configure({})
  providers.set('env', envProvider)
  const registry = (await builtinRegistry()).register({
    className: 'com.example.QuotingConnector',
    kind: ['sink'],
    create: () => new QuotingConnector(),
  })
  const w = new Worker(
    parseWorkerConfig(props, 'standalone'),
    registry,
    new MemoryOffsetBackingStore(),
    silentLogger(),
    {
      configTransformer: new WorkerConfigTransformer(providers),
    },
  )
  t.after(() => w.stop())
  return { worker: w, dir, secret, tokenRef: `\${file:${dir}/secrets.properties:token}` }
}

function connectorListener() {
  const events: Array<[string, string, Error?]> = []
  return {
    events,
    listener: {
      onStartup: (c: string) => events.push(['startup', c]),
      onPause: (c: string) => events.push(['pause', c]),
      onStop: (c: string) => events.push(['stop', c]),
      onFailure: (c: string, e: Error) => events.push(['failure', c, e]),
      onShutdown: (c: string) => events.push(['shutdown', c]),
    },
  }
}

function taskListener() {
  const failures: Array<[ConnectorTaskId, Error]> = []
  return {
    failures,
    listener: {
      onStartup: () => {},
      onPause: () => {},
      onResume: () => {},
      onFailure: (id: ConnectorTaskId, e: Error) => failures.push([id, e]),
      onShutdown: () => {},
    },
  }
}

test('a connector starts with resolved values, and its task configs come back with the references', async (t) => {
  const { worker: w, tokenRef } = await worker(t, { OUT: '/tmp/ferry-worker-test/out.txt' })
  const { events, listener } = connectorListener()
  const raw = {
    name: 'sink',
    'connector.class': 'FileStreamSink',
    topics: 't',
    file: '${env:OUT}',
    token: tokenRef,
  }
  assert.equal(await w.startConnector('sink', raw, 'STARTED', listener, () => {}), true)
  assert.deepEqual(
    events.map((e) => e.slice(0, 2)),
    [['startup', 'sink']],
  )
  assert.deepEqual(await w.connectorTaskConfigs('sink', 2), [
    { file: '${env:OUT}', 'task.class': 'org.apache.kafka.connect.file.FileStreamSinkTask', topics: 't' },
    { file: '${env:OUT}', 'task.class': 'org.apache.kafka.connect.file.FileStreamSinkTask', topics: 't' },
  ])
})

test('a reference that cannot be resolved fails the connector with a message naming it', async (t) => {
  const { worker: w, dir } = await worker(t)
  const { events, listener } = connectorListener()
  const ref = `\${file:${dir}/secrets.properties:nope}`
  const config = { name: 'c', 'connector.class': 'FileStreamSink', topics: 't', file: ref }
  assert.equal(await w.startConnector('c', config, 'STARTED', listener, () => {}), false)
  const failure = events.find((e) => e[0] === 'failure')
  assert.equal(failure?.[2]?.message, `Cannot resolve ${ref} in file: no key nope in ${dir}/secrets.properties`)
})

test('a STOPPED connector is not resolved, so a missing secret does not fail it', async (t) => {
  const { worker: w } = await worker(t)
  const { events, listener } = connectorListener()
  const config = { name: 'c', 'connector.class': 'FileStreamSink', topics: 't', file: '${env:UNSET}' }
  assert.equal(await w.startConnector('c', config, 'STOPPED', listener, () => {}), true)
  assert.deepEqual(
    events.map((e) => e[0]),
    ['stop'],
  )
})

test('a connector error that quotes a resolved secret reaches the status without it', async (t) => {
  const { worker: w, secret, tokenRef } = await worker(t)
  const { events, listener } = connectorListener()
  const config = { name: 'q', 'connector.class': 'com.example.QuotingConnector', topics: 't', token: tokenRef }
  assert.equal(await w.startConnector('q', config, 'STARTED', listener, () => {}), false)
  const error = events.find((e) => e[0] === 'failure')?.[2]
  assert.equal(error?.message, `login refused for token ${tokenRef}`)
  assert.ok(!error?.stack?.includes(secret), 'the trace has no secret either')
})

test('a plugin’s PASSWORD-typed values are hidden in errors, resolved or not', async (t) => {
  const { worker: w } = await worker(t)
  const { events, listener } = connectorListener()
  const config = {
    name: 'q',
    'connector.class': 'com.example.QuotingConnector',
    topics: 't',
    'api.secret': 'plain-api-secret',
    token: 'plain-api-secret',
  }
  await w.startConnector('q', config, 'STARTED', listener, () => {})
  assert.equal(events.find((e) => e[0] === 'failure')?.[2]?.message, 'login refused for token [hidden]')
})

test('a task whose config holds a reference that cannot be resolved fails naming the reference', async (t) => {
  const { worker: w } = await worker(t)
  const { failures, listener } = taskListener()
  const connectorConfig = { name: 'c', 'connector.class': 'FileStreamSink', topics: 't' }
  await w.startTask({ connector: 'c', task: 0 }, connectorConfig, { file: '${env:GONE}' }, 'STARTED', listener)
  assert.equal(failures.length, 1)
  assert.equal(failures[0]![1].message, 'Cannot resolve ${env:GONE} in file: the environment variable GONE is not set')
  assert.deepEqual(w.taskIds(), [])
})

/** A worker in distributed mode (no broker is contacted until a task's producer or a store needs one). */
async function distributedWorker(
  t: { after(fn: () => unknown): void },
  extra: Record<string, string> = {},
  connectorOffsetStore?: ConnectorStoreFactory,
): Promise<Worker> {
  const w = new Worker(
    parseWorkerConfig(
      {
        'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
        'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
        'group.id': 'g',
        'config.storage.topic': 'c',
        'offset.storage.topic': 'offsets',
        'status.storage.topic': 's',
        ...extra,
      },
      'distributed',
    ),
    await builtinRegistry(),
    new MemoryOffsetBackingStore(),
    silentLogger(),
    connectorOffsetStore ? { connectorOffsetStore } : {},
  )
  t.after(() => w.stop())
  return w
}

test('a source task whose setup fails after it took its offsets store releases the store', async (t) => {
  // A connector offsets topic: the store is the worker's to open and close (a fake that counts).
  const own: Array<{ starts: number; stops: number }> = []
  class CountingStore extends MemoryOffsetBackingStore {
    readonly counts = { starts: 0, stops: 0 }
    override async start(): Promise<void> {
      this.counts.starts++
    }
    override async stop(): Promise<void> {
      this.counts.stops++
    }
  }
  const w = await distributedWorker(t, {}, () => {
    const store = new CountingStore()
    own.push(store.counts)
    return store
  })
  const { failures, listener } = taskListener()
  // Topic creation groups are parsed after the store is taken: a bad value fails the setup there.
  const connectorConfig = {
    name: 'c',
    'connector.class': 'FileStreamSource',
    topic: 't',
    'offsets.storage.topic': 'own-offsets',
    'topic.creation.default.replication.factor': '1',
    'topic.creation.default.partitions': 'many',
  }
  await w.startTask({ connector: 'c', task: 0 }, connectorConfig, { topic: 't' }, 'STARTED', listener)
  assert.equal(failures.length, 1)
  assert.match(failures[0]![1].message, /topic\.creation\.default\.partitions/)
  assert.deepEqual(w.taskIds(), [])
  assert.deepEqual(own, [{ starts: 1, stops: 1 }])
})

test('an exactly-once source task whose zombie fencing fails is FAILED with the cause, before its producer takes its id', async (t) => {
  const w = await distributedWorker(t, { 'exactly.once.source.support': 'enabled' })
  const { failures, listener } = taskListener()
  const calls: string[] = []
  // What the distributed herder's preflight throws when the leader's round fails (not retried: the task fails).
  const fencing = new ConnectException('Failed to perform zombie fencing for connector c')
  await w.startTask(
    { connector: 'c', task: 0 },
    { name: 'c', 'connector.class': 'FileStreamSource', topic: 't', file: '/nonexistent' },
    { topic: 't', file: '/nonexistent' },
    'STARTED',
    listener,
    {
      preProducerCheck: async () => {
        calls.push('pre')
        throw fencing
      },
      postProducerCheck: async () => {
        calls.push('post')
      },
    },
  )
  const deadline = Date.now() + 10_000
  while (failures.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  assert.equal(failures.length, 1)
  assert.equal(failures[0]![1], fencing)
  // initTransactions (which would wait for a broker at localhost:9092) and the post-producer check never ran.
  assert.deepEqual(calls, ['pre'])
})

class ChattySourceTask extends SourceTask {
  readonly #log = getLogger('com.example.ChattySourceTask')
  version(): string {
    return '1'
  }
  start(): void {
    this.#log.info('chatty task starting')
  }
  async poll(): Promise<SourceRecord[] | null> {
    this.#log.info('chatty task polled')
    await new Promise((resolve) => setTimeout(resolve, 20))
    return null
  }
  stop(): void {
    this.#log.info('chatty task stopping')
  }
}

class ChattySourceConnector extends SourceConnector {
  readonly #log = getLogger('com.example.ChattySourceConnector')
  version(): string {
    return '1'
  }
  start(): void {
    this.#log.info('chatty connector starting')
  }
  taskClass(): TaskClass {
    return ChattySourceTask
  }
  taskConfigs(): Record<string, string>[] {
    return [{}]
  }
  stop(): void {}
  config(): ConfigDef {
    return new ConfigDef()
  }
}

test("every line written for a task or a connector, by the worker or the plugin's own logger, carries its context", async (t) => {
  let text = ''
  const destination = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk)
      done()
    },
  })
  const log = createLogger({ level: 'info', destination })
  const lines = () =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  const registry = (await builtinRegistry()).register({
    className: 'com.example.ChattySourceConnector',
    kind: ['source'],
    create: () => new ChattySourceConnector(),
  })
  const dir = await tempDir(t)
  const w = new Worker(
    parseWorkerConfig(
      {
        'bootstrap.servers': '127.0.0.1:1',
        'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
        'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
        'offset.storage.file.filename': join(dir, 'offsets'),
      },
      'standalone',
    ),
    registry,
    new MemoryOffsetBackingStore(),
    log,
  )
  t.after(() => w.stop())
  const named: string[] = []
  w.useLoggers((name) => {
    named.push(name)
    return log
  })
  const config = { name: 'chatty', 'connector.class': 'com.example.ChattySourceConnector', topic: 't' }
  assert.equal(await w.startConnector('chatty', config, 'STARTED', connectorListener().listener, () => {}), true)
  await w.startTask({ connector: 'chatty', task: 0 }, config, {}, 'STARTED', taskListener().listener)
  for (let i = 0; i < 500 && !lines().some((l) => l.msg === 'chatty task polled'); i++)
    await new Promise((resolve) => setTimeout(resolve, 10))
  await w.stopTasks([{ connector: 'chatty', task: 0 }])
  log.info('not for any connector')

  const seen = (msg: string) => {
    const line = lines().find((l) => l.msg === msg)
    assert.ok(line, `no line "${msg}" in ${text}`)
    return { connector: line.connector, task: line.task, level: line.level }
  }
  const forTask = { connector: 'chatty', task: 0, level: 'info' }
  assert.deepEqual(seen('chatty connector starting'), { connector: 'chatty', task: undefined, level: 'info' })
  assert.deepEqual(seen('Connector chatty started'), { connector: 'chatty', task: undefined, level: 'info' })
  assert.deepEqual(seen('Creating task chatty-0'), forTask)
  assert.deepEqual(seen('chatty task starting'), forTask)
  assert.deepEqual(seen('chatty task polled'), forTask)
  assert.deepEqual(seen('chatty task stopping'), forTask)
  assert.deepEqual(seen('not for any connector'), { connector: undefined, task: undefined, level: 'info' })
  assert.ok(named.includes('com.example.ChattySourceTask') && named.includes('com.example.ChattySourceConnector'))
})

test("a distributed worker's sink task consumers are static members named after the cluster and the task by default; sink.task.static.membership=false leaves them dynamic, as Apache's; a group.instance.id the user set is kept either way", () => {
  const client = 'connector-consumer-orders-3'
  const distributed = (extra: Record<string, string> = {}) =>
    parseWorkerConfig(distributedWorkerProps('localhost:9092', 'cluster-a', extra), 'distributed')
  assert.equal(sinkTaskInstanceId(distributed(), client, undefined), `cluster-a-${client}`)
  assert.equal(
    sinkTaskInstanceId(distributed({ 'sink.task.static.membership': 'true' }), client, undefined),
    `cluster-a-${client}`,
  )
  assert.equal(
    sinkTaskInstanceId(distributed({ 'sink.task.static.membership': 'false' }), client, undefined),
    undefined,
  )
  assert.equal(sinkTaskInstanceId(distributed({ 'sink.task.static.membership': 'false' }), client, 'mine'), 'mine')
  assert.equal(sinkTaskInstanceId(distributed(), client, 'mine'), 'mine')
  // A standalone worker has no cluster to name the member after: dynamic.
  const standalone = parseWorkerConfig(
    {
      'bootstrap.servers': 'localhost:9092',
      'offset.storage.file.filename': '/tmp/offsets',
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    },
    'standalone',
  )
  assert.equal(sinkTaskInstanceId(standalone, client, undefined), undefined)
})
