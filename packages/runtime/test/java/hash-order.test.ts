import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  copyCapacity,
  grownCapacity,
  javaStringHash,
  javaStringKeyOrder,
  javaStringOrder,
} from '../../src/java/hash-order.ts'

// Every expected value below was printed by OpenJDK 17.0.15 (String.hashCode, HashMap/HashSet iteration).

test('String.hashCode matches Java’s for ASCII, non-ASCII, surrogate pairs and int overflow', () => {
  const java: Array<[string, number]> = [
    ['', 0],
    ['a', 97],
    ['connector-1', 1724783281],
    ['Ferry \u26f4', 701097294],
    ['\u{1F600}', 1772899],
    ['a\u00e9b', 100538],
    ['x'.repeat(1000), -1715418112],
    ['polygenelubricants', -2147483648],
  ]
  for (const [s, hash] of java) assert.equal(javaStringHash(s), hash, JSON.stringify(s.slice(0, 20)))
})

test('a HashMap filled one by one iterates as Java’s does, past a resize', () => {
  const keys = [
    ...Array.from({ length: 13 }, (_, i) => `connector-${i}`),
    'name',
    'topics',
    'tasks.max',
    'key.converter',
  ]
  assert.equal(grownCapacity(keys.length), 32)
  assert.deepEqual(
    javaStringOrder(keys),
    'topics,tasks.max,connector-10,connector-12,connector-11,connector-8,connector-9,connector-6,name,connector-7,connector-4,connector-5,connector-2,connector-3,key.converter,connector-0,connector-1'.split(
      ',',
    ),
  )
  const values = keys.map((k) => ({ k }))
  assert.deepEqual(
    javaStringKeyOrder(values, (v) => v.k),
    javaStringOrder(keys).map((k) => values.find((v) => v.k === k)),
  )
})

test('new HashSet<>(collection) sizes its table as Java 17 does, so its order can differ from a grown set’s', () => {
  const names = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu']
  assert.deepEqual([grownCapacity(12), copyCapacity(12)], [16, 32])
  assert.deepEqual(
    javaStringOrder(names),
    'epsilon,zeta,iota,lambda,eta,alpha,delta,mu,kappa,theta,beta,gamma'.split(','),
  )
  assert.deepEqual(
    javaStringOrder(names, copyCapacity(names.length)),
    'zeta,iota,delta,mu,theta,epsilon,lambda,eta,alpha,kappa,beta,gamma'.split(','),
  )
})

test('a small HashSet of cleanup policies iterates compact before delete, whatever the insertion order', () => {
  assert.deepEqual(javaStringOrder(['delete', 'compact']), ['compact', 'delete'])
  assert.deepEqual(javaStringOrder(['compact', 'delete']), ['compact', 'delete'])
})

test('JsonConverter’s config keys come in the order Apache’s validate lists them from a HashMap', () => {
  const keys = [
    'converter.type',
    'schemas.enable',
    'schemas.cache.size',
    'schema.content',
    'decimal.format',
    'replace.null.with.default',
  ]
  assert.deepEqual(javaStringOrder(keys), [
    'decimal.format',
    'converter.type',
    'schemas.cache.size',
    'replace.null.with.default',
    'schemas.enable',
    'schema.content',
  ])
})
