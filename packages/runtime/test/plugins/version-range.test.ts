import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compareVersions, versionRequirement } from '../../src/plugins/version-range.ts'

test('versions order as Maven orders them: numbers numerically, qualifiers before the release, 1.0 equal to 1', () => {
  const sorted = ['1.10.0', '1.2.0', '1.0', '1.2.0-SNAPSHOT', '1.2.0-rc1', '1.2.0-alpha', '2', '1.2.0-sp1']
  sorted.sort(compareVersions)
  assert.deepEqual(sorted, ['1.0', '1.2.0-alpha', '1.2.0-rc1', '1.2.0-SNAPSHOT', '1.2.0', '1.2.0-sp1', '1.10.0', '2'])
  assert.equal(compareVersions('1.0', '1'), 0)
  assert.equal(compareVersions('1.0.0-final', '1'), 0)
})

test('a bare version is exact, as Apache encloses it in []; latest and no value mean no requirement', () => {
  const exact = versionRequirement(' 1.2.0 ')!
  assert.equal(String(exact), '[1.2.0,1.2.0]')
  assert.ok(exact.contains('1.2.0'))
  assert.ok(!exact.contains('1.2.1'))
  assert.equal(versionRequirement('latest'), null)
  assert.equal(versionRequirement(null), null)
  assert.equal(versionRequirement(undefined), null)
})

test('ranges take Maven’s syntax: bounds in or out, open ends, several ranges', () => {
  const r = versionRequirement('[1.0,2.0)')!
  assert.deepEqual(
    ['0.9', '1.0', '1.9.9', '2.0', '2.0.1'].map((v) => r.contains(v)),
    [false, true, true, false, false],
  )
  assert.deepEqual(
    ['0.1', '1.0', '1.1'].map((v) => versionRequirement('(,1.0]')!.contains(v)),
    [true, true, false],
  )
  assert.deepEqual(
    ['1.0', '1.5', '9'].map((v) => versionRequirement('(1.0,)')!.contains(v)),
    [false, true, true],
  )
  const two = versionRequirement('[1.0,1.2],[3.0,)')!
  assert.deepEqual(
    ['1.1', '2.0', '3.1'].map((v) => two.contains(v)),
    [true, false, true],
  )
  assert.equal(String(two), '[1.0,1.2],[3.0,)')
  assert.ok(!r.contains(null))
})

test('malformed ranges are refused with Maven’s messages', () => {
  assert.throws(() => versionRequirement('[1.0,2.0'), { message: 'Unbounded range: [1.0,2.0' })
  assert.throws(() => versionRequirement('(1.0)'), { message: 'Single version must be surrounded by []: (1.0)' })
  assert.throws(() => versionRequirement('[2.0,1.0]'), { message: 'Range defies version ordering: [2.0,1.0]' })
  assert.throws(() => versionRequirement('[1.0,1.0]'), { message: 'Range cannot have identical boundaries: [1.0,1.0]' })
  assert.throws(() => versionRequirement('[1.0,2.0],[1.5,3.0]'), { message: 'Ranges overlap: [1.0,2.0],[1.5,3.0]' })
  assert.throws(() => versionRequirement('1.0,2.0'), { message: 'Invalid version specification: 1.0,2.0' })
})
