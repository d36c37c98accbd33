/**
 * KIP-158: source connectors ask for the topics they write to be created with partitions, replication factor and
 * topic settings of their own. Apache's TopicCreationConfig (the keys of a group), the topic creation part of
 * SourceConnectorConfig (the `default` group, `topic.creation.groups`), TopicCreationGroup (which topics a group
 * takes) and TopicCreation with AbstractWorkerSourceTask.maybeCreateTopic (create a topic before the first write to
 * it).
 *
 * Keys, with `<g>` `default` or a group named in `topic.creation.groups`:
 *   topic.creation.<g>.replication.factor, topic.creation.<g>.partitions  (-1: the broker's default; required for
 *     `default`, which the other groups inherit)
 *   topic.creation.<g>.include, topic.creation.<g>.exclude                (regex lists matched against the whole topic
 *     name; exclude wins; ignored for `default`, which takes every topic no other group takes)
 *   topic.creation.<g>.<any topic setting>                                 (cleanup.policy, retention.ms, ...)
 * Topic creation is on for a connector when the worker's `topic.creation.enable` is true (the default) and the
 * connector config has a `topic.creation.` key.
 */
import {
  ConfigDef,
  ConfigException,
  type ConfigKeyDefinition,
  ConnectException,
  LambdaValidator,
  NonNullValidator,
} from '@ferry/api'
import { type KafkaAdmin, kafkaErrorIds } from '../kafka/clients.ts'
import type { Logger } from '../logger.ts'

export const TOPIC_CREATION_PREFIX = 'topic.creation.'
export const TOPIC_CREATION_GROUPS_CONFIG = 'topic.creation.groups'
export const DEFAULT_TOPIC_CREATION_GROUP = 'default'
const DEFAULT_TOPIC_CREATION_PREFIX = 'topic.creation.default.'
const TOPIC_CREATION_GROUP = 'Topic Creation'
const INCLUDE = 'include'
const EXCLUDE = 'exclude'
const REPLICATION_FACTOR = 'replication.factor'
const PARTITIONS = 'partitions'
/** The group keys that are not topic settings. */
const GROUP_KEYS = new Set([INCLUDE, EXCLUDE, REPLICATION_FACTOR, PARTITIONS])

const INCLUDE_DOC =
  'A list of regular expression literals used to match the topic names used by the source connector. This list is used to include topics that should be created using the topic settings defined by this group.'
const EXCLUDE_DOC =
  'A list of regular expression literals used to match the topic names used by the source connector. This list is used to exclude topics from being created with the topic settings defined by this group. Note that exclusion rules have precedent and override any inclusion rules for the topics.'
const REPLICATION_FACTOR_DOC =
  "The replication factor for new topics created for this connector using this group. This value may be -1 to use the broker'sdefault replication factor, or may be a positive number not larger than the number of brokers in the Kafka cluster. A value larger than the number of brokers in the Kafka cluster will result in an error when the new topic is created. For the default group this configuration is required. For any other group defined in topic.creation.groups this config is optional and if it's missing it gets the value of the default group"
const PARTITIONS_DOC =
  "The number of partitions new topics created for this connector. This value may be -1 to use the broker's default number of partitions, or a positive number representing the desired number of partitions. For the default group this configuration is required. For any other group defined in topic.creation.groups this config is optional and if it's missing it gets the value of the default group"

/** Whether a connector config asks for topic creation (Apache's `SourceConnectorConfig.usesTopicCreation`). */
export function usesTopicCreation(props: Readonly<Record<string, string | null>>): boolean {
  return Object.keys(props).some((k) => k.startsWith(TOPIC_CREATION_PREFIX))
}

// A value that is not set yet in a group whose default group value is missing or invalid: that key reports it.
const REPLICATION_FACTOR_VALIDATOR = LambdaValidator.with(
  (name, value) => {
    if (value === null || value === undefined) return
    if (value !== -1 && (value as number) < 1)
      throw new ConfigException(
        name,
        value,
        "Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default",
      )
  },
  () => "Positive number not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default",
)

const PARTITIONS_VALIDATOR = LambdaValidator.with(
  (name, value) => {
    if (value === null || value === undefined) return
    if (value !== -1 && (value as number) < 1)
      throw new ConfigException(name, value, "Number of partitions must be positive, or -1 to use the broker's default")
  },
  () => "Positive number, or -1 to use the broker's default",
)

const REGEX_VALIDATOR = LambdaValidator.with(
  (name, value) => {
    for (const pattern of (value as string[] | null) ?? []) {
      try {
        new RegExp(pattern)
      } catch (e) {
        throw new ConfigException(name, value, `Syntax error in regular expression: ${(e as Error).message}`)
      }
    }
  },
  // Apache's text (it repeats the partitions validator's).
  () => "Positive number, or -1 to use the broker's default",
)

