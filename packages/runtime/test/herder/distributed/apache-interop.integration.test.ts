/**
 * Interop with Apache Kafka Connect 4.4.0's distributed worker (the Maven Central jars on the machine's Java 17,
 * started by scripts/kafka/apache-connect.ts): each side reads the internal topics the other wrote, a FileStreamSource
 * migrates from an Apache cluster to Ferry workers without losing or repeating a line, and one Apache worker and one
 * Ferry worker share a group (what happens there is described in docs/compat.md, "Mixed clusters").
 */
import assert from 'node:assert/strict'
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { isDeepStrictEqual } from 'node:util'
import {
  type DistributedProcess,
  distributedWorkerProps,
  randomName,
  startDistributed,
  tempDir,
  waitFor,
} from '@ferry/testing'
import { type ApacheConnectProcess, startApacheConnect } from '../../../../../scripts/kafka/apache-connect.ts'
import { testBootstrap } from '../../../../../scripts/kafka/test-env.ts'
import { KafkaBasedLog } from '../../../src/kafka/based-log.ts'
import { KafkaAdmin } from '../../../src/kafka/clients.ts'
import { KafkaOffsetBackingStore } from '../../../src/storage/kafka-offset-store.ts'

type TestContext = Parameters<typeof tempDir>[0]
type Side = 'apache' | 'ferry'

const workerProps = (group: string, extra: Record<string, string> = {}) =>
  distributedWorkerProps(testBootstrap(), group, extra)

interface Worker {
  side: Side
  url: string
  workerId: string
  stop(): Promise<unknown>
  log(): Promise<string>
}

async function startWorker(t: TestContext, side: Side, dir: string, group: string, label: string): Promise<Worker> {
  if (side === 'apache') {
    const apache: ApacheConnectProcess = await startApacheConnect({
      mode: 'distributed',
      dir,
      label,
      worker: { ...workerProps(group), 'plugin.discovery': 'service_load' },
    })
    t.after(() => apache.stop())
    return { side, url: apache.url, workerId: apache.workerId, stop: () => apache.stop(), log: apache.log }
  }
  const ferry: DistributedProcess = await startDistributed(t, { dir, worker: workerProps(group), label })
  await waitFor(
    `Ferry worker ${ferry.url} healthy`,
    async () => (await http(`${ferry.url}/health`)).status === 200,
    60_000,
    200,
  )
  return {
    side,
    url: ferry.url,
    workerId: ferry.url.replace(/^http:\/\//, ''),
    stop: () => ferry.stop(),
    log: () => ferry.log(),
  }
}

interface Reply {
  status: number
  body: any
}

async function http(url: string, method = 'GET', body?: unknown): Promise<Reply> {
  const response = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : null }
}

async function ok(url: string, method = 'GET', body?: unknown): Promise<any> {
  const reply = await http(url, method, body)
  assert.ok(
    reply.status >= 200 && reply.status < 300,
    `${method} ${url}: ${reply.status} ${JSON.stringify(reply.body)}`,
  )
  return reply.body
}

interface Status {
  connector: { state: string; worker_id: string; trace?: string }
  tasks: Array<{ id: number; state: string; worker_id: string; trace?: string }>
}

async function status(url: string, name: string): Promise<Status | undefined> {
  const reply = await http(`${url}/connectors/${name}/status`)
  return reply.status === 200 ? reply.body : undefined
}

/** Connector and task states as one string, e.g. `RUNNING,RUNNING`, and whether all are on `workerId`. */
function states(s: Status | undefined, workerId?: string): string | undefined {
  if (!s) return undefined
  const all = [s.connector, ...s.tasks]
  if (workerId && all.some((x) => x.worker_id !== workerId)) return undefined
  return all.map((x) => x.state).join(',')
}

