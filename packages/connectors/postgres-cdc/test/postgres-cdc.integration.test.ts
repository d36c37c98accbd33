import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { committedOffsets, connectorConformance, randomName, startStandalone, tempDir, waitFor } from '@ferry/testing'
import pg from 'pg'
import { PostgresConnector } from '../src/index.ts'
import { explained, readJson, stopSharedPostgres, testDatabase, workerProps } from './helpers.ts'

const CONNECTOR = 'io.debezium.connector.postgresql.PostgresConnector'

after(stopSharedPostgres)

function byOp(records: Array<{ value: any }>, op: string): any[] {
  return records.filter((r) => r.value?.payload?.op === op).map((r) => r.value.payload)
}

test('a snapshot of the existing rows, then inserts, updates, deletes (with tombstones) and truncates as Debezium change events', async (t) => {
  const db = await testDatabase(t)
  await db.client.query(
    `CREATE TABLE customers (id SERIAL PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(64), balance NUMERIC(10,2), seen TIMESTAMPTZ)`,
  )
  await db.client.query('CREATE TABLE notes (body TEXT)') // no primary key: no record key
  await db.client.query(
    "INSERT INTO customers (name, email, balance, seen) VALUES ('ann', 'ann@example.com', 12.5, '2024-05-06 07:08:09.123456+00'), ('bob', NULL, NULL, NULL)",
  )
  await db.client.query("INSERT INTO notes VALUES ('first note')")

  const dir = await tempDir(t)
  const prefix = randomName('pg')
  const worker = await startStandalone(t, {
    dir,
    worker: await workerProps(dir),
    connectors: [
      {
        name: prefix,
        'connector.class': CONNECTOR,
        ...db.connection,
        'topic.prefix': prefix,
        'slot.name': `slot_${db.name}`,
        'publication.name': `pub_${db.name}`,
        'skipped.operations': 'none',
      },
    ],
  })
  const topic = `${prefix}.public.customers`
  const snapshot = await explained(
    worker,
    readJson(topic, (r) => r.length >= 2),
  )
  assert.deepEqual(
    snapshot.map((r) => [r.key.payload.id, r.value.payload.op, r.value.payload.after.name]),
    [
      [1, 'r', 'ann'],
      [2, 'r', 'bob'],
    ],
  )
  const first = snapshot[0]?.value
  assert.equal(first.schema.name, `${topic}.Envelope`)
  assert.equal(first.schema.version, 2)
  assert.deepEqual(
    first.schema.fields.map((f: { field: string }) => f.field),
    ['before', 'after', 'source', 'transaction', 'op', 'ts_ms', 'ts_us', 'ts_ns'],
  )
  assert.equal(first.schema.fields[1].name, `${topic}.Value`)
  assert.equal(first.schema.fields[2].name, 'io.debezium.connector.postgresql.Source')
  assert.equal(snapshot[0]?.key.schema.name, `${topic}.Key`)
  assert.deepEqual(first.payload.after, {
    id: 1,
    name: 'ann',
    email: 'ann@example.com',
    balance: 'BOI=', // 12.50 as Connect's Decimal bytes (1250 = 0x04E2)
    seen: '2024-05-06T07:08:09.123456Z',
  })
  const src = first.payload.source
  assert.equal(src.connector, 'postgresql')
  assert.equal(src.name, prefix)
  assert.equal(src.db, db.name)
  assert.equal(src.schema, 'public')
  assert.equal(src.table, 'customers')
  assert.equal(src.snapshot, 'first')
  assert.equal(typeof src.lsn, 'number')
  assert.equal(first.payload.before, null)

  await db.client.query("INSERT INTO customers (name) VALUES ('cyd')")
  await db.client.query("UPDATE customers SET email = 'bob@example.com' WHERE id = 2")
  await db.client.query('DELETE FROM customers WHERE id = 1')
  await db.client.query('TRUNCATE notes')

  const all = await explained(
    worker,
    readJson(topic, (r) => r.length >= 6),
  )
  const created = byOp(all, 'c')
  assert.equal(created.length, 1)
  assert.equal(created[0].after.name, 'cyd')
  assert.equal(created[0].source.snapshot, 'false')
  assert.equal(typeof created[0].source.txId, 'number')
  assert.ok(
    created[0].source.lsn > src.lsn,
    `streamed changes come after the snapshot position (${created[0].source.lsn} after ${src.lsn})`,
  )
  const updated = byOp(all, 'u')
  assert.equal(updated.length, 1)
  assert.equal(updated[0].after.email, 'bob@example.com')
  assert.equal(updated[0].before, null, 'REPLICA IDENTITY DEFAULT sends no old row for an update')
  const deleted = byOp(all, 'd')
  assert.equal(deleted.length, 1)
  assert.equal(deleted[0].before.id, 1)
  assert.equal(deleted[0].after, null)
  const tombstone = all[all.length - 1]
  assert.equal(tombstone?.value, null, 'a delete is followed by a tombstone')
  assert.equal(tombstone?.key.payload.id, 1)

  const notes = await readJson(`${prefix}.public.notes`, (r) => r.length >= 2)
  assert.equal(notes[0]?.key, null, 'a table without a primary key has no record key')
  assert.equal(notes[0]?.value.payload.after.body, 'first note')
  assert.equal(notes[1]?.value.payload.op, 't')

  assert.equal(await worker.stop(), 0)
})

