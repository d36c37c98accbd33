export { builtinRegistry } from '@ferry/cli'
export {
  buildSchema,
  buildValue,
  int64,
  type MapMode,
  type NeutralSchema,
  objectsPossible,
  type Tagged,
} from './neutral.ts'
export {
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
  type ConformanceOptions,
  predicateConformance,
  runTransform,
  SAMPLE_OPTIONAL_SCHEMA,
  SAMPLE_SCHEMA,
  sampleRecords,
  transformConformance,
} from './transform-kit.ts'
export { freePort, randomName, tempDir, waitFor } from './util.ts'
