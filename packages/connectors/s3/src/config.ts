/**
 * S3SinkConnector's keys: Confluent's names, defaults and documentation (S3SinkConnectorConfig, StorageCommonConfig,
 * StorageSinkConnectorConfig, PartitionerConfig). Keys of Confluent's that Ferry does not implement are refused at
 * start when set to anything but their default (`UNSUPPORTED`), naming the key.
 */
import { ConfigDef, ConfigException, type Password, Range, ValidString } from '@ferry/api'

export const FORMAT_CLASSES = {
  'io.confluent.connect.s3.format.json.JsonFormat': 'json',
  'io.confluent.connect.s3.format.bytearray.ByteArrayFormat': 'bytearray',
  'io.confluent.connect.s3.format.avro.AvroFormat': 'avro',
  'io.confluent.connect.s3.format.parquet.ParquetFormat': 'parquet',
} as const
export type FormatName = (typeof FORMAT_CLASSES)[keyof typeof FORMAT_CLASSES]

const PARTITIONER_PACKAGE = 'io.confluent.connect.storage.partitioner.'
export const PARTITIONER_CLASSES = {
  [`${PARTITIONER_PACKAGE}DefaultPartitioner`]: 'default',
  [`${PARTITIONER_PACKAGE}FieldPartitioner`]: 'field',
  [`${PARTITIONER_PACKAGE}TimeBasedPartitioner`]: 'time',
  [`${PARTITIONER_PACKAGE}DailyPartitioner`]: 'daily',
  [`${PARTITIONER_PACKAGE}HourlyPartitioner`]: 'hourly',
} as const
export type PartitionerName = (typeof PARTITIONER_CLASSES)[keyof typeof PARTITIONER_CLASSES]

export const S3_STORAGE_CLASS = 'io.confluent.connect.s3.storage.S3Storage'
const DEFAULT_CREDENTIALS_PROVIDER = 'com.amazonaws.auth.DefaultAWSCredentialsProviderChain'
const MIN_PART_SIZE = 5 * 1024 * 1024

/** A class name as Confluent's, or its simple name (`JsonFormat`, `FieldPartitioner`). */
function resolveClass<T extends string>(table: Record<string, T>, key: string, value: string): T {
  const found = table[value] ?? Object.entries(table).find(([name]) => name.endsWith(`.${value}`))?.[1]
  if (found) return found
  throw new ConfigException(key, value, `Ferry's S3 sink supports ${Object.keys(table).join(', ')}`)
}

