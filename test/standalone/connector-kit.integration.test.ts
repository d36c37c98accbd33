import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { randomName, runFerry, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { build, pack } from '../../scripts/build.ts'
import { testBootstrap } from '../../scripts/kafka/test-env.ts'

const run = promisify(execFile)
const npmEnv = {
  ...process.env,
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
}

async function lines(path: string): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter(Boolean)
  } catch {
    return []
  }
}

test('a connector made with ferry new connector builds and passes its own tests against the packed @ferry packages, installs with ferry plugins install and runs in a standalone worker', async (t) => {
  const dir = await tempDir(t)
  // The packed @ferry packages, as a plugin author gets them (the ferry bundle is not needed here).
  const dist = join(dir, 'dist')
  const tarballs = pack(build(dist), undefined, dist)
  tarballs.delete('ferry')

  const made = await runFerry(['new', 'connector', 'ferry-greeting-connector', '--dir', 'greeting'], dir)
  assert.equal(made.code, 0, made.stderr)
  const pkg = join(dir, 'greeting')
  await run('npm', ['install', '--no-save', ...tarballs.values()], { cwd: pkg, env: npmEnv })

  // Its own tests: the conformance suite and the in-process runners, from the installed (JavaScript) @ferry/testing.
  // (Without NODE_TEST_CONTEXT, which would make it report to this test runner instead of printing.)
  const { NODE_TEST_CONTEXT: _, ...env } = process.env
  const tests = await run(process.execPath, ['--test', 'test/**/*.test.ts'], { cwd: pkg, env }).catch(
    (e: { stdout: string }) => assert.fail(`the scaffold's tests failed:\n${e.stdout}`),
  )
  assert.match(tests.stdout, /ℹ pass 21\n/)
  assert.match(tests.stdout, /ℹ fail 0\n/)

  // npm pack builds it (prepack: tsc into dist/), and ferry plugins install takes the tarball.
  const { stdout } = await run('npm', ['pack', '--json'], { cwd: pkg, env: npmEnv })
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string; files: { path: string }[] }>
  assert.ok(info!.files.some((f) => f.path === 'dist/plugins.js'))
  const pluginPath = join(dir, 'plugins')
  const installed = await runFerry(['plugins', 'install', join(pkg, info!.filename), '--plugin-path', pluginPath], dir)
  assert.equal(installed.code, 0, installed.stderr)
  assert.match(installed.stdout, /source\s+com\.example\.greeting\.GreetingSourceConnector\s+0\.1\.0/)
  assert.match(installed.stdout, /sink\s+com\.example\.greeting\.GreetingSinkConnector\s+0\.1\.0/)

  // End to end on the broker: the source writes 20 messages, the sink appends them to a file.
  const topic = randomName('greetings')
  const output = join(dir, 'greetings.jsonl')
  const worker = await startStandalone(t, {
    dir,
    worker: {
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'offset.storage.file.filename': join(dir, 'connect.offsets'),
      'offset.flush.interval.ms': '500',
      'plugin.path': pluginPath,
    },
    connectors: [
      { name: randomName('greeting-source'), 'connector.class': 'GreetingSource', topic, message: 'hi', count: '20' },
      { name: randomName('greeting-sink'), 'connector.class': 'GreetingSinkConnector', topics: topic, file: output },
    ],
  })
  await waitFor('20 greetings in the sink file', async () => (await lines(output)).length >= 20, 60_000, 200)
  assert.equal(await worker.stop(), 0)
  assert.deepEqual(
    (await lines(output)).map((l) => JSON.parse(l).value),
    Array.from({ length: 20 }, (_, i) => ({ n: i + 1, text: `hi ${i + 1}` })),
  )
})
