/**
 * Confluent's `AvroData`: Connect schemas and values ⇄ Avro schemas and values, the mapping Confluent's AvroConverter
 * uses, so that either side reads what the other writes.
 *
 * Schemas: INT8 and INT16 are Avro ints with `connect.type` `int8` / `int16`; an optional schema is a union with
 * null (null first, or second when the schema has a default); Decimal is bytes with logicalType decimal, its
 * precision from the `connect.decimal.precision` parameter (64 when absent); Date, Time and Timestamp are int/long
 * with logicalType date, time-millis and timestamp-millis; a map whose keys are not required strings is an array of
 * `io.confluent.connect.avro.MapEntry` records (`key`, `value`); a struct without a name is the record
 * `io.confluent.connect.avro.ConnectDefault` (`ConnectDefault2`, ... for the next ones); a struct named
 * `io.confluent.connect.avro.Union` is an Avro union. With `connect.meta.data` (the default) a schema's doc, version,
 * parameters, default and name go into `connect.doc`, `connect.version`, `connect.parameters`, `connect.default` and
 * `connect.name`, and come back from them. With `enhanced.avro.schema.support`, a string with the
 * `io.confluent.connect.avro.Enum` parameters is an Avro enum (without, an Avro enum reads as a string with those
 * parameters either way), and union members are named by their full names.
 *
 * Values, as avsc reads and writes them with wrapped unions (`{ branch: value }`): structs are plain objects, maps
 * objects or arrays of `{ key, value }`, bytes Buffers, longs bigints (written from numbers or bigints).
 */
import {
  BigDecimal,
  ConnectDate,
  DataException,
  Decimal,
  Schema,
  SchemaBuilder,
  Struct,
  schemaEquals,
  Time,
  Timestamp,
  type Schema as TSchema,
} from '@ferry/api'
import { mapEntries } from '../schema-registry/connect-values.ts'
import { type AvroField, type AvroNode, fullName, isNamed, type NamedNode, primitive, prop } from './avro-schema.ts'

export const NAMESPACE = 'io.confluent.connect.avro'
export const DEFAULT_SCHEMA_NAME = 'ConnectDefault'
export const DEFAULT_SCHEMA_FULL_NAME = `${NAMESPACE}.${DEFAULT_SCHEMA_NAME}`
export const MAP_ENTRY_TYPE_NAME = 'MapEntry'
export const CONNECT_NAME_PROP = 'connect.name'
export const CONNECT_DOC_PROP = 'connect.doc'
export const CONNECT_VERSION_PROP = 'connect.version'
export const CONNECT_DEFAULT_VALUE_PROP = 'connect.default'
export const CONNECT_PARAMETERS_PROP = 'connect.parameters'
export const CONNECT_INTERNAL_TYPE_NAME = 'connect.internal.type'
export const CONNECT_TYPE_PROP = 'connect.type'
export const AVRO_RECORD_DOC_PROP = `${NAMESPACE}.record.doc`
export const AVRO_ENUM_DOC_PREFIX_PROP = `${NAMESPACE}.enum.doc.`
export const AVRO_FIELD_DOC_PREFIX_PROP = `${NAMESPACE}.field.doc.`
export const AVRO_FIELD_DEFAULT_FLAG_PROP = `${NAMESPACE}.field.default`
export const AVRO_ENUM_DEFAULT_PREFIX_PROP = `${NAMESPACE}.enum.default.`
export const AVRO_TYPE_UNION = `${NAMESPACE}.Union`
export const AVRO_TYPE_ENUM = `${NAMESPACE}.Enum`
export const CONNECT_AVRO_FIXED_SIZE_PROP = 'connect.fixed.size'
export const CONNECT_AVRO_DECIMAL_PRECISION_PROP = 'connect.decimal.precision'
const CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT = 64
const LOGICAL_TYPE_PROP = 'logicalType'

/** The `AvroDataConfig` keys Ferry implements. */
export interface AvroDataConfig {
  connectMetaData: boolean
  enhancedSchemaSupport: boolean
  scrubInvalidNames: boolean
  allowOptionalMapKeys: boolean
  flattenSingletonUnions: boolean
  ignoreDefaultForNullables: boolean
}

export const DEFAULT_AVRO_DATA_CONFIG: AvroDataConfig = Object.freeze({
  connectMetaData: true,
  enhancedSchemaSupport: false,
  scrubInvalidNames: false,
  allowOptionalMapKeys: false,
  flattenSingletonUnions: true,
  ignoreDefaultForNullables: false,
})

interface FromConnectContext {
  /** Required schemas already converted (Java's schemaMap): equal schemas become the same Avro node. */
  seen: Array<[TSchema, AvroNode]>
  nameIndex: number
  seenNamedTypes: Set<string>
}

/** Confluent's `AvroData` with one configuration; see the module comment. */
export class AvroData {
  readonly config: AvroDataConfig

  constructor(config: AvroDataConfig = DEFAULT_AVRO_DATA_CONFIG) {
    this.config = config
  }

  // --- Connect schema → Avro schema -------------------------------------------------------------------------------

  fromConnectSchema(schema: TSchema): AvroNode {
    return this.#fromConnect(schema, { seen: [], nameIndex: 0, seenNamedTypes: new Set() }, false)
  }

