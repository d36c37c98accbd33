/**
 * Java's `Double.toString` and `Float.toString` (JDK 19+: the shortest digits that round-trip), used wherever Connect
 * renders FLOAT64 / FLOAT32 values as text: `1.0`, `0.001`, `1.0E7`, `1.0E-4`, `NaN`, `-Infinity`.
 */

/** Java's `Double.toString(value)`. */
export function javaDoubleToString(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0'
  const exp = value.toExponential() // shortest round-trip digits
  return formatJava(exp)
}

/** Java's `Float.toString(value)`: `value` is first rounded to float32. */
export function javaFloatToString(value: number): string {
  const f = Math.fround(value)
  if (!Number.isFinite(f)) return String(f)
  if (f === 0) return Object.is(f, -0) ? '-0.0' : '0.0'
  for (let digits = 1; digits < 10; digits++) {
    const exp = f.toExponential(digits - 1)
    if (Math.fround(Number(exp)) === f) return formatJava(exp)
  }
  return formatJava(f.toExponential())
}

/** Formats a JS exponential string (`-1.2345e+7`) the way Java prints floating point numbers. */
function formatJava(exponential: string): string {
  const negative = exponential.startsWith('-')
  const body = negative ? exponential.slice(1) : exponential
  const ePos = body.indexOf('e')
  const mantissa = body.slice(0, ePos)
  const exponent = Number.parseInt(body.slice(ePos + 1), 10)
  let digits = mantissa.replace('.', '')
  digits = digits.replace(/0+$/, '')
  if (digits.length === 0) digits = '0'
  let out: string
  if (exponent >= -3 && exponent < 7) {
    if (exponent >= 0) {
      const intLen = exponent + 1
      const intPart = digits.length >= intLen ? digits.slice(0, intLen) : digits + '0'.repeat(intLen - digits.length)
      const frac = digits.length > intLen ? digits.slice(intLen) : '0'
      out = `${intPart}.${frac}`
    } else {
      out = `0.${'0'.repeat(-exponent - 1)}${digits}`
    }
  } else {
    out = `${digits[0]}.${digits.length > 1 ? digits.slice(1) : '0'}E${exponent}`
  }
  return negative ? `-${out}` : out
}
