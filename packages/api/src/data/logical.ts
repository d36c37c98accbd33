/**
 * Connect's logical types (Apache's `Decimal`, `Date`, `Time`, `Timestamp`): named schemas over a primitive type.
 *
 * | Logical type  | Schema name                                 | Base  | Logical value (JS)  | Encoded value (JS)              |
 * |---------------|---------------------------------------------|-------|---------------------|---------------------------------|
 * | `Decimal`     | `org.apache.kafka.connect.data.Decimal`     | BYTES | `BigDecimal`        | `Uint8Array`: big-endian two's- |
 * |               | (parameter `scale`)                         |       |                     | complement unscaled value       |
 * | `ConnectDate` | `org.apache.kafka.connect.data.Date`        | INT32 | `Date` at UTC 00:00 | days since the epoch            |
 * | `Time`        | `org.apache.kafka.connect.data.Time`        | INT32 | `Date` on 1970-01-01| milliseconds since midnight UTC |
 * | `Timestamp`   | `org.apache.kafka.connect.data.Timestamp`   | INT64 | `Date`              | milliseconds since the epoch    |
 *
 * `ConnectDate` is Apache's `Date`, renamed so it does not shadow the JS `Date`.
 */
import { DataException } from '../errors.ts'
import { BigDecimal, bigIntToBytes, bytesToBigInt } from './big-decimal.ts'
import type { Schema } from './schema.ts'
import { SchemaBuilder } from './schema-builder.ts'

const MILLIS_PER_DAY = 24 * 60 * 60 * 1000
const INT_PATTERN = /^[+-]?\d+$/

function decimalScale(schema: Schema): number {
  const scaleString = schema.parameters?.[DECIMAL_SCALE_FIELD]
  if (scaleString == null) throw new DataException('Invalid Decimal schema: scale parameter not found.')
  const scale = INT_PATTERN.test(scaleString) ? Number.parseInt(scaleString, 10) : Number.NaN
  if (!Number.isInteger(scale) || scale < -2147483648 || scale > 2147483647) {
    throw new DataException('Invalid scale parameter found in Decimal schema: ')
  }
  return scale
}

const DECIMAL_LOGICAL_NAME = 'org.apache.kafka.connect.data.Decimal'
const DECIMAL_SCALE_FIELD = 'scale'

/** Arbitrary-precision decimals: `BigDecimal` ⇄ unscaled two's-complement bytes, the scale in the schema. */
export const Decimal = Object.freeze({
  LOGICAL_NAME: DECIMAL_LOGICAL_NAME,
  SCALE_FIELD: DECIMAL_SCALE_FIELD,

  /** A BYTES builder named `Decimal`, version 1, with the `scale` parameter. */
  builder(scale: number): SchemaBuilder {
    return SchemaBuilder.bytes().name(DECIMAL_LOGICAL_NAME).parameter(DECIMAL_SCALE_FIELD, String(scale)).version(1)
  },

  schema(scale: number): Schema {
    return Decimal.builder(scale).build()
  },

  /** The unscaled value's bytes; the value's scale must equal the schema's. */
  fromLogical(schema: Schema, value: BigDecimal): Uint8Array {
    const schemaScale = decimalScale(schema)
    if (value.scale !== schemaScale) {
      throw new DataException(
        `Decimal value has mismatching scale for given Decimal schema. Schema has scale ${schemaScale}, value has scale ${value.scale}.`,
      )
    }
    return bigIntToBytes(value.unscaledValue)
  },

  toLogical(schema: Schema, value: Uint8Array): BigDecimal {
    const scale = decimalScale(schema)
    let unscaled: bigint
    try {
      unscaled = bytesToBigInt(value)
    } catch (e) {
      throw new DataException('Invalid Decimal value: zero length byte array', e)
    }
    return new BigDecimal(unscaled, scale)
  },
})

const DATE_LOGICAL_NAME = 'org.apache.kafka.connect.data.Date'

function checkTime(value: Date): number {
  const millis = value instanceof Date ? value.getTime() : Number.NaN
  if (Number.isNaN(millis)) throw new DataException(`Invalid Date value: ${String(value)}`)
  return millis
}

