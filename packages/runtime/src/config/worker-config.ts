import { ConfigDef, ConfigException, type ConfigKeyDefinition, Range, ValidList, ValidString } from '@ferry/api'
import { LOG_FORMATS } from '../logger.ts'
import { versionRequirement } from '../plugins/version-range.ts'
import { WorkerClients } from '../worker/worker-clients.ts'

/**
 * KIP-891's worker `<converter>.plugin.version`: the version (or Maven range) of the worker's converter that
 * connectors which set no converter of their own run with; the newest when unset. Apache takes any string and fails
 * each task on a bad range; Ferry refuses it at start.
 */
function converterVersionKey(converterKey: string, documentation: string): ConfigKeyDefinition {
  return {
    name: `${converterKey}.plugin.version`,
    type: 'STRING',
    defaultValue: null,
    validator: {
      ensureValid(name, value) {
        if (value === null || value === undefined) return
        try {
          versionRequirement(String(value))
        } catch (e) {
          throw new ConfigException(name, value, (e as Error).message)
        }
      },
      toString: () => 'a version or a Maven version range',
    },
    importance: 'LOW',
    documentation,
  }
}

/** Worker keys shared by standalone and distributed mode, with Apache's names and defaults (WorkerConfig). */
export const WORKER_CONFIG_DEF = new ConfigDef()
  .define({
    name: 'bootstrap.servers',
    type: 'LIST',
    defaultValue: 'localhost:9092',
    importance: 'HIGH',
    documentation: 'A list of host/port pairs used to establish the initial connection to the Kafka cluster.',
  })
  .define({
    name: 'key.converter',
    type: 'CLASS',
    importance: 'HIGH',
    documentation:
      'Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record keys).',
  })
  .define({
    name: 'value.converter',
    type: 'CLASS',
    importance: 'HIGH',
    documentation:
      'Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record values).',
  })
  .define({
    name: 'header.converter',
    type: 'CLASS',
    defaultValue: 'org.apache.kafka.connect.storage.SimpleHeaderConverter',
    importance: 'LOW',
    documentation:
      'HeaderConverter class used to convert between Kafka Connect format and the serialized form of header values.',
  })
  .define(converterVersionKey('key.converter', 'Version of the key converter.'))
  .define(converterVersionKey('value.converter', 'Version of the value converter.'))
  .define(converterVersionKey('header.converter', 'Version of the header converter.'))
  .define({
    name: 'offset.flush.interval.ms',
    type: 'LONG',
    defaultValue: 60000,
    validator: Range.atLeast(0),
    importance: 'LOW',
    documentation: 'Interval at which to try committing offsets for tasks.',
  })
  .define({
    name: 'offset.flush.timeout.ms',
    type: 'LONG',
    defaultValue: 5000,
    validator: Range.atLeast(0),
    importance: 'LOW',
    documentation:
      'Maximum number of milliseconds to wait for records to flush and partition offset data to be committed to offset storage before cancelling the process and restoring the offset data to be committed in a future attempt.',
  })
  .define({
    name: 'task.shutdown.graceful.timeout.ms',
    type: 'LONG',
    defaultValue: 5000,
    validator: Range.atLeast(0),
    importance: 'LOW',
    documentation: 'Amount of time to wait for tasks to shutdown gracefully.',
  })
  .define({
    name: 'client.id',
    type: 'STRING',
    defaultValue: '',
    importance: 'LOW',
    documentation: 'An id string to pass to the server when making requests.',
  })
  .define({
    name: 'request.timeout.ms',
    type: 'INT',
    defaultValue: 40000,
    validator: Range.atLeast(0),
    importance: 'MEDIUM',
    documentation: 'The maximum amount of time the client will wait for the response of a request.',
  })
  .define({
    name: 'listeners',
    type: 'LIST',
    defaultValue: 'http://:8083',
    importance: 'LOW',
    documentation: 'List of comma-separated URIs the REST API will listen on.',
  })
  .define({
    name: 'plugin.path',
    type: 'LIST',
    defaultValue: null,
    importance: 'LOW',
    documentation:
      'List of paths separated by commas (,) that contain plugins: npm package folders whose package.json has a "ferry" field, node_modules trees, or folders holding one (as ferry plugins install makes). See docs/plugins.md.',
  })
  .define({
    name: 'topic.creation.enable',
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'LOW',
    documentation:
      'Whether to allow automatic creation of topics used by source connectors, when source connectors are configured with `topic.creation.` properties. Each task will use an admin client to create its topics and will not depend on the Kafka brokers to create topics automatically.',
  })
  .define({
    name: 'ui.enabled',
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'LOW',
    documentation:
      "Ferry's own: whether the REST listeners serve the web UI at /ui (a page that uses only the REST API). See docs/operations.md.",
  })
  .define({
    name: 'log.format',
    type: 'STRING',
    defaultValue: 'json',
    validator: ValidString.in(...LOG_FORMATS),
    importance: 'LOW',
    documentation:
      "Ferry's own: how the worker writes its log on stdout: json (one JSON object a line) or pretty (readable lines for a terminal, coloured when it takes colours). The FERRY_LOG_FORMAT environment variable overrides it. Read before config providers, so it takes a literal value. See docs/operations.md#logging.",
  })
  .define({
    name: 'metrics.listener',
    type: 'STRING',
    defaultValue: null,
    importance: 'LOW',
    documentation:
      "Ferry's own: where GET /metrics (Prometheus text format) is served, as http://host:port. Unset: on the REST listeners; empty: nowhere. See docs/operations.md#metrics.",
  })
  .define({
    name: 'metrics.sample.window.ms',
    type: 'LONG',
    defaultValue: 30000,
    validator: Range.atLeast(1),
    importance: 'LOW',
    documentation: 'The window of time a metrics sample is computed over (the rates, averages and maxima of /metrics).',
  })
  .define({
    name: 'metrics.num.samples',
    type: 'INT',
    defaultValue: 2,
    validator: Range.atLeast(1),
    importance: 'LOW',
    documentation: 'The number of samples maintained to compute metrics.',
  })
  // Its `config.providers.<name>.class` and `.param.*` keys are checked by config/config-providers.ts.
  .define({
    name: 'config.providers',
    type: 'LIST',
    defaultValue: [],
    importance: 'LOW',
    documentation:
      'Comma-separated names of <code>ConfigProvider</code> classes, loaded and used in the order specified. Implementing the interface  <code>ConfigProvider</code> allows you to replace variable references in connector configurations, such as for externalized secrets. ',
  })

