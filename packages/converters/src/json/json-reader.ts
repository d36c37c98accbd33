/**
 * A JSON reader that behaves like the Jackson `ObjectMapper.readTree` that Apache's JsonConverter uses (with
 * `ALLOW_LEADING_ZEROS_FOR_NUMBERS` and `USE_BIG_DECIMAL_FOR_FLOATS`), and that keeps what `JSON.parse` loses:
 *
 * - an integral literal (`12`, `-0`, `007`) becomes a `number` when it is a safe integer, a `bigint` otherwise
 *   (Jackson's IntNode / LongNode / BigIntegerNode);
 * - a literal with a fraction or an exponent (`1.50`, `1e3`) becomes a `JsonFloat` holding its text (Jackson's
 *   DecimalNode), so the scale of `1.50` and the integral-or-not distinction survive;
 * - objects are plain objects in document order of their (last) values; a `__proto__` key is an own property.
 *
 * Like `readTree`: empty input (or only whitespace) is `MISSING`; after the first root value the rest of the input is
 * not read, except that a root-level number must be followed by whitespace or the end. With `strict`, anything but
 * whitespace after the root value is an error (used where the text is a slice of a larger document).
 */

/** A JSON number literal with a fraction and/or an exponent, kept as text. */
export class JsonFloat {
  readonly text: string

  constructor(text: string) {
    this.text = text
  }

  /** The nearest double. A zero literal (`-0.0`) is +0, as Java's BigDecimal has no negative zero. */
  toNumber(): number {
    const v = Number(this.text)
    return v === 0 ? zeroOf(this.text, v) : v
  }
}

/** `-0.0` reads as 0.0 (BigDecimal zero); `-1e-400` stays -0.0 (a negative number that underflows). */
function zeroOf(text: string, v: number): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 101 || c === 69) break
    if (c >= 49 && c <= 57) return v
  }
  return 0
}

/** Jackson's MissingNode: the root of an empty document. */
export const MISSING: unique symbol = Symbol('MISSING')

export type JsonObject = { [key: string]: JsonNode }
export type JsonNode = null | boolean | number | bigint | string | JsonFloat | JsonNode[] | JsonObject

/** A syntax error, with Jackson-like wording. */
export class JsonSyntaxError extends Error {}

/** Jackson's `StreamReadConstraints` default maximum nesting depth. */
export const MAX_NESTING_DEPTH = 1000
/** Jackson's `StreamReadConstraints` default maximum number of digits in a number. */
export const MAX_NUMBER_LENGTH = 1000

/** Parses `text` (see the module comment). */
export function parseJson(text: string, strict = false): JsonNode | typeof MISSING {
  const p = new Parser(text)
  p.skipWs()
  if (p.pos >= text.length) {
    if (strict) p.fail('No content to map due to end-of-input')
    return MISSING
  }
  const value = p.value(0)
  if (strict) {
    p.skipWs()
    if (p.pos < text.length) p.unexpected('expected end-of-input')
  }
  return value
}

class Parser {
  readonly text: string
  pos = 0

  constructor(text: string) {
    this.text = text
  }

  fail(message: string): never {
    throw new JsonSyntaxError(`${message} at character ${this.pos}`)
  }

  unexpected(expected: string): never {
    if (this.pos >= this.text.length) this.fail(`Unexpected end-of-input: ${expected}`)
    const c = this.text.charCodeAt(this.pos)
    const shown = c < 32 ? `(CTRL-CHAR, code ${c})` : `'${this.text[this.pos]}' (code ${c})`
    this.fail(`Unexpected character (${shown}): ${expected}`)
  }

  skipWs(): void {
    const text = this.text
    let pos = this.pos
    while (pos < text.length) {
      const c = text.charCodeAt(pos)
      if (c === 32 || c === 10 || c === 13 || c === 9) pos++
      else break
    }
    this.pos = pos
  }

  value(depth: number): JsonNode {
    const c = this.text.charCodeAt(this.pos)
    switch (c) {
      case 123: // {
        return this.object(depth + 1)
      case 91: // [
        return this.array(depth + 1)
      case 34: // "
        return this.string()
      case 116: // t
        return this.literal('true', true)
      case 102: // f
        return this.literal('false', false)
      case 110: // n
        return this.literal('null', null)
      default:
        if (c === 45 || (c >= 48 && c <= 57)) return this.number(depth === 0)
        return this.unexpected('expected a valid value (JSON String, Number, Array, Object or token)')
    }
  }

  literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) {
      this.fail(
        `Unrecognized token '${this.tokenAt(this.pos)}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')`,
      )
    }
    const end = this.pos + word.length
    // Jackson rejects `truex` / `null1`: an identifier character right after the token.
    if (end < this.text.length && isIdentifierPart(this.text.charCodeAt(end))) {
      this.fail(
        `Unrecognized token '${this.tokenAt(this.pos)}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')`,
      )
    }
    this.pos = end
    return value
  }

  tokenAt(start: number): string {
    let end = start
    while (end < this.text.length && end - start < 256 && isIdentifierPart(this.text.charCodeAt(end))) end++
    return this.text.slice(start, Math.max(end, start + 1))
  }

  number(root: boolean): number | bigint | JsonFloat {
    const text = this.text
    const start = this.pos
    let pos = start
    if (text.charCodeAt(pos) === 45) pos++
    const intStart = pos
    while (pos < text.length && isDigit(text.charCodeAt(pos))) pos++
    if (pos === intStart) {
      this.pos = pos
      this.fail('Unexpected character: expected digit (0-9) to follow minus sign, for valid numeric value')
    }
    const intLength = pos - intStart
    let integral = true
    let digitCount = intLength
    if (pos < text.length && text.charCodeAt(pos) === 46) {
      pos++
      const fracStart = pos
      while (pos < text.length && isDigit(text.charCodeAt(pos))) pos++
      if (pos === fracStart) {
        this.pos = pos
        this.fail('Unexpected character: Decimal point not followed by a digit')
      }
      digitCount += pos - fracStart
      integral = false
    }
    if (pos < text.length && (text.charCodeAt(pos) | 32) === 101) {
      pos++
      const sign = text.charCodeAt(pos)
      if (sign === 43 || sign === 45) pos++
      const expStart = pos
      while (pos < text.length && isDigit(text.charCodeAt(pos))) pos++
      if (pos === expStart) {
        this.pos = pos
        this.fail('Unexpected character: Exponent indicator not followed by a digit')
      }
      digitCount += pos - expStart
      integral = false
    }
    this.pos = pos
    if (digitCount > MAX_NUMBER_LENGTH) {
      this.fail(`Number value length (${digitCount}) exceeds the maximum allowed (${MAX_NUMBER_LENGTH})`)
    }
    if (root && pos < text.length) {
      const c = text.charCodeAt(pos)
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) this.unexpected('Expected space separating root-level values')
    }
    const literal = text.slice(start, pos)
    if (!integral) return new JsonFloat(literal)
    // Up to 15 digits is always a safe integer.
    if (intLength <= 15) {
      const v = Number(literal)
      return v === 0 ? 0 : v
    }
    const big = BigInt(literal)
    return big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big
  }

  string(): string {
    const text = this.text
    let pos = this.pos + 1
    const start = pos
    // Fast path: no escapes.
    while (pos < text.length) {
      const c = text.charCodeAt(pos)
      if (c === 34) {
        this.pos = pos + 1
        return text.slice(start, pos)
      }
      if (c === 92 || c < 32) break
      pos++
    }
    let out = text.slice(start, pos)
    while (true) {
      if (pos >= text.length) {
        this.pos = pos
        this.fail('Unexpected end-of-input: was expecting closing quote for a string value')
      }
      const c = text.charCodeAt(pos)
      if (c === 34) {
        this.pos = pos + 1
        return out
      }
      if (c < 32) {
        this.pos = pos
        this.fail(
          `Illegal unquoted character ((CTRL-CHAR, code ${c})): has to be escaped using backslash to be included in string value`,
        )
      }
      if (c !== 92) {
        const runStart = pos
        while (pos < text.length) {
          const d = text.charCodeAt(pos)
          if (d === 34 || d === 92 || d < 32) break
          pos++
        }
        out += text.slice(runStart, pos)
        continue
      }
      pos++
      const e = text.charCodeAt(pos)
      switch (e) {
        case 34:
          out += '"'
          break
        case 92:
          out += '\\'
          break
        case 47:
          out += '/'
          break
        case 98:
          out += '\b'
          break
        case 102:
          out += '\f'
          break
        case 110:
          out += '\n'
          break
        case 114:
          out += '\r'
          break
        case 116:
          out += '\t'
          break
        case 117: {
          let code = 0
          for (let i = 1; i <= 4; i++) {
            const h = hexValue(text.charCodeAt(pos + i))
            if (h < 0) {
              this.pos = pos + i
              this.fail('Unexpected character: expected a hex-digit for character escape sequence')
            }
            code = (code << 4) | h
          }
          out += String.fromCharCode(code)
          pos += 4
          break
        }
        default:
          this.pos = pos
          if (Number.isNaN(e)) this.fail('Unexpected end-of-input in character escape sequence')
          this.fail(`Unrecognized character escape '${text[pos]}' (code ${e})`)
      }
      pos++
    }
  }

  array(depth: number): JsonNode[] {
    if (depth > MAX_NESTING_DEPTH)
      this.fail(`Document nesting depth exceeds the maximum allowed (${MAX_NESTING_DEPTH})`)
    this.pos++
    const out: JsonNode[] = []
    this.skipWs()
    if (this.text.charCodeAt(this.pos) === 93) {
      this.pos++
      return out
    }
    while (true) {
      this.skipWs()
      out.push(this.value(depth))
      this.skipWs()
      const c = this.text.charCodeAt(this.pos)
      if (c === 44) {
        this.pos++
        continue
      }
      if (c === 93) {
        this.pos++
        return out
      }
      this.unexpected('was expecting comma to separate Array entries')
    }
  }

  object(depth: number): JsonObject {
    if (depth > MAX_NESTING_DEPTH)
      this.fail(`Document nesting depth exceeds the maximum allowed (${MAX_NESTING_DEPTH})`)
    this.pos++
    const out: JsonObject = {}
    this.skipWs()
    if (this.text.charCodeAt(this.pos) === 125) {
      this.pos++
      return out
    }
    while (true) {
      this.skipWs()
      if (this.text.charCodeAt(this.pos) !== 34) this.unexpected('was expecting double-quote to start field name')
      const key = this.string()
      this.skipWs()
      if (this.text.charCodeAt(this.pos) !== 58)
        this.unexpected('was expecting a colon to separate field name and value')
      this.pos++
      this.skipWs()
      const value = this.value(depth)
      if (key === '__proto__') {
        // Re-defining keeps "last one wins" but moves the key; Jackson keeps the first position. Rare enough.
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
      } else {
        out[key] = value
      }
      this.skipWs()
      const c = this.text.charCodeAt(this.pos)
      if (c === 44) {
        this.pos++
        continue
      }
      if (c === 125) {
        this.pos++
        return out
      }
      this.unexpected('was expecting comma to separate Object entries')
    }
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  const lower = c | 32
  if (lower >= 97 && lower <= 102) return lower - 87
  return -1
}

