/**
 * Apache's Kafka client keys → Ferry's client settings (`./client-settings.ts`).
 *
 * `CLIENT_KEYS` lists every key Apache 4.4's ProducerConfig, ConsumerConfig and AdminClientConfig define, with
 * Apache's type, default and validator, and what Ferry does with it:
 *
 * - `honoured`: parsed into a settings field (`field`);
 * - `no-op`: accepted with any valid value, because it has no effect for Connect's clients in Apache either
 *   (`reason` says why);
 * - `refused`: Ferry cannot do what a value other than Apache's default (or one of `accepts`) asks, so such a value
 *   is an error naming the key and the reason.
 *
 * The functions report every problem at once (`ClientConfigException.problems`), each naming its key, with Apache's
 * messages where Apache has one (`Invalid value X for configuration Y: ...`). A secret is never part of a message, a
 * description or a returned string: passwords reach the client library only through provider functions.
 */

import { statSync } from 'node:fs'
import {
  CaseInsensitiveValidString,
  ConfigDef,
  ConfigException,
  type ConfigType,
  LambdaValidator,
  NonEmptyString,
  Password,
  Range,
  type SslConfig,
  sslOptions,
  type Validator,
  ValidString,
} from '@ferry/api'
import type { SASLOptions } from '@platformatic/kafka'
import type {
  AdminSettings,
  ClientSettings,
  CompressionType,
  ConnectionSecurity,
  ConsumerSettings,
  ProducerSettings,
  SecurityProtocol,
} from './client-settings.ts'
import { type JaasModule, parseClientJaasConfig } from './jaas.ts'
import {
  type BearerToken,
  fileToken,
  requestToken,
  saslExtensions,
  type TokenEndpoint,
  TokenProvider,
  UNSECURED_EXTENSION_PREFIX,
  unsecuredToken,
  validateClientJwt,
} from './oauth.ts'

export type ClientKind = 'producer' | 'consumer' | 'admin'

export type KeyTreatment =
  | { status: 'honoured'; field: string }
  | { status: 'no-op'; reason: string }
  | {
      status: 'refused'
      reason: string
      /** Values accepted besides Apache's default (as the parsed value prints: lists joined with `,`). */
      accepts?: readonly string[]
      /** Apache's default is refused too (Connect never runs the client with it). */
      refuseDefault?: boolean
    }

export interface ClientKey {
  name: string
  clients: readonly ClientKind[]
  type: ConfigType
  /** Apache's default, as a config string (null: none); per client where the clients differ. */
  defaultValue: string | null | Readonly<Record<ClientKind, string>>
  validator?: Validator
  treatment: KeyTreatment
  /** A different treatment for some clients. */
  byClient?: Partial<Record<ClientKind, KeyTreatment>>
}

/** Apache 4.x `ConfigDef.ValidList.anyNonDuplicateValues`: no empty and no repeated elements. */
function listValidator(allowEmptyList: boolean): Validator {
  return LambdaValidator.with(
    (name, value) => {
      if (!Array.isArray(value)) return
      if (value.length === 0 && !allowEmptyList) {
        throw new ConfigException(
          `Configuration '${name}' must not be empty. Valid values include: any non-empty value`,
        )
      }
      if (value.some((v) => v === '')) throw new ConfigException(`Configuration '${name}' values must not be empty.`)
      if (new Set(value).size !== value.length) {
        throw new ConfigException(`Configuration '${name}' values must not be duplicated.`)
      }
    },
    () => (allowEmptyList ? '' : 'any non-empty value'),
  )
}

const GZIP_LEVEL = LambdaValidator.with(
  (name, value) => {
    const n = Number(value)
    if (n !== -1 && (n < 1 || n > 9))
      throw new ConfigException(name, value, 'Value must be between 1 and 9 or equal to -1')
  },
  () => '[1,...,9] or -1',
)

const AUTO_OFFSET_RESET = LambdaValidator.with(
  (name, value) => {
    const s = String(value)
    const duration = /^by_duration:(.*)$/i.exec(s)
    if (s === 'earliest' || s === 'latest' || s === 'none' || (duration && isoDurationMs(duration[1]!) !== null)) return
    throw new ConfigException(
      name,
      value,
      `Invalid value \`${s}\` for configuration ${name}. The value must be either 'earliest', 'latest', 'none' or of the format 'by_duration:<PnDTnHnMn.nS.>'.`,
    )
  },
  () => '[latest, earliest, none, by_duration:PnDTnHnMn.nS]',
)

const SHARE_ACQUIRE_MODE = LambdaValidator.with(
  (name, value) => {
    const s = String(value).toLowerCase()
    if (s === 'batch_optimized' || s === 'record_limit') return
    throw new ConfigException(
      name,
      value,
      `Invalid value \`${String(value)}\` for configuration ${name}. The value must either be 'batch_optimized' or 'record_limit'.`,
    )
  },
  () => '[batch_optimized, record_limit]',
)

/** java.time.Duration.parse (PnDTnHnMn.nS); null when it does not parse. */
function isoDurationMs(text: string): number | null {
  const m = /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$/i.exec(
    text,
  )
  if (m === null || text.toUpperCase().endsWith('T') || (!m[2] && !m[3] && !m[4] && !m[5])) return null
  const n = (s: string | undefined) => (s ? Number(s) : 0)
  const ms = n(m[2]) * 86400000 + n(m[3]) * 3600000 + n(m[4]) * 60000 + n(m[5]) * 1000 + Number(`0.${m[6] ?? 0}`) * 1000
  return m[1] === '-' ? -ms : ms
}

