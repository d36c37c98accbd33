/**
 * Java semantics the transforms reproduce: class names in messages, `String.trim`/`split`, `Integer.parseInt`,
 * `Float.parseFloat`/`Double.parseDouble`, the narrowing conversions of `Number`, and Java-named exceptions for the
 * few places where Apache throws a plain JDK exception.
 */
import { BigDecimal, Struct } from '@ferry/api'

/** A JDK exception Apache lets escape (the class name is the Java simple name). */
export class IllegalArgumentException extends Error {
  constructor(message?: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'IllegalArgumentException'
  }
}

export class IndexOutOfBoundsException extends Error {
  constructor(message?: string) {
    super(message)
    this.name = 'IndexOutOfBoundsException'
  }
}

export class NullPointerException extends Error {
  constructor(message?: string) {
    super(message)
    this.name = 'NullPointerException'
  }
}

/** Java's NumberFormatException (only ever the cause of a DataException here). */
export class NumberFormatException extends IllegalArgumentException {
  constructor(message?: string) {
    super(message)
    this.name = 'NumberFormatException'
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * The Java class name (`getClass().getName()`) Apache would report for a value: a JS number is a `java.lang.Long` when
 * it is a safe integer and a `java.lang.Double` otherwise (what a schemaless JsonConverter value would be), a bigint a
 * `java.lang.Long`, maps (a `Map` or a plain object) are `java.util.HashMap`, arrays `java.util.ArrayList`, bytes `[B`.
 */
export function javaClassName(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  switch (typeof value) {
    case 'string':
      return 'java.lang.String'
    case 'boolean':
      return 'java.lang.Boolean'
    case 'bigint':
      return 'java.lang.Long'
    case 'number':
      return Number.isSafeInteger(value) ? 'java.lang.Long' : 'java.lang.Double'
  }
  if (value instanceof Uint8Array) return '[B'
  if (Array.isArray(value)) return 'java.util.ArrayList'
  if (value instanceof Map || isPlainObject(value)) return 'java.util.HashMap'
  if (value instanceof Struct) return 'org.apache.kafka.connect.data.Struct'
  if (value instanceof Date) return 'java.util.Date'
  if (value instanceof BigDecimal) return 'java.math.BigDecimal'
  const ctor = (value as object).constructor
  return typeof ctor === 'function' && ctor.name ? ctor.name : 'java.lang.Object'
}

/** `String.valueOf(value.getClass())`: `class java.lang.String`. */
export function javaClassString(value: unknown): string {
  return `class ${javaClassName(value)}`
}

/** Java's `String.trim()`: strips chars <= U+0020 only. */
export function javaTrim(s: string): string {
  let start = 0
  let end = s.length
  while (start < end && s.charCodeAt(start) <= 0x20) start++
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--
  return start === 0 && end === s.length ? s : s.substring(start, end)
}

/** Java's `String.split(sep)` for a one-character literal separator: trailing empty strings are removed. */
export function javaSplit(s: string, separator: string): string[] {
  if (s.length === 0) return ['']
  const parts = s.split(separator)
  let n = parts.length
  while (n > 0 && parts[n - 1] === '') n--
  // "::" splits into nothing at all in Java (every part is a trailing empty string).
  return parts.slice(0, n)
}

/** Java's `toUpperCase(Locale.ROOT)` (JS `toUpperCase` is locale independent). */
export function upperRoot(s: string): string {
  return s.toUpperCase()
}

const ND = /\p{Nd}/u

/** Java's `Character.digit(ch, 10)` for one UTF-16 code unit: 0-9, or -1. */
export function javaDigit(ch: number): number {
  if (ch >= 0x30 && ch <= 0x39) return ch - 0x30
  if (ch < 0x80 || (ch >= 0xd800 && ch <= 0xdfff)) return -1
  if (!ND.test(String.fromCharCode(ch))) return -1
  // Decimal digits come in runs of ten starting at zero.
  let start = ch
  while (start > 0 && ND.test(String.fromCharCode(start - 1))) start--
  return (ch - start) % 10
}

const INT_RANGES = {
  8: [-128n, 127n],
  16: [-32768n, 32767n],
  32: [-2147483648n, 2147483647n],
  64: [-(2n ** 63n), 2n ** 63n - 1n],
} as const

/**
 * `Byte.parseByte` / `Short.parseShort` / `Integer.parseInt` / `Long.parseLong` in radix 10 (Unicode digits are
 * accepted, as `Character.digit` does). Throws NumberFormatException.
 */
export function javaParseInteger(s: string, bits: 8 | 16 | 32 | 64): bigint {
  const parseBits = bits === 64 ? 64 : 32
  const [min, max] = INT_RANGES[parseBits]
  const len = s.length
  if (len === 0) throw new NumberFormatException('For input string: ""')
  let i = 0
  const first = s.charCodeAt(0)
  let negative = false
  if (first === 0x2d || first === 0x2b) {
    negative = first === 0x2d
    i = 1
    if (len === 1) throw new NumberFormatException(`For input string: "${s}"`)
  }
  let result = 0n
  for (; i < len; i++) {
    const d = javaDigit(s.charCodeAt(i))
    if (d < 0) throw new NumberFormatException(`For input string: "${s}"`)
    result = result * 10n + BigInt(d)
    if (result > max + 1n) throw new NumberFormatException(`For input string: "${s}"`)
  }
  if (negative) result = -result
  if (result < min || result > max) throw new NumberFormatException(`For input string: "${s}"`)
  if (bits === 8 || bits === 16) {
    const [bmin, bmax] = INT_RANGES[bits]
    if (result < bmin || result > bmax) {
      throw new NumberFormatException(`Value out of range. Value:"${s}" Radix:10`)
    }
  }
  return result
}

// ------------------------------------------------------------------------------------------------ binary rounding

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length
}

/**
 * The IEEE binary number nearest to `num / den` (both non-negative, `den` > 0), ties to even, with `precision`
 * significand bits and `minExponent` the exponent of the lowest subnormal bit: 53/-1074 for double, 24/-149 for float.
 * Returns a JS number (a float value is returned exactly, as a double).
 */
function ratioToBinary(num: bigint, den: bigint, precision: number, minExponent: number, maxValue: number): number {
  if (num === 0n) return 0
  let e = bitLength(num) - bitLength(den) - precision
  // Make sure 2^(p-1) <= num / (den * 2^e) < 2^p.
  const scaled = (k: number): [bigint, bigint] => (k >= 0 ? [num, den << BigInt(k)] : [num << BigInt(-k), den])
  let [n, d] = scaled(e)
  while (n / d >= 1n << BigInt(precision)) {
    e++
    ;[n, d] = scaled(e)
  }
  while (n / d < 1n << BigInt(precision - 1)) {
    e--
    ;[n, d] = scaled(e)
  }
  if (e < minExponent) {
    e = minExponent
    ;[n, d] = scaled(e)
  }
  let q = n / d
  const r2 = (n - q * d) * 2n
  if (r2 > d || (r2 === d && (q & 1n) === 1n)) q++
  const value = Number(q) * 2 ** e
  return value > maxValue ? Number.POSITIVE_INFINITY : value
}

const FLOAT_MAX = 3.4028234663852886e38

/** The double nearest to `num / den` (ties to even). */
export function ratioToDouble(num: bigint, den: bigint): number {
  const negative = num < 0n !== den < 0n
  const v = ratioToBinary(num < 0n ? -num : num, den < 0n ? -den : den, 53, -1074, Number.MAX_VALUE)
  return negative ? -v : v
}

/** The float nearest to `num / den` (ties to even), as a JS number. */
export function ratioToFloat(num: bigint, den: bigint): number {
  const negative = num < 0n !== den < 0n
  const v = ratioToBinary(num < 0n ? -num : num, den < 0n ? -den : den, 24, -149, FLOAT_MAX)
  return negative ? -v : v
}

/** `(float) longValue`: the float nearest to an integer. */
export function longToFloat(value: bigint): number {
  return ratioToFloat(value, 1n)
}

/** `BigDecimal.floatValue()`. */
export function decimalToFloat(value: BigDecimal): number {
  return value.scale >= 0
    ? ratioToFloat(value.unscaledValue, 10n ** BigInt(value.scale))
    : ratioToFloat(value.unscaledValue * 10n ** BigInt(-value.scale), 1n)
}

/** `BigDecimal.doubleValue()`. */
export function decimalToDouble(value: BigDecimal): number {
  return value.scale >= 0
    ? ratioToDouble(value.unscaledValue, 10n ** BigInt(value.scale))
    : ratioToDouble(value.unscaledValue * 10n ** BigInt(-value.scale), 1n)
}

// ------------------------------------------------------------------------------------------------ Double.parseDouble

const DECIMAL_FLOAT = /^([+-]?)(?:(NaN)|(Infinity)|(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?)[fFdD]?$/
const HEX_FLOAT = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)[fFdD]?$/

/**
 * `Double.parseDouble` (`float32` false) or `Float.parseFloat` (`float32` true): Java's syntax (surrounding chars
 * <= U+0020 ignored, optional sign, `NaN`, `Infinity`, decimal with optional exponent, hexadecimal `0x1.8p1`, an
 * optional `f`/`F`/`d`/`D` suffix), correctly rounded to the target precision. Throws NumberFormatException.
 */
export function javaParseFloating(text: string, float32: boolean): number {
  const s = javaTrim(text)
  if (s.length === 0) throw new NumberFormatException('empty String')
  const fail = (): never => {
    throw new NumberFormatException(`For input string: "${text}"`)
  }
  // NaN and Infinity take no suffix.
  let m = /^([+-]?)(NaN|Infinity)$/.exec(s)
  if (m !== null) {
    if (m[2] === 'NaN') return Number.NaN
    return m[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  }
  m = HEX_FLOAT.exec(s)
  if (m !== null) {
    const intDigits = m[2] ?? ''
    const fracDigits = m[3] ?? ''
    if (intDigits.length === 0 && fracDigits.length === 0) fail()
    const mantissa = BigInt(`0x${intDigits}${fracDigits}` === '0x' ? '0' : `0x${intDigits}${fracDigits}`)
    let exp = BigInt(m[4]!) - BigInt(4 * fracDigits.length)
    // Clamp absurd exponents: the result is 0 or Infinity anyway.
    if (exp > 100000n) exp = 100000n
    if (exp < -100000n) exp = -100000n
    const e = Number(exp)
    const v =
      e >= 0
        ? (float32 ? ratioToFloat : ratioToDouble)(mantissa << BigInt(e), 1n)
        : (float32 ? ratioToFloat : ratioToDouble)(mantissa, 1n << BigInt(-e))
    return m[1] === '-' ? -v : v
  }
  m = DECIMAL_FLOAT.exec(s)
  if (m === null || m[2] !== undefined || m[3] !== undefined) return fail()
  const intDigits = m[4] ?? ''
  const fracDigits = m[5] ?? ''
  if (intDigits.length === 0 && fracDigits.length === 0) fail()
  const negative = m[1] === '-'
  if (!float32) {
    const v = Number(`${intDigits.length === 0 ? '0' : intDigits}.${fracDigits}e${m[6] ?? '0'}`)
    return negative ? -v : v
  }
  const digits = (intDigits + fracDigits).replace(/^0+/, '')
  if (digits.length === 0) return negative ? -0 : 0
  let exp10 = BigInt(m[6] ?? '0') - BigInt(fracDigits.length)
  // Far outside the float range either way.
  if (exp10 + BigInt(digits.length) > 60n) return negative ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  if (exp10 + BigInt(digits.length) < -60n) return negative ? -0 : 0
  const mantissa = BigInt(digits)
  if (exp10 < -400n) exp10 = -400n
  const e = Number(exp10)
  const v = e >= 0 ? ratioToFloat(mantissa * 10n ** BigInt(e), 1n) : ratioToFloat(mantissa, 10n ** BigInt(-e))
  return negative ? -v : v
}

// ------------------------------------------------------------------------------------------------ Number narrowing

/** Java's `(long) d`: NaN → 0, saturating, truncating toward zero. */
export function doubleToLong(d: number): bigint {
  if (Number.isNaN(d)) return 0n
  if (d >= 2 ** 63) return 9223372036854775807n
  if (d <= -(2 ** 63)) return -9223372036854775808n
  return BigInt(Math.trunc(d))
}

/** Java's `(int) d`. */
export function doubleToInt(d: number): number {
  if (Number.isNaN(d)) return 0
  if (d >= 2147483647) return 2147483647
  if (d <= -2147483648) return -2147483648
  return Math.trunc(d) | 0
}

/** A long as Ferry represents INT64: a number when safe, a bigint otherwise. */
export function normalizeLong(n: bigint): number | bigint {
  return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n
}