test('a worker killed with SIGKILL mid-stream loses no change, nor does a replication connection the server ends; heartbeats flow; a max.queue.size.in.bytes of 2 KiB holds nothing back', async (t) => {
  const db = await testDatabase(t)
  await db.client.query('CREATE TABLE events (id INT PRIMARY KEY, payload TEXT NOT NULL)')
  await db.client.query("INSERT INTO events SELECT g, 'snap' FROM generate_series(1, 500) g")
  const dir = await tempDir(t)
  const prefix = randomName('pg')
  const connector = {
    name: prefix,
    'connector.class': 'PostgresConnector',
    ...db.connection,
    'topic.prefix': prefix,
    'slot.name': `slot_${db.name}`,
    'publication.name': `pub_${db.name}`,
    'max.batch.size': '100',
    'max.queue.size': '400',
    // A few changes' worth: the queue pauses the connection again and again, and still no change is lost.
    'max.queue.size.in.bytes': '2048',
    'heartbeat.interval.ms': '500',
  }
  const props = await workerProps(dir)
  const topic = `${prefix}.public.events`
  const first = await startStandalone(t, { dir, worker: props, connectors: [connector], label: '-1' })
  await explained(
    first,
    readJson(topic, (r) => r.length >= 500),
  )

  // Writes go on while the worker dies and until after the next one started.
  let next = 501
  let writing = true
  const writer = (async () => {
    while (writing) {
      const values = Array.from({ length: 20 }, (_, i) => `(${next + i}, 'row')`).join(',')
      await db.client.query(`INSERT INTO events VALUES ${values}`)
      await db.client.query(`UPDATE events SET payload = 'updated' WHERE id = ${next}`)
      next += 20
      await new Promise((r) => setTimeout(r, 20))
    }
  })()
  await explained(
    first,
    readJson(topic, (r) => r.length >= 800),
  )
  await first.kill()
  await new Promise((r) => setTimeout(r, 500))
  const second = await startStandalone(t, { dir, worker: props, connectors: [connector], label: '-2' })
  const terminated = await waitFor('the new worker to stream', async () => {
    const res = await db.client.query(
      'SELECT pg_terminate_backend(active_pid) AS done FROM pg_replication_slots WHERE slot_name = $1 AND active',
      [`slot_${db.name}`],
    )
    return res.rows[0]?.done === true
  })
  assert.ok(terminated)
  await new Promise((r) => setTimeout(r, 3000))
  writing = false
  await writer
  const last = next - 1
  const records = await explained(
    second,
    readJson(topic, (r) => {
      const ids = new Set(r.filter((x) => x.value?.payload.op === 'c').map((x) => x.key.payload.id))
      const updated = new Set(r.filter((x) => x.value?.payload.op === 'u').map((x) => x.key.payload.id))
      return ids.size >= last - 500 && updated.size >= (last - 500) / 20
    }),
  )
  const created = new Set(records.filter((r) => r.value?.payload.op === 'c').map((r) => r.key.payload.id))
  for (let id = 501; id <= last; id++) assert.ok(created.has(id), `insert of ${id} is in the topic`)
  const updates = new Set(records.filter((r) => r.value?.payload.op === 'u').map((r) => r.key.payload.id))
  for (let id = 501; id <= last; id += 20) assert.ok(updates.has(id), `update of ${id} is in the topic`)
  const heartbeats = await readJson(`__debezium-heartbeat.${prefix}`, (r) => r.length >= 1)
  assert.equal(heartbeats[0]?.key.payload.serverName, prefix)
  assert.equal(typeof heartbeats[0]?.value.payload.ts_ms, 'number')
  const status = (await fetch(`${props.listeners}/connectors/${prefix}/status`).then((r) => r.json())) as {
    tasks: Array<{ state: string }>
  }
  assert.equal(status.tasks[0]?.state, 'RUNNING', 'the task reopened its replication connection')
  await waitFor('the slot to advance past the last change', async () => {
    const res = await db.client.query(
      'SELECT confirmed_flush_lsn >= pg_current_wal_lsn() - 1000000 AS ok FROM pg_replication_slots WHERE slot_name = $1',
      [`slot_${db.name}`],
    )
    return res.rows[0]?.ok === true
  })
  assert.equal(await second.stop(), 0)
})

