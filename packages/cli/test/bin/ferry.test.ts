import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'

const run = promisify(execFile)
const BIN = join(import.meta.dirname, '../../bin/ferry.js')

/** The first `node` on PATH that is not the one running the tests: the system's Node, which may be older. */
async function systemNode(): Promise<string> {
  const { stdout } = await run('sh', ['-c', 'which -a node'])
  return stdout.split('\n').find((p) => p && !p.includes('node_modules')) ?? process.execPath
}

test('bin/ferry.js starts from the system Node (older than 24 here) and hands over to Node 24', async () => {
  const node = await systemNode()
  const { stdout: version } = await run(node, ['--version'])
  const { stdout } = await run(node, [BIN, '--version'])
  assert.match(stdout, /^\d+\.\d+\.\d+\n$/, `ferry --version under ${node} ${version.trim()}`)
})

/** A standalone worker file in `dir` whose broker does not answer: the worker keeps retrying, and runs. */
async function workerFile(dir: string): Promise<string> {
  const worker = join(dir, 'worker.properties')
  await writeFile(
    worker,
    [
      'bootstrap.servers=127.0.0.1:1',
      'key.converter=org.apache.kafka.connect.storage.StringConverter',
      'value.converter=org.apache.kafka.connect.storage.StringConverter',
      `offset.storage.file.filename=${join(dir, 'offsets')}`,
      'listeners=http://127.0.0.1:0',
      '',
    ].join('\n'),
  )
  return worker
}

/**
 * Starts `ferry standalone` on a worker file whose broker does not answer (the worker keeps retrying) and, once the
 * worker logged its first line (main runs after any re-exec), reads its command line from /proc; then stops it.
 * `nodeArgs` go to node before bin/ferry.js.
 */
async function workerCommandLine(env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bin-'))
  try {
    const worker = await workerFile(dir)
    const child = spawn(process.execPath, [...nodeArgs, BIN, 'standalone', worker], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve())
        child.once('exit', (code) => reject(new Error(`ferry standalone exited with ${code} before logging`)))
      })
      return (await readFile(`/proc/${child.pid}/cmdline`, 'utf8')).split('\0').filter(Boolean)
    } finally {
      child.kill('SIGTERM')
      await exited
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

test('the worker commands run on V8 with a fixed young generation of 16 MiB semi-spaces, unless NODE_OPTIONS or node says otherwise', async () => {
  const { NODE_OPTIONS: _, ...env } = process.env
  const args = await workerCommandLine(env)
  assert.ok(args.includes('--max-semi-space-size=16'), args.join(' '))
  assert.ok(args.includes('--min-semi-space-size=16'), args.join(' '))
  assert.ok(args.includes('standalone'), args.join(' '))
  for (const own of [
    await workerCommandLine({ ...env, NODE_OPTIONS: '--max_semi_space_size=8' }),
    await workerCommandLine(env, ['--min-semi-space-size=1']),
  ]) {
    assert.ok(!own.some((a) => /^--(min|max)-semi-space-size=16$/.test(a)), own.join(' '))
  }
})

test('the worker commands cut small Buffers from pools of 8 KiB, not Node 24’s 64 KiB (one kept Buffer keeps its pool)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bin-'))
  try {
    const worker = await workerFile(dir)
    // Preloaded into the worker's process (also after its re-exec): says the pool size once the worker runs.
    const probe = `data:text/javascript,setTimeout(() => console.error('poolSize=' + Buffer.poolSize), 1000).unref()`
    const child = spawn(process.execPath, ['--import', probe, BIN, 'standalone', worker], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    try {
      const said = await new Promise<string>((resolve, reject) => {
        let err = ''
        child.stderr.on('data', (d) => {
          err += d
          const m = /poolSize=(\d+)/.exec(err)
          if (m) resolve(m[1]!)
        })
        child.once('exit', (code) => reject(new Error(`ferry standalone exited with ${code}: ${err}`)))
      })
      assert.equal(said, '8192')
    } finally {
      child.kill('SIGTERM')
      await exited
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
