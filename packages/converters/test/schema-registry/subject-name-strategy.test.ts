import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigException, DataException } from '@ferry/api'
import { subjectNameStrategy } from '../../src/schema-registry/subject-name-strategy.ts'

const KEY = 'value.subject.name.strategy'

test("Confluent's three strategies by class name or simple name give Confluent's subjects", () => {
  const topic = subjectNameStrategy(KEY, 'io.confluent.kafka.serializers.subject.TopicNameStrategy')
  assert.equal(topic('orders', false, 'ns.Order'), 'orders-value')
  assert.equal(topic('orders', true, null), 'orders-key')
  const record = subjectNameStrategy(KEY, 'io.confluent.kafka.serializers.subject.RecordNameStrategy')
  assert.equal(record('orders', false, 'ns.Order'), 'ns.Order')
  const topicRecord = subjectNameStrategy(KEY, 'TopicRecordNameStrategy')
  assert.equal(topicRecord('orders', true, 'ns.OrderKey'), 'orders-ns.OrderKey')
})

test('record strategies refuse a schema that is not a record, and other classes are refused naming the key', () => {
  const record = subjectNameStrategy(KEY, 'RecordNameStrategy')
  assert.throws(() => record('t', false, null), DataException)
  assert.throws(
    () => subjectNameStrategy(KEY, 'com.example.MyStrategy'),
    (e: unknown) =>
      e instanceof ConfigException && e.message.includes(KEY) && e.message.includes('com.example.MyStrategy'),
  )
})
