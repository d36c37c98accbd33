/**
 * Debezium's PostgresConnectorTask: snapshot, then the slot's changes as Debezium change events.
 *
 * Offsets (source partition `{"server": <topic.prefix>}`) use Debezium's keys:
 * - snapshot records: `snapshot` ("INITIAL"), `last_snapshot_record`, `lsn` (the slot's consistent point), `txId`,
 *   `ts_usec`; a snapshot whose last record is not in the offsets is taken again at restart;
 * - change events: `lsn` (the change), `txId`, `ts_usec` (commit time), `lsn_commit` (the commit LSN of the change's
 *   transaction), `lsn_proc` (= `lsn`), `lsn_events_processed` (how many events at this LSN were emitted: a
 *   multi-row insert shares one LSN), `messageType`.
 *
 * At restart the stream starts at the slot's confirmed position; transactions committed before the offset's
 * `lsn_commit` are skipped, and in that transaction the events up to (`lsn_proc`, `lsn_events_processed`). The slot's
 * confirmed position advances (in `commit()`, after the offsets were written) to the end of the last transaction whose
 * records Kafka acked in full, or, while nothing is in flight, to the server's position from its keepalives; heartbeat
 * records (`heartbeat.interval.ms`) carry that position through Kafka like any record.
 */
import {
  ConnectException,
  getLogger,
  type OffsetMap,
  type RecordMetadata,
  type Schema,
  SchemaBuilder,
  SourceRecord,
  SourceTask,
  Struct,
} from '@ferry/api'
import type pg from 'pg'
import { Catalog, connect, type TableId } from './catalog.ts'
import { isIncluded, settings as parseSettings, type Settings } from './config.ts'
import { type ColumnInfo, type SnapshotMarker, TableSchema } from './envelope.ts'
import { type Lsn, lsnFromOffset, lsnToNumber, parseLsn } from './lsn.ts'
import { type PgOutputMessage, pgTimeToUnixMicros, type RelationColumn, type TupleValue } from './pgoutput.ts'
import { type ReplicationEvent, ReplicationStream } from './replication-stream.ts'
import { SnapshotReader } from './snapshot.ts'
import { VERSION } from './version.ts'

interface Resume {
  commitLsn: Lsn
  lsn: Lsn
  count: number
}

interface Transaction {
  finalLsn: Lsn
  xid: number
  commitUsec: bigint
  skip: boolean
  partial: boolean
}

/** How often a broken replication connection is opened again before the task fails. */
const RECONNECT_ATTEMPTS = 8

const HEARTBEAT_KEY: Schema = SchemaBuilder.struct()
  .name('io.debezium.connector.common.ServerNameKey')
  .version(1)
  .field('serverName', SchemaBuilder.string().build())
  .build()
const HEARTBEAT_VALUE: Schema = SchemaBuilder.struct()
  .name('io.debezium.connector.common.Heartbeat')
  .version(1)
  .field('ts_ms', SchemaBuilder.int64().build())
  .build()

export class PostgresConnectorTask extends SourceTask {
  #s!: Settings
  #catalog: Catalog | null = null
  #stream: ReplicationStream | null = null
  #partition: OffsetMap = {}
  #stopped = false
  #streaming = false

  // snapshot
  #snapshot: SnapshotReader | null = null
  #snapshotClient: pg.Client | null = null
  #snapshotLsn: Lsn = 0n
  #snapshotSchemas = new Map<string, TableSchema>()
  #held: SourceRecord[] = []

  // stream
  #relations = new Map<number, { schema: string; table: string; columns: RelationColumn[] }>()
  #tables = new Map<number, TableSchema | null>()
  #typesStale = false
  #resume: Resume | null = null
  #tx: Transaction | null = null
  #lastCommitLsn: Lsn | null = null
  #lsnCount = { lsn: -1n, count: 0 }
  /** The position after everything processed so far (end of the last transaction, or the server's keepalive). */
  #processed: Lsn = 0n
  #lastOffset: OffsetMap | null = null
  /** The last record of the open transaction, which carries its end LSN to the slot once acked. */
  #txLast: SourceRecord | null = null
  #lastHeartbeat = Date.now()
  /** Replication connection failures since events last arrived. */
  #failures = 0
  /** Why the last reopening of the replication connection failed: the cause a later failure reports. */
  #openError: Error | null = null
  readonly #log = getLogger('io.debezium.connector.postgresql.PostgresStreamingChangeEventSource')

