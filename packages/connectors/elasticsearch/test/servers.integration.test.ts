import assert from 'node:assert/strict'
import { test } from 'node:test'
import { randomName, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { type SearchKind, startSearch } from '../../../../scripts/search/harness.ts'
import { count, documents, produce, search, workerProps } from './helpers.ts'

// The same sink against the other servers it speaks to: Elasticsearch 7.10 and OpenSearch 3.x (Java 21+).
const SCHEMA = {
  type: 'struct',
  name: 'order',
  optional: false,
  fields: [
    { field: 'id', type: 'int64', optional: false },
    { field: 'customer', type: 'string', optional: false },
    { field: 'amount', type: 'double', optional: false },
    { field: 'at', type: 'int64', optional: false, name: 'org.apache.kafka.connect.data.Timestamp', version: 1 },
  ],
}

for (const kind of ['elasticsearch-7', 'opensearch-3'] as SearchKind[]) {
  test(`${kind}: Confluent's example config indexes every record, and with schemas the index gets Confluent's mapping`, async (t) => {
    const server = await startSearch({ kind })
    t.after(() => server.stop())
    const plain = randomName('es-plain').toLowerCase()
    const typed = randomName('es-typed').toLowerCase()
    await produce(
      plain,
      Array.from({ length: 300 }, (_, i) => ({ value: JSON.stringify({ n: i }) })),
    )
    await produce(
      typed,
      Array.from({ length: 300 }, (_, i) => ({
        key: `o${i}`,
        value: JSON.stringify({
          schema: SCHEMA,
          payload: { id: i, customer: `c${i % 7}`, amount: i / 4, at: 1700000000000 + i },
        }),
      })),
    )
    const dir = await tempDir(t)
    await startStandalone(t, {
      dir,
      worker: await workerProps(dir),
      connectors: [
        {
          name: randomName('es'),
          'connector.class': 'io.confluent.connect.elasticsearch.ElasticsearchSinkConnector',
          topics: plain,
          'connection.url': server.url,
          'type.name': '_doc',
          'key.ignore': 'true',
          'schema.ignore': 'true',
        },
        {
          name: randomName('es'),
          'connector.class': 'io.confluent.connect.elasticsearch.ElasticsearchSinkConnector',
          topics: typed,
          'connection.url': server.url,
          // Apache applies a connector's converter settings only with its own converter class.
          'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
          'value.converter.schemas.enable': 'true',
        },
      ],
    })
    await waitFor(
      'both topics indexed',
      async () => (await count(server.url, plain)) === 300 && (await count(server.url, typed)) === 300,
      90_000,
      250,
    )
    assert.deepEqual((await documents(server.url, plain)).get(`${plain}+0+7`)?.source, { n: 7 })
    const doc = (await documents(server.url, typed)).get('o5')!
    assert.deepEqual(doc.source, { id: 5, customer: 'c5', amount: 1.25, at: 1700000000005 })
    assert.equal(doc.version, 5, 'external version: the record offset')
    const mapping = (await search(server.url, 'GET', `/${typed}/_mapping`))[typed].mappings.properties
    assert.deepEqual(mapping.at, { type: 'date' })
    assert.deepEqual(mapping.customer, { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } })
    assert.deepEqual(mapping.id, { type: 'long' })
  })
}
