/**
 * Parsed configuration with typed getters (Apache's `AbstractConfig`): `parsedConfig(def, props)` parses `props`
 * with `def` (throwing `ConfigException` at the first problem) and keeps the original properties for prefixed keys.
 */
import { ConfigException } from '../errors.ts'
import { type ConfigDef, type ConfigType, Password } from './config-def.ts'

type Props = Readonly<Record<string, unknown>> | ReadonlyMap<string, unknown>

function toRecord(props: Props): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const entries = props instanceof Map ? props.entries() : Object.entries(props)
  for (const [k, v] of entries) {
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true })
    else out[k] = v
  }
  return out
}

export class AbstractConfig {
  readonly definition: ConfigDef
  private readonly _originals: Record<string, unknown>
  private readonly _values: Record<string, unknown>
  private readonly _used = new Set<string>()

  constructor(definition: ConfigDef, originals: Props) {
    this.definition = definition
    this._originals = toRecord(originals)
    this._values = definition.parse(this._originals)
  }

  /** The parsed value of a defined key; `ConfigException` for an unknown key. */
  get(key: string): unknown {
    if (!Object.hasOwn(this._values, key)) throw new ConfigException(`Unknown configuration '${key}'`)
    this._used.add(key)
    return this._values[key]
  }

  /** Marks a key as used (for `unused()`). */
  ignore(key: string): void {
    this._used.add(key)
  }

  getString(key: string): string | null {
    const v = this.get(key) as string | null
    return v == null ? null : v.trim()
  }

  getInt(key: string): number | null {
    return (this.get(key) as number | null) ?? null
  }

  getShort(key: string): number | null {
    return (this.get(key) as number | null) ?? null
  }

  /** A LONG as a number (a value beyond 2^53 loses precision; `getLongExact` keeps it). */
  getLong(key: string): number | null {
    const v = this.get(key) as number | bigint | null
    return v == null ? null : Number(v)
  }

  /** A LONG as parsed: a number, or a bigint beyond the safe integer range. */
  getLongExact(key: string): number | bigint | null {
    return (this.get(key) as number | bigint | null) ?? null
  }

  getDouble(key: string): number | null {
    return (this.get(key) as number | null) ?? null
  }

  getBoolean(key: string): boolean | null {
    return (this.get(key) as boolean | null) ?? null
  }

  getList(key: string): string[] | null {
    return (this.get(key) as string[] | null) ?? null
  }

  getPassword(key: string): Password | null {
    const v = this.get(key)
    return v instanceof Password ? v : null
  }

  /** A CLASS key: the class name (or the constructor it was given as). */
  getClass(key: string): string | ((...args: any[]) => unknown) | null {
    return (this.get(key) as string | ((...args: any[]) => unknown) | null) ?? null
  }

  typeOf(key: string): ConfigType | null {
    return this.definition.configKeys().get(key)?.type ?? null
  }

  documentationOf(key: string): string | null {
    return this.definition.configKeys().get(key)?.documentation ?? null
  }

  /** The keys that were given but never read. */
  unused(): Set<string> {
    const out = new Set(Object.keys(this._originals))
    for (const k of this._used) out.delete(k)
    return out
  }

  /** A copy of the original properties. */
  originals(overrides?: Readonly<Record<string, unknown>>): Record<string, unknown> {
    return overrides === undefined ? toRecord(this._originals) : { ...toRecord(this._originals), ...overrides }
  }

  /** The original properties, which must all be strings. */
  originalsStrings(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(this._originals)) {
      if (typeof v !== 'string') {
        throw new TypeError(`Non-string value found in original settings for key ${k}: ${v == null ? null : typeof v}`)
      }
      out[k] = v
    }
    return out
  }

  /** The original properties whose key starts with `prefix` (and is longer), the prefix stripped unless `strip` is false. */
  originalsWithPrefix(prefix: string, strip = true): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(this._originals)) {
      if (k.startsWith(prefix) && k.length > prefix.length) out[strip ? k.substring(prefix.length) : k] = v
    }
    return out
  }

  /** The parsed values, with `prefix`ed original keys that name a defined key overriding them (parsed). */
  valuesWithPrefixOverride(prefix: string): Record<string, unknown> {
    const out = this.values()
    for (const [k, v] of Object.entries(this._originals)) {
      if (!k.startsWith(prefix) || k.length <= prefix.length) continue
      const unprefixed = k.substring(prefix.length)
      const configKey = this.definition.configKeys().get(unprefixed)
      if (configKey !== undefined) out[unprefixed] = this.definition.parseValue(configKey, v, true)
    }
    return out
  }

  /** A copy of the parsed values. */
  values(): Record<string, unknown> {
    return toRecord(this._values)
  }

  /** The parsed values of the keys that are not internal. */
  nonInternalValues(): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(this._values)) {
      if (this.definition.configKeys().get(k)?.internalConfig !== true) out[k] = v
    }
    return out
  }
}

/** Parses `props` with `def` and returns the typed view (Apache's `new AbstractConfig(def, props)`). */
export function parsedConfig(def: ConfigDef, props: Props): AbstractConfig {
  return new AbstractConfig(def, props)
}
