/**
 * Apache's fluent `SchemaBuilder`:
 *
 * ```ts
 * const schema = SchemaBuilder.struct().name('com.example.Person').version(1)
 *   .field('name', Schema.STRING_SCHEMA)
 *   .field('age', SchemaBuilder.int32().optional())   // a builder is accepted wherever a child schema is
 *   .build()
 * ```
 *
 * A builder can stand in for a schema in the builder API (`field`, `array`, `map`) and in `toSchema()`; child builders
 * are built when the parent is built. Because `name`, `version`, `doc`, `defaultValue` and `parameters` are fluent
 * setters here, the builder exposes the current values through the same methods called without an argument
 * (`builder.name()` returns the name, as in Java), and `type` / `isOptional` as properties.
 */
import { DataException, SchemaBuilderException } from '../errors.ts'
import { ConnectSchema, Field, type Schema, type SchemaType } from './schema.ts'

/** A schema, or a builder that will be built when needed. */
export type SchemaLike = Schema | SchemaBuilder

/** The schema itself, or the builder's `build()`. */
export function toSchema(schema: SchemaLike): Schema {
  return schema instanceof SchemaBuilder ? schema.build() : schema
}

function toSchemaOrNull(schema: SchemaLike | null): Schema | null {
  return schema === null ? null : toSchema(schema)
}

function checkCanSet(fieldName: string, current: unknown, value: unknown): void {
  if (current !== null && current !== value) {
    throw new SchemaBuilderException(`Invalid SchemaBuilder call: ${fieldName} has already been set.`)
  }
}

export class SchemaBuilder {
  readonly type: SchemaType
  private _optional: boolean | null = null
  private _defaultValue: unknown = null
  private _name: string | null = null
  private _version: number | null = null
  private _doc: string | null = null
  private _parameters: Record<string, string> | null = null
  private readonly _fields: Map<string, { index: number; schema: SchemaLike }> | null
  private _keySchema: SchemaLike | null = null
  private _valueSchema: SchemaLike | null = null

  constructor(type: SchemaType) {
    if (type == null) throw new SchemaBuilderException('type cannot be null')
    this.type = type
    this._fields = type === 'STRUCT' ? new Map() : null
  }

  get isOptional(): boolean {
    return this._optional === true
  }

  /** Makes the schema optional (null is a valid value). */
  optional(): this {
    checkCanSet('optional', this._optional, true)
    this._optional = true
    return this
  }

  /** Makes the schema required (the default). */
  required(): this {
    checkCanSet('optional', this._optional, false)
    this._optional = false
    return this
  }

  /** `defaultValue()` reads the default value; `defaultValue(v)` sets it after validating it against the schema. */
  defaultValue(): unknown
  defaultValue(value: unknown): this
  defaultValue(...args: unknown[]): unknown {
    if (args.length === 0) return this._defaultValue
    const value = args[0] ?? null
    checkCanSet('default', this._defaultValue, value)
    try {
      ConnectSchema.validateValue(this.build(), value)
    } catch (e) {
      if (e instanceof DataException) throw new SchemaBuilderException('Invalid default value', e)
      throw e
    }
    this._defaultValue = value
    return this
  }

  /** `name()` reads the name; `name(n)` sets it. */
  name(): string | null
  name(name: string | null): this
  name(...args: [] | [string | null]): this | string | null {
    if (args.length === 0) return this._name
    const name = args[0] ?? null
    checkCanSet('name', this._name, name)
    this._name = name
    return this
  }

  /** `version()` reads the version; `version(v)` sets it. */
  version(): number | null
  version(version: number | null): this
  version(...args: [] | [number | null]): this | number | null {
    if (args.length === 0) return this._version
    const version = args[0] ?? null
    checkCanSet('version', this._version, version)
    this._version = version
    return this
  }

  /** `doc()` reads the documentation; `doc(d)` sets it. */
  doc(): string | null
  doc(doc: string | null): this
  doc(...args: [] | [string | null]): this | string | null {
    if (args.length === 0) return this._doc
    const doc = args[0] ?? null
    checkCanSet('doc', this._doc, doc)
    this._doc = doc
    return this
  }

  /** Sets one parameter (insertion order is kept). */
  parameter(propertyName: string, propertyValue: string): this {
    if (this._parameters === null) this._parameters = {}
    this._parameters[propertyName] = propertyValue
    return this
  }

  /** `parameters()` reads the parameters (or null); `parameters(p)` adds all of `p` (a record or a Map). */
  parameters(): Readonly<Record<string, string>> | null
  parameters(props: Readonly<Record<string, string>> | ReadonlyMap<string, string>): this
  parameters(
    ...args: [] | [Readonly<Record<string, string>> | ReadonlyMap<string, string>]
  ): this | Readonly<Record<string, string>> | null {
    if (args.length === 0) return this._parameters === null ? null : Object.freeze({ ...this._parameters })
    const props = args[0]!
    const entries: Iterable<[string, string]> = props instanceof Map ? props.entries() : Object.entries(props)
    // As Apache: no parameters object is created for an empty input.
    for (const [k, v] of entries) {
      if (this._parameters === null) this._parameters = {}
      this._parameters[k] = v
    }
    return this
  }

