/**
 * Debezium's change event shape (TableSchemaBuilder, Envelope, PostgresSourceInfoStructMaker in Debezium 3.6):
 *
 * - topic `<topic.prefix>.<schema>.<table>`;
 * - key: struct `<prefix>.<schema>.<table>.Key` of the replica identity (primary key) columns; no key without one;
 * - value: struct `<prefix>.<schema>.<table>.Envelope`, version 2, fields in this order:
 *   `before`, `after` (optional `<...>.Value` structs of the captured columns), `source`
 *   (`io.debezium.connector.postgresql.Source`), `transaction` (optional `event.block`), `op` (c, u, d, r, t),
 *   `ts_ms`, `ts_us`, `ts_ns` (when the connector processed the event);
 * - source fields: version, connector ("postgresql"), name (the topic prefix), ts_ms/ts_us/ts_ns (commit time),
 *   snapshot (io.debezium.data.Enum: true, first, first_in_data_collection, last_in_data_collection, last, false,
 *   incremental), db, sequence (`["<last commit lsn>","<lsn>"]`), schema, table, txId, lsn, xmin, origin, origin_lsn.
 */
import { BigDecimal, type Schema, SchemaBuilder, Struct } from '@ferry/api'
import { isColumnIncluded, type Settings } from './config.ts'
import { type TupleValue, UNCHANGED_TOAST } from './pgoutput.ts'
import { type ColumnType, columnType, type TypeRegistry } from './types.ts'
import { VERSION } from './version.ts'

/** Debezium's stand-in for a TOASTed value an update did not change (`unavailable.value.placeholder`). */
export const UNAVAILABLE_VALUE = '__debezium_unavailable_value'

const SNAPSHOT_VALUES = [
  'true',
  'first',
  'first_in_data_collection',
  'last_in_data_collection',
  'last',
  'false',
  'incremental',
]
export type SnapshotMarker =
  | 'true'
  | 'first'
  | 'first_in_data_collection'
  | 'last_in_data_collection'
  | 'last'
  | 'false'

export const SOURCE_SCHEMA: Schema = SchemaBuilder.struct()
  .name('io.debezium.connector.postgresql.Source')
  .version(1)
  .field('version', SchemaBuilder.string().build())
  .field('connector', SchemaBuilder.string().build())
  .field('name', SchemaBuilder.string().build())
  .field('ts_ms', SchemaBuilder.int64().build())
  .field(
    'snapshot',
    SchemaBuilder.string()
      .name('io.debezium.data.Enum')
      .version(1)
      .parameter('allowed', SNAPSHOT_VALUES.join(','))
      .defaultValue('false')
      .optional()
      .build(),
  )
  .field('db', SchemaBuilder.string().build())
  .field('sequence', SchemaBuilder.string().optional().build())
  .field('ts_us', SchemaBuilder.int64().optional().build())
  .field('ts_ns', SchemaBuilder.int64().optional().build())
  .field('schema', SchemaBuilder.string().build())
  .field('table', SchemaBuilder.string().build())
  .field('txId', SchemaBuilder.int64().optional().build())
  .field('lsn', SchemaBuilder.int64().optional().build())
  .field('xmin', SchemaBuilder.int64().optional().build())
  .field('origin', SchemaBuilder.string().optional().build())
  .field('origin_lsn', SchemaBuilder.int64().optional().build())
  .build()

export const TRANSACTION_SCHEMA: Schema = SchemaBuilder.struct()
  .optional()
  .name('event.block')
  .version(1)
  .field('id', SchemaBuilder.string().build())
  .field('total_order', SchemaBuilder.int64().build())
  .field('data_collection_order', SchemaBuilder.int64().build())
  .build()

/** A column as the stream or the catalog describes it. */
export interface ColumnInfo {
  name: string
  typeOid: number
  typeModifier: number
  /** Part of the primary key (replica identity). */
  key: boolean
  /** NULL allowed (unknown for columns the catalog no longer has: then optional). */
  optional: boolean
  /** The column's DEFAULT as `pg_get_expr` prints it, or null. */
  defaultExpression: string | null
}

interface CapturedColumn {
  /** Position in the tuples the stream sends (all columns of the relation, in order). */
  index: number
  name: string
  type: ColumnType
  /** The field's schema in the struct (key or value) being built. */
  schema: Schema
  /** What a NOT NULL column holds when its value is not sent (a delete's key-only old row): Debezium's fallback. */
  fallback: unknown
}

/** What Debezium's source block needs beyond the table. */
export interface SourcePosition {
  /** Commit (streaming) or snapshot time, µs since the epoch. */
  tsUsec: bigint
  snapshot: SnapshotMarker
  txId: number | null
  lsn: number | null
  lastCommitLsn: number | null
}

