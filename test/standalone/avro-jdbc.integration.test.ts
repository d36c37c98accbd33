/**
 * JDBC source → AvroConverter → Kafka → AvroConverter → JDBC sink on a standalone worker, against the machine's
 * PostgreSQL, a real broker and Apicurio Registry 3.3.3: rows with a NUMERIC, a TIMESTAMP, a DATE, nullable and
 * BIGINT columns arrive in a table the sink creates, equal to the source's.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { randomName, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { connect } from '../../packages/connectors/jdbc/src/db.ts'
import { type SchemaRegistryServer, startApicurio } from '../../scripts/apicurio/harness.ts'
import { testBootstrap } from '../../scripts/kafka/test-env.ts'

const URL = process.env.FERRY_TEST_POSTGRES_URL ?? 'jdbc:postgresql://127.0.0.1:5432/test'
const USER = process.env.FERRY_TEST_POSTGRES_USER ?? 'postgres'

let registry: SchemaRegistryServer

before(async () => {
  registry = await startApicurio()
})
after(async () => {
  await registry?.stop()
})

test('PostgreSQL rows go through Avro into a table the JDBC sink creates, every column equal', async (t) => {
  const db = await connect({
    url: URL,
    user: USER,
    password: null,
    attempts: 1,
    backoffMs: 0,
    quote: 'always',
    timeZone: 'UTC',
  })
  const source = randomName('avro_src').replace(/-/g, '_')
  const target = randomName('avro_dst').replace(/-/g, '_')
  t.after(async () => {
    for (const table of [source, target]) await db.execute(`DROP TABLE IF EXISTS "${table}"`).catch(() => {})
    await db.close()
  })
  await db.execute(
    `CREATE TABLE "${source}" (id SERIAL PRIMARY KEY, name TEXT NOT NULL, note TEXT, amount NUMERIC(12,2) NOT NULL, big BIGINT NOT NULL, day DATE NOT NULL, at TIMESTAMP(3) NOT NULL)`,
  )
  for (let i = 1; i <= 50; i++) {
    await db.execute(
      `INSERT INTO "${source}" (name, note, amount, big, day, at) VALUES ('n${i}', ${i % 3 === 0 ? 'NULL' : `'note ${i}'`}, ${i}.25, ${9_000_000_000_000 + i}, DATE '2026-01-${String((i % 28) + 1).padStart(2, '0')}', TIMESTAMP '2026-02-03 04:05:06.${String(i).padStart(3, '0')}')`,
    )
  }
  const dir = await tempDir(t)
  const topic = `avro-${source}`
  const worker = await startStandalone(t, {
    dir,
    worker: {
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'io.confluent.connect.avro.AvroConverter',
      'key.converter.schema.registry.url': registry.confluentUrl,
      'value.converter': 'io.confluent.connect.avro.AvroConverter',
      'value.converter.schema.registry.url': registry.confluentUrl,
      'offset.storage.file.filename': `${dir}/connect.offsets`,
      'offset.flush.interval.ms': '500',
    },
    connectors: [
      {
        name: randomName('jdbc-src'),
        'connector.class': 'io.confluent.connect.jdbc.JdbcSourceConnector',
        'connection.url': URL,
        'connection.user': USER,
        mode: 'incrementing',
        'incrementing.column.name': 'id',
        'table.whitelist': source,
        'topic.prefix': 'avro-',
        'poll.interval.ms': '200',
        'numeric.mapping': 'none',
      },
      {
        name: randomName('jdbc-sink'),
        'connector.class': 'io.confluent.connect.jdbc.JdbcSinkConnector',
        'connection.url': URL,
        'connection.user': USER,
        topics: topic,
        'table.name.format': target,
        'auto.create': 'true',
        'insert.mode': 'insert',
        'pk.mode': 'record_value',
        'pk.fields': 'id',
      },
    ],
  })
  const count = async () => {
    try {
      return Number((await db.query(`SELECT count(*) FROM "${target}"`))[0]?.[0] ?? 0)
    } catch {
      return 0 // not created yet
    }
  }
  await waitFor('50 rows in the sink table', async () => (await count()) >= 50, 120_000, 250).catch(async (e) => {
    throw new Error(`${(e as Error).message}\n${await worker.log()}`)
  })
  const columns = 'id, name, note, amount::text AS amount, big::text AS big, day::text AS day, at::text AS at'
  const expected = await db.query(`SELECT ${columns} FROM "${source}" ORDER BY id`)
  const actual = await db.query(`SELECT ${columns} FROM "${target}" ORDER BY id`)
  assert.deepEqual(actual, expected)
  const latest = (await (await fetch(`${registry.confluentUrl}/subjects/${topic}-value/versions/latest`)).json()) as {
    schema: string
  }
  assert.match(latest.schema, /"logicalType":"decimal"/, 'NUMERIC went through Avro as a decimal')
  assert.match(latest.schema, /"logicalType":"timestamp-millis"/)
  assert.equal(await worker.stop(), 0)
})
