/**
 * The connector config definition (Apache's `ConnectorConfig`, `SourceConnectorConfig` and `SinkConnectorConfig` of
 * 4.4, with the KIP-891 `*.plugin.version` keys): every framework key with Apache's type, default, group, order,
 * width, display name and documentation, word for word. `config/validate`, `GET /connector-plugins/{p}/config` and the
 * runtime's parsing all take the keys from here; validation adds the plugin-aware defaults and checks
 * (`ConnectorConfigDefOptions`). Ferry's own keys (dead letter queue on sources, `errors.restart.*`) follow.
 */
import {
  CaseInsensitiveValidString,
  CompositeValidator,
  ConfigDef,
  ConfigException,
  type ConfigKeyDefinition,
  LambdaValidator,
  NonEmptyString,
  NonEmptyStringWithoutControlChars,
  NonNullValidator,
  Range,
  type Recommender,
  type Validator,
  ValidString,
} from '@ferry/api'

export const COMMON_GROUP = 'Common'
export const TRANSFORMS_GROUP = 'Transforms'
export const PREDICATES_GROUP = 'Predicates'
export const ERROR_GROUP = 'Error Handling'
export const TOPIC_CREATION_GROUP = 'Topic Creation'
export const EXACTLY_ONCE_SUPPORT_GROUP = 'Exactly Once Support'
export const OFFSETS_TOPIC_GROUP = 'offsets.topic'

/** The converter keys of a connector config, with the plugin kind each names. */
export const CONVERTER_KEYS = [
  { key: 'key.converter', kind: 'converter', type: 'key', what: 'key converter' },
  { key: 'value.converter', kind: 'converter', type: 'value', what: 'value converter' },
  { key: 'header.converter', kind: 'header_converter', type: 'header', what: 'header converter' },
] as const

export type ConverterKey = (typeof CONVERTER_KEYS)[number]['key']
export type ConverterKind = (typeof CONVERTER_KEYS)[number]['kind']

/** `Duplicate alias provided.` for a LIST of aliases. */
export function aliasValidator(kind: string): Validator {
  return CompositeValidator.of(
    NonNullValidator,
    LambdaValidator.with(
      (name, value) => {
        const aliases = value as unknown[]
        if (aliases.length > new Set(aliases).size) throw new ConfigException(name, value, 'Duplicate alias provided.')
      },
      () => `unique ${kind} aliases`,
    ),
  )
}

/**
 * What Apache 4.4's `ConnectorConfig.enrichedConfigDef` adds to the static definition: defaults from the worker and
 * the installed plugins, and the plugin-aware checks and suggestions of the class and version keys. Without them the
 * definition is Apache's static `configDef()`.
 */
export interface ConnectorConfigDefOptions {
  /** The default of `connector.plugin.version`: the version of the connector that runs. */
  connectorVersion?: string | null
  /** The default class and version of each converter key (from the connector config or the worker's). */
  converters?: Partial<Record<ConverterKey, { className: string | null; version: string | null }>>
  plugins?: {
    /** Recommends the connector class's versions. */
    connectorVersions: Recommender
    /** Checks and recommends the class of a converter key. */
    converterClass(kind: ConverterKind): { validator: Validator; recommender: Recommender }
    /** Recommends the versions of the class a converter key names. */
    converterVersions(key: ConverterKey, kind: ConverterKind): Recommender
  }
}

function define(def: ConfigDef, key: Omit<ConfigKeyDefinition, 'documentation'>): void {
  def.define({ ...key, documentation: DOC[key.name] ?? null })
}

