/**
 * The two pipelines a chaos run keeps under load, each numbering its records 1, 2, 3...:
 *
 * - `file`: a writer appends `<seq> <padding>` lines to a file; FileStreamSource (one task) → a 3-partition topic →
 *   FileStreamSink (3 tasks), whose relative `file` lands in each worker's own directory; a tailer reads those files.
 * - `jdbc`: a writer inserts rows (`seq`) into a PostgreSQL table; JdbcSourceConnector (`mode=incrementing` on the
 *   `bigserial` id) → a 3-partition topic → JdbcSinkConnector (3 tasks, `insert`, no key) into a second table, whose
 *   `delivered_at` column (default `clock_timestamp()`) is the delivery time. Both connectors add the id of the
 *   worker process that handled the record (`src_worker`, `sink_worker`), which is how a zombie's writes are found.
 *
 * With the `exactly-once` guarantee (`--guarantee exactly-once`) the workers run exactly-once sources (KIP-618) and a
 * pipeline's ledger counts what a `read_committed` reader of its topic reads, instead of what its sink delivers: the
 * sinks still run (their load and their rebalances are part of the run), but they are at-least-once, and the topic is
 * where a source's duplicate or loss shows. The file source runs with `exactly.once.support=required`; the JDBC
 * source with the default `requested` (it does not declare support, as Confluent's does not), which on a worker with
 * `exactly.once.source.support=enabled` still writes its records and offsets in one transaction.
 */
import { randomUUID } from 'node:crypto'
import { appendFile, open, writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { connect, type Db } from '../../packages/connectors/jdbc/src/db.ts'
import { KafkaBasedLog } from '../../packages/runtime/src/kafka/based-log.ts'
import { JDBC_PASSWORD, JDBC_URL, JDBC_USER } from '../bench/jdbc.ts'
import type { Guarantee } from './ledger.ts'
import { Ledger } from './ledger.ts'
import { SINK_FILE, type WorkerSlot } from './workers.ts'

/** Worker keys of a guarantee: exactly-once sources need `exactly.once.source.support=enabled` on every worker. */
export function guaranteeWorkerProps(guarantee: Guarantee): Record<string, string> {
  return guarantee === 'exactly-once' ? { 'exactly.once.source.support': 'enabled' } : {}
}

/**
 * A `read_committed` reader of a pipeline's topic that counts each record's sequence number (`seq` of its value) as a
 * delivery in the ledger, for the `exactly-once` guarantee: what a transactional consumer of the topic would see.
 */
class CommittedTopicReader {
  readonly #log: KafkaBasedLog
  constructor(bootstrap: string, topic: string, ledger: Ledger, seq: (value: string) => number) {
    this.#log = new KafkaBasedLog({
      bootstrapServers: bootstrap.split(','),
      clientId: `chaos-reader-${topic}`,
      topic,
      readOnly: true,
      readCommitted: true,
      onRecord: (r) => ledger.delivered(seq(r.value?.toString('utf8') ?? ''), Date.now()),
    })
  }
  start(): Promise<void> {
    return this.#log.start()
  }
  /** Catches up with the topic's end; a broker that does not answer in time leaves the counts as they are (the
   * drain asks again, and gives up only when nothing moves for minutes). */
  async readToEnd(): Promise<void> {
    await this.#log.readToEnd(60_000).catch((e: Error) => {
      process.stdout.write(`reader of ${this.#log.topic}: ${e.message}\n`)
    })
  }
  stop(): Promise<void> {
    return this.#log.stop()
  }
}

/** The sequence number of a JDBC pipeline record (JSON with schemas: `{"schema":..., "payload":{"seq":...}}`). */
const jdbcSeq = (value: string): number => {
  try {
    return Number((JSON.parse(value) as { payload?: { seq?: unknown } }).payload?.seq)
  } catch {
    return Number.NaN
  }
}
const fileSeq = (value: string): number => Number(value.slice(0, value.indexOf(' ')))

