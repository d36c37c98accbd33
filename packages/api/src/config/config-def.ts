/**
 * Config definitions (Apache's `ConfigDef`): typed keys with defaults, validators, documentation and UI metadata;
 * `parse` turns string properties into typed values (throwing `ConfigException` at the first problem) and `validate`
 * reports every problem at once, on its key.
 *
 * Parsed value representations: BOOLEAN → `boolean`; STRING → `string` (trimmed); INT, SHORT → `number`;
 * LONG → `number`, or `bigint` beyond the safe integer range; DOUBLE → `number`; LIST → `string[]`;
 * CLASS → the class name `string` (or a constructor function given as such); PASSWORD → `Password`.
 */

import { javaDoubleToString } from '../data/java-number.ts'
import { ConfigException, javaString } from '../errors.ts'

export type ConfigType = 'BOOLEAN' | 'STRING' | 'INT' | 'SHORT' | 'LONG' | 'DOUBLE' | 'LIST' | 'CLASS' | 'PASSWORD'
export type Importance = 'HIGH' | 'MEDIUM' | 'LOW'
export type Width = 'NONE' | 'SHORT' | 'MEDIUM' | 'LONG'

/** The `defaultValue` of a key that must be set (Apache's `ConfigDef.NO_DEFAULT_VALUE`). */
export const NO_DEFAULT_VALUE: unique symbol = Symbol.for('ferry.config.NO_DEFAULT_VALUE')
export type NoDefaultValue = typeof NO_DEFAULT_VALUE

/** Checks one parsed value; throws `ConfigException`. `toString()` is shown in docs as "Valid Values". */
export interface Validator {
  ensureValid(name: string, value: unknown): void
  toString(): string
}

/** Suggests values and visibility from the other parsed values (for UIs). */
export interface Recommender {
  validValues(name: string, parsedConfig: Readonly<Record<string, unknown>>): unknown[]
  visible(name: string, parsedConfig: Readonly<Record<string, unknown>>): boolean
}

/** The result of validating one key (Apache's `ConfigValue`). */
export interface ConfigValue {
  name: string
  value: unknown
  recommendedValues: unknown[]
  errorMessages: string[]
  visible: boolean
}

/** What `Connector.validate` returns (Apache's `Config`). */
export interface Config {
  configValues: ConfigValue[]
}

/** A new `ConfigValue` with no value and no errors. */
export function newConfigValue(name: string): ConfigValue {
  return { name, value: null, recommendedValues: [], errorMessages: [], visible: true }
}

/** What `ConfigDef.define` takes. A key with no `defaultValue` (or `NO_DEFAULT_VALUE`) is required. */
export interface ConfigKeyDefinition {
  name: string
  type: ConfigType
  /** Given as a string or already typed; parsed (and validated) when defined. `null` is a valid default. */
  defaultValue?: unknown
  validator?: Validator | null
  importance: Importance
  documentation: string | null
  group?: string | null
  /** Default -1. */
  orderInGroup?: number
  /** Default `NONE`. */
  width?: Width
  /** Default: the name. */
  displayName?: string | null
  dependents?: readonly string[]
  recommender?: Recommender | null
  internalConfig?: boolean
  alternativeString?: string | null
}

const BRAND_PASSWORD = Symbol.for('ferry.config.Password')
const INSPECT = Symbol.for('nodejs.util.inspect.custom')

/** A secret config value: `String(password)` and JSON are `[hidden]`; `value()` returns the secret. */
export class Password {
  static readonly HIDDEN = '[hidden]'
  readonly #value: string

  constructor(value: string) {
    this.#value = value
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as any)[BRAND_PASSWORD] === true
  }

  value(): string {
    return this.#value
  }

  equals(other: unknown): boolean {
    return other instanceof Password && other.value() === this.#value
  }

  toString(): string {
    return Password.HIDDEN
  }

  toJSON(): string {
    return Password.HIDDEN
  }

  [INSPECT](): string {
    return `Password ${Password.HIDDEN}`
  }
}
Object.defineProperty(Password.prototype, BRAND_PASSWORD, { value: true, enumerable: false })

/** One defined key (Apache's `ConfigDef.ConfigKey`). `defaultValue` is parsed, or `NO_DEFAULT_VALUE`. */
export class ConfigKey {
  readonly name: string
  readonly type: ConfigType
  readonly documentation: string | null
  readonly defaultValue: unknown
  readonly validator: Validator | null
  readonly importance: Importance
  readonly group: string | null
  readonly orderInGroup: number
  readonly width: Width
  readonly displayName: string | null
  readonly dependents: readonly string[]
  readonly recommender: Recommender | null
  readonly internalConfig: boolean
  readonly alternativeString: string | null