export const S3_CONFIG_DEF: ConfigDef = new ConfigDef()
  // ---------------------------------------------------------------- S3
  .define({
    name: 's3.bucket.name',
    type: 'STRING',
    importance: 'HIGH',
    group: 'S3',
    documentation: 'The S3 Bucket.',
  })
  .define({
    name: 's3.region',
    type: 'STRING',
    defaultValue: 'us-west-2',
    importance: 'MEDIUM',
    group: 'S3',
    documentation: 'The AWS region to be used the connector.',
  })
  .define({
    name: 'store.url',
    type: 'STRING',
    defaultValue: null,
    importance: 'HIGH',
    group: 'S3',
    documentation:
      "Store's connection URL, if applicable: the endpoint of an S3-compatible store (MinIO, S3Mock, ...).",
  })
  .define({
    name: 's3.path.style.access.enabled',
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'LOW',
    group: 'S3',
    documentation: 'Specifies whether or not to enable path style access to the bucket used by the connector',
  })
  .define({
    name: 'aws.access.key.id',
    type: 'STRING',
    defaultValue: '',
    importance: 'HIGH',
    group: 'S3',
    documentation:
      'The AWS access key ID used to authenticate personal AWS credentials such as IAM credentials. Use only if you do not wish to authenticate by using a credentials provider class via s3.credentials.provider.class',
  })
  .define({
    name: 'aws.secret.access.key',
    type: 'PASSWORD',
    defaultValue: null,
    importance: 'HIGH',
    group: 'S3',
    documentation:
      'The secret access key used to authenticate personal AWS credentials such as IAM credentials. Use only if you do not wish to authenticate by using a credentials provider class via s3.credentials.provider.class',
  })
  .define({
    name: 's3.credentials.provider.class',
    type: 'CLASS',
    defaultValue: DEFAULT_CREDENTIALS_PROVIDER,
    importance: 'LOW',
    group: 'S3',
    documentation:
      "Credentials provider or provider chain to use for authentication to AWS. By default the connector uses 'DefaultAWSCredentialsProviderChain' (environment, shared credentials and config files, web identity, container and instance metadata).",
  })
  .define({
    name: 's3.part.size',
    type: 'INT',
    defaultValue: 25 * 1024 * 1024,
    validator: Range.between(MIN_PART_SIZE, 2147483647),
    importance: 'HIGH',
    group: 'S3',
    documentation:
      'The Part Size in S3 Multi-part Uploads. Objects up to this size are uploaded with one PutObject; larger ones in parts of this size.',
  })
  .define({
    name: 's3.compression.type',
    type: 'STRING',
    defaultValue: 'none',
    validator: ValidString.in('none', 'gzip'),
    importance: 'LOW',
    group: 'S3',
    documentation: 'Compression type for files written to S3. Applied when using JsonFormat or ByteArrayFormat.',
  })
  .define({
    name: 's3.compression.level',
    type: 'INT',
    defaultValue: -1,
    validator: Range.between(-1, 9),
    importance: 'LOW',
    group: 'S3',
    documentation: 'Compression level to use for the gzip compression type: -1 (the default level) or 0 to 9.',
  })
  .define({
    name: 's3.part.retries',
    type: 'INT',
    defaultValue: 3,
    validator: Range.atLeast(0),
    importance: 'MEDIUM',
    group: 'S3',
    documentation:
      'Maximum number of retry attempts for failed requests. Zero means no retries. The actual number of attempts is determined by the S3 client based on multiple factors including, but not limited to: the value of this parameter, type of exception occurred, and throttling settings of the underlying S3 client.',
  })
  .define({
    name: 's3.retry.backoff.ms',
    type: 'LONG',
    defaultValue: 200,
    validator: Range.atLeast(0),
    importance: 'LOW',
    group: 'S3',
    documentation:
      'How long to wait in milliseconds before attempting the first retry of a failed S3 request. Upon a failure, this connector may wait up to twice as long as the previous wait, up to the maximum number of retries.',
  })
  .define({
    name: 'format.bytearray.extension',
    type: 'STRING',
    defaultValue: '.bin',
    importance: 'LOW',
    group: 'S3',
    documentation: 'Output file extension for ByteArrayFormat. Defaults to .bin',
  })
  .define({
    name: 'format.bytearray.separator',
    type: 'STRING',
    defaultValue: null,
    importance: 'LOW',
    group: 'S3',
    documentation: 'String inserted between records for ByteArrayFormat. Defaults to the line separator (\\n).',
  })
  .define({
    name: 'json.decimal.format',
    type: 'STRING',
    defaultValue: 'BASE64',
    validator: ValidString.in('BASE64', 'NUMERIC'),
    importance: 'LOW',
    group: 'S3',
    documentation:
      'Controls which format json converter will serialize decimals in. This value is case insensitive and can be either BASE64 (default) or NUMERIC',
  })
  .define({
    name: 's3.http.send.expect.continue',
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'LOW',
    group: 'S3',
    documentation:
      'Enable or disable use of the HTTP/1.1 handshake using EXPECT: 100-CONTINUE: when true, an upload of 2 MiB or more (the AWS SDK for JavaScript\u2019s threshold) waits for 100 (CONTINUE) before sending its body; when false, no request does.',
  })
  .define({
    name: 'enable.conditional.writes',
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'LOW',
    group: 'S3',
    documentation:
      'Flag to control whether to enable conditional writes during multipart upload. The config will be ignored if scheduled rotation is disabled by setting `rotate.schedule.interval.ms` to -1 or the connector is configured to write kafka keys or headers to S3',
  })
  // Confluent's internal key (no documentation there).
  .defineInternal(
    'max.files.scan.limit',
    'INT',
    100,
    'LOW',
    null,
    'With conditional writes: how many records of a commit are remembered, and how many offsets past the start of an object found already written are checked for objects, to find where the partition is read again.',
  )
  .define({
    name: 'behavior.on.null.values',
    type: 'STRING',
    defaultValue: 'fail',
    validator: ValidString.in('ignore', 'fail', 'IGNORE', 'FAIL'),
    importance: 'LOW',
    group: 'S3',
    documentation:
      'How to handle records with a null value (i.e. Kafka tombstone records). Valid options are ignore and fail.',
  })
  .define({
    name: 'report.null.values.to.dlq',
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'LOW',
    group: 'S3',
    documentation:
      'Whether null values skipped with behavior.on.null.values=ignore are reported to the dead letter queue (when the connector has one).',
  })
  // ---------------------------------------------------------------- storage
  .define({
    name: 'storage.class',
    type: 'CLASS',
    importance: 'HIGH',
    group: 'Storage',
    documentation: `The underlying storage layer: ${S3_STORAGE_CLASS}.`,
  })
  .define({
    name: 'topics.dir',
    type: 'STRING',
    defaultValue: 'topics',
    importance: 'HIGH',
    group: 'Storage',
    documentation: 'Top level directory to store the data ingested from Kafka.',
  })
  .define({
    name: 'directory.delim',
    type: 'STRING',
    defaultValue: '/',
    importance: 'MEDIUM',
    group: 'Storage',
    documentation: 'Directory delimiter pattern',
  })
  .define({
    name: 'file.delim',
    type: 'STRING',
    defaultValue: '+',
    importance: 'MEDIUM',
    group: 'Storage',
    documentation: 'File delimiter pattern',
  })
  // ---------------------------------------------------------------- connector
  .define({
    name: 'format.class',
    type: 'CLASS',
    importance: 'HIGH',
    group: 'Connector',
    documentation: `The format class to use when writing data to the store: ${Object.keys(FORMAT_CLASSES).join(', ')}.`,
  })
  .define({
    name: 'flush.size',
    type: 'INT',
    validator: Range.atLeast(1),
    importance: 'HIGH',
    group: 'Connector',
    documentation: 'Number of records written to store before invoking file commits.',
  })
  .define({
    name: 'rotate.interval.ms',
    type: 'LONG',
    defaultValue: -1,
    importance: 'HIGH',
    group: 'Connector',
    documentation:
      "The time interval in milliseconds to invoke file commits. This configuration ensures that file commits are invoked every configured interval. This configuration is useful when data ingestion rate is low and the connector didn't write enough messages to commit files. The default value -1 means that this feature is disabled.",
  })
  .define({
    name: 'rotate.schedule.interval.ms',
    type: 'LONG',
    defaultValue: -1,
    importance: 'MEDIUM',
    group: 'Connector',
    documentation:
      'The time interval in milliseconds to periodically invoke file commits. This configuration ensures that file commits are invoked every configured interval. Time of commit will be adjusted to 00:00 of selected timezone. Commit will be performed at scheduled time regardless previous commit time or number of messages. This configuration is useful when you have to commit your data based on current server time, like at the beginning of every hour. The default value -1 means that this feature is disabled.',
  })
  .define({
    name: 'rotate.file.on.partition.change',
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'LOW',
    group: 'Connector',
    documentation:
      'When rotate.interval.ms is set, whether a record for another encoded partition than the last one commits the open files.',
  })
  .define({
    name: 'retry.backoff.ms',
    type: 'LONG',
    defaultValue: 5000,
    importance: 'LOW',
    group: 'Connector',
    documentation:
      'The retry backoff in milliseconds. This config is used to notify Kafka connect to retry delivering a message batch or performing recovery in case of transient exceptions.',
  })
  .define({
    name: 'filename.offset.zero.pad.width',
    type: 'INT',
    defaultValue: 10,
    validator: Range.atLeast(0),
    importance: 'LOW',
    group: 'Connector',
    documentation:
      'Width to zero pad offsets in store filenames if offsets are too short in order to provide fixed width filenames that can be ordered by simple lexicographic sorting.',
  })
  .define({
    name: 'schema.compatibility',
    type: 'STRING',
    defaultValue: 'NONE',
    validator: ValidString.in('NONE'),
    importance: 'HIGH',
    group: 'Schema',
    documentation:
      'The schema compatibility rule to use when the connector is observing schema changes. Ferry supports NONE: a record whose schema differs from the open file\u2019s starts a new file.',
  })
  .define({
    name: 'avro.codec',
    type: 'STRING',
    defaultValue: 'null',
    validator: ValidString.in('null', 'deflate'),
    importance: 'LOW',
    group: 'Connector',
    documentation: 'The Avro compression codec to be used for output files: null or deflate.',
  })
  .define({
    name: 'parquet.codec',
    type: 'STRING',
    defaultValue: 'snappy',
    validator: ValidString.in('none', 'uncompressed', 'snappy', 'gzip'),
    importance: 'LOW',
    group: 'Connector',
    documentation: 'The Parquet compression codec to be used for output files: none, snappy (default) or gzip.',
  })
  .define({
    name: 'schemas.cache.config',
    type: 'INT',
    defaultValue: 1000,
    validator: Range.atLeast(1),
    importance: 'LOW',
    group: 'Connector',
    documentation:
      'The size of the schema cache used in the Avro converter: the Connect schemas whose Avro schema a task keeps (AvroFormat). Confluent before 10.0 named it schema.cache.size.',
  })
  .define({
    name: 'enhanced.avro.schema.support',
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'LOW',
    group: 'Connector',
    documentation:
      'Enable enhanced avro schema support in AvroConverter: Enum symbol preservation and Package Name awareness. A string with io.confluent.connect.avro.Enum parameters is written as an Avro enum (AvroFormat).',
  })
  .define({
    name: 'allow.optional.map.keys',
    type: 'BOOLEAN',
    defaultValue: false,
    importance: 'LOW',
    group: 'Connector',
    documentation:
      'Allow optional string map key when converting from Connect Schema to Avro Schema: such a map is an Avro map rather than an array of MapEntry records (AvroFormat).',
  })
  .define({
    name: 'connect.meta.data',
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'LOW',
    group: 'Connector',
    documentation: 'Allow the Connect converter to add its metadata to the output schema (connect.name, connect.type).',
  })
  // ---------------------------------------------------------------- partitioner
  .define({
    name: 'partitioner.class',
    type: 'CLASS',
    defaultValue: `${PARTITIONER_PACKAGE}DefaultPartitioner`,
    importance: 'HIGH',
    group: 'Partitioner',
    documentation: `The partitioner to use when writing data to the store: ${Object.keys(PARTITIONER_CLASSES).join(', ')}.`,
  })
  .define({
    name: 'partition.field.name',
    type: 'LIST',
    defaultValue: '',
    importance: 'MEDIUM',
    group: 'Partitioner',
    documentation:
      'The name of the partitioning field when FieldPartitioner is used. You can use a comma-separated list of fields; nested fields with dots.',
  })
  .define({
    name: 'partition.duration.ms',
    type: 'LONG',
    defaultValue: -1,
    importance: 'MEDIUM',
    group: 'Partitioner',
    documentation:
      'The duration of a partition milliseconds used by ``TimeBasedPartitioner``. The default value -1 means that we are not using ``TimeBasedPartitioner``.',
  })
  .define({
    name: 'path.format',
    type: 'STRING',
    defaultValue: '',
    importance: 'MEDIUM',
    group: 'Partitioner',
    documentation:
      "This configuration is used to set the format of the data directories when partitioning with ``TimeBasedPartitioner``. The format set in this configuration converts the Unix timestamp to proper directories strings. For example, if you set ``path.format='year'=YYYY/'month'=MM/'day'=dd/'hour'=HH``, the data directories will have the format ``/year=2015/month=12/day=07/hour=15/``.",
  })
  .define({
    name: 'locale',
    type: 'STRING',
    defaultValue: '',
    importance: 'MEDIUM',
    group: 'Partitioner',
    documentation: 'The locale to use when partitioning with ``TimeBasedPartitioner``. Used to format dates and times.',
  })
  .define({
    name: 'timezone',
    type: 'STRING',
    defaultValue: '',
    importance: 'MEDIUM',
    group: 'Partitioner',
    documentation:
      'The timezone to use when partitioning with ``TimeBasedPartitioner``. Used to format and compute dates and times. All timezone IDs must be specified in the long format, such as ``America/Los_Angeles``, ``America/New_York``, and ``Europe/Paris``, or ``UTC``.',
  })
  .define({
    name: 'timestamp.extractor',
    type: 'STRING',
    defaultValue: 'Wallclock',
    importance: 'MEDIUM',
    group: 'Partitioner',
    documentation:
      'The extractor that gets the timestamp for records when partitioning with ``TimeBasedPartitioner``. It can be set to ``Wallclock``, ``Record`` or ``RecordField`` in order to use one of the built-in timestamp extractors or be given the fully-qualified class name of a user-defined class that extends the ``TimestampExtractor`` interface.',
  })
  .define({
    name: 'timestamp.field',
    type: 'STRING',
    defaultValue: 'timestamp',
    importance: 'MEDIUM',
    group: 'Partitioner',
    documentation:
      'The record field to be used as timestamp by the timestamp extractor. Only applies if ``timestamp.extractor`` is set to ``RecordField``.',
  })

