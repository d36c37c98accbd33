/**
 * PostgresConnector's keys: Debezium's names, defaults and documentation (PostgresConnectorConfig and
 * CommonConnectorConfig), limited to what Ferry honours. A Debezium key Ferry does not implement, or a value of one it
 * does not support, is refused at start naming the key (`refuseUnsupported`), never silently ignored.
 */
import { readFileSync } from 'node:fs'
import { ConfigDef, ConfigException, type Password, Range, ValidString } from '@ferry/api'
import type pg from 'pg'
import {
  type BinaryHandlingMode,
  type DecimalHandlingMode,
  type IntervalHandlingMode,
  SESSION_OPTIONS,
  type TimePrecisionMode,
  type TypeSettings,
} from './types.ts'

export type SnapshotMode = 'initial' | 'initial_only' | 'no_data' | 'when_needed' | 'always'
export type AutocreateMode = 'all_tables' | 'filtered' | 'disabled' | 'no_tables'
export type Operation = 'c' | 'u' | 'd' | 't'

const SNAPSHOT_MODES = ['initial', 'initial_only', 'no_data', 'never', 'when_needed', 'always']

export const CONFIG_DEF: ConfigDef = new ConfigDef()
  .define({
    name: 'topic.prefix',
    type: 'STRING',
    importance: 'HIGH',
    group: 'Connector',
    documentation:
      'Topic prefix that identifies and provides a namespace for the particular database server/cluster that is capturing changes. The topic prefix should be unique across all other connectors, since it is used as a prefix for all Kafka topic names that receive events emitted by this connector. Only alphanumeric characters, hyphens, dots and underscores must be accepted.',
  })
  .define({
    name: 'database.hostname',
    type: 'STRING',
    importance: 'HIGH',
    group: 'Connection',
    documentation: 'Resolvable hostname or IP address of the database server.',
  })
  .define({
    name: 'database.port',
    type: 'INT',
    defaultValue: 5432,
    validator: Range.between(1, 65535),
    importance: 'HIGH',
    group: 'Connection',
    documentation: 'Port of the database server.',
  })
  .define({
    name: 'database.user',
    type: 'STRING',
    importance: 'HIGH',
    group: 'Connection',
    documentation: 'Name of the database user to be used when connecting to the database.',
  })
  .define({
    name: 'database.password',
    type: 'PASSWORD',
    defaultValue: null,
    importance: 'HIGH',
    group: 'Connection',
    documentation: 'Password of the database user to be used when connecting to the database.',
  })
  .define({
    name: 'database.dbname',
    type: 'STRING',
    importance: 'HIGH',
    group: 'Connection',
    documentation: 'The name of the database from which the connector should capture changes',
  })
  .define({
    name: 'database.sslmode',
    type: 'STRING',
    defaultValue: 'prefer',
    validator: ValidString.in('disable', 'prefer', 'require', 'verify-ca', 'verify-full'),
    importance: 'MEDIUM',
    group: 'Connection',
    documentation:
      "Whether to use an encrypted connection to Postgres. Options include: 'disable' to use an unencrypted connection; 'prefer' (the default) to try an encrypted connection first and fall back to unencrypted if the server refuses; 'require' to use a secure (encrypted) connection, and fail if one cannot be established; 'verify-ca' like 'require' but additionally verify the server TLS certificate against the configured Certificate Authority (CA) certificates, or fail if no valid matching CA certificates are found; or 'verify-full' like 'verify-ca' but additionally verify that the server certificate matches the host to which the connection is attempted.",
  })
  .define({
    name: 'database.sslrootcert',
    type: 'STRING',
    defaultValue: null,
    importance: 'MEDIUM',
    group: 'Connection',
    documentation: 'File containing the root certificate(s) against which the server is validated.',
  })
  .define({
    name: 'database.initial.statements',
    type: 'STRING',
    defaultValue: null,
    importance: 'LOW',
    group: 'Connection',
    documentation:
      "A semicolon separated list of SQL statements to be executed when a JDBC connection to the database is established. Use doubled semicolon (';;') to use a semicolon as a character and not as a delimiter.",
  })
  .define({
    name: 'plugin.name',
    type: 'STRING',
    defaultValue: 'pgoutput',
    validator: ValidString.in('pgoutput'),
    importance: 'MEDIUM',
    group: 'Replication',
    documentation:
      "The name of the Postgres logical decoding plugin installed on the server. Ferry supports 'pgoutput', the plugin built into PostgreSQL 10+ (Debezium's 'decoderbufs' is not supported).",
  })
  .define({
    name: 'slot.name',
    type: 'STRING',
    defaultValue: 'debezium',
    importance: 'MEDIUM',
    group: 'Replication',
    documentation:
      "The name of the Postgres logical decoding slot created for streaming changes from a plugin. Defaults to 'debezium'",
  })
  .define({
    name: 'slot.drop.on.stop',
    type: 'BOOLEAN',
    defaultValue: false,
    importance: 'MEDIUM',
    group: 'Replication',
    documentation:
      'Whether or not to drop the logical replication slot when the connector finishes orderly. By default the replication is kept so that on restart progress can resume from the last recorded location',
  })
  .define({
    name: 'publication.name',
    type: 'STRING',
    defaultValue: 'dbz_publication',
    importance: 'MEDIUM',
    group: 'Replication',
    documentation:
      "The name of the Postgres 10+ publication used for streaming changes from a plugin. Defaults to 'dbz_publication'",
  })
  .define({
    name: 'publication.autocreate.mode',
    type: 'STRING',
    defaultValue: 'all_tables',
    validator: ValidString.in('all_tables', 'filtered', 'disabled', 'no_tables'),
    importance: 'MEDIUM',
    group: 'Replication',
    documentation:
      "Applies only when streaming changes using pgoutput. Determine how creation of a publication should work, the default is all_tables. DISABLED - The connector will not attempt to create a publication at all. The expectation is that the user has created the publication up-front. If the publication isn't found to exist upon startup, the connector will throw an exception and stop. ALL_TABLES - If no publication exists, the connector will create a new publication for all tables. Note this requires that the configured user has access. If the publication already exists, it will be used. i.e CREATE PUBLICATION <publication_name> FOR ALL TABLES; FILTERED - If no publication exists, the connector will create a new publication for all those tables matching the current filter configuration (see table/database include/exclude list properties). If the publication already exists, it will be used. i.e CREATE PUBLICATION <publication_name> FOR TABLE <tbl1, tbl2, etc>; NO_TABLES - If no publication exists, the connector will create a new publication without any tables.",
  })
  .define({
    name: 'status.update.interval.ms',
    type: 'INT',
    defaultValue: 10000,
    validator: Range.atLeast(1),
    importance: 'MEDIUM',
    group: 'Replication',
    documentation: 'Frequency for sending replication connection status updates to the server, given in milliseconds.',
  })
  .define({
    name: 'schema.include.list',
    type: 'LIST',
    defaultValue: '',
    importance: 'HIGH',
    group: 'Filters',
    documentation: 'The schemas for which events should be captured (regular expressions matching whole schema names).',
  })
  .define({
    name: 'schema.exclude.list',
    type: 'LIST',
    defaultValue: '',
    importance: 'MEDIUM',
    group: 'Filters',
    documentation:
      'The schemas for which events must not be captured (regular expressions matching whole schema names).',
  })
  .define({
    name: 'table.include.list',
    type: 'LIST',
    defaultValue: '',
    importance: 'HIGH',
    group: 'Filters',
    documentation:
      'The tables for which changes are to be captured (regular expressions matching whole `schema.table` names).',
  })
  .define({
    name: 'table.exclude.list',
    type: 'LIST',
    defaultValue: '',
    importance: 'MEDIUM',
    group: 'Filters',
    documentation:
      'A comma-separated list of regular expressions that match the fully-qualified names of tables to be excluded from monitoring',
  })
  .define({
    name: 'column.include.list',
    type: 'LIST',
    defaultValue: '',
    importance: 'MEDIUM',
    group: 'Filters',
    documentation: 'Regular expressions matching columns to include in change events (`schema.table.column`).',
  })
  .define({
    name: 'column.exclude.list',
    type: 'LIST',
    defaultValue: '',
    importance: 'MEDIUM',
    group: 'Filters',
    documentation: 'Regular expressions matching columns to exclude from change events (`schema.table.column`).',
  })
  .define({
    name: 'snapshot.mode',
    type: 'STRING',
    defaultValue: 'initial',
    validator: ValidString.in(...SNAPSHOT_MODES),
    importance: 'MEDIUM',
    group: 'Snapshot',
    documentation:
      "The criteria for running a snapshot upon startup of the connector. Options include: 'always' to specify that the connector run a snapshot each time it starts up; 'initial' (the default) to specify the connector can run a snapshot only when no offsets are available for the logical server name; 'initial_only' same as 'initial' except the connector should stop after completing the snapshot and before it would normally start emitting changes;'no_data' to specify the connector should never run a snapshot and that upon first startup the connector should read from the last position (LSN) recorded by the server ('never' is its old name); 'when_needed' to specify the connector should run a snapshot upon startup if no offsets are available, or if the recorded offset is no longer available on the server.",
  })
  .define({
    name: 'snapshot.fetch.size',
    type: 'INT',
    defaultValue: 10240,
    validator: Range.atLeast(1),
    importance: 'MEDIUM',
    group: 'Snapshot',
    documentation: 'The maximum number of records that should be loaded into memory while performing a snapshot.',
  })
  .define({
    name: 'max.batch.size',
    type: 'INT',
    defaultValue: 2048,
    validator: Range.atLeast(1),
    importance: 'MEDIUM',
    group: 'Connector',
    documentation: 'Maximum size of each batch of source records. Defaults to 2048.',
  })
  .define({
    name: 'max.queue.size',
    type: 'INT',
    defaultValue: 8192,
    validator: Range.atLeast(1),
    importance: 'MEDIUM',
    group: 'Connector',
    documentation:
      'Maximum size of the queue for change events read from the database log but not yet recorded or forwarded. Defaults to 8192, and should always be larger than the maximum batch size.',
  })
  .define({
    name: 'max.queue.size.in.bytes',
    type: 'LONG',
    defaultValue: 0,
    validator: Range.atLeast(0),
    importance: 'MEDIUM',
    group: 'Connector',
    documentation:
      'Maximum size of the queue in bytes for change events read from the database log but not yet recorded or forwarded. Defaults to 0. Mean the feature is not enabled',
  })
  .define({
    name: 'poll.interval.ms',
    type: 'LONG',
    defaultValue: 500,
    validator: Range.atLeast(1),
    importance: 'MEDIUM',
    group: 'Connector',
    documentation:
      'Time to wait for new change events to appear after receiving no events, given in milliseconds. Defaults to 500 ms.',
  })
  .define({
    name: 'heartbeat.interval.ms',
    type: 'INT',
    defaultValue: 0,
    validator: Range.atLeast(0),
    importance: 'MEDIUM',
    group: 'Connector',
    documentation:
      'Length of an interval in milli-seconds in in which the connector periodically sends heartbeat messages to a heartbeat topic. Use 0 to disable heartbeat messages. Disabled by default.',
  })
  .define({
    name: 'topic.heartbeat.prefix',
    type: 'STRING',
    defaultValue: '__debezium-heartbeat',
    importance: 'LOW',
    group: 'Connector',
    documentation:
      'Specify the heartbeat topic name. Defaults to __debezium-heartbeat, the topic being <prefix>.<topic.prefix>.',
  })
  .define({
    name: 'heartbeat.action.query',
    type: 'STRING',
    defaultValue: null,
    importance: 'LOW',
    group: 'Connector',
    documentation:
      'The query executed with every heartbeat, e.g. an insert into a heartbeat table that keeps the slot moving when the captured tables are idle.',
  })
  .define({
    name: 'tombstones.on.delete',
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'MEDIUM',
    group: 'Connector',
    documentation:
      'Whether delete operations should be represented by a delete event and a subsequent tombstone event (true) or only by a delete event (false). Emitting the tombstone event (the default behavior) allows Kafka to completely delete all events pertaining to the given key once the source record got deleted.',
  })
  .define({
    name: 'skipped.operations',
    type: 'LIST',
    defaultValue: 't',
    importance: 'LOW',
    group: 'Connector',
    documentation:
      "The comma-separated list of operations to skip during streaming, defined as: 'c' for inserts/create; 'u' for updates; 'd' for deletes, 't' for truncates, and 'none' to indicate nothing skipped. By default, only truncate operations will be skipped.",
  })
  .define({
    name: 'decimal.handling.mode',
    type: 'STRING',
    defaultValue: 'precise',
    validator: ValidString.in('precise', 'double', 'string'),
    importance: 'MEDIUM',
    group: 'Connector',
    documentation:
      "Specify how DECIMAL and NUMERIC columns should be represented in change events, including: 'precise' (the default) uses java.math.BigDecimal to represent values, which are encoded in the change events using a binary representation and Kafka Connect's 'org.apache.kafka.connect.data.Decimal' type; 'string' uses string to represent values; 'double' represents values using Java's 'double', which may not offer the precision but will be far easier to use in consumers.",
  })
  .define({
    name: 'time.precision.mode',
    type: 'STRING',
    defaultValue: 'adaptive',
    validator: ValidString.in('adaptive', 'adaptive_time_microseconds', 'connect'),
    importance: 'MEDIUM',
    group: 'Connector',
    documentation:
      "Time, date, and timestamps can be represented with different kinds of precisions, including: 'adaptive' (the default) bases the precision of time, date, and timestamp values on the database column's precision; 'adaptive_time_microseconds' like 'adaptive' mode, but TIME fields always use microseconds precision; 'connect' always represents time, date, and timestamp values using Kafka Connect's built-in representations for Time, Date, and Timestamp, which uses millisecond precision regardless of the database columns' precision.",
  })
  .define({
    name: 'interval.handling.mode',
    type: 'STRING',
    defaultValue: 'numeric',
    validator: ValidString.in('numeric', 'string'),
    importance: 'LOW',
    group: 'Connector',
    documentation:
      "Specify how INTERVAL columns should be represented in change events, including: 'string' represents values as an exact ISO formatted string; 'numeric' (default) represents values using the inexact conversion into microseconds",
  })
  .define({
    name: 'binary.handling.mode',
    type: 'STRING',
    defaultValue: 'bytes',
    validator: ValidString.in('bytes', 'base64', 'base64-url-safe', 'hex'),
    importance: 'LOW',
    group: 'Connector',
    documentation:
      "Specify how binary (blob, binary, etc.) columns should be represented in change events, including: 'bytes' represents binary data as byte array (default); 'base64' represents binary data as base64-encoded string; 'base64-url-safe' represents binary data as base64-url-safe-encoded string; 'hex' represents binary data as hex-encoded (base16) string",
  })
  .define({
    name: 'money.fraction.digits',
    type: 'SHORT',
    defaultValue: 2,
    validator: Range.atLeast(0),
    importance: 'LOW',
    group: 'Connector',
    documentation: "Number of fractional digits when money type is converted to 'precise' decimal number.",
  })

