import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SchemaBuilder, SourceRecord, Struct } from '@ferry/api'
import { ExtractNewRecordState } from '../src/extract-new-record-state.ts'

const ROW = SchemaBuilder.struct()
  .name('srv.public.t.Value')
  .optional()
  .field('id', SchemaBuilder.int32().build())
  .field('name', SchemaBuilder.string().optional().build())
  .build()
const SOURCE = SchemaBuilder.struct()
  .name('io.debezium.connector.postgresql.Source')
  .field('table', SchemaBuilder.string().build())
  .field('lsn', SchemaBuilder.int64().optional().build())
  .build()
const ENVELOPE = SchemaBuilder.struct()
  .name('srv.public.t.Envelope')
  .version(2)
  .field('before', ROW)
  .field('after', ROW)
  .field('source', SOURCE)
  .field('op', SchemaBuilder.string().build())
  .field('ts_ms', SchemaBuilder.int64().optional().build())
  .build()
const KEY = SchemaBuilder.struct().name('srv.public.t.Key').field('id', SchemaBuilder.int32().build()).build()

function row(id: number, name: string | null): Struct {
  return new Struct(ROW).put('id', id).put('name', name)
}

function event(op: string, before: Struct | null, after: Struct | null): SourceRecord {
  const value = new Struct(ENVELOPE)
    .put('before', before)
    .put('after', after)
    .put('source', new Struct(SOURCE).put('table', 't').put('lsn', 42))
    .put('op', op)
    .put('ts_ms', 7)
  const id = ((after ?? before)?.get('id') as number | undefined) ?? 0
  return new SourceRecord(
    { server: 'srv' },
    { lsn: 1 },
    'srv.public.t',
    null,
    KEY,
    new Struct(KEY).put('id', id),
    ENVELOPE,
    value,
  )
}

function tombstone(id: number): SourceRecord {
  return new SourceRecord(
    { server: 'srv' },
    { lsn: 1 },
    'srv.public.t',
    null,
    KEY,
    new Struct(KEY).put('id', id),
    null,
    null,
  )
}

function smt(config: Record<string, string> = {}): ExtractNewRecordState {
  const t = new ExtractNewRecordState()
  t.configure(config)
  return t
}

test('creates and updates become the after row; deletes become a null value under the row schema; tombstones and truncates are dropped', () => {
  const t = smt()
  const created = t.apply(event('c', null, row(1, 'a')))
  assert.ok(created)
  assert.equal(created.valueSchema, ROW)
  assert.equal((created.value as Struct).get('name'), 'a')
  const updated = t.apply(event('u', null, row(1, 'b')))
  assert.ok(updated)
  assert.equal((updated.value as Struct).get('name'), 'b')
  const deleted = t.apply(event('d', row(1, 'b'), null))
  assert.equal(deleted?.value, null)
  assert.equal(deleted?.valueSchema, ROW)
  assert.equal(t.apply(tombstone(1)), null)
  assert.equal(t.apply(event('t', null, null)), null)
})

test('delete.tombstone.handling.mode drop, delete-to-tombstone, rewrite and rewrite-with-tombstone', () => {
  assert.equal(smt({ 'delete.tombstone.handling.mode': 'drop' }).apply(event('d', row(1, 'a'), null)), null)
  const dt = smt({ 'delete.tombstone.handling.mode': 'delete-to-tombstone' }).apply(event('d', row(1, 'a'), null))
  assert.equal(dt?.valueSchema, null)
  assert.equal(dt?.value, null)
  const rewrite = smt({ 'delete.tombstone.handling.mode': 'rewrite' })
  const d = rewrite.apply(event('d', row(1, 'a'), null))?.value as Struct
  assert.deepEqual([d.get('id'), d.get('name'), d.get('__deleted')], [1, 'a', 'true'])
  const c = rewrite.apply(event('c', null, row(2, 'b')))?.value as Struct
  assert.equal(c.get('__deleted'), 'false')
  assert.equal(c.schema.name, 'srv.public.t.Value')
  assert.equal(rewrite.apply(tombstone(1)), null)
  const kept = smt({ 'delete.tombstone.handling.mode': 'rewrite-with-tombstone' }).apply(tombstone(1))
  assert.equal(kept?.value, null)
})

test('add.fields and add.headers copy envelope and source fields; route.by.field picks the topic', () => {
  const t = smt({ 'add.fields': 'op,table,source.lsn:pos', 'add.headers': 'op,ts_ms', 'route.by.field': 'name' })
  const out = t.apply(event('c', null, row(1, 'routed')))
  const value = out?.value as Struct
  assert.deepEqual(
    value.schema.fields().map((f) => f.name),
    ['id', 'name', '__op', '__table', '__pos'],
  )
  assert.deepEqual([value.get('__op'), value.get('__table'), value.get('__pos')], ['c', 't', 42])
  assert.equal(value.schema.field('__table')?.schema.isOptional, true)
  assert.equal(out?.topic, 'routed')
  assert.deepEqual(
    [...(out?.headers ?? [])].map((h) => [h.key, h.value]),
    [
      ['__op', 'c'],
      ['__ts_ms', 7],
    ],
  )
  const tomb = smt({ 'add.headers': 'op', 'delete.tombstone.handling.mode': 'rewrite-with-tombstone' }).apply(
    tombstone(3),
  )
  assert.deepEqual(
    [...(tomb?.headers ?? [])].map((h) => [h.key, h.value]),
    [['__op', 'd']],
  )
})

test('records that are not change events pass through; options Ferry lacks are refused naming the key', () => {
  const plain = new SourceRecord(null, null, 'x', null, null, null, SchemaBuilder.string().build(), 'v')
  assert.equal(smt().apply(plain), plain)
  assert.throws(() => smt({ 'drop.fields.header.name': 'h' }), /drop\.fields\.header\.name/)
  assert.throws(() => smt({ 'delete.tombstone.handling.mode': 'nope' }), /delete\.tombstone\.handling\.mode/)
})
