#!/usr/bin/env node
// Ferry's command line. Ferry runs on Node.js 24 (it loads its TypeScript sources directly). When started by an
// older Node, it hands over to the Node.js 24 that `npm ci` installed in the repository.
import { spawn } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
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
  const { main } = await import('../src/main.ts')
  process.exit(await main(process.argv.slice(2)))
}
