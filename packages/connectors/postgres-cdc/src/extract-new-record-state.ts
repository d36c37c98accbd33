/**
 * Debezium's `io.debezium.transforms.ExtractNewRecordState` (3.x): turns a change event envelope into the row it
 * describes, for sinks that want plain rows.
 *
 * - create/update/read: the value becomes `after` (its `<...>.Value` schema);
 * - delete, per `delete.tombstone.handling.mode`: `tombstone` (default) a record with a null value under the row's
 *   schema, `drop` nothing, `delete-to-tombstone` a tombstone (null value and schema), `rewrite` /
 *   `rewrite-with-tombstone` the `before` row with `__deleted: "true"` (and `"false"` on every other row);
 * - the connector's own tombstones are dropped, except with `rewrite-with-tombstone`; truncates are dropped;
 * - `add.fields` / `add.headers` copy envelope fields (`op`, `ts_ms`, ...), `source` fields (`table`, `lsn`, ...,
 *   or `source.x`) and `transaction` fields (`id`, ...) into the row as `<prefix><field>` (`<prefix><struct>_<field>`
 *   when qualified; `field:newname` renames), optional, with the original's schema;
 * - `route.by.field` sends the record to the topic named by a row field;
 * - records that are not change events (no `.Envelope` schema) pass through.
 */
import {
  ConfigDef,
  ConfigException,
  type ConnectRecord,
  type Field,
  type Schema,
  SchemaBuilder,
  Struct,
  type Transformation,
  ValidString,
} from '@ferry/api'

const DELETE_MODES = ['drop', 'tombstone', 'rewrite', 'rewrite-with-tombstone', 'delete-to-tombstone'] as const
type DeleteMode = (typeof DELETE_MODES)[number]

export const EXTRACT_NEW_RECORD_STATE_CONFIG: ConfigDef = new ConfigDef()
  .define({
    name: 'delete.tombstone.handling.mode',
    type: 'STRING',
    defaultValue: 'tombstone',
    validator: ValidString.in(...DELETE_MODES),
    importance: 'MEDIUM',
    documentation:
      "How to handle delete records. Options are: drop - records are removed, tombstone (the default) - Debezium's delete events are converted to tombstones, rewrite - __deleted field is added to records, rewrite-with-tombstone - __deleted field is added to records and tombstones are kept, delete-to-tombstone - Debezium's delete events are converted to tombstones with a null value schema.",
  })
  .define({
    name: 'route.by.field',
    type: 'STRING',
    defaultValue: '',
    importance: 'LOW',
    documentation: 'The column which determines how the events will be routed, the value will replace the topic name.',
  })
  .define({
    name: 'add.fields.prefix',
    type: 'STRING',
    defaultValue: '__',
    importance: 'LOW',
    documentation: 'Adds this prefix to each field listed.',
  })
  .define({
    name: 'add.fields',
    type: 'STRING',
    defaultValue: '',
    importance: 'LOW',
    documentation:
      "Adds each field listed, prefixed with __ (or __<struct>_ if the struct is specified). Example: 'version,connector,source.ts_ms' would add __version, __connector and __source_ts_ms fields. Optionally one can also map new field name like version:VERSION,connector:CONNECTOR,source.ts_ms:EVENT_TIMESTAMP. Please note that the new field name is case-sensitive.",
  })
  .define({
    name: 'add.headers.prefix',
    type: 'STRING',
    defaultValue: '__',
    importance: 'LOW',
    documentation: 'Adds this prefix listed to each header.',
  })
  .define({
    name: 'add.headers',
    type: 'STRING',
    defaultValue: '',
    importance: 'LOW',
    documentation:
      "Adds each field listed to the header,  __ (or __<struct>_ if the struct is specified). Example: 'version,connector,source.ts_ms' would add __version, __connector and __source_ts_ms fields. Optionally one can also map new field name like version:VERSION,connector:CONNECTOR,source.ts_ms:EVENT_TIMESTAMP. Please note that the new field name is case-sensitive.",
  })
  .define({
    name: 'replace.null.with.default',
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'MEDIUM',
    documentation:
      'Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.',
  })

