import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BigDecimal } from '../../src/data/big-decimal.ts'
import { ConnectDate, Decimal, Time, Timestamp } from '../../src/data/logical.ts'
import { Schema, SchemaAndValue, schemaEquals, valueEquals } from '../../src/data/schema.ts'
import { SchemaBuilder } from '../../src/data/schema-builder.ts'
import { Struct } from '../../src/data/struct.ts'
import { Values } from '../../src/data/values.ts'
import { DataException } from '../../src/errors.ts'

function parsed(text: string): SchemaAndValue {
  return Values.parseString(text)
}

test('parseString infers the smallest integer type', () => {
  const cases: [string, string, unknown][] = [
    ['0', 'INT8', 0],
    ['-128', 'INT8', -128],
    ['300', 'INT16', 300],
    ['-40000', 'INT32', -40000],
    ['5000000000', 'INT64', 5000000000],
    ['9223372036854775807', 'INT64', 9223372036854775807n],
    ['+7', 'INT8', 7],
    ['1.0', 'INT8', 1],
    ['300.0', 'INT16', 300],
    ['1e5', 'INT32', 100000],
  ]
  for (const [text, type, value] of cases) {
    const r = parsed(text)
    assert.equal(r.schema?.type, type, text)
    assert.equal(r.value, value, text)
  }
})

test('parseString infers floats and falls back to Decimal beyond the numeric types', () => {
  assert.deepEqual(
    [parsed('1.1').schema?.type, parsed('1.1').value],
    ['FLOAT32', Math.fround(1.1)],
    "held as Java's Float holds it",
  )
  assert.deepEqual([parsed('-.5').schema?.type, parsed('-.5').value], ['FLOAT32', -0.5])
  // Beyond FLOAT32's range but within FLOAT64's.
  assert.deepEqual([parsed('1e39').schema?.type, parsed('1e39').value], ['FLOAT64', 1e39])
  assert.equal(parsed('1e400').schema?.name, Decimal.LOGICAL_NAME)
  const big = parsed('99999999999999999999')
  assert.equal(big.schema?.name, Decimal.LOGICAL_NAME)
  assert.deepEqual({ ...big.schema?.parameters }, { scale: '0' })
  assert.ok((big.value as BigDecimal).equals(BigDecimal.fromString('99999999999999999999')))
})

test('parseString recognises booleans and null only as whole tokens', () => {
  assert.deepEqual([parsed('true').schema?.type, parsed('true').value], ['BOOLEAN', true])
  assert.deepEqual([parsed('  false  ').schema?.type, parsed('  false  ').value], ['BOOLEAN', false])
  assert.equal(parsed('null'), SchemaAndValue.NULL)
  assert.equal(parsed(' null '), SchemaAndValue.NULL)
  for (const text of ['true}', 'false]', 'null=', 'truest']) {
    assert.deepEqual([parsed(text).schema?.type, parsed(text).value], ['STRING', text])
  }
  assert.equal(Values.parseString(null), SchemaAndValue.NULL)
  assert.deepEqual([parsed('').schema, parsed('').value], [Schema.STRING_SCHEMA, ''])
})

test('parseString parses lists with a merged element type', () => {
  const ints = parsed('[1, 2, 300]')
  assert.equal(ints.schema?.type, 'ARRAY')
  assert.equal(ints.schema?.valueSchema()?.type, 'INT16')
  assert.deepEqual(ints.value, [1, 2, 300])
  const mixed = parsed('[1, 2.5]')
  assert.equal(mixed.schema?.valueSchema()?.type, 'FLOAT32')
  const bools = parsed('[true, false]')
  assert.equal(bools.schema?.valueSchema()?.type, 'BOOLEAN')
  const noCommon = parsed('[1, 2, 300, "four"]')
  assert.equal(noCommon.schema?.type, 'ARRAY')
  assert.equal(noCommon.schema?.valueSchema(), null)
  assert.deepEqual(noCommon.value, [1, 2, 300, 'four'])
  assert.deepEqual(parsed('[]').value, [])
  assert.deepEqual(parsed('[null]').value, [null])
  assert.equal(parsed('[[]]').schema?.valueSchema()?.type, 'ARRAY')
})