function groupKeys(
  group: string,
  include: Partial<ConfigKeyDefinition>,
  exclude: Partial<ConfigKeyDefinition>,
  replicationFactor: unknown,
  partitions: unknown,
): ConfigDef {
  const key = (name: string, rest: Partial<ConfigKeyDefinition>, order: number, display: string) =>
    ({
      name,
      importance: 'LOW',
      group,
      orderInGroup: order,
      width: 'LONG',
      displayName: `${display} for ${group}`,
      ...rest,
    }) as ConfigKeyDefinition
  return new ConfigDef()
    .define(key(INCLUDE, { type: 'LIST', documentation: INCLUDE_DOC, ...include }, 1, 'Inclusion Topic Pattern'))
    .define(key(EXCLUDE, { type: 'LIST', documentation: EXCLUDE_DOC, ...exclude }, 2, 'Exclusion Topic Pattern'))
    .define(
      key(
        REPLICATION_FACTOR,
        {
          type: 'SHORT',
          documentation: REPLICATION_FACTOR_DOC,
          validator: REPLICATION_FACTOR_VALIDATOR,
          ...(replicationFactor === undefined ? {} : { defaultValue: replicationFactor }),
        },
        3,
        'Replication Factor for Topics in',
      ),
    )
    .define(
      key(
        PARTITIONS,
        {
          type: 'INT',
          documentation: PARTITIONS_DOC,
          validator: PARTITIONS_VALIDATOR,
          ...(partitions === undefined ? {} : { defaultValue: partitions }),
        },
        4,
        'Partition Count for Topics in',
      ),
    )
}

/** Apache's `TopicCreationConfig.defaultGroupConfigDef`: replication factor and partitions have no default. */
function defaultGroupConfigDef(): ConfigDef {
  return groupKeys(
    DEFAULT_TOPIC_CREATION_GROUP,
    { defaultValue: '.*', validator: NonNullValidator },
    { defaultValue: [], validator: NonNullValidator },
    undefined,
    undefined,
  )
}

/** The groups named in `topic.creation.groups`, without `default`, each once. */
function namedGroups(props: Readonly<Record<string, string | null>>): string[] {
  const raw = props[TOPIC_CREATION_GROUPS_CONFIG]
  if (raw === undefined || raw === null) return []
  const aliases = ConfigDef.parseType(TOPIC_CREATION_GROUPS_CONFIG, raw, 'LIST') as string[]
  return [...new Set(aliases.filter((a) => a !== DEFAULT_TOPIC_CREATION_GROUP))]
}

/**
 * The topic creation keys of a connector config (Apache's `embedDefaultGroup` and `enrich`): `topic.creation.default.*`
 * in group `default`, and each group of `topic.creation.groups` in `Topic Creation: <g>`, its replication factor and
 * partitions defaulting to the default group's (left unset while the default group's are missing or invalid: the
 * default group's keys report that).
 */
export function topicCreationConfigDef(props: Readonly<Record<string, string | null>>): ConfigDef {
  const def = new ConfigDef()
  def.embed(DEFAULT_TOPIC_CREATION_PREFIX, DEFAULT_TOPIC_CREATION_GROUP, 0, defaultGroupConfigDef())
  const inherited = (key: string) => {
    const k = def.configKeys().get(DEFAULT_TOPIC_CREATION_PREFIX + key)!
    try {
      return def.parseValue(k, props[k.name], props[k.name] !== undefined && props[k.name] !== null)
    } catch {
      return null
    }
  }
  const replicationFactor = inherited(REPLICATION_FACTOR)
  const partitions = inherited(PARTITIONS)
  for (const alias of namedGroups(props)) {
    const group = `${TOPIC_CREATION_GROUP}: ${alias}`
    const child = groupKeys(
      group,
      { defaultValue: [], validator: REGEX_VALIDATOR },
      { defaultValue: [], validator: REGEX_VALIDATOR },
      replicationFactor,
      partitions,
    )
    def.embed(`${TOPIC_CREATION_PREFIX}${alias}.`, group, 0, child)
  }
  return def
}

/** The topics one group creates and how (Apache's `TopicCreationGroup`). */
export class TopicCreationGroup {
  readonly name: string
  readonly partitions: number
  readonly replicationFactor: number
  /** Topic settings (`cleanup.policy`, ...), as given. */
  readonly configs: Readonly<Record<string, string>>
  readonly #include: RegExp
  readonly #exclude: RegExp

  constructor(
    name: string,
    settings: { include: string[]; exclude: string[]; partitions: number; replicationFactor: number },
    configs: Record<string, string>,
  ) {
    this.name = name
    this.#include = new RegExp(`^(?:${settings.include.join('|')})$`)
    this.#exclude = new RegExp(`^(?:${settings.exclude.join('|')})$`)
    this.partitions = settings.partitions
    this.replicationFactor = settings.replicationFactor
    this.configs = configs
  }

  /** Apache's `matches`: not excluded, and included. */
  matches(topic: string): boolean {
    return !this.#exclude.test(topic) && this.#include.test(topic)
  }
}

