/**
 * Distributed workers against a secured broker (`startSecuredKafka`, one for the file): two workers over SASL_SSL
 * form a cluster through their internal topics and group, forward requests, and run a file source (zstd batches
 * through a producer override), a file sink and a JDBC sink into PostgreSQL; a worker whose principal lacks an ACL
 * on an internal topic or on its group stops at start with one line naming it.
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import {
  type DistributedProcess,
  distributedWorkerProps,
  freePort,
  randomName,
  runFerry,
  startDistributed,
  tempDir,
  waitFor,
} from '@ferry/testing'
import { ConnectionPool } from '@platformatic/kafka'
import { connect } from '../../packages/connectors/jdbc/src/db.ts'
import { KafkaAdmin } from '../../packages/runtime/src/kafka/clients.ts'
import { sendFetch } from '../../packages/runtime/src/kafka/fetch.ts'
import { type SecuredKafkaCluster, startSecuredKafka } from '../../scripts/kafka/harness.ts'
import { formatProperties } from '../../scripts/kafka/security.ts'

const POSTGRES_URL = process.env.FERRY_TEST_POSTGRES_URL ?? 'jdbc:postgresql://127.0.0.1:5432/test'
const POSTGRES_USER = process.env.FERRY_TEST_POSTGRES_USER ?? 'postgres'

let cluster: SecuredKafkaCluster
let admin: KafkaAdmin

before(async () => {
  cluster = await startSecuredKafka()
  admin = new KafkaAdmin({ bootstrapServers: [cluster.bootstrapServers], clientId: randomName('admin') })
})

after(async () => {
  await admin?.close()
  await cluster?.stop()
})

async function http(url: string, method = 'GET', body?: unknown): Promise<{ status: number; text: string; json: any }> {
  const response = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, text, json: text ? JSON.parse(text) : null }
}

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8').catch(() => '')).split('\n').filter(Boolean)
}

/** The codec bits (attributes & 7) of every record batch in partition 0 of `topic`, read raw over PLAINTEXT. */
async function batchCodecs(topic: string): Promise<number[]> {
  const [host, port] = cluster.bootstrapServers.split(':') as [string, string]
  const pool = new ConnectionPool(randomName('raw'))
  try {
    const connection = await pool.get({ host, port: Number(port) })
    const response = await sendFetch(
      connection,
      { version: 12, maxWaitMs: 100, minBytes: 1, maxBytes: 10 * 1024 * 1024, isolationLevel: 0 },
      [{ topic, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 10 * 1024 * 1024 }] }],
    )
    const data = response.responses[0]!.partitions[0]!.records
    const codecs: number[] = []
    for (let at = 0; data !== null && at + 61 <= data.length; at += 12 + data.readInt32BE(at + 8))
      codecs.push(data.readInt16BE(at + 21) & 7)
    return codecs
  } finally {
    await pool.close()
  }
}

test('two workers over SASL_SSL form a cluster, forward requests, and run a zstd file source into a file sink and a JDBC sink', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('secure-cluster')
  const topic = randomName('secure-lines')
  const table = randomName('secure_rows').replace(/-/g, '_')
  const input = join(dir, 'in.txt')
  const output = join(dir, 'out.txt')
  await writeFile(input, 'alpha\nbeta\ngamma\n')
  await admin.createTopic(topic, 1, 1)
  const db = await connect({
    url: POSTGRES_URL,
    user: POSTGRES_USER,
    password: null,
    attempts: 1,
    backoffMs: 0,
    quote: 'always',
    timeZone: 'UTC',
  })
  t.after(async () => {
    await db.execute(`DROP TABLE IF EXISTS "${table}"`).catch(() => {})
    await db.close()
  })

  // Only top-level security keys: the internal topics, the group and the tasks all go through SASL_SSL.
  const props = distributedWorkerProps(
    cluster.listeners.SASL_SSL.bootstrap,
    group,
    cluster.clientProps('SASL_SSL', 'SCRAM-SHA-512', 'alice'),
  )
  const workers: DistributedProcess[] = []
  for (const label of ['a', 'b']) workers.push(await startDistributed(t, { dir, label, worker: props }))
  for (const w of workers)
    await waitFor(`${w.url} healthy`, async () => (await http(`${w.url}/health`)).status === 200, 90_000, 300)
  const [a, b] = workers as [DistributedProcess, DistributedProcess]

  // Alternate the workers: whichever is the follower forwards its requests to the leader.
  const create = async (via: DistributedProcess, name: string, config: Record<string, string>) => {
    const created = await http(`${via.url}/connectors`, 'POST', { name, config })
    assert.equal(created.status, 201, created.text)
  }
  await create(a, 'source', {
    'connector.class': 'FileStreamSource',
    file: input,
    topic,
    'producer.override.compression.type': 'zstd',
  })
  await create(b, 'file-sink', { 'connector.class': 'FileStreamSink', file: output, topics: topic })
  await create(b, 'jdbc-sink', {
    'connector.class': 'io.confluent.connect.jdbc.JdbcSinkConnector',
    topics: topic,
    'connection.url': POSTGRES_URL,
    'connection.user': POSTGRES_USER,
    'table.name.format': table,
    'auto.create': 'true',
    transforms: 'hoist',
    'transforms.hoist.type': 'org.apache.kafka.connect.transforms.HoistField$Value',
    'transforms.hoist.field': 'line',
  })
  await create(a, 'doomed', { 'connector.class': 'FileStreamSink', file: join(dir, 'x'), topics: topic })
  assert.equal((await http(`${b.url}/connectors/doomed`, 'DELETE')).status, 204)

  await waitFor('three lines in the file sink', async () => (await lines(output)).length >= 3, 90_000, 300)
  assert.deepEqual(await lines(output), ['alpha', 'beta', 'gamma'])
  const rows = await waitFor(
    'three rows in PostgreSQL',
    async () => {
      const r = await db.query(`SELECT "line" FROM "${table}" ORDER BY "line"`).catch(() => [])
      return r.length >= 3 ? r : undefined
    },
    90_000,
    500,
  )
  assert.deepEqual(rows, [['alpha'], ['beta'], ['gamma']])

  // The source's batches are zstd (codec 4), from the override; the internal topics exist.
  const codecs = await batchCodecs(topic)
  assert.ok(codecs.length > 0 && codecs.every((c) => c === 4), `codecs ${codecs}`)
  const topics = await admin.listTopics()
  for (const suffix of ['configs', 'offsets', 'status']) assert.ok(topics.includes(`${group}-${suffix}`), suffix)

  // Both workers see the same connectors, running, spread over the cluster.
  for (const w of workers) {
    const listed = await http(`${w.url}/connectors?expand=status`)
    assert.deepEqual(Object.keys(listed.json).sort(), ['file-sink', 'jdbc-sink', 'source'])
    for (const c of Object.values(listed.json) as any[]) {
      assert.equal(c.status.connector.state, 'RUNNING', JSON.stringify(c.status))
      assert.equal(c.status.tasks[0]?.state, 'RUNNING', JSON.stringify(c.status))
    }
  }

  for (const w of workers) assert.equal(await w.stop(), 0)
  for (const w of workers) {
    const log = await w.log()
    assert.ok(!log.includes(cluster.users.alice!), 'no log line holds the password')
  }
})

