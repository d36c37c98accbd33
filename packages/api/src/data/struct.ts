/**
 * A structured record with a STRUCT schema (Apache's `Struct`). `put` validates each value against its field's schema;
 * `validate()` checks that every required field without a default has a value. Values use the JS representations
 * listed in schema.ts. `instanceof Struct` also recognises a Struct from another copy of `@ferry/api`.
 */
import { DataException, javaString } from '../errors.ts'
import { type Field, type Schema, type SchemaType, schemaEquals, validateFieldValue, valueEquals } from './schema.ts'
import { SchemaBuilder } from './schema-builder.ts'

const BRAND = Symbol.for('ferry.data.Struct')

export class Struct {
  readonly schema: Schema
  /** Values by field index; null when unset. */
  private readonly values: unknown[]

  /** A struct with every field unset. A `SchemaBuilder` is built first. */
  constructor(schema: Schema | SchemaBuilder) {
    if (schema instanceof SchemaBuilder) schema = schema.build()
    if (schema.type !== 'STRUCT') throw new DataException(`Not a struct schema: ${schema}`)
    this.schema = schema
    const n = schema.fields().length
    const values = new Array<unknown>(n)
    for (let i = 0; i < n; i++) values[i] = null
    this.values = values
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as any)[BRAND] === true
  }

  /** The value of a field, or the field's default value when it is unset. */
  get(field: string | Field): unknown {
    const f = typeof field === 'string' ? this.lookupField(field) : field
    const value = this.values[f.index]
    if (value === null || value === undefined) return f.schema.defaultValue ?? null
    return value
  }

  /** The value of a field, ignoring its default value. */
  getWithoutDefault(field: string | Field): unknown {
    const f = typeof field === 'string' ? this.lookupField(field) : field
    return this.values[f.index] ?? null
  }

  getInt8(fieldName: string): number | null {
    return this.getCheckType(fieldName, 'INT8') as number | null
  }

  getInt16(fieldName: string): number | null {
    return this.getCheckType(fieldName, 'INT16') as number | null
  }

  getInt32(fieldName: string): number | null {
    return this.getCheckType(fieldName, 'INT32') as number | null
  }

  /** A number, or a bigint when the value is outside the safe integer range. */
  getInt64(fieldName: string): number | bigint | null {
    return this.getCheckType(fieldName, 'INT64') as number | bigint | null
  }

  getFloat32(fieldName: string): number | null {
    return this.getCheckType(fieldName, 'FLOAT32') as number | null
  }

  getFloat64(fieldName: string): number | null {
    return this.getCheckType(fieldName, 'FLOAT64') as number | null
  }

  getBoolean(fieldName: string): boolean | null {
    return this.getCheckType(fieldName, 'BOOLEAN') as boolean | null
  }

  getString(fieldName: string): string | null {
    return this.getCheckType(fieldName, 'STRING') as string | null
  }

  getBytes(fieldName: string): Uint8Array | null {
    return this.getCheckType(fieldName, 'BYTES') as Uint8Array | null
  }

  getArray<T = unknown>(fieldName: string): T[] | null {
    return this.getCheckType(fieldName, 'ARRAY') as T[] | null
  }

  /** The map value as it was put: a `Map`, or a plain object for string-keyed maps. */
  getMap<K = unknown, V = unknown>(fieldName: string): Map<K, V> | null {
    return this.getCheckType(fieldName, 'MAP') as Map<K, V> | null
  }

  getStruct(fieldName: string): Struct | null {
    return this.getCheckType(fieldName, 'STRUCT') as Struct | null
  }

  /** Sets a field after validating the value against the field's schema. Returns this for chaining. */
  put(field: string | Field, value: unknown): this {
    let f: Field
    if (typeof field === 'string') f = this.lookupField(field)
    else if (field == null) throw new DataException('field cannot be null.')
    else f = field
    validateFieldValue(f.name, f.schema, value)
    this.values[f.index] = value ?? null
    return this
  }

  /** Throws `DataException` unless every field holds a valid value (unset is fine for optional or defaulted fields). */
  validate(): void {
    const fields = this.schema.fields()
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!
      const fieldSchema = field.schema
      const value = this.values[field.index]
      if ((value === null || value === undefined) && (fieldSchema.isOptional || fieldSchema.defaultValue != null)) {
        continue
      }
      validateFieldValue(field.name, fieldSchema, value)
    }
  }

  /** Equal schemas and deeply equal values (defaults are not applied, as in Apache). */
  equals(other: unknown): boolean {
    if (this === other) return true
    if (!(other instanceof Struct)) return false
    if (!schemaEquals(this.schema, other.schema)) return false
    const a = this.values
    const b = other.values
    if (a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!valueEquals(a[i], b[i])) return false
    return true
  }

  /** Apache's format: `Struct{a=1,b=x}`; unset fields are left out. */
  toString(): string {
    let out = 'Struct{'
    let first = true
    const fields = this.schema.fields()
    for (let i = 0; i < this.values.length; i++) {
      const value = this.values[i]
      if (value === null || value === undefined) continue
      if (!first) out += ','
      first = false
      out += `${fields[i]!.name}=${javaString(value)}`
    }
    return `${out}}`
  }

  private lookupField(fieldName: string): Field {
    const field = this.schema.field(fieldName)
    if (field === null) throw new DataException(`${fieldName} is not a valid field name`)
    return field
  }

  private getCheckType(fieldName: string, type: SchemaType): unknown {
    const field = this.lookupField(fieldName)
    if (field.schema.type !== type) throw new DataException(`Field '${fieldName}' is not of type ${type}`)
    return this.values[field.index] ?? null
  }
}
Object.defineProperty(Struct.prototype, BRAND, { value: true, enumerable: false })