  constructor(def: ConfigKeyDefinition) {
    this.name = def.name
    this.type = def.type
    const hasDefault = def.defaultValue !== undefined && def.defaultValue !== NO_DEFAULT_VALUE
    this.defaultValue = hasDefault ? ConfigDef.parseType(def.name, def.defaultValue, def.type) : NO_DEFAULT_VALUE
    this.validator = def.validator ?? null
    this.importance = def.importance
    if (this.validator !== null && hasDefault) this.validator.ensureValid(def.name, this.defaultValue)
    this.documentation = def.documentation ?? null
    this.dependents = Object.freeze([...(def.dependents ?? [])])
    this.group = def.group ?? null
    this.orderInGroup = def.orderInGroup ?? -1
    this.width = def.width ?? 'NONE'
    this.displayName = def.displayName === undefined ? def.name : def.displayName
    this.recommender = def.recommender ?? null
    this.internalConfig = def.internalConfig ?? false
    this.alternativeString = def.alternativeString ?? null
  }

  hasDefault(): boolean {
    return this.defaultValue !== NO_DEFAULT_VALUE
  }
}

type Props = Readonly<Record<string, unknown>> | ReadonlyMap<string, unknown>

function hasProp(props: Props, key: string): boolean {
  if (props instanceof Map) return props.has(key) && props.get(key) !== undefined
  return Object.hasOwn(props, key) && (props as Record<string, unknown>)[key] !== undefined
}

function getProp(props: Props, key: string): unknown {
  if (props instanceof Map) return props.get(key)
  return (props as Record<string, unknown>)[key]
}

/** Assigns without triggering the `__proto__` setter. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true })
  else target[key] = value
}

/** The JS "class name" of a value, for messages that Apache writes with `getClass().getName()`. */
function typeName(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value
  if (Array.isArray(value)) return 'Array'
  const ctor = (value as object).constructor
  return typeof ctor === 'function' && ctor.name ? ctor.name : 'Object'
}

class NumberFormatError extends Error {}

const INTEGER_PATTERN = /^[+-]?\d+$/
const DOUBLE_PATTERN = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[fFdD]?$/
const COMMA_WITH_WHITESPACE = /\s*,\s*/
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

function parseIntegral(text: string, min: number, max: number): number {
  if (!INTEGER_PATTERN.test(text)) throw new NumberFormatError(text)
  const n = Number(text)
  if (n < min || n > max) throw new NumberFormatError(text)
  return n
}

function parseLong(text: string): number | bigint {
  if (!INTEGER_PATTERN.test(text)) throw new NumberFormatError(text)
  const n = BigInt(text)
  if (n < INT64_MIN || n > INT64_MAX) throw new NumberFormatError(text)
  return normalizeLong(n)
}

function normalizeLong(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n
}

function parseDouble(text: string): number {
  // Java's Double.parseDouble trims ASCII whitespace and control characters itself.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Java trims every char <= ' '
  const t = text.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '')
  if (!DOUBLE_PATTERN.test(t)) throw new NumberFormatError(text)
  return Number(/[fFdD]$/.test(t) ? t.slice(0, -1) : t)
}

