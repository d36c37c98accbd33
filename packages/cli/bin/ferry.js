#!/usr/bin/env node
// Ferry's command line. Ferry runs on Node.js 24. When started by an older Node, it hands over to the Node.js 24 that
// `npm ci` installed in the repository, or says which Node it needs. This file is plain JavaScript that Node 18 and
// newer can parse and link: what only newer Nodes have is looked up at run time, never imported by name.
import { spawn } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import module from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const [major] = process.versions.node.split('.').map(Number)
const here = dirname(realpathSync(fileURLToPath(import.meta.url)))
// A worker's V8 settings (as Apache's scripts pass the JVM's): young-generation semi-spaces of 16 MiB from the start.
// Node 24 lets them grow to 64 MiB each, which a worker moving records reaches within seconds, and holds 96 MiB more
// resident for no measurable gain in records/s. Started at 1 MiB, the young generation's committed memory grows and
// shrinks between 1 and 32 MiB with the allocation rate and moves the RSS with it (a one-hour soak read a step of
// 26 MiB as growth); started at 16 MiB it stays between 16 and 32, and a worker's start takes it there anyway, so
// it costs nothing at rest (docs/operations.md#memory). A --max-semi-space-size in NODE_OPTIONS, or either flag on
// node's command line (Node refuses --min-semi-space-size in NODE_OPTIONS), replaces both.
const WORKER_NODE_FLAGS = [['--min-semi-space-size=16', '--max-semi-space-size=16']]
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].map((a) => a.replace(/_/g, '-'))
const isGiven = (flag) => {
  const name = flag.split('=')[0]
  return given.some((a) => a === name || a.startsWith(`${name}=`))
}
const workerFlags = ['standalone', 'distributed'].includes(process.argv[2] ?? '')
  ? WORKER_NODE_FLAGS.filter((group) => !group.some(isGiven)).flat()
  : []
if (major < 24) {
  const node24 = join(here, '..', '..', '..', 'node_modules', '.bin', 'node')
  if (!existsSync(node24)) {
    console.error(
      `ferry: Node.js 24 or newer is needed (this is ${process.version}). Install Node.js 24, or run npm ci in the Ferry repository: it installs Node.js 24 for Ferry.`,
    )
    process.exit(1)
  }
  const child = spawn(node24, [...workerFlags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)))
} else if (workerFlags.length > 0 && typeof process.execve === 'function') {
  // V8 reads them only at start: the process becomes a new Node with them (same pid, signals and stdio).
  const argv = [process.execPath, ...workerFlags, ...process.execArgv, fileURLToPath(import.meta.url)]
  process.execve(process.execPath, [...argv, ...process.argv.slice(2)], process.env)
} else {
  // V8's compiled code is kept in the OS temp dir: later starts skip most of the parsing and compiling.
  // NODE_COMPILE_CACHE, when set, says where instead; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  module.enableCompileCache?.()
  // Small Buffers are cut from shared pools of Buffer.poolSize bytes (64 KiB in Node 24, 8 KiB before), and one that
  // lives keeps its whole pool. The Kafka client keeps an 8-byte Buffer per connection, so each connection of a
  // task's consumer held 64 KiB; with Node 20's 8 KiB a distributed worker running 150 idle 2-task sink connectors
  // holds 115 KiB per task instead of 163, and the file source of `npm run bench` peaks at 166 MiB instead of 273
  // and runs faster (docs/operations.md#memory).
  if (['standalone', 'distributed'].includes(process.argv[2] ?? '')) Buffer.poolSize = 8 * 1024
  // An installed package ships JavaScript (npm run build); the repository runs its TypeScript directly.
  const built = join(here, '..', 'src', 'main.js')
  const { main } = await import(existsSync(built) ? '../src/main.js' : '../src/main.ts')
  process.exit(await main(process.argv.slice(2)))
}
