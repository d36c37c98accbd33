/**
 * Pieces of JSON text exactly as Jackson's `UTF8JsonGenerator` (default features) writes them, which is what Apache's
 * JsonConverter emits: compact, strings escaped only where needed, doubles and floats as Java prints them.
 */

import { javaDoubleToString, javaFloatToString } from '@ferry/api'
import { base64 } from '../schema-registry/connect-values.ts'

/**
 * Characters Jackson escapes differently from `JSON.stringify`: control characters (Jackson: `\u001F`, upper-case
 * hex) and every surrogate code unit, paired or not (Jackson: `\uD83D\uDE00`; JSON.stringify writes a pair as is).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
const NEEDS_JACKSON_ESCAPE = /[\u0000-\u001f\ud800-\udfff]/
const SIMPLE_CONTROL: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' }
const HEX = '0123456789ABCDEF'

/** A JSON string literal, as Jackson writes it. */
export function quote(value: string): string {
  if (value.length < 48) {
    // Short strings: one pass decides whether anything needs escaping.
    let plain = true
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i)
      if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) {
        plain = false
        break
      }
    }
    if (plain) return `"${value}"`
  }
  if (!NEEDS_JACKSON_ESCAPE.test(value)) return JSON.stringify(value)
  let out = '"'
  let runStart = 0
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    let replacement: string | undefined
    if (c < 32) replacement = SIMPLE_CONTROL[c] ?? unicodeEscape(c)
    else if (c === 34) replacement = '\\"'
    else if (c === 92) replacement = '\\\\'
    else if (c >= 0xd800 && c <= 0xdfff) replacement = unicodeEscape(c)
    if (replacement !== undefined) {
      out += value.slice(runStart, i) + replacement
      runStart = i + 1
    }
  }
  return `${out}${value.slice(runStart)}"`
}

function unicodeEscape(c: number): string {
  return `\\u${HEX[(c >> 12) & 15]}${HEX[(c >> 8) & 15]}${HEX[(c >> 4) & 15]}${HEX[c & 15]}`
}

/** A FLOAT64 value: Java's `Double.toString`, or `"NaN"` / `"Infinity"` / `"-Infinity"` as strings. */
export function doubleText(value: number): string {
  if (Number.isFinite(value)) return javaDoubleToString(value)
  return `"${value}"`
}

/** A FLOAT32 value (rounded to float32 first): Java's `Float.toString`, non-finite values as strings. */
export function floatText(value: number): string {
  const f = Math.fround(value)
  if (Number.isFinite(f)) return javaFloatToString(f)
  return `"${f}"`
}

/** Bytes as a JSON string of standard, padded base64 (Jackson's MIME-NO-LINEFEEDS variant). */
export function base64Text(bytes: Uint8Array): string {
  return `"${base64(bytes)}"`
}
