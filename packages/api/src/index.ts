/**
 * `@ferry/api`: the contracts between Ferry's runtime and its plugins (connectors, converters, transforms) and
 * Connect's data model. See data/schema.ts for the JS representation of Connect values.
 */
export { AbstractConfig, parsedConfig } from './config/abstract-config.ts'
export {
  type Config,
  ConfigDef,
  ConfigKey,
  type ConfigKeyDefinition,
  type ConfigType,
  type ConfigValue,
  type Importance,
  NO_DEFAULT_VALUE,
  type NoDefaultValue,
  newConfigValue,
  Password,
  type Recommender,
  type Validator,
  type Width,
} from './config/config-def.ts'
export { type ConfigData, type ConfigProvider, InvalidParamException } from './config/config-provider.ts'
export {
  CaseInsensitiveValidString,
  CompositeValidator,
  LambdaValidator,
  ListSize,
  NonEmptyString,
  NonEmptyStringWithoutControlChars,
  NonNullValidator,
  Range,
  ValidList,
  ValidString,
} from './config/validators.ts'
export * from './connector.ts'
export * from './converter.ts'
export { BigDecimal, bigIntToBytes, bytesToBigInt, type RoundingMode } from './data/big-decimal.ts'
export { type EnvelopeSchemaNotation, parseEnvelopeSchema } from './data/envelope-schema.ts'
export { decimalToFloat32, isFloatHalfway, javaDoubleToString, javaFloatToString } from './data/java-number.ts'
export { ConnectDate, Decimal, Time, Timestamp } from './data/logical.ts'
export {
  ConnectSchema,
  describeValueType,
  Field,
  isPrimitiveType,
  isSchema,
  SCHEMA_TYPES,
  Schema,
  SchemaAndValue,
  type SchemaType,
  schemaEquals,
  validateFieldValue,
  valueEquals,
} from './data/schema.ts'
export { SchemaBuilder, type SchemaLike, toSchema } from './data/schema-builder.ts'
export { Struct } from './data/struct.ts'
export {
  ISO_8601_DATE_FORMAT_PATTERN,
  ISO_8601_TIME_FORMAT_PATTERN,
  ISO_8601_TIMESTAMP_FORMAT_PATTERN,
  Values,
} from './data/values.ts'
export * from './errors.ts'
export { ConnectHeader, type Header, Headers, type HeaderTransform, headerEquals } from './header.ts'
export { bindLogging, getLogger, type Logger, type LoggingBinding, type LogLevel } from './logger.ts'
export {
  API_VERSION,
  definePlugins,
  PLUGIN_KINDS,
  type PluginDescriptor,
  type PluginKind,
  type PluginManifest,
} from './plugin.ts'
export * from './record.ts'
export {
  type KeyEntry,
  KeyStoreError,
  type KeyStoreFormat,
  readKeyStore,
  readPemCertificates,
  readTrustStore,
} from './tls/keystore.ts'
export {
  opensslCipherName,
  type Report as SslReport,
  type SslConfig,
  type SslOptions,
  sslConfigFrom,
  sslOptions,
} from './tls/ssl.ts'
export * from './transformation.ts'
