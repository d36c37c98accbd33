/**
 * Java regular expressions (`java.util.regex.Pattern`) on a JS engine.
 *
 * `compileJavaRegex` parses a pattern the way `Pattern.compile` does (a port of its recursive-descent parser, so a
 * pattern Java rejects is rejected here with Java's message) and translates it into an equivalent JS `RegExp` (`v`
 * flag), spelling out every construct whose meaning differs between the two engines: `.`, `^`, `$`, `\Z`, `\s`, `\v`,
 * `\h`, `\b`, POSIX classes, class unions and intersections, `(?i)` (ASCII-only case folding), `(?s)`, `(?m)`,
 * `(?d)`, `(?x)`, `\Q...\E`, octal/hex/unicode/control escapes. Constructs a JS engine cannot run with Java's exact
 * semantics throw `UnsupportedJavaRegexError` (listed in docs/transforms.md): possessive quantifiers, atomic groups,
 * backreferences, `(?u)` with `(?i)`, `(?U)`, `(?c)`, `\R`, `\X`, `\b{g}`, `\N{...}`, `\p{In...}` blocks, binary and
 * `java...` properties, and lookbehinds whose length Java bounds differently (unbounded quantifiers inside). Two
 * constructs are flagged rather than rejected, for callers whose result depends on them: repetitions that can match
 * the empty string (`emptyLoops`) and capturing groups inside repetitions (`groupsInRepetition`).
 *
 * `javaMatches` is `Matcher.matches()`; `javaReplaceFirst` is `Matcher.replaceFirst(replacement)`, with Java's
 * replacement syntax (`$n`, `${name}`, `\` escapes) and its exceptions.
 */
import { IllegalArgumentException, IndexOutOfBoundsException } from './java.ts'

/** Java's `PatternSyntaxException`; `message` is its `getMessage()`. */
export class JavaPatternSyntaxError extends Error {
  readonly description: string
  readonly index: number
  readonly pattern: string

  constructor(description: string, pattern: string, index: number) {
    let message = description
    if (index >= 0) message += ` near index ${index}`
    message += `\n${pattern}`
    if (index >= 0 && index < pattern.length) {
      let caret = ''
      for (let i = 0; i < index; i++) caret += pattern.charAt(i) === '\t' ? '\t' : ' '
      message += `\n${caret}^`
    }
    super(message)
    this.name = 'PatternSyntaxException'
    this.description = description
    this.index = index
    this.pattern = pattern
  }
}

/** A valid Java pattern that Ferry cannot run with Java's exact semantics. */
export class UnsupportedJavaRegexError extends Error {
  readonly pattern: string

  constructor(reason: string, pattern: string) {
    super(`${reason} is not supported by Ferry (the pattern is valid Java, see docs/transforms.md): ${pattern}`)
    this.name = 'UnsupportedJavaRegexError'
    this.pattern = pattern
  }
}

/** A compiled Java pattern. */
export interface JavaRegex {
  readonly pattern: string
  /** The JS translation (for `find`). */
  readonly source: string
  readonly find: RegExp
  /** Anchored at both ends (for `matches`). */
  readonly whole: RegExp
  readonly groupCount: number
  readonly groupNames: ReadonlyMap<string, number>
  /** The capturing groups inside a repetition: their value after a match may differ from Java's. */
  readonly groupsInRepetition: ReadonlySet<number>
  /**
   * A repetition whose body can match the empty string (`(a*)*`): `javaMatches` is exact, but the extent of a
   * `javaReplaceFirst` match may differ from Java's, so RegexRouter refuses such patterns.
   */
  readonly emptyLoops: boolean
}

// Pattern flags (Java's values).
const UNIX_LINES = 0x01
const CASE_INSENSITIVE = 0x02
const COMMENTS = 0x04
const MULTILINE = 0x08
const DOTALL = 0x20
const UNICODE_CASE = 0x40
const CANON_EQ = 0x80
const UNICODE_CHARACTER_CLASS = 0x100

const MAX_REPS = 0x7fffffff

// ------------------------------------------------------------------------------------------------ char sets

/** A set of code points, kept as JS class source (`v` flag, without the outer brackets). */
interface CharSet {
  /** Class-content source: operands of a union. */
  readonly src: string
}

function cp(c: number): string {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) {
    return String.fromCharCode(c)
  }
  return `\\u{${c.toString(16)}}`
}

function setOf(src: string): CharSet {
  return { src }
}

function rangeSet(lo: number, hi: number): CharSet {
  return setOf(lo === hi ? cp(lo) : `${cp(lo)}-${cp(hi)}`)
}

function union(...sets: CharSet[]): CharSet {
  return setOf(sets.map((s) => `[${s.src}]`).join(''))
}

function negate(set: CharSet): CharSet {
  return setOf(`[^${set.src}]`)
}

function intersect(a: CharSet, b: CharSet): CharSet {
  return setOf(`[[${a.src}]&&[${b.src}]]`)
}

const ASCII_DIGIT = rangeSet(0x30, 0x39)
const ASCII_WORD = setOf('a-zA-Z0-9_')
const ASCII_SPACE = setOf(`${cp(0x09)}-${cp(0x0d)}${cp(0x20)}`)
const ASCII_ALPHA = setOf('a-zA-Z')
const HORIZ_WS = setOf(
  [0x09, 0x20, 0xa0, 0x1680, 0x180e].map(cp).join('') +
    `${cp(0x2000)}-${cp(0x200a)}${cp(0x202f)}${cp(0x205f)}${cp(0x3000)}`,
)
const VERT_WS = setOf(`${cp(0x0a)}-${cp(0x0d)}${cp(0x85)}${cp(0x2028)}${cp(0x2029)}`)
const LINE_TERMINATORS = `${cp(0x0a)}${cp(0x0d)}${cp(0x85)}${cp(0x2028)}${cp(0x2029)}`
const ALL = setOf(`${cp(0)}-${cp(0x10ffff)}`)

const POSIX: Record<string, CharSet> = {
  ASCII: rangeSet(0x00, 0x7f),
  Alnum: setOf('a-zA-Z0-9'),
  Alpha: ASCII_ALPHA,
  Blank: setOf(`${cp(0x20)}${cp(0x09)}`),
  Cntrl: setOf(`${cp(0)}-${cp(0x1f)}${cp(0x7f)}`),
  Digit: ASCII_DIGIT,
  Graph: rangeSet(0x21, 0x7e),
  Lower: rangeSet(0x61, 0x7a),
  Print: rangeSet(0x20, 0x7e),
  Punct: setOf(`${cp(0x21)}-${cp(0x2f)}${cp(0x3a)}-${cp(0x40)}${cp(0x5b)}-${cp(0x60)}${cp(0x7b)}-${cp(0x7e)}`),
  Space: ASCII_SPACE,
  Upper: rangeSet(0x41, 0x5a),
  XDigit: setOf('0-9a-fA-F'),
  L1: rangeSet(0x00, 0xff),
  all: ALL,
}

