/**
 * Exactly-once source support (KIP-618) on real workers and a real broker: a file source's lines are read by a
 * read_committed consumer exactly once, whatever happens to the worker running the task: killed (kill -9) in the middle
 * of its transactions, or frozen past its session (SIGSTOP) while another worker takes the task over, then resumed
 * (its producer is fenced), or frozen exactly between its last send and its commit, so that its commitTransaction
 * itself is refused once the task has moved. The kill test takes its size from FERRY_EOS_RECORDS / FERRY_EOS_KILLS
 * (`npm run test:eos-kill`: 1,000,000 lines, 3 kills). Also the leader's records in the config topic: the task count
 * record, written in a transaction of `connect-cluster-<group.id>`; and a mixed group with Apache Kafka Connect 4.4.0's worker, where
 * the task moves from Apache to Ferry and back by kill -9, each resuming from the other's transactional offsets.
 */
import assert from 'node:assert/strict'
import { appendFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import {
  type DistributedProcess,
  distributedWorkerProps,
  randomName,
  startDistributed,
  tempDir,
  waitFor,
  writePluginPackage,
} from '@ferry/testing'
import { startApacheConnect } from '../../../../../scripts/kafka/apache-connect.ts'
import { testBootstrap } from '../../../../../scripts/kafka/test-env.ts'
import { KafkaBasedLog, type LogRecord } from '../../../src/kafka/based-log.ts'

async function http(url: string, method = 'GET', body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : null }
}

