import type { ConfigDef } from './config/config-def.ts'
import type { Schema, SchemaAndValue } from './data/schema.ts'
import type { Headers } from './header.ts'

/**
 * Turns Connect data into bytes and back (Apache's `Converter`).
 * `configure` is called once before any other method, with the converter's own keys (prefix stripped) and
 * whether it converts record keys. `fromConnectData` returns null for a null value (a tombstone).
 * Conversion failures throw `DataException`. A converter that must fetch something first (a schema from a registry)
 * throws `PendingException`: the runtime waits for it and calls the method again.
 */
export interface Converter {
  configure(configs: Record<string, unknown>, isKey: boolean): void
  fromConnectData(topic: string, headers: Headers | null, schema: Schema | null, value: unknown): Uint8Array | null
  toConnectData(topic: string, headers: Headers | null, value: Uint8Array | null): SchemaAndValue
  config(): ConfigDef
  close?(): void
  /**
   * Ferry's extension, optional: `value` read later. Returns a DeferredJson when `value` is schemaless JSON exactly
   * in the form Apache's JsonConverter (`schemas.enable=false`) writes and reading it cannot fail; undefined when
   * the caller must use `toConnectData` (the runtime does so for anything else, and whenever transforms run).
   */
  toDeferredJson?(topic: string, headers: Headers | null, value: Uint8Array): DeferredJson | undefined
}

/**
 * A record value read as schemaless JSON and parsed only when something asks for it (Ferry's extension). `text` is
 * the JSON it came from, which is exactly what Apache's JsonConverter with `schemas.enable=false` writes for the
 * value; `parse()` gives the value `toConnectData` would have given (a new one each call).
 */
export interface DeferredJson {
  readonly text: string
  parse(): unknown
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
