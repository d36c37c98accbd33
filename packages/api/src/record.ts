import type { Schema } from './data/schema.ts'
import { Headers } from './header.ts'

/** A source partition or offset: string keys, primitive values (Apache: `Map<String, ?>`). */
export type OffsetMap = Record<string, string | number | boolean | bigint | null>

/** Where a sink record came from. */
export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

export type TimestampType = 'NoTimestampType' | 'CreateTime' | 'LogAppendTime'

/** Fields shared by source and sink records (Apache's `ConnectRecord`). Records are treated as immutable. */
export abstract class ConnectRecord {
  readonly topic: string
  readonly kafkaPartition: number | null
  readonly keySchema: Schema | null
  readonly key: unknown
  readonly valueSchema: Schema | null
  readonly value: unknown
  /** Milliseconds since the epoch, or null. */
  readonly timestamp: number | null
  readonly headers: Headers

  constructor(
    topic: string,
    kafkaPartition: number | null,
    keySchema: Schema | null,
    key: unknown,
    valueSchema: Schema | null,
    value: unknown,
    timestamp: number | null = null,
    headers: Headers | null = null,
  ) {
    this.topic = topic
    this.kafkaPartition = kafkaPartition
    this.keySchema = keySchema
    this.key = key
    this.valueSchema = valueSchema
    this.value = value
    this.timestamp = timestamp
    this.headers = headers ?? new Headers()
  }

  /** A copy with other routing, key, value or timestamp; headers are copied so the copy can change them freely. */
  abstract newRecord(
    topic: string,
    kafkaPartition: number | null,
    keySchema: Schema | null,
    key: unknown,
    valueSchema: Schema | null,
    value: unknown,
    timestamp: number | null,
    headers?: Headers,
  ): this
}

/** A record a source task produced, with the source position it stands for. */
export class SourceRecord extends ConnectRecord {
  readonly sourcePartition: OffsetMap | null
  readonly sourceOffset: OffsetMap | null

  constructor(
    sourcePartition: OffsetMap | null,
    sourceOffset: OffsetMap | null,
    topic: string,
    kafkaPartition: number | null,
    keySchema: Schema | null,
    key: unknown,
    valueSchema: Schema | null,
    value: unknown,
    timestamp: number | null = null,
    headers: Headers | null = null,
  ) {
    super(topic, kafkaPartition, keySchema, key, valueSchema, value, timestamp, headers)
    this.sourcePartition = sourcePartition
    this.sourceOffset = sourceOffset
  }

  newRecord(
    topic: string,
    kafkaPartition: number | null,
    keySchema: Schema | null,
    key: unknown,
    valueSchema: Schema | null,
    value: unknown,
    timestamp: number | null,
    headers?: Headers,
  ): this {
    return new SourceRecord(
      this.sourcePartition,
      this.sourceOffset,
      topic,
      kafkaPartition,
      keySchema,
      key,
      valueSchema,
      value,
      timestamp,
      headers ?? this.headers.duplicate(),
    ) as this
  }
}

/** A record consumed from Kafka and handed to a sink task. `original*` keep the values from before any transform. */
export class SinkRecord extends ConnectRecord {
  readonly kafkaOffset: number
  readonly timestampType: TimestampType
  readonly originalTopic: string
  readonly originalKafkaPartition: number | null
  readonly originalKafkaOffset: number

  constructor(
    topic: string,
    partition: number | null,
    keySchema: Schema | null,
    key: unknown,
    valueSchema: Schema | null,
    value: unknown,
    kafkaOffset: number,
    timestamp: number | null = null,
    timestampType: TimestampType = 'NoTimestampType',
    headers: Headers | null = null,
    originalTopic: string = topic,
    originalKafkaPartition: number | null = partition,
    originalKafkaOffset: number = kafkaOffset,
  ) {
    super(topic, partition, keySchema, key, valueSchema, value, timestamp, headers)
    this.kafkaOffset = kafkaOffset
    this.timestampType = timestampType
    this.originalTopic = originalTopic
    this.originalKafkaPartition = originalKafkaPartition
    this.originalKafkaOffset = originalKafkaOffset
  }

  newRecord(
    topic: string,
    kafkaPartition: number | null,
    keySchema: Schema | null,
    key: unknown,
    valueSchema: Schema | null,
    value: unknown,
    timestamp: number | null,
    headers?: Headers,
  ): this {
    return new SinkRecord(
      topic,
      kafkaPartition,
      keySchema,
      key,
      valueSchema,
      value,
      this.kafkaOffset,
      timestamp,
      this.timestampType,
      headers ?? this.headers.duplicate(),
      this.originalTopic,
      this.originalKafkaPartition,
      this.originalKafkaOffset,
    ) as this
  }
}