/** Every key of Apache 4.4's producer, consumer and admin client configs, and what Ferry does with it. */
export const CLIENT_KEYS: readonly ClientKey[] = [
  {
    name: 'acks',
    clients: ['producer'],
    type: 'STRING',
    defaultValue: 'all',
    validator: ValidString.in('all', '-1', '0', '1'),
    treatment: { status: 'honoured', field: 'acks' },
  },
  {
    name: 'allow.auto.create.topics',
    clients: ['consumer'],
    type: 'BOOLEAN',
    defaultValue: 'true',
    treatment: {
      status: 'refused',
      reason: "Ferry's consumer lets the broker create a missing topic (auto.create.topics.enable decides)",
    },
  },
  {
    name: 'auto.commit.interval.ms',
    clients: ['consumer'],
    type: 'INT',
    defaultValue: '5000',
    validator: Range.atLeast(0),
    treatment: {
      status: 'no-op',
      reason: 'read only when enable.auto.commit=true, which Ferry refuses: Connect commits sink offsets itself',
    },
  },
  {
    name: 'auto.offset.reset',
    clients: ['consumer'],
    type: 'STRING',
    defaultValue: 'latest',
    validator: AUTO_OFFSET_RESET,
    treatment: { status: 'honoured', field: 'autoOffsetReset' },
  },
  {
    name: 'batch.size',
    clients: ['producer'],
    type: 'INT',
    defaultValue: '16384',
    validator: Range.atLeast(0),
    treatment: { status: 'honoured', field: 'batchSize' },
  },
  {
    name: 'bootstrap.controllers',
    clients: ['admin'],
    type: 'LIST',
    defaultValue: '',
    validator: listValidator(true),
    treatment: { status: 'refused', reason: "Ferry's admin client talks to brokers (bootstrap.servers) only" },
  },
  {
    name: 'bootstrap.resolve.timeout.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LONG',
    defaultValue: '0',
    validator: Range.atLeast(0),
    treatment: {
      status: 'refused',
      reason: 'Ferry keeps retrying bootstrap servers whose names do not resolve; it has no resolve timeout',
    },
  },
  {
    name: 'bootstrap.servers',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LIST',
    defaultValue: null,
    validator: listValidator(false),
    treatment: { status: 'honoured', field: 'bootstrapServers' },
  },
  {
    name: 'buffer.memory',
    clients: ['producer'],
    type: 'LONG',
    defaultValue: '33554432',
    validator: Range.atLeast(0),
    treatment: { status: 'honoured', field: 'bufferMemory' },
  },
  {
    name: 'buffer.memory.allocation.strategy',
    clients: ['producer'],
    type: 'STRING',
    defaultValue: 'full',
    validator: CaseInsensitiveValidString.in('FULL', 'INCREMENTAL'),
    treatment: { status: 'refused', reason: "Ferry's producer has one way to hold its buffered records" },
  },
  {
    name: 'check.crcs',
    clients: ['consumer'],
    type: 'BOOLEAN',
    defaultValue: 'true',
    treatment: {
      status: 'refused',
      reason:
        "Ferry's fetcher does not check record batch CRCs (the broker checked them when the batches were written): only false is honoured",
      accepts: ['false'],
    },
  },
  {
    name: 'client.dns.lookup',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: 'use_all_dns_ips',
    validator: ValidString.in('use_all_dns_ips', 'resolve_canonical_bootstrap_servers_only'),
    treatment: {
      status: 'refused',
      reason: "Ferry's clients connect to every address a broker name resolves to; they do not resolve canonical names",
      accepts: ['use_all_dns_ips'],
    },
  },
  {
    name: 'client.id',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: '',
    treatment: { status: 'honoured', field: 'clientId' },
  },
  {
    name: 'client.rack',
    clients: ['producer', 'consumer'],
    type: 'STRING',
    defaultValue: '',
    treatment: { status: 'honoured', field: 'clientRack' },
    byClient: {
      producer: {
        status: 'no-op',
        reason: 'read only by the rack-aware partitioner (partitioner.rack.aware=true), which Ferry refuses',
      },
    },
  },
  {
    name: 'compression.gzip.level',
    clients: ['producer'],
    type: 'INT',
    defaultValue: '-1',
    validator: GZIP_LEVEL,
    treatment: { status: 'honoured', field: 'compression.level' },
  },
  {
    name: 'compression.lz4.level',
    clients: ['producer'],
    type: 'INT',
    defaultValue: '9',
    validator: Range.between(1, 17),
    treatment: { status: 'honoured', field: 'compression.level' },
  },
  {
    name: 'compression.type',
    clients: ['producer'],
    type: 'STRING',
    defaultValue: 'none',
    validator: ValidString.in('none', 'gzip', 'snappy', 'lz4', 'zstd'),
    treatment: { status: 'honoured', field: 'compression.type' },
  },
  {
    name: 'compression.zstd.level',
    clients: ['producer'],
    type: 'INT',
    defaultValue: '3',
    validator: Range.between(-131072, 22),
    treatment: { status: 'honoured', field: 'compression.level' },
  },
  {
    name: 'config.providers',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LIST',
    defaultValue: '',
    validator: listValidator(true),
    treatment: {
      status: 'refused',
      reason: 'Ferry resolves config providers in the worker and connector configs, not inside a client config',
    },
  },
  {
    name: 'connections.max.idle.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LONG',
    defaultValue: { producer: '540000', consumer: '540000', admin: '300000' },
    treatment: {
      status: 'refused',
      reason: "Ferry's clients keep their broker connections open; they do not close idle ones",
    },
  },
  {
    name: 'default.api.timeout.ms',
    clients: ['consumer', 'admin'],
    type: 'INT',
    defaultValue: '60000',
    validator: Range.atLeast(0),
    treatment: {
      status: 'refused',
      reason: "Ferry's clients time each request with request.timeout.ms; they have no separate API timeout",
    },
  },
  {
    name: 'delivery.timeout.ms',
    clients: ['producer'],
    type: 'INT',
    defaultValue: '120000',
    validator: Range.atLeast(0),
    treatment: { status: 'honoured', field: 'deliveryTimeoutMs' },
  },
  {
    name: 'enable.auto.commit',
    clients: ['consumer'],
    type: 'BOOLEAN',
    defaultValue: 'true',
    treatment: {
      status: 'refused',
      reason: "Connect commits sink offsets itself (Apache's worker sets enable.auto.commit=false)",
      accepts: ['false'],
      refuseDefault: true,
    },
  },
  {
    name: 'enable.idempotence',
    clients: ['producer'],
    type: 'BOOLEAN',
    defaultValue: 'true',
    treatment: { status: 'honoured', field: 'idempotence' },
  },
  {
    name: 'enable.metrics.push',
    clients: ['producer', 'consumer', 'admin'],
    type: 'BOOLEAN',
    defaultValue: { producer: 'true', consumer: 'true', admin: 'false' },
    treatment: {
      status: 'refused',
      reason: "Ferry's clients push no metrics to the broker (KIP-714): only false is honoured",
      accepts: ['false'],
    },
  },
  {
    name: 'exclude.internal.topics',
    clients: ['consumer'],
    type: 'BOOLEAN',
    defaultValue: 'true',
    treatment: { status: 'refused', reason: "not configurable in Ferry's consumer" },
  },
  {
    name: 'fetch.max.bytes',
    clients: ['consumer'],
    type: 'INT',
    defaultValue: '52428800',
    validator: Range.atLeast(0),
    treatment: { status: 'honoured', field: 'fetchMaxBytes' },
  },
  {
    name: 'fetch.max.wait.ms',
    clients: ['consumer'],
    type: 'INT',
    defaultValue: '500',
    validator: Range.atLeast(0),
    treatment: { status: 'honoured', field: 'fetchMaxWaitMs' },
  },
  {
    name: 'fetch.min.bytes',
    clients: ['consumer'],
    type: 'INT',
    defaultValue: '1',
    validator: Range.atLeast(0),
    treatment: { status: 'honoured', field: 'fetchMinBytes' },
  },
  {
    name: 'group.id',
    clients: ['consumer'],
    type: 'STRING',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'groupId' },
  },
  {
    name: 'group.instance.id',
    clients: ['consumer'],
    type: 'STRING',
    defaultValue: null,
    validator: NonEmptyString,
    treatment: { status: 'honoured', field: 'groupInstanceId' },
  },
  {
    name: 'group.protocol',
    clients: ['consumer'],
    type: 'STRING',
    defaultValue: 'classic',
    validator: CaseInsensitiveValidString.in('CONSUMER', 'CLASSIC'),
    treatment: {
      status: 'refused',
      reason: "Ferry's consumer uses the classic group protocol; the consumer protocol (KIP-848) is not supported",
    },
  },
  {
    name: 'group.remote.assignor',
    clients: ['consumer'],
    type: 'STRING',
    defaultValue: null,
    treatment: {
      status: 'refused',
      reason: 'read only by the consumer group protocol (KIP-848), which Ferry does not support',
    },
  },
  {
    name: 'heartbeat.interval.ms',
    clients: ['consumer'],
    type: 'INT',
    defaultValue: '3000',
    treatment: { status: 'honoured', field: 'heartbeatIntervalMs' },
  },
  {
    name: 'interceptor.classes',
    clients: ['producer', 'consumer'],
    type: 'LIST',
    defaultValue: '',
    validator: listValidator(true),
    treatment: { status: 'refused', reason: 'Ferry cannot load Java classes (interceptors)' },
  },
  {
    name: 'internal.throw.on.fetch.stable.offset.unsupported',
    clients: ['consumer'],
    type: 'BOOLEAN',
    defaultValue: 'false',
    treatment: { status: 'refused', reason: 'an internal Apache setting Ferry does not have' },
  },
  {
    name: 'isolation.level',
    clients: ['consumer'],
    type: 'STRING',
    defaultValue: 'read_uncommitted',
    validator: ValidString.in('read_committed', 'read_uncommitted'),
    treatment: { status: 'honoured', field: 'isolationLevel' },
  },
  {
    name: 'key.deserializer',
    clients: ['consumer'],
    type: 'CLASS',
    defaultValue: null,
    treatment: {
      status: 'refused',
      reason: "Connect hands the converters the raw bytes (Apache's worker sets ByteArrayDeserializer)",
      accepts: ['org.apache.kafka.common.serialization.ByteArrayDeserializer'],
    },
  },
  {
    name: 'key.serializer',
    clients: ['producer'],
    type: 'CLASS',
    defaultValue: null,
    treatment: {
      status: 'refused',
      reason: "Connect produces the bytes the converters made (Apache's worker sets ByteArraySerializer)",
      accepts: ['org.apache.kafka.common.serialization.ByteArraySerializer'],
    },
  },
  {
    name: 'linger.ms',
    clients: ['producer'],
    type: 'LONG',
    defaultValue: '5',
    validator: Range.atLeast(0),
    treatment: { status: 'honoured', field: 'lingerMs' },
  },
  {
    name: 'max.block.ms',
    clients: ['producer'],
    type: 'LONG',
    defaultValue: '60000',
    validator: Range.atLeast(0),
    treatment: { status: 'honoured', field: 'maxBlockMs' },
  },
  {
    name: 'max.in.flight.requests.per.connection',
    clients: ['producer'],
    type: 'INT',
    defaultValue: '5',
    validator: Range.atLeast(1),
    treatment: { status: 'honoured', field: 'maxInFlightRequestsPerConnection' },
  },
  {
    name: 'max.partition.fetch.bytes',
    clients: ['consumer'],
    type: 'INT',
    defaultValue: '1048576',
    validator: Range.atLeast(0),
    treatment: { status: 'honoured', field: 'maxPartitionFetchBytes' },
  },
  {
    name: 'max.poll.interval.ms',
    clients: ['consumer'],
    type: 'INT',
    defaultValue: '300000',
    validator: Range.atLeast(1),
    treatment: { status: 'honoured', field: 'rebalanceTimeoutMs' },
  },
  {
    name: 'max.poll.records',
    clients: ['consumer'],
    type: 'INT',
    defaultValue: '500',
    validator: Range.atLeast(1),
    treatment: { status: 'honoured', field: 'maxPollRecords' },
  },
  {
    name: 'max.request.size',
    clients: ['producer'],
    type: 'INT',
    defaultValue: '1048576',
    validator: Range.atLeast(0),
    treatment: { status: 'honoured', field: 'maxRequestSize' },
  },
  {
    name: 'metadata.cluster.check.enable',
    clients: ['producer', 'consumer', 'admin'],
    type: 'BOOLEAN',
    defaultValue: 'true',
    treatment: {
      status: 'refused',
      reason:
        "Ferry's clients do not send cluster information for the broker's misrouting check: only false is honoured",
      accepts: ['false'],
    },
  },
  {
    name: 'metadata.max.age.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LONG',
    defaultValue: '300000',
    validator: Range.atLeast(0),
    treatment: { status: 'honoured', field: 'metadataMaxAgeMs' },
  },
  {
    name: 'metadata.max.idle.ms',
    clients: ['producer'],
    type: 'LONG',
    defaultValue: '300000',
    validator: Range.atLeast(5000),
    treatment: { status: 'refused', reason: "Ferry's producer keeps the metadata of every topic it has produced to" },
  },
  {
    name: 'metadata.recovery.rebootstrap.trigger.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LONG',
    defaultValue: '300000',
    validator: Range.atLeast(0),
    treatment: { status: 'refused', reason: "not configurable in Ferry's clients" },
  },
  {
    name: 'metadata.recovery.strategy',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: 'rebootstrap',
    validator: CaseInsensitiveValidString.in('REBOOTSTRAP', 'NONE'),
    treatment: { status: 'refused', reason: "not configurable in Ferry's clients" },
  },
  {
    name: 'metric.reporters',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LIST',
    defaultValue: 'org.apache.kafka.common.metrics.JmxReporter',
    validator: listValidator(true),
    treatment: {
      status: 'refused',
      reason:
        "Ferry cannot load Java classes; Apache's JmxReporter (the default) only feeds JMX, which Ferry does not have",
      accepts: ['org.apache.kafka.common.metrics.JmxReporter', ''],
    },
  },
  {
    name: 'metrics.num.samples',
    clients: ['producer', 'consumer', 'admin'],
    type: 'INT',
    defaultValue: '2',
    validator: Range.atLeast(1),
    treatment: { status: 'no-op', reason: 'only shapes client metrics (JMX), which Ferry does not have' },
  },
  {
    name: 'metrics.recording.level',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: 'INFO',
    validator: ValidString.in('INFO', 'DEBUG', 'TRACE'),
    treatment: { status: 'no-op', reason: 'only shapes client metrics (JMX), which Ferry does not have' },
  },
  {
    name: 'metrics.sample.window.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LONG',
    defaultValue: '30000',
    validator: Range.atLeast(0),
    treatment: { status: 'no-op', reason: 'only shapes client metrics (JMX), which Ferry does not have' },
  },
  {
    name: 'partition.assignment.strategy',
    clients: ['consumer'],
    type: 'LIST',
    defaultValue:
      'org.apache.kafka.clients.consumer.RangeAssignor,org.apache.kafka.clients.consumer.CooperativeStickyAssignor',
    validator: listValidator(true),
    treatment: {
      status: 'refused',
      reason: "Ferry's consumer offers the range assignor",
      accepts: ['org.apache.kafka.clients.consumer.RangeAssignor'],
    },
  },
  {
    name: 'partitioner.adaptive.partitioning.enable',
    clients: ['producer'],
    type: 'BOOLEAN',
    defaultValue: 'true',
    treatment: {
      status: 'refused',
      reason: "Ferry's producer partitions like Apache's built-in partitioner without the adaptive part",
    },
  },
  {
    name: 'partitioner.availability.timeout.ms',
    clients: ['producer'],
    type: 'LONG',
    defaultValue: '0',
    validator: Range.atLeast(0),
    treatment: {
      status: 'refused',
      reason: "Ferry's producer partitions like Apache's built-in partitioner without the adaptive part",
    },
  },
  {
    name: 'partitioner.class',
    clients: ['producer'],
    type: 'CLASS',
    defaultValue: null,
    treatment: {
      status: 'refused',
      reason: "Ferry cannot load Java classes (partitioners); Ferry partitions as Apache's built-in partitioner does",
    },
  },
  {
    name: 'partitioner.ignore.keys',
    clients: ['producer'],
    type: 'BOOLEAN',
    defaultValue: 'false',
    treatment: {
      status: 'refused',
      reason: "Ferry's producer always partitions keyed records by the murmur2 hash of the key",
    },
  },
  {
    name: 'partitioner.rack.aware',
    clients: ['producer'],
    type: 'BOOLEAN',
    defaultValue: 'false',
    treatment: { status: 'refused', reason: "Ferry's producer does not partition by rack" },
  },
  {
    name: 'receive.buffer.bytes',
    clients: ['producer', 'consumer', 'admin'],
    type: 'INT',
    defaultValue: { producer: '32768', consumer: '65536', admin: '65536' },
    validator: Range.atLeast(-1),
    treatment: {
      status: 'refused',
      reason: "Node cannot set a TCP socket's receive buffer; -1 (the OS default) is what Ferry does",
      accepts: ['-1'],
    },
  },
  {
    name: 'reconnect.backoff.max.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LONG',
    defaultValue: '1000',
    validator: Range.atLeast(0),
    treatment: { status: 'refused', reason: "not configurable in Ferry's clients" },
  },
  {
    name: 'reconnect.backoff.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LONG',
    defaultValue: '50',
    validator: Range.atLeast(0),
    treatment: { status: 'refused', reason: "not configurable in Ferry's clients" },
  },
  {
    name: 'request.timeout.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'INT',
    defaultValue: '30000',
    validator: Range.atLeast(0),
    treatment: { status: 'honoured', field: 'requestTimeoutMs' },
  },
  {
    name: 'retries',
    clients: ['producer', 'admin'],
    type: 'INT',
    defaultValue: '2147483647',
    validator: Range.between(0, 2147483647),
    treatment: { status: 'honoured', field: 'retries' },
    byClient: { admin: { status: 'refused', reason: "not configurable in Ferry's admin client" } },
  },
  {
    name: 'retry.backoff.max.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LONG',
    defaultValue: '1000',
    validator: Range.atLeast(0),
    treatment: { status: 'honoured', field: 'retryBackoffMaxMs' },
  },
  {
    name: 'retry.backoff.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LONG',
    defaultValue: '100',
    validator: Range.atLeast(0),
    treatment: { status: 'honoured', field: 'retryBackoffMs' },
  },
  {
    name: 'sasl.client.callback.handler.class',
    clients: ['producer', 'consumer', 'admin'],
    type: 'CLASS',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.jaas.config',
    clients: ['producer', 'consumer', 'admin'],
    type: 'PASSWORD',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.kerberos.kinit.cmd',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: '/usr/bin/kinit',
    treatment: { status: 'no-op', reason: 'read only by the GSSAPI (Kerberos) login, which Ferry refuses' },
  },
  {
    name: 'sasl.kerberos.min.time.before.relogin',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LONG',
    defaultValue: '60000',
    treatment: { status: 'no-op', reason: 'read only by the GSSAPI (Kerberos) login, which Ferry refuses' },
  },
  {
    name: 'sasl.kerberos.service.name',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: null,
    treatment: { status: 'no-op', reason: 'read only by the GSSAPI (Kerberos) login, which Ferry refuses' },
  },
  {
    name: 'sasl.kerberos.ticket.renew.jitter',
    clients: ['producer', 'consumer', 'admin'],
    type: 'DOUBLE',
    defaultValue: '0.05',
    treatment: { status: 'no-op', reason: 'read only by the GSSAPI (Kerberos) login, which Ferry refuses' },
  },
  {
    name: 'sasl.kerberos.ticket.renew.window.factor',
    clients: ['producer', 'consumer', 'admin'],
    type: 'DOUBLE',
    defaultValue: '0.8',
    treatment: { status: 'no-op', reason: 'read only by the GSSAPI (Kerberos) login, which Ferry refuses' },
  },
  {
    name: 'sasl.login.callback.handler.class',
    clients: ['producer', 'consumer', 'admin'],
    type: 'CLASS',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.login.class',
    clients: ['producer', 'consumer', 'admin'],
    type: 'CLASS',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.login.connect.timeout.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'INT',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.login.read.timeout.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'INT',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.login.refresh.buffer.seconds',
    clients: ['producer', 'consumer', 'admin'],
    type: 'SHORT',
    defaultValue: '300',
    validator: Range.between(0, 3600),
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.login.refresh.min.period.seconds',
    clients: ['producer', 'consumer', 'admin'],
    type: 'SHORT',
    defaultValue: '60',
    validator: Range.between(0, 900),
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.login.refresh.window.factor',
    clients: ['producer', 'consumer', 'admin'],
    type: 'DOUBLE',
    defaultValue: '0.8',
    validator: Range.between(0.5, 1.0),
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.login.refresh.window.jitter',
    clients: ['producer', 'consumer', 'admin'],
    type: 'DOUBLE',
    defaultValue: '0.05',
    validator: Range.between(0.0, 0.25),
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.login.retry.backoff.max.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LONG',
    defaultValue: '10000',
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.login.retry.backoff.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LONG',
    defaultValue: '100',
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.mechanism',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: 'GSSAPI',
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.oauthbearer.allow.unverified.audience',
    clients: ['producer', 'consumer', 'admin'],
    type: 'BOOLEAN',
    defaultValue: 'false',
    treatment: {
      status: 'no-op',
      reason: "read only by the broker's token validator (BrokerJwtValidator), never by a client",
    },
  },
  {
    name: 'sasl.oauthbearer.allow.unverified.issuer',
    clients: ['producer', 'consumer', 'admin'],
    type: 'BOOLEAN',
    defaultValue: 'false',
    treatment: {
      status: 'no-op',
      reason: "read only by the broker's token validator (BrokerJwtValidator), never by a client",
    },
  },
  {
    name: 'sasl.oauthbearer.assertion.algorithm',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: 'RS256',
    validator: CaseInsensitiveValidString.in('ES256', 'RS256'),
    treatment: {
      status: 'refused',
      reason: 'Ferry does not sign client assertions (KIP-1139): use a client id and secret',
    },
  },
  {
    name: 'sasl.oauthbearer.assertion.claim.aud',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: null,
    treatment: {
      status: 'refused',
      reason: 'Ferry does not sign client assertions (KIP-1139): use a client id and secret',
    },
  },
  {
    name: 'sasl.oauthbearer.assertion.claim.exp.seconds',
    clients: ['producer', 'consumer', 'admin'],
    type: 'INT',
    defaultValue: '300',
    validator: Range.between(0, 86400),
    treatment: {
      status: 'refused',
      reason: 'Ferry does not sign client assertions (KIP-1139): use a client id and secret',
    },
  },
  {
    name: 'sasl.oauthbearer.assertion.claim.iss',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: null,
    treatment: {
      status: 'refused',
      reason: 'Ferry does not sign client assertions (KIP-1139): use a client id and secret',
    },
  },
  {
    name: 'sasl.oauthbearer.assertion.claim.jti.include',
    clients: ['producer', 'consumer', 'admin'],
    type: 'BOOLEAN',
    defaultValue: 'false',
    treatment: {
      status: 'refused',
      reason: 'Ferry does not sign client assertions (KIP-1139): use a client id and secret',
    },
  },
  {
    name: 'sasl.oauthbearer.assertion.claim.nbf.seconds',
    clients: ['producer', 'consumer', 'admin'],
    type: 'INT',
    defaultValue: '60',
    validator: Range.between(0, 3600),
    treatment: {
      status: 'refused',
      reason: 'Ferry does not sign client assertions (KIP-1139): use a client id and secret',
    },
  },
  {
    name: 'sasl.oauthbearer.assertion.claim.sub',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: null,
    treatment: {
      status: 'refused',
      reason: 'Ferry does not sign client assertions (KIP-1139): use a client id and secret',
    },
  },
  {
    name: 'sasl.oauthbearer.assertion.file',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: null,
    treatment: {
      status: 'refused',
      reason: 'Ferry does not sign client assertions (KIP-1139): use a client id and secret',
    },
  },
  {
    name: 'sasl.oauthbearer.assertion.private.key.file',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: null,
    treatment: {
      status: 'refused',
      reason: 'Ferry does not sign client assertions (KIP-1139): use a client id and secret',
    },
  },
  {
    name: 'sasl.oauthbearer.assertion.private.key.passphrase',
    clients: ['producer', 'consumer', 'admin'],
    type: 'PASSWORD',
    defaultValue: null,
    treatment: {
      status: 'refused',
      reason: 'Ferry does not sign client assertions (KIP-1139): use a client id and secret',
    },
  },
  {
    name: 'sasl.oauthbearer.assertion.template.file',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: null,
    treatment: {
      status: 'refused',
      reason: 'Ferry does not sign client assertions (KIP-1139): use a client id and secret',
    },
  },
  {
    name: 'sasl.oauthbearer.client.credentials.client.id',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.oauthbearer.client.credentials.client.secret',
    clients: ['producer', 'consumer', 'admin'],
    type: 'PASSWORD',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.oauthbearer.clock.skew.seconds',
    clients: ['producer', 'consumer', 'admin'],
    type: 'INT',
    defaultValue: '30',
    treatment: {
      status: 'no-op',
      reason: "read only by the broker's token validator (BrokerJwtValidator), never by a client",
    },
  },
  {
    name: 'sasl.oauthbearer.expected.audience',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LIST',
    defaultValue: '',
    validator: listValidator(true),
    treatment: {
      status: 'no-op',
      reason: "read only by the broker's token validator (BrokerJwtValidator), never by a client",
    },
  },
  {
    name: 'sasl.oauthbearer.expected.issuer',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: null,
    treatment: {
      status: 'no-op',
      reason: "read only by the broker's token validator (BrokerJwtValidator), never by a client",
    },
  },
  {
    name: 'sasl.oauthbearer.header.urlencode',
    clients: ['producer', 'consumer', 'admin'],
    type: 'BOOLEAN',
    defaultValue: 'false',
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.oauthbearer.jwks.endpoint.refresh.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LONG',
    defaultValue: '3600000',
    treatment: {
      status: 'no-op',
      reason: "read only by the broker's token validator (BrokerJwtValidator), never by a client",
    },
  },
  {
    name: 'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LONG',
    defaultValue: '10000',
    treatment: {
      status: 'no-op',
      reason: "read only by the broker's token validator (BrokerJwtValidator), never by a client",
    },
  },
  {
    name: 'sasl.oauthbearer.jwks.endpoint.retry.backoff.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LONG',
    defaultValue: '100',
    treatment: {
      status: 'no-op',
      reason: "read only by the broker's token validator (BrokerJwtValidator), never by a client",
    },
  },
  {
    name: 'sasl.oauthbearer.jwks.endpoint.url',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: null,
    treatment: {
      status: 'no-op',
      reason: "read only by the broker's token validator (BrokerJwtValidator), never by a client",
    },
  },
  {
    name: 'sasl.oauthbearer.jwt.retriever.class',
    clients: ['producer', 'consumer', 'admin'],
    type: 'CLASS',
    defaultValue: 'org.apache.kafka.common.security.oauthbearer.DefaultJwtRetriever',
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.oauthbearer.jwt.validator.class',
    clients: ['producer', 'consumer', 'admin'],
    type: 'CLASS',
    defaultValue: 'org.apache.kafka.common.security.oauthbearer.DefaultJwtValidator',
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.oauthbearer.scope',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.oauthbearer.scope.claim.name',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: 'scope',
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.oauthbearer.sub.claim.name',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: 'sub',
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'sasl.oauthbearer.token.endpoint.url',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'security.protocol',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: 'PLAINTEXT',
    validator: CaseInsensitiveValidString.in('SASL_SSL', 'PLAINTEXT', 'SSL', 'SASL_PLAINTEXT'),
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'security.providers',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: null,
    treatment: { status: 'refused', reason: 'Ferry cannot load Java classes (security providers)' },
  },
  {
    name: 'send.buffer.bytes',
    clients: ['producer', 'consumer', 'admin'],
    type: 'INT',
    defaultValue: '131072',
    validator: Range.atLeast(-1),
    treatment: {
      status: 'refused',
      reason: "Node cannot set a TCP socket's send buffer; -1 (the OS default) is what Ferry does",
      accepts: ['-1'],
    },
  },
  {
    name: 'session.timeout.ms',
    clients: ['consumer'],
    type: 'INT',
    defaultValue: '45000',
    treatment: { status: 'honoured', field: 'sessionTimeoutMs' },
  },
  {
    name: 'share.acknowledgement.mode',
    clients: ['consumer'],
    type: 'STRING',
    defaultValue: 'implicit',
    validator: ValidString.in('implicit', 'explicit'),
    treatment: { status: 'no-op', reason: 'read only by share consumers (KIP-932), which Connect does not use' },
  },
  {
    name: 'share.acquire.mode',
    clients: ['consumer'],
    type: 'STRING',
    defaultValue: 'BATCH_OPTIMIZED',
    validator: SHARE_ACQUIRE_MODE,
    treatment: { status: 'no-op', reason: 'read only by share consumers (KIP-932), which Connect does not use' },
  },
  {
    name: 'socket.connection.setup.timeout.max.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LONG',
    defaultValue: '30000',
    treatment: {
      status: 'refused',
      reason: 'Ferry uses socket.connection.setup.timeout.ms for every connection; it does not grow it',
    },
  },
  {
    name: 'socket.connection.setup.timeout.ms',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LONG',
    defaultValue: '10000',
    treatment: { status: 'honoured', field: 'connectTimeoutMs' },
  },
  {
    name: 'ssl.cipher.suites',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LIST',
    defaultValue: '',
    validator: listValidator(true),
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.enabled.protocols',
    clients: ['producer', 'consumer', 'admin'],
    type: 'LIST',
    defaultValue: 'TLSv1.2,TLSv1.3',
    validator: listValidator(true),
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.endpoint.identification.algorithm',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: 'https',
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.engine.factory.class',
    clients: ['producer', 'consumer', 'admin'],
    type: 'CLASS',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.key.password',
    clients: ['producer', 'consumer', 'admin'],
    type: 'PASSWORD',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.keymanager.algorithm',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: 'SunX509',
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.keystore.certificate.chain',
    clients: ['producer', 'consumer', 'admin'],
    type: 'PASSWORD',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.keystore.key',
    clients: ['producer', 'consumer', 'admin'],
    type: 'PASSWORD',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.keystore.location',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.keystore.password',
    clients: ['producer', 'consumer', 'admin'],
    type: 'PASSWORD',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.keystore.type',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: 'JKS',
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.protocol',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: 'TLSv1.3',
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.provider',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.secure.random.implementation',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.trustmanager.algorithm',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: 'PKIX',
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.truststore.certificates',
    clients: ['producer', 'consumer', 'admin'],
    type: 'PASSWORD',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.truststore.location',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.truststore.password',
    clients: ['producer', 'consumer', 'admin'],
    type: 'PASSWORD',
    defaultValue: null,
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'ssl.truststore.type',
    clients: ['producer', 'consumer', 'admin'],
    type: 'STRING',
    defaultValue: 'JKS',
    treatment: { status: 'honoured', field: 'security' },
  },
  {
    name: 'transaction.timeout.ms',
    clients: ['producer'],
    type: 'INT',
    defaultValue: '60000',
    // Read by transactional producers only (exactly-once source tasks, the config-topic leader), as in Apache.
    treatment: { status: 'honoured', field: 'transactionTimeoutMs' },
  },
  {
    name: 'transaction.two.phase.commit.enable',
    clients: ['producer'],
    type: 'BOOLEAN',
    defaultValue: 'false',
    treatment: {
      status: 'refused',
      reason: "Ferry's transactional producer does not take part in two-phase commits (KIP-939)",
    },
  },
  {
    name: 'transactional.id',
    clients: ['producer'],
    type: 'STRING',
    defaultValue: null,
    validator: NonEmptyString,
    treatment: {
      status: 'refused',
      reason:
        "Connect sets it itself for exactly-once source tasks (<group.id>-<connector>-<task>), where Apache ignores a configured value with a warning; Apache's other task producers fail with it (Connect turns their idempotence off)",
    },
  },
  {
    name: 'value.deserializer',
    clients: ['consumer'],
    type: 'CLASS',
    defaultValue: null,
    treatment: {
      status: 'refused',
      reason: "Connect hands the converters the raw bytes (Apache's worker sets ByteArrayDeserializer)",
      accepts: ['org.apache.kafka.common.serialization.ByteArrayDeserializer'],
    },
  },
  {
    name: 'value.serializer',
    clients: ['producer'],
    type: 'CLASS',
    defaultValue: null,
    treatment: {
      status: 'refused',
      reason: "Connect produces the bytes the converters made (Apache's worker sets ByteArraySerializer)",
      accepts: ['org.apache.kafka.common.serialization.ByteArraySerializer'],
    },
  },
]