  /**
   * `field(name, schema)` adds a STRUCT field; `field(name)` looks one up (or null), like `Schema.field`.
   */
  field(fieldName: string): Field | null
  field(fieldName: string, fieldSchema: SchemaLike): this
  field(fieldName: string, ...args: [] | [SchemaLike]): this | Field | null {
    if (args.length === 0) {
      if (this._fields === null) throw new DataException('Cannot look up fields on non-struct type')
      const entry = this._fields.get(fieldName)
      return entry === undefined ? null : new Field(fieldName, entry.index, toSchema(entry.schema))
    }
    const fieldSchema = args[0]
    if (this._fields === null) throw new SchemaBuilderException(`Cannot create fields on type ${this.type}`)
    if (fieldName == null || fieldName.length === 0) throw new SchemaBuilderException('fieldName cannot be null.')
    if (fieldSchema == null) throw new SchemaBuilderException(`fieldSchema for field ${fieldName} cannot be null.`)
    if (this._fields.has(fieldName)) {
      throw new SchemaBuilderException(`Cannot create field because of field name duplication ${fieldName}`)
    }
    this._fields.set(fieldName, { index: this._fields.size, schema: fieldSchema })
    return this
  }

  /** STRUCT only: the fields so far. */
  fields(): Field[] {
    if (this._fields === null) throw new DataException('Cannot list fields on non-struct type')
    const out: Field[] = []
    for (const [name, entry] of this._fields) out.push(new Field(name, entry.index, toSchema(entry.schema)))
    return out
  }

  /** The key schema (MAP), or null. */
  keySchema(): Schema | null {
    return toSchemaOrNull(this._keySchema)
  }

  /** The value schema (ARRAY, MAP), or null. */
  valueSchema(): Schema | null {
    return toSchemaOrNull(this._valueSchema)
  }

  /** Builds the immutable schema (child builders are built too). */
  build(): Schema {
    let fields: Field[] | null = null
    if (this._fields !== null) {
      fields = []
      for (const [name, entry] of this._fields) fields.push(new Field(name, entry.index, toSchema(entry.schema)))
      Object.freeze(fields)
    }
    return new ConnectSchema(
      this.type,
      this.isOptional,
      this._defaultValue,
      this._name,
      this._version,
      this._doc,
      this._parameters === null ? null : Object.freeze({ ...this._parameters }),
      fields,
      toSchemaOrNull(this._keySchema),
      toSchemaOrNull(this._valueSchema),
    )
  }

  /** Apache's `schema()`: same as `build()`. */
  schema(): Schema {
    return this.build()
  }

  toString(): string {
    return this._name !== null ? `SchemaBuilder{${this._name}:${this.type}}` : `SchemaBuilder{${this.type}}`
  }

  static type(type: SchemaType): SchemaBuilder {
    return new SchemaBuilder(type)
  }

  static int8(): SchemaBuilder {
    return new SchemaBuilder('INT8')
  }

  static int16(): SchemaBuilder {
    return new SchemaBuilder('INT16')
  }

  static int32(): SchemaBuilder {
    return new SchemaBuilder('INT32')
  }

  static int64(): SchemaBuilder {
    return new SchemaBuilder('INT64')
  }

  static float32(): SchemaBuilder {
    return new SchemaBuilder('FLOAT32')
  }

  static float64(): SchemaBuilder {
    return new SchemaBuilder('FLOAT64')
  }

  static bool(): SchemaBuilder {
    return new SchemaBuilder('BOOLEAN')
  }

  static string(): SchemaBuilder {
    return new SchemaBuilder('STRING')
  }

  static bytes(): SchemaBuilder {
    return new SchemaBuilder('BYTES')
  }

  static struct(): SchemaBuilder {
    return new SchemaBuilder('STRUCT')
  }

  static array(valueSchema: SchemaLike): SchemaBuilder {
    if (valueSchema == null) throw new SchemaBuilderException('valueSchema cannot be null.')
    const builder = new SchemaBuilder('ARRAY')
    builder._valueSchema = valueSchema
    return builder
  }

  static map(keySchema: SchemaLike, valueSchema: SchemaLike): SchemaBuilder {
    if (keySchema == null) throw new SchemaBuilderException('keySchema cannot be null.')
    if (valueSchema == null) throw new SchemaBuilderException('valueSchema cannot be null.')
    const builder = new SchemaBuilder('MAP')
    builder._keySchema = keySchema
    builder._valueSchema = valueSchema
    return builder
  }

  /** An ARRAY with no element schema (what `Values` infers for `[null]`). */
  static arrayOfNull(): SchemaBuilder {
    return new SchemaBuilder('ARRAY')
  }

  /** A MAP with neither key nor value schema (what `Values` infers for maps of mixed types). */
  static mapOfNull(): SchemaBuilder {
    return new SchemaBuilder('MAP')
  }

  /** A MAP with only a value schema. */
  static mapWithNullKeys(valueSchema: SchemaLike): SchemaBuilder {
    const builder = new SchemaBuilder('MAP')
    builder._valueSchema = valueSchema
    return builder
  }

  /** A MAP with only a key schema. */
  static mapWithNullValues(keySchema: SchemaLike): SchemaBuilder {
    const builder = new SchemaBuilder('MAP')
    builder._keySchema = keySchema
    return builder
  }
}
