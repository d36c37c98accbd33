/**
 * The Java charsets Ferry's StringConverter supports, with the JDK's exact behaviour on bad input (checked against
 * test/fixtures/json-converter/strings.json, produced by the JDK):
 *
 * - encoding: a character the charset cannot hold (and an unpaired surrogate) becomes `?` (one per code point);
 *   UTF-16 writes a big-endian byte-order mark and turns an unpaired surrogate into U+FFFD;
 * - decoding: malformed input becomes U+FFFD, with the JDK's rules for how many bytes one replacement covers
 *   (they differ from the WHATWG decoder in Node for encoded surrogates such as `ED A0 80`).
 *
 * Names are resolved like `Charset.forName`: case-insensitively, with the JDK's aliases.
 */
export interface Charset {
  /** The canonical Java name. */
  readonly name: string
  encode(text: string): Uint8Array
  decode(bytes: Uint8Array): string
}

const REPLACEMENT = 0xfffd
const QUESTION_MARK = 0x3f

function asBuffer(bytes: Uint8Array): Buffer {
  return bytes instanceof Buffer ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Valid UTF-8 only; a leading byte-order mark is kept, as Java keeps it. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

export const UTF_8: Charset = Object.freeze({
  name: 'UTF-8',
  encode(text: string): Uint8Array {
    return Buffer.from(text.isWellFormed() ? text : text.replace(LONE_SURROGATE, '?'), 'utf8')
  },
  decode(bytes: Uint8Array): string {
    try {
      return STRICT_UTF8.decode(bytes)
    } catch {
      return decodeUtf8Java(bytes)
    }
  },
})

/**
 * The JDK's UTF-8 decoding of malformed input (`String(byte[], UTF_8)`): one U+FFFD per malformed sequence, where a
 * sequence that is well formed but encodes a surrogate or a code point beyond U+10FFFF counts as one, and a truncated
 * sequence at the end counts as one.
 */
export function decodeUtf8Java(bytes: Uint8Array): string {
  const length = bytes.length
  const units: number[] = []
  let sp = 0
  while (sp < length) {
    const b1 = bytes[sp++]!
    if (b1 < 0x80) {
      units.push(b1)
    } else if (b1 >= 0xc2 && b1 <= 0xdf) {
      if (sp < length) {
        const b2 = bytes[sp++]!
        if (!isContinuation(b2)) {
          units.push(REPLACEMENT)
          sp--
        } else {
          units.push(((b1 & 0x1f) << 6) | (b2 & 0x3f))
        }
        continue
      }
      units.push(REPLACEMENT)
      break
    } else if (b1 >= 0xe0 && b1 <= 0xef) {
      if (sp + 1 < length) {
        const b2 = bytes[sp++]!
        const b3 = bytes[sp++]!
        if (isMalformed3(b1, b2, b3)) {
          units.push(REPLACEMENT)
          sp -= 2
          // malformed3: how many bytes the replacement covers
          sp += (b1 === 0xe0 && (b2 & 0xe0) === 0x80) || !isContinuation(b2) ? 0 : 1
        } else {
          const c = ((b1 & 0x0f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f)
          units.push(c >= 0xd800 && c <= 0xdfff ? REPLACEMENT : c)
        }
        continue
      }
      if (sp < length && isMalformed3Prefix(b1, bytes[sp]!)) {
        units.push(REPLACEMENT)
        continue
      }
      units.push(REPLACEMENT)
      break
    } else if (b1 >= 0xf0 && b1 <= 0xf7) {
      if (sp + 2 < length) {
        const b2 = bytes[sp++]!
        const b3 = bytes[sp++]!
        const b4 = bytes[sp++]!
        const cp = ((b1 & 0x07) << 18) | ((b2 & 0x3f) << 12) | ((b3 & 0x3f) << 6) | (b4 & 0x3f)
        if (!isContinuation(b2) || !isContinuation(b3) || !isContinuation(b4) || cp < 0x10000 || cp > 0x10ffff) {
          units.push(REPLACEMENT)
          sp -= 3
          sp += malformed4Length(b1, b2, b3) - 1
        } else {
          const v = cp - 0x10000
          units.push(0xd800 | (v >> 10), 0xdc00 | (v & 0x3ff))
        }
        continue
      }
      if (b1 > 0xf4 || (sp < length && isMalformed4Prefix(b1, bytes[sp]!))) {
        units.push(REPLACEMENT)
        continue
      }
      sp++
      units.push(REPLACEMENT)
      if (sp < length && !isContinuation(bytes[sp]!)) continue
      break
    } else {
      units.push(REPLACEMENT)
    }
  }
  let out = ''
  for (let i = 0; i < units.length; i += 8192) out += String.fromCharCode(...units.slice(i, i + 8192))
  return out
}

function isContinuation(b: number): boolean {
  return (b & 0xc0) === 0x80
}

function isMalformed3(b1: number, b2: number, b3: number): boolean {
  return (b1 === 0xe0 && (b2 & 0xe0) === 0x80) || !isContinuation(b2) || !isContinuation(b3)
}

function isMalformed3Prefix(b1: number, b2: number): boolean {
  return (b1 === 0xe0 && (b2 & 0xe0) === 0x80) || !isContinuation(b2)
}

function isMalformed4Prefix(b1: number, b2: number): boolean {
  return (b1 === 0xf0 && (b2 < 0x90 || b2 > 0xbf)) || (b1 === 0xf4 && (b2 & 0xf0) !== 0x80) || !isContinuation(b2)
}

/** How many bytes the replacement of a malformed 4-byte sequence covers. */
function malformed4Length(b1: number, b2: number, b3: number): number {
  if (b1 > 0xf4 || isMalformed4Prefix(b1, b2)) return 1
  if (!isContinuation(b3)) return 2
  return 3
}

/** Encodes code point by code point: `map` gives the byte, or -1 for `?`. */
function encodeSingleByte(text: string, max: number): Uint8Array {
  const out = Buffer.allocUnsafe(text.length)
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c <= max) {
      out[n++] = c
      continue
    }
    // A surrogate pair is one unmappable code point: one `?`.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) i++
    }
    out[n++] = QUESTION_MARK
  }
  return out.subarray(0, n)
}