const workerId = (w: DistributedProcess) => w.url.replace(/^http:\/\//, '')

/** The worker running the connector's task 0, once it is RUNNING. */
async function taskOwner(w: DistributedProcess, connector: string): Promise<string | undefined> {
  const reply = await http(`${w.url}/connectors/${connector}/status`)
  if (reply.status !== 200) return undefined
  const task = (reply.body as { tasks: Array<{ state: string; worker_id: string }> }).tasks[0]
  return task?.state === 'RUNNING' ? task.worker_id : undefined
}

/** A read_committed reader of `topic` that keeps every record it reads. */
async function committedReader(t: TestContext, topic: string): Promise<{ records: LogRecord[]; log: KafkaBasedLog }> {
  const records: LogRecord[] = []
  const log = new KafkaBasedLog({
    bootstrapServers: testBootstrap().split(','),
    clientId: randomName('eos-reader'),
    topic,
    readOnly: true,
    readCommitted: true,
    onRecord: (r) => records.push(r),
  })
  await log.start()
  t.after(() => log.stop())
  return { records, log }
}

/** Lines `line-<from>` .. `line-<to - 1>`, one per line. */
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line-${from + i}\n`).join('')

/** Each expected line read once: the missing ones and the duplicated ones. */
function exactlyOnce(records: LogRecord[], total: number): { missing: number; duplicates: number } {
  const seen = new Map<string, number>()
  for (const r of records) {
    const v = r.value?.toString('utf8') ?? ''
    seen.set(v, (seen.get(v) ?? 0) + 1)
  }
  let missing = 0
  for (let i = 0; i < total; i++) if (!seen.has(`line-${i}`)) missing++
  const duplicates = [...seen.values()].reduce((n, c) => n + c - 1, 0)
  return { missing, duplicates }
}

/** Two workers with exactly-once source support, a file source on `file` writing to `topic`, its task running. */
async function cluster(t: TestContext, file: string, topic: string, connector: string) {
  const dir = await tempDir(t)
  const group = randomName('eos')
  const props = distributedWorkerProps(testBootstrap(), group, { 'exactly.once.source.support': 'enabled' })
  const a = await startDistributed(t, { dir, worker: props, label: '-a' })
  const b = await startDistributed(t, { dir, worker: props, label: '-b' })
  t.after(() => {
    a.child.kill('SIGCONT')
    b.child.kill('SIGCONT')
  })
  for (const w of [a, b])
    await waitFor(`worker ${w.url} healthy`, async () => (await http(`${w.url}/health`)).status === 200, 60_000)
  const reply = await http(`${a.url}/connectors`, 'POST', {
    name: connector,
    config: {
      'connector.class': 'FileStreamSource',
      file,
      topic,
      'exactly.once.support': 'required',
      'batch.size': '500',
    },
  })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  const owner = await waitFor('the task running', () => taskOwner(b, connector), 60_000)
  const [running, other] = owner === workerId(a) ? [a, b] : [b, a]
  return { group, running, other, workers: [a, b], dir, props }
}

/**
 * The kill test's size: `FERRY_EOS_RECORDS` lines (default 60,000) and `FERRY_EOS_KILLS` kill -9s (default 1) of the
 * worker running the task, each followed by a fresh worker, so two stay up. `npm run test:eos-kill` runs it with
 * 1,000,000 lines and 3 kills (docs/reliability.md), outside `npm test`.
 */
const KILL_TEST_RECORDS = Number(process.env.FERRY_EOS_RECORDS ?? 60_000)
const KILL_TEST_KILLS = Number(process.env.FERRY_EOS_KILLS ?? 1)

test(`kill -9 of the worker in the middle of its transactions (${KILL_TEST_KILLS}x, ${KILL_TEST_RECORDS} lines): a read_committed reader gets every line once`, async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'lines.txt')
  const topic = randomName('eos-lines')
  const connector = randomName('eos-src')
  const total = KILL_TEST_RECORDS
  const kills = KILL_TEST_KILLS
  assert.ok(Number.isInteger(total) && total >= 10_000, 'FERRY_EOS_RECORDS: an integer of 10000 or more')
  assert.ok(Number.isInteger(kills) && kills >= 1, 'FERRY_EOS_KILLS: an integer of 1 or more')
  const chunk = Math.max(2_000, Math.round(total / 30))
  let written = Math.min(total, chunk * 10)
  await writeFile(file, lines(0, written))
  const { running, other, props, dir: workerDir } = await cluster(t, file, topic, connector)
  // Counts per line instead of keeping the records: a million of them would be a few hundred MB.
  const seen = new Map<string, number>()
  let read = 0
  const log = new KafkaBasedLog({
    bootstrapServers: testBootstrap().split(','),
    clientId: randomName('eos-reader'),
    topic,
    readOnly: true,
    readCommitted: true,
    onRecord: (r) => {
      const v = r.value?.toString('utf8') ?? ''
      seen.set(v, (seen.get(v) ?? 0) + 1)
      read++
    },
  })
  await log.start()
  t.after(() => log.stop())
  const writer = (async () => {
    while (written < total) {
      const to = Math.min(total, written + chunk)
      await appendFile(file, lines(written, to))
      written = to
      await new Promise((r) => setTimeout(r, 100))
    }
  })()
  t.after(() => writer)
  const live = [running, other]
  for (let k = 1; k <= kills; k++) {
    // Spread the kills over the run: the k-th once k/(kills+1) of the lines are committed.
    const target = Math.min(Math.round((total * k) / (kills + 1)), total - 1_000)
    await waitFor(
      `${target} records committed`,
      async () => {
        await log.readToEnd(30_000)
        return read >= target
      },
      120_000 + total,
      100,
    )
    const owner = await waitFor('the task running', () => taskOwner(live[0]!, connector), 120_000, 200)
    const victim = live.find((w) => workerId(w) === owner)!
    await victim.kill()
    live.splice(live.indexOf(victim), 1)
    const fresh = await startDistributed(t, { dir: workerDir, worker: props, label: `-fresh${k}` })
    live.push(fresh)
    await waitFor(`worker ${fresh.url} healthy`, async () => (await http(`${fresh.url}/health`)).status === 200, 60_000)
    await waitFor(
      'another worker running the task',
      async () => {
        const now = await taskOwner(live[0]!, connector)
        return now !== undefined && now !== owner
      },
      120_000,
      500,
    )
  }
  await writer
  await waitFor(
    'every line committed',
    async () => {
      await log.readToEnd(30_000)
      return seen.size >= total
    },
    120_000 + total,
    500,
  )
  let missing = 0
  for (let i = 0; i < total; i++) if (!seen.has(`line-${i}`)) missing++
  const duplicates = [...seen.values()].reduce((n, c) => n + c - 1, 0)
  assert.deepEqual({ missing, duplicates }, { missing: 0, duplicates: 0 })
  // What the killed workers had written in their open transactions was aborted, not read.
  assert.equal(read, total)
  t.diagnostic(`${total} lines, ${kills} kill -9: ${read} read, ${missing} missing, ${duplicates} duplicates`)
})

test('a worker frozen past its session while another takes its task over: every line once, none of its open transaction', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'lines.txt')
  const topic = randomName('eos-frozen')
  const connector = randomName('eos-src')
  const total = 30_000
  await writeFile(file, lines(0, 5_000))
  const { running, other, group } = await cluster(t, file, topic, connector)
  const reader = await committedReader(t, topic)
  let written = 5_000
  const writer = (async () => {
    while (written < total) {
      await appendFile(file, lines(written, written + 1_000))
      written += 1_000
      await new Promise((r) => setTimeout(r, 100))
    }
  })()
  t.after(() => writer)
  await waitFor(
    'some records committed',
    async () => {
      await reader.log.readToEnd(30_000)
      return reader.records.length >= 2_000
    },
    60_000,
    100,
  )
  running.child.kill('SIGSTOP')
  await waitFor(
    'the other worker running the task',
    async () => (await taskOwner(other, connector)) === workerId(other),
    90_000,
    500,
  )
  running.child.kill('SIGCONT')
  await writer
  const result = await waitFor(
    'every line committed',
    async () => {
      await reader.log.readToEnd(30_000)
      const r = exactlyOnce(reader.records, total)
      return r.missing === 0 ? r : undefined
    },
    120_000,
    500,
  )
  // Some time for the resumed worker to try to write what it had: fenced, nothing of it may appear.
  await new Promise((r) => setTimeout(r, 3000))
  await reader.log.readToEnd(30_000)
  assert.deepEqual(exactlyOnce(reader.records, total), { missing: 0, duplicates: 0 })
  assert.equal(result.duplicates, 0)
  assert.equal(reader.records.length, total)
  // The resumed worker did not commit its transaction: its task was held, then stopped and its transaction aborted,
  // or its producer found itself fenced by the new owner's.
  assert.match(
    await running.log(),
    /The open transaction of .* is aborted|fences the current one|ProducerFenced|Failed to flush offsets/,
  )

  // The config topic: the task count record the fencing wrote, as Apache's key and JSON.
  const config: LogRecord[] = []
  const configLog = new KafkaBasedLog({
    bootstrapServers: testBootstrap().split(','),
    clientId: randomName('eos-config'),
    topic: `${group}-configs`,
    readOnly: true,
    readCommitted: true,
    onRecord: (r) => config.push(r),
  })
  await configLog.start()
  await configLog.stop()
  const counts = config
    .filter((r) => r.key?.toString() === `tasks-fencing-${connector}`)
    .map((r) => r.value?.toString())
  assert.ok(counts.length >= 1, 'a task count record')
  assert.equal(counts.at(-1), '{"task-count":1}')
})

test('PUT /connectors/{c}/fence without a signature is refused under the sessioned protocol, as Apache’s', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'lines.txt')
  await writeFile(file, lines(0, 10))
  const connector = randomName('eos-src')
  const { workers } = await cluster(t, file, randomName('eos-fence'), connector)
  const unsigned = await http(`${workers[0]!.url}/connectors/${connector}/fence`, 'PUT')
  assert.equal(unsigned.status, 400, JSON.stringify(unsigned.body))
  assert.deepEqual(unsigned.body, {
    error_code: 400,
    message: 'Internal request missing required signature',
  })
})

test('offsets of a stopped exactly-once connector: a reset after a fencing round, written in a transaction, and the task starts over', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'lines.txt')
  const topic = randomName('eos-reset')
  const connector = randomName('eos-src')
  await writeFile(file, lines(0, 1_000))
  const { workers, group } = await cluster(t, file, topic, connector)
  const reader = await committedReader(t, topic)
  const url = workers[0]!.url
  const committed = (n: number) =>
    waitFor(
      `${n} records committed`,
      async () => {
        await reader.log.readToEnd(30_000)
        return reader.records.length >= n
      },
      60_000,
      200,
    )
  await committed(1_000)
  assert.equal((await http(`${url}/connectors/${connector}/stop`, 'PUT')).status, 204)
  await waitFor(
    'the connector stopped',
    async () => ((await http(`${url}/connectors/${connector}/status`)).body as any)?.connector?.state === 'STOPPED',
    60_000,
    500,
  )
  const reset = await http(`${url}/connectors/${connector}/offsets`, 'DELETE')
  assert.equal(reset.status, 200, JSON.stringify(reset.body))
  assert.deepEqual((await http(`${url}/connectors/${connector}/offsets`)).body, { offsets: [] })
  // The fencing round before the reset recorded the stopped connector's task count, 0, as Apache's.
  const config: LogRecord[] = []
  const configLog = new KafkaBasedLog({
    bootstrapServers: testBootstrap().split(','),
    clientId: randomName('eos-config'),
    topic: `${group}-configs`,
    readOnly: true,
    readCommitted: true,
    onRecord: (r) => config.push(r),
  })
  await configLog.start()
  await configLog.stop()
  const counts = config
    .filter((r) => r.key?.toString() === `tasks-fencing-${connector}`)
    .map((r) => r.value?.toString())
  assert.equal(counts.at(-1), '{"task-count":0}')
  assert.equal((await http(`${url}/connectors/${connector}/resume`, 'PUT')).status, 202)
  await committed(2_000)
  await new Promise((r) => setTimeout(r, 1000))
  await reader.log.readToEnd(30_000)
  assert.equal(reader.records.length, 2_000, 'the file read again once from the start')
  assert.deepEqual(exactlyOnce(reader.records.slice(1_000), 1_000), { missing: 0, duplicates: 0 })
})

test('mixed group with Apache’s worker: the task moves Apache → Ferry → Apache by kill -9, every line once', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'lines.txt')
  const topic = randomName('eos-interop')
  const connector = randomName('eos-src')
  const group = randomName('eos-interop')
  const props = distributedWorkerProps(testBootstrap(), group, { 'exactly.once.source.support': 'enabled' })
  await writeFile(file, lines(0, 2_000))
  const startApache = async (label: string) => {
    const apache = await startApacheConnect({
      mode: 'distributed',
      dir,
      label,
      worker: { ...props, 'plugin.discovery': 'service_load' },
    })
    t.after(() => apache.kill())
    return apache
  }
  const apache = await startApache('-apache-0')
  const reply = await http(`${apache.url}/connectors`, 'POST', {
    name: connector,
    config: {
      'connector.class': 'FileStreamSource',
      file,
      topic,
      'exactly.once.support': 'required',
      'batch.size': '500',
    },
  })
  assert.equal(reply.status, 201, JSON.stringify(reply.body))
  const running = (w: { url: string }) => taskOwner(w as DistributedProcess, connector)
  await waitFor('the task running on Apache', async () => (await running(apache)) === apache.workerId, 120_000, 500)
  const reader = await committedReader(t, topic)
  let written = 2_000
  let writing = true
  // Lines keep coming until the task has committed some on each of the three workers: a fixed count could all be
  // committed before a move (under load), and the next worker would have none to commit.
  const writer = (async () => {
    while (writing) {
      await appendFile(file, lines(written, written + 500))
      written += 500
      await new Promise((r) => setTimeout(r, 100))
    }
  })()
  t.after(async () => {
    writing = false
    await writer
  })
  const committed = async (n: number) =>
    waitFor(
      `${n} records committed`,
      async () => {
        await reader.log.readToEnd(30_000)
        return reader.records.length >= n
      },
      120_000,
      200,
    )
  await committed(4_000)

  const ferry = await startDistributed(t, { dir, worker: props, label: '-ferry' })
  await waitFor('the Ferry worker healthy', async () => (await http(`${ferry.url}/health`)).status === 200, 120_000)
  await apache.kill()
  await waitFor('the task running on Ferry', async () => (await running(ferry)) === workerId(ferry), 120_000, 500)
  const onFerry = reader.records.length
  await committed(onFerry + 4_000)

  const again = await startApache('-apache-1')
  await waitFor('Apache healthy', async () => (await http(`${again.url}/health`)).status === 200, 120_000)
  await ferry.kill()
  await waitFor('the task running on Apache again', async () => (await running(again)) === again.workerId, 120_000, 500)
  await committed(reader.records.length + 2_000)
  writing = false
  await writer
  const result = await waitFor(
    'every line committed',
    async () => {
      await reader.log.readToEnd(30_000)
      const r = exactlyOnce(reader.records, written)
      return r.missing === 0 ? r : undefined
    },
    120_000,
    500,
  )
  assert.deepEqual(result, { missing: 0, duplicates: 0 })
  assert.equal(reader.records.length, written)
})

/**
 * A plugin package with a source whose `tasks.max` tasks each count on their own source partition (`t<task>-<n>`,
 * offset `{n}`), 50 records a poll; it supports exactly-once semantics.
 */
async function sequencePlugin(dir: string): Promise<string> {
  return pluginPackage(
    dir,
    'ferry-sequence-source',
    `import { ConfigDef, Schema, SourceConnector, SourceRecord, SourceTask } from '@ferry/api'
class SequenceTask extends SourceTask {
  version() { return '1.0.0' }
  start(props) {
    this.task = props.task
    this.topic = props.topic
    const offset = this.context.offsetStorageReader().offset({ task: this.task })
    this.next = offset ? Number(offset.n) + 1 : 0
  }
  async poll() {
    await new Promise((r) => setTimeout(r, 20))
    const records = []
    for (let i = 0; i < 50; i++, this.next++)
      records.push(new SourceRecord({ task: this.task }, { n: this.next }, this.topic, null, null, null, Schema.STRING_SCHEMA, 't' + this.task + '-' + this.next))
    return records
  }
  stop() {}
}
class SequenceSource extends SourceConnector {
  version() { return '1.0.0' }
  config() { return new ConfigDef().define({ name: 'topic', type: 'STRING', importance: 'HIGH', documentation: 'topic' }) }
  start(props) { this.props = props }
  taskClass() { return SequenceTask }
  taskConfigs(max) { return Array.from({ length: max }, (_, i) => ({ topic: this.props.topic, task: String(i) })) }
  stop() {}
  exactlyOnceSupport() { return 'SUPPORTED' }
}
export const plugins = [{ className: 'com.example.SequenceSource', kind: ['source'], create: () => new SequenceSource() }]
`,
  )
}

test('a new task generation is fenced before it starts: 2 tasks become 3, the 2 old producers fenced, every record once', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('eos-gen')
  const topic = randomName('eos-gen-records')
  const connector = randomName('eos-seq')
  const props = distributedWorkerProps(testBootstrap(), group, {
    'exactly.once.source.support': 'enabled',
    'plugin.path': await sequencePlugin(dir),
  })
  const workers = [
    await startDistributed(t, { dir, worker: props, label: '-a' }),
    await startDistributed(t, { dir, worker: props, label: '-b' }),
  ]
  for (const w of workers)
    await waitFor(`worker ${w.url} healthy`, async () => (await http(`${w.url}/health`)).status === 200, 60_000)
  const url = workers[0]!.url
  const config = (tasks: number) => ({
    'connector.class': 'com.example.SequenceSource',
    topic,
    'tasks.max': String(tasks),
    'exactly.once.support': 'required',
  })
  const created = await http(`${url}/connectors`, 'POST', { name: connector, config: config(2) })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const running = (n: number) => async () => {
    const reply = await http(`${url}/connectors/${connector}/status`)
    const tasks = (reply.body as { tasks?: Array<{ state: string }> }).tasks ?? []
    return tasks.length === n && tasks.every((task) => task.state === 'RUNNING')
  }
  await waitFor('2 tasks running', running(2), 60_000, 500)
  const reader = await committedReader(t, topic)
  await waitFor(
    'records of both tasks',
    async () => {
      await reader.log.readToEnd(30_000)
      return reader.records.length >= 1_000
    },
    60_000,
    200,
  )
  const updated = await http(`${url}/connectors/${connector}/config`, 'PUT', config(3))
  assert.equal(updated.status, 200, JSON.stringify(updated.body))
  await waitFor('3 tasks running', running(3), 60_000, 500)
  await waitFor(
    'records of the third task',
    async () => {
      await reader.log.readToEnd(30_000)
      return reader.records.filter((r) => r.value?.toString().startsWith('t2-')).length >= 500
    },
    60_000,
    200,
  )
  assert.equal((await http(`${url}/connectors/${connector}/stop`, 'PUT')).status, 204)
  await waitFor(
    'the connector stopped',
    async () => ((await http(`${url}/connectors/${connector}/status`)).body as any)?.connector?.state === 'STOPPED',
    60_000,
    500,
  )
  await reader.log.readToEnd(30_000)
  // Each task's sequence, as committed: 0, 1, 2, ... without a gap or a repeat, across the generations.
  for (const task of [0, 1, 2]) {
    const seq = reader.records
      .map((r) => r.value?.toString() ?? '')
      .filter((v) => v.startsWith(`t${task}-`))
      .map((v) => Number(v.slice(`t${task}-`.length)))
      // The topic may have several partitions: the order across them is not the task's.
      .sort((x, y) => x - y)
    assert.ok(seq.length > 0, `task ${task} wrote`)
    assert.deepEqual(
      seq,
      Array.from({ length: seq.length }, (_, i) => i),
      `task ${task}'s records once each, without a gap`,
    )
  }
  const logs = (await Promise.all(workers.map((w) => w.log()))).join('\n')
  assert.match(logs, /Fencing out 2 task producers for source connector/)
})

