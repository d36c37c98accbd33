/**
 * Record headers (Apache's `Header` / `ConnectHeaders`): an ordered multimap of `{ key, schema, value }`. Values use
 * the JS representations listed in data/schema.ts. `new Headers()` allocates nothing but the object itself; the list
 * is created on the first `add`.
 */

import type { BigDecimal } from './data/big-decimal.ts'
import { ConnectDate, Decimal, Time, Timestamp } from './data/logical.ts'
import { Schema, SchemaAndValue, schemaEquals, valueEquals } from './data/schema.ts'
import { Struct } from './data/struct.ts'
import { DataException, javaString } from './errors.ts'

/** One header. A header is immutable; `Headers.apply` replaces headers. */
export interface Header {
  readonly key: string
  /** The schema; for a Struct value without an explicit schema, the Struct's. */
  readonly schema: Schema | null
  readonly value: unknown
}

/** The header implementation `Headers` creates (Apache's `ConnectHeader`). */
export class ConnectHeader implements Header {
  readonly key: string
  readonly schema: Schema | null
  readonly value: unknown

  constructor(key: string, schema: Schema | null, value: unknown) {
    if (key == null) throw new TypeError('Null header keys are not permitted')
    this.key = key
    this.value = value ?? null
    this.schema = schema ?? (value instanceof Struct ? value.schema : null)
  }

  /** The same header under another key. */
  rename(key: string): ConnectHeader {
    if (key == null) throw new TypeError('Null header keys are not permitted')
    return key === this.key ? this : new ConnectHeader(key, this.schema, this.value)
  }

  /** A header with the same key and another schema and value. */
  with(schema: Schema | null, value: unknown): ConnectHeader {
    return new ConnectHeader(this.key, schema, value)
  }

  equals(other: unknown): boolean {
    return this === other || (isHeader(other) && headerEquals(this, other))
  }

  toString(): string {
    return `ConnectHeader(key=${this.key}, value=${javaString(this.value)}, schema=${this.schema})`
  }
}

function isHeader(value: unknown): value is Header {
  return typeof value === 'object' && value !== null && typeof (value as Header).key === 'string'
}

/** Key, schema and value equality of two headers. */
export function headerEquals(a: Header, b: Header): boolean {
  return a.key === b.key && schemaEquals(a.schema, b.schema) && valueEquals(a.value, b.value)
}

/** Replaces a header (return it, or another) or removes it (return null). */
export type HeaderTransform = (header: Header) => Header | null

function isPlainObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Apache's `checkSchemaMatches`: a shallow check that the value has the schema's JS representation. */
function checkSchemaMatches(schema: Schema | null, value: unknown): void {
  if (schema === null) return
  if (value === null || value === undefined) {
    if (!schema.isOptional) throw new DataException(`A null value requires an optional schema but was ${schema}`)
    return
  }
  const name = schema.name
  let ok = false
  switch (schema.type) {
    case 'BYTES':
      ok = value instanceof Uint8Array || (name === Decimal.LOGICAL_NAME && isBigDecimal(value))
      break
    case 'STRING':
      ok = typeof value === 'string'
      break
    case 'BOOLEAN':
      ok = typeof value === 'boolean'
      break
    case 'INT8':
    case 'INT16':
      ok = typeof value === 'number'
      break
    case 'INT32':
      ok =
        typeof value === 'number' ||
        (value instanceof Date && (name === ConnectDate.LOGICAL_NAME || name === Time.LOGICAL_NAME))
      break
    case 'INT64':
      ok =
        typeof value === 'number' ||
        typeof value === 'bigint' ||
        (value instanceof Date && name === Timestamp.LOGICAL_NAME)
      break
    case 'FLOAT32':
    case 'FLOAT64':
      ok = typeof value === 'number'
      break
    case 'ARRAY':
      ok = Array.isArray(value)
      break
    case 'MAP':
      ok = value instanceof Map || isPlainObject(value)
      break
    case 'STRUCT':
      ok = value instanceof Struct
      break
  }
  if (!ok) throw new DataException(`The value ${javaString(value)} is not compatible with the schema ${schema}`)
}

function isBigDecimal(value: unknown): value is BigDecimal {
  return typeof value === 'object' && value !== null && (value as any)[Symbol.for('ferry.data.BigDecimal')] === true
}

function checkSchemaType(schema: Schema, type: Schema['type']): void {
  if (schema.type !== type) throw new DataException(`Expecting ${type} but instead found ${schema.type}`)
}

