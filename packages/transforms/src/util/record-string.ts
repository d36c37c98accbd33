/** Java's `toString()` of Connect records (for messages that embed a record). */
import { type ConnectRecord, javaString, SinkRecord, SourceRecord } from '@ferry/api'

function connectRecordString(r: ConnectRecord): string {
  return `ConnectRecord{topic='${r.topic}', kafkaPartition=${javaString(r.kafkaPartition)}, key=${javaString(r.key)}, keySchema=${javaString(r.keySchema)}, value=${javaString(r.value)}, valueSchema=${javaString(r.valueSchema)}, timestamp=${javaString(r.timestamp)}, headers=${r.headers.toString()}}`
}

export function javaRecordString(r: ConnectRecord): string {
  if (r instanceof SinkRecord) {
    return `SinkRecord{kafkaOffset=${r.kafkaOffset}, timestampType=${r.timestampType}, originalTopic=${r.originalTopic}, originalKafkaPartition=${javaString(r.originalKafkaPartition)}, originalKafkaOffset=${r.originalKafkaOffset}} ${connectRecordString(r)}`
  }
  if (r instanceof SourceRecord) {
    return `SourceRecord{sourcePartition=${javaString(r.sourcePartition)}, sourceOffset=${javaString(r.sourceOffset)}} ${connectRecordString(r)}`
  }
  return connectRecordString(r)
}
