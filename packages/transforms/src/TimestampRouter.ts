/**
 * Apache's `org.apache.kafka.connect.transforms.TimestampRouter`: the topic becomes `topic.format` with `${topic}`
 * and `${timestamp}` replaced, the timestamp formatted with the Java `SimpleDateFormat` pattern `timestamp.format`
 * in UTC. As in Apache, an invalid pattern fails when a record is routed (IllegalArgumentException); a pattern with a
 * field Ferry does not support (`z`, `Y`) is rejected by `configure`.
 */
import { ConfigDef, ConfigException, type ConnectRecord, DataException, type Transformation } from '@ferry/api'
import { simpleConfig } from './util/config.ts'
import { IllegalArgumentException } from './util/java.ts'
import { javaRecordString } from './util/record-string.ts'
import { SimpleDateFormat, UnsupportedDatePatternError } from './util/simple-date-format.ts'

export const TIMESTAMP_ROUTER_OVERVIEW_DOC =
  "Update the record's topic field as a function of the original topic value and the record timestamp.<p/>This is mainly useful for sink connectors, since the topic field is often used to determine the equivalent entity name in the destination system(e.g. database table or search index name)."

// biome-ignore lint/suspicious/noTemplateCurlyInString: Apache's placeholder syntax
const TOPIC_PLACEHOLDER = '${topic}'
// biome-ignore lint/suspicious/noTemplateCurlyInString: Apache's placeholder syntax
const TIMESTAMP_PLACEHOLDER = '${timestamp}'
const TOPIC_FORMAT = 'topic.format'
const TIMESTAMP_FORMAT = 'timestamp.format'

export const TIMESTAMP_ROUTER_CONFIG_DEF: ConfigDef = new ConfigDef()
  .define({
    name: TOPIC_FORMAT,
    type: 'STRING',
    defaultValue: `${TOPIC_PLACEHOLDER}-${TIMESTAMP_PLACEHOLDER}`,
    importance: 'HIGH',
    documentation: `Format string which can contain <code>${TOPIC_PLACEHOLDER}</code> and <code>${TIMESTAMP_PLACEHOLDER}</code> as placeholders for the topic and timestamp, respectively.`,
  })
  .define({
    name: TIMESTAMP_FORMAT,
    type: 'STRING',
    defaultValue: 'yyyyMMdd',
    importance: 'HIGH',
    documentation: 'Format string for the timestamp that is compatible with <code>java.text.SimpleDateFormat</code>.',
  })

/** `org.apache.kafka.connect.transforms.TimestampRouter`. */
export class TimestampRouter<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = TIMESTAMP_ROUTER_OVERVIEW_DOC
  static readonly CONFIG_DEF = TIMESTAMP_ROUTER_CONFIG_DEF

  private topicFormat = ''
  private timestampFormat: SimpleDateFormat | null = null
  private formatError: IllegalArgumentException | null = null
  // The last record's topic and timestamp and the topic they gave: records of one batch often share a timestamp.
  private lastTimestamp: number | null = null
  private lastTopic = ''
  private lastUpdatedTopic = ''

  configure(props: Record<string, unknown>): void {
    const config = simpleConfig(TIMESTAMP_ROUTER_CONFIG_DEF, props)
    this.topicFormat = config.getString(TOPIC_FORMAT)!
    const pattern = config.getString(TIMESTAMP_FORMAT)!
    this.timestampFormat = null
    this.formatError = null
    this.lastTimestamp = null
    try {
      this.timestampFormat = new SimpleDateFormat(pattern)
    } catch (e) {
      if (e instanceof UnsupportedDatePatternError) throw new ConfigException(TIMESTAMP_FORMAT, pattern, e.message)
      // Apache builds the format lazily: an invalid pattern fails each record.
      if (e instanceof IllegalArgumentException) this.formatError = e
      else throw e
    }
  }

  apply(record: R): R {
    const timestamp = record.timestamp
    if (timestamp == null) throw new DataException(`Timestamp missing on record: ${javaRecordString(record)}`)
    if (this.formatError !== null) throw new IllegalArgumentException(this.formatError.message)
    let updatedTopic: string
    if (timestamp === this.lastTimestamp && record.topic === this.lastTopic) updatedTopic = this.lastUpdatedTopic
    else {
      const formatted = this.timestampFormat!.format(timestamp)
      const replaced = this.topicFormat.split(TOPIC_PLACEHOLDER).join(record.topic)
      updatedTopic = replaced.split(TIMESTAMP_PLACEHOLDER).join(formatted)
      this.lastTimestamp = timestamp
      this.lastTopic = record.topic
      this.lastUpdatedTopic = updatedTopic
    }
    return record.newRecord(
      updatedTopic,
      record.kafkaPartition,
      record.keySchema,
      record.key,
      record.valueSchema,
      record.value,
      record.timestamp,
    )
  }

  config(): ConfigDef {
    return TIMESTAMP_ROUTER_CONFIG_DEF
  }

  close(): void {}
}