test('parseString parses maps into JS Maps', () => {
  const r = parsed('{"a":1, "b":300}')
  assert.equal(r.schema?.type, 'MAP')
  assert.equal(r.schema?.keySchema()?.type, 'STRING')
  assert.equal(r.schema?.valueSchema()?.type, 'INT16')
  assert.deepEqual(
    r.value,
    new Map([
      ['a', 1],
      ['b', 300],
    ]),
  )
  const booleans = parsed('{true: false, false: true}')
  assert.deepEqual(
    booleans.value,
    new Map([
      [true, false],
      [false, true],
    ]),
  )
  const nullValues = parsed('{3: null}')
  assert.equal(nullValues.schema?.keySchema()?.type, 'INT8')
  assert.equal(nullValues.schema?.valueSchema(), null)
  assert.deepEqual(parsed('{}').value, new Map())
  assert.equal(parsed('{"a":{}}').schema?.valueSchema()?.type, 'MAP')
})

test('malformed lists and maps are kept as the original string', () => {
  for (const text of [
    '[foo]',
    '{foo: 3}',
    '{3: foo}',
    '{6:9 4:20}',
    '[0 1 2]',
    '{null: 3}',
    '[1, 2, 3,,,]',
    '[1, null]',
    '[null, 1]',
    '[1, 2',
    '{"a":1',
  ]) {
    const r = parsed(text)
    assert.equal(r.schema?.type, 'STRING', text)
    assert.equal(r.value, text)
  }
})

test('parseString parses dates, times and timestamps in UTC, also with escaped colons and inside lists', () => {
  const date = parsed('2019-08-23')
  assert.ok(schemaEquals(date.schema, ConnectDate.SCHEMA))
  assert.equal((date.value as Date).toISOString(), '2019-08-23T00:00:00.000Z')
  const time = parsed('14:34:54.346Z')
  assert.ok(schemaEquals(time.schema, Time.SCHEMA))
  assert.equal((time.value as Date).getTime(), ((14 * 60 + 34) * 60 + 54) * 1000 + 346)
  const ts = parsed('2019-08-23T14:34:54.346Z')
  assert.ok(schemaEquals(ts.schema, Timestamp.SCHEMA))
  assert.equal((ts.value as Date).toISOString(), '2019-08-23T14:34:54.346Z')
  assert.equal((parsed('2019-08-23T14\\:34\\:54.346Z').value as Date).toISOString(), '2019-08-23T14:34:54.346Z')
  const list = parsed('[2019-08-23T14:34:54.346Z,  2019-01-23T15:12:34.567Z]')
  assert.ok(schemaEquals(list.schema?.valueSchema(), Timestamp.SCHEMA))
  assert.equal((list.value as Date[])[1]!.toISOString(), '2019-01-23T15:12:34.567Z')
  const quoted = parsed('{"k1":"14:34:54.346Z"}')
  assert.ok(schemaEquals(quoted.schema?.valueSchema(), Time.SCHEMA))
})

test('text that continues after a value stays a string', () => {
  for (const text of ['1,2', '12:34', '[1] x', '5 apples', 'hello world', '2019-08-2x']) {
    assert.deepEqual([parsed(text).schema?.type, parsed(text).value], ['STRING', text], text)
  }
})

