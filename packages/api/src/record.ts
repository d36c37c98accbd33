import type { DeferredJson } from './converter.ts'
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
  // Declared, not defined as a field: the constructor's assignment makes it an own property, except where a
  // subclass's prototype has an accessor for it (DeferredJsonSinkRecord).
  declare readonly value: unknown
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

/**
 * A sink record whose value is schemaless JSON not parsed yet (Ferry's extension, see `Converter.toDeferredJson`):
 * the value is parsed the first time `value` is read, and from then on it is an ordinary record. Until then
 * `untouchedJson` gives the value's JSON text. Made by the runtime only for records no transform sees.
 */
class DeferredJsonSinkRecord extends SinkRecord {
  #deferred: DeferredJson | null = null

  constructor(
    topic: string,
    partition: number,
    keySchema: Schema | null,
    key: unknown,
    deferred: DeferredJson,
    kafkaOffset: number,
    timestamp: number | null,
    timestampType: TimestampType,
    headers: Headers,
  ) {
    super(topic, partition, keySchema, key, null, undefined, kafkaOffset, timestamp, timestampType, headers)
    this.#deferred = deferred
  }

  /** The value, parsed now if it was not yet; from then on an own property, as on any record. */
  static readValue(record: DeferredJsonSinkRecord): unknown {
    const deferred = record.#deferred
    record.#deferred = null
    const value = deferred === null ? undefined : deferred.parse()
    Object.defineProperty(record, 'value', { value, enumerable: true, writable: true, configurable: true })
    return value
  }

  static textOf(record: ConnectRecord): string | undefined {
    return #deferred in record ? (record.#deferred?.text ?? undefined) : undefined
  }
}

// On the prototype (one definition, not one per record): the base constructor's assignment of `value` is ignored,
// and the first read parses.
Object.defineProperty(DeferredJsonSinkRecord.prototype, 'value', {
  get(this: DeferredJsonSinkRecord) {
    return DeferredJsonSinkRecord.readValue(this)
  },
  set(_: unknown) {},
  enumerable: true,
  configurable: true,
})

/** A sink record whose schemaless JSON value is parsed when first read (see DeferredJsonSinkRecord). */
export function deferredJsonSinkRecord(
  topic: string,
  partition: number,
  keySchema: Schema | null,
  key: unknown,
  value: DeferredJson,
  kafkaOffset: number,
  timestamp: number | null,
  timestampType: TimestampType,
  headers: Headers,
): SinkRecord {
  return new DeferredJsonSinkRecord(
    topic,
    partition,
    keySchema,
    key,
    value,
    kafkaOffset,
    timestamp,
    timestampType,
    headers,
  )
}

/**
 * The JSON text of `record`'s value while nobody has read the value: exactly what Apache's JsonConverter with
 * `schemas.enable=false` writes for it, so a sink writing schemaless JSON may write this text instead. Undefined for
 * any other record, and once the value was read (it may have been changed since).
 */
export function untouchedJson(record: ConnectRecord): string | undefined {
  return DeferredJsonSinkRecord.textOf(record)
}

/** Whether `record`'s value is null or undefined, without parsing a value whose parsing was deferred (never null). */
export function valueIsNull(record: ConnectRecord): boolean {
  return DeferredJsonSinkRecord.textOf(record) === undefined && record.value == null
}
