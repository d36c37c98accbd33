import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigException } from '@ferry/api'
import { CONFIG_DEF, sinkSettings } from '../src/config.ts'
import { ElasticsearchSinkConnector } from '../src/sink-connector.ts'

const base = { 'connection.url': 'http://localhost:9200', topics: 't' }

test("the defaults are Confluent's", () => {
  const s = sinkSettings(base)
  assert.equal(s.batchSize, 2000)
  assert.equal(s.bulkSizeBytes, 5 * 1024 * 1024)
  assert.equal(s.maxInFlightRequests, 5)
  assert.equal(s.maxBufferedRecords, 20000)
  assert.equal(s.lingerMs, 1)
  assert.equal(s.flushTimeoutMs, 180000)
  assert.equal(s.maxRetries, 5)
  assert.equal(s.retryBackoffMs, 100)
  assert.equal(s.connectionTimeoutMs, 1000)
  assert.equal(s.readTimeoutMs, 3000)
  assert.equal(s.behaviorOnNullValues, 'FAIL')
  assert.equal(s.behaviorOnMalformedDoc, 'FAIL')
  assert.equal(s.writeMethod, 'INSERT')
  assert.equal(s.compactMapEntries, true)
  assert.equal(s.isDataStream, false)
  assert.deepEqual(s.connectionUrls, ['http://localhost:9200'])
})

test('enum keys are case insensitive and URLs without a scheme are http', () => {
  const s = sinkSettings({
    ...base,
    'connection.url': 'es1:9200/,https://es2:9200',
    'behavior.on.null.values': 'delete',
    'write.method': 'Upsert',
  })
  assert.equal(s.behaviorOnNullValues, 'DELETE')
  assert.equal(s.writeMethod, 'UPSERT')
  assert.deepEqual(s.connectionUrls, ['http://es1:9200', 'https://es2:9200'])
})

test('a bad value is refused naming the key and what is valid', () => {
  assert.throws(
    () => sinkSettings({ ...base, 'behavior.on.null.values': 'drop' }),
    /Invalid value drop for configuration behavior.on.null.values: String must be one of \(case insensitive\): IGNORE, DELETE, FAIL/,
  )
  assert.throws(() => sinkSettings({ ...base, 'batch.size': '0' }), /batch.size: Value must be at least 1/)
  assert.throws(() => sinkSettings({ topics: 't' }), /connection.url/)
})

test("Confluent's combination checks: buffer size, linger, credentials, data streams, ignore lists", () => {
  assert.throws(
    () => sinkSettings({ ...base, 'max.buffered.records': '100', 'batch.size': '50', 'max.in.flight.requests': '3' }),
    /'max.buffered.records' \(100\) must be larger than or equal to 'batch.size' \(50\) x max.in.flight.requests \(3\)/,
  )
  assert.throws(() => sinkSettings({ ...base, 'linger.ms': '5000', 'flush.timeout.ms': '1000' }), /can not be larger/)
  assert.throws(
    () => sinkSettings({ ...base, 'connection.username': 'u' }),
    /Both 'connection.username' and 'connection.password' must be set/,
  )
  assert.throws(() => sinkSettings({ ...base, 'data.stream.type': 'logs' }), /Either both or neither/)
  assert.throws(
    () => sinkSettings({ ...base, 'data.stream.type': 'logs', 'data.stream.dataset': 'x', 'write.method': 'upsert' }),
    /Upserts are not supported with data streams/,
  )
  assert.throws(
    () => sinkSettings({ ...base, 'key.ignore': 'true', 'topic.key.ignore': 't' }),
    /can not be set if 'key.ignore' is true/,
  )
  assert.throws(() => sinkSettings({ ...base, 'data.stream.dataset': 'Big' }), /must be in all lowercase/)
  const ds = sinkSettings({ ...base, 'data.stream.type': 'logs', 'data.stream.dataset': 'app' })
  assert.equal(ds.isDataStream, true)
})

