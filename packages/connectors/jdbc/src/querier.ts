/**
 * One table (or the custom query) of a source task, as Confluent's TableQuerier: runs the mode's query, streams its
 * rows through a cursor in batches, and gives each record the offset a restart resumes from.
 */
import { ConnectException, DataException, type OffsetMap, type Schema, SourceRecord, Struct } from '@ferry/api'
import { structSchema } from './columns.ts'
import type { Cursor, Db, NumericMappingOptions, ResultColumn, TableId } from './db.ts'
import type { SourceMode } from './source-config.ts'
import { offsetToMap, type TimestampIncrementingOffset } from './tables.ts'
import { formatWallClock, instantToWallClock, parseDate, parseTimestamp } from './time.ts'

const NANOS_PER_MILLI = 1_000_000n

export interface QuerierOptions {
  mode: SourceMode
  table: TableId | null
  query: string | null
  topic: string
  partition: OffsetMap
  offset: TimestampIncrementingOffset
  incrementingColumn: string | null
  timestampColumns: string[]
  /** Used when there is no stored timestamp: epoch millis, or -1 for the database's current time. */
  timestampInitial: number | null
  timestampDelayMs: number
  querySuffix: string
  numeric: NumericMappingOptions
}

export class TableQuerier {
  readonly options: QuerierOptions
  /** When the last query finished (0: never ran). */
  lastUpdate = 0
  #offset: TimestampIncrementingOffset
  #cursor: Cursor | null = null
  #pending: unknown[][] = []
  #exhausted = false
  #schema: Schema | null = null
  #columns: ResultColumn[] = []
  #schemaKey = ''
  #incIndex = -1
  #tsIndexes: number[] = []

  constructor(options: QuerierOptions) {
    this.options = options
    this.#offset = options.offset
  }

  get querying(): boolean {
    return this.#cursor !== null
  }

  get name(): string {
    return this.options.table
      ? [this.options.table.catalog, this.options.table.schema, this.options.table.table].filter(Boolean).join('.')
      : 'query'
  }

  /** Runs the mode's query and opens its cursor. */
  async start(db: Db): Promise<void> {
    const o = this.options
    const q = (c: string) => db.quote(c)
    let sql = o.table ? `SELECT * FROM ${db.quoteTable(o.table)}` : (o.query as string)
    const params: unknown[] = []
    const p = () => db.placeholder(params.length)
    const tsExpr =
      o.timestampColumns.length === 1 ? q(o.timestampColumns[0]!) : `COALESCE(${o.timestampColumns.map(q).join(',')})`
    const inc = o.incrementingColumn ? q(o.incrementingColumn) : ''
    const zone = o.numeric.timeZone
    const tsParam = (instant: bigint) => formatWallClock(instantToWallClock(instant, zone), 6)
    if (o.mode !== 'bulk') {
      let begin = this.#offset.timestamp
      let end: bigint | null = null
      if (o.mode !== 'incrementing') {
        const now = await db.currentTime()
        end = now - BigInt(o.timestampDelayMs) * NANOS_PER_MILLI
        if (begin === null) {
          if (o.timestampInitial === -1) begin = now
          else if (o.timestampInitial !== null) begin = BigInt(o.timestampInitial) * NANOS_PER_MILLI
          else begin = 0n
        }
      }
      const incValue = this.#offset.incrementing ?? -1n
      const incParam = Number.isSafeInteger(Number(incValue)) ? Number(incValue) : incValue.toString()
      switch (o.mode) {
        case 'incrementing':
          params.push(incParam)
          sql += ` WHERE ${inc} > ${p()} ORDER BY ${inc} ASC`
          break
        case 'timestamp':
          params.push(tsParam(begin!))
          sql += ` WHERE ${tsExpr} > ${p()}`
          params.push(tsParam(end!))
          sql += ` AND ${tsExpr} < ${p()} ORDER BY ${tsExpr} ASC`
          break
        case 'timestamp+incrementing':
          params.push(tsParam(end!))
          sql += ` WHERE ${tsExpr} < ${p()}`
          params.push(tsParam(begin!))
          sql += ` AND ((${tsExpr} = ${p()}`
          params.push(incParam)
          sql += ` AND ${inc} > ${p()}`
          params.push(tsParam(begin!))
          sql += `) OR ${tsExpr} > ${p()}) ORDER BY ${tsExpr},${inc} ASC`
          break
      }
    }
    if (o.querySuffix) sql += ` ${o.querySuffix}`
    this.#cursor = await db.cursor(sql, params, o.numeric)
    this.#pending = []
    this.#exhausted = false
    this.#prepareSchema(this.#cursor.columns)
  }