const KEYS_BY_NAME: ReadonlyMap<string, ClientKey> = new Map(CLIENT_KEYS.map((k) => [k.name, k]))

/** The treatment of `key` for `kind` (undefined: Apache's client of that kind does not know the key). */
export function keyTreatment(key: string, kind: ClientKind): KeyTreatment | undefined {
  const k = KEYS_BY_NAME.get(key)
  if (k === undefined || !k.clients.includes(kind)) return undefined
  return k.byClient?.[kind] ?? k.treatment
}

function defaultFor(key: ClientKey, kind: ClientKind): string | null {
  const d = key.defaultValue
  return d === null || typeof d === 'string' ? d : d[kind]
}

const DEFS = new Map<string, ConfigDef>()

/** A subset of the keys, named for the cache of definitions. */
interface KeyFilter {
  id: string
  test: (key: ClientKey) => boolean
}

function configDef(kinds: readonly ClientKind[], only?: KeyFilter): ConfigDef {
  const id = `${kinds.join(',')}:${only?.id ?? 'all'}`
  let def = DEFS.get(id)
  if (def === undefined) {
    def = new ConfigDef()
    for (const key of CLIENT_KEYS) {
      const kind = kinds.find((k) => key.clients.includes(k))
      if (kind === undefined || (only && !only.test(key))) continue
      def.define({
        name: key.name,
        type: key.type,
        defaultValue: defaultFor(key, kind),
        validator: key.validator ?? null,
        importance: 'LOW',
        documentation: null,
      })
    }
    DEFS.set(id, def)
  }
  return def
}

