/**
 * Apache's `org.apache.kafka.connect.transforms.InsertField`: adds fields holding the record's topic, partition,
 * offset (sink records only), timestamp, or a static string. A field name ending in `!` is required, `?` (the
 * default) optional. A null key/value passes through.
 */
import {
  ConfigDef,
  ConfigException,
  type ConnectRecord,
  type Field,
  type Schema,
  SchemaBuilder,
  Schema as Schemas,
  Struct,
  Timestamp,
  type Transformation,
} from '@ferry/api'
import { REPLACE_NULL_WITH_DEFAULT_CONFIG, REPLACE_NULL_WITH_DEFAULT_DOC, simpleConfig } from './util/config.ts'
import { copyMap, mapSet } from './util/maps.ts'
import { newRecordWith, operatingSchema, operatingValue, type Side } from './util/operating.ts'
import { requireMap, requireSinkRecord, requireStruct } from './util/requirements.ts'
import { copySchemaBasics, SchemaCache } from './util/schema-util.ts'

/** What `applyWithSchema` does for one value schema, worked out once. */
interface InsertPlan {
  schema: Schema
  /** The value's fields, and the updated schema's field each goes to. */
  from: readonly Field[]
  to: Field[]
  topic: Field | null
  partition: Field | null
  offset: Field | null
  timestamp: Field | null
  static: Field | null
}

export const INSERT_FIELD_OVERVIEW_DOC =
  'Insert field(s) using attributes from the record metadata or a configured static value.<p/>Use the concrete transformation type designed for the record key (<code>org.apache.kafka.connect.transforms.InsertField$Key</code>) or value (<code>org.apache.kafka.connect.transforms.InsertField$Value</code>).'

const OPTIONALITY_DOC =
  'Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default).'
const TOPIC_FIELD = 'topic.field'
const PARTITION_FIELD = 'partition.field'
const OFFSET_FIELD = 'offset.field'
const TIMESTAMP_FIELD = 'timestamp.field'
const STATIC_FIELD = 'static.field'
const STATIC_VALUE = 'static.value'
const PURPOSE = 'field insertion'
const OPTIONAL_TIMESTAMP_SCHEMA = Timestamp.builder().optional().build()

function stringKey(name: string, documentation: string) {
  return { name, type: 'STRING' as const, defaultValue: null, importance: 'MEDIUM' as const, documentation }
}

export const INSERT_FIELD_CONFIG_DEF: ConfigDef = new ConfigDef()
  .define(stringKey(TOPIC_FIELD, `Field name for Kafka topic. ${OPTIONALITY_DOC}`))
  .define(stringKey(PARTITION_FIELD, `Field name for Kafka partition. ${OPTIONALITY_DOC}`))
  .define(
    stringKey(OFFSET_FIELD, `Field name for Kafka offset - only applicable to sink connectors.<br/>${OPTIONALITY_DOC}`),
  )
  .define(stringKey(TIMESTAMP_FIELD, `Field name for record timestamp. ${OPTIONALITY_DOC}`))
  .define(stringKey(STATIC_FIELD, `Field name for static data field. ${OPTIONALITY_DOC}`))
  .define(stringKey(STATIC_VALUE, 'Static field value, if field name configured.'))
  .define({
    name: REPLACE_NULL_WITH_DEFAULT_CONFIG,
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'MEDIUM',
    documentation: REPLACE_NULL_WITH_DEFAULT_DOC,
  })

interface InsertionSpec {
  readonly name: string
  readonly optional: boolean
}

function parseSpec(spec: string | null): InsertionSpec | null {
  if (spec == null) return null
  if (spec.endsWith('?')) return { name: spec.substring(0, spec.length - 1), optional: true }
  if (spec.endsWith('!')) return { name: spec.substring(0, spec.length - 1), optional: false }
  return { name: spec, optional: true }
}

/** Java's `Object.toString()` of an InsertionSpec (it has none): a class name and a hash. */
function specToString(spec: InsertionSpec): string {
  let h = 0
  for (let i = 0; i < spec.name.length; i++) h = (Math.imul(h, 31) + spec.name.charCodeAt(i)) | 0
  return `org.apache.kafka.connect.transforms.InsertField$InsertionSpec@${(h >>> 0).toString(16)}`
}

