import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Schema, SchemaBuilder, Struct } from '@ferry/api'
import { randomName, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { DATABASES, produce, testDb, workerProps } from './helpers.ts'

const ROW = SchemaBuilder.struct()
  .name('row')
  .field('id', Schema.INT64_SCHEMA)
  .field('version', Schema.INT32_SCHEMA)
  .field('payload', Schema.STRING_SCHEMA)
  .build()

for (const database of DATABASES) {
  test(`${database.name}: upserts are idempotent when a worker killed mid-stream is restarted: every key once, with its last value`, async (t) => {
    const { db, table } = await testDb(t, database)
    const topic = table('sink_upsert')
    const keys = 2000
    const versions = 5
    const records = []
    for (let version = 1; version <= versions; version++) {
      for (let id = 0; id < keys; id++) {
        const value = new Struct(ROW).put('id', id).put('version', version).put('payload', `${id}@${version}`)
        records.push({ valueSchema: ROW, value })
      }
    }
    await produce(topic, records)

    const dir = await tempDir(t)
    const connector = {
      name: randomName('sink'),
      'connector.class': 'io.confluent.connect.jdbc.JdbcSinkConnector',
      'connection.url': database.url,
      'connection.user': database.user,
      topics: topic,
      'insert.mode': 'upsert',
      'pk.mode': 'record_value',
      'pk.fields': 'id',
      'auto.create': 'true',
      'batch.size': '300',
      'consumer.override.max.poll.records': '300',
    }
    const count = async (where = '') =>
      Number((await db.query(`SELECT COUNT(*) FROM ${database.q(topic)}${where}`).catch(() => [[0]]))[0]![0])
    const first = await startStandalone(t, {
      dir,
      worker: await workerProps(dir, { 'offset.flush.interval.ms': '60000' }),
      connectors: [connector],
      label: '-1',
    })
    await waitFor('some rows written', async () => (await count()) > 0, 60_000, 20)
    await first.kill()
    const before = await count(' WHERE version = 5')
    assert.ok(before < keys, `the worker was killed mid-stream (${before} keys at their last version)`)

    await startStandalone(t, { dir, worker: await workerProps(dir), connectors: [connector], label: '-2' })
    await waitFor(
      'every key at its last version',
      async () => (await count(' WHERE version = 5')) === keys,
      90_000,
      250,
    )
    assert.equal(await count(), keys, 'no key twice')
    const rows = await db.query(`SELECT id, payload FROM ${database.q(topic)} ORDER BY id`)
    assert.deepEqual(
      rows.map((r) => `${r[1]}`),
      Array.from({ length: keys }, (_, id) => `${id}@5`),
    )
  })

  test(`${database.name}: auto.create and auto.evolve make and widen the table, and tombstones delete rows with delete.enabled`, async (t) => {
    const { db, table } = await testDb(t, database)
    const evolving = table('sink_evolve')
    const deleting = table('sink_delete')
    const v1 = SchemaBuilder.struct()
      .name('person')
      .field('id', Schema.INT32_SCHEMA)
      .field('name', Schema.STRING_SCHEMA)
      .build()
    const v2 = SchemaBuilder.struct()
      .name('person')
      .field('id', Schema.INT32_SCHEMA)
      .field('name', Schema.STRING_SCHEMA)
      .field('age', Schema.OPTIONAL_INT32_SCHEMA)
      .field('score', SchemaBuilder.float64().defaultValue(1.5).build())
      .build()
    const key = SchemaBuilder.struct().field('id', Schema.INT32_SCHEMA).build()
    await produce(evolving, [
      { valueSchema: v1, value: new Struct(v1).put('id', 1).put('name', 'ada') },
      { valueSchema: v1, value: new Struct(v1).put('id', 2).put('name', 'bob') },
    ])
    await produce(
      deleting,
      [1, 2, 3].map((id) => ({
        keySchema: key,
        key: new Struct(key).put('id', id),
        valueSchema: v1,
        value: new Struct(v1).put('id', id).put('name', `n${id}`),
      })),
    )
    const dir = await tempDir(t)
    const common = {
      'connector.class': 'JdbcSink',
      'connection.url': database.url,
      'connection.user': database.user,
      'auto.create': 'true',
    }
    await startStandalone(t, {
      dir,
      worker: await workerProps(dir),
      connectors: [
        {
          ...common,
          name: randomName('evolve'),
          topics: evolving,
          'auto.evolve': 'true',
          'insert.mode': 'upsert',
          'pk.mode': 'record_value',
          'pk.fields': 'id',
        },
        {
          ...common,
          name: randomName('delete'),
          topics: deleting,
          'insert.mode': 'upsert',
          'pk.mode': 'record_key',
          'delete.enabled': 'true',
        },
      ],
    })
    const rows = (name: string, columns: string) =>
      db.query(`SELECT ${columns} FROM ${database.q(name)} ORDER BY ${database.q('id')}`).catch(() => [] as unknown[][])
    await waitFor('the created table', async () => (await rows(evolving, '*')).length === 2, 60_000, 200)
    await waitFor('the rows to delete', async () => (await rows(deleting, '*')).length === 3, 60_000, 200)

    await produce(evolving, [
      { valueSchema: v2, value: new Struct(v2).put('id', 2).put('name', 'bob').put('age', 41).put('score', 9.5) },
      { valueSchema: v2, value: new Struct(v2).put('id', 3).put('name', 'cy') },
    ])
    await produce(deleting, [{ keySchema: key, key: new Struct(key).put('id', 2), valueSchema: null, value: null }])
    await waitFor('the evolved rows', async () => (await rows(evolving, '*')).length === 3, 60_000, 200)
    await waitFor('the deleted row', async () => (await rows(deleting, '*')).length === 2, 60_000, 200)

    const evolved = (await rows(evolving, 'id, name, age, score')).map((r) =>
      r.map((v) => (v === null ? null : String(v))),
    )
    assert.deepEqual(evolved, [
      ['1', 'ada', null, '1.5'],
      ['2', 'bob', '41', '9.5'],
      ['3', 'cy', null, '1.5'],
    ])
    assert.deepEqual(
      (await rows(deleting, 'id, name')).map((r) => r.map(String)),
      [
        ['1', 'n1'],
        ['3', 'n3'],
      ],
    )
  })
}

for (const database of DATABASES) {
  test(`${database.name}: a batch holding a key several times (number and string keys) upserts each key once, with its last value`, async (t) => {
    const { db, table } = await testDb(t, database)
    const byNumber = table('sink_dup_n')
    const byString = table('sink_dup_s')
    const named = SchemaBuilder.struct()
      .name('named')
      .field('name', Schema.STRING_SCHEMA)
      .field('version', Schema.INT32_SCHEMA)
      .build()
    const keys = 7
    const versions = 40
    const numbered = []
    const strings = []
    for (let version = 1; version <= versions; version++) {
      for (let id = 0; id < keys; id++) {
        numbered.push({
          valueSchema: ROW,
          value: new Struct(ROW).put('id', id).put('version', version).put('payload', `${id}@${version}`),
        })
        strings.push({ valueSchema: named, value: new Struct(named).put('name', `k${id}`).put('version', version) })
      }
    }
    await produce(byNumber, numbered)
    await produce(byString, strings)
    const dir = await tempDir(t)
    const common = {
      'connector.class': 'JdbcSink',
      'connection.url': database.url,
      'connection.user': database.user,
      'auto.create': 'true',
      'insert.mode': 'upsert',
      'pk.mode': 'record_value',
      'batch.size': '100',
    }
    await startStandalone(t, {
      dir,
      worker: await workerProps(dir),
      connectors: [
        { ...common, name: randomName('dup-n'), topics: byNumber, 'pk.fields': 'id' },
        { ...common, name: randomName('dup-s'), topics: byString, 'pk.fields': 'name' },
      ],
    })
    const rows = (name: string, columns: string, order: string) =>
      db
        .query(`SELECT ${columns} FROM ${database.q(name)} ORDER BY ${database.q(order)}`)
        .catch(() => [] as unknown[][])
    const last = async (name: string, order: string) =>
      (await rows(name, '*', order)).length === keys &&
      (await rows(name, 'version', order)).every((r) => Number(r[0]) === versions)
    await waitFor('every numbered key at its last version', () => last(byNumber, 'id'), 60_000, 200)
    await waitFor('every named key at its last version', () => last(byString, 'name'), 60_000, 200)
    assert.deepEqual(
      (await rows(byNumber, 'payload', 'id')).map((r) => String(r[0])),
      Array.from({ length: keys }, (_, id) => `${id}@${versions}`),
    )
    assert.deepEqual(
      (await rows(byString, 'name', 'name')).map((r) => String(r[0])),
      Array.from({ length: keys }, (_, id) => `k${id}`),
    )
  })
}
