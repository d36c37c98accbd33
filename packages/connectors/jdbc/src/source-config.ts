/** JdbcSourceConnector's keys: Confluent's names, defaults and documentation. */
import { ConfigDef, ConfigException, Range, ValidString } from '@ferry/api'
import { connectionSettings, defineConnectionKeys } from './common-config.ts'
import type { ConnectionSettings, NumericMappingOptions } from './db.ts'

export const MODE = 'mode'
export const MODE_BULK = 'bulk'
export const MODE_TIMESTAMP = 'timestamp'
export const MODE_INCREMENTING = 'incrementing'
export const MODE_TIMESTAMP_INCREMENTING = 'timestamp+incrementing'
export type SourceMode = 'bulk' | 'timestamp' | 'incrementing' | 'timestamp+incrementing'

/** The task config key holding the task's tables (JSON array of TableIds); Ferry's own, not Confluent's. */
export const TASK_TABLES = 'ferry.tables'

export const SOURCE_CONFIG_DEF: ConfigDef = defineConnectionKeys(new ConfigDef())
  .define({
    name: 'poll.interval.ms',
    type: 'INT',
    defaultValue: 5000,
    validator: Range.atLeast(0),
    importance: 'HIGH',
    group: 'Connector',
    documentation: 'Frequency in ms to poll for new data in each table.',
  })
  .define({
    name: 'batch.max.rows',
    type: 'INT',
    defaultValue: 1000,
    validator: Range.atLeast(1),
    importance: 'LOW',
    group: 'Connector',
    documentation:
      'Maximum number of rows to include in a single batch when polling for new data. This setting can be used to limit the amount of data buffered internally in the connector.',
  })
  .define({
    name: 'numeric.precision.mapping',
    type: 'BOOLEAN',
    defaultValue: false,
    importance: 'LOW',
    group: 'Database',
    documentation: 'Deprecated: whether to map NUMERIC values by precision to integral types. Use numeric.mapping.',
  })
  .define({
    name: 'numeric.mapping',
    type: 'STRING',
    defaultValue: null,
    validator: {
      ensureValid(name: string, value: unknown) {
        if (
          value !== null &&
          !['none', 'precision_only', 'best_fit', 'best_fit_eager_double'].includes(value as string)
        )
          throw new ConfigException(name, value, 'Invalid enumerator')
      },
      toString: () => '[none, precision_only, best_fit, best_fit_eager_double]',
    },
    importance: 'LOW',
    group: 'Database',
    documentation:
      'Map NUMERIC values by precision and optionally scale to integral or decimal types: none (Connect Decimal), precision_only, best_fit, best_fit_eager_double.',
  })
  .define({
    name: MODE,
    type: 'STRING',
    defaultValue: '',
    validator: ValidString.in('', MODE_BULK, MODE_TIMESTAMP, MODE_INCREMENTING, MODE_TIMESTAMP_INCREMENTING),
    importance: 'HIGH',
    group: 'Mode',
    documentation:
      'The mode for updating a table each time it is polled: bulk, incrementing, timestamp or timestamp+incrementing.',
  })
  .define({
    name: 'incrementing.column.name',
    type: 'STRING',
    defaultValue: '',
    importance: 'MEDIUM',
    group: 'Mode',
    documentation:
      'The name of the strictly incrementing column to use to detect new rows. Any empty value indicates the column should be autodetected by looking for an auto-incrementing column. This column may not be nullable.',
  })
  .define({
    name: 'timestamp.column.name',
    type: 'LIST',
    defaultValue: '',
    importance: 'MEDIUM',
    group: 'Mode',
    documentation:
      'Comma separated list of one or more timestamp columns to detect new or modified rows using the COALESCE SQL function.',
  })
  .define({
    name: 'timestamp.initial',
    type: 'LONG',
    defaultValue: null,
    importance: 'LOW',
    group: 'Mode',
    documentation:
      'The epoch timestamp used for initial queries that use timestamp criteria. Use -1 to use the current time. If not specified, all data will be retrieved.',
  })
  .define({
    name: 'validate.non.null',
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'LOW',
    group: 'Mode',
    documentation:
      "By default, the JDBC connector will validate that all incrementing and timestamp tables have NOT NULL set for the columns being used as their ID/timestamp. If the tables don't, JDBC connector will fail to start. Setting this to false will disable these checks.",
  })
  .define({
    name: 'query',
    type: 'STRING',
    defaultValue: '',
    importance: 'MEDIUM',
    group: 'Mode',
    documentation:
      'If specified, the query to perform to select new or updated rows. The connector appends a WHERE clause for the incremental modes, so the query itself must not have one (or must handle incremental queries itself).',
  })
  .define({
    name: 'query.suffix',
    type: 'STRING',
    defaultValue: '',
    importance: 'LOW',
    group: 'Mode',
    documentation: 'Suffix to append at the end of the generated query.',
  })
  .define({
    name: 'query.retry.attempts',
    type: 'INT',
    defaultValue: -1,
    importance: 'LOW',
    group: 'Mode',
    documentation: 'Number of times to retry SQL exceptions encountered when executing queries (-1: forever).',
  })
  .define({
    name: 'table.poll.interval.ms',
    type: 'LONG',
    defaultValue: 60000,
    validator: Range.atLeast(0),
    importance: 'LOW',
    group: 'Connector',
    documentation:
      'Frequency in ms to poll for new or removed tables, which may result in updated task configurations.',
  })
  .define({
    name: 'table.whitelist',
    type: 'LIST',
    defaultValue: '',
    importance: 'MEDIUM',
    group: 'Database',
    documentation: 'List of tables to include in copying. If specified, table.blacklist may not be set.',
  })
  .define({
    name: 'table.blacklist',
    type: 'LIST',
    defaultValue: '',
    importance: 'MEDIUM',
    group: 'Database',
    documentation: 'List of tables to exclude from copying. If specified, table.whitelist may not be set.',
  })
  .define({
    name: 'table.include.list',
    type: 'LIST',
    defaultValue: '',
    importance: 'MEDIUM',
    group: 'Database',
    documentation:
      'A comma-separated list of regular expressions that match the fully-qualified names of tables to be copied (schema.table on PostgreSQL, database.table on MySQL).',
  })
  .define({
    name: 'table.exclude.list',
    type: 'LIST',
    defaultValue: '',
    importance: 'MEDIUM',
    group: 'Database',
    documentation:
      'A comma-separated list of regular expressions that match the fully-qualified names of tables not to be copied. Requires table.include.list.',
  })
  .define({
    name: 'catalog.pattern',
    type: 'STRING',
    defaultValue: null,
    importance: 'MEDIUM',
    group: 'Database',
    documentation: 'Catalog pattern (SQL LIKE) to fetch table metadata from the database (MySQL: the databases).',
  })
  .define({
    name: 'schema.pattern',
    type: 'STRING',
    defaultValue: null,
    importance: 'MEDIUM',
    group: 'Database',
    documentation: 'Schema pattern (SQL LIKE) to fetch table metadata from the database (PostgreSQL: the schemas).',
  })
  .define({
    name: 'table.types',
    type: 'LIST',
    defaultValue: 'TABLE',
    importance: 'LOW',
    group: 'Database',
    documentation:
      'By default, the JDBC connector will only detect tables with type TABLE. VIEW and PARTITIONED TABLE (PostgreSQL) can be added.',
  })
  .define({
    name: 'topic.prefix',
    type: 'STRING',
    importance: 'HIGH',
    group: 'Connector',
    documentation:
      'Prefix to prepend to table names to generate the name of the Kafka topic to publish data to, or in the case of a custom query, the full name of the topic to publish to.',
  })
  .define({
    name: 'timestamp.delay.interval.ms',
    type: 'LONG',
    defaultValue: 0,
    validator: Range.atLeast(0),
    importance: 'HIGH',
    group: 'Mode',
    documentation:
      'How long to wait after a row with certain timestamp appears before we include it in the result. You may choose to add some delay to allow transactions with earlier timestamp to complete.',
  })