/** waitFor, with what was last seen in the timeout message. */
async function waitUntil(what: string, check: () => Promise<{ done: boolean; seen: unknown }>, timeoutMs = 60_000) {
  let seen: unknown
  try {
    await waitFor(
      what,
      async () => {
        const r = await check()
        seen = r.seen
        return r.done
      },
      timeoutMs,
      250,
    )
  } catch (e) {
    throw new Error(`${(e as Error).message}; last seen: ${JSON.stringify(seen)}`)
  }
}

const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line-${from + i}`)

/** Every record value of `topic` (one partition or more), read from the start. */
async function topicValues(topic: string): Promise<string[]> {
  const values: string[] = []
  const log = new KafkaBasedLog({
    bootstrapServers: testBootstrap().split(','),
    clientId: randomName('interop-reader'),
    topic,
    readOnly: true,
    onRecord: (r) => values.push(r.value?.toString('utf8') ?? ''),
  })
  await log.start()
  await log.stop()
  return values
}

/** The connectors of one cluster, all named per run (sink consumer groups `connect-<name>` share the broker). */
function connectorSet(dir: string, topic: string) {
  const id = randomName('c').slice(2)
  return {
    source: `source-${id}`,
    sink: `sink-${id}`,
    paused: `paused-${id}`,
    stopped: `stopped-${id}`,
    input: join(dir, 'in.txt'),
    pausedInput: join(dir, 'paused-in.txt'),
    output: join(dir, 'out.txt'),
    topic,
  }
}

type Connectors = ReturnType<typeof connectorSet>

/** What a worker's REST API says about the connectors: the part both sides must agree on. */
async function restView(url: string, c: Connectors) {
  const names = [c.paused, c.sink, c.source, c.stopped]
  const view: Record<string, { config: unknown; tasks: unknown; offsets: unknown }> = {}
  for (const name of names) {
    view[name] = {
      config: await ok(`${url}/connectors/${name}/config`),
      tasks: await ok(`${url}/connectors/${name}/tasks`),
      offsets: await ok(`${url}/connectors/${name}/offsets`),
    }
  }
  return { connectors: ((await ok(`${url}/connectors`)) as string[]).sort(), view }
}

/**
 * Creates on `writer`: a FileStreamSource and a FileStreamSink (running), a FileStreamSource that ran and was
 * paused, and one created STOPPED; waits until the source offset and the sink's consumer offset cover the 100 lines.
 */
async function createAndSettle(writer: Worker, c: Connectors): Promise<void> {
  const url = writer.url
  await ok(`${url}/connectors`, 'POST', {
    name: c.source,
    config: { 'connector.class': 'FileStreamSource', file: c.input, topic: c.topic, 'tasks.max': '1' },
  })
  await ok(`${url}/connectors`, 'POST', {
    name: c.sink,
    config: { 'connector.class': 'FileStreamSink', file: c.output, topics: c.topic, 'tasks.max': '1' },
  })
  await ok(`${url}/connectors`, 'POST', {
    name: c.paused,
    config: { 'connector.class': 'FileStreamSource', file: c.pausedInput, topic: `${c.topic}-paused` },
  })
  await ok(`${url}/connectors`, 'POST', {
    name: c.stopped,
    config: { 'connector.class': 'FileStreamSource', file: c.input, topic: `${c.topic}-stopped` },
    initial_state: 'STOPPED',
  })
  const size = (await stat(c.input)).size
  const pausedSize = (await stat(c.pausedInput)).size
  await waitUntil(`${c.paused} running on ${writer.side}, its offset committed`, async () => {
    const seen = {
      offsets: (await http(`${url}/connectors/${c.paused}/offsets`)).body,
      states: states(await status(url, c.paused)),
    }
    return {
      done: seen.offsets?.offsets?.[0]?.offset?.position === pausedSize && seen.states === 'RUNNING,RUNNING',
      seen,
    }
  })
  await ok(`${url}/connectors/${c.paused}/pause`, 'PUT')
  await waitUntil(`${writer.side}: the connectors settled, offsets committed`, async () => {
    const seen = {
      source: (await http(`${url}/connectors/${c.source}/offsets`)).body,
      sink: (await http(`${url}/connectors/${c.sink}/offsets`)).body,
      paused: (await http(`${url}/connectors/${c.paused}/offsets`)).body,
      states: [] as Array<string | undefined>,
      traces: [] as string[],
    }
    for (const name of [c.source, c.sink, c.paused, c.stopped]) {
      const st = await status(url, name)
      seen.states.push(states(st))
      for (const x of [st?.connector, ...(st?.tasks ?? [])]) if (x?.trace) seen.traces.push(x.trace.slice(0, 400))
    }
    const done =
      seen.source?.offsets?.[0]?.offset?.position === size &&
      seen.paused?.offsets?.[0]?.offset?.position === pausedSize &&
      seen.sink?.offsets?.[0]?.offset?.kafka_offset === 100 &&
      seen.states.join(' ') === 'RUNNING,RUNNING RUNNING,RUNNING PAUSED,PAUSED STOPPED'
    return { done, seen }
  })
}

/** One cluster writes the topics, stops; a cluster of the other kind starts on them and carries on. */
async function handOver(t: TestContext, from: Side, to: Side): Promise<void> {
  const dir = await tempDir(t)
  const group = randomName(`interop-${from}-to-${to}`)
  const c = connectorSet(dir, randomName(`interop-${from}-lines`))
  await writeFile(c.input, `${lines(0, 100).join('\n')}\n`)
  await writeFile(c.pausedInput, 'p-0\np-1\n')

  const writer = await startWorker(t, from, dir, group, `-${from}`)
  await createAndSettle(writer, c)
  const written = await restView(writer.url, c)
  assert.deepEqual(written.connectors, [c.paused, c.sink, c.source, c.stopped].sort())
  await writer.stop()

  const reader = await startWorker(t, to, dir, group, `-${to}`)
  // Read from the topics before the reader's leader has rewritten anything.
  const read = await restView(reader.url, c)
  assert.deepEqual(read.connectors, written.connectors)
  for (const name of written.connectors) {
    assert.deepEqual(read.view[name]!.config, written.view[name]!.config, `${name}: config`)
    assert.deepEqual(read.view[name]!.offsets, written.view[name]!.offsets, `${name}: offsets`)
  }
  // Connectors that do not run keep the task configs the writer stored (task.class included).
  assert.deepEqual(read.view[c.paused]!.tasks, written.view[c.paused]!.tasks, 'paused: task configs')
  assert.deepEqual(read.view[c.stopped]!.tasks, [], 'stopped: no task configs')

  // Target states hold on the reader: paused stays paused, stopped stays stopped; the others run there. Apache
  // instantiates the `task.class` of a stored task config: Ferry writes its own (JS) class name there, which Apache
  // cannot load, so a task Ferry configured fails on Apache until the connector runs and writes new task configs:
  // the running ones recover at once, the paused one fails (see docs/compat.md, "Apache interop"). Apache logs the
  // failure every time; its FAILED status record is sometimes missing (seen in about one run of five; the status then
  // stays the UNASSIGNED that Ferry wrote on its way out), so either status is accepted and the log is checked.
  const pausedTaskClass: string = (written.view[c.paused]!.tasks as any)[0].config['task.class']
  const pausedFails = to === 'apache' && !pausedTaskClass.includes('.')
  const want = 'RUNNING,RUNNING RUNNING,RUNNING PAUSED,PAUSED STOPPED'
  await waitUntil(`${to}: every connector in its target state on ${reader.workerId}`, async () => {
    const seen = await Promise.all([c.source, c.sink, c.paused, c.stopped].map((n) => status(reader.url, n)))
    const got = seen.map((s) => states(s, reader.workerId))
    if (pausedFails) {
      const task = seen[2]?.tasks[0]
      const failedHere = task?.state === 'FAILED' && task.worker_id === reader.workerId
      if (seen[2]?.connector.state === 'PAUSED' && (failedHere || task?.state === 'UNASSIGNED'))
        got[2] = 'PAUSED,PAUSED'
    }
    return { done: got.join(' ') === want, seen }
  })
  if (pausedFails) {
    const message =
      /Invalid value FileStreamSourceTask for configuration task.class: Class FileStreamSourceTask could not be found/
    await waitUntil(`${reader.side} says why the paused task failed`, async () => ({
      done: message.test(await reader.log()),
      seen: (await status(reader.url, c.paused))?.tasks,
    }))
    const task = (await status(reader.url, c.paused))!.tasks[0]!
    if (task.state === 'FAILED') assert.match(task.trace ?? '', message)
  }
  // The running connectors' task configs were generated again by the reader's connector: the same file and topic
  // (each side adds its own task class, and Apache copies the connector's settings into a file task's config).
  const essentials = (tasks: Array<{ id: unknown; config: Record<string, string> }>) =>
    tasks.map(({ id, config }) => ({ id, file: config.file, topic: config.topic, topics: config.topics }))
  for (const name of [c.source, c.sink]) {
    assert.deepEqual(
      essentials(await ok(`${reader.url}/connectors/${name}/tasks`)),
      essentials(written.view[name]!.tasks as any),
      `${name}: task configs`,
    )
  }

  // The source resumes at the stored position and the sink at the committed consumer offset: 20 more lines make
  // the topic and the sink file hold each of the 120 lines exactly once.
  await appendFile(c.input, `${lines(100, 120).join('\n')}\n`)
  const expected = lines(0, 120)
  await waitFor(
    'the 20 new lines in the sink file',
    async () => (await readFile(c.output, 'utf8')).split('\n').length - 1 >= expected.length,
    60_000,
    250,
  )
  await new Promise((r) => setTimeout(r, 1500))
  assert.deepEqual((await readFile(c.output, 'utf8')).split('\n').slice(0, -1), expected, 'sink file')
  assert.deepEqual(await topicValues(c.topic), expected, 'topic')
  assert.deepEqual(await topicValues(`${c.topic}-paused`), ['p-0', 'p-1'], 'the paused source did not run again')
}

test('Ferry reads an Apache cluster internal topics: connectors, configs, task configs, target states, statuses, source and sink offsets', async (t) => {
  await handOver(t, 'apache', 'ferry')
})

test('Apache reads the internal topics of a Ferry cluster: connectors, configs, task configs, target states, statuses, source and sink offsets', async (t) => {
  await handOver(t, 'ferry', 'apache')
})

test('migration: a FileStreamSource moves from an Apache cluster to two Ferry workers and resumes at the offset Apache committed, no line lost or repeated', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('interop-migrate')
  const topic = randomName('interop-migrate-lines')
  const input = join(dir, 'in.txt')
  const name = randomName('file-source')
  await writeFile(input, `${lines(0, 2000).join('\n')}\n`)
  const admin = new KafkaAdmin({ bootstrapServers: testBootstrap().split(','), clientId: randomName('admin') })
  t.after(() => admin.close())
  await admin.createTopic(topic, 1, 1)

  const apache = await startWorker(t, 'apache', dir, group, '-apache')
  await ok(`${apache.url}/connectors`, 'POST', {
    name,
    config: { 'connector.class': 'FileStreamSource', file: input, topic, 'tasks.max': '1' },
  })
  await waitUntil('the source running on Apache', async () => {
    const seen = states(await status(apache.url, name), apache.workerId)
    return { done: seen === 'RUNNING,RUNNING', seen }
  })
  // Lines keep coming while Apache runs, while it stops and while Ferry takes over.
  let next = 2000
  let appending = Promise.resolve()
  const writer = setInterval(() => {
    const from = next
    next += 100
    appending = appending.then(() => appendFile(input, `${lines(from, from + 100).join('\n')}\n`))
  }, 50)
  t.after(() => clearInterval(writer))
  await new Promise((r) => setTimeout(r, 2000))
  await apache.stop()

  // What Apache committed on its way out covers exactly the lines it produced: the offset is the byte length of
  // the first N lines, and the topic holds those N lines.
  const offsets = new KafkaOffsetBackingStore({
    bootstrapServers: testBootstrap().split(','),
    clientId: randomName('interop-offsets'),
    topic: `${group}-offsets`,
  })
  await offsets.start()
  const committed = offsets.get(name, { filename: input })?.position as number
  await offsets.stop()
  const byApache = await topicValues(topic)
  assert.ok(byApache.length > 2000, `Apache produced ${byApache.length} lines`)
  assert.deepEqual(byApache, lines(0, byApache.length), 'what Apache produced')
  assert.equal(committed, Buffer.byteLength(`${byApache.join('\n')}\n`), 'Apache committed the offset of its last line')

  const ferry = await Promise.all([
    startWorker(t, 'ferry', dir, group, '-ferry-0'),
    startWorker(t, 'ferry', dir, group, '-ferry-1'),
  ])
  await waitUntil('the source running on a Ferry worker', async () => {
    const s = await status(ferry[0]!.url, name)
    const worker = s?.tasks[0]?.worker_id
    const done = states(s) === 'RUNNING,RUNNING' && ferry.some((w) => w.workerId === worker)
    return { done, seen: s }
  })
  await new Promise((r) => setTimeout(r, 1500))
  clearInterval(writer)
  await appending
  const expected = lines(0, next)
  await waitUntil(`all ${expected.length} lines in the topic`, async () => {
    const count = (await admin.offsets(topic)).reduce((n, p) => n + p.end - p.start, 0)
    return { done: count >= expected.length, seen: count }
  })
  await new Promise((r) => setTimeout(r, 1500))
  const got = await topicValues(topic)
  const seen = new Map<string, number>()
  for (const line of got) seen.set(line, (seen.get(line) ?? 0) + 1)
  assert.deepEqual(
    expected.filter((l) => !seen.has(l)),
    [],
    'lines lost',
  )
  assert.deepEqual(
    [...seen].filter(([, n]) => n > 1),
    [],
    'lines repeated',
  )
  assert.deepEqual(got, expected)
})

test('mixed group: an Apache worker leads, a Ferry worker joins; both forward to the leader, agree on connectors and statuses, share the sources, and Ferry takes everything over when Apache leaves', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('interop-mixed')
  const topic = randomName('interop-mixed-lines')
  const apache = await startWorker(t, 'apache', dir, group, '-apache')
  const ferry = await startWorker(t, 'ferry', dir, group, '-ferry')
  const names = Array.from({ length: 4 }, (_, i) => `source-${i}`)
  for (const [i, name] of names.entries()) {
    await writeFile(join(dir, `${name}.txt`), `${name}-a\n${name}-b\n`)
    // Through each worker in turn: a request to the follower is forwarded to the leader.
    const via = i % 2 === 0 ? ferry : apache
    const reply = await http(`${via.url}/connectors`, 'POST', {
      name,
      config: { 'connector.class': 'FileStreamSource', file: join(dir, `${name}.txt`), topic, 'tasks.max': '1' },
    })
    assert.equal(reply.status, 201, `create ${name} through ${via.side}: ${JSON.stringify(reply.body)}`)
  }
  // A follower lists a new connector once it has read it from the config topic (Apache's followers too).
  for (const w of [apache, ferry]) {
    await waitUntil(`${w.side} lists the four connectors`, async () => {
      const seen = ((await ok(`${w.url}/connectors`)) as string[]).sort()
      return { done: isDeepStrictEqual(seen, names), seen }
    })
  }

  // Both workers get work. A task whose connector runs on Ferry has Ferry's task class in its config, which Apache
  // cannot load: such a task FAILS on the Apache worker. Every other task runs, wherever its connector is.
  const expected = async (name: string, s: Status) => {
    const tasks: Array<{ config: Record<string, string> }> = await ok(`${ferry.url}/connectors/${name}/tasks`)
    const javaTaskClass = tasks[0]?.config['task.class']?.includes('.') ?? false
    return s.tasks.map((task) =>
      s.connector.worker_id === ferry.workerId && task.worker_id === apache.workerId && !javaTaskClass
        ? 'FAILED'
        : 'RUNNING',
    )
  }
  await waitUntil('each source in its expected state, work on both workers', async () => {
    const seen: Record<string, Status | undefined> = {}
    let done = true
    for (const name of names) {
      const s = await status(ferry.url, name)
      seen[name] = s
      if (s?.connector.state !== 'RUNNING' || s.tasks.length !== 1) done = false
      else if (s.tasks.map((x) => x.state).join() !== (await expected(name, s)).join()) done = false
    }
    const owners = new Set(Object.values(seen).flatMap((s) => (s ? [s.connector.worker_id] : [])))
    return { done: done && owners.has(apache.workerId) && owners.has(ferry.workerId), seen }
  })
  // Both workers read the same topics: they come to report the same statuses and task configs (each one a moment
  // after the other, as a status or config record reaches it).
  const strip = (s: Status | undefined) => ({
    connector: s?.connector.worker_id,
    tasks: s?.tasks.map((x) => [x.state, x.worker_id]),
  })
  for (const name of names) {
    await waitUntil(`${name}: the same status and task configs on both workers`, async () => {
      const [a, f] = await Promise.all([apache, ferry].map((w) => status(w.url, name)))
      const [at, ft] = await Promise.all([apache, ferry].map((w) => ok(`${w.url}/connectors/${name}/tasks`)))
      const done = isDeepStrictEqual(strip(a), strip(f)) && isDeepStrictEqual(at, ft)
      return { done, seen: { apache: [strip(a), at], ferry: [strip(f), ft] } }
    })
    const failed = (await status(ferry.url, name))!.tasks.find((x) => x.state === 'FAILED')
    if (failed) assert.match(failed.trace ?? '', /Class FileStreamSourceTask could not be found/)
  }

  // A target state written through one kind of worker is obeyed by the other: pause a running connector through
  // the worker that does not run it, resume it through the one that does.
  let name: string | undefined
  for (const n of names) if (!name && states(await status(ferry.url, n)) === 'RUNNING,RUNNING') name = n
  assert.ok(name, 'a connector whose task runs')
  const owner = (await status(ferry.url, name))!.connector.worker_id === ferry.workerId ? ferry : apache
  const other = owner === ferry ? apache : ferry
  assert.equal((await http(`${other.url}/connectors/${name}/pause`, 'PUT')).status, 202)
  for (const w of [apache, ferry]) {
    await waitUntil(`${name} PAUSED as ${w.side} reports it`, async () => {
      const seen = states(await status(w.url, name))
      return { done: seen === 'PAUSED,PAUSED', seen }
    })
  }
  assert.equal((await http(`${owner.url}/connectors/${name}/resume`, 'PUT')).status, 202)
  await waitUntil(`${name} RUNNING again`, async () => {
    const seen = states(await status(other.url, name))
    return { done: seen === 'RUNNING,RUNNING', seen }
  })

  // The group coordinator made the first member, Apache, the leader.
  assert.match(await ferry.log(), /Joined generation \d+ as follower/)
  assert.doesNotMatch(await ferry.log(), /Joined generation \d+ as leader/)

  // Apache leaves (gracefully): after scheduled.rebalance.max.delay.ms Ferry runs every connector and task.
  await apache.stop()
  await waitUntil('every source running on Ferry', async () => {
    const seen = await Promise.all(names.map((n) => status(ferry.url, n)))
    return { done: seen.every((s) => states(s, ferry.workerId) === 'RUNNING,RUNNING'), seen }
  })
  const values = new Set(await topicValues(topic))
  for (const name of names) for (const line of [`${name}-a`, `${name}-b`]) assert.ok(values.has(line), line)
})
