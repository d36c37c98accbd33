import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { loadPlugins } from '@ferry/runtime'
import { tempDir, writeFiles, writePluginPackage } from '../src/index.ts'

test('writePluginPackage writes a package Ferry loads from a plugin.path, with the manifest fields given added or replaced', async (t) => {
  const path = await tempDir(t)
  const dir = await writePluginPackage(
    join(path, 'ferry-echo'),
    'ferry-echo',
    `import { SourceConnector } from '@ferry/api'
class Echo extends SourceConnector { version() { return 'echo' } }
export const plugins = [{ className: 'com.example.Echo', kind: ['source'], create: () => new Echo() }]
`,
    { version: '2.1.0', license: 'MIT' },
  )
  assert.equal(dir, join(path, 'ferry-echo'))
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')), {
    name: 'ferry-echo',
    version: '2.1.0',
    type: 'module',
    ferry: { plugins: './plugins.js' },
    peerDependencies: { '@ferry/api': '^0.1.0' },
    license: 'MIT',
  })
  const registry = await loadPlugins({ pluginPath: [path] })
  assert.deepEqual(
    registry.plugins().map((p) => [p.className, p.version]),
    [['com.example.Echo', '2.1.0']],
  )
})

test('writeFiles writes text as it is and objects as JSON, making the folders of nested paths', async (t) => {
  const dir = await tempDir(t)
  assert.equal(await writeFiles(dir, { 'a/b/c.txt': 'text', 'd.json': { x: 1 } }), dir)
  assert.equal(await readFile(join(dir, 'a/b/c.txt'), 'utf8'), 'text')
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'd.json'), 'utf8')), { x: 1 })
})
