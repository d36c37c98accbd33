/**
 * Java's `Double.toString` / `Float.toString` (JDK 19 and later, JDK-4511638: the shortest decimal that rounds to the
 * value, the closest one when several have that length), which is what Jackson writes for a DoubleNode / FloatNode.
 * Checked against the number tables of packages/converters/test/fixtures/json-converter/vectors.json, produced by Apache's JsonConverter.
 *
 * Java's format: `d.ddd` (at least one fractional digit) when 10^-3 <= |v| < 10^7, otherwise `d.dddE<exponent>`
 * (`1.0E7`, `1.0E-4`, no `+`), `0.0` / `-0.0` for zeros. Non-finite values are left to the caller (Jackson quotes
 * them: `"NaN"`, `"Infinity"`, `"-Infinity"`).
 *
 * Java differs from JavaScript's shortest digits in one rule: when a single digit is enough, Java still picks a
 * two-digit decimal if it is closer to the exact value (`4.9E-324` rather than `5e-324`). That can only happen for
 * subnormal numbers, whose precision is low enough; the check is limited to them.
 */

const MIN_NORMAL_DOUBLE = 2.2250738585072014e-308
const MIN_NORMAL_FLOAT = 1.1754943508222875e-38

/** Java's `Double.toString(value)` (`NaN`, `Infinity` and `-Infinity` as Java prints them). */
export function javaDoubleToString(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0'
  const abs = value < 0 ? -value : value
  if (abs >= 1e-3 && abs < 1e7) {
    // JavaScript prints this range in plain notation with the same shortest digits.
    const s = String(value)
    return s.includes('.') ? s : `${s}.0`
  }
  let exponential = value.toExponential()
  if (abs < MIN_NORMAL_DOUBLE) exponential = closerTwoDigits(value, exponential, false)
  return scientific(exponential)
}

/** Java's `Float.toString(value)`; `value` is first rounded to float32. */
export function javaFloatToString(input: number): string {
  const value = Math.fround(input)
  if (!Number.isFinite(value)) return String(value)
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0'
  const abs = value < 0 ? -value : value
  if (Number.isInteger(value) && abs < 1e7) return `${value}.0`
  let exponential = shortestFloat(value)
  if (abs < MIN_NORMAL_FLOAT) exponential = closerTwoDigits(value, exponential, true)
  if (abs >= 1e-3 && abs < 1e7) return plain(exponential)
  return scientific(exponential)
}

/**
 * The shortest decimal (as a JS exponential string) that rounds to the float32 `f`, the closest to `f` among those.
 * `toExponential(p - 1)` is the closest p-digit decimal; when it does not round-trip, a p-digit neighbour on the
 * other side still may (the rounding interval is lopsided at powers of two).
 */
function shortestFloat(f: number): string {
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = f.toExponential(digits - 1)
    const back = Math.fround(Number(candidate))
    if (back === f) {
      if (!isOddHalfwayRoundedUp(f, candidate, digits)) return candidate
      const even = stepLastDigit(candidate, f > 0 ? -1 : 1)
      return even !== null && Math.fround(Number(even)) === f ? even : candidate
    }
    const neighbour = stepLastDigit(candidate, back < f ? 1 : -1)
    if (neighbour !== null && Math.fround(Number(neighbour)) === f) return neighbour
  }
  return f.toExponential()
}

/**
 * True when `f` lies exactly halfway between two `digits`-digit decimals and `toExponential` took the one with the odd
 * last digit (it rounds half away from zero); Java takes the even one.
 */
function isOddHalfwayRoundedUp(f: number, candidate: string, digits: number): boolean {
  const ePos = candidate.indexOf('e')
  if ((candidate.charCodeAt(ePos - 1) & 1) === 0) return false
  const exact = f.toExponential(100)
  const start = (f < 0 ? 1 : 0) + digits + 1 // index of the (digits + 1)th significant digit
  if (exact.charCodeAt(start) !== 53) return false
  const end = exact.indexOf('e')
  for (let i = start + 1; i < end; i++) if (exact.charCodeAt(i) !== 48) return false
  return true
}

/** The decimal one unit in the last place away from `exponential` (same digit count), or null on a carry. */
function stepLastDigit(exponential: string, direction: 1 | -1): string | null {
  const negative = exponential.charCodeAt(0) === 45
  const ePos = exponential.indexOf('e')
  const mantissa = exponential.slice(negative ? 1 : 0, ePos)
  const digits = mantissa.replace('.', '')
  const magnitudeDirection = negative ? -direction : direction
  const next = (BigInt(digits) + BigInt(magnitudeDirection)).toString()
  if (next.length !== digits.length || next === '0') return null
  const m = next.length > 1 ? `${next[0]}.${next.slice(1)}` : next
  return `${negative ? '-' : ''}${m}${exponential.slice(ePos)}`
}

