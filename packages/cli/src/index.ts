/** `@ferry/cli`: the `ferry` command, and how it composes a worker's plugins. */
export { main, readConnectorFile, UsageError } from './main.ts'
export { builtinPackageDirs, builtinRegistry, workerPlugins } from './plugins.ts'
