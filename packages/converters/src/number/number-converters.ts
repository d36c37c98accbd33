/**
 * Apache's `org.apache.kafka.connect.converters.{Boolean,Short,Integer,Long,Float,Double}Converter` (Converter and
 * HeaderConverter): Kafka's big-endian primitive serializers, read as the optional schema of their type.
 *
 * JS values: SHORT/INTEGER a number in range, LONG a number (an integer within ±2^63) or a bigint (read back as a
 * number when safe, else a bigint), FLOAT/DOUBLE a number (FLOAT rounded to float32), BOOLEAN a boolean. Writing
 * another value is a DataException naming the JS type, as Apache's names the Java class. Reading a payload of the
 * wrong size is a DataException whose cause carries Kafka's deserializer message.
 */
import {
  type ConfigDef,
  type Converter,
  DataException,
  describeValueType,
  type HeaderConverter,
  type Headers,
  Schema,
  SchemaAndValue,
} from '@ferry/api'
import { newConverterConfigDef, withConverterType } from '../converter-config.ts'

/** Apache's `NumberConverterConfig` / `BooleanConverterConfig`: only `converter.type`. */
const NUMBER_CONVERTER_CONFIG_DEF: ConfigDef = newConverterConfigDef()
const BOOLEAN_CONVERTER_CONFIG_DEF: ConfigDef = newConverterConfigDef()

/** Kafka's `SerializationException`, as the cause of the converters' DataExceptions. */
class SerializationError extends Error {
  override name = 'SerializationException'
}

function asView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** What one primitive converter does. */
interface NumberCodec {
  /** Apache's display name of the type (`short`, `integer`, ...). */
  readonly typeName: string
  readonly schema: Schema
  /** The deserializer's message for a payload of the wrong size. */
  readonly sizeMessage: string
  readonly size: number
  /** Whether `value` can be serialized (Java: is an instance of the boxed type). */
  accepts(value: unknown): boolean
  write(view: DataView, value: unknown): void
  read(view: DataView): unknown
}

const SHORT: NumberCodec = {
  typeName: 'short',
  schema: Schema.OPTIONAL_INT16_SCHEMA,
  sizeMessage: 'Size of data received by ShortDeserializer is not 2',
  size: 2,
  accepts: (value) => typeof value === 'number' && (value << 16) >> 16 === value,
  write: (view, value) => view.setInt16(0, value as number),
  read: (view) => view.getInt16(0),
}

const INTEGER: NumberCodec = {
  typeName: 'integer',
  schema: Schema.OPTIONAL_INT32_SCHEMA,
  sizeMessage: 'Size of data received by IntegerDeserializer is not 4',
  size: 4,
  accepts: (value) => typeof value === 'number' && (value | 0) === value,
  write: (view, value) => view.setInt32(0, value as number),
  read: (view) => view.getInt32(0),
}

const LONG: NumberCodec = {
  typeName: 'long',
  schema: Schema.OPTIONAL_INT64_SCHEMA,
  sizeMessage: 'Size of data received by LongDeserializer is not 8',
  size: 8,
  accepts: (value) =>
    (typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) ||
    (typeof value === 'bigint' && BigInt.asIntN(64, value) === value),
  write: (view, value) => view.setBigInt64(0, typeof value === 'bigint' ? value : BigInt(value as number)),
  read: (view) => {
    const v = view.getBigInt64(0)
    return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v
  },
}

const FLOAT: NumberCodec = {
  typeName: 'float',
  schema: Schema.OPTIONAL_FLOAT32_SCHEMA,
  sizeMessage: 'Size of data received by Deserializer is not 4',
  size: 4,
  accepts: (value) => typeof value === 'number',
  write: (view, value) => view.setFloat32(0, value as number),
  read: (view) => view.getFloat32(0),
}

const DOUBLE: NumberCodec = {
  typeName: 'double',
  schema: Schema.OPTIONAL_FLOAT64_SCHEMA,
  sizeMessage: 'Size of data received by Deserializer is not 8',
  size: 8,
  accepts: (value) => typeof value === 'number',
  write: (view, value) => view.setFloat64(0, value as number),
  read: (view) => view.getFloat64(0),
}

/** Apache's abstract `NumberConverter`. */
abstract class NumberConverter implements Converter, HeaderConverter {
  readonly #codec: NumberCodec

  protected constructor(codec: NumberCodec) {
    this.#codec = codec
  }

  config(): ConfigDef {
    return NUMBER_CONVERTER_CONFIG_DEF
  }

  /** `configure(configs, isKey)` (Converter) or `configure(configs)` (HeaderConverter). */
  configure(configs: Record<string, unknown>, isKey?: boolean): void {
    NUMBER_CONVERTER_CONFIG_DEF.parse(withConverterType(configs, isKey))
  }

