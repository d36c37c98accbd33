export { type StandaloneOptions, type StandaloneProcess, startStandalone } from './standalone-process.ts'
export { freePort, randomName, tempDir, waitFor } from './util.ts'
