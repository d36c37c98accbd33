/** PostgreSQL through `pg`: every value arrives as text and columns.ts converts it. */
import { createHash } from 'node:crypto'
import { BigDecimal, type Schema } from '@ferry/api'
import pg from 'pg'
import { numericColumn, simpleColumn } from './columns.ts'
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
import { formatDate, formatTime, formatWallClock, instantToWallClock, parseTimestamp } from './time.ts'
import { booleanProperty, type JdbcUrl } from './url.ts'

/** Text for every type; bytea stays in its hex form and columns.ts decodes it. */
const RAW_TYPES = { getTypeParser: () => (value: string) => value }

const OID = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  float4: 700,
  float8: 701,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  timetz: 1266,
  bit: 1560,
  varbit: 1562,
  numeric: 1700,
} as const

const RELKINDS: Record<string, string> = {
  TABLE: 'r',
  VIEW: 'v',
  'PARTITIONED TABLE': 'p',
  'MATERIALIZED VIEW': 'm',
  'FOREIGN TABLE': 'f',
}

export async function openPostgres(
  url: JdbcUrl,
  user: string | null,
  password: string | null,
  settings: ConnectionSettings,
): Promise<Db> {
  const p = url.properties
  const sslmode = p.sslmode?.toLowerCase()
  const ssl =
    sslmode === 'disable' || sslmode === 'allow' || (sslmode === undefined && !booleanProperty(p, 'ssl'))
      ? undefined
      : { rejectUnauthorized: sslmode === 'verify-ca' || sslmode === 'verify-full' }
  const options: string[] = []
  if (p.currentSchema) options.push(`-c search_path=${p.currentSchema.replace(/[\s\\]/g, '\\$&')}`)
  if (p.options) options.push(p.options)
  const client = new pg.Client({
    host: url.host,
    port: url.port,
    database: url.database ?? undefined,
    user: user ?? undefined,
    password: password ?? undefined,
    ssl,
    application_name: p.ApplicationName ?? 'ferry',
    connectionTimeoutMillis: p.connectTimeout ? Number(p.connectTimeout) * 1000 : 30_000,
    options: options.length > 0 ? options.join(' ') : undefined,
    types: RAW_TYPES,
  } as pg.ClientConfig)
  const db = new PostgresDb(client, url, settings.quote, settings.timeZone)
  // A server that goes away must not crash the process: the next statement fails instead.
  client.on('error', () => {})
  await client.connect()
  try {
    await client.query('SELECT set_config($1, $2, false)', ['TimeZone', settings.timeZone])
  } catch (e) {
    await client.end().catch(() => {})
    throw e
  }
  return db
}

class PostgresDb implements Db {
  readonly dialect = 'postgresql' as const
  readonly url: JdbcUrl
  readonly #client: pg.Client
  readonly #quote: QuoteMode
  readonly #timeZone: string
  readonly #notNull = new Map<string, boolean>()
  /** Prepared statement names by SQL text (a sink prepares a few statements and runs them over and over). */
  readonly #statementNames = new Map<string, string>()
  #cursors = 0

  constructor(client: pg.Client, url: JdbcUrl, quote: QuoteMode, timeZone: string) {
    this.#client = client
    this.url = url
    this.#quote = quote
    this.#timeZone = timeZone
  }

  quote(identifier: string): string {
    return this.#quote === 'never' ? identifier : `"${identifier.replace(/"/g, '""')}"`
  }

  quoteTable(id: TableId): string {
    return [id.schema, id.table]
      .filter((p): p is string => p !== null)
      .map((p) => this.quote(p))
      .join('.')
  }

  placeholder(n: number): string {
    return `$${n}`
  }

  parseTableName(name: string): TableId {
    const parts = splitIdentifier(name, '"')
    const table = parts.pop()!
    const schema = parts.pop() ?? null
    return { catalog: null, schema, table }
  }