test('a worker whose principal lacks READ or WRITE on an internal topic, or READ on its group, exits at start with one line naming it', async (t) => {
  const dir = await tempDir(t)
  const bob = cluster.clientProps('SASL_SSL', 'SCRAM-SHA-512', 'bob')
  const cases: Array<[string, (group: string) => Promise<() => Promise<void>>, (group: string) => string]> = [
    [
      'READ on the config topic',
      (g) => cluster.denyOnly('User:bob', 'READ', `${g}-configs`),
      (g) =>
        `ferry: the worker cannot read config.storage.topic '${g}-configs': User:bob needs READ on topic ${g}-configs`,
    ],
    [
      'WRITE on the status topic',
      (g) => cluster.denyOnly('User:bob', 'WRITE', `${g}-status`),
      (g) =>
        `ferry: the worker cannot write status.storage.topic '${g}-status': User:bob needs WRITE on topic ${g}-status`,
    ],
    [
      'READ on the group',
      async (g) => {
        const acls = [
          { principal: 'User:*', operation: 'ALL', permission: 'ALLOW', resourceType: 'GROUP', resourceName: g },
          { principal: 'User:bob', operation: 'READ', permission: 'DENY', resourceType: 'GROUP', resourceName: g },
        ] as const
        await cluster.addAcl(...acls)
        return () => cluster.removeAcl(...acls)
      },
      (g) => `ferry: the worker cannot join group.id '${g}': User:bob needs READ on group ${g}`,
    ],
  ]
  for (const [what, deny, expected] of cases) {
    const group = randomName('denied')
    t.after(await deny(group))
    const file = join(dir, `${group}.properties`)
    const worker = distributedWorkerProps(cluster.listeners.SASL_SSL.bootstrap, group, {
      ...bob,
      listeners: `http://127.0.0.1:${await freePort()}`,
    })
    await writeFile(file, formatProperties(worker))
    const started = Date.now()
    const { code, stderr } = await runFerry(['distributed', file], dir)
    assert.equal(code, 1, `${what}: ${stderr}`)
    assert.equal(stderr, `${expected(group)}\n`, what)
    assert.ok(Date.now() - started < 30_000, `${what}: exits at start`)
  }
})

test('a worker with a wrong password answers /health 503 and logs each refused login naming the broker and principal, never the password', async (t) => {
  const dir = await tempDir(t)
  const password = `wrong-${randomName('pw')}`
  const worker = await startDistributed(t, {
    dir,
    worker: distributedWorkerProps(
      cluster.listeners.SASL_SSL.bootstrap,
      randomName('refused'),
      cluster.clientProps('SASL_SSL', 'SCRAM-SHA-256', 'alice', { password }),
    ),
  })
  const expected = `Authentication failed at ${cluster.listeners.SASL_SSL.bootstrap} (SASL_SSL, SCRAM-SHA-256 as alice): Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256; retrying in `
  await waitFor(
    'two refused logins in the log',
    async () => (await worker.log()).split(expected).length >= 3,
    60_000,
    300,
  )
  assert.equal((await http(`${worker.url}/health`)).status, 503)
  assert.equal(worker.child.exitCode, null)
  assert.equal(await worker.stop(), 0)
  assert.ok(!(await worker.log()).includes(password))
})
