/**
 * Whether a JSON text is already in the form JsonConverter (`schemas.enable=false`) writes: reading it and writing
 * the value back gives the same text, character for character. Sinks that write schemaless JSON (the S3 sink's
 * JsonFormat, the Elasticsearch sink with `schema.ignore`) can then take the text they were given instead of parsing
 * and writing each record again (see `DeferredJson` in @ferry/api).
 *
 * The test is conservative: a text it accepts is valid JSON that the converter reads without error and writes back
 * unchanged; many such texts are refused (they then take the usual path, with the same result). Accepted:
 * - an object or an array at the root, nested at most MAX_DEPTH deep, and nothing before or after it;
 * - no whitespace outside strings;
 * - strings without escapes, control characters or surrogates (the writer escapes surrogates; escapes have more than
 *   one spelling);
 * - object keys that do not start with a digit (JavaScript objects put integer-like keys first), each at most once in
 *   its object (a repeated key keeps one value);
 * - integers of at most 15 digits, not `-0` (read as a safe integer, written as is);
 * - decimals without an exponent, of at most 15 significant digits, not ending in `0`, of magnitude in [0.001, 10^7)
 *   (read as the nearest double, whose shortest text is those digits, and Java's Double.toString writes them so);
 * - `true`, `false`, `null`.
 */

/** Deeper texts take the usual path. */
const MAX_DEPTH = 64
/** Objects with more keys take the usual path (repeated keys are looked for pairwise). */
const MAX_KEYS = 64

/** Whether `text` is exactly what the schemaless JsonConverter writes for the value it reads from `text`. */
export function isWrittenForm(text: string): boolean {
  const first = text.charCodeAt(0)
  if (first !== 123 && first !== 91) return false // '{' '['
  const scan = SCAN
  scan.text = text
  scan.pos = 0
  scan.keyStarts.length = 0
  scan.keyEnds.length = 0
  const ok = scan.value(0) && scan.pos === text.length
  scan.text = ''
  return ok
}

/** One scanner, reused: a scan is synchronous. */
class Scan {
  text = ''
  pos = 0
  /** Where the keys of the objects being scanned start and end in the text, the innermost object's last. */
  readonly keyStarts: number[] = []
  readonly keyEnds: number[] = []

  value(depth: number): boolean {
    const text = this.text
    const c = text.charCodeAt(this.pos)
    switch (c) {
      case 123: // {
        return depth < MAX_DEPTH && this.object(depth + 1)
      case 91: // [
        return depth < MAX_DEPTH && this.array(depth + 1)
      case 34: // "
        return this.string() >= 0
      case 116: // t
        return this.literal('true')
      case 102: // f
        return this.literal('false')
      case 110: // n
        return this.literal('null')
      default:
        return this.number()
    }
  }

  object(depth: number): boolean {
    const text = this.text
    this.pos++
    if (text.charCodeAt(this.pos) === 125) {
      this.pos++
      return true
    }
    const starts = this.keyStarts
    const ends = this.keyEnds
    const base = starts.length
    for (;;) {
      if (text.charCodeAt(this.pos) !== 34) return false
      const keyStart = this.pos + 1
      const keyEnd = this.string()
      if (keyEnd < 0) return false
      const first = text.charCodeAt(keyStart)
      if (first >= 48 && first <= 57) return false
      const length = keyEnd - keyStart
      if (starts.length - base >= MAX_KEYS) return false
      for (let k = base; k < starts.length; k++) {
        if (ends[k]! - starts[k]! === length && sameChars(text, starts[k]!, keyStart, length)) return false
      }
      starts.push(keyStart)
      ends.push(keyEnd)
      if (text.charCodeAt(this.pos) !== 58) return false // :
      this.pos++
      if (!this.value(depth)) return false
      const next = text.charCodeAt(this.pos++)
      if (next === 125) break // }
      if (next !== 44) return false // ,
    }
    starts.length = base
    ends.length = base
    return true
  }

  array(depth: number): boolean {
    const text = this.text
    this.pos++
    if (text.charCodeAt(this.pos) === 93) {
      this.pos++
      return true
    }
    for (;;) {
      if (!this.value(depth)) return false
      const next = text.charCodeAt(this.pos++)
      if (next === 93) return true // ]
      if (next !== 44) return false // ,
    }
  }

  /** Scans a string from its opening quote; the index of its closing quote (pos is after it), or -1. */
  string(): number {
    const text = this.text
    for (let i = this.pos + 1; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 34) {
        this.pos = i + 1
        return i
      }
      if (c < 32 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return -1
    }
    return -1
  }

  literal(word: string): boolean {
    if (!this.text.startsWith(word, this.pos)) return false
    this.pos += word.length
    return true
  }

  number(): boolean {
    const text = this.text
    let i = this.pos
    if (text.charCodeAt(i) === 45) i++ // -
    const intStart = i
    const lead = text.charCodeAt(i)
    if (lead === 48) {
      i++
    } else if (lead >= 49 && lead <= 57) {
      do i++
      while (isDigit(text.charCodeAt(i)))
    } else return false
    const intDigits = i - intStart
    if (text.charCodeAt(i) !== 46) {
      // An integer: not -0, at most 15 digits.
      if (lead === 48 && intStart !== this.pos) return false
      if (intDigits > 15 || isNumberTail(text.charCodeAt(i))) return false
      this.pos = i
      return true
    }
    i++
    const fracStart = i
    while (isDigit(text.charCodeAt(i))) i++
    const fracDigits = i - fracStart
    if (fracDigits === 0 || text.charCodeAt(i - 1) === 48 || isNumberTail(text.charCodeAt(i))) return false
    if (lead === 48) {
      // 0.xxx: at least 0.001, and the significant digits are those after the leading zeros of the fraction.
      let zeros = 0
      while (text.charCodeAt(fracStart + zeros) === 48) zeros++
      if (zeros > 2 || fracDigits - zeros > 15) return false
    } else if (intDigits > 7 || intDigits + fracDigits > 15) return false
    this.pos = i
    return true
  }
}

const SCAN = new Scan()

/** Whether the `length` characters of `text` at `a` and at `b` are the same. */
function sameChars(text: string, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (text.charCodeAt(a + i) !== text.charCodeAt(b + i)) return false
  return true
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

/** An exponent or a character no number may be followed by in the written form. */
function isNumberTail(c: number): boolean {
  return c === 101 || c === 69 || c === 46 || isDigit(c)
}