  async query(sql: string, params: unknown[] = []): Promise<unknown[][]> {
    const result = await this.#client.query({ text: sql, values: params, rowMode: 'array' })
    return result.rows as unknown[][]
  }

  async execute(sql: string, params: unknown[] = [], name?: string): Promise<number> {
    const config: pg.QueryConfig = { text: sql, values: params }
    if (name) {
      let statement = this.#statementNames.get(sql)
      if (statement === undefined) {
        if (this.#statementNames.size >= 256) this.#statementNames.clear()
        statement = `ferry_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`
        this.#statementNames.set(sql, statement)
      }
      config.name = statement
    }
    const result = await this.#client.query(config)
    return result.rowCount ?? 0
  }

  async cursor(sql: string, params: unknown[], options: NumericMappingOptions): Promise<Cursor> {
    const name = `ferry_cursor_${++this.#cursors}`
    await this.#client.query('BEGIN')
    try {
      await this.#client.query({ text: `DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, values: params })
      // One row ahead, which also brings the row description.
      const first = await this.#client.query({ text: `FETCH FORWARD 1 FROM ${name}`, rowMode: 'array' })
      const columns = await this.#columns(first.fields, options)
      let buffer = first.rows as unknown[][]
      let done = buffer.length === 0
      let closed = false
      const close = async () => {
        if (closed) return
        closed = true
        await this.#client.query('COMMIT')
      }
      return {
        columns,
        next: async (max: number) => {
          if (buffer.length < max && !done) {
            const r = await this.#client.query({
              text: `FETCH FORWARD ${Math.max(1, max - buffer.length)} FROM ${name}`,
              rowMode: 'array',
            })
            if (r.rows.length < max - buffer.length) done = true
            buffer = buffer.concat(r.rows as unknown[][])
          }
          const out = buffer.slice(0, max)
          buffer = buffer.slice(max)
          return out
        },
        close,
      }
    } catch (e) {
      await this.#client.query('ROLLBACK').catch(() => {})
      throw e
    }
  }

  async #columns(fields: pg.FieldDef[], options: NumericMappingOptions): Promise<ResultColumn[]> {
    const unknown = fields.filter((f) => f.tableID !== 0 && !this.#notNull.has(`${f.tableID}:${f.columnID}`))
    if (unknown.length > 0) {
      const rows = await this.query(
        'SELECT attrelid::text, attnum::text, attnotnull::text FROM pg_attribute WHERE attrelid = ANY($1::oid[]) AND attnum > 0',
        [[...new Set(unknown.map((f) => f.tableID))]],
      )
      for (const [rel, num, notNull] of rows) this.#notNull.set(`${rel}:${num}`, notNull === 'true' || notNull === 't')
    }
    return fields.map((f) => {
      const optional = f.tableID === 0 || !this.#notNull.get(`${f.tableID}:${f.columnID}`)
      return this.#column(f, optional, options)
    })
  }

  #column(f: pg.FieldDef, optional: boolean, options: NumericMappingOptions): ResultColumn {
    const tz = options.timeZone
    switch (f.dataTypeID) {
      case OID.bool:
        return simpleColumn(f.name, 'boolean', optional, tz)
      case OID.bytea:
      case OID.varbit:
        return f.dataTypeID === OID.varbit
          ? bitsColumn(f.name, Number.MAX_SAFE_INTEGER, optional)
          : simpleColumn(f.name, 'bytes', optional, tz)
      case OID.int2:
        return simpleColumn(f.name, 'int16', optional, tz)
      case OID.int4:
        return simpleColumn(f.name, 'int32', optional, tz)
      case OID.int8:
      case OID.oid:
        return simpleColumn(f.name, 'int64', optional, tz)
      case OID.float4:
        return simpleColumn(f.name, 'float32', optional, tz)
      case OID.float8:
        return simpleColumn(f.name, 'float64', optional, tz)
      case OID.date:
        return simpleColumn(f.name, 'date', optional, tz)
      case OID.time:
      case OID.timetz:
        return simpleColumn(f.name, 'time', optional, tz)
      case OID.timestamp:
      case OID.timestamptz:
        return simpleColumn(f.name, 'timestamp', optional, tz)
      case OID.bit:
        return bitsColumn(f.name, f.dataTypeModifier, optional)
      case OID.numeric: {
        const typmod = f.dataTypeModifier
        if (typmod < 4) return numericColumn(f.name, 0, 127, optional, { ...options, numericMapping: 'none' })
        const precision = ((typmod - 4) >> 16) & 0xffff
        let scale = (typmod - 4) & 0xffff
        if (scale > 1000) scale -= 2048 // negative scales (PostgreSQL 15+)
        return numericColumn(f.name, precision, scale, optional, options)
      }
      default:
        // text, varchar, char, name, json, jsonb, xml, uuid, enums, arrays, ...: their text form
        return simpleColumn(f.name, 'string', optional, tz)
    }
  }

  async begin(): Promise<void> {
    await this.#client.query('BEGIN')
  }

  async commit(): Promise<void> {
    await this.#client.query('COMMIT')
  }

  async rollback(): Promise<void> {
    await this.#client.query('ROLLBACK')
  }

  async listTables(types: string[], _catalogPattern: string | null, schemaPattern: string | null): Promise<TableId[]> {
    const kinds = types.map((t) => RELKINDS[t.trim().toUpperCase()]).filter((k): k is string => k !== undefined)
    const rows = await this.query(
      `SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = ANY($1::"char"[]) AND n.nspname NOT IN ('pg_catalog', 'information_schema')
         AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
         AND ($2::text IS NULL OR n.nspname LIKE $2) AND pg_catalog.has_table_privilege(c.oid, 'SELECT')
       ORDER BY n.nspname, c.relname`,
      [kinds.length > 0 ? kinds : ['r'], schemaPattern],
    )
    return rows.map(([schema, table]) => ({ catalog: null, schema: schema as string, table: table as string }))
  }

  async describeTable(id: TableId): Promise<TableDefinition | null> {
    const rows = await this.query(
      `SELECT a.attname, (NOT a.attnotnull)::text,
              (a.attidentity <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid), '') LIKE 'nextval(%')::text
       FROM pg_catalog.pg_attribute a
       JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE c.relname = $1 AND n.nspname = coalesce($2, current_schema()) AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum`,
      [id.table, id.schema],
    )
    if (rows.length === 0) return null
    const columns = new Map<string, { nullable: boolean; autoIncrement: boolean }>()
    for (const [name, nullable, auto] of rows) {
      columns.set(name as string, { nullable: nullable === 'true', autoIncrement: auto === 'true' })
    }
    return { columns }
  }

  async currentTime(): Promise<bigint> {
    const rows = await this.query('SELECT CURRENT_TIMESTAMP')
    return parseTimestamp(rows[0]![0] as string, 'UTC')
  }

  sqlType(schema: Schema, _isKey: boolean): string {
    switch (schema.name) {
      case 'org.apache.kafka.connect.data.Decimal':
        return 'DECIMAL'
      case 'org.apache.kafka.connect.data.Date':
        return 'DATE'
      case 'org.apache.kafka.connect.data.Time':
        return 'TIME'
      case 'org.apache.kafka.connect.data.Timestamp':
        return 'TIMESTAMP'
    }
    switch (schema.type) {
      case 'INT8':
      case 'INT16':
        return 'SMALLINT'
      case 'INT32':
        return 'INT'
      case 'INT64':
        return 'BIGINT'
      case 'FLOAT32':
        return 'REAL'
      case 'FLOAT64':
        return 'DOUBLE PRECISION'
      case 'BOOLEAN':
        return 'BOOLEAN'
      case 'STRING':
        return 'TEXT'
      case 'BYTES':
        return 'BYTEA'
      default:
        throw new Error(`${schema.type} has no PostgreSQL column type`)
    }
  }

  insertSql(table: TableId, keys: string[], nonKeys: string[], rows: number, upsert: boolean): string {
    const columns = [...keys, ...nonKeys]
    const values: string[] = []
    let n = 0
    for (let r = 0; r < rows; r++) values.push(`(${columns.map(() => `$${++n}`).join(',')})`)
    let sql = `INSERT INTO ${this.quoteTable(table)} (${columns.map((c) => this.quote(c)).join(',')}) VALUES ${values.join(',')}`
    if (upsert) {
      sql += ` ON CONFLICT (${keys.map((c) => this.quote(c)).join(',')}) `
      sql +=
        nonKeys.length === 0
          ? 'DO NOTHING'
          : `DO UPDATE SET ${nonKeys.map((c) => `${this.quote(c)}=EXCLUDED.${this.quote(c)}`).join(',')}`
    }
    return sql
  }

  defaultLiteral(schema: Schema, value: unknown): string | null {
    if (schema.name !== null && schema.name !== 'org.apache.kafka.connect.data.Decimal') return null
    if (value instanceof BigDecimal) return value.toPlainString()
    if (typeof value === 'number' || typeof value === 'bigint')
      return Number.isFinite(Number(value)) ? String(value) : null
    if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE'
    if (typeof value === 'string') return `'${value.replace(/'/g, "''")}'`
    return null
  }

  bindValue(schema: Schema, value: unknown): unknown {
    return bindCommon(schema, value, this.#timeZone)
  }

  isConnectionError(error: unknown): boolean {
    if (!(error instanceof Error)) return true
    const code = (error as { code?: string }).code
    if (error instanceof pg.DatabaseError)
      return code?.startsWith('08') === true || code === '57P01' || code === '57P02'
    return true
  }

  async close(): Promise<void> {
    await this.#client.end().catch(() => {})
  }
}

