/**
 * `@ferry/converters`: Apache Kafka Connect's built-in converters, with Apache's class names, configuration keys
 * and bytes.
 */
import { ByteArrayConverter } from './byte-array/byte-array-converter.ts'
import { JsonConverter } from './json/json-converter.ts'
import {
  BooleanConverter,
  DoubleConverter,
  FloatConverter,
  IntegerConverter,
  LongConverter,
  ShortConverter,
} from './number/number-converters.ts'
import { SimpleHeaderConverter } from './simple-header-converter.ts'
import { StringConverter } from './string/string-converter.ts'

export { ByteArrayConverter } from './byte-array/byte-array-converter.ts'
export { type ConverterType, newConverterConfigDef, TYPE_CONFIG } from './converter-config.ts'
export { javaToString } from './java-to-string.ts'
export {
  DECIMAL_FORMAT_CONFIG,
  JsonConverter,
  REPLACE_NULL_WITH_DEFAULT_CONFIG,
  SCHEMA_CONTENT_CONFIG,
  SCHEMAS_CACHE_SIZE_CONFIG,
  SCHEMAS_ENABLE_CONFIG,
} from './json/json-converter.ts'
export {
  BooleanConverter,
  DoubleConverter,
  FloatConverter,
  IntegerConverter,
  LongConverter,
  ShortConverter,
} from './number/number-converters.ts'
export { SimpleHeaderConverter } from './simple-header-converter.ts'
export { type Charset, charsetForName } from './string/charsets.ts'
export { ENCODING_CONFIG, StringConverter } from './string/string-converter.ts'

/** What a converter plugin can be used as (the runtime's plugin kinds). */
export type ConverterKind = 'converter' | 'header_converter'

/** One built-in converter for the runtime's plugin registry. */
export interface BuiltinConverter {
  /** Apache's fully qualified class name. */
  readonly className: string
  /** Apache's aliases: the simple class name, and the simple name without its `Converter` suffix. */
  readonly aliases: readonly string[]
  readonly kind: readonly ConverterKind[]
  create(): unknown
}

function builtin(className: string, kind: readonly ConverterKind[], create: () => unknown): BuiltinConverter {
  const simple = className.slice(className.lastIndexOf('.') + 1)
  const aliases =
    simple.endsWith('Converter') && simple.length > 'Converter'.length ? [simple, simple.slice(0, -9)] : [simple]
  return Object.freeze({ className, aliases: Object.freeze(aliases), kind: Object.freeze([...kind]), create })
}

const BOTH: readonly ConverterKind[] = ['converter', 'header_converter']

/** Every built-in converter, keyed by Apache's class names (the runtime's plugin registry consumes this table). */
export const BUILTIN_CONVERTERS: readonly BuiltinConverter[] = Object.freeze([
  builtin('org.apache.kafka.connect.json.JsonConverter', BOTH, () => new JsonConverter()),
  builtin('org.apache.kafka.connect.storage.StringConverter', BOTH, () => new StringConverter()),
  builtin('org.apache.kafka.connect.converters.ByteArrayConverter', BOTH, () => new ByteArrayConverter()),
  builtin('org.apache.kafka.connect.converters.BooleanConverter', BOTH, () => new BooleanConverter()),
  builtin('org.apache.kafka.connect.converters.ShortConverter', BOTH, () => new ShortConverter()),
  builtin('org.apache.kafka.connect.converters.IntegerConverter', BOTH, () => new IntegerConverter()),
  builtin('org.apache.kafka.connect.converters.LongConverter', BOTH, () => new LongConverter()),
  builtin('org.apache.kafka.connect.converters.FloatConverter', BOTH, () => new FloatConverter()),
  builtin('org.apache.kafka.connect.converters.DoubleConverter', BOTH, () => new DoubleConverter()),
  builtin(
    'org.apache.kafka.connect.storage.SimpleHeaderConverter',
    ['header_converter'],
    () => new SimpleHeaderConverter(),
  ),
])
