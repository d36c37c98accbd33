import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { TableId } from '../src/db.ts'
import {
  candidatePartitions,
  checkDuplicateNames,
  filterTables,
  groupPartitions,
  offsetFromMap,
  offsetToMap,
  tablePartition,
} from '../src/tables.ts'
import { parseTimestamp } from '../src/time.ts'

const pg = (schema: string, table: string): TableId => ({ catalog: null, schema, table })
const quoted = (t: TableId) => `"${t.schema}"."${t.table}"`
const none = { whitelist: [], blacklist: [], includeList: [], excludeList: [] }

test('table.include.list and table.exclude.list are regular expressions on the whole qualified name', () => {
  const tables = [pg('public', 'orders'), pg('public', 'orders_tmp'), pg('audit', 'orders_log')]
  const picked = filterTables(tables, { ...none, includeList: ['public\\.orders.*'], excludeList: ['.*_tmp'] }, quoted)
  assert.deepEqual(picked, [pg('public', 'orders')])
  assert.deepEqual(filterTables(tables, { ...none, includeList: ['orders'] }, quoted), [], 'a bare name does not match')
})

test('table.whitelist and table.blacklist match qualified, quoted or bare names', () => {
  const tables = [pg('public', 'a'), pg('public', 'b'), pg('other', 'c')]
  assert.deepEqual(filterTables(tables, { ...none, whitelist: ['a', 'other.c'] }, quoted), [tables[0], tables[2]])
  assert.deepEqual(filterTables(tables, { ...none, blacklist: ['"public"."b"'] }, quoted), [tables[0], tables[2]])
})

test('two tables with the same bare name are refused because their topics would mix', () => {
  assert.throws(
    () => checkDuplicateNames([pg('a', 'x'), pg('b', 'x')]),
    /duplicate unqualified table names: \[a\.x, b\.x\]/,
  )
})

test('tables are spread over tasks in contiguous groups, never more groups than tables', () => {
  assert.deepEqual(groupPartitions([1, 2, 3, 4, 5], 2), [
    [1, 2, 3],
    [4, 5],
  ])
  assert.deepEqual(groupPartitions([1, 2], 5), [[1], [2]])
})

test('partitions are Confluent’s: V1 with the qualified name first, then the older forms', () => {
  assert.deepEqual(tablePartition(pg('public', 'orders')), { protocol: '1', table: 'public.orders' })
  assert.deepEqual(tablePartition({ catalog: 'shop', schema: null, table: 'orders' }), {
    protocol: '1',
    table: 'shop.orders',
  })
  assert.deepEqual(candidatePartitions(pg('public', 'orders'), 'test'), [
    { protocol: '1', table: 'public.orders' },
    { protocol: '1', table: 'test.public.orders' },
    { table: 'orders' },
  ])
})

test('offsets are {incrementing, timestamp, timestamp_nanos} and read back to the same position', () => {
  const timestamp = parseTimestamp('2024-05-06 07:08:09.010203', 'UTC')
  const map = offsetToMap({ timestamp, incrementing: 42n })
  assert.deepEqual(map, { incrementing: 42, timestamp: Date.UTC(2024, 4, 6, 7, 8, 9, 10), timestamp_nanos: 10_203_000 })
  assert.deepEqual(offsetFromMap(map), { timestamp, incrementing: 42n })
  assert.deepEqual(offsetFromMap({ incrementing: 7 }), { timestamp: null, incrementing: 7n })
  assert.deepEqual(offsetFromMap(null), { timestamp: null, incrementing: null })
})