test("column types map as Debezium's do, and columns added or dropped mid-stream change the value schema", async (t) => {
  const db = await testDatabase(t)
  await db.client.query("CREATE TYPE mood AS ENUM ('sad', 'happy')")
  await db.client.query('CREATE DOMAIN posint AS INTEGER CHECK (VALUE > 0)')
  await db.client.query(`CREATE TABLE typed (
    id INT PRIMARY KEY, i2 SMALLINT, i8 BIGINT, f4 REAL, f8 DOUBLE PRECISION, n52 NUMERIC(5,2), n NUMERIC,
    m MONEY, b BOOLEAN, vc VARCHAR(10), c3 CHAR(3), j JSON, jb JSONB, u UUID, by BYTEA, d DATE, t TIME,
    ts TIMESTAMP, ts3 TIMESTAMP(3), tstz TIMESTAMPTZ, ttz TIMETZ, iv INTERVAL, ia INT[], ta TEXT[],
    e mood, dom posint, ip INET, bits BIT(3), bit1 BIT(1))`)
  const dir = await tempDir(t)
  const prefix = randomName('pg')
  const worker = await startStandalone(t, {
    dir,
    worker: await workerProps(dir),
    connectors: [
      {
        name: prefix,
        'connector.class': CONNECTOR,
        ...db.connection,
        'topic.prefix': prefix,
        'slot.name': `slot_${db.name}`,
        'publication.name': `pub_${db.name}`,
        'publication.autocreate.mode': 'filtered',
        'table.include.list': 'public\\.typed',
        'snapshot.mode': 'no_data',
      },
    ],
  })
  const topic = `${prefix}.public.typed`
  await waitFor('the slot', async () => {
    const res = await db.client.query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [
      `slot_${db.name}`,
    ])
    return res.rows[0]?.active === true
  })
  await db.client.query(`INSERT INTO typed VALUES (1, 1, 9007199254740991, 1.5, 2.25, 3.14, 1.005, 12.34, true,
    'vc', 'ab', '{"a":1}', '{"a":1}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x0102', '2024-02-29', '13:45:01.5',
    '2024-02-29 13:45:01.5', '2024-02-29 13:45:01.5', '2024-02-29 13:45:01.5+02', '13:45:01+02', '1 day 2 hours',
    '{1,NULL,3}', '{a,"b c"}', 'happy', 7, '10.0.0.1', B'101', B'1')`)
  const [row] = await explained(
    worker,
    readJson(topic, (r) => r.length >= 1),
  )
  assert.ok(row)
  const after = row.value.payload.after
  assert.deepEqual(after, {
    id: 1,
    i2: 1,
    i8: 9007199254740991,
    f4: 1.5,
    f8: 2.25,
    n52: 'ATo=',
    n: { scale: 3, value: 'A+0=' },
    m: 'BNI=',
    b: true,
    vc: 'vc',
    c3: 'ab ',
    j: '{"a":1}',
    jb: '{"a": 1}',
    u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    by: 'AQI=',
    d: 19782,
    t: 49501500000,
    ts: 1709214301500000,
    ts3: 1709214301500,
    tstz: '2024-02-29T11:45:01.500000Z',
    ttz: '11:45:01Z',
    iv: 93600000000,
    ia: [1, null, 3],
    ta: ['a', 'b c'],
    e: 'happy',
    dom: 7,
    ip: '10.0.0.1',
    bits: 'BQ==',
    bit1: true,
  })
  const fields = Object.fromEntries(
    (row.value.schema.fields[1].fields as Array<{ field: string; name?: string; parameters?: unknown }>).map((f) => [
      f.field,
      [f.name ?? null, f.parameters ?? null],
    ]),
  )
  assert.deepEqual(fields.n52, [
    'org.apache.kafka.connect.data.Decimal',
    { scale: '2', 'connect.decimal.precision': '5' },
  ])
  assert.deepEqual(fields.n, ['io.debezium.data.VariableScaleDecimal', null])
  assert.deepEqual(fields.jb, ['io.debezium.data.Json', null])
  assert.deepEqual(fields.u, ['io.debezium.data.Uuid', null])
  assert.deepEqual(fields.d, ['io.debezium.time.Date', null])
  assert.deepEqual(fields.t, ['io.debezium.time.MicroTime', null])
  assert.deepEqual(fields.ts, ['io.debezium.time.MicroTimestamp', null])
  assert.deepEqual(fields.ts3, ['io.debezium.time.Timestamp', null])
  assert.deepEqual(fields.tstz, ['io.debezium.time.ZonedTimestamp', null])
  assert.deepEqual(fields.iv, ['io.debezium.time.MicroDuration', null])
  assert.deepEqual(fields.e, ['io.debezium.data.Enum', { allowed: 'sad,happy' }])
  assert.deepEqual(fields.bits, ['io.debezium.data.Bits', { length: '3' }])

  await db.client.query("ALTER TABLE typed ADD COLUMN added TEXT NOT NULL DEFAULT 'x'")
  await db.client.query('INSERT INTO typed (id, added) VALUES (2, $1)', ['new'])
  await db.client.query('ALTER TABLE typed DROP COLUMN i2, DROP COLUMN m')
  await db.client.query('INSERT INTO typed (id) VALUES (3)')
  const rows = await explained(
    worker,
    readJson(topic, (r) => r.length >= 3),
  )
  assert.equal(rows[1]?.value.payload.after.added, 'new')
  const third = rows[2]?.value.payload.after
  assert.equal(third.id, 3)
  assert.equal(third.added, 'x')
  assert.equal('i2' in third, false, 'a dropped column leaves the value schema')
  assert.equal('m' in third, false)
  assert.equal(await worker.stop(), 0)
})