  /** Apache's NumberConverter does not look at the schema. */
  fromConnectData(_topic: string, _headers: Headers | null, _schema: Schema | null, value: unknown): Uint8Array | null {
    if (value == null) return null
    const codec = this.#codec
    if (!codec.accepts(value)) {
      throw new DataException(`Failed to serialize to ${codec.typeName} (was ${describeValueType(value)}): `)
    }
    const out = Buffer.allocUnsafe(codec.size)
    codec.write(asView(out), value)
    return out
  }

  toConnectData(_topic: string, _headers: Headers | null, value: Uint8Array | null): SchemaAndValue {
    const codec = this.#codec
    if (value == null) return new SchemaAndValue(codec.schema, null)
    if (value.length !== codec.size) {
      throw new DataException(`Failed to deserialize ${codec.typeName}: `, new SerializationError(codec.sizeMessage))
    }
    return new SchemaAndValue(codec.schema, codec.read(asView(value)))
  }

  fromConnectHeader(topic: string, _headerKey: string, schema: Schema | null, value: unknown): Uint8Array | null {
    return this.fromConnectData(topic, null, schema, value)
  }

  toConnectHeader(topic: string, _headerKey: string, value: Uint8Array | null): SchemaAndValue {
    return this.toConnectData(topic, null, value)
  }

  close(): void {}
}

/** `org.apache.kafka.connect.converters.ShortConverter`: 2 bytes, optional INT16. */
export class ShortConverter extends NumberConverter {
  constructor() {
    super(SHORT)
  }
}

/** `org.apache.kafka.connect.converters.IntegerConverter`: 4 bytes, optional INT32. */
export class IntegerConverter extends NumberConverter {
  constructor() {
    super(INTEGER)
  }
}

/** `org.apache.kafka.connect.converters.LongConverter`: 8 bytes, optional INT64. */
export class LongConverter extends NumberConverter {
  constructor() {
    super(LONG)
  }
}

/** `org.apache.kafka.connect.converters.FloatConverter`: 4 bytes IEEE 754, optional FLOAT32. */
export class FloatConverter extends NumberConverter {
  constructor() {
    super(FLOAT)
  }
}

/** `org.apache.kafka.connect.converters.DoubleConverter`: 8 bytes IEEE 754, optional FLOAT64. */
export class DoubleConverter extends NumberConverter {
  constructor() {
    super(DOUBLE)
  }
}

const TRUE_BYTES = new Uint8Array([1])
const FALSE_BYTES = new Uint8Array([0])

/**
 * `org.apache.kafka.connect.converters.BooleanConverter`: one byte (1 or 0), optional BOOLEAN; unlike the number
 * converters it refuses a schema of another type.
 */
export class BooleanConverter implements Converter, HeaderConverter {
  config(): ConfigDef {
    return BOOLEAN_CONVERTER_CONFIG_DEF
  }

  configure(configs: Record<string, unknown>, isKey?: boolean): void {
    BOOLEAN_CONVERTER_CONFIG_DEF.parse(withConverterType(configs, isKey))
  }

  fromConnectData(_topic: string, _headers: Headers | null, schema: Schema | null, value: unknown): Uint8Array | null {
    if (schema != null && schema.type !== 'BOOLEAN') {
      throw new DataException(`Invalid schema type for BooleanConverter: ${schema.type}`)
    }
    if (value == null) return null
    if (typeof value !== 'boolean') {
      throw new DataException(`BooleanConverter is not compatible with objects of type ${describeValueType(value)}`)
    }
    // A fresh array each time: callers own the bytes they get.
    return new Uint8Array(value ? TRUE_BYTES : FALSE_BYTES)
  }

  toConnectData(_topic: string, _headers: Headers | null, value: Uint8Array | null): SchemaAndValue {
    if (value == null) return new SchemaAndValue(Schema.OPTIONAL_BOOLEAN_SCHEMA, null)
    let message: string | null = null
    if (value.length !== 1) message = 'Size of data received by BooleanDeserializer is not 1'
    else if (value[0] !== 0 && value[0] !== 1) {
      message = `Unexpected byte received by BooleanDeserializer: ${(value[0]! << 24) >> 24}`
    }
    if (message !== null) throw new DataException('Failed to deserialize boolean: ', new SerializationError(message))
    return new SchemaAndValue(Schema.OPTIONAL_BOOLEAN_SCHEMA, value[0] === 1)
  }

  fromConnectHeader(topic: string, _headerKey: string, schema: Schema | null, value: unknown): Uint8Array | null {
    return this.fromConnectData(topic, null, schema, value)
  }

  toConnectHeader(topic: string, _headerKey: string, value: Uint8Array | null): SchemaAndValue {
    return this.toConnectData(topic, null, value)
  }

  close(): void {}
}