/** Standalone-only keys (StandaloneConfig). */
export const STANDALONE_CONFIG_DEF = new ConfigDef().define({
  name: 'offset.storage.file.filename',
  type: 'STRING',
  importance: 'HIGH',
  documentation: "File to store source connector offsets in (JSON; Ferry does not read Apache's Java-serialised file).",
})

/** HMAC algorithms by their Java names (`inter.worker.*`), as node:crypto names them. */
export const HMAC_ALGORITHMS: Readonly<Record<string, string>> = {
  HmacSHA256: 'sha256',
  HmacSHA384: 'sha384',
  HmacSHA512: 'sha512',
  HmacSHA224: 'sha224',
  HmacSHA1: 'sha1',
  HmacMD5: 'md5',
}

const replicationFactor = (name: string) => ({
  name,
  type: 'SHORT' as const,
  defaultValue: 3,
  validator: {
    ensureValid(key: string, value: unknown) {
      const n = Number(value)
      if (n !== -1 && n < 1) {
        throw new ConfigException(
          key,
          value,
          "Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default",
        )
      }
    },
    toString: () =>
      "Positive number not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default",
  },
  importance: 'LOW' as const,
  documentation: `Replication factor used when creating the ${name.split('.')[0]} storage topic`,
})

/** Distributed-only keys (DistributedConfig), Apache's names and defaults. */
export const DISTRIBUTED_CONFIG_DEF = new ConfigDef()
  .define({
    name: 'group.id',
    type: 'STRING',
    importance: 'HIGH',
    documentation: 'A unique string that identifies the Connect cluster group this worker belongs to.',
  })
  .define({
    name: 'config.storage.topic',
    type: 'STRING',
    importance: 'HIGH',
    documentation: 'The name of the Kafka topic where connector configurations are stored',
  })
  .define(replicationFactor('config.storage.replication.factor'))
  .define({
    name: 'offset.storage.topic',
    type: 'STRING',
    importance: 'HIGH',
    documentation: 'The name of the Kafka topic where source connector offsets are stored',
  })
  .define({
    name: 'offset.storage.partitions',
    type: 'INT',
    defaultValue: 25,
    validator: Range.atLeast(-1),
    importance: 'LOW',
    documentation: 'The number of partitions used when creating the offset storage topic',
  })
  .define(replicationFactor('offset.storage.replication.factor'))
  .define({
    name: 'status.storage.topic',
    type: 'STRING',
    importance: 'HIGH',
    documentation: 'The name of the Kafka topic where connector and task status are stored',
  })
  .define({
    name: 'status.storage.partitions',
    type: 'INT',
    defaultValue: 5,
    validator: Range.atLeast(-1),
    importance: 'LOW',
    documentation: 'The number of partitions used when creating the status storage topic',
  })
  .define(replicationFactor('status.storage.replication.factor'))
  .define({
    name: 'session.timeout.ms',
    type: 'INT',
    defaultValue: 10000,
    importance: 'HIGH',
    documentation: 'The timeout used to detect worker failures.',
  })
  .define({
    name: 'heartbeat.interval.ms',
    type: 'INT',
    defaultValue: 3000,
    importance: 'HIGH',
    documentation:
      "The expected time between heartbeats to the group coordinator when using Kafka's group management facilities.",
  })
  .define({
    name: 'rebalance.timeout.ms',
    type: 'INT',
    defaultValue: 60000,
    importance: 'HIGH',
    documentation: 'The maximum allowed time for each worker to join the group once a rebalance has begun.',
  })
  .define({
    name: 'worker.sync.timeout.ms',
    type: 'INT',
    defaultValue: 3000,
    importance: 'MEDIUM',
    documentation:
      'When the worker is out of sync with other workers and needs to resynchronize configurations, wait up to this amount of time before giving up, leaving the group, and waiting a backoff period before rejoining.',
  })
  .define({
    name: 'worker.unsync.backoff.ms',
    type: 'INT',
    defaultValue: 300000,
    importance: 'MEDIUM',
    documentation:
      'When the worker is out of sync with other workers and fails to catch up within worker.sync.timeout.ms, leave the Connect cluster for this long before rejoining.',
  })
  .define({
    name: 'connect.protocol',
    type: 'STRING',
    defaultValue: 'sessioned',
    validator: ValidString.in('eager', 'compatible', 'sessioned'),
    importance: 'LOW',
    documentation: 'Compatibility mode for Kafka Connect Protocol',
  })
  .define({
    name: 'scheduled.rebalance.max.delay.ms',
    type: 'INT',
    defaultValue: 300000,
    validator: Range.between(0, 2147483647),
    importance: 'LOW',
    documentation:
      'The maximum delay that is scheduled in order to wait for the return of one or more departed workers before rebalancing and reassigning their connectors and tasks to the group.',
  })
  .define({
    name: 'worker.probe.interval.ms',
    type: 'INT',
    defaultValue: 1000,
    validator: Range.atLeast(0),
    importance: 'LOW',
    documentation:
      "Ferry's own: how often each worker opens a TCP connection to the advertised REST port of every other worker in the group (and closes it at once). A worker whose port accepted connections before and now refuses them (its process has exited) is removed from the group at once (LeaveGroup on its behalf), so the group rebalances and scheduled.rebalance.max.delay.ms starts now instead of after session.timeout.ms. A worker that is frozen or out of reach is still found by session.timeout.ms. 0 turns the probe off. See docs/distributed.md.",
  })
  .define({
    name: 'sink.task.static.membership',
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'LOW',
    documentation:
      "Ferry's own: whether each sink task's consumer joins its group as a static member (KIP-345) with group.instance.id <group.id>-connector-consumer-<connector>-<task>, so a task moved off a dead worker takes its partitions at once and a copy left on a frozen worker is fenced. false: dynamic members, as Apache Connect's (a moved task waits out the dead consumer's session.timeout.ms). A group.instance.id set with consumer.group.instance.id or consumer.override.group.instance.id is used as it is either way. Distributed mode only. See docs/distributed.md.",
  })
  .define({
    name: 'exactly.once.source.support',
    type: 'STRING',
    defaultValue: 'disabled',
    validator: ValidString.in('disabled', 'preparing', 'enabled'),
    importance: 'HIGH',
    documentation:
      "Whether to enable exactly-once support for source connectors in the cluster by using transactions to write source records and their source offsets, and by proactively fencing out old task generations before bringing up new ones.\nTo enable exactly-once source support on a new cluster, set this property to 'enabled'. To enable support on an existing cluster, first set to 'preparing' on every worker in the cluster, then set to 'enabled'. A rolling upgrade may be used for both changes. For more information on this feature, see the <a href=\"https://kafka.apache.org/documentation.html#connect_exactlyoncesource\">exactly-once source support documentation</a>.",
  })
  .define({
    name: 'inter.worker.key.generation.algorithm',
    type: 'STRING',
    defaultValue: 'HmacSHA256',
    validator: ValidString.in(...Object.keys(HMAC_ALGORITHMS)),
    importance: 'LOW',
    documentation: 'The algorithm to use for generating internal request keys.',
  })
  .define({
    name: 'inter.worker.key.size',
    type: 'INT',
    defaultValue: null,
    importance: 'LOW',
    documentation:
      'The size of the key to use for signing internal requests, in bits. If null, the default key size for the key generation algorithm will be used.',
  })
  .define({
    name: 'inter.worker.key.ttl.ms',
    type: 'INT',
    defaultValue: 3600000,
    validator: Range.between(0, 2147483647),
    importance: 'LOW',
    documentation: 'The TTL of generated session keys used for internal request validation (in milliseconds)',
  })
  .define({
    name: 'inter.worker.signature.algorithm',
    type: 'STRING',
    defaultValue: 'HmacSHA256',
    validator: ValidString.in(...Object.keys(HMAC_ALGORITHMS)),
    importance: 'LOW',
    documentation: 'The algorithm used to sign internal requests.',
  })
  .define({
    name: 'inter.worker.verification.algorithms',
    type: 'LIST',
    defaultValue: 'HmacSHA256',
    validator: ValidList.in(...Object.keys(HMAC_ALGORITHMS)),
    importance: 'LOW',
    documentation: 'A list of permitted algorithms for verifying internal requests.',
  })