/** Apache's `ConnectorConfig.configDef()` (4.4, with the KIP-891 `*.plugin.version` keys). */
export function connectorConfigDef(options: ConnectorConfigDefOptions = {}): ConfigDef {
  const def = new ConfigDef()
  let order = 0
  define(def, {
    name: 'name',
    type: 'STRING',
    validator: NonEmptyStringWithoutControlChars,
    importance: 'HIGH',
    group: COMMON_GROUP,
    orderInGroup: ++order,
    width: 'MEDIUM',
    displayName: 'Connector name',
  })
  define(def, {
    name: 'connector.class',
    type: 'STRING',
    importance: 'HIGH',
    group: COMMON_GROUP,
    orderInGroup: ++order,
    width: 'LONG',
    displayName: 'Connector class',
  })
  define(def, {
    name: 'connector.plugin.version',
    type: 'STRING',
    defaultValue: options.connectorVersion ?? null,
    importance: 'MEDIUM',
    group: COMMON_GROUP,
    orderInGroup: ++order,
    width: 'MEDIUM',
    displayName: 'Connector version',
    recommender: options.plugins?.connectorVersions ?? null,
  })
  define(def, {
    name: 'tasks.max',
    type: 'INT',
    defaultValue: 1,
    validator: Range.atLeast(1),
    importance: 'HIGH',
    group: COMMON_GROUP,
    orderInGroup: ++order,
    width: 'SHORT',
    displayName: 'Tasks max',
  })
  define(def, {
    name: 'tasks.max.enforce',
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'LOW',
    group: COMMON_GROUP,
    orderInGroup: ++order,
    width: 'SHORT',
    displayName: 'Enforce tasks max',
  })
  for (const c of CONVERTER_KEYS) {
    const label = c.type === 'header' ? 'Header' : c.type === 'key' ? 'Key' : 'Value'
    const resolved = options.converters?.[c.key]
    const plugins = options.plugins?.converterClass(c.kind)
    define(def, {
      name: c.key,
      type: 'CLASS',
      defaultValue: resolved?.className ?? null,
      validator: plugins?.validator ?? null,
      importance: 'LOW',
      group: COMMON_GROUP,
      orderInGroup: ++order,
      width: 'SHORT',
      displayName: `${label} converter class`,
      recommender: plugins?.recommender ?? null,
    })
    define(def, {
      name: `${c.key}.plugin.version`,
      type: 'STRING',
      defaultValue: resolved?.version ?? null,
      importance: 'LOW',
      group: COMMON_GROUP,
      orderInGroup: ++order,
      width: 'SHORT',
      displayName: `${label} converter version`,
      recommender: options.plugins?.converterVersions(c.key, c.kind) ?? null,
    })
  }
  define(def, {
    name: 'transforms',
    type: 'LIST',
    defaultValue: [],
    validator: aliasValidator('transformation'),
    importance: 'LOW',
    group: TRANSFORMS_GROUP,
    orderInGroup: ++order,
    width: 'LONG',
    displayName: 'Transforms',
  })
  define(def, {
    name: 'predicates',
    type: 'LIST',
    defaultValue: [],
    validator: aliasValidator('predicate'),
    importance: 'LOW',
    group: PREDICATES_GROUP,
    orderInGroup: ++order,
    width: 'LONG',
    displayName: 'Predicates',
  })
  define(def, {
    name: 'config.action.reload',
    type: 'STRING',
    defaultValue: 'restart',
    validator: ValidString.in('none', 'restart'),
    importance: 'LOW',
    group: COMMON_GROUP,
    orderInGroup: ++order,
    width: 'MEDIUM',
    displayName: 'Reload Action',
  })
  let errorOrder = 0
  define(def, {
    name: 'errors.retry.timeout',
    type: 'LONG',
    defaultValue: 0,
    importance: 'MEDIUM',
    group: ERROR_GROUP,
    orderInGroup: ++errorOrder,
    width: 'MEDIUM',
    displayName: 'Retry Timeout for Errors',
  })
  define(def, {
    name: 'errors.retry.delay.max.ms',
    type: 'LONG',
    defaultValue: 60000,
    importance: 'MEDIUM',
    group: ERROR_GROUP,
    orderInGroup: ++errorOrder,
    width: 'MEDIUM',
    displayName: 'Maximum Delay Between Retries for Errors',
  })
  define(def, {
    name: 'errors.tolerance',
    type: 'STRING',
    defaultValue: 'none',
    validator: ValidString.in('none', 'all'),
    importance: 'MEDIUM',
    group: ERROR_GROUP,
    orderInGroup: ++errorOrder,
    width: 'SHORT',
    displayName: 'Error Tolerance',
  })
  define(def, {
    name: 'errors.log.enable',
    type: 'BOOLEAN',
    defaultValue: false,
    importance: 'MEDIUM',
    group: ERROR_GROUP,
    orderInGroup: ++errorOrder,
    width: 'SHORT',
    displayName: 'Log Errors',
  })
  define(def, {
    name: 'errors.log.include.messages',
    type: 'BOOLEAN',
    defaultValue: false,
    importance: 'MEDIUM',
    group: ERROR_GROUP,
    orderInGroup: ++errorOrder,
    width: 'SHORT',
    displayName: 'Log Error Details',
  })
  return def
}

