import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { Struct } from '@ferry/api'
import { KafkaAdmin } from '@ferry/runtime'
import { committedOffsets, randomName, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import { DATABASES, readTopic, testDb, workerProps } from './helpers.ts'

function ids(records: Array<{ value: unknown }>): number[] {
  return records.map((r) => Number((r.value as Struct).get('id')))
}

async function waitForCount(admin: KafkaAdmin, topic: string, count: number): Promise<void> {
  await waitFor(
    `${count} records in ${topic}`,
    async () => (await admin.recordCount(topic).catch(() => 0)) >= count,
    60_000,
    200,
  )
}

for (const database of DATABASES) {
  test(`${database.name}: incrementing, timestamp and timestamp+incrementing sources read every insert and update exactly once across a worker restart`, async (t) => {
    const { db, table } = await testDb(t, database)
    const { q, types } = database
    const admin = new KafkaAdmin({ bootstrapServers: [testBootstrap()], clientId: 'jdbc-source-test' })
    t.after(() => admin.close())
    const tables = { incrementing: table('src_inc'), timestamp: table('src_ts'), both: table('src_tsi') }
    for (const name of Object.values(tables)) {
      await db.execute(
        `CREATE TABLE ${q(name)} (id ${types.serial}, name ${types.text} NOT NULL, updated ${types.timestamp} NOT NULL)`,
      )
    }
    const insert = async (name: string, n: number) => {
      for (let i = 0; i < n; i++) {
        await db.execute(`INSERT INTO ${q(name)} (name, updated) VALUES ('row', ${types.now})`)
      }
    }
    for (const name of Object.values(tables)) await insert(name, 5)

    const dir = await tempDir(t)
    const prefix = `${randomName('jdbc')}-`
    const common = {
      'connector.class': 'io.confluent.connect.jdbc.JdbcSourceConnector',
      'connection.url': database.url,
      'connection.user': database.user,
      'topic.prefix': prefix,
      'poll.interval.ms': '200',
    }
    const connectors = [
      {
        ...common,
        name: `${prefix}inc`,
        mode: 'incrementing',
        'incrementing.column.name': 'id',
        'table.whitelist': tables.incrementing,
      },
      {
        ...common,
        name: `${prefix}ts`,
        mode: 'timestamp',
        'timestamp.column.name': 'updated',
        'table.include.list': `.*\\.${tables.timestamp}`,
      },
      {
        ...common,
        name: `${prefix}tsi`,
        'connector.class': 'JdbcSourceConnector',
        mode: 'timestamp+incrementing',
        'incrementing.column.name': 'id',
        'timestamp.column.name': 'updated',
        'table.whitelist': tables.both,
      },
    ]
    const topic = (name: string) => prefix + name
    const worker = await startStandalone(t, { dir, worker: await workerProps(dir), connectors, label: '-1' })
    for (const name of Object.values(tables)) await waitForCount(admin, topic(name), 5)
    assert.equal(await worker.stop(), 0)

    await insert(tables.incrementing, 3)
    for (const name of [tables.timestamp, tables.both]) {
      await insert(name, 3)
      await db.execute(`UPDATE ${q(name)} SET name = 'changed', updated = ${types.now} WHERE id = 2`)
    }
    const again = await startStandalone(t, { dir, worker: await workerProps(dir), connectors, label: '-2' })
    await waitForCount(admin, topic(tables.incrementing), 8)
    await waitForCount(admin, topic(tables.timestamp), 9)
    await waitForCount(admin, topic(tables.both), 9)
    // A few more polls would show any record read twice.
    await new Promise((r) => setTimeout(r, 1500))
    assert.equal(await again.stop(), 0)

    assert.deepEqual(ids(await readTopic(topic(tables.incrementing), 8)), [1, 2, 3, 4, 5, 6, 7, 8])
    for (const name of [tables.timestamp, tables.both]) {
      const records = await readTopic(topic(name), 9)
      assert.deepEqual(ids(records), [1, 2, 3, 4, 5, 6, 7, 8, 2], `${name}: inserts then the update, each once`)
      assert.equal((records[8]!.value as Struct).get('name'), 'changed')
    }

    const offsets = {
      offsets: (await committedOffsets(join(dir, 'connect.offsets'))).map((o) => ({
        key: [o.connector, o.partition] as const,
        value: o.offset,
      })),
    }
    const qualified = database.name === 'PostgreSQL' ? `public.${tables.incrementing}` : `test.${tables.incrementing}`
    const stored = offsets.offsets.find((o) => o.key[0] === `${prefix}inc`)
    assert.deepEqual(stored?.key[1], { protocol: '1', table: qualified }, 'the partition is Confluent’s')
    assert.deepEqual(stored?.value, { incrementing: 8 })
    const tsOffset = offsets.offsets.find((o) => o.key[0] === `${prefix}tsi`)?.value
    assert.deepEqual(Object.keys(tsOffset ?? {}).sort(), ['incrementing', 'timestamp', 'timestamp_nanos'])
  })

  test(`${database.name}: bulk re-reads its table, a custom query is followed incrementally and a table created while running is picked up`, async (t) => {
    const { db, table } = await testDb(t, database)
    const { q, types } = database
    const admin = new KafkaAdmin({ bootstrapServers: [testBootstrap()], clientId: 'jdbc-source-test' })
    t.after(() => admin.close())
    const bulk = table('bulk')
    const customers = table('customers')
    const orders = table('orders')
    const family = table('fam')
    const first = `${family}_a`
    const second = `${family}_b`
    await db.execute(`CREATE TABLE ${q(bulk)} (id INT PRIMARY KEY, label ${types.text})`)
    await db.execute(`INSERT INTO ${q(bulk)} VALUES (1, 'one'), (2, 'two'), (3, NULL)`)
    await db.execute(`CREATE TABLE ${q(customers)} (id INT PRIMARY KEY, name ${types.text} NOT NULL)`)
    await db.execute(`CREATE TABLE ${q(orders)} (id ${types.serial}, customer_id INT NOT NULL, qty INT NOT NULL)`)
    await db.execute(`INSERT INTO ${q(customers)} VALUES (1, 'ada'), (2, 'bob')`)
    await db.execute(`INSERT INTO ${q(orders)} (customer_id, qty) VALUES (1, 10), (2, 20)`)
    await db.execute(`CREATE TABLE ${q(first)} (id ${types.serial}, v INT)`)
    t.after(async () => {
      for (const name of [first, second]) await db.execute(`DROP TABLE IF EXISTS ${q(name)}`).catch(() => {})
    })
    await db.execute(`INSERT INTO ${q(first)} (v) VALUES (1)`)

    const dir = await tempDir(t)
    const prefix = `${randomName('jdbc')}-`
    const common = {
      'connector.class': 'JdbcSource',
      'connection.url': database.url,
      'connection.user': database.user,
      'poll.interval.ms': '300',
    }
    const queryTopic = `${prefix}joined`
    const connectors = [
      { ...common, name: `${prefix}bulk`, mode: 'bulk', 'table.whitelist': bulk, 'topic.prefix': prefix },
      {
        ...common,
        name: `${prefix}query`,
        mode: 'incrementing',
        'incrementing.column.name': 'id',
        query: `SELECT * FROM (SELECT o.id, o.qty, c.name FROM ${q(orders)} o JOIN ${q(customers)} c ON c.id = o.customer_id) joined`,
        'topic.prefix': queryTopic,
      },
      {
        ...common,
        name: `${prefix}family`,
        mode: 'incrementing',
        'table.include.list': `[^.]+\\.${family}_.*`,
        'table.poll.interval.ms': '500',
        'tasks.max': '2',
        'topic.prefix': prefix,
      },
    ]
    const worker = await startStandalone(t, { dir, worker: await workerProps(dir), connectors })

    await waitForCount(admin, prefix + bulk, 6)
    await waitForCount(admin, queryTopic, 2)
    await waitForCount(admin, prefix + first, 1)
    await db.execute(`INSERT INTO ${q(orders)} (customer_id, qty) VALUES (1, 30)`)
    await db.execute(`CREATE TABLE ${q(second)} (id ${types.serial}, v INT)`)
    await db.execute(`INSERT INTO ${q(second)} (v) VALUES (7), (8)`)
    await waitForCount(admin, queryTopic, 3)
    await waitForCount(admin, prefix + second, 2)
    assert.equal(await worker.stop(), 0)

    const bulkRecords = await readTopic(prefix + bulk, 6, { settleMs: 0 })
    assert.deepEqual(ids(bulkRecords.slice(0, 6)), [1, 2, 3, 1, 2, 3], 'each poll re-reads the whole table')
    assert.equal((bulkRecords[2]!.value as Struct).get('label'), null)
    const joined = await readTopic(queryTopic, 3)
    assert.deepEqual(
      joined.map((r) => {
        const s = r.value as Struct
        return [Number(s.get('id')), Number(s.get('qty')), s.get('name')]
      }),
      [
        [1, 10, 'ada'],
        [2, 20, 'bob'],
        [3, 30, 'ada'],
      ],
    )
    assert.deepEqual(ids(await readTopic(prefix + second, 2)), [1, 2])
    assert.ok((await readTopic(prefix + first, 1)).every((r) => r.value instanceof Struct))
  })
}