test('what Ferry cannot honour is refused at start, naming the key: Kerberos, JKS stores, Java security providers', () => {
  assert.throws(
    () => sinkSettings({ ...base, 'kerberos.user.principal': 'u@R', 'kerberos.keytab.path': '/k.keytab' }),
    (e: Error) => e instanceof ConfigException && /kerberos.user.principal.*not supported by Ferry/.test(e.message),
  )
  assert.throws(
    () =>
      sinkSettings({
        ...base,
        'elastic.security.protocol': 'SSL',
        'elastic.https.ssl.truststore.location': '/t.jks',
        'elastic.https.ssl.truststore.password': 'x',
      }),
    /elastic.https.ssl.truststore.type: Ferry reads trust stores as PEM only/,
  )
  assert.throws(
    () => sinkSettings({ ...base, 'elastic.security.protocol': 'SSL', 'elastic.https.ssl.provider': 'BC' }),
    /elastic.https.ssl.provider/,
  )
  assert.throws(
    () => sinkSettings({ ...base, 'elastic.https.ssl.truststore.location': '/t.pem' }),
    /'elastic.security.protocol' must be set to 'SSL' to use SSL configs/,
  )
})

test('a PEM trust store is read from its file for SSL', () => {
  const s = sinkSettings(
    {
      ...base,
      'connection.url': 'https://es:9200',
      'elastic.security.protocol': 'SSL',
      'elastic.https.ssl.truststore.type': 'PEM',
      'elastic.https.ssl.truststore.location': '/ca.pem',
      'elastic.https.ssl.endpoint.identification.algorithm': '',
    },
    (path) => Buffer.from(`PEM of ${path}`),
  )
  assert.deepEqual(s.tls?.ca, ['PEM of /ca.pem'])
  assert.equal(s.tls?.checkServerIdentity, false)
})

test('topic.to.external.resource.mapping maps topics to resources one to one', () => {
  const s = sinkSettings({ ...base, 'external.resource.usage': 'index', 'topic.to.external.resource.mapping': 't:idx' })
  assert.equal(s.topicToResource.get('t'), 'idx')
  assert.throws(
    () =>
      sinkSettings({ ...base, 'external.resource.usage': 'index', 'topic.to.external.resource.mapping': 'a:x,b:x' }),
    /Resource 'x' is mapped from multiple topics/,
  )
  assert.throws(() => sinkSettings({ ...base, 'external.resource.usage': 'index' }), /must be set together/)
})

test('validate reports a combination problem on each key it involves, and an unreachable cluster on connection.url', async () => {
  const connector = new ElasticsearchSinkConnector()
  const bad = await connector.validate({ ...base, 'connection.username': 'u' })
  const errors = (name: string) => bad.configValues.find((v) => v.name === name)?.errorMessages ?? []
  assert.match(errors('connection.username')[0] ?? '', /must be set/)
  assert.match(errors('connection.password')[0] ?? '', /must be set/)
  const unreachable = await connector.validate({ ...base, 'connection.url': 'http://127.0.0.1:1' })
  const url = unreachable.configValues.find((v) => v.name === 'connection.url')!
  assert.match(url.errorMessages[0] ?? '', /Could not connect to Elasticsearch/)
})

test('every key of the issue is defined, type.name is not (it is only warned about)', () => {
  for (const key of [
    'connection.url',
    'connection.username',
    'connection.password',
    'key.ignore',
    'schema.ignore',
    'topic.key.ignore',
    'topic.schema.ignore',
    'compact.map.entries',
    'behavior.on.null.values',
    'behavior.on.malformed.documents',
    'drop.invalid.message',
    'write.method',
    'batch.size',
    'bulk.size.bytes',
    'max.in.flight.requests',
    'max.buffered.records',
    'linger.ms',
    'flush.timeout.ms',
    'flush.synchronously',
    'max.retries',
    'retry.backoff.ms',
    'connection.timeout.ms',
    'read.timeout.ms',
    'external.version.header',
    'data.stream.type',
    'data.stream.dataset',
    'data.stream.namespace',
    'data.stream.timestamp.field',
    'elastic.security.protocol',
    'elastic.https.ssl.truststore.location',
  ]) {
    assert.ok(CONFIG_DEF.names().has(key), key)
  }
  assert.equal(CONFIG_DEF.names().has('type.name'), false)
})
