/**
 * The plugins a `ferry` worker runs: the packages Ferry ships with, the plugin packages installed beside it, and those
 * in the worker's `plugin.path`. The built-ins declare themselves as any plugin package does (a `ferry` field in
 * package.json); this list only says which packages are Ferry's own.
 */
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Logger, loadPlugins, type PluginRegistry } from '@ferry/runtime'

/** The plugin packages that ship with Ferry. */
export const BUILTIN_PACKAGES = [
  '@ferry/connector-elasticsearch',
  '@ferry/connector-file',
  '@ferry/connector-jdbc',
  '@ferry/connector-s3',
  '@ferry/converters',
  '@ferry/transforms',
] as const

/** The folders of the built-in plugin packages, as Node resolves them from here. */
export function builtinPackageDirs(): string[] {
  return BUILTIN_PACKAGES.map((name) => dirname(fileURLToPath(import.meta.resolve(`${name}/package.json`))))
}

/** A registry of the built-in plugins only (tests, and tools that should not see installed plugins). */
export function builtinRegistry(logger?: Logger): Promise<PluginRegistry> {
  return loadPlugins({ builtins: builtinPackageDirs(), ...(logger ? { logger } : {}) })
}

/** Every plugin a worker with this `plugin.path` runs: the built-ins, the packages beside Ferry, and plugin.path's. */
export function workerPlugins(pluginPath: readonly string[], logger?: Logger): Promise<PluginRegistry> {
  return loadPlugins({
    builtins: builtinPackageDirs(),
    besideWorker: dirname(fileURLToPath(import.meta.url)),
    pluginPath,
    ...(logger ? { logger } : {}),
  })
}
