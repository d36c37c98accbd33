import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  DataException,
  javaDoubleToString,
  javaFloatToString,
  Schema,
  SchemaAndValue,
  SchemaBuilder,
  Struct,
} from '@ferry/api'
import { JsonConverter } from '../../src/json/json-converter.ts'
import {
  assertJavaError,
  assertSchema,
  assertValue,
  buildSchema,
  buildValue,
  loadVectors,
  type ReadResult,
  type WriteVector,
} from './vectors.ts'

const vectors = loadVectors()

function converter(config: Record<string, unknown> = {}, isKey = false): JsonConverter {
  const c = new JsonConverter()
  c.configure(config, isKey)
  return c
}

function utf8(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : Buffer.from(bytes).toString('utf8')
}

/**
 * Vectors where Ferry cannot produce Apache's bytes, with what it produces instead. JS has one number type, so the
 * Java class of a schemaless or mistyped value (Integer vs Long, Float vs Double) is not available.
 */
const WRITE_DIFFERENCES: Record<string, { reason: string; utf8: string }> = {
  'int64 schema with int32 value is an error': {
    reason: 'a JS number is a valid INT64 value; Java rejects an Integer',
    utf8: '{"schema":{"type":"int64","optional":false},"payload":1}',
  },
  'schemaless double': {
    reason: 'a schemaless JS number with an integral value is written as an integer',
    utf8: '{"schema":null,"payload":1}',
  },
  'schemaless map without envelope': {
    reason: 'a schemaless JS number is a double: Math.fround(0.1) prints with double precision',
    utf8: '{"a":0.10000000149011612}',
  },
}

/** Read vectors where Ferry deliberately differs, with the error it raises instead. */
const READ_DIFFERENCES: Record<string, { reason: string; error: RegExp }> = {
  'envelope timestamp 9223372036854775807': {
    reason: 'a JS Date holds ±8.64e15 ms; Java Dates hold any long',
    error: /outside the range of a JavaScript Date/,
  },
  'envelope timestamp payload 9007199254740993': {
    reason: 'a JS Date holds ±8.64e15 ms; Java Dates hold any long',
    error: /outside the range of a JavaScript Date/,
  },
}

/** Configures a converter and reads `bytes` (a configuration error counts as the read's error, as in Apache). */
function assertRead(
  config: Record<string, unknown> | undefined,
  isKey: boolean | undefined,
  bytes: Uint8Array | null,
  expected: ReadResult,
): void {
  const read = () => converter(config, isKey).toConnectData('topic', null, bytes)
  if (expected.error !== undefined) {
    assert.throws(read, (e) => assertJavaError(e, expected.error!))
    return
  }
  const sv = read()
  assertSchema(sv.schema, expected.schema)
  assertValue(sv.value, expected.value ?? null)
}

function writeTest(v: WriteVector): void {
  const c = converter(v.config, v.isKey)
  const schema = buildSchema(v.schema)
  const value = buildValue(schema, v.value)
  const difference = WRITE_DIFFERENCES[v.name]
  if (difference !== undefined) {
    assert.equal(utf8(c.fromConnectData('topic', null, schema, value)), difference.utf8, difference.reason)
  } else if (v.error !== undefined) {
    assert.throws(
      () => c.fromConnectData('topic', null, schema, value),
      (e) => assertJavaError(e, v.error!),
    )
  } else {
    const bytes = c.fromConnectData('topic', null, schema, value)
    if (v.bytes == null) assert.equal(bytes, null)
    else
      assert.equal(
        Buffer.from(bytes!).toString('base64'),
        v.bytes.base64,
        `expected ${v.bytes.utf8}, got ${utf8(bytes)}`,
      )
  }
  // Reading Apache's bytes gives what Apache read back.
  if (v.readBack !== undefined) {
    const apacheBytes = v.bytes == null ? null : new Uint8Array(Buffer.from(v.bytes.base64, 'base64'))
    assertRead(v.config, v.isKey, apacheBytes, v.readBack)
  }
}

