/**
 * The Kafka clients the rest of Ferry uses: `KafkaProducer` (producer.ts), `KafkaConsumer` (consumer.ts) and
 * `KafkaAdmin` (admin.ts), what they share (client-common.ts) and the one reading of the client's errors (errors.ts).
 * Only the modules of this folder import the Kafka client library (@platformatic/kafka), so it can be upgraded in
 * one place (test/kafka/platformatic-contract.test.ts names what Ferry relies on).
 */

export { KafkaAdmin, type TopicAccess } from './admin.ts'
export {
  CLIENT_DEFAULTS,
  clientOptions,
  connectionOptions,
  diagnoseConnection,
  type IncomingRecord,
  type OutgoingRecord,
  type PartitionOffset,
  parseBootstrapServers,
  retryBackoff,
  withTopicTracking,
} from './client-common.ts'
export type { AdminSettings, ClientSettings, ConsumerSettings, ProducerSettings } from './client-settings.ts'
export { CONSUMER_DEFAULTS, KafkaConsumer, rangeAssigner } from './consumer.ts'
export { isConnectionError, kafkaErrorIds } from './errors.ts'
export { KafkaClientException } from './failures.ts'
export { KafkaProducer, PRODUCER_DEFAULTS, partitionFor } from './producer.ts'
export { isProducerFenced, ProducerFencedException, TransactionAbortedException } from './transaction-coordinator.ts'
