export { builtinRegistry } from '@ferry/cli'
export { type ConnectorConformanceOptions, connectorConformance, type Subtests } from './connector-conformance.ts'
export {
  buildSchema,
  buildValue,
  int64,
  type MapMode,
  type NeutralSchema,
  objectsPossible,
  type Tagged,
} from './neutral.ts'
export { writeFiles, writePluginPackage } from './plugin-package.ts'
export {
  committedOffsets,
  type DistributedOptions,
  type DistributedProcess,
  distributedWorkerProps,
  runFerry,
  type StandaloneOptions,
  type StandaloneProcess,
  startDistributed,
  startStandalone,
} from './standalone-process.ts'
export {
  NO_OFFSETS,
  offsetStorageReader,
  TestConnectorContext,
  TestSinkTaskContext,
  TestSourceTaskContext,
} from './task-contexts.ts'
export {
  DEFAULT_WORKER_CONVERTERS,
  type KafkaRecord,
  runSinkTask,
  runSourceTask,
  type SinkInput,
  type SinkRun,
  type SinkRunOptions,
  type SourceOffsets,
  type SourceRun,
  type SourceRunOptions,
  type TaskRunOptions,
} from './task-runners.ts'
export {
  type ConformanceOptions,
  predicateConformance,
  runTransform,
  SAMPLE_OPTIONAL_SCHEMA,
  SAMPLE_SCHEMA,
  sampleRecords,
  transformConformance,
} from './transform-kit.ts'
export { freePort, randomName, tempDir, waitFor } from './util.ts'
