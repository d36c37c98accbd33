import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { randomName, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { testBootstrap } from '../../scripts/kafka/test-env.ts'

async function readLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '')
  return text.split('\n').filter(Boolean)
}

test('a HoistField$Value + InsertField$Value + RegexRouter chain on a file source writes the JSON envelope Apache writes', async (t) => {
  const dir = await tempDir(t)
  const topic = randomName('smt')
  const input = join(dir, 'input.txt')
  const output = join(dir, 'output.txt')
  const lines = Array.from({ length: 100 }, (_, i) => `record ${i}`)
  await writeFile(input, `${lines.join('\n')}\n`)
  await startStandalone(t, {
    dir,
    worker: {
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'offset.storage.file.filename': join(dir, 'offsets'),
      'offset.flush.interval.ms': '500',
    },
    connectors: [
      {
        name: randomName('src'),
        'connector.class': 'FileStreamSource',
        file: input,
        topic,
        transforms: 'hoist,ts,route',
        'transforms.hoist.type': 'org.apache.kafka.connect.transforms.HoistField$Value',
        'transforms.hoist.field': 'content',
        'transforms.ts.type': 'org.apache.kafka.connect.transforms.InsertField$Value',
        'transforms.ts.timestamp.field': 'inserted',
        'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter',
        'transforms.route.regex': '(.*)',
        'transforms.route.replacement': '$1-routed',
      },
      {
        name: randomName('sink'),
        'connector.class': 'FileStreamSink',
        file: output,
        topics: `${topic}-routed`,
        // Read the bytes back as text, to see exactly what was written to Kafka.
        'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      },
    ],
  })
  const written = await waitFor('100 records in the sink file', async () => {
    const l = await readLines(output)
    return l.length >= 100 ? l : undefined
  })
  const first = JSON.parse(written[0]!)
  assert.deepEqual(first.schema, {
    type: 'struct',
    fields: [
      { type: 'string', optional: false, field: 'content' },
      { type: 'int64', optional: true, name: 'org.apache.kafka.connect.data.Timestamp', version: 1, field: 'inserted' },
    ],
    optional: false,
  })
  assert.deepEqual(
    written.map((l) => JSON.parse(l).payload.content),
    lines,
  )
  // FileStreamSource records carry no timestamp, so Apache inserts null (the field is optional).
  assert.equal(first.payload.inserted, null)
  assert.match(
    written[0]!,
    /^\{"schema":\{"type":"struct","fields":\[\{"type":"string","optional":false,"field":"content"\}/,
  )
})

test('a transform guarded by a predicate applies only where the predicate holds, and negate inverts it', async (t) => {
  const dir = await tempDir(t)
  const kept = randomName('kept')
  const dropped = randomName('dropped')
  const output = join(dir, 'output.txt')
  await writeFile(join(dir, 'kept.txt'), 'kept 1\nkept 2\n')
  await writeFile(join(dir, 'dropped.txt'), 'dropped 1\ndropped 2\n')
  // Filter drops a record when the predicate holds; negate=true drops it when the predicate does not hold.
  const source = (name: string, topic: string, negate: string) => ({
    name: randomName(name),
    'connector.class': 'FileStreamSource',
    file: join(dir, `${name}.txt`),
    topic,
    transforms: 'filter',
    'transforms.filter.type': 'org.apache.kafka.connect.transforms.Filter',
    'transforms.filter.predicate': 'onMyTopic',
    'transforms.filter.negate': negate,
    predicates: 'onMyTopic',
    'predicates.onMyTopic.type': 'org.apache.kafka.connect.transforms.predicates.TopicNameMatches',
    'predicates.onMyTopic.pattern': topic,
  })
  await startStandalone(t, {
    dir,
    worker: {
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'StringConverter',
      'value.converter': 'StringConverter',
      'offset.storage.file.filename': join(dir, 'offsets'),
    },
    connectors: [
      source('kept', kept, 'true'),
      source('dropped', dropped, 'false'),
      { name: randomName('sink'), 'connector.class': 'FileStreamSink', file: output, topics: `${kept},${dropped}` },
    ],
  })
  await waitFor('the kept lines', async () => (await readLines(output)).length >= 2)
  // Give the dropped source time to (wrongly) deliver.
  await new Promise((r) => setTimeout(r, 2000))
  assert.deepEqual(await readLines(output), ['kept 1', 'kept 2'])
})
