/**
 * Confluent's `io.confluent.connect.json.JsonSchemaConverter`: Connect data as JSON text in Confluent's wire format
 * (magic byte, schema id, UTF-8 JSON), schemas as JSON Schemas in a schema registry. The mapping is
 * json-schema-data.ts; registration, lookups, caches and errors are the shared `SchemaRegistryConverter`.
 *
 * `json.fail.invalid.schema=true` validates each payload against its schema, written and read, as Confluent's
 * serializer and deserializer do (with Ajv: draft-07 unless the schema's `$schema` names 2019-09 or 2020-12); it is
 * off by default, as in Confluent.
 *
 * Refused at start, naming the key: `generalized.sum.type.support=true`, `preserve.additional.properties=true`,
 * `ignore.modern.dialects=true`, and the serializer keys for Java classes (`json.value.type`, `json.key.type`,
 * `json.schema.scan.packages`, ...). Schemas with references to other subjects are a DataException when read.
 */

import { createRequire } from 'node:module'
import {
  CaseInsensitiveValidString,
  type ConfigDef,
  ConfigException,
  DataException,
  type Schema,
  type SchemaAndValue,
} from '@ferry/api'
import type { ValidateFunction } from 'ajv'
import { JsonFloat, type JsonNode, type JsonObject, MISSING, parseJson } from '../json/json-reader.ts'
import type { RegistrySchema } from '../schema-registry/schema-registry-client.ts'
import { type SchemaFormat, SchemaRegistryConverter } from '../schema-registry/schema-registry-converter.ts'
import {
  DEFAULT_JSON_SCHEMA_DATA_OPTIONS,
  JsonSchemaData,
  type JsonSchemaDataOptions,
  toPlainJson,
  writeJson,
} from './json-schema-data.ts'

export const FAIL_INVALID_SCHEMA_CONFIG = 'json.fail.invalid.schema'
const OBJECT_ADDITIONAL_PROPERTIES_CONFIG = 'object.additional.properties'
const USE_OPTIONAL_FOR_NON_REQUIRED_CONFIG = 'use.optional.for.nonrequired'
const DECIMAL_FORMAT_CONFIG = 'decimal.format'
const FLATTEN_SINGLETON_UNIONS_CONFIG = 'flatten.singleton.unions'
const IGNORE_DEFAULT_FOR_NULLABLES_CONFIG = 'ignore.default.for.nullables'
/** Boolean keys Confluent has that Ferry implements only at their default (false). */
const FALSE_ONLY = ['generalized.sum.type.support', 'preserve.additional.properties', 'ignore.modern.dialects']

function withJsonSchemaConfig(def: ConfigDef): ConfigDef {
  def
    .define({
      name: FAIL_INVALID_SCHEMA_CONFIG,
      type: 'BOOLEAN',
      defaultValue: false,
      importance: 'MEDIUM',
      documentation: 'Whether to fail serialization if the payload does not match the schema',
    })
    .define({
      name: OBJECT_ADDITIONAL_PROPERTIES_CONFIG,
      type: 'BOOLEAN',
      defaultValue: DEFAULT_JSON_SCHEMA_DATA_OPTIONS.allowAdditionalProperties,
      importance: 'MEDIUM',
      documentation: 'Whether to allow additional properties for object schemas.',
    })
    .define({
      name: USE_OPTIONAL_FOR_NON_REQUIRED_CONFIG,
      type: 'BOOLEAN',
      defaultValue: DEFAULT_JSON_SCHEMA_DATA_OPTIONS.useOptionalForNonRequired,
      importance: 'MEDIUM',
      documentation: 'Whether to set non-required properties to be optional.',
    })
    .define({
      name: DECIMAL_FORMAT_CONFIG,
      type: 'STRING',
      defaultValue: 'BASE64',
      validator: CaseInsensitiveValidString.in('BASE64', 'NUMERIC'),
      importance: 'LOW',
      documentation:
        "Controls which format this converter will serialize decimals in. This value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
    })
    .define({
      name: FLATTEN_SINGLETON_UNIONS_CONFIG,
      type: 'BOOLEAN',
      defaultValue: DEFAULT_JSON_SCHEMA_DATA_OPTIONS.flattenSingletonUnions,
      importance: 'LOW',
      documentation: 'Whether to flatten singleton unions',
    })
    .define({
      name: IGNORE_DEFAULT_FOR_NULLABLES_CONFIG,
      type: 'BOOLEAN',
      defaultValue: false,
      importance: 'MEDIUM',
      documentation: 'Whether to ignore the default for nullable fields when the value is null',
    })
    .define({
      name: 'schemas.cache.config',
      type: 'INT',
      defaultValue: 1000,
      importance: 'LOW',
      documentation: 'Size of the converted schemas cache',
    })
  for (const key of FALSE_ONLY)
    def.define({
      name: key,
      type: 'BOOLEAN',
      defaultValue: false,
      importance: 'LOW',
      documentation: `Confluent's ${key}. Ferry implements false only.`,
    })
  return def
}