/** The shared implementation; use `InsertFieldKey` or `InsertFieldValue`. */
export abstract class InsertField<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = INSERT_FIELD_OVERVIEW_DOC
  static readonly CONFIG_DEF = INSERT_FIELD_CONFIG_DEF

  protected abstract readonly side: Side
  private topicField: InsertionSpec | null = null
  private partitionField: InsertionSpec | null = null
  private offsetField: InsertionSpec | null = null
  private timestampField: InsertionSpec | null = null
  private staticField: InsertionSpec | null = null
  private staticValue: string | null = null
  private replaceNullWithDefault = true
  private schemaUpdateCache = new SchemaCache<InsertPlan>()

  configure(props: Record<string, unknown>): void {
    const config = simpleConfig(INSERT_FIELD_CONFIG_DEF, props)
    this.topicField = parseSpec(config.getString(TOPIC_FIELD))
    this.partitionField = parseSpec(config.getString(PARTITION_FIELD))
    this.offsetField = parseSpec(config.getString(OFFSET_FIELD))
    this.timestampField = parseSpec(config.getString(TIMESTAMP_FIELD))
    this.staticField = parseSpec(config.getString(STATIC_FIELD))
    this.staticValue = config.getString(STATIC_VALUE)
    this.replaceNullWithDefault = config.getBoolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)!
    if (
      this.topicField === null &&
      this.partitionField === null &&
      this.offsetField === null &&
      this.timestampField === null &&
      this.staticField === null
    ) {
      throw new ConfigException('No field insertion configured')
    }
    if (this.staticField !== null && this.staticValue === null) {
      throw new ConfigException(
        STATIC_VALUE,
        null,
        `No value specified for static field: ${specToString(this.staticField)}`,
      )
    }
    this.schemaUpdateCache = new SchemaCache<InsertPlan>()
  }

  apply(record: R): R {
    if (operatingValue(record, this.side) == null) return record
    if (operatingSchema(record, this.side) == null) return this.applySchemaless(record)
    return this.applyWithSchema(record)
  }

  config(): ConfigDef {
    return INSERT_FIELD_CONFIG_DEF
  }

  close(): void {
    this.schemaUpdateCache = new SchemaCache<InsertPlan>()
  }

  private applySchemaless(record: R): R {
    const value = requireMap(operatingValue(record, this.side), PURPOSE)
    const updated = copyMap(value)
    if (this.topicField !== null) mapSet(updated, this.topicField.name, record.topic)
    if (this.partitionField !== null && record.kafkaPartition != null) {
      mapSet(updated, this.partitionField.name, record.kafkaPartition)
    }
    if (this.offsetField !== null) {
      mapSet(updated, this.offsetField.name, requireSinkRecord(record, PURPOSE).kafkaOffset)
    }
    if (this.timestampField !== null && record.timestamp != null) {
      mapSet(updated, this.timestampField.name, record.timestamp)
    }
    if (this.staticField !== null && this.staticValue !== null) mapSet(updated, this.staticField.name, this.staticValue)
    return newRecordWith(record, this.side, null, updated)
  }

  private applyWithSchema(record: R): R {
    const value = requireStruct(operatingValue(record, this.side), PURPOSE)
    let plan = this.schemaUpdateCache.get(value.schema)
    if (plan === undefined) {
      plan = this.makePlan(value.schema)
      this.schemaUpdateCache.put(value.schema, plan)
    }
    const updated = new Struct(plan.schema)
    // Fields by object rather than by name: the same puts (and validation) without a name lookup each.
    const { from, to } = plan
    for (let i = 0; i < from.length; i++) {
      updated.put(to[i]!, this.replaceNullWithDefault ? value.get(from[i]!) : value.getWithoutDefault(from[i]!))
    }
    if (plan.topic !== null) updated.put(plan.topic, record.topic)
    if (plan.partition !== null && record.kafkaPartition != null) {
      updated.put(plan.partition, record.kafkaPartition)
    }
    if (plan.offset !== null) {
      updated.put(plan.offset, requireSinkRecord(record, PURPOSE).kafkaOffset)
    }
    if (plan.timestamp !== null && record.timestamp != null) {
      updated.put(plan.timestamp, new Date(record.timestamp))
    }
    if (plan.static !== null && this.staticValue !== null) updated.put(plan.static, this.staticValue)
    return newRecordWith(record, this.side, plan.schema, updated)
  }

  /** The updated schema and, for each put, the field it goes to (the value fields keep their order). */
  private makePlan(schema: Schema): InsertPlan {
    const updated = this.makeUpdatedSchema(schema)
    const field = (spec: { name: string } | null): Field | null =>
      spec === null ? null : (updated.field(spec.name) ?? null)
    const from = schema.fields()
    return {
      schema: updated,
      from,
      to: from.map((f) => updated.field(f.name)!),
      topic: field(this.topicField),
      partition: field(this.partitionField),
      offset: field(this.offsetField),
      timestamp: field(this.timestampField),
      static: field(this.staticField),
    }
  }

  private makeUpdatedSchema(schema: Schema): Schema {
    const builder = copySchemaBasics(schema, SchemaBuilder.struct())
    for (const field of schema.fields()) builder.field(field.name, field.schema)
    if (this.topicField !== null) {
      builder.field(
        this.topicField.name,
        this.topicField.optional ? Schemas.OPTIONAL_STRING_SCHEMA : Schemas.STRING_SCHEMA,
      )
    }
    if (this.partitionField !== null) {
      builder.field(
        this.partitionField.name,
        this.partitionField.optional ? Schemas.OPTIONAL_INT32_SCHEMA : Schemas.INT32_SCHEMA,
      )
    }
    if (this.offsetField !== null) {
      builder.field(
        this.offsetField.name,
        this.offsetField.optional ? Schemas.OPTIONAL_INT64_SCHEMA : Schemas.INT64_SCHEMA,
      )
    }
    if (this.timestampField !== null) {
      builder.field(
        this.timestampField.name,
        this.timestampField.optional ? OPTIONAL_TIMESTAMP_SCHEMA : Timestamp.SCHEMA,
      )
    }
    if (this.staticField !== null) {
      builder.field(
        this.staticField.name,
        this.staticField.optional ? Schemas.OPTIONAL_STRING_SCHEMA : Schemas.STRING_SCHEMA,
      )
    }
    return builder.build()
  }
}

/** `org.apache.kafka.connect.transforms.InsertField$Key`. */
export class InsertFieldKey<R extends ConnectRecord = ConnectRecord> extends InsertField<R> {
  protected readonly side = 'key'
}

/** `org.apache.kafka.connect.transforms.InsertField$Value`. */
export class InsertFieldValue<R extends ConnectRecord = ConnectRecord> extends InsertField<R> {
  protected readonly side = 'value'
}
