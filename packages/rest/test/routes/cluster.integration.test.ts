/**
 * `GET /ferry/cluster` on a real distributed cluster: two `ferry distributed` processes on the test broker.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { distributedWorkerProps, randomName, startDistributed, tempDir, waitFor } from '@ferry/testing'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'

async function get(url: string): Promise<any> {
  const response = await fetch(url)
  const text = await response.text()
  assert.equal(response.status, 200, text)
  return JSON.parse(text)
}

test('any worker shows both workers of the group, the one leader, the generation, and a connector’s records per second measured on the worker that runs it', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('ferry-cluster')
  const workers = await Promise.all(
    [0, 1].map((i) =>
      startDistributed(t, { dir, worker: distributedWorkerProps(testBootstrap(), group), label: `-${i}` }),
    ),
  )
  for (const w of workers) {
    await waitFor(`${w.url} healthy`, async () => (await fetch(`${w.url}/health`)).status === 200, 60_000)
  }
  const input = join(dir, 'in.txt')
  await writeFile(input, Array.from({ length: 3000 }, (_, i) => `line ${i}`).join('\n'))
  const name = randomName('cluster-source')
  const created = await fetch(`${workers[0]!.url}/connectors`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name,
      config: { 'connector.class': 'FileStreamSource', file: input, topic: randomName('cluster-topic') },
    }),
  })
  assert.equal(created.status, 201, await created.text())

  const urls = workers.map((w) => `${w.url}/`).sort()
  for (const w of workers) {
    // Both workers in one generation, and the task has written: what any worker answers from then on.
    await waitFor(
      `${w.url}/ferry/cluster lists both workers in one generation, and ${name} moving records`,
      async () => {
        const c = await get(`${w.url}/ferry/cluster`)
        const gens = new Set(c.workers.map((x: { generation: number }) => x.generation))
        return c.workers.length === 2 && gens.size === 1 && c.connectors[name]?.records_per_second > 0
      },
      60_000,
    )
    const cluster = await get(`${w.url}/ferry/cluster`)
    assert.equal(cluster.mode, 'distributed')
    assert.equal(cluster.group_id, group)
    assert.deepEqual(cluster.workers.map((x: { url: string }) => x.url).sort(), urls)
    const leaders = cluster.workers.filter((x: { leader: boolean }) => x.leader)
    assert.equal(leaders.length, 1)
    assert.equal(leaders[0].url, cluster.leader_url)
    assert.equal(leaders[0].is_leader, true)
    assert.equal(cluster.generation, cluster.workers[0].generation)
    assert.ok(cluster.generation >= 1)
    for (const x of cluster.workers) {
      assert.equal(x.error, undefined)
      assert.equal(x.worker_id, new URL(x.url).host)
    }
    assert.equal(cluster.connectors[name].tasks, 1)
  }
  // The task's rate comes from the worker whose status says it runs it.
  const status = await get(`${workers[0]!.url}/connectors/${name}/status`)
  const owner = status.tasks[0].worker_id
  const info = await get(`http://${owner}/ferry/worker`)
  assert.deepEqual(
    info.tasks.map((x: { connector: string; task: number; type: string }) => [x.connector, x.task, x.type]),
    [[name, 0, 'source']],
  )
})
