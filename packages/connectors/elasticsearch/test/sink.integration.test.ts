import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, test } from 'node:test'
import { randomName, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { type SearchServer, startSearch } from '../../../../scripts/search/harness.ts'
import { committedOffsets, count, documents, produce, readTopic, search, workerProps } from './helpers.ts'

// One OpenSearch 2.x for the whole file; every test writes its own topics and indices.
let server: SearchServer
before(async () => {
  server = await startSearch({ kind: 'opensearch-2' })
})
after(() => server?.stop())

const topicName = (prefix: string) => randomName(prefix).toLowerCase()

test("Confluent's example config runs unchanged: every record indexed under topic+partition+offset, type.name only warned about", async (t) => {
  const topic = topicName('es-example')
  const docs = Array.from({ length: 500 }, (_, i) => ({ value: JSON.stringify({ n: i, text: `doc ${i}` }) }))
  await produce(topic, docs)
  const dir = await tempDir(t)
  const worker = await startStandalone(t, {
    dir,
    worker: await workerProps(dir),
    connectors: [
      {
        name: randomName('es'),
        'connector.class': 'io.confluent.connect.elasticsearch.ElasticsearchSinkConnector',
        topics: topic,
        'connection.url': server.url,
        'type.name': '_doc',
        'key.ignore': 'true',
        'schema.ignore': 'true',
      },
    ],
  })
  await waitFor('all 500 documents indexed', async () => (await count(server.url, topic)) === 500, 60_000, 250)
  const all = await documents(server.url, topic)
  assert.deepEqual(all.get(`${topic}+0+42`)?.source, { n: 42, text: 'doc 42' })
  assert.equal(all.size, 500)
  assert.match(await worker.log(), /The configuration 'type.name' was supplied but isn't a known config/)
})

test('write.method=upsert merges fields into the document of the same key; tombstones delete it with behavior.on.null.values=delete', async (t) => {
  const topic = topicName('es-upsert')
  await produce(topic, [
    { key: 'k1', value: JSON.stringify({ a: 1 }) },
    { key: 'k2', value: JSON.stringify({ a: 2 }) },
    { key: 'k1', value: JSON.stringify({ b: 3 }) },
    { key: 'k3', value: JSON.stringify({ a: 4 }) },
    { key: 'k2', value: null },
  ])
  const dir = await tempDir(t)
  await startStandalone(t, {
    dir,
    worker: await workerProps(dir),
    connectors: [
      {
        name: randomName('es'),
        'connector.class': 'ElasticsearchSink',
        topics: topic,
        'connection.url': server.url,
        'schema.ignore': 'true',
        'write.method': 'upsert',
        'behavior.on.null.values': 'delete',
      },
    ],
  })
  await waitFor(
    'k1 merged, k2 deleted, k3 indexed',
    async () => {
      const all = await documents(server.url, topic)
      return all.size === 2 && all.get('k1')?.source.b === 3
    },
    60_000,
    250,
  )
  const all = await documents(server.url, topic)
  assert.deepEqual(all.get('k1')?.source, { a: 1, b: 3 })
  assert.deepEqual(all.get('k3')?.source, { a: 4 })
  assert.equal(all.has('k2'), false)
})

test('a document the index refuses goes to the DLQ with its reason, the others are indexed (behavior.on.malformed.documents=warn)', async (t) => {
  const topic = topicName('es-malformed')
  const dlq = topicName('es-dlq')
  await search(server.url, 'PUT', `/${topic}`, { mappings: { properties: { n: { type: 'integer' } } } })
  await produce(topic, [
    { key: 'a', value: JSON.stringify({ n: 1 }) },
    { key: 'b', value: JSON.stringify({ n: 'not a number' }) },
    { key: 'c', value: JSON.stringify({ n: 3 }) },
  ])
  const dir = await tempDir(t)
  const worker = await startStandalone(t, {
    dir,
    worker: await workerProps(dir),
    connectors: [
      {
        name: randomName('es'),
        'connector.class': 'io.confluent.connect.elasticsearch.ElasticsearchSinkConnector',
        topics: topic,
        'connection.url': server.url,
        'schema.ignore': 'true',
        'behavior.on.malformed.documents': 'warn',
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': dlq,
        'errors.deadletterqueue.topic.replication.factor': '1',
        'errors.deadletterqueue.context.headers.enable': 'true',
      },
    ],
  })
  const [dead] = await readTopic(dlq, 1)
  assert.equal(dead!.value, JSON.stringify({ n: 'not a number' }))
  assert.match(dead!.headers['__connect.errors.exception.message'] ?? '', /mapper_parsing_exception/)
  await waitFor('a and c indexed', async () => (await count(server.url, topic)) === 2, 30_000, 250)
  const all = await documents(server.url, topic)
  assert.deepEqual([...all.keys()].sort(), ['a', 'c'])
  assert.match(await worker.log(), /Encountered an illegal document error when indexing record from topic=/)
})

test('429 and 503 answers mid-stream, whole or per item, are retried with backoff and nothing is lost', async (t) => {
  const topic = topicName('es-429')
  const total = 3000
  // A proxy in front of the server: the first bulk requests are refused as a whole (429, then 503), the next ones
  // reach the server but every third item's answer is turned into a 429 rejection.
  let bulks = 0
  let rejectedItems = 0
  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', async () => {
      const isBulk = req.url?.startsWith('/_bulk') ?? false
      const n = isBulk ? ++bulks : 0
      if (isBulk && n <= 6) {
        res.writeHead(n <= 3 ? 429 : 503, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: { type: 'es_rejected_execution_exception', reason: 'rejected by the test' } }))
        return
      }
      const upstream = await fetch(`${server.url}${req.url}`, {
        method: req.method,
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      })
      let body = Buffer.from(await upstream.arrayBuffer())
      if (isBulk && n <= 12 && upstream.ok) {
        const parsed = JSON.parse(body.toString('utf8'))
        parsed.items.forEach((item: Record<string, any>, i: number) => {
          if (i % 3 !== 0) return
          const result = Object.values(item)[0]
          result.status = 429
          result.error = { type: 'es_rejected_execution_exception', reason: 'rejected by the test' }
          rejectedItems++
        })
        parsed.errors = true
        body = Buffer.from(JSON.stringify(parsed))
      }
      res.writeHead(upstream.status, { 'content-type': 'application/json' })
      res.end(body)
    })
  })
  await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok))
  t.after(() => new Promise((ok) => proxy.close(ok)))
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`

  await produce(
    topic,
    Array.from({ length: total }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ i }) })),
  )
  const dir = await tempDir(t)
  const worker = await startStandalone(t, {
    dir,
    worker: await workerProps(dir),
    connectors: [
      {
        name: randomName('es'),
        'connector.class': 'io.confluent.connect.elasticsearch.ElasticsearchSinkConnector',
        topics: topic,
        'connection.url': proxyUrl,
        'schema.ignore': 'true',
        'batch.size': '200',
        'max.retries': '20',
        'retry.backoff.ms': '20',
      },
    ],
  })
  await waitFor(`all ${total} documents indexed`, async () => (await count(server.url, topic)) === total, 90_000, 250)
  const all = await documents(server.url, topic)
  for (let i = 0; i < total; i++) assert.equal(all.get(`k${i}`)?.source.i, i, `k${i}`)
  assert.ok(rejectedItems > 0, 'some items were rejected one by one')
  const log = await worker.log()
  assert.match(log, /Failed to execute bulk request due to 429 es_rejected_execution_exception/)
  assert.match(log, /Failed to execute bulk request due to 503 es_rejected_execution_exception/)
  assert.match(log, /for \d+ operation\(s\)\. Retrying attempt/)
})

test('kill -9 mid-stream, then restart: every key once at its latest version, and no offset committed ahead of what the cluster acknowledged', async (t) => {
  const topic = topicName('es-kill')
  const keys = 2000
  const versions = 5
  const records = []
  for (let v = 1; v <= versions; v++) {
    for (let k = 0; k < keys; k++) records.push({ key: `k${k}`, value: JSON.stringify({ k, v }) })
  }
  await produce(topic, records)
  const dir = await tempDir(t)
  const name = randomName('es')
  const connector = {
    name,
    'connector.class': 'io.confluent.connect.elasticsearch.ElasticsearchSinkConnector',
    topics: topic,
    'connection.url': server.url,
    'schema.ignore': 'true',
    'batch.size': '100',
    'max.in.flight.requests': '2',
    'consumer.override.max.poll.records': '200',
  }
  const first = await startStandalone(t, { dir, worker: await workerProps(dir), connectors: [connector], label: '-1' })
  await waitFor(
    'some offsets committed',
    async () => ((await committedOffsets(`connect-${name}`)).get(0) ?? 0) > 0,
    60_000,
    100,
  )
  await first.kill()
  const committed = (await committedOffsets(`connect-${name}`)).get(0) ?? 0
  assert.ok(committed < records.length, `the worker was killed mid-stream (committed ${committed})`)
  // Every record below the committed offset is in the index: its key's document has that version or a later one.
  const atKill = await documents(server.url, topic)
  for (let offset = 0; offset < committed; offset++) {
    const doc = atKill.get(records[offset]!.key)
    assert.ok(doc && doc.version >= offset, `offset ${offset} committed but not indexed`)
  }

  await startStandalone(t, { dir, worker: await workerProps(dir), connectors: [connector], label: '-2' })
  await waitFor(
    'every key at its last version',
    async () =>
      [...(await documents(server.url, topic)).values()].filter((d) => d.source.v === versions).length === keys,
    90_000,
    250,
  )
  const all = await documents(server.url, topic)
  assert.equal(all.size, keys, 'each key once')
  for (let k = 0; k < keys; k++) {
    const doc = all.get(`k${k}`)!
    assert.deepEqual(doc.source, { k, v: versions })
    assert.equal(doc.version, (versions - 1) * keys + k, 'the external version is the offset of the last record')
  }
})