const CATEGORIES = new Set([
  'Cn',
  'Lu',
  'Ll',
  'Lt',
  'Lm',
  'Lo',
  'Mn',
  'Me',
  'Mc',
  'Nd',
  'Nl',
  'No',
  'Zs',
  'Zl',
  'Zp',
  'Cc',
  'Cf',
  'Co',
  'Cs',
  'Pd',
  'Ps',
  'Pe',
  'Pc',
  'Po',
  'Sm',
  'Sc',
  'Sk',
  'So',
  'Pi',
  'Pf',
  'L',
  'M',
  'N',
  'Z',
  'C',
  'P',
  'S',
  'LC',
])

const UNICODE_BINARY_PROPERTIES = new Set([
  'ALPHABETIC',
  'ASSIGNED',
  'CONTROL',
  'EMOJI',
  'EMOJI_PRESENTATION',
  'EMOJI_MODIFIER',
  'EMOJI_MODIFIER_BASE',
  'EMOJI_COMPONENT',
  'EXTENDED_PICTOGRAPHIC',
  'HEXDIGIT',
  'HEX_DIGIT',
  'IDEOGRAPHIC',
  'JOINCONTROL',
  'JOIN_CONTROL',
  'LETTER',
  'LOWERCASE',
  'NONCHARACTERCODEPOINT',
  'NONCHARACTER_CODE_POINT',
  'TITLECASE',
  'PUNCTUATION',
  'UPPERCASE',
  'WHITESPACE',
  'WHITE_SPACE',
  'WORD',
  'ALPHA',
  'LOWER',
  'UPPER',
  'SPACE',
  'PUNCT',
  'XDIGIT',
  'ALNUM',
  'CNTRL',
  'DIGIT',
  'BLANK',
  'GRAPH',
  'PRINT',
])

/** Java's `forProperty` (general categories and POSIX names), null when unknown. */
function forProperty(name: string, caseIns: boolean): CharSet | 'java' | null {
  if (CATEGORIES.has(name)) {
    if (caseIns && (name === 'Lu' || name === 'Ll' || name === 'Lt')) return setOf('\\p{Lu}\\p{Ll}\\p{Lt}')
    return setOf(`\\p{${name}}`)
  }
  if (name === 'LD') return setOf('\\p{L}\\p{Nd}')
  if (caseIns && (name === 'Lower' || name === 'Upper')) return ASCII_ALPHA
  const posix = POSIX[name]
  if (posix !== undefined) return posix
  if (name.startsWith('java') && name.length > 4) return 'java'
  return null
}

/** Java's `forUnicodeScript`, translated to a JS script name, null when neither knows it. */
function forUnicodeScript(name: string): CharSet | 'unknown-js' | null {
  const canonical = name
    .toUpperCase()
    .split('_')
    .map((part) => (part.length === 0 ? part : part.charAt(0) + part.slice(1).toLowerCase()))
    .join('_')
  if (!/^[A-Za-z_]+$/.test(canonical)) return null
  try {
    new RegExp(`\\p{Script=${canonical}}`, 'v')
    return setOf(`\\p{Script=${canonical}}`)
  } catch {
    return 'unknown-js'
  }
}

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}

function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10
}

function isAsciiAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
}

function isAsciiDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

function isAsciiSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d)
}

function toLowerAscii(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c
}

function toUpperAscii(c: number): number {
  return c >= 0x61 && c <= 0x7a ? c - 0x20 : c
}

/** The JS class operands for one char, case-folded in ASCII when CASE_INSENSITIVE. */
function singleSet(c: number, flags: number): CharSet {
  if ((flags & CASE_INSENSITIVE) !== 0 && c < 0x80) {
    const lower = toLowerAscii(c)
    const upper = toUpperAscii(c)
    if (lower !== upper) return setOf(cp(lower) + cp(upper))
  }
  return setOf(cp(c))
}

/** A literal char outside a class. */
function literalSrc(c: number, flags: number): string {
  if ((flags & CASE_INSENSITIVE) !== 0 && c < 0x80 && toLowerAscii(c) !== toUpperAscii(c)) {
    return `[${cp(toLowerAscii(c))}${cp(toUpperAscii(c))}]`
  }
  return cp(c)
}

/** Java's `CIRange` (ASCII case folding) or `Range`. */
function rangeWithCase(lo: number, hi: number, flags: number): CharSet {
  let src = lo === hi ? cp(lo) : `${cp(lo)}-${cp(hi)}`
  if ((flags & CASE_INSENSITIVE) !== 0) {
    for (let c = 0x41; c <= 0x5a; c++) if (c >= lo && c <= hi) src += cp(c + 0x20)
    for (let c = 0x61; c <= 0x7a; c++) if (c >= lo && c <= hi) src += cp(c - 0x20)
  }
  return setOf(src)
}

// ------------------------------------------------------------------------------------------------ parser

/** What a parsed node contributes: JS source, and Java's TreeInfo length bounds (for lookbehinds). */
interface Node {
  src: string
  min: number
  max: number
  /** False when the maximum length is unbounded. */
  maxValid: boolean
  /** The capturing groups it contains. */
  captures?: readonly number[]
}

function seqNode(nodes: Node[]): Node {
  let src = ''
  let min = 0
  let max = 0
  let maxValid = true
  const captures: number[] = []
  for (const n of nodes) {
    src += n.src
    min += n.min
    max += n.max
    maxValid &&= n.maxValid
    if (n.captures !== undefined) captures.push(...n.captures)
  }
  return { src, min, max, maxValid, captures }
}

class Parser {
  private readonly pattern: string
  private temp: number[]
  private patternLength: number
  private cursor = 0
  private flags0 = 0
  private capturingGroupCount = 1
  readonly namedGroups = new Map<string, number>()
  /** The char set of the last escape that was a class (`\d`, `\w`...), Java's `predicate`. */
  private predicate: CharSet | null = null
  /** The node of the last escape that was not a char (`\b`, `\A`...), Java's `root`. */
  private root: Node | null = null
  /** Capturing groups inside a repetition (JS resets their captures on each iteration, Java keeps the last one). */
  readonly groupsInRepetition = new Set<number>()
  /** A repetition whose body can match the empty string. */
  emptyLoops = false