  // acknowledgements
  readonly #flushAt = new WeakMap<SourceRecord, Lsn>()
  readonly #ackedRecords = new WeakSet<SourceRecord>()
  #emitted = 0
  #acked = 0
  #ackedFlush: Lsn = 0n

  version(): string {
    return VERSION
  }

  async start(props: Record<string, string>): Promise<void> {
    const s = parseSettings(props)
    this.#s = s
    this.#stopped = false
    this.#partition = { server: s.topicPrefix }
    const catalog = new Catalog(await connect(s), s)
    this.#catalog = catalog
    try {
      await catalog.loadTypes()
      const offset = this.context.offsetStorageReader().offset(this.#partition)
      let slot = await catalog.slot()
      if (slot && slot.plugin !== 'pgoutput')
        throw new ConnectException(`Replication slot '${s.slotName}' uses plugin ${slot.plugin}, not pgoutput`)
      if (slot && slot.database !== s.database)
        throw new ConnectException(`Replication slot '${s.slotName}' belongs to database ${slot.database}`)
      const snapshotIncomplete =
        offset !== null &&
        offset.snapshot != null &&
        offset.last_snapshot_record !== true &&
        offset.snapshot_completed !== true
      const mode = s.snapshotMode
      const takeSnapshot =
        mode === 'always' ||
        ((mode === 'initial' || mode === 'initial_only') && (offset === null || snapshotIncomplete)) ||
        (mode === 'when_needed' && (offset === null || snapshotIncomplete || slot === null))
      if (offset && !takeSnapshot && offset.snapshot == null) {
        const commitLsn = lsnFromOffset(offset.lsn_commit)
        const lsn = lsnFromOffset(offset.lsn_proc) ?? lsnFromOffset(offset.lsn)
        if (commitLsn !== null && lsn !== null)
          this.#resume = { commitLsn, lsn, count: Number(offset.lsn_events_processed ?? 1) }
        this.#lastOffset = offset
      }
      if (mode !== 'initial_only') await catalog.ensurePublication()

      let snapshotName: string | null = null
      if (mode !== 'initial_only' && slot && takeSnapshot && !slot.active) {
        // Only a new slot exports a snapshot. The snapshot about to be taken holds every row as of the slot's new
        // consistent point, so nothing the old slot kept is needed: it is made again, and the snapshot (a first one
        // cut short, a repeated one) stays exactly consistent with the stream.
        await catalog.dropSlot()
        slot = null
      }
      if (mode !== 'initial_only') {
        const stream = await this.#openStream()
        if (!slot) {
          const created = await stream.createSlot(s.slotName, takeSnapshot)
          snapshotName = created.snapshotName
          this.#snapshotLsn = created.consistentPoint
          slot = await catalog.slot()
        } else {
          this.#snapshotLsn = slot.confirmedFlush ?? 0n
        }
      }
      if (takeSnapshot) {
        if (mode === 'initial_only') {
          const res = await catalog.client.query('SELECT pg_current_wal_lsn()::text AS lsn')
          this.#snapshotLsn = parseLsn((res.rows[0] as { lsn: string }).lsn)
        }
        this.#snapshotClient = await connect(s)
        this.#snapshot = await SnapshotReader.begin(this.#snapshotClient, catalog, snapshotName, s.snapshotFetchSize)
      }
      if (!this.#snapshot) this.#startStreaming()
    } catch (e) {
      await this.#close()
      throw e
    }
  }

  async #openStream(): Promise<ReplicationStream> {
    const s = this.#s
    let stream: ReplicationStream
    try {
      stream = await ReplicationStream.open(s.connection, s.maxQueueSize, s.maxQueueSizeInBytes)
    } catch (e) {
      if (s.sslMode !== 'prefer' || !/does not support SSL/i.test((e as Error).message)) throw e
      stream = await ReplicationStream.open({ ...s.connection, ssl: false }, s.maxQueueSize, s.maxQueueSizeInBytes)
    }
    this.#stream = stream
    return stream
  }

  #startStreaming(): void {
    if (this.#s.snapshotMode === 'initial_only' || !this.#stream) return
    this.#stream.start(this.#s.slotName, this.#s.publicationName, 0n, this.#s.statusUpdateIntervalMs)
    this.#streaming = true
    if (this.#snapshotLsn > this.#processed) this.#processed = this.#snapshotLsn
  }

  async #tableSchema(t: TableId, columns?: ColumnInfo[]): Promise<TableSchema> {
    const catalog = this.#catalog as Catalog
    const cols = columns ?? (await catalog.columns(t))
    if (cols.some((c) => !catalog.registry.has(c.typeOid)) || this.#typesStale) {
      await catalog.loadTypes()
      this.#typesStale = false
    }
    return new TableSchema(this.#s, catalog.registry, t.schema, t.table, cols, () => {})
  }

  async poll(): Promise<SourceRecord[] | null> {
    if (this.#stopped) return null
    if (this.#snapshot) return this.#pollSnapshot()
    if (!this.#streaming && this.#stream === null && this.#failures === 0) {
      await new Promise((r) => setTimeout(r, this.#s.pollIntervalMs))
      return null
    }
    const stream = this.#stream
    let events: ReplicationEvent[]
    try {
      if (!stream) throw this.#openError ?? new Error('the replication connection could not be opened')
      events = await stream.take(this.#s.maxBatchSize, this.#s.pollIntervalMs)
    } catch (e) {
      if (this.#stopped) return null
      await this.#reconnect(e as Error)
      return null
    }
    if (events.length > 0) this.#failures = 0
    const out: SourceRecord[] = []
    for (const event of events) {
      if (event.kind === 'keepalive') {
        if (this.#tx === null && event.walEnd > this.#processed) {
          this.#processed = event.walEnd
          // Nothing in flight: the server may forget everything up to here.
          if (out.length === 0 && this.#emitted === this.#acked) stream.confirm(event.walEnd)
        }
        continue
      }
      const before = out.length
      const wasOpen = this.#tx !== null
      await this.#handle(event.walStart, event.message, out)
      if (wasOpen && this.#tx !== null && out.length > before) this.#txLast = out[out.length - 1] as SourceRecord
    }
    if (this.#s.heartbeatIntervalMs > 0 && Date.now() - this.#lastHeartbeat >= this.#s.heartbeatIntervalMs) {
      this.#lastHeartbeat = Date.now()
      if (this.#s.heartbeatActionQuery) await (this.#catalog as Catalog).client.query(this.#s.heartbeatActionQuery)
      if (this.#tx === null) out.push(this.#heartbeat())
    }
    this.#emitted += out.length
    return out.length > 0 ? out : null
  }

  /**
   * The replication connection broke (server restart, network, a terminated walsender): open a new one and stream
   * from the slot again, skipping what this task already emitted (the same rule as a restart, from the last record's
   * offset). A connection that fails again before delivering anything counts as another failure; after
   * RECONNECT_ATTEMPTS in a row, with a growing pause between them, the task fails with the last error.
   */
  async #reconnect(cause: Error): Promise<void> {
    await this.#stream?.close()
    this.#stream = null
    this.#streaming = false
    this.#failures++
    if (this.#failures > RECONNECT_ATTEMPTS)
      throw new ConnectException(
        `The replication connection failed ${RECONNECT_ATTEMPTS} times in a row: ${cause.message}`,
        cause,
      )
    const offset = this.#lastOffset
    const commitLsn = lsnFromOffset(offset?.lsn_commit)
    const lsn = lsnFromOffset(offset?.lsn_proc)
    if (commitLsn !== null && lsn !== null)
      this.#resume = { commitLsn, lsn, count: Number(offset?.lsn_events_processed ?? 1) }
    this.#tx = null
    this.#txLast = null
    this.#relations.clear()
    this.#tables.clear()
    const delay = Math.min(10_000, 500 * 2 ** (this.#failures - 1))
    this.#log.warn(
      `The replication connection failed (${cause.message}); opening it again in ${delay} ms (attempt ${this.#failures} of ${RECONNECT_ATTEMPTS})`,
    )
    await new Promise((r) => setTimeout(r, delay))
    if (this.#stopped) return
    try {
      await this.#openStream()
      this.#startStreaming()
      this.#openError = null
      this.#log.info('The replication connection is open again; streaming resumes from the slot')
    } catch (e) {
      // Counted at the next poll, which finds no stream and reports this cause (a failed login, say).
      this.#openError = e as Error
      await (this.#stream as ReplicationStream | null)?.close()
      this.#stream = null
    }
  }

  #heartbeat(): SourceRecord {
    const r = new SourceRecord(
      this.#partition,
      this.#lastOffset ?? { lsn: lsnToNumber(this.#processed) },
      this.#s.heartbeatTopic,
      null,
      HEARTBEAT_KEY,
      new Struct(HEARTBEAT_KEY).put('serverName', this.#s.topicPrefix),
      HEARTBEAT_VALUE,
      new Struct(HEARTBEAT_VALUE).put('ts_ms', Date.now()),
    )
    this.#flushAt.set(r, this.#processed)
    return r
  }

  async #handle(walStart: Lsn, m: PgOutputMessage, out: SourceRecord[]): Promise<void> {
    switch (m.tag) {
      case 'begin': {
        const r = this.#resume
        this.#tx = {
          finalLsn: m.finalLsn,
          xid: m.xid,
          commitUsec: pgTimeToUnixMicros(m.commitTime),
          skip: r !== null && m.finalLsn < r.commitLsn,
          partial: r !== null && m.finalLsn === r.commitLsn,
        }
        this.#lsnCount = { lsn: -1n, count: 0 }
        return
      }
      case 'commit': {
        const last = this.#txLast
        this.#txLast = null
        if (last === null) {
          // Nothing of this transaction went to Kafka: with nothing in flight the slot may move past it.
          if (out.length === 0 && this.#emitted === this.#acked) this.#stream?.confirm(m.endLsn)
        } else if (this.#ackedRecords.has(last)) {
          if (m.endLsn > this.#ackedFlush) this.#ackedFlush = m.endLsn
        } else this.#flushAt.set(last, m.endLsn)
        this.#lastCommitLsn = m.commitLsn
        this.#processed = m.endLsn
        this.#tx = null
        return
      }
      case 'relation': {
        this.#relations.set(m.relationId, { schema: m.namespace, table: m.name, columns: m.columns })
        this.#tables.delete(m.relationId)
        return
      }
      case 'type':
        this.#typesStale = true
        return
      case 'origin':
      case 'message':
        return
      case 'truncate': {
        if (this.#s.skippedOperations.has('t')) return
        for (const id of m.relationIds) {
          const table = await this.#table(id)
          if (!table || !this.#accept(walStart)) continue
          out.push(this.#truncateRecord(table, walStart))
        }
        return
      }
      case 'insert': {
        if (this.#s.skippedOperations.has('c')) return
        const table = await this.#table(m.relationId)
        if (!table || !this.#accept(walStart)) return
        out.push(this.#record(table, walStart, 'c', null, m.tuple))
        return
      }
      case 'update': {
        if (this.#s.skippedOperations.has('u')) return
        const table = await this.#table(m.relationId)
        if (!table || !this.#accept(walStart)) return
        const oldKey = m.old ? table.key(m.old) : null
        const newKey = table.key(m.tuple)
        if (m.old && oldKey && newKey && !oldKey.equals(newKey)) {
          // The primary key changed: Debezium emits a delete of the old key (and its tombstone), then a create.
          out.push(this.#record(table, walStart, 'd', m.old, null))
          if (this.#s.tombstonesOnDelete) out.push(this.#tombstone(table, out[out.length - 1] as SourceRecord))
          out.push(this.#record(table, walStart, 'c', null, m.tuple))
          return
        }
        out.push(this.#record(table, walStart, 'u', m.oldIsKey ? null : m.old, m.tuple))
        return
      }
      case 'delete': {
        if (this.#s.skippedOperations.has('d')) return
        const table = await this.#table(m.relationId)
        if (!table || !this.#accept(walStart)) return
        const record = this.#record(table, walStart, 'd', m.old, null)
        out.push(record)
        if (this.#s.tombstonesOnDelete) out.push(this.#tombstone(table, record))
        return
      }
    }
  }

  /** Counts the event at `lsn` and says whether it is new (not delivered before a restart). */
  #accept(lsn: Lsn): boolean {
    const tx = this.#tx
    if (!tx || tx.skip) return false
    if (this.#lsnCount.lsn === lsn) this.#lsnCount.count++
    else this.#lsnCount = { lsn, count: 1 }
    const r = this.#resume
    if (tx.partial && r && (lsn < r.lsn || (lsn === r.lsn && this.#lsnCount.count <= r.count))) return false
    return true
  }

  /** The captured table of a relation, or null when the filters leave it out. */
  async #table(relationId: number): Promise<TableSchema | null> {
    const cached = this.#tables.get(relationId)
    if (cached !== undefined) return cached
    const rel = this.#relations.get(relationId)
    if (!rel) throw new ConnectException(`pgoutput sent a change of relation ${relationId} before describing it`)
    let table: TableSchema | null = null
    if (isIncluded(this.#s, rel.schema, rel.table)) {
      // Columns and types from the stream (they are what the tuples hold); NOT NULL from the catalog.
      const catalogColumns = await (this.#catalog as Catalog).columns({ schema: rel.schema, table: rel.table })
      const byName = new Map(catalogColumns.map((c) => [c.name, c]))
      table = await this.#tableSchema(
        { schema: rel.schema, table: rel.table },
        rel.columns.map((c) => ({
          name: c.name,
          typeOid: c.typeOid,
          typeModifier: c.typeModifier,
          key: c.key,
          optional: byName.get(c.name)?.optional ?? true,
          defaultExpression: byName.get(c.name)?.defaultExpression ?? null,
        })),
      )
    }
    this.#tables.set(relationId, table)
    return table
  }

  #streamOffset(lsn: Lsn, messageType: string): OffsetMap {
    const tx = this.#tx as Transaction
    return {
      lsn_proc: lsnToNumber(lsn),
      lsn_commit: lsnToNumber(tx.finalLsn),
      lsn: lsnToNumber(lsn),
      txId: tx.xid,
      ts_usec: Number(tx.commitUsec),
      lsn_events_processed: this.#lsnCount.count,
      messageType,
    }
  }

  #record(
    table: TableSchema,
    lsn: Lsn,
    op: 'c' | 'u' | 'd',
    before: TupleValue[] | null,
    after: TupleValue[] | null,
  ): SourceRecord {
    const tx = this.#tx as Transaction
    const source = table.source({
      tsUsec: tx.commitUsec,
      snapshot: 'false',
      txId: tx.xid,
      lsn: lsnToNumber(lsn),
      lastCommitLsn: this.#lastCommitLsn === null ? null : lsnToNumber(this.#lastCommitLsn),
    })
    const value = table.envelope(op, before ? table.row(before) : null, after ? table.row(after) : null, source)
    const offset = this.#streamOffset(lsn, op === 'c' ? 'INSERT' : op === 'u' ? 'UPDATE' : 'DELETE')
    this.#lastOffset = offset
    return new SourceRecord(
      this.#partition,
      offset,
      table.topic,
      null,
      table.keySchema,
      table.key((after ?? before) as TupleValue[]),
      table.envelopeSchema,
      value,
      Number(tx.commitUsec / 1000n),
    )
  }

  #tombstone(table: TableSchema, del: SourceRecord): SourceRecord {
    return new SourceRecord(
      this.#partition,
      del.sourceOffset,
      table.topic,
      null,
      table.keySchema,
      del.key,
      null,
      null,
      del.timestamp,
    )
  }

  /** Debezium's truncate event: op `t`, no key, no before/after. */
  #truncateRecord(table: TableSchema, lsn: Lsn): SourceRecord {
    const tx = this.#tx as Transaction
    const source = table.source({
      tsUsec: tx.commitUsec,
      snapshot: 'false',
      txId: tx.xid,
      lsn: lsnToNumber(lsn),
      lastCommitLsn: this.#lastCommitLsn === null ? null : lsnToNumber(this.#lastCommitLsn),
    })
    const nowMs = Date.now()
    const value = new Struct(table.envelopeSchema)
      .put('source', source)
      .put('op', 't')
      .put('ts_ms', nowMs)
      .put('ts_us', nowMs * 1000)
      .put('ts_ns', BigInt(nowMs) * 1_000_000n)
    const offset = this.#streamOffset(lsn, 'TRUNCATE')
    this.#lastOffset = offset
    return new SourceRecord(this.#partition, offset, table.topic, null, null, null, table.envelopeSchema, value)
  }

  async #pollSnapshot(): Promise<SourceRecord[] | null> {
    const reader = this.#snapshot as SnapshotReader
    const rows = await reader.next(this.#s.maxBatchSize)
    const out: SourceRecord[] = []
    for (const row of rows) {
      let table = this.#snapshotSchemas.get(key(row.table))
      if (!table) {
        // Read in the snapshot transaction, so the columns are those of the rows.
        const columns = await new Catalog(this.#snapshotClient as pg.Client, this.#s).columns(row.table)
        table = await this.#tableSchema(row.table, columns)
        this.#snapshotSchemas.set(key(row.table), table)
      }
      // Debezium's precedence; `last` goes on the held last record below.
      let marker: SnapshotMarker = 'true'
      if (row.firstInTable && key(row.table) === key(reader.tables[0] as TableId)) marker = 'first'
      else if (row.lastInTable) marker = 'last_in_data_collection'
      else if (row.firstInTable) marker = 'first_in_data_collection'
      const source = table.source({
        tsUsec: reader.startedUsec,
        snapshot: marker,
        txId: reader.txId,
        lsn: lsnToNumber(this.#snapshotLsn),
        lastCommitLsn: null,
      })
      const value = table.envelope('r', null, table.row(row.values), source)
      out.push(
        new SourceRecord(
          this.#partition,
          this.#snapshotOffset(reader, false),
          table.topic,
          null,
          table.keySchema,
          table.key(row.values),
          table.envelopeSchema,
          value,
          Number(reader.startedUsec / 1000n),
        ),
      )
    }
    // The last record of the snapshot is held back until the next one shows whether it is the last.
    const ready = [...this.#held, ...out]
    if (rows.length > 0) {
      this.#held = ready.splice(ready.length - 1)
      this.#emitted += ready.length
      return ready.length > 0 ? ready : null
    }
    const last = ready[0]
    this.#held = []
    await this.#finishSnapshot()
    if (!last) return null
    const value = last.value as Struct
    const source = value.getStruct('source') as Struct
    source.put('snapshot', 'last')
    const final = new SourceRecord(
      last.sourcePartition,
      this.#snapshotOffset(reader, true),
      last.topic,
      null,
      last.keySchema,
      last.key,
      last.valueSchema,
      value,
      last.timestamp,
    )
    this.#emitted += 1
    return [final]
  }

  #snapshotOffset(reader: SnapshotReader, last: boolean): OffsetMap {
    return {
      last_snapshot_record: last,
      lsn: lsnToNumber(this.#snapshotLsn),
      txId: reader.txId,
      ts_usec: Number(reader.startedUsec),
      snapshot: 'INITIAL',
      snapshot_completed: last,
    }
  }

  async #finishSnapshot(): Promise<void> {
    await this.#snapshot?.end()
    this.#snapshot = null
    await this.#snapshotClient?.end().catch(() => {})
    this.#snapshotClient = null
    this.#snapshotSchemas.clear()
    this.#startStreaming()
  }

  override commitRecord(record: SourceRecord, _metadata: RecordMetadata | null): void {
    this.#acked++
    this.#ackedRecords.add(record)
    const flush = this.#flushAt.get(record)
    if (flush !== undefined && flush > this.#ackedFlush) this.#ackedFlush = flush
  }

  override commit(): void {
    if (this.#ackedFlush > 0n) this.#stream?.confirm(this.#ackedFlush)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    await this.#close(this.#s?.slotDropOnStop === true)
  }

  async #close(dropSlot = false): Promise<void> {
    const stream = this.#stream
    this.#stream = null
    this.#streaming = false
    if (stream) {
      if (this.#ackedFlush > 0n) stream.confirm(this.#ackedFlush)
      await stream.close()
    }
    await this.#snapshot?.end()
    this.#snapshot = null
    await this.#snapshotClient?.end().catch(() => {})
    this.#snapshotClient = null
    const catalog = this.#catalog
    this.#catalog = null
    try {
      if (dropSlot && catalog) await catalog.dropSlot()
    } finally {
      await catalog?.close()
    }
  }
}

function key(t: TableId): string {
  return `${t.schema}\u0000${t.table}`
}
