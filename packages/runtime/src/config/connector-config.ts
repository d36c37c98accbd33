import { ConfigDef, ConfigException, NonEmptyStringWithoutControlChars, Range, ValidString } from '@ferry/api'

/** The validation group of the error handling keys (Apache's `ConnectorConfig.ERROR_GROUP`). */
export const ERROR_GROUP = 'Error Handling'

/** Keys every connector has (Apache's ConnectorConfig). */
export const CONNECTOR_CONFIG_DEF = new ConfigDef()
  .define({
    name: 'name',
    type: 'STRING',
    validator: NonEmptyStringWithoutControlChars,
    importance: 'HIGH',
    documentation: 'Globally unique name to use for this connector.',
  })
  .define({
    name: 'connector.class',
    type: 'STRING',
    importance: 'HIGH',
    documentation:
      'Name or alias of the class for this connector. Must be a subclass of org.apache.kafka.connect.connector.Connector.',
  })
  .define({
    name: 'tasks.max',
    type: 'INT',
    defaultValue: 1,
    validator: Range.atLeast(1),
    importance: 'HIGH',
    documentation: 'Maximum number of tasks to use for this connector.',
  })
  .define({
    name: 'key.converter',
    type: 'CLASS',
    defaultValue: null,
    importance: 'LOW',
    documentation: 'Converter class used for record keys; defaults to the worker setting.',
  })
  .define({
    name: 'value.converter',
    type: 'CLASS',
    defaultValue: null,
    importance: 'LOW',
    documentation: 'Converter class used for record values; defaults to the worker setting.',
  })
  .define({
    name: 'header.converter',
    type: 'CLASS',
    defaultValue: null,
    importance: 'LOW',
    documentation: 'HeaderConverter class used for header values; defaults to the worker setting.',
  })
  .define({
    name: 'transforms',
    type: 'LIST',
    defaultValue: '',
    importance: 'LOW',
    documentation: 'Aliases for the transformations to be applied to records.',
  })
  .define({
    name: 'predicates',
    type: 'LIST',
    defaultValue: '',
    importance: 'LOW',
    documentation: 'Aliases for the predicates used by transformations.',
  })
  .define({
    name: 'errors.retry.timeout',
    type: 'LONG',
    defaultValue: 0,
    importance: 'MEDIUM',
    documentation:
      'The maximum duration in milliseconds that a failed operation will be reattempted. The default is 0, which means no retries will be attempted. Use -1 for infinite retries.',
  })
  .define({
    name: 'errors.retry.delay.max.ms',
    type: 'LONG',
    defaultValue: 60000,
    importance: 'MEDIUM',
    documentation:
      'The maximum duration in milliseconds between consecutive retry attempts. Jitter will be added to the delay once this limit is reached to prevent thundering herd issues.',
  })
  .define({
    name: 'errors.tolerance',
    type: 'STRING',
    defaultValue: 'none',
    validator: ValidString.in('none', 'all'),
    importance: 'MEDIUM',
    documentation:
      "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records.",
  })
  .define({
    name: 'errors.log.enable',
    type: 'BOOLEAN',
    defaultValue: false,
    importance: 'MEDIUM',
    documentation:
      "If true, write each error and the details of the failed operation and problematic record to the Connect application log. This is 'false' by default, so that only errors that are not tolerated are reported.",
  })
  .define({
    name: 'errors.log.include.messages',
    type: 'BOOLEAN',
    defaultValue: false,
    importance: 'MEDIUM',
    documentation:
      "Whether to include in the log the Connect record that resulted in a failure. For sink records, the topic, partition, offset, and timestamp will be logged. For source records, the key and value (and their schemas), all headers, and the timestamp, Kafka topic, Kafka partition, source partition, and source offset will be logged. This is 'false' by default, which will prevent record keys, values, and headers from being written to log files.",
  })

/**
 * The dead letter queue keys (Apache's SinkConnectorConfig). Ferry accepts them on source connectors too: a source
 * record that fails conversion, transformation or produce is written to the topic and its offset still advances.
 */
export const DEAD_LETTER_QUEUE_CONFIG_DEF = new ConfigDef()
  .define({
    name: 'errors.deadletterqueue.topic.name',
    type: 'STRING',
    defaultValue: '',
    importance: 'MEDIUM',
    documentation:
      'The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this connector, or its transformations or converters. The topic name is blank by default, which means that no messages are to be recorded in the DLQ. Ferry accepts it on source connectors too (Apache only on sinks).',
    group: ERROR_GROUP,
    orderInGroup: 6,
    width: 'MEDIUM',
    displayName: 'Dead Letter Queue Topic Name',
  })
  .define({
    name: 'errors.deadletterqueue.topic.replication.factor',
    type: 'SHORT',
    defaultValue: 3,
    importance: 'MEDIUM',
    documentation:
      "Replication factor used to create the dead letter queue topic when it doesn't already exist. Ferry lowers it to the number of brokers when the cluster has fewer.",
    group: ERROR_GROUP,
    orderInGroup: 7,
    width: 'MEDIUM',
    displayName: 'Dead Letter Queue Topic Replication Factor',
  })
  .define({
    name: 'errors.deadletterqueue.context.headers.enable',
    type: 'BOOLEAN',
    defaultValue: false,
    importance: 'MEDIUM',
    documentation:
      'If true, add headers containing error context to the messages written to the dead letter queue. To avoid clashing with headers from the original record, all error context header keys will start with <code>__connect.errors.</code> Records of source connectors also get <code>__connect.errors.source.partition</code> and <code>__connect.errors.source.offset</code> (JSON).',
    group: ERROR_GROUP,
    orderInGroup: 8,
    width: 'MEDIUM',
    displayName: 'Enable Error Context Headers',
  })

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

/** Sink-only keys (SinkConnectorConfig). Exactly one of `topics` and `topics.regex` must be set. */
export const SINK_CONNECTOR_CONFIG_DEF = new ConfigDef(DEAD_LETTER_QUEUE_CONFIG_DEF)
  .define({
    name: 'topics',
    type: 'LIST',
    defaultValue: '',
    importance: 'HIGH',
    documentation: 'List of topics to consume, separated by commas',
  })
  .define({
    name: 'topics.regex',
    type: 'STRING',
    defaultValue: '',
    importance: 'HIGH',
    documentation: 'Regular expression giving topics to consume.',
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