const STRING = 'org.apache.kafka.connect.storage.StringConverter'
const JSON_CONVERTER = 'org.apache.kafka.connect.json.JsonConverter'
const PAD = 'x'.repeat(80)

/** A worker-id field the connector adds to each record, resolved on the worker that runs the task. */
function workerField(field: string): Record<string, string> {
  return {
    transforms: 'worker',
    'transforms.worker.type': 'org.apache.kafka.connect.transforms.InsertField$Value',
    'transforms.worker.static.field': field,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a config provider reference, resolved by the worker
    'transforms.worker.static.value': '${env:CHAOS_WORKER}',
  }
}

export interface Pipeline {
  name: 'file' | 'jdbc'
  topic: string
  ledger: Ledger
  source: { name: string; config: Record<string, string> }
  sink: { name: string; config: Record<string, string> }
  /** Starts the `read_committed` reader of the topic (exactly-once guarantee; nothing otherwise). */
  startReading(): Promise<void>
  /** Writes records 1, 2, 3... at `rate` per second until `stopWriting`. */
  startWriting(rate: number): void
  stopWriting(): Promise<void>
  /** Distinct records delivered so far (cheap; for the drain). */
  deliveredDistinct(): Promise<number>
  /** Moves every delivery into the ledger (the JDBC sink's table is read once, at the end). */
  collect(): Promise<void>
  close(keep: boolean): Promise<void>
}

/** Writes in ticks of 100 ms; the first error stops the run (the writer is not under test). */
class Ticker {
  #stop = false
  #done: Promise<void> = Promise.resolve()
  error: Error | undefined
  start(rate: number, write: (from: number, count: number) => Promise<void>, ledger: Ledger): void {
    this.#done = (async () => {
      let owed = 0
      let last = performance.now()
      while (!this.#stop) {
        await sleep(100)
        const now = performance.now()
        owed += ((now - last) / 1000) * rate
        last = now
        const count = Math.floor(owed)
        if (count === 0) continue
        owed -= count
        const from = ledger.written + 1
        const time = Date.now()
        for (let s = from; s < from + count; s++) ledger.wrote(s, time)
        try {
          await write(from, count)
        } catch (e) {
          this.error = e as Error
          return
        }
      }
    })()
  }
  async stop(): Promise<void> {
    this.#stop = true
    await this.#done
  }
}

/** Reads the lines the file sink appends in each worker's directory; `lines(slot)` counts one slot's. */
export class SinkFileTailer {
  readonly #slots: WorkerSlot[]
  readonly #ledger: Ledger
  readonly #positions = new Map<number, number>()
  readonly #partial = new Map<number, string>()
  readonly #lines = new Map<number, number>()
  #stop = false
  #done: Promise<void> = Promise.resolve()

  constructor(slots: WorkerSlot[], ledger: Ledger) {
    this.#slots = slots
    this.#ledger = ledger
  }

  start(): void {
    this.#done = (async () => {
      while (!this.#stop) {
        await this.poll()
        await sleep(250)
      }
    })()
  }

  async stop(): Promise<void> {
    this.#stop = true
    await this.#done
    await this.poll()
  }

  lines(slot: number): number {
    return this.#lines.get(slot) ?? 0
  }

  /** Reads what every sink file gained since the last call. */
  async poll(): Promise<void> {
    for (const slot of this.#slots) {
      const handle = await open(slot.sinkFile, 'r').catch(() => undefined)
      if (!handle) continue
      try {
        let position = this.#positions.get(slot.index) ?? 0
        const size = (await handle.stat()).size
        while (position < size) {
          const length = Math.min(size - position, 1024 * 1024)
          const buf = Buffer.alloc(length)
          const { bytesRead } = await handle.read(buf, 0, length, position)
          if (bytesRead === 0) break
          position += bytesRead
          const text = (this.#partial.get(slot.index) ?? '') + buf.toString('utf8', 0, bytesRead)
          const lines = text.split('\n')
          this.#partial.set(slot.index, lines.pop() ?? '')
          const now = Date.now()
          for (const line of lines) {
            this.#ledger.delivered(Number(line.slice(0, line.indexOf(' '))), now)
            this.#lines.set(slot.index, (this.#lines.get(slot.index) ?? 0) + 1)
          }
        }
        this.#positions.set(slot.index, position)
      } finally {
        await handle.close()
      }
    }
  }
}