const SECURITY_KEYS: KeyFilter = {
  id: 'security',
  test: (key) =>
    key.name === 'security.protocol' ||
    key.name === 'security.providers' ||
    key.name.startsWith('ssl.') ||
    key.name.startsWith('sasl.'),
}

const SSL_KEYS: KeyFilter = { id: 'ssl', test: (key) => key.name.startsWith('ssl.') }

/** The PASSWORD-typed keys (Apache's): their values are secrets. */
export const PASSWORD_KEYS: ReadonlySet<string> = new Set(
  CLIENT_KEYS.filter((k) => k.type === 'PASSWORD').map((k) => k.name),
)

/**
 * The keys of `props` that none of the given clients knows; the caller logs Apache's warning for each:
 * `The configuration '<key>' was supplied but isn't a known config.`
 */
export function unknownKeys(
  props: Readonly<Record<string, string>>,
  kinds: ClientKind | readonly ClientKind[],
): string[] {
  const list = typeof kinds === 'string' ? [kinds] : kinds
  return Object.keys(props).filter((key) => !list.some((kind) => KEYS_BY_NAME.get(key)?.clients.includes(kind)))
}

export interface ClientConfigProblem {
  key: string
  message: string
}

/** Every problem of a client config, each naming its key; the message is one line. */
export class ClientConfigException extends ConfigException {
  readonly problems: readonly ClientConfigProblem[]
  constructor(what: string, problems: readonly ClientConfigProblem[]) {
    super(`Invalid ${what} configuration: ${problems.map((p) => p.message).join('; ')}`)
    this.problems = problems
  }
}