  constructor(pattern: string) {
    this.pattern = pattern
    const cps: number[] = []
    for (const ch of pattern) cps.push(ch.codePointAt(0)!)
    this.patternLength = cps.length
    this.temp = [...cps, 0, 0]
    this.removeQEQuoting()
  }

  // ---- errors

  private error(description: string): JavaPatternSyntaxError {
    return new JavaPatternSyntaxError(description, this.pattern, this.cursor - 1)
  }

  private unsupported(what: string): UnsupportedJavaRegexError {
    return new UnsupportedJavaRegexError(what, this.pattern)
  }

  private has(flag: number): boolean {
    return (this.flags0 & flag) !== 0
  }

  // ---- cursor primitives (Java's peek/read/next/skip/unread, with COMMENTS handling)

  private at(i: number): number {
    return this.temp[i] ?? 0
  }

  private peek(): number {
    let ch = this.at(this.cursor)
    if (this.has(COMMENTS)) ch = this.peekPastWhitespace(ch)
    return ch
  }

  private read(): number {
    let ch = this.at(this.cursor++)
    if (this.has(COMMENTS)) ch = this.parsePastWhitespace(ch)
    return ch
  }

  private next(): number {
    let ch = this.at(++this.cursor)
    if (this.has(COMMENTS)) ch = this.peekPastWhitespace(ch)
    return ch
  }

  private nextEscaped(): number {
    return this.at(++this.cursor)
  }

  private skip(): number {
    const i = this.cursor
    const ch = this.at(i + 1)
    this.cursor = i + 2
    return ch
  }

  private unread(): void {
    this.cursor--
  }

  private mark(c: number): void {
    this.temp[this.patternLength] = c
  }

  private peekPastWhitespace(ch0: number): number {
    let ch = ch0
    while (isAsciiSpace(ch) || ch === 0x23) {
      while (isAsciiSpace(ch)) ch = this.at(++this.cursor)
      if (ch === 0x23) ch = this.peekPastLine()
    }
    return ch
  }

  private parsePastWhitespace(ch0: number): number {
    let ch = ch0
    while (isAsciiSpace(ch) || ch === 0x23) {
      while (isAsciiSpace(ch)) ch = this.at(this.cursor++)
      if (ch === 0x23) ch = this.parsePastLine()
    }
    return ch
  }

  private parsePastLine(): number {
    let ch = this.at(this.cursor++)
    while (ch !== 0 && !this.isLineSeparator(ch)) ch = this.at(this.cursor++)
    if (ch === 0 && this.cursor > this.patternLength) {
      this.cursor = this.patternLength
      ch = this.at(this.cursor++)
    }
    return ch
  }

  private peekPastLine(): number {
    let ch = this.at(++this.cursor)
    while (ch !== 0 && !this.isLineSeparator(ch)) ch = this.at(++this.cursor)
    if (ch === 0 && this.cursor > this.patternLength) {
      this.cursor = this.patternLength
      ch = this.at(this.cursor)
    }
    return ch
  }

  private isLineSeparator(ch: number): boolean {
    if (this.has(UNIX_LINES)) return ch === 0x0a
    return ch === 0x0a || ch === 0x0d || (ch | 1) === 0x2029 || ch === 0x85
  }

  private accept(ch: number, message: string): void {
    let testChar = this.at(this.cursor++)
    if (this.has(COMMENTS)) testChar = this.parsePastWhitespace(testChar)
    if (ch !== testChar) throw this.error(message)
  }

  // ---- \Q...\E (Java rewrites the pattern before parsing)

  private removeQEQuoting(): void {
    const pLen = this.patternLength
    const temp = this.temp
    let i = 0
    while (i < pLen - 1) {
      if (temp[i] !== 0x5c) i += 1
      else if (temp[i + 1] !== 0x51) i += 2
      else break
    }
    if (i >= pLen - 1) return
    let j = i
    i += 2
    const out: number[] = temp.slice(0, j)
    let inQuote = true
    let beginQuote = true
    while (i < pLen) {
      const c = temp[i++]!
      if (c >= 0x80 || isAsciiAlpha(c)) {
        out[j++] = c
      } else if (isAsciiDigit(c)) {
        if (beginQuote) {
          out[j++] = 0x5c
          out[j++] = 0x78
          out[j++] = 0x33
        }
        out[j++] = c
      } else if (c !== 0x5c) {
        if (inQuote) out[j++] = 0x5c
        out[j++] = c
      } else if (inQuote) {
        if (temp[i] === 0x45) {
          i++
          inQuote = false
        } else {
          out[j++] = 0x5c
          out[j++] = 0x5c
        }
      } else {
        if (temp[i] === 0x51) {
          i++
          inQuote = true
          beginQuote = true
          continue
        }
        out[j++] = c
        if (i !== pLen) out[j++] = temp[i++]!
      }
      beginQuote = false
    }
    this.patternLength = j
    this.temp = [...out.slice(0, j), 0, 0]
  }

  // ---- grammar

  compile(): { source: string; groupCount: number } {
    const node = this.expr()
    if (this.patternLength !== this.cursor) {
      if (this.peek() === 0x29) throw this.error("Unmatched closing ')'")
      if (this.cursor === this.patternLength + 1 && this.temp[this.patternLength - 1] === 0x5c) {
        throw this.error('Unescaped trailing backslash')
      }
      throw this.error('Unexpected internal error')
    }
    return { source: node.src, groupCount: this.capturingGroupCount - 1 }
  }

  private expr(): Node {
    const branches: Node[] = []
    for (;;) {
      branches.push(this.sequence())
      if (this.peek() !== 0x7c) break
      this.next()
    }
    if (branches.length === 1) return branches[0]!
    let min = Number.POSITIVE_INFINITY
    let max = 0
    let maxValid = true
    const captures: number[] = []
    for (const b of branches) {
      min = Math.min(min, b.min)
      max = Math.max(max, b.max)
      maxValid &&= b.maxValid
      if (b.captures !== undefined) captures.push(...b.captures)
    }
    return { src: branches.map((b) => b.src).join('|'), min, max, maxValid, captures }
  }

