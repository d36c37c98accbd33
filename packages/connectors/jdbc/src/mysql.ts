/** MySQL and MariaDB through `mysql2`: text (or Buffers for binary columns) converted by columns.ts. */
import { BigDecimal, type Schema } from '@ferry/api'
import mysql from 'mysql2'
import { numericColumn, simpleColumn, skippedColumn } from './columns.ts'
import {
  type ConnectionSettings,
  type Cursor,
  type Db,
  type NumericMappingOptions,
  type QuoteMode,
  type ResultColumn,
  splitIdentifier,
  type TableDefinition,
  type TableId,
} from './db.ts'
import { bindCommon } from './postgres.ts'
import { isUtc, parseTimestamp, zoneOffsetMs } from './time.ts'
import { booleanProperty, type JdbcUrl } from './url.ts'

const NOT_NULL = 1
const UNSIGNED = 32
const BINARY_CHARSET = 63
const BUFFER_TYPES = new Set([
  'BLOB',
  'TINY_BLOB',
  'MEDIUM_BLOB',
  'LONG_BLOB',
  'STRING',
  'VAR_STRING',
  'BIT',
  'GEOMETRY',
  'JSON',
])

const TABLE_TYPES: Record<string, string[]> = {
  TABLE: ['BASE TABLE', 'SYSTEM VERSIONED'],
  VIEW: ['VIEW'],
}

interface MysqlField {
  name: string
  columnType: number
  flags: number
  columnLength: number
  decimals: number
  characterSet: number
}

export async function openMysql(
  url: JdbcUrl,
  user: string | null,
  password: string | null,
  settings: ConnectionSettings,
): Promise<Db> {
  const p = url.properties
  const sslMode = p.sslMode?.toUpperCase()
  const useSsl = sslMode ? sslMode !== 'DISABLED' : (booleanProperty(p, 'useSSL', 'useSsl', 'requireSSL') ?? false)
  const conn = mysql.createConnection({
    host: url.host,
    port: url.port,
    user: user ?? undefined,
    password: password ?? undefined,
    database: url.database ?? undefined,
    ssl: useSsl
      ? {
          rejectUnauthorized:
            sslMode === 'VERIFY_CA' || sslMode === 'VERIFY_IDENTITY' || p.verifyServerCertificate === 'true',
        }
      : undefined,
    connectTimeout: p.connectTimeout ? Number(p.connectTimeout) : 30_000,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    rowsAsArray: true,
    multipleStatements: false,
    // Binary columns as Buffers (columns.ts decodes text ones); the rest as mysql2 reads them with the options above.
    typeCast: (field: { type: string; buffer(): Buffer | null }, next: () => unknown) =>
      BUFFER_TYPES.has(field.type) ? field.buffer() : next(),
  })
  conn.on('error', () => {})
  await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())))
  const db = new MysqlDb(conn, url, settings.quote, settings.timeZone)
  try {
    await db.setSessionTimeZone()
  } catch (e) {
    await db.close()
    throw e
  }
  return db
}

class MysqlDb implements Db {
  readonly dialect = 'mysql' as const
  readonly url: JdbcUrl
  readonly #conn: mysql.Connection
  readonly #quote: QuoteMode
  readonly #timeZone: string
  #broken = false

  constructor(conn: mysql.Connection, url: JdbcUrl, quote: QuoteMode, timeZone: string) {
    this.#conn = conn
    this.url = url
    this.#quote = quote
    this.#timeZone = timeZone
  }

  /** The session's time_zone follows db.timezone, so TIMESTAMP columns read and compare in that zone. */
  async setSessionTimeZone(): Promise<void> {
    const zone = this.#timeZone
    if (isUtc(zone)) {
      await this.query("SET time_zone = '+00:00'")
      return
    }
    try {
      await this.query('SET time_zone = ?', [zone])
    } catch {
      // The server has no time zone tables: use the zone's current offset.
      const offset = zoneOffsetMs(zone, Date.now()) / 60000
      const sign = offset < 0 ? '-' : '+'
      const abs = Math.abs(offset)
      await this.query('SET time_zone = ?', [
        `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`,
      ])
    }
  }

  quote(identifier: string): string {
    return this.#quote === 'never' ? identifier : `\`${identifier.replace(/`/g, '``')}\``
  }

  quoteTable(id: TableId): string {
    return [id.catalog, id.table]
      .filter((p): p is string => p !== null)
      .map((p) => this.quote(p))
      .join('.')
  }

  placeholder(_n: number): string {
    return '?'
  }

  parseTableName(name: string): TableId {
    const parts = splitIdentifier(name, '`')
    const table = parts.pop()!
    const catalog = parts.length > 0 ? parts[0]! : null
    return { catalog, schema: null, table }
  }