/** Converts a Connect value for binding; shared with mysql.ts (which then maps booleans to 1/0). */
export function bindCommon(schema: Schema, value: unknown, timeZone: string): unknown {
  if (value === null || value === undefined) return null
  switch (schema.name) {
    case 'org.apache.kafka.connect.data.Decimal':
      return (value as BigDecimal).toPlainString()
    case 'org.apache.kafka.connect.data.Date':
      return formatDate(value as Date)
    case 'org.apache.kafka.connect.data.Time':
      return formatTime(value as Date)
    case 'org.apache.kafka.connect.data.Timestamp':
      return formatWallClock(instantToWallClock(BigInt((value as Date).getTime()) * 1_000_000n, timeZone), 3)
  }
  switch (schema.type) {
    case 'INT64':
      return typeof value === 'bigint' ? value.toString() : value
    case 'BYTES': {
      const bytes = value as Uint8Array
      return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    }
    default:
      return value
  }
}

/** PostgreSQL `bit(n)`: one bit is a BOOLEAN, up to 8 an INT8, more are BYTES (Confluent's mapping). */
function bitsColumn(name: string, bits: number, optional: boolean): ResultColumn {
  if (bits <= 1) return simpleColumn(name, 'boolean', optional, 'UTC')
  if (bits <= 8) {
    const base = simpleColumn(name, 'int8', optional, 'UTC')
    return { ...base, convert: (raw) => (raw === null ? null : (Number.parseInt(String(raw), 2) << 24) >> 24) }
  }
  const base = simpleColumn(name, 'bytes', optional, 'UTC')
  return {
    ...base,
    convert: (raw) => {
      if (raw === null) return null
      const text = String(raw)
      const out = Buffer.alloc(Math.ceil(text.length / 8))
      for (let i = 0; i < text.length; i++) if (text[i] === '1') out[i >> 3]! |= 0x80 >> (i & 7)
      return out
    },
  }
}
