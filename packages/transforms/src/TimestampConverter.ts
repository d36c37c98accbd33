/**
 * Apache's `org.apache.kafka.connect.transforms.TimestampConverter`: converts a timestamp field (or the whole key or
 * value) between a string (Java `SimpleDateFormat` pattern, UTC), a Unix epoch number (`unix.precision`), and the
 * Connect Date, Time and Timestamp logical types.
 *
 * Java's `java.util.Date` holds any 64-bit millisecond count; a JS `Date` holds ±8.64e15 ms (±273,790 years).
 * Conversions work on the 64-bit count, so unix, Time and string results match Apache for any value; a Date or
 * Timestamp result outside the JS range fails with a DataException rather than being silently clamped.
 */
import {
  ConfigDef,
  ConfigException,
  ConnectDate,
  ConnectException,
  type ConnectRecord,
  DataException,
  type Schema,
  SchemaBuilder,
  Schema as Schemas,
  Struct,
  Time,
  Timestamp,
  type Transformation,
  ValidString,
} from '@ferry/api'
import { REPLACE_NULL_WITH_DEFAULT_CONFIG, REPLACE_NULL_WITH_DEFAULT_DOC, simpleConfig } from './util/config.ts'
import { IllegalArgumentException, javaClassString, NullPointerException, normalizeLong } from './util/java.ts'
import { copyMap, mapGet, mapSet } from './util/maps.ts'
import { newRecordWith, operatingSchema, operatingValue, type Side } from './util/operating.ts'
import { requireMap, requireStructOrNull } from './util/requirements.ts'
import { copySchemaBasics, SchemaCache } from './util/schema-util.ts'
import {
  JavaParseException,
  SimpleDateFormat,
  UnsupportedDatePatternError,
  UnsupportedDateTextError,
} from './util/simple-date-format.ts'

export const TIMESTAMP_CONVERTER_OVERVIEW_DOC =
  'Convert timestamps between different formats such as Unix epoch, strings, and Connect Date/Timestamp types.Applies to individual fields or to the entire value.<p/>Use the concrete transformation type designed for the record key (<code>org.apache.kafka.connect.transforms.TimestampConverter$Key</code>) or value (<code>org.apache.kafka.connect.transforms.TimestampConverter$Value</code>).'

const FIELD_CONFIG = 'field'
const TARGET_TYPE_CONFIG = 'target.type'
const FORMAT_CONFIG = 'format'
const UNIX_PRECISION_CONFIG = 'unix.precision'
const PURPOSE = 'converting timestamp formats'

type TimestampType = 'string' | 'unix' | 'Date' | 'Time' | 'Timestamp'
type UnixPrecision = 'seconds' | 'milliseconds' | 'microseconds' | 'nanoseconds'

const OPTIONAL_DATE_SCHEMA = ConnectDate.builder().optional().build()
const OPTIONAL_TIMESTAMP_SCHEMA = Timestamp.builder().optional().build()
const OPTIONAL_TIME_SCHEMA = Time.builder().optional().build()

export const TIMESTAMP_CONVERTER_CONFIG_DEF: ConfigDef = new ConfigDef()
  .define({
    name: FIELD_CONFIG,
    type: 'STRING',
    defaultValue: '',
    importance: 'HIGH',
    documentation: 'The field containing the timestamp, or empty if the entire value is a timestamp',
  })
  .define({
    name: TARGET_TYPE_CONFIG,
    type: 'STRING',
    validator: ValidString.in('string', 'unix', 'Date', 'Time', 'Timestamp'),
    importance: 'HIGH',
    documentation: 'The desired timestamp representation: string, unix, Date, Time, or Timestamp',
  })
  .define({
    name: FORMAT_CONFIG,
    type: 'STRING',
    defaultValue: '',
    importance: 'MEDIUM',
    documentation:
      'A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when type=string or used to parse the input if the input is a string.',
  })
  .define({
    name: UNIX_PRECISION_CONFIG,
    type: 'STRING',
    defaultValue: 'milliseconds',
    validator: ValidString.in('nanoseconds', 'microseconds', 'milliseconds', 'seconds'),
    importance: 'LOW',
    documentation:
      'The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. Used to generate the output when type=unix or used to parse the input if the input is a Long.Note: This SMT will cause precision loss during conversions from, and to, values with sub-millisecond components.',
  })
  .define({
    name: REPLACE_NULL_WITH_DEFAULT_CONFIG,
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'MEDIUM',
    documentation: REPLACE_NULL_WITH_DEFAULT_DOC,
  })