/** The parsed distributed keys. */
export interface DistributedSettings {
  groupId: string
  configTopic: string
  configReplicationFactor: number
  offsetTopic: string
  offsetPartitions: number
  offsetReplicationFactor: number
  statusTopic: string
  statusPartitions: number
  statusReplicationFactor: number
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
  rebalanceTimeoutMs: number
  workerSyncTimeoutMs: number
  workerUnsyncBackoffMs: number
  connectProtocol: 'eager' | 'compatible' | 'sessioned'
  scheduledRebalanceMaxDelayMs: number
  /** `worker.probe.interval.ms` (Ferry's own): 0 = no probe of the other workers' REST ports. */
  workerProbeIntervalMs: number
  /** `sink.task.static.membership` (Ferry's own): sink task consumers are static members. */
  sinkTaskStaticMembership: boolean
  keyGenerationAlgorithm: string
  keySizeBits: number | null
  keyTtlMs: number
  signatureAlgorithm: string
  verificationAlgorithms: string[]
  /**
   * `exactly.once.source.support` (KIP-618): `enabled` runs source tasks transactionally and fences zombies;
   * `preparing` and `enabled` make the leader's config-topic writes transactional (the rolling-upgrade step).
   */
  exactlyOnceSourceSupport: ExactlyOnceSourceSupport
}

