/**
 * The bytes of a stored source offset, shared by the offsets topic and the standalone offsets file (Apache keeps the
 * same records in both): key `["connector",{partition}]`, value `{offset}` (null: removed), each written as Apache's
 * worker writes them (its internal schemaless JsonConverter).
 */
import type { OffsetMap } from '@ferry/api'
import type { Logger } from '../logger.ts'
import { javaClassName, readInternalJson, toPlainObject, writeInternalJson } from './internal-json.ts'

/** The record key Apache's worker writes for a source partition: `["connector",{...partition}]`. */
export function offsetRecordKey(connector: string, partition: OffsetMap): Buffer {
  return writeInternalJson(null, [connector, new Map(Object.entries(partition))])
}

/** The record value for an offset (null: remove it). */
export function offsetRecordValue(offset: OffsetMap | null): Buffer | null {
  return offset === null ? null : writeInternalJson(null, new Map(Object.entries(offset)))
}

/** A stored offset, read back; `offset` null when it was removed. */
export interface OffsetRecord {
  connector: string
  partition: OffsetMap
  offset: OffsetMap | null
}

/**
 * Reads a stored key and value as Apache's `OffsetUtils.processPartitionKey` does: a key that is not a two-element
 * `[string, object]` array is logged with Apache's message and ignored (null), as is a value that is not an object.
 */
export function readOffsetRecord(key: Buffer | null, value: Buffer | null, logger: Logger): OffsetRecord | null {
  if (key === null) {
    logger.warn('Ignoring offset partition key with an unexpected null value')
    return null
  }
  let parsedKey: unknown
  try {
    parsedKey = readInternalJson(key)
  } catch {
    logger.warn('Ignoring offset partition key with unknown serialization. Expected json.')
    return null
  }
  if (!Array.isArray(parsedKey)) {
    logger.warn(
      `Ignoring offset partition key with an unexpected format. Expected type: java.util.List, actual type: ${javaClassName(parsedKey)}`,
    )
    return null
  }
  if (parsedKey.length !== 2) {
    logger.warn(
      `Ignoring offset partition key with an unexpected number of elements. Expected: 2, actual: ${parsedKey.length}`,
    )
    return null
  }
  const [connector, partitionValue] = parsedKey
  if (typeof connector !== 'string') {
    logger.warn(
      `Ignoring offset partition key with an unexpected format for the first element in the partition key list. Expected type: java.lang.String, actual type: ${javaClassName(connector)}`,
    )
    return null
  }
  const partition = toPlainObject(partitionValue) as OffsetMap | null
  if (partition === null) {
    if (partitionValue !== null)
      logger.warn(
        `Ignoring offset partition key with an unexpected format for the second element in the partition key list. Expected type: java.util.Map, actual type: ${javaClassName(partitionValue)}`,
      )
    return null
  }
  let offset: OffsetMap | null = null
  if (value !== null) {
    try {
      offset = toPlainObject(readInternalJson(value)) as OffsetMap | null
    } catch {
      offset = null
    }
    if (offset === null) {
      logger.error({ connector }, 'Ignoring an offset that is not a JSON object')
      return null
    }
  }
  return { connector, partition, offset }
}