  query(sql: string, params: unknown[] = []): Promise<unknown[][]> {
    return new Promise((resolve, reject) => {
      this.#conn.query({ sql, values: params, rowsAsArray: true }, (err, rows) => {
        if (err) {
          if ((err as { fatal?: boolean }).fatal) this.#broken = true
          reject(err)
        } else resolve(Array.isArray(rows) ? (rows as unknown[][]) : [])
      })
    })
  }

  execute(sql: string, params: unknown[] = []): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#conn.execute(sql, params as never[], (err, result) => {
        if (err) {
          if ((err as { fatal?: boolean }).fatal) this.#broken = true
          reject(err)
        } else resolve((result as { affectedRows?: number }).affectedRows ?? 0)
      })
    })
  }

  cursor(sql: string, params: unknown[], options: NumericMappingOptions): Promise<Cursor> {
    return new Promise((resolveCursor, rejectCursor) => {
      const buffer: unknown[][] = []
      let fields: MysqlField[] | null = null
      let ended = false
      let failure: Error | null = null
      let waiting: (() => void) | null = null
      let paused = false
      const highWater = 1000
      const wake = () => {
        const w = waiting
        waiting = null
        w?.()
      }
      let cursor: Cursor | null = null
      // The binary protocol (a prepared statement), so FLOAT columns arrive exact rather than as 6-digit text.
      const query = this.#conn.execute({ sql, values: params, rowsAsArray: true })
      const makeCursor = () => {
        cursor = {
          columns: (fields ?? []).map((f) => mysqlColumn(f, options)),
          next: async (max: number) => {
            while (buffer.length < max && !ended && !failure) {
              if (paused) {
                paused = false
                this.#conn.resume()
              }
              await new Promise<void>((r) => {
                waiting = r
              })
            }
            if (failure && buffer.length === 0) throw failure
            return buffer.splice(0, max)
          },
          close: async () => {
            if (!ended && !failure) {
              // Rows still arriving: this connection cannot be used again.
              this.#broken = true
              this.#conn.destroy()
            }
          },
        }
        resolveCursor(cursor)
      }
      query.on('fields', (f: MysqlField[]) => {
        fields = f
        makeCursor()
      })
      query.on('result', (row: unknown) => {
        buffer.push(row as unknown[])
        if (buffer.length >= highWater && !paused) {
          paused = true
          this.#conn.pause()
        }
        wake()
      })
      query.on('error', (err: Error) => {
        failure = err
        if ((err as { fatal?: boolean }).fatal) this.#broken = true
        if (!cursor) rejectCursor(err)
        wake()
      })
      query.on('end', () => {
        ended = true
        if (!cursor && !failure) makeCursor()
        wake()
      })
    })
  }

  async begin(): Promise<void> {
    await this.query('START TRANSACTION')
  }

  async commit(): Promise<void> {
    await this.query('COMMIT')
  }

  async rollback(): Promise<void> {
    await this.query('ROLLBACK')
  }

  async listTables(types: string[], catalogPattern: string | null, _schemaPattern: string | null): Promise<TableId[]> {
    const tableTypes = types.flatMap((t) => TABLE_TYPES[t.trim().toUpperCase()] ?? [])
    const rows = await this.query(
      `SELECT table_schema, table_name FROM information_schema.tables
       WHERE table_type IN (?) AND ((? IS NULL AND table_schema = DATABASE()) OR table_schema LIKE ?)
       ORDER BY table_schema, table_name`,
      [tableTypes.length > 0 ? tableTypes : ['BASE TABLE'], catalogPattern, catalogPattern],
    )
    return rows.map(([catalog, table]) => ({ catalog: text(catalog), schema: null, table: text(table) }))
  }

  async describeTable(id: TableId): Promise<TableDefinition | null> {
    const rows = await this.query(
      `SELECT column_name, is_nullable, extra FROM information_schema.columns
       WHERE table_schema = coalesce(?, DATABASE()) AND table_name = ? ORDER BY ordinal_position`,
      [id.catalog, id.table],
    )
    if (rows.length === 0) return null
    const columns = new Map<string, { nullable: boolean; autoIncrement: boolean }>()
    for (const [name, nullable, extra] of rows) {
      columns.set(text(name), {
        nullable: text(nullable) === 'YES',
        autoIncrement: /auto_increment/i.test(text(extra)),
      })
    }
    return { columns }
  }

  async currentTime(): Promise<bigint> {
    const rows = await this.query('SELECT CURRENT_TIMESTAMP(6)')
    return parseTimestamp(text(rows[0]![0]), this.#timeZone)
  }

  sqlType(schema: Schema, isKey: boolean): string {
    switch (schema.name) {
      case 'org.apache.kafka.connect.data.Decimal':
        return `DECIMAL(65,${Number(schema.parameters?.scale ?? 0)})`
      case 'org.apache.kafka.connect.data.Date':
        return 'DATE'
      case 'org.apache.kafka.connect.data.Time':
        return 'TIME(3)'
      case 'org.apache.kafka.connect.data.Timestamp':
        return 'DATETIME(3)'
    }
    switch (schema.type) {
      case 'INT8':
        return 'TINYINT'
      case 'INT16':
        return 'SMALLINT'
      case 'INT32':
        return 'INT'
      case 'INT64':
        return 'BIGINT'
      case 'FLOAT32':
        return 'FLOAT'
      case 'FLOAT64':
        return 'DOUBLE'
      case 'BOOLEAN':
        return 'TINYINT'
      case 'STRING':
        // A key column needs a length; TEXT cannot be a primary key.
        return isKey ? 'VARCHAR(256)' : 'TEXT'
      case 'BYTES':
        return isKey ? 'VARBINARY(256)' : 'BLOB'
      default:
        throw new Error(`${schema.type} has no MySQL column type`)
    }
  }

  insertSql(table: TableId, keys: string[], nonKeys: string[], rows: number, upsert: boolean): string {
    const columns = [...keys, ...nonKeys]
    const row = `(${columns.map(() => '?').join(',')})`
    let sql = `INSERT INTO ${this.quoteTable(table)} (${columns.map((c) => this.quote(c)).join(',')}) VALUES ${Array(rows).fill(row).join(',')}`
    if (upsert) {
      const update = nonKeys.length > 0 ? nonKeys : keys
      sql += ` ON DUPLICATE KEY UPDATE ${update.map((c) => `${this.quote(c)}=VALUES(${this.quote(c)})`).join(',')}`
    }
    return sql
  }

  defaultLiteral(schema: Schema, value: unknown): string | null {
    if (schema.name !== null && schema.name !== 'org.apache.kafka.connect.data.Decimal') return null
    if (schema.type === 'STRING' || schema.type === 'BYTES') return null // TEXT and BLOB take no DEFAULT everywhere
    if (value instanceof BigDecimal) return value.toPlainString()
    if (typeof value === 'number' || typeof value === 'bigint')
      return Number.isFinite(Number(value)) ? String(value) : null
    if (typeof value === 'boolean') return value ? '1' : '0'
    return null
  }

  bindValue(schema: Schema, value: unknown): unknown {
    const bound = bindCommon(schema, value, this.#timeZone)
    if (typeof bound === 'boolean') return bound ? 1 : 0
    if (typeof bound === 'number' && !Number.isFinite(bound)) {
      throw new RangeError(`MySQL cannot store ${bound} in a ${schema.type} column`)
    }
    return bound
  }

  isConnectionError(error: unknown): boolean {
    return this.#broken || !(error instanceof Error) || (error as { fatal?: boolean }).fatal === true
  }

  async close(): Promise<void> {
    if (this.#broken) {
      this.#conn.destroy()
      return
    }
    await new Promise<void>((resolve) => this.#conn.end(() => resolve()))
  }
}

function text(v: unknown): string {
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v)
}

function mysqlColumn(f: MysqlField, options: NumericMappingOptions): ResultColumn {
  const optional = (f.flags & NOT_NULL) === 0
  const unsigned = (f.flags & UNSIGNED) !== 0
  const tz = options.timeZone
  switch (f.columnType) {
    case 0:
    case 246: {
      const scale = f.decimals
      const precision = f.columnLength - (scale > 0 ? 1 : 0) - (unsigned ? 0 : 1)
      return numericColumn(f.name, precision, scale, optional, options)
    }
    case 1:
      return simpleColumn(f.name, unsigned ? 'int16' : 'int8', optional, tz)
    case 2:
      return simpleColumn(f.name, unsigned ? 'int32' : 'int16', optional, tz)
    case 9:
      return simpleColumn(f.name, 'int32', optional, tz)
    case 3:
      return simpleColumn(f.name, unsigned ? 'int64' : 'int32', optional, tz)
    case 8:
      return unsigned ? numericColumn(f.name, 20, 0, optional, options) : simpleColumn(f.name, 'int64', optional, tz)
    case 4:
      return simpleColumn(f.name, 'float32', optional, tz)
    case 5:
      return simpleColumn(f.name, 'float64', optional, tz)
    case 7:
    case 12:
      return simpleColumn(f.name, 'timestamp', optional, tz)
    case 10:
    case 14:
      return simpleColumn(f.name, 'date', optional, tz)
    case 11:
      return simpleColumn(f.name, 'time', optional, tz)
    case 13:
      return simpleColumn(f.name, 'int32', optional, tz)
    case 16: {
      if (f.columnLength <= 1) return simpleColumn(f.name, 'boolean', optional, tz)
      if (f.columnLength <= 8) {
        const base = simpleColumn(f.name, 'int8', optional, tz)
        return { ...base, convert: (raw) => (raw === null ? null : ((raw as Buffer).at(-1)! << 24) >> 24) }
      }
      return simpleColumn(f.name, 'bytes', optional, tz)
    }
    case 6:
      return skippedColumn(f.name)
    case 255:
      return simpleColumn(f.name, 'bytes', optional, tz)
    case 245:
    case 247:
    case 248:
      return simpleColumn(f.name, 'string', optional, tz)
    default:
      return simpleColumn(f.name, f.characterSet === BINARY_CHARSET ? 'bytes' : 'string', optional, tz)
  }
}