/** Java's one/two digit rule: a one-digit result gives way to the closest two-digit decimal if that round-trips. */
function closerTwoDigits(value: number, exponential: string, float: boolean): string {
  const ePos = exponential.indexOf('e')
  const mantissaLength = ePos - (exponential.charCodeAt(0) === 45 ? 1 : 0)
  if (mantissaLength !== 1) return exponential
  const two = value.toExponential(1)
  const back = float ? Math.fround(Number(two)) : Number(two)
  return back === value ? two : exponential
}

/** `-1.2345e+2` → `-123.45` (Java's plain form, at least one fractional digit). */
function plain(exponential: string): string {
  const negative = exponential.charCodeAt(0) === 45
  const ePos = exponential.indexOf('e')
  const exponent = Number(exponential.slice(ePos + 1))
  const digits = stripZeros(exponential.slice(negative ? 1 : 0, ePos).replace('.', ''))
  let out: string
  if (exponent >= 0) {
    const intLength = exponent + 1
    out =
      digits.length > intLength
        ? `${digits.slice(0, intLength)}.${digits.slice(intLength)}`
        : `${digits}${'0'.repeat(intLength - digits.length)}.0`
  } else {
    out = `0.${'0'.repeat(-exponent - 1)}${digits}`
  }
  return negative ? `-${out}` : out
}

/** `-1.2345e+21` → `-1.2345E21`, `5e-324` → `5.0E-324`. */
function scientific(exponential: string): string {
  const negative = exponential.charCodeAt(0) === 45
  const ePos = exponential.indexOf('e')
  const digits = stripZeros(exponential.slice(negative ? 1 : 0, ePos).replace('.', ''))
  let exponent = exponential.slice(ePos + 1)
  if (exponent.charCodeAt(0) === 43) exponent = exponent.slice(1)
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : `${digits}.0`
  return `${negative ? '-' : ''}${mantissa}E${exponent}`
}

function stripZeros(digits: string): string {
  let end = digits.length
  while (end > 1 && digits.charCodeAt(end - 1) === 48) end--
  return end === digits.length ? digits : digits.slice(0, end)
}

/**
 * The float32 nearest to a decimal literal (Java's `BigDecimal.floatValue()`), without the double rounding of
 * `Math.fround(Number(text))`: that goes wrong when the literal is within half a double ulp of a point halfway
 * between two floats, as the double then lands exactly on the halfway point.
 */
export function decimalToFloat32(text: string): number {
  const d = Number(text)
  const f = Math.fround(d)
  if (f === d || !Number.isFinite(f)) return f
  const other = nextFloatToward(f, d)
  const mid = (f + other) / 2
  if (d !== mid) return f
  const cmp = compareDecimalWithDouble(text, mid)
  if (cmp === 0) return f
  const above = f > mid ? f : other
  const below = f > mid ? other : f
  return cmp > 0 ? above : below
}

/** Whether the double `d` lies exactly halfway between its nearest float32 `f` and the float on d's other side. */
export function isFloatHalfway(d: number, f: number): boolean {
  return (f + nextFloatToward(f, d)) / 2 === d
}

const FLOAT_VIEW = new DataView(new ArrayBuffer(8))

/** The float32 next to `f` in the direction of `target`. */
function nextFloatToward(f: number, target: number): number {
  FLOAT_VIEW.setFloat32(0, f)
  let bits = FLOAT_VIEW.getUint32(0)
  const up = target > f
  if (f === 0) bits = up ? 1 : 0x80000001
  else if (f > 0 === up) bits += 1
  else bits -= 1
  FLOAT_VIEW.setUint32(0, bits >>> 0)
  return FLOAT_VIEW.getFloat32(0)
}

/** Sign of (decimal literal − double), computed exactly. */
function compareDecimalWithDouble(text: string, value: number): number {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text)
  if (m === null) return 0
  const negative = m[1] === '-'
  let digits = BigInt(m[2]! + (m[3] ?? ''))
  const exp10 = (m[4] === undefined ? 0 : Number(m[4])) - (m[3]?.length ?? 0)
  if (negative) digits = -digits
  // value = mantissa × 2^exp2
  FLOAT_VIEW.setFloat64(0, value)
  const hi = FLOAT_VIEW.getUint32(0)
  const lo = FLOAT_VIEW.getUint32(4)
  const biased = (hi >>> 20) & 0x7ff
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo)
  let exp2: number
  if (biased === 0) exp2 = -1074
  else {
    mantissa |= 1n << 52n
    exp2 = biased - 1075
  }
  if (value < 0) mantissa = -mantissa
  let left = digits
  let right = mantissa
  if (exp10 >= 0) left *= 10n ** BigInt(exp10)
  else right *= 10n ** BigInt(-exp10)
  if (exp2 >= 0) right <<= BigInt(exp2)
  else left <<= BigInt(-exp2)
  return left > right ? 1 : left < right ? -1 : 0
}
