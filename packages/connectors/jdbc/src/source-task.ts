import { ConnectException, type OffsetMap, RetriableException, type SourceRecord, SourceTask } from '@ferry/api'
import { connect, type Db, errorMessage, redact, sleep, type TableId, unquotedName } from './db.ts'
import { TableQuerier } from './querier.ts'
import { type SourceSettings, sourceSettings, TASK_TABLES } from './source-config.ts'
import { candidatePartitions, offsetFromMap, QUERY_PARTITION, tablePartition } from './tables.ts'
import { VERSION } from './version.ts'

/**
 * Confluent's JdbcSourceTask: polls its tables (or the custom query) in turn, each at most every
 * `poll.interval.ms`, and returns up to `batch.max.rows` records per poll. Offsets are read at start under every
 * partition name Confluent ever used, so a migrated connector resumes where it was.
 */
export class JdbcSourceTask extends SourceTask {
  #settings: SourceSettings | null = null
  #db: Db | null = null
  #queriers: TableQuerier[] = []
  #stopped = false
  #failures = 0
  readonly #wake: { wake?: () => void } = {}

  version(): string {
    return VERSION
  }

  async start(props: Record<string, string>): Promise<void> {
    try {
      await this.#start(props)
    } catch (e) {
      // Whatever failed, the connection must not keep the process alive.
      await this.stop()
      throw e
    }
  }

  async #start(props: Record<string, string>): Promise<void> {
    this.#stopped = false
    const s = sourceSettings(props)
    this.#settings = s
    const tables = JSON.parse(props[TASK_TABLES] ?? '[]') as TableId[]
    if (tables.length === 0 && !s.query) {
      throw new ConnectException(
        'Invalid configuration: each JdbcSourceTask must have at least one table assigned to it or one query specified',
      )
    }
    const db = await this.#connect()
    const reader = this.context.offsetStorageReader()
    const incremental = s.mode !== 'bulk'
    if (s.query) {
      this.#queriers.push(
        new TableQuerier({
          ...this.#common(s),
          table: null,
          query: s.query,
          topic: s.topicPrefix,
          partition: QUERY_PARTITION,
          offset: offsetFromMap(incremental ? reader.offset(QUERY_PARTITION) : null),
          incrementingColumn: s.incrementingColumn || null,
        }),
      )
      return
    }
    for (const table of tables) {
      let incrementingColumn: string | null = null
      if (s.mode === 'incrementing' || s.mode === 'timestamp+incrementing') {
        incrementingColumn = s.incrementingColumn || (await this.#autoIncrementColumn(db, table))
      }
      if (incremental && s.validateNonNull) await this.#validateNonNull(db, table, incrementingColumn)
      let stored: OffsetMap | null = null
      if (incremental) {
        for (const partition of candidatePartitions(table, db.url.database)) {
          stored = reader.offset(partition)
          if (stored) break
        }
      }
      this.#queriers.push(
        new TableQuerier({
          ...this.#common(s),
          table,
          query: null,
          topic: s.topicPrefix + table.table,
          // Bulk records carry Confluent's bulk partition; the incremental ones the V1 partition.
          partition: incremental ? tablePartition(table) : { table: table.table },
          offset: offsetFromMap(stored),
          incrementingColumn,
        }),
      )
    }
  }

  #common(s: SourceSettings) {
    return {
      mode: s.mode,
      timestampColumns: s.mode === 'timestamp' || s.mode === 'timestamp+incrementing' ? s.timestampColumns : [],
      timestampInitial: s.timestampInitial,
      timestampDelayMs: s.timestampDelayMs,
      querySuffix: s.querySuffix,
      numeric: s.numeric,
    }
  }

  async #connect(): Promise<Db> {
    if (this.#db) return this.#db
    const db = await connect({ ...this.#settings!.connection, stopped: () => this.#stopped })
    if (this.#stopped) {
      // Stopped while connecting (stop runs beside poll): stop found no connection to close.
      await db.close()
      throw new ConnectException('The task was stopped while connecting')
    }
    this.#db = db
    return db
  }

  async #autoIncrementColumn(db: Db, table: TableId): Promise<string> {
    const definition = await db.describeTable(table)
    const column = definition && [...definition.columns].find(([, c]) => c.autoIncrement)?.[0]
    if (!column) {
      throw new ConnectException(
        `Cannot find an auto-incrementing column in ${unquotedName(table)}: set incrementing.column.name`,
      )
    }
    return column
  }

  async #validateNonNull(db: Db, table: TableId, incrementingColumn: string | null): Promise<void> {
    const s = this.#settings!
    const definition = await db.describeTable(table)
    if (!definition) throw new ConnectException(`Table ${unquotedName(table)} does not exist`)
    const lookup = (name: string) =>
      definition.columns.get(name) ??
      [...definition.columns].find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1] ??
      null
    if (incrementingColumn !== null && lookup(incrementingColumn)?.nullable) {
      throw new ConnectException(
        `Cannot make incremental queries using incrementing column ${incrementingColumn} on ${unquotedName(table)} because this column is nullable.`,
      )
    }
    if (s.mode === 'timestamp' || s.mode === 'timestamp+incrementing') {
      const columns = s.timestampColumns.map(lookup)
      if (columns.every((c) => c === null || c.nullable)) {
        throw new ConnectException(
          `Cannot make incremental queries using timestamp columns [${s.timestampColumns.join(', ')}] on ${unquotedName(table)} because all of these columns are nullable.`,
        )
      }
    }
  }

  async poll(): Promise<SourceRecord[] | null> {
    const s = this.#settings!
    if (this.#stopped) return null
    const querier =
      this.#queriers.find((q) => q.querying) ??
      this.#queriers.reduce((a, b) => (b.lastUpdate < a.lastUpdate ? b : a), this.#queriers[0]!)
    if (!querier.querying) {
      const wait = querier.lastUpdate + s.pollIntervalMs - Date.now()
      if (wait > 0) {
        await sleep(Math.min(wait, 1000), this.#wake)
        return null
      }
    }
    try {
      const db = await this.#connect()
      if (!querier.querying) await querier.start(db)
      const { records, done } = await querier.next(s.batchMaxRows)
      if (done) await querier.finish(Date.now())
      this.#failures = 0
      return records.length > 0 ? records : null
    } catch (e) {
      await querier.abort(Date.now())
      if (this.#stopped) return null
      if (e instanceof ConnectException && !(e instanceof RetriableException) && /Could not connect/.test(e.message)) {
        throw e
      }
      if (this.#db?.isConnectionError(e)) {
        await this.#db.close()
        this.#db = null
      }
      const message = `Failed to run query for table ${querier.name}: ${redact(errorMessage(e), s.connection.password)}`
      this.#failures++
      if (s.queryRetryAttempts >= 0 && this.#failures > s.queryRetryAttempts) throw new ConnectException(message)
      throw new RetriableException(message)
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#wake.wake?.()
    const db = this.#db
    this.#db = null
    for (const q of this.#queriers) await q.abort(Date.now())
    await db?.close()
  }
}