/** Apache's `SourceConnectorConfig.configDef()`. */
export function sourceConnectorConfigDef(options: ConnectorConfigDefOptions = {}): ConfigDef {
  const def = connectorConfigDef(options)
  let order = 0
  define(def, {
    name: 'topic.creation.groups',
    type: 'LIST',
    defaultValue: [],
    validator: CompositeValidator.of(
      NonNullValidator,
      LambdaValidator.with(
        (name, value) => {
          const aliases = value as unknown[]
          if (aliases.length > new Set(aliases).size)
            throw new ConfigException(name, value, 'Duplicate alias provided.')
        },
        () => 'unique topic creation groups',
      ),
    ),
    importance: 'LOW',
    group: TOPIC_CREATION_GROUP,
    orderInGroup: ++order,
    width: 'LONG',
    displayName: 'Topic Creation Groups',
  })
  define(def, {
    name: 'exactly.once.support',
    type: 'STRING',
    defaultValue: 'requested',
    validator: CaseInsensitiveValidString.in('requested', 'required'),
    importance: 'MEDIUM',
    group: EXACTLY_ONCE_SUPPORT_GROUP,
    orderInGroup: ++order,
    width: 'SHORT',
    displayName: 'Exactly once support',
  })
  define(def, {
    name: 'transaction.boundary',
    type: 'STRING',
    defaultValue: 'poll',
    validator: CaseInsensitiveValidString.in('poll', 'interval', 'connector'),
    importance: 'MEDIUM',
    group: EXACTLY_ONCE_SUPPORT_GROUP,
    orderInGroup: ++order,
    width: 'SHORT',
    displayName: 'Transaction Boundary',
  })
  const atLeastZero = Range.atLeast(0)
  define(def, {
    name: 'transaction.boundary.interval.ms',
    type: 'LONG',
    defaultValue: null,
    validator: LambdaValidator.with(
      (name, value) => {
        if (value !== null && value !== undefined) atLeastZero.ensureValid(name, value)
      },
      () => String(atLeastZero),
    ),
    importance: 'LOW',
    group: EXACTLY_ONCE_SUPPORT_GROUP,
    orderInGroup: ++order,
    width: 'SHORT',
    displayName: 'Transaction boundary interval',
  })
  define(def, {
    name: 'offsets.storage.topic',
    type: 'STRING',
    defaultValue: null,
    validator: NonEmptyString,
    importance: 'LOW',
    group: OFFSETS_TOPIC_GROUP,
    orderInGroup: 1,
    width: 'LONG',
    displayName: 'Offsets topic',
  })
  return def
}

