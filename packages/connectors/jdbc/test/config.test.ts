import assert from 'node:assert/strict'
import { test } from 'node:test'
import { JdbcSinkConnector, JdbcSourceConnector, plugins } from '../src/index.ts'
import { sinkSettings } from '../src/sink-config.ts'
import { chunkSizes } from '../src/sink-writer.ts'
import { sourceSettings } from '../src/source-config.ts'

const source = { 'connection.url': 'jdbc:postgresql://localhost/db', 'topic.prefix': 'p-', mode: 'bulk' }
const sink = { 'connection.url': 'jdbc:mysql://localhost/db', topics: 't' }

test('the plugins are registered under Confluent’s class names', () => {
  assert.deepEqual(
    plugins.map((p) => p.className),
    ['io.confluent.connect.jdbc.JdbcSourceConnector', 'io.confluent.connect.jdbc.JdbcSinkConnector'],
  )
  assert.ok(plugins[0].create() instanceof JdbcSourceConnector)
  assert.ok(plugins[1].create() instanceof JdbcSinkConnector)
})

test('source settings take Confluent’s defaults and keep the password out of sight', () => {
  const s = sourceSettings({ ...source, 'connection.password': 'pw' })
  assert.equal(s.pollIntervalMs, 5000)
  assert.equal(s.batchMaxRows, 1000)
  assert.equal(s.tablePollIntervalMs, 60000)
  assert.equal(s.connection.timeZone, 'UTC')
  assert.equal(s.connection.password, 'pw')
  assert.equal(s.numeric.numericMapping, 'none')
  assert.equal(
    sourceSettings({ ...source, 'numeric.precision.mapping': 'true' }).numeric.numericMapping,
    'precision_only',
  )
})

test('source configs that cannot work name the key at fault', () => {
  assert.throws(() => sourceSettings({ ...source, mode: '' }), /configuration mode: Must be one of/)
  assert.throws(() => sourceSettings({ ...source, mode: 'timestamp' }), /timestamp.column.name/)
  assert.throws(
    () => sourceSettings({ ...source, 'table.whitelist': 'a', 'table.blacklist': 'b' }),
    /table.whitelist and table.blacklist cannot both be set/,
  )
  assert.throws(() => sourceSettings({ ...source, 'table.exclude.list': 'x' }), /requires table.include.list/)
  assert.throws(() => sourceSettings({ ...source, 'db.timezone': 'Mars/Olympus' }), /db.timezone.*Invalid time zone/)
  assert.throws(
    () => sourceSettings({ ...source, mode: 'incrementing', query: 'SELECT * FROM t' }),
    /incrementing.column.name.*custom query/,
  )
  assert.throws(() => sourceSettings({ ...source, 'dialect.name': 'MySqlDatabaseDialect' }), /dialect.name/)
})

test('sink settings check that deletes and upserts have keys', () => {
  assert.equal(sinkSettings(sink).batchSize, 3000)
  assert.equal(sinkSettings(sink).tableNameFormat, '$' + '{topic}')
  assert.throws(() => sinkSettings({ ...sink, 'delete.enabled': 'true' }), /only supported for pk.mode record_key/)
  assert.throws(() => sinkSettings({ ...sink, 'insert.mode': 'upsert' }), /needs primary key columns/)
})

test('validate reports a cross-key problem on its key', async () => {
  const result = await new JdbcSinkConnector().validate({ ...sink, 'delete.enabled': 'true' })
  const deleteEnabled = result.configValues.find((v) => v.name === 'delete.enabled')
  assert.match(deleteEnabled?.errorMessages[0] ?? '', /record_key/)
})

test('statement sizes are full batches then powers of two, so few statements are prepared', () => {
  assert.deepEqual(chunkSizes(0, 100), [])
  assert.deepEqual(chunkSizes(250, 100), [100, 100, 32, 16, 2])
  assert.deepEqual(chunkSizes(7, 3000), [4, 2, 1])
})
