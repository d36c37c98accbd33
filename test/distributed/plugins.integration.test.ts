import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { distributedWorkerProps, randomName, runFerry, startDistributed, tempDir, waitFor } from '@ferry/testing'
import { testBootstrap } from '../../scripts/kafka/test-env.ts'
import { COUNTER_CLASS, packExample } from '../helpers/plugin-packages.ts'

async function http(url: string, method = 'GET', body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, json: text ? JSON.parse(text) : null }
}

async function lines(path: string): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter(Boolean)
  } catch {
    return []
  }
}

test('distributed: a third-party connector installed into the plugin.path of two workers is listed, validated and runs from either', async (t) => {
  const dir = await tempDir(t)
  const pluginPath = join(dir, 'plugins')
  const installed = await runFerry(['plugins', 'install', await packExample(dir), '--plugin-path', pluginPath], dir)
  assert.equal(installed.code, 0, installed.stderr)

  const group = randomName('plugins')
  const props = distributedWorkerProps(testBootstrap(), group, { 'plugin.path': pluginPath })
  const [a, b] = await Promise.all([
    startDistributed(t, { dir, worker: props, label: '-a' }),
    startDistributed(t, { dir, worker: props, label: '-b' }),
  ])
  for (const w of [a, b]) {
    await waitFor(`worker ${w.url} healthy`, async () => (await http(`${w.url}/health`)).status === 200, 60_000, 250)
    const plugins = (await http(`${w.url}/connector-plugins`)).json as Array<{ class: string; version: string }>
    assert.deepEqual(
      plugins.filter((p) => p.class === COUNTER_CLASS),
      [{ class: COUNTER_CLASS, type: 'source', version: '1.2.0' }],
    )
  }

  const topic = randomName('counted')
  const output = join(dir, 'out.txt')
  const source = randomName('counter')
  const config = { 'connector.class': 'CounterSource', topic, count: '30', 'connector.plugin.version': '[1.0,2.0)' }
  const invalid = await http(`${b.url}/connector-plugins/CounterSource/config/validate`, 'PUT', {
    ...config,
    name: source,
    count: '0',
  })
  assert.equal(invalid.json.error_count, 1)
  assert.deepEqual(invalid.json.configs.find((c: any) => c.definition.name === 'count').value.errors, [
    'Invalid value 0 for configuration count: Value must be at least 1',
  ])
  // Created through the follower, forwarded to the leader; each connector runs on whichever worker gets it.
  assert.equal((await http(`${b.url}/connectors/${source}/config`, 'PUT', config)).status, 201)
  const sink = randomName('sink')
  const sinkConfig = { 'connector.class': 'FileStreamSink', file: output, topics: topic }
  assert.equal((await http(`${a.url}/connectors/${sink}/config`, 'PUT', sinkConfig)).status, 201)
  await waitFor('30 counted lines in the sink file', async () => (await lines(output)).length >= 30, 90_000, 250)
  assert.deepEqual(
    await lines(output),
    Array.from({ length: 30 }, (_, i) => `${i + 1}`),
  )
  const status = (await http(`${a.url}/connectors/${source}/status`)).json
  assert.equal(status.connector.state, 'RUNNING')
  assert.equal(status.connector.version, '1.2.0')
  assert.equal(await a.stop(), 0)
  assert.equal(await b.stop(), 0)
})