interface Config {
  field: string
  type: TimestampType
  format: SimpleDateFormat | null
  unixPrecision: UnixPrecision
}

const LONG_MAX = 2n ** 63n - 1n
const LONG_MIN = -(2n ** 63n)
const MAX_JS_DATE = 8.64e15

function saturate(n: bigint): bigint {
  return n > LONG_MAX ? LONG_MAX : n < LONG_MIN ? LONG_MIN : n
}

/** A Java `new Date(millis)` as a JS Date; DataException when JS cannot represent it. */
function dateOf(millis: bigint): Date {
  const n = Number(millis)
  if (!(Math.abs(n) <= MAX_JS_DATE)) {
    throw new DataException(
      `Timestamp ${millis} ms is outside the range of a JavaScript Date (±8.64e15 ms); Ferry cannot represent it`,
    )
  }
  return new Date(n)
}

/** A Java `java.util.Date` as its millisecond count (a Java long: it may be outside the range of a JS Date). */
type RawTimestamp = bigint

interface Translator {
  toRaw(config: Config, orig: unknown): RawTimestamp
  typeSchema(isOptional: boolean): Schema
  toType(config: Config, orig: RawTimestamp): unknown
}

function isLong(value: unknown): value is number | bigint {
  return typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value))
}

function rawOf(date: Date): RawTimestamp {
  return BigInt(Timestamp.fromLogical(Timestamp.SCHEMA, date))
}

function floorDay(millis: bigint): bigint {
  let day = millis / 86_400_000n
  if (day * 86_400_000n > millis) day -= 1n
  return day
}

const TRANSLATORS: Record<TimestampType, Translator> = {
  string: {
    toRaw(config, orig) {
      if (typeof orig !== 'string') {
        throw new DataException(`Expected string timestamp to be a String, but found ${javaClassString(orig)}`)
      }
      const format = config.format
      if (format === null) {
        throw new NullPointerException(
          'Cannot invoke "java.text.SimpleDateFormat.parse(String)" because "config.format" is null',
        )
      }
      try {
        return format.parseMillis(orig)
      } catch (e) {
        if (e instanceof JavaParseException) {
          throw new DataException(
            `Could not parse timestamp: value (${orig}) does not match pattern (${format.toPattern()})`,
            e,
          )
        }
        if (e instanceof UnsupportedDateTextError) throw new DataException(e.message, e)
        throw e
      }
    },
    typeSchema: (isOptional) => (isOptional ? Schemas.OPTIONAL_STRING_SCHEMA : Schemas.STRING_SCHEMA),
    toType(config, orig) {
      const format = config.format
      if (format === null) {
        throw new NullPointerException(
          'Cannot invoke "java.text.SimpleDateFormat.format(java.util.Date)" because "config.format" is null',
        )
      }
      return format.format(orig)
    },
  },
  unix: {
    toRaw(config, orig) {
      if (!isLong(orig)) {
        throw new DataException(`Expected Unix timestamp to be a Long, but found ${javaClassString(orig)}`)
      }
      const unixTime = BigInt(orig)
      switch (config.unixPrecision) {
        case 'seconds':
          return saturate(unixTime * 1000n)
        case 'microseconds':
          return unixTime / 1000n
        case 'nanoseconds':
          return unixTime / 1_000_000n
        default:
          return unixTime
      }
    },
    typeSchema: (isOptional) => (isOptional ? Schemas.OPTIONAL_INT64_SCHEMA : Schemas.INT64_SCHEMA),
    toType(config, millis) {
      switch (config.unixPrecision) {
        case 'seconds':
          return normalizeLong(millis / 1000n)
        case 'microseconds':
          return normalizeLong(saturate(millis * 1000n))
        case 'nanoseconds':
          return normalizeLong(saturate(millis * 1_000_000n))
        default:
          return normalizeLong(millis)
      }
    },
  },
  Date: {
    toRaw(_config, orig) {
      if (!(orig instanceof Date)) {
        throw new DataException(`Expected Date to be a java.util.Date, but found ${javaClassString(orig)}`)
      }
      return rawOf(orig)
    },
    typeSchema: (isOptional) => (isOptional ? OPTIONAL_DATE_SCHEMA : ConnectDate.SCHEMA),
    toType: (_config, millis) => dateOf(floorDay(millis) * 86_400_000n),
  },
  Time: {
    toRaw(_config, orig) {
      if (!(orig instanceof Date)) {
        throw new DataException(`Expected Time to be a java.util.Date, but found ${javaClassString(orig)}`)
      }
      return rawOf(orig)
    },
    typeSchema: (isOptional) => (isOptional ? OPTIONAL_TIME_SCHEMA : Time.SCHEMA),
    toType: (_config, millis) => dateOf(millis - floorDay(millis) * 86_400_000n),
  },
  Timestamp: {
    toRaw(_config, orig) {
      if (!(orig instanceof Date)) {
        throw new DataException(`Expected Timestamp to be a java.util.Date, but found ${javaClassString(orig)}`)
      }
      return rawOf(orig)
    },
    typeSchema: (isOptional) => (isOptional ? OPTIONAL_TIMESTAMP_SCHEMA : Timestamp.SCHEMA),
    toType: (_config, millis) => dateOf(millis),
  },
}

