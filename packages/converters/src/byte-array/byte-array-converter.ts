/**
 * Apache's `org.apache.kafka.connect.converters.ByteArrayConverter` (Converter and HeaderConverter): bytes pass
 * through unchanged, read as an optional BYTES. Writing accepts a null or BYTES schema and a `Uint8Array` (a Node
 * Buffer is one; Java's byte[] or ByteBuffer), or an `ArrayBuffer`; the value's own bytes are returned, not a copy.
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
import { newConverterConfigDef } from '../converter-config.ts'

const BYTE_ARRAY_CONVERTER_CONFIG_DEF: ConfigDef = newConverterConfigDef()

export class ByteArrayConverter implements Converter, HeaderConverter {
  config(): ConfigDef {
    return BYTE_ARRAY_CONVERTER_CONFIG_DEF
  }

  /** Ignores its configuration, as Apache's does. */
  configure(_configs: Record<string, unknown>, _isKey?: boolean): void {}

  fromConnectData(_topic: string, _headers: Headers | null, schema: Schema | null, value: unknown): Uint8Array | null {
    if (schema != null && schema.type !== 'BYTES') {
      throw new DataException(`Invalid schema type for ByteArrayConverter: ${schema.type}`)
    }
    if (value == null) return null
    if (value instanceof Uint8Array) return value
    if (value instanceof ArrayBuffer) return new Uint8Array(value)
    throw new DataException(`ByteArrayConverter is not compatible with objects of type ${describeValueType(value)}`)
  }

  toConnectData(_topic: string, _headers: Headers | null, value: Uint8Array | null): SchemaAndValue {
    return new SchemaAndValue(Schema.OPTIONAL_BYTES_SCHEMA, value ?? null)
  }

  fromConnectHeader(topic: string, _headerKey: string, schema: Schema | null, value: unknown): Uint8Array | null {
    return this.fromConnectData(topic, null, schema, value)
  }

  toConnectHeader(topic: string, _headerKey: string, value: Uint8Array | null): SchemaAndValue {
    return this.toConnectData(topic, null, value)
  }

  close(): void {}
}
