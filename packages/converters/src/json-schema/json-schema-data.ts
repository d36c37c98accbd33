/**
 * Confluent's `JsonSchemaData`: Connect schemas ⇄ JSON Schemas, and Connect values ⇄ JSON trees, as
 * `io.confluent.connect.json.JsonSchemaConverter` maps them.
 *
 * Connect → JSON Schema (`fromConnectSchema`):
 *
 * | Connect                         | JSON Schema                                                                   |
 * |---------------------------------|-------------------------------------------------------------------------------|
 * | INT8, INT16, INT32, INT64       | `{"type":"integer","connect.type":"int8"}` (int16, int32, int64)              |
 * | FLOAT32, FLOAT64                | `{"type":"number","connect.type":"float32"}` (float64)                        |
 * | BOOLEAN, STRING                 | `{"type":"boolean"}`, `{"type":"string"}`                                     |
 * | BYTES                           | `{"type":"string","connect.type":"bytes"}` (base64 text)                      |
 * | Decimal                         | as BYTES; `"type":"number"` under `decimal.format=NUMERIC`                    |
 * | Date, Time, Timestamp           | `{"type":"integer","connect.type":"int32","title":<logical name>}` (int64)    |
 * | ARRAY                           | `{"type":"array","items":…}`                                                  |
 * | MAP with required STRING keys   | `{"type":"object","additionalProperties":…,"connect.type":"map"}`             |
 * | any other MAP                   | `{"type":"array","items":{"type":"object","properties":{"key":…,"value":…}}, "connect.type":"map"}` |
 * | STRUCT                          | `{"type":"object","properties":{…}}`, each property with its `connect.index`  |
 * | optional                        | `{"oneOf":[{"type":"null"},…]}`                                               |
 * | STRING enum (`…json.Enum`)      | `{"enum":[…]}`                                                                |
 * | union struct (`…json.OneOf`)    | `{"oneOf":[…]}` of its fields                                                 |
 *
 * The name is the `title`, the doc the `description`, the version `connect.version`, parameters (but Confluent's
 * own `io.confluent.connect.json.*`) `connect.parameters`, the default `default`. JSON Schema → Connect reads these
 * back, and also what other writers produce: `type` lists, `enum`/`const`, `oneOf`/`anyOf` (a union struct unless
 * it is a pair with `null`, then an optional schema), `allOf` of objects (merged), local `$ref`s
 * (`#/definitions/…`, `#/$defs/…`), `integer` without `connect.type` as INT64 and `number` as FLOAT64.
 *
 * What Ferry refuses, where Confluent has a Connect type of its own: a schema that accepts anything (`{}`, `true`:
 * Confluent's Variant) and recursive `$ref`s (a DataException naming the schema).
 */
import {
  BigDecimal,
  ConnectDate,
  DataException,
  Decimal,
  type Field,
  type Schema,
  SchemaBuilder,
  Struct,
  schemaEquals,
  Time,
  Timestamp,
} from '@ferry/api'
import { decodeBase64Jackson, JsonFloat, type JsonNode, type JsonObject } from '../json/json-reader.ts'
import { doubleText, floatText, quote } from '../json/json-writer.ts'
import { base64, invalid, mapEntries } from '../schema-registry/connect-values.ts'

export const NAMESPACE = 'io.confluent.connect.json'
export const CONNECT_TYPE_PROP = 'connect.type'
export const CONNECT_VERSION_PROP = 'connect.version'
export const CONNECT_PARAMETERS_PROP = 'connect.parameters'
export const CONNECT_INDEX_PROP = 'connect.index'
export const JSON_TYPE_ENUM = `${NAMESPACE}.Enum`
export const JSON_TYPE_ONE_OF = `${NAMESPACE}.OneOf`
const KEY_FIELD = 'key'
const VALUE_FIELD = 'value'
const NULL_MARKER = '<NULL>'

/** The options of `JsonSchemaDataConfig` that Ferry implements. */
export interface JsonSchemaDataOptions {
  /** `object.additional.properties`: false writes `"additionalProperties":false` on structs. */
  allowAdditionalProperties: boolean
  /** `use.optional.for.nonrequired`: properties not in `required` are read as optional fields. */
  useOptionalForNonRequired: boolean
  /** `decimal.format`. */
  decimalFormat: 'BASE64' | 'NUMERIC'
  /** `flatten.singleton.unions`: a `oneOf`/`anyOf` of one schema is that schema. */
  flattenSingletonUnions: boolean
  /** `ignore.default.for.nullables`: a null field is written as null even when its schema has a default. */
  ignoreDefaultForNullables: boolean
}