/** The values of `exactly.once.source.support` (Apache's `DistributedConfig.ExactlyOnceSourceSupport`). */
export type ExactlyOnceSourceSupport = 'disabled' | 'preparing' | 'enabled'

/** Whether source tasks run with exactly-once support (Apache's `exactlyOnceSourceEnabled()`): distributed and `enabled`. */
export function exactlyOnceSourceEnabled(config: Pick<WorkerConfig, 'distributed'>): boolean {
  return config.distributed?.exactlyOnceSourceSupport === 'enabled'
}

/**
 * Whether the leader writes the config topic through a transactional producer (Apache's `transactionalLeaderEnabled()`):
 * `preparing` or `enabled`.
 */
export function transactionalLeaderEnabled(config: Pick<WorkerConfig, 'distributed'>): boolean {
  const support = config.distributed?.exactlyOnceSourceSupport
  return support === 'preparing' || support === 'enabled'
}

/** The leader's transactional id for config-topic writes (Apache's `DistributedConfig.transactionalProducerId`). */
export function transactionalLeaderId(groupId: string): string {
  return `connect-cluster-${groupId}`
}

/** Parsed worker settings the runtime uses. The raw properties stay available for prefixed client and converter keys. */
export interface WorkerConfig {
  readonly originals: Readonly<Record<string, string>>
  readonly bootstrapServers: string[]
  readonly keyConverter: string
  readonly valueConverter: string
  readonly headerConverter: string
  readonly offsetFlushIntervalMs: number
  readonly offsetFlushTimeoutMs: number
  readonly taskShutdownTimeoutMs: number
  readonly clientId: string
  readonly requestTimeoutMs: number
  readonly offsetStorageFile: string | null
  /** `topic.creation.enable`: source connectors' `topic.creation.*` keys are honoured (KIP-158); absent: true. */
  readonly topicCreationEnable?: boolean
  /** `ui.enabled`: the worker serves the web UI at /ui; absent: true. */
  readonly uiEnabled?: boolean
  /** `metrics.sample.window.ms` and `metrics.num.samples`: the windows of the rates, averages and maxima. */
  readonly metricsSampleWindowMs?: number
  readonly metricsNumSamples?: number
  /** Distributed mode's keys; null in standalone mode. */
  readonly distributed: DistributedSettings | null
  /** The Kafka client keys (security, `producer.*`, `consumer.*`, `admin.*`), parsed for each kind of client. */
  readonly clients: WorkerClients
}

