/**
 * Ferry's `io.ferry.transforms.Map` (alias `Ferry.Map`): a JSONata expression over the record document computes the
 * new value (`target=value`), the new key (`target=key`), or any of the record's key, value, headers, topic, partition
 * and timestamp (`target=record`). Output schemas are declared (`value.schema`, `key.schema`) or inferred from the
 * result when the input side had a schema; a schemaless side stays schemaless. See docs/transforms.md, "The mapping
 * transform".
 */
import {
  type ConfigDef,
  ConfigException,
  type ConfigKeyDefinition,
  type ConnectRecord,
  DataException,
  type Headers,
  type Schema,
  type Transformation,
  ValidString,
} from '@ferry/api'
import { newRecordWith, operatingSchema } from '../util/operating.ts'
import { configure, expressionConfigDef, SchemaJsonValidator } from './config.ts'
import { recordDocument } from './document.ts'
import type { Expression } from './expression.ts'
import { describe, inferSchema, toSchema, toSchemaless } from './result.ts'
import { parseSchemaJson } from './schema-json.ts'

export const MAP_CLASS = 'io.ferry.transforms.Map'

export const MAP_OVERVIEW_DOC =
  'Computes a new value (or key, or any part of the record) with a JSONata expression over the record document {key, value, headers, topic, partition, timestamp}.'

const TARGET_CONFIG = 'target'
const KEY_SCHEMA_CONFIG = 'key.schema'
const VALUE_SCHEMA_CONFIG = 'value.schema'
const TARGETS = ['value', 'key', 'record'] as const
type Target = (typeof TARGETS)[number]
const RECORD_FIELDS = new Set(['key', 'value', 'headers', 'topic', 'partition', 'timestamp'])

function schemaKey(name: string, side: string): ConfigKeyDefinition {
  return {
    name,
    type: 'STRING',
    defaultValue: null,
    validator: SchemaJsonValidator,
    importance: 'MEDIUM',
    documentation: `The schema of the new ${side}, as the "schema" of a JsonConverter envelope ({"type":"struct","fields":[...]}); the result is converted to it. When empty, the schema is inferred from the result if the record's ${side} had one, and the ${side} stays schemaless if it had none.`,
  }
}

export const MAP_CONFIG_DEF: ConfigDef = expressionConfigDef(
  'Its result is the new value, the new key, or an object with any of key, value, headers, topic, partition and timestamp (see target).',
)
  .define({
    name: TARGET_CONFIG,
    type: 'STRING',
    defaultValue: 'value',
    validator: ValidString.in(...TARGETS),
    importance: 'HIGH',
    documentation:
      "What the result is: the new value (value), the new key (key), or an object whose key, value, headers, topic, partition and timestamp fields replace the record's (record; absent fields are kept, headers named are set and the others kept).",
  })
  .define(schemaKey(VALUE_SCHEMA_CONFIG, 'value'))
  .define(schemaKey(KEY_SCHEMA_CONFIG, 'key'))