export const DEFAULT_JSON_SCHEMA_DATA_OPTIONS: JsonSchemaDataOptions = Object.freeze({
  allowAdditionalProperties: true,
  useOptionalForNonRequired: false,
  decimalFormat: 'BASE64',
  flattenSingletonUnions: true,
  ignoreDefaultForNullables: false,
})

/** A JSON tree to write: JsonNode plus BigDecimal (a NUMERIC decimal, written as its text). */
export type OutNode = JsonNode | BigDecimal | OutNode[] | { [key: string]: OutNode }

const NULL_SCHEMA: JsonObject = Object.freeze({ type: 'null' }) as JsonObject

/** See the module comment. One instance per converter: it caches the schemas it has mapped. */
export class JsonSchemaData {
  readonly options: JsonSchemaDataOptions
  readonly #fromConnect = new WeakMap<Schema, JsonObject>()

  constructor(options: Partial<JsonSchemaDataOptions> = {}) {
    this.options = { ...DEFAULT_JSON_SCHEMA_DATA_OPTIONS, ...options }
  }

  // ---------------------------------------------------------------- Connect schema → JSON Schema

  /** The JSON Schema of `schema` (kept per schema object). */
  fromConnectSchema(schema: Schema): JsonObject {
    const cached = this.#fromConnect.get(schema)
    if (cached !== undefined) return cached
    const json = this.#rawSchema(schema, null, false)
    this.#fromConnect.set(schema, json)
    return json
  }

