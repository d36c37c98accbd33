import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { DataException, Schema, SourceRecord } from '@ferry/api'
import { LogReporter } from '../../src/errors/log-reporter.ts'
import { ProcessingContext } from '../../src/errors/processing-context.ts'
import { Stage } from '../../src/errors/stage.ts'
import type { IncomingRecord } from '../../src/kafka/clients.ts'
import { createLogger } from '../../src/logger.ts'

function capture() {
  const lines: Array<Record<string, any>> = []
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line))
      done()
    },
  })
  return { lines, log: createLogger({ level: 'info', destination }) }
}

const consumed: IncomingRecord = {
  topic: 'orders',
  partition: 2,
  offset: 41,
  timestamp: 1700000000000,
  key: null,
  value: Buffer.from('{bad'),
  headers: [],
}

function failed<T>(original: T, stage: (typeof Stage)[keyof typeof Stage], cls: string): ProcessingContext<T> {
  const context = new ProcessingContext(original)
  context.currentContext(stage, cls)
  context.error = new DataException('Converting byte[] to Kafka Connect data failed due to serialization error')
  return context
}

test('the log reporter writes Apache’s line with the stage, the class and the error', () => {
  const { lines, log } = capture()
  const reporter = LogReporter.sink({ connector: 'sink', task: 0 }, { enabled: true, includeMessages: false }, log)
  reporter.report(failed(consumed, Stage.VALUE_CONVERTER, 'org.apache.kafka.connect.json.JsonConverter'))
  assert.equal(lines.length, 1)
  assert.equal(lines[0]?.level, 'error')
  assert.equal(
    lines[0]?.msg,
    "Error encountered in task sink-0. Executing stage 'VALUE_CONVERTER' with class 'org.apache.kafka.connect.json.JsonConverter'.",
  )
  assert.match(lines[0]?.err.message, /serialization error/)
})

test('with errors.log.include.messages the sink line names the consumed record', () => {
  const { lines, log } = capture()
  const reporter = LogReporter.sink({ connector: 'sink', task: 3 }, { enabled: true, includeMessages: true }, log)
  reporter.report(failed(consumed, Stage.VALUE_CONVERTER, 'org.apache.kafka.connect.json.JsonConverter'))
  assert.equal(
    lines[0]?.msg,
    "Error encountered in task sink-3. Executing stage 'VALUE_CONVERTER' with class 'org.apache.kafka.connect.json.JsonConverter', where consumed record is {topic='orders', partition=2, offset=41, timestamp=1700000000000, timestampType=CreateTime}.",
  )
})

test('with errors.log.include.messages the source line shows the source record as Apache prints it', () => {
  const { lines, log } = capture()
  const reporter = LogReporter.source({ connector: 'src', task: 0 }, { enabled: true, includeMessages: true }, log)
  const record = new SourceRecord(
    { filename: 'in.txt' },
    { position: 12 },
    'lines',
    null,
    null,
    null,
    Schema.STRING_SCHEMA,
    'x',
  )
  reporter.report(failed(record, Stage.TRANSFORMATION, 'org.apache.kafka.connect.transforms.Cast$Value'))
  assert.match(
    lines[0]?.msg,
    /^Error encountered in task src-0\. Executing stage 'TRANSFORMATION' with class 'org\.apache\.kafka\.connect\.transforms\.Cast\$Value', where source record is = SourceRecord\{sourcePartition=\{filename=in\.txt\}, sourceOffset=\{position=12\}\} ConnectRecord\{topic='lines', kafkaPartition=null, key=null, keySchema=null, value=x, valueSchema=.*, timestamp=null, headers=ConnectHeaders\(headers=\)\}\.$/,
  )
})

test('nothing is logged unless errors.log.enable is true', () => {
  const { lines, log } = capture()
  const reporter = LogReporter.sink({ connector: 'sink', task: 0 }, { enabled: false, includeMessages: true }, log)
  reporter.report(failed(consumed, Stage.VALUE_CONVERTER, 'X'))
  assert.deepEqual(lines, [])
})