  private sequence(): Node {
    const nodes: Node[] = []
    for (;;) {
      let ch = this.peek()
      let node: Node
      switch (ch) {
        case 0x28: {
          // (
          const group = this.group0()
          if (group === null) continue
          nodes.push(group)
          continue
        }
        case 0x5b: // [
          this.checkCharFlags()
          node = this.charNode(this.clazz(true))
          break
        case 0x5c: // backslash
          ch = this.nextEscaped()
          if (ch === 0x70 || ch === 0x50) {
            let oneLetter = true
            const comp = ch === 0x50
            ch = this.next()
            if (ch !== 0x7b) this.unread()
            else oneLetter = false
            node = this.charNode(this.family(oneLetter, comp))
          } else {
            this.unread()
            node = this.atom()
          }
          break
        case 0x5e: // ^
          this.next()
          node = this.caret()
          break
        case 0x24: // $
          this.next()
          node = this.dollar(this.has(MULTILINE))
          break
        case 0x2e: // .
          this.next()
          if (this.has(DOTALL)) node = this.charNode(ALL)
          else if (this.has(UNIX_LINES)) node = this.charNode(negate(setOf(cp(0x0a))))
          else node = this.charNode(negate(setOf(LINE_TERMINATORS)))
          break
        case 0x7c: // |
        case 0x29: // )
          return seqNode(nodes)
        case 0x5d: // ]
        case 0x7d: // }
          node = this.atom()
          break
        case 0x3f:
        case 0x2a:
        case 0x2b:
          this.next()
          throw this.error(`Dangling meta character '${String.fromCharCode(ch)}'`)
        case 0:
          if (this.cursor >= this.patternLength) return seqNode(nodes)
          node = this.atom()
          break
        default:
          node = this.atom()
          break
      }
      nodes.push(this.closure(node))
    }
  }

  /** Flags that change how literal chars and classes match in ways not reproduced. */
  private checkCharFlags(): void {
    if (this.has(CANON_EQ)) throw this.unsupported('The CANON_EQ flag (?c)')
    if (this.has(CASE_INSENSITIVE) && this.has(UNICODE_CASE)) {
      throw this.unsupported('Unicode case-insensitive matching (?iu)')
    }
  }

  /** Java's predefined classes (\\d, \\w, \\s, \\b) become Unicode classes under (?U). */
  private checkPredicateFlags(): void {
    if (this.has(UNICODE_CHARACTER_CLASS)) throw this.unsupported('The UNICODE_CHARACTER_CLASS flag (?U)')
  }

  private charNode(set: CharSet): Node {
    return { src: `[${set.src}]`, min: 1, max: 1, maxValid: true }
  }

  private caret(): Node {
    const zero = { min: 0, max: 0, maxValid: true }
    if (!this.has(MULTILINE)) return { src: '(?<![\\s\\S])', ...zero }
    if (this.has(UNIX_LINES)) return { src: `(?:(?<![\\s\\S])|(?<=${cp(0x0a)}))(?=[\\s\\S])`, ...zero }
    return {
      src: `(?:(?<![\\s\\S])|(?<=[${LINE_TERMINATORS}])(?!(?<=${cp(0x0d)})${cp(0x0a)}))(?=[\\s\\S])`,
      ...zero,
    }
  }

  private dollar(multiline: boolean): Node {
    const zero = { min: 0, max: 0, maxValid: true }
    if (this.has(UNIX_LINES)) {
      if (multiline) return { src: `(?=${cp(0x0a)}|(?![\\s\\S]))`, ...zero }
      return { src: `(?=${cp(0x0a)}?(?![\\s\\S]))`, ...zero }
    }
    const notBetweenCrLf = `(?!(?<=${cp(0x0d)})${cp(0x0a)})`
    if (multiline) return { src: `(?=[${LINE_TERMINATORS}]|(?![\\s\\S]))${notBetweenCrLf}`, ...zero }
    return { src: `(?=(?:${cp(0x0d)}${cp(0x0a)}|[${LINE_TERMINATORS}])?(?![\\s\\S]))${notBetweenCrLf}`, ...zero }
  }

  private atom(): Node {
    let first = 0
    let prev = -1
    const buffer: number[] = []
    let ch = this.peek()
    for (;;) {
      let stop = false
      switch (ch) {
        case 0x2a:
        case 0x2b:
        case 0x3f:
        case 0x7b:
          if (first > 1) {
            this.cursor = prev
            first--
          }
          stop = true
          break
        case 0x24:
        case 0x2e:
        case 0x5e:
        case 0x28:
        case 0x5b:
        case 0x7c:
        case 0x29:
          stop = true
          break
        case 0x5c: {
          ch = this.nextEscaped()
          if (ch === 0x70 || ch === 0x50) {
            if (first > 0) {
              this.unread()
              stop = true
              break
            }
            const comp = ch === 0x50
            let oneLetter = true
            ch = this.next()
            if (ch !== 0x7b) this.unread()
            else oneLetter = false
            return this.charNode(this.family(oneLetter, comp))
          }
          this.unread()
          prev = this.cursor
          const c = this.escape(false, first === 0, false)
          if (c >= 0) {
            buffer[first] = c
            first++
            ch = this.peek()
            continue
          }
          if (first === 0) {
            // A class escape (\d) sets predicate; an anchor (\b) sets root.
            if (this.predicate !== null) {
              const p = this.predicate
              this.predicate = null
              return this.charNode(p)
            }
            return this.root!
          }
          this.cursor = prev
          stop = true
          break
        }
        case 0:
          if (this.cursor >= this.patternLength) {
            stop = true
            break
          }
          prev = this.cursor
          buffer[first] = ch
          first++
          ch = this.next()
          continue
        default:
          prev = this.cursor
          buffer[first] = ch
          first++
          ch = this.next()
          continue
      }
      if (stop) break
    }
    if (first > 0) this.checkCharFlags()
    let src = ''
    for (let i = 0; i < first; i++) src += literalSrc(buffer[i]!, this.flags0)
    return { src: first === 1 ? src : first === 0 ? '' : `(?:${src})`, min: first, max: first, maxValid: true }
  }

