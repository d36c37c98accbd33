/** The `$Key` / `$Value` halves of a transformation: which part of the record it reads and how it rebuilds one. */
import type { ConnectRecord, Headers, Schema } from '@ferry/api'

export type Side = 'key' | 'value'

export function operatingSchema(record: ConnectRecord, side: Side): Schema | null {
  return side === 'key' ? record.keySchema : record.valueSchema
}

export function operatingValue(record: ConnectRecord, side: Side): unknown {
  return side === 'key' ? record.key : record.value
}

/** The record with the key (or value) and its schema replaced; headers are copied unless given. */
export function newRecordWith<R extends ConnectRecord>(
  record: R,
  side: Side,
  schema: Schema | null,
  value: unknown,
  headers?: Headers,
): R {
  return side === 'key'
    ? record.newRecord(
        record.topic,
        record.kafkaPartition,
        schema,
        value,
        record.valueSchema,
        record.value,
        record.timestamp,
        headers,
      )
    : record.newRecord(
        record.topic,
        record.kafkaPartition,
        record.keySchema,
        record.key,
        schema,
        value,
        record.timestamp,
        headers,
      )
}