test('convertToString writes Apache formats', () => {
  assert.equal(Values.convertToString(null, null), null)
  assert.equal(Values.convertToString(Schema.STRING_SCHEMA, 'a"b'), 'a"b')
  assert.equal(Values.convertToString(null, [1, 'a"b\\c', null]), '[1,"a\\"b\\\\c",null]')
  assert.equal(
    Values.convertToString(
      null,
      new Map<unknown, unknown>([
        ['k', true],
        [2, 'v'],
      ]),
    ),
    '{"k":true,2:"v"}',
  )
  assert.equal(Values.convertToString(null, { a: 1 }), '{"a":1}')
  assert.equal(Values.convertToString(Schema.FLOAT64_SCHEMA, 1), '1.0')
  assert.equal(Values.convertToString(Schema.FLOAT32_SCHEMA, Math.fround(3.14)), '3.14')
  assert.equal(Values.convertToString(Schema.FLOAT64_SCHEMA, 1e10), '1.0E10')
  assert.equal(Values.convertToString(Schema.INT64_SCHEMA, 2n ** 62n), '4611686018427387904')
  assert.equal(Values.convertToString(null, 1.5), '1.5')
  assert.equal(Values.convertToString(null, new Uint8Array([1, 2, 3])), 'AQID')
  assert.equal(Values.convertToString(null, [new Uint8Array([1, 2, 3])]), '["AQID"]')
  assert.equal(Values.convertToString(null, BigDecimal.fromString('-1.50')), '-1.50')
  assert.equal(Values.convertToString(null, new Date(Date.UTC(2019, 7, 23))), '2019-08-23')
  assert.equal(Values.convertToString(null, new Date(Date.UTC(1970, 0, 1, 14, 34, 54, 346))), '14:34:54.346Z')
  assert.equal(
    Values.convertToString(null, new Date(Date.UTC(2019, 7, 23, 14, 34, 54, 346))),
    '2019-08-23T14:34:54.346Z',
  )
  assert.throws(() => Values.convertToString(null, Symbol('x')), DataException)
})

test('convertToString writes structs as maps with their defaults and schema-aware numbers', () => {
  const schema = SchemaBuilder.struct()
    .field('f', Schema.FLOAT32_SCHEMA)
    .field('d', SchemaBuilder.float64().defaultValue(2))
    .field('s', Schema.OPTIONAL_STRING_SCHEMA)
    .build()
  const struct = new Struct(schema).put('f', 1.5)
  assert.equal(Values.convertToString(schema, struct), '{"f":1.5,"d":2.0,"s":null}')
})

test('values written by convertToString parse back to the same schema and value', () => {
  const cases: [Schema | null, unknown][] = [
    [Schema.INT8_SCHEMA, 1],
    [Schema.BOOLEAN_SCHEMA, true],
    [Schema.STRING_SCHEMA, 'three"blind\\"mice'],
    [Schema.STRING_SCHEMA, "string with delimiters: <>?,./\\=+-!@#$%^&*(){}[]|;':"],
    [SchemaBuilder.array(Schema.STRING_SCHEMA).build(), ['foo', 'bar']],
    [SchemaBuilder.array(Schema.INT32_SCHEMA).build(), [1234567890, -987654321]],
    [
      SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT16_SCHEMA).build(),
      new Map([
        ['a', 300],
        ['b', -300],
      ]),
    ],
    [ConnectDate.SCHEMA, new Date(Date.UTC(2019, 7, 23))],
    [Timestamp.SCHEMA, new Date(Date.UTC(2019, 7, 23, 1, 2, 3, 4))],
  ]
  for (const [schema, value] of cases) {
    const text = Values.convertToString(schema, value)!
    const back = Values.parseString(text)
    assert.ok(valueEquals(back.value, value), `${text} parsed back as ${String(back.value)}`)
    if (schema !== null && schema.type !== 'STRING') assert.ok(schemaEquals(back.schema, schema), text)
  }
})

test('the numeric conversions narrow like Java casts and parse strings', () => {
  assert.equal(Values.convertToInteger(null, '42'), 42)
  assert.equal(Values.convertToInteger(null, 3.9), 3)
  assert.equal(Values.convertToByte(null, 300), 44)
  assert.equal(Values.convertToShort(null, '70000'), 4464)
  assert.equal(Values.convertToLong(null, '9223372036854775807'), 9223372036854775807n)
  assert.equal(Values.convertToLong(null, 12n), 12)
  assert.equal(Values.convertToDouble(null, '1.25'), 1.25)
  assert.equal(Values.convertToFloat(null, 2), 2)
  assert.equal(Values.convertToInteger(null, null), null)
  assert.equal(Values.convertToLong(ConnectDate.SCHEMA, new Date(Date.UTC(1970, 0, 3))), 2)
  assert.throws(() => Values.convertToInteger(null, 'abc'), {
    name: 'DataException',
    message: 'Unable to convert abc (string) to a number',
  })
  assert.throws(() => Values.convertToInteger(Schema.STRING_SCHEMA, true), {
    message: 'Unable to convert true (boolean) to Schema{STRING}',
  })
})

