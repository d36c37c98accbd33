import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { FileStreamSinkConnector, FileStreamSourceConnector } from '@ferry/connector-file'
import { runSinkTask, runSourceTask, tempDir } from '../src/index.ts'

test('a source task runs in process through its transforms and the JSON converter, and a second run carries on from its offsets', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'in.txt')
  await writeFile(file, 'a\nb\nc\n')
  const config = {
    name: 'lines',
    file,
    topic: 'lines',
    transforms: 'hoist,route',
    'transforms.hoist.type': 'org.apache.kafka.connect.transforms.HoistField$Value',
    'transforms.hoist.field': 'line',
    'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter',
    'transforms.route.regex': '(.*)',
    'transforms.route.replacement': '$1-out',
  }
  const run = await runSourceTask(new FileStreamSourceConnector(), { config, count: 3 })
  assert.deepEqual(
    run.polled.map((r) => r.value),
    ['a', 'b', 'c'],
  )
  assert.deepEqual(
    run.produced.map((r) => [r.topic, r.partition, r.offset, JSON.parse(Buffer.from(r.value!).toString()).payload]),
    [
      ['lines-out', 0, 0, { line: 'a' }],
      ['lines-out', 0, 1, { line: 'b' }],
      ['lines-out', 0, 2, { line: 'c' }],
    ],
  )
  assert.deepEqual(run.offsets, [[{ filename: file }, { position: 6 }]])

  await writeFile(file, 'a\nb\nc\nd\n')
  const next = await runSourceTask(new FileStreamSourceConnector(), { config, offsets: run.offsets })
  assert.deepEqual(
    next.polled.map((r) => r.value),
    ['d'],
  )
})

test('a sink task gets records through the converters and transforms in batches, and its preCommit offsets are returned', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'out.txt')
  const run = await runSinkTask(new FileStreamSinkConnector(), {
    config: {
      name: 'out',
      file,
      topics: 'words',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      transforms: 'filter',
      'transforms.filter.type': 'org.apache.kafka.connect.transforms.Filter',
      'transforms.filter.predicate': 'isTwo',
      predicates: 'isTwo',
      'predicates.isTwo.type': 'org.apache.kafka.connect.transforms.predicates.HasHeaderKey',
      'predicates.isTwo.name': 'skip',
    },
    records: [
      { topic: 'words', value: 'one' },
      { topic: 'words', value: 'two', headers: [['skip', 'yes']] },
      { topic: 'words', partition: 1, value: 'three' },
      { topic: 'words', value: 'four' },
    ],
    batchSize: 2,
  })
  assert.deepEqual(
    run.delivered.map((r) => [r.kafkaPartition, r.kafkaOffset, r.value]),
    [
      [0, 0, 'one'],
      [1, 0, 'three'],
      [0, 2, 'four'],
    ],
  )
  assert.equal(await readFile(file, 'utf8'), 'one\nthree\nfour\n')
  assert.deepEqual(
    [...run.committed.values()].map((o) => [o.partition, o.offset]),
    [
      [0, 3],
      [1, 1],
    ],
  )
})

test('a record the converter cannot read fails the sink run with the converter error', async (t) => {
  const dir = await tempDir(t)
  await assert.rejects(
    runSinkTask(new FileStreamSinkConnector(), {
      config: { name: 'out', file: join(dir, 'out.txt'), topics: 'words' },
      records: [{ topic: 'words', value: 'not json' }],
    }),
    /Converting byte\[\] to Kafka Connect data failed due to serialization error/,
  )
})