/** Apache's `SinkConnectorConfig.configDef()`. */
export function sinkConnectorConfigDef(options: ConnectorConfigDefOptions = {}): ConfigDef {
  const def = connectorConfigDef(options)
  define(def, {
    name: 'topics',
    type: 'LIST',
    defaultValue: '',
    importance: 'HIGH',
    group: COMMON_GROUP,
    orderInGroup: 4,
    width: 'LONG',
    displayName: 'Topics',
  })
  define(def, {
    name: 'topics.regex',
    type: 'STRING',
    defaultValue: '',
    validator: LambdaValidator.with(
      (name, value) => {
        try {
          new RegExp(String(value ?? ''))
        } catch (e) {
          throw new ConfigException(name, value, `Invalid regex: ${(e as Error).message}`)
        }
      },
      () => 'valid regex',
    ),
    importance: 'HIGH',
    group: COMMON_GROUP,
    orderInGroup: 4,
    width: 'LONG',
    displayName: 'Topics regex',
  })
  define(def, {
    name: 'errors.deadletterqueue.topic.name',
    type: 'STRING',
    defaultValue: '',
    importance: 'MEDIUM',
    group: ERROR_GROUP,
    orderInGroup: 6,
    width: 'MEDIUM',
    displayName: 'Dead Letter Queue Topic Name',
  })
  define(def, {
    name: 'errors.deadletterqueue.topic.replication.factor',
    type: 'SHORT',
    defaultValue: 3,
    importance: 'MEDIUM',
    group: ERROR_GROUP,
    orderInGroup: 7,
    width: 'MEDIUM',
    displayName: 'Dead Letter Queue Topic Replication Factor',
  })
  define(def, {
    name: 'errors.deadletterqueue.context.headers.enable',
    type: 'BOOLEAN',
    defaultValue: false,
    importance: 'MEDIUM',
    group: ERROR_GROUP,
    orderInGroup: 8,
    width: 'MEDIUM',
    displayName: 'Enable Error Context Headers',
  })
  return def
}

