import assert from 'node:assert/strict'
import { test } from 'node:test'
import { settings, splitStatements, unsupportedKey } from '../src/config.ts'
import { PostgresConnector, plugins } from '../src/index.ts'

const base = {
  'database.hostname': 'db',
  'database.user': 'u',
  'database.dbname': 'inventory',
  'topic.prefix': 'dbserver1',
}

test("the connector and ExtractNewRecordState are registered under Debezium's class names", () => {
  assert.deepEqual(
    plugins.map((p) => p.className),
    ['io.debezium.connector.postgresql.PostgresConnector', 'io.debezium.transforms.ExtractNewRecordState'],
  )
  assert.ok(plugins[0].aliases?.includes('PostgresCdcSource'))
  assert.ok(plugins[0].create() instanceof PostgresConnector)
})

test("settings take Debezium's defaults", () => {
  const s = settings(base)
  assert.equal(s.slotName, 'debezium')
  assert.equal(s.publicationName, 'dbz_publication')
  assert.equal(s.autocreateMode, 'all_tables')
  assert.equal(s.snapshotMode, 'initial')
  assert.equal(s.maxBatchSize, 2048)
  assert.equal(s.maxQueueSize, 8192)
  assert.equal(s.maxQueueSizeInBytes, 0)
  assert.equal(s.pollIntervalMs, 500)
  assert.equal(s.tombstonesOnDelete, true)
  assert.deepEqual([...s.skippedOperations], ['t'])
  assert.equal(s.heartbeatTopic, '__debezium-heartbeat.dbserver1')
  assert.equal(s.connection.port, 5432)
  assert.deepEqual(s.types, {
    decimalHandlingMode: 'precise',
    timePrecisionMode: 'adaptive',
    intervalHandlingMode: 'numeric',
    binaryHandlingMode: 'bytes',
    moneyFractionDigits: 2,
  })
  assert.equal(settings({ ...base, 'snapshot.mode': 'never' }).snapshotMode, 'no_data')
  assert.deepEqual([...settings({ ...base, 'skipped.operations': 'none' }).skippedOperations], [])
})

test('a Debezium key Ferry does not implement is refused naming it; Connect keys are left to the worker', () => {
  for (const key of [
    'provide.transaction.metadata',
    'signal.data.collection',
    'database.server.name',
    'topic.naming.strategy',
    'message.key.columns',
    'converters',
  ]) {
    assert.equal(unsupportedKey({ ...base, [key]: 'x' }), key)
    assert.throws(
      () => settings({ ...base, [key]: 'x' }),
      new RegExp(`configuration ${key.replace(/\./g, '\\.')}: Ferry's PostgreSQL connector does not support`),
    )
  }
  assert.equal(
    unsupportedKey({
      ...base,
      name: 'c',
      'connector.class': 'PostgresConnector',
      'tasks.max': '1',
      transforms: 'unwrap',
      'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
      'errors.tolerance': 'all',
      'topic.creation.default.partitions': '1',
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    }),
    null,
  )
})

test('values Ferry cannot honour and configs that cannot work name the key at fault', () => {
  assert.throws(() => settings({ ...base, 'plugin.name': 'decoderbufs' }), /configuration plugin\.name/)
  assert.throws(() => settings({ ...base, 'snapshot.mode': 'custom' }), /configuration snapshot\.mode/)
  assert.throws(() => settings({ ...base, 'topic.prefix': '' }), /configuration topic\.prefix/)
  assert.throws(() => settings({ ...base, 'topic.prefix': 'a b' }), /configuration topic\.prefix/)
  assert.throws(() => settings({ ...base, 'max.queue.size': '100', 'max.batch.size': '100' }), /max\.queue\.size/)
  assert.throws(
    () => settings({ ...base, 'max.queue.size.in.bytes': '-1' }),
    /configuration max\.queue\.size\.in\.bytes/,
  )
  assert.throws(
    () => settings({ ...base, 'max.queue.size.in.bytes': 'lots' }),
    /configuration max\.queue\.size\.in\.bytes/,
  )
  assert.throws(
    () => settings({ ...base, 'table.include.list': 'a', 'table.exclude.list': 'b' }),
    /configuration table\.exclude\.list/,
  )
  assert.throws(() => settings({ ...base, 'skipped.operations': 'x' }), /configuration skipped\.operations/)
  assert.throws(() => settings({ ...base, 'table.include.list': '(' }), /configuration table\.include\.list/)
})

test('max.queue.size.in.bytes is honoured, not refused: a long of at least 0', () => {
  assert.equal(unsupportedKey({ ...base, 'max.queue.size.in.bytes': '1048576' }), null)
  assert.equal(settings({ ...base, 'max.queue.size.in.bytes': '1048576' }).maxQueueSizeInBytes, 1048576)
  assert.equal(settings({ ...base, 'max.queue.size.in.bytes': '8589934592' }).maxQueueSizeInBytes, 8589934592)
})

test('validate reports a refused key on that key', async () => {
  const config = await new PostgresConnector().validate({ ...base, 'provide.transaction.metadata': 'true' })
  const entry = config.configValues.find((v) => v.name === 'provide.transaction.metadata')
  assert.match(entry?.errorMessages[0] ?? '', /does not support/)
})

test("database.initial.statements splits on ';' with ';;' standing for a semicolon", () => {
  assert.deepEqual(splitStatements("SET a = 1; SELECT ';;' ;"), ['SET a = 1', "SELECT ';'"])
  assert.deepEqual(splitStatements(null), [])
})