class Problems {
  readonly list: ClientConfigProblem[] = []

  /** `Invalid value <value> for configuration <key>: <message>`; a secret's value shows as [hidden]. */
  invalid(key: string, value: unknown, message: string): void {
    const shown = PASSWORD_KEYS.has(key) && value !== null && value !== undefined ? Password.HIDDEN : value
    this.list.push({ key, message: new ConfigException(key, shown ?? null, message).message })
  }

  add(key: string, message: string): void {
    this.list.push({ key, message })
  }

  throwIfAny(what: string): void {
    if (this.list.length > 0) throw new ClientConfigException(what, this.list)
  }
}

/** How a parsed value prints for comparisons with defaults and `accepts`. */
function canonical(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (value instanceof Password) return value.value()
  if (Array.isArray(value)) return value.join(',')
  return String(value)
}

interface Parsed {
  /** The parsed value of every key the clients know (its default when unset or invalid). */
  values: Record<string, unknown>
  /** Keys set in props (and valid). */
  set: Set<string>
}

function parse(
  props: Readonly<Record<string, string>>,
  kinds: readonly ClientKind[],
  problems: Problems,
  only?: KeyFilter,
): Parsed {
  const def = configDef(kinds, only)
  const values: Record<string, unknown> = {}
  const set = new Set<string>()
  for (const [name, result] of def.validateAll(props)) {
    const key = def.configKeys().get(name)!
    if (result.errorMessages.length > 0) {
      // The first message only: Ferry's ConfigDef also runs the validator on a value that did not parse.
      problems.add(name, result.errorMessages[0]!)
      values[name] = key.hasDefault() ? key.defaultValue : null
      continue
    }
    values[name] = result.value
    if (Object.hasOwn(props, name)) set.add(name)
  }
  for (const name of set) {
    const key = KEYS_BY_NAME.get(name)!
    for (const kind of kinds) {
      const treatment = keyTreatment(name, kind)
      if (treatment?.status !== 'refused') continue
      const value = canonical(values[name])
      const d = canonical(def.configKeys().get(name)!.defaultValue)
      const ci = key.validator instanceof CaseInsensitiveValidString
      const same = (a: string | null, b: string | null) =>
        ci && a && b ? a.toUpperCase() === b.toUpperCase() : a === b
      const accepted =
        (!treatment.refuseDefault && same(value, d)) || (treatment.accepts ?? []).some((a) => same(value, a))
      if (!accepted) {
        problems.invalid(name, PASSWORD_KEYS.has(name) ? Password.HIDDEN : value, treatment.reason)
        break
      }
    }
  }
  return { values, set }
}

// ---------------------------------------------------------------------------------------------------------------------
// Security

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v))
const secret = (v: unknown): string | null => (v instanceof Password ? v.value() : str(v))

function sslConfig(values: Readonly<Record<string, unknown>>): SslConfig {
  return {
    keystoreType: str(values['ssl.keystore.type']) ?? 'JKS',
    keystoreLocation: str(values['ssl.keystore.location']),
    keystorePassword: secret(values['ssl.keystore.password']),
    keyPassword: secret(values['ssl.key.password']),
    keystoreKey: secret(values['ssl.keystore.key']),
    keystoreCertificateChain: secret(values['ssl.keystore.certificate.chain']),
    truststoreType: str(values['ssl.truststore.type']) ?? 'JKS',
    truststoreLocation: str(values['ssl.truststore.location']),
    truststorePassword: secret(values['ssl.truststore.password']),
    truststoreCertificates: secret(values['ssl.truststore.certificates']),
    endpointIdentificationAlgorithm: str(values['ssl.endpoint.identification.algorithm']),
    enabledProtocols: (values['ssl.enabled.protocols'] as string[] | null) ?? [],
    protocol: str(values['ssl.protocol']) ?? 'TLSv1.3',
    cipherSuites: (values['ssl.cipher.suites'] as string[] | null) ?? [],
    keymanagerAlgorithm: str(values['ssl.keymanager.algorithm']),
    trustmanagerAlgorithm: str(values['ssl.trustmanager.algorithm']),
    secureRandomImplementation: str(values['ssl.secure.random.implementation']),
    engineFactoryClass: str(values['ssl.engine.factory.class']),
    provider: str(values['ssl.provider']),
  }
}

const PKG = 'org.apache.kafka.common.security'
const LOGIN_MODULES: Readonly<Record<string, string>> = {
  PLAIN: `${PKG}.plain.PlainLoginModule`,
  SCRAM: `${PKG}.scram.ScramLoginModule`,
  OAUTHBEARER: `${PKG}.oauthbearer.OAuthBearerLoginModule`,
}
const DEFAULT_LOGIN_CLASSES: Readonly<Record<string, string>> = {
  OAUTHBEARER: `${PKG}.oauthbearer.internals.OAuthBearerRefreshingLogin`,
  OTHER: `${PKG}.authenticator.DefaultLogin`,
}
const DEFAULT_CLIENT_CALLBACK_HANDLERS: Readonly<Record<string, string>> = {
  OAUTHBEARER: `${PKG}.oauthbearer.internals.OAuthBearerSaslClientCallbackHandler`,
  OTHER: `${PKG}.authenticator.SaslClientCallbackHandler`,
}
const UNSECURED_LOGIN_HANDLER = `${PKG}.oauthbearer.internals.unsecured.OAuthBearerUnsecuredLoginCallbackHandler`
const OAUTH_LOGIN_HANDLER = `${PKG}.oauthbearer.OAuthBearerLoginCallbackHandler`
const DEFAULT_LOGIN_HANDLER = `${PKG}.authenticator.AbstractLogin$DefaultLoginCallbackHandler`
const RETRIEVERS = {
  default: `${PKG}.oauthbearer.DefaultJwtRetriever`,
  clientCredentials: `${PKG}.oauthbearer.ClientCredentialsJwtRetriever`,
  file: `${PKG}.oauthbearer.FileJwtRetriever`,
}
const CLIENT_VALIDATORS = [`${PKG}.oauthbearer.DefaultJwtValidator`, `${PKG}.oauthbearer.ClientJwtValidator`]
const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER']

/** Options of `parseSecurity` and the settings functions. */
export interface ParseOptions {
  /** Apache's log lines that are warnings, not errors (an unused security key, idempotence turned off, ...). */
  onWarning?: (message: string) => void
  /** Told when an OAuth token refresh failed and the current token is used meanwhile. */
  onTokenRefreshError?: (error: Error) => void
}