/** Validates and parses worker properties; every problem is reported at once, each on its key. */
export function parseWorkerConfig(props: Record<string, string>, mode: 'standalone' | 'distributed'): WorkerConfig {
  const defs = [WORKER_CONFIG_DEF, mode === 'standalone' ? STANDALONE_CONFIG_DEF : DISTRIBUTED_CONFIG_DEF]
  const problems: string[] = []
  for (const def of defs) {
    for (const v of def.validate(props)) for (const m of v.errorMessages) problems.push(m)
  }
  if (problems.length > 0) throw new ConfigException(`Invalid worker configuration: ${problems.join('; ')}`)
  const parsed: Record<string, unknown> = {}
  for (const def of defs) Object.assign(parsed, def.parse(props))
  const distributed = mode === 'distributed' ? distributedSettings(parsed) : null
  const bootstrapServers = (parsed['bootstrap.servers'] as string[]) ?? ['localhost:9092']
  return {
    originals: { ...props },
    bootstrapServers,
    keyConverter: parsed['key.converter'] as string,
    valueConverter: parsed['value.converter'] as string,
    headerConverter: parsed['header.converter'] as string,
    offsetFlushIntervalMs: Number(parsed['offset.flush.interval.ms']),
    offsetFlushTimeoutMs: Number(parsed['offset.flush.timeout.ms']),
    taskShutdownTimeoutMs: Number(parsed['task.shutdown.graceful.timeout.ms']),
    clientId: (parsed['client.id'] as string) ?? '',
    requestTimeoutMs: Number(parsed['request.timeout.ms']),
    offsetStorageFile: (parsed['offset.storage.file.filename'] as string | undefined) ?? null,
    topicCreationEnable: parsed['topic.creation.enable'] !== false,
    uiEnabled: parsed['ui.enabled'] !== false,
    metricsSampleWindowMs: Number(parsed['metrics.sample.window.ms']),
    metricsNumSamples: Number(parsed['metrics.num.samples']),
    distributed,
    clients: new WorkerClients(props, bootstrapServers),
  }
}