export const US_ASCII: Charset = Object.freeze({
  name: 'US-ASCII',
  encode(text: string): Uint8Array {
    return encodeSingleByte(text, 0x7f)
  },
  decode(bytes: Uint8Array): string {
    let ascii = true
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i]! >= 0x80) {
        ascii = false
        break
      }
    }
    if (ascii) return asBuffer(bytes).toString('latin1')
    let out = ''
    for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]! < 0x80 ? bytes[i]! : REPLACEMENT)
    return out
  },
})

export const ISO_8859_1: Charset = Object.freeze({
  name: 'ISO-8859-1',
  encode(text: string): Uint8Array {
    return encodeSingleByte(text, 0xff)
  },
  decode(bytes: Uint8Array): string {
    return asBuffer(bytes).toString('latin1')
  },
})

/** UTF-16 code units with unpaired surrogates replaced by U+FFFD, as the JDK's UTF-16 encoders do. */
function wellFormedUnits(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed()
}

function encodeUtf16(text: string, littleEndian: boolean, bom: boolean): Uint8Array {
  const units = wellFormedUnits(text)
  const offset = bom ? 2 : 0
  const out = Buffer.allocUnsafe(offset + units.length * 2)
  if (bom) {
    out[0] = 0xfe
    out[1] = 0xff
  }
  for (let i = 0; i < units.length; i++) {
    const c = units.charCodeAt(i)
    if (littleEndian) out.writeUInt16LE(c, offset + i * 2)
    else out.writeUInt16BE(c, offset + i * 2)
  }
  return out
}