  #rawSchema(schema: Schema, index: number | null, ignoreOptional: boolean): JsonObject {
    let out: JsonObject
    const extra: JsonObject = {}
    let combined = false
    switch (schema.type) {
      case 'INT8':
      case 'INT16':
      case 'INT32':
      case 'INT64':
        out = { type: 'integer' }
        extra[CONNECT_TYPE_PROP] = schema.type.toLowerCase()
        break
      case 'FLOAT32':
      case 'FLOAT64':
        out = { type: 'number' }
        extra[CONNECT_TYPE_PROP] = schema.type.toLowerCase()
        break
      case 'BOOLEAN':
        out = { type: 'boolean' }
        break
      case 'STRING': {
        const params = schema.parameters
        if (params !== null && Object.hasOwn(params, JSON_TYPE_ENUM)) {
          const values: JsonNode[] = []
          for (const key of Object.keys(params)) {
            if (!key.startsWith(`${JSON_TYPE_ENUM}.`)) continue
            const symbol = key.slice(JSON_TYPE_ENUM.length + 1)
            values.push(symbol === NULL_MARKER ? null : symbol)
          }
          out = { enum: values }
        } else out = { type: 'string' }
        break
      }
      case 'BYTES':
        out = {
          type: schema.name === Decimal.LOGICAL_NAME && this.options.decimalFormat === 'NUMERIC' ? 'number' : 'string',
        }
        extra[CONNECT_TYPE_PROP] = 'bytes'
        break
      case 'ARRAY':
        out = { type: 'array', items: this.#rawSchema(schemaOf(schema.valueSchema(), 'array values'), null, false) }
        break
      case 'MAP': {
        const keySchema = schemaOf(schema.keySchema(), 'map keys')
        const valueSchema = schemaOf(schema.valueSchema(), 'map values')
        if (keySchema.type === 'STRING' && !keySchema.isOptional) {
          out = { type: 'object', additionalProperties: this.#rawSchema(valueSchema, null, false) }
        } else {
          out = {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                [KEY_FIELD]: this.#rawSchema(keySchema, 0, false),
                [VALUE_FIELD]: this.#rawSchema(valueSchema, 1, false),
              },
            },
          }
        }
        extra[CONNECT_TYPE_PROP] = 'map'
        break
      }
      case 'STRUCT':
        if (isUnionSchema(schema)) {
          const subs: JsonNode[] = schema.isOptional ? [NULL_SCHEMA] : []
          for (const field of schema.fields()) subs.push(this.#rawSchema(field.schema, field.index, true))
          out = { oneOf: subs }
          combined = true
        } else if (schema.isOptional && !ignoreOptional) {
          out = { oneOf: [NULL_SCHEMA, this.#rawStruct(schema)] }
          combined = true
        } else {
          out = this.#rawStruct(schema)
        }
        break
    }
    if (!combined) {
      if (schema.name !== null) out.title = schema.name
      if (schema.version !== null) extra[CONNECT_VERSION_PROP] = schema.version
      if (schema.doc !== null) out.description = schema.doc
      if (schema.parameters !== null) {
        const params: JsonObject = {}
        let any = false
        for (const [k, v] of Object.entries(schema.parameters)) {
          if (k.startsWith(NAMESPACE)) continue
          params[k] = v
          any = true
        }
        if (any) extra[CONNECT_PARAMETERS_PROP] = params
      }
      if (schema.defaultValue !== null && schema.defaultValue !== undefined) {
        out.default = this.fromConnectData(schema, schema.defaultValue) as JsonNode
      }
      Object.assign(out, extra)
      if (!ignoreOptional && schema.isOptional) {
        const wrapped: JsonObject = { oneOf: [NULL_SCHEMA, out] }
        if (index !== null) wrapped[CONNECT_INDEX_PROP] = index
        return wrapped
      }
    }
    if (index !== null) out[CONNECT_INDEX_PROP] = index
    return out
  }

  /** A required, non-union struct: an object with its fields as properties. */
  #rawStruct(schema: Schema): JsonObject {
    const properties: JsonObject = {}
    for (const field of schema.fields()) properties[field.name] = this.#rawSchema(field.schema, field.index, false)
    const out: JsonObject = { type: 'object', properties }
    if (!this.options.allowAdditionalProperties) out.additionalProperties = false
    if (schema.name !== null) out.title = schema.name
    if (schema.version !== null) out[CONNECT_VERSION_PROP] = schema.version
    if (schema.doc !== null) out.description = schema.doc
    return out
  }

  // ---------------------------------------------------------------- Connect value → JSON tree

  /**
   * The JSON tree of `value` under `schema`; undefined when nothing is written (a null value of a required schema
   * without a default: the property is left out).
   */
  fromConnectData(schema: Schema | null, value: unknown): OutNode | undefined {
    if (value === null || value === undefined) {
      if (schema === null) return undefined
      if (schema.defaultValue !== null && schema.defaultValue !== undefined && !this.options.ignoreDefaultForNullables)
        return this.fromConnectData(schema, schema.defaultValue)
      return schema.isOptional ? null : undefined
    }
    if (schema === null) throw new DataException('JsonSchemaConverter needs a schema: this value has none')
    switch (schema.name) {
      case Decimal.LOGICAL_NAME:
        if (!(value instanceof BigDecimal)) throw invalid(schema, value, 'BigDecimal')
        return this.options.decimalFormat === 'NUMERIC' ? value : base64(Decimal.fromLogical(schema, value))
      case ConnectDate.LOGICAL_NAME:
        if (!(value instanceof Date)) throw invalid(schema, value, 'Date')
        return ConnectDate.fromLogical(schema, value)
      case Time.LOGICAL_NAME:
        if (!(value instanceof Date)) throw invalid(schema, value, 'Date')
        return Time.fromLogical(schema, value)
      case Timestamp.LOGICAL_NAME:
        if (!(value instanceof Date)) throw invalid(schema, value, 'Date')
        return Timestamp.fromLogical(schema, value)
    }
    switch (schema.type) {
      case 'INT8':
      case 'INT16':
      case 'INT32':
        if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(schema, value, 'an integer')
        return value
      case 'INT64':
        if (typeof value === 'bigint') return value
        if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(schema, value, 'an integer')
        return value
      case 'FLOAT32':
        if (typeof value !== 'number') throw invalid(schema, value, 'a number')
        return new JsonFloat(floatText(value))
      case 'FLOAT64':
        if (typeof value !== 'number') throw invalid(schema, value, 'a number')
        return new JsonFloat(doubleText(value))
      case 'BOOLEAN':
        if (typeof value !== 'boolean') throw invalid(schema, value, 'a boolean')
        return value
      case 'STRING':
        if (typeof value !== 'string') throw invalid(schema, value, 'a string')
        return value
      case 'BYTES':
        if (value instanceof Uint8Array) return base64(value)
        if (value instanceof BigDecimal) return value
        throw invalid(schema, value, 'bytes')
      case 'ARRAY': {
        if (!Array.isArray(value)) throw invalid(schema, value, 'an array')
        const valueSchema = schema.valueSchema()
        return value.map((v) => this.fromConnectData(valueSchema, v) ?? null)
      }
      case 'MAP': {
        const keySchema = schemaOf(schema.keySchema(), 'map keys')
        const valueSchema = schema.valueSchema()
        const objectMode = keySchema.type === 'STRING' && !keySchema.isOptional
        const entries = mapEntries(schema, value)
        if (objectMode) {
          const out: { [key: string]: OutNode } = {}
          for (const [k, v] of entries) {
            const key = this.fromConnectData(keySchema, k)
            setOwn(out, typeof key === 'string' ? key : String(key), this.fromConnectData(valueSchema, v) ?? null)
          }
          return out
        }
        return entries.map(([k, v]) => ({
          [KEY_FIELD]: this.fromConnectData(keySchema, k) ?? null,
          [VALUE_FIELD]: this.fromConnectData(valueSchema, v) ?? null,
        }))
      }
      case 'STRUCT': {
        if (!(value instanceof Struct)) throw invalid(schema, value, 'a Struct')
        if (!sameSchema(value.schema, schema)) throw new DataException('Mismatching schema.')
        if (isUnionSchema(schema)) {
          for (const field of schema.fields()) {
            const v = this.options.ignoreDefaultForNullables ? value.getWithoutDefault(field) : value.get(field)
            if (v !== null && v !== undefined) return this.fromConnectData(field.schema, v)
          }
          return this.fromConnectData(schema, null)
        }
        const out: { [key: string]: OutNode } = {}
        for (const field of schema.fields()) {
          const v = this.options.ignoreDefaultForNullables ? value.getWithoutDefault(field) : value.get(field)
          const node = this.fromConnectData(field.schema, v)
          if (node !== undefined) setOwn(out, field.name, node)
        }
        return out
      }
    }
  }

  // ---------------------------------------------------------------- JSON Schema → Connect schema

  /** The Connect schema of a JSON Schema document; `version` is the registry's version when known. */
  toConnectSchema(jsonSchema: JsonNode, version: number | null = null): Schema {
    const context = new ToConnectContext(jsonSchema)
    return this.#toConnect(context, jsonSchema, version, false)
  }

  #toConnect(ctx: ToConnectContext, node: JsonNode, version: number | null, forceOptional: boolean): Schema {
    if (node === true || (isObject(node) && Object.keys(node).every((k) => !SCHEMA_KEYWORDS.has(k))))
      throw new DataException(
        `The JSON Schema ${describe(node)} accepts any value: Ferry has no Connect type for it (Confluent maps it to its Variant type)`,
      )
    if (!isObject(node)) throw new DataException(`Not a JSON Schema: ${describe(node)}`)
    if (typeof node.$ref === 'string') {
      return ctx.following(node.$ref, (target) => this.#toConnect(ctx, target, version, forceOptional))
    }
    let builder: SchemaBuilder
    const connectType = typeof node[CONNECT_TYPE_PROP] === 'string' ? (node[CONNECT_TYPE_PROP] as string) : null
    const type = node.type
    if (Array.isArray(node.enum) || Object.hasOwn(node, 'const')) {
      builder = toConnectEnum(Array.isArray(node.enum) ? node.enum : [node.const as JsonNode])
    } else if (Array.isArray(node.oneOf) || Array.isArray(node.anyOf)) {
      const subs = (Array.isArray(node.oneOf) ? node.oneOf : node.anyOf) as JsonNode[]
      return this.#union(ctx, node, subs, version, forceOptional)
    } else if (Array.isArray(node.allOf)) {
      return this.#allOf(ctx, node, node.allOf, version, forceOptional)
    } else if (Array.isArray(type)) {
      const subs = type.map((t) => ({ ...node, type: t }) as JsonNode)
      return this.#union(ctx, node, subs, version, forceOptional)
    } else if (type === 'boolean') {
      builder = SchemaBuilder.bool()
    } else if (type === 'integer' || type === 'number') {
      builder = numberBuilder(connectType, type === 'integer')
    } else if (type === 'string') {
      builder = connectType === 'bytes' ? SchemaBuilder.bytes() : SchemaBuilder.string()
    } else if (type === 'null') {
      throw new DataException('A JSON Schema of type null alone has no Connect type')
    } else if (type === 'array' || (type === undefined && Object.hasOwn(node, 'items'))) {
      builder = this.#array(ctx, node, connectType)
    } else if (type === 'object' || (type === undefined && isObjectKeywords(node))) {
      builder = this.#object(ctx, node, connectType)
    } else {
      throw new DataException(`Unsupported JSON Schema type ${describe(type ?? null)}`)
    }
    return this.#finish(builder, node, version, forceOptional)
  }

  /** Title, version, doc, parameters, default and optionality, as Confluent reads them. */
  #finish(builder: SchemaBuilder, node: JsonObject, version: number | null, forceOptional: boolean): Schema {
    if (typeof node.title === 'string' && builder.name() === null) builder.name(node.title)
    const connectVersion = node[CONNECT_VERSION_PROP]
    if (typeof connectVersion === 'number') builder.version(connectVersion)
    else if (version !== null) builder.version(version)
    if (typeof node.description === 'string') builder.doc(node.description)
    const params = node[CONNECT_PARAMETERS_PROP]
    if (isObject(params)) {
      const strings: Record<string, string> = {}
      for (const [k, v] of Object.entries(params)) strings[k] = typeof v === 'string' ? v : String(v)
      builder.parameters(strings)
    }
    if (Object.hasOwn(node, 'default')) {
      const defaultValue = this.toConnectData(builder.build(), node.default ?? null)
      if (defaultValue !== null) builder.defaultValue(defaultValue)
    }
    if (forceOptional) builder.optional()
    return builder.build()
  }