/**
 * A connector's topic creation groups, parsed (Apache's `SourceConnectorConfig` with `createTopics`, then
 * `TopicCreationGroup.configuredGroups`); null when the worker's `topic.creation.enable` is false or the config has no
 * `topic.creation.` key. Throws Apache's ConfigException for the first problem (`Missing required configuration
 * "topic.creation.default.replication.factor" which has no default value.`).
 */
export function parseTopicCreationGroups(
  props: Readonly<Record<string, string>>,
  enabled: boolean,
): { default: TopicCreationGroup; groups: TopicCreationGroup[] } | null {
  if (!enabled || !usesTopicCreation(props)) return null
  // The default group takes every topic no other group takes: its include and exclude are not read.
  const used: Record<string, string> = { ...props }
  delete used[DEFAULT_TOPIC_CREATION_PREFIX + INCLUDE]
  delete used[DEFAULT_TOPIC_CREATION_PREFIX + EXCLUDE]
  const parsed = topicCreationConfigDef(props).parse(used)
  const group = (name: string) => {
    const prefix = `${TOPIC_CREATION_PREFIX}${name}.`
    const configs: Record<string, string> = {}
    for (const [k, v] of Object.entries(used)) {
      if (!k.startsWith(prefix)) continue
      const setting = k.slice(prefix.length)
      if (!GROUP_KEYS.has(setting)) configs[setting] = v
    }
    return new TopicCreationGroup(
      name,
      {
        include: parsed[prefix + INCLUDE] as string[],
        exclude: parsed[prefix + EXCLUDE] as string[],
        partitions: parsed[prefix + PARTITIONS] as number,
        replicationFactor: parsed[prefix + REPLICATION_FACTOR] as number,
      },
      configs,
    )
  }
  return { default: group(DEFAULT_TOPIC_CREATION_GROUP), groups: namedGroups(props).map(group) }
}

/** What topic creation needs of an admin client. */
export type TopicCreationAdmin = Pick<KafkaAdmin, 'topicAuthorizedOperations' | 'createTopic' | 'close'>

/**
 * Creates the topics a source task writes to, each before the task's first write to it (Apache's TopicCreation and
 * `AbstractWorkerSourceTask.maybeCreateTopic`): a topic that exists is left as it is; a new one is created with the
 * first group that takes it, in `topic.creation.groups` order, `default` last. A topic that can be neither found nor
 * created fails the task.
 */
export class TopicCreation {
  readonly #default: TopicCreationGroup
  readonly #groups: readonly TopicCreationGroup[]
  readonly #admin: TopicCreationAdmin
  readonly #log: Logger
  /** Topics known to exist. */
  readonly #known = new Set<string>()

  constructor(
    groups: { default: TopicCreationGroup; groups: TopicCreationGroup[] },
    admin: TopicCreationAdmin,
    log: Logger,
  ) {
    this.#default = groups.default
    this.#groups = groups.groups
    this.#admin = admin
    this.#log = log
  }

  /** The first group that takes the topic; the default group when no other does. */
  findFirstGroup(topic: string): TopicCreationGroup {
    return this.#groups.find((g) => g.matches(topic)) ?? this.#default
  }

  /** Makes sure each topic exists, creating the missing ones. */
  async ensure(topics: Iterable<string>): Promise<void> {
    for (const topic of topics) {
      if (this.#known.has(topic)) continue
      await this.#maybeCreate(topic)
      this.#known.add(topic)
    }
  }

  async #maybeCreate(topic: string): Promise<void> {
    this.#log.info(`The task will send records to topic '${topic}' for the first time. Checking whether topic exists`)
    const access = (await this.#admin.topicAuthorizedOperations([topic])).get(topic)
    if (access !== undefined && access !== 'denied' && access.exists) {
      this.#log.info(`Topic '${topic}' already exists.`)
      return
    }
    const group = this.findFirstGroup(topic)
    this.#log.info(`Creating topic '${topic}'`)
    try {
      await this.#admin.createTopic(topic, group.partitions, group.replicationFactor, { ...group.configs })
      this.#log.info(
        { partitions: group.partitions, replicationFactor: group.replicationFactor, configs: group.configs },
        `Created topic '${topic}' using creation group ${group.name}`,
      )
    } catch (e) {
      if (kafkaErrorIds(e).includes('TOPIC_ALREADY_EXISTS')) {
        this.#log.info(`Found existing topic '${topic}'`)
        return
      }
      throw new ConnectException(
        `Task failed to create new topic ${topic} (group ${group.name}: partitions=${group.partitions}, replication factor=${group.replicationFactor}${Object.keys(group.configs).length > 0 ? `, ${JSON.stringify(group.configs)}` : ''}): ${(e as Error).message}. Ensure that the task is authorized to create topics or that the topic exists and restart the task`,
        e,
      )
    }
  }

  close(): Promise<void> {
    return this.#admin.close()
  }
}
