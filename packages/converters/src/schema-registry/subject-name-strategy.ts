/**
 * Confluent's subject name strategies: the registry subject a record's key or value schema is registered and looked
 * up under. `key.subject.name.strategy` / `value.subject.name.strategy` take Confluent's class names (or the simple
 * names); any other class is refused, naming it.
 */
import { ConfigException, DataException } from '@ferry/api'

/** The subject for `topic`, `isKey`, and the schema's full record name (null for a schema that is not a record). */
export type SubjectNameStrategy = (topic: string, isKey: boolean, recordName: string | null) => string

const PACKAGE = 'io.confluent.kafka.serializers.subject.'

function recordNameOf(recordName: string | null, strategy: string): string {
  if (recordName === null)
    throw new DataException(`${strategy} needs a record schema: the schema to register is not a record`)
  return recordName
}

/** `<topic>-key` / `<topic>-value`, the default. */
export const topicNameStrategy: SubjectNameStrategy = (topic, isKey) => `${topic}${isKey ? '-key' : '-value'}`
/** The record's full name. */
export const recordNameStrategy: SubjectNameStrategy = (_topic, _isKey, recordName) =>
  recordNameOf(recordName, 'RecordNameStrategy')
/** `<topic>-<record full name>`. */
export const topicRecordNameStrategy: SubjectNameStrategy = (topic, _isKey, recordName) =>
  `${topic}-${recordNameOf(recordName, 'TopicRecordNameStrategy')}`

const STRATEGIES: Readonly<Record<string, SubjectNameStrategy>> = {
  TopicNameStrategy: topicNameStrategy,
  RecordNameStrategy: recordNameStrategy,
  TopicRecordNameStrategy: topicRecordNameStrategy,
}

/** The strategy a `*.subject.name.strategy` value names; a `ConfigException` naming `key` for any other class. */
export function subjectNameStrategy(key: string, className: string): SubjectNameStrategy {
  const simple = className.startsWith(PACKAGE) ? className.slice(PACKAGE.length) : className
  const strategy = Object.hasOwn(STRATEGIES, simple) ? STRATEGIES[simple] : undefined
  if (strategy === undefined)
    throw new ConfigException(
      key,
      className,
      `Ferry implements ${Object.keys(STRATEGIES)
        .map((s) => PACKAGE + s)
        .join(', ')}`,
    )
  return strategy
}