interface SaslResult {
  sasl: SASLOptions
  principal: string
}

function checkClass(
  values: Readonly<Record<string, unknown>>,
  key: string,
  accepted: readonly string[],
  problems: Problems,
  why: string,
): string | null {
  const value = str(values[key])
  if (value !== null && !accepted.includes(value)) {
    problems.invalid(key, value, `Ferry cannot load Java classes; ${why}`)
  }
  return value
}

function oauthbearer(
  values: Readonly<Record<string, unknown>>,
  set: ReadonlySet<string>,
  module: JaasModule,
  problems: Problems,
  options: ParseOptions,
): SaslResult | null {
  const refresh = {
    windowFactor: Number(values['sasl.login.refresh.window.factor']),
    windowJitter: Number(values['sasl.login.refresh.window.jitter']),
    minPeriodSeconds: Number(values['sasl.login.refresh.min.period.seconds']),
    bufferSeconds: Number(values['sasl.login.refresh.buffer.seconds']),
  }
  const providerOptions = options.onTokenRefreshError ? { onRefreshError: options.onTokenRefreshError } : {}
  const handler = checkClass(
    values,
    'sasl.login.callback.handler.class',
    [UNSECURED_LOGIN_HANDLER, OAUTH_LOGIN_HANDLER],
    problems,
    `for OAUTHBEARER it takes ${OAUTH_LOGIN_HANDLER} (token endpoint) or none (Apache's unsecured test tokens)`,
  )
  const jaasProblem = (message: string) => problems.invalid('sasl.jaas.config', Password.HIDDEN, message)

  if (handler === null || handler === UNSECURED_LOGIN_HANDLER) {
    if (set.has('sasl.oauthbearer.token.endpoint.url')) {
      problems.invalid(
        'sasl.login.callback.handler.class',
        handler,
        `sasl.oauthbearer.token.endpoint.url is set, but with this login callback handler Apache sends an unsecured token and never calls the endpoint; set sasl.login.callback.handler.class=${OAUTH_LOGIN_HANDLER}`,
      )
      return null
    }
    let token: BearerToken
    let extensions: Record<string, string>
    try {
      token = unsecuredToken(module.options, Date.now())
      extensions = saslExtensions(module.options, UNSECURED_EXTENSION_PREFIX)
    } catch (e) {
      jaasProblem((e as Error).message)
      return null
    }
    const provider = new TokenProvider(async () => unsecuredToken(module.options, Date.now()), refresh, providerOptions)
    return {
      sasl: { mechanism: 'OAUTHBEARER', token: () => provider.token(), oauthBearerExtensions: extensions },
      principal: `${token.principal} (unsecured token)`,
    }
  }

  const retriever = checkClass(
    values,
    'sasl.oauthbearer.jwt.retriever.class',
    Object.values(RETRIEVERS),
    problems,
    `it takes Apache's DefaultJwtRetriever, ClientCredentialsJwtRetriever or FileJwtRetriever`,
  )
  checkClass(
    values,
    'sasl.oauthbearer.jwt.validator.class',
    CLIENT_VALIDATORS,
    problems,
    "it checks tokens as Apache's ClientJwtValidator does",
  )
  const urlText = str(values['sasl.oauthbearer.token.endpoint.url'])
  if (urlText === null || urlText.trim() === '') {
    problems.invalid(
      'sasl.oauthbearer.token.endpoint.url',
      null,
      'The OAuth configuration option sasl.oauthbearer.token.endpoint.url is required',
    )
    return null
  }
  let url: URL
  try {
    url = new URL(urlText.trim())
  } catch (e) {
    problems.invalid(
      'sasl.oauthbearer.token.endpoint.url',
      urlText,
      `The OAuth configuration option sasl.oauthbearer.token.endpoint.url contains a URL (${urlText}) that is malformed: ${(e as Error).message}`,
    )
    return null
  }
  const protocol = url.protocol.slice(0, -1).toLowerCase()
  if (protocol !== 'http' && protocol !== 'https' && protocol !== 'file') {
    problems.invalid(
      'sasl.oauthbearer.token.endpoint.url',
      urlText,
      `The OAuth configuration option sasl.oauthbearer.token.endpoint.url contains a URL (${urlText}) that contains an invalid protocol (${protocol}); only "http", "https", and "file" protocol are supported`,
    )
    return null
  }
  const scopeClaim = str(values['sasl.oauthbearer.scope.claim.name'])?.trim() ?? ''
  const subClaim = str(values['sasl.oauthbearer.sub.claim.name'])?.trim() ?? ''
  if (scopeClaim === '')
    problems.invalid(
      'sasl.oauthbearer.scope.claim.name',
      str(values['sasl.oauthbearer.scope.claim.name']),
      'scope value must be non-null, non-empty, and non-whitespace',
    )
  if (subClaim === '')
    problems.invalid(
      'sasl.oauthbearer.sub.claim.name',
      str(values['sasl.oauthbearer.sub.claim.name']),
      'sub value must be non-null, non-empty, and non-whitespace',
    )
  let extensions: Record<string, string>
  try {
    extensions = saslExtensions(module.options, 'extension_')
  } catch (e) {
    jaasProblem((e as Error).message)
    return null
  }
  if (scopeClaim === '' || subClaim === '') return null

  if (protocol === 'file') {
    if (retriever === RETRIEVERS.clientCredentials) {
      problems.invalid(
        'sasl.oauthbearer.token.endpoint.url',
        urlText,
        'ClientCredentialsJwtRetriever needs an http or https token endpoint',
      )
      return null
    }
    const path = decodeURIComponent(url.pathname)
    try {
      if (!statSync(path).isFile()) throw Object.assign(new Error(), { code: 'EISDIR' })
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      problems.invalid(
        'sasl.oauthbearer.token.endpoint.url',
        urlText,
        code === 'EISDIR'
          ? `The OAuth configuration option sasl.oauthbearer.token.endpoint.url references a directory (${path}), not a file`
          : `The OAuth configuration option sasl.oauthbearer.token.endpoint.url contains a file (${path}) that doesn't exist`,
      )
      return null
    }
    const provider = new TokenProvider(async () => fileToken(path, scopeClaim, subClaim), refresh, providerOptions)
    return {
      sasl: { mechanism: 'OAUTHBEARER', token: () => provider.token(), oauthBearerExtensions: extensions },
      principal: `the token in ${path}`,
    }
  }
  if (retriever === RETRIEVERS.file) {
    problems.invalid(
      'sasl.oauthbearer.token.endpoint.url',
      urlText,
      'FileJwtRetriever needs a file: token endpoint URL',
    )
    return null
  }

  // ConfigOrJaas: the client config key wins over the (deprecated) JAAS option.
  const configOrJaas = (key: string, jaasName: string): string | null => {
    const fromConfig = set.has(key) ? secret(values[key]) : null
    const fromJaas = module.options.get(jaasName) ?? null
    if (fromConfig !== null && fromJaas !== null) {
      options.onWarning?.(
        `Both the OAuth configuration ${key} as well as the JAAS option ${jaasName} (from the sasl.jaas.config configuration) were provided. Since the ${jaasName} JAAS option is deprecated, it will be ignored and the value from the ${key} configuration will be used.`,
      )
    }
    const value = fromConfig ?? fromJaas
    return value === null || value.trim() === '' ? null : value.trim()
  }
  const clientId = configOrJaas('sasl.oauthbearer.client.credentials.client.id', 'clientId')
  const clientSecret = configOrJaas('sasl.oauthbearer.client.credentials.client.secret', 'clientSecret')
  const scope = configOrJaas('sasl.oauthbearer.scope', 'scope')
  if (clientId === null) {
    problems.invalid(
      'sasl.oauthbearer.client.credentials.client.id',
      null,
      'Could not find OAuth configuration for sasl.oauthbearer.client.credentials.client.id or OAuth JAAS configuration for clientId',
    )
  }
  if (clientSecret === null) {
    problems.invalid(
      'sasl.oauthbearer.client.credentials.client.secret',
      null,
      'Could not find OAuth configuration for sasl.oauthbearer.client.credentials.client.secret or OAuth JAAS configuration for clientSecret',
    )
  }
  const number = (key: string) => (values[key] === null || values[key] === undefined ? null : Number(values[key]))
  const retryBackoffMs = number('sasl.login.retry.backoff.ms')!
  const retryBackoffMaxMs = number('sasl.login.retry.backoff.max.ms')!
  let ok = clientId !== null && clientSecret !== null
  for (const key of ['sasl.login.retry.backoff.ms', 'sasl.login.retry.backoff.max.ms']) {
    if (number(key)! < 0) {
      problems.invalid(key, number(key), `The OAuth configuration option ${key} value must be at least 0`)
      ok = false
    }
  }
  if (retryBackoffMaxMs < retryBackoffMs) {
    problems.invalid(
      'sasl.login.retry.backoff.max.ms',
      retryBackoffMaxMs,
      `retryBackoffMaxMs value (${retryBackoffMaxMs}) is less than retryBackoffMs value (${retryBackoffMs})`,
    )
    ok = false
  }
  for (const key of ['sasl.login.connect.timeout.ms', 'sasl.login.read.timeout.ms']) {
    const n = number(key)
    if (n !== null && n < 1) {
      problems.invalid(key, n, `The OAuth configuration option ${key} value must be at least 1`)
      ok = false
    }
  }
  // The token endpoint's TLS comes from the JAAS options `ssl.*` (Apache's JaasOptionsUtils.createSSLSocketFactory).
  let tls = null
  if (protocol === 'https') {
    const jaasSsl: Record<string, string> = {}
    for (const [k, v] of module.options) if (k.startsWith('ssl.')) jaasSsl[k] = v
    const sslProblems = new Problems()
    const parsed = parse(jaasSsl, ['producer'], sslProblems, SSL_KEYS)
    const result = sslOptions(sslConfig(parsed.values), (key, value, message) =>
      sslProblems.invalid(key, value, message),
    )
    for (const p of sslProblems.list) jaasProblem(`the JAAS option ${p.key} for the token endpoint: ${p.message}`)
    if (result === null) return null
    tls = result.tls
  }
  if (!ok) return null
  const endpoint: TokenEndpoint = {
    url,
    clientId: clientId!,
    clientSecret: clientSecret!,
    scope,
    urlencode: values['sasl.oauthbearer.header.urlencode'] === true,
    connectTimeoutMs: number('sasl.login.connect.timeout.ms'),
    readTimeoutMs: number('sasl.login.read.timeout.ms'),
    retryBackoffMs,
    retryBackoffMaxMs,
    tls,
  }
  const provider = new TokenProvider(
    async () => validateClientJwt(await requestToken(endpoint), scopeClaim, subClaim),
    refresh,
    providerOptions,
  )
  return {
    sasl: { mechanism: 'OAUTHBEARER', token: () => provider.token(), oauthBearerExtensions: extensions },
    principal: `client ${clientId}`,
  }
}

