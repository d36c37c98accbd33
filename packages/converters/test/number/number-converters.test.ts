import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type Converter, DataException, Schema } from '@ferry/api'
import {
  BooleanConverter,
  DoubleConverter,
  FloatConverter,
  IntegerConverter,
  LongConverter,
  ShortConverter,
} from '../../src/number/number-converters.ts'

function configured<T extends Converter>(c: T): T {
  c.configure({}, false)
  return c
}

function hex(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : Buffer.from(bytes).toString('hex')
}

/** Kafka's serializer bytes (big-endian) for each converter, with the value read back. */
const CASES: { name: string; converter: () => Converter; schema: Schema; cases: [unknown, string, unknown?][] }[] = [
  {
    name: 'ShortConverter',
    converter: () => new ShortConverter(),
    schema: Schema.OPTIONAL_INT16_SCHEMA,
    cases: [
      [0, '0000'],
      [-1, 'ffff'],
      [32767, '7fff'],
      [-32768, '8000'],
    ],
  },
  {
    name: 'IntegerConverter',
    converter: () => new IntegerConverter(),
    schema: Schema.OPTIONAL_INT32_SCHEMA,
    cases: [
      [1, '00000001'],
      [-2147483648, '80000000'],
      [2147483647, '7fffffff'],
    ],
  },
  {
    name: 'LongConverter',
    converter: () => new LongConverter(),
    schema: Schema.OPTIONAL_INT64_SCHEMA,
    cases: [
      [1, '0000000000000001'],
      [-1, 'ffffffffffffffff'],
      [9007199254740993n, '0020000000000001'],
      [-9223372036854775808n, '8000000000000000'],
      [2 ** 60, '1000000000000000', 1152921504606846976n],
    ],
  },
  {
    name: 'FloatConverter',
    converter: () => new FloatConverter(),
    schema: Schema.OPTIONAL_FLOAT32_SCHEMA,
    cases: [
      [1.5, '3fc00000'],
      [0.1, '3dcccccd', Math.fround(0.1)],
      [-0, '80000000'],
      [Number.NaN, '7fc00000'],
      [Number.NEGATIVE_INFINITY, 'ff800000'],
    ],
  },
  {
    name: 'DoubleConverter',
    converter: () => new DoubleConverter(),
    schema: Schema.OPTIONAL_FLOAT64_SCHEMA,
    cases: [
      [0.1, '3fb999999999999a'],
      [-0, '8000000000000000'],
      [Number.NaN, '7ff8000000000000'],
      [Number.MAX_VALUE, '7fefffffffffffff'],
    ],
  },
]

describe('number converters', () => {
  for (const { name, converter, schema, cases } of CASES) {
    test(`${name} writes Kafka's big-endian bytes and reads them back with an optional schema`, () => {
      const c = configured(converter())
      for (const [value, expected, readBack] of cases) {
        const bytes = c.fromConnectData('t', null, schema, value)
        assert.equal(hex(bytes), expected, `${name} ${String(value)}`)
        const sv = c.toConnectData('t', null, bytes)
        assert.equal(sv.schema, schema)
        assert.ok(Object.is(sv.value, readBack ?? value), `${name} read back ${String(sv.value)}`)
      }
    })

    test(`${name} turns null into a tombstone and back`, () => {
      const c = configured(converter())
      assert.equal(c.fromConnectData('t', null, schema, null), null)
      const sv = c.toConnectData('t', null, null)
      assert.equal(sv.schema, schema)
      assert.equal(sv.value, null)
    })
  }

  test('a value of the wrong type is a DataException naming the type', () => {
    assert.throws(
      () => configured(new IntegerConverter()).fromConnectData('t', null, null, 'x'),
      (e) => e instanceof DataException && e.message === 'Failed to serialize to integer (was string): ',
    )
    assert.throws(
      () => configured(new ShortConverter()).fromConnectData('t', null, null, 70000),
      (e) => e instanceof DataException && e.message === 'Failed to serialize to short (was number): ',
    )
    assert.throws(
      () => configured(new LongConverter()).fromConnectData('t', null, null, 2n ** 64n),
      (e) => e instanceof DataException && e.message === 'Failed to serialize to long (was bigint): ',
    )
  })

  test('bytes of the wrong size are a DataException caused by the deserializer', () => {
    assert.throws(
      () => configured(new LongConverter()).toConnectData('t', null, new Uint8Array(4)),
      (e) =>
        e instanceof DataException &&
        e.message === 'Failed to deserialize long: ' &&
        (e.cause as Error).message === 'Size of data received by LongDeserializer is not 8',
    )
    assert.throws(
      () => configured(new DoubleConverter()).toConnectData('t', null, new Uint8Array(3)),
      (e) =>
        e instanceof DataException && (e.cause as Error).message === 'Size of data received by Deserializer is not 8',
    )
  })

  test('the number converters ignore the schema, as Apache does', () => {
    assert.equal(
      hex(configured(new IntegerConverter()).fromConnectData('t', null, Schema.STRING_SCHEMA, 1)),
      '00000001',
    )
  })

  test('BooleanConverter writes one byte and reads it back', () => {
    const c = configured(new BooleanConverter())
    assert.equal(hex(c.fromConnectData('t', null, Schema.BOOLEAN_SCHEMA, true)), '01')
    assert.equal(hex(c.fromConnectData('t', null, null, false)), '00')
    assert.equal(c.fromConnectData('t', null, Schema.OPTIONAL_BOOLEAN_SCHEMA, null), null)
    const sv = c.toConnectData('t', null, new Uint8Array([1]))
    assert.equal(sv.schema, Schema.OPTIONAL_BOOLEAN_SCHEMA)
    assert.equal(sv.value, true)
    assert.equal(c.toConnectData('t', null, null).value, null)
  })

  test('BooleanConverter refuses other schemas, other values and other bytes', () => {
    const c = configured(new BooleanConverter())
    assert.throws(
      () => c.fromConnectData('t', null, Schema.INT8_SCHEMA, true),
      (e) => e instanceof DataException && e.message === 'Invalid schema type for BooleanConverter: INT8',
    )
    assert.throws(
      () => c.fromConnectData('t', null, null, 1),
      (e) =>
        e instanceof DataException && e.message === 'BooleanConverter is not compatible with objects of type number',
    )
    assert.throws(
      () => c.toConnectData('t', null, new Uint8Array([2])),
      (e) =>
        e instanceof DataException &&
        e.message === 'Failed to deserialize boolean: ' &&
        (e.cause as Error).message === 'Unexpected byte received by BooleanDeserializer: 2',
    )
    assert.throws(
      () => c.toConnectData('t', null, new Uint8Array(2)),
      (e) => (e as Error).cause instanceof Error && ((e as Error).cause as Error).message.includes('is not 1'),
    )
  })

  test('the converters work as header converters and refuse an invalid converter.type', () => {
    const c = new LongConverter()
    c.configure({})
    assert.equal(c.toConnectHeader('t', 'h', c.fromConnectHeader('t', 'h', null, 5)).value, 5)
    assert.throws(() => new LongConverter().configure({ 'converter.type': 'sideways' }), /converter\.type/)
  })
})
