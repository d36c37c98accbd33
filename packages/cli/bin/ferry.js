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
if (major < 24) {
  const node24 = join(here, '..', '..', '..', 'node_modules', '.bin', 'node')
  if (!existsSync(node24)) {
    console.error(
      `ferry: Node.js 24 or newer is needed (this is ${process.version}). Install Node.js 24, or run npm ci in the Ferry repository: it installs Node.js 24 for Ferry.`,
    )
    process.exit(1)
  }
  const child = spawn(node24, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)))
} else {
  // V8's compiled code is kept in the OS temp dir: later starts skip most of the parsing and compiling.
  // NODE_COMPILE_CACHE, when set, says where instead; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  module.enableCompileCache?.()
  // An installed package ships JavaScript (npm run build); the repository runs its TypeScript directly.
  const built = join(here, '..', 'src', 'main.js')
  const { main } = await import(existsSync(built) ? '../src/main.js' : '../src/main.ts')
  process.exit(await main(process.argv.slice(2)))
}
