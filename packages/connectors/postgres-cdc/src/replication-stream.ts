/**
 * A logical replication connection (`replication=database`) speaking the streaming replication protocol over
 * node-postgres: slot creation with an exported snapshot, `START_REPLICATION ... LOGICAL` with pgoutput, and the
 * standby status updates that tell the server how far the slot may advance.
 *
 * Messages inside the CopyBoth stream (network byte order, times in µs since 2000-01-01):
 *
 * ```
 * server → client  XLogData          'w' Int64 walStart, Int64 walEnd, Int64 sendTime, payload (one pgoutput message)
 * server → client  Primary keepalive 'k' Int64 walEnd, Int64 sendTime, Byte1 replyRequested
 * client → server  Standby status    'r' Int64 written, Int64 flushed, Int64 applied, Int64 clock, Byte1 replyRequested
 * ```
 *
 * The flushed position is only ever what `confirm()` was given: the task confirms a position once Kafka acked every
 * record before it, so the server keeps the WAL of everything not yet in Kafka. Received messages wait, as the bytes
 * the server sent, in a bounded queue (`max.queue.size`, `max.queue.size.in.bytes`: change-queue.ts) and are decoded
 * when `take` hands them out; when the queue is full the socket is paused, and TCP holds the server back.
 */
import pg from 'pg'
import { ChangeQueue } from './change-queue.ts'
import { type Lsn, parseLsn } from './lsn.ts'
import { decodePgOutput, type PgOutputMessage } from './pgoutput.ts'

export type ReplicationEvent =
  | { kind: 'data'; walStart: Lsn; message: PgOutputMessage }
  | { kind: 'keepalive'; walEnd: Lsn }

export interface CreatedSlot {
  slotName: string
  consistentPoint: Lsn
  /** The exported snapshot, valid until this connection runs its next command. */
  snapshotName: string | null
}

interface PgConnection {
  on(event: 'copyData', fn: (msg: { chunk: Buffer }) => void): void
  removeAllListeners(event?: string): void
  sendCopyFromChunk(chunk: Buffer): void
  stream: { pause(): void; resume(): void }
}

const PG_EPOCH_MS = 946_684_800_000

function nowPgMicros(): bigint {
  return BigInt(Date.now() - PG_EPOCH_MS) * 1000n
}

