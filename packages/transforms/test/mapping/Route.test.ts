import assert from 'node:assert/strict'
import test from 'node:test'
import { DataException, SchemaBuilder, SourceRecord, Struct } from '@ferry/api'
import { runTransform, transformConformance } from '@ferry/testing'
import { FerryRoute } from '../../src/mapping/Route.ts'

const SCHEMA = SchemaBuilder.struct().field('region', SchemaBuilder.string().optional().build()).build()

function record(region: string | null, topic = 'orders'): SourceRecord {
  return new SourceRecord(null, null, topic, 1, null, 'k', SCHEMA, new Struct(SCHEMA).put('region', region), 5)
}

test('Route sets the topic to the expression’s string and keeps everything else', () => {
  const [out] = runTransform(new FerryRoute(), { expression: 'topic & "-" & value.region' }, [record('eu')])
  assert.equal(out!.topic, 'orders-eu')
  assert.equal(out!.kafkaPartition, 1)
  assert.equal((out!.value as Struct).get('region'), 'eu')
  assert.equal(out!.timestamp, 5)
})

test('Route keeps the topic when the expression selects nothing or gives null', () => {
  const outs = runTransform(new FerryRoute(), { expression: 'value.region = "eu" ? "europe" : value.nothing' }, [
    record('eu'),
    record('us'),
  ])
  assert.deepEqual(
    outs.map((r) => r!.topic),
    ['europe', 'orders'],
  )
})

test('Route fails a record whose expression gives something other than a topic name', () => {
  const route = new FerryRoute()
  route.configure({ expression: 'value.region = "eu" ? 42 : ""' })
  assert.throws(
    () => route.apply(record('eu')),
    (e: unknown) =>
      e instanceof DataException &&
      /io\.ferry\.transforms\.Route: the expression gave the number 42, where a topic name is needed/.test(
        (e as Error).message,
      ),
  )
  assert.throws(() => route.apply(record('us')), /the expression gave the string "", where a topic name is needed/)
})

test('Route conforms to the transform contract', async (t) => {
  await transformConformance(t, () => new FerryRoute(), { expression: '"routed-" & topic' }, { nullValues: 'pass' })
})