/** An ordered multimap of headers (Apache's `ConnectHeaders`). Mutating methods return `this`. */
export class Headers implements Iterable<Header> {
  private list: Header[] | null = null

  /** A new set of headers, optionally copying `original` (a `Headers` or any iterable of headers). */
  constructor(original?: Iterable<Header> | null) {
    if (original == null) return
    if (original instanceof Headers) {
      if (original.list !== null && original.list.length > 0) this.list = original.list.slice()
      return
    }
    const list: Header[] = []
    for (const header of original) {
      if (header == null) throw new TypeError('Unable to add a null header.')
      list.push(header)
    }
    this.list = list
  }

  get size(): number {
    return this.list === null ? 0 : this.list.length
  }

  isEmpty(): boolean {
    return this.list === null || this.list.length === 0
  }

  clear(): this {
    if (this.list !== null) this.list.length = 0
    return this
  }

  /** Appends a header object as is. */
  addHeader(header: Header): this {
    if (header == null) throw new TypeError('Unable to add a null header.')
    if (this.list === null) this.list = [header]
    else this.list.push(header)
    return this
  }

  /**
   * Appends a header after checking that the value fits the schema (`DataException` otherwise). A null schema means
   * schemaless. `add(key, schemaAndValue)` is also accepted, as Apache's `add(String, SchemaAndValue)`.
   */
  add(key: string, value: unknown, schema?: Schema | null): this {
    if (schema === undefined && value instanceof SchemaAndValue) {
      schema = value.schema
      value = value.value
    }
    const s = schema ?? null
    checkSchemaMatches(s, value)
    return this.addHeader(new ConnectHeader(key, s, value))
  }

  private addWithoutValidating(key: string, value: unknown, schema: Schema | null): this {
    return this.addHeader(new ConnectHeader(key, schema, value))
  }

  addString(key: string, value: string | null): this {
    return this.addWithoutValidating(key, value, value != null ? Schema.STRING_SCHEMA : Schema.OPTIONAL_STRING_SCHEMA)
  }

  addBytes(key: string, value: Uint8Array | null): this {
    return this.addWithoutValidating(key, value, value != null ? Schema.BYTES_SCHEMA : Schema.OPTIONAL_BYTES_SCHEMA)
  }

  addBoolean(key: string, value: boolean): this {
    return this.addWithoutValidating(key, value, Schema.BOOLEAN_SCHEMA)
  }

  addByte(key: string, value: number): this {
    return this.addWithoutValidating(key, value, Schema.INT8_SCHEMA)
  }

  addShort(key: string, value: number): this {
    return this.addWithoutValidating(key, value, Schema.INT16_SCHEMA)
  }

  addInt(key: string, value: number): this {
    return this.addWithoutValidating(key, value, Schema.INT32_SCHEMA)
  }

  addLong(key: string, value: number | bigint): this {
    return this.addWithoutValidating(key, value, Schema.INT64_SCHEMA)
  }

  addFloat(key: string, value: number): this {
    return this.addWithoutValidating(key, value, Schema.FLOAT32_SCHEMA)
  }

  addDouble(key: string, value: number): this {
    return this.addWithoutValidating(key, value, Schema.FLOAT64_SCHEMA)
  }

  /** A list with an ARRAY schema; a null list adds a null header. */
  addList(key: string, value: readonly unknown[] | null, schema: Schema): this {
    if (value == null) return this.add(key, null, null)
    checkSchemaType(schema, 'ARRAY')
    return this.addWithoutValidating(key, value, schema)
  }

  /** A `Map` (or plain object) with a MAP schema; a null map adds a null header. */
  addMap(key: string, value: ReadonlyMap<unknown, unknown> | Record<string, unknown> | null, schema: Schema): this {
    if (value == null) return this.add(key, null, null)
    checkSchemaType(schema, 'MAP')
    return this.addWithoutValidating(key, value, schema)
  }

  addStruct(key: string, value: Struct | null): this {
    if (value == null) return this.add(key, null, null)
    checkSchemaType(value.schema, 'STRUCT')
    return this.addWithoutValidating(key, value, value.schema)
  }

  /** A decimal, with a Decimal schema of the value's scale. */
  addDecimal(key: string, value: BigDecimal | null): this {
    if (value == null) return this.add(key, null, null)
    const schema = Decimal.schema(value.scale)
    Decimal.fromLogical(schema, value)
    return this.addWithoutValidating(key, value, schema)
  }

