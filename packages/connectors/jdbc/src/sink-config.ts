/** JdbcSinkConnector's keys: Confluent's names, defaults and documentation. */
import { ConfigDef, ConfigException, Range, ValidString } from '@ferry/api'
import { connectionSettings, defineConnectionKeys } from './common-config.ts'
import type { ConnectionSettings } from './db.ts'

export type InsertMode = 'insert' | 'upsert' | 'update'
export type PkMode = 'none' | 'kafka' | 'record_key' | 'record_value'

export const DEFAULT_KAFKA_PK_NAMES = ['__connect_topic', '__connect_partition', '__connect_offset']

export const SINK_CONFIG_DEF: ConfigDef = defineConnectionKeys(new ConfigDef())
  .define({
    name: 'insert.mode',
    type: 'STRING',
    defaultValue: 'insert',
    validator: ValidString.in('insert', 'upsert', 'update'),
    importance: 'HIGH',
    group: 'Writes',
    documentation:
      'The insertion mode to use: insert (plain INSERT), upsert (INSERT ... ON CONFLICT on PostgreSQL, INSERT ... ON DUPLICATE KEY UPDATE on MySQL/MariaDB) or update (UPDATE).',
  })
  .define({
    name: 'batch.size',
    type: 'INT',
    defaultValue: 3000,
    validator: Range.atLeast(0),
    importance: 'MEDIUM',
    group: 'Writes',
    documentation:
      'Specifies how many records to attempt to batch together for insertion into the destination table, when possible.',
  })
  .define({
    name: 'delete.enabled',
    type: 'BOOLEAN',
    defaultValue: false,
    importance: 'MEDIUM',
    group: 'Writes',
    documentation: 'Whether to treat null record values as deletes. Requires pk.mode to be record_key.',
  })
  .define({
    name: 'replace.null.with.default',
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'LOW',
    group: 'Writes',
    documentation: 'Whether to replace null values with the field default value.',
  })
  .define({
    name: 'table.name.format',
    type: 'STRING',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Confluent's placeholder, replaced by the sink
    defaultValue: '${topic}',
    importance: 'MEDIUM',
    group: 'Data Mapping',
    documentation:
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Confluent's placeholder, replaced by the sink
      "A format string for the destination table name, which may contain '${topic}' as a placeholder for the originating topic name.",
  })
  .define({
    name: 'pk.mode',
    type: 'STRING',
    defaultValue: 'none',
    validator: ValidString.in('none', 'kafka', 'record_key', 'record_value'),
    importance: 'HIGH',
    group: 'Data Mapping',
    documentation: 'The primary key mode: none, kafka (topic, partition, offset), record_key or record_value.',
  })
  .define({
    name: 'pk.fields',
    type: 'LIST',
    defaultValue: '',
    importance: 'MEDIUM',
    group: 'Data Mapping',
    documentation:
      'List of comma-separated primary key field names. kafka: three names for the Kafka coordinates (default __connect_topic,__connect_partition,__connect_offset); record_key: the key fields (all when empty; exactly one for a primitive key); record_value: the value fields (all when empty).',
  })
  .define({
    name: 'fields.whitelist',
    type: 'LIST',
    defaultValue: '',
    importance: 'MEDIUM',
    group: 'Data Mapping',
    documentation:
      'List of comma-separated record value field names. If empty, all fields from the record value are utilized, otherwise used to filter to the desired fields.',
  })
  .define({
    name: 'auto.create',
    type: 'BOOLEAN',
    defaultValue: false,
    importance: 'MEDIUM',
    group: 'DDL Support',
    documentation:
      'Whether to automatically create the destination table based on record schema if it is found to be missing by issuing CREATE.',
  })
  .define({
    name: 'auto.evolve',
    type: 'BOOLEAN',
    defaultValue: false,
    importance: 'MEDIUM',
    group: 'DDL Support',
    documentation:
      'Whether to automatically add columns in the table schema when found to be missing relative to the record schema by issuing ALTER.',
  })
  .define({
    name: 'max.retries',
    type: 'INT',
    defaultValue: 10,
    validator: Range.atLeast(0),
    importance: 'MEDIUM',
    group: 'Retries',
    documentation: 'The maximum number of times to retry on errors before failing the task.',
  })
  .define({
    name: 'retry.backoff.ms',
    type: 'INT',
    defaultValue: 3000,
    validator: Range.atLeast(0),
    importance: 'MEDIUM',
    group: 'Retries',
    documentation: 'The time in milliseconds to wait following an error before a retry attempt is made.',
  })

export interface SinkSettings {
  connection: ConnectionSettings
  insertMode: InsertMode
  batchSize: number
  deleteEnabled: boolean
  replaceNullWithDefault: boolean
  tableNameFormat: string
  pkMode: PkMode
  pkFields: string[]
  fieldsWhitelist: string[]
  autoCreate: boolean
  autoEvolve: boolean
  maxRetries: number
  retryBackoffMs: number
}

export function sinkSettings(props: Record<string, string>): SinkSettings {
  const v = SINK_CONFIG_DEF.parse(props)
  const pkMode = v['pk.mode'] as PkMode
  const deleteEnabled = v['delete.enabled'] as boolean
  if (deleteEnabled && pkMode !== 'record_key') {
    throw new ConfigException('delete.enabled', 'true', 'Deletes are only supported for pk.mode record_key')
  }
  const insertMode = v['insert.mode'] as InsertMode
  if ((insertMode === 'upsert' || insertMode === 'update') && pkMode === 'none') {
    throw new ConfigException('pk.mode', 'none', `insert.mode ${insertMode} needs primary key columns: set pk.mode`)
  }
  return {
    connection: connectionSettings(v),
    insertMode,
    batchSize: (v['batch.size'] as number) || 3000,
    deleteEnabled,
    replaceNullWithDefault: v['replace.null.with.default'] as boolean,
    tableNameFormat: v['table.name.format'] as string,
    pkMode,
    pkFields: v['pk.fields'] as string[],
    fieldsWhitelist: v['fields.whitelist'] as string[],
    autoCreate: v['auto.create'] as boolean,
    autoEvolve: v['auto.evolve'] as boolean,
    maxRetries: v['max.retries'] as number,
    retryBackoffMs: v['retry.backoff.ms'] as number,
  }
}