/** The typed settings a task and the connector run with. */
export interface Settings {
  topicPrefix: string
  connection: pg.ClientConfig
  sslMode: string
  initialStatements: string[]
  database: string
  slotName: string
  slotDropOnStop: boolean
  publicationName: string
  autocreateMode: AutocreateMode
  statusUpdateIntervalMs: number
  schemaInclude: RegExp[]
  schemaExclude: RegExp[]
  tableInclude: RegExp[]
  tableExclude: RegExp[]
  columnInclude: RegExp[]
  columnExclude: RegExp[]
  snapshotMode: SnapshotMode
  snapshotFetchSize: number
  maxBatchSize: number
  maxQueueSize: number
  /** `max.queue.size.in.bytes`; 0: no bound in bytes. */
  maxQueueSizeInBytes: number
  pollIntervalMs: number
  heartbeatIntervalMs: number
  heartbeatTopic: string
  heartbeatActionQuery: string | null
  tombstonesOnDelete: boolean
  skippedOperations: Set<Operation>
  types: TypeSettings
}

/**
 * Keys that belong to Debezium (its connector, its common config, its engine) rather than to Connect: one that is not
 * defined above is refused. Connect's own keys (name, connector.class, tasks.max, converters, transforms, predicates,
 * errors.*, topic.creation.*, producer.override.*, ...) are left to the worker.
 */