  #fromConnect(schema: TSchema, ctx: FromConnectContext, ignoreOptional: boolean): AvroNode {
    const union = isUnionSchema(schema)
    if (!union && !schema.isOptional) {
      for (const [s, node] of ctx.seen) if (s === schema || schemaEquals(s, schema)) return node
    }
    const params = schema.parameters
    let connectType: string | null = null
    let base: AvroNode
    switch (schema.type) {
      case 'INT8':
        connectType = 'int8'
        base = primitive('int')
        break
      case 'INT16':
        connectType = 'int16'
        base = primitive('int')
        break
      case 'INT32':
        base = primitive('int')
        break
      case 'INT64':
        base = primitive('long')
        break
      case 'FLOAT32':
        base = primitive('float')
        break
      case 'FLOAT64':
        base = primitive('double')
        break
      case 'BOOLEAN':
        base = primitive('boolean')
        break
      case 'STRING':
        if (this.config.enhancedSchemaSupport && params !== null && Object.hasOwn(params, AVRO_TYPE_ENUM)) {
          const symbols: string[] = []
          for (const key of Object.keys(params))
            if (key.startsWith(`${AVRO_TYPE_ENUM}.`)) symbols.push(key.slice(AVRO_TYPE_ENUM.length + 1))
          const simple = this.#nameOrDefault(ctx, schema.name).name
          const enumName = this.#split(params[AVRO_TYPE_ENUM]!)
          base = {
            kind: 'enum',
            name: enumName.name,
            namespace: enumName.namespace,
            doc: params[AVRO_ENUM_DOC_PREFIX_PROP + simple] ?? null,
            symbols,
            default: params[AVRO_ENUM_DEFAULT_PREFIX_PROP + simple] ?? null,
            props: new Map(),
          }
        } else base = primitive('string')
        break
      case 'BYTES':
        if (isFixedSchema(schema)) {
          const names = this.#nameOrDefault(ctx, schema.name)
          base = {
            kind: 'fixed',
            ...names,
            doc: null,
            size: Number(params![CONNECT_AVRO_FIXED_SIZE_PROP]),
            props: new Map(),
          }
        } else base = primitive('bytes')
        if (isDecimal(schema)) {
          base.props.set('scale', Number(params?.[Decimal.SCALE_FIELD]))
          const precision = params?.[CONNECT_AVRO_DECIMAL_PRECISION_PROP]
          base.props.set(
            'precision',
            precision !== undefined ? Number(precision) : CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT,
          )
        }
        break
      case 'ARRAY':
        base = { kind: 'array', items: this.#fromConnect(schema.valueSchema()!, ctx, false), props: new Map() }
        break
      case 'MAP': {
        const keySchema = schema.keySchema()!
        if (keySchema.type === 'STRING' && (!keySchema.isOptional || this.config.allowOptionalMapKeys)) {
          base = { kind: 'map', values: this.#fromConnect(schema.valueSchema()!, ctx, false), props: new Map() }
        } else {
          let entry: NamedNode
          if (schema.name === null) {
            entry = {
              kind: 'record',
              name: MAP_ENTRY_TYPE_NAME,
              namespace: NAMESPACE,
              doc: null,
              fields: [],
              props: new Map(),
            }
          } else {
            const names = this.#nameOrDefault(ctx, schema.name)
            entry = { kind: 'record', ...names, doc: null, fields: [], props: new Map() }
            entry.props.set(CONNECT_INTERNAL_TYPE_NAME, MAP_ENTRY_TYPE_NAME)
          }
          entry.fields.push(this.#field('key', keySchema, null, ctx))
          entry.fields.push(this.#field('value', schema.valueSchema()!, null, ctx))
          base = { kind: 'array', items: entry, props: new Map() }
        }
        break
      }
      case 'STRUCT':
        if (union) {
          const types: AvroNode[] = []
          if (schema.isOptional) types.push(primitive('null'))
          for (const f of schema.fields()) types.push(this.#fromConnect(nonOptional(f.schema), ctx, true))
          base = { kind: 'union', types, props: new Map() }
        } else if (schema.isOptional) {
          base = {
            kind: 'union',
            types: [primitive('null'), this.#fromConnect(nonOptional(schema), ctx, false)],
            props: new Map(),
          }
        } else {
          const names = this.#nameOrDefault(ctx, schema.name)
          const record: NamedNode = {
            kind: 'record',
            ...names,
            doc: params?.[AVRO_RECORD_DOC_PROP] ?? null,
            fields: [],
            props: new Map(),
          }
          // Registered before the fields, so a field of the same (equal) struct refers to it.
          ctx.seen.push([schema, record])
          for (const f of schema.fields()) {
            const doc = params?.[AVRO_FIELD_DOC_PREFIX_PROP + f.name] ?? null
            record.fields.push(this.#field(this.#scrub(f.name), f.schema, doc, ctx))
          }
          base = record
        }
        break
      default:
        throw new DataException(`Unknown schema type: ${schema.type}`)
    }

    let result = base
    if (base.kind !== 'union') {
      const props = base.props
      if (this.config.connectMetaData) {
        if (schema.doc !== null) props.set(CONNECT_DOC_PROP, schema.doc)
        if (schema.version !== null) props.set(CONNECT_VERSION_PROP, schema.version)
        if (params !== null) {
          const p: Record<string, string> = {}
          let any = false
          for (const [k, v] of Object.entries(params)) {
            if (k !== AVRO_FIELD_DEFAULT_FLAG_PROP) {
              p[k] = v
              any = true
            }
          }
          if (any) props.set(CONNECT_PARAMETERS_PROP, p)
        }
        if (schema.defaultValue !== null && (params === null || !Object.hasOwn(params, AVRO_FIELD_DEFAULT_FLAG_PROP)))
          props.set(CONNECT_DEFAULT_VALUE_PROP, this.#defaultFromConnect(schema, schema.defaultValue))
        if (schema.name !== null) props.set(CONNECT_NAME_PROP, schema.name)
        if (connectType !== null) props.set(CONNECT_TYPE_PROP, connectType)
      }
      if (schema.name !== null) {
        if (isDecimal(schema)) {
          const precisionText = params?.[CONNECT_AVRO_DECIMAL_PRECISION_PROP]
          const precision = precisionText === undefined ? CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT : Number(precisionText)
          const scaleText = params?.[Decimal.SCALE_FIELD]
          const scale = scaleText === undefined ? 0 : Number(scaleText)
          // Java's Avro refuses a decimal logical type whose scale is negative or above the precision: then only the
          // legacy property is set (below), and only when the precision parameter is there.
          const legacyOnly = scale < 0 || scale > precision
          if (!legacyOnly || precisionText !== undefined) props.set(LOGICAL_TYPE_PROP, 'decimal')
          if (!legacyOnly) {
            props.set('precision', precision)
            props.set('scale', scale)
          }
        } else if (schema.name === Time.LOGICAL_NAME) props.set(LOGICAL_TYPE_PROP, 'time-millis')
        else if (schema.name === Timestamp.LOGICAL_NAME) props.set(LOGICAL_TYPE_PROP, 'timestamp-millis')
        else if (schema.name === ConnectDate.LOGICAL_NAME) props.set(LOGICAL_TYPE_PROP, 'date')
      }
      if (params !== null) for (const [k, v] of Object.entries(params)) if (k.startsWith('avro')) props.set(k, v)
      if (!ignoreOptional && schema.isOptional) {
        result =
          schema.defaultValue !== null
            ? { kind: 'union', types: [base, primitive('null')], props: new Map() }
            : { kind: 'union', types: [primitive('null'), base], props: new Map() }
      }
    }
    if (!schema.isOptional && !ctx.seen.some(([s]) => s === schema)) ctx.seen.push([schema, result])
    return result
  }

  #field(name: string, schema: TSchema, doc: string | null, ctx: FromConnectContext): AvroField {
    let defaultValue: unknown
    if (schema.defaultValue !== null) defaultValue = this.#defaultFromConnect(schema, schema.defaultValue)
    else if (schema.isOptional) defaultValue = null
    const scrubbedName = schema.name === null ? null : this.#scrubFull(schema.name)
    const alreadySeen = scrubbedName !== null && ctx.seenNamedTypes.has(scrubbedName)
    if (scrubbedName !== null) ctx.seenNamedTypes.add(scrubbedName)
    const type = this.#fromConnect(schema, ctx, false)
    const field: AvroField = { name, type, doc, default: validDefault(type, defaultValue), props: new Map() }
    if (
      this.config.connectMetaData &&
      alreadySeen &&
      schema.parameters !== null &&
      Object.keys(schema.parameters).length > 0 &&
      (isNamed(type) || (type.kind === 'union' && type.types.some(isNamed)))
    ) {
      field.props.set(CONNECT_PARAMETERS_PROP, { ...schema.parameters })
    }
    return field
  }

  /** The JSON of a Connect default value (Confluent's `defaultValueFromConnect`). */
  #defaultFromConnect(schema: TSchema, value: unknown): unknown {
    if (value === null || value === undefined) return null
    const v = toAvroLogical(schema, value)
    switch (schema.type) {
      case 'INT8':
      case 'INT16':
      case 'INT32':
      case 'FLOAT32':
      case 'FLOAT64':
        return Number(v)
      case 'INT64':
        return typeof v === 'bigint' ? Number(v) : v
      case 'BOOLEAN':
      case 'STRING':
        return v
      case 'BYTES':
        return Buffer.from(v as Uint8Array).toString('latin1')
      case 'ARRAY':
        return (v as unknown[]).map((e) => this.#defaultFromConnect(schema.valueSchema()!, e))
      case 'MAP': {
        const keySchema = schema.keySchema()!
        const entries = mapEntries(schema, v)
        if (keySchema.type === 'STRING' && (!keySchema.isOptional || this.config.allowOptionalMapKeys)) {
          const out: Record<string, unknown> = {}
          for (const [k, e] of entries) out[String(k)] = this.#defaultFromConnect(schema.valueSchema()!, e)
          return out
        }
        return entries.map(([k, e]) => [
          this.#defaultFromConnect(keySchema, k),
          this.#defaultFromConnect(schema.valueSchema()!, e),
        ])
      }
      case 'STRUCT': {
        const struct = v as Struct
        const out: Record<string, unknown> = {}
        for (const f of schema.fields()) {
          const def = this.#defaultFromConnect(f.schema, struct.get(f))
          if (isUnionSchema(schema)) return def
          out[this.#scrub(f.name)] = def
        }
        return out
      }
    }
  }

  #nameOrDefault(ctx: FromConnectContext, name: string | null): { name: string; namespace: string | null } {
    if (name !== null) return this.#split(name)
    ctx.nameIndex++
    return { namespace: NAMESPACE, name: DEFAULT_SCHEMA_NAME + (ctx.nameIndex > 1 ? ctx.nameIndex : '') }
  }

  #split(fullName: string): { name: string; namespace: string | null } {
    if (fullName === '') return { name: fullName, namespace: null }
    const parts = fullName.split('.').map((p) => this.#scrub(p))
    if (parts.length <= 1) return { name: parts[0]!, namespace: null }
    return { name: parts[parts.length - 1]!, namespace: parts.slice(0, -1).join('.') }
  }

  #scrub(name: string): string {
    return this.config.scrubInvalidNames ? scrubName(name) : name
  }

  #scrubFull(name: string): string {
    if (!this.config.scrubInvalidNames) return name
    const split = this.#split(name)
    return split.namespace === null ? split.name : `${split.namespace}.${split.name}`
  }

  // --- Connect value → Avro value -----------------------------------------------------------------------------------

  /** The Avro value (for avsc, unions wrapped) of `value` of Connect `schema`, written with the Avro schema `node`. */
  fromConnectData(schema: TSchema, node: AvroNode, value: unknown): unknown {
    if (value === null || value === undefined) {
      if (!schema.isOptional) throw new DataException('Found null value for non-optional schema')
      return null
    }
    if (node.kind === 'union') {
      if (isUnionSchema(schema)) {
        const struct = value as Struct
        for (const f of schema.fields()) {
          const member = this.config.ignoreDefaultForNullables ? struct.getWithoutDefault(f) : struct.get(f)
          if (member !== null && member !== undefined) {
            const branch = this.#unionBranch(node, f.schema)
            return { [branchName(branch)]: this.fromConnectData(f.schema, branch, member) }
          }
        }
        return null
      }
      const branch = this.#unionBranch(node, schema)
      return { [branchName(branch)]: this.#fromConnectValue(schema, branch, value) }
    }
    return this.#fromConnectValue(schema, node, value)
  }

  #fromConnectValue(schema: TSchema, node: AvroNode, logical: unknown): unknown {
    const value = toAvroLogical(schema, logical)
    switch (schema.type) {
      case 'INT8':
      case 'INT16':
      case 'INT32':
      case 'INT64':
      case 'FLOAT32':
      case 'FLOAT64':
      case 'BOOLEAN':
      case 'STRING':
        return value
      case 'BYTES': {
        const bytes = value instanceof Uint8Array ? value : null
        if (bytes === null) throw new DataException(`Invalid type for BYTES: ${typeName(value)}`)
        let buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
        if (node.kind === 'fixed' && isDecimal(schema)) buffer = padToFixedSize(buffer, node.size)
        return buffer
      }
      case 'ARRAY': {
        if (!Array.isArray(value)) throw new DataException(`Invalid type for ARRAY: ${typeName(value)}`)
        const elementSchema = schema.valueSchema()!
        const items = (node as Extract<AvroNode, { kind: 'array' }>).items
        const out = new Array<unknown>(value.length)
        for (let i = 0; i < value.length; i++) out[i] = this.fromConnectData(elementSchema, items, value[i])
        return out
      }
      case 'MAP': {
        const keySchema = schema.keySchema()!
        const valueSchema = schema.valueSchema()!
        if (node.kind === 'map') {
          const out: Record<string, unknown> = {}
          for (const [k, v] of mapEntries(schema, value))
            out[k as string] = this.fromConnectData(valueSchema, node.values, v)
          return out
        }
        const entry = (node as Extract<AvroNode, { kind: 'array' }>).items as Extract<AvroNode, { kind: 'record' }>
        const keyNode = entry.fields[0]!.type
        const valueNode = entry.fields[1]!.type
        return mapEntries(schema, value).map(([k, v]) => ({
          key: this.fromConnectData(keySchema, keyNode, k),
          value: this.fromConnectData(valueSchema, valueNode, v),
        }))
      }
      case 'STRUCT': {
        if (!(value instanceof Struct)) throw new DataException(`Invalid type for STRUCT: ${typeName(value)}`)
        const record = node as Extract<AvroNode, { kind: 'record' }>
        const out: Record<string, unknown> = {}
        const fields = schema.fields()
        const avroFields = record.fields
        const byName = avroFields.length === fields.length
        for (let i = 0; i < fields.length; i++) {
          const f = fields[i]!
          const name = this.#scrub(f.name)
          const avroField =
            byName && avroFields[i]!.name === name ? avroFields[i]! : avroFields.find((a) => a.name === name)
          if (avroField === undefined)
            throw new DataException(`Field ${name} is not in Avro record ${fullName(record)}`)
          const fieldValue = this.config.ignoreDefaultForNullables ? value.getWithoutDefault(f) : value.get(f)
          out[name] = this.fromConnectData(f.schema, avroField.type, fieldValue)
        }
        return out
      }
    }
  }

  /** The member of union `node` that Connect `schema` (not null) is written as. */
  #unionBranch(node: Extract<AvroNode, { kind: 'union' }>, schema: TSchema): AvroNode {
    const want = this.#branchFor(schema)
    for (const t of node.types) {
      if (t.kind === 'null') continue
      if (want === null || branchName(t) === want || (isNamed(t) && t.name === want)) return t
    }
    // A writer chosen by use.latest.version may name its members differently: the first that is not null.
    const first = node.types.find((t) => t.kind !== 'null')
    if (first === undefined) throw new DataException('Union without a non-null member')
    return first
  }

  /** The avsc branch name Connect `schema` is expected under, or null when any non-null member does. */
  #branchFor(schema: TSchema): string | null {
    switch (schema.type) {
      case 'INT8':
      case 'INT16':
      case 'INT32':
        return 'int'
      case 'INT64':
        return 'long'
      case 'FLOAT32':
        return 'float'
      case 'FLOAT64':
        return 'double'
      case 'BOOLEAN':
        return 'boolean'
      case 'STRING':
        return this.config.enhancedSchemaSupport && schema.parameters?.[AVRO_TYPE_ENUM] !== undefined
          ? schema.parameters[AVRO_TYPE_ENUM]!
          : 'string'
      case 'BYTES':
        return isFixedSchema(schema) ? this.#scrubFull(schema.name!) : 'bytes'
      case 'ARRAY':
        return 'array'
      case 'MAP': {
        const k = schema.keySchema()!
        return k.type === 'STRING' && (!k.isOptional || this.config.allowOptionalMapKeys) ? 'map' : 'array'
      }
      case 'STRUCT':
        return schema.name === null ? null : this.#scrubFull(schema.name)
    }
  }

  // --- Avro schema → Connect schema ---------------------------------------------------------------------------------

  /** The Connect schema of Avro `node`; `version` (the registry's) is used when the schema has no `connect.version`. */
  toConnectSchema(node: AvroNode, version: number | null = null): TSchema {
    return this.#toConnect(node, false, undefined, version, new Map())
  }

  #toConnect(
    node: AvroNode,
    forceOptional: boolean,
    fieldDefault: unknown,
    version: number | null,
    cycles: Map<AvroNode, true>,
  ): TSchema {
    const type = prop(node, CONNECT_TYPE_PROP)
    const logicalType = prop(node, LOGICAL_TYPE_PROP)
    const meta = this.config.connectMetaData
    let builder: SchemaBuilder
    switch (node.kind) {
      case 'boolean':
        builder = SchemaBuilder.bool()
        break
      case 'bytes':
      case 'fixed':
        if (typeof logicalType === 'string' && logicalType.toLowerCase() === 'decimal') {
          const scale = prop(node, 'scale')
          builder = Decimal.builder(typeof scale === 'number' ? Math.trunc(scale) : 0)
          const precision = prop(node, 'precision')
          if (precision !== undefined && precision !== null) {
            if (typeof precision !== 'number')
              throw new DataException(
                'precision property must be a JSON Integer. https://avro.apache.org/docs/1.9.1/spec.html#Decimal',
              )
            if (precision !== CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT)
              builder.parameter(CONNECT_AVRO_DECIMAL_PRECISION_PROP, String(Math.trunc(precision)))
          }
        } else builder = SchemaBuilder.bytes()
        if (node.kind === 'fixed') builder.parameter(CONNECT_AVRO_FIXED_SIZE_PROP, String(node.size))
        break
      case 'double':
        builder = SchemaBuilder.float64()
        break
      case 'float':
        builder = SchemaBuilder.float32()
        break
      case 'int':
        if (type === undefined && logicalType === undefined) builder = SchemaBuilder.int32()
        else if (logicalType !== undefined) {
          const lt = String(logicalType).toLowerCase()
          builder =
            lt === 'date' ? ConnectDate.builder() : lt === 'time-millis' ? Time.builder() : SchemaBuilder.int32()
        } else if (type === 'int8') builder = SchemaBuilder.int8()
        else if (type === 'int16') builder = SchemaBuilder.int16()
        else throw new DataException('Connect type annotation for Avro int field is null')
        break
      case 'long':
        builder =
          typeof logicalType === 'string' && logicalType.toLowerCase() === 'timestamp-millis'
            ? Timestamp.builder()
            : SchemaBuilder.int64()
        break
      case 'string':
        builder = SchemaBuilder.string()
        break
      case 'array': {
        const items = node.items
        if (isMapEntry(items)) {
          const key = items.fields.find((f) => f.name === 'key')
          const value = items.fields.find((f) => f.name === 'value')
          if (items.fields.length !== 2 || key === undefined || value === undefined)
            throw new DataException(
              'Found map encoded as array of key-value pairs, but array elements do not match the expected format.',
            )
          builder = SchemaBuilder.map(
            this.#toConnect(key.type, false, undefined, null, cycles),
            this.#toConnect(value.type, false, undefined, null, cycles),
          )
        } else builder = SchemaBuilder.array(this.#toConnect(items, false, undefined, null, cycles))
        break
      }
      case 'map':
        builder = SchemaBuilder.map(Schema.STRING_SCHEMA, this.#toConnect(node.values, false, undefined, null, cycles))
        break
      case 'record': {
        if (cycles.has(node)) throw new DataException(`Recursive Avro schemas are not supported: ${fullName(node)}`)
        cycles.set(node, true)
        builder = SchemaBuilder.struct()
        if (meta && node.doc !== null) builder.parameter(AVRO_RECORD_DOC_PROP, node.doc)
        for (const f of node.fields) {
          if (meta && f.doc !== null) builder.parameter(AVRO_FIELD_DOC_PREFIX_PROP + f.name, f.doc)
          let fieldSchema = this.#toConnect(f.type, false, f.default, null, cycles)
          const fieldParams = f.props.get(CONNECT_PARAMETERS_PROP)
          if (meta && fieldParams !== null && typeof fieldParams === 'object')
            fieldSchema = applyFieldLevelParams(fieldSchema, fieldParams as Record<string, unknown>)
          builder.field(f.name, fieldSchema)
        }
        cycles.delete(node)
        break
      }
      case 'enum':
        builder = SchemaBuilder.string()
        if (meta) {
          if (node.doc !== null) builder.parameter(AVRO_ENUM_DOC_PREFIX_PROP + node.name, node.doc)
          if (node.default !== null) builder.parameter(AVRO_ENUM_DEFAULT_PREFIX_PROP + node.name, node.default)
        }
        builder.parameter(AVRO_TYPE_ENUM, fullName(node))
        for (const symbol of node.symbols) builder.parameter(`${AVRO_TYPE_ENUM}.${symbol}`, symbol)
        break
      case 'union': {
        const types = node.types
        if (types.length === 1 && this.config.flattenSingletonUnions)
          return this.#toConnect(types[0]!, false, undefined, null, cycles)
        if (types.length === 2) {
          const nullIndex = types.findIndex((t) => t.kind === 'null' && t.props.size === 0)
          if (nullIndex >= 0) return this.#toConnect(types[1 - nullIndex]!, true, undefined, null, cycles)
        }
        builder = SchemaBuilder.struct().name(AVRO_TYPE_UNION)
        const names = new Set<string>()
        for (const member of types) {
          if (member.kind === 'null') builder.optional()
          else {
            const name = this.unionMemberName(member)
            if (names.has(name)) throw new DataException('Multiple union schemas map to the Connect union field name')
            names.add(name)
            builder.field(name, this.#toConnect(member, true, undefined, null, cycles))
          }
        }
        break
      }
      case 'null':
        throw new DataException('Standalone null schemas are not supported by this converter')
    }

    const doc = prop(node, CONNECT_DOC_PROP)
    if (meta && typeof doc === 'string') builder.doc(doc)

    let versionInt = -1
    const versionNode = prop(node, CONNECT_VERSION_PROP)
    if (versionNode !== undefined && versionNode !== null) {
      if (typeof versionNode !== 'number')
        throw new DataException(`Invalid Connect version found: ${String(versionNode)}`)
      versionInt = Math.trunc(versionNode)
    } else if (version !== null) versionInt = version
    if (versionInt >= 0) {
      const existing = builder.version()
      if (existing !== null) {
        if (existing !== versionInt)
          throw new DataException(
            `Mismatched versions: version already added to SchemaBuilder (${existing}) differs from version in source schema (${versionInt})`,
          )
      } else builder.version(versionInt)
    }

    const parameters = prop(node, CONNECT_PARAMETERS_PROP)
    if (meta && parameters !== undefined && parameters !== null) {
      if (typeof parameters !== 'object' || Array.isArray(parameters))
        throw new DataException(`Expected JSON object for schema parameters but found: ${JSON.stringify(parameters)}`)
      for (const [k, v] of Object.entries(parameters)) {
        if (typeof v !== 'string')
          throw new DataException(`Expected schema parameter values to be strings but found: ${JSON.stringify(v)}`)
        builder.parameter(k, v)
      }
    }
    for (const [k, v] of node.props)
      if (k.startsWith('avro')) builder.parameter(k, typeof v === 'string' ? v : JSON.stringify(v))

    const connectDefault = prop(node, CONNECT_DEFAULT_VALUE_PROP)
    let defaultJson = fieldDefault
    if (defaultJson === undefined) defaultJson = connectDefault
    else if (meta && connectDefault === undefined) builder.parameter(AVRO_FIELD_DEFAULT_FLAG_PROP, 'true')

    const connectName = prop(node, CONNECT_NAME_PROP)
    let name: string | null = null
    if (connectName !== undefined && connectName !== null) {
      if (typeof connectName !== 'string')
        throw new DataException(`Invalid schema name: ${JSON.stringify(connectName)}`)
      name = connectName
    } else if (node.kind === 'record' || node.kind === 'enum') name = fullName(node)
    else if (node.kind === 'fixed' && builder.name() !== Decimal.LOGICAL_NAME) name = fullName(node)
    if (name !== null && !name.startsWith(DEFAULT_SCHEMA_FULL_NAME)) {
      const existing = builder.name()
      if (existing !== null) {
        if (existing !== name)
          throw new DataException(
            `Mismatched names: name already added to SchemaBuilder (${existing}) differs from name in source schema (${name})`,
          )
      } else builder.name(name)
    }
    if (forceOptional) builder.optional()

    if (defaultJson !== undefined && defaultJson !== null) {
      try {
        builder.defaultValue(this.#defaultFromAvro(builder.build(), node, defaultJson))
      } catch (e) {
        if (!(e instanceof DataException)) throw e
        // Confluent logs and ignores an invalid default.
      }
    }
    return builder.build()
  }

  /** The Connect field name of union member `member` at `index`. */
  unionMemberName(member: AvroNode): string {
    if (isNamed(member)) return this.config.enhancedSchemaSupport ? fullName(member) : member.name
    return member.kind
  }

  #defaultFromAvro(schema: TSchema, node: AvroNode, json: unknown): unknown {
    const v = this.#defaultFromAvroRaw(schema, node, json)
    return toConnectLogical(schema, v)
  }

  #defaultFromAvroRaw(schema: TSchema, node: AvroNode, json: unknown): unknown {
    if (json === null || json === undefined) return null
    switch (node.kind) {
      case 'int':
      case 'long':
      case 'float':
      case 'double':
        if (typeof json !== 'number')
          throw new DataException(`Invalid default for ${node.kind}: ${JSON.stringify(json)}`)
        return schema.type === 'FLOAT32' ? Math.fround(json) : json
      case 'boolean':
        return Boolean(json)
      case 'null':
        return null
      case 'string':
      case 'enum':
        return String(json)
      case 'bytes':
      case 'fixed':
        return Buffer.from(String(json), 'latin1')
      case 'array':
        if (!Array.isArray(json)) throw new DataException('Invalid JSON for array default value')
        if (schema.type === 'MAP') {
          return new Map(
            json.map((e: unknown) => {
              const entry = e as Record<string, unknown> | unknown[]
              const k = Array.isArray(entry) ? entry[0] : entry.key
              const v = Array.isArray(entry) ? entry[1] : entry.value
              const record = node.items as Extract<AvroNode, { kind: 'record' }>
              return [
                this.#defaultFromAvro(schema.keySchema()!, record.fields[0]!.type, k),
                this.#defaultFromAvro(schema.valueSchema()!, record.fields[1]!.type, v),
              ]
            }),
          )
        }
        return json.map((e: unknown) => this.#defaultFromAvro(schema.valueSchema()!, node.items, e))
      case 'map': {
        if (typeof json !== 'object') throw new DataException('Invalid JSON for map default value')
        const out = new Map<string, unknown>()
        for (const [k, v] of Object.entries(json as Record<string, unknown>))
          out.set(k, this.#defaultFromAvro(schema.valueSchema()!, node.values, v))
        return out
      }
      case 'record': {
        if (typeof json !== 'object') throw new DataException('Invalid JSON for record default value')
        const struct = new Struct(schema)
        for (const f of node.fields) {
          const field = schema.field(f.name)
          if (field === null) continue
          struct.put(f.name, this.#defaultFromAvro(field.schema, f.type, (json as Record<string, unknown>)[f.name]))
        }
        return struct
      }
      case 'union': {
        const member = node.types[0]!
        if (member.kind === 'null') return null
        if (isUnionSchema(schema)) {
          const field = schema.field(this.unionMemberName(member))
          if (field === null) return null
          return new Struct(schema).put(field, this.#defaultFromAvro(field.schema, member, json))
        }
        return this.#defaultFromAvro(schema, member, json)
      }
    }
  }

  // --- Avro value → Connect value -----------------------------------------------------------------------------------

  /** The Connect value of Avro `value` (as avsc reads it, unions wrapped) of Avro `node`, for Connect `schema`. */
  toConnectData(schema: TSchema, node: AvroNode, value: unknown): unknown {
    if (value === null || value === undefined) return null
    if (node.kind === 'union') {
      const [branch, inner] = unwrap(value)
      const member = node.types.find((t) => branchName(t) === branch)
      if (member === undefined) throw new DataException(`Union branch ${branch} is not in the schema`)
      if (isUnionSchema(schema)) {
        const field = schema.field(this.unionMemberName(member))
        if (field === null) throw new DataException('Did not find matching union field for data')
        return new Struct(schema).put(field, this.toConnectData(field.schema, member, inner))
      }
      return this.toConnectData(schema, member, inner)
    }
    let converted: unknown
    switch (schema.type) {
      case 'INT8':
      case 'INT16':
      case 'INT32':
      case 'FLOAT32':
      case 'FLOAT64':
      case 'BOOLEAN':
      case 'STRING':
      case 'BYTES':
        converted = value
        break
      case 'INT64':
        converted =
          typeof value === 'bigint' && value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER
            ? Number(value)
            : value
        break
      case 'ARRAY': {
        const items = (node as Extract<AvroNode, { kind: 'array' }>).items
        const valueSchema = schema.valueSchema()!
        const list = value as unknown[]
        const out = new Array<unknown>(list.length)
        for (let i = 0; i < list.length; i++) out[i] = this.toConnectData(valueSchema, items, list[i])
        converted = out
        break
      }
      case 'MAP': {
        const keySchema = schema.keySchema()!
        const valueSchema = schema.valueSchema()!
        const out = new Map<unknown, unknown>()
        if (node.kind === 'map') {
          for (const [k, v] of Object.entries(value as Record<string, unknown>))
            out.set(k, this.toConnectData(valueSchema, node.values, v))
        } else {
          const entry = (node as Extract<AvroNode, { kind: 'array' }>).items as Extract<AvroNode, { kind: 'record' }>
          const keyNode = entry.fields.find((f) => f.name === 'key')!.type
          const valueNode = entry.fields.find((f) => f.name === 'value')!.type
          for (const e of value as Array<{ key: unknown; value: unknown }>)
            out.set(this.toConnectData(keySchema, keyNode, e.key), this.toConnectData(valueSchema, valueNode, e.value))
        }
        converted = out
        break
      }
      case 'STRUCT': {
        const record = node as Extract<AvroNode, { kind: 'record' }>
        const struct = new Struct(schema)
        const original = value as Record<string, unknown>
        const fields = schema.fields()
        for (let i = 0; i < fields.length; i++) {
          const f = fields[i]!
          const name = this.#scrub(f.name)
          const avroField =
            record.fields[i]?.name === name ? record.fields[i] : record.fields.find((a) => a.name === name)
          if (avroField === undefined)
            throw new DataException(`Field ${name} is not in Avro record ${fullName(record)}`)
          struct.put(f, this.toConnectData(f.schema, avroField.type, original[name]))
        }
        converted = struct
        break
      }
    }
    return toConnectLogical(schema, converted)
  }
}

// --- schemaless values ----------------------------------------------------------------------------------------

/** Confluent's `ANYTHING_SCHEMA`, as Java writes it: the schema of values without a Connect schema. */
export const ANYTHING_SCHEMA_TEXT =
  '{"type":"record","name":"Anything","namespace":"io.confluent.connect.avro","fields":[' +
  '{"name":"boolean","type":["null","boolean"],"default":null},' +
  '{"name":"bytes","type":["null","bytes"],"default":null},' +
  '{"name":"double","type":["null","double"],"default":null},' +
  '{"name":"float","type":["null","float"],"default":null},' +
  '{"name":"int","type":["null","int"],"default":null},' +
  '{"name":"long","type":["null","long"],"default":null},' +
  '{"name":"string","type":["null","string"],"default":null},' +
  '{"name":"array","type":["null",{"type":"array","items":"Anything"}],"default":null},' +
  '{"name":"map","type":["null",{"type":"array","items":{"type":"record","name":"MapEntry","fields":[' +
  '{"name":"key","type":"Anything"},{"name":"value","type":"Anything"}]}}],"default":null}]}'
export const ANYTHING_FULL_NAME = `${NAMESPACE}.Anything`

const EMPTY_ANYTHING = Object.freeze({
  boolean: null,
  bytes: null,
  double: null,
  float: null,
  int: null,
  long: null,
  string: null,
  array: null,
  map: null,
})

/**
 * A value without a Connect schema as an `Anything` record (avsc's form, unions wrapped), as Confluent's AvroData
 * writes it: integers as `long` (JSON's schemaless numbers are Java Longs), other numbers `double`, booleans, strings,
 * arrays and maps (entries of key and value); null inside an array or map is an empty record. Anything else (bytes,
 * structs, dates, decimals) is a DataException, as in Confluent.
 */
export function fromSchemaless(value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return { ...EMPTY_ANYTHING }
  const out: Record<string, unknown> = { ...EMPTY_ANYTHING }
  switch (typeof value) {
    case 'boolean':
      out.boolean = { boolean: value }
      return out
    case 'string':
      out.string = { string: value }
      return out
    case 'bigint':
      out.long = { long: value }
      return out
    case 'number':
      if (Number.isSafeInteger(value)) out.long = { long: value }
      else out.double = { double: value }
      return out
  }
  if (Array.isArray(value)) {
    out.array = { array: value.map(fromSchemaless) }
    return out
  }
  if (value instanceof Map || (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)) {
    const entries = value instanceof Map ? [...value.entries()] : Object.entries(value)
    out.map = { array: entries.map(([k, v]) => ({ key: fromSchemaless(k), value: fromSchemaless(v) })) }
    return out
  }
  throw new DataException(`Unknown type for schemaless data: ${typeName(value)}`)
}

/** The value of an `Anything` record (avsc's form): the first field that is set, else null. */
export function toSchemaless(record: unknown): unknown {
  if (record === null || record === undefined) return null
  const r = record as Record<string, Record<string, unknown> | null>
  for (const field of ['boolean', 'bytes', 'double', 'float', 'int', 'long', 'string'] as const) {
    const wrapped = r[field]
    if (wrapped !== null && wrapped !== undefined) {
      const v = unwrap(wrapped)[1]
      if (field === 'long' && typeof v === 'bigint' && v >= Number.MIN_SAFE_INTEGER && v <= Number.MAX_SAFE_INTEGER)
        return Number(v)
      return v
    }
  }
  if (r.array !== null && r.array !== undefined) return (unwrap(r.array)[1] as unknown[]).map(toSchemaless)
  if (r.map !== null && r.map !== undefined) {
    const out = new Map<unknown, unknown>()
    for (const e of unwrap(r.map)[1] as Array<{ key: unknown; value: unknown }>)
      out.set(toSchemaless(e.key), toSchemaless(e.value))
    return out
  }
  return null
}

// --- helpers ---------------------------------------------------------------------------------------------------------

/** The branch name avsc gives union member `node` when unions are wrapped. */
export function branchName(node: AvroNode): string {
  return isNamed(node) ? fullName(node) : node.kind
}

function unwrap(value: unknown): [string, unknown] {
  for (const k in value as Record<string, unknown>) return [k, (value as Record<string, unknown>)[k]]
  throw new DataException('Empty union value')
}

function isUnionSchema(schema: TSchema): boolean {
  return schema.name === AVRO_TYPE_UNION
}

function isDecimal(schema: TSchema): boolean {
  return schema.name !== null && schema.name.toLowerCase() === Decimal.LOGICAL_NAME.toLowerCase()
}

function isFixedSchema(schema: TSchema): boolean {
  return (
    schema.type === 'BYTES' &&
    schema.name !== null &&
    schema.parameters !== null &&
    Object.hasOwn(schema.parameters, CONNECT_AVRO_FIXED_SIZE_PROP)
  )
}

function isMapEntry(node: AvroNode): node is Extract<AvroNode, { kind: 'record' }> {
  if (node.kind !== 'record') return false
  if (node.namespace === NAMESPACE && node.name === MAP_ENTRY_TYPE_NAME) return true
  return prop(node, CONNECT_INTERNAL_TYPE_NAME) === MAP_ENTRY_TYPE_NAME
}

/** Apache's `ConnectSchema` copy of `schema`, required. */
function nonOptional(schema: TSchema): TSchema {
  if (!schema.isOptional) return schema
  return copySchema(schema, { optional: false })
}

function copySchema(schema: TSchema, change: { optional?: boolean; parameters?: Record<string, string> }): TSchema {
  const builder = new SchemaBuilder(schema.type)
  if (schema.name !== null) builder.name(schema.name)
  if (schema.version !== null) builder.version(schema.version)
  if (schema.doc !== null) builder.doc(schema.doc)
  if (change.optional ?? schema.isOptional) builder.optional()
  const params = change.parameters ?? schema.parameters
  if (params !== null) for (const [k, v] of Object.entries(params)) builder.parameter(k, v)
  if (schema.type === 'STRUCT') for (const f of schema.fields()) builder.field(f.name, f.schema)
  if (schema.type === 'ARRAY' || schema.type === 'MAP') {
    // SchemaBuilder.array/map take their element schemas at creation.
    const rebuilt =
      schema.type === 'ARRAY'
        ? SchemaBuilder.array(schema.valueSchema()!)
        : SchemaBuilder.map(schema.keySchema()!, schema.valueSchema()!)
    if (schema.name !== null) rebuilt.name(schema.name)
    if (schema.version !== null) rebuilt.version(schema.version)
    if (schema.doc !== null) rebuilt.doc(schema.doc)
    if (change.optional ?? schema.isOptional) rebuilt.optional()
    if (params !== null) for (const [k, v] of Object.entries(params)) rebuilt.parameter(k, v)
    if (schema.defaultValue !== null) rebuilt.defaultValue(schema.defaultValue)
    return rebuilt.build()
  }
  if (schema.defaultValue !== null) builder.defaultValue(schema.defaultValue)
  return builder.build()
}

/** Confluent's `applyFieldLevelParams`: the field's `connect.parameters` added to the schema's own. */
function applyFieldLevelParams(schema: TSchema, fieldParams: Record<string, unknown>): TSchema {
  const original = schema.parameters ?? {}
  let same = true
  for (const [k, v] of Object.entries(fieldParams)) if (String(v) !== original[k]) same = false
  if (same) return schema
  const merged: Record<string, string> = { ...original }
  for (const [k, v] of Object.entries(fieldParams)) merged[k] = String(v)
  return copySchema(schema, { parameters: merged })
}

function toAvroLogical(schema: TSchema, value: unknown): unknown {
  const name = schema.name
  if (name === null || value === null || value === undefined) return value
  switch (name) {
    case Decimal.LOGICAL_NAME:
      if (!(value instanceof BigDecimal))
        throw new DataException(`Invalid type for Decimal, expected BigDecimal but was ${typeName(value)}`)
      return Decimal.fromLogical(schema, value)
    case ConnectDate.LOGICAL_NAME:
      if (!(value instanceof Date))
        throw new DataException(`Invalid type for Date, expected Date but was ${typeName(value)}`)
      return ConnectDate.fromLogical(schema, value)
    case Time.LOGICAL_NAME:
      if (!(value instanceof Date))
        throw new DataException(`Invalid type for Time, expected Date but was ${typeName(value)}`)
      return Time.fromLogical(schema, value)
    case Timestamp.LOGICAL_NAME:
      if (!(value instanceof Date))
        throw new DataException(`Invalid type for Timestamp, expected Date but was ${typeName(value)}`)
      return Timestamp.fromLogical(schema, value)
    default:
      return value
  }
}

function toConnectLogical(schema: TSchema, value: unknown): unknown {
  const name = schema.name
  if (name === null || value === null || value === undefined) return value
  switch (name) {
    case Decimal.LOGICAL_NAME:
      if (!(value instanceof Uint8Array))
        throw new DataException(
          `Invalid type for Decimal, underlying representation should be bytes but was ${typeName(value)}`,
        )
      return Decimal.toLogical(schema, value)
    case ConnectDate.LOGICAL_NAME:
      if (typeof value !== 'number')
        throw new DataException(
          `Invalid type for Date, underlying representation should be int32 but was ${typeName(value)}`,
        )
      return ConnectDate.toLogical(schema, value)
    case Time.LOGICAL_NAME:
      if (typeof value !== 'number')
        throw new DataException(
          `Invalid type for Time, underlying representation should be int32 but was ${typeName(value)}`,
        )
      return Time.toLogical(schema, value)
    case Timestamp.LOGICAL_NAME:
      if (typeof value !== 'number' && typeof value !== 'bigint')
        throw new DataException(
          `Invalid type for Timestamp, underlying representation should be int64 but was ${typeName(value)}`,
        )
      return Timestamp.toLogical(schema, value)
    default:
      return value
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value !== 'object') return typeof value
  return (value as object).constructor?.name ?? 'object'
}

function padToFixedSize(bytes: Buffer, size: number): Buffer {
  const diff = size - bytes.length
  if (diff <= 0) return bytes
  const padded = Buffer.alloc(size, bytes.length > 0 && (bytes[0]! & 0x80) !== 0 ? 0xff : 0)
  bytes.copy(padded, diff)
  return padded
}

/** A field default that fits its Avro type (Java's Avro drops one that does not, as Confluent logs and ignores it). */
function validDefault(type: AvroNode, json: unknown): unknown {
  if (json === undefined) return undefined
  const first = type.kind === 'union' ? type.types[0]! : type
  if (json === null) return first.kind === 'null' ? null : undefined
  if (first.kind === 'null') return undefined
  return json
}

/** Confluent's `doScrubName`: characters outside [A-Za-z0-9_] become `_` (after URL-encoding), a leading digit gets `x`. */
export function scrubName(name: string): string {
  if (name === '') return name
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return name
  let encoded = encodeURIComponent(name)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
  if (encoded.charCodeAt(0) >= 48 && encoded.charCodeAt(0) <= 57) encoded = `x${encoded}`
  return encoded.replace(/[^A-Za-z0-9_]/g, '_')
}