/** Apache 4.4 documentation of the framework connector keys, word for word (the REST API shows it). */
const DOC: Record<string, string> = {
  name: 'Globally unique name to use for this connector.',
  'connector.class':
    'Name or alias of the class for this connector. Must be a subclass of org.apache.kafka.connect.connector.Connector. If the connector is org.apache.kafka.connect.file.FileStreamSinkConnector, you can either specify this full name,  or use "FileStreamSink" or "FileStreamSinkConnector" to make the configuration a bit shorter',
  'connector.plugin.version': 'Version of the connector.',
  'tasks.max': 'Maximum number of tasks to use for this connector.',
  'tasks.max.enforce':
    '(Deprecated) Whether to enforce that the tasks.max property is respected by the connector. By default, connectors that generate too many tasks will fail, and existing sets of tasks that exceed the tasks.max property will also be failed. If this property is set to false, then connectors will be allowed to generate more than the maximum number of tasks, and existing sets of tasks that exceed the tasks.max property will be allowed to run. This property is deprecated and will be removed in an upcoming major release.',
  'key.converter':
    'Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the keys in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro.',
  'key.converter.plugin.version': 'Version of the key converter.',
  'value.converter':
    'Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the values in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro.',
  'value.converter.plugin.version': 'Version of the value converter.',
  'header.converter':
    'HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the header values in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro. By default, the SimpleHeaderConverter is used to serialize header values to strings and deserialize them by inferring the schemas.',
  'header.converter.plugin.version': 'Version of the header converter.',
  transforms: 'Aliases for the transformations to be applied to records.',
  predicates: 'Aliases for the predicates used by transformations.',
  'config.action.reload':
    "The action that Connect should take on the connector when changes in external configuration providers result in a change in the connector's configuration properties. A value of 'none' indicates that Connect will do nothing. A value of 'restart' indicates that Connect should restart/reload the connector with the updated configuration properties.The restart may actually be scheduled in the future if the external configuration provider indicates that a configuration value will expire in the future.",
  'errors.retry.timeout':
    'The maximum duration in milliseconds that a failed operation will be reattempted. The default is 0, which means no retries will be attempted. Use -1 for infinite retries.',
  'errors.retry.delay.max.ms':
    'The maximum duration in milliseconds between consecutive retry attempts. Jitter will be added to the delay once this limit is reached to prevent thundering herd issues.',
  'errors.tolerance':
    "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records.",
  'errors.log.enable':
    "If true, write each error and the details of the failed operation and problematic record to the Connect application log. This is 'false' by default, so that only errors that are not tolerated are reported.",
  'errors.log.include.messages':
    "Whether to include in the log the Connect record that resulted in a failure. For sink records, the topic, partition, offset, and timestamp will be logged. For source records, the key and value (and their schemas), all headers, and the timestamp, Kafka topic, Kafka partition, source partition, and source offset will be logged. This is 'false' by default, which will prevent record keys, values, and headers from being written to log files.",
  'topic.creation.groups': 'Groups of configurations for topics created by source connectors',
  'exactly.once.support':
    'Permitted values are requested, required. If set to "required", forces a preflight check for the connector to ensure that it can provide exactly-once semantics with the given configuration. Some connectors may be capable of providing exactly-once semantics but not signal to Connect that they support this; in that case, documentation for the connector should be consulted carefully before creating it, and the value for this property should be set to "requested". Additionally, if the value is set to "required" but the worker that performs preflight validation does not have exactly-once support enabled for source connectors, requests to create or validate the connector will fail.',
  'transaction.boundary':
    "Permitted values are: poll, interval, connector. If set to 'poll', a new producer transaction will be started and committed for every batch of records that each task from this connector provides to Connect. If set to 'connector', relies on connector-defined transaction boundaries; note that not all connectors are capable of defining their own transaction boundaries, and in that case, attempts to instantiate a connector with this value will fail. Finally, if set to 'interval', commits transactions only after a user-defined time interval has passed.",
  'transaction.boundary.interval.ms':
    "If 'transaction.boundary' is set to 'interval', determines the interval for producer transaction commits by connector tasks. If unset, defaults to the value of the worker-level 'offset.flush.interval.ms' property. It has no effect if a different transaction.boundary is specified.",
  'offsets.storage.topic':
    "The name of a separate offsets topic to use for this connector. If empty or not specified, the worker’s global offsets topic name will be used. If specified, the offsets topic will be created if it does not already exist on the Kafka cluster targeted by this connector (which may be different from the one used for the worker's global offsets topic if the bootstrap.servers property of the connector's producer has been overridden from the worker's). Only applicable in distributed mode; in standalone mode, setting this property will have no effect.",
  topics: 'List of topics to consume, separated by commas',
  'topics.regex':
    'Regular expression giving topics to consume. Under the hood, the regex is compiled to a <code>java.util.regex.Pattern</code>. Only one of topics or topics.regex should be specified.',
  'errors.deadletterqueue.topic.name':
    'The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this sink connector, or its transformations or converters. The topic name is blank by default, which means that no messages are to be recorded in the DLQ.',
  'errors.deadletterqueue.topic.replication.factor':
    "Replication factor used to create the dead letter queue topic when it doesn't already exist.",
  'errors.deadletterqueue.context.headers.enable':
    'If true, add headers containing error context to the messages written to the dead letter queue. To avoid clashing with headers from the original record, all error context header keys, all error context header keys will start with <code>__connect.errors.</code>',
}

/** Keys every connector has (Apache's static `ConnectorConfig.configDef()`). */
export const CONNECTOR_CONFIG_DEF = connectorConfigDef()

/** A source connector's keys (Apache's `SourceConnectorConfig.configDef()`). */
export const SOURCE_CONNECTOR_CONFIG_DEF = sourceConnectorConfigDef()

/** A sink connector's keys (Apache's `SinkConnectorConfig.configDef()`); exactly one of `topics` and `topics.regex`. */
export const SINK_CONNECTOR_CONFIG_DEF = sinkConnectorConfigDef()

/**
 * The dead letter queue keys (Apache's SinkConnectorConfig), for source connectors too: a source record that fails
 * conversion, transformation or produce is written to the topic and its offset still advances. The sink definition's
 * keys, with documentation that says what Ferry adds.
 */