/**
 * Confluent's keys that Ferry does not implement, with the only value it accepts (their default). Setting one to
 * anything else is refused at start, so no key is silently ignored.
 */
export const UNSUPPORTED: Readonly<Record<string, string | null>> = {
  's3.ssea.name': '',
  's3.sse.customer.key': null,
  's3.sse.kms.key.id': '',
  's3.acl.canned': null,
  's3.proxy.url': '',
  's3.proxy.user': null,
  's3.proxy.password': null,
  's3.object.tagging': 'false',
  's3.object.tagging.key.value.pairs': '',
  's3.object.behavior.on.tagging.error': 'ignore',
  's3.send.digest': 'false',
  's3.wan.mode': 'false',
  's3.elastic.buffer.enable': 'false',
  's3.elastic.buffer.init.capacity': '131072',
  'store.kafka.keys': 'false',
  'store.kafka.headers': 'false',
  'keys.format.class': 'io.confluent.connect.s3.format.avro.AvroFormat',
  'headers.format.class': 'io.confluent.connect.s3.format.avro.AvroFormat',
  'tombstone.encoded.partition': 'tombstone',
  'partitioner.max.open.files': '-1',
  's3.schema.partition.affix.type': 'NONE',
  'max.write.duration.ms': '9223372036854775807',
  // StorageSinkConnectorConfig's Hive shutdown wait; Confluent's S3 sink defines it but never reads it.
  'shutdown.timeout.ms': '3000',
}