/** Java's `Character.isJavaIdentifierPart`, approximated: ASCII letters, digits, `_`, `$`, and non-ASCII. */
function isIdentifierPart(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122) || c === 95 || c === 36 || (c >= 128 && c !== 0xfeff)
  )
}

/**
 * The end (exclusive) of the JSON value that starts at `start`, found by bracket matching that skips over strings;
 * -1 when the text ends first. Does not validate the value.
 */
export function scanValueEnd(text: string, start: number): number {
  const first = text.charCodeAt(start)
  if (first === 34) return scanStringEnd(text, start)
  if (first !== 123 && first !== 91) {
    let pos = start
    while (pos < text.length) {
      const c = text.charCodeAt(pos)
      if (c === 44 || c === 125 || c === 93 || c === 32 || c === 10 || c === 13 || c === 9) break
      pos++
    }
    return pos
  }
  let depth = 0
  let pos = start
  while (pos < text.length) {
    const c = text.charCodeAt(pos)
    if (c === 34) {
      pos = scanStringEnd(text, pos)
      if (pos < 0) return -1
      continue
    }
    if (c === 123 || c === 91) depth++
    else if (c === 125 || c === 93) {
      depth--
      if (depth === 0) return pos + 1
    }
    pos++
  }
  return -1
}

/**
 * Whether `text` may go beyond Jackson's read limits: arrays and objects nested deeper than MAX_NESTING_DEPTH, or a
 * number with more than MAX_NUMBER_LENGTH digits (approximated: digit runs, with `.`, `e` and signs between digits).
 */
export function exceedsReadLimits(text: string): boolean {
  let depth = 0
  let digits = 0
  let pos = 0
  const length = text.length
  while (pos < length) {
    const c = text.charCodeAt(pos)
    if (c >= 48 && c <= 57) {
      if (++digits > MAX_NUMBER_LENGTH) return true
      pos++
      continue
    }
    if (c === 46 || c === 101 || c === 69 || c === 43 || c === 45) {
      pos++
      continue
    }
    digits = 0
    if (c === 34) {
      pos = scanStringEnd(text, pos)
      if (pos < 0) return false
      continue
    }
    if (c === 123 || c === 91) {
      if (++depth > MAX_NESTING_DEPTH) return true
    } else if (c === 125 || c === 93) depth--
    pos++
  }
  return false
}