export async function filePipeline(options: {
  inputFile: string
  slots: WorkerSlot[]
  suffix: string
  guarantee: Guarantee
  bootstrap: string
}): Promise<Pipeline & { tailer: SinkFileTailer }> {
  const ledger = new Ledger('file', options.guarantee)
  const topic = `chaos-file-${options.suffix}`
  await writeFile(options.inputFile, '')
  const exactlyOnce = options.guarantee === 'exactly-once'
  // Exactly-once: the ledger counts the topic; the sink files are still tailed for the zombie report.
  const reader = exactlyOnce ? new CommittedTopicReader(options.bootstrap, topic, ledger, fileSeq) : null
  const tailer = new SinkFileTailer(options.slots, reader ? new Ledger('file-sink') : ledger)
  const ticker = new Ticker()
  return {
    name: 'file',
    topic,
    ledger,
    tailer,
    source: {
      name: `chaos-file-source-${options.suffix}`,
      config: {
        'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector',
        'tasks.max': '1',
        file: options.inputFile,
        topic,
        'key.converter': STRING,
        'value.converter': STRING,
        ...(exactlyOnce ? { 'exactly.once.support': 'required' } : {}),
      },
    },
    sink: {
      name: `chaos-file-sink-${options.suffix}`,
      config: {
        'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
        'tasks.max': '3',
        file: SINK_FILE,
        topics: topic,
        'key.converter': STRING,
        'value.converter': STRING,
      },
    },
    async startReading() {
      await reader?.start()
    },
    startWriting(rate) {
      tailer.start()
      ticker.start(
        rate,
        async (from, count) => {
          let text = ''
          for (let s = from; s < from + count; s++) text += `${s} ${PAD}\n`
          await appendFile(options.inputFile, text)
        },
        ledger,
      )
    },
    async stopWriting() {
      await ticker.stop()
      if (ticker.error) throw ticker.error
    },
    async deliveredDistinct() {
      await tailer.poll()
      await reader?.readToEnd()
      return ledger.deliveredDistinct
    },
    async collect() {
      await tailer.stop()
      await reader?.readToEnd()
    },
    async close() {
      await reader?.stop()
    },
  }
}

export function openDb(): Promise<Db> {
  return connect({
    url: JDBC_URL,
    user: JDBC_USER,
    password: JDBC_PASSWORD || null,
    attempts: 1,
    backoffMs: 0,
    quote: 'always',
    timeZone: 'UTC',
  })
}

/** Rows of the JDBC pipeline's sink table, for the zombie check. */
export interface SinkRow {
  seq: number
  deliveredAt: number
  srcWorker: string
  sinkWorker: string
}