/** A JSON Schema as the converter keeps it: its text, its tree, and (once needed) its validator and Connect schemas. */
export class JsonSchemaDocument {
  readonly text: string
  readonly json: JsonNode
  #validator: ValidateFunction | null = null
  readonly connect = new Map<number | null, Schema>()

  constructor(text: string, json: JsonNode) {
    this.text = text
    this.json = json
  }

  /** Throws a DataException when `value` (a plain JSON value) does not match the schema. */
  validate(value: unknown, payloadText: () => string): void {
    this.#validator ??= compile(this.text)
    if (!this.#validator(value)) {
      const errors = (this.#validator.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim())
      throw new DataException(`Validation error in JSON ${payloadText()}, Error report:\n${errors.join('\n')}`)
    }
  }
}

type AjvClass = new (options: object) => { compile(schema: unknown): ValidateFunction }

/** Ajv's classes by dialect, loaded when a converter first validates (Ajv is needed for nothing else). */
let ajvClasses: { draft7: AjvClass; v2019: AjvClass; v2020: AjvClass } | null = null

/** Loads Ajv; a ConfigException naming json.fail.invalid.schema when it cannot be found. */
export function loadAjv(): void {
  if (ajvClasses !== null) return
  const require = createRequire(import.meta.url)
  const load = (id: string): AjvClass => {
    const m = require(id) as { default?: AjvClass } & AjvClass
    return m.default ?? m
  }
  try {
    ajvClasses = { draft7: load('ajv'), v2019: load('ajv/dist/2019'), v2020: load('ajv/dist/2020') }
  } catch (e) {
    throw new ConfigException(
      FAIL_INVALID_SCHEMA_CONFIG,
      true,
      `validating needs the ajv package, which could not be loaded: ${e instanceof Error ? e.message : String(e)}`,
    )
  }
}

function compile(text: string): ValidateFunction {
  loadAjv()
  const classes = ajvClasses as NonNullable<typeof ajvClasses>
  const schema = JSON.parse(text) as Record<string, unknown> | boolean
  const dialect = typeof schema === 'object' && typeof schema.$schema === 'string' ? schema.$schema : ''
  const options = { strict: false, validateFormats: false, logger: false, validateSchema: false }
  const Ajv = dialect.includes('2020-12') ? classes.v2020 : dialect.includes('2019-09') ? classes.v2019 : classes.draft7
  try {
    return new Ajv(options).compile(schema)
  } catch (e) {
    throw new DataException(`Invalid JSON Schema: ${e instanceof Error ? e.message : String(e)}`, e)
  }
}

/** The JSON Schema part of the converter (see `SchemaFormat`). */
export class JsonSchemaFormat implements SchemaFormat<JsonSchemaDocument> {
  readonly schemaType = 'JSON' as const
  readonly displayName = 'JSON Schema'
  readonly data: JsonSchemaData
  readonly validate: boolean
  readonly #fromConnect = new WeakMap<Schema, JsonSchemaDocument>()

  constructor(data: JsonSchemaData, validate: boolean) {
    this.data = data
    this.validate = validate
  }

  fromConnectSchema(schema: Schema | null): JsonSchemaDocument {
    if (schema === null)
      throw new DataException('JsonSchemaConverter needs a Connect schema: schemaless values have no JSON Schema')
    let doc = this.#fromConnect.get(schema)
    if (doc === undefined) {
      const json = this.data.fromConnectSchema(schema)
      doc = new JsonSchemaDocument(writeJson(json), json)
      this.#fromConnect.set(schema, doc)
    }
    return doc
  }

  toRegistrySchema(schema: JsonSchemaDocument): RegistrySchema {
    return { schema: schema.text, schemaType: 'JSON' }
  }

