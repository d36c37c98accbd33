import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { Schema, SchemaBuilder, SinkRecord, type SourceRecord, Struct } from '@ferry/api'
import { MemoryOffsetBackingStore, parseWorkerConfig, StandaloneHerder, silentLogger, Worker } from '@ferry/runtime'
import { builtinRegistry, freePort, randomName, tempDir, waitFor } from '@ferry/testing'
import { testBootstrap } from '../../../../scripts/kafka/test-env.ts'
import { JdbcSinkTask, JdbcSourceTask } from '../src/index.ts'
import { DATABASES, produceRaw, testDb } from './helpers.ts'

async function herder(t: { after(fn: () => unknown): void }, dir: string): Promise<StandaloneHerder> {
  const config = parseWorkerConfig(
    {
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'offset.storage.file.filename': join(dir, 'offsets'),
    },
    'standalone',
  )
  const worker = new Worker(config, await builtinRegistry(), new MemoryOffsetBackingStore(), silentLogger())
  const h = new StandaloneHerder(worker, 'test:8083', silentLogger())
  await h.start()
  t.after(() => h.stop())
  return h
}

test('a schemaless record fails the sink task with an error naming the record and the converter setting to fix', async (t) => {
  const database = DATABASES[0]!
  const dir = await tempDir(t)
  const h = await herder(t, dir)
  const topic = randomName('schemaless')
  await produceRaw(topic, ['{"id": 1, "name": "ada"}'])
  const name = randomName('sink')
  await h.putConnectorConfig(
    name,
    {
      'connector.class': 'JdbcSinkConnector',
      'connection.url': database.url,
      'connection.user': database.user,
      topics: topic,
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
      'auto.create': 'true',
    },
    false,
  )
  const status = await waitFor('the task to fail', () => {
    const s = h.connectorStatus(name)
    return s.tasks[0]?.state === 'FAILED' ? s : undefined
  })
  const trace = status.tasks[0]?.trace ?? ''
  assert.match(trace, new RegExp(`found record at \\(topic='${topic}',partition=0,offset=0,`))
  assert.match(trace, /with a Map value and null value schema/)
  assert.match(trace, /value.converter.schemas.enable=true/)
})

for (const [label, url, user, password, reason] of [
  [
    'MariaDB refuses a wrong password',
    DATABASES[1]!.url,
    'root',
    'not-the-password-93f1',
    /Access denied for user 'root'/,
  ],
  [
    'PostgreSQL refuses an unknown user',
    DATABASES[0]!.url,
    'no_such_user_7c2',
    'not-the-password-93f1',
    /role "no_such_user_7c2" does not exist/,
  ],
  [
    'an unreachable database',
    'jdbc:postgresql://127.0.0.1:PORT/test',
    'postgres',
    'not-the-password-93f1',
    /ECONNREFUSED/,
  ],
] as const) {
  test(`${label}: the connector is FAILED with the driver's reason and never the password`, async (t) => {
    const dir = await tempDir(t)
    const h = await herder(t, dir)
    const port = await freePort()
    for (const connectorClass of ['JdbcSourceConnector', 'JdbcSinkConnector']) {
      const name = randomName('creds')
      await h.putConnectorConfig(
        name,
        {
          'connector.class': connectorClass,
          'connection.url': `${url.replace('PORT', String(port))}?password=not-the-password-93f1`,
          'connection.user': user,
          'connection.password': password,
          'connection.attempts': '1',
          topics: 'x',
          'topic.prefix': 'x-',
          mode: 'bulk',
        },
        false,
      )
      const status = await waitFor('the connector to fail', () => {
        const s = h.connectorStatus(name)
        return s.connector.state === 'FAILED' ? s : undefined
      })
      const trace = status.connector.trace ?? ''
      assert.match(trace, reason)
      assert.match(trace, /Could not connect to jdbc:.*password=\*\*\*\*/)
      assert.doesNotMatch(trace, /not-the-password-93f1/)
    }
  })
}

for (const database of DATABASES) {
  test(`${database.name}: table and column names shaped like SQL injection are quoted, never executed`, async (t) => {
    const { db, table } = await testDb(t, database)
    const victim = table('victim')
    await db.execute(`CREATE TABLE ${database.q(victim)} (id INT)`)
    const evil = `evil"\`'; DROP TABLE ${victim}; --`
    // The name is parsed as Confluent parses table.name.format: the dialect's quote character groups, the rest stays.
    const created = db.parseTableName(evil)
    assert.match(created.table, /'; DROP TABLE/)
    t.after(() => db.execute(`DROP TABLE IF EXISTS ${db.quoteTable(created)}`).catch(() => {}))
    const column = `x"\`); DROP TABLE ${victim}; --`
    const schema = SchemaBuilder.struct()
      .field('id', Schema.INT32_SCHEMA)
      .field(column, Schema.OPTIONAL_STRING_SCHEMA)
      .build()
    const common = { 'connection.url': database.url, 'connection.user': database.user }

    const sink = new JdbcSinkTask()
    sink.initialize({ timeout: () => {} } as never)
    t.after(() => sink.stop())
    await sink.start({ ...common, name: 'evil', 'auto.create': 'true', 'table.name.format': evil })
    await sink.put([
      new SinkRecord('topic', 0, null, null, schema, new Struct(schema).put('id', 1).put(column, "'; --"), 0),
    ])

    const source = new JdbcSourceTask()
    const id =
      database.name === 'PostgreSQL'
        ? { catalog: null, schema: 'public', table: created.table }
        : { catalog: 'test', schema: null, table: created.table }
    const props = {
      ...common,
      mode: 'incrementing',
      'incrementing.column.name': 'id',
      'topic.prefix': 'p-',
      'ferry.tables': JSON.stringify([id]),
    }
    source.initialize({
      configs: () => props,
      offsetStorageReader: () => ({ offset: () => null, offsets: () => new Map() }),
    })
    t.after(() => source.stop())
    await source.start(props)
    let records: SourceRecord[] = []
    for (let i = 0; i < 5 && records.length === 0; i++) records = (await source.poll()) ?? []
    assert.equal(records.length, 1)
    assert.equal((records[0]!.value as Struct).get(column), "'; --")
    assert.ok(await db.describeTable({ ...id, table: victim }), 'the victim table still exists')
  })
}
