/** Apache's `org.apache.kafka.connect.transforms.util.Requirements`, with the same messages. */
import { type ConnectRecord, DataException, type Schema, SinkRecord, Struct } from '@ferry/api'
import { javaClassName } from './java.ts'
import { type AnyMap, isAnyMap } from './maps.ts'

export function requireSchema(schema: Schema | null, purpose: string): asserts schema is Schema {
  if (schema == null) throw new DataException(`Schema required for [${purpose}]`)
}

export function requireMap(value: unknown, purpose: string): AnyMap {
  if (!isAnyMap(value)) {
    throw new DataException(
      `Only Map objects supported in absence of schema for [${purpose}], found: ${javaClassName(value)}`,
    )
  }
  return value
}

export function requireMapOrNull(value: unknown, purpose: string): AnyMap | null {
  if (value == null) return null
  return requireMap(value, purpose)
}

export function requireStruct(value: unknown, purpose: string): Struct {
  if (!(value instanceof Struct)) {
    throw new DataException(`Only Struct objects supported for [${purpose}], found: ${javaClassName(value)}`)
  }
  return value
}

export function requireStructOrNull(value: unknown, purpose: string): Struct | null {
  if (value == null) return null
  return requireStruct(value, purpose)
}

export function requireSinkRecord(record: ConnectRecord, purpose: string): SinkRecord {
  if (!(record instanceof SinkRecord)) {
    const name = record == null ? 'null' : 'org.apache.kafka.connect.source.SourceRecord'
    throw new DataException(`Only SinkRecord supported for [${purpose}], found: ${name}`)
  }
  return record
}