  #union(
    ctx: ToConnectContext,
    node: JsonObject,
    subs: JsonNode[],
    version: number | null,
    forceOptional: boolean,
  ): Schema {
    const first = subs[0]
    if (subs.length === 1 && first !== undefined && this.options.flattenSingletonUnions)
      return this.#toConnect(ctx, first, null, false)
    if (subs.length === 2) {
      const nonNull = subs.filter((s) => !isNullSchema(s))
      const only = nonNull[0]
      if (nonNull.length === 1 && only !== undefined) return this.#toConnect(ctx, only, version, true)
    }
    const builder = SchemaBuilder.struct().name(JSON_TYPE_ONE_OF)
    let index = 0
    for (const sub of subs) {
      if (isNullSchema(sub)) builder.optional()
      else builder.field(`${JSON_TYPE_ONE_OF}.field.${index++}`, this.#toConnect(ctx, sub, null, true))
    }
    if (typeof node.description === 'string') builder.doc(node.description)
    if (forceOptional) builder.optional()
    return builder.build()
  }

  /** `allOf`: the properties of its object sub-schemas merged into one struct, else the one typed sub-schema. */
  #allOf(
    ctx: ToConnectContext,
    node: JsonObject,
    subs: JsonNode[],
    version: number | null,
    forceOptional: boolean,
  ): Schema {
    const properties = new Map<string, { schema: JsonNode; required: boolean }>()
    const collect = (sub: JsonNode, seen: Set<JsonNode>): void => {
      if (!isObject(sub) || seen.has(sub)) return
      seen.add(sub)
      if (typeof sub.$ref === 'string') ctx.following(sub.$ref, (target) => collect(target, seen))
      else if (Array.isArray(sub.allOf)) for (const s of sub.allOf) collect(s, seen)
      else if (isObject(sub.properties)) {
        const required = Array.isArray(sub.required) ? sub.required : []
        for (const [name, schema] of Object.entries(sub.properties))
          properties.set(name, { schema, required: required.includes(name) })
      }
    }
    for (const sub of subs) collect(sub, new Set())
    if (properties.size > 0) {
      const builder = SchemaBuilder.struct()
      for (const [name, p] of properties)
        builder.field(name, this.#toConnect(ctx, p.schema, null, this.options.useOptionalForNonRequired && !p.required))
      if (forceOptional) builder.optional()
      return builder.build()
    }
    const typed = subs.find((s) => isObject(s) && (Array.isArray(s.oneOf) || Array.isArray(s.anyOf)))
    const chosen =
      typed ??
      subs.find((s) => isObject(s) && (Array.isArray(s.enum) || Object.hasOwn(s, 'const'))) ??
      subs.find((s) => isObject(s) && (s.type === 'integer' || s.type === 'number')) ??
      subs.find((s) => isObject(s) && (s.type === 'string' || typeof s.$ref === 'string'))
    if (chosen === undefined)
      throw new DataException(`Unsupported allOf in JSON Schema ${describe(node)}: no object, enum or typed part`)
    return this.#toConnect(ctx, chosen, version, forceOptional)
  }

  #array(ctx: ToConnectContext, node: JsonObject, connectType: string | null): SchemaBuilder {
    const items = node.items
    if (items === undefined || Array.isArray(items))
      throw new DataException('Array schema did not specify the items type')
    if (connectType === 'map' && isObject(items) && isObject(items.properties)) {
      const props = items.properties
      return SchemaBuilder.map(
        this.#toConnect(ctx, props[KEY_FIELD] ?? null, null, false),
        this.#toConnect(ctx, props[VALUE_FIELD] ?? null, null, false),
      )
    }
    return SchemaBuilder.array(this.#toConnect(ctx, items, null, false))
  }

  #object(ctx: ToConnectContext, node: JsonObject, connectType: string | null): SchemaBuilder {
    if (connectType === 'map') {
      const values = node.additionalProperties
      if (!isObject(values) && values !== true)
        throw new DataException('A JSON Schema map (connect.type map) needs an additionalProperties schema')
      return SchemaBuilder.map(SchemaBuilder.string().build(), this.#toConnect(ctx, values, null, false))
    }
    const builder = SchemaBuilder.struct()
    const properties = isObject(node.properties) ? node.properties : {}
    const required = Array.isArray(node.required) ? node.required : []
    const sorted: { name: string; schema: JsonNode; index: number }[] = []
    for (const [name, schema] of Object.entries(properties)) {
      const index =
        isObject(schema) && typeof schema[CONNECT_INDEX_PROP] === 'number' ? schema[CONNECT_INDEX_PROP] : null
      sorted.push({ name, schema, index: (index as number | null) ?? Number.MAX_SAFE_INTEGER })
    }
    sorted.sort((a, b) => a.index - b.index)
    for (const p of sorted) {
      const optional = this.options.useOptionalForNonRequired && !required.includes(p.name)
      builder.field(p.name, this.#toConnect(ctx, p.schema, null, optional))
    }
    return builder
  }

  // ---------------------------------------------------------------- JSON tree → Connect value

  /** The Connect value of `node` (undefined: the property was absent) under `schema`. */
  toConnectData(schema: Schema | null, node: JsonNode | undefined): unknown {
    if (schema === null) return schemaless(node)
    if (node === undefined || node === null) {
      if (schema.defaultValue !== null && schema.defaultValue !== undefined) return schema.defaultValue
      if (node === undefined || schema.isOptional) return null
      throw new DataException(`Invalid null value for required ${schema.type} field`)
    }
    switch (schema.name) {
      case Decimal.LOGICAL_NAME:
        if (node instanceof JsonFloat) return BigDecimal.fromString(node.text)
        if (typeof node === 'number' || typeof node === 'bigint') return BigDecimal.fromString(String(node))
        if (typeof node === 'string') {
          try {
            return Decimal.toLogical(schema, decodeBase64Jackson(node))
          } catch (e) {
            throw new DataException('Invalid bytes for Decimal field', e)
          }
        }
        throw new DataException(
          `Invalid type for Decimal, underlying representation should be numeric or bytes but was ${nodeType(node)}`,
        )
      case ConnectDate.LOGICAL_NAME:
        return ConnectDate.toLogical(schema, intNode(node, 'Date'))
      case Time.LOGICAL_NAME:
        return Time.toLogical(schema, intNode(node, 'Time'))
      case Timestamp.LOGICAL_NAME:
        if (typeof node !== 'number' && typeof node !== 'bigint')
          throw new DataException(
            `Invalid type for Timestamp, underlying representation should be integral but was ${nodeType(node)}`,
          )
        return Timestamp.toLogical(schema, node)
    }
    switch (schema.type) {
      case 'BOOLEAN':
        return node === true
      case 'INT8':
        return (Number(integral(node)) << 24) >> 24
      case 'INT16':
        return (Number(integral(node)) << 16) >> 16
      case 'INT32':
        return Number(BigInt.asIntN(32, integral(node)))
      case 'INT64': {
        const v = BigInt.asIntN(64, integral(node))
        return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
      }
      case 'FLOAT32':
        return Math.fround(numeric(node))
      case 'FLOAT64':
        return numeric(node)
      case 'STRING':
        return typeof node === 'string' ? node : null
      case 'BYTES':
        if (typeof node === 'string') return decodeBase64Jackson(node)
        if (node instanceof JsonFloat) return BigDecimal.fromString(node.text)
        throw new DataException(`Invalid bytes field: ${nodeType(node)}`)
      case 'ARRAY': {
        if (!Array.isArray(node))
          throw new DataException(`Arrays should be encoded as JSON arrays, but found ${nodeType(node)}`)
        const valueSchema = schema.valueSchema()
        return node.map((v) => this.toConnectData(valueSchema, v))
      }
      case 'MAP': {
        const keySchema = schemaOf(schema.keySchema(), 'map keys')
        const valueSchema = schema.valueSchema()
        const result = new Map<unknown, unknown>()
        if (keySchema.type === 'STRING' && !keySchema.isOptional) {
          if (!isObject(node))
            throw new DataException(
              `Maps with string fields should be encoded as JSON objects, but found ${nodeType(node)}`,
            )
          for (const [k, v] of Object.entries(node)) result.set(k, this.toConnectData(valueSchema, v))
          return result
        }
        if (!Array.isArray(node))
          throw new DataException(
            `Maps with non-string fields should be encoded as JSON array of objects, but found ${nodeType(node)}`,
          )
        for (const entry of node) {
          if (!isObject(entry)) throw new DataException(`Found invalid map entry instead of object: ${nodeType(entry)}`)
          const size = Object.keys(entry).length
          if (size !== 2) throw new DataException(`Found invalid map entry, expected length 2 but found :${size}`)
          result.set(
            this.toConnectData(keySchema, entry[KEY_FIELD]),
            this.toConnectData(valueSchema, entry[VALUE_FIELD]),
          )
        }
        return result
      }
      case 'STRUCT':
        if (isUnionSchema(schema)) return this.#toUnion(schema, node)
        if (!isObject(node))
          throw new DataException(`Structs should be encoded as JSON objects, but found ${nodeType(node)}`)
        {
          const struct = new Struct(schema)
          for (const field of schema.fields()) {
            const v = this.toConnectData(field.schema, Object.hasOwn(node, field.name) ? node[field.name] : undefined)
            if (v !== null && v !== undefined) struct.put(field, v)
          }
          return struct
        }
    }
  }

  /** A union struct: the first field whose type the value has, else the struct field sharing most properties. */
  #toUnion(schema: Schema, node: JsonNode): Struct {
    let best = 0
    let match: Field | null = null
    for (const field of schema.fields()) {
      if (isInstanceOfSimple(field.schema, node))
        return new Struct(schema).put(field.name, this.toConnectData(field.schema, node))
      const matching = matchStructSchema(field.schema, node)
      if (matching > best) {
        best = matching
        match = field
      }
    }
    if (match !== null) return new Struct(schema).put(match.name, this.toConnectData(match.schema, node))
    throw new DataException('Did not find matching oneof field for data')
  }
}

