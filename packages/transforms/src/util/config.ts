/**
 * Config helpers: Apache's `SimpleConfig`, the validators of `connect-transforms` (`NonEmptyListValidator`,
 * `RegexValidator`) and Kafka 4.4's `ConfigDef.ValidList.anyNonDuplicateValues`, which @ferry/api does not have yet.
 */
import { AbstractConfig, ConfigDef, ConfigException, type ConfigKey, javaString, type Validator } from '@ferry/api'
import { compileJavaRegex, JavaPatternSyntaxError, type JavaRegex, UnsupportedJavaRegexError } from './java-regex.ts'

/** Apache's `NonEmptyListValidator`. */
export const NonEmptyListValidator: Validator = Object.freeze({
  ensureValid(name: string, value: unknown): void {
    if (value == null || (Array.isArray(value) && value.length === 0)) {
      throw new ConfigException(name, value, 'Empty list')
    }
  },
  toString(): string {
    return 'non-empty list'
  },
})

function regexValidator(forReplaceFirst: boolean): Validator {
  return Object.freeze({
    ensureValid(name: string, value: unknown): void {
      let regex: JavaRegex
      try {
        regex = compileJavaRegex(value as string)
      } catch (e) {
        if (e instanceof JavaPatternSyntaxError) throw new ConfigException(name, value, `Invalid regex: ${e.message}`)
        if (e instanceof UnsupportedJavaRegexError) throw new ConfigException(name, value, e.message)
        throw e
      }
      if (forReplaceFirst && regex.emptyLoops) {
        throw new ConfigException(
          name,
          value,
          `A repeated sub-pattern that can match the empty string is not supported by Ferry in a replacement regex (JS and Java end such a match at different points; see docs/transforms.md): ${value}`,
        )
      }
    },
    toString(): string {
      return 'valid regex'
    },
  })
}

/**
 * Apache's `RegexValidator`: the value must compile as a Java regex. A pattern Java accepts but Ferry cannot run with
 * Java's semantics is rejected here too, with the reason (see docs/transforms.md).
 */
export const RegexValidator: Validator = regexValidator(false)

/** `RegexValidator` for a regex used by `replaceFirst` (RegexRouter): also refuses repetitions that can match empty. */
export const ReplaceRegexValidator: Validator = regexValidator(true)

const DUPLICATES_REMOVED = Symbol('ferry.transforms.AnyNonDuplicateValues')

/**
 * Kafka 4.4's `ConfigDef.ValidList.anyNonDuplicateValues(isEmptyAllowed, isNullAllowed)`: a list of non-empty strings
 * without duplicates. As in Kafka, `ConfigDef.validate` reports duplicates while parsing a config (`configure`, through
 * `simpleConfig`) silently drops them first.
 */
export class AnyNonDuplicateValues implements Validator {
  readonly isEmptyAllowed: boolean
  readonly isNullAllowed: boolean
  readonly [DUPLICATES_REMOVED] = true

  private constructor(isEmptyAllowed: boolean, isNullAllowed: boolean) {
    this.isEmptyAllowed = isEmptyAllowed
    this.isNullAllowed = isNullAllowed
  }

  static of(isEmptyAllowed: boolean, isNullAllowed: boolean): AnyNonDuplicateValues {
    return new AnyNonDuplicateValues(isEmptyAllowed, isNullAllowed)
  }

  ensureValid(name: string, value: unknown): void {
    if (value == null) {
      if (this.isNullAllowed) return
      throw new ConfigException(`Configuration '${name}' values must not be null.`)
    }
    const values = value as unknown[]
    if (!this.isEmptyAllowed && values.length === 0) {
      throw new ConfigException(`Configuration '${name}' must not be empty. Valid values include: any non-empty value`)
    }
    if (new Set(values.map((v) => (typeof v === 'string' ? v : javaString(v)))).size !== values.length) {
      throw new ConfigException(`Configuration '${name}' values must not be duplicated.`)
    }
    for (const v of values) {
      if (typeof v === 'string' && v.length === 0) {
        throw new ConfigException(`Configuration '${name}' values must not be empty.`)
      }
    }
  }

  toString(): string {
    return ''
  }
}

function hasProp(props: Readonly<Record<string, unknown>>, key: string): boolean {
  return Object.hasOwn(props, key) && props[key] !== undefined
}

/**
 * Apache's `new SimpleConfig(configDef, props)`: parses and validates `props` (ConfigException at the first problem).
 * Like Kafka 4.4's `ConfigDef.parseValue`, a LIST whose validator is `anyNonDuplicateValues` loses its duplicates
 * before it is validated.
 */
export function simpleConfig(def: ConfigDef, props: Readonly<Record<string, unknown>>): AbstractConfig {
  let effective: Record<string, unknown> | null = null
  for (const key of def.configKeys().values()) {
    if (!(key.validator instanceof AnyNonDuplicateValues) || !hasProp(props, key.name)) continue
    const parsed = ConfigDef.parseType(key.name, props[key.name], key.type)
    if (!Array.isArray(parsed)) continue
    const distinct = [...new Set(parsed)]
    if (distinct.length === parsed.length) continue
    effective ??= { ...props }
    effective[key.name] = distinct
  }
  return new AbstractConfig(def, effective ?? props)
}

/** Re-exported for transforms that define keys with a ConfigKey. */
export type { ConfigKey }

export const REPLACE_NULL_WITH_DEFAULT_CONFIG = 'replace.null.with.default'
export const REPLACE_NULL_WITH_DEFAULT_DOC =
  'Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.'
