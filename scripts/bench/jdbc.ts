/**
 * Workload 7: topic → PostgreSQL upsert. Ferry's JDBC sink (`io.confluent.connect.jdbc.JdbcSinkConnector`, the
 * @ferry/connector-jdbc package) against the Debezium JDBC sink connector on Apache Connect, both reading the same
 * topic of JsonConverter envelopes into a fresh table of their own with the same DDL, `upsert` on the record value's
 * `id`, and the same batch size. Done when the table holds every row.
 */
import { randomUUID } from 'node:crypto'
import { connect, type Db } from '../../packages/connectors/jdbc/src/db.ts'
import { type DebeziumJdbc, ensureDebeziumJdbc } from './debezium.ts'
import { type Engine, startWorker, type Worker } from './workers.ts'
import type { BenchContext, Runner, RunResult, Workload, WorkloadId } from './workloads.ts'

/** Rows per statement (Ferry) and per JDBC batch (Debezium): Debezium's default, and Connect's max.poll.records. */
export const JDBC_BATCH_SIZE = 500

export const JDBC_URL =
  process.env.FERRY_BENCH_POSTGRES_URL ?? process.env.FERRY_TEST_POSTGRES_URL ?? 'jdbc:postgresql://127.0.0.1:5432/test'
export const JDBC_USER = process.env.FERRY_BENCH_POSTGRES_USER ?? process.env.FERRY_TEST_POSTGRES_USER ?? 'postgres'
export const JDBC_PASSWORD = process.env.FERRY_BENCH_POSTGRES_PASSWORD ?? ''

/** The table both connectors write: the columns of data.ts's JSON records (bench.Order), `id` the primary key. */
function createTableSql(table: string): string {
  return `CREATE TABLE ${table} (
  id BIGINT NOT NULL PRIMARY KEY,
  customer TEXT NOT NULL,
  email TEXT,
  amount DOUBLE PRECISION NOT NULL,
  currency TEXT NOT NULL,
  paid BOOLEAN NOT NULL,
  internal TEXT
)`
}

export interface JdbcSetup {
  records: number
  topic: string
  /** The Debezium plugin, when Maven could fetch it. */
  debezium: DebeziumJdbc | undefined
  /** Why a runner cannot run this workload. */
  skip: Partial<Record<Engine, string>>
}

/** The Debezium plugin of this bench run, for the workload's description. */
let debeziumUsed: DebeziumJdbc | undefined

function openDb(): Promise<Db> {
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

/** Checks PostgreSQL and fetches the Debezium connector (for the Apache side); says why a side must skip. */
export async function prepareJdbc(options: { records: number; engines: readonly Engine[] }): Promise<JdbcSetup> {
  const setup: JdbcSetup = {
    records: options.records,
    topic: `bench-jdbc-${randomUUID().slice(0, 8)}`,
    debezium: undefined,
    skip: {},
  }
  try {
    const db = await openDb()
    await db.close()
  } catch (e) {
    const why = `PostgreSQL at ${JDBC_URL} is not reachable (${(e as Error).message.split('\n')[0]}); set FERRY_BENCH_POSTGRES_URL`
    setup.skip = { apache: why, ferry: why }
    return setup
  }
  if (options.engines.includes('apache')) {
    try {
      setup.debezium = await ensureDebeziumJdbc()
      debeziumUsed = setup.debezium
    } catch (e) {
      setup.skip.apache = (e as Error).message
    }
  }
  return setup
}

/** Rows in the table. The cheap `max(id) + 1` while rows arrive (one task writes the ids in order), then `count(*)`. */
async function progress(db: Db, table: string, target: number): Promise<number> {
  const [[max]] = (await db.query(`SELECT coalesce(max(id) + 1, 0)::text FROM ${table}`)) as [[string]]
  if (Number(max) < target) return Math.min(Number(max), target - 1)
  const [[count]] = (await db.query(`SELECT count(*)::text FROM ${table}`)) as [[string]]
  return Number(count)
}

/** Connector configs: the same work in each connector's own keys. */
function connectorConfig(runner: Engine, name: string, topic: string, table: string): Record<string, string> {
  if (runner === 'ferry') {
    return {
      name,
      'connector.class': 'io.confluent.connect.jdbc.JdbcSinkConnector',
      'tasks.max': '1',
      topics: topic,
      'connection.url': JDBC_URL,
      'connection.user': JDBC_USER,
      ...(JDBC_PASSWORD ? { 'connection.password': JDBC_PASSWORD } : {}),
      'table.name.format': table,
      'insert.mode': 'upsert',
      'pk.mode': 'record_value',
      'pk.fields': 'id',
      'auto.create': 'false',
      'auto.evolve': 'false',
      'batch.size': String(JDBC_BATCH_SIZE),
    }
  }
  return {
    name,
    'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
    'tasks.max': '1',
    topics: topic,
    'connection.url': JDBC_URL,
    'connection.username': JDBC_USER,
    'connection.password': JDBC_PASSWORD,
    'collection.name.format': table,
    'insert.mode': 'upsert',
    'primary.key.mode': 'record_value',
    'primary.key.fields': 'id',
    'schema.evolution': 'none',
    'batch.size': String(JDBC_BATCH_SIZE),
    ...extraDebeziumProps(),
  }
}

/**
 * For side experiments only (the bench's figures use each connector's defaults): `FERRY_BENCH_DEBEZIUM_PROPS` adds
 * `key=value` pairs, comma-separated, to the Debezium connector's config, e.g.
 * `dialect.postgres.unnest.insert.enabled=true`.
 */
function extraDebeziumProps(): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of (process.env.FERRY_BENCH_DEBEZIUM_PROPS ?? '').split(',')) {
    const at = pair.indexOf('=')
    if (at > 0) out[pair.slice(0, at).trim()] = pair.slice(at + 1).trim()
  }
  return out
}