/** Keys of Debezium's SMT that Ferry does not implement: refused at configure, naming the key. */
const UNSUPPORTED = ['drop.fields.header.name', 'drop.fields.from.key', 'drop.fields.keep.schema.compatible']

const ENVELOPE_FIELDS = new Set(['op', 'ts_ms', 'ts_us', 'ts_ns'])
const TRANSACTION_FIELDS = new Set(['id', 'total_order', 'data_collection_order'])

/** One `add.fields` / `add.headers` entry: where the value lives and the name it gets. */
interface FieldReference {
  /** `source`, `transaction`, or null for the envelope itself. */
  struct: string | null
  field: string
  newField: string
}

function references(prefix: string, list: string): FieldReference[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const parts = entry.split(':')
      if (parts.length > 2) throw new ConfigException(`Unexpected field name: ${entry}`)
      const splits = (parts[0] as string).split('.')
      const field = (splits.length === 1 ? splits[0] : splits[1]) as string
      const struct =
        splits.length === 1
          ? ENVELOPE_FIELDS.has(field)
            ? null
            : TRANSACTION_FIELDS.has(field)
              ? 'transaction'
              : 'source'
          : (splits[0] as string)
      const newField =
        parts.length === 2 ? prefix + parts[1] : prefix + (splits.length === 1 ? field : `${struct}_${field}`)
      return { struct, field, newField }
    })
}

function optionalCopy(schema: Schema): Schema {
  const b = new SchemaBuilder(schema.type)
  if (schema.name !== null) b.name(schema.name)
  if (schema.version !== null) b.version(schema.version)
  if (schema.doc !== null) b.doc(schema.doc)
  if (schema.parameters) b.parameters(schema.parameters)
  if (schema.type === 'STRUCT') for (const f of schema.fields()) b.field(f.name, f.schema)
  if (schema.type === 'ARRAY')
    return SchemaBuilder.array(schema.valueSchema() as Schema)
      .optional()
      .build()
  if (schema.type === 'MAP')
    return SchemaBuilder.map(schema.keySchema() as Schema, schema.valueSchema() as Schema)
      .optional()
      .build()
  return b.optional().build()
}

