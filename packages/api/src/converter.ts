import type { ConfigDef } from './config/config-def.ts'
import type { Schema, SchemaAndValue } from './data/schema.ts'
import type { Headers } from './header.ts'

/**
 * Turns Connect data into bytes and back (Apache's `Converter`).
 * `configure` is called once before any other method, with the converter's own keys (prefix stripped) and
 * whether it converts record keys. `fromConnectData` returns null for a null value (a tombstone).
 * Conversion failures throw `DataException`.
 */
export interface Converter {
  configure(configs: Record<string, unknown>, isKey: boolean): void
  fromConnectData(topic: string, headers: Headers | null, schema: Schema | null, value: unknown): Uint8Array | null
  toConnectData(topic: string, headers: Headers | null, value: Uint8Array | null): SchemaAndValue
  config(): ConfigDef
  close?(): void
}

/**
 * Turns one header value into bytes and back (Apache's `HeaderConverter`).
 * `configure` is called once with the converter's own keys.
 */
export interface HeaderConverter {
  configure(configs: Record<string, unknown>): void
  fromConnectHeader(topic: string, headerKey: string, schema: Schema | null, value: unknown): Uint8Array | null
  toConnectHeader(topic: string, headerKey: string, value: Uint8Array | null): SchemaAndValue
  config(): ConfigDef
  close?(): void
}
