/**
 * Apache's `org.apache.kafka.connect.transforms.predicates.TopicNameMatches`: the Java regex `pattern` matches the
 * whole topic name. Patterns run with Java's semantics; see docs/transforms.md for the constructs Ferry rejects.
 */
import { CompositeValidator, ConfigDef, type ConnectRecord, NonEmptyString, type Predicate } from '@ferry/api'
import { RegexValidator, simpleConfig } from '../util/config.ts'
import { compileJavaRegex, type JavaRegex, javaMatches } from '../util/java-regex.ts'

export const TOPIC_NAME_MATCHES_OVERVIEW_DOC =
  'A predicate which is true for records with a topic name that matches the configured regular expression.'
const PATTERN_CONFIG = 'pattern'

export const TOPIC_NAME_MATCHES_CONFIG_DEF: ConfigDef = new ConfigDef().define({
  name: PATTERN_CONFIG,
  type: 'STRING',
  validator: CompositeValidator.of(NonEmptyString, RegexValidator),
  importance: 'MEDIUM',
  documentation: "A Java regular expression for matching against the name of a record's topic.",
})

/** `org.apache.kafka.connect.transforms.predicates.TopicNameMatches`. */
export class TopicNameMatches<R extends ConnectRecord = ConnectRecord> implements Predicate<R> {
  static readonly OVERVIEW_DOC = TOPIC_NAME_MATCHES_OVERVIEW_DOC
  static readonly CONFIG_DEF = TOPIC_NAME_MATCHES_CONFIG_DEF

  private pattern: JavaRegex | null = null

  configure(props: Record<string, unknown>): void {
    const value = simpleConfig(TOPIC_NAME_MATCHES_CONFIG_DEF, props).getString(PATTERN_CONFIG)!
    this.pattern = compileJavaRegex(value)
  }

  test(record: R): boolean {
    return record.topic != null && this.pattern !== null && javaMatches(this.pattern, record.topic)
  }

  config(): ConfigDef {
    return TOPIC_NAME_MATCHES_CONFIG_DEF
  }

  close(): void {}

  toString(): string {
    return `TopicNameMatches{pattern=${this.pattern === null ? 'null' : this.pattern.pattern}}`
  }
}