export class ExtractNewRecordState<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  #mode: DeleteMode = 'tombstone'
  #routeBy = ''
  #fields: FieldReference[] = []
  #headers: FieldReference[] = []
  #replaceNullWithDefault = true
  readonly #schemas = new WeakMap<Schema, Map<Schema, Schema>>()

  configure(configs: Record<string, unknown>): void {
    for (const key of UNSUPPORTED) {
      if (configs[key] !== undefined && configs[key] !== '')
        throw new ConfigException(key, configs[key], "Ferry's ExtractNewRecordState does not support this option")
    }
    const v = EXTRACT_NEW_RECORD_STATE_CONFIG.parse(configs)
    this.#mode = v['delete.tombstone.handling.mode'] as DeleteMode
    this.#routeBy = String(v['route.by.field'] ?? '').trim()
    this.#fields = references(String(v['add.fields.prefix']), String(v['add.fields'] ?? ''))
    this.#headers = references(String(v['add.headers.prefix']), String(v['add.headers'] ?? ''))
    this.#replaceNullWithDefault = v['replace.null.with.default'] as boolean
  }

  apply(record: R): R | null {
    const value = record.value
    const isTombstone = value === null || value === undefined
    const envelope = !isTombstone && isEnvelope(record.valueSchema) && value instanceof Struct ? value : null
    if ((envelope || isTombstone) && this.#headers.length > 0) {
      record = record.newRecord(
        record.topic,
        record.kafkaPartition,
        record.keySchema,
        record.key,
        record.valueSchema,
        record.value,
        record.timestamp,
      )
      for (const ref of this.#headers) {
        if (!envelope) {
          if (ref.struct === null && ref.field === 'op') record.headers.addString(ref.newField, 'd')
          continue
        }
        const schema = this.#referenceSchema(ref, envelope.schema)
        if (schema) record.headers.add(ref.newField, this.#referenceValue(ref, envelope), schema)
      }
    }
    if (isTombstone) return this.#mode === 'rewrite-with-tombstone' ? record : null
    if (!envelope) return record

    const after = this.#get(envelope, 'after') as Struct | null
    const before = this.#get(envelope, 'before') as Struct | null
    const rowSchema = envelope.schema.field('after')?.schema as Schema
    if (after === null && before === null) return null // truncate
    let row: Struct | null
    let schema: Schema | null = rowSchema
    let deleted: 'true' | 'false' | null = null
    if (after === null) {
      switch (this.#mode) {
        case 'drop':
          return null
        case 'tombstone':
          row = null
          break
        case 'delete-to-tombstone':
          row = null
          schema = null
          break
        default:
          row = before
          deleted = 'true'
      }
    } else {
      row = after
      if (this.#mode === 'rewrite' || this.#mode === 'rewrite-with-tombstone') deleted = 'false'
    }
    if (row !== null && (deleted !== null || this.#fields.length > 0)) {
      const out = this.#extend(row, deleted, envelope)
      row = out
      schema = out.schema
    }
    let topic = record.topic
    if (this.#routeBy && (row ?? before)) {
      const routed = (row ?? before)?.get(this.#routeBy)
      if (typeof routed === 'string') topic = routed
    }
    return record.newRecord(topic, record.kafkaPartition, record.keySchema, record.key, schema, row, record.timestamp)
  }

  #get(s: Struct, field: string): unknown {
    return this.#replaceNullWithDefault ? s.get(field) : s.getWithoutDefault(field)
  }

  /** The row with `__deleted` (rewrite modes) and the `add.fields`, under a schema cached per row and envelope schema. */
  #extend(row: Struct, deleted: string | null, envelope: Struct): Struct {
    let perEnvelope = this.#schemas.get(row.schema)
    if (!perEnvelope) {
      perEnvelope = new Map()
      this.#schemas.set(row.schema, perEnvelope)
    }
    let schema = perEnvelope.get(envelope.schema)
    if (!schema) {
      const b = SchemaBuilder.struct()
      if (row.schema.name !== null) b.name(row.schema.name)
      if (row.schema.version !== null) b.version(row.schema.version)
      if (row.schema.doc !== null) b.doc(row.schema.doc)
      if (row.schema.isOptional) b.optional()
      for (const f of row.schema.fields()) b.field(f.name, f.schema)
      if (deleted !== null) b.field('__deleted', SchemaBuilder.string().optional().build())
      for (const ref of this.#fields) {
        const s = this.#referenceSchema(ref, envelope.schema)
        if (s && b.field(ref.newField) === null) b.field(ref.newField, s)
      }
      schema = b.build()
      perEnvelope.set(envelope.schema, schema)
    }
    const out = new Struct(schema)
    for (const f of row.schema.fields() as Field[]) out.put(f.name, row.getWithoutDefault(f.name))
    if (deleted !== null) out.put('__deleted', deleted)
    for (const ref of this.#fields) {
      if (schema.field(ref.newField)) out.put(ref.newField, this.#referenceValue(ref, envelope))
    }
    return out
  }

  #referenceSchema(ref: FieldReference, envelopeSchema: Schema): Schema | null {
    const host = ref.struct === null ? envelopeSchema : envelopeSchema.field(ref.struct)?.schema
    const field = host?.field(ref.field) ?? envelopeSchema.field(ref.field)
    return field ? optionalCopy(field.schema) : null
  }

  #referenceValue(ref: FieldReference, envelope: Struct): unknown {
    const host = ref.struct === null ? envelope : (envelope.getWithoutDefault(ref.struct) as Struct | null)
    if (host === null) return null
    return host.schema.field(ref.field) ? host.getWithoutDefault(ref.field) : envelope.getWithoutDefault(ref.field)
  }

  config(): ConfigDef {
    return EXTRACT_NEW_RECORD_STATE_CONFIG
  }

  close(): void {}
}

function isEnvelope(schema: Schema | null): boolean {
  return schema !== null && schema.type === 'STRUCT' && (schema.name ?? '').endsWith('.Envelope')
}