const IMPORTANCE_ORDER: Record<Importance, number> = { HIGH: 0, MEDIUM: 1, LOW: 2 }

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** A set of config keys (Apache's `ConfigDef`). `define` returns `this` for chaining. */
export class ConfigDef {
  /** Apache's `ConfigDef.NO_DEFAULT_VALUE`. */
  static readonly NO_DEFAULT_VALUE: NoDefaultValue = NO_DEFAULT_VALUE

  private readonly _configKeys: Map<string, ConfigKey>
  private readonly _groups: string[]
  private _configsWithNoParent: Set<string> | null = null

  /** An empty definition, or a copy of `base`. */
  constructor(base?: ConfigDef) {
    this._configKeys = base === undefined ? new Map() : new Map(base._configKeys)
    this._groups = base === undefined ? [] : base._groups.slice()
  }

  /** Adds a key; throws `ConfigException` when the name is defined twice or the default value is invalid. */
  define(key: ConfigKeyDefinition | ConfigKey): this {
    const configKey = key instanceof ConfigKey ? key : new ConfigKey(key)
    if (this._configKeys.has(configKey.name)) {
      throw new ConfigException(`Configuration ${configKey.name} is defined twice.`)
    }
    if (configKey.group !== null && !this._groups.includes(configKey.group)) this._groups.push(configKey.group)
    this._configKeys.set(configKey.name, configKey)
    this._configsWithNoParent = null
    return this
  }

  /** An internal key: no documentation, left out of generated docs. */
  defineInternal(
    name: string,
    type: ConfigType,
    defaultValue: unknown,
    importance: Importance,
    validator: Validator | null = null,
    documentation = '',
  ): this {
    return this.define(
      new ConfigKey({
        name,
        type,
        defaultValue,
        validator,
        importance,
        documentation,
        group: '',
        internalConfig: true,
      }),
    )
  }

  /** The key names, in definition order. */
  names(): Set<string> {
    return new Set(this._configKeys.keys())
  }

  /** The keys by name, in definition order. */
  configKeys(): ReadonlyMap<string, ConfigKey> {
    return this._configKeys
  }

  /** The groups, in order of first use. */
  groups(): readonly string[] {
    return this._groups
  }

  /** The (parsed) default value of every key that has one. */
  defaultValues(): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const key of this._configKeys.values()) if (key.hasDefault()) setOwn(out, key.name, key.defaultValue)
    return out
  }

  /**
   * Parses and validates every key: a typed value for each (the default when unset). Throws `ConfigException` at the
   * first problem, e.g. `Missing required configuration "k" which has no default value.` Keys that are not defined
   * are ignored.
   */
  parse(props: Props): Record<string, unknown> {
    const undefinedKeys = this.undefinedDependentConfigs()
    if (undefinedKeys.length > 0) {
      throw new ConfigException(
        `Some configurations in are referred in the dependents, but not defined: ${undefinedKeys.join(',')}`,
      )
    }
    const values: Record<string, unknown> = {}
    for (const key of this._configKeys.values()) {
      setOwn(values, key.name, this.parseValue(key, getProp(props, key.name), hasProp(props, key.name)))
    }
    return values
  }

  /** Parses one key's value (`isSet` false: the default, or a ConfigException for a required key). */
  parseValue(key: ConfigKey, value: unknown, isSet: boolean): unknown {
    let parsed: unknown
    if (isSet) parsed = ConfigDef.parseType(key.name, value, key.type)
    else if (!key.hasDefault()) {
      throw new ConfigException(`Missing required configuration "${key.name}" which has no default value.`)
    } else parsed = key.defaultValue
    if (key.validator !== null) key.validator.ensureValid(key.name, parsed)
    return parsed
  }

  /** Validates every key and returns one `ConfigValue` per key (in definition order), each with all its errors. */
  validate(props: Props): ConfigValue[] {
    return [...this.validateAll(props).values()]
  }

  /** `validate`, by key name. */
  validateAll(props: Props): Map<string, ConfigValue> {
    const configValues = new Map<string, ConfigValue>()
    for (const name of this._configKeys.keys()) configValues.set(name, newConfigValue(name))
    for (const undefinedKey of this.undefinedDependentConfigs()) {
      const value = newConfigValue(undefinedKey)
      value.errorMessages.push(`${undefinedKey} is referred in the dependents, but not defined.`)
      value.visible = false
      configValues.set(undefinedKey, value)
    }
    const parsed: Record<string, unknown> = {}
    const roots = this.configsWithNoParent()
    for (const name of roots) this.parseForValidate(name, props, parsed, configValues)
    for (const name of roots) this.validateKey(name, parsed, configValues)
    return configValues
  }

  private undefinedDependentConfigs(): string[] {
    const out = new Set<string>()
    for (const key of this._configKeys.values()) {
      for (const dependent of key.dependents) if (!this._configKeys.has(dependent)) out.add(dependent)
    }
    return [...out]
  }

  private configsWithNoParent(): Set<string> {
    if (this._configsWithNoParent !== null) return this._configsWithNoParent
    const withParent = new Set<string>()
    for (const key of this._configKeys.values()) for (const d of key.dependents) withParent.add(d)
    const roots = new Set<string>()
    for (const name of this._configKeys.keys()) if (!withParent.has(name)) roots.add(name)
    this._configsWithNoParent = roots
    return roots
  }

  private parseForValidate(
    name: string,
    props: Props,
    parsed: Record<string, unknown>,
    configValues: Map<string, ConfigValue>,
  ): void {
    const key = this._configKeys.get(name)
    if (key === undefined) return
    const config = configValues.get(name)!
    let value: unknown = null
    if (hasProp(props, name)) {
      try {
        value = ConfigDef.parseType(name, getProp(props, name), key.type)
      } catch (e) {
        if (!(e instanceof ConfigException)) throw e
        config.errorMessages.push(e.message)
      }
    } else if (!key.hasDefault()) {
      config.errorMessages.push(`Missing required configuration "${name}" which has no default value.`)
    } else {
      value = key.defaultValue
    }
    if (key.validator !== null) {
      try {
        key.validator.ensureValid(name, value)
      } catch (e) {
        if (!(e instanceof ConfigException)) throw e
        config.errorMessages.push(e.message)
      }
    }
    config.value = value
    setOwn(parsed, name, value)
    for (const dependent of key.dependents) this.parseForValidate(dependent, props, parsed, configValues)
  }

  private validateKey(name: string, parsed: Record<string, unknown>, configValues: Map<string, ConfigValue>): void {
    const key = this._configKeys.get(name)
    if (key === undefined) return
    const value = configValues.get(name)!
    if (key.recommender !== null) {
      try {
        let recommended = key.recommender.validValues(name, parsed)
        const original = value.recommendedValues
        if (original.length > 0) recommended = recommended.filter((v) => original.includes(v))
        value.recommendedValues = recommended
        value.visible = key.recommender.visible(name, parsed)
      } catch (e) {
        if (!(e instanceof ConfigException)) throw e
        value.errorMessages.push(e.message)
      }
    }
    for (const dependent of key.dependents) this.validateKey(dependent, parsed, configValues)
  }

  /**
   * Apache's `ConfigDef.parseType`: converts a string (trimmed) or an already typed value to the key's type, throwing
   * `ConfigException(name, value, ...)` with Apache's messages. Null stays null.
   */
  static parseType(name: string, value: unknown, type: ConfigType): unknown {
    if (value === null || value === undefined) return null
    const trimmed = typeof value === 'string' ? value.trim() : ''
    try {
      switch (type) {
        case 'BOOLEAN':
          if (typeof value === 'string') {
            const lower = trimmed.toLowerCase()
            if (lower === 'true') return true
            if (lower === 'false') return false
            throw new ConfigException(name, value, 'Expected value to be either true or false')
          }
          if (typeof value === 'boolean') return value
          throw new ConfigException(name, value, 'Expected value to be either true or false')
        case 'PASSWORD':
          if (value instanceof Password) return value
          if (typeof value === 'string') return new Password(trimmed)
          throw new ConfigException(name, value, `Expected value to be a string, but it was a ${typeName(value)}`)
        case 'STRING':
          if (typeof value === 'string') return trimmed
          throw new ConfigException(name, value, `Expected value to be a string, but it was a ${typeName(value)}`)
        case 'INT':
          if (typeof value === 'number' && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647) {
            return value
          }
          if (typeof value === 'string') return parseIntegral(trimmed, -2147483648, 2147483647)
          throw new ConfigException(
            name,
            value,
            `Expected value to be a 32-bit integer, but it was a ${typeName(value)}`,
          )
        case 'SHORT':
          if (typeof value === 'number' && Number.isInteger(value) && value >= -32768 && value <= 32767) return value
          if (typeof value === 'string') return parseIntegral(trimmed, -32768, 32767)
          throw new ConfigException(
            name,
            value,
            `Expected value to be a 16-bit integer (short), but it was a ${typeName(value)}`,
          )
        case 'LONG':
          if (typeof value === 'number' && Number.isSafeInteger(value)) return value
          if (typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX) return normalizeLong(value)
          if (typeof value === 'string') return parseLong(trimmed)
          throw new ConfigException(
            name,
            value,
            `Expected value to be a 64-bit integer (long), but it was a ${typeName(value)}`,
          )
        case 'DOUBLE':
          if (typeof value === 'number') return value
          if (typeof value === 'bigint') return Number(value)
          if (typeof value === 'string') return parseDouble(trimmed)
          throw new ConfigException(name, value, `Expected value to be a double, but it was a ${typeName(value)}`)
        case 'LIST':
          if (Array.isArray(value)) return value
          if (typeof value === 'string') return trimmed.length === 0 ? [] : trimmed.split(COMMA_WITH_WHITESPACE)
          throw new ConfigException(name, value, 'Expected a comma separated list.')
        case 'CLASS':
          if (typeof value === 'function') return value
          if (typeof value === 'string') return trimmed
          throw new ConfigException(name, value, 'Expected a Class instance or class name.')
        default:
          throw new Error(`Unknown type: ${String(type)}`)
      }
    } catch (e) {
      if (e instanceof NumberFormatError) throw new ConfigException(name, value, `Not a number of type ${type}`)
      throw e
    }
  }

  /** Apache's `ConfigDef.convertToString`: lists comma-joined, classes by name, doubles as Java prints them. */
  static convertToString(parsedValue: unknown, type: ConfigType | null): string | null {
    if (parsedValue === null || parsedValue === undefined) return null
    if (type === null) return javaString(parsedValue)
    switch (type) {
      case 'LIST':
        return (parsedValue as unknown[]).map((v) => javaString(v)).join(',')
      case 'CLASS':
        return typeof parsedValue === 'function' ? parsedValue.name : String(parsedValue)
      case 'DOUBLE':
        return typeof parsedValue === 'number' ? javaDoubleToString(parsedValue) : String(parsedValue)
      default:
        return javaString(parsedValue)
    }
  }

  /** String values for parsed configs, revealing passwords (Apache's `convertToStringMapWithPasswordValues`). */
  static convertToStringMapWithPasswordValues(configs: Readonly<Record<string, unknown>>): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [k, value] of Object.entries(configs)) {
      let s: string | null
      if (value instanceof Password) s = value.value()
      else if (Array.isArray(value)) s = ConfigDef.convertToString(value, 'LIST')
      else if (typeof value === 'function') s = ConfigDef.convertToString(value, 'CLASS')
      else s = ConfigDef.convertToString(value, null)
      if (s !== null) setOwn(out, k, s)
    }
    return out
  }

  /**
   * Adds `child`'s keys under `keyPrefix`, in `groupPrefix` (`<groupPrefix>: <child group>`), ordered from
   * `startingOrd`; validators and recommenders see the unprefixed names (Apache's `embed`).
   */
  embed(keyPrefix: string, groupPrefix: string, startingOrd: number, child: ConfigDef): void {
    let orderInGroup = startingOrd
    for (const key of child.sortedConfigs()) {
      this.define(
        new ConfigKey({
          name: keyPrefix + key.name,
          type: key.type,
          defaultValue: key.defaultValue,
          validator: embeddedValidator(keyPrefix, key.validator),
          importance: key.importance,
          documentation: key.documentation,
          group: groupPrefix + (key.group === null ? '' : `: ${key.group}`),
          orderInGroup: orderInGroup++,
          width: key.width,
          displayName: key.displayName,
          dependents: key.dependents.map((d) => keyPrefix + d),
          recommender: embeddedRecommender(keyPrefix, key.recommender),
          internalConfig: key.internalConfig,
          alternativeString: key.alternativeString,
        }),
      )
    }
  }

  /** The keys in documentation order: by group, order in group, required first, importance, then name. */
  sortedConfigs(): ConfigKey[] {
    const groupOrd = new Map<string, number>()
    for (let i = 0; i < this._groups.length; i++) groupOrd.set(this._groups[i]!, i)
    return [...this._configKeys.values()].sort((k1, k2) => {
      let cmp =
        k1.group === null
          ? k2.group === null
            ? 0
            : -1
          : k2.group === null
            ? 1
            : (groupOrd.get(k1.group) ?? 0) - (groupOrd.get(k2.group) ?? 0)
      if (cmp === 0) {
        cmp = Math.sign(k1.orderInGroup - k2.orderInGroup)
        if (cmp === 0) {
          if (!k1.hasDefault() && k2.hasDefault()) cmp = -1
          else if (!k2.hasDefault() && k1.hasDefault()) cmp = 1
          else {
            cmp = IMPORTANCE_ORDER[k1.importance] - IMPORTANCE_ORDER[k2.importance]
            if (cmp === 0) return compareStrings(k1.name, k2.name)
          }
        }
      }
      return cmp
    })
  }

  /** A documentation column of a key, as Apache's `getConfigValue` (`Name`, `Type`, `Default`, `Valid Values`...). */
  static docValue(key: ConfigKey, header: string): string {
    switch (header) {
      case 'Name':
        return key.name
      case 'Description':
        return key.documentation ?? ''
      case 'Type':
        return key.type.toLowerCase()
      case 'Default': {
        if (!key.hasDefault()) return ''
        if (key.defaultValue === null) return 'null'
        const s = ConfigDef.convertToString(key.defaultValue, key.type) ?? ''
        if (s.length === 0) return '""'
        let suffix = ''
        if (key.name.endsWith('.bytes')) suffix = niceMemoryUnits(Number(key.defaultValue))
        else if (key.name.endsWith('.ms')) suffix = niceTimeUnits(Number(key.defaultValue))
        return s + suffix
      }
      case 'Valid Values':
        return key.validator !== null ? String(key.validator) : ''
      case 'Importance':
        return key.importance.toLowerCase()
      default:
        throw new Error(`Can't find value for header '${header}' in ${key.name}`)
    }
  }

  /** Apache's `toRst()`: reStructuredText docs of the non-internal keys. */
  toRst(): string {
    let b = ''
    for (const key of this.sortedConfigs()) {
      if (key.internalConfig) continue
      b += `${configKeyRst(key)}\n`
    }
    return b
  }

  /** Apache's `toHtmlTable()`. */
  toHtmlTable(): string {
    const headers = ['Name', 'Description', 'Type', 'Default', 'Valid Values', 'Importance']
    let b = '<table class="data-table"><tbody>\n<tr>\n'
    for (const h of headers) b += `<th>${h}</th>\n`
    b += '</tr>\n'
    for (const key of this.sortedConfigs()) {
      if (key.internalConfig) continue
      b += '<tr>\n'
      for (const h of headers) b += `<td>${ConfigDef.docValue(key, h)}</td></td>`
      b += '</tr>\n'
    }
    return `${b}</tbody></table>`
  }
}

