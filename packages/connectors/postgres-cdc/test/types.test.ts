import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type ColumnType, columnType, TypeRegistry, type TypeSettings, timestampMicrosFast } from '../src/types.ts'

const SETTINGS: TypeSettings = {
  decimalHandlingMode: 'precise',
  timePrecisionMode: 'adaptive',
  intervalHandlingMode: 'numeric',
  binaryHandlingMode: 'bytes',
  moneyFractionDigits: 2,
}

const REGISTRY = new TypeRegistry([
  { oid: '1114', name: 'timestamp', kind: 'b', base: '0', basemod: -1, elem: '0', category: 'D', labels: null },
  { oid: '1184', name: 'timestamptz', kind: 'b', base: '0', basemod: -1, elem: '0', category: 'D', labels: null },
])

/** The column type of `timestamp(p)` / `timestamptz(p)` (typmod p; -1: no precision, 6). */
function column(oid: number, typmod = -1): { type: ColumnType; convert: (text: string) => unknown } {
  const type = columnType(REGISTRY, oid, typmod, SETTINGS)
  assert.ok(type)
  const schema = type.schema().build()
  return { type, convert: (text) => type.convert(text, schema) }
}

test('timestamps in PostgreSQL’s ISO output become µs since the epoch, with and without a zone', () => {
  assert.equal(timestampMicrosFast('2024-02-29 13:45:01.5'), 1_709_214_301_500_000)
  assert.equal(timestampMicrosFast('2024-02-29 15:45:01.5+02'), 1_709_214_301_500_000)
  assert.equal(timestampMicrosFast('2024-02-29 19:15:01.500000+05:30'), 1_709_214_301_500_000)
  assert.equal(timestampMicrosFast('1969-12-31 23:59:59.123'), -877_000)
  // Left to the exact (BigInt) reading: BC dates, years before 100, µs beyond 2^53, anything else.
  for (const text of [
    '0044-03-15 12:00:00 BC',
    '0099-01-01 00:00:00',
    '9999-12-31 23:59:59.999999',
    'infinity',
    '2024-02-29T13:45:01',
    '2024-02-29 13:45:01+0530',
    '2024-02-29 13:45:0x',
  ])
    assert.equal(timestampMicrosFast(text), undefined, text)
})

test('timestamp and timestamptz columns convert as Debezium’s MicroTimestamp, Timestamp and ZonedTimestamp', () => {
  const micro = column(1114)
  assert.equal(micro.convert('2024-02-29 13:45:01.5'), 1_709_214_301_500_000)
  assert.equal(micro.convert('9999-12-31 23:59:59.999999'), 253_402_300_799_999_999n)
  assert.equal(micro.convert('0099-01-01 00:00:00'), -59_042_995_200_000_000n)
  const milli = column(1114, 3)
  assert.equal(milli.convert('2024-02-29 13:45:01.5'), 1_709_214_301_500)
  assert.equal(milli.convert('1969-12-31 23:59:59.123'), -877)
  const zoned = column(1184)
  assert.equal(zoned.convert('2024-02-29 13:45:01.5+02'), '2024-02-29T11:45:01.500000Z')
  assert.equal(zoned.convert('1969-12-31 23:59:59.123+00'), '1969-12-31T23:59:59.123000Z')
  assert.equal(zoned.convert('2024-02-29 13:45:01+02'), '2024-02-29T11:45:01.000000Z')
  assert.equal(column(1184, 3).convert('2024-02-29 13:45:01.5+02'), '2024-02-29T11:45:01.500Z')
  assert.equal(column(1184, 0).convert('2024-02-29 13:45:01+02'), '2024-02-29T11:45:01Z')
  assert.equal(zoned.convert('0044-03-15 12:00:00+00 BC'), '-000043-03-15T12:00:00.000000Z')
  assert.equal(zoned.convert('infinity'), 'infinity')
})