describe('JsonConverter checked against Apache Kafka 4.4.0', () => {
  test('the vectors were produced by Apache on a JDK whose Double.toString prints shortest digits', () => {
    assert.match(vectors._generated, /GENERATED FILE/)
    assert.equal(vectors.kafkaVersion, '4.4.0')
    assert.ok(Number.parseInt(vectors.javaVersion, 10) >= 19)
  })

  describe('fromConnectData writes the bytes Apache writes and reading them back gives what Apache gives', () => {
    for (const v of vectors.write) test(v.name, () => writeTest(v))
  })

  describe('toConnectData reads what Apache reads', () => {
    for (const v of vectors.read) {
      test(v.name, () => {
        const bytes =
          v.json !== undefined
            ? new Uint8Array(Buffer.from(v.json, 'utf8'))
            : v.base64 == null
              ? null
              : Buffer.from(v.base64, 'base64')
        const difference = READ_DIFFERENCES[v.name]
        if (difference !== undefined) {
          assert.throws(
            () => converter(v.config).toConnectData('topic', null, bytes),
            difference.error,
            difference.reason,
          )
          return
        }
        assertRead(v.config, false, bytes, v.result)
      })
    }
  })

  test('doubles are printed as Java and Jackson print them', () => {
    const view = new DataView(new ArrayBuffer(8))
    for (const [hex, expected] of vectors.doubles) {
      view.setBigUint64(0, BigInt(`0x${hex}`))
      const d = view.getFloat64(0)
      const actual = Number.isFinite(d) ? javaDoubleToString(d) : `"${d}"`
      assert.equal(actual, expected, `double 0x${hex}`)
    }
  })

  test('floats are printed as Java and Jackson print them', () => {
    const view = new DataView(new ArrayBuffer(4))
    for (const [hex, expected] of vectors.floats) {
      view.setUint32(0, Number.parseInt(hex, 16))
      const f = view.getFloat32(0)
      const actual = Number.isFinite(f) ? javaFloatToString(f) : `"${f}"`
      assert.equal(actual, expected, `float 0x${hex}`)
    }
  })
})

