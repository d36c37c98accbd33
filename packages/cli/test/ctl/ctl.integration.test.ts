import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { freePort, randomName, type StandaloneProcess, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { type ApacheConnectProcess, startApacheConnect } from '../../../../scripts/kafka/apache-connect.ts'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import { ctl } from '../../src/ctl/ctl.ts'

const STRING = 'org.apache.kafka.connect.storage.StringConverter'

// One Ferry standalone worker and one Apache Connect standalone worker on the shared broker, started side by side;
// every test below runs the same ferry ctl commands against both.
const servers: Record<'ferry' | 'apache', string> = { ferry: '', apache: '' }
let dir = ''
let ferry: StandaloneProcess | undefined
let apache: ApacheConnectProcess | undefined
const cleanups: Array<() => unknown> = []

before(async () => {
  dir = await tempDir({ after: (fn) => cleanups.push(fn) }, 'ferry-ctl-')
  const worker = (name: string) => ({
    'bootstrap.servers': testBootstrap(),
    'key.converter': STRING,
    'value.converter': STRING,
    'offset.storage.file.filename': join(dir, `${name}.offsets`),
    'offset.flush.interval.ms': '500',
  })
  servers.ferry = `http://127.0.0.1:${await freePort()}`
  const [f, a] = await Promise.all([
    startStandalone(
      { after: (fn) => cleanups.push(fn) },
      { dir, worker: { ...worker('ferry'), listeners: servers.ferry }, connectors: [] },
    ),
    startApacheConnect({ mode: 'standalone', dir, worker: worker('apache') }),
  ])
  ferry = f
  apache = a
  servers.apache = a.url
  await waitFor(
    'Ferry to be healthy',
    async () => (await fetch(`${servers.ferry}/health`).catch(() => null))?.status === 200,
  )
})

after(async () => {
  await Promise.all([ferry?.stop(), apache?.stop()])
  for (const fn of cleanups.reverse()) await fn()
})

interface Result {
  code: number
  stdout: string
  stderr: string
}

/** Runs `ferry ctl ARGS` in this process with its own config file, as a script would, and captures what it wrote. */
async function run(...args: string[]): Promise<Result> {
  let stdout = ''
  let stderr = ''
  const code = await ctl(args, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s) },
    env: { FERRY_CTL_CONFIG: join(dir, 'ctl.json') },
  })
  return { code, stdout, stderr }
}