function isBlank(s: string | null): boolean {
  return s === null || s.trim().length === 0
}

/** The shared implementation; use `TimestampConverterKey` or `TimestampConverterValue`. */
export abstract class TimestampConverter<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = TIMESTAMP_CONVERTER_OVERVIEW_DOC
  static readonly CONFIG_DEF = TIMESTAMP_CONVERTER_CONFIG_DEF

  protected abstract readonly side: Side
  private cfg: Config | null = null
  private schemaUpdateCache = new SchemaCache()
  private replaceNullWithDefault = true

  configure(props: Record<string, unknown>): void {
    const config = simpleConfig(TIMESTAMP_CONVERTER_CONFIG_DEF, props)
    const field = config.getString(FIELD_CONFIG)!
    const type = config.getString(TARGET_TYPE_CONFIG)! as TimestampType
    const formatPattern = config.getString(FORMAT_CONFIG)
    const unixPrecision = config.getString(UNIX_PRECISION_CONFIG)! as UnixPrecision
    this.schemaUpdateCache = new SchemaCache()
    this.replaceNullWithDefault = config.getBoolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)!
    if (type === 'string' && isBlank(formatPattern)) {
      throw new ConfigException(
        'TimestampConverter requires format option to be specified when using string timestamps',
      )
    }
    let format: SimpleDateFormat | null = null
    if (!isBlank(formatPattern)) {
      try {
        format = new SimpleDateFormat(formatPattern!)
      } catch (e) {
        if (e instanceof IllegalArgumentException) {
          throw new ConfigException(
            `TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: ${formatPattern}`,
            `java.lang.IllegalArgumentException: ${e.message}`,
          )
        }
        if (e instanceof UnsupportedDatePatternError) throw new ConfigException(FORMAT_CONFIG, formatPattern, e.message)
        throw e
      }
    }
    this.cfg = { field, type, format, unixPrecision }
  }

  apply(record: R): R {
    if (operatingSchema(record, this.side) == null) return this.applySchemaless(record)
    return this.applyWithSchema(record)
  }

  config(): ConfigDef {
    return TIMESTAMP_CONVERTER_CONFIG_DEF
  }

  close(): void {}

  private applyWithSchema(record: R): R {
    const cfg = this.cfg!
    const schema = operatingSchema(record, this.side)!
    if (cfg.field.length === 0) {
      const value = operatingValue(record, this.side)
      const updatedSchema = TRANSLATORS[cfg.type].typeSchema(schema.isOptional)
      return newRecordWith(
        record,
        this.side,
        updatedSchema,
        this.convertTimestamp(value, timestampTypeFromSchema(schema)),
      )
    }
    const value = requireStructOrNull(operatingValue(record, this.side), PURPOSE)
    let updatedSchema = this.schemaUpdateCache.get(schema)
    if (updatedSchema === undefined) {
      const builder = copySchemaBasics(schema, SchemaBuilder.struct())
      for (const field of schema.fields()) {
        if (field.name === cfg.field) {
          builder.field(field.name, TRANSLATORS[cfg.type].typeSchema(field.schema.isOptional))
        } else {
          builder.field(field.name, field.schema)
        }
      }
      if (schema.isOptional) builder.optional()
      if (schema.defaultValue != null) {
        builder.defaultValue(this.applyValueWithSchema(schema.defaultValue as Struct, builder.build()))
      }
      updatedSchema = builder.build()
      this.schemaUpdateCache.put(schema, updatedSchema)
    }
    return newRecordWith(record, this.side, updatedSchema, this.applyValueWithSchema(value, updatedSchema))
  }

  private applyValueWithSchema(value: Struct | null, updatedSchema: Schema): Struct | null {
    if (value == null) return null
    const cfg = this.cfg!
    const updated = new Struct(updatedSchema)
    for (const field of value.schema.fields()) {
      const fieldValue = this.replaceNullWithDefault ? value.get(field) : value.getWithoutDefault(field.name)
      updated.put(
        field.name,
        field.name === cfg.field
          ? this.convertTimestamp(fieldValue, timestampTypeFromSchema(field.schema))
          : fieldValue,
      )
    }
    return updated
  }

  private applySchemaless(record: R): R {
    const cfg = this.cfg!
    const rawValue = operatingValue(record, this.side)
    if (rawValue == null || cfg.field.length === 0) {
      return newRecordWith(record, this.side, null, this.convertTimestamp(rawValue, null))
    }
    const value = requireMap(rawValue, PURPOSE)
    const updated = copyMap(value)
    mapSet(updated, cfg.field, this.convertTimestamp(mapGet(value, cfg.field), null))
    return newRecordWith(record, this.side, null, updated)
  }

  private convertTimestamp(timestamp: unknown, timestampFormat0: TimestampType | null): unknown {
    if (timestamp == null) return null
    const cfg = this.cfg!
    const timestampFormat = timestampFormat0 ?? inferTimestampType(timestamp)
    const raw = TRANSLATORS[timestampFormat].toRaw(cfg, timestamp)
    return TRANSLATORS[cfg.type].toType(cfg, raw)
  }
}