describe('JsonConverter', () => {
  test('writing the same schema object twice reuses the cached envelope schema', () => {
    const c = converter()
    const schema = SchemaBuilder.struct().field('a', Schema.INT32_SCHEMA).build()
    const first = utf8(c.fromConnectData('t', null, schema, new Struct(schema).put('a', 1)))
    const second = utf8(c.fromConnectData('t', null, schema, new Struct(schema).put('a', 2)))
    assert.equal(
      first,
      '{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"}],"optional":false},"payload":{"a":1}}',
    )
    assert.equal(second, first.replace('"a":1}}', '"a":2}}'))
  })

  test('reading repeated envelopes returns the same schema object', () => {
    const c = converter()
    const bytes = Buffer.from('{"schema":{"type":"string","optional":true},"payload":"x"}')
    const a = c.toConnectData('t', null, bytes)
    const b = c.toConnectData('t', null, bytes)
    assert.equal(a.schema, b.schema)
    assert.equal(b.value, 'x')
  })

  test('an envelope with its payload first reads like a compact one', () => {
    const c = converter()
    const sv = c.toConnectData(
      't',
      null,
      Buffer.from(' { "payload" : 9007199254740993 , "schema" : {"type":"int64"} } '),
    )
    assert.equal(sv.value, 9007199254740993n)
    assert.equal(sv.schema?.type, 'INT64')
  })

  test('int64 values beyond 2^53 keep every digit in both directions', () => {
    const c = converter({ 'schemas.enable': false })
    const bytes = c.fromConnectData('t', null, Schema.INT64_SCHEMA, -9223372036854775807n)
    assert.equal(utf8(bytes), '-9223372036854775807')
    assert.equal(c.toConnectData('t', null, bytes).value, -9223372036854775807n)
    assert.equal(utf8(c.fromConnectData('t', null, Schema.INT64_SCHEMA, 2 ** 60)), '1152921504606846976')
  })

  test('schemaless numbers are written as a Java Long or Double, at the edges of plain notation too', () => {
    const c = converter({ 'schemas.enable': false })
    const cases: [number, string][] = [
      [0, '0'],
      [-0, '0'],
      [1, '1'],
      [2 ** 53, '9007199254740992'],
      [-(2 ** 63), '-9223372036854775808'],
      [2 ** 63, '9.223372036854776E18'],
      [1e300, '1.0E300'],
      [0.001, '0.001'],
      [-0.001, '-0.001'],
      [0.0009999999999999998, '9.999999999999998E-4'],
      [1e-7, '1.0E-7'],
      [9999999.5, '9999999.5'],
      [-9999999.999999998, '-9999999.999999998'],
      [10000000.5, '1.00000005E7'],
      [0.1 + 0.2, '0.30000000000000004'],
      [5e-324, '4.9E-324'],
      [Number.NaN, '"NaN"'],
      [Number.NEGATIVE_INFINITY, '"-Infinity"'],
    ]
    for (const [value, expected] of cases) {
      assert.equal(utf8(c.fromConnectData('t', null, null, value)), expected, `${value}`)
      assert.equal(utf8(c.fromConnectData('t', null, null, [value])), `[${expected}]`, `[${value}]`)
    }
  })

  test('schemaless maps are objects when every key is a string, else arrays of [key,value] tuples', () => {
    const c = converter({ 'schemas.enable': false })
    const write = (value: unknown) => utf8(c.fromConnectData('t', null, null, value))
    assert.equal(write(new Map()), '{}')
    assert.equal(write({}), '{}')
    assert.equal(write([]), '[]')
    assert.equal(
      write(
        new Map<unknown, unknown>([
          ['a', 1],
          ['b\n', [true, null, 'x']],
        ]),
      ),
      '{"a":1,"b\\n":[true,null,"x"]}',
    )
    assert.equal(
      write(
        new Map<unknown, unknown>([
          ['a', 1],
          [2, 0.5],
          [null, 'z'],
        ]),
      ),
      '[["a",1],[2,0.5],[null,"z"]]',
    )
    assert.equal(write({ a: new Map([[1, 2]]), b: 9007199254740993n }), '{"a":[[1,2]],"b":9007199254740993}')
    assert.throws(
      () =>
        write(
          new Map<unknown, unknown>([
            ['a', Symbol('s')],
            [1, 2],
          ]),
        ),
      (e) => e instanceof DataException && /does not have corresponding schema type/.test(e.message),
    )
  })

  test('schemaless object keys are written the same however many and however long they are', () => {
    const c = converter({ 'schemas.enable': false })
    const keys = ['a"b', 'tab\t', '😀', 'k'.repeat(65), 'k'.repeat(64)]
    for (let i = 0; i < 5000; i++) keys.push(`key${i}`)
    // Jackson escapes both halves of a surrogate pair; JSON.stringify writes the pair as is.
    const expected = `{${keys.map((k) => `${k === '😀' ? '"\\uD83D\\uDE00"' : JSON.stringify(k)}:1`).join(',')}}`
    for (let round = 0; round < 2; round++) {
      assert.equal(utf8(c.fromConnectData('t', null, null, new Map(keys.map((k) => [k, 1])))), expected)
      assert.equal(utf8(c.fromConnectData('t', null, null, Object.fromEntries(keys.map((k) => [k, 1])))), expected)
    }
    assert.equal(utf8(c.fromConnectData('t', null, null, new Map([['\ud83d', 1]]))), '{"\\uD83D":1}')
  })

  test('fromConnectDataText is the text of the bytes fromConnectData writes, with and without the envelope', () => {
    const schema = SchemaBuilder.struct().field('a', Schema.INT32_SCHEMA).field('b', Schema.STRING_SCHEMA).build()
    const values: [Schema | null, unknown][] = [
      [schema, new Struct(schema).put('a', 1).put('b', '😀 \ud800')],
      [null, new Map([['x', [1.5, null]]])],
      [Schema.OPTIONAL_STRING_SCHEMA, null],
      [null, null],
    ]
    for (const enabled of [true, false]) {
      const c = converter({ 'schemas.enable': enabled })
      for (const [s, v] of values) assert.equal(c.fromConnectDataText(s, v), utf8(c.fromConnectData('t', null, s, v)))
    }
    assert.throws(() => converter().fromConnectDataText(Schema.INT32_SCHEMA, 'x'), DataException)
  })

  test('a value of the wrong type is a DataException naming the schema type and the JS type', () => {
    const c = converter()
    assert.throws(
      () => c.fromConnectData('t', null, Schema.INT32_SCHEMA, 'x'),
      (e) => e instanceof DataException && e.message === 'Invalid type for INT32: string',
    )
    assert.throws(
      () => c.fromConnectData('t', null, Schema.INT8_SCHEMA, 300),
      (e) => e instanceof DataException && e.message === 'Invalid type for INT8: number',
    )
  })

  test('a tombstone is null bytes, and null bytes read as SchemaAndValue.NULL', () => {
    const c = converter()
    assert.equal(c.fromConnectData('t', null, null, null), null)
    assert.equal(c.toConnectData('t', null, null), SchemaAndValue.NULL)
  })

  test('header conversion is data conversion', () => {
    const c = new JsonConverter()
    c.configure({})
    assert.equal(c.type, 'header')
    const bytes = c.fromConnectHeader('t', 'h', Schema.STRING_SCHEMA, 'v')
    assert.equal(utf8(bytes), '{"schema":{"type":"string","optional":false},"payload":"v"}')
    assert.equal(c.toConnectHeader('t', 'h', bytes).value, 'v')
  })

  test('config() holds the keys of Apache JsonConverterConfig', () => {
    const def = new JsonConverter().config()
    assert.deepEqual(
      [...def.names()],
      [
        'converter.type',
        'schemas.enable',
        'schemas.cache.size',
        'schema.content',
        'decimal.format',
        'replace.null.with.default',
      ],
    )
    const keys = def.configKeys()
    assert.equal(keys.get('schemas.cache.size')?.defaultValue, 1000)
    assert.equal(keys.get('decimal.format')?.defaultValue, 'BASE64')
  })

  test('an invalid decimal.format is a ConfigException', () => {
    assert.throws(() => converter({ 'decimal.format': 'HEX' }), /decimal\.format/)
  })
})

describe('JsonConverter schemas', () => {
  test('asConnectSchema reads what asJsonSchema writes', () => {
    const c = converter()
    const schema = SchemaBuilder.struct()
      .name('n')
      .version(2)
      .doc('d')
      .field('a', SchemaBuilder.int32().optional().defaultValue(5).build())
      .field('m', SchemaBuilder.map(Schema.INT64_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA).build())
      .build()
    const json = c.asJsonSchema(schema)
    assert.equal(
      json,
      '{"type":"struct","fields":[{"type":"int32","optional":true,"default":5,"field":"a"},{"type":"map","keys":{"type":"int64","optional":false},"values":{"type":"string","optional":true},"optional":false,"field":"m"}],"optional":false,"name":"n","version":2,"doc":"d"}',
    )
    const back = c.asConnectSchema(json)!
    assert.equal(c.asJsonSchema(back), json)
    assert.equal(c.asConnectSchema(JSON.parse(json)) !== null, true)
    assert.equal(c.asConnectSchema('null'), null)
    assert.throws(() => c.asConnectSchema('{"type":"nope"}'), /Unknown schema type: nope/)
  })
})
