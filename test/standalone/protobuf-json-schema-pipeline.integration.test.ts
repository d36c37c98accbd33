/**
 * A standalone worker whose connectors use Confluent's `io.confluent.connect.protobuf.ProtobufConverter` and
 * `io.confluent.connect.json.JsonSchemaConverter` (connector-level `value.converter`), against a real registry
 * (Apicurio Registry 3.3.3, Confluent API) and broker: lines from a file become records (a struct, by HoistField) on
 * a topic per format and come back through a file sink each; then a second source adds an optional field to each
 * schema while the pipelines run, and the sinks read records of both versions.
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { SchemaRegistryClient } from '@confluentinc/schemaregistry'
import { freePort, randomName, startStandalone, tempDir, waitFor } from '@ferry/testing'
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

const FORMATS = {
  protobuf: 'io.confluent.connect.protobuf.ProtobufConverter',
  json: 'io.confluent.connect.json.JsonSchemaConverter',
} as const

test('file -> ProtobufConverter / JsonSchemaConverter -> Kafka -> the same converter -> file, with an optional field added while they run', async (t) => {
  const dir = await tempDir(t)
  const port = await freePort()
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`)
  const pipes = Object.entries(FORMATS).map(([format, converter]) => ({
    format,
    converter,
    topic: randomName(`${format}-pipeline`),
    input: join(dir, `${format}-input.txt`),
    second: join(dir, `${format}-second.txt`),
    output: join(dir, `${format}-output.txt`),
  }))
  const converterKeys = (converter: string) => ({
    'value.converter': converter,
    'value.converter.schema.registry.url': registry.confluentUrl,
  })
  for (const p of pipes) await writeFile(p.input, `${lines.join('\n')}\n`)
  const worker = await startStandalone(t, {
    dir,
    worker: {
      'bootstrap.servers': testBootstrap(),
      listeners: `http://127.0.0.1:${port}`,
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'offset.storage.file.filename': join(dir, 'connect.offsets'),
      'offset.flush.interval.ms': '500',
    },
    connectors: pipes.flatMap((p) => [
      {
        name: randomName(`${p.format}-src`),
        'connector.class': 'FileStreamSource',
        file: p.input,
        topic: p.topic,
        transforms: 'hoist',
        'transforms.hoist.type': 'org.apache.kafka.connect.transforms.HoistField$Value',
        'transforms.hoist.field': 'line',
        ...converterKeys(p.converter),
      },
      {
        name: randomName(`${p.format}-sink`),
        'connector.class': 'FileStreamSink',
        file: p.output,
        topics: p.topic,
        ...converterKeys(p.converter),
      },
    ]),
  })
  for (const p of pipes) {
    await waitFor(
      `100 lines through ${p.format}`,
      async () => (await outputLines(p.output)).length >= 100,
      120_000,
      250,
    )
    assert.deepEqual(
      await outputLines(p.output),
      lines.map((l) => `Struct{line=${l}}`),
      `${p.format}: the sink got every line, in order: ${await worker.log()}`,
    )
  }

  for (const p of pipes) {
    await writeFile(p.second, 'evolved 1\nevolved 2\n')
    const created = await fetch(`http://127.0.0.1:${port}/connectors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: randomName(`${p.format}-src2`),
        config: {
          'connector.class': 'FileStreamSource',
          file: p.second,
          topic: p.topic,
          transforms: 'hoist,origin',
          'transforms.hoist.type': 'org.apache.kafka.connect.transforms.HoistField$Value',
          'transforms.hoist.field': 'line',
          'transforms.origin.type': 'org.apache.kafka.connect.transforms.InsertField$Value',
          'transforms.origin.static.field': 'origin',
          'transforms.origin.static.value': 'second',
          ...converterKeys(p.converter),
        },
      }),
    })
    assert.equal(created.status, 201, await created.text())
  }
  const confluent = new SchemaRegistryClient({ baseURLs: [registry.confluentUrl] })
  for (const p of pipes) {
    await waitFor(
      `the evolved ${p.format} records`,
      async () => (await outputLines(p.output)).length >= 102,
      60_000,
      250,
    )
    assert.deepEqual((await outputLines(p.output)).slice(100), [
      'Struct{line=evolved 1,origin=second}',
      'Struct{line=evolved 2,origin=second}',
    ])
    assert.deepEqual(await confluent.getAllVersions(`${p.topic}-value`), [1, 2], `${p.format}: a second version`)
  }
  assert.equal(await worker.stop(), 0, 'the worker stops cleanly')
})
