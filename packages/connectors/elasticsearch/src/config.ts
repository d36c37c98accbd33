/**
 * ElasticsearchSinkConnector's keys: Confluent's names, types, defaults, documentation and validators
 * (ElasticsearchSinkConnectorConfig), and the typed settings a task runs with. Keys Ferry cannot honour (Kerberos, SSL
 * stores it cannot read) are refused by `sinkSettings`, naming the key.
 */
import { readFileSync } from 'node:fs'
import {
  CaseInsensitiveValidString,
  ConfigDef,
  ConfigException,
  type ConfigKeyDefinition,
  Password,
  Range,
  type Validator,
} from '@ferry/api'

export type BehaviorOnNullValues = 'IGNORE' | 'DELETE' | 'FAIL'
export type BehaviorOnMalformedDoc = 'IGNORE' | 'WARN' | 'FAIL'
export type WriteMethod = 'INSERT' | 'UPSERT'
export type ExternalResourceUsage = 'INDEX' | 'DATASTREAM' | 'ALIAS_INDEX' | 'ALIAS_DATASTREAM' | 'DISABLED'

export const CONNECTION_URL_CONFIG = 'connection.url'
export const BATCH_SIZE_CONFIG = 'batch.size'
export const MAX_IN_FLIGHT_REQUESTS_CONFIG = 'max.in.flight.requests'
export const MAX_BUFFERED_RECORDS_CONFIG = 'max.buffered.records'
export const FLUSH_TIMEOUT_MS_CONFIG = 'flush.timeout.ms'
export const BEHAVIOR_ON_NULL_VALUES_CONFIG = 'behavior.on.null.values'
export const BEHAVIOR_ON_MALFORMED_DOCS_CONFIG = 'behavior.on.malformed.documents'
export const TOPIC_TO_EXTERNAL_RESOURCE_MAPPING_CONFIG = 'topic.to.external.resource.mapping'
export const SSL_CONFIG_PREFIX = 'elastic.https.'

