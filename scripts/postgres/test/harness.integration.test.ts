import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { dirname } from 'node:path'
import { test } from 'node:test'
import pg from 'pg'
import { startPostgres } from '../harness.ts'

test('a started PostgreSQL has wal_level=logical, takes a logical slot, and its directory is gone after stop', async (t) => {
  const server = await startPostgres()
  t.after(() => server.stop())
  const client = new pg.Client({ host: server.host, port: server.port, user: server.user, database: 'postgres' })
  await client.connect()
  try {
    const level = await client.query('SHOW wal_level')
    assert.equal(level.rows[0].wal_level, 'logical')
    const slot = await client.query(
      "SELECT slot_name FROM pg_create_logical_replication_slot('harness_test', 'pgoutput')",
    )
    assert.equal(slot.rows[0].slot_name, 'harness_test')
    await client.query("SELECT pg_drop_replication_slot('harness_test')")
  } finally {
    await client.end()
  }
  const dir = dirname(server.logFile)
  assert.ok(existsSync(dir))
  await server.stop()
  assert.equal(existsSync(dir), false, 'the data directory is removed')
})