test('snapshot.mode initial_only reads the tables and creates no slot; always takes the snapshot again at each start; slot.drop.on.stop drops the slot', async (t) => {
  const db = await testDatabase(t)
  await db.client.query('CREATE TABLE items (id INT PRIMARY KEY)')
  await db.client.query('INSERT INTO items SELECT generate_series(1, 3)')
  const dir = await tempDir(t)
  const props = await workerProps(dir)
  const connector = (prefix: string, mode: string) => ({
    name: prefix,
    'connector.class': CONNECTOR,
    ...db.connection,
    'topic.prefix': prefix,
    'slot.name': `slot_${prefix.replace(/-/g, '_')}`,
    'publication.name': `pub_${db.name}`,
    'snapshot.mode': mode,
  })
  const only = randomName('only')
  const first = await startStandalone(t, {
    dir,
    worker: props,
    connectors: [connector(only, 'initial_only')],
    label: '-1',
  })
  const snapshot = await explained(
    first,
    readJson(`${only}.public.items`, (r) => r.length >= 3),
  )
  assert.deepEqual(
    snapshot.map((r) => [r.value.payload.op, r.value.payload.source.snapshot]),
    [
      ['r', 'first'],
      ['r', 'true'],
      ['r', 'last'],
    ],
  )
  const slots = await db.client.query('SELECT slot_name FROM pg_replication_slots WHERE slot_name = $1', [
    `slot_${only.replace(/-/g, '_')}`,
  ])
  assert.equal(slots.rowCount, 0)
  assert.equal(await first.stop(), 0)

  const always = randomName('always')
  const second = await startStandalone(t, {
    dir,
    worker: props,
    connectors: [connector(always, 'always')],
    label: '-2',
  })
  const topic = `${always}.public.items`
  await explained(
    second,
    readJson(topic, (r) => r.length >= 3),
  )
  await db.client.query('INSERT INTO items VALUES (4)')
  await explained(
    second,
    readJson(topic, (r) => r.length >= 4),
  )
  assert.equal(await second.stop(), 0)
  const third = await startStandalone(t, {
    dir,
    worker: props,
    connectors: [{ ...connector(always, 'always'), 'slot.drop.on.stop': 'true' }],
    label: '-3',
  })
  const all = await explained(
    third,
    readJson(topic, (r) => r.length >= 8),
  )
  assert.deepEqual(
    all.slice(4).map((r) => [r.value.payload.op, r.key.payload.id]),
    [
      ['r', 1],
      ['r', 2],
      ['r', 3],
      ['r', 4],
    ],
  )
  assert.equal(await third.stop(), 0)
  const left = await db.client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [
    `slot_${always.replace(/-/g, '_')}`,
  ])
  assert.equal(left.rowCount, 0, 'slot.drop.on.stop dropped the slot at stop')
})