export async function jdbcPipeline(options: {
  suffix: string
  guarantee: Guarantee
  bootstrap: string
}): Promise<Pipeline & { rows(where: string, params: unknown[]): Promise<SinkRow[]> }> {
  const ledger = new Ledger('jdbc', options.guarantee)
  const id = options.suffix.replace(/-/g, '_')
  const srcTable = `chaos_src_${id}`
  const dstTable = `chaos_dst_${id}`
  const prefix = `chaos-jdbc-${options.suffix}-`
  const topic = `${prefix}${srcTable}`
  const reader =
    options.guarantee === 'exactly-once' ? new CommittedTopicReader(options.bootstrap, topic, ledger, jdbcSeq) : null
  const writer = await openDb()
  const db = await openDb()
  await writer.execute(`CREATE TABLE ${srcTable} (id BIGSERIAL PRIMARY KEY, seq BIGINT NOT NULL, pad TEXT NOT NULL)`)
  await writer.execute(
    `CREATE TABLE ${dstTable} (row_id BIGSERIAL PRIMARY KEY, id BIGINT, seq BIGINT, pad TEXT, src_worker TEXT, sink_worker TEXT, delivered_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())`,
  )
  const ticker = new Ticker()
  const connection = {
    'connection.url': JDBC_URL,
    'connection.user': JDBC_USER,
    ...(JDBC_PASSWORD ? { 'connection.password': JDBC_PASSWORD } : {}),
  }
  const rows = async (where: string, params: unknown[]): Promise<SinkRow[]> =>
    (
      await db.query(
        `SELECT seq::text, (extract(epoch FROM delivered_at) * 1000)::float8, src_worker, sink_worker FROM ${dstTable} ${where}`,
        params,
      )
    ).map(([seq, at, src, sink]) => ({
      seq: Number(seq),
      deliveredAt: Number(at),
      srcWorker: String(src),
      sinkWorker: String(sink),
    }))
  return {
    name: 'jdbc',
    topic,
    ledger,
    source: {
      name: `chaos-jdbc-source-${options.suffix}`,
      config: {
        'connector.class': 'io.confluent.connect.jdbc.JdbcSourceConnector',
        'tasks.max': '1',
        ...connection,
        mode: 'incrementing',
        'incrementing.column.name': 'id',
        'table.whitelist': srcTable,
        'topic.prefix': prefix,
        'poll.interval.ms': '500',
        'batch.max.rows': '500',
        'key.converter': STRING,
        'value.converter': JSON_CONVERTER,
        'value.converter.schemas.enable': 'true',
        ...workerField('src_worker'),
      },
    },
    sink: {
      name: `chaos-jdbc-sink-${options.suffix}`,
      config: {
        'connector.class': 'io.confluent.connect.jdbc.JdbcSinkConnector',
        'tasks.max': '3',
        ...connection,
        topics: topic,
        'table.name.format': dstTable,
        'insert.mode': 'insert',
        'pk.mode': 'none',
        'auto.create': 'false',
        'key.converter': STRING,
        'value.converter': JSON_CONVERTER,
        'value.converter.schemas.enable': 'true',
        ...workerField('sink_worker'),
      },
    },
    async startReading() {
      await reader?.start()
    },
    startWriting(rate) {
      ticker.start(
        rate,
        async (from, count) => {
          // One statement, one transaction: ids are committed in order, as incrementing mode needs.
          await writer.execute(
            `INSERT INTO ${srcTable} (seq, pad) SELECT g, $3 FROM generate_series($1::bigint, $2::bigint) AS g ORDER BY g`,
            [from, from + count - 1, PAD],
          )
        },
        ledger,
      )
    },
    async stopWriting() {
      await ticker.stop()
      if (ticker.error) throw ticker.error
    },
    async deliveredDistinct() {
      if (reader) {
        await reader.readToEnd()
        return ledger.deliveredDistinct
      }
      const [[n]] = (await db.query(`SELECT count(DISTINCT seq)::text FROM ${dstTable}`)) as [[string]]
      return Number(n)
    },
    async collect() {
      if (reader) await reader.readToEnd()
      else for (const row of await rows('', [])) ledger.delivered(row.seq, row.deliveredAt)
    },
    rows,
    async close(keep) {
      await reader?.stop()
      if (!keep) {
        await writer.execute(`DROP TABLE IF EXISTS ${srcTable}`).catch(() => {})
        await writer.execute(`DROP TABLE IF EXISTS ${dstTable}`).catch(() => {})
      }
      await writer.close()
      await db.close()
    },
  }
}

export function randomSuffix(): string {
  return randomUUID().slice(0, 8)
}