function scanStringEnd(text: string, start: number): number {
  let pos = start + 1
  while (true) {
    const quote = text.indexOf('"', pos)
    if (quote < 0) return -1
    // An odd number of backslashes before the quote escapes it.
    let backslashes = 0
    for (let i = quote - 1; i > start && text.charCodeAt(i) === 92; i--) backslashes++
    if ((backslashes & 1) === 0) return quote + 1
    pos = quote + 1
  }
}

// ------------------------------------------------------------------------------------------------ base64

const BASE64_VALUES = new Int8Array(128).fill(-1)
{
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  for (let i = 0; i < alphabet.length; i++) BASE64_VALUES[alphabet.charCodeAt(i)] = i
  BASE64_VALUES[61] = -2 // '=' padding
}

/**
 * Jackson's base64 decoding of a JSON string (`TextNode.binaryValue()`, variant MIME-NO-LINEFEEDS): the standard
 * alphabet, padding required, whitespace allowed between 4-character units only (and around the whole text).
 * Throws `Error` with Jackson's message on bad input.
 */
export function decodeBase64Jackson(input: string): Uint8Array {
  const str = javaTrim(input)
  // Fast path: a canonical padded base64 string.
  if (str.length % 4 === 0 && CANONICAL_BASE64.test(str)) return Buffer.from(str, 'base64')
  const out: number[] = []
  const len = str.length
  let ptr = 0
  while (true) {
    let ch: number
    do {
      if (ptr >= len) return Uint8Array.from(out)
      ch = str.charCodeAt(ptr++)
    } while (ch <= 32)
    let bits = base64Value(ch)
    if (bits < 0) invalidBase64(ch, 0, null)
    let data = bits
    if (ptr >= len) base64Eof()
    ch = str.charCodeAt(ptr++)
    bits = base64Value(ch)
    if (bits < 0) invalidBase64(ch, 1, null)
    data = (data << 6) | bits
    if (ptr >= len) base64Eof()
    ch = str.charCodeAt(ptr++)
    bits = base64Value(ch)
    if (bits < 0) {
      if (bits !== -2) invalidBase64(ch, 2, null)
      if (ptr >= len) base64Eof()
      ch = str.charCodeAt(ptr++)
      if (ch !== 61) invalidBase64(ch, 3, "expected padding character '='")
      out.push((data >> 4) & 0xff)
      continue
    }
    data = (data << 6) | bits
    if (ptr >= len) base64Eof()
    ch = str.charCodeAt(ptr++)
    bits = base64Value(ch)
    if (bits < 0) {
      if (bits !== -2) invalidBase64(ch, 3, null)
      data >>= 2
      out.push((data >> 8) & 0xff, data & 0xff)
    } else {
      data = (data << 6) | bits
      out.push((data >> 16) & 0xff, (data >> 8) & 0xff, data & 0xff)
    }
  }
}

const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

function base64Value(ch: number): number {
  return ch < 128 ? BASE64_VALUES[ch]! : -1
}

function javaTrim(s: string): string {
  let start = 0
  let end = s.length
  while (start < end && s.charCodeAt(start) <= 32) start++
  while (end > start && s.charCodeAt(end - 1) <= 32) end--
  return start === 0 && end === s.length ? s : s.slice(start, end)
}

function invalidBase64(ch: number, index: number, message: string | null): never {
  let base: string
  if (ch <= 32) {
    base = `Illegal white space character (code 0x${ch.toString(16)}) as character #${index + 1} of 4-char base64 unit: can only used between units`
  } else if (ch === 61) {
    base = `Unexpected padding character ('=') as character #${index + 1} of 4-char base64 unit: padding only legal as 3rd or 4th character`
  } else if (ch < 32 || ch >= 127) {
    base = `Illegal character (code 0x${ch.toString(16)}) in base64 content`
  } else {
    base = `Illegal character '${String.fromCharCode(ch)}' (code 0x${ch.toString(16)}) in base64 content`
  }
  throw new Error(message === null ? base : `${base}: ${message}`)
}

function base64Eof(): never {
  throw new Error(
    "Unexpected end of base64-encoded String: base64 variant 'MIME-NO-LINEFEEDS' expects padding (one or more '=' characters) at the end. This Base64Variant might have been incorrectly configured",
  )
}
