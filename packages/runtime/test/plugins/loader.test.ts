import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { SourceConnector } from '@ferry/api'
import { tempDir, writeFiles } from '@ferry/testing'
import { BUILT_IN, loadPlugins } from '../../src/plugins/loader.ts'

/** A plugin package: a source connector class `className` whose version() says which `lib` major it loaded. */
function connectorPackage(name: string, version: string, className: string, extra: object = {}) {
  return {
    'package.json': {
      name,
      version,
      type: 'module',
      license: 'MIT',
      author: { name: 'Ada', email: 'ada@example.com' },
      ferry: { plugins: './plugins.js' },
      peerDependencies: { '@ferry/api': '^0.1.0' },
      ...extra,
    },
    'plugins.js': `import { SourceConnector } from '@ferry/api'
import { major } from 'lib'
class Source extends SourceConnector {
  version() { return 'lib ' + major }
}
export const plugins = [{ className: '${className}', kind: ['source'], create: () => new Source() }]
`,
  }
}

function lib(major: number) {
  return {
    'package.json': { name: 'lib', version: `${major}.0.0`, type: 'module', exports: './index.js' },
    'index.js': `export const major = ${major}\n`,
  }
}

function under(prefix: string, tree: Record<string, string | object>): Record<string, string | object> {
  return Object.fromEntries(Object.entries(tree).map(([k, v]) => [join(prefix, k), v]))
}

test('plugins in a plugin.path each resolve their own dependencies, and share the worker’s @ferry/api', async (t) => {
  const path = await tempDir(t, 'ferry-plugins-')
  // A package folder with its own node_modules, and an install folder as `ferry plugins install` makes.
  await writeFiles(path, {
    ...under('a', connectorPackage('a', '1.0.0', 'com.a.ASource')),
    ...under('a/node_modules/lib', lib(1)),
    ...under('b@2.0.0/node_modules/b', connectorPackage('b', '2.0.0', 'com.b.BSource')),
    ...under('b@2.0.0/node_modules/lib', lib(2)),
  })
  const registry = await loadPlugins({ pluginPath: [path] })
  assert.deepEqual(registry.broken(), [])
  const a = registry.resolve('ASource', ['source'], 'Connector')
  const b = registry.resolve('com.b.BSource', ['source'], 'Connector')
  assert.equal((a.create() as SourceConnector).version(), 'lib 1')
  assert.equal((b.create() as SourceConnector).version(), 'lib 2')
  assert.ok(a.create() instanceof SourceConnector, 'the plugin’s SourceConnector is the worker’s')
  // A descriptor without a version gets its package's.
  assert.equal(a.version, '1.0.0')
  assert.deepEqual(registry.packageOf(b), {
    name: 'b',
    version: '2.0.0',
    license: 'MIT',
    author: 'Ada <ada@example.com>',
    dir: join(path, 'b@2.0.0/node_modules/b'),
    entry: './plugins.js',
    apiRange: '^0.1.0',
    location: path,
  })
})

test('two versions of one plugin load side by side from a node_modules tree and package folders', async (t) => {
  const path = await tempDir(t, 'ferry-plugins-')
  await writeFiles(path, {
    ...under('c-1', connectorPackage('c', '1.0.0', 'com.c.CSource')),
    ...under('c-1/node_modules/lib', lib(1)),
    ...under('node_modules/c', connectorPackage('c', '2.0.0', 'com.c.CSource')),
    ...under('node_modules/lib', lib(2)),
    ...under('node_modules/lib-only', lib(3)),
  })
  const registry = await loadPlugins({ pluginPath: [path] })
  assert.deepEqual(
    registry.versions('CSource', ['source']).map((p) => p.version),
    ['1.0.0', '2.0.0'],
  )
  assert.equal(registry.plugins().length, 2, 'packages without a ferry field are not plugins')
})

test('a package that fails to load is one log line and a broken entry; the others load', async (t) => {
  const path = await tempDir(t, 'ferry-plugins-')
  await writeFiles(path, {
    ...under('good', connectorPackage('good', '1.0.0', 'com.g.GoodSource')),
    ...under('good/node_modules/lib', lib(1)),
    ...under('syntax', {
      ...connectorPackage('syntax', '1.0.0', 'com.s.S'),
      'plugins.js': 'export const plugins = [ {',
    }),
    ...under('missing-dep', connectorPackage('missing-dep', '1.0.0', 'com.m.M')),
    ...under(
      'future-api',
      connectorPackage('future-api', '3.1.0', 'com.f.F', { peerDependencies: { '@ferry/api': '^2.0.0' } }),
    ),
    ...under('bad-manifest', { 'package.json': { name: 'bad-manifest', version: '1.0.0', ferry: './plugins.js' } }),
    ...under('not-a-list', {
      ...connectorPackage('not-a-list', '1.0.0', 'com.n.N'),
      'plugins.js': 'export const plugins = { className: "x" }\n',
    }),
    ...under('no-kind', {
      ...connectorPackage('no-kind', '1.0.0', 'com.k.K'),
      'plugins.js': 'export const plugins = [{ className: "com.k.K", kind: ["connector"], create: () => null }]\n',
    }),
  })
  const lines: string[] = []
  const logger = { error: (m: string) => lines.push(m), info: () => {}, warn: () => {} }
  const registry = await loadPlugins({ pluginPath: [path], logger: logger as never })
  assert.ok(registry.find('GoodSource', ['source']))
  const reasons = Object.fromEntries(registry.broken().map((b) => [b.name, b.reason]))
  assert.match(reasons.syntax!, /importing \.\/plugins\.js failed: SyntaxError/)
  assert.match(reasons['missing-dep']!, /cannot find package 'lib' imported from .*missing-dep\/plugins\.js/)
  assert.equal(reasons['future-api'], 'it needs @ferry/api ^2.0.0, and this Ferry has @ferry/api 0.1.0')
  assert.match(
    reasons['bad-manifest']!,
    /the "ferry" field of package.json must be \{"plugins": "<module exporting plugins>"\}/,
  )
  assert.equal(reasons['not-a-list'], './plugins.js must export "plugins", an array of plugin descriptors')
  assert.match(reasons['no-kind']!, /plugins\[0\] \(com\.k\.K\) needs a "kind": a list of sink, source, /)
  assert.equal(lines.length, 6)
  assert.match(
    lines.find((l) => l.includes('future-api'))!,
    /^Plugin package future-api 3\.1\.0 in .* could not be loaded: it needs @ferry\/api \^2\.0\.0/,
  )
})

test('built-ins are marked built-in, and a package found again beside the worker is loaded once', async (t) => {
  const root = await tempDir(t, 'ferry-plugins-')
  await writeFiles(root, {
    ...under('node_modules/builtin', connectorPackage('builtin', '0.1.0', 'org.x.BuiltinSource')),
    ...under('node_modules/lib', lib(1)),
    ...under('node_modules/beside', connectorPackage('beside', '1.0.0', 'org.x.BesideSource')),
    ...under('app/src/x.js', { 'x.js': '' }),
  })
  const registry = await loadPlugins({
    builtins: [join(root, 'node_modules/builtin')],
    besideWorker: join(root, 'app/src'),
  })
  assert.deepEqual(registry.broken(), [])
  assert.equal(registry.packageOf(registry.find('BuiltinSource', ['source'])!)?.location, BUILT_IN)
  assert.equal(registry.packageOf(registry.find('BesideSource', ['source'])!)?.location, join(root, 'node_modules'))
  assert.equal(registry.plugins().length, 2)
})