/** A date without time of day: `Date` at UTC midnight ⇄ INT32 days since the epoch (Apache's `Date`). */
export const ConnectDate = Object.freeze({
  LOGICAL_NAME: DATE_LOGICAL_NAME,

  builder(): SchemaBuilder {
    return SchemaBuilder.int32().name(DATE_LOGICAL_NAME).version(1)
  },

  SCHEMA: SchemaBuilder.int32().name(DATE_LOGICAL_NAME).version(1).build(),

  /** Days since the epoch; the time of day must be 00:00:00.000 UTC. */
  fromLogical(schema: Schema, value: Date): number {
    if (schema.name !== DATE_LOGICAL_NAME) {
      throw new DataException('Requested conversion of Date object but the schema does not match.')
    }
    const millis = checkTime(value)
    if (millis % MILLIS_PER_DAY !== 0) {
      throw new DataException('Kafka Connect Date type should not have any time fields set to non-zero values.')
    }
    return millis / MILLIS_PER_DAY
  },

  toLogical(schema: Schema, value: number): Date {
    if (schema.name !== DATE_LOGICAL_NAME) {
      throw new DataException('Requested conversion of Date object but the schema does not match.')
    }
    return new Date(value * MILLIS_PER_DAY)
  },
})

const TIME_LOGICAL_NAME = 'org.apache.kafka.connect.data.Time'

/** A time of day: `Date` on 1970-01-01 UTC ⇄ INT32 milliseconds since midnight (Apache's `Time`). */
export const Time = Object.freeze({
  LOGICAL_NAME: TIME_LOGICAL_NAME,

  builder(): SchemaBuilder {
    return SchemaBuilder.int32().name(TIME_LOGICAL_NAME).version(1)
  },

  SCHEMA: SchemaBuilder.int32().name(TIME_LOGICAL_NAME).version(1).build(),

  /** Milliseconds since midnight; the date part must be 1970-01-01. */
  fromLogical(schema: Schema, value: Date): number {
    if (schema.name !== TIME_LOGICAL_NAME) {
      throw new DataException('Requested conversion of Time object but the schema does not match.')
    }
    const millis = checkTime(value)
    if (millis < 0 || millis > MILLIS_PER_DAY) {
      throw new DataException('Kafka Connect Time type should not have any date fields set to non-zero values.')
    }
    return millis
  },

  toLogical(schema: Schema, value: number): Date {
    if (schema.name !== TIME_LOGICAL_NAME) {
      throw new DataException('Requested conversion of Date object but the schema does not match.')
    }
    if (value < 0 || value > MILLIS_PER_DAY) {
      throw new DataException('Time values must use number of milliseconds greater than 0 and less than 86400000')
    }
    return new Date(value)
  },
})

const TIMESTAMP_LOGICAL_NAME = 'org.apache.kafka.connect.data.Timestamp'

/** An instant: `Date` ⇄ INT64 milliseconds since the epoch (Apache's `Timestamp`). */
export const Timestamp = Object.freeze({
  LOGICAL_NAME: TIMESTAMP_LOGICAL_NAME,

  builder(): SchemaBuilder {
    return SchemaBuilder.int64().name(TIMESTAMP_LOGICAL_NAME).version(1)
  },

  SCHEMA: SchemaBuilder.int64().name(TIMESTAMP_LOGICAL_NAME).version(1).build(),

  fromLogical(schema: Schema, value: Date): number {
    if (schema.name !== TIMESTAMP_LOGICAL_NAME) {
      throw new DataException('Requested conversion of Timestamp object but the schema does not match.')
    }
    return checkTime(value)
  },

  /** Accepts a number or a bigint (INT64). */
  toLogical(schema: Schema, value: number | bigint): Date {
    if (schema.name !== TIMESTAMP_LOGICAL_NAME) {
      throw new DataException('Requested conversion of Timestamp object but the schema does not match.')
    }
    return new Date(Number(value))
  },
})
