/**
 * The plugins a `ferry` worker runs: the runtime's own (Apache's config providers), the packages Ferry ships with,
 * the plugin packages installed beside it, and those in the worker's `plugin.path`. The built-ins are the dependencies of this package that declare plugins the way any
 * plugin package does (a `ferry` field in package.json): adding a connector to Ferry is adding it as a dependency.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hasPluginManifest, type Logger, loadPlugins, nodeModulesPaths, type PluginRegistry } from '@ferry/runtime'

const here = dirname(fileURLToPath(import.meta.url))

/** The folders of the built-in plugin packages: this package's dependencies with a plugin manifest. */
export function builtinPackageDirs(): string[] {
  const { dependencies = {} } = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>
  }
  const searched = nodeModulesPaths(here)
  return Object.keys(dependencies).flatMap((name) => {
    const dir = searched.map((nodeModules) => join(nodeModules, name)).find((d) => existsSync(join(d, 'package.json')))
    return dir && hasPluginManifest(dir) ? [dir] : []
  })
}

/** A registry of the built-in plugins only (tests, and tools that should not see installed plugins). */
export function builtinRegistry(logger?: Logger): Promise<PluginRegistry> {
  return loadPlugins({ builtins: builtinPackageDirs(), runtimePlugins: true, ...(logger ? { logger } : {}) })
}

/** Every plugin a worker with this `plugin.path` runs: the built-ins, the packages beside Ferry, and plugin.path's. */
export function workerPlugins(pluginPath: readonly string[], logger?: Logger): Promise<PluginRegistry> {
  return loadPlugins({
    builtins: builtinPackageDirs(),
    runtimePlugins: true,
    besideWorker: here,
    pluginPath,
    ...(logger ? { logger } : {}),
  })
}
