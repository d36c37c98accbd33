/** Shared by the CDC tests: a database of their own on the file's logical PostgreSQL, and reading topics as JSON. */
import { freePort, randomName } from '@ferry/testing'
import pg from 'pg'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import { type PostgresServer, sharedPostgres } from '../../../../scripts/postgres/harness.ts'

export { stopSharedPostgres } from '../../../../scripts/postgres/harness.ts'

import { KafkaConsumer } from '../../../runtime/src/kafka/clients.ts'

export interface TestDatabase {
  server: PostgresServer
  name: string
  client: pg.Client
  /** Connector keys that point at this database. */
  connection: Record<string, string>
}

/**
 * A new database on the file's server (started on first use; the file stops it with `after(stopSharedPostgres)`),
 * dropped with its slots after the test.
 */
export async function testDatabase(t: { after(fn: () => unknown): void }): Promise<TestDatabase> {
  const server = await sharedPostgres()
  const name = randomName('cdc').replace(/-/g, '_')
  const admin = new pg.Client({ host: server.host, port: server.port, user: server.user, database: 'postgres' })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  const client = new pg.Client({ host: server.host, port: server.port, user: server.user, database: name })
  client.on('error', () => {}) // its next query fails instead
  await client.connect()
  t.after(async () => {
    await client.end().catch(() => {})
    await admin
      .query(
        'SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL',
        [name],
      )
      .catch(() => {})
    await admin
      .query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1', [name])
      .catch(() => {})
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {})
    await admin.end()
  })
  return {
    server,
    name,
    client,
    connection: {
      'database.hostname': server.host,
      'database.port': String(server.port),
      'database.user': server.user,
      'database.dbname': name,
      'database.sslmode': 'disable',
    },
  }
}

export interface JsonRecord {
  offset: number
  key: any
  value: any
}

/** Reads a topic from the beginning as parsed JSON until `done` says so, or fails after `timeoutMs`. */
export async function readJson(
  topic: string,
  done: (records: JsonRecord[]) => boolean,
  timeoutMs = 90_000,
): Promise<JsonRecord[]> {
  const consumer = new KafkaConsumer({
    bootstrapServers: testBootstrap().split(','),
    clientId: randomName('reader'),
    groupId: randomName('reader'),
  })
  const out: JsonRecord[] = []
  try {
    await consumer.subscribe([topic])
    const deadline = Date.now() + timeoutMs
    while (!done(out)) {
      if (Date.now() > deadline) throw new Error(`Timed out reading ${topic}: ${out.length} records so far`)
      for (const m of await consumer.poll(1000, 200)) {
        out.push({
          offset: Number(m.offset),
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

/** Worker properties for a `ferry standalone` test worker (JSON with schemas, fast offset flushes). */
export async function workerProps(dir: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    'bootstrap.servers': testBootstrap(),
    listeners: `http://127.0.0.1:${await freePort()}`,
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'offset.storage.file.filename': `${dir}/connect.offsets`,
    'offset.flush.interval.ms': '500',
    ...extra,
  }
}

/** Awaits `work`; a failure carries the end of the worker's log, which says why. */
export async function explained<T>(worker: { log(): Promise<string> }, work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (e) {
    const log = await worker.log().catch(() => '')
    ;(e as Error).message += `\n--- worker log (end) ---\n${log.slice(-4000)}`
    throw e
  }
}
