/**
 * A standalone worker whose converter is Confluent's `io.confluent.connect.avro.AvroConverter`, against a real
 * registry (Apicurio Registry 3.3.3, Confluent API) and broker: lines from a file become Avro records (a struct, by
 * HoistField) on the topic and come back through a file sink; a second source adds an optional field to the schema
 * while the pipeline runs, and the sink reads records of both versions; then the registry stops and records of the
 * schemas already known still flow.
 */
import assert from 'node:assert/strict'
import { appendFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { AvroDeserializer, SchemaRegistryClient, SerdeType } from '@confluentinc/schemaregistry'
import { freePort, randomName, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { KafkaConsumer } from '../../packages/runtime/src/kafka/clients.ts'
import { type SchemaRegistryServer, startApicurio } from '../../scripts/apicurio/harness.ts'
import { testBootstrap } from '../../scripts/kafka/test-env.ts'

let registry: SchemaRegistryServer

before(async () => {
  registry = await startApicurio()
})
after(async () => {
  await registry?.stop()
})

async function outputLines(path: string): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '')
  } catch {
    return []
  }
}

test('file -> AvroConverter -> Kafka -> AvroConverter -> file, with an optional field added to the schema while it runs, and the registry stopped at the end', async (t) => {
  const dir = await tempDir(t)
  const topic = randomName('avro-pipeline')
  const input = join(dir, 'input.txt')
  const second = join(dir, 'second.txt')
  const output = join(dir, 'output.txt')
  const port = await freePort()
  const lines = Array.from({ length: 200 }, (_, i) => `line ${i}`)
  await writeFile(input, `${lines.join('\n')}\n`)
  const worker = await startStandalone(t, {
    dir,
    worker: {
      'bootstrap.servers': testBootstrap(),
      listeners: `http://127.0.0.1:${port}`,
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'io.confluent.connect.avro.AvroConverter',
      'value.converter.schema.registry.url': registry.confluentUrl,
      'offset.storage.file.filename': join(dir, 'connect.offsets'),
      'offset.flush.interval.ms': '500',
    },
    connectors: [
      {
        name: randomName('src'),
        'connector.class': 'FileStreamSource',
        file: input,
        topic,
        transforms: 'hoist',
        'transforms.hoist.type': 'org.apache.kafka.connect.transforms.HoistField$Value',
        'transforms.hoist.field': 'line',
      },
      { name: randomName('sink'), 'connector.class': 'FileStreamSink', file: output, topics: topic },
    ],
  })
  await waitFor('200 lines through Avro', async () => (await outputLines(output)).length >= 200, 120_000, 250)
  assert.deepEqual(
    await outputLines(output),
    lines.map((l) => `Struct{line=${l}}`),
    `the sink got every line, in order: ${await worker.log()}`,
  )

  // A second source on the same topic adds an optional field: a new version of the subject, while the sink runs.
  await writeFile(second, 'evolved 1\nevolved 2\n')
  const created = await fetch(`http://127.0.0.1:${port}/connectors`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: randomName('src2'),
      config: {
        'connector.class': 'FileStreamSource',
        file: second,
        topic,
        transforms: 'hoist,origin',
        'transforms.hoist.type': 'org.apache.kafka.connect.transforms.HoistField$Value',
        'transforms.hoist.field': 'line',
        'transforms.origin.type': 'org.apache.kafka.connect.transforms.InsertField$Value',
        'transforms.origin.static.field': 'origin',
        'transforms.origin.static.value': 'second',
      },
    }),
  })
  assert.equal(created.status, 201, await created.text())
  await waitFor('the evolved records in the sink', async () => (await outputLines(output)).length >= 202, 60_000, 250)
  assert.deepEqual((await outputLines(output)).slice(200), [
    'Struct{line=evolved 1,origin=second}',
    'Struct{line=evolved 2,origin=second}',
  ])
  const confluent = new SchemaRegistryClient({ baseURLs: [registry.confluentUrl] })
  const versions = await confluent.getAllVersions(`${topic}-value`)
  assert.deepEqual(versions, [1, 2], 'the added field made a second version of the subject')

  // What is on the topic is Confluent's: its own deserializer reads the last record.
  const consumer = new KafkaConsumer({
    bootstrapServers: [testBootstrap()],
    clientId: randomName('reader'),
    groupId: randomName('reader'),
  })
  t.after(() => consumer.close())
  await consumer.subscribe([topic])
  const values: Buffer[] = []
  await waitFor(
    'the topic read back',
    async () => {
      for (const r of await consumer.poll(500, 1000)) if (r.value) values.push(Buffer.from(r.value))
      return values.length >= 202
    },
    60_000,
    0,
  )
  const deserializer = new AvroDeserializer(confluent, SerdeType.VALUE, {})
  assert.deepEqual(
    { ...(await deserializer.deserialize(topic, values[201]!)) },
    { line: 'evolved 2', origin: 'second' },
  )

  // The registry goes away: records of schemas the converters know keep flowing, none lost (no call per record).
  await registry.stop()
  const more = Array.from({ length: 100 }, (_, i) => `after ${i}`)
  await appendFile(input, `${more.join('\n')}\n`)
  await waitFor(
    '100 more lines with the registry down',
    async () => (await outputLines(output)).length >= 302,
    60_000,
    250,
  )
  assert.deepEqual(
    (await outputLines(output)).slice(202),
    more.map((l) => `Struct{line=${l}}`),
    `every line after the registry stopped: ${await worker.log()}`,
  )
  assert.equal(await worker.stop(), 0, 'the worker stops cleanly')
})
