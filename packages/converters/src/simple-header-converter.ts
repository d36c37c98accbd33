/**
 * Apache's `org.apache.kafka.connect.storage.SimpleHeaderConverter`, the default HeaderConverter: writes
 * `Values.convertToString(schema, value)` as UTF-8; reads the text back with `Values.parseString`, which infers the
 * schema (boolean, integer types, float/double, decimal, date/time/timestamp, arrays, maps, else string), falling
 * back to the raw bytes as BYTES when the text cannot be parsed. Schemas are not written.
 */
import { ConfigDef, DataException, type HeaderConverter, Schema, SchemaAndValue, Values } from '@ferry/api'
import { UTF_8 } from './string/charsets.ts'

const SIMPLE_HEADER_CONVERTER_CONFIG_DEF = new ConfigDef()

export class SimpleHeaderConverter implements HeaderConverter {
  config(): ConfigDef {
    return SIMPLE_HEADER_CONVERTER_CONFIG_DEF
  }

  configure(_configs: Record<string, unknown>): void {}

  fromConnectHeader(_topic: string, _headerKey: string, schema: Schema | null, value: unknown): Uint8Array | null {
    if (value == null) return null
    const text = Values.convertToString(schema ?? null, value)
    return text === null ? null : UTF_8.encode(text)
  }

  /**
   * Apache returns null when `Values.parseString` gives nothing (for the text `null`); Ferry returns
   * `SchemaAndValue.NULL`, which a Headers object treats the same way.
   */
  toConnectHeader(topic: string, headerKey: string, value: Uint8Array | null): SchemaAndValue {
    if (value == null) return SchemaAndValue.NULL
    let parsed: SchemaAndValue | null
    try {
      parsed = Values.parseString(UTF_8.decode(value))
    } catch (e) {
      if (isNoSuchElement(e)) {
        throw new DataException(`Failed to deserialize value for header '${headerKey}' on topic '${topic}'`, e)
      }
      return new SchemaAndValue(Schema.BYTES_SCHEMA, value)
    }
    return parsed ?? SchemaAndValue.NULL
  }

  close(): void {}
}

/** Java's NoSuchElementException (the tokenizer ran out of input): Apache rethrows it as a DataException. */
function isNoSuchElement(e: unknown): boolean {
  return e instanceof Error && e.name === 'NoSuchElementException'
}
