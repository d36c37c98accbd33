import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BigDecimal } from '../../src/data/big-decimal.ts'
import { ConnectDate, Decimal, Time, Timestamp } from '../../src/data/logical.ts'
import { Schema } from '../../src/data/schema.ts'
import { SchemaBuilder } from '../../src/data/schema-builder.ts'
import { DataException } from '../../src/errors.ts'

test('Decimal schemas are named BYTES schemas with a scale parameter and version 1', () => {
  const schema = Decimal.schema(2)
  assert.equal(schema.type, 'BYTES')
  assert.equal(schema.name, 'org.apache.kafka.connect.data.Decimal')
  assert.equal(schema.version, 1)
  assert.deepEqual({ ...schema.parameters }, { scale: '2' })
  assert.equal(Decimal.builder(3).optional().build().isOptional, true)
})

test('Decimal round trips negative numbers and keeps the scale', () => {
  for (const [text, scale] of [
    ['-123.45', 2],
    ['0.00', 2],
    ['-0.001', 3],
    ['98765432109876543210.123456789', 9],
    ['-1', 0],
    ['-128', 0],
    ['1E+3', -3],
  ] as const) {
    const schema = Decimal.schema(scale)
    const value = BigDecimal.fromString(text)
    const bytes = Decimal.fromLogical(schema, value)
    const back = Decimal.toLogical(schema, bytes)
    assert.ok(back.equals(value), `${text} came back as ${back}`)
    assert.equal(back.scale, scale)
  }
  assert.deepEqual([...Decimal.fromLogical(Decimal.schema(2), BigDecimal.fromString('-123.45'))], [0xcf, 0xc7])
})

test('Decimal rejects a value of another scale and a schema without a scale', () => {
  assert.throws(() => Decimal.fromLogical(Decimal.schema(2), BigDecimal.fromString('1.5')), {
    name: 'DataException',
    message: 'Decimal value has mismatching scale for given Decimal schema. Schema has scale 2, value has scale 1.',
  })
  assert.throws(() => Decimal.toLogical(Schema.BYTES_SCHEMA, new Uint8Array([1])), {
    message: 'Invalid Decimal schema: scale parameter not found.',
  })
  const bad = SchemaBuilder.bytes().name(Decimal.LOGICAL_NAME).parameter('scale', 'x').build()
  assert.throws(() => Decimal.toLogical(bad, new Uint8Array([1])), DataException)
})

test('Date converts UTC midnights to days since the epoch and back', () => {
  assert.equal(ConnectDate.SCHEMA.type, 'INT32')
  assert.equal(ConnectDate.SCHEMA.name, 'org.apache.kafka.connect.data.Date')
  assert.equal(ConnectDate.SCHEMA.version, 1)
  assert.equal(ConnectDate.fromLogical(ConnectDate.SCHEMA, new Date(Date.UTC(1970, 0, 11))), 10)
  assert.equal(ConnectDate.fromLogical(ConnectDate.SCHEMA, new Date(Date.UTC(1969, 11, 31))), -1)
  assert.equal(ConnectDate.toLogical(ConnectDate.SCHEMA, 18000).toISOString(), '2019-04-14T00:00:00.000Z')
})

test('Date with a non-midnight time is rejected', () => {
  assert.throws(() => ConnectDate.fromLogical(ConnectDate.SCHEMA, new Date(Date.UTC(2020, 0, 1, 0, 0, 0, 1))), {
    name: 'DataException',
    message: 'Kafka Connect Date type should not have any time fields set to non-zero values.',
  })
  assert.throws(() => ConnectDate.fromLogical(Schema.INT32_SCHEMA, new Date(0)), {
    message: 'Requested conversion of Date object but the schema does not match.',
  })
  assert.throws(() => ConnectDate.fromLogical(ConnectDate.SCHEMA, new Date(Number.NaN)), DataException)
})

test('Time converts a time of day on 1970-01-01 to milliseconds and back', () => {
  assert.equal(Time.fromLogical(Time.SCHEMA, new Date(Date.UTC(1970, 0, 1, 1, 2, 3, 4))), 3723004)
  assert.equal(Time.toLogical(Time.SCHEMA, 1000).getTime(), 1000)
  assert.throws(() => Time.fromLogical(Time.SCHEMA, new Date(Date.UTC(1970, 0, 2, 1))), {
    message: 'Kafka Connect Time type should not have any date fields set to non-zero values.',
  })
  assert.throws(() => Time.toLogical(Time.SCHEMA, -1), {
    message: 'Time values must use number of milliseconds greater than 0 and less than 86400000',
  })
})

test('Timestamp converts milliseconds since the epoch, as number or bigint', () => {
  assert.equal(Timestamp.SCHEMA.type, 'INT64')
  const when = new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 5))
  assert.equal(Timestamp.fromLogical(Timestamp.SCHEMA, when), when.getTime())
  assert.equal(Timestamp.toLogical(Timestamp.SCHEMA, BigInt(when.getTime())).getTime(), when.getTime())
  assert.throws(() => Timestamp.toLogical(Time.SCHEMA, 0), {
    message: 'Requested conversion of Timestamp object but the schema does not match.',
  })
})