export interface SourceSettings {
  connection: ConnectionSettings
  mode: SourceMode
  incrementingColumn: string
  timestampColumns: string[]
  timestampInitial: number | null
  validateNonNull: boolean
  query: string
  querySuffix: string
  queryRetryAttempts: number
  pollIntervalMs: number
  batchMaxRows: number
  tablePollIntervalMs: number
  whitelist: string[]
  blacklist: string[]
  includeList: string[]
  excludeList: string[]
  catalogPattern: string | null
  schemaPattern: string | null
  tableTypes: string[]
  topicPrefix: string
  timestampDelayMs: number
  numeric: NumericMappingOptions
}

/** Parses and cross-checks the source keys; ConfigException names the key at fault. */
export function sourceSettings(props: Record<string, string>): SourceSettings {
  const v = SOURCE_CONFIG_DEF.parse(props)
  const connection = connectionSettings(v)
  const mode = v[MODE] as string
  if (mode === '') {
    throw new ConfigException(MODE, '', 'Must be one of bulk, timestamp, incrementing, timestamp+incrementing')
  }
  const whitelist = v['table.whitelist'] as string[]
  const blacklist = v['table.blacklist'] as string[]
  const includeList = v['table.include.list'] as string[]
  const excludeList = v['table.exclude.list'] as string[]
  if (whitelist.length > 0 && blacklist.length > 0) {
    throw new ConfigException(
      'table.whitelist',
      whitelist.join(','),
      'table.whitelist and table.blacklist cannot both be set',
    )
  }
  if ((includeList.length > 0 || excludeList.length > 0) && (whitelist.length > 0 || blacklist.length > 0)) {
    throw new ConfigException(
      'table.include.list',
      includeList.join(','),
      'table.include.list and table.exclude.list cannot be used together with table.whitelist or table.blacklist',
    )
  }
  if (excludeList.length > 0 && includeList.length === 0) {
    throw new ConfigException('table.exclude.list', excludeList.join(','), 'requires table.include.list to be set')
  }
  for (const [key, list] of [
    ['table.include.list', includeList],
    ['table.exclude.list', excludeList],
  ] as const) {
    for (const re of list) {
      try {
        new RegExp(re)
      } catch (e) {
        throw new ConfigException(key, re, `Invalid regular expression: ${(e as Error).message}`)
      }
    }
  }
  const timestampColumns = (v['timestamp.column.name'] as string[]).filter(Boolean)
  if ((mode === MODE_TIMESTAMP || mode === MODE_TIMESTAMP_INCREMENTING) && timestampColumns.length === 0) {
    throw new ConfigException('timestamp.column.name', '', `Must be set in mode ${mode}`)
  }
  const query = v.query as string
  const incrementingColumn = v['incrementing.column.name'] as string
  if (query && incrementingColumn === '' && (mode === MODE_INCREMENTING || mode === MODE_TIMESTAMP_INCREMENTING)) {
    throw new ConfigException(
      'incrementing.column.name',
      '',
      `Must be set in mode ${mode} with a custom query (auto-increment columns are only detected for tables)`,
    )
  }
  let numericMapping = v['numeric.mapping'] as SourceSettings['numeric']['numericMapping'] | null
  if (numericMapping === null) numericMapping = v['numeric.precision.mapping'] ? 'precision_only' : 'none'
  const initial = v['timestamp.initial']
  return {
    connection,
    mode: mode as SourceMode,
    incrementingColumn,
    timestampColumns,
    timestampInitial: initial === null ? null : Number(initial),
    validateNonNull: v['validate.non.null'] as boolean,
    query,
    querySuffix: v['query.suffix'] as string,
    queryRetryAttempts: v['query.retry.attempts'] as number,
    pollIntervalMs: v['poll.interval.ms'] as number,
    batchMaxRows: v['batch.max.rows'] as number,
    tablePollIntervalMs: Number(v['table.poll.interval.ms']),
    whitelist,
    blacklist,
    includeList,
    excludeList,
    catalogPattern: (v['catalog.pattern'] as string | null) || null,
    schemaPattern: (v['schema.pattern'] as string | null) || null,
    tableTypes: v['table.types'] as string[],
    topicPrefix: v['topic.prefix'] as string,
    timestampDelayMs: Number(v['timestamp.delay.interval.ms']),
    numeric: { numericMapping, timeZone: connection.timeZone },
  }
}