export const DEAD_LETTER_QUEUE_CONFIG_DEF = new ConfigDef()
const DEAD_LETTER_QUEUE_DOC: Record<string, string> = {
  'errors.deadletterqueue.topic.name':
    'The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this connector, or its transformations or converters. The topic name is blank by default, which means that no messages are to be recorded in the DLQ. Ferry accepts it on source connectors too (Apache only on sinks).',
  'errors.deadletterqueue.topic.replication.factor':
    "Replication factor used to create the dead letter queue topic when it doesn't already exist. Ferry lowers it to the number of brokers when the cluster has fewer.",
  'errors.deadletterqueue.context.headers.enable':
    'If true, add headers containing error context to the messages written to the dead letter queue. To avoid clashing with headers from the original record, all error context header keys will start with <code>__connect.errors.</code> Records of source connectors also get <code>__connect.errors.source.partition</code> and <code>__connect.errors.source.offset</code> (JSON).',
}
for (const key of SINK_CONNECTOR_CONFIG_DEF.configKeys().values()) {
  if (key.name.startsWith('errors.deadletterqueue.'))
    DEAD_LETTER_QUEUE_CONFIG_DEF.define({ ...key, documentation: DEAD_LETTER_QUEUE_DOC[key.name] ?? key.documentation })
}

const atLeastMinusOne = Range.atLeast(-1)
const atLeastZero = Range.atLeast(0)

/**
 * Ferry's automatic restart of FAILED connectors and tasks (not in Apache Connect, where they stay FAILED until
 * restarted by hand). Each key can be set in the worker config, as the default for every connector, and in a
 * connector config, which wins.
 */
export const RESTART_CONFIG_DEF = new ConfigDef()
  .define({
    name: 'errors.restart.enable',
    type: 'BOOLEAN',
    defaultValue: false,
    importance: 'MEDIUM',
    documentation:
      "Ferry only. If true, a FAILED connector or task is restarted automatically after a backoff that doubles with each attempt. 'false' (the default) keeps Apache's behaviour: it stays FAILED until restarted through the REST API.",
    group: ERROR_GROUP,
    orderInGroup: 20,
    width: 'SHORT',
    displayName: 'Restart Failed Connectors and Tasks',
  })
  .define({
    name: 'errors.restart.max.attempts',
    type: 'INT',
    defaultValue: -1,
    validator: atLeastMinusOne,
    importance: 'MEDIUM',
    documentation:
      'Ferry only. How many automatic restarts in a row are made before the connector or task is left FAILED; -1 (the default) means no limit. The count starts again after a run of errors.restart.reset.after.ms without failure.',
    group: ERROR_GROUP,
    orderInGroup: 21,
    width: 'SHORT',
    displayName: 'Maximum Restart Attempts',
  })
  .define({
    name: 'errors.restart.backoff.initial.ms',
    type: 'LONG',
    defaultValue: 1000,
    validator: atLeastZero,
    importance: 'MEDIUM',
    documentation:
      'Ferry only. The wait in milliseconds before the first automatic restart; it doubles with each further attempt, up to errors.restart.backoff.max.ms.',
    group: ERROR_GROUP,
    orderInGroup: 22,
    width: 'MEDIUM',
    displayName: 'Initial Restart Backoff',
  })
  .define({
    name: 'errors.restart.backoff.max.ms',
    type: 'LONG',
    defaultValue: 60000,
    validator: atLeastZero,
    importance: 'MEDIUM',
    documentation: 'Ferry only. The longest wait in milliseconds between two automatic restarts.',
    group: ERROR_GROUP,
    orderInGroup: 23,
    width: 'MEDIUM',
    displayName: 'Maximum Restart Backoff',
  })
  .define({
    name: 'errors.restart.reset.after.ms',
    type: 'LONG',
    defaultValue: 300000,
    validator: atLeastZero,
    importance: 'LOW',
    documentation:
      'Ferry only. A connector or task that ran this many milliseconds before failing again starts counting restart attempts from 1 again.',
    group: ERROR_GROUP,
    orderInGroup: 24,
    width: 'MEDIUM',
    displayName: 'Restart Count Reset',
  })