  /** Java's `escape`: a char (>= 0), or -1 with `predicate` (a class) or `root` (an anchor) set. */
  private escape(inclass: boolean, create: boolean, isrange: boolean): number {
    const ch = this.skip()
    const zero = { min: 0, max: 0, maxValid: true }
    this.predicate = null
    this.root = null
    switch (ch) {
      case 0x30: // 0
        return this.o()
      case 0x31:
      case 0x32:
      case 0x33:
      case 0x34:
      case 0x35:
      case 0x36:
      case 0x37:
      case 0x38:
      case 0x39:
        if (inclass) break
        if (create) throw this.unsupported('A backreference (\\n)')
        return -1
      case 0x41: // A
        if (inclass) break
        if (create) this.root = { src: '(?<![\\s\\S])', ...zero }
        return -1
      case 0x42: // B
        if (inclass) break
        if (create) this.root = this.bound(false)
        return -1
      case 0x43: // C
        break
      case 0x44: // D
        if (create) {
          this.checkPredicateFlags()
          this.predicate = negate(ASCII_DIGIT)
        }
        return -1
      case 0x45:
      case 0x46:
        break
      case 0x47: // G
        if (inclass) break
        if (create) this.root = { src: '(?<![\\s\\S])', ...zero }
        return -1
      case 0x48: // H
        if (create) this.predicate = negate(HORIZ_WS)
        return -1
      case 0x49:
      case 0x4a:
      case 0x4b:
      case 0x4c:
      case 0x4d:
        break
      case 0x4e: // N
        return this.namedChar()
      case 0x4f:
      case 0x50:
      case 0x51:
        break
      case 0x52: // R
        if (inclass) break
        if (create) throw this.unsupported('The linebreak matcher \\R')
        return -1
      case 0x53: // S
        if (create) {
          this.checkPredicateFlags()
          this.predicate = negate(ASCII_SPACE)
        }
        return -1
      case 0x54:
      case 0x55:
        break
      case 0x56: // V
        if (create) this.predicate = negate(VERT_WS)
        return -1
      case 0x57: // W
        if (create) {
          this.checkPredicateFlags()
          this.predicate = negate(ASCII_WORD)
        }
        return -1
      case 0x58: // X
        if (inclass) break
        if (create) throw this.unsupported('The grapheme cluster matcher \\X')
        return -1
      case 0x59:
        break
      case 0x5a: // Z
        if (inclass) break
        if (create) this.root = this.dollar(false)
        return -1
      case 0x61: // a
        return 0x07
      case 0x62: // b
        if (inclass) break
        if (create) {
          if (this.peek() === 0x7b) {
            if (this.skip() === 0x67) {
              if (this.read() === 0x7d) throw this.unsupported('The grapheme boundary \\b{g}')
              break
            }
            this.unread()
            this.unread()
          }
          this.root = this.bound(true)
        }
        return -1
      case 0x63: // c
        return this.c()
      case 0x64: // d
        if (create) {
          this.checkPredicateFlags()
          this.predicate = ASCII_DIGIT
        }
        return -1
      case 0x65: // e
        return 0x1b
      case 0x66: // f
        return 0x0c
      case 0x67:
        break
      case 0x68: // h
        if (create) this.predicate = HORIZ_WS
        return -1
      case 0x69:
      case 0x6a:
        break
      case 0x6b: {
        // k
        if (inclass) break
        if (this.read() !== 0x3c) throw this.error("\\k is not followed by '<' for named capturing group")
        const name = this.groupname(this.read())
        if (!this.namedGroups.has(name)) throw this.error(`named capturing group <${name}> does not exist`)
        if (create) throw this.unsupported('A named backreference (\\k<name>)')
        return -1
      }
      case 0x6c:
      case 0x6d:
        break
      case 0x6e: // n
        return 0x0a
      case 0x6f:
      case 0x70:
      case 0x71:
        break
      case 0x72: // r
        return 0x0d
      case 0x73: // s
        if (create) {
          this.checkPredicateFlags()
          this.predicate = ASCII_SPACE
        }
        return -1
      case 0x74: // t
        return 0x09
      case 0x75: // u
        return this.u()
      case 0x76: // v
        if (isrange) return 0x0b
        if (create) this.predicate = VERT_WS
        return -1
      case 0x77: // w
        if (create) {
          this.checkPredicateFlags()
          this.predicate = ASCII_WORD
        }
        return -1
      case 0x78: // x
        return this.x()
      case 0x79:
        break
      case 0x7a: // z
        if (inclass) break
        if (create) this.root = { src: '(?![\\s\\S])', ...zero }
        return -1
      default:
        return ch
    }
    throw this.error('Illegal/unsupported escape sequence')
  }

  /** Java's `Bound` with ASCII word chars (JDK 19+), including its non-spacing-mark rule. */
  private bound(both: boolean): Node {
    this.checkPredicateFlags()
    const left = '(?<=[a-zA-Z0-9_]|[\\p{L}\\p{Nd}]\\p{Mn}+)'
    const right = '(?:(?=[a-zA-Z0-9_])|(?=\\p{Mn})(?<=[\\p{L}\\p{Nd}]\\p{Mn}*))'
    const isBoundary = `(?:${left}(?!${right})|(?!${left})${right})`
    return { src: both ? isBoundary : `(?!${isBoundary})`, min: 0, max: 0, maxValid: true }
  }

  private namedChar(): number {
    if (this.read() === 0x7b) {
      while (this.read() !== 0x7d) {
        if (this.cursor >= this.patternLength) throw this.error('Unclosed character name escape sequence')
      }
      throw this.unsupported('A named character \\N{...}')
    }
    throw this.error('Illegal character name escape sequence')
  }

  private c(): number {
    if (this.cursor < this.patternLength) return this.read() ^ 64
    throw this.error('Illegal control escape sequence')
  }

  private o(): number {
    const n = this.read()
    if (n >= 0x30 && n <= 0x37) {
      const m = this.read()
      if (m >= 0x30 && m <= 0x37) {
        const o = this.read()
        if (o >= 0x30 && o <= 0x37 && n >= 0x30 && n <= 0x33) return (n - 0x30) * 64 + (m - 0x30) * 8 + (o - 0x30)
        this.unread()
        return (n - 0x30) * 8 + (m - 0x30)
      }
      this.unread()
      return n - 0x30
    }
    throw this.error('Illegal octal escape sequence')
  }

  private x(): number {
    let n = this.read()
    if (isHexDigit(n)) {
      const m = this.read()
      if (isHexDigit(m)) return hexValue(n) * 16 + hexValue(m)
    } else if (n === 0x7b && isHexDigit(this.peek())) {
      let ch = 0
      n = this.read()
      while (isHexDigit(n)) {
        ch = ch * 16 + hexValue(n)
        if (ch > 0x10ffff) throw this.error('Hexadecimal codepoint is too big')
        n = this.read()
      }
      if (n !== 0x7d) throw this.error('Unclosed hexadecimal escape sequence')
      return ch
    }
    throw this.error('Illegal hexadecimal escape sequence')
  }