  #prepareSchema(columns: ResultColumn[]): void {
    const key = columns.map((c) => `${c.name}:${c.schema?.type}:${c.schema?.isOptional}:${c.schema?.name}`).join('|')
    if (key === this.#schemaKey) return
    this.#schemaKey = key
    this.#columns = columns
    this.#schema = structSchema(this.options.table ? this.options.table.table : null, columns)
    const names = columns.map((c) => c.name)
    const find = (name: string, what: string): number => {
      const exact = names.indexOf(name)
      if (exact >= 0) return exact
      const lower = names.filter((n) => n.toLowerCase() === name.toLowerCase())
      if (lower.length === 1) return names.indexOf(lower[0]!)
      throw new DataException(`${what} ${name} not found in ${names.join(',')}`)
    }
    this.#incIndex = this.options.incrementingColumn ? find(this.options.incrementingColumn, 'Incrementing column') : -1
    this.#tsIndexes = this.options.mode.startsWith('timestamp')
      ? this.options.timestampColumns.map((c) => find(c, 'Timestamp column'))
      : []
  }

  /** Up to `max` records; `done` tells whether the result is exhausted (then `finish` must be called). */
  async next(max: number): Promise<{ records: SourceRecord[]; done: boolean }> {
    const cursor = this.#cursor
    if (!cursor) return { records: [], done: true }
    const records: SourceRecord[] = []
    const lookahead = this.options.mode === 'timestamp'
    while (records.length < max) {
      if (this.#pending.length < (lookahead ? 2 : 1) && !this.#exhausted) {
        const rows = await cursor.next(Math.max(max - records.length, 2))
        if (rows.length === 0) this.#exhausted = true
        else for (const row of rows) this.#pending.push(row)
        continue
      }
      const row = this.#pending.shift()
      if (row === undefined) break
      records.push(this.#record(row, lookahead ? (this.#pending[0] ?? null) : null))
    }
    return { records, done: this.#exhausted && this.#pending.length === 0 }
  }

  #record(row: unknown[], next: unknown[] | null): SourceRecord {
    const schema = this.#schema!
    const struct = new Struct(schema)
    const columns = this.#columns
    for (let i = 0; i < columns.length; i++) {
      const c = columns[i]!
      if (c.schema === null) continue
      const raw = row[i] ?? null
      try {
        struct.put(c.name, c.convert(raw))
      } catch (e) {
        throw new DataException(
          `Cannot convert column ${c.name} of ${this.name} (${String(raw)}): ${(e as Error).message}`,
        )
      }
    }
    const o = this.options
    let offset: OffsetMap | null = null
    if (o.mode !== 'bulk') {
      const timestamp = this.#tsIndexes.length > 0 ? this.#timestampOf(row) : null
      const incrementing = this.#incIndex >= 0 ? this.#incrementingOf(row) : null
      if (o.mode === 'timestamp') {
        // Confluent's TimestampTableQuerier: the timestamp is committed only once every row with it was read.
        const nextTs = next === null ? null : this.#timestampOf(next)
        if (timestamp === null || nextTs === null || timestamp < nextTs) {
          this.#offset = { timestamp, incrementing: null }
        }
      } else {
        this.#offset = { timestamp, incrementing }
      }
      offset = offsetToMap(this.#offset)
    }
    return new SourceRecord(o.partition, offset, o.topic, null, null, null, schema, struct)
  }

  #timestampOf(row: unknown[]): bigint | null {
    for (const i of this.#tsIndexes) {
      const raw = row[i]
      if (raw === null || raw === undefined) continue
      const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw)
      if (/^\d{4,}-\d{2}-\d{2}$/.test(text)) return BigInt(parseDate(text).getTime()) * NANOS_PER_MILLI
      return parseTimestamp(text, this.options.numeric.timeZone)
    }
    return null
  }

  #incrementingOf(row: unknown[]): bigint {
    const raw = row[this.#incIndex]
    if (raw === null || raw === undefined) {
      throw new ConnectException(
        `Null value for incrementing column ${this.options.incrementingColumn} of ${this.name}`,
      )
    }
    const text = (Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw)).replace(/\.0*$/, '')
    if (!/^-?\d+$/.test(text)) {
      throw new ConnectException(`Invalid value for incrementing column ${this.options.incrementingColumn}: ${text}`)
    }
    return BigInt(text)
  }

  /** Closes the finished query; the next one runs `poll.interval.ms` after `now`. */
  async finish(now: number): Promise<void> {
    const cursor = this.#cursor
    this.#cursor = null
    this.#pending = []
    this.lastUpdate = now
    await cursor?.close()
  }

  /** Drops the query after an error; the in-memory offset stays at the last record handed out. */
  async abort(now: number): Promise<void> {
    const cursor = this.#cursor
    this.#cursor = null
    this.#pending = []
    this.lastUpdate = now
    await cursor?.close().catch(() => {})
  }
}
