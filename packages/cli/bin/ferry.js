#!/usr/bin/env node
// Ferry's command line. Ferry runs on Node.js 24 (it loads its TypeScript sources directly). When started by an
// older Node, it hands over to the Node.js 24 that `npm ci` installed in the repository.
import { spawn } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { enableCompileCache } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const [major] = process.versions.node.split('.').map(Number)
if (major < 24) {
  const here = dirname(realpathSync(fileURLToPath(import.meta.url)))
  const node24 = join(here, '..', '..', '..', 'node_modules', '.bin', 'node')
  if (!existsSync(node24)) {
    console.error(
      `ferry: Node.js 24 or newer is needed (this is ${process.version}). Run npm ci in the Ferry repository first: it installs Node.js 24 for Ferry.`,
    )
    process.exit(1)
  }
  const child = spawn(node24, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)))
} else {
  // V8's compiled code (the type-stripped TypeScript included) is kept in the OS temp dir: later starts skip most of
  // the parsing and compiling. NODE_COMPILE_CACHE, when set, says where instead; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  enableCompileCache()
  const { main } = await import('../src/main.ts')
  process.exit(await main(process.argv.slice(2)))
}