/**
 * A source (`transaction.boundary=connector`) that commits each poll's records, except once: when `freeze.file`
 * exists, the task that takes it (a rename, so one task only) writes `open-<pid>-<instance>-<n>` records without committing,
 * then on its next poll freezes its own worker process (SIGSTOP) and, once resumed, asks for the commit. Its records
 * have no source offsets, so the commit goes straight to `commitTransaction` with nothing to send first (a send would
 * wait for the worker's task hold, which aborts instead): a zombie reaches its commit, deterministically.
 */
async function freezingPlugin(dir: string): Promise<string> {
  return pluginPackage(
    dir,
    'ferry-freezing-source',
    `import { renameSync } from 'node:fs'
import { ConfigDef, Schema, SourceConnector, SourceRecord, SourceTask } from '@ferry/api'
class FreezingTask extends SourceTask {
  version() { return '1.0.0' }
  start(props) {
    this.topic = props.topic
    this.freezeFile = props['freeze.file']
    this.n = 0
    this.instance = Math.random().toString(36).slice(2, 8)
    this.open = false
  }
  records(prefix) {
    const records = []
    for (let i = 0; i < 20; i++, this.n++)
      records.push(new SourceRecord(null, null, this.topic, null, null, null, Schema.STRING_SCHEMA, prefix + process.pid + '-' + this.instance + '-' + this.n))
    return records
  }
  async poll() {
    await new Promise((r) => setTimeout(r, 50))
    const context = this.context.transactionContext()
    if (this.open) {
      process.kill(process.pid, 'SIGSTOP')
      // Resumed: the transaction the worker kept open is committed now.
      this.open = false
      context.commitTransaction()
      return []
    }
    try {
      renameSync(this.freezeFile, this.freezeFile + '.taken')
      this.open = true
      return this.records('open-')
    } catch {}
    context.commitTransaction()
    return this.records('')
  }
  stop() {}
}
class FreezingSource extends SourceConnector {
  version() { return '1.0.0' }
  config() {
    return new ConfigDef()
      .define({ name: 'topic', type: 'STRING', importance: 'HIGH', documentation: 'topic' })
      .define({ name: 'freeze.file', type: 'STRING', importance: 'HIGH', documentation: 'the marker' })
  }
  start(props) { this.props = props }
  taskClass() { return FreezingTask }
  taskConfigs() { return [{ topic: this.props.topic, 'freeze.file': this.props['freeze.file'] }] }
  stop() {}
  exactlyOnceSupport() { return 'SUPPORTED' }
  canDefineTransactionBoundaries() { return 'SUPPORTED' }
}
export const plugins = [{ className: 'com.example.FreezingSource', kind: ['source'], create: () => new FreezingSource() }]
`,
  )
}

