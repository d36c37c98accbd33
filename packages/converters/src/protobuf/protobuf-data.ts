/**
 * Confluent's `ProtobufData`: Connect schemas ⇄ Protobuf schemas, and Connect values ⇄ Protobuf messages, as
 * `io.confluent.connect.protobuf.ProtobufConverter` maps them.
 *
 * Connect → Protobuf (`fromConnectSchema`) writes a proto3 file: the struct's name splits into package and message
 * name (`ConnectDefault1` when it has none); fields are numbered in order (or by their
 * `io.confluent.connect.protobuf.Tag` parameter); INT8/INT16 are `int32` with `connect.type` in the field's
 * `(confluent.field_meta)` params; INT64 with a `io.confluent.connect.protobuf.Type` parameter keeps that type
 * (`uint64`, `sint64`, ...); Decimal is `confluent.type.Decimal` (precision and scale in the params), Date
 * `google.type.Date`, Time `google.type.TimeOfDay`, Timestamp `google.protobuf.Timestamp`; ARRAY is `repeated`; MAP
 * a `repeated` nested `<Name>Entry` message with `key = 1` and `value = 2`; nested structs nested messages; a string
 * (or int) with `io.confluent.connect.protobuf.Enum` parameters an enum; a union struct
 * (`io.confluent.connect.protobuf.Union.<name>`) a `oneof`. Optional fields are plain proto3 fields, `optional`
 * ones under `optional.for.nullables`, wrapper messages (`google.protobuf.Int32Value`, ...) under
 * `wrapper.for.nullables`. A primitive at the root is its wrapper message from google/protobuf/wrappers.proto.
 *
 * Protobuf → Connect (`toConnectSchema`) reads every field as optional (proto3 has no required fields) with its tag
 * in the Tag parameter; `oneof`s become optional union structs named after them (`<name>_<index>` fields under
 * `generate.index.for.unions`), enums strings (ints under `int.for.enums`) with their symbols in parameters,
 * wrapper messages their primitive (under `wrapper.for.nullables`, and at the root under
 * `wrapper.for.raw.primitives`), unsigned and fixed types INT32/INT64 with the type in a parameter.
 *
 * Values: an unset message field is null, an unset scalar its default; an empty array is written as no field (and
 * read back as an empty array).
 */