  private uxxxx(): number {
    let n = 0
    for (let i = 0; i < 4; i++) {
      const ch = this.read()
      if (!isHexDigit(ch)) throw this.error('Illegal Unicode escape sequence')
      n = n * 16 + hexValue(ch)
    }
    return n
  }

  private u(): number {
    const n = this.uxxxx()
    if (n >= 0xd800 && n <= 0xdbff) {
      const cur = this.cursor
      if (this.read() === 0x5c && this.read() === 0x75) {
        const n2 = this.uxxxx()
        if (n2 >= 0xdc00 && n2 <= 0xdfff) return 0x10000 + ((n - 0xd800) << 10) + (n2 - 0xdc00)
      }
      this.cursor = cur
    }
    return n
  }

  private groupname(ch0: number): string {
    let ch = ch0
    if (!isAsciiAlpha(ch)) throw this.error('capturing group name does not start with a Latin letter')
    let name = ''
    do {
      name += String.fromCharCode(ch)
      ch = this.read()
    } while (isAsciiAlpha(ch) || isAsciiDigit(ch))
    if (ch !== 0x3e) throw this.error("named capturing group is missing trailing '>'")
    return name
  }

  // ---- character classes

  private clazz(consume: boolean): CharSet {
    let prev: CharSet | null = null
    let curr: CharSet | null = null
    const bits: string[] = []
    let isNeg = false
    let hasBits = false
    let ch = this.next()
    const bitsSet = (): CharSet => setOf(bits.join(''))
    if (ch === 0x5e && this.at(this.cursor - 1) === 0x5b) {
      ch = this.next()
      isNeg = true
    }
    for (;;) {
      let handled = false
      switch (ch) {
        case 0x5b: // [
          curr = this.clazz(true)
          prev = prev === null ? curr : union(prev, curr)
          ch = this.peek()
          continue
        case 0x26: // &
          ch = this.next()
          if (ch === 0x26) {
            ch = this.next()
            let right: CharSet | null = null
            while (ch !== 0x5d && ch !== 0x26) {
              if (ch === 0x5b) {
                right = right === null ? this.clazz(true) : union(right, this.clazz(true))
              } else {
                this.unread()
                right = right === null ? this.clazz(false) : union(right, this.clazz(false))
              }
              ch = this.peek()
            }
            if (hasBits) {
              if (prev === null) prev = curr = bitsSet()
              else prev = union(prev, bitsSet())
              bits.length = 0
              hasBits = false
            }
            if (right !== null) curr = right
            if (prev === null) {
              if (right === null) throw this.error('Bad class syntax')
              prev = right
            } else {
              if (curr === null) throw this.error('Bad intersection syntax')
              prev = intersect(prev, curr)
            }
          } else {
            this.unread()
            handled = true
          }
          if (!handled) continue
          break
        case 0:
          if (this.cursor >= this.patternLength) throw this.error('Unclosed character class')
          break
        case 0x5d: // ]
          if (prev !== null || hasBits) {
            if (consume) this.next()
            if (prev === null) prev = bitsSet()
            else if (hasBits) prev = union(prev, bitsSet())
            return isNeg ? negate(prev) : prev
          }
          break
        default:
          break
      }
      curr = this.range(bits)
      if (curr === null) {
        hasBits = true
      } else if (prev === null) {
        prev = curr
      } else if (prev !== curr) {
        prev = union(prev, curr)
      }
      ch = this.peek()
    }
  }

  /** Java's `range`: a char or range added to `bits` (null returned) or a class (returned). */
  private range(bits: string[]): CharSet | null {
    let ch = this.peek()
    if (ch === 0x5c) {
      ch = this.nextEscaped()
      if (ch === 0x70 || ch === 0x50) {
        const comp = ch === 0x50
        let oneLetter = true
        ch = this.next()
        if (ch !== 0x7b) this.unread()
        else oneLetter = false
        return this.family(oneLetter, comp)
      }
      const isrange = this.at(this.cursor + 1) === 0x2d
      this.unread()
      ch = this.escape(true, true, isrange)
      if (ch === -1) {
        const p = this.predicate!
        this.predicate = null
        return p
      }
    } else {
      this.next()
    }
    if (ch >= 0) {
      this.checkCharFlags()
      if (this.peek() === 0x2d) {
        const endRange = this.at(this.cursor + 1)
        if (endRange === 0x5b) {
          bits.push(singleSet(ch, this.flags0).src)
          return null
        }
        if (endRange !== 0x5d) {
          this.next()
          let m = this.peek()
          if (m === 0x5c) m = this.escape(true, false, true)
          else this.next()
          if (m < ch) throw this.error('Illegal character range')
          return rangeWithCase(ch, m, this.flags0)
        }
      }
      bits.push(singleSet(ch, this.flags0).src)
      return null
    }
    throw this.error(`Unexpected character '${String.fromCharCode(ch)}'`)
  }

  private family(singleLetter: boolean, isComplement: boolean): CharSet {
    this.next()
    let name: string
    if (singleLetter) {
      name = String.fromCodePoint(this.at(this.cursor))
      this.read()
    } else {
      const i = this.cursor
      this.mark(0x7d)
      while (this.read() !== 0x7d) {
        /* skip */
      }
      this.mark(0)
      const j = this.cursor
      if (j > this.patternLength) throw this.error('Unclosed character family')
      if (i + 1 >= j) throw this.error('Empty character family')
      name = String.fromCodePoint(...this.temp.slice(i, j - 1))
    }
    this.checkPredicateFlags()
    const caseIns = this.has(CASE_INSENSITIVE)
    let p: CharSet | null = null
    const eq = name.indexOf('=')
    if (eq !== -1) {
      const value = name.substring(eq + 1)
      const key = name.substring(0, eq).toLowerCase()
      switch (key) {
        case 'sc':
        case 'script': {
          const s = forUnicodeScript(value)
          if (s === 'unknown-js') throw this.unsupported(`The script \\p{${name}}`)
          p = s
          break
        }
        case 'blk':
        case 'block':
          throw this.unsupported(`The Unicode block \\p{${name}}`)
        case 'gc':
        case 'general_category': {
          const f = forProperty(value, caseIns)
          if (f === 'java') throw this.unsupported(`The property \\p{${name}}`)
          p = f
          break
        }
        default:
          break
      }
      if (p === null) throw this.error(`Unknown Unicode property {name=<${key}>, value=<${value}>}`)
    } else {
      if (name.startsWith('In')) {
        throw this.unsupported(`The Unicode block \\p{${name}}`)
      } else if (name.startsWith('Is')) {
        const shortName = name.substring(2)
        if (UNICODE_BINARY_PROPERTIES.has(shortName.toUpperCase())) {
          throw this.unsupported(`The binary property \\p{${name}}`)
        }
        const f = forProperty(shortName, caseIns)
        if (f === 'java') throw this.unsupported(`The property \\p{${name}}`)
        p = f
        if (p === null) {
          const s = forUnicodeScript(shortName)
          if (s === 'unknown-js') throw this.unsupported(`The script \\p{${name}}`)
          p = s
        }
      } else {
        const f = forProperty(name, caseIns)
        if (f === 'java') throw this.unsupported(`The Java property \\p{${name}}`)
        p = f
      }
      if (p === null) throw this.error(`Unknown character property name {${name}}`)
    }
    return isComplement ? negate(p) : p
  }

