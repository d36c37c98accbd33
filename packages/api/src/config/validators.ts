/**
 * Apache's `ConfigDef` validators, with Apache's error messages and `toString()` (shown in docs as "Valid Values").
 * The stateless ones (`NonEmptyString`, `NonNullValidator`, `NonEmptyStringWithoutControlChars`) are singletons:
 * pass them as `validator: NonEmptyString`.
 */
import { ConfigException } from '../errors.ts'
import type { Validator } from './config-def.ts'

function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return value
  if (typeof value === 'bigint') return Number(value)
  return null
}

/** A numeric range; bounds are inclusive. */
export class Range implements Validator {
  readonly min: number | bigint | null
  readonly max: number | bigint | null

  private constructor(min: number | bigint | null, max: number | bigint | null) {
    this.min = min
    this.max = max
  }

  /** `value >= min`. */
  static atLeast(min: number | bigint): Range {
    return new Range(min, null)
  }

  /** `min <= value <= max`. */
  static between(min: number | bigint, max: number | bigint): Range {
    return new Range(min, max)
  }

  ensureValid(name: string, value: unknown): void {
    if (value === null || value === undefined) throw new ConfigException(name, null, 'Value must be non-null')
    const n = asNumber(value)
    if (n === null) throw new ConfigException(name, value, 'Value must be a number')
    if (this.min !== null && n < Number(this.min)) {
      throw new ConfigException(name, value, `Value must be at least ${this.min}`)
    }
    if (this.max !== null && n > Number(this.max)) {
      throw new ConfigException(name, value, `Value must be no more than ${this.max}`)
    }
  }

  toString(): string {
    if (this.min === null && this.max === null) return '[...]'
    if (this.min === null) return `[...,${this.max}]`
    if (this.max === null) return `[${this.min},...]`
    return `[${this.min},...,${this.max}]`
  }
}

/** One of a fixed set of strings (case sensitive). */
export class ValidString implements Validator {
  readonly validStrings: readonly string[]

  private constructor(validStrings: readonly string[]) {
    this.validStrings = Object.freeze([...validStrings])
  }

  static in(...validStrings: string[]): ValidString {
    return new ValidString(validStrings)
  }

  ensureValid(name: string, value: unknown): void {
    if (typeof value !== 'string' || !this.validStrings.includes(value)) {
      throw new ConfigException(name, value, `String must be one of: ${this.validStrings.join(', ')}`)
    }
  }

  toString(): string {
    return `[${this.validStrings.join(', ')}]`
  }
}

/** One of a fixed set of strings, ignoring case. */
export class CaseInsensitiveValidString implements Validator {
  readonly validStrings: readonly string[]

  private constructor(validStrings: readonly string[]) {
    this.validStrings = Object.freeze([...new Set(validStrings.map((s) => s.toUpperCase()))])
  }

  static in(...validStrings: string[]): CaseInsensitiveValidString {
    return new CaseInsensitiveValidString(validStrings)
  }

  ensureValid(name: string, value: unknown): void {
    if (typeof value !== 'string' || !this.validStrings.includes(value.toUpperCase())) {
      throw new ConfigException(
        name,
        value,
        `String must be one of (case insensitive): ${this.validStrings.join(', ')}`,
      )
    }
  }

  toString(): string {
    return `(case insensitive) [${this.validStrings.join(', ')}]`
  }
}

/** Every element of a LIST value is one of a fixed set of strings. */
export class ValidList implements Validator {
  readonly validString: ValidString

  private constructor(validStrings: readonly string[]) {
    this.validString = ValidString.in(...validStrings)
  }

  static in(...validStrings: string[]): ValidList {
    return new ValidList(validStrings)
  }

  ensureValid(name: string, value: unknown): void {
    if (value === null || value === undefined) return
    if (!Array.isArray(value)) throw new ConfigException(name, value, 'Expected a comma separated list.')
    for (const element of value) this.validString.ensureValid(name, element)
  }

  toString(): string {
    return this.validString.toString()
  }
}

/** A LIST value with at most `maxSize` elements. */
export class ListSize implements Validator {
  readonly maxSize: number

  private constructor(maxSize: number) {
    this.maxSize = maxSize
  }

  static atMostOfSize(maxSize: number): ListSize {
    return new ListSize(maxSize)
  }

  ensureValid(name: string, value: unknown): void {
    if (Array.isArray(value) && value.length > this.maxSize) {
      throw new ConfigException(name, value, `exceeds maximum list size of [${this.maxSize}].`)
    }
  }

  toString(): string {
    return `List containing maximum of ${this.maxSize} elements`
  }
}

/** Null is fine, the empty string is not. */
export const NonEmptyString: Validator = Object.freeze({
  ensureValid(name: string, value: unknown): void {
    if (typeof value === 'string' && value.length === 0) {
      throw new ConfigException(name, value, 'String must be non-empty')
    }
  },
  toString(): string {
    return 'non-empty string'
  },
})

/** Any value but null. */
export const NonNullValidator: Validator = Object.freeze({
  ensureValid(name: string, value: unknown): void {
    // Apache passes the string "null" as the value, which renders the same.
    if (value === null || value === undefined) throw new ConfigException(name, 'null', 'entry must be non null')
  },
  toString(): string {
    return 'non-null string'
  },
})

/** Null is fine; otherwise a non-empty string without ISO control characters (U+0000–U+001F, U+007F–U+009F). */
export const NonEmptyStringWithoutControlChars: Validator & {
  nonEmptyStringWithoutControlChars(): Validator
} = Object.freeze({
  nonEmptyStringWithoutControlChars(): Validator {
    return NonEmptyStringWithoutControlChars
  },
  ensureValid(name: string, value: unknown): void {
    if (value === null || value === undefined) return
    const s = String(value)
    if (s.length === 0) throw new ConfigException(name, value, 'String may not be empty')
    const found: number[] = []
    for (let i = 0; i < s.length; i++) {
      const cp = s.codePointAt(i)!
      if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f)) found.push(cp)
    }
    if (found.length > 0) {
      throw new ConfigException(
        name,
        value,
        `String may not contain control sequences but had the following ASCII chars: ${found.join(', ')}`,
      )
    }
  },
  toString(): string {
    return 'non-empty string without ISO control characters'
  },
})

/** A validator from a function and a description (Apache's `LambdaValidator.with`). */
export class LambdaValidator implements Validator {
  private readonly ensureValidFn: (name: string, value: unknown) => void
  private readonly toStringFn: () => string

  private constructor(ensureValid: (name: string, value: unknown) => void, describe: () => string) {
    this.ensureValidFn = ensureValid
    this.toStringFn = describe
  }

  static with(ensureValid: (name: string, value: unknown) => void, describe: () => string): LambdaValidator {
    return new LambdaValidator(ensureValid, describe)
  }

  ensureValid(name: string, value: unknown): void {
    this.ensureValidFn(name, value)
  }

  toString(): string {
    return this.toStringFn()
  }
}

/** All of several validators, in order (the first failure is thrown). */
export class CompositeValidator implements Validator {
  readonly validators: readonly Validator[]

  private constructor(validators: readonly Validator[]) {
    this.validators = Object.freeze([...validators])
  }

  static of(...validators: Validator[]): CompositeValidator {
    return new CompositeValidator(validators)
  }

  ensureValid(name: string, value: unknown): void {
    for (const validator of this.validators) validator.ensureValid(name, value)
  }

  toString(): string {
    return this.validators.map((v) => String(v)).join(', ')
  }
}