/** Whether process `pid` is stopped (state T in /proc/<pid>/stat). */
async function stopped(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  return /^\d+ \(.*\) T /.test(stat)
}

test('a zombie reaches its commit after its task moved: commitTransaction is fenced, nothing of its transaction is read', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('eos-zombie')
  const topic = randomName('eos-zombie-records')
  const connector = randomName('eos-freezing')
  const freezeFile = join(dir, 'freeze')
  const props = distributedWorkerProps(testBootstrap(), group, {
    'exactly.once.source.support': 'enabled',
    'plugin.path': await freezingPlugin(dir),
  })
  const a = await startDistributed(t, { dir, worker: props, label: '-a' })
  const b = await startDistributed(t, { dir, worker: props, label: '-b' })
  t.after(() => {
    a.child.kill('SIGCONT')
    b.child.kill('SIGCONT')
  })
  for (const w of [a, b])
    await waitFor(`worker ${w.url} healthy`, async () => (await http(`${w.url}/health`)).status === 200, 60_000)
  const created = await http(`${a.url}/connectors`, 'POST', {
    name: connector,
    config: {
      'connector.class': 'com.example.FreezingSource',
      topic,
      'freeze.file': freezeFile,
      'exactly.once.support': 'required',
      'transaction.boundary': 'connector',
    },
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const owner = await waitFor('the task running', () => taskOwner(b, connector), 60_000)
  const [zombie, other] = owner === workerId(a) ? [a, b] : [b, a]
  const reader = await committedReader(t, topic)
  const committedBy = (pid: number) => reader.records.filter((r) => r.value?.toString().startsWith(`${pid}-`)).length
  await waitFor(
    'records committed by the first owner',
    async () => {
      await reader.log.readToEnd(30_000)
      return committedBy(zombie.child.pid!) >= 100
    },
    60_000,
    200,
  )
  await writeFile(freezeFile, '')
  await waitFor(
    'the owner froze itself in the middle of its transaction',
    () => stopped(zombie.child.pid!),
    60_000,
    100,
  )
  await waitFor(
    'the other worker running the task and committing',
    async () => {
      if ((await taskOwner(other, connector)) !== workerId(other)) return false
      await reader.log.readToEnd(30_000)
      return committedBy(other.child.pid!) >= 100
    },
    120_000,
    500,
  )
  zombie.child.kill('SIGCONT')
  const failure = await waitFor(
    'the zombie’s commit failing',
    async () =>
      (await zombie.log())
        .split('\n')
        .find((line) => /Failed to flush offsets and\/or records|producer transaction expired/.test(line)),
    60_000,
    200,
  )
  // It reached commitTransaction (no send came first) and the broker refused it: fenced by the new owner's producer.
  assert.match(failure, /fenc|epoch|transaction expired/i)
  t.diagnostic(`the zombie's failure: ${failure.slice(0, 600)}`)
  await new Promise((r) => setTimeout(r, 2000))
  await reader.log.readToEnd(30_000)
  const values = reader.records.map((r) => r.value?.toString() ?? '')
  assert.deepEqual(
    values.filter((v) => v.startsWith('open-')),
    [],
    'nothing of the zombie’s open transaction',
  )
  assert.equal(new Set(values).size, values.length, 'no record twice')
})

/** Writes a plugin package `name` whose plugins.js is `code` under `<dir>/plugins`; the plugin.path to give workers. */
async function pluginPackage(dir: string, name: string, code: string): Promise<string> {
  await writePluginPackage(join(dir, 'plugins', name), name, code, {
    exports: { '.': './plugins.js', './package.json': './package.json' },
  })
  return join(dir, 'plugins')
}
