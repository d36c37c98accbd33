/**
 * Apache's poll timeout in Ferry's distributed mode: a worker whose herder is stuck in a connector's start() for longer
 * than rebalance.timeout.ms leaves the group, the other worker runs the connector, and the stuck one rejoins later.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  distributedWorkerProps,
  randomName,
  startDistributed,
  tempDir,
  waitFor,
  writePluginPackage,
} from '@ferry/testing'
import { testBootstrap } from '../../scripts/kafka/test-env.ts'

/** A source connector whose first start() anywhere (the one that removes `marker`) takes `block.ms`. */
function slowStartPlugin(dir: string): Promise<string> {
  return writePluginPackage(
    dir,
    'ferry-slow-start',
    `import { rmSync } from 'node:fs'
import { ConfigDef, SourceConnector, SourceTask } from '@ferry/api'
class IdleTask extends SourceTask {
  version() { return '1.0.0' }
  start() {}
  async poll() { await new Promise((r) => setTimeout(r, 200)); return null }
  stop() {}
}
class SlowStartSource extends SourceConnector {
  version() { return '1.0.0' }
  async start(props) {
    try { rmSync(props.marker) } catch { return }
    await new Promise((r) => setTimeout(r, Number(props['block.ms'])))
  }
  taskClass() { return IdleTask }
  taskConfigs() { return [{}] }
  stop() {}
  config() {
    return new ConfigDef()
      .define({ name: 'marker', type: 'STRING', importance: 'HIGH', documentation: 'removed by the start that blocks' })
      .define({ name: 'block.ms', type: 'LONG', importance: 'HIGH', documentation: 'how long that start takes' })
  }
}
export const plugins = [{ className: 'com.example.SlowStartSource', kind: ['source'], create: () => new SlowStartSource() }]
`,
  )
}

async function status(url: string, name: string): Promise<{ connector?: { state: string; worker_id: string } }> {
  const response = await fetch(`${url}/connectors/${name}/status`)
  return response.ok ? ((await response.json()) as { connector: { state: string; worker_id: string } }) : {}
}

test('a worker whose herder is stuck in a connector’s start past rebalance.timeout.ms leaves the group; the other runs the connector; the stuck one rejoins', async (t) => {
  const dir = await tempDir(t)
  const plugins = join(dir, 'plugins')
  await slowStartPlugin(join(plugins, 'ferry-slow-start'))
  const marker = join(dir, 'block-once')
  await writeFile(marker, '')
  const props = distributedWorkerProps(testBootstrap(), randomName('stuck-herder'), {
    'plugin.path': plugins,
    'rebalance.timeout.ms': '5000',
    'scheduled.rebalance.max.delay.ms': '2000',
  })
  const workers = await Promise.all(['-a', '-b'].map((label) => startDistributed(t, { dir, worker: props, label })))
  for (const w of workers) {
    await waitFor(`worker ${w.url} healthy`, async () => (await fetch(`${w.url}/health`)).status === 200, 60_000)
  }
  const name = randomName('slow-start')
  const created = await fetch(`${workers[0]!.url}/connectors`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name,
      config: { 'connector.class': 'com.example.SlowStartSource', marker, 'block.ms': '20000', 'tasks.max': '1' },
    }),
  })
  assert.equal(created.status, 201, await created.text())

  const leftLine = 'leaving the group so the other workers can go on without this one'
  const stuck = await waitFor(
    'a worker to leave the group while its herder waits for the connector’s start',
    async () => {
      for (const w of workers) if ((await w.log()).includes(leftLine)) return w
      return undefined
    },
    60_000,
    250,
  )
  const other = workers.find((w) => w !== stuck)!
  const otherId = other.url.replace(/^http:\/\//, '')
  await waitFor(
    'the other worker to run the connector',
    async () => {
      const s = await status(other.url, name)
      return s.connector?.state === 'RUNNING' && s.connector.worker_id === otherId
    },
    60_000,
    250,
  )
  // The start returns after 20 s: the stuck worker joins the group again.
  await waitFor(
    'the stuck worker to rejoin',
    async () => (await stuck.log()).includes('The herder is working again after leaving the group; rejoining'),
    60_000,
    250,
  )
  await waitFor(
    'both workers in the group',
    async () => {
      const response = await fetch(`${other.url}/ferry/cluster`)
      if (!response.ok) return false
      const body = JSON.stringify(await response.json())
      return workers.every((w) => body.includes(w.url.replace(/^http:\/\//, '')))
    },
    60_000,
    500,
  )
})
