import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BigDecimal, bigIntToBytes, bytesToBigInt } from '../../src/data/big-decimal.ts'

test('fromString reads sign, fraction and exponent into an unscaled value and a scale', () => {
  const cases: [string, bigint, number][] = [
    ['0', 0n, 0],
    ['-123.45', -12345n, 2],
    ['1.50', 150n, 2],
    ['.5', 5n, 1],
    ['5.', 5n, 0],
    ['+7', 7n, 0],
    ['1E+3', 1n, -3],
    ['1.5e-3', 15n, 4],
    ['-0.00', 0n, 2],
  ]
  for (const [text, unscaled, scale] of cases) {
    const d = BigDecimal.fromString(text)
    assert.equal(d.unscaledValue, unscaled, text)
    assert.equal(d.scale, scale, text)
  }
  for (const bad of ['', '-', '.', 'abc', '1.2.3', '1e', ' 1', '0x10', '1_000']) {
    assert.throws(() => BigDecimal.fromString(bad), SyntaxError, bad)
  }
})

test('toString matches Java BigDecimal.toString and toPlainString never uses an exponent', () => {
  const cases: [bigint, number, string, string][] = [
    [12345n, 2, '123.45', '123.45'],
    [-12345n, 2, '-123.45', '-123.45'],
    [5n, 3, '0.005', '0.005'],
    [5n, 7, '5E-7', '0.0000005'],
    [123n, -2, '1.23E+4', '12300'],
    [1n, -3, '1E+3', '1000'],
    [-1n, 10, '-1E-10', '-0.0000000001'],
    [0n, 2, '0.00', '0.00'],
    [0n, -2, '0E+2', '0'],
  ]
  for (const [unscaled, scale, str, plain] of cases) {
    const d = new BigDecimal(unscaled, scale)
    assert.equal(d.toString(), str)
    assert.equal(d.toPlainString(), plain)
    assert.ok(BigDecimal.fromString(str).equals(d), `round trip of ${str}`)
  }
})

test('equals compares scale like Java while compareTo compares the numeric value', () => {
  const a = BigDecimal.fromString('1.0')
  const b = BigDecimal.fromString('1.00')
  assert.ok(!a.equals(b))
  assert.equal(a.compareTo(b), 0)
  assert.equal(BigDecimal.fromString('-2').compareTo(BigDecimal.fromString('1.5')), -1)
  assert.ok(a.equals(new BigDecimal(10n, 1)))
})

test('setScale rounds with the requested mode and refuses silent rounding by default', () => {
  const d = BigDecimal.fromString('-2.5')
  assert.equal(d.setScale(0, 'CEILING').toString(), '-2')
  assert.equal(d.setScale(0, 'FLOOR').toString(), '-3')
  assert.equal(d.setScale(0, 'HALF_UP').toString(), '-3')
  assert.equal(d.setScale(0, 'HALF_EVEN').toString(), '-2')
  assert.equal(d.setScale(0, 'DOWN').toString(), '-2')
  assert.equal(d.setScale(3).toString(), '-2.500')
  assert.throws(() => d.setScale(0), RangeError)
})

test('fromNumber follows Java BigDecimal.valueOf(double)', () => {
  assert.equal(BigDecimal.fromNumber(1.5).toString(), '1.5')
  assert.equal(BigDecimal.fromNumber(100).toString(), '100.0')
  assert.equal(BigDecimal.fromNumber(1e21).toString(), '1.0E+21')
  assert.throws(() => BigDecimal.fromNumber(Number.NaN), RangeError)
})

test('bigint byte encoding is minimal two complement and round trips negative numbers', () => {
  assert.deepEqual([...bigIntToBytes(0n)], [0])
  assert.deepEqual([...bigIntToBytes(127n)], [127])
  assert.deepEqual([...bigIntToBytes(128n)], [0, 128])
  assert.deepEqual([...bigIntToBytes(-1n)], [255])
  assert.deepEqual([...bigIntToBytes(-128n)], [128])
  assert.deepEqual([...bigIntToBytes(-129n)], [255, 127])
  assert.deepEqual([...bigIntToBytes(-12345n)], [207, 199])
  for (const n of [0n, 1n, -1n, 255n, -256n, 2n ** 64n, -(2n ** 100n) + 3n]) {
    assert.equal(bytesToBigInt(bigIntToBytes(n)), n)
  }
  assert.throws(() => bytesToBigInt(new Uint8Array(0)), RangeError)
})

test('instanceof recognises a BigDecimal by its brand', () => {
  assert.ok(BigDecimal.fromString('1') instanceof BigDecimal)
  assert.ok({ [Symbol.for('ferry.data.BigDecimal')]: true } instanceof BigDecimal)
  assert.ok(!({ unscaledValue: 1n, scale: 0 } instanceof BigDecimal))
})