function distributedSettings(parsed: Record<string, unknown>): DistributedSettings {
  const n = (key: string) => Number(parsed[key])
  const topics = ['config.storage.topic', 'offset.storage.topic', 'status.storage.topic']
  for (const key of topics) {
    if (!String(parsed[key]).trim()) throw new ConfigException(key, parsed[key], 'Must specify a non-empty topic name')
  }
  for (let i = 0; i < topics.length; i++) {
    for (let j = i + 1; j < topics.length; j++) {
      if (parsed[topics[i]!] === parsed[topics[j]!]) {
        throw new ConfigException(
          `Invalid worker configuration: ${topics[i]} and ${topics[j]} are both '${parsed[topics[i]!]}'; the three internal topics must differ`,
        )
      }
    }
  }
  const signature = parsed['inter.worker.signature.algorithm'] as string
  const verification = parsed['inter.worker.verification.algorithms'] as string[]
  if (!verification.includes(signature)) {
    throw new ConfigException(
      'inter.worker.verification.algorithms',
      verification.join(','),
      `Signature algorithm '${signature}' must be present in inter.worker.verification.algorithms list.`,
    )
  }
  const keySize = parsed['inter.worker.key.size']
  return {
    groupId: parsed['group.id'] as string,
    configTopic: parsed['config.storage.topic'] as string,
    configReplicationFactor: n('config.storage.replication.factor'),
    offsetTopic: parsed['offset.storage.topic'] as string,
    offsetPartitions: n('offset.storage.partitions'),
    offsetReplicationFactor: n('offset.storage.replication.factor'),
    statusTopic: parsed['status.storage.topic'] as string,
    statusPartitions: n('status.storage.partitions'),
    statusReplicationFactor: n('status.storage.replication.factor'),
    sessionTimeoutMs: n('session.timeout.ms'),
    heartbeatIntervalMs: n('heartbeat.interval.ms'),
    rebalanceTimeoutMs: n('rebalance.timeout.ms'),
    workerSyncTimeoutMs: n('worker.sync.timeout.ms'),
    workerUnsyncBackoffMs: n('worker.unsync.backoff.ms'),
    connectProtocol: parsed['connect.protocol'] as DistributedSettings['connectProtocol'],
    scheduledRebalanceMaxDelayMs: n('scheduled.rebalance.max.delay.ms'),
    workerProbeIntervalMs: n('worker.probe.interval.ms'),
    sinkTaskStaticMembership: parsed['sink.task.static.membership'] as boolean,
    keyGenerationAlgorithm: parsed['inter.worker.key.generation.algorithm'] as string,
    keySizeBits: keySize === null || keySize === undefined ? null : Number(keySize),
    keyTtlMs: n('inter.worker.key.ttl.ms'),
    signatureAlgorithm: signature,
    verificationAlgorithms: verification,
    exactlyOnceSourceSupport: parsed['exactly.once.source.support'] as ExactlyOnceSourceSupport,
  }
}

export { withPrefix } from './properties.ts'
