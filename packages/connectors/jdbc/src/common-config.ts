/** The `connection.*`, `db.timezone`, `quote.sql.identifiers` and `dialect.name` keys both connectors share. */
import { type ConfigDef, ConfigException, type Password, Range, ValidString } from '@ferry/api'
import type { ConnectionSettings, QuoteMode } from './db.ts'
import { validateTimeZone } from './time.ts'
import { parseJdbcUrl } from './url.ts'

export const CONNECTION_URL = 'connection.url'
export const CONNECTION_USER = 'connection.user'
export const CONNECTION_PASSWORD = 'connection.password'
export const CONNECTION_ATTEMPTS = 'connection.attempts'
export const CONNECTION_BACKOFF = 'connection.backoff.ms'
export const DB_TIMEZONE = 'db.timezone'
export const QUOTE_SQL_IDENTIFIERS = 'quote.sql.identifiers'
export const DIALECT_NAME = 'dialect.name'

const DIALECTS = ['', 'PostgreSqlDatabaseDialect', 'MySqlDatabaseDialect']

/** Adds the shared keys to a definition (Confluent's names, defaults and documentation). */
export function defineConnectionKeys(def: ConfigDef): ConfigDef {
  return def
    .define({
      name: CONNECTION_URL,
      type: 'STRING',
      importance: 'HIGH',
      group: 'Database',
      documentation:
        'JDBC connection URL, for example jdbc:postgresql://localhost:5432/db or jdbc:mysql://localhost:3306/db (jdbc:mariadb:// works too). URL properties such as user, password, ssl/sslmode, useSSL, connectTimeout and currentSchema are honoured.',
    })
    .define({
      name: CONNECTION_USER,
      type: 'STRING',
      defaultValue: null,
      importance: 'HIGH',
      group: 'Database',
      documentation: 'JDBC connection user.',
    })
    .define({
      name: CONNECTION_PASSWORD,
      type: 'PASSWORD',
      defaultValue: null,
      importance: 'HIGH',
      group: 'Database',
      documentation: 'JDBC connection password.',
    })
    .define({
      name: CONNECTION_ATTEMPTS,
      type: 'INT',
      defaultValue: 3,
      validator: Range.atLeast(1),
      importance: 'LOW',
      group: 'Database',
      documentation: 'Maximum number of attempts to retrieve a valid JDBC connection. Must be a positive integer.',
    })
    .define({
      name: CONNECTION_BACKOFF,
      type: 'LONG',
      defaultValue: 10000,
      validator: Range.atLeast(0),
      importance: 'LOW',
      group: 'Database',
      documentation: 'Backoff time in milliseconds between connection attempts.',
    })
    .define({
      name: DIALECT_NAME,
      type: 'STRING',
      defaultValue: '',
      validator: ValidString.in(...DIALECTS),
      importance: 'LOW',
      group: 'Database',
      documentation:
        'The database dialect. Empty (the default) picks it from the JDBC URL; PostgreSqlDatabaseDialect and MySqlDatabaseDialect are accepted when they match the URL.',
    })
    .define({
      name: DB_TIMEZONE,
      type: 'STRING',
      defaultValue: 'UTC',
      importance: 'MEDIUM',
      documentation:
        'Name of the time zone the database uses for timestamps without a zone (and the session time zone the connectors set). Defaults to UTC.',
    })
    .define({
      name: QUOTE_SQL_IDENTIFIERS,
      type: 'STRING',
      defaultValue: 'always',
      validator: ValidString.in('always', 'never'),
      importance: 'MEDIUM',
      documentation:
        'When to quote table names, column names, and other identifiers in SQL statements. For backward compatibility, the default is always.',
    })
}

/** Connection settings from parsed values; checks the URL, the time zone and that dialect.name matches. */
export function connectionSettings(values: Record<string, unknown>): ConnectionSettings {
  const url = values[CONNECTION_URL] as string
  const parsed = parseJdbcUrl(url, CONNECTION_URL)
  const dialect = values[DIALECT_NAME] as string
  if (
    (dialect === 'PostgreSqlDatabaseDialect' && parsed.dialect !== 'postgresql') ||
    (dialect === 'MySqlDatabaseDialect' && parsed.dialect !== 'mysql')
  ) {
    throw new ConfigException(DIALECT_NAME, dialect, `does not match the JDBC URL's ${parsed.subprotocol} database`)
  }
  const timeZone = values[DB_TIMEZONE] as string
  validateTimeZone(DB_TIMEZONE, timeZone)
  const password = values[CONNECTION_PASSWORD] as Password | null
  const user = values[CONNECTION_USER] as string | null
  return {
    url,
    user: user || null,
    password: password ? password.value() : null,
    attempts: values[CONNECTION_ATTEMPTS] as number,
    backoffMs: Number(values[CONNECTION_BACKOFF]),
    quote: values[QUOTE_SQL_IDENTIFIERS] as QuoteMode,
    timeZone,
  }
}