/** Apache's checks on the sink topic keys; returns `[key, message]` pairs. */
export function sinkTopicProblems(props: Record<string, string>): Array<[string, string]> {
  const topics = (props.topics ?? '').trim()
  const regex = (props['topics.regex'] ?? '').trim()
  if (topics && regex) {
    const msg = 'topics and topics.regex are mutually exclusive options, but both are set.'
    return [
      ['topics', msg],
      ['topics.regex', msg],
    ]
  }
  if (!topics && !regex) {
    const msg = 'Must configure one of topics or topics.regex'
    return [
      ['topics', msg],
      ['topics.regex', msg],
    ]
  }
  if (regex) {
    try {
      new RegExp(regex)
    } catch (e) {
      return [['topics.regex', `Invalid value ${regex} for configuration topics.regex: ${(e as Error).message}`]]
    }
  }
  return []
}

/** A connector's error handling settings (`errors.*`). */
export interface ErrorHandlingConfig {
  retryTimeoutMs: number
  retryDelayMaxMs: number
  tolerance: 'none' | 'all'
  logEnable: boolean
  logIncludeMessages: boolean
  deadLetterQueue: { topic: string; replicationFactor: number; contextHeaders: boolean }
}

const ERROR_HANDLING_KEYS = new ConfigDef()
for (const def of [CONNECTOR_CONFIG_DEF, DEAD_LETTER_QUEUE_CONFIG_DEF]) {
  for (const key of def.configKeys().values()) if (key.name.startsWith('errors.')) ERROR_HANDLING_KEYS.define(key)
}

/** Parses the `errors.*` keys of a connector config; throws ConfigException naming a bad key. */
export function parseErrorHandlingConfig(props: Readonly<Record<string, string>>): ErrorHandlingConfig {
  const parsed = ERROR_HANDLING_KEYS.parse(props)
  return {
    retryTimeoutMs: Number(parsed['errors.retry.timeout']),
    retryDelayMaxMs: Math.max(0, Number(parsed['errors.retry.delay.max.ms'])),
    tolerance: parsed['errors.tolerance'] === 'all' ? 'all' : 'none',
    logEnable: parsed['errors.log.enable'] === true,
    logIncludeMessages: parsed['errors.log.include.messages'] === true,
    deadLetterQueue: {
      topic: String(parsed['errors.deadletterqueue.topic.name'] ?? '').trim(),
      replicationFactor: Number(parsed['errors.deadletterqueue.topic.replication.factor']),
      contextHeaders: parsed['errors.deadletterqueue.context.headers.enable'] === true,
    },
  }
}

/** When and how often FAILED connectors and tasks are restarted automatically (`errors.restart.*`). */
export interface RestartPolicy {
  enabled: boolean
  /** -1: no limit. */
  maxAttempts: number
  initialBackoffMs: number
  maxBackoffMs: number
  resetAfterMs: number
}

/**
 * The restart policy of a connector: each `errors.restart.*` key from the connector config, else from the worker
 * config, else its default. Throws ConfigException naming a bad key (and where it was set).
 */
export function parseRestartPolicy(
  connector: Readonly<Record<string, string>>,
  worker: Readonly<Record<string, string>>,
): RestartPolicy {
  const pick = (props: Readonly<Record<string, string>>) => {
    const out: Record<string, string> = {}
    for (const name of RESTART_CONFIG_DEF.names()) if (props[name] !== undefined) out[name] = props[name]
    return out
  }
  const fromWorker = pick(worker)
  try {
    RESTART_CONFIG_DEF.parse(fromWorker)
  } catch (e) {
    throw new ConfigException(`Invalid worker configuration: ${(e as Error).message}`)
  }
  const parsed = RESTART_CONFIG_DEF.parse({ ...fromWorker, ...pick(connector) })
  return {
    enabled: parsed['errors.restart.enable'] === true,
    maxAttempts: Number(parsed['errors.restart.max.attempts']),
    initialBackoffMs: Number(parsed['errors.restart.backoff.initial.ms']),
    maxBackoffMs: Number(parsed['errors.restart.backoff.max.ms']),
    resetAfterMs: Number(parsed['errors.restart.reset.after.ms']),
  }
}

/** The wait before automatic restart number `attempt` (1, 2, ...): the initial backoff doubled each time, capped. */
export function restartBackoffMs(policy: RestartPolicy, attempt: number): number {
  return Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, attempt - 1))
}
