import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { freePort, randomName, startStandalone, tempDir, waitFor } from '@ferry/testing'
import { testBootstrap } from '../../scripts/kafka/test-env.ts'

async function readLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '')
  return text.split('\n').filter(Boolean)
}

test('Ferry.Map, Ferry.Route and Ferry.Matches reshape, route and filter file lines end to end; a failing expression skips its record under errors.tolerance=all, and a syntax error is refused over REST on its key', async (t) => {
  const dir = await tempDir(t)
  const topic = randomName('map')
  const input = join(dir, 'input.txt')
  const big = join(dir, 'big.txt')
  const small = join(dir, 'small.txt')
  const lines = [
    '{"id": 1, "name": "ada", "items": [{"price": 4}, {"price": 8}]}',
    '{"id": 2, "name": "test", "test": true, "items": []}',
    'this line is not JSON',
    '{"id": 3, "name": "grace", "items": [{"price": 2.5}]}',
  ]
  await writeFile(input, `${lines.join('\n')}\n`)
  const port = await freePort()
  const worker = await startStandalone(t, {
    dir,
    worker: {
      listeners: `http://127.0.0.1:${port}`,
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
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
        transforms: 'dropTests,map,route',
        'transforms.dropTests.type': 'Filter',
        'transforms.dropTests.predicate': 'isTest',
        'transforms.map.type': 'Ferry.Map',
        'transforms.map.expression':
          '($o := $eval(value); {"id": $o.id, "name": $uppercase($o.name), "total": $sum($o.items.price)})',
        'transforms.route.type': 'Ferry.Route',
        'transforms.route.expression': 'topic & (value.total > 10 ? "-big" : "-small")',
        predicates: 'isTest',
        'predicates.isTest.type': 'Ferry.Matches',
        // Only JSON lines can be tests; the line that is not JSON goes on to fail in the map.
        'predicates.isTest.expression': '$contains(value, "\\"test\\": true")',
        'errors.tolerance': 'all',
        'errors.log.enable': 'true',
      },
      ...[
        [big, `${topic}-big`],
        [small, `${topic}-small`],
      ].map(([file, topics]) => ({
        name: randomName('sink'),
        'connector.class': 'FileStreamSink',
        file: file!,
        topics: topics!,
        // Read the bytes back as text, to see exactly what was written to Kafka.
        'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      })),
    ],
  })
  const [bigLines, smallLines] = await waitFor('a record in each sink file', async () => {
    const b = await readLines(big)
    const s = await readLines(small)
    return b.length >= 1 && s.length >= 1 ? [b, s] : undefined
  })
  const schema = {
    type: 'struct',
    fields: [
      { type: 'int64', optional: true, field: 'id' },
      { type: 'string', optional: true, field: 'name' },
      { type: 'int64', optional: true, field: 'total' },
    ],
    optional: true,
  }
  assert.deepEqual(JSON.parse(bigLines[0]!), { schema, payload: { id: 1, name: 'ADA', total: 12 } })
  assert.deepEqual(JSON.parse(smallLines[0]!), {
    schema: {
      ...schema,
      fields: [schema.fields[0], schema.fields[1], { type: 'double', optional: true, field: 'total' }],
    },
    payload: { id: 3, name: 'GRACE', total: 2.5 },
  })

  // A config with a syntax error: validation names the key, the position and JSONata's message...
  const bad = {
    'connector.class': 'FileStreamSource',
    name: randomName('bad'),
    file: input,
    topic,
    transforms: 'map',
    'transforms.map.type': 'io.ferry.transforms.Map',
    'transforms.map.expression': '{"id": value.id',
  }
  const rest = `http://127.0.0.1:${port}`
  const validated = await fetch(`${rest}/connector-plugins/FileStreamSource/config/validate`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(bad),
  })
  assert.equal(validated.status, 200)
  const infos = (await validated.json()) as {
    error_count: number
    configs: { value: { name: string; errors: string[] } }[]
  }
  assert.equal(infos.error_count, 1)
  const errors = infos.configs.find((c) => c.value.name === 'transforms.map.expression')!.value.errors
  assert.equal(errors.length, 1)
  // As in Apache, a transform's validator names its own key (ConfigDef.embed strips the prefix).
  assert.match(
    errors[0]!,
    /^Invalid value \{"id": value\.id for configuration expression: JSONata syntax error at position 15: Expected "}" before end of expression \(JSONata S0203\)$/,
  )
  // ... and creating the connector is refused with HTTP 400 and Apache's body.
  const created = await fetch(`${rest}/connectors/${bad.name}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(bad),
  })
  assert.equal(created.status, 400)
  const body = (await created.json()) as { error_code: number; message: string }
  assert.equal(body.error_code, 400)
  assert.match(
    body.message,
    /contains the following 1 error\(s\):\nInvalid value .* for configuration expression: JSONata syntax error at position 15/,
  )

  // The line that is not JSON failed in the map and was skipped and logged (errors.log.enable); the test line, which
  // came before the third record in the small topic, was dropped, so each file holds exactly one record.
  assert.match(
    await worker.log(),
    /io\.ferry\.transforms\.Map: the expression failed at position \d+: .*\(JSONata D3120\)/,
  )
  assert.deepEqual([(await readLines(big)).length, (await readLines(small)).length], [1, 1])
})

test('in a sink, a record whose Ferry.Map expression fails goes to the dead letter queue under errors.tolerance=all, with its original bytes, and the others are written', async (t) => {
  const dir = await tempDir(t)
  const topic = randomName('map-sink')
  const dlq = randomName('map-dlq')
  const input = join(dir, 'input.txt')
  const output = join(dir, 'output.txt')
  const dead = join(dir, 'dead.txt')
  await writeFile(input, '{"n": 1}\nnot json\n{"n": 3}\n')
  const string = 'org.apache.kafka.connect.storage.StringConverter'
  await startStandalone(t, {
    dir,
    worker: {
      'bootstrap.servers': testBootstrap(),
      'key.converter': string,
      'value.converter': string,
      'offset.storage.file.filename': join(dir, 'offsets'),
      'offset.flush.interval.ms': '500',
    },
    connectors: [
      { name: randomName('src'), 'connector.class': 'FileStreamSource', file: input, topic },
      {
        name: randomName('sink'),
        'connector.class': 'FileStreamSink',
        file: output,
        topics: topic,
        transforms: 'double',
        'transforms.double.type': 'Ferry.Map',
        'transforms.double.expression': '$string($eval(value).n * 2)',
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': dlq,
        'errors.deadletterqueue.topic.replication.factor': '1',
        'errors.deadletterqueue.context.headers.enable': 'true',
      },
      { name: randomName('dlq-reader'), 'connector.class': 'FileStreamSink', file: dead, topics: dlq },
    ],
  })
  await waitFor('two records written and one in the dead letter queue', async () => {
    return (await readLines(output)).length >= 2 && (await readLines(dead)).length >= 1
  })
  assert.deepEqual(await readLines(output), ['2', '6'])
  assert.deepEqual(await readLines(dead), ['not json'])
})
