import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DataException, Schema } from '@ferry/api'
import { ByteArrayConverter } from '../../src/byte-array/byte-array-converter.ts'

describe('ByteArrayConverter', () => {
  test('bytes pass through unchanged and read as an optional BYTES', () => {
    const c = new ByteArrayConverter()
    c.configure({}, false)
    const bytes = new Uint8Array([0, 1, 255])
    assert.equal(c.fromConnectData('t', null, Schema.BYTES_SCHEMA, bytes), bytes)
    const sv = c.toConnectData('t', null, bytes)
    assert.equal(sv.schema, Schema.OPTIONAL_BYTES_SCHEMA)
    assert.equal(sv.value, bytes)
  })

  test('a Buffer and an ArrayBuffer are accepted without a schema', () => {
    const c = new ByteArrayConverter()
    const buffer = Buffer.from('abc')
    assert.equal(c.fromConnectData('t', null, null, buffer), buffer)
    assert.deepEqual([...c.fromConnectData('t', null, null, new Uint8Array([7, 8]).buffer)!], [7, 8])
  })

  test('null is a tombstone both ways', () => {
    const c = new ByteArrayConverter()
    assert.equal(c.fromConnectData('t', null, Schema.OPTIONAL_BYTES_SCHEMA, null), null)
    assert.equal(c.toConnectData('t', null, null).value, null)
  })

  test('a schema of another type is a DataException naming the type', () => {
    assert.throws(
      () => new ByteArrayConverter().fromConnectData('t', null, Schema.STRING_SCHEMA, 'x'),
      (e) => e instanceof DataException && e.message === 'Invalid schema type for ByteArrayConverter: STRING',
    )
  })

  test('a value that is not bytes is a DataException naming its type', () => {
    assert.throws(
      () => new ByteArrayConverter().fromConnectData('t', null, null, 'x'),
      (e) =>
        e instanceof DataException && e.message === 'ByteArrayConverter is not compatible with objects of type string',
    )
  })

  test('header conversion is data conversion', () => {
    const c = new ByteArrayConverter()
    c.configure({})
    const bytes = new Uint8Array([1])
    assert.equal(c.fromConnectHeader('t', 'h', null, bytes), bytes)
    assert.equal(c.toConnectHeader('t', 'h', bytes).value, bytes)
  })

  test('config() holds converter.type only', () => {
    assert.deepEqual([...new ByteArrayConverter().config().names()], ['converter.type'])
  })
})
