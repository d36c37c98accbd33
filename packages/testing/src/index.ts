export { type StandaloneOptions, type StandaloneProcess, startStandalone } from './standalone-process.ts'
export { randomName, tempDir, waitFor } from './util.ts'
