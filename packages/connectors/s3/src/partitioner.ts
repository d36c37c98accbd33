/**
 * Confluent's storage partitioners (kafka-connect-storage-common): where in the bucket a record goes.
 * `encodePartition` names the record's directory below the topic (`partition=0`, `region=eu`,
 * `year=2026/month=01/day=02`); `generatePartitionedPath` puts the topic in front.
 */
import { ConfigException, DataException, type Schema, type SinkRecord, Struct } from '@ferry/api'
import type { S3SinkSettings } from './config.ts'
import { DateTimeFormatter, type TimeZone } from './date-format.ts'

/** A record that cannot be placed (Confluent's PartitionException): reported to the DLQ when there is one. */
export class PartitionException extends DataException {}

/** Where records go; `timestampExtractor` is set for the time-based partitioners only. */
export interface Partitioner {
  encodePartition(record: SinkRecord, nowMs: number): string
  generatePartitionedPath(topic: string, encodedPartition: string): string
  readonly timestampExtractor: TimestampExtractor | null
}

/** A record's time for the time-based partitioners and `rotate.interval.ms`. */
export type TimestampExtractor = (record: SinkRecord, nowMs: number) => number | null

class DefaultPartitioner implements Partitioner {
  readonly timestampExtractor: TimestampExtractor | null = null
  protected readonly delim: string
  constructor(delim: string) {
    this.delim = delim
  }

  readonly #names: string[] = []

  encodePartition(record: SinkRecord, _nowMs: number): string {
    const p = record.kafkaPartition ?? -1
    if (p < 0) return `partition=${p}`
    this.#names[p] ??= `partition=${p}`
    return this.#names[p]
  }

  generatePartitionedPath(topic: string, encodedPartition: string): string {
    return `${topic}${this.delim}${encodedPartition}`
  }
}

class FieldPartitioner extends DefaultPartitioner {
  readonly #fieldNames: string[]
  constructor(delim: string, fieldNames: string[]) {
    super(delim)
    this.#fieldNames = fieldNames
  }

  override encodePartition(record: SinkRecord): string {
    const value = record.value
    if (!(value instanceof Struct) || !record.valueSchema) {
      throw new PartitionException(
        `Error encoding partition: FieldPartitioner needs a Struct value (record ${recordId(record)})`,
      )
    }
    const parts: string[] = []
    for (const name of this.#fieldNames) {
      const field = nestedFieldSchema(record.valueSchema, name)
      if (!field) throw new DataException(`Field '${name}' is not present in the schema.`)
      const v = nestedValue(value, name)
      if (v === null || v === undefined) {
        parts.push(`${name}=null`)
        continue
      }
      switch (field.type) {
        case 'INT8':
        case 'INT16':
        case 'INT32':
        case 'INT64':
        case 'STRING':
        case 'BOOLEAN':
          parts.push(`${name}=${String(v)}`)
          break
        default:
          throw new PartitionException(
            `Error encoding partition: type ${field.type} of field '${name}' is not supported as a partition key`,
          )
      }
    }
    return parts.join(this.delim)
  }
}

class TimeBasedPartitioner extends DefaultPartitioner {
  readonly formatter: DateTimeFormatter
  override readonly timestampExtractor: TimestampExtractor

  readonly #durationMs: number

  constructor(
    delim: string,
    durationMs: number,
    pathFormat: string,
    locale: string,
    timezone: string,
    extractor: TimestampExtractor,
  ) {
    super(delim)
    this.#durationMs = durationMs
    this.formatter = new DateTimeFormatter(pathFormat, timezone, locale)
    this.timestampExtractor = extractor
  }