function timestampTypeFromSchema(schema: Schema): TimestampType {
  if (schema.name === Timestamp.LOGICAL_NAME) return 'Timestamp'
  if (schema.name === ConnectDate.LOGICAL_NAME) return 'Date'
  if (schema.name === Time.LOGICAL_NAME) return 'Time'
  if (schema.type === 'STRING') return 'string'
  if (schema.type === 'INT64') return 'unix'
  throw new ConnectException(`Schema ${schema} does not correspond to a known timestamp type format`)
}

function inferTimestampType(timestamp: unknown): TimestampType {
  if (timestamp instanceof Date) return 'Timestamp'
  if (isLong(timestamp)) return 'unix'
  if (typeof timestamp === 'string') return 'string'
  throw new DataException(`TimestampConverter does not support ${javaClassString(timestamp)} objects as timestamps`)
}

/** `org.apache.kafka.connect.transforms.TimestampConverter$Key`. */
export class TimestampConverterKey<R extends ConnectRecord = ConnectRecord> extends TimestampConverter<R> {
  protected readonly side = 'key'
}

/** `org.apache.kafka.connect.transforms.TimestampConverter$Value`. */
export class TimestampConverterValue<R extends ConnectRecord = ConnectRecord> extends TimestampConverter<R> {
  protected readonly side = 'value'
}