  /** A date (must be at midnight UTC). */
  addDate(key: string, value: Date | null): this {
    if (value != null) ConnectDate.fromLogical(ConnectDate.SCHEMA, value)
    return this.addWithoutValidating(key, value, ConnectDate.SCHEMA)
  }

  /** A time of day (must be on 1970-01-01 UTC). */
  addTime(key: string, value: Date | null): this {
    if (value != null) Time.fromLogical(Time.SCHEMA, value)
    return this.addWithoutValidating(key, value, Time.SCHEMA)
  }

  addTimestamp(key: string, value: Date | null): this {
    if (value != null) Timestamp.fromLogical(Timestamp.SCHEMA, value)
    return this.addWithoutValidating(key, value, Timestamp.SCHEMA)
  }

  /** The last header with this key, or null. */
  lastWithName(key: string): Header | null {
    const list = this.list
    if (list === null) return null
    for (let i = list.length - 1; i >= 0; i--) {
      const header = list[i]!
      if (header.key === key) return header
    }
    return null
  }

  /** All headers with this key, in order. */
  allWithName(key: string): Header[] {
    const out: Header[] = []
    const list = this.list
    if (list === null) return out
    for (let i = 0; i < list.length; i++) {
      const header = list[i]!
      if (header.key === key) out.push(header)
    }
    return out
  }

  /** Removes every header with this key. */
  remove(key: string): this {
    const list = this.list
    if (list === null || list.length === 0) return this
    let j = 0
    for (let i = 0; i < list.length; i++) {
      const header = list[i]!
      if (header.key !== key) list[j++] = header
    }
    list.length = j
    return this
  }

  /** Keeps only the last header of each key (`retainLatest()`), or of the given key (`retainLatest(key)`). */
  retainLatest(key?: string): this {
    const list = this.list
    if (list === null || list.length === 0) return this
    const keep = new Array<boolean>(list.length)
    if (key === undefined) {
      const seen = new Set<string>()
      for (let i = list.length - 1; i >= 0; i--) {
        const k = list[i]!.key
        keep[i] = !seen.has(k)
        seen.add(k)
      }
    } else {
      let found = false
      for (let i = list.length - 1; i >= 0; i--) {
        const matches = list[i]!.key === key
        keep[i] = !(matches && found)
        if (matches) found = true
      }
    }
    let j = 0
    for (let i = 0; i < list.length; i++) if (keep[i]) list[j++] = list[i]!
    list.length = j
    return this
  }

  /**
   * Replaces each header by `transform(header)` (removing it when that returns null): `apply(transform)` for all
   * headers, `apply(key, transform)` for those with the key.
   */
  apply(transform: HeaderTransform): this
  apply(key: string, transform: HeaderTransform): this
  apply(keyOrTransform: string | HeaderTransform, maybeTransform?: HeaderTransform): this {
    const list = this.list
    if (list === null || list.length === 0) return this
    const key = typeof keyOrTransform === 'string' ? keyOrTransform : null
    const transform = typeof keyOrTransform === 'string' ? maybeTransform! : keyOrTransform
    let j = 0
    for (let i = 0; i < list.length; i++) {
      const original = list[i]!
      if (key !== null && original.key !== key) {
        list[j++] = original
        continue
      }
      const updated = transform(original)
      if (updated != null) list[j++] = updated
    }
    list.length = j
    return this
  }

  /** An independent copy (headers themselves are immutable and shared). */
  duplicate(): Headers {
    return new Headers(this)
  }

  /** Same headers in the same order. */
  equals(other: unknown): boolean {
    if (other === this) return true
    if (!(other instanceof Headers)) return false
    if (other.size !== this.size) return false
    const a = this.list
    const b = other.list
    if (a === null || b === null) return true
    for (let i = 0; i < a.length; i++) if (!headerEquals(a[i]!, b[i]!)) return false
    return true
  }

  toString(): string {
    return `ConnectHeaders(headers=${this.list === null ? '' : `[${this.list.map(String).join(', ')}]`})`
  }

  [Symbol.iterator](): Iterator<Header> {
    return (this.list ?? EMPTY)[Symbol.iterator]()
  }

  /** The headers as an array (a copy). */
  toArray(): Header[] {
    return this.list === null ? [] : this.list.slice()
  }
}

const EMPTY: readonly Header[] = Object.freeze([])
