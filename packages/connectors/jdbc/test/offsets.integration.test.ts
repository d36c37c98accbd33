import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { OffsetMap, SourceRecord, Struct } from '@ferry/api'
import { JdbcSourceTask } from '../src/index.ts'
import { DATABASES, testDb } from './helpers.ts'

async function readFrom(
  t: { after(fn: () => unknown): void },
  props: Record<string, string>,
  stored: Map<string, OffsetMap>,
): Promise<SourceRecord[]> {
  const task = new JdbcSourceTask()
  const offset = (p: OffsetMap) => stored.get(JSON.stringify(Object.fromEntries(Object.entries(p).sort()))) ?? null
  task.initialize({ configs: () => props, offsetStorageReader: () => ({ offset, offsets: () => new Map() }) })
  t.after(() => task.stop())
  await task.start(props)
  let records: SourceRecord[] = []
  for (let i = 0; i < 5; i++) records = records.concat((await task.poll()) ?? [])
  return records
}

for (const database of DATABASES) {
  test(`${database.name}: a source migrated from Confluent resumes from offsets stored under Confluent's partitions`, async (t) => {
    const { db, table } = await testDb(t, database)
    const name = table('migrated')
    const { q, types } = database
    await db.execute(`CREATE TABLE ${q(name)} (id ${types.serial}, updated ${types.timestamp} NOT NULL)`)
    for (let i = 1; i <= 5; i++) {
      await db.execute(`INSERT INTO ${q(name)} (updated) VALUES ('2024-01-0${i} 10:00:00.000001')`)
    }
    const pg = database.name === 'PostgreSQL'
    const id = pg ? { catalog: null, schema: 'public', table: name } : { catalog: 'test', schema: null, table: name }
    const qualified = pg ? `public.${name}` : `test.${name}`
    const props = {
      'connection.url': database.url,
      'connection.user': database.user,
      'topic.prefix': 'm-',
      'poll.interval.ms': '10',
      'ferry.tables': JSON.stringify([id]),
    }
    const key = (p: OffsetMap) => JSON.stringify(Object.fromEntries(Object.entries(p).sort()))

    // Confluent's oldest partition (V0): the bare table name.
    const v0 = await readFrom(
      t,
      { ...props, mode: 'incrementing', 'incrementing.column.name': 'id' },
      new Map([[key({ table: name }), { incrementing: 3 }]]),
    )
    assert.deepEqual(
      v0.map((r) => Number((r.value as Struct).get('id'))),
      [4, 5],
    )
    assert.deepEqual(v0[1]!.sourcePartition, { protocol: '1', table: qualified }, 'new offsets go under V1')
    assert.deepEqual(v0[1]!.sourceOffset, { incrementing: 5 })

    // V1, with the timestamp as Confluent stores it (millis + nanos of the second).
    const stored = { timestamp: Date.UTC(2024, 0, 2, 10), timestamp_nanos: 1000, incrementing: 2 }
    const v1 = await readFrom(
      t,
      {
        ...props,
        mode: 'timestamp+incrementing',
        'incrementing.column.name': 'id',
        'timestamp.column.name': 'updated',
      },
      new Map([[key({ protocol: '1', table: qualified }), stored]]),
    )
    assert.deepEqual(
      v1.map((r) => Number((r.value as Struct).get('id'))),
      [3, 4, 5],
    )
    assert.deepEqual(v1[2]!.sourceOffset, {
      incrementing: 5,
      timestamp: Date.UTC(2024, 0, 5, 10),
      timestamp_nanos: 1000,
    })
  })
}