/** workloads.ts's run helpers, handed in so that this file imports only its types (no import cycle). */
export interface WorkloadHelpers {
  runDir(ctx: BenchContext, workload: WorkloadId, runner: Runner, round: number): Promise<string>
  cleanup(ctx: BenchContext, dir: string): Promise<void>
  failure(runner: Runner, round: number, error: unknown): RunResult
  measureThroughput(
    ctx: BenchContext,
    w: Worker,
    target: number,
    bytesPerRecord: number,
    progress: () => Promise<number>,
  ): Promise<{ metrics: Record<string, number>; window: { startUs: number; endUs: number } }>
}

export const jdbcWorkload = ({ runDir, cleanup, failure, measureThroughput }: WorkloadHelpers): Workload => ({
  id: 'jdbc',
  number: 7,
  title: 'Topic → PostgreSQL upsert (JDBC sink)',
  get description() {
    const from = debeziumUsed ? ` ${debeziumUsed.version} (${debeziumUsed.note}, from Maven Central)` : ''
    return `JsonConverter (schemas.enable=true) reads the JSON envelopes of workload 3 (unique ids) from a prepared topic, and a JDBC sink upserts them into a new PostgreSQL table per run (the same DDL for both, \`id\` the primary key, taken from the value; ${JDBC_BATCH_SIZE} rows per batch): Ferry's \`io.confluent.connect.jdbc.JdbcSinkConnector\` (\`insert.mode=upsert\`, \`pk.mode=record_value\`, \`batch.size=${JDBC_BATCH_SIZE}\`) against the Debezium JDBC sink \`io.debezium.connector.jdbc.JdbcSinkConnector\`${from} on Apache Connect (\`insert.mode=upsert\`, \`primary.key.mode=record_value\`, \`batch.size=${JDBC_BATCH_SIZE}\`, \`schema.evolution=none\`); done when the table has every row. The worker's CPU only: PostgreSQL's is not counted.`
  },
  runners: () => ['apache', 'ferry'],
  records: (ctx) => ctx.jdbc?.records ?? 0,
  recordBytes: (ctx) => ctx.jsonRecordBytes,
  skip: (ctx, runner) => (ctx.jdbc ? ctx.jdbc.skip[runner as Engine] : 'not prepared'),
  async run(ctx, runner, round, options = {}) {
    const setup = ctx.jdbc
    if (!setup) return failure(runner, round, new Error('workload 7 was not prepared (prepareJdbc)'))
    const dir = await runDir(ctx, 'jdbc', runner, round)
    const table = `bench_jdbc_${runner}_${round}_${randomUUID().slice(0, 8)}`
    let w: Worker | undefined
    let db: Db | undefined
    try {
      db = await openDb()
      await db.execute(createTableSql(table))
      const apache =
        runner === 'apache' && ctx.apache && setup.debezium
          ? { ...ctx.apache, pluginPath: `${ctx.apache.pluginPath},${setup.debezium.pluginPath}` }
          : ctx.apache
      w = await startWorker({
        engine: runner as Engine,
        dir,
        apache,
        cpuProfileDir: options.cpuProfileDir,
        worker: {
          'bootstrap.servers': ctx.bootstrap,
          'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
          'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
          'value.converter.schemas.enable': 'true',
          'offset.flush.interval.ms': '10000',
        },
        connectors: [
          connectorConfig(
            runner as Engine,
            `bench-jdbc-${runner}-${round}-${randomUUID().slice(0, 8)}`,
            setup.topic,
            table,
          ),
        ],
      })
      const conn = db
      const measured = await measureThroughput(ctx, w, setup.records, ctx.jsonRecordBytes, () =>
        progress(conn, table, setup.records),
      )
      const [[first]] = (await db.query(
        `SELECT row(id, customer, email, amount, currency, paid, internal)::text FROM ${table} ORDER BY id LIMIT 1`,
      )) as [[string]]
      return { runner, round, ok: true, ...measured, sample: first }
    } catch (e) {
      return failure(runner, round, e)
    } finally {
      await w?.stop()
      if (db) {
        if (!ctx.keepFiles) await db.execute(`DROP TABLE IF EXISTS ${table}`).catch(() => {})
        await db.close()
      }
      await cleanup(ctx, dir)
    }
  },
})
