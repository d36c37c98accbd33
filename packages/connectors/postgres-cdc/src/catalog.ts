/**
 * The connector's ordinary (non-replication) connection: the catalog (types, tables, their columns and keys), the
 * publication and the slot. Values come back as PostgreSQL's text, as in the replication stream, so both go through
 * the same converters.
 */
import { ConnectException } from '@ferry/api'
import pg from 'pg'
import { isIncluded, type Settings } from './config.ts'
import type { ColumnInfo } from './envelope.ts'
import { type Lsn, parseLsn } from './lsn.ts'
import { quoteIdent } from './replication-stream.ts'
import { TYPES_QUERY, TypeRegistry, type TypeRow } from './types.ts'

const TEXT_TYPES = { getTypeParser: () => (value: string) => value }

/** Connects with the connector's settings; sslmode `prefer` falls back to plain when the server has no TLS. */
export async function connect(s: Settings, extra: pg.ClientConfig = {}): Promise<pg.Client> {
  const open = async (config: pg.ClientConfig) => {
    const client = new pg.Client({ ...config, ...extra, types: TEXT_TYPES } as pg.ClientConfig)
    client.on('error', () => {}) // a broken idle connection fails its next query instead of the process
    await client.connect()
    return client
  }
  let client: pg.Client
  try {
    client = await open(s.connection)
  } catch (e) {
    if (s.sslMode !== 'prefer' || !/does not support SSL/i.test((e as Error).message)) throw e
    client = await open({ ...s.connection, ssl: false })
  }
  for (const statement of s.initialStatements) await client.query(statement)
  return client
}

export interface TableId {
  schema: string
  table: string
}

export class Catalog {
  readonly client: pg.Client
  readonly #settings: Settings
  registry: TypeRegistry = new TypeRegistry([])

  constructor(client: pg.Client, settings: Settings) {
    this.client = client
    this.#settings = settings
  }

  async loadTypes(): Promise<TypeRegistry> {
    const res = await this.client.query(TYPES_QUERY)
    this.registry = new TypeRegistry(res.rows as TypeRow[])
    return this.registry
  }

  /** The ordinary and partitioned tables the filters capture, in schema and name order. */
  async capturedTables(): Promise<TableId[]> {
    const res = await this.client.query(
      `SELECT n.nspname AS schema, c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
         AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
       ORDER BY 1, 2`,
    )
    return (res.rows as TableId[]).filter((t) => isIncluded(this.#settings, t.schema, t.table))
  }

  /** A table's columns in attribute order, with primary key membership, nullability and default expression. */
  async columns(t: TableId): Promise<ColumnInfo[]> {
    const res = await this.client.query(
      `SELECT a.attname AS name, a.atttypid::int8 AS oid, a.atttypmod AS typmod, NOT a.attnotnull AS optional,
              coalesce(a.attnum = ANY(i.indkey), false) AS key, pg_get_expr(d.adbin, d.adrelid) AS default
       FROM pg_attribute a
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
       WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum`,
      [t.schema, t.table],
    )
    type Row = { name: string; oid: string; typmod: string; optional: string; key: string; default: string | null }
    return res.rows.map((r: Row) => ({
      name: r.name,
      typeOid: Number(r.oid),
      typeModifier: Number(r.typmod),
      optional: r.optional === 't',
      key: r.key === 't',
      defaultExpression: r.default,
    }))
  }

  /** Creates the publication per `publication.autocreate.mode` when it does not exist; fails when it must exist. */
  async ensurePublication(): Promise<void> {
    const s = this.#settings
    const found = await this.client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [s.publicationName])
    if (found.rowCount && found.rowCount > 0) {
      if (s.autocreateMode === 'filtered') await this.#alterFiltered()
      return
    }
    const name = quoteIdent(s.publicationName)
    switch (s.autocreateMode) {
      case 'disabled':
        throw new ConnectException(
          `Publication '${s.publicationName}' does not exist and publication.autocreate.mode is disabled: create it first`,
        )
      case 'all_tables':
        await this.client.query(`CREATE PUBLICATION ${name} FOR ALL TABLES`)
        return
      case 'no_tables':
        await this.client.query(`CREATE PUBLICATION ${name}`)
        return
      case 'filtered': {
        const tables = await this.capturedTables()
        if (tables.length === 0)
          throw new ConnectException(
            `No table matches the filters, so publication '${s.publicationName}' cannot be created in filtered mode`,
          )
        await this.client.query(`CREATE PUBLICATION ${name} FOR TABLE ${tables.map(qualified).join(', ')}`)
      }
    }
  }

  /** Filtered mode keeps an existing publication's tables in line with the filters, as Debezium does. */
  async #alterFiltered(): Promise<void> {
    const tables = await this.capturedTables()
    if (tables.length === 0) return
    await this.client.query(
      `ALTER PUBLICATION ${quoteIdent(this.#settings.publicationName)} SET TABLE ${tables.map(qualified).join(', ')}`,
    )
  }

  /** The slot's plugin, database and confirmed position, or null when it does not exist. */
  async slot(): Promise<{ plugin: string; database: string; confirmedFlush: Lsn | null; active: boolean } | null> {
    const res = await this.client.query(
      'SELECT plugin, database, confirmed_flush_lsn::text AS confirmed, active FROM pg_replication_slots WHERE slot_name = $1',
      [this.#settings.slotName],
    )
    const row = res.rows[0] as
      | { plugin: string; database: string; confirmed: string | null; active: string }
      | undefined
    if (!row) return null
    return {
      plugin: row.plugin,
      database: row.database,
      confirmedFlush: row.confirmed ? parseLsn(row.confirmed) : null,
      active: row.active === 't',
    }
  }

  /** Drops the slot once its walsender let go of it (the server ends it shortly after our connection closes). */
  async dropSlot(): Promise<void> {
    const name = this.#settings.slotName
    for (let waited = 0; ; waited += 200) {
      const res = await this.client.query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [name])
      const row = res.rows[0] as { active: string } | undefined
      if (!row) return
      if (row.active !== 't') {
        await this.client.query('SELECT pg_drop_replication_slot($1)', [name])
        return
      }
      if (waited >= 10_000) throw new ConnectException(`Replication slot '${name}' is still in use; it was not dropped`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  close(): Promise<void> {
    return this.client.end().catch(() => {})
  }
}

export function qualified(t: TableId): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`
}
