export { type SslConfig, sslOptions } from '@ferry/api'
export {
  builtinConfigProviders,
  type ConfigProvider,
  type ConfigProviderDescriptor,
  ConfigProviderRegistry,
  configProvidersOf,
  isConfigProviderKey,
  showReferencesIn,
  WorkerConfigTransformer,
} from './config/config-providers.ts'
export { CONNECTOR_CONFIG_DEF, SINK_CONNECTOR_CONFIG_DEF } from './config/connector-config.ts'
export { parseProperties } from './config/properties.ts'
export { HIDDEN, hidePasswords, isPasswordKey, SecretRedactor } from './config/secrets.ts'
export {
  DISTRIBUTED_CONFIG_DEF,
  exactlyOnceSourceEnabled,
  parseWorkerConfig,
  WORKER_CONFIG_DEF,
  type WorkerConfig,
  withPrefix,
} from './config/worker-config.ts'
export { DistributedHerder } from './herder/distributed/distributed-herder.ts'
export type * from './herder/herder.ts'
export { BadRequestException, invalidConfigMessage, StandaloneHerder } from './herder/standalone/standalone-herder.ts'
export { clientIdBase } from './kafka/based-log.ts'
export { diagnoseConnection, isConnectionError, KafkaAdmin, parseBootstrapServers } from './kafka/clients.ts'
export { describeConnectionFailure } from './kafka/failures.ts'
export { JaasConfigError, type JaasModule, parseJaasFile } from './kafka/jaas.ts'
export {
  createLogger,
  LOG_FORMATS,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  logFormat,
  silentLogger,
} from './logger.ts'
export { connectorContextPrefix, type LoggingContext, loggingContext, runInLoggingContext } from './logging-context.ts'
export {
  ConnectMetrics,
  type ConnectMetricsOptions,
  METRIC_DEFINITIONS,
  type MetricDefinition,
  type MetricsSource,
} from './metrics/connect-metrics.ts'
export { prometheusLabel, prometheusName } from './metrics/prometheus-names.ts'
export { nodeModulesPaths, type PluginCandidate, scanBesideWorker, scanPluginPath } from './plugins/discovery.ts'
export { BUILT_IN, type LoadPluginsOptions, loadPlugins } from './plugins/loader.ts'
export {
  hasPluginManifest,
  PluginLoadException,
  type PluginPackage,
  readPluginPackage,
} from './plugins/plugin-package.ts'
export {
  aliasesOf,
  type BrokenPlugin,
  noVersionMatches,
  type PluginDescriptor,
  type PluginKind,
  type PluginPackageInfo,
  PluginRegistry,
  pluginVersion,
} from './plugins/registry.ts'
export {
  compareVersions,
  InvalidVersionSpecificationException,
  VersionRange,
  versionRequirement,
} from './plugins/version-range.ts'
export { RestClient, RestIoError, type RestRequest, type RestResponse } from './rest/rest-client.ts'
export {
  ADMIN_LISTENERS_HTTPS_PREFIX,
  LISTENERS_HTTPS_PREFIX,
  restClientTls,
  restServerTls,
  type SslClientAuth,
} from './rest/ssl-utils.ts'
export { KafkaOffsetBackingStore } from './storage/kafka-offset-store.ts'
export {
  FileOffsetBackingStore,
  MemoryOffsetBackingStore,
  type OffsetBackingStore,
  readOffsetsFile,
} from './storage/offset-store.ts'
export {
  type Converters,
  createConverters,
  createTransformationChain,
  resolvePlugin,
} from './worker/plugin-instances.ts'
export { TransformationChain, type TransformationStage } from './worker/transformation-chain.ts'
export { Worker } from './worker/worker.ts'
export { WorkerClients } from './worker/worker-clients.ts'
export type { ConnectorTaskId, TargetState } from './worker/worker-task.ts'