const DEBEZIUM_PREFIXES = [
  'database.',
  'snapshot.',
  'slot.',
  'publication.',
  'table.',
  'column.',
  'schema.',
  'heartbeat.',
  'signal.',
  'incremental.snapshot.',
  'notification.',
  'message.key.',
  'converters',
  'datatype.',
  'event.',
  'field.name.',
  'custom.metric.',
  'streaming.',
  'offset.',
  'read.only',
  'replica.',
  'retriable.',
  'query.',
  'transaction.metadata.',
  'post.processors',
  'openlineage.',
  'lsn.',
  'xmin.',
  'internal.',
  'sourceinfo.',
]
const DEBEZIUM_KEYS = new Set([
  'include.unknown.datatypes',
  'provide.transaction.metadata',
  'hstore.handling.mode',
  'unavailable.value.placeholder',
  'errors.max.retries',
  'include.schema.comments',
  'tombstones.on.delete',
  'topic.naming.strategy',
  'topic.delimiter',
  'topic.cache.size',
  'topic.transaction',
  'flush.lsn.source',
  'publish.via.partition.root',
  'guardrail.collections.max',
  'guardrail.collections.limit.action',
  'extended.headers.enabled',
  'executor.shutdown.timeout.ms',
  'connection.validation.timeout.ms',
])

