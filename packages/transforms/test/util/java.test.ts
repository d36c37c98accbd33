import assert from 'node:assert/strict'
import test from 'node:test'
import { BigDecimal } from '@ferry/api'
import {
  decimalToFloat,
  doubleToInt,
  doubleToLong,
  javaClassName,
  javaParseFloating,
  javaParseInteger,
  javaSplit,
  javaTrim,
  longToFloat,
  NumberFormatException,
} from '../../src/util/java.ts'

test('Integer.parseInt semantics: signs, Unicode digits, ranges', () => {
  assert.equal(javaParseInteger('+7', 32), 7n)
  assert.equal(javaParseInteger('-128', 8), -128n)
  assert.equal(javaParseInteger('\u0661\u0662', 32), 12n)
  assert.throws(() => javaParseInteger('128', 8), new NumberFormatException('Value out of range. Value:"128" Radix:10'))
  assert.throws(() => javaParseInteger(' 1', 32), NumberFormatException)
  assert.throws(() => javaParseInteger('-', 32), NumberFormatException)
  assert.equal(javaParseInteger('-9223372036854775808', 64), -(2n ** 63n))
  assert.throws(() => javaParseInteger('9223372036854775808', 64), NumberFormatException)
})

test('Float.parseFloat rounds correctly to single precision, including hexadecimal input', () => {
  assert.equal(javaParseFloating('0.1', true), Math.fround(0.1))
  assert.equal(javaParseFloating(' 1.5f ', true), 1.5)
  assert.equal(javaParseFloating('0x1.8p1', false), 3)
  assert.equal(javaParseFloating('-Infinity', false), Number.NEGATIVE_INFINITY)
  // 2^-1 + 2^-25 + 2^-60 is just above a float midpoint: a double first would round it down.
  assert.equal(javaParseFloating('0.5000000298023223877239', true), 0.5 + 2 ** -24)
  assert.throws(() => javaParseFloating('1_000', false), NumberFormatException)
  assert.throws(() => javaParseFloating('', false), new NumberFormatException('empty String'))
})

test('narrowing conversions behave like Java casts', () => {
  assert.equal(doubleToInt(Number.NaN), 0)
  assert.equal(doubleToInt(1e20), 2147483647)
  assert.equal(doubleToInt(-2.9), -2)
  assert.equal(doubleToLong(1e30), 2n ** 63n - 1n)
  assert.equal(longToFloat(2n ** 53n + 1n), 9007199254740992)
  assert.equal(decimalToFloat(BigDecimal.fromString('0.1')), Math.fround(0.1))
})

test('Java strings: trim only strips control chars and spaces, split drops trailing empty parts', () => {
  assert.equal(javaTrim('\u00a0 x \t'), '\u00a0 x')
  assert.deepEqual(javaSplit('a:b::', ':'), ['a', 'b'])
  assert.deepEqual(javaSplit(':a', ':'), ['', 'a'])
  assert.deepEqual(javaSplit('', ':'), [''])
})

test('class names stand for the Java classes of schemaless values', () => {
  assert.equal(javaClassName(1), 'java.lang.Long')
  assert.equal(javaClassName(1.5), 'java.lang.Double')
  assert.equal(javaClassName(2 ** 60), 'java.lang.Double')
  assert.equal(javaClassName(1n), 'java.lang.Long')
  assert.equal(javaClassName(new Map()), 'java.util.HashMap')
  assert.equal(javaClassName({}), 'java.util.HashMap')
  assert.equal(javaClassName(new Uint8Array()), '[B')
})