/** The name of `schemas.cache.config` before Confluent's storage-common 10.0. */
const OLD_SCHEMA_CACHE_SIZE = 'schema.cache.size'

export type TimestampExtractorName = 'Wallclock' | 'Record' | 'RecordField'

export interface S3SinkSettings {
  bucket: string
  region: string
  storeUrl: string | null
  pathStyle: boolean
  accessKeyId: string
  secretAccessKey: string | null
  partSize: number
  compression: 'none' | 'gzip'
  compressionLevel: number
  partRetries: number
  s3RetryBackoffMs: number
  retryBackoffMs: number
  bytearrayExtension: string
  bytearraySeparator: Buffer
  jsonDecimalFormat: 'BASE64' | 'NUMERIC'
  nullValues: 'ignore' | 'fail'
  reportNullValues: boolean
  topicsDir: string
  directoryDelim: string
  fileDelim: string
  format: FormatName
  flushSize: number
  rotateIntervalMs: number
  rotateScheduleIntervalMs: number
  /**
   * Confluent's `enable.conditional.writes` where it applies (`rotate.schedule.interval.ms` not -1; the keys and
   * headers that would turn it off are refused): uploads carry If-None-Match: * (see storage.ts).
   */
  conditionalWrites: boolean
  maxFilesScanLimit: number
  rotateOnPartitionChange: boolean
  zeroPadWidth: number
  avroCodec: 'null' | 'deflate'
  parquetCodec: 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP'
  connectMetaData: boolean
  schemaCacheSize: number
  enhancedAvroSchemaSupport: boolean
  allowOptionalMapKeys: boolean
  expectContinue: boolean
  partitioner: PartitionerName
  partitionFields: string[]
  partitionDurationMs: number
  pathFormat: string
  locale: string
  timezone: string
  timestampExtractor: TimestampExtractorName
  timestampField: string
}

