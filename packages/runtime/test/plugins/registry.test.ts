import assert from 'node:assert/strict'
import { test } from 'node:test'
import { aliasesOf, PluginRegistry } from '../../src/plugins/registry.ts'
import { versionRequirement } from '../../src/plugins/version-range.ts'

const source = { className: 'org.example.FooSourceConnector', kind: ['source'] as const, create: () => 'foo' }
const sink = { className: 'org.example.FooSinkConnector', kind: ['sink'] as const, create: () => 'sink' }

test('aliases are the simple name and the simple name without its suffix', () => {
  assert.deepEqual(aliasesOf('org.apache.kafka.connect.file.FileStreamSourceConnector'), [
    'FileStreamSourceConnector',
    'FileStreamSource',
  ])
  assert.deepEqual(aliasesOf('org.apache.kafka.connect.json.JsonConverter'), ['JsonConverter', 'Json'])
})

test('resolves a plugin by class name and by each alias', () => {
  const registry = new PluginRegistry().register(source, sink)
  for (const name of ['org.example.FooSourceConnector', 'FooSourceConnector', 'FooSource']) {
    assert.equal(registry.resolve(name, ['source', 'sink'], 'Connector').className, source.className)
  }
})

test('an unknown name throws a message naming it and listing the available plugins', () => {
  const registry = new PluginRegistry().register(source, sink)
  assert.throws(
    () => registry.resolve('NoSuchConnector', ['source', 'sink'], 'Connector'),
    /name matches NoSuchConnector, available Connectors are: org\.example\.FooSourceConnector, org\.example\.FooSinkConnector/,
  )
})

test('an alias shared by two plugins is ambiguous and asks for the full name', () => {
  const other = { className: 'org.other.FooSourceConnector', kind: ['source'] as const, create: () => 'other' }
  const registry = new PluginRegistry().register(source, other)
  assert.equal(registry.find('FooSource', ['source']), null)
  assert.throws(() => registry.resolve('FooSource', ['source'], 'Connector'), /More than one Connector matches/)
  assert.equal(registry.resolve('org.other.FooSourceConnector', ['source'], 'Connector').create(), 'other')
})

test('lookups are limited to the requested kinds', () => {
  const registry = new PluginRegistry().register(source)
  assert.equal(registry.find('FooSource', ['converter']), null)
})

test('registering the same class twice is refused', () => {
  assert.throws(() => new PluginRegistry().register(source, source), /registered twice/)
})

const v = (version: string, create: () => unknown = () => version) => ({
  className: 'org.example.FooSourceConnector',
  kind: ['source'] as const,
  version,
  create,
})

test('versions of one class sit side by side; lookups take the newest, or the newest a range allows', () => {
  const registry = new PluginRegistry().register(v('1.10.0'), v('1.2.0'), v('2.0.0-rc1'))
  assert.deepEqual(
    registry.versions('FooSource', ['source']).map((p) => p.version),
    ['1.2.0', '1.10.0', '2.0.0-rc1'],
  )
  assert.equal(registry.find('FooSource', ['source'])?.version, '2.0.0-rc1')
  assert.equal(registry.find('FooSource', ['source'], versionRequirement('[1.0,1.10.0]'))?.version, '1.10.0')
  assert.equal(registry.find('FooSource', ['source'], versionRequirement('[1.0,1.10.0)'))?.version, '1.2.0')
  assert.equal(registry.find('FooSource', ['source'], versionRequirement('1.2.0'))?.version, '1.2.0')
  assert.deepEqual(registry.classNames('source'), ['org.example.FooSourceConnector'])
  assert.equal(registry.plugins('source').length, 3)
})

test('a range no version matches is refused with Apache’s message listing the versions there are', () => {
  const registry = new PluginRegistry().register(v('1.0.0'), v('2.0.0'))
  assert.throws(() => registry.resolve('FooSource', ['source'], 'Connector', versionRequirement('3.0')), {
    message:
      'Plugin org.example.FooSourceConnector not found that matches the version range [3.0,3.0], available versions: [1.0.0, 2.0.0]',
  })
})

test('a package whose class and version are already registered adds none of its plugins, and says where the first came from', () => {
  const from = { name: 'foo', version: '1.0.0', license: null, author: null, dir: '/x', location: '/plugins' }
  const registry = new PluginRegistry().registerFrom(from, [v('1.0.0')])
  assert.throws(
    () => registry.registerFrom(null, [sink, v('1.0.0')]),
    /registered twice \(first from foo in \/plugins\)/,
  )
  assert.equal(registry.find('FooSink', ['sink']), null)
  assert.equal(registry.packageOf(registry.find('FooSource', ['source'])!), from)
})
