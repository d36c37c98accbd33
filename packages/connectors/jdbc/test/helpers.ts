/** Shared by the JDBC tests: the machine's PostgreSQL and MariaDB, and reading and writing topics. */
import type { Schema } from '@ferry/api'
import { JsonConverter } from '@ferry/converters'
import { freePort, randomName, type tempDir } from '@ferry/testing'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import { KafkaConsumer, KafkaProducer } from '../../../runtime/src/kafka/clients.ts'
import { connect, type Db } from '../src/db.ts'

export interface TestDatabase {
  name: string
  url: string
  user: string
  /** Quotes an identifier for the test's own SQL. */
  q(identifier: string): string
  /** Column types for the test tables. */
  types: { serial: string; timestamp: string; now: string; text: string }
}

export const DATABASES: TestDatabase[] = [
  {
    name: 'PostgreSQL',
    url: process.env.FERRY_TEST_POSTGRES_URL ?? 'jdbc:postgresql://127.0.0.1:5432/test',
    user: process.env.FERRY_TEST_POSTGRES_USER ?? 'postgres',
    q: (id) => `"${id.replace(/"/g, '""')}"`,
    types: { serial: 'SERIAL PRIMARY KEY', timestamp: 'TIMESTAMP(6)', now: 'clock_timestamp()', text: 'TEXT' },
  },
  {
    name: 'MariaDB',
    url: process.env.FERRY_TEST_MARIADB_URL ?? 'jdbc:mariadb://127.0.0.1:3306/test',
    user: process.env.FERRY_TEST_MARIADB_USER ?? 'root',
    q: (id) => `\`${id.replace(/`/g, '``')}\``,
    types: { serial: 'INT AUTO_INCREMENT PRIMARY KEY', timestamp: 'DATETIME(6)', now: 'NOW(6)', text: 'TEXT' },
  },
]

export function open(database: TestDatabase): Promise<Db> {
  return connect({
    url: database.url,
    user: database.user,
    password: null,
    attempts: 1,
    backoffMs: 0,
    quote: 'always',
    timeZone: 'UTC',
  })
}

/** A connection for the test, closed after it; tables named in `drop` are dropped after the test. */
export async function testDb(
  t: { after(fn: () => unknown): void },
  database: TestDatabase,
): Promise<{ db: Db; table(prefix: string): string }> {
  const db = await open(database)
  const tables: string[] = []
  t.after(async () => {
    for (const name of tables) await db.execute(`DROP TABLE IF EXISTS ${database.q(name)}`).catch(() => {})
    await db.close()
  })
  return {
    db,
    table(prefix: string) {
      const name = randomName(prefix).replace(/-/g, '_')
      tables.push(name)
      return name
    },
  }
}

export function jsonConverter(schemasEnable = true): JsonConverter {
  const c = new JsonConverter()
  c.configure({ 'schemas.enable': String(schemasEnable) }, false)
  return c
}

/** Produces records (key and value converted with JsonConverter, schemas enabled) to a topic. */
export async function produce(
  topic: string,
  records: Array<{ keySchema?: Schema | null; key?: unknown; valueSchema: Schema | null; value: unknown }>,
): Promise<void> {
  const keys = new JsonConverter()
  keys.configure({ 'schemas.enable': 'true' }, true)
  const values = jsonConverter()
  const producer = new KafkaProducer({ bootstrapServers: testBootstrap().split(','), clientId: randomName('test') })
  try {
    const out = records.map((r) => ({
      topic,
      partition: 0,
      key: r.key === undefined ? null : toBuffer(keys.fromConnectData(topic, null, r.keySchema ?? null, r.key)),
      value: toBuffer(values.fromConnectData(topic, null, r.valueSchema, r.value)),
    }))
    for (let i = 0; i < out.length; i += 1000) await producer.send(out.slice(i, i + 1000))
  } finally {
    await producer.close()
  }
}

/** Produces raw bytes (e.g. schemaless JSON) to a topic. */
export async function produceRaw(
  topic: string,
  values: Array<string | null>,
  keys?: Array<string | null>,
): Promise<void> {
  const producer = new KafkaProducer({ bootstrapServers: testBootstrap().split(','), clientId: randomName('test') })
  try {
    await producer.send(
      values.map((v, i) => ({
        topic,
        partition: 0,
        key: keys?.[i] == null ? null : Buffer.from(keys[i] as string),
        value: v === null ? null : Buffer.from(v),
      })),
    )
  } finally {
    await producer.close()
  }
}

function toBuffer(bytes: Uint8Array | null): Buffer | null {
  return bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Reads a topic from the beginning until it holds `count` records, then `settleMs` longer to catch extras. */
export async function readTopic(
  topic: string,
  count: number,
  { timeoutMs = 60_000, settleMs = 1500 } = {},
): Promise<Array<{ key: unknown; value: unknown }>> {
  const consumer = new KafkaConsumer({
    bootstrapServers: testBootstrap().split(','),
    clientId: randomName('reader'),
    groupId: randomName('reader'),
  })
  const converter = jsonConverter()
  const out: Array<{ key: unknown; value: unknown }> = []
  try {
    await consumer.subscribe([topic])
    const deadline = Date.now() + timeoutMs
    let settleUntil = 0
    for (;;) {
      const batch = await consumer.poll(1000, 200)
      for (const m of batch) {
        out.push({ key: m.key?.toString('utf8') ?? null, value: converter.toConnectData(topic, null, m.value).value })
      }
      const now = Date.now()
      if (out.length >= count) {
        if (settleUntil === 0) settleUntil = now + settleMs
        if (now >= settleUntil) break
      } else if (now > deadline) {
        throw new Error(`Timed out reading ${topic}: ${out.length} of ${count} records`)
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
    'consumer.session.timeout.ms': '6000',
    'consumer.heartbeat.interval.ms': '1000',
    ...extra,
  }
}

export type TempDir = typeof tempDir