/** Quotes an identifier for the replication grammar and SQL alike. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

/** Quotes a string literal. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}

export class ReplicationStream {
  readonly #client: pg.Client
  #connection: PgConnection | null = null
  readonly #queue: ChangeQueue
  #closed = false
  #failed = false
  #received: Lsn = 0n
  #flushed: Lsn = 0n
  #statusTimer: NodeJS.Timeout | null = null
  #replication: Promise<unknown> | null = null

  private constructor(client: pg.Client, maxQueue: number, maxQueueBytes: number) {
    this.#client = client
    this.#queue = new ChangeQueue(maxQueue, maxQueueBytes, {
      pause: () => this.#connection?.stream.pause(),
      resume: () => this.#connection?.stream.resume(),
    })
    client.on('error', (e) => this.#fail(e))
  }

  /**
   * Opens a replication connection with the given node-postgres options; received messages wait in a queue of at
   * most `maxQueue` messages and `maxQueueBytes` bytes (0: no bound in bytes).
   */
  static async open(options: pg.ClientConfig, maxQueue: number, maxQueueBytes: number): Promise<ReplicationStream> {
    const client = new pg.Client({ ...options, replication: 'database' } as pg.ClientConfig)
    await client.connect()
    return new ReplicationStream(client, maxQueue, maxQueueBytes)
  }

  /** Creates a logical slot for pgoutput; with `exportSnapshot` the result names the snapshot it exported. */
  async createSlot(slotName: string, exportSnapshot: boolean): Promise<CreatedSlot> {
    const res = await this.#client.query(
      `CREATE_REPLICATION_SLOT ${quoteIdent(slotName)} LOGICAL pgoutput ${exportSnapshot ? 'EXPORT_SNAPSHOT' : 'NOEXPORT_SNAPSHOT'}`,
    )
    const row = res.rows[0] as { slot_name: string; consistent_point: string; snapshot_name: string | null }
    return {
      slotName: row.slot_name,
      consistentPoint: parseLsn(row.consistent_point),
      snapshotName: row.snapshot_name ?? null,
    }
  }

  /** Starts streaming the slot's changes of `publication` from `startLsn` (the server starts no earlier than the slot's confirmed position). */
  start(slotName: string, publication: string, startLsn: Lsn, statusIntervalMs: number): void {
    // node-postgres keeps its protocol connection off its typings.
    const connection = (this.#client as unknown as { connection: PgConnection }).connection
    this.#connection = connection
    connection.on('copyData', ({ chunk }) => this.#onCopyData(chunk))
    this.#flushed = startLsn
    const start = `${(startLsn >> 32n).toString(16).toUpperCase()}/${(startLsn & 0xffffffffn).toString(16).toUpperCase()}`
    this.#replication = this.#client
      .query(
        `START_REPLICATION SLOT ${quoteIdent(slotName)} LOGICAL ${start} (proto_version '1', publication_names ${quoteLiteral(quoteIdent(publication))})`,
      )
      .then(
        () => this.#fail(new Error('the server ended the replication stream')),
        (e: Error) => this.#fail(e),
      )
    this.#statusTimer = setInterval(() => this.#sendStatus(false), Math.max(100, statusIntervalMs))
    this.#statusTimer.unref()
  }

  #onCopyData(chunk: Buffer): void {
    const type = chunk[0]
    if (type === 0x77 /* w */) {
      const walStart = chunk.readBigUInt64BE(1)
      if (walStart > this.#received) this.#received = walStart
      // A copy: node-postgres may write its next reads over the buffer `chunk` is a view of.
      this.#queue.push(Buffer.from(chunk))
    } else if (type === 0x6b /* k */) {
      const walEnd = chunk.readBigUInt64BE(1)
      if (walEnd > this.#received) this.#received = walEnd
      this.#queue.push(Buffer.from(chunk.subarray(0, 9)))
      if (chunk[17] === 1) this.#sendStatus(false)
    }
  }

  #fail(e: Error): void {
    if (this.#closed) return
    this.#failed = true
    this.#queue.fail(e)
  }

  /** Up to `max` events, waiting up to `waitMs` for the first; throws once the connection failed. */
  async take(max: number, waitMs: number): Promise<ReplicationEvent[]> {
    const messages = await this.#queue.take(max, waitMs)
    const events: ReplicationEvent[] = new Array(messages.length)
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i] as Buffer
      events[i] =
        m[0] === 0x77
          ? { kind: 'data', walStart: m.readBigUInt64BE(1), message: decodePgOutput(m.subarray(25)) }
          : { kind: 'keepalive', walEnd: m.readBigUInt64BE(1) }
    }
    return events
  }

  /** Lets the server advance the slot to `lsn`: everything before it is safely in Kafka. Never moves backwards. */
  confirm(lsn: Lsn): void {
    if (lsn <= this.#flushed) return
    this.#flushed = lsn
    this.#sendStatus(false)
  }

  get confirmed(): Lsn {
    return this.#flushed
  }

  #sendStatus(replyRequested: boolean): void {
    if (!this.#connection || this.#closed || this.#failed) return
    const msg = Buffer.alloc(34)
    msg[0] = 0x72 // r
    // biome-ignore lint/complexity/useMathMinMax: LSNs are bigints
    const written = this.#received > this.#flushed ? this.#received : this.#flushed
    msg.writeBigUInt64BE(written, 1)
    msg.writeBigUInt64BE(this.#flushed, 9)
    msg.writeBigUInt64BE(this.#flushed, 17)
    msg.writeBigInt64BE(nowPgMicros(), 25)
    msg[33] = replyRequested ? 1 : 0
    try {
      this.#connection.sendCopyFromChunk(msg)
    } catch (e) {
      this.#fail(e as Error)
    }
  }

  /** Sends a last status update and closes the connection. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#sendStatus(false)
    this.#closed = true
    if (this.#statusTimer) clearInterval(this.#statusTimer)
    this.#queue.close()
    await this.#client.end().catch(() => {})
    await this.#replication?.catch(() => {})
  }
}