  // ---- groups and flags

  private group0(): Node | null {
    const save = this.flags0
    let ch = this.next()
    let node: Node
    if (ch === 0x3f) {
      ch = this.skip()
      switch (ch) {
        case 0x3a: {
          const inner = this.expr()
          node = { ...inner, src: `(?:${inner.src})` }
          break
        }
        case 0x3d:
        case 0x21: {
          const inner = this.expr()
          node = {
            src: `(?${ch === 0x3d ? '=' : '!'}${inner.src})`,
            min: 0,
            max: 0,
            maxValid: true,
            captures: inner.captures,
          }
          break
        }
        case 0x3e:
          this.expr()
          throw this.unsupported('An atomic group (?>...)')
        case 0x3c: {
          ch = this.read()
          if (ch !== 0x3d && ch !== 0x21) {
            const name = this.groupname(ch)
            if (this.namedGroups.has(name)) throw this.error(`Named capturing group <${name}> is already defined`)
            const index = this.capturingGroupCount++
            this.namedGroups.set(name, index)
            const inner = this.expr()
            node = { ...inner, src: `(${inner.src})`, captures: [index, ...(inner.captures ?? [])] }
            break
          }
          const inner = this.expr()
          if (!inner.maxValid || inner.max > MAX_REPS) {
            throw this.unsupported('A lookbehind with an unbounded quantifier')
          }
          node = {
            src: `(?<${ch === 0x3d ? '=' : '!'}${inner.src})`,
            min: 0,
            max: 0,
            maxValid: true,
            captures: inner.captures,
          }
          break
        }
        case 0x24:
        case 0x40:
          throw this.error('Unknown group type')
        default: {
          this.unread()
          this.addFlag()
          ch = this.read()
          if (ch === 0x29) return null
          if (ch !== 0x3a) throw this.error('Unknown inline modifier')
          const inner = this.expr()
          node = { ...inner, src: `(?:${inner.src})` }
          break
        }
      }
    } else {
      const index = this.capturingGroupCount++
      const inner = this.expr()
      node = { ...inner, src: `(${inner.src})`, captures: [index, ...(inner.captures ?? [])] }
    }
    this.accept(0x29, 'Unclosed group')
    this.flags0 = save
    return this.closure(node)
  }

  private addFlag(): void {
    let ch = this.peek()
    for (;;) {
      switch (ch) {
        case 0x69:
          this.flags0 |= CASE_INSENSITIVE
          break
        case 0x6d:
          this.flags0 |= MULTILINE
          break
        case 0x73:
          this.flags0 |= DOTALL
          break
        case 0x64:
          this.flags0 |= UNIX_LINES
          break
        case 0x75:
          this.flags0 |= UNICODE_CASE
          break
        case 0x63:
          this.flags0 |= CANON_EQ
          break
        case 0x78:
          this.flags0 |= COMMENTS
          break
        case 0x55:
          this.flags0 |= UNICODE_CHARACTER_CLASS | UNICODE_CASE
          break
        case 0x2d:
          this.next()
          this.subFlag()
          return
        default:
          return
      }
      ch = this.next()
    }
  }

  private subFlag(): void {
    let ch = this.peek()
    for (;;) {
      switch (ch) {
        case 0x69:
          this.flags0 &= ~CASE_INSENSITIVE
          break
        case 0x6d:
          this.flags0 &= ~MULTILINE
          break
        case 0x73:
          this.flags0 &= ~DOTALL
          break
        case 0x64:
          this.flags0 &= ~UNIX_LINES
          break
        case 0x75:
          this.flags0 &= ~UNICODE_CASE
          break
        case 0x63:
          this.flags0 &= ~CANON_EQ
          break
        case 0x78:
          this.flags0 &= ~COMMENTS
          break
        case 0x55:
          this.flags0 &= ~(UNICODE_CHARACTER_CLASS | UNICODE_CASE)
          break
        default:
          return
      }
      ch = this.next()
    }
  }

  // ---- quantifiers

  /** Java's `qtype`: '' (greedy), '?' (lazy); possessive is unsupported. */
  private qtype(): string {
    const ch = this.next()
    if (ch === 0x3f) {
      this.next()
      return '?'
    }
    if (ch === 0x2b) {
      this.next()
      throw this.unsupported('A possessive quantifier')
    }
    return ''
  }

  private quantified(prev: Node, min: number, max: number, quantifier: string): Node {
    const lazy = this.qtype()
    const unbounded = max === MAX_REPS
    // JS and Java stop a loop on an empty iteration at different points: which strings match is the same, the
    // extent of a find() may not be.
    if (max > 1 && prev.min === 0) this.emptyLoops = true
    if (max > 1) for (const group of prev.captures ?? []) this.groupsInRepetition.add(group)
    const qmin = prev.min * min
    const qmax = prev.max * max
    return {
      src: `(?:${prev.src})${quantifier}${lazy}`,
      min: qmin,
      max: unbounded ? 0 : qmax,
      maxValid: prev.maxValid && !unbounded && qmax <= MAX_REPS,
      captures: prev.captures,
    }
  }

