/**
 * Record-for-record comparison of Ferry's PostgreSQL CDC source with Debezium's on Apache Connect:
 *
 *   node scripts/postgres/compare-debezium.ts [--bootstrap host:port]
 *
 * Starts a logical PostgreSQL (harness.ts) and, unless given one, a Kafka broker; fetches Debezium's PostgreSQL
 * plugin archive (`io.debezium:debezium-connector-postgres:<version>:tar.gz:plugin`) with Maven into
 * `.cache/debezium-postgres-<version>/` once; runs Debezium on Apache Connect and Ferry side by side on the same
 * database, each with its own slot, publication and topic prefix; makes the same changes for both (a snapshot of
 * rows of many types, then inserts, updates, deletes); reads both topics through the JsonConverter and compares keys
 * and values record by record, after replacing what must differ (topic prefix, slot positions, transaction ids and
 * timestamps). Prints each difference and exits 1 when there is one.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { KafkaConsumer } from '../../packages/runtime/src/kafka/clients.ts'
import { startStandalone } from '../../packages/testing/src/standalone-process.ts'
import { DEBEZIUM_POSTGRES_VERSION as DEBEZIUM_VERSION, ensureDebeziumPostgres } from '../bench/debezium.ts'
import { startApacheConnect } from '../kafka/apache-connect.ts'
import { startKafka } from '../kafka/harness.ts'
import { startPostgres } from './harness.ts'

const SCHEMA = `
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE TABLE customers (
  id SERIAL PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(64), balance NUMERIC(10,2), n NUMERIC, m MONEY,
  flag BOOLEAN, i2 SMALLINT, i8 BIGINT, f4 REAL, f8 DOUBLE PRECISION, j JSON, jb JSONB, u UUID, by BYTEA,
  d DATE, t TIME, ts TIMESTAMP, ts3 TIMESTAMP(3), tstz TIMESTAMPTZ, ttz TIMETZ, iv INTERVAL, ia INT[], ta TEXT[],
  e mood, ip INET, bits BIT(3));
CREATE TABLE notes (body TEXT);
CREATE TABLE kv (k INT, v TEXT NOT NULL DEFAULT 'none', PRIMARY KEY (k));
`

const ROW = `('ann', 'ann@example.com', 12.5, 1.005, 12.34, true, 1, 9007199254740991, 1.5, 2.25, '{"a":1}', '{"a":1}',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x0102', '2024-02-29', '13:45:01.5', '2024-02-29 13:45:01.5',
  '2024-02-29 13:45:01.5', '2024-02-29 13:45:01.5+02', '13:45:01+02', '1 day 2 hours', '{1,NULL,3}', '{a,"b c"}',
  'happy', '10.0.0.1', B'101')`
const COLUMNS =
  '(name, email, balance, n, m, flag, i2, i8, f4, f8, j, jb, u, by, d, t, ts, ts3, tstz, ttz, iv, ia, ta, e, ip, bits)'

const CHANGES = [
  `INSERT INTO customers ${COLUMNS} VALUES ${ROW}`,
  "UPDATE customers SET email = 'bob@example.com', balance = 99.99 WHERE id = 2",
  'DELETE FROM customers WHERE id = 1',
  "INSERT INTO notes VALUES ('streamed')",
  "INSERT INTO kv VALUES (2, 'two')",
  "UPDATE kv SET v = 'uno' WHERE k = 1",
  'UPDATE kv SET k = 3 WHERE k = 2',
  'DELETE FROM kv WHERE k = 1',
]

interface Read {
  topic: string
  key: unknown
  value: unknown
}

async function readTopics(bootstrap: string, topics: string[], count: number, timeoutMs = 180_000): Promise<Read[]> {
  const consumer = new KafkaConsumer({
    bootstrapServers: [bootstrap],
    clientId: `compare-${process.pid}`,
    groupId: `compare-${process.pid}-${Date.now()}`,
  })
  const out: Read[] = []
  try {
    await consumer.subscribe(topics)
    const deadline = Date.now() + timeoutMs
    while (out.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${out.length} of ${count} records in ${topics.join(', ')}`)
      for (const m of await consumer.poll(1000, 500)) {
        out.push({
          topic: m.topic,
          key: m.key ? JSON.parse(m.key.toString('utf8')) : null,
          value: m.value ? JSON.parse(m.value.toString('utf8')) : null,
        })
      }
    }
  } finally {
    await consumer.close()
  }
  return out
}

/** Replaces what must differ between the two runs: prefix, positions, ids and times. */
function normalize(v: unknown, prefix: string, path = ''): unknown {
  if (typeof v === 'string') return v.split(prefix).join('<prefix>')
  if (Array.isArray(v)) return v.map((x, i) => normalize(x, prefix, `${path}[${i}]`))
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) {
      const p = `${path}.${k}`
      if (/payload(\.source)?\.(ts_ms|ts_us|ts_ns|lsn|txId|sequence|xmin|version)$/.test(p) && x !== null)
        out[k] = '<varies>'
      else out[k] = normalize(x, prefix, p)
    }
    return out
  }
  return v
}