/** Parses and checks a connector config; throws ConfigException naming the first key that is wrong. */
export function s3Settings(props: Record<string, string>): S3SinkSettings {
  for (const [key, accepted] of Object.entries(UNSUPPORTED)) {
    // As Connect parses them: trimmed, booleans in any case.
    const value = props[key]?.trim()
    if (value === undefined || value.toLowerCase() === (accepted ?? '').toLowerCase()) continue
    throw new ConfigException(
      key,
      value,
      `Ferry's S3 sink does not support ${key}${accepted === null ? '' : ` other than ${accepted || 'empty'}`}`,
    )
  }
  const v = S3_CONFIG_DEF.parse(props)
  const oldCacheSize = props[OLD_SCHEMA_CACHE_SIZE]
  if (oldCacheSize !== undefined && Number(oldCacheSize) !== v['schemas.cache.config']) {
    // Confluent's S3 sink ignores the old name since storage-common 10.0; Ferry does not ignore a key that is set.
    throw new ConfigException(
      OLD_SCHEMA_CACHE_SIZE,
      oldCacheSize,
      `Confluent renamed ${OLD_SCHEMA_CACHE_SIZE} schemas.cache.config (kafka-connect-storage-common 10.0): set schemas.cache.config`,
    )
  }
  const storage = v['storage.class'] as string
  if (storage !== S3_STORAGE_CLASS && storage !== 'S3Storage') {
    throw new ConfigException('storage.class', storage, `Ferry's S3 sink supports ${S3_STORAGE_CLASS}`)
  }
  const provider = v['s3.credentials.provider.class'] as string
  if (provider !== DEFAULT_CREDENTIALS_PROVIDER && provider !== 'DefaultAWSCredentialsProviderChain') {
    throw new ConfigException(
      's3.credentials.provider.class',
      provider,
      `Ferry's S3 sink uses the default credential chain (${DEFAULT_CREDENTIALS_PROVIDER}) or aws.access.key.id and aws.secret.access.key`,
    )
  }
  const bucket = v['s3.bucket.name'] as string
  if (!bucket) throw new ConfigException('s3.bucket.name', bucket, 'The bucket name must not be empty')
  const format = resolveClass(FORMAT_CLASSES, 'format.class', v['format.class'] as string)
  const partitioner = resolveClass(PARTITIONER_CLASSES, 'partitioner.class', v['partitioner.class'] as string)
  const accessKeyId = v['aws.access.key.id'] as string
  const secret = (v['aws.secret.access.key'] as Password | null)?.value() ?? null
  if (accessKeyId && !secret) {
    throw new ConfigException('aws.secret.access.key', '[hidden]', 'aws.access.key.id is set: set the secret key too')
  }
  const extractor = v['timestamp.extractor'] as string
  const extractorName = extractor.replace(
    /^io\.confluent\.connect\.storage\.partitioner\.TimeBasedPartitioner\$(\w+)TimestampExtractor$/,
    '$1',
  )
  if (extractorName !== 'Wallclock' && extractorName !== 'Record' && extractorName !== 'RecordField') {
    throw new ConfigException(
      'timestamp.extractor',
      extractor,
      "Ferry's S3 sink supports the built-in extractors Wallclock, Record and RecordField",
    )
  }
  const timezone = v.timezone as string
  if (timezone) checkTimezone(timezone)
  const scheduleMs = v['rotate.schedule.interval.ms'] as number
  if (scheduleMs > 0 && !timezone) {
    throw new ConfigException('timezone', timezone, 'rotate.schedule.interval.ms is set: timezone must be set too')
  }
  const codec = v['parquet.codec'] as string
  const separator = v['format.bytearray.separator'] as string | null
  const settings: S3SinkSettings = {
    bucket,
    region: v['s3.region'] as string,
    storeUrl: (v['store.url'] as string | null) || null,
    pathStyle: v['s3.path.style.access.enabled'] as boolean,
    accessKeyId,
    secretAccessKey: secret,
    partSize: v['s3.part.size'] as number,
    compression: v['s3.compression.type'] as 'none' | 'gzip',
    compressionLevel: v['s3.compression.level'] as number,
    partRetries: v['s3.part.retries'] as number,
    s3RetryBackoffMs: v['s3.retry.backoff.ms'] as number,
    retryBackoffMs: v['retry.backoff.ms'] as number,
    bytearrayExtension: v['format.bytearray.extension'] as string,
    bytearraySeparator: Buffer.from(separator ?? '\n', 'utf8'),
    jsonDecimalFormat: v['json.decimal.format'] as 'BASE64' | 'NUMERIC',
    nullValues: (v['behavior.on.null.values'] as string).toLowerCase() as 'ignore' | 'fail',
    reportNullValues: v['report.null.values.to.dlq'] as boolean,
    topicsDir: v['topics.dir'] as string,
    directoryDelim: v['directory.delim'] as string,
    fileDelim: v['file.delim'] as string,
    format,
    flushSize: v['flush.size'] as number,
    rotateIntervalMs: v['rotate.interval.ms'] as number,
    rotateScheduleIntervalMs: scheduleMs,
    conditionalWrites: (v['enable.conditional.writes'] as boolean) && scheduleMs !== -1,
    maxFilesScanLimit: v['max.files.scan.limit'] as number,
    rotateOnPartitionChange: v['rotate.file.on.partition.change'] as boolean,
    zeroPadWidth: v['filename.offset.zero.pad.width'] as number,
    avroCodec: v['avro.codec'] as 'null' | 'deflate',
    parquetCodec: codec === 'snappy' ? 'SNAPPY' : codec === 'gzip' ? 'GZIP' : 'UNCOMPRESSED',
    connectMetaData: v['connect.meta.data'] as boolean,
    schemaCacheSize: v['schemas.cache.config'] as number,
    enhancedAvroSchemaSupport: v['enhanced.avro.schema.support'] as boolean,
    allowOptionalMapKeys: v['allow.optional.map.keys'] as boolean,
    expectContinue: v['s3.http.send.expect.continue'] as boolean,
    partitioner,
    partitionFields: v['partition.field.name'] as string[],
    partitionDurationMs: v['partition.duration.ms'] as number,
    pathFormat: v['path.format'] as string,
    locale: v.locale as string,
    timezone,
    timestampExtractor: extractorName,
    timestampField: v['timestamp.field'] as string,
  }
  if (settings.compression !== 'none' && (format === 'avro' || format === 'parquet')) {
    throw new ConfigException(
      's3.compression.type',
      settings.compression,
      `s3.compression.type applies to JsonFormat and ByteArrayFormat; ${format === 'avro' ? 'use avro.codec' : 'use parquet.codec'}`,
    )
  }
  if (settings.rotateIntervalMs > 0 && (partitioner === 'default' || partitioner === 'field')) {
    // Confluent logs a warning and ignores the key; Ferry does not ignore keys it accepts.
    throw new ConfigException(
      'rotate.interval.ms',
      settings.rotateIntervalMs,
      'rotate.interval.ms rotates by record time and needs a time-based partitioner (TimeBasedPartitioner, DailyPartitioner or HourlyPartitioner); use rotate.schedule.interval.ms for wall-clock rotation',
    )
  }
  if (partitioner === 'field' && settings.partitionFields.length === 0) {
    throw new ConfigException('partition.field.name', '', 'FieldPartitioner needs at least one field name')
  }
  return settings
}

/** Throws ConfigException when `timezone` is not an IANA zone ID (or UTC) that Intl knows. */
export function checkTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone })
  } catch {
    throw new ConfigException('timezone', timezone, 'Unknown time zone ID: use a long name such as Europe/Paris or UTC')
  }
}