  override encodePartition(record: SinkRecord, nowMs: number): string {
    const timestamp = this.timestampExtractor(record, nowMs)
    if (timestamp === null) {
      throw new PartitionException(
        `Unable to determine timestamp using timestamp.extractor for record: ${recordId(record)}`,
      )
    }
    return this.formatter.format(bucketStart(this.#durationMs, timestamp, this.formatter.zone))
  }
}

/** Confluent's TimeBasedPartitioner.getPartition: the start of the bucket of `timestamp` on the zone's wall clock. */
export function bucketStart(durationMs: number, timestamp: number, zone: TimeZone): number {
  const local = zone.toLocal(timestamp)
  return zone.toUtc(Math.floor(local / durationMs) * durationMs)
}

/** Confluent's DateTimeUtils.getNextTimeAdjustedByDay: the next multiple of `periodMs` after midnight, capped at the next midnight. */
export function nextScheduledRotation(nowMs: number, periodMs: number, zone: TimeZone): number {
  const local = zone.toLocal(nowMs)
  const startOfDay = zone.toUtc(local - mod(local, 86_400_000))
  const startOfNextDay = zone.toUtc(local - mod(local, 86_400_000) + 86_400_000)
  const next = (Math.floor((nowMs - startOfDay) / periodMs) + 1) * periodMs
  return startOfDay + Math.min(next, startOfNextDay - startOfDay)
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b
}

/** Builds the partitioner a config names. Throws ConfigException for a bad time-based setup. */
export function newPartitioner(s: S3SinkSettings): Partitioner {
  const delim = s.directoryDelim
  switch (s.partitioner) {
    case 'default':
      return new DefaultPartitioner(delim)
    case 'field':
      return new FieldPartitioner(delim, s.partitionFields)
    case 'time':
    case 'daily':
    case 'hourly': {
      let durationMs = s.partitionDurationMs
      let pathFormat = s.pathFormat
      if (s.partitioner === 'daily') {
        durationMs = 86_400_000
        pathFormat = `'year'=YYYY${delim}'month'=MM${delim}'day'=dd`
      } else if (s.partitioner === 'hourly') {
        durationMs = 3_600_000
        pathFormat = `'year'=YYYY${delim}'month'=MM${delim}'day'=dd${delim}'hour'=HH`
      }
      if (durationMs < 0) {
        throw new ConfigException('partition.duration.ms', durationMs, 'Partition duration needs to be a positive.')
      }
      if (!pathFormat.trim() || pathFormat === delim) {
        throw new ConfigException('path.format', pathFormat, 'Path format cannot be empty.')
      }
      if (delim && pathFormat.endsWith(delim)) pathFormat = pathFormat.slice(0, -delim.length)
      if (!s.locale.trim()) throw new ConfigException('locale', s.locale, 'Locale cannot be empty.')
      if (!s.timezone.trim()) throw new ConfigException('timezone', s.timezone, 'Timezone cannot be empty.')
      return new TimeBasedPartitioner(delim, durationMs, pathFormat, s.locale, s.timezone, timestampExtractor(s))
    }
  }
}

function timestampExtractor(s: S3SinkSettings): TimestampExtractor {
  switch (s.timestampExtractor) {
    case 'Wallclock':
      return (_record, now) => now
    case 'Record':
      return (record) => record.timestamp
    case 'RecordField':
      return (record) => recordFieldTimestamp(record, s.timestampField)
  }
}

/** Confluent's RecordFieldTimestampExtractor. */
function recordFieldTimestamp(record: SinkRecord, fieldName: string): number {
  const value = record.value
  let v: unknown
  let type: string
  if (value instanceof Struct && record.valueSchema) {
    const schema = nestedFieldSchema(record.valueSchema, fieldName)
    if (!schema) throw new DataException(`Field '${fieldName}' is not present in the schema.`)
    v = nestedValue(value, fieldName)
    type = schema.name === 'org.apache.kafka.connect.data.Timestamp' ? 'Timestamp' : schema.type
  } else if (value instanceof Map || (value !== null && typeof value === 'object' && !Array.isArray(value))) {
    v = nestedValue(value, fieldName)
    type = v instanceof Date ? 'Timestamp' : typeof v === 'number' || typeof v === 'bigint' ? 'INT64' : typeof v
    if (type === 'string') type = 'STRING'
  } else {
    throw new PartitionException('Error encoding partition: the value is not a Struct or a Map')
  }
  if (v === null || v === undefined) {
    throw new PartitionException(`Error extracting timestamp from record field: ${fieldName} is null`)
  }
  switch (type) {
    case 'Timestamp':
      return (v as Date).getTime()
    case 'INT32':
    case 'INT64':
      return Number(v)
    case 'STRING': {
      const text = v as string
      if (/^-?[0-9]{1,19}$/.test(text)) return Number(text)
      const ms = Date.parse(text)
      if (Number.isNaN(ms)) throw new PartitionException(`Invalid format: "${text}" in field ${fieldName}`)
      return ms
    }
    default:
      throw new PartitionException(`Error extracting timestamp from record field: ${fieldName}`)
  }
}

/** The schema of a dotted field path (Confluent's DataUtils.getNestedField), or null. */
function nestedFieldSchema(schema: Schema, path: string): Schema | null {
  let current: Schema | null = schema
  for (const name of path.split('.')) {
    if (current?.type !== 'STRUCT') return null
    current = current.field(name)?.schema ?? null
  }
  return current
}

/** The value at a dotted path in a Struct or Map (Confluent's DataUtils.getNestedFieldValue). */
function nestedValue(value: unknown, path: string): unknown {
  let current: unknown = value
  for (const name of path.split('.')) {
    if (current instanceof Struct) current = current.get(name)
    else if (current instanceof Map) current = current.get(name)
    else if (current !== null && typeof current === 'object') current = (current as Record<string, unknown>)[name]
    else return null
  }
  return current
}

function recordId(r: SinkRecord): string {
  return `${r.topic}-${r.kafkaPartition}@${r.kafkaOffset}`
}