function diff(a: unknown, b: unknown, path = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return []
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])]
    return keys.flatMap((k) =>
      diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`),
    )
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length)
    return a.flatMap((x, i) => diff(x, b[i], `${path}[${i}]`))
  return [`${path}: Debezium ${JSON.stringify(a)} / Ferry ${JSON.stringify(b)}`]
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { bootstrap: { type: 'string' } } })
  const dir = await mkdtemp(join(tmpdir(), 'ferry-compare-'))
  const cleanups: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })]
  try {
    const [plugins, server] = await Promise.all([ensureDebeziumPostgres(), startPostgres()])
    cleanups.unshift(() => server.stop())
    let bootstrap = values.bootstrap
    if (!bootstrap) {
      const kafka = await startKafka({ brokers: 1 })
      cleanups.unshift(() => kafka.stop())
      bootstrap = kafka.bootstrapServers
    }
    const client = new pg.Client({ host: server.host, port: server.port, user: server.user, database: 'postgres' })
    await client.connect()
    cleanups.unshift(() => client.end())
    await client.query(SCHEMA)
    await client.query(`INSERT INTO customers ${COLUMNS} VALUES ${ROW}, ('bob', NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
    await client.query("INSERT INTO notes VALUES ('first'); INSERT INTO kv VALUES (1, 'one')")

    const stamp = Date.now().toString(36)
    const common = {
      'database.hostname': server.host,
      'database.port': String(server.port),
      'database.user': server.user,
      'database.dbname': 'postgres',
      'database.sslmode': 'disable',
      'plugin.name': 'pgoutput',
      'table.include.list': 'public\\..*',
      'tasks.max': '1',
    }
    const worker = (name: string) => ({
      'bootstrap.servers': bootstrap as string,
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'offset.storage.file.filename': join(dir, `${name}.offsets`),
      'offset.flush.interval.ms': '1000',
    })
    const dbz = `dbz${stamp}`
    const fer = `fer${stamp}`
    const t = { after: (fn: () => unknown) => cleanups.unshift(async () => fn()) }
    const apache = await startApacheConnect({
      mode: 'standalone',
      dir,
      worker: { ...worker('apache'), 'plugin.path': plugins },
      connectors: [
        {
          name: dbz,
          'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
          ...common,
          'topic.prefix': dbz,
          'slot.name': dbz,
          'publication.name': dbz,
        },
      ],
    })
    cleanups.unshift(() => apache.stop())
    await startStandalone(t, {
      dir,
      worker: worker('ferry'),
      connectors: [
        {
          name: fer,
          'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
          ...common,
          'topic.prefix': fer,
          'slot.name': fer,
          'publication.name': fer,
        },
      ],
    })
    const tables = ['customers', 'notes', 'kv']
    const snapshotCount = 4
    const [dSnap, fSnap] = await Promise.all([
      readTopics(
        bootstrap,
        tables.map((x) => `${dbz}.public.${x}`),
        snapshotCount,
      ),
      readTopics(
        bootstrap,
        tables.map((x) => `${fer}.public.${x}`),
        snapshotCount,
      ),
    ])
    for (const change of CHANGES) await client.query(change)
    // customers c, u, d + tombstone; notes c; kv c, u, the key change as d + tombstone + c, d + tombstone
    const total = snapshotCount + 12
    const [dAll, fAll] = await Promise.all([
      readTopics(
        bootstrap,
        tables.map((x) => `${dbz}.public.${x}`),
        total,
      ),
      readTopics(
        bootstrap,
        tables.map((x) => `${fer}.public.${x}`),
        total,
      ),
    ])
    void dSnap
    void fSnap
    const problems: string[] = []
    for (const table of tables) {
      const d = dAll.filter((r) => r.topic === `${dbz}.public.${table}`)
      const f = fAll.filter((r) => r.topic === `${fer}.public.${table}`)
      if (d.length !== f.length) problems.push(`${table}: Debezium ${d.length} records, Ferry ${f.length}`)
      for (let i = 0; i < Math.min(d.length, f.length); i++) {
        const dk = normalize(d[i]?.key, dbz)
        const fk = normalize(f[i]?.key, fer)
        const dv = normalize(d[i]?.value, dbz)
        const fv = normalize(f[i]?.value, fer)
        for (const p of [...diff(dk, fk, `${table}[${i}].key`), ...diff(dv, fv, `${table}[${i}].value`)])
          problems.push(p)
      }
    }
    for (const p of problems) process.stdout.write(`${p}\n`)
    process.stdout.write(
      problems.length === 0
        ? `Debezium ${DEBEZIUM_VERSION} and Ferry wrote the same ${dAll.length} records (modulo positions and times)\n`
        : `${problems.length} differences\n`,
    )
    return problems.length === 0 ? 0 : 1
  } finally {
    for (const c of cleanups) await c().catch(() => {})
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`compare-debezium: ${e instanceof Error ? e.stack : String(e)}\n`)
    process.exit(1)
  },
)
