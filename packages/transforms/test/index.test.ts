import assert from 'node:assert/strict'
import test from 'node:test'
import { ConfigDef } from '@ferry/api'
import { plugins } from '../src/index.ts'
import { loadVectors } from './helpers/vectors.ts'

test('plugins lists every Apache transformation and predicate under its class name', () => {
  const names = plugins
    .map((p) => p.className)
    .filter((name) => !name.startsWith('io.ferry.'))
    .sort()
  const apache = loadVectors()
    .configDefs.map((d) => d.class)
    .sort()
  assert.deepEqual(names, apache)
})

test('plugins lists Ferry’s mapping transforms under io.ferry class names with Ferry.* aliases', () => {
  const ferry = plugins
    .filter((p) => p.className.startsWith('io.ferry.'))
    .map((p) => [p.className, p.aliases, p.kind[0]])
  assert.deepEqual(ferry, [
    ['io.ferry.transforms.Map', ['Ferry.Map'], 'transformation'],
    ['io.ferry.transforms.Route', ['Ferry.Route'], 'transformation'],
    ['io.ferry.transforms.predicates.Matches', ['Ferry.Matches'], 'predicate'],
  ])
})

test('each built-in creates a fresh plugin of its kind with a ConfigDef', () => {
  for (const plugin of plugins) {
    const a = plugin.create()
    const b = plugin.create()
    assert.notEqual(a, b, plugin.className)
    assert.ok(a.config() instanceof ConfigDef, plugin.className)
    const isPredicate = plugin.className.includes('.predicates.')
    assert.deepEqual(plugin.kind, [isPredicate ? 'predicate' : 'transformation'])
    assert.equal(typeof (isPredicate ? (a as { test?: unknown }).test : (a as { apply?: unknown }).apply), 'function')
  }
})
