/**
 * Distributed workers when Kafka itself fails: each test starts its own cluster (the shared test broker must stay
 * up), so brokers can be stopped and started again.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  type DistributedProcess,
  distributedWorkerProps,
  randomName,
  startDistributed,
  tempDir,
  waitFor,
} from '@ferry/testing'
import { startKafka } from '../../../../../scripts/kafka/harness.ts'

const workerProps = (bootstrap: string, group: string, replication: number) =>
  distributedWorkerProps(bootstrap, group, { 'request.timeout.ms': '10000' }, replication)

async function http(url: string, method = 'GET', body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : null }
}

async function taskState(w: DistributedProcess, connector: string): Promise<string | undefined> {
  const reply = await http(`${w.url}/connectors/${connector}/status`)
  return reply.status === 200 ? (reply.body as { tasks: Array<{ state: string }> }).tasks[0]?.state : undefined
}

const count = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].length

test('a worker started while its broker is down answers starting and joins once the broker is up; when the broker goes away it stops its work, and starts it again when it returns', async (t) => {
  const dir = await tempDir(t)
  const cluster = await startKafka({ brokers: 1 })
  t.after(() => cluster.stop())
  await cluster.stopNode(0)
  const group = randomName('faults-down')
  const worker = await startDistributed(t, { dir, worker: workerProps(cluster.bootstrapServers, group, 1) })
  await waitFor('/health starting', async () => (await http(`${worker.url}/health`).catch(() => null))?.status === 503)
  await waitFor('the log to say Kafka is unreachable', async () => /Cannot reach Kafka/.test(await worker.log()))

  await cluster.startNode(0)
  await waitFor('/health healthy', async () => (await http(`${worker.url}/health`)).status === 200, 90_000, 200)
  const input = join(dir, 'in.txt')
  await writeFile(input, 'a\nb\n')
  const created = await http(`${worker.url}/connectors`, 'POST', {
    name: 'src',
    config: { 'connector.class': 'FileStreamSource', file: input, topic: randomName('faults') },
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  await waitFor('the task RUNNING', async () => (await taskState(worker, 'src')) === 'RUNNING', 60_000, 200)
  assert.equal(count(await worker.log(), /Creating task src-0/g), 1)

  // The coordinator goes away with the broker: the worker must stop running work it may no longer own.
  await cluster.stopNode(0)
  await waitFor(
    'the worker to stop its work',
    async () => /Stopping \d+ connectors and 1 tasks: .*src-0/.test(await worker.log()),
    60_000,
    200,
  )
  await cluster.startNode(0)
  await waitFor(
    'the task created again after the rejoin',
    async () => count(await worker.log(), /Creating task src-0/g) === 2,
    90_000,
    200,
  )
  await waitFor('the task RUNNING again', async () => (await taskState(worker, 'src')) === 'RUNNING', 60_000, 200)
  assert.equal(await worker.stop(), 0)
})

test('with replication factor 3 on three brokers, the cluster keeps working when one broker stops', async (t) => {
  const dir = await tempDir(t)
  const cluster = await startKafka({ brokers: 3 })
  t.after(() => cluster.stop())
  const group = randomName('faults-rf3')
  const props = workerProps(cluster.bootstrapServers, group, 3)
  const workers = await Promise.all([0, 1].map((i) => startDistributed(t, { dir, worker: props, label: `-${i}` })))
  for (const w of workers) {
    await waitFor(`${w.url} healthy`, async () => (await http(`${w.url}/health`)).status === 200, 90_000, 200)
  }
  await cluster.stopNode(0)
  const input = join(dir, 'in.txt')
  await writeFile(input, 'x\n')
  const created = await waitFor(
    'a connector created with one broker down',
    async () => {
      const reply = await http(`${workers[1]!.url}/connectors`, 'POST', {
        name: 'src',
        config: { 'connector.class': 'FileStreamSource', file: input, topic: randomName('faults-rf3') },
      })
      // A retry after a request that timed out but went through finds the connector there.
      const exists = reply.status === 409 && /already exists/.test(JSON.stringify(reply.body))
      return reply.status === 201 || exists ? reply : undefined
    },
    90_000,
    1000,
  )
  assert.ok([201, 409].includes(created.status))
  for (const w of workers) {
    await waitFor(
      `the task RUNNING as seen by ${w.url}`,
      async () => (await taskState(w, 'src')) === 'RUNNING',
      90_000,
      300,
    )
  }
})