import {
  BigDecimal,
  bigIntToBytes,
  bytesToBigInt,
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
import protobuf from 'protobufjs'
import { invalid, mapEntries } from '../schema-registry/connect-values.ts'
import { fullName, type ProtobufSchema, parseProtobufSchema } from './protobuf-schema.ts'
import { wellKnownText } from './well-known.ts'

export const NAMESPACE = 'io.confluent.connect.protobuf'
export const DEFAULT_SCHEMA_NAME = 'ConnectDefault'
export const PROTOBUF_TYPE_ENUM = `${NAMESPACE}.Enum`
export const PROTOBUF_TYPE_UNION = `${NAMESPACE}.Union`
export const PROTOBUF_TYPE_UNION_PREFIX = `${PROTOBUF_TYPE_UNION}.`
export const PROTOBUF_TYPE_TAG = `${NAMESPACE}.Tag`
export const PROTOBUF_TYPE_PROP = `${NAMESPACE}.Type`
export const PROTOBUF_TYPE_WRAPPER = `${NAMESPACE}.Wrapper`
export const CONNECT_PRECISION_PROP = 'connect.decimal.precision'
export const CONNECT_TYPE_PROP = 'connect.type'
const MAP_ENTRY_SUFFIX = 'Entry'
const DECIMAL_TYPE = 'confluent.type.Decimal'
const DATE_TYPE = 'google.type.Date'
const TIME_TYPE = 'google.type.TimeOfDay'
const TIMESTAMP_TYPE = 'google.protobuf.Timestamp'
const MILLIS_PER_DAY = 86_400_000

/** Wrapper message → the Connect type of its value. */
const WRAPPERS: Readonly<Record<string, () => SchemaBuilder>> = {
  'google.protobuf.DoubleValue': SchemaBuilder.float64,
  'google.protobuf.FloatValue': SchemaBuilder.float32,
  'google.protobuf.Int64Value': SchemaBuilder.int64,
  'google.protobuf.UInt64Value': SchemaBuilder.int64,
  'google.protobuf.Int32Value': SchemaBuilder.int32,
  'google.protobuf.UInt32Value': SchemaBuilder.int64,
  'google.protobuf.BoolValue': SchemaBuilder.bool,
  'google.protobuf.StringValue': SchemaBuilder.string,
  'google.protobuf.BytesValue': SchemaBuilder.bytes,
}

/** The options of `ProtobufDataConfig` that Ferry implements (Confluent's defaults). */
export interface ProtobufDataOptions {
  /** `enhanced.protobuf.schema.support`: Connect names are full names (package included). */
  enhancedSchemaSupport: boolean
  /** `scrub.invalid.names`: names that are not Protobuf identifiers are made into ones. */
  scrubInvalidNames: boolean
  /** `int.for.enums`: enums are INT32 instead of STRING. */
  intForEnums: boolean
  /** `optional.for.nullables`: optional Connect fields are `optional` proto3 fields, and only those read as optional. */
  optionalForNullables: boolean
  /** `optional.for.proto2`: proto2 `optional` fields that are unset read as null. */
  optionalForProto2: boolean
  /** `wrapper.for.nullables`: optional primitives are wrapper messages, and wrapper messages read as primitives. */
  wrapperForNullables: boolean
  /** `wrapper.for.raw.primitives`: a wrapper message at the root reads as its primitive. */
  wrapperForRawPrimitives: boolean
  /** `generate.struct.for.nulls`: an unset message field reads as a struct of defaults instead of null. */
  generateStructForNulls: boolean
  /** `generate.index.for.unions`: a oneof's Connect field is `<name>_<index>`. */
  generateIndexForUnions: boolean
  /** `flatten.unions`: a oneof's fields are fields of the message's struct. */
  flattenUnions: boolean
  /** `ignore.default.for.nullables`. */
  ignoreDefaultForNullables: boolean
}

export const DEFAULT_PROTOBUF_DATA_OPTIONS: ProtobufDataOptions = Object.freeze({
  enhancedSchemaSupport: false,
  scrubInvalidNames: false,
  intForEnums: false,
  optionalForNullables: false,
  optionalForProto2: true,
  wrapperForNullables: false,
  wrapperForRawPrimitives: true,
  generateStructForNulls: false,
  generateIndexForUnions: true,
  flattenUnions: false,
  ignoreDefaultForNullables: false,
})

/** A message being written as .proto text. */
interface MessageText {
  name: string
  lines: string[]
  nested: MessageText[]
  enums: string[]
  /** Names of the nested messages and enums already defined. */
  defined: Set<string>
}

/** State of one `fromConnectSchema`. */
interface FromConnectContext {
  nameIndex: number
  imports: string[]
}

/** See the module comment. One instance per converter: it caches the schemas it has mapped. */
export class ProtobufData {
  readonly options: ProtobufDataOptions
  readonly #fromConnect = new WeakMap<Schema, ProtobufSchema>()
  readonly #toConnect = new WeakMap<protobuf.Type, Map<number | null, Schema>>()

  constructor(options: Partial<ProtobufDataOptions> = {}) {
    this.options = { ...DEFAULT_PROTOBUF_DATA_OPTIONS, ...options }
  }

  // ---------------------------------------------------------------- Connect schema → Protobuf schema

  /** The Protobuf schema of `schema` (kept per schema object). */
  fromConnectSchema(schema: Schema): ProtobufSchema {
    const cached = this.#fromConnect.get(schema)
    if (cached !== undefined) return cached
    const result = this.#buildSchema(schema)
    this.#fromConnect.set(schema, result)
    return result
  }

  /** The .proto text of a struct schema (what `fromConnectSchema` registers). */
  protoText(schema: Schema): string {
    const ctx: FromConnectContext = { nameIndex: 0, imports: [] }
    const [namespace, name] = this.#splitName(this.#nameOrDefault(ctx, schema.name))
    const message = this.#messageText(ctx, name, schema)
    let text = 'syntax = "proto3";\n'
    if (namespace !== null) text += `package ${namespace};\n`
    text += '\n'
    if (ctx.imports.length > 0) text += `${ctx.imports.map((i) => `import "${i}";`).join('\n')}\n\n`
    return text + renderMessage(message, '')
  }

  #buildSchema(schema: Schema): ProtobufSchema {
    const wrapper = rootWrapper(schema.type)
    if (wrapper !== null) {
      const text = wellKnownText('google/protobuf/wrappers.proto') as string
      const parsed = parseProtobufSchema(text)
      return new (parsed.constructor as typeof ProtobufSchema)(
        text,
        parsed.root,
        parsed.packageName,
        parsed.syntax,
        [...parsed.messages],
        parsed.root.lookupType(wrapper),
      )
    }
    if (schema.type !== 'STRUCT')
      throw new DataException(`Unsupported root schema of type ${schema.type}: Protobuf needs a struct or a primitive`)
    return parseProtobufSchema(this.protoText(schema))
  }

  #messageText(ctx: FromConnectContext, name: string, schema: Schema): MessageText {
    const message: MessageText = { name, lines: [], nested: [], enums: [], defined: new Set() }
    let index = 1
    for (const field of schema.fields()) {
      const fs = field.schema
      const tagParam = fs.parameters?.[PROTOBUF_TYPE_TAG]
      const tag = tagParam !== undefined ? Number.parseInt(tagParam, 10) : index++
      const fieldName = this.#scrub(field.name)
      if (fs.type === 'STRUCT' && isUnionSchema(fs)) {
        const unionName = this.#unqualified(ctx, (fs.name as string).slice(PROTOBUF_TYPE_UNION_PREFIX.length))
        const members: string[] = []
        for (const member of fs.fields()) {
          const ms = member.schema
          const memberTag = ms.parameters?.[PROTOBUF_TYPE_TAG]
          const t = memberTag !== undefined ? Number.parseInt(memberTag, 10) : index++
          members.push(this.#fieldLine(ctx, message, ms, this.#scrub(member.name), t, true))
        }
        message.lines.push(`oneof ${unionName} {`, ...members.map((m) => `  ${m}`), '}')
        continue
      }
      message.lines.push(this.#fieldLine(ctx, message, fs, fieldName, tag, false))
    }
    return message
  }

  /** One field's line (`repeated int32 name = 3 [...];`), defining what it needs in `message`. */
  #fieldLine(
    ctx: FromConnectContext,
    message: MessageText,
    schema: Schema,
    name: string,
    tag: number,
    oneofMember: boolean,
  ): string {
    let label = ''
    if (schema.type === 'ARRAY' || schema.type === 'MAP') label = 'repeated '
    else if (this.options.optionalForNullables && schema.isOptional && !oneofMember) label = 'optional '
    let fs = schema
    if (schema.type === 'ARRAY') {
      fs = schema.valueSchema() as Schema
      if (fs.type === 'ARRAY') throw new DataException('Array cannot be nested')
    }
    const params: [string, string][] = []
    const type = this.#dataType(ctx, fs, name, params, oneofMember)
    if (fs.type === 'STRUCT') {
      if (!message.defined.has(type) && message.name !== type) {
        message.defined.add(type)
        message.nested.push(this.#messageText(ctx, type, fs))
      }
    } else if (fs.type === 'MAP') {
      if (!message.defined.has(type)) {
        message.defined.add(type)
        const entry: MessageText = { name: type, lines: [], nested: [], enums: [], defined: new Set() }
        entry.lines.push(this.#fieldLine(ctx, entry, fs.keySchema() as Schema, 'key', 1, false))
        entry.lines.push(this.#fieldLine(ctx, entry, fs.valueSchema() as Schema, 'value', 2, false))
        message.nested.push(entry)
      }
    } else if (fs.parameters !== null && Object.hasOwn(fs.parameters, PROTOBUF_TYPE_ENUM)) {
      const enumName = this.#unqualified(ctx, fs.name)
      if (!message.defined.has(enumName)) {
        message.defined.add(enumName)
        message.enums.push(this.#enumText(enumName, fs))
      }
    } else {
      this.#importFor(ctx, type)
    }
    let options = ''
    if (params.length > 0) {
      this.#import(ctx, 'confluent/meta.proto')
      const entries = params.map(([k, v]) => `{ key: ${protoString(k)}, value: ${protoString(v)} }`).join(', ')
      options = ` [(confluent.field_meta) = { params: [${entries}] }]`
    }
    return `${label}${type} ${name} = ${tag}${options};`
  }

  #enumText(name: string, schema: Schema): string {
    const values: string[] = []
    const prefix = `${PROTOBUF_TYPE_ENUM}.`
    for (const [k, v] of Object.entries(schema.parameters ?? {})) {
      if (k.startsWith(prefix)) values.push(`  ${k.slice(prefix.length)} = ${Number.parseInt(v, 10)};`)
    }
    return [`enum ${name} {`, ...values, '}'].join('\n')
  }

  #dataType(
    ctx: FromConnectContext,
    schema: Schema,
    fieldName: string,
    params: [string, string][],
    oneofMember: boolean,
  ): string {
    switch (schema.name) {
      case Decimal.LOGICAL_NAME: {
        const precision = schema.parameters?.[CONNECT_PRECISION_PROP]
        const scale = schema.parameters?.[Decimal.SCALE_FIELD]
        if (precision !== undefined) params.push(['precision', precision])
        if (scale !== undefined) params.push(['scale', scale])
        return DECIMAL_TYPE
      }
      case ConnectDate.LOGICAL_NAME:
        return DATE_TYPE
      case Time.LOGICAL_NAME:
        return TIME_TYPE
      case Timestamp.LOGICAL_NAME:
        return TIMESTAMP_TYPE
    }
    const wrap = this.options.wrapperForNullables && schema.isOptional && (!oneofMember || hasWrapperMarker(schema))
    const param = (k: string): string | undefined => schema.parameters?.[k]
    switch (schema.type) {
      case 'INT8':
      case 'INT16':
        params.push([CONNECT_TYPE_PROP, schema.type.toLowerCase()])
        return wrap ? 'google.protobuf.Int32Value' : 'int32'
      case 'INT32': {
        const enumType = param(PROTOBUF_TYPE_ENUM)
        if (enumType !== undefined) return enumType
        return wrap ? 'google.protobuf.Int32Value' : (param(PROTOBUF_TYPE_PROP) ?? 'int32')
      }
      case 'INT64': {
        const type = param(PROTOBUF_TYPE_PROP) ?? 'int64'
        if (!wrap) return type
        if (type === 'uint32' || type === 'fixed32') return 'google.protobuf.UInt32Value'
        if (type === 'uint64' || type === 'fixed64') return 'google.protobuf.UInt64Value'
        return 'google.protobuf.Int64Value'
      }
      case 'FLOAT32':
        return wrap ? 'google.protobuf.FloatValue' : 'float'
      case 'FLOAT64':
        return wrap ? 'google.protobuf.DoubleValue' : 'double'
      case 'BOOLEAN':
        return wrap ? 'google.protobuf.BoolValue' : 'bool'
      case 'STRING': {
        const enumType = param(PROTOBUF_TYPE_ENUM)
        if (enumType !== undefined) return enumType
        return wrap ? 'google.protobuf.StringValue' : 'string'
      }
      case 'BYTES':
        return wrap ? 'google.protobuf.BytesValue' : 'bytes'
      case 'ARRAY':
        throw new DataException('Array cannot be nested')
      case 'MAP':
        return toMapEntry(this.#unqualified(ctx, schema.name))
      case 'STRUCT': {
        const name = this.#unqualified(ctx, schema.name)
        return name === fieldName ? `${name}Message` : name
      }
    }
  }

  #importFor(ctx: FromConnectContext, type: string): void {
    if (type === DECIMAL_TYPE) this.#import(ctx, 'confluent/type/decimal.proto')
    else if (type === DATE_TYPE) this.#import(ctx, 'google/type/date.proto')
    else if (type === TIME_TYPE) this.#import(ctx, 'google/type/timeofday.proto')
    else if (type === TIMESTAMP_TYPE) this.#import(ctx, 'google/protobuf/timestamp.proto')
    else if (Object.hasOwn(WRAPPERS, type)) this.#import(ctx, 'google/protobuf/wrappers.proto')
  }

  #import(ctx: FromConnectContext, file: string): void {
    if (!ctx.imports.includes(file)) ctx.imports.push(file)
  }

  #nameOrDefault(ctx: FromConnectContext, name: string | null): string {
    return name !== null && name !== '' ? name : `${DEFAULT_SCHEMA_NAME}${++ctx.nameIndex}`
  }

  #splitName(fullName: string): [string | null, string] {
    const parts = fullName.split('.').map((p) => this.#scrub(p))
    const last = parts.pop() as string
    return [parts.length > 0 ? parts.join('.') : null, last]
  }

  #unqualified(ctx: FromConnectContext, name: string | null): string {
    const full = this.#nameOrDefault(ctx, name)
    return this.#scrub(full.slice(full.lastIndexOf('.') + 1))
  }

  #scrub(name: string): string {
    return this.options.scrubInvalidNames ? scrubName(name) : name
  }

  // ---------------------------------------------------------------- Connect value → Protobuf bytes

  /** The message bytes of `value` (whose Connect schema is `schema`) as message `type` of its schema. */
  fromConnectData(type: protobuf.Type, schema: Schema, value: unknown): Uint8Array {
    try {
      let object: Record<string, unknown>
      if (WRAPPERS[fullName(type)] !== undefined) {
        object = {}
        const v = this.#scalar(type.fields.value as protobuf.Field, schema, value)
        if (v !== undefined) object.value = v
      } else object = this.#message(type, schema, value)
      return type.encode(type.fromObject(object)).finish()
    } catch (e) {
      if (e instanceof DataException) throw e
      throw new DataException(`Protobuf could not write the value: ${e instanceof Error ? e.message : String(e)}`, e)
    }
  }

  #message(type: protobuf.Type, schema: Schema, value: unknown): Record<string, unknown> {
    if (!(value instanceof Struct)) throw invalid(schema, value, 'a Struct')
    if (value.schema !== schema && !schemaEquals(value.schema, schema))
      throw new DataException('Mismatching struct schema')
    const out: Record<string, unknown> = {}
    const proto3 = isProto3(type)
    for (const field of schema.fields()) {
      const v = this.options.ignoreDefaultForNullables ? value.getWithoutDefault(field) : value.get(field)
      if (v === null || v === undefined) continue
      if (field.schema.type === 'STRUCT' && isUnionSchema(field.schema)) {
        if (!(v instanceof Struct)) throw invalid(field.schema, v, 'a Struct')
        const member = firstSet(field.schema, v, this.options.ignoreDefaultForNullables)
        if (member === null) throw new DataException('Cannot find non-null field')
        const name = this.#scrub(member.field.name)
        const pbField = type.fields[name]
        if (pbField === undefined) throw new DataException(`Cannot find field with name ${name}`)
        const converted = this.#field(pbField, member.field.schema, member.value)
        if (converted !== undefined) out[name] = converted
        continue
      }
      const name = this.#scrub(field.name)
      const pbField = type.fields[name]
      if (pbField === undefined) throw new DataException(`Cannot find field with name ${name}`)
      const converted = this.#field(pbField, field.schema, v)
      if (converted === undefined) continue
      if (proto3 && pbField.partOf === null && !pbField.repeated && isDefaultScalar(pbField, converted)) continue
      out[name] = converted
    }
    return out
  }

  #field(pbField: protobuf.Field, schema: Schema, value: unknown): unknown {
    if (schema.type === 'ARRAY') {
      if (!Array.isArray(value)) throw invalid(schema, value, 'an array')
      if (value.length === 0) return undefined
      const valueSchema = schema.valueSchema() as Schema
      return value.map((e) => (e === null || e === undefined ? null : this.#single(pbField, valueSchema, e)))
    }
    if (schema.type === 'MAP') return this.#map(pbField, schema, value)
    return this.#single(pbField, schema, value)
  }

  #map(pbField: protobuf.Field, schema: Schema, value: unknown): unknown {
    const entries = mapEntries(schema, value)
    const keySchema = schema.keySchema() as Schema
    const valueSchema = schema.valueSchema() as Schema
    if (pbField instanceof protobuf.MapField) {
      const keyField = new protobuf.Field('key', 1, pbField.keyType)
      const valueField = new protobuf.Field('value', 2, pbField.type)
      valueField.resolvedType = pbField.resolvedType
      const out: Record<string, unknown> = {}
      for (const [k, v] of entries) {
        const key = this.#single(keyField, keySchema, k)
        out[String(key)] = v === null || v === undefined ? undefined : this.#single(valueField, valueSchema, v)
      }
      return out
    }
    const entryType = pbField.resolvedType
    if (!(entryType instanceof protobuf.Type))
      throw new DataException(`Field ${pbField.name} is not a map entry message`)
    const keyField = entryType.fields.key
    const valueField = entryType.fields.value
    if (keyField === undefined || valueField === undefined)
      throw new DataException(`Message ${fullName(entryType)} is not a map entry (key = 1, value = 2)`)
    return entries.map(([k, v]) => {
      const entry: Record<string, unknown> = {}
      if (k !== null && k !== undefined) entry.key = this.#single(keyField, keySchema, k)
      if (v !== null && v !== undefined) entry.value = this.#single(valueField, valueSchema, v)
      return entry
    })
  }

  /** One value of a (non-repeated) field as protobufjs's `fromObject` takes it. */
  #single(pbField: protobuf.Field, schema: Schema, value: unknown): unknown {
    switch (schema.name) {
      case Decimal.LOGICAL_NAME: {
        if (!(value instanceof BigDecimal)) throw invalid(schema, value, 'BigDecimal')
        return { value: bigIntToBytes(value.unscaledValue), precision: value.precision(), scale: value.scale }
      }
      case ConnectDate.LOGICAL_NAME: {
        if (!(value instanceof Date)) throw invalid(schema, value, 'Date')
        ConnectDate.fromLogical(schema, value)
        return { year: value.getUTCFullYear(), month: value.getUTCMonth() + 1, day: value.getUTCDate() }
      }
      case Time.LOGICAL_NAME: {
        if (!(value instanceof Date)) throw invalid(schema, value, 'Date')
        const millis = value.getTime()
        if (millis < 0 || millis > MILLIS_PER_DAY)
          throw new DataException('Time values must use number of millis greater than 0 and less than 86400000')
        return {
          hours: value.getUTCHours(),
          minutes: value.getUTCMinutes(),
          seconds: value.getUTCSeconds(),
          nanos: value.getUTCMilliseconds() * 1_000_000,
        }
      }
      case Timestamp.LOGICAL_NAME: {
        if (!(value instanceof Date)) throw invalid(schema, value, 'Date')
        const millis = Timestamp.fromLogical(schema, value)
        const seconds = Math.floor(millis / 1000)
        return { seconds, nanos: (millis - seconds * 1000) * 1_000_000 }
      }
    }
    if (schema.type === 'STRUCT') return this.#message(messageType(pbField), schema, value)
    const target = pbField.resolvedType
    if (target instanceof protobuf.Type && WRAPPERS[fullName(target)] !== undefined) {
      const inner = this.#scalar(target.fields.value as protobuf.Field, schema, value)
      return inner === undefined ? {} : { value: inner }
    }
    return this.#scalar(pbField, schema, value)
  }

  #scalar(pbField: protobuf.Field, schema: Schema, value: unknown): unknown {
    const enumType = pbField.resolvedType instanceof protobuf.Enum ? pbField.resolvedType : null
    switch (schema.type) {
      case 'INT8':
      case 'INT16':
      case 'INT32':
        if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(schema, value, 'an integer')
        return value
      case 'INT64': {
        if (typeof value !== 'number' && typeof value !== 'bigint') throw invalid(schema, value, 'an integer')
        if (pbField.type === 'uint32' || pbField.type === 'fixed32') return Number(BigInt.asUintN(32, BigInt(value)))
        return typeof value === 'bigint' ? value.toString() : value
      }
      case 'FLOAT32':
      case 'FLOAT64':
        if (typeof value !== 'number') throw invalid(schema, value, 'a number')
        return value
      case 'BOOLEAN':
        if (typeof value !== 'boolean') throw invalid(schema, value, 'a boolean')
        return value
      case 'STRING': {
        if (typeof value !== 'string') throw invalid(schema, value, 'a string')
        if (enumType !== null) {
          const tag = schema.parameters?.[`${PROTOBUF_TYPE_ENUM}.${value}`]
          if (tag !== undefined) return Number.parseInt(tag, 10)
          const id = enumType.values[value]
          if (id === undefined) throw new DataException(`${value} is not a symbol of enum ${fullName(enumType)}`)
          return id
        }
        return value
      }
      case 'BYTES':
        if (!(value instanceof Uint8Array)) throw invalid(schema, value, 'bytes')
        return value
      default:
        throw new DataException(`Unknown schema type: ${schema.type}`)
    }
  }

  // ---------------------------------------------------------------- Protobuf schema → Connect schema

  /** The Connect schema of message `type`; `version` (the registry's) is given to the root struct. */
  toConnectSchema(type: protobuf.Type, version: number | null = null): Schema {
    let byVersion = this.#toConnect.get(type)
    const cached = byVersion?.get(version)
    if (cached !== undefined) return cached
    const builder = this.#messageSchema(new Map(), type, version, true)
    const schema = builder.build()
    if (byVersion === undefined) {
      byVersion = new Map()
      this.#toConnect.set(type, byVersion)
    }
    byVersion.set(version, schema)
    return schema
  }

  #messageSchema(
    ctx: Map<string, SchemaBuilder>,
    type: protobuf.Type,
    version: number | null,
    root: boolean,
  ): SchemaBuilder {
    const wrapped = root && this.options.wrapperForRawPrimitives ? WRAPPERS[fullName(type)] : undefined
    let builder: SchemaBuilder
    if (wrapped !== undefined) builder = wrapped()
    else {
      const name = fullName(type)
      if (ctx.has(name))
        throw new DataException(`The Protobuf message ${name} contains itself: Ferry does not map recursive messages`)
      builder = SchemaBuilder.struct().name(this.options.enhancedSchemaSupport ? name : type.name)
      ctx.set(name, builder)
      let oneofIndex = 0
      for (const oneof of type.oneofsArray) {
        if (isSynthetic(oneof)) continue
        if (this.options.flattenUnions) {
          for (const f of oneof.fieldsArray) builder.field(f.name, this.#fieldSchema(ctx, f, true))
        } else {
          builder.field(this.#unionFieldName(oneof, oneofIndex), this.#unionSchema(ctx, oneof))
        }
        oneofIndex++
      }
      for (const f of type.fieldsArray) {
        if (f.partOf !== null && !isSynthetic(f.partOf)) continue
        builder.field(f.name, this.#fieldSchema(ctx, f, false))
      }
      ctx.delete(name)
    }
    if (version !== null) builder.version(version)
    return builder
  }

  #unionFieldName(oneof: protobuf.OneOf, index: number): string {
    return this.options.generateIndexForUnions ? `${oneof.name}_${index}` : oneof.name
  }

  #unionSchema(ctx: Map<string, SchemaBuilder>, oneof: protobuf.OneOf): Schema {
    const name = this.options.enhancedSchemaSupport
      ? `${fullName(oneof.parent as protobuf.Type)}.${oneof.name}`
      : oneof.name
    const builder = SchemaBuilder.struct().name(`${PROTOBUF_TYPE_UNION_PREFIX}${name}`)
    for (const f of oneof.fieldsArray) builder.field(f.name, this.#fieldSchema(ctx, f, true))
    return builder.optional().build()
  }

  #fieldSchema(ctx: Map<string, SchemaBuilder>, f: protobuf.Field, oneofMember: boolean): Schema {
    let builder: SchemaBuilder
    const resolved = f.resolvedType
    if (f instanceof protobuf.MapField) {
      const keyField = new protobuf.Field('key', 1, f.keyType)
      const valueField = new protobuf.Field('value', 2, f.type)
      valueField.resolvedType = resolved
      const entryName = `${upperCamel(f.name)}${MAP_ENTRY_SUFFIX}`
      builder = SchemaBuilder.map(this.#fieldSchema(ctx, keyField, false), this.#fieldSchema(ctx, valueField, false))
      builder.name(toMapField(entryName))
    } else if (resolved instanceof protobuf.Enum) {
      builder = this.options.intForEnums ? SchemaBuilder.int32() : SchemaBuilder.string()
      builder.name(this.options.enhancedSchemaSupport ? fullName(resolved) : resolved.name)
      builder.parameter(PROTOBUF_TYPE_ENUM, resolved.name)
      for (const [symbol, tag] of Object.entries(resolved.values))
        builder.parameter(`${PROTOBUF_TYPE_ENUM}.${symbol}`, String(tag))
      builder.optional()
    } else if (resolved instanceof protobuf.Type) {
      const typeName = fullName(resolved)
      switch (typeName) {
        case DECIMAL_TYPE: {
          const params = fieldMetaParams(f)
          const precision = params.get('precision')
          const scaleText = params.get('scale')
          const scale = scaleText !== undefined && /^-?\d+$/.test(scaleText) ? Number.parseInt(scaleText, 10) : 0
          builder = Decimal.builder(scale)
          if (precision !== undefined && /^-?\d+$/.test(precision))
            builder.parameter(CONNECT_PRECISION_PROP, String(Number.parseInt(precision, 10)))
          break
        }
        case DATE_TYPE:
          builder = ConnectDate.builder()
          break
        case TIME_TYPE:
          builder = Time.builder()
          break
        case TIMESTAMP_TYPE:
          builder = Timestamp.builder()
          break
        default: {
          const unwrapped = this.options.wrapperForNullables ? WRAPPERS[typeName] : undefined
          if (unwrapped !== undefined) builder = unwrapped()
          else if (f.repeated && isMapEntry(resolved))
            builder = SchemaBuilder.map(
              this.#fieldSchema(ctx, resolved.fields.key as protobuf.Field, false),
              this.#fieldSchema(ctx, resolved.fields.value as protobuf.Field, false),
            ).name(toMapField(this.options.enhancedSchemaSupport ? typeName : resolved.name))
          else builder = this.#messageSchema(ctx, resolved, null, false)
        }
      }
      builder.optional()
    } else {
      builder = scalarBuilder(f, fieldMetaParams(f))
    }
    if (f.repeated && builder.type !== 'MAP') {
      builder = SchemaBuilder.array(builder.optional().build()).optional()
    }
    if (oneofMember) {
      builder.optional()
      if (this.options.wrapperForNullables && resolved instanceof protobuf.Type && WRAPPERS[fullName(resolved)])
        builder.parameter(PROTOBUF_TYPE_WRAPPER, 'true')
    } else if (this.options.optionalForNullables) {
      if (this.#hasOptionalKeyword(f)) builder.optional()
    } else if (!this.options.wrapperForNullables) {
      builder.optional()
    }
    builder.parameter(PROTOBUF_TYPE_TAG, String(f.id))
    return builder.build()
  }

  #hasOptionalKeyword(f: protobuf.Field): boolean {
    if (isProto3Optional(f)) return true
    return !isProto3(f.parent as protobuf.Type) && f.optional && !f.repeated && f.partOf === null
  }

  // ---------------------------------------------------------------- Protobuf message → Connect value

  /** The Connect value of `message` (decoded as `type`) under `schema` (`toConnectSchema(type)`). */
  toConnectData(type: protobuf.Type, schema: Schema, message: protobuf.Message): unknown {
    if (schema.type !== 'STRUCT')
      return this.#value(schema, null, (message as unknown as Record<string, unknown>).value)
    return this.#struct(type, schema, message as unknown as Record<string, unknown>)
  }

  #struct(type: protobuf.Type, schema: Schema, message: Record<string, unknown>): Struct {
    const struct = new Struct(schema)
    let oneofIndex = 0
    for (const oneof of type.oneofsArray) {
      if (isSynthetic(oneof)) continue
      const setName = oneof.fieldsArray.find((f) => Object.hasOwn(message, f.name) && message[f.name] !== null)
      if (setName !== undefined) {
        const value = message[setName.name]
        if (this.options.flattenUnions) {
          const field = schema.field(setName.name) as Field
          struct.put(field, this.#value(field.schema, setName, value))
        } else {
          const unionField = schema.field(this.#unionFieldName(oneof, oneofIndex)) as Field
          const union = new Struct(unionField.schema)
          const member = unionField.schema.field(setName.name) as Field
          union.put(member, this.#value(member.schema, setName, value))
          struct.put(unionField, union)
        }
      }
      oneofIndex++
    }
    for (const f of type.fieldsArray) {
      if (f.partOf !== null && !isSynthetic(f.partOf)) continue
      const field = schema.field(f.name) as Field
      const isMessage = f.resolvedType instanceof protobuf.Type && !(f instanceof protobuf.MapField)
      const has = Object.hasOwn(message, f.name) && message[f.name] !== null
      const primitiveOrRepeated = !isMessage || f.repeated || f instanceof protobuf.MapField
      const optional = isProto3Optional(f) || (this.options.optionalForProto2 && this.#hasOptionalKeyword(f))
      if ((primitiveOrRepeated && !optional) || this.options.generateStructForNulls || has) {
        let value = message[f.name]
        if ((value === null || value === undefined) && isMessage && !f.repeated)
          value = (f.resolvedType as protobuf.Type).create({})
        const converted = this.#value(field.schema, f, value)
        if (converted !== null && converted !== undefined) struct.put(field, converted)
      }
    }
    return struct
  }

  #value(schema: Schema, f: protobuf.Field | null, value: unknown): unknown {
    if (value === null || value === undefined) return null
    switch (schema.name) {
      case Decimal.LOGICAL_NAME: {
        const m = value as { value?: Uint8Array; precision?: number; scale?: number }
        const bytes = m.value ?? new Uint8Array(0)
        const unscaled = bytes.length === 0 ? 0n : bytesToBigInt(bytes)
        let decimal = new BigDecimal(unscaled, m.scale ?? 0)
        const precision = m.precision ?? 0
        if (precision > 0 && decimal.precision() > precision)
          decimal = decimal.setScale(decimal.scale - (decimal.precision() - precision), 'HALF_UP')
        return decimal
      }
      case ConnectDate.LOGICAL_NAME: {
        const m = value as { year?: number; month?: number; day?: number }
        const date = new Date(Date.UTC(m.year ?? 0, (m.month ?? 0) - 1, m.day ?? 0))
        if (m.year !== undefined && m.year >= 0 && m.year < 100) date.setUTCFullYear(m.year)
        if (date.getUTCDate() !== (m.day ?? 0) || date.getUTCMonth() !== (m.month ?? 0) - 1)
          throw new DataException(`Invalid google.type.Date ${m.year}-${m.month}-${m.day}`)
        return date
      }
      case Time.LOGICAL_NAME: {
        const m = value as { hours?: number; minutes?: number; seconds?: number; nanos?: number }
        const millis =
          ((m.hours ?? 0) * 3600 + (m.minutes ?? 0) * 60 + (m.seconds ?? 0)) * 1000 + Math.floor((m.nanos ?? 0) / 1e6)
        return new Date(millis)
      }
      case Timestamp.LOGICAL_NAME: {
        const m = value as { seconds?: unknown; nanos?: number }
        const seconds = Number(toBigInt(m.seconds ?? 0))
        return new Date(seconds * 1000 + Math.floor((m.nanos ?? 0) / 1e6))
      }
    }
    if (isWrapperMessage(value)) value = (value as { value?: unknown }).value ?? wrapperDefault(schema)
    switch (schema.type) {
      case 'INT8':
        return (Number(value) << 24) >> 24
      case 'INT16':
        return (Number(value) << 16) >> 16
      case 'INT32':
        return Number(value) | 0
      case 'INT64': {
        let v = toBigInt(value)
        if (f !== null && (f.type === 'uint32' || f.type === 'fixed32')) v = BigInt.asUintN(32, v)
        else v = BigInt.asIntN(64, v)
        return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
      }
      case 'FLOAT32':
      case 'FLOAT64':
        return Number(value)
      case 'BOOLEAN':
        return Boolean(value)
      case 'STRING':
        if (typeof value === 'number' && f !== null && f.resolvedType instanceof protobuf.Enum)
          return f.resolvedType.valuesById[value] ?? String(value)
        return String(value)
      case 'BYTES':
        return Uint8Array.from(value as Uint8Array)
      case 'ARRAY': {
        const elem = schema.valueSchema() as Schema
        return (value as unknown[]).map((v) => this.#value(elem, f, v))
      }
      case 'MAP': {
        const keySchema = schema.keySchema() as Schema
        const valueSchema = schema.valueSchema() as Schema
        const out = new Map<unknown, unknown>()
        if (f instanceof protobuf.MapField) {
          const keyField = new protobuf.Field('key', 1, f.keyType)
          const valueField = new protobuf.Field('value', 2, f.type)
          valueField.resolvedType = f.resolvedType
          for (const [k, v] of Object.entries(value as Record<string, unknown>))
            out.set(this.#value(keySchema, keyField, mapKey(f.keyType, k)), this.#value(valueSchema, valueField, v))
          return out
        }
        const entryType = f?.resolvedType as protobuf.Type
        const keyField = entryType.fields.key as protobuf.Field
        const valueField = entryType.fields.value as protobuf.Field
        for (const entry of value as Record<string, unknown>[]) {
          out.set(
            this.#value(keySchema, keyField, fieldValue(entry, keyField)),
            this.#value(valueSchema, valueField, fieldValue(entry, valueField)),
          )
        }
        return out
      }
      case 'STRUCT':
        return this.#struct(messageType(f as protobuf.Field), schema, value as Record<string, unknown>)
    }
  }
}

// -------------------------------------------------------------------- helpers

function renderMessage(message: MessageText, indent: string): string {
  const inner = `${indent}  `
  let out = `${indent}message ${message.name} {\n`
  for (const line of message.lines) out += `${inner}${line}\n`
  for (const nested of message.nested) out += renderMessage(nested, inner)
  for (const e of message.enums)
    out += `${e
      .split('\n')
      .map((l) => `${inner}${l}`)
      .join('\n')}\n`
  return `${out}${indent}}\n`
}

function rootWrapper(type: Schema['type']): string | null {
  switch (type) {
    case 'INT8':
    case 'INT16':
    case 'INT32':
      return 'google.protobuf.Int32Value'
    case 'INT64':
      return 'google.protobuf.Int64Value'
    case 'FLOAT32':
      return 'google.protobuf.FloatValue'
    case 'FLOAT64':
      return 'google.protobuf.DoubleValue'
    case 'BOOLEAN':
      return 'google.protobuf.BoolValue'
    case 'STRING':
      return 'google.protobuf.StringValue'
    case 'BYTES':
      return 'google.protobuf.BytesValue'
    default:
      return null
  }
}

function isUnionSchema(schema: Schema): boolean {
  return schema.name?.startsWith(PROTOBUF_TYPE_UNION) === true
}

function hasWrapperMarker(schema: Schema): boolean {
  return schema.parameters?.[PROTOBUF_TYPE_WRAPPER] === 'true'
}

function isSynthetic(oneof: protobuf.OneOf): boolean {
  const only = oneof.fieldsArray[0]
  return oneof.fieldsArray.length === 1 && only !== undefined && isProto3Optional(only)
}

function isProto3Optional(f: protobuf.Field): boolean {
  return f.options?.proto3_optional === true
}

/** Whether `type`'s file is proto3 (protobufjs keeps the syntax on the file's top-level types). */
function isProto3(type: protobuf.Type): boolean {
  let top: protobuf.Type = type
  while (top.parent instanceof protobuf.Type) top = top.parent
  return (top as unknown as { _edition?: string | null })._edition === 'proto3'
}

function isMapEntry(type: protobuf.Type): boolean {
  const fields = type.fieldsArray
  return (
    type.name.endsWith(MAP_ENTRY_SUFFIX) &&
    fields.length === 2 &&
    fields[0]?.name === 'key' &&
    fields[1]?.name === 'value' &&
    !fields[0].repeated &&
    !fields[1].repeated
  )
}

function isWrapperMessage(value: unknown): boolean {
  return (
    value instanceof protobuf.Message &&
    WRAPPERS[fullName((value as unknown as { $type: protobuf.Type }).$type)] !== undefined
  )
}

function wrapperDefault(schema: Schema): unknown {
  switch (schema.type) {
    case 'BOOLEAN':
      return false
    case 'STRING':
      return ''
    case 'BYTES':
      return new Uint8Array(0)
    default:
      return 0
  }
}

function messageType(f: protobuf.Field): protobuf.Type {
  if (!(f.resolvedType instanceof protobuf.Type)) throw new DataException(`Field ${f.name} is not a message field`)
  return f.resolvedType
}

function fieldValue(message: Record<string, unknown>, f: protobuf.Field): unknown {
  const v = message[f.name]
  if (v !== null && v !== undefined) return v
  if (f.resolvedType instanceof protobuf.Type) return null
  return f.resolvedType instanceof protobuf.Enum ? 0 : f.defaultValue
}

function scalarBuilder(f: protobuf.Field, params: ReadonlyMap<string, string>): SchemaBuilder {
  switch (f.type) {
    case 'int32':
    case 'sint32':
    case 'sfixed32': {
      const connectType = params.get(CONNECT_TYPE_PROP)
      if (connectType === 'int8') return SchemaBuilder.int8()
      if (connectType === 'int16') return SchemaBuilder.int16()
      const b = SchemaBuilder.int32()
      if (f.type !== 'int32') b.parameter(PROTOBUF_TYPE_PROP, f.type)
      return b
    }
    case 'uint32':
    case 'fixed32':
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64': {
      const b = SchemaBuilder.int64()
      if (f.type !== 'int64') b.parameter(PROTOBUF_TYPE_PROP, f.type)
      return b
    }
    case 'float':
      return SchemaBuilder.float32()
    case 'double':
      return SchemaBuilder.float64()
    case 'bool':
      return SchemaBuilder.bool()
    case 'string':
      return SchemaBuilder.string()
    case 'bytes':
      return SchemaBuilder.bytes()
    default:
      throw new DataException(`Unknown Protobuf field type ${f.type} of field ${f.name}`)
  }
}

/** The `params` of a field's `(confluent.field_meta)` option. */
function fieldMetaParams(f: protobuf.Field): Map<string, string> {
  const out = new Map<string, string>()
  for (const option of f.parsedOptions ?? []) {
    const meta = (option as Record<string, unknown>)['(confluent.field_meta)']
    if (typeof meta !== 'object' || meta === null) continue
    const params = (meta as { params?: unknown }).params
    const list = Array.isArray(params) ? params : params !== undefined ? [params] : []
    for (const entry of list) {
      if (typeof entry !== 'object' || entry === null) continue
      const { key, value } = entry as { key?: unknown; value?: unknown }
      if (key !== undefined) out.set(String(key), String(value ?? ''))
    }
  }
  return out
}

function isDefaultScalar(f: protobuf.Field, value: unknown): boolean {
  if (f.resolvedType instanceof protobuf.Type) return false
  if (value === 0 || value === '' || value === false || value === '0') return true
  return value instanceof Uint8Array && value.length === 0
}

function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number') return BigInt(Math.trunc(value))
  if (typeof value === 'string') return BigInt(value)
  if (value !== null && typeof value === 'object' && 'low' in value && 'high' in value) {
    const long = value as { low: number; high: number }
    return BigInt.asIntN(64, (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0))
  }
  return 0n
}

/** A protobufjs map key (text; 64-bit keys as an 8-character hash) as the key field's value. */
function mapKey(keyType: string, key: string): unknown {
  if (keyType === 'bool') return key === 'true'
  if (keyType === 'string') return key
  if (/^-?\d+$/.test(key)) return BigInt(key)
  const bits = protobuf.util.LongBits.fromHash(key)
  return toBigInt({ low: bits.lo, high: bits.hi })
}

function firstSet(schema: Schema, union: Struct, ignoreDefault: boolean): { field: Field; value: unknown } | null {
  for (const field of schema.fields()) {
    const v = ignoreDefault ? union.getWithoutDefault(field) : union.get(field)
    if (v !== null && v !== undefined) return { field, value: v }
  }
  return null
}

function protoString(s: string): string {
  return JSON.stringify(s)
}

/** Guava's LOWER_UNDERSCORE → UPPER_CAMEL when the name has an underscore, then `Entry`. */
export function toMapEntry(name: string): string {
  return `${name.includes('_') ? upperCamel(name) : name}${MAP_ENTRY_SUFFIX}`
}

/** The Connect name of a map entry message: `MyMapEntry` → `my_map` (Confluent's `toMapField`). */
export function toMapField(name: string): string {
  const parts = name.split('.')
  let last = parts[parts.length - 1] as string
  if (last.endsWith(MAP_ENTRY_SUFFIX)) {
    last = last.slice(0, -MAP_ENTRY_SUFFIX.length)
    last = last.replace(/(?!^)([A-Z])/g, '_$1').toLowerCase()
    parts[parts.length - 1] = last
  }
  return parts.join('.')
}

function upperCamel(name: string): string {
  return name
    .toLowerCase()
    .split('_')
    .map((p) => (p.length > 0 ? (p[0] as string).toUpperCase() + p.slice(1) : p))
    .join('')
}

/** Confluent's `doScrubName`: a Protobuf identifier from any name (URL-encoded, then `_` for what is left). */
export function scrubName(name: string): string {
  if (name === '') return name
  if (/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) return name
  let encoded = ''
  for (const ch of name) {
    if (/[A-Za-z0-9._*-]/.test(ch)) encoded += ch
    else if (ch === ' ') encoded += '+'
    else for (const b of Buffer.from(ch, 'utf8')) encoded += `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }
  if (/^[0-9_]/.test(encoded)) encoded = `x${encoded}`
  return encoded.replace(/[^A-Za-z0-9_]/g, '_')
}