/** One captured table: its topic, schemas and how tuples become key and value structs. */
export class TableSchema {
  readonly schema: string
  readonly table: string
  readonly topic: string
  readonly keySchema: Schema | null
  readonly valueSchema: Schema
  readonly envelopeSchema: Schema
  readonly #columns: CapturedColumn[]
  readonly #keyColumns: CapturedColumn[]
  readonly #serverName: string
  readonly #database: string

  constructor(
    settings: Settings,
    registry: TypeRegistry,
    schema: string,
    table: string,
    columns: ColumnInfo[],
    onUnmapped: (column: string, typeOid: number) => void,
  ) {
    this.schema = schema
    this.table = table
    this.#serverName = settings.topicPrefix
    this.#database = settings.database
    const name = `${settings.topicPrefix}.${schema}.${table}`
    this.topic = name
    const value = SchemaBuilder.struct().name(`${name}.Value`)
    const key = SchemaBuilder.struct().name(`${name}.Key`)
    this.#columns = []
    this.#keyColumns = []
    columns.forEach((c, index) => {
      const type = columnType(registry, c.typeOid, c.typeModifier, settings.types)
      if (!type) {
        onUnmapped(c.name, c.typeOid)
        return
      }
      const typeName = registry.get(c.typeOid)
      const withDefault = (b: SchemaBuilder): Schema => {
        const d = c.defaultExpression ? defaultValue(c.defaultExpression, typeName, type, b.build()) : undefined
        if (d !== undefined) b.defaultValue(d)
        return b.build()
      }
      if (c.key) {
        const keyField = withDefault(type.schema())
        this.#keyColumns.push({ index, name: c.name, type, schema: keyField, fallback: fallback(keyField) })
        key.field(c.name, keyField)
      }
      if (!isColumnIncluded(settings, schema, table, c.name)) return
      const builder = type.schema()
      const optional = c.optional && !c.key
      if (optional) builder.optional()
      const field = withDefault(builder)
      this.#columns.push({ index, name: c.name, type, schema: field, fallback: optional ? null : fallback(field) })
      value.field(c.name, field)
    })
    this.valueSchema = value.optional().build()
    this.keySchema = this.#keyColumns.length > 0 ? key.build() : null
    this.envelopeSchema = SchemaBuilder.struct()
      .name(`${name}.Envelope`)
      .version(2)
      .field('before', this.valueSchema)
      .field('after', this.valueSchema)
      .field('source', SOURCE_SCHEMA)
      .field('transaction', TRANSACTION_SCHEMA)
      .field('op', SchemaBuilder.string().build())
      .field('ts_ms', SchemaBuilder.int64().optional().build())
      .field('ts_us', SchemaBuilder.int64().optional().build())
      .field('ts_ns', SchemaBuilder.int64().optional().build())
      .build()
  }

