/**
 * `@ferry/converters`: Apache Kafka Connect's built-in converters, with Apache's class names, configuration keys
 * and bytes.
 */
import type { PluginDescriptor } from '@ferry/api'
import { AvroConverter } from './avro/avro-converter.ts'
import { ByteArrayConverter } from './byte-array/byte-array-converter.ts'
import { JsonConverter } from './json/json-converter.ts'
import { JsonSchemaConverter } from './json-schema/json-schema-converter.ts'
import {
  BooleanConverter,
  DoubleConverter,
  FloatConverter,
  IntegerConverter,
  LongConverter,
  ShortConverter,
} from './number/number-converters.ts'
import { ProtobufConverter } from './protobuf/protobuf-converter.ts'
import { SimpleHeaderConverter } from './simple-header-converter.ts'
import { StringConverter } from './string/string-converter.ts'

export { AvroConverter, AvroFormat, type AvroSchemaInfo } from './avro/avro-converter.ts'
export { AvroData, type AvroDataConfig, DEFAULT_AVRO_DATA_CONFIG } from './avro/avro-data.ts'
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
export { JsonSchemaConverter } from './json-schema/json-schema-converter.ts'
export {
  BooleanConverter,
  DoubleConverter,
  FloatConverter,
  IntegerConverter,
  LongConverter,
  ShortConverter,
} from './number/number-converters.ts'
export { ProtobufConverter } from './protobuf/protobuf-converter.ts'
export {
  RestClientException,
  RestService,
  RetriableRestClientException,
} from './schema-registry/rest-service.ts'
export {
  CachedSchemaRegistryClient,
  type RegistrySchema,
  type SchemaMetadata,
  type SchemaReference,
  type SchemaRegistryClient,
} from './schema-registry/schema-registry-client.ts'
export {
  clientOptionsFrom,
  type RegistryClientOptions,
  refuseUnsupportedClientKeys,
  registryClientConfigDef,
  withRegistryClientConfig,
} from './schema-registry/schema-registry-client-config.ts'
export {
  AUTO_REGISTER_SCHEMAS_CONFIG,
  LATEST_COMPATIBILITY_STRICT_CONFIG,
  type SchemaFormat,
  SchemaRegistryConverter,
  SettledCache,
  schemaRegistryConverterConfigDef,
  USE_LATEST_VERSION_CONFIG,
} from './schema-registry/schema-registry-converter.ts'
export { SimpleHeaderConverter } from './simple-header-converter.ts'
export { type Charset, charsetForName } from './string/charsets.ts'
export { ENCODING_CONFIG, StringConverter } from './string/string-converter.ts'

function builtin(className: string, kind: PluginDescriptor['kind'], create: () => unknown): PluginDescriptor {
  return Object.freeze({ className, kind: Object.freeze([...kind]), create })
}

const BOTH: PluginDescriptor['kind'] = ['converter', 'header_converter']

/** Every built-in converter, under Apache's class names: this package's plugins (its package.json names this module). */
export const plugins: readonly PluginDescriptor[] = Object.freeze([
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
  builtin('io.confluent.connect.protobuf.ProtobufConverter', ['converter'], () => new ProtobufConverter()),
  builtin('io.confluent.connect.json.JsonSchemaConverter', ['converter'], () => new JsonSchemaConverter()),
  builtin('io.confluent.connect.avro.AvroConverter', ['converter'], () => new AvroConverter()),
])