/** Every Debezium key set in `props` that Ferry does not define, or null. */
export function unsupportedKey(props: Record<string, string>): string | null {
  const defined = new Set(CONFIG_DEF.names())
  for (const key of Object.keys(props).sort()) {
    if (defined.has(key)) continue
    if (key.startsWith('topic.creation.') || key === 'topic.creation.enable') continue
    if (key.startsWith('topic.') || DEBEZIUM_KEYS.has(key) || DEBEZIUM_PREFIXES.some((p) => key.startsWith(p)))
      return key
  }
  return null
}

function regexes(key: string, list: string[]): RegExp[] {
  return list
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      try {
        return new RegExp(`^(?:${s})$`, 'i')
      } catch (e) {
        throw new ConfigException(key, s, `Invalid regular expression: ${(e as Error).message}`)
      }
    })
}

/** `a;b;;c` → ['a', 'b;c']: Debezium's statement list, `;;` standing for a literal semicolon. */
export function splitStatements(text: string | null): string[] {
  if (!text) return []
  return text
    .replace(/;;/g, '\u0000')
    .split(';')
    .map((s) => s.replaceAll('\u0000', ';').trim())
    .filter(Boolean)
}

/** Parses and checks a connector config; `ConfigException` names the first problem. */
export function settings(props: Record<string, string>): Settings {
  const unsupported = unsupportedKey(props)
  if (unsupported)
    throw new ConfigException(
      unsupported,
      props[unsupported],
      "Ferry's PostgreSQL connector does not support this Debezium option (docs/connectors/postgres-cdc.md lists what it supports)",
    )
  const v = CONFIG_DEF.parse(props)
  for (const key of ['topic.prefix', 'database.hostname', 'database.user', 'database.dbname']) {
    if (!v[key] || String(v[key]).trim() === '') throw new ConfigException(key, v[key] ?? null, 'The value is required')
  }
  const topicPrefix = String(v['topic.prefix']).trim()
  if (!/^[A-Za-z0-9._-]+$/.test(topicPrefix))
    throw new ConfigException(
      'topic.prefix',
      topicPrefix,
      'Only alphanumeric characters, hyphens, dots and underscores are allowed',
    )
  const tableInclude = v['table.include.list'] as string[]
  const tableExclude = v['table.exclude.list'] as string[]
  if (tableInclude.length > 0 && tableExclude.length > 0)
    throw new ConfigException('table.exclude.list', tableExclude.join(','), '"table.include.list" is already specified')
  const schemaInclude = v['schema.include.list'] as string[]
  const schemaExclude = v['schema.exclude.list'] as string[]
  if (schemaInclude.length > 0 && schemaExclude.length > 0)
    throw new ConfigException(
      'schema.exclude.list',
      schemaExclude.join(','),
      '"schema.include.list" is already specified',
    )
  const columnInclude = v['column.include.list'] as string[]
  const columnExclude = v['column.exclude.list'] as string[]
  if (columnInclude.length > 0 && columnExclude.length > 0)
    throw new ConfigException(
      'column.exclude.list',
      columnExclude.join(','),
      '"column.include.list" is already specified',
    )
  const skipped = new Set<Operation>()
  for (const op of (v['skipped.operations'] as string[]).map((s) => s.trim()).filter(Boolean)) {
    if (op === 'none') continue
    if (!['c', 'u', 'd', 't'].includes(op))
      throw new ConfigException('skipped.operations', op, "Must be a list of 'c', 'u', 'd', 't' or 'none'")
    skipped.add(op as Operation)
  }
  const maxBatch = v['max.batch.size'] as number
  const maxQueue = v['max.queue.size'] as number
  if (maxQueue <= maxBatch)
    throw new ConfigException('max.queue.size', maxQueue, `Must be larger than the maximum batch size (${maxBatch})`)
  const sslMode = v['database.sslmode'] as string
  const rootCert = v['database.sslrootcert'] as string | null
  const password = v['database.password'] as Password | null
  const mode = v['snapshot.mode'] as string
  return {
    topicPrefix,
    connection: {
      host: String(v['database.hostname']).trim(),
      port: v['database.port'] as number,
      user: String(v['database.user']).trim(),
      password: password?.value() ?? undefined,
      database: String(v['database.dbname']).trim(),
      options: SESSION_OPTIONS,
      application_name: `ferry-postgres-cdc-${topicPrefix}`,
      ssl: sslOptions(sslMode, rootCert),
    },
    sslMode,
    initialStatements: splitStatements(v['database.initial.statements'] as string | null),
    database: String(v['database.dbname']).trim(),
    slotName: String(v['slot.name']).trim(),
    slotDropOnStop: v['slot.drop.on.stop'] as boolean,
    publicationName: String(v['publication.name']).trim(),
    autocreateMode: v['publication.autocreate.mode'] as AutocreateMode,
    statusUpdateIntervalMs: v['status.update.interval.ms'] as number,
    schemaInclude: regexes('schema.include.list', schemaInclude),
    schemaExclude: regexes('schema.exclude.list', schemaExclude),
    tableInclude: regexes('table.include.list', tableInclude),
    tableExclude: regexes('table.exclude.list', tableExclude),
    columnInclude: regexes('column.include.list', columnInclude),
    columnExclude: regexes('column.exclude.list', columnExclude),
    snapshotMode: (mode === 'never' ? 'no_data' : mode) as SnapshotMode,
    snapshotFetchSize: v['snapshot.fetch.size'] as number,
    maxBatchSize: maxBatch,
    maxQueueSize: maxQueue,
    maxQueueSizeInBytes: Number(v['max.queue.size.in.bytes']),
    pollIntervalMs: Number(v['poll.interval.ms']),
    heartbeatIntervalMs: v['heartbeat.interval.ms'] as number,
    heartbeatTopic: `${String(v['topic.heartbeat.prefix']).trim()}.${topicPrefix}`,
    heartbeatActionQuery: (v['heartbeat.action.query'] as string | null)?.trim() || null,
    tombstonesOnDelete: v['tombstones.on.delete'] as boolean,
    skippedOperations: skipped,
    types: {
      decimalHandlingMode: v['decimal.handling.mode'] as DecimalHandlingMode,
      timePrecisionMode: v['time.precision.mode'] as TimePrecisionMode,
      intervalHandlingMode: v['interval.handling.mode'] as IntervalHandlingMode,
      binaryHandlingMode: v['binary.handling.mode'] as BinaryHandlingMode,
      moneyFractionDigits: v['money.fraction.digits'] as number,
    },
  }
}