test('the PostgreSQL CDC source passes the connector conformance suite', async (t) => {
  const db = await testDatabase(t)
  await db.client.query('CREATE TABLE conf (id INT PRIMARY KEY, v TEXT)')
  await db.client.query("INSERT INTO conf VALUES (1, 'a'), (2, 'b'), (3, 'c')")
  const config = {
    ...db.connection,
    'topic.prefix': randomName('conf'),
    'slot.name': `slot_${db.name}`,
    'publication.name': `pub_${db.name}`,
    'poll.interval.ms': '200',
  }
  await connectorConformance(t, {
    create: () => new PostgresConnector(),
    config,
    invalid: { config: { ...config, 'snapshot.mode': 'sometimes' }, key: 'snapshot.mode' },
    sourceRecords: 3,
  })
})

test('a snapshot cut short by SIGKILL is taken again from a new exported snapshot: rows written meanwhile come once', async (t) => {
  const db = await testDatabase(t)
  await db.client.query('CREATE TABLE big (id INT PRIMARY KEY, pad TEXT)')
  await db.client.query("INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 60000) g")
  const dir = await tempDir(t)
  const props = await workerProps(dir)
  const prefix = randomName('resnap')
  const connector = {
    name: prefix,
    'connector.class': CONNECTOR,
    ...db.connection,
    'topic.prefix': prefix,
    'slot.name': `slot_${db.name}`,
    'publication.name': `pub_${db.name}`,
    'max.batch.size': '50',
    'max.queue.size': '200',
    'snapshot.fetch.size': '100',
  }
  const topic = `${prefix}.public.big`
  const first = await startStandalone(t, { dir, worker: props, connectors: [connector], label: '-1' })
  await explained(
    first,
    readJson(topic, (r) => r.length >= 1),
  )
  await first.kill()
  const offsets = await committedOffsets(props['offset.storage.file.filename'] as string)
  const at = offsets[offsets.length - 1]?.offset
  assert.ok(!at || at.last_snapshot_record === false, 'the worker was killed mid-snapshot')
  await db.client.query("INSERT INTO big VALUES (60001, 'late')")
  const second = await startStandalone(t, { dir, worker: props, connectors: [connector], label: '-2' })
  const records = await explained(
    second,
    readJson(topic, (r) => r.some((x) => x.value?.payload.source.snapshot === 'last'), 180_000),
  )
  await db.client.query("INSERT INTO big VALUES (60002, 'streamed')")
  const all = await explained(
    second,
    readJson(topic, (r) => r.some((x) => x.key.payload.id === 60002)),
  )
  const late = all.filter((r) => r.key.payload.id === 60001).map((r) => r.value.payload.op)
  assert.deepEqual(late, ['r'], 'the late row is in the new snapshot, and not streamed as well')
  assert.ok(records.length >= 60001)
  assert.equal(await second.stop(), 0)
})