test('convertToBoolean accepts booleans, boolean text and numbers', () => {
  assert.equal(Values.convertToBoolean(null, true), true)
  assert.equal(Values.convertToBoolean(null, 'false'), false)
  assert.equal(Values.convertToBoolean(null, 0), false)
  assert.equal(Values.convertToBoolean(null, '5'), true)
  assert.equal(Values.convertToBoolean(null, null), null)
  assert.throws(() => Values.convertToBoolean(null, 'yes'), DataException)
})

test('list, map and struct conversions parse text and reject null', () => {
  assert.deepEqual(Values.convertToList(null, '[1, 2]'), [1, 2])
  assert.deepEqual(Values.convertToMap(null, '{"a": "b"}'), new Map([['a', 'b']]))
  assert.throws(() => Values.convertToList(Schema.STRING_SCHEMA, '[1, 2, 3,,,]'), DataException)
  assert.throws(() => Values.convertToMap(null, ' { ,,  , , }  '), DataException)
  assert.throws(() => Values.convertToList(null, null), {
    message: 'Unable to convert a null value to a schema that requires a value',
  })
  const struct = new Struct(SchemaBuilder.struct().build())
  assert.equal(Values.convertToStruct(null, struct), struct)
  assert.throws(() => Values.convertToStruct(null, 'x'), DataException)
})

test('temporal conversions move between dates, times, timestamps and numbers', () => {
  const ts = new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 6))
  assert.equal(Values.convertToDate(Timestamp.SCHEMA, ts).toISOString(), '2020-01-02T00:00:00.000Z')
  assert.equal(Values.convertToTime(Timestamp.SCHEMA, ts).toISOString(), '1970-01-01T03:04:05.006Z')
  assert.equal(Values.convertToTimestamp(null, '2019-08-23T14:34:54.346Z').toISOString(), '2019-08-23T14:34:54.346Z')
  assert.equal(Values.convertToTimestamp(ConnectDate.SCHEMA, new Date(Date.UTC(1970, 0, 2))).getTime(), 86400000)
  assert.equal(Values.convertToDate(null, 1).getTime(), 86400000)
  assert.equal(Values.convertToTime(null, '1000').getTime(), 1000)
  assert.throws(() => Values.convertToTime(null, null), DataException)
  assert.throws(() => Values.convertToDate(null, null), DataException)
  assert.throws(() => Values.convertToTimestamp(null, null), DataException)
})

test('convertToDecimal accepts bytes, decimals, numbers and text', () => {
  assert.equal(Values.convertToDecimal(null, 1.5, 1).toString(), '1.5')
  assert.equal(Values.convertToDecimal(null, '-12.345', 3).toString(), '-12.345')
  assert.equal(Values.convertToDecimal(null, new Uint8Array([0xcf, 0xc7]), 2).toString(), '-123.45')
  assert.throws(() => Values.convertToDecimal(null, 'abc', 0), DataException)
  assert.throws(() => Values.convertToDecimal(null, null, 0), DataException)
})

test('inferSchema finds schemas for schemaless values', () => {
  assert.equal(Values.inferSchema('x'), Schema.STRING_SCHEMA)
  assert.equal(Values.inferSchema(1), Schema.INT32_SCHEMA)
  assert.equal(Values.inferSchema(2 ** 40), Schema.INT64_SCHEMA)
  assert.equal(Values.inferSchema(1.5), Schema.FLOAT64_SCHEMA)
  assert.equal(Values.inferSchema(1n), Schema.INT64_SCHEMA)
  assert.equal(Values.inferSchema(new Uint8Array(1)), Schema.BYTES_SCHEMA)
  assert.ok(schemaEquals(Values.inferSchema([1, 2.5]), SchemaBuilder.array(Schema.FLOAT64_SCHEMA).build()))
  assert.ok(
    schemaEquals(
      Values.inferSchema(
        new Map([
          ['a', null],
          ['b', true],
        ]),
      ),
      SchemaBuilder.map(Schema.STRING_SCHEMA, SchemaBuilder.bool().optional()).build(),
    ),
  )
  assert.equal(Values.inferSchema([]), null)
  assert.equal(Values.inferSchema([1, 'a']), null)
  assert.equal(Values.inferSchema(new Date()), null)
})
