import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { cp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { randomName, runFerry, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { build, pack } from '../../scripts/build.ts'
import { testBootstrap } from '../../scripts/kafka/test-env.ts'
import { COUNTER_CLASS, EXAMPLE_DIR, packExample } from '../helpers/plugin-packages.ts'

const run = promisify(execFile)
const TSC = join(import.meta.dirname, '../../node_modules/typescript/bin/tsc')
const NODE_TYPES = join(import.meta.dirname, '../../node_modules/@types')

async function lines(path: string): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter(Boolean)
  } catch {
    return []
  }
}

async function npmInstall(prefix: string, ...specs: string[]): Promise<void> {
  await run('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', ...specs], {
    env: { ...process.env, npm_config_update_notifier: 'false' },
  })
}

test('the packed ferry installs into an empty directory and runs the quickstart pipeline and an installed plugin there; a plugin builds against the packed @ferry/api alone', async (t) => {
  const dir = await tempDir(t)
  // Packed once for the whole file: the ferry bundle and @ferry/api.
  const dist = join(dir, 'dist')
  const tarballs = pack(build(dist), ['ferry', '@ferry/api'], dist)
  const ferryTgz = tarballs.get('ferry')!
  const apiTgz = tarballs.get('@ferry/api')!

  // npm i -g, into a prefix of its own: nothing of the repository is reachable from there.
  const prefix = join(dir, 'global')
  await npmInstall(prefix, ferryTgz)
  const bin = join(prefix, 'node_modules', 'ferry', 'bin', 'ferry.js')
  assert.equal((await readFile(join(prefix, 'node_modules', 'ferry', 'src', 'main.js'), 'utf8')).length > 0, true)
  const version = await runFerry(['--version'], dir, bin)
  assert.deepEqual(version, { code: 0, stdout: '0.1.0\n', stderr: '' })

  const pluginPath = join(dir, 'plugins')
  const installed = await runFerry(
    ['plugins', 'install', await packExample(dir), '--plugin-path', pluginPath],
    dir,
    bin,
  )
  assert.equal(installed.code, 0, installed.stderr)
  const listed = await runFerry(['plugins', '--plugin-path', pluginPath], dir, bin)
  assert.match(
    listed.stdout,
    /source\s+org\.apache\.kafka\.connect\.file\.FileStreamSourceConnector\s+0\.1\.0\s+Apache-2\.0\s+built-in/,
  )
  assert.match(listed.stdout, /source\s+com\.example\.counter\.CounterSourceConnector\s+1\.2\.0\s+MIT/)
  assert.doesNotMatch(listed.stdout, /Broken/)

  // The quickstart pipeline (a file through Kafka into a file), and the installed plugin beside it.
  const input = join(dir, 'input.txt')
  const output = join(dir, 'output.txt')
  const counted = join(dir, 'counted.txt')
  const text = Array.from({ length: 100 }, (_, i) => `quickstart line ${i + 1}`).join('\n')
  await writeFile(input, `${text}\n`)
  const topic = randomName('quickstart')
  const counterTopic = randomName('counted')
  const worker = await startStandalone(t, {
    dir,
    bin,
    worker: {
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'offset.storage.file.filename': join(dir, 'connect.offsets'),
      'offset.flush.interval.ms': '500',
      'plugin.path': pluginPath,
    },
    connectors: [
      { name: randomName('local-file-source'), 'connector.class': 'FileStreamSource', file: input, topic },
      { name: randomName('local-file-sink'), 'connector.class': 'FileStreamSink', file: output, topics: topic },
      { name: randomName('counter'), 'connector.class': COUNTER_CLASS, topic: counterTopic, count: '20' },
      { name: randomName('counted-sink'), 'connector.class': 'FileStreamSink', file: counted, topics: counterTopic },
    ],
  })
  await waitFor('100 lines in the sink file', async () => (await lines(output)).length >= 100, 60_000, 200)
  await waitFor('20 counted lines', async () => (await lines(counted)).length >= 20, 60_000, 200)
  assert.equal(await readFile(output, 'utf8'), `${text}\n`)
  assert.deepEqual(
    await lines(counted),
    Array.from({ length: 20 }, (_, i) => `${i + 1}`),
  )
  assert.equal(await worker.stop(), 0)

  // A plugin author's package with only the packed @ferry/api: its plugins load, and TypeScript finds the typings.
  const author = join(dir, 'author')
  await cp(EXAMPLE_DIR, author, { recursive: true })
  await npmInstall(author, apiTgz)
  const { stdout } = await run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { plugins } from './plugins.js'
       import { SourceConnector } from '@ferry/api'
       const c = plugins[0].create()
       console.log(plugins[0].className, c instanceof SourceConnector, c.version(), [...c.config().names()].sort().join(','))`,
    ],
    { cwd: author },
  )
  assert.equal(stdout, `${COUNTER_CLASS} true 1.2.0 count,topic\n`)
  await writeFile(
    join(author, 'check.ts'),
    `import { ConfigDef, definePlugins, type PluginDescriptor, SourceConnector } from '@ferry/api'
export const descriptors: readonly PluginDescriptor[] = definePlugins([
  { className: 'com.example.Typed', kind: ['source'], create: (): SourceConnector | null => null },
])
export const def: ConfigDef = new ConfigDef()
`,
  )
  await run(
    process.execPath,
    [
      TSC,
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--target',
      'es2024',
      '--typeRoots',
      NODE_TYPES,
      '--types',
      'node',
      'check.ts',
    ],
    { cwd: author },
  ).catch((e: { stdout: string }) => assert.fail(`tsc against the packed @ferry/api: ${e.stdout}`))
})
