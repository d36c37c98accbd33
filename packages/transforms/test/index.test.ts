import assert from 'node:assert/strict'
import test from 'node:test'
import { ConfigDef } from '@ferry/api'
import { plugins } from '../src/index.ts'
import { loadVectors } from './helpers/vectors.ts'

test('plugins lists every Apache transformation and predicate under its class name', () => {
  const names = plugins.map((p) => p.className).sort()
  const apache = loadVectors()
    .configDefs.map((d) => d.class)
    .sort()
  assert.deepEqual(names, apache)
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
