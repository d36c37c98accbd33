import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { distributedWorkerProps, randomName, startDistributed, tempDir, waitFor } from '@ferry/testing'
import { Admin } from '@platformatic/kafka'
import { testBootstrap } from '../../../../../scripts/kafka/test-env.ts'
import { KafkaAdmin, KafkaProducer } from '../../../src/kafka/clients.ts'

const bootstrap = () => testBootstrap().split(',')

async function status(url: string, name: string): Promise<{ state: string; worker_id: string } | undefined> {
  const response = await fetch(`${url}/connectors/${name}/status`).catch(() => null)
  if (!response?.ok) return undefined
  return ((await response.json()) as { tasks: Array<{ state: string; worker_id: string }> }).tasks[0]
}

/** The sink group's members as the broker's coordinator lists them: member id → group.instance.id. */
async function groupMembers(admin: Admin, group: string): Promise<Map<string, string | null>> {
  const described = (await admin.describeGroups({ groups: [group] })).get(group)
  return new Map([...(described?.members ?? new Map())].map(([id, m]) => [id, m.groupInstanceId ?? null]))
}

const lines = async (file: string) => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean)

test('a sink task taken over from a stopped worker gets its partitions at once (static membership replaces the old member long before its session expires); the stopped worker, resumed, delivers and commits nothing', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('takeover')
  // Names of its own: the sink's consumer group is connect-<connector>, on a broker other tests share.
  const connector = randomName('sink')
  const topic = randomName('takeover-in')
  const output = join(dir, 'out.txt')
  const admin = new KafkaAdmin({ bootstrapServers: bootstrap(), clientId: randomName('admin') })
  t.after(() => admin.close())
  await admin.createTopic(topic, 2, 1)
  const describer = new Admin({ clientId: randomName('describe'), bootstrapBrokers: bootstrap() })
  t.after(() => describer.close())
  // The sink's consumer keeps a 5-minute session: without static membership the new owner would wait that long.
  const props = distributedWorkerProps(testBootstrap(), group, { 'scheduled.rebalance.max.delay.ms': '0' })
  const workers = await Promise.all([0, 1, 2].map((i) => startDistributed(t, { dir, worker: props, label: `-${i}` })))
  t.after(() => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGCONT')
  })
  for (const w of workers) {
    await waitFor(`${w.url} healthy`, async () => (await fetch(`${w.url}/health`).catch(() => null))?.status === 200)
  }
  const created = await fetch(`${workers[0]!.url}/connectors`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name: connector,
      config: {
        'connector.class': 'FileStreamSink',
        topics: topic,
        file: output,
        'tasks.max': '1',
        'consumer.override.session.timeout.ms': '300000',
      },
    }),
  })
  assert.equal(created.status, 201)
  const sinkGroup = `connect-${connector}`
  const instance = `${group}-connector-consumer-${connector}-0`
  const producer = new KafkaProducer({ bootstrapServers: bootstrap(), clientId: randomName('producer') })
  t.after(() => producer.close())
  let next = 0
  let producing = true
  const produced = (async () => {
    while (producing) {
      const batch = Array.from({ length: 20 }, (_, i) => ({
        topic,
        key: null,
        partition: i % 2,
        value: Buffer.from(`seq-${next + i}`),
      }))
      // A send refused while the new topic's metadata spreads is sent again.
      if (
        await producer.send(batch).then(
          () => true,
          () => false,
        )
      )
        next += batch.length
      await new Promise((r) => setTimeout(r, 50))
    }
  })()
  t.after(async () => {
    producing = false
    await produced.catch(() => {})
  })
  const owner = await waitFor('the sink task RUNNING', async () => {
    const s = await status(workers[0]!.url, connector)
    return s?.state === 'RUNNING' ? s.worker_id : undefined
  })
  await waitFor('the sink delivering', async () => (await lines(output)).length > 100)
  const members = await groupMembers(describer, sinkGroup)
  assert.equal(members.size, 1)
  const [oldMember, instanceId] = [...members][0]!
  assert.equal(instanceId, instance, 'the task joins as a static member named after the cluster and the task')

  // The owner stops answering (as a worker that hangs or is paused); the cluster moves the task to another worker.
  const zombie = workers.find((w) => w.url.endsWith(owner))!
  zombie.child.kill('SIGSTOP')
  const stoppedAt = (await lines(output)).length
  const others = workers.filter((w) => w !== zombie)
  const newOwner = await waitFor(
    'the task RUNNING on another worker',
    async () => {
      const s = await status(others[0]!.url, connector)
      return s?.state === 'RUNNING' && s.worker_id !== owner ? s.worker_id : undefined
    },
    60_000,
  )
  // The broker replaced the stopped member by the new owner's: its 5-minute session cannot have expired by now, so
  // the new owner delivering proves the takeover did not wait for it.
  await waitFor(
    'the new owner delivering',
    async () => {
      const group = await groupMembers(describer, sinkGroup)
      const replaced = !group.has(oldMember) && [...group.values()].includes(instance)
      return replaced && (await lines(output)).length > stoppedAt + 200
    },
    60_000,
    200,
  )
  assert.notEqual(newOwner, owner)

  // The stopped worker resumes: it must not deliver what it fetched before, nor commit.
  const committedBefore = await admin.consumerGroupOffsets(sinkGroup)
  const before = await lines(output)
  const seen = new Set(before)
  const resumedLog = (await zombie.log()).length
  zombie.child.kill('SIGCONT')
  await waitFor(
    'the resumed worker back in the Connect group',
    async () => (await zombie.log()).slice(resumedLog).includes('Joined group at generation'),
    60_000,
    200,
  )
  await new Promise((r) => setTimeout(r, 3000))
  const after = (await lines(output)).slice(before.length)
  // A put the worker was in when it froze finishes when it resumes (FileStreamSink appends a batch with one write):
  // at most that one block may repeat records; a batch delivered after the resume would be a second block.
  const repeated = after.flatMap((l, i) => (seen.has(l) ? [i] : []))
  const blocks = repeated.filter((i, n) => n === 0 || repeated[n - 1] !== i - 1).length
  assert.ok(
    blocks <= 1,
    `${repeated.length} records delivered again after the stopped worker resumed, in ${blocks} writes`,
  )
  const committedAfter = await admin.consumerGroupOffsets(sinkGroup)
  for (const c of committedBefore) {
    const now = committedAfter.find((o) => o.topic === c.topic && o.partition === c.partition)
    assert.ok(now && now.offset >= c.offset, `partition ${c.partition}: committed ${now?.offset} < ${c.offset}`)
  }
  // The resumed worker is back in the Connect group, so the leader may move the task again (to balance the load,
  // as Apache's assignor does); wherever it runs, it runs.
  await waitFor(
    'the task RUNNING after the resume',
    async () => (await status(others[0]!.url, connector))?.state === 'RUNNING',
  )
})
