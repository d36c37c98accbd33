import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  type DeferredJson,
  deferredJsonSinkRecord,
  Headers,
  SinkRecord,
  untouchedJson,
  valueIsNull,
} from '../src/index.ts'

/** A deferred value that counts its parses. */
function deferred(text: string): DeferredJson & { parses: number } {
  return {
    text,
    parses: 0,
    parse() {
      this.parses++
      return new Map(Object.entries(JSON.parse(text)))
    },
  }
}

test('a sink record with a deferred JSON value parses it on the first read of value, once, and from then on has no untouched JSON', () => {
  const value = deferred('{"id":1,"name":"a"}')
  const record = deferredJsonSinkRecord('t', 0, null, 'k', value, 5, 1000, 'CreateTime', new Headers())
  assert.equal(untouchedJson(record), '{"id":1,"name":"a"}')
  assert.equal(valueIsNull(record), false)
  assert.equal(value.parses, 0, 'neither untouchedJson nor valueIsNull parses')
  const read = record.value
  assert.deepEqual(
    read,
    new Map<string, unknown>([
      ['id', 1],
      ['name', 'a'],
    ]),
  )
  assert.equal(record.value, read, 'the same value on every read')
  assert.equal(value.parses, 1)
  assert.equal(untouchedJson(record), undefined, 'the value may be changed once read')
  assert.ok(Object.keys(record).includes('value'), 'once read, value is an own property like any record’s')
  ;(read as Map<string, unknown>).set('name', 'b')
  assert.equal(untouchedJson(record), undefined)
})

test('a sink record with a deferred JSON value is a SinkRecord in every other way, and newRecord makes an ordinary record', () => {
  const record = deferredJsonSinkRecord('t', 2, null, 'k', deferred('[1,2]'), 7, 1000, 'CreateTime', new Headers())
  assert.ok(record instanceof SinkRecord)
  assert.deepEqual(
    [record.topic, record.kafkaPartition, record.key, record.valueSchema, record.kafkaOffset, record.timestamp],
    ['t', 2, 'k', null, 7, 1000],
  )
  assert.deepEqual([record.originalTopic, record.originalKafkaPartition, record.originalKafkaOffset], ['t', 2, 7])
  const copy = record.newRecord('u', 2, null, 'k', null, 'v', 1000)
  assert.equal(copy.value, 'v')
  assert.equal(untouchedJson(copy), undefined)
})

test('untouchedJson is undefined and valueIsNull reads the value for ordinary records', () => {
  const plain = new SinkRecord('t', 0, null, null, null, new Map([['a', 1]]), 1)
  assert.equal(untouchedJson(plain), undefined)
  assert.equal(valueIsNull(plain), false)
  assert.equal(valueIsNull(new SinkRecord('t', 0, null, null, null, null, 1)), true)
  assert.equal(valueIsNull(new SinkRecord('t', 0, null, null, null, undefined, 1)), true)
})
