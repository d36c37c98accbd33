import assert from 'node:assert/strict'
import { test } from 'node:test'
import { aliasesOf, PluginRegistry } from '../../src/plugins/registry.ts'

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
