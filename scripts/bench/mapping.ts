/**
 * What one JSONata mapping costs against the chain of Apache SMTs that does the same (issue 19), in one process:
 * `npx node scripts/bench/mapping.ts [--records 200000] [--rounds 3]`.
 *
 * The job: drop a field, rename one, add a constant field and route the record to another topic, on records with a
 * schema (Structs) and without one (Maps, as the JsonConverter gives them). Apache's way is ReplaceField$Value,
 * InsertField$Value and RegexRouter; Ferry's is one `Ferry.Map` with `target=record`. Each round runs both over the
 * same records, in alternating order; the median records/s of each and their ratio are printed. Not part of `npm test`
 * or `npm run bench` (no broker, no worker: the transforms alone).
 */
import { parseArgs } from 'node:util'
import { type ConnectRecord, SchemaBuilder, SourceRecord, Struct, type Transformation } from '@ferry/api'
import { FerryMap, InsertFieldValue, RegexRouter, ReplaceFieldValue } from '@ferry/transforms'

const { values } = parseArgs({
  options: { records: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '3' } },
})
const records = Number(values.records)
const rounds = Number(values.rounds)

const SCHEMA = SchemaBuilder.struct()
  .field('id', SchemaBuilder.int64().build())
  .field('first', SchemaBuilder.string().build())
  .field('last', SchemaBuilder.string().build())
  .field('email', SchemaBuilder.string().build())
  .field('amount', SchemaBuilder.float64().build())
  .field('internal', SchemaBuilder.string().build())
  .build()

function structRecord(i: number): SourceRecord {
  const value = new Struct(SCHEMA)
    .put('id', i)
    .put('first', `first-${i}`)
    .put('last', 'Lovelace')
    .put('email', `user${i}@example.com`)
    .put('amount', i / 100)
    .put('internal', 'x')
  return new SourceRecord(null, null, 'orders', 0, null, null, SCHEMA, value, 1_700_000_000_000 + i)
}

function mapRecord(i: number): SourceRecord {
  const value = new Map<string, unknown>([
    ['id', i],
    ['first', `first-${i}`],
    ['last', 'Lovelace'],
    ['email', `user${i}@example.com`],
    ['amount', i / 100],
    ['internal', 'x'],
  ])
  return new SourceRecord(null, null, 'orders', 0, null, null, null, value, 1_700_000_000_000 + i)
}

function apacheChain(): Transformation<ConnectRecord>[] {
  const replace = new ReplaceFieldValue()
  replace.configure({ exclude: 'internal', renames: 'first:given' })
  const insert = new InsertFieldValue()
  insert.configure({ 'static.field': 'source', 'static.value': 'web' })
  const route = new RegexRouter()
  route.configure({ regex: 'orders', replacement: 'orders-archive' })
  return [replace, insert, route]
}

function ferryChain(): Transformation<ConnectRecord>[] {
  const map = new FerryMap()
  map.configure({
    target: 'record',
    expression:
      '{"topic": "orders-archive", "value": {"id": value.id, "given": value.first, "last": value.last, "email": value.email, "amount": value.amount, "source": "web"}}',
  })
  return [map]
}

/** Records per second of `chain` over `input`. */
function run(chain: Transformation<ConnectRecord>[], input: ConnectRecord[]): number {
  const start = process.hrtime.bigint()
  let out = 0
  for (const record of input) {
    let current: ConnectRecord | null = record
    for (const t of chain) current = current === null ? null : t.apply(current)
    if (current?.topic === 'orders-archive') out++
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  if (out !== input.length) throw new Error(`${out} of ${input.length} records came out routed`)
  return input.length / seconds
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

for (const [label, make] of [
  ['Structs', structRecord],
  ['Maps (schemaless)', mapRecord],
] as const) {
  const input = Array.from({ length: records }, (_, i) => make(i))
  const apache = apacheChain()
  const ferry = ferryChain()
  // Warm-up, so both are compiled before the first measured round.
  run(apache, input.slice(0, 20_000))
  run(ferry, input.slice(0, 20_000))
  const a: number[] = []
  const f: number[] = []
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      a.push(run(apache, input))
      f.push(run(ferry, input))
    } else {
      f.push(run(ferry, input))
      a.push(run(apache, input))
    }
  }
  const am = median(a)
  const fm = median(f)
  console.log(
    `${label}: Apache SMT chain ${Math.round(am).toLocaleString('en-US')} records/s, Ferry.Map ${Math.round(fm).toLocaleString('en-US')} records/s, Ferry.Map / chain ${(fm / am).toFixed(2)}x (median of ${rounds} rounds of ${records.toLocaleString('en-US')})`,
  )
}