// -------------------------------------------------------------------- JSON text

/** `node` as compact JSON text (strings escaped as Jackson does, decimals as `BigDecimal.toString()`). */
export function writeJson(node: OutNode): string {
  if (node === null) return 'null'
  switch (typeof node) {
    case 'boolean':
      return node ? 'true' : 'false'
    case 'number':
      return Number.isInteger(node) ? String(node) : doubleText(node)
    case 'bigint':
      return node.toString()
    case 'string':
      return quote(node)
  }
  if (node instanceof JsonFloat) return node.text
  if (node instanceof BigDecimal) return node.toString()
  if (Array.isArray(node)) return `[${node.map(writeJson).join(',')}]`
  let out = '{'
  let first = true
  for (const [k, v] of Object.entries(node)) {
    out += `${first ? '' : ','}${quote(k)}:${writeJson(v)}`
    first = false
  }
  return `${out}}`
}

/** `node` with plain JS numbers (what a validator reads): bigints and decimal literals become doubles. */
export function toPlainJson(node: OutNode): unknown {
  if (node === null || typeof node !== 'object') return typeof node === 'bigint' ? Number(node) : node
  if (node instanceof JsonFloat) return node.toNumber()
  if (node instanceof BigDecimal) return node.toNumber()
  if (Array.isArray(node)) return node.map(toPlainJson)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(node)) setOwn(out, k, toPlainJson(v))
  return out
}

