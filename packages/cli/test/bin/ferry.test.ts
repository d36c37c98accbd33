import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
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