/** The JDK's UTF-16 decoding: unpaired surrogates and a trailing odd byte become U+FFFD. */
function decodeUtf16(bytes: Uint8Array, littleEndian: boolean, start: number): string {
  const units: number[] = []
  const end = bytes.length - ((bytes.length - start) & 1)
  let i = start
  const unitAt = (p: number): number =>
    littleEndian ? bytes[p]! | (bytes[p + 1]! << 8) : (bytes[p]! << 8) | bytes[p + 1]!
  while (i < end) {
    const c = unitAt(i)
    i += 2
    if (c >= 0xd800 && c <= 0xdbff) {
      if (i < end) {
        const d = unitAt(i)
        if (d >= 0xdc00 && d <= 0xdfff) {
          units.push(c, d)
          i += 2
          continue
        }
      } else if (end < bytes.length) {
        // A high surrogate followed by a lone trailing byte: one malformed sequence.
        units.push(REPLACEMENT)
        return fromUnits(units)
      }
      units.push(REPLACEMENT)
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      units.push(REPLACEMENT)
    } else {
      units.push(c)
    }
  }
  if (end < bytes.length) units.push(REPLACEMENT)
  return fromUnits(units)
}

function fromUnits(units: number[]): string {
  let out = ''
  for (let i = 0; i < units.length; i += 8192) out += String.fromCharCode(...units.slice(i, i + 8192))
  return out
}

export const UTF_16: Charset = Object.freeze({
  name: 'UTF-16',
  encode(text: string): Uint8Array {
    return text.length === 0 ? new Uint8Array(0) : encodeUtf16(text, false, true)
  },
  decode(bytes: Uint8Array): string {
    if (bytes.length >= 2) {
      if (bytes[0] === 0xfe && bytes[1] === 0xff) return decodeUtf16(bytes, false, 2)
      if (bytes[0] === 0xff && bytes[1] === 0xfe) return decodeUtf16(bytes, true, 2)
    }
    return decodeUtf16(bytes, false, 0)
  },
})

export const UTF_16BE: Charset = Object.freeze({
  name: 'UTF-16BE',
  encode(text: string): Uint8Array {
    return encodeUtf16(text, false, false)
  },
  decode(bytes: Uint8Array): string {
    return decodeUtf16(bytes, false, 0)
  },
})

export const UTF_16LE: Charset = Object.freeze({
  name: 'UTF-16LE',
  encode(text: string): Uint8Array {
    return encodeUtf16(text, true, false)
  },
  decode(bytes: Uint8Array): string {
    return decodeUtf16(bytes, true, 0)
  },
})

/** The JDK's names and aliases of the supported charsets, lower-cased. */
const BY_NAME = new Map<string, Charset>()
for (const [charset, names] of [
  [UTF_8, ['UTF-8', 'UTF8', 'unicode-1-1-utf-8']],
  [
    US_ASCII,
    [
      'US-ASCII',
      '646',
      'ISO646-US',
      'ISO_646.irv:1991',
      'csASCII',
      'IBM367',
      'ascii7',
      'ANSI_X3.4-1968',
      'iso_646.irv:1983',
      'ASCII',
      'iso-ir-6',
      'cp367',
      'ANSI_X3.4-1986',
      'us',
    ],
  ],
  [
    ISO_8859_1,
    [
      'ISO-8859-1',
      'iso-ir-100',
      'ISO_8859-1:1987',
      'ISO8859_1',
      '819',
      'l1',
      'ISO_8859-1',
      '8859_1',
      'IBM-819',
      'cp819',
      'ISO_8859_1',
      'csISOLatin1',
      'IBM819',
      'latin1',
      'ISO8859-1',
    ],
  ],
  [UTF_16, ['UTF-16', 'UnicodeBig', 'utf16', 'UTF_16', 'unicode']],
  [UTF_16BE, ['UTF-16BE', 'UTF_16BE', 'UnicodeBigUnmarked', 'X-UTF-16BE', 'ISO-10646-UCS-2']],
  [UTF_16LE, ['UTF-16LE', 'UTF_16LE', 'X-UTF-16LE', 'UnicodeLittleUnmarked']],
] as const) {
  for (const name of names) BY_NAME.set(name.toLowerCase(), charset)
}

/** `Charset.forName`, limited to the charsets above; null for an unknown or unsupported name. */
export function charsetForName(name: string): Charset | null {
  return BY_NAME.get(name.toLowerCase()) ?? null
}