// -------------------------------------------------------------------- helpers

const SCHEMA_KEYWORDS = new Set([
  'type',
  'enum',
  'const',
  'oneOf',
  'anyOf',
  'allOf',
  '$ref',
  'properties',
  'additionalProperties',
  'items',
  'required',
  'patternProperties',
])

/** Follows local `$ref`s within one document, refusing a reference cycle. */
class ToConnectContext {
  readonly #root: JsonNode
  readonly #following = new Set<string>()

  constructor(root: JsonNode) {
    this.#root = root
  }

  following<T>(ref: string, then: (target: JsonNode) => T): T {
    if (this.#following.has(ref))
      throw new DataException(`The JSON Schema refers to itself through ${ref}: Ferry does not map recursive schemas`)
    if (!ref.startsWith('#'))
      throw new DataException(`The JSON Schema reference ${ref} is not local: Ferry resolves #/... references only`)
    let target: JsonNode | undefined = this.#root
    for (const raw of ref.slice(1).split('/').slice(1)) {
      const part = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~')
      target = isObject(target) ? target[part] : Array.isArray(target) ? target[Number(part)] : undefined
    }
    if (target === undefined) throw new DataException(`The JSON Schema reference ${ref} points at nothing`)
    this.#following.add(ref)
    try {
      return then(target)
    } finally {
      this.#following.delete(ref)
    }
  }
}

function isObject(node: unknown): node is JsonObject {
  return typeof node === 'object' && node !== null && !Array.isArray(node) && !(node instanceof JsonFloat)
}

function isObjectKeywords(node: JsonObject): boolean {
  return Object.hasOwn(node, 'properties') || Object.hasOwn(node, 'additionalProperties')
}

function isNullSchema(node: JsonNode): boolean {
  return isObject(node) && node.type === 'null'
}

function isUnionSchema(schema: Schema): boolean {
  return schema.name === JSON_TYPE_ONE_OF
}

function numberBuilder(connectType: string | null, integer: boolean): SchemaBuilder {
  switch (connectType) {
    case null:
      return integer ? SchemaBuilder.int64() : SchemaBuilder.float64()
    case 'int8':
      return SchemaBuilder.int8()
    case 'int16':
      return SchemaBuilder.int16()
    case 'int32':
      return SchemaBuilder.int32()
    case 'int64':
      return SchemaBuilder.int64()
    case 'float32':
      return SchemaBuilder.float32()
    case 'float64':
      return SchemaBuilder.float64()
    case 'bytes':
      return SchemaBuilder.bytes()
    default:
      throw new DataException(`Unsupported connect.type ${connectType} on a JSON Schema number`)
  }
}

function toConnectEnum(values: JsonNode[]): SchemaBuilder {
  const builder = SchemaBuilder.string().parameter(JSON_TYPE_ENUM, '')
  for (const v of values) {
    const symbol = v === null ? NULL_MARKER : typeof v === 'string' ? v : writeJson(v)
    builder.parameter(`${JSON_TYPE_ENUM}.${symbol}`, symbol)
  }
  return builder
}

function isInstanceOfSimple(schema: Schema, node: JsonNode): boolean {
  switch (schema.type) {
    case 'INT8':
    case 'INT16':
    case 'INT32':
    case 'INT64':
      return typeof node === 'number' || typeof node === 'bigint'
    case 'FLOAT32':
    case 'FLOAT64':
      return typeof node === 'number' || typeof node === 'bigint' || node instanceof JsonFloat
    case 'BOOLEAN':
      return typeof node === 'boolean'
    case 'STRING':
      return typeof node === 'string'
    case 'BYTES':
      return node instanceof JsonFloat
    case 'ARRAY':
      return Array.isArray(node)
    case 'MAP':
      return isObject(node) || Array.isArray(node)
    case 'STRUCT':
      return false
  }
}

function matchStructSchema(schema: Schema, node: JsonNode): number {
  if (schema.type !== 'STRUCT' || !isObject(node)) return 0
  let count = 0
  for (const field of schema.fields()) {
    if (!Object.hasOwn(node, field.name)) continue
    count += 1 + matchStructSchema(field.schema, node[field.name] ?? null)
  }
  return count
}

/** A schemaless JSON value as Connect data: objects as maps, integers as INT64, fractions as FLOAT64. */
function schemaless(node: JsonNode | undefined): unknown {
  if (node === undefined || node === null) return null
  if (node instanceof JsonFloat) return node.toNumber()
  if (Array.isArray(node)) return node.map(schemaless)
  if (isObject(node)) return new Map(Object.entries(node).map(([k, v]) => [k, schemaless(v)]))
  return node
}

function integral(node: JsonNode): bigint {
  if (typeof node === 'number') return BigInt(Math.trunc(node))
  if (typeof node === 'bigint') return node
  if (node instanceof JsonFloat) {
    const n = node.toNumber()
    return Number.isFinite(n) ? BigInt(Math.trunc(n)) : 0n
  }
  return 0n
}

function numeric(node: JsonNode): number {
  if (typeof node === 'number') return node
  if (typeof node === 'bigint') return Number(node)
  if (node instanceof JsonFloat) return node.toNumber()
  return 0
}

function intNode(node: JsonNode, what: string): number {
  if (typeof node !== 'number' || !Number.isInteger(node) || node < -2147483648 || node > 2147483647)
    throw new DataException(
      `Invalid type for ${what}, underlying representation should be integer but was ${nodeType(node)}`,
    )
  return node
}

function nodeType(node: JsonNode): string {
  if (node === null) return 'NULL'
  if (Array.isArray(node)) return 'ARRAY'
  if (node instanceof JsonFloat || typeof node === 'number' || typeof node === 'bigint') return 'NUMBER'
  if (typeof node === 'string') return 'STRING'
  if (typeof node === 'boolean') return 'BOOLEAN'
  return 'OBJECT'
}

function describe(node: JsonNode): string {
  const text = writeJson(node)
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}

function schemaOf(schema: Schema | null, what: string): Schema {
  if (schema === null) throw new DataException(`The schema of ${what} is missing`)
  return schema
}

function sameSchema(a: Schema, b: Schema): boolean {
  return a === b || schemaEquals(a, b)
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true })
  else target[key] = value
}
