/**
 * An arbitrary-precision decimal: `unscaledValue × 10^-scale`, like Java's `java.math.BigDecimal`. It is the value of
 * the Decimal logical type. Equality (`equals`) is Java's: `1.0` and `1.00` differ (use `compareTo` for numeric
 * equality). `toString()` is Java's `BigDecimal.toString()` (scientific notation for very small or negative-scale
 * values), `toPlainString()` never uses an exponent.
 */

import { javaDoubleToString } from './java-number.ts'

const BRAND = Symbol.for('ferry.data.BigDecimal')

export type RoundingMode = 'UP' | 'DOWN' | 'CEILING' | 'FLOOR' | 'HALF_UP' | 'HALF_DOWN' | 'HALF_EVEN' | 'UNNECESSARY'

const DECIMAL_PATTERN = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/

function pow10(n: number): bigint {
  return 10n ** BigInt(n)
}

export class BigDecimal {
  readonly unscaledValue: bigint
  readonly scale: number

  constructor(unscaledValue: bigint | number, scale = 0) {
    if (typeof unscaledValue === 'number') {
      if (!Number.isInteger(unscaledValue)) throw new RangeError(`Unscaled value must be an integer: ${unscaledValue}`)
      unscaledValue = BigInt(unscaledValue)
    }
    if (!Number.isInteger(scale)) throw new RangeError(`Scale must be an integer: ${scale}`)
    this.unscaledValue = unscaledValue
    this.scale = scale
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as any)[BRAND] === true
  }

  /**
   * Parses Java's `new BigDecimal(String)` syntax: optional sign, digits with an optional fraction, optional
   * exponent (`-1.50`, `1E+3`, `.5`). Throws `SyntaxError` otherwise (Java's NumberFormatException).
   */
  static fromString(text: string): BigDecimal {
    const m = DECIMAL_PATTERN.exec(text)
    if (m === null) throw new SyntaxError(`Invalid decimal: ${JSON.stringify(text)}`)
    const intPart = m[2] ?? ''
    const fracPart = m[3] ?? ''
    if (intPart.length === 0 && fracPart.length === 0) throw new SyntaxError(`Invalid decimal: ${JSON.stringify(text)}`)
    const exponent = m[4] === undefined ? 0 : Number.parseInt(m[4], 10)
    let unscaled = BigInt(intPart + fracPart)
    if (m[1] === '-') unscaled = -unscaled
    return new BigDecimal(unscaled, fracPart.length - exponent)
  }

  /**
   * Java's `BigDecimal.valueOf(double)`: the decimal of the double's `Double.toString` form, so `100` becomes `100.0`
   * (scale 1) and `1e21` becomes `1.0E+21`.
   */
  static fromNumber(value: number): BigDecimal {
    if (!Number.isFinite(value)) throw new RangeError(`Cannot convert ${value} to a decimal`)
    return BigDecimal.fromString(javaDoubleToString(value))
  }

  /** A decimal with the given unscaled value and scale (`BigDecimal.valueOf(long, int)`). */
  static valueOf(unscaledValue: bigint | number, scale = 0): BigDecimal {
    return new BigDecimal(unscaledValue, scale)
  }

  /** -1, 0 or 1. */
  signum(): number {
    return this.unscaledValue > 0n ? 1 : this.unscaledValue < 0n ? -1 : 0
  }

  /** The number of decimal digits in the unscaled value (1 for zero). */
  precision(): number {
    const u = this.unscaledValue
    return (u < 0n ? -u : u).toString().length
  }

  negate(): BigDecimal {
    return new BigDecimal(-this.unscaledValue, this.scale)
  }

  /**
   * The same value with another scale. Rounds with `mode` when digits are dropped; the default `UNNECESSARY` throws a
   * `RangeError` when rounding would be needed (as Java's ArithmeticException).
   */
  setScale(newScale: number, mode: RoundingMode = 'UNNECESSARY'): BigDecimal {
    if (newScale === this.scale) return this
    if (newScale > this.scale) {
      return new BigDecimal(this.unscaledValue * pow10(newScale - this.scale), newScale)
    }
    const divisor = pow10(this.scale - newScale)
    const u = this.unscaledValue
    let q = u / divisor // truncates toward zero
    const r = u - q * divisor
    if (r === 0n) return new BigDecimal(q, newScale)
    const sign = u < 0n ? -1n : 1n
    const twiceR = (r < 0n ? -r : r) * 2n
    let awayFromZero: boolean
    switch (mode) {
      case 'UNNECESSARY':
        throw new RangeError('Rounding necessary')
      case 'UP':
        awayFromZero = true
        break
      case 'DOWN':
        awayFromZero = false
        break
      case 'CEILING':
        awayFromZero = sign > 0n
        break
      case 'FLOOR':
        awayFromZero = sign < 0n
        break
      case 'HALF_UP':
        awayFromZero = twiceR >= divisor
        break
      case 'HALF_DOWN':
        awayFromZero = twiceR > divisor
        break
      case 'HALF_EVEN':
        awayFromZero = twiceR > divisor || (twiceR === divisor && q % 2n !== 0n)
        break
    }
    if (awayFromZero) q += sign
    return new BigDecimal(q, newScale)
  }

  /** Numeric comparison, ignoring scale: -1, 0 or 1. */
  compareTo(other: BigDecimal): number {
    let a = this.unscaledValue
    let b = other.unscaledValue
    if (this.scale < other.scale) a *= pow10(other.scale - this.scale)
    else if (other.scale < this.scale) b *= pow10(this.scale - other.scale)
    return a < b ? -1 : a > b ? 1 : 0
  }

  /** Java's equality: same unscaled value AND same scale. */
  equals(other: unknown): boolean {
    return other instanceof BigDecimal && other.unscaledValue === this.unscaledValue && other.scale === this.scale
  }

  /** True when the value has no fractional part. */
  isInteger(): boolean {
    return this.scale <= 0 || this.unscaledValue % pow10(this.scale) === 0n
  }

  /** The integral part (truncated toward zero), like Java's `toBigInteger()`. */
  toBigInt(): bigint {
    if (this.scale <= 0) return this.unscaledValue * pow10(-this.scale)
    return this.unscaledValue / pow10(this.scale)
  }

  /** The nearest double (Java's `doubleValue()`). */
  toNumber(): number {
    return Number(this.toString())
  }

  /** Java's `BigDecimal.toString()`: plain unless the scale is negative or the adjusted exponent is below -6. */
  toString(): string {
    const u = this.unscaledValue
    const negative = u < 0n
    const digits = (negative ? -u : u).toString()
    const scale = this.scale
    const adjusted = -scale + (digits.length - 1)
    let out: string
    if (scale >= 0 && adjusted >= -6) {
      out = insertPoint(digits, scale)
    } else {
      out = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits
      if (adjusted !== 0) out += `E${adjusted > 0 ? '+' : ''}${adjusted}`
    }
    return negative ? `-${out}` : out
  }

  /** Java's `BigDecimal.toPlainString()`: never an exponent. */
  toPlainString(): string {
    const u = this.unscaledValue
    const negative = u < 0n
    let digits = (negative ? -u : u).toString()
    if (this.scale < 0) {
      if (u === 0n) return '0'
      digits += '0'.repeat(-this.scale)
      return negative ? `-${digits}` : digits
    }
    const out = insertPoint(digits, this.scale)
    return negative ? `-${out}` : out
  }

  toJSON(): string {
    return this.toString()
  }
}
Object.defineProperty(BigDecimal.prototype, BRAND, { value: true, enumerable: false })

function insertPoint(digits: string, scale: number): string {
  if (scale === 0) return digits
  if (digits.length > scale) return `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`
  return `0.${'0'.repeat(scale - digits.length)}${digits}`
}

/** The minimal big-endian two's-complement bytes of `value` (Java's `BigInteger.toByteArray()`). */
export function bigIntToBytes(value: bigint): Uint8Array {
  // Number of bytes: enough bits for the magnitude plus a sign bit.
  let bits: number
  if (value >= 0n) bits = value === 0n ? 1 : value.toString(2).length + 1
  else bits = (-value - 1n).toString(2).length + 1
  const length = Math.ceil(bits / 8)
  const out = new Uint8Array(length)
  let v = BigInt.asUintN(length * 8, value)
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

/** Reads big-endian two's-complement bytes (Java's `new BigInteger(byte[])`). Empty input throws. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) throw new RangeError('Zero length BigInteger')
  let v = 0n
  for (let i = 0; i < bytes.length; i++) v = (v << 8n) | BigInt(bytes[i]!)
  return BigInt.asIntN(bytes.length * 8, v)
}
