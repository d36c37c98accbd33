/**
 * The initial snapshot: every captured table read in one REPEATABLE READ transaction. When the slot was created for
 * it, the transaction imports the snapshot the slot exported (`SET TRANSACTION SNAPSHOT`), so the rows are exactly
 * the database as of the slot's consistent point and the stream goes on from there with nothing missed or repeated.
 * Rows are fetched through a cursor `snapshot.fetch.size` at a time, as text; the next FETCH is sent as soon as one
 * returns, so the server reads the next rows while the task turns these into records.
 */
import type pg from 'pg'
import { type Catalog, qualified, type TableId } from './catalog.ts'
import { quoteLiteral } from './replication-stream.ts'

export interface SnapshotRow {
  table: TableId
  values: Array<string | null>
  /** The first row of its table / the last one. */
  firstInTable: boolean
  lastInTable: boolean
}

export class SnapshotReader {
  readonly #client: pg.Client
  readonly #tables: TableId[]
  readonly #fetchSize: number
  #tableIndex = -1
  /** Fetched rows; those before `#at` are taken (an index: shift() on an array of 20,000 moves them every time). */
  #buffer: Array<Array<string | null>> = []
  #at = 0
  #tableRows = 0
  #tableDone = true
  #cursorOpen = false
  /** The FETCH sent ahead, until `#fetch` takes it. */
  #ahead: Promise<void> | null = null
  /** The snapshot transaction's id and start time (µs). */
  readonly txId: number
  readonly startedUsec: bigint

  private constructor(client: pg.Client, tables: TableId[], fetchSize: number, txId: number, startedUsec: bigint) {
    this.#client = client
    this.#tables = tables
    this.#fetchSize = fetchSize
    this.txId = txId
    this.startedUsec = startedUsec
  }

  /** Opens the snapshot transaction on `client` (its own connection), importing `snapshotName` when given. */
  static async begin(
    client: pg.Client,
    catalog: Catalog,
    snapshotName: string | null,
    fetchSize: number,
  ): Promise<SnapshotReader> {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ')
    if (snapshotName) await client.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshotName)}`)
    const res = await client.query(
      'SELECT txid_current()::text AS txid, (extract(epoch from now()) * 1000000)::int8::text AS started',
    )
    const row = res.rows[0] as { txid: string; started: string }
    const tables = await catalog.capturedTables()
    return new SnapshotReader(client, tables, fetchSize, Number(row.txid), BigInt(row.started))
  }

  get tables(): readonly TableId[] {
    return this.#tables
  }

  /** Up to `max` rows of one table, table after table; an empty array once every table is read. */
  async next(max: number): Promise<SnapshotRow[]> {
    const out: SnapshotRow[] = []
    while (out.length < max) {
      if (this.#left === 0 && !this.#tableDone) await this.#fetch()
      if (this.#left === 0 && this.#tableDone) {
        // A batch ends with its table: the next table's first fetch may wait (locks), and these rows can go now.
        if (out.length > 0 || !(await this.#nextTable())) break
        continue
      }
      const values = this.#buffer[this.#at++] as Array<string | null>
      if (this.#at === this.#buffer.length) {
        this.#buffer = []
        this.#at = 0
      }
      if (this.#left === 0 && !this.#tableDone) await this.#fetch()
      this.#tableRows++
      out.push({
        table: this.#tables[this.#tableIndex] as TableId,
        values,
        firstInTable: this.#tableRows === 1,
        lastInTable: this.#left === 0 && this.#tableDone,
      })
    }
    return out
  }

  /** Rows fetched and not taken yet. */
  get #left(): number {
    return this.#buffer.length - this.#at
  }

  /** True when some table after the current one is left: the caller marks the very last row. */
  get moreTables(): boolean {
    return this.#tableIndex < this.#tables.length - 1
  }

  async #nextTable(): Promise<boolean> {
    if (this.#cursorOpen) await this.#client.query('CLOSE ferry_snapshot')
    this.#cursorOpen = false
    this.#tableIndex++
    const table = this.#tables[this.#tableIndex]
    if (!table) return false
    await this.#client.query(`DECLARE ferry_snapshot NO SCROLL CURSOR FOR SELECT * FROM ${qualified(table)}`)
    this.#cursorOpen = true
    this.#tableRows = 0
    this.#tableDone = false
    await this.#fetch()
    return true
  }

  /** Waits for the next rows of the table (the FETCH sent ahead, or a new one), then sends the next FETCH ahead. */
  async #fetch(): Promise<void> {
    const ahead = this.#ahead ?? this.#request()
    this.#ahead = null
    await ahead
    if (!this.#tableDone) {
      const next = this.#request()
      next.catch(() => {}) // awaited by the next #fetch, which reports the failure
      this.#ahead = next
    }
  }

  async #request(): Promise<void> {
    const res = await this.#client.query({ text: `FETCH ${this.#fetchSize} FROM ferry_snapshot`, rowMode: 'array' })
    const rows = res.rows as Array<Array<string | null>>
    if (rows.length < this.#fetchSize) this.#tableDone = true
    for (const r of rows) this.#buffer.push(r)
  }

  /** Ends the transaction. */
  async end(): Promise<void> {
    await this.#client.query('COMMIT').catch(() => {})
  }
}
