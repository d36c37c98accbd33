/**
 * Apache's `org.apache.kafka.connect.transforms.RegexRouter`: when the Java regex `regex` matches the whole topic,
 * the topic becomes `Matcher.replaceFirst(replacement)` (`$1`, `${name}`, `\$`). Patterns are Java regexes run with
 * Java's semantics; see util/java-regex.ts and docs/transforms.md for the few constructs Ferry rejects.
 */
import { ConfigDef, ConfigException, type ConnectRecord, type Transformation } from '@ferry/api'
import { ReplaceRegexValidator, simpleConfig } from './util/config.ts'
import {
  compileJavaRegex,
  type JavaRegex,
  javaMatches,
  javaReplaceFirst,
  replacementGroups,
} from './util/java-regex.ts'

export const REGEX_ROUTER_OVERVIEW_DOC =
  'Update the record topic using the configured regular expression and replacement string.<p/>Under the hood, the regex is compiled to a <code>java.util.regex.Pattern</code>. If the pattern matches the input topic, <code>java.util.regex.Matcher#replaceFirst()</code> is used with the replacement string to obtain the new topic.'

const REGEX = 'regex'
/** Topics whose route is remembered; more clear the memory (a sink reads few topics, a source may name many). */
const ROUTES_KEPT = 1000
const REPLACEMENT = 'replacement'

export const REGEX_ROUTER_CONFIG_DEF: ConfigDef = new ConfigDef()
  .define({
    name: REGEX,
    type: 'STRING',
    validator: ReplaceRegexValidator,
    importance: 'HIGH',
    documentation: 'Regular expression to use for matching.',
  })
  .define({ name: REPLACEMENT, type: 'STRING', importance: 'HIGH', documentation: 'Replacement string.' })

/** `org.apache.kafka.connect.transforms.RegexRouter`. */
export class RegexRouter<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = REGEX_ROUTER_OVERVIEW_DOC
  static readonly CONFIG_DEF = REGEX_ROUTER_CONFIG_DEF

  private regex: JavaRegex | null = null
  private replacement = ''
  /** The route of each recent topic: matching and replacing once per topic rather than once per record. */
  private readonly routes = new Map<string, string | null>()

  configure(props: Record<string, unknown>): void {
    const config = simpleConfig(REGEX_ROUTER_CONFIG_DEF, props)
    const regex = compileJavaRegex(config.getString(REGEX)!)
    const replacement = config.getString(REPLACEMENT)!
    const groups = replacementGroups(regex, replacement)
    if (groups !== null && [...groups].some((g) => regex.groupsInRepetition.has(g))) {
      throw new ConfigException(
        REGEX,
        regex.pattern,
        'A replacement that refers to a capturing group inside a repeated sub-pattern is not supported by Ferry (JS and Java keep different values for such a group; see docs/transforms.md)',
      )
    }
    this.regex = regex
    this.replacement = replacement
    this.routes.clear()
  }

  apply(record: R): R {
    let topic = this.routes.get(record.topic)
    if (topic === undefined) {
      topic = this.route(record.topic)
      if (this.routes.size >= ROUTES_KEPT) this.routes.clear()
      this.routes.set(record.topic, topic)
    }
    if (topic !== null) {
      return record.newRecord(
        topic,
        record.kafkaPartition,
        record.keySchema,
        record.key,
        record.valueSchema,
        record.value,
        record.timestamp,
      )
    }
    return record
  }

  /** The new topic when the regex matches the whole topic, else null (a pure function of the topic). */
  private route(topic: string): string | null {
    const regex = this.regex!
    return javaMatches(regex, topic) ? javaReplaceFirst(regex, topic, this.replacement) : null
  }

  config(): ConfigDef {
    return REGEX_ROUTER_CONFIG_DEF
  }

  close(): void {}
}