async function ok(...args: string[]): Promise<string> {
  const r = await run(...args)
  assert.equal(r.code, 0, `ferry ctl ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return r.stdout
}

async function json<T = any>(...args: string[]): Promise<T> {
  return JSON.parse(await ok(...args, '-o', 'json')) as T
}

async function waitForState(context: string, name: string, wanted: string): Promise<void> {
  await waitFor(`${name} to be ${wanted} (connector and tasks)`, async () => {
    const d = await json('describe', 'connector', name, '--context', context)
    if (d.connector.state !== wanted) return false
    // A stopped connector has no tasks; otherwise its one task has the same state.
    return wanted === 'STOPPED' ? d.tasks.length === 0 : d.tasks.length === 1 && d.tasks[0].state === wanted
  })
}

for (const server of ['ferry', 'apache'] as const) {
  test(`ferry ctl manages a FileStreamSource on ${server === 'ferry' ? 'Ferry' : 'Apache Connect'} from apply to delete`, async () => {
    await ok('config', 'set-context', server, '--url', servers[server])
    const c = ['--context', server]
    const name = randomName(`ctl-${server}`)
    const input = join(dir, `${name}.txt`)
    const lines = 'one\ntwo\nthree\n'
    await writeFile(input, lines)
    const topic = randomName('ctl')

    // apply: Apache's {name, config} JSON creates it, a .properties file with the same name updates it.
    const jsonFile = join(dir, `${name}.json`)
    await writeFile(
      jsonFile,
      JSON.stringify({ name, config: { 'connector.class': 'FileStreamSource', file: input, topic, 'tasks.max': '1' } }),
    )
    assert.equal(await ok('apply', '-f', jsonFile, ...c), `connector ${name} created\n`)
    const propsFile = join(dir, `${name}.properties`)
    await writeFile(
      propsFile,
      `name=${name}\nconnector.class=FileStreamSource\nfile=${input}\ntopic=${topic}\ntasks.max=1\nbatch.size=100\n`,
    )
    assert.equal(await ok('apply', '-f', propsFile, ...c), `connector ${name} configured\n`)
    await waitForState(server, name, 'RUNNING')

    // get: the table, JSON (Apache's expand=status,info body) and one name per line.
    assert.match(await ok('get', 'connectors', ...c), new RegExp(`^${name}\\s+source\\s+RUNNING\\s+1/1\\s`, 'm'))
    const all = await json('get', 'connectors', ...c)
    assert.equal(all[name].status.connector.state, 'RUNNING')
    assert.equal(all[name].info.config['batch.size'], '100')
    assert.ok((await ok('get', 'connectors', '-o', 'name', ...c)).split('\n').includes(name))
    const plugins = await json('get', 'plugins', ...c)
    assert.ok(
      plugins.some((p: { class: string }) => p.class === 'org.apache.kafka.connect.file.FileStreamSourceConnector'),
    )
    assert.ok('root' in (await json('get', 'loggers', ...c)))

    // describe: config, tasks and offsets in a table and as YAML.
    const described = await ok('describe', 'connector', name, ...c)
    assert.match(described, /^State:\s+RUNNING$/m)
    assert.match(described, new RegExp(`^  file\\s+${input.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'))
    assert.match(described, /^Tasks:\n {2}ID\s+STATE\s+WORKER\n {2}0\s+RUNNING\s/m)
    assert.match(await ok('describe', 'connector', name, '-o', 'yaml', ...c), /^ {2}state: RUNNING$/m)

    // patch one key.
    await ok('patch', name, 'batch.size=5', ...c)
    await waitFor(
      'the patched config',
      async () => (await json('describe', 'connector', name, ...c)).config['batch.size'] === '5',
    )
    await waitForState(server, name, 'RUNNING')

    // pause, resume, restart.
    assert.equal(await ok('pause', name, ...c), `connector ${name} paused\n`)
    await waitForState(server, name, 'PAUSED')
    assert.equal(await ok('resume', name, ...c), `connector ${name} resumed\n`)
    await waitForState(server, name, 'RUNNING')
    const plan = await json('restart', name, '--tasks', ...c)
    assert.equal(plan.name, name)
    assert.equal(plan.tasks.length, 1)
    assert.equal(await ok('restart', name, ...c), `connector ${name} restarted\n`)
    await waitForState(server, name, 'RUNNING')

    // offsets get: the file's position once every line was read and the offsets flushed.
    const position = Buffer.byteLength(lines)
    const offsetsOf = async () => (await json('offsets', 'get', name, ...c)).offsets
    await waitFor('the source offset', async () => (await offsetsOf())[0]?.offset?.position === position, 60_000, 300)
    assert.deepEqual(await offsetsOf(), [{ partition: { filename: input }, offset: { position } }])
    assert.match(await ok('offsets', 'get', name, ...c), new RegExp(`\\{"position":${position}\\}`))

    // stop, then reset and set the offsets.
    assert.equal(await ok('stop', name, ...c), `connector ${name} stopped\n`)
    await waitForState(server, name, 'STOPPED')
    assert.match(await ok('offsets', 'reset', name, ...c), /offsets .*reset/i)
    assert.deepEqual(await offsetsOf(), [])
    const offsets = JSON.stringify([{ partition: { filename: input }, offset: { position: 4 } }])
    assert.match(await ok('offsets', 'set', name, offsets, ...c), /offsets .*altered/i)
    assert.deepEqual(await offsetsOf(), [{ partition: { filename: input }, offset: { position: 4 } }])

    // delete: gone, and the server's 404 is exit code 1 with its message.
    assert.equal(await ok('delete', name, ...c), `connector ${name} deleted\n`)
    assert.ok(!(await ok('get', 'connectors', '-o', 'name', ...c)).split('\n').includes(name))
    const missing = await run('describe', 'connector', name, ...c)
    assert.equal(missing.code, 1)
    assert.equal(missing.stderr, `ferry ctl: Connector ${name} not found (HTTP 404)\n`)
    // A bad config: the server's 400 message, exit code 1.
    const bad = join(dir, `${name}-bad.json`)
    await writeFile(bad, JSON.stringify({ name, 'connector.class': 'NoSuchConnector' }))
    const refused = await run('apply', '-f', bad, ...c)
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /NoSuchConnector.*\(HTTP (400|500)\)\n$/)
  })
}
