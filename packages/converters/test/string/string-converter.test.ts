import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { BigDecimal, ConfigException, Schema, SchemaBuilder, Struct } from '@ferry/api'
import { StringConverter } from '../../src/string/string-converter.ts'

function converter(config: Record<string, unknown> = {}, isKey = false): StringConverter {
  const c = new StringConverter()
  c.configure(config, isKey)
  return c
}

function hex(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : Buffer.from(bytes).toString('hex')
}

describe('StringConverter', () => {
  test('a string round-trips through UTF-8 and reads as an optional STRING', () => {
    const c = converter()
    const bytes = c.fromConnectData('t', null, Schema.STRING_SCHEMA, 'héllo 😀')
    assert.equal(Buffer.from(bytes!).toString('utf8'), 'héllo 😀')
    const sv = c.toConnectData('t', null, bytes)
    assert.equal(sv.schema, Schema.OPTIONAL_STRING_SCHEMA)
    assert.equal(sv.value, 'héllo 😀')
  })

  test('null is a tombstone both ways', () => {
    const c = converter()
    assert.equal(c.fromConnectData('t', null, Schema.OPTIONAL_STRING_SCHEMA, null), null)
    const sv = c.toConnectData('t', null, null)
    assert.equal(sv.schema, Schema.OPTIONAL_STRING_SCHEMA)
    assert.equal(sv.value, null)
  })

  test('other values are written with Java toString, whatever the schema', () => {
    const c = converter()
    const text = (schema: Schema | null, value: unknown) =>
      Buffer.from(c.fromConnectData('t', null, schema, value)!).toString()
    assert.equal(text(Schema.INT32_SCHEMA, 42), '42')
    assert.equal(text(Schema.FLOAT64_SCHEMA, 1), '1.0')
    assert.equal(text(Schema.FLOAT32_SCHEMA, 0.1), '0.1')
    assert.equal(text(Schema.FLOAT64_SCHEMA, 1e21), '1.0E21')
    assert.equal(text(null, 9007199254740993n), '9007199254740993')
    assert.equal(text(null, true), 'true')
    assert.equal(text(null, new BigDecimal(12345n, 2)), '123.45')
    assert.equal(text(null, [1, 'a']), '[1, a]')
    assert.equal(text(null, new Map([['k', 1]])), '{k=1}')
    assert.equal(text(null, new Date(1700000000123)), 'Tue Nov 14 22:13:20 UTC 2023')
    const schema = SchemaBuilder.struct().field('a', Schema.INT32_SCHEMA).build()
    assert.equal(text(schema, new Struct(schema).put('a', 1)), 'Struct{a=1}')
  })

  test('converter.encoding selects the charset for both directions', () => {
    const c = converter({ 'converter.encoding': 'UTF-16' })
    const bytes = c.fromConnectData('t', null, null, 'hi')
    assert.equal(hex(bytes), 'feff00680069')
    assert.equal(c.toConnectData('t', null, bytes).value, 'hi')
    assert.equal(hex(converter({ 'converter.encoding': 'latin1' }).fromConnectData('t', null, null, 'é€')), 'e93f')
  })

  test('the direction-specific serializer encodings override converter.encoding, as in Kafka', () => {
    const key = converter({ 'converter.encoding': 'UTF-16', 'key.serializer.encoding': 'ISO-8859-1' }, true)
    assert.equal(hex(key.fromConnectData('t', null, null, 'é')), 'e9')
    assert.equal(key.toConnectData('t', null, Buffer.from('feff00e9', 'hex')).value, 'é')
  })

  test('an unpaired surrogate is written as a question mark, as Java does', () => {
    assert.equal(hex(converter().fromConnectData('t', null, null, 'a\ud800b')), '613f62')
  })

  test('an unknown encoding is refused when configured', () => {
    assert.throws(
      () => converter({ 'converter.encoding': 'EBCDIC-XYZ' }),
      (e) => {
        return e instanceof ConfigException && e.message === 'Unsupported encoding EBCDIC-XYZ'
      },
    )
  })

  test('header conversion is data conversion', () => {
    const c = new StringConverter()
    c.configure({})
    const bytes = c.fromConnectHeader('t', 'h', null, 'v')
    assert.equal(c.toConnectHeader('t', 'h', bytes).value, 'v')
  })

  test('config() holds converter.type and converter.encoding', () => {
    const def = new StringConverter().config()
    assert.deepEqual([...def.names()], ['converter.type', 'converter.encoding'])
    assert.equal(def.configKeys().get('converter.encoding')?.defaultValue, 'UTF-8')
  })
})
