/**
 * `sasl.jaas.config`: Java's JAAS login configuration syntax, as Apache's `JaasConfig` reads it.
 *
 * ```
 * <loginModuleClass> <controlFlag> (<optionName>=<optionValue>)*;
 * ```
 *
 * Apache (4.x) tokenizes with `java.io.StreamTokenizer` in its default syntax, plus `//` and `/* *\/` comments and
 * `-`, `_` and `$` as word characters. So: a word starts with a letter, `_`, `$` or a character from 160 up, and goes
 * on through letters, digits, `.`, `-`, `_` and `$` (a class name is one word); a token starting with a digit, `.` or
 * `-` is a number, which is no value (so `password=123` is refused: quote it); `"` and `'` quote a string (ended by
 * the same quote or the end of the line; `\n`, `\t`, `\b`, `\f`, `\r`, `\a`, `\v`, octal `\ooo` and `\<any>` are
 * escapes); `/` comments out the rest of the line (and the next line when a line break follows it); bytes 0-32 are
 * white space; anything else (`;`, `=`, `:`, `@`, ...) stands alone. This module reproduces that tokenizer, so a
 * value Apache reads one way Ferry reads the same way, and one Apache refuses Ferry refuses.
 *
 * Errors never quote an option's value or a quoted string: the values are passwords and client secrets.
 */

export type JaasControlFlag = 'REQUIRED' | 'REQUISITE' | 'SUFFICIENT' | 'OPTIONAL'

/** One login module entry (Java's `AppConfigurationEntry`). */
export interface JaasModule {
  loginModule: string
  controlFlag: JaasControlFlag
  /** The options in the order given; a repeated option keeps its last value, as Java's HashMap does. */
  options: ReadonlyMap<string, string>
}

/** A `sasl.jaas.config` value that Apache would refuse; the message never contains an option value. */
export class JaasConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'JaasConfigError'
  }
}

const EOF = -1
const NUMBER = -2
const WORD = -3
// StreamTokenizer's ttype for a quoted string is the quote character itself.
const DOUBLE_QUOTE = 34
const SINGLE_QUOTE = 39

interface Token {
  /** WORD, NUMBER, EOF, a quote character (quoted string) or an ordinary character's code. */
  type: number
  /** The word or the string; null for numbers, EOF and ordinary characters. */
  text: string | null
}

const CLASS = {
  whitespace: 1,
  /** A letter, `_`, `$`, or 160 and up. */
  word: 2,
  /** A digit or `.`: starts a number, continues a word. */
  digit: 3,
  /** `-`: starts a number (or stands alone), continues a word. */
  minus: 4,
  quote: 5,
  comment: 6,
  ordinary: 7,
} as const

function charClass(c: number): number {
  if (c > 255 || c >= 160) return CLASS.word
  if (c <= 32) return CLASS.whitespace
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36) return CLASS.word
  if ((c >= 48 && c <= 57) || c === 46) return CLASS.digit
  if (c === 45) return CLASS.minus
  if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) return CLASS.quote
  if (c === 47) return CLASS.comment
  return CLASS.ordinary
}

const continuesWord = (c: number) => {
  const cls = charClass(c)
  return cls === CLASS.word || cls === CLASS.digit || cls === CLASS.minus
}

/** Java's StreamTokenizer with the syntax Apache's JaasConfig sets up. */
class Tokenizer {
  readonly #text: string
  #pos = 0
  #peek: number | null = null

  constructor(text: string) {
    this.#text = text
  }

  #read(): number {
    if (this.#pos >= this.#text.length) return EOF
    return this.#text.charCodeAt(this.#pos++)
  }

  #skipToEndOfLine(): number {
    let c = this.#read()
    while (c !== EOF && c !== 10 && c !== 13) c = this.#read()
    return c
  }

  next(): Token {
    let c = this.#peek ?? this.#read()
    this.#peek = null
    for (;;) {
      while (c !== EOF && charClass(c) === CLASS.whitespace) c = this.#read()
      if (c === EOF) return { type: EOF, text: null }
      const cls = charClass(c)
      if (cls === CLASS.digit || cls === CLASS.minus) {
        if (c === 45) {
          const next = this.#read()
          if (next !== 46 && (next < 48 || next > 57)) {
            this.#peek = next
            return { type: 45, text: null }
          }
          c = next
        }
        let seenDot = false
        while ((c === 46 && !seenDot) || (c >= 48 && c <= 57)) {
          if (c === 46) seenDot = true
          c = this.#read()
        }
        this.#peek = c
        return { type: NUMBER, text: null }
      }
      if (cls === CLASS.word) {
        let word = ''
        do {
          word += String.fromCharCode(c)
          c = this.#read()
        } while (c !== EOF && continuesWord(c))
        this.#peek = c
        return { type: WORD, text: word }
      }
      if (cls === CLASS.quote) return this.#quoted(c)
      if (c === 47) {
        // `//` and `/*` comments, and `/` itself is a comment character: either way the rest is skipped.
        c = this.#read()
        if (c === 42) {
          let previous = 0
          c = this.#read()
          while (c !== EOF && !(previous === 42 && c === 47)) {
            previous = c
            c = this.#read()
          }
          if (c === EOF) return { type: EOF, text: null }
          c = this.#read()
          continue
        }
        // Java reads on to the end of the line after the character that followed the `/`, even a line break.
        c = this.#skipToEndOfLine()
        continue
      }
      return { type: c, text: null }
    }
  }

  #quoted(quote: number): Token {
    let text = ''
    let d = this.#read()
    while (d !== EOF && d !== quote && d !== 10 && d !== 13) {
      let c: number
      if (d === 92) {
        c = this.#read()
        const first = c
        if (c >= 48 && c <= 55) {
          c -= 48
          let c2 = this.#read()
          if (c2 >= 48 && c2 <= 55) {
            c = (c << 3) + (c2 - 48)
            c2 = this.#read()
            if (c2 >= 48 && c2 <= 55 && first <= 51) {
              c = (c << 3) + (c2 - 48)
              d = this.#read()
            } else d = c2
          } else d = c2
        } else {
          if (c === 97) c = 7
          else if (c === 98) c = 8
          else if (c === 102) c = 12
          else if (c === 110) c = 10
          else if (c === 114) c = 13
          else if (c === 116) c = 9
          else if (c === 118) c = 11
          d = this.#read()
        }
        // A backslash at the very end: Java appends (char) -1.
        if (c === EOF) c = 0xffff
      } else {
        c = d
        d = this.#read()
      }
      text += String.fromCharCode(c)
    }
    this.#peek = d === quote ? null : d
    return { type: quote, text }
  }
}