function sasl(
  values: Readonly<Record<string, unknown>>,
  set: ReadonlySet<string>,
  problems: Problems,
  options: ParseOptions,
): SaslResult | null {
  const mechanism = str(values['sasl.mechanism'])
  if (mechanism === null || mechanism.trim() === '') {
    problems.invalid(
      'sasl.mechanism',
      null,
      'When the security.protocol configuration enables SASL, mechanism must be non-null and non-empty string.',
    )
    return null
  }
  if (mechanism === 'GSSAPI') {
    problems.invalid(
      'sasl.mechanism',
      mechanism,
      `GSSAPI (Kerberos)${set.has('sasl.mechanism') ? '' : ", Apache's default,"} is not supported by Ferry: set sasl.mechanism to PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER`,
    )
    return null
  }
  if (!MECHANISMS.includes(mechanism)) {
    problems.invalid('sasl.mechanism', mechanism, 'Ferry supports PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER')
    return null
  }
  const oauth = mechanism === 'OAUTHBEARER'
  checkClass(
    values,
    'sasl.login.class',
    [oauth ? DEFAULT_LOGIN_CLASSES.OAUTHBEARER! : DEFAULT_LOGIN_CLASSES.OTHER!],
    problems,
    `for ${mechanism} it takes Apache's default login class`,
  )
  checkClass(
    values,
    'sasl.client.callback.handler.class',
    [oauth ? DEFAULT_CLIENT_CALLBACK_HANDLERS.OAUTHBEARER! : DEFAULT_CLIENT_CALLBACK_HANDLERS.OTHER!],
    problems,
    `for ${mechanism} it takes Apache's default client callback handler`,
  )
  const jaasText = secret(values['sasl.jaas.config'])
  if (jaasText === null) {
    problems.invalid(
      'sasl.jaas.config',
      null,
      `${mechanism} needs sasl.jaas.config: Ferry does not read JAAS files (java.security.auth.login.config)`,
    )
    return null
  }
  let module: JaasModule
  try {
    module = parseClientJaasConfig(jaasText)
  } catch (e) {
    problems.invalid('sasl.jaas.config', Password.HIDDEN, (e as Error).message)
    return null
  }
  const jaasProblem = (message: string) => problems.invalid('sasl.jaas.config', Password.HIDDEN, message)
  if (oauth) {
    if (module.loginModule !== LOGIN_MODULES.OAUTHBEARER) {
      jaasProblem(
        `the login module ${module.loginModule} does not fit sasl.mechanism=OAUTHBEARER: use ${LOGIN_MODULES.OAUTHBEARER}`,
      )
      return null
    }
    return oauthbearer(values, set, module, problems, options)
  }
  // Apache's PLAIN and SCRAM clients take the user name and password from the Subject, which either module fills.
  if (module.loginModule !== LOGIN_MODULES.PLAIN && module.loginModule !== LOGIN_MODULES.SCRAM) {
    const expected = mechanism === 'PLAIN' ? LOGIN_MODULES.PLAIN : LOGIN_MODULES.SCRAM
    jaasProblem(`the login module ${module.loginModule} does not fit sasl.mechanism=${mechanism}: use ${expected}`)
    return null
  }
  checkClass(
    values,
    'sasl.login.callback.handler.class',
    [DEFAULT_LOGIN_HANDLER],
    problems,
    `for ${mechanism} it takes Apache's default login callback handler`,
  )
  if (module.options.get('tokenauth')?.toLowerCase() === 'true') {
    jaasProblem('tokenauth=true (delegation tokens) is not supported by Ferry')
    return null
  }
  const username = module.options.get('username')
  const password = module.options.get('password')
  if (username === undefined || password === undefined) {
    jaasProblem(`${mechanism} needs the JAAS options username and password`)
    return null
  }
  return {
    sasl: {
      mechanism: mechanism as 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512',
      username,
      // A function, so the password is never printed with the settings.
      password: () => password,
    },
    principal: username,
  }
}

function securityFrom(
  values: Readonly<Record<string, unknown>>,
  set: ReadonlySet<string>,
  problems: Problems,
  options: ParseOptions,
): ConnectionSecurity | null {
  const protocol = String(values['security.protocol']).toUpperCase() as SecurityProtocol
  const usesTls = protocol === 'SSL' || protocol === 'SASL_SSL'
  const usesSasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL'
  const unused = [...set].filter(
    (k) => (!usesTls && k.startsWith('ssl.')) || (!usesSasl && (k.startsWith('sasl.') || k === 'sasl.jaas.config')),
  )
  if (unused.length > 0) {
    options.onWarning?.(
      `These configurations '[${unused.join(', ')}]' were supplied but are not used yet: security.protocol=${protocol} does not use ${usesTls ? 'SASL' : usesSasl ? 'TLS' : 'TLS or SASL'}`,
    )
  }
  const before = problems.list.length
  let tls: ReturnType<typeof sslOptions> = null
  if (usesTls) tls = sslOptions(sslConfig(values), (key, value, message) => problems.invalid(key, value, message))
  const saslResult = usesSasl ? sasl(values, set, problems, options) : null
  if (problems.list.length > before) return null
  const parts: string[] = [protocol]
  if (saslResult) parts.push(`${saslResult.sasl.mechanism} as ${saslResult.principal}`)
  let description = parts.join(', ')
  if (tls?.principal) description += `${saslResult ? ', client certificate' : ' as'} ${tls.principal}`
  const security: ConnectionSecurity = { protocol, description }
  if (tls) security.tls = tls.tls
  if (saslResult) security.sasl = saslResult.sasl
  return security
}

/**
 * `security.protocol`, `ssl.*` and `sasl.*` → how to reach and authenticate to the brokers. Throws
 * `ClientConfigException` with every problem. Parse once and pass the result to the settings functions (`base`) so
 * the clients of one worker share it (one OAuth token for all).
 */
export function parseSecurity(props: Readonly<Record<string, string>>, options: ParseOptions = {}): ConnectionSecurity {
  const problems = new Problems()
  const { values, set } = parse(props, ['producer', 'consumer', 'admin'], problems, SECURITY_KEYS)
  const security = securityFrom(values, set, problems, options)
  problems.throwIfAny('client security')
  return security!
}

// ---------------------------------------------------------------------------------------------------------------------
// Client settings

/** What the caller provides beside the props: used where the props do not set the key. */
export interface ClientBase extends ParseOptions {
  /** When `client.id` is not set (Connect's `connector-producer-<c>-<n>`, ...). */
  clientId?: string
  /** When `bootstrap.servers` is not set. */
  bootstrapServers?: readonly string[]
  /** Already parsed (`parseSecurity`): the props' security keys are not parsed again. */
  security?: ConnectionSecurity
  /** The consumer's group when `group.id` is not set. */
  groupId?: string
  /**
   * A transactional producer's id, set by the runtime as Apache's `ConnectUtils.ensureProperty` sets it: a
   * `transactional.id` or `enable.idempotence` of the props that differs is ignored with Apache's warning ("... will
   * be ignored as it cannot be overridden <reason>"), e.g. reason `for connectors when exactly-once source support is
   * enabled`. Without it, `transactional.id` is refused.
   */
  transactional?: { id: string; reason: string }
}

/**
 * Apache's `ConnectUtils.ensureProperty`: `key` takes `expected`; a different value of the props is dropped with
 * Apache's warning.
 */
function ensureProperty(
  props: Record<string, string>,
  key: string,
  expected: string,
  reason: string,
  caseSensitive: boolean,
  onWarning: ((message: string) => void) | undefined,
): void {
  const value = props[key]
  if (value !== undefined && (caseSensitive ? value !== expected : value.toLowerCase() !== expected.toLowerCase()))
    onWarning?.(
      `The value '${value}' for the '${key}' property will be ignored as it cannot be overridden ${reason}. The value '${expected}' will be used instead.`,
    )
  props[key] = expected
}

// ClientUtils.parseAndValidateAddresses
const HOST_PORT = /^.*?\[?([0-9a-zA-Z\-%._:]*)\]?:([0-9]+)$/