/** `io.ferry.transforms.Map`. */
export class FerryMap<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = MAP_OVERVIEW_DOC
  static readonly CONFIG_DEF = MAP_CONFIG_DEF

  private expression: Expression | null = null
  private target: Target = 'value'
  private keySchema: Schema | null = null
  private valueSchema: Schema | null = null

  configure(props: Record<string, unknown>): void {
    const { config, expression } = configure(MAP_CLASS, MAP_CONFIG_DEF, props)
    const target = config.getString(TARGET_CONFIG) as Target
    const keySchema = config.getString(KEY_SCHEMA_CONFIG)
    const valueSchema = config.getString(VALUE_SCHEMA_CONFIG)
    if (target === 'value' && keySchema !== null) {
      throw new ConfigException(
        KEY_SCHEMA_CONFIG,
        keySchema,
        'The key is not written with target=value; use target=key or target=record',
      )
    }
    if (target === 'key' && valueSchema !== null) {
      throw new ConfigException(
        VALUE_SCHEMA_CONFIG,
        valueSchema,
        'The value is not written with target=key; use target=value or target=record',
      )
    }
    this.expression = expression
    this.target = target
    this.keySchema = keySchema === null ? null : parseSchemaJson(KEY_SCHEMA_CONFIG, keySchema)
    this.valueSchema = valueSchema === null ? null : parseSchemaJson(VALUE_SCHEMA_CONFIG, valueSchema)
  }

  apply(record: R): R {
    const result = this.expression!.evaluate(recordDocument(record))
    try {
      switch (this.target) {
        case 'value':
        case 'key': {
          const side = this.target
          const declared = side === 'key' ? this.keySchema : this.valueSchema
          const [schema, value] = this.side(side, result, declared, operatingSchema(record, side))
          return newRecordWith(record, side, schema, value)
        }
        case 'record':
          return this.newRecord(record, result)
      }
    } catch (e) {
      if (e instanceof DataException) throw new DataException(`${MAP_CLASS}: ${e.message}`, e)
      throw e
    }
  }

  /** The schema and value of one side of the new record. */
  private side(path: string, result: unknown, declared: Schema | null, input: Schema | null): [Schema | null, unknown] {
    if (declared !== null) return [declared, toSchema(result, declared, path)]
    if (input === null) return [null, toSchemaless(result, path)]
    const schema = inferSchema(result, path)
    return [schema, schema === null ? null : toSchema(result, schema, path)]
  }

  private newRecord(record: R, result: unknown): R {
    if (typeof result !== 'object' || result === null || Array.isArray(result)) {
      throw new DataException(`with target=record the expression must give an object, not ${describe(result)}`)
    }
    const out = result as Record<string, unknown>
    for (const k of Object.keys(out)) {
      if (!RECORD_FIELDS.has(k)) {
        throw new DataException(
          `the record has no field "${k}" to set (with target=record: ${[...RECORD_FIELDS].join(', ')})`,
        )
      }
    }
    const has = (k: string) => Object.hasOwn(out, k)
    const [keySchema, key] = has('key')
      ? this.side('key', out.key, this.keySchema, record.keySchema)
      : [record.keySchema, record.key]
    const [valueSchema, value] = has('value')
      ? this.side('value', out.value, this.valueSchema, record.valueSchema)
      : [record.valueSchema, record.value]
    let topic = record.topic
    if (has('topic')) {
      if (typeof out.topic !== 'string' || out.topic.length === 0) {
        throw new DataException(`topic is ${describe(out.topic)}, where a topic name is needed`)
      }
      topic = out.topic
    }
    let partition = record.kafkaPartition
    if (has('partition')) {
      if (out.partition != null && !(Number.isInteger(out.partition) && (out.partition as number) >= 0)) {
        throw new DataException(`partition is ${describe(out.partition)}, where a partition number or null is needed`)
      }
      partition = (out.partition as number | null | undefined) ?? null
    }
    let timestamp = record.timestamp
    if (has('timestamp')) timestamp = recordTimestamp(out.timestamp)
    const headers = record.headers.duplicate()
    if (has('headers')) setHeaders(headers, out.headers)
    return record.newRecord(topic, partition, keySchema, key, valueSchema, value, timestamp, headers)
  }

  config(): ConfigDef {
    return MAP_CONFIG_DEF
  }

  close(): void {}
}

function recordTimestamp(value: unknown): number | null {
  if (value == null) return null
  const millis = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN
  if (!Number.isSafeInteger(millis) || millis < 0) {
    throw new DataException(
      `timestamp is ${describe(value)}, where milliseconds since the epoch, ISO 8601 text or null is needed`,
    )
  }
  return millis
}

/** Sets each named header (replacing the headers of that name), with a schema inferred from its value. */
function setHeaders(headers: Headers, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DataException(`headers is ${describe(value)}, where an object of header names and values is needed`)
  }
  for (const [name, v] of Object.entries(value)) {
    const path = `headers.${name}`
    const schema = inferSchema(v, path)
    headers.remove(name)
    headers.add(name, schema === null ? null : toSchema(v, schema, path), schema)
  }
}