const DAY = 24 * 3600 * 1000
const INVALID_NAME_CHARS = /[\\/*?"<>| ,#\-:]/

/** Confluent's DataStreamDatasetValidator / DataStreamNamespaceValidator. */
function dataStreamPartValidator(what: 'dataset' | 'namespace'): Validator {
  return {
    ensureValid(name: string, value: unknown): void {
      if (value == null) return
      const v = String(value)
      if (v.length > 100) {
        throw new ConfigException(name, v, `The specified ${what} must be no longer than 100 characters.`)
      }
      if (v !== v.toLowerCase()) throw new ConfigException(name, v, `The specified ${what} must be in all lowercase.`)
      if (INVALID_NAME_CHARS.test(v)) {
        throw new ConfigException(
          name,
          v,
          `The specified ${what} must not contain any spaces or invalid characters \\/*?"<>|,#-:`,
        )
      }
    },
    toString: () =>
      `A valid ${what} name that is all lowercase, less than 100 characters, and does not contain any spaces or invalid characters \\/*?"<>|,#-:`,
  }
}

/** Confluent's UrlListValidator: every entry must parse as a URI. */
const URL_LIST_VALIDATOR: Validator = {
  ensureValid(name: string, value: unknown): void {
    if (value == null) throw new ConfigException(name, value, 'The config must be provided and non-null.')
    for (const url of value as string[]) {
      if (!URL.canParse(url.includes('://') ? url : `http://${url}`)) {
        throw new ConfigException(name, (value as string[]).join(','), `The provided url '${url}' is not a valid url.`)
      }
    }
  },
  toString: () => 'List of valid URIs.',
}

const CONNECTOR_GROUP = 'Connector'
const DATA_CONVERSION_GROUP = 'Data Conversion'
const PROXY_GROUP = 'Proxy'
const SSL_GROUP = 'Security'
const KERBEROS_GROUP = 'Kerberos'

type Def = Omit<ConfigKeyDefinition, 'group' | 'orderInGroup'>

function group(def: ConfigDef, name: string, keys: Def[]): ConfigDef {
  keys.forEach((k, i) => {
    def.define({ ...k, group: name, orderInGroup: i + 1 })
  })
  return def
}

const SSL_KEYS: Def[] = (
  [
    ['ssl.protocol', 'STRING', 'TLSv1.3', 'The SSL protocol used to generate the SSLContext.'],
    ['ssl.provider', 'STRING', null, 'The name of the security provider used for SSL connections.'],
    ['ssl.cipher.suites', 'LIST', null, 'A list of cipher suites.'],
    ['ssl.enabled.protocols', 'LIST', 'TLSv1.2,TLSv1.3', 'The list of protocols enabled for SSL connections.'],
    ['ssl.keystore.type', 'STRING', 'JKS', 'The file format of the key store file.'],
    ['ssl.keystore.location', 'STRING', null, 'The location of the key store file.'],
    ['ssl.keystore.password', 'PASSWORD', null, 'The store password for the key store file.'],
    ['ssl.key.password', 'PASSWORD', null, 'The password of the private key in the key store file.'],
    ['ssl.keystore.key', 'PASSWORD', null, 'Private key in the format specified by ssl.keystore.type.'],
    ['ssl.keystore.certificate.chain', 'PASSWORD', null, 'Certificate chain in the format of ssl.keystore.type.'],
    ['ssl.truststore.type', 'STRING', 'JKS', 'The file format of the trust store file.'],
    ['ssl.truststore.location', 'STRING', null, 'The location of the trust store file.'],
    ['ssl.truststore.password', 'PASSWORD', null, 'The password for the trust store file.'],
    ['ssl.truststore.certificates', 'PASSWORD', null, 'Trusted certificates in the format of ssl.truststore.type.'],
    ['ssl.keymanager.algorithm', 'STRING', 'SunX509', 'The algorithm used by key manager factory.'],
    ['ssl.trustmanager.algorithm', 'STRING', 'PKIX', 'The algorithm used by trust manager factory.'],
    [
      'ssl.endpoint.identification.algorithm',
      'STRING',
      'https',
      'The endpoint identification algorithm to validate server hostname using server certificate.',
    ],
    ['ssl.secure.random.implementation', 'STRING', null, 'The SecureRandom PRNG implementation to use.'],
    ['ssl.engine.factory.class', 'CLASS', null, 'The class of type SslEngineFactory to provide SSLEngine objects.'],
  ] as [string, ConfigKeyDefinition['type'], string | null, string][]
).map(([name, type, defaultValue, documentation]) => ({
  name: `${SSL_CONFIG_PREFIX}${name}`,
  type,
  defaultValue,
  importance: 'MEDIUM' as const,
  documentation,
}))

/** Every key of Confluent's ElasticsearchSinkConnectorConfig. */
export const CONFIG_DEF: ConfigDef = (() => {
  const def = new ConfigDef()
  group(def, CONNECTOR_GROUP, [
    {
      name: CONNECTION_URL_CONFIG,
      type: 'LIST',
      validator: URL_LIST_VALIDATOR,
      importance: 'HIGH',
      width: 'LONG',
      displayName: 'Connection URLs',
      documentation:
        'The comma-separated list of one or more Elasticsearch URLs, such as ``http://eshost1:9200,http://eshost2:9200`` or ``https://eshost3:9200``. HTTPS is used for all connections if any of the URLs starts with ``https:``. A URL without a protocol is treated as ``http``.',
    },
    {
      name: 'connection.username',
      type: 'STRING',
      defaultValue: null,
      importance: 'MEDIUM',
      displayName: 'Connection Username',
      documentation:
        'The username used to authenticate with Elasticsearch. The default is the null, and authentication will only be performed if  both the username and password are non-null.',
    },
    {
      name: 'connection.password',
      type: 'PASSWORD',
      defaultValue: null,
      importance: 'MEDIUM',
      displayName: 'Connection Password',
      documentation:
        'The password used to authenticate with Elasticsearch. The default is the null, and authentication will only be performed if  both the username and password are non-null.',
    },
    {
      name: 'external.resource.usage',
      type: 'STRING',
      defaultValue: 'DISABLED',
      validator: CaseInsensitiveValidString.in('INDEX', 'DATASTREAM', 'ALIAS_INDEX', 'ALIAS_DATASTREAM', 'DISABLED'),
      importance: 'HIGH',
      displayName: 'External Resource Usage',
      documentation:
        'The type of resource the connector writes to, such as indices, datastreams or aliases. Valid options are INDEX, DATASTREAM, ALIAS_INDEX, ALIAS_DATASTREAM, and DISABLED. When set to DISABLED, the connector will auto-create indices or datastreams based on the topic name and datastream configurations',
    },
    {
      name: TOPIC_TO_EXTERNAL_RESOURCE_MAPPING_CONFIG,
      type: 'LIST',
      defaultValue: '',
      importance: 'HIGH',
      width: 'LONG',
      displayName: 'Topic to External Resource Mapping',
      documentation:
        "A list of topic-to-resource mappings in the format 'topic:resource'. If specified, the connector will use the provided resource name (index, data stream, or alias) instead of the topic name for writing to Elasticsearch. The resource must exist in Elasticsearch before configuring the connector. The type of resource (index, data stream, or alias) is determined by the 'external.resource.usage' configuration.",
    },
    {
      name: 'max.external.resource.mappings',
      type: 'INT',
      defaultValue: 15,
      validator: Range.atLeast(1),
      importance: 'MEDIUM',
      displayName: 'Maximum External Resource Mappings',
      documentation: 'The maximum number of topic-to-external-resource mappings allowed.',
    },
    {
      name: 'data.stream.type',
      type: 'STRING',
      defaultValue: 'NONE',
      importance: 'LOW',
      displayName: 'Data Stream Type',
      documentation:
        'Generic type describing the data to be written to data stream. The default is NONE which indicates the connector will write to regular indices instead. If set, this configuration will be used alongside data.stream.dataset and data.stream.namespace to construct the data stream name in the form of {``data.stream.type``}-{``data.stream.dataset``}-{``data.stream.namespace``}. Custom index templates defined in the destination cluster are supported.',
    },
    {
      name: 'data.stream.dataset',
      type: 'STRING',
      defaultValue: '',
      validator: dataStreamPartValidator('dataset'),
      importance: 'LOW',
      displayName: 'Data Stream Dataset',
      documentation:
        'Generic name describing data ingested and its structure to be written to a data stream. Can be any arbitrary string that is no longer than 100 characters, is in all lowercase, and does not contain spaces or any of these special characters ``/\\*"<>|,#:-``. Otherwise, no value indicates the connector will write to regular indices instead. If set, this configuration will be used alongside ``data.stream.type`` and ``data.stream.namespace`` to construct the data stream name in the form of {``data.stream.type``}-{``data.stream.dataset``}-{``data.stream.namespace``}.',
    },
    {
      name: 'data.stream.namespace',
      type: 'STRING',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Confluent's placeholder, replaced by the topic
      defaultValue: '${topic}',
      validator: dataStreamPartValidator('namespace'),
      importance: 'LOW',
      displayName: 'Data Stream Namespace',
      documentation:
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Confluent's placeholder, replaced by the topic
        'Generic name describing user-configurable arbitrary grouping to be written to a data stream. Can be any arbitrary string that is no longer than 100 characters,  is in all lowercase, and does not contain spaces or any of these special characters ``/\\*"<>|,#:-``. Otherwise, no value indicates the connector will write to regular indices instead. If set, this configuration will be used alongside ``data.stream.type`` and ``data.stream.dataset`` to construct the data stream name in the form of {``data.stream.type``}-{``data.stream.dataset``}-{``data.stream.namespace``}. Defaut value is ``${topic}``, that is to say the topic name.',
    },
    {
      name: 'data.stream.timestamp.field',
      type: 'LIST',
      defaultValue: '',
      importance: 'LOW',
      width: 'LONG',
      displayName: 'Data Stream Timestamp Field',
      documentation:
        'The Kafka record field to use as the timestamp for the ``@timestamp`` field in documents sent to a data stream.\n All documents sent to a data stream needs an ``@timestamp`` field with values of type ``date`` or ``data_nanos``. Otherwise, the document will not be sent. If multiple fields are provided, the first field listed that also appears in the record will be used. If this configuration is left empty, all of the documents will use the Kafka record timestamp as the ``@timestamp`` field value. Note that ``@timestamp`` still needs to be explicitly listed if records already contain this field. This configuration can only be set if ``data.stream.type`` and ``data.stream.dataset`` are set.',
    },
    {
      name: BATCH_SIZE_CONFIG,
      type: 'INT',
      defaultValue: 2000,
      validator: Range.between(1, 1000000),
      importance: 'MEDIUM',
      displayName: 'Batch Size',
      documentation: 'The number of records to process as a batch when writing to Elasticsearch.',
    },
    {
      name: 'bulk.size.bytes',
      type: 'LONG',
      defaultValue: 5 * 1024 * 1024,
      validator: Range.between(-1, 2147483647),
      importance: 'LOW',
      displayName: 'Bulk Size (bytes)',
      documentation:
        "The maximum size (in bytes) to be process as a batch when writing records to Elasticsearch. Setting to '-1' will disable this configuration. If the condition set by 'batch.size' is met first, it will be used instead.",
    },
    {
      name: MAX_IN_FLIGHT_REQUESTS_CONFIG,
      type: 'INT',
      defaultValue: 5,
      validator: Range.between(1, 1000),
      importance: 'MEDIUM',
      displayName: 'Max In-flight Requests',
      documentation:
        'The maximum number of indexing requests that can be in-flight to Elasticsearch before blocking further requests.',
    },
    {
      name: MAX_BUFFERED_RECORDS_CONFIG,
      type: 'INT',
      defaultValue: 20000,
      validator: Range.between(1, 2147483647),
      importance: 'LOW',
      displayName: 'Max Buffered Records',
      documentation:
        'The maximum number of records each task will buffer before blocking acceptance of more records. This config can be used to limit the memory usage for each task.',
    },
    {
      name: 'linger.ms',
      type: 'LONG',
      defaultValue: 1,
      validator: Range.between(0, 7 * DAY),
      importance: 'LOW',
      displayName: 'Linger (ms)',
      documentation:
        'Linger time in milliseconds for batching.\nRecords that arrive in between request transmissions are batched into a single bulk indexing request, based on the ``batch.size`` configuration. Normally this only occurs under load when records arrive faster than they can be sent out. However it may be desirable to reduce the number of requests even under light load and benefit from bulk indexing. This setting helps accomplish that - when a pending batch is not full, rather than immediately sending it out the task will wait up to the given delay to allow other records to be added so that they can be batched into a single request.',
    },
    {
      name: FLUSH_TIMEOUT_MS_CONFIG,
      type: 'LONG',
      defaultValue: 180000,
      validator: Range.between(1000, 7 * DAY),
      importance: 'LOW',
      displayName: 'Flush Timeout (ms)',
      documentation:
        'The timeout in milliseconds to use for periodic flushing, and when waiting for buffer space to be made available by completed requests as records are added. If this timeout is exceeded the task will fail.',
    },
    {
      name: 'flush.synchronously',
      type: 'BOOLEAN',
      defaultValue: false,
      importance: 'LOW',
      displayName: 'Flush synchronously',
      documentation:
        'True if flushes should wait for background processing to finish. This has a throughput penalty and makes the connector less responsive but allows for topic-mutating SMTs (e.g. RegexRouter or TimestampRouter)',
    },
    {
      name: 'max.retries',
      type: 'INT',
      defaultValue: 5,
      validator: Range.between(0, 2147483647),
      importance: 'LOW',
      displayName: 'Max Retries',
      documentation:
        'The maximum number of retries that are allowed for failed indexing requests. If the retry attempts are exhausted the task will fail.',
    },
    {
      name: 'retry.backoff.ms',
      type: 'LONG',
      defaultValue: 100,
      validator: Range.between(0, DAY),
      importance: 'LOW',
      displayName: 'Retry Backoff (ms)',
      documentation:
        'How long to wait in milliseconds before attempting the first retry of a failed indexing request. Upon a failure, this connector may wait up to twice as long as the previous wait, up to the maximum number of retries. This avoids retrying in a tight loop under failure scenarios.',
    },
    {
      name: 'connection.compression',
      type: 'BOOLEAN',
      defaultValue: false,
      importance: 'LOW',
      displayName: 'Compression',
      documentation:
        'Whether to use GZip compression on HTTP connection to ElasticSearch. Valid options are ``true`` and ``false``. Default is ``false``. To make this setting to work the ``http.compression`` setting also needs to be enabled at the Elasticsearch nodes or the load-balancer before using it.',
    },
    {
      name: 'max.connection.idle.time.ms',
      type: 'INT',
      defaultValue: 60000,
      validator: Range.between(-1, DAY),
      importance: 'LOW',
      displayName: 'Max Connection Idle Time',
      documentation: 'How long to wait in milliseconds before dropping an idle connection to prevent a read timeout.',
    },
    {
      name: 'connection.timeout.ms',
      type: 'INT',
      defaultValue: 1000,
      validator: Range.between(0, 12 * 3600 * 1000),
      importance: 'LOW',
      displayName: 'Connection Timeout',
      documentation:
        'How long to wait in milliseconds when establishing a connection to the Elasticsearch server. The task fails if the client fails to connect to the server in this interval, and will need to be restarted.',
    },
    {
      name: 'read.timeout.ms',
      type: 'INT',
      defaultValue: 3000,
      validator: Range.between(0, 7 * DAY),
      importance: 'LOW',
      displayName: 'Read Timeout',
      documentation:
        'How long to wait in milliseconds for the Elasticsearch server to send a response. The task fails if any read operation times out, and will need to be restarted to resume further operations.',
    },
  ])
  group(def, DATA_CONVERSION_GROUP, [
    {
      name: 'key.ignore',
      type: 'BOOLEAN',
      defaultValue: false,
      importance: 'HIGH',
      displayName: 'Ignore Key mode',
      documentation:
        "Whether to ignore the record key for the purpose of forming the Elasticsearch document ID. When this is set to ``true``, document IDs will be generated as the record's ``topic+partition+offset``.\n Note that this is a global config that applies to all topics, use ``topic.key.ignore`` to override as ``true`` for specific topics.",
    },
    {
      name: 'schema.ignore',
      type: 'BOOLEAN',
      defaultValue: false,
      importance: 'LOW',
      displayName: 'Ignore Schema mode',
      documentation:
        'Whether to ignore schemas during indexing. When this is set to ``true``, the record schema will be ignored for the purpose of registering an Elasticsearch mapping. Elasticsearch will infer the mapping from the data (dynamic mapping needs to be enabled by the user).\n Note that this is a global config that applies to all topics, use ``topic.schema.ignore`` to override as ``true`` for specific topics.',
    },
    {
      name: 'compact.map.entries',
      type: 'BOOLEAN',
      defaultValue: true,
      importance: 'LOW',
      displayName: 'Compact Map Entries',
      documentation:
        'Defines how map entries with string keys within record values should be written to JSON. When this is set to ``true``, these entries are written compactly as ``"entryKey": "entryValue"``. Otherwise, map entries with string keys are written as a nested document ``{"key": "entryKey", "value": "entryValue"}``. All map entries with non-string keys are always written as nested documents. Prior to 3.3.0, this connector always wrote map entries as nested documents, so set this to ``false`` to use that older behavior.',
    },
    {
      name: 'topic.key.ignore',
      type: 'LIST',
      defaultValue: '',
      importance: 'LOW',
      width: 'LONG',
      displayName: "Topics for 'Ignore Key' mode",
      documentation: 'List of topics for which ``key.ignore`` should be ``true``.',
    },
    {
      name: 'topic.schema.ignore',
      type: 'LIST',
      defaultValue: '',
      importance: 'LOW',
      width: 'LONG',
      displayName: "Topics for 'Ignore Schema' mode",
      documentation: 'List of topics for which ``schema.ignore`` should be ``true``.',
    },
    {
      name: 'drop.invalid.message',
      type: 'BOOLEAN',
      defaultValue: false,
      importance: 'LOW',
      width: 'LONG',
      displayName: 'Drop invalid messages',
      documentation: 'Whether to drop kafka message when it cannot be converted to output message.',
    },
    {
      name: BEHAVIOR_ON_NULL_VALUES_CONFIG,
      type: 'STRING',
      defaultValue: 'FAIL',
      validator: CaseInsensitiveValidString.in('IGNORE', 'DELETE', 'FAIL'),
      importance: 'LOW',
      displayName: 'Behavior for null-valued records',
      documentation:
        "How to handle records with a non-null key and a null value (i.e. Kafka tombstone records). Valid options are 'ignore', 'delete', and 'fail'.",
    },
    {
      name: BEHAVIOR_ON_MALFORMED_DOCS_CONFIG,
      type: 'STRING',
      defaultValue: 'FAIL',
      validator: CaseInsensitiveValidString.in('IGNORE', 'WARN', 'FAIL'),
      importance: 'LOW',
      displayName: 'Behavior on malformed documents',
      documentation:
        "How to handle records that Elasticsearch rejects due to some malformation of the document itself, such as an index mapping conflict, a field name containing illegal characters, or a record with a missing id. Valid options are ignore', 'warn', and 'fail'.",
    },
    {
      name: 'external.version.header',
      type: 'STRING',
      defaultValue: '',
      importance: 'LOW',
      displayName: 'External Version Header Name',
      documentation:
        'Header name to pull value for external versioning, defaults to using the kafka record offset.  Must have a numeric value.',
    },
    {
      name: 'write.method',
      type: 'STRING',
      defaultValue: 'INSERT',
      validator: CaseInsensitiveValidString.in('INSERT', 'UPSERT'),
      importance: 'LOW',
      displayName: 'Write Method',
      documentation:
        'Method used for writing data to Elasticsearch, and one of INSERT or UPSERT. The default method is INSERT, in which the connector constructs a document from the record value and inserts that document into Elasticsearch, completely replacing any existing document with the same ID; this matches previous behavior. The UPSERT method will create a new document if one with the specified ID does not yet exist, or will update an existing document with the same ID by adding/replacing only those fields present in the record value. The UPSERT method may require additional time and resources of Elasticsearch, so consider increasing the read.timeout.ms and decreasing the batch.size configuration properties.',
    },
    {
      name: 'use.autogenerated.ids',
      type: 'BOOLEAN',
      defaultValue: false,
      importance: 'MEDIUM',
      displayName: 'Elasticsearch Generated IDs',
      documentation:
        'Whether to use auto-generated Elasticsearch document IDs for insertion requests. Note that this setting removes exactly once guarantees and message delivery will be at least once. Only applies if write.method is set to INSERT.When this is set to ``true``, ``key.ignore`` option will also be ignored when sending data to Elasticsearch',
    },
  ])
  group(def, PROXY_GROUP, [
    {
      name: 'proxy.host',
      type: 'STRING',
      defaultValue: '',
      importance: 'LOW',
      width: 'LONG',
      displayName: 'Proxy Host',
      documentation: 'The address of the proxy host to connect through. Supports the basic authentication scheme only.',
    },
    {
      name: 'proxy.port',
      type: 'INT',
      defaultValue: 8080,
      validator: Range.between(1, 65535),
      importance: 'LOW',
      displayName: 'Proxy Port',
      documentation: 'The port of the proxy host to connect through.',
    },
    {
      name: 'proxy.username',
      type: 'STRING',
      defaultValue: '',
      importance: 'LOW',
      displayName: 'Proxy Username',
      documentation: 'The username for the proxy host.',
    },
    {
      name: 'proxy.password',
      type: 'PASSWORD',
      defaultValue: null,
      importance: 'LOW',
      displayName: 'Proxy Password',
      documentation: 'The password for the proxy host.',
    },
  ])
  group(def, SSL_GROUP, [
    {
      name: 'elastic.security.protocol',
      type: 'STRING',
      defaultValue: 'PLAINTEXT',
      validator: CaseInsensitiveValidString.in('PLAINTEXT', 'SSL'),
      importance: 'MEDIUM',
      displayName: 'Security protocol',
      documentation:
        'The security protocol to use when connecting to Elasticsearch. Values can be `PLAINTEXT` or `SSL`. If `PLAINTEXT` is passed, all configs prefixed by elastic.https. will be ignored.',
    },
    ...SSL_KEYS,
  ])
  group(def, KERBEROS_GROUP, [
    {
      name: 'kerberos.user.principal',
      type: 'STRING',
      defaultValue: null,
      importance: 'LOW',
      displayName: 'Kerberos User Principal',
      documentation: 'The Kerberos user principal the connector may use to authenticate with Kerberos.',
    },
    {
      name: 'kerberos.keytab.path',
      type: 'STRING',
      defaultValue: null,
      importance: 'LOW',
      displayName: 'Kerberos Keytab File Path',
      documentation: 'The path to the keytab file to use for authentication with Kerberos.',
    },
  ])
  return def
})()

/** TLS settings for `elastic.security.protocol=SSL`: PEM text or PKCS12 bytes as Node's TLS takes them. */
export interface TlsSettings {
  ca?: string[]
  cert?: string
  key?: string
  pfx?: Buffer
  passphrase?: string
  checkServerIdentity: boolean
  minVersion: 'TLSv1.2' | 'TLSv1.3'
  maxVersion: 'TLSv1.2' | 'TLSv1.3'
}

export interface SinkSettings {
  connectionUrls: string[]
  username: string | null
  password: string | null
  externalResourceUsage: ExternalResourceUsage
  topicToResource: Map<string, string>
  dataStreamType: string
  dataStreamDataset: string
  dataStreamNamespace: string
  dataStreamTimestampField: string[]
  batchSize: number
  bulkSizeBytes: number
  maxInFlightRequests: number
  maxBufferedRecords: number
  lingerMs: number
  flushTimeoutMs: number
  flushSynchronously: boolean
  maxRetries: number
  retryBackoffMs: number
  compression: boolean
  maxIdleTimeMs: number
  connectionTimeoutMs: number
  readTimeoutMs: number
  ignoreKey: boolean
  ignoreSchema: boolean
  compactMapEntries: boolean
  ignoreKeyTopics: Set<string>
  ignoreSchemaTopics: Set<string>
  dropInvalidMessage: boolean
  behaviorOnNullValues: BehaviorOnNullValues
  behaviorOnMalformedDoc: BehaviorOnMalformedDoc
  externalVersionHeader: string
  writeMethod: WriteMethod
  useAutogeneratedIds: boolean
  proxy: { host: string; port: number; username: string; password: string | null } | null
  tls: TlsSettings | null
  /** Derived: documents go to data streams (op type create, no versioning). */
  isDataStream: boolean
}

const javaValue = (v: unknown): unknown => (Array.isArray(v) ? v.join(',') : v)
const secret = (v: unknown): string | null => (v instanceof Password ? v.value() : v == null ? null : String(v))

/** Confluent's getTopicToExternalResourceMap, with its messages. */
function topicToResourceMap(mappings: string[], max: number): Map<string, string> {
  const out = new Map<string, string>()
  const resources = new Set<string>()
  for (const mapping of mappings) {
    const parts = mapping.split(':')
    if (parts.length !== 2) {
      throw new ConfigException(
        TOPIC_TO_EXTERNAL_RESOURCE_MAPPING_CONFIG,
        mapping,
        'Invalid topic-to-resource mapping format. The expected format: topic:resource',
      )
    }
    const topic = parts[0]!.trim()
    const resource = parts[1]!.trim()
    if (out.has(topic)) {
      throw new ConfigException(
        TOPIC_TO_EXTERNAL_RESOURCE_MAPPING_CONFIG,
        mapping,
        `Topic '${topic}' is mapped to multiple resources. Each topic must be mapped to exactly one resource.`,
      )
    }
    if (resources.has(resource)) {
      throw new ConfigException(
        TOPIC_TO_EXTERNAL_RESOURCE_MAPPING_CONFIG,
        mapping,
        `Resource '${resource}' is mapped from multiple topics. Each resource must be mapped to exactly one topic.`,
      )
    }
    out.set(topic, resource)
    resources.add(resource)
  }
  if (out.size > max) {
    throw new ConfigException(
      TOPIC_TO_EXTERNAL_RESOURCE_MAPPING_CONFIG,
      `[${mappings.join(', ')}]`,
      `Too many topic-to-external-resource mappings are configured (${out.size}). Maximum allowed limit is ${max}.`,
    )
  }
  return out
}

const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const

/** Reads the `elastic.https.ssl.*` keys into Node's TLS options; what Node cannot honour is refused, naming the key. */
function tlsSettings(v: Record<string, unknown>, readFile: (path: string) => Buffer): TlsSettings {
  const k = (name: string) => v[`${SSL_CONFIG_PREFIX}ssl.${name}`]
  const read = (name: string): Buffer => {
    const path = String(k(name))
    try {
      return readFile(path)
    } catch (e) {
      throw new ConfigException(`${SSL_CONFIG_PREFIX}ssl.${name}`, path, `cannot be read: ${(e as Error).message}`)
    }
  }
  const refuseUnless = (name: string, ok: boolean, why: string) => {
    if (!ok) throw new ConfigException(`${SSL_CONFIG_PREFIX}ssl.${name}`, String(k(name)), why)
  }
  refuseUnless('provider', k('provider') == null, 'Java security providers do not exist in Ferry; leave it unset')
  refuseUnless('keymanager.algorithm', k('keymanager.algorithm') === 'SunX509', 'Ferry supports only SunX509')
  refuseUnless('trustmanager.algorithm', k('trustmanager.algorithm') === 'PKIX', 'Ferry supports only PKIX')
  refuseUnless('secure.random.implementation', k('secure.random.implementation') == null, 'not supported by Ferry')
  refuseUnless('engine.factory.class', k('engine.factory.class') == null, 'not supported by Ferry')
  refuseUnless(
    'cipher.suites',
    k('cipher.suites') == null || (k('cipher.suites') as string[]).length === 0,
    'Ferry uses Node.js default cipher suites; leave it unset',
  )
  const protocols = (k('enabled.protocols') as string[]).filter((p) => p)
  for (const p of protocols) {
    refuseUnless(
      'enabled.protocols',
      (TLS_VERSIONS as readonly string[]).includes(p),
      'Ferry supports TLSv1.2, TLSv1.3',
    )
  }
  const out: TlsSettings = {
    checkServerIdentity:
      k('endpoint.identification.algorithm') !== '' && k('endpoint.identification.algorithm') != null,
    minVersion: protocols.includes('TLSv1.2') || protocols.length === 0 ? 'TLSv1.2' : 'TLSv1.3',
    maxVersion: protocols.includes('TLSv1.3') || protocols.length === 0 ? 'TLSv1.3' : 'TLSv1.2',
  }
  const trustType = String(k('truststore.type')).toUpperCase()
  const trustInline = secret(k('truststore.certificates'))
  const trustLocation = (k('truststore.location') as string | null) || null
  if (trustInline || trustLocation) {
    refuseUnless(
      'truststore.type',
      trustType === 'PEM',
      'Ferry reads trust stores as PEM only: set it to PEM and give a PEM file (keytool -exportcert -rfc writes one)',
    )
    out.ca = [trustInline ?? read('truststore.location').toString('utf8')]
  }
  const keyType = String(k('keystore.type')).toUpperCase()
  const keyInline = secret(k('keystore.key'))
  const keyLocation = (k('keystore.location') as string | null) || null
  const keyPassword = secret(k('key.password')) ?? secret(k('keystore.password')) ?? undefined
  if (keyInline) {
    refuseUnless('keystore.type', keyType === 'PEM', 'ssl.keystore.key needs keystore type PEM')
    out.key = keyInline
    out.cert = secret(k('keystore.certificate.chain')) ?? undefined
    out.passphrase = keyPassword
  } else if (keyLocation) {
    refuseUnless(
      'keystore.type',
      keyType === 'PEM' || keyType === 'PKCS12',
      'Ferry reads key stores as PKCS12 or PEM (keytool -importkeystore -deststoretype PKCS12 converts a JKS one)',
    )
    const bytes = read('keystore.location')
    if (keyType === 'PKCS12') {
      out.pfx = bytes
      out.passphrase = secret(k('keystore.password')) ?? undefined
    } else {
      out.key = bytes.toString('utf8')
      out.cert = bytes.toString('utf8')
      out.passphrase = keyPassword
    }
  }
  return out
}

/**
 * Parses and checks a config as the task runs it: Confluent's single-key validators through `CONFIG_DEF`, the
 * combinations its Validator checks, and what Ferry refuses. Throws `ConfigException` naming the key.
 */
export function sinkSettings(
  props: Record<string, string>,
  readFile: (path: string) => Buffer = readFileSync,
): SinkSettings {
  const v = CONFIG_DEF.parse(props)
  for (const problem of combinationProblems(v)) {
    throw new ConfigException(problem.keys[0]!, javaValue(v[problem.keys[0]!]), problem.message)
  }
  for (const problem of sslProblems(props))
    throw new ConfigException(problem.keys[0]!, props[problem.keys[0]!], problem.message)
  const str = (name: string) => v[name] as string
  const usage = str('external.resource.usage').toUpperCase() as ExternalResourceUsage
  const dataStreamType = str('data.stream.type')
  const dataStreamDataset = str('data.stream.dataset')
  const isDataStream =
    usage !== 'DISABLED'
      ? usage === 'DATASTREAM' || usage === 'ALIAS_DATASTREAM'
      : dataStreamType.toUpperCase() !== 'NONE' && dataStreamDataset !== ''
  const username = v['connection.username'] as string | null
  const password = secret(v['connection.password'])
  const proxyHost = str('proxy.host')
  return {
    connectionUrls: (v[CONNECTION_URL_CONFIG] as string[]).map((u) => {
      const withScheme = u.includes('://') ? u : `http://${u}`
      return withScheme.endsWith('/') ? withScheme.slice(0, -1) : withScheme
    }),
    username,
    password,
    externalResourceUsage: usage,
    topicToResource:
      usage === 'DISABLED'
        ? new Map()
        : topicToResourceMap(
            v[TOPIC_TO_EXTERNAL_RESOURCE_MAPPING_CONFIG] as string[],
            v['max.external.resource.mappings'] as number,
          ),
    dataStreamType,
    dataStreamDataset,
    dataStreamNamespace: str('data.stream.namespace'),
    dataStreamTimestampField: v['data.stream.timestamp.field'] as string[],
    batchSize: v[BATCH_SIZE_CONFIG] as number,
    bulkSizeBytes: Number(v['bulk.size.bytes']),
    maxInFlightRequests: v[MAX_IN_FLIGHT_REQUESTS_CONFIG] as number,
    maxBufferedRecords: v[MAX_BUFFERED_RECORDS_CONFIG] as number,
    lingerMs: Number(v['linger.ms']),
    flushTimeoutMs: Number(v[FLUSH_TIMEOUT_MS_CONFIG]),
    flushSynchronously: v['flush.synchronously'] as boolean,
    maxRetries: v['max.retries'] as number,
    retryBackoffMs: Number(v['retry.backoff.ms']),
    compression: v['connection.compression'] as boolean,
    maxIdleTimeMs: v['max.connection.idle.time.ms'] as number,
    connectionTimeoutMs: v['connection.timeout.ms'] as number,
    readTimeoutMs: v['read.timeout.ms'] as number,
    ignoreKey: v['key.ignore'] as boolean,
    ignoreSchema: v['schema.ignore'] as boolean,
    compactMapEntries: v['compact.map.entries'] as boolean,
    ignoreKeyTopics: new Set(v['topic.key.ignore'] as string[]),
    ignoreSchemaTopics: new Set(v['topic.schema.ignore'] as string[]),
    dropInvalidMessage: v['drop.invalid.message'] as boolean,
    behaviorOnNullValues: str(BEHAVIOR_ON_NULL_VALUES_CONFIG).toUpperCase() as BehaviorOnNullValues,
    behaviorOnMalformedDoc: str(BEHAVIOR_ON_MALFORMED_DOCS_CONFIG).toUpperCase() as BehaviorOnMalformedDoc,
    externalVersionHeader: str('external.version.header'),
    writeMethod: str('write.method').toUpperCase() as WriteMethod,
    useAutogeneratedIds: v['use.autogenerated.ids'] as boolean,
    proxy: proxyHost
      ? {
          host: proxyHost,
          port: v['proxy.port'] as number,
          username: str('proxy.username'),
          password: secret(v['proxy.password']),
        }
      : null,
    tls: str('elastic.security.protocol').toUpperCase() === 'SSL' ? tlsSettings(v, readFile) : null,
    isDataStream,
  }
}

/** One problem with a combination of keys, reported on each of `keys`. */
export interface KeyProblem {
  keys: string[]
  message: string
}

/**
 * The combinations Confluent's Validator refuses (credentials, data streams, ignore lists, linger, buffer, proxy, SSL),
 * plus Kerberos, which Ferry does not support. `v` holds parsed values.
 */
export function combinationProblems(v: Record<string, unknown>): KeyProblem[] {
  const out: KeyProblem[] = []
  const str = (name: string) => (v[name] as string | null) ?? ''
  const num = (name: string) => Number(v[name])
  if ((v['connection.username'] == null) !== (v['connection.password'] == null)) {
    out.push({
      keys: ['connection.username', 'connection.password'],
      message: "Both 'connection.username' and 'connection.password' must be set.",
    })
  }
  const usage = str('external.resource.usage').toUpperCase()
  const typeNone = str('data.stream.type').toUpperCase() === 'NONE'
  const mappings = v[TOPIC_TO_EXTERNAL_RESOURCE_MAPPING_CONFIG] as string[]
  if ((usage !== 'DISABLED') !== mappings.length > 0) {
    out.push({
      keys: ['external.resource.usage', TOPIC_TO_EXTERNAL_RESOURCE_MAPPING_CONFIG],
      message:
        "Invalid configuration: 'external.resource.usage' and 'topic.to.external.resource.mapping' must be set together.",
    })
  } else if (usage !== 'DISABLED' && (!typeNone || str('data.stream.dataset') !== '')) {
    out.push({
      keys: [TOPIC_TO_EXTERNAL_RESOURCE_MAPPING_CONFIG, 'data.stream.type', 'data.stream.dataset'],
      message:
        'Resource mapping mode and data stream configs are mutually exclusive. When using topic.to.external.resource.mapping, data stream configs (data.stream.type, data.stream.dataset) must not be set.',
    })
  }
  if (typeNone !== (str('data.stream.dataset') === '')) {
    out.push({
      keys: ['data.stream.type', 'data.stream.dataset'],
      message: "Either both or neither 'data.stream.dataset' and 'data.stream.type' must be set.",
    })
  }
  const isDataStream =
    usage !== 'DISABLED'
      ? usage === 'DATASTREAM' || usage === 'ALIAS_DATASTREAM'
      : !typeNone && str('data.stream.dataset') !== ''
  if (!isDataStream) {
    if ((v['data.stream.timestamp.field'] as string[]).length > 0) {
      out.push({
        keys: ['data.stream.timestamp.field'],
        message:
          "Mapping a field to the '@timestamp' field is only necessary when working with data streams. data.stream.timestamp.field must not be set when not using data streams.",
      })
    }
  } else if (str('write.method').toUpperCase() === 'UPSERT') {
    out.push({
      keys: ['write.method'],
      message: 'Upserts are not supported with data streams. write.method must not be UPSERT when using data streams.',
    })
  } else if (str(BEHAVIOR_ON_NULL_VALUES_CONFIG).toUpperCase() === 'DELETE') {
    out.push({
      keys: [BEHAVIOR_ON_NULL_VALUES_CONFIG],
      message:
        'Deletes are not supported with data streams. behavior.on.null.values must not be DELETE when using data streams.',
    })
  }
  if (v['key.ignore'] === true && (v['topic.key.ignore'] as string[]).length > 0) {
    out.push({
      keys: ['key.ignore', 'topic.key.ignore'],
      message: "'topic.key.ignore' can not be set if 'key.ignore' is true.",
    })
  }
  if (v['schema.ignore'] === true && (v['topic.schema.ignore'] as string[]).length > 0) {
    out.push({
      keys: ['schema.ignore', 'topic.schema.ignore'],
      message: "'topic.schema.ignore' can not be set if 'schema.ignore' is true.",
    })
  }
  if (v['kerberos.user.principal'] != null || v['kerberos.keytab.path'] != null) {
    out.push({
      keys: [v['kerberos.user.principal'] != null ? 'kerberos.user.principal' : 'kerberos.keytab.path'],
      message: 'Kerberos authentication is not supported by Ferry; use connection.username and connection.password',
    })
  }
  if (num('linger.ms') > num(FLUSH_TIMEOUT_MS_CONFIG)) {
    out.push({
      keys: ['linger.ms', FLUSH_TIMEOUT_MS_CONFIG],
      message: `'linger.ms' (${num('linger.ms')}) can not be larger than 'flush.timeout.ms' (${num(FLUSH_TIMEOUT_MS_CONFIG)}).`,
    })
  }
  if (num(MAX_BUFFERED_RECORDS_CONFIG) < num(BATCH_SIZE_CONFIG) * num(MAX_IN_FLIGHT_REQUESTS_CONFIG)) {
    out.push({
      keys: [MAX_BUFFERED_RECORDS_CONFIG, BATCH_SIZE_CONFIG, MAX_IN_FLIGHT_REQUESTS_CONFIG],
      message: `'max.buffered.records' (${num(MAX_BUFFERED_RECORDS_CONFIG)}) must be larger than or equal to 'batch.size' (${num(BATCH_SIZE_CONFIG)}) x max.in.flight.requests (${num(MAX_IN_FLIGHT_REQUESTS_CONFIG)}).`,
    })
  }
  if (str('proxy.host') === '') {
    if (str('proxy.username') !== '') {
      out.push({ keys: ['proxy.username', 'proxy.host'], message: "'proxy.host' must be set to use 'proxy.username'." })
    }
    if (v['proxy.password'] != null) {
      out.push({ keys: ['proxy.password', 'proxy.host'], message: "'proxy.host' must be set to use 'proxy.password'." })
    }
  } else if ((str('proxy.username') === '') !== (v['proxy.password'] == null)) {
    out.push({
      keys: ['proxy.username', 'proxy.password'],
      message: "Either both or neither 'proxy.username' and 'proxy.password' can be set.",
    })
  }
  return out
}

/** Confluent's SSL check, which looks at the keys as given (any `elastic.https.*` key set) rather than parsed. */
export function sslProblems(props: Record<string, string>): KeyProblem[] {
  const ssl = (props['elastic.security.protocol'] ?? 'PLAINTEXT').trim().toUpperCase() === 'SSL'
  const sslKeys = Object.keys(props).some((k) => k.startsWith(SSL_CONFIG_PREFIX))
  if (!ssl && sslKeys) {
    return [
      {
        keys: ['elastic.security.protocol'],
        message: "'elastic.security.protocol' must be set to 'SSL' to use SSL configs.",
      },
    ]
  }
  if (ssl && !sslKeys) {
    return [
      {
        keys: ['elastic.security.protocol'],
        message:
          "At least these SSL configs ('elastic.https.ssl.keystore.location', 'elastic.https.ssl.keystore.password', 'elastic.https.ssl.truststore.location', and 'elastic.https.ssl.truststore.password') must be present for SSL support. Otherwise set 'elastic.security.protocol' to 'PLAINTEXT'.",
      },
    ]
  }
  return []
}