  /** The key struct of a tuple, or null for a table without a primary key. */
  key(tuple: TupleValue[]): Struct | null {
    if (!this.keySchema) return null
    const s = new Struct(this.keySchema)
    for (const c of this.#keyColumns) s.put(c.name, convert(c, tuple[c.index]))
    return s
  }

  /** The value struct of a tuple (`before` or `after`). */
  row(tuple: TupleValue[]): Struct {
    const s = new Struct(this.valueSchema)
    for (const c of this.#columns) s.put(c.name, convert(c, tuple[c.index]))
    return s
  }

  source(p: SourcePosition): Struct {
    const tsMs = p.tsUsec / 1000n
    return new Struct(SOURCE_SCHEMA)
      .put('version', VERSION)
      .put('connector', 'postgresql')
      .put('name', this.#serverName)
      .put('ts_ms', Number(tsMs))
      .put('snapshot', p.snapshot)
      .put('db', this.#database)
      .put(
        'sequence',
        p.lsn === null
          ? null
          : JSON.stringify([p.lastCommitLsn === null ? null : String(p.lastCommitLsn), String(p.lsn)]),
      )
      .put('ts_us', Number(p.tsUsec))
      .put('ts_ns', p.tsUsec * 1000n)
      .put('schema', this.schema)
      .put('table', this.table)
      .put('txId', p.txId)
      .put('lsn', p.lsn)
  }

  /** The envelope of a change: op c/u/d/r with before/after as the operation has them. */
  envelope(op: 'c' | 'u' | 'd' | 'r', before: Struct | null, after: Struct | null, source: Struct): Struct {
    const nowMs = Date.now()
    return new Struct(this.envelopeSchema)
      .put('before', before)
      .put('after', after)
      .put('source', source)
      .put('op', op)
      .put('ts_ms', nowMs)
      .put('ts_us', nowMs * 1000)
      .put('ts_ns', BigInt(nowMs) * 1_000_000n)
  }
}

function convert(c: CapturedColumn, v: TupleValue | undefined): unknown {
  if (v === null || v === undefined) return c.fallback
  if (v === UNCHANGED_TOAST) return unavailable(c)
  return c.type.convert(v, c.schema)
}

/** Debezium puts its placeholder in string, bytes and array columns whose TOASTed value was not sent; null elsewhere. */
function unavailable(c: CapturedColumn): unknown {
  const schema = c.schema
  if (schema.type === 'STRING') return UNAVAILABLE_VALUE
  if (schema.type === 'BYTES' && schema.name === null) return Buffer.from(UNAVAILABLE_VALUE)
  if (schema.type === 'ARRAY' && schema.valueSchema()?.type === 'STRING') return [UNAVAILABLE_VALUE]
  return null
}

/** Debezium's fallback for a NOT NULL column without a value (JdbcValueConverters): its default, else the type's zero. */
function fallback(schema: Schema): unknown {
  if (schema.defaultValue !== null && schema.defaultValue !== undefined) return schema.defaultValue
  if (schema.name === 'org.apache.kafka.connect.data.Decimal')
    return new BigDecimal(0n, Number(schema.parameters?.scale ?? 0))
  if (schema.name === 'io.debezium.data.VariableScaleDecimal')
    return new Struct(schema).put('scale', 0).put('value', Buffer.from([0]))
  if (schema.name === 'io.debezium.time.ZonedTimestamp') return '1970-01-01T00:00:00Z'
  if (schema.name === 'io.debezium.time.ZonedTime') return '00:00:00Z'
  switch (schema.type) {
    case 'BOOLEAN':
      return false
    case 'STRING':
      return ''
    case 'BYTES':
      return Buffer.alloc(0)
    case 'ARRAY':
      return []
    case 'INT8':
    case 'INT16':
    case 'INT32':
    case 'INT64':
    case 'FLOAT32':
    case 'FLOAT64':
      return schema.name === 'org.apache.kafka.connect.data.Date' ||
        schema.name === 'org.apache.kafka.connect.data.Time' ||
        schema.name === 'org.apache.kafka.connect.data.Timestamp'
        ? new Date(0)
        : 0
    default:
      return null
  }
}

const FUNCTION_DEFAULT = /^[(]?[A-Za-z0-9_.]+\((?:.+(?:, ?.+)*)?\)/
const CURRENT_DATE_TIMES = new Set(['current_timestamp', 'current_time', 'current_date', 'localtime', 'localtimestamp'])
/** Debezium's placeholder for a default computed by a function (`nextval(...)`, `now()`), by type. */
const GENERATED: Readonly<Record<string, string>> = {
  bit: '00',
  varbit: '0',
  bool: 'false',
  bpchar: '',
  varchar: '',
  text: '',
  numeric: '0.0',
  float4: '0.0',
  float8: '0.0',
  int2: '0',
  int4: '0',
  int8: '0',
  json: '{}',
  jsonb: '{}',
  xml: '',
  uuid: '00000000-0000-0000-0000-000000000000',
  date: '1970-01-01',
  time: '00:00',
  timestamp: '1970-01-01',
  timestamptz: '1970-01-01',
}

/**
 * A column's schema default from its DEFAULT expression, as Debezium's PostgresDefaultValueConverter reads it: the
 * literal inside the quotes (`'x'::text`), a bare literal (`42`), a placeholder for function defaults; undefined for
 * types it does not handle or values it cannot read.
 */
function defaultValue(
  expression: string,
  type: { name: string; kind: string } | undefined,
  columnType: ColumnType,
  schema: Schema,
): unknown {
  if (!type) return undefined
  const name = type.kind === 'e' ? 'enum' : type.name
  if (!(name in GENERATED) && name !== 'enum') return undefined
  const trimmed = expression.trim()
  let text: string | null
  if (name !== 'enum' && (FUNCTION_DEFAULT.test(trimmed) || CURRENT_DATE_TIMES.has(trimmed.toLowerCase())))
    text = GENERATED[name] as string
  else if (!trimmed.includes("'")) text = trimmed.startsWith('NULL::') ? null : trimmed
  else text = /'(.*?)'/.exec(trimmed)?.[1] ?? null
  if (text === null) return undefined
  try {
    if (name === 'bool') return text === 'true' || text === 't'
    if (name === 'bit' && text.length === 1) return text === '1'
    if (name === 'time' && /^\d\d:\d\d$/.test(text)) text = `${text}:00`
    if ((name === 'timestamp' || name === 'timestamptz') && /^\d+-\d\d-\d\d$/.test(text)) text = `${text} 00:00:00+00`
    if (name === 'timestamp') text = text.replace(/\+00$/, '')
    const value = columnType.convert(text, schema)
    return value instanceof Struct ? undefined : value
  } catch {
    return undefined
  }
}