  parse(schema: RegistrySchema, references: ReadonlyMap<string, RegistrySchema>): JsonSchemaDocument {
    if (references.size > 0)
      throw new DataException(
        `The JSON Schema refers to other schemas (${[...references.keys()].join(', ')}): Ferry reads self-contained JSON Schemas only`,
      )
    const json = parseJson(schema.schema, true)
    if (json === MISSING) throw new DataException('Empty JSON Schema')
    return new JsonSchemaDocument(schema.schema, json)
  }

  recordName(schema: JsonSchemaDocument): string | null {
    const title = objectOf(schema.json)?.title
    return typeof title === 'string' ? title : null
  }

  incompatibilities(reader: JsonSchemaDocument, schema: JsonSchemaDocument): string[] {
    if (reader.text === schema.text) return []
    const problems: string[] = []
    const readerProps = propertiesOf(reader.json)
    for (const name of propertiesOf(schema.json)) {
      if (!readerProps.includes(name)) problems.push(`property ${name} is not in the registry's schema`)
    }
    return problems
  }

  serialize(writer: JsonSchemaDocument, schema: Schema | null, value: unknown): Uint8Array | null {
    // A null value of a required schema is its default when it has one, else nothing (a tombstone), as in Confluent.
    const node = this.data.fromConnectData(schema, value)
    if (node === undefined) return null
    const text = writeJson(node)
    if (this.validate) writer.validate(toPlainJson(node), () => text)
    return Buffer.from(text, 'utf8')
  }

  deserialize(writer: JsonSchemaDocument, payload: Buffer, version: number | null): SchemaAndValue {
    const text = payload.toString('utf8')
    let node: JsonNode
    try {
      const parsed = parseJson(text, true)
      node = parsed === MISSING ? null : parsed
    } catch (e) {
      throw new DataException(`Invalid JSON: ${e instanceof Error ? e.message : String(e)}`, e)
    }
    if (this.validate) writer.validate(toPlainJson(node), () => text)
    let schema = writer.connect.get(version)
    if (schema === undefined) {
      schema = this.data.toConnectSchema(writer.json, version)
      writer.connect.set(version, schema)
    }
    return { schema, value: this.data.toConnectData(schema, node) }
  }
}

function objectOf(json: JsonNode | undefined): JsonObject | null {
  return typeof json === 'object' && json !== null && !Array.isArray(json) && !(json instanceof JsonFloat) ? json : null
}

function propertiesOf(json: JsonNode): string[] {
  const props = objectOf(objectOf(json)?.properties)
  return props === null ? [] : Object.keys(props)
}

/** `io.confluent.connect.json.JsonSchemaConverter`: see the module comment. */
export class JsonSchemaConverter extends SchemaRegistryConverter<JsonSchemaDocument> {
  protected readonly converterName = 'JsonSchemaConverter'

  protected formatConfig(def: ConfigDef): ConfigDef {
    return withJsonSchemaConfig(def)
  }

  protected unsupportedKeys(): readonly string[] {
    return [
      'json.fail.unknown.properties',
      'json.validate.before.domain.rules',
      'json.write.dates.iso8601',
      'json.schema.spec.version',
      'json.schema.scan.packages',
      'json.envelope.detection',
      'json.oneof.for.nullables',
      'json.default.property.inclusion',
      'json.indent.output',
      'json.key.type',
      'json.value.type',
      'validation.rules.execution',
    ]
  }

  protected createFormat(values: Readonly<Record<string, unknown>>): JsonSchemaFormat {
    for (const key of FALSE_ONLY)
      if (values[key] === true)
        throw new ConfigException(key, true, "Ferry's JsonSchemaConverter implements false only")
    const options: JsonSchemaDataOptions = {
      allowAdditionalProperties: values[OBJECT_ADDITIONAL_PROPERTIES_CONFIG] as boolean,
      useOptionalForNonRequired: values[USE_OPTIONAL_FOR_NON_REQUIRED_CONFIG] as boolean,
      decimalFormat: (values[DECIMAL_FORMAT_CONFIG] as string).toUpperCase() === 'NUMERIC' ? 'NUMERIC' : 'BASE64',
      flattenSingletonUnions: values[FLATTEN_SINGLETON_UNIONS_CONFIG] as boolean,
      ignoreDefaultForNullables: values[IGNORE_DEFAULT_FOR_NULLABLES_CONFIG] as boolean,
    }
    const validate = values[FAIL_INVALID_SCHEMA_CONFIG] as boolean
    if (validate) loadAjv()
    return new JsonSchemaFormat(new JsonSchemaData(options), validate)
  }
}
