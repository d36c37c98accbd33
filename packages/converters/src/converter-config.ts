/**
 * What Apache's `ConverterConfig` gives every converter: the `converter.type` key (`key`, `value` or `header`) that
 * `configure(configs, isKey)` sets, plus small shared helpers.
 */
import { ConfigDef, ValidString } from '@ferry/api'

export const TYPE_CONFIG = 'converter.type'
const TYPE_DOC = 'How this converter will be used.'

/** Apache's `ConverterConfig.newConfigDef()`: a definition holding only `converter.type` (required). */
export function newConverterConfigDef(): ConfigDef {
  return new ConfigDef().define({
    name: TYPE_CONFIG,
    type: 'STRING',
    validator: ValidString.in('key', 'value', 'header'),
    importance: 'LOW',
    documentation: TYPE_DOC,
  })
}

export type ConverterType = 'key' | 'value' | 'header'

/**
 * The properties a converter parses: a copy of `configs` with `converter.type` set from `isKey` (Apache's
 * `configure(configs, isKey)`), or, for the one-argument `configure` of a HeaderConverter, `header` unless the
 * caller gave a type (Apache's Plugins sets it before calling; Ferry's runtime may not).
 */
export function withConverterType(
  configs: Readonly<Record<string, unknown>>,
  isKey?: boolean,
): Record<string, unknown> {
  const props: Record<string, unknown> = {}
  for (const k of Object.keys(configs)) {
    if (k === '__proto__') Object.defineProperty(props, k, { value: configs[k], enumerable: true, writable: true })
    else props[k] = configs[k]
  }
  if (isKey !== undefined) props[TYPE_CONFIG] = isKey ? 'key' : 'value'
  else if (props[TYPE_CONFIG] === undefined || props[TYPE_CONFIG] === null) props[TYPE_CONFIG] = 'header'
  return props
}

/** Apache's `ConverterType.withName`: case-insensitive. */
export function converterType(value: unknown): ConverterType | null {
  if (typeof value !== 'string') return null
  const lower = value.toLowerCase()
  return lower === 'key' || lower === 'value' || lower === 'header' ? lower : null
}
