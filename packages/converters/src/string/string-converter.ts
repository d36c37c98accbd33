/**
 * Apache's `org.apache.kafka.connect.storage.StringConverter` (Converter and HeaderConverter): writes
 * `value.toString()` in the configured charset, ignoring the schema; reads an optional STRING.
 *
 * `converter.encoding` (default UTF-8) names a Java charset; Ferry supports UTF-8, US-ASCII, ISO-8859-1, UTF-16,
 * UTF-16BE and UTF-16LE under their JDK names and aliases (others are refused when configured). As with Kafka's
 * StringSerializer, `key.serializer.encoding` / `value.serializer.encoding` (and the `deserializer` ones) override it
 * for one direction. The UTF-8 path is a plain Buffer copy; bad input is handled as the JDK does (see charsets.ts).
 */
import {
  type ConfigDef,
  ConfigException,
  type Converter,
  type HeaderConverter,
  type Headers,
  Schema,
  SchemaAndValue,
} from '@ferry/api'
import { converterType, newConverterConfigDef, TYPE_CONFIG, withConverterType } from '../converter-config.ts'
import { javaToString } from '../java-to-string.ts'
import { type Charset, charsetForName, UTF_8 } from './charsets.ts'

export const ENCODING_CONFIG = 'converter.encoding'
export const ENCODING_DEFAULT = 'UTF-8'

/** Apache's `StringConverterConfig.configDef()`. */
const STRING_CONVERTER_CONFIG_DEF: ConfigDef = newConverterConfigDef().define({
  name: ENCODING_CONFIG,
  type: 'STRING',
  defaultValue: ENCODING_DEFAULT,
  importance: 'HIGH',
  documentation: 'The name of the Java character set to use for encoding strings as byte arrays.',
  group: null,
  orderInGroup: -1,
  width: 'MEDIUM',
  displayName: 'Encoding',
})

/** Kafka's StringSerializer / StringDeserializer choice of encoding: the direction's key, else the shared one. */
function charsetFor(configs: Record<string, unknown>, isKey: boolean, role: 'serializer' | 'deserializer'): Charset {
  let name = configs[`${isKey ? 'key' : 'value'}.${role}.encoding`]
  if (name == null) name = configs[`${role}.encoding`]
  if (typeof name !== 'string') return UTF_8
  const charset = charsetForName(name)
  if (charset === null) throw new ConfigException(`Unsupported encoding ${name}`)
  return charset
}

export class StringConverter implements Converter, HeaderConverter {
  #encoder: Charset = UTF_8
  #decoder: Charset = UTF_8

  config(): ConfigDef {
    return STRING_CONVERTER_CONFIG_DEF
  }

  /** `configure(configs, isKey)` (Converter) or `configure(configs)` (HeaderConverter). */
  configure(configs: Record<string, unknown>, isKey?: boolean): void {
    const props = withConverterType(configs, isKey)
    const values = STRING_CONVERTER_CONFIG_DEF.parse(props)
    const encoding = values[ENCODING_CONFIG] as string
    const key = converterType(values[TYPE_CONFIG]) === 'key'
    this.#encoder = charsetFor({ ...props, 'serializer.encoding': encoding }, key, 'serializer')
    this.#decoder = charsetFor({ ...props, 'deserializer.encoding': encoding }, key, 'deserializer')
  }

  fromConnectData(_topic: string, _headers: Headers | null, schema: Schema | null, value: unknown): Uint8Array | null {
    if (value == null) return null
    const text = typeof value === 'string' ? value : javaToString(value, schema ?? null)
    if (this.#encoder === UTF_8 && text.isWellFormed()) return Buffer.from(text, 'utf8')
    return this.#encoder.encode(text)
  }

  toConnectData(_topic: string, _headers: Headers | null, value: Uint8Array | null): SchemaAndValue {
    return new SchemaAndValue(Schema.OPTIONAL_STRING_SCHEMA, value == null ? null : this.#decoder.decode(value))
  }

  fromConnectHeader(topic: string, _headerKey: string, schema: Schema | null, value: unknown): Uint8Array | null {
    return this.fromConnectData(topic, null, schema, value)
  }

  toConnectHeader(topic: string, _headerKey: string, value: Uint8Array | null): SchemaAndValue {
    return this.toConnectData(topic, null, value)
  }

  close(): void {}
}