function bootstrapServers(
  values: Readonly<Record<string, unknown>>,
  base: ClientBase,
  set: ReadonlySet<string>,
  problems: Problems,
): string[] {
  const list = set.has('bootstrap.servers')
    ? ((values['bootstrap.servers'] as string[] | null) ?? [])
    : [...(base.bootstrapServers ?? [])]
  if (!set.has('bootstrap.servers') && list.length === 0) {
    problems.add('bootstrap.servers', 'Missing required configuration "bootstrap.servers" which has no default value.')
    return []
  }
  const out: string[] = []
  for (const url of list) {
    const m = HOST_PORT.exec(url.trim())
    if (m === null || m[1] === '' || Number(m[2]) > 65535) {
      problems.add('bootstrap.servers', `Invalid url in bootstrap.servers: ${url}`)
      continue
    }
    out.push(m[1]!.includes(':') ? `[${m[1]}]:${m[2]}` : `${m[1]}:${m[2]}`)
  }
  return out
}

const clientCounters: Record<ClientKind, number> = { producer: 0, consumer: 0, admin: 0 }

function common(
  kind: ClientKind,
  props: Readonly<Record<string, string>>,
  base: ClientBase,
  problems: Problems,
): { settings: ClientSettings; values: Record<string, unknown>; set: Set<string> } {
  const { values, set } = parse(props, [kind], problems)
  const servers = bootstrapServers(values, base, set, problems)
  let clientId = str(values['client.id']) ?? ''
  if (!set.has('client.id') || clientId === '') {
    clientId = base.clientId ?? `${kind === 'admin' ? 'adminclient' : kind}-${++clientCounters[kind]}`
  }
  const settings: ClientSettings = { bootstrapServers: servers, clientId }
  const security = base.security ?? securityFrom(values, set, problems, base)
  if (security) settings.security = security
  const n = (key: string) => Number(values[key])
  if (set.has('request.timeout.ms')) settings.requestTimeoutMs = n('request.timeout.ms')
  if (set.has('retry.backoff.ms')) settings.retryBackoffMs = n('retry.backoff.ms')
  if (set.has('retry.backoff.max.ms')) settings.retryBackoffMaxMs = n('retry.backoff.max.ms')
  if (n('retry.backoff.ms') > n('retry.backoff.max.ms')) {
    base.onWarning?.(
      `Configuration 'retry.backoff.ms' with value '${n('retry.backoff.ms')}' is greater than configuration 'retry.backoff.max.ms' with value '${n('retry.backoff.max.ms')}'. A static backoff with value '${n('retry.backoff.max.ms')}' will be applied.`,
    )
  }
  if (set.has('metadata.max.age.ms')) settings.metadataMaxAgeMs = n('metadata.max.age.ms')
  if (set.has('socket.connection.setup.timeout.ms')) settings.connectTimeoutMs = n('socket.connection.setup.timeout.ms')
  return { settings, values, set }
}

const COMPRESSION_LEVEL_KEYS: Partial<Record<CompressionType, string>> = {
  gzip: 'compression.gzip.level',
  lz4: 'compression.lz4.level',
  zstd: 'compression.zstd.level',
}

/** A producer's settings from Apache's producer keys. Throws `ClientConfigException` with every problem. */
export function producerSettings(props: Readonly<Record<string, string>>, base: ClientBase = {}): ProducerSettings {
  const problems = new Problems()
  let input = props
  if (base.transactional !== undefined) {
    // Worker.exactlyOnceSourceTaskProducerConfigs: idempotence on (and so checked strictly), the runtime's id.
    const { id, reason } = base.transactional
    const own = { ...props }
    ensureProperty(own, 'enable.idempotence', 'true', reason, false, base.onWarning)
    ensureProperty(own, 'transactional.id', id, reason, true, base.onWarning)
    delete own['transactional.id']
    input = own
  }
  const { settings, values, set } = common('producer', input, base, problems)
  const out: ProducerSettings = settings
  const n = (key: string) => Number(values[key])
  const acks = String(values.acks)
  const acksNumber = acks === 'all' ? -1 : (Number(acks) as 0 | 1 | -1)
  if (set.has('acks')) out.acks = acksNumber
  if (set.has('compression.type') || [...Object.values(COMPRESSION_LEVEL_KEYS)].some((k) => set.has(k!))) {
    const type = String(values['compression.type']) as CompressionType
    const levelKey = COMPRESSION_LEVEL_KEYS[type]
    out.compression = levelKey && set.has(levelKey) ? { type, level: n(levelKey) } : { type }
  }
  if (set.has('linger.ms')) out.lingerMs = n('linger.ms')
  if (set.has('batch.size')) out.batchSize = n('batch.size')
  if (set.has('max.request.size')) out.maxRequestSize = n('max.request.size')
  if (set.has('buffer.memory')) out.bufferMemory = n('buffer.memory')
  if (set.has('max.block.ms')) out.maxBlockMs = n('max.block.ms')
  if (set.has('max.in.flight.requests.per.connection')) {
    out.maxInFlightRequestsPerConnection = n('max.in.flight.requests.per.connection')
  }
  if (set.has('retries')) out.retries = n('retries')
  if (base.transactional !== undefined) out.transactionalId = base.transactional.id
  if (set.has('transaction.timeout.ms')) out.transactionTimeoutMs = n('transaction.timeout.ms')

  // ProducerConfig.postProcessAndValidateIdempotenceConfigs (4.x).
  const userIdempotence = set.has('enable.idempotence')
  let idempotence = values['enable.idempotence'] === true
  if (idempotence) {
    if (n('retries') === 0) {
      if (userIdempotence) problems.add('retries', 'Must set retries to non-zero when using the idempotent producer.')
      else {
        base.onWarning?.('Idempotence will be disabled because retries is set to 0.')
        idempotence = false
      }
    }
    if (acksNumber !== -1) {
      if (userIdempotence) {
        problems.add(
          'acks',
          'Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.',
        )
      } else {
        base.onWarning?.(`Idempotence will be disabled because acks is set to ${acksNumber}, not set to 'all'.`)
        idempotence = false
      }
    }
    const inFlight = n('max.in.flight.requests.per.connection')
    // Apache 4.x refuses this even when acks or retries turned idempotence off just above.
    if (inFlight > 5) {
      problems.add(
        'max.in.flight.requests.per.connection',
        `To use the idempotent producer, max.in.flight.requests.per.connection must be set to at most 5. Current value is ${inFlight}.`,
      )
    }
  }
  if (userIdempotence || !idempotence) out.idempotence = idempotence

  // KafkaProducer.configureDeliveryTimeout.
  const lingerAndRequest = Math.min(n('linger.ms') + n('request.timeout.ms'), 2147483647)
  if (n('delivery.timeout.ms') < lingerAndRequest) {
    if (set.has('delivery.timeout.ms')) {
      problems.add(
        'delivery.timeout.ms',
        'delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms',
      )
    } else {
      base.onWarning?.(
        `delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms. Setting it to ${lingerAndRequest}.`,
      )
      out.deliveryTimeoutMs = lingerAndRequest
    }
  } else if (set.has('delivery.timeout.ms')) out.deliveryTimeoutMs = n('delivery.timeout.ms')

  problems.throwIfAny('producer')
  return out
}

/** A consumer's settings from Apache's consumer keys. Throws `ClientConfigException` with every problem. */
export function consumerSettings(props: Readonly<Record<string, string>>, base: ClientBase = {}): ConsumerSettings {
  const problems = new Problems()
  const { settings, values, set } = common('consumer', props, base, problems)
  const n = (key: string) => Number(values[key])
  const groupId = (set.has('group.id') ? str(values['group.id']) : null) ?? base.groupId ?? null
  if (groupId === null || groupId === '') {
    problems.invalid(
      'group.id',
      groupId,
      "Ferry's consumer needs a group id (Connect's sink tasks use connect-<connector>)",
    )
  }
  const out: ConsumerSettings = { ...settings, groupId: groupId ?? '' }
  if (set.has('session.timeout.ms')) out.sessionTimeoutMs = n('session.timeout.ms')
  if (set.has('heartbeat.interval.ms')) out.heartbeatIntervalMs = n('heartbeat.interval.ms')
  if (n('heartbeat.interval.ms') >= n('session.timeout.ms')) {
    problems.add(
      'heartbeat.interval.ms',
      'Heartbeat must be set lower than the session timeout (heartbeat.interval.ms < session.timeout.ms)',
    )
  }
  if (set.has('max.poll.interval.ms')) out.rebalanceTimeoutMs = n('max.poll.interval.ms')
  if (set.has('max.poll.records')) out.maxPollRecords = n('max.poll.records')
  if (set.has('fetch.min.bytes')) out.fetchMinBytes = n('fetch.min.bytes')
  if (set.has('fetch.max.wait.ms')) out.fetchMaxWaitMs = n('fetch.max.wait.ms')
  if (set.has('max.partition.fetch.bytes')) out.maxPartitionFetchBytes = n('max.partition.fetch.bytes')
  if (set.has('fetch.max.bytes')) out.fetchMaxBytes = n('fetch.max.bytes')
  if (set.has('isolation.level'))
    out.isolationLevel = values['isolation.level'] as 'read_committed' | 'read_uncommitted'
  if (set.has('auto.offset.reset')) {
    const reset = String(values['auto.offset.reset'])
    if (reset === 'earliest' || reset === 'latest' || reset === 'none') out.autoOffsetReset = reset
    else
      problems.invalid(
        'auto.offset.reset',
        reset,
        "Ferry's consumer supports earliest, latest and none; by_duration is not supported",
      )
  }
  const rack = str(values['client.rack'])
  if (set.has('client.rack') && rack !== null && rack !== '') out.clientRack = rack
  problems.throwIfAny('consumer')
  return out
}

/** An admin client's settings from Apache's admin keys. Throws `ClientConfigException` with every problem. */
export function adminSettings(props: Readonly<Record<string, string>>, base: ClientBase = {}): AdminSettings {
  const problems = new Problems()
  const { settings } = common('admin', props, base, problems)
  problems.throwIfAny('admin client')
  return settings
}
