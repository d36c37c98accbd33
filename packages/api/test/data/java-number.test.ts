import assert from 'node:assert/strict'
import { test } from 'node:test'
import { javaDoubleToString, javaFloatToString } from '../../src/data/java-number.ts'

test('doubles are printed like Java Double.toString', () => {
  const cases: [number, string][] = [
    [1, '1.0'],
    [1.5, '1.5'],
    [100, '100.0'],
    [-0, '-0.0'],
    [0, '0.0'],
    [0.001, '0.001'],
    [0.0001, '1.0E-4'],
    [9999999, '9999999.0'],
    [1e7, '1.0E7'],
    [123456.789, '123456.789'],
    [-2.5e-5, '-2.5E-5'],
    [1.7976931348623157e308, '1.7976931348623157E308'],
    [Number.NaN, 'NaN'],
    [Number.NEGATIVE_INFINITY, '-Infinity'],
  ]
  for (const [value, text] of cases) assert.equal(javaDoubleToString(value), text)
})

test('floats are printed like Java Float.toString with float precision', () => {
  assert.equal(javaFloatToString(3.14), '3.14')
  assert.equal(javaFloatToString(Math.fround(3.14)), '3.14')
  assert.equal(javaFloatToString(Math.PI), '3.1415927')
  assert.equal(javaFloatToString(1e10), '1.0E10')
  assert.equal(javaFloatToString(16777216), '1.6777216E7')
  assert.equal(javaFloatToString(1e39), 'Infinity')
})
