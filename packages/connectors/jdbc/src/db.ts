/**
 * What the connectors need from a database, implemented for PostgreSQL (postgres.ts) and MySQL/MariaDB (mysql.ts):
 * a connection that runs parameterised statements and streams results through a cursor, plus the dialect's SQL
 * (identifier quoting, table discovery, column types both ways, upserts).
 */
import { ConnectException, type Schema } from '@ferry/api'
import { type DialectName, type JdbcUrl, parseJdbcUrl, sanitizeUrl } from './url.ts'

/** A table as Confluent's `TableId`: PostgreSQL tables are `schema.table`, MySQL tables `database.table`. */
export interface TableId {
  catalog: string | null
  schema: string | null
  table: string
}

/** `catalog.schema.table` without quotes, leaving out the parts that are null (Confluent's `QuoteMethod.NEVER`). */
export function unquotedName(id: TableId): string {
  return [id.catalog, id.schema, id.table].filter((p) => p !== null).join('.')
}

export type QuoteMode = 'always' | 'never'

/** A column of a result set, with what the source needs to turn its values into a Connect field. */
export interface ResultColumn {
  name: string
  /** The Connect schema of the field (optional when the column is nullable). */
  schema: Schema | null
  /** Raw driver value (string, Buffer or null) → Connect value. */
  convert(raw: unknown): unknown
}

export interface Cursor {
  readonly columns: ResultColumn[]
  /** Up to `max` rows of raw values; fewer (possibly none) once the result is exhausted. */
  next(max: number): Promise<unknown[][]>
  close(): Promise<void>
}

export interface NumericMappingOptions {
  numericMapping: 'none' | 'precision_only' | 'best_fit' | 'best_fit_eager_double'
  timeZone: string
}

/** An existing table's columns, by name as the database spells them. */
export interface TableDefinition {
  columns: Map<string, { nullable: boolean; autoIncrement: boolean }>
}

/** One open connection with its dialect. */
export interface Db {
  readonly dialect: DialectName
  readonly url: JdbcUrl
  quote(identifier: string): string
  quoteTable(id: TableId): string
  /** The n-th (1-based) parameter placeholder. */
  placeholder(n: number): string
  /** `a.b.c` in a config or a topic → a TableId (last part the table). */
  parseTableName(name: string): TableId
  query(sql: string, params?: unknown[]): Promise<unknown[][]>
  /** Runs a statement and returns the number of rows it changed. */
  execute(sql: string, params?: unknown[], name?: string): Promise<number>
  cursor(sql: string, params: unknown[], options: NumericMappingOptions): Promise<Cursor>
  begin(): Promise<void>
  commit(): Promise<void>
  rollback(): Promise<void>
  /** Tables matching the types (`TABLE`, `VIEW`, `PARTITIONED TABLE`), optionally narrowed by LIKE patterns. */
  listTables(types: string[], catalogPattern: string | null, schemaPattern: string | null): Promise<TableId[]>
  describeTable(id: TableId): Promise<TableDefinition | null>
  /** The database's current time as an instant (nanoseconds). */
  currentTime(): Promise<bigint>
  /** The column type `auto.create`/`auto.evolve` uses for a Connect schema. */
  sqlType(schema: Schema, isKey: boolean): string
  /** Multi-row insert (`upsert`: insert or update on key conflict). */
  insertSql(table: TableId, keys: string[], nonKeys: string[], rows: number, upsert: boolean): string
  /** A literal for a column DEFAULT, or null when the value has no literal form here. */
  defaultLiteral(schema: Schema, value: unknown): string | null
  /** Converts a Connect value to the parameter the driver binds for a column of this schema. */
  bindValue(schema: Schema, value: unknown): unknown
  /** True for errors after which this connection must not be used again. */
  isConnectionError(error: unknown): boolean
  close(): Promise<void>
}

export interface ConnectionSettings {
  url: string
  user: string | null
  password: string | null
  attempts: number
  backoffMs: number
  quote: QuoteMode
  timeZone: string
  /** Checked between attempts; stops retrying when it returns true. */
  stopped?: () => boolean
}

/**
 * Opens a connection, retrying `attempts` times `backoffMs` apart. The error names the URL (without its password)
 * and the driver's reason; the password never appears in it.
 */
export async function connect(settings: ConnectionSettings): Promise<Db> {
  const url = parseJdbcUrl(settings.url)
  const user = settings.user ?? url.user
  const password = settings.password ?? url.password
  let last: unknown
  const attempts = Math.max(1, settings.attempts)
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      if (url.dialect === 'postgresql') {
        const { openPostgres } = await import('./postgres.ts')
        return await openPostgres(url, user, password, settings)
      }
      const { openMysql } = await import('./mysql.ts')
      return await openMysql(url, user, password, settings)
    } catch (e) {
      last = e
      if (attempt < attempts && !settings.stopped?.()) await sleep(settings.backoffMs)
      if (settings.stopped?.()) break
    }
  }
  const reason = redact(errorMessage(last), password)
  throw new ConnectException(
    `Could not connect to ${sanitizeUrl(settings.url)}${user ? ` as user '${user}'` : ''} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason}`,
  )
}

export function errorMessage(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) return e.errors.map(errorMessage).join('; ')
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code
    const message = e.message || String(code ?? e.name)
    return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message
  }
  return String(e)
}

/** Replaces every occurrence of the secret in a message. */
export function redact(message: string, secret: string | null): string {
  if (!secret) return message
  return message.split(secret).join('****')
}

export function sleep(ms: number, signal?: { wake?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    if (signal)
      signal.wake = () => {
        clearTimeout(timer)
        resolve()
      }
  })
}

/** Splits `a.b.c` on dots outside quotes (`"a.b".c`), unquoting each part. */
export function splitIdentifier(name: string, quote: string): string[] {
  const parts: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!
    if (c === quote) {
      if (quoted && name[i + 1] === quote) {
        current += quote
        i++
      } else quoted = !quoted
    } else if (c === '.' && !quoted) {
      parts.push(current)
      current = ''
    } else current += c
  }
  parts.push(current)
  return parts
}
