import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  BigDecimal,
  ConnectDate,
  Decimal,
  Schema,
  SchemaBuilder,
  SinkRecord,
  type SourceRecord,
  Struct,
  Time,
  Timestamp,
} from '@ferry/api'
import { JdbcSinkTask, JdbcSourceTask } from '../src/index.ts'
import { DATABASES, testDb } from './helpers.ts'

const VALUE_SCHEMA = SchemaBuilder.struct()
  .name('everything')
  .field('id', Schema.INT32_SCHEMA)
  .field('int8', Schema.OPTIONAL_INT8_SCHEMA)
  .field('int16', Schema.OPTIONAL_INT16_SCHEMA)
  .field('int32', Schema.OPTIONAL_INT32_SCHEMA)
  .field('int64', Schema.OPTIONAL_INT64_SCHEMA)
  .field('float32', Schema.OPTIONAL_FLOAT32_SCHEMA)
  .field('float64', Schema.OPTIONAL_FLOAT64_SCHEMA)
  .field('boolean', Schema.OPTIONAL_BOOLEAN_SCHEMA)
  .field('string', Schema.OPTIONAL_STRING_SCHEMA)
  .field('bytes', Schema.OPTIONAL_BYTES_SCHEMA)
  .field('decimal', Decimal.builder(4).optional().build())
  .field('date', ConnectDate.builder().optional().build())
  .field('time', Time.builder().optional().build())
  .field('timestamp', Timestamp.builder().optional().build())
  .build()

const ROWS: Array<Record<string, unknown>> = [
  {
    id: 1,
    int8: -128,
    int16: -32768,
    int32: 2147483647,
    int64: 9223372036854775807n,
    float32: Math.fround(123.456789),
    float64: 1.7976931348623157e308,
    boolean: true,
    string: 'héllo, 世界 \'"\\ 🚀',
    bytes: new Uint8Array([0, 1, 127, 128, 255]),
    decimal: new BigDecimal(-123456789012345678901234567890n, 4),
    date: new Date(Date.UTC(1969, 6, 20)),
    time: new Date(((23 * 60 + 59) * 60 + 59) * 1000 + 999),
    timestamp: new Date(Date.UTC(2024, 1, 29, 12, 34, 56, 789)),
  },
  {
    id: 2,
    int8: 127,
    int16: 32767,
    int32: -2147483648,
    int64: -42,
    float32: Math.fround(-0.1),
    float64: 5e-324,
    boolean: false,
    string: '',
    bytes: new Uint8Array([]),
    decimal: new BigDecimal(1n, 4),
    date: new Date(Date.UTC(2999, 11, 31)),
    time: new Date(0),
    timestamp: new Date(0),
  },
  { id: 3 },
]

function normalize(value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (value instanceof BigDecimal)
    return value
      .toPlainString()
      .replace(/(\.\d*?)0+$/, '$1')
      .replace(/\.$/, '')
  if (value instanceof Date) return value.getTime()
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex')
  if (typeof value === 'boolean') return value ? '1' : '0'
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value
  return value
}

for (const database of DATABASES) {
  test(`${database.name}: every Connect type written by the sink reads back through the source unchanged`, async (t) => {
    const { table } = await testDb(t, database)
    const name = table('roundtrip')
    const common = { 'connection.url': database.url, 'connection.user': database.user, 'connection.attempts': '1' }

    const sink = new JdbcSinkTask()
    sink.initialize({ timeout: () => {} } as never)
    await sink.start({ ...common, name: 'rt', 'auto.create': 'true', 'pk.mode': 'record_value', 'pk.fields': 'id' })
    t.after(() => sink.stop())
    const records = ROWS.map((row, offset) => {
      const struct = new Struct(VALUE_SCHEMA)
      for (const [k, v] of Object.entries(row)) struct.put(k, v)
      return new SinkRecord(name, 0, null, null, VALUE_SCHEMA, struct, offset)
    })
    await sink.put(records)

    const source = new JdbcSourceTask()
    const table_ =
      database.name === 'PostgreSQL'
        ? { catalog: null, schema: 'public', table: name }
        : { catalog: 'test', schema: null, table: name }
    const props = { ...common, mode: 'bulk', 'topic.prefix': 'rt-', 'ferry.tables': JSON.stringify([table_]) }
    source.initialize({
      configs: () => props,
      offsetStorageReader: () => ({ offset: () => null, offsets: () => new Map() }),
    })
    await source.start(props)
    t.after(() => source.stop())
    let read: SourceRecord[] = []
    for (let i = 0; i < 5 && read.length < ROWS.length; i++) read = read.concat((await source.poll()) ?? [])
    read.sort((a, b) => Number((a.value as Struct).get('id')) - Number((b.value as Struct).get('id')))
    assert.equal(read.length, ROWS.length)
    for (let i = 0; i < ROWS.length; i++) {
      const struct = read[i]!.value as Struct
      for (const field of VALUE_SCHEMA.fields()) {
        assert.deepEqual(
          normalize(struct.get(field.name)),
          normalize(ROWS[i]![field.name]),
          `row ${i + 1}, ${field.name} (read as ${struct.schema.field(field.name)?.schema})`,
        )
      }
    }
  })
}