  private closure(prev: Node): Node {
    let ch = this.peek()
    switch (ch) {
      case 0x3f:
        return this.quantified(prev, 0, 1, '?')
      case 0x2a:
        return this.quantified(prev, 0, MAX_REPS, '*')
      case 0x2b:
        return this.quantified(prev, 1, MAX_REPS, '+')
      case 0x7b: {
        ch = this.skip()
        if (!isAsciiDigit(ch)) throw this.error('Illegal repetition')
        let cmin = 0
        let cmax: number
        const overflow = (): never => {
          throw this.error('Illegal repetition range')
        }
        do {
          cmin = cmin * 10 + (ch - 0x30)
          if (cmin > MAX_REPS) overflow()
          ch = this.read()
        } while (isAsciiDigit(ch))
        let open = false
        if (ch === 0x2c) {
          ch = this.read()
          if (ch === 0x7d) {
            this.unread()
            open = true
            cmax = MAX_REPS
          } else {
            cmax = 0
            while (isAsciiDigit(ch)) {
              cmax = cmax * 10 + (ch - 0x30)
              if (cmax > MAX_REPS) overflow()
              ch = this.read()
            }
          }
        } else {
          cmax = cmin
        }
        if (!open) {
          if (ch !== 0x7d) throw this.error('Unclosed counted closure')
          if (cmax < cmin) throw this.error('Illegal repetition range')
          this.unread()
        }
        const q = open ? `{${cmin},}` : cmin === cmax ? `{${cmin}}` : `{${cmin},${cmax}}`
        return this.quantified(prev, cmin, cmax, q)
      }
      default:
        return prev
    }
  }
}

const cache = new Map<string, JavaRegex>()

/**
 * Compiles a Java regex. Throws `JavaPatternSyntaxError` where `Pattern.compile` would throw, and
 * `UnsupportedJavaRegexError` for a valid pattern Ferry cannot run with Java's semantics.
 */
export function compileJavaRegex(pattern: string): JavaRegex {
  if (typeof pattern !== 'string') throw new TypeError('pattern must be a string')
  const cached = cache.get(pattern)
  if (cached !== undefined) return cached
  const parser = new Parser(pattern)
  const { source, groupCount } = parser.compile()
  const regex: JavaRegex = Object.freeze({
    pattern,
    source,
    find: new RegExp(source, 'v'),
    whole: new RegExp(`^(?:${source})$`, 'v'),
    groupCount,
    groupNames: parser.namedGroups,
    groupsInRepetition: parser.groupsInRepetition,
    emptyLoops: parser.emptyLoops,
  })
  if (cache.size > 256) cache.clear()
  cache.set(pattern, regex)
  return regex
}

/** `pattern.matcher(input).matches()`. */
export function javaMatches(regex: JavaRegex, input: string): boolean {
  return regex.whole.test(input)
}

/** `pattern.matcher(input).replaceFirst(replacement)`, with Java's replacement syntax and exceptions. */
export function javaReplaceFirst(regex: JavaRegex, input: string, replacement: string): string {
  const m = regex.find.exec(input)
  if (m === null) return input
  return input.substring(0, m.index) + expandReplacement(regex, m, replacement) + input.substring(m.index + m[0].length)
}

/**
 * The groups a replacement refers to, read the way `Matcher.appendReplacement` reads it (null when Java would reject
 * the replacement: every record then fails with Java's exception anyway).
 */
export function replacementGroups(regex: JavaRegex, replacement: string): Set<number> | null {
  const groups = new Set<number>()
  let cursor = 0
  while (cursor < replacement.length) {
    const c = replacement.charCodeAt(cursor)
    if (c === 0x5c) {
      cursor += 2
    } else if (c === 0x24) {
      cursor++
      if (cursor === replacement.length) return null
      if (replacement.charCodeAt(cursor) === 0x7b) {
        const close = replacement.indexOf('}', cursor)
        if (close === -1) return null
        const number = regex.groupNames.get(replacement.substring(cursor + 1, close))
        if (number === undefined) return null
        groups.add(number)
        cursor = close + 1
      } else {
        let refNum = replacement.charCodeAt(cursor) - 0x30
        if (refNum < 0 || refNum > 9) return null
        cursor++
        while (cursor < replacement.length) {
          const d = replacement.charCodeAt(cursor) - 0x30
          if (d < 0 || d > 9 || refNum * 10 + d > regex.groupCount) break
          refNum = refNum * 10 + d
          cursor++
        }
        groups.add(refNum)
      }
    } else {
      cursor++
    }
  }
  return groups
}

function isAsciiLetterOrDigit(c: number): boolean {
  return isAsciiAlpha(c) || isAsciiDigit(c)
}

function expandReplacement(regex: JavaRegex, m: RegExpExecArray, replacement: string): string {
  let out = ''
  let cursor = 0
  const group = (n: number): string => {
    if (n < 0 || n > regex.groupCount) throw new IndexOutOfBoundsException(`No group ${n}`)
    return m[n] ?? ''
  }
  while (cursor < replacement.length) {
    let nextChar = replacement.charCodeAt(cursor)
    if (nextChar === 0x5c) {
      cursor++
      if (cursor === replacement.length) throw new IllegalArgumentException('character to be escaped is missing')
      out += replacement.charAt(cursor)
      cursor++
    } else if (nextChar === 0x24) {
      cursor++
      if (cursor === replacement.length) {
        throw new IllegalArgumentException('Illegal group reference: group index is missing')
      }
      nextChar = replacement.charCodeAt(cursor)
      let refNum: number
      if (nextChar === 0x7b) {
        cursor++
        const begin = cursor
        while (cursor < replacement.length) {
          nextChar = replacement.charCodeAt(cursor)
          if (isAsciiLetterOrDigit(nextChar)) cursor++
          else break
        }
        if (begin === cursor) throw new IllegalArgumentException('named capturing group has 0 length name')
        if (nextChar !== 0x7d) throw new IllegalArgumentException("named capturing group is missing trailing '}'")
        const gname = replacement.substring(begin, cursor)
        if (isAsciiDigit(gname.charCodeAt(0))) {
          throw new IllegalArgumentException(`capturing group name {${gname}} starts with digit character`)
        }
        const number = regex.groupNames.get(gname)
        if (number === undefined) throw new IllegalArgumentException(`No group with name {${gname}}`)
        refNum = number
        cursor++
      } else {
        refNum = nextChar - 0x30
        if (refNum < 0 || refNum > 9) throw new IllegalArgumentException('Illegal group reference')
        cursor++
        for (;;) {
          if (cursor >= replacement.length) break
          const nextDigit = replacement.charCodeAt(cursor) - 0x30
          if (nextDigit < 0 || nextDigit > 9) break
          const newRefNum = refNum * 10 + nextDigit
          if (regex.groupCount < newRefNum) break
          refNum = newRefNum
          cursor++
        }
      }
      out += group(refNum)
    } else {
      out += replacement.charAt(cursor)
      cursor++
    }
  }
  return out
}
