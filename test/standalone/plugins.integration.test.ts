import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { randomName, runFerry, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { testBootstrap } from '../../scripts/kafka/test-env.ts'
import { brokenPlugin, COUNTER_CLASS, notAPlugin, packExample, taggerPlugins } from '../helpers/plugin-packages.ts'

async function lines(path: string): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter(Boolean)
  } catch {
    return []
  }
}

async function get(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url)
  return { status: res.status, body: await res.json() }
}

async function put(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: await res.json() }
}

test('third-party plugins installed with ferry plugins install run in a standalone worker: versions side by side, each with its own dependencies, a broken one reported', async (t) => {
  const dir = await tempDir(t)
  const pluginPath = join(dir, 'plugins')
  const v1 = await packExample(dir)
  const v2 = await packExample(dir, '2.0.0')
  const taggers = await taggerPlugins(join(dir, 'src'))

  // Install: npm puts each package version in its own folder; Ferry shows what it installed.
  const installed = await runFerry(['plugins', 'install', v1, '--plugin-path', pluginPath], dir)
  assert.equal(installed.code, 0, installed.stderr)
  assert.match(installed.stdout, /^Installed ferry-counter-connector 1\.2\.0 into .*ferry-counter-connector@1\.2\.0\n/)
  assert.match(installed.stdout, /licence: MIT\n/)
  assert.match(installed.stdout, /author: {2}Ferry example <ferry@example\.com>\n/)
  assert.match(installed.stdout, /source\s+com\.example\.counter\.CounterSourceConnector\s+1\.2\.0/)
  for (const spec of [v2, taggers.one, taggers.two]) {
    const r = await runFerry(['plugins', 'install', spec, '--plugin-path', pluginPath], dir)
    assert.equal(r.code, 0, r.stderr)
  }
  const refused = await runFerry(
    ['plugins', 'install', await notAPlugin(join(dir, 'nope')), '--plugin-path', pluginPath],
    dir,
  )
  assert.equal(refused.code, 2)
  assert.match(
    refused.stderr,
    /^ferry: left-pad-ish 1\.0\.0 is not a Ferry plugin package: its package.json has no "ferry" field/,
  )
  await brokenPlugin(join(pluginPath, 'broken'))

  const listed = await runFerry(['plugins', 'list', '--plugin-path', pluginPath], dir)
  assert.equal(listed.code, 0, listed.stderr)
  for (const version of ['1.2.0', '2.0.0']) {
    assert.match(
      listed.stdout,
      new RegExp(`source\\s+${COUNTER_CLASS.replaceAll('.', '\\.')}\\s+${version}\\s+MIT\\s+${pluginPath}`),
    )
  }
  assert.match(listed.stdout, /transformation\s+com\.example\.TagOne\s+1\.0\.0\s+Apache-2\.0/)
  assert.match(
    listed.stdout,
    /sink\s+org\.apache\.kafka\.connect\.file\.FileStreamSinkConnector\s+0\.1\.0\s+Apache-2\.0\s+built-in/,
  )
  assert.match(
    listed.stdout,
    /Broken plugin packages \(not loaded\):\n {2}ferry-broken-plugin 0\.0\.1 in .*: importing \.\/plugins\.js failed: SyntaxError/,
  )

  // The worker: version 1.2.0 asked for, both taggers in one chain, into the built-in file sink.
  const topic = randomName('counted')
  const output = join(dir, 'out.txt')
  const source = randomName('counter')
  const worker = await startStandalone(t, {
    dir,
    worker: {
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'offset.storage.file.filename': join(dir, 'connect.offsets'),
      'offset.flush.interval.ms': '500',
      'plugin.path': pluginPath,
      // A config provider from a plugin package.
      'config.providers': 'tag',
      'config.providers.tag.class': 'com.example.TagConfigProvider',
    },
    connectors: [
      {
        name: source,
        'connector.class': 'CounterSource',
        'connector.plugin.version': '1.2.0',
        topic,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a config provider reference, resolved by the worker
        count: '${tag:any:50}',
        transforms: 'one,two',
        'transforms.one.type': 'com.example.TagOne',
        'transforms.two.type': 'TagTwo',
      },
      { name: randomName('sink'), 'connector.class': 'FileStreamSink', file: output, topics: topic },
    ],
  })
  await waitFor('50 counted lines in the sink file', async () => (await lines(output)).length >= 50, 60_000, 200)
  assert.deepEqual(
    await lines(output),
    Array.from({ length: 50 }, (_, i) => `${i + 1}|one:tagger v1|two:tagger v2`),
    'each tagger ran with its own major of the tagger library',
  )
  const log = await worker.log()
  const brokenLines = log.split('\n').filter((l) => l.includes('ferry-broken-plugin'))
  assert.equal(brokenLines.length, 1, 'the broken package is one log line')
  assert.match(brokenLines[0]!, /Plugin package ferry-broken-plugin 0\.0\.1 in .* could not be loaded: importing/)

  // REST: every version listed, the status names the version that runs, validation checks the version asked for.
  const url = (await readFile(join(dir, 'worker.properties'), 'utf8')).match(/listeners=(\S+)/)![1]!
  const plugins = (await get(`${url}/connector-plugins`)).body as Array<{ class: string; version: string }>
  assert.deepEqual(
    plugins.filter((p) => p.class === COUNTER_CLASS),
    [
      { class: COUNTER_CLASS, type: 'source', version: '1.2.0' },
      { class: COUNTER_CLASS, type: 'source', version: '2.0.0' },
    ],
  )
  const status = await waitFor('the counter running', async () => {
    const s = (await get(`${url}/connectors/${source}/status`)).body
    return s.connector?.state === 'RUNNING' && s.tasks?.[0]?.state === 'RUNNING' ? s : undefined
  })
  assert.equal(status.connector.version, '1.2.0')
  assert.equal(status.tasks[0].version, '1.2.0')
  const config = { 'connector.class': COUNTER_CLASS, name: 'v', topic: 't' }
  const latest = await put(`${url}/connector-plugins/CounterSource/config/validate`, config)
  assert.equal(latest.body.error_count, 0)
  assert.equal(
    latest.body.configs.find((c: any) => c.definition.name === 'connector.plugin.version').value.value,
    '2.0.0',
    'without a version the newest is used',
  )
  const missing = await put(`${url}/connector-plugins/CounterSource/config/validate`, {
    ...config,
    'connector.plugin.version': '[3.0,4.0)',
  })
  assert.deepEqual(
    missing.body.configs.find((c: any) => c.definition.name === 'connector.plugin.version').value.errors,
    [`Plugin ${COUNTER_CLASS} not found that matches the version range [3.0,4.0), available versions: [1.2.0, 2.0.0]`],
  )
  const keys = await get(`${url}/connector-plugins/${COUNTER_CLASS}/config?version=1.2.0`)
  assert.ok(keys.body.some((k: any) => k.name === 'count'))
  assert.equal((await get(`${url}/connector-plugins/${COUNTER_CLASS}/config?version=9.9`)).status, 400)
  assert.equal(await worker.stop(), 0)

  // Removing one version leaves the other.
  const removed = await runFerry(
    ['plugins', 'remove', 'ferry-counter-connector@2.0.0', '--plugin-path', pluginPath],
    dir,
  )
  assert.equal(removed.code, 0, removed.stderr)
  assert.equal(removed.stdout, `Removed ferry-counter-connector 2.0.0 from ${pluginPath}\n`)
  const after = await runFerry(['plugins', 'list', '--plugin-path', pluginPath], dir)
  assert.match(after.stdout, /CounterSourceConnector\s+1\.2\.0/)
  assert.doesNotMatch(after.stdout, /CounterSourceConnector\s+2\.0\.0/)
  const again = await runFerry(['plugins', 'remove', 'ferry-counter-connector@2.0.0', '--plugin-path', pluginPath], dir)
  assert.equal(again.code, 2)
  assert.match(again.stderr, /no plugin package ferry-counter-connector@2\.0\.0 in plugin\.path/)
})