function describe(token: Token): string {
  if (token.type === EOF) return 'the end of the value'
  if (token.type === WORD) return `'${token.text}'`
  if (token.type === NUMBER) return 'a number'
  if (token.type === DOUBLE_QUOTE || token.type === SINGLE_QUOTE) return 'a quoted string'
  return `'${String.fromCharCode(token.type)}'`
}

function controlFlag(token: Token): JaasControlFlag {
  if (token.text === null) throw new JaasConfigError('Login module control flag is not available in the JAAS config')
  const flag = token.text.toUpperCase()
  if (flag === 'REQUIRED' || flag === 'REQUISITE' || flag === 'SUFFICIENT' || flag === 'OPTIONAL') return flag
  const shown = token.type === WORD ? `'${token.text}'` : 'given as a quoted string'
  throw new JaasConfigError(
    `Invalid login module control flag ${shown} in JAAS config: must be required, requisite, sufficient or optional`,
  )
}

/**
 * Parses a `sasl.jaas.config` value into its login modules, with Apache's rules and messages (Apache also refuses
 * more than one module for a client: see `parseClientJaasConfig`).
 */
export function parseJaasConfig(text: string): JaasModule[] {
  const tokenizer = new Tokenizer(text)
  const modules = parseModules(tokenizer, tokenizer.next(), EOF)
  if (modules.length === 0) throw new JaasConfigError('Login module not specified in JAAS config')
  return modules
}

/**
 * Parses a JAAS login configuration file (Java's `-Djava.security.auth.login.config`): `Name { <module> <flag>
 * <options>; ... };` entries, by name (an entry named twice has the modules of both, as Java's ConfigFile merges
 * them). Java's property expansion (`${user.home}`) is not done.
 */
export function parseJaasFile(text: string): Map<string, JaasModule[]> {
  const tokenizer = new Tokenizer(text)
  const entries = new Map<string, JaasModule[]>()
  let token = tokenizer.next()
  while (token.type !== EOF) {
    if (token.type !== WORD || token.text === null)
      throw new JaasConfigError(`Login configuration name expected in JAAS file, found ${describe(token)}`)
    const name = token.text
    const open = tokenizer.next()
    if (open.type !== 123) throw new JaasConfigError(`'{' expected after ${name} in JAAS file, found ${describe(open)}`)
    const modules = parseModules(tokenizer, tokenizer.next(), 125)
    const end = tokenizer.next()
    if (end.type !== 59) throw new JaasConfigError(`';' expected after the '}' of ${name} in JAAS file`)
    entries.set(name, [...(entries.get(name) ?? []), ...modules])
    token = tokenizer.next()
  }
  return entries
}

/** Login module entries from `token` on, up to the token of type `end` (EOF or `}`), which is consumed. */
function parseModules(tokenizer: Tokenizer, first: Token, end: number): JaasModule[] {
  const modules: JaasModule[] = []
  let token = first
  while (token.type !== end) {
    if (token.text === null)
      throw new JaasConfigError(`Login module class expected in JAAS config, found ${describe(token)}`)
    const loginModule = token.text
    const flagToken = tokenizer.next()
    if (flagToken.type === EOF) throw new JaasConfigError('Login module control flag not specified in JAAS config')
    const flag = controlFlag(flagToken)
    const options = new Map<string, string>()
    token = tokenizer.next()
    while (token.type !== EOF && token.type !== 59) {
      if (token.text === null)
        throw new JaasConfigError(`Option name expected in JAAS config, found ${describe(token)}`)
      const key = token.text
      const equals = tokenizer.next()
      const value = equals.type === 61 ? tokenizer.next() : equals
      if (equals.type !== 61 || value.type === EOF || value.text === null) {
        throw new JaasConfigError(
          `Value not specified for key '${key}' in JAAS config${value.type === NUMBER ? ' (a value starting with a digit, . or - must be quoted)' : ''}`,
        )
      }
      options.set(key, value.text)
      token = tokenizer.next()
    }
    if (token.type !== 59) throw new JaasConfigError('JAAS config entry not terminated by semi-colon')
    modules.push({ loginModule, controlFlag: flag, options })
    token = tokenizer.next()
    if (token.type === EOF && end !== EOF) throw new JaasConfigError(`'}' expected at the end of the JAAS file`)
  }
  return modules
}

/** A client's `sasl.jaas.config`: exactly one login module (Apache's `JaasContext.loadClientContext`). */
export function parseClientJaasConfig(text: string): JaasModule {
  const modules = parseJaasConfig(text)
  if (modules.length !== 1) {
    throw new JaasConfigError(`JAAS config property contains ${modules.length} login modules, should be 1 module`)
  }
  return modules[0]!
}
