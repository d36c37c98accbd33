import assert from 'node:assert/strict'
import { test } from 'node:test'
import { S3_CONFIG_DEF, s3Settings, UNSUPPORTED } from '../src/config.ts'
import { S3SinkConnector } from '../src/sink-connector.ts'
import { newS3Client } from '../src/storage.ts'

const base = {
  's3.bucket.name': 'bucket',
  'storage.class': 'io.confluent.connect.s3.storage.S3Storage',
  'format.class': 'io.confluent.connect.s3.format.json.JsonFormat',
  'flush.size': '1000',
}

test("Confluent's defaults: region us-west-2, path style, 25 MiB parts, topics dir, delimiters, zero-padding, DefaultPartitioner", () => {
  const s = s3Settings(base)
  assert.equal(s.region, 'us-west-2')
  assert.equal(s.pathStyle, true)
  assert.equal(s.partSize, 25 * 1024 * 1024)
  assert.equal(s.topicsDir, 'topics')
  assert.equal(s.directoryDelim, '/')
  assert.equal(s.fileDelim, '+')
  assert.equal(s.zeroPadWidth, 10)
  assert.equal(s.partitioner, 'default')
  assert.equal(s.nullValues, 'fail')
  assert.equal(s.format, 'json')
})

test('format and partitioner classes are taken by their Confluent class names and simple names', () => {
  assert.equal(s3Settings({ ...base, 'format.class': 'AvroFormat' }).format, 'avro')
  assert.equal(
    s3Settings({ ...base, 'format.class': 'io.confluent.connect.s3.format.parquet.ParquetFormat' }).format,
    'parquet',
  )
  assert.equal(s3Settings({ ...base, 'format.class': 'ByteArrayFormat' }).format, 'bytearray')
  assert.equal(
    s3Settings({ ...base, 'partitioner.class': 'io.confluent.connect.storage.partitioner.HourlyPartitioner' })
      .partitioner,
    'hourly',
  )
  assert.throws(
    () => s3Settings({ ...base, 'format.class': 'io.confluent.connect.s3.format.orc.OrcFormat' }),
    /format\.class.*Ferry's S3 sink supports io\.confluent\.connect\.s3\.format\.json\.JsonFormat/,
  )
})

test("keys of Confluent's that Ferry does not implement are refused when set, naming the key", () => {
  assert.throws(() => s3Settings({ ...base, 's3.ssea.name': 'AES256' }), /s3\.ssea\.name.*does not support/)
  assert.throws(() => s3Settings({ ...base, 'store.kafka.keys': 'true' }), /store\.kafka\.keys/)
  assert.throws(() => s3Settings({ ...base, 's3.object.tagging': 'true' }), /s3\.object\.tagging/)
  assert.doesNotThrow(() => s3Settings({ ...base, 'store.kafka.keys': 'false', 's3.acl.canned': '' }))
  assert.throws(
    () => s3Settings({ ...base, 'storage.class': 'io.confluent.connect.hdfs.storage.HdfsStorage' }),
    /storage\.class/,
  )
  assert.throws(
    () =>
      s3Settings({ ...base, 's3.credentials.provider.class': 'com.amazonaws.auth.InstanceProfileCredentialsProvider' }),
    /s3\.credentials\.provider\.class/,
  )
  assert.throws(() => s3Settings({ ...base, 'behavior.on.null.values': 'write' }), /behavior\.on\.null\.values/)
})

test('inconsistent settings are refused with the key that is wrong', () => {
  assert.throws(
    () => s3Settings({ ...base, 'rotate.interval.ms': '60000' }),
    /rotate\.interval\.ms.*time-based partitioner/,
  )
  assert.throws(() => s3Settings({ ...base, 'rotate.schedule.interval.ms': '60000' }), /timezone/)
  assert.throws(() => s3Settings({ ...base, timezone: 'Mars/Olympus' }), /timezone.*Unknown time zone/)
  assert.throws(
    () => s3Settings({ ...base, 'format.class': 'AvroFormat', 's3.compression.type': 'gzip' }),
    /avro\.codec/,
  )
  assert.throws(() => s3Settings({ ...base, 's3.part.size': '1024' }), /s3\.part\.size/)
  assert.throws(() => s3Settings({ ...base, 'partitioner.class': 'FieldPartitioner' }), /partition\.field\.name/)
  assert.throws(() => s3Settings({ ...base, 'aws.access.key.id': 'AKIA' }), /aws\.secret\.access\.key/)
  assert.throws(() => s3Settings({ ...base, 'flush.size': '0' }), /flush\.size/)
  const { 'flush.size': _, ...noFlush } = base
  assert.throws(() => s3Settings(noFlush), /flush\.size/)
})