/** node-postgres' TLS options for a libpq sslmode; `prefer` starts with TLS and `connect()` falls back. */
function sslOptions(mode: string, rootCert: string | null): pg.ClientConfig['ssl'] {
  if (mode === 'disable') return false
  if (mode === 'prefer' || mode === 'require') return { rejectUnauthorized: false }
  const ca = rootCert ? readCa(rootCert) : undefined
  if (mode === 'verify-ca') return { ca, checkServerIdentity: () => undefined }
  return { ca }
}

function readCa(path: string): string {
  // Read lazily at start: a missing file fails the start naming the key.
  try {
    return readFileSync(path, 'utf8')
  } catch (e) {
    throw new ConfigException('database.sslrootcert', path, (e as Error).message)
  }
}

export function isIncluded(s: Settings, schema: string, table: string): boolean {
  if (s.schemaInclude.length > 0 && !s.schemaInclude.some((r) => r.test(schema))) return false
  if (s.schemaExclude.some((r) => r.test(schema))) return false
  const full = `${schema}.${table}`
  if (s.tableInclude.length > 0 && !s.tableInclude.some((r) => r.test(full))) return false
  if (s.tableExclude.some((r) => r.test(full))) return false
  // Debezium never captures its own heartbeat or system schemas.
  return schema !== 'pg_catalog' && schema !== 'information_schema'
}

export function isColumnIncluded(s: Settings, schema: string, table: string, column: string): boolean {
  const full = `${schema}.${table}.${column}`
  if (s.columnInclude.length > 0) return s.columnInclude.some((r) => r.test(full))
  return !s.columnExclude.some((r) => r.test(full))
}