test('a worker killed mid-snapshot while another session locks a captured table delivers every row after its restart, once the lock goes', async (t) => {
  const db = await testDatabase(t)
  await db.client.query('CREATE TABLE a_free (id INT PRIMARY KEY, pad TEXT)')
  await db.client.query("INSERT INTO a_free SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g")
  await db.client.query('CREATE TABLE b_locked (id INT PRIMARY KEY, pad TEXT)')
  await db.client.query("INSERT INTO b_locked SELECT g, 'b' FROM generate_series(1, 100) g")
  const dir = await tempDir(t)
  const props = await workerProps(dir)
  const prefix = randomName('locked')
  const connector = {
    name: prefix,
    'connector.class': CONNECTOR,
    ...db.connection,
    'topic.prefix': prefix,
    'slot.name': `slot_${db.name}`,
    'publication.name': `pub_${db.name}`,
    'max.batch.size': '50',
    'max.queue.size': '200',
    'snapshot.fetch.size': '100',
  }
  const first = await startStandalone(t, { dir, worker: props, connectors: [connector], label: '-1' })
  await explained(
    first,
    readJson(`${prefix}.public.a_free`, (r) => r.length >= 1),
  )
  // Another session (a migration, say) takes an ACCESS EXCLUSIVE lock on the next table while the snapshot reads.
  const locker = new pg.Client({ host: db.server.host, port: db.server.port, user: db.server.user, database: db.name })
  locker.on('error', () => {}) // ended by the database's cleanup
  await locker.connect()
  t.after(() => locker.end().catch(() => {}))
  await locker.query('BEGIN')
  await locker.query('LOCK TABLE b_locked IN ACCESS EXCLUSIVE MODE')
  await waitFor('the snapshot to wait for the lock on b_locked', async () => {
    const res = await db.client.query(
      "SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'b_locked'::regclass AND NOT granted",
    )
    return (res.rows[0] as { n: number }).n > 0
  })
  await first.kill()
  const second = await startStandalone(t, { dir, worker: props, connectors: [connector], label: '-2' })
  await new Promise((r) => setTimeout(r, 3000))
  await locker.query('COMMIT')
  const locked = await explained(
    second,
    readJson(`${prefix}.public.b_locked`, (r) => r.some((x) => x.value?.payload.source.snapshot === 'last'), 120_000),
  )
  const free = await readJson(`${prefix}.public.a_free`, (r) => new Set(r.map((x) => x.key.payload.id)).size >= 5000)
  assert.equal(new Set(free.map((x) => x.key.payload.id)).size, 5000)
  assert.equal(new Set(locked.map((x) => x.key.payload.id)).size, 100)
  assert.equal(await second.stop(), 0)
})
