/**
 * What Ferry's Kafka clients are told, once Apache's client keys (`security.protocol`, `ssl.*`, `sasl.*`,
 * `compression.type`, `acks`, `fetch.min.bytes`, ...) have been parsed by `./client-config.ts`. The clients
 * (`./clients.ts`, `./based-log.ts`, `./group-member.ts`) read only these types; every field is optional and its
 * absence means Apache's default for the worker's clients.
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls'
import type { SASLOptions } from '@platformatic/kafka'

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL'

/** How to reach and authenticate to the brokers (`security.protocol`, `ssl.*`, `sasl.*`). */
export interface ConnectionSecurity {
  protocol: SecurityProtocol
  /** Node TLS options (ca, cert, key, checkServerIdentity, minVersion, ...) for SSL and SASL_SSL; absent otherwise. */
  tls?: TlsOptions
  /** The SASL mechanism and its credentials (a token provider for OAUTHBEARER) for SASL_*; absent otherwise. */
  sasl?: SASLOptions
  /** For log lines and errors, never a secret: `SASL_SSL, SCRAM-SHA-512 as alice`. */
  description: string
}

/** Settings every client takes. */
export interface ClientSettings {
  bootstrapServers: string[]
  clientId: string
  /** PLAINTEXT when absent. */
  security?: ConnectionSecurity | undefined
  /** `request.timeout.ms`: one request's time before it counts as failed. */
  requestTimeoutMs?: number | undefined
  /** `retry.backoff.ms`: the first wait before a failed request is retried. */
  retryBackoffMs?: number | undefined
  /** `retry.backoff.max.ms`: the longest wait between retries (the waits grow exponentially up to it). */
  retryBackoffMaxMs?: number | undefined
  /** `metadata.max.age.ms`: cluster metadata older than this is fetched again. */
  metadataMaxAgeMs?: number | undefined
  /** `socket.connection.setup.timeout.ms`: the time a new connection (TLS and SASL included) may take. */
  connectTimeoutMs?: number | undefined
}

export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

/** A producer's settings (`producer.*`, `producer.override.*`); Apache's defaults for Connect's task producers. */
export interface ProducerSettings extends ClientSettings {
  /** `acks`: 0, 1 or -1 (all). Default -1. */
  acks?: 0 | 1 | -1 | undefined
  /** `compression.type` and its `compression.<type>.level`. Default none. */
  compression?: { type: CompressionType; level?: number | undefined } | undefined
  /** `linger.ms`: how long a partition's batch waits for more records before it is sent. */
  lingerMs?: number | undefined
  /** `batch.size`: the most bytes one partition's batch holds. */
  batchSize?: number | undefined
  /** `max.request.size`: the most bytes one Produce request (and one record) may take. */
  maxRequestSize?: number | undefined
  /** `buffer.memory`: the most bytes waiting to be sent; `send` waits (up to `max.block.ms`) beyond it. */
  bufferMemory?: number | undefined
  /** `max.block.ms`. */
  maxBlockMs?: number | undefined
  /** `enable.idempotence`: producer id and sequence numbers, so a retried batch is stored once and in order. */
  idempotence?: boolean | undefined
  /** `max.in.flight.requests.per.connection`. */
  maxInFlightRequestsPerConnection?: number | undefined
  /** `delivery.timeout.ms`: the time a record may take from `send` to its acknowledgement, retries included. */
  deliveryTimeoutMs?: number | undefined
  /** `retries`. */
  retries?: number | undefined
  /**
   * `transactional.id`: a transactional producer (implies idempotence). Set by the runtime (an exactly-once source
   * task's `<group.id>-<connector>-<task>`, the config-topic leader's `connect-cluster-<group.id>`), never by users.
   */
  transactionalId?: string | undefined
  /** `transaction.timeout.ms`: how long the coordinator lets a transaction stay open before aborting it. */
  transactionTimeoutMs?: number | undefined
}

/** A consumer's settings (`consumer.*`, `consumer.override.*`). */
export interface ConsumerSettings extends ClientSettings {
  groupId: string
  /** `group.instance.id`: a static member (KIP-345). */
  groupInstanceId?: string | undefined
  /** `session.timeout.ms`. */
  sessionTimeoutMs?: number | undefined
  /** `heartbeat.interval.ms`. */
  heartbeatIntervalMs?: number | undefined
  /** `max.poll.interval.ms` (the group's rebalance timeout). */
  rebalanceTimeoutMs?: number | undefined
  /** `max.poll.records`: the most records one poll hands the task. */
  maxPollRecords?: number | undefined
  /** `fetch.min.bytes`. */
  fetchMinBytes?: number | undefined
  /** `fetch.max.wait.ms`. */
  fetchMaxWaitMs?: number | undefined
  /** `max.partition.fetch.bytes`. */
  maxPartitionFetchBytes?: number | undefined
  /** `fetch.max.bytes`. */
  fetchMaxBytes?: number | undefined
  /** `isolation.level`. Default read_uncommitted, as Apache's clients. */
  isolationLevel?: 'read_committed' | 'read_uncommitted' | undefined
  /** `auto.offset.reset`: where a partition without a committed offset starts (Connect's default: earliest). */
  autoOffsetReset?: 'earliest' | 'latest' | 'none' | undefined
  /** `client.rack`: fetch from the closest replica (KIP-392). */
  clientRack?: string | undefined
  /** The newest Fetch version to use (tests of the older one); the broker's newest of 11 and 12 otherwise. */
  maxFetchVersion?: 11 | 12 | undefined
}

/** An admin client's settings (`admin.*`, `admin.override.*`). */
export interface AdminSettings extends ClientSettings {}
