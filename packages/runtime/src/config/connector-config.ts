import { ConfigDef, NonEmptyStringWithoutControlChars, Range, ValidString } from '@ferry/api'

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
    name: 'errors.tolerance',
    type: 'STRING',
    defaultValue: 'none',
    validator: ValidString.in('none', 'all'),
    importance: 'MEDIUM',
    documentation:
      "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records.",
  })

/** Sink-only keys (SinkConnectorConfig). Exactly one of `topics` and `topics.regex` must be set. */
export const SINK_CONNECTOR_CONFIG_DEF = new ConfigDef()
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