test("enable.conditional.writes: Confluent's default true; it applies, as Confluent's, when rotate.schedule.interval.ms is not -1 (0 included)", () => {
  assert.equal(S3_CONFIG_DEF.configKeys().get('enable.conditional.writes')?.defaultValue, true)
  const scheduled = { ...base, 'rotate.schedule.interval.ms': '60000', timezone: 'UTC' }
  assert.equal(s3Settings(scheduled).conditionalWrites, true)
  assert.equal(s3Settings({ ...scheduled, 'enable.conditional.writes': ' TRUE ' }).conditionalWrites, true)
  assert.equal(s3Settings({ ...scheduled, 'enable.conditional.writes': 'false' }).conditionalWrites, false)
  assert.equal(s3Settings({ ...base, 'rotate.schedule.interval.ms': '0' }).conditionalWrites, true)
  assert.equal(s3Settings(base).conditionalWrites, false)
  assert.equal(s3Settings({ ...base, 'enable.conditional.writes': 'true' }).conditionalWrites, false)
  assert.throws(() => s3Settings({ ...base, 'enable.conditional.writes': 'maybe' }), /enable\.conditional\.writes/)
  assert.equal(s3Settings(base).maxFilesScanLimit, 100)
  assert.equal(s3Settings({ ...base, 'max.files.scan.limit': '7' }).maxFilesScanLimit, 7)
})

test('validate reports a time-based partitioner without a time zone on its key', () => {
  const config = new S3SinkConnector().validate({ ...base, 'partitioner.class': 'DailyPartitioner', locale: 'en' })
  const timezone = config.configValues.find((v) => v.name === 'timezone')!
  assert.match(timezone.errorMessages.join(), /Timezone cannot be empty/)
})

test("Confluent's keys Ferry does not implement: each is refused when set to anything but Confluent's default, and accepted at its default as Connect parses it", () => {
  for (const [key, accepted] of Object.entries(UNSUPPORTED)) {
    assert.equal(S3_CONFIG_DEF.configKeys().has(key), false, `${key} is both defined and refused`)
    assert.throws(
      () => s3Settings({ ...base, [key]: 'not-the-default' }),
      (e: Error) => e.message.includes(key) && e.message.includes("Ferry's S3 sink does not support"),
      key,
    )
    assert.doesNotThrow(() => s3Settings({ ...base, [key]: ` ${(accepted ?? '').toUpperCase()} ` }), key)
  }
  for (const [key, value] of Object.entries({
    's3.object.tagging.key.value.pairs': 'team:data',
    's3.object.behavior.on.tagging.error': 'fail',
    's3.schema.partition.affix.type': 'PREFIX',
    'keys.format.class': 'io.confluent.connect.s3.format.json.JsonFormat',
    'headers.format.class': 'io.confluent.connect.s3.format.json.JsonFormat',
    'tombstone.encoded.partition': 'deleted',
    's3.elastic.buffer.init.capacity': '4096',
    'shutdown.timeout.ms': '1000',
  })) {
    assert.throws(() => s3Settings({ ...base, [key]: value }), new RegExp(key.replaceAll('.', '\\.')))
  }
})

test('schemas.cache.config (1000), enhanced.avro.schema.support (true), allow.optional.map.keys (false) and s3.http.send.expect.continue (true) are taken with their Confluent defaults', () => {
  const s = s3Settings(base)
  assert.equal(s.schemaCacheSize, 1000)
  assert.equal(s.enhancedAvroSchemaSupport, true)
  assert.equal(s.allowOptionalMapKeys, false)
  assert.equal(s.expectContinue, true)
  const set = s3Settings({
    ...base,
    'schemas.cache.config': '50',
    'enhanced.avro.schema.support': 'false',
    'allow.optional.map.keys': 'true',
  })
  assert.deepEqual([set.schemaCacheSize, set.enhancedAvroSchemaSupport, set.allowOptionalMapKeys], [50, false, true])
  assert.throws(() => s3Settings({ ...base, 'schemas.cache.config': '0' }), /schemas\.cache\.config/)
  // The name before Confluent's storage-common 10.0, which Confluent now ignores: refused unless it says the same.
  assert.throws(
    () => s3Settings({ ...base, 'schema.cache.size': '50' }),
    /schema\.cache\.size.*set schemas\.cache\.config/,
  )
  assert.doesNotThrow(() => s3Settings({ ...base, 'schema.cache.size': '50', 'schemas.cache.config': '50' }))
})

test("s3.http.send.expect.continue=false turns off the client's Expect: 100-continue; true keeps the SDK's (bodies of 2 MiB or more)", async () => {
  const off = newS3Client(s3Settings({ ...base, 's3.http.send.expect.continue': 'false' }))
  const on = newS3Client(s3Settings(base))
  try {
    assert.equal(off.config.expectContinueHeader, false)
    assert.equal(on.config.expectContinueHeader, 2 * 1024 * 1024)
  } finally {
    off.destroy()
    on.destroy()
  }
})