function configKeyRst(key: ConfigKey): string {
  let b = `\`\`${key.name}\`\`\n`
  if (key.documentation !== null) {
    for (const line of key.documentation.split('\n')) if (line.length > 0) b += `  ${line}\n\n`
  } else b += '\n'
  b += `  * Type: ${ConfigDef.docValue(key, 'Type')}\n`
  if (key.hasDefault()) b += `  * Default: ${ConfigDef.docValue(key, 'Default')}\n`
  if (key.validator !== null) b += `  * Valid Values: ${ConfigDef.docValue(key, 'Valid Values')}\n`
  b += `  * Importance: ${ConfigDef.docValue(key, 'Importance')}\n`
  return b
}

function niceMemoryUnits(bytes: number): string {
  if (!Number.isFinite(bytes)) return ''
  let value = bytes
  let i = 0
  while (value !== 0 && i < 4) {
    if (value % 1024 === 0) {
      value /= 1024
      i++
    } else break
  }
  const units = ['', 'kibibyte', 'mebibyte', 'gibibyte', 'tebibyte']
  return i === 0 ? '' : ` (${value} ${units[i]}${value === 1 ? ')' : 's)'}`
}

function niceTimeUnits(millis: number): string {
  if (!Number.isFinite(millis)) return ''
  let value = millis
  const divisors = [1000, 60, 60, 24]
  const units = ['second', 'minute', 'hour', 'day']
  let i = 0
  while (value !== 0 && i < 4) {
    if (value % divisors[i]! === 0) {
      value /= divisors[i]!
      i++
    } else break
  }
  return i > 0 ? ` (${value} ${units[i - 1]}${value > 1 ? 's)' : ')'}` : ''
}

function embeddedValidator(keyPrefix: string, base: Validator | null): Validator | null {
  if (base === null) return null
  return {
    ensureValid(name: string, value: unknown): void {
      base.ensureValid(name.substring(keyPrefix.length), value)
    },
    toString(): string {
      return String(base)
    },
  }
}

function embeddedRecommender(keyPrefix: string, base: Recommender | null): Recommender | null {
  if (base === null) return null
  const unprefixed = (parsed: Readonly<Record<string, unknown>>): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(parsed))
      if (k.startsWith(keyPrefix)) setOwn(out, k.substring(keyPrefix.length), v)
    return out
  }
  return {
    validValues: (name, parsed) => base.validValues(name.substring(keyPrefix.length), unprefixed(parsed)),
    visible: (name, parsed) => base.visible(name.substring(keyPrefix.length), unprefixed(parsed)),
  }
}
