/**
 * Builds a worker's plugin registry from plugin packages: the built-ins, the packages installed beside the worker and
 * those in `plugin.path` (see discovery.ts). Each package is imported from its own folder, so it resolves its own
 * dependencies (two plugins needing different majors of one library each get theirs), except `@ferry/api`, which
 * every plugin shares with the worker, as Apache's plugin class loaders delegate the Connect API to the framework.
 * A package that fails to load is one log line naming it and the reason, and a `BrokenPlugin` in the registry; the
 * worker runs with the rest.
 */
import { realpathSync } from 'node:fs'
import module from 'node:module'
import { sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import pkg from '../../package.json' with { type: 'json' }
import { BUILTIN_CONFIG_PROVIDERS } from '../config/config-providers.ts'
import type { Logger } from '../logger.ts'
import { type PluginCandidate, scanBesideWorker, scanPluginPath } from './discovery.ts'
import { importPlugins, type PluginPackage, packageLabel, readPluginPackage } from './plugin-package.ts'
import { type PluginPackageInfo, PluginRegistry } from './registry.ts'

/** The location `ferry plugins` shows for the packages Ferry ships with. */
export const BUILT_IN = 'built-in'

export interface LoadPluginsOptions {
  /** Package folders of the plugin packages Ferry ships with. */
  builtins?: readonly string[]
  /** Whether the runtime's own plugins (Apache's file, directory and env config providers) are in, as built-ins. */
  runtimePlugins?: boolean
  /** The worker's `plugin.path` entries. */
  pluginPath?: readonly string[]
  /** A folder of the worker's own package: plugin packages in the node_modules Node searches from it are loaded too. */
  besideWorker?: string | null
  logger?: Logger
}

const sharedApiRoots = new Set<string>()
let hooked = false

/** Makes `@ferry/api` imported from a module under `root` the worker's own `@ferry/api`. */
function shareApiWith(root: string): void {
  sharedApiRoots.add(root.endsWith(sep) ? root : `${root}${sep}`)
  if (hooked) return
  hooked = true
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      if (
        (specifier === '@ferry/api' || specifier.startsWith('@ferry/api/')) &&
        context.parentURL?.startsWith('file:')
      ) {
        const parent = fileURLToPath(context.parentURL)
        for (const root of sharedApiRoots) {
          if (parent.startsWith(root)) return nextResolve(specifier, { ...context, parentURL: import.meta.url })
        }
      }
      return nextResolve(specifier, context)
    },
  })
}

function realpath(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}

/** Loads every plugin package the options name into a new registry. */
export async function loadPlugins(options: LoadPluginsOptions): Promise<PluginRegistry> {
  const registry = new PluginRegistry()
  if (options.runtimePlugins) {
    const runtime: PluginPackageInfo = {
      name: pkg.name,
      version: pkg.version,
      license: pkg.license,
      author: null,
      dir: fileURLToPath(new URL('../..', import.meta.url)),
      location: BUILT_IN,
    }
    registry.registerFrom(
      runtime,
      BUILTIN_CONFIG_PROVIDERS.map((d) => ({ ...d, version: pkg.version })),
    )
  }
  const builtins = new Set((options.builtins ?? []).map(realpath))
  const candidates: PluginCandidate[] = [
    ...[...builtins].map((dir) => ({ dir, location: BUILT_IN })),
    ...(options.besideWorker ? scanBesideWorker(options.besideWorker) : []),
    ...scanPluginPath(options.pluginPath ?? []),
  ]
  for (const entry of options.pluginPath ?? []) shareApiWith(realpath(entry))
  const seen = new Map<string, PluginPackageInfo>()
  for (const candidate of candidates) {
    const dir = realpath(candidate.dir)
    if (seen.has(dir)) continue
    let pkg: PluginPackage | null = null
    try {
      pkg = readPluginPackage(dir)
      if (pkg === null) continue
      const info: PluginPackageInfo = { ...pkg, location: candidate.location }
      const twin = [...seen.values()].find((p) => p.name === pkg!.name && p.version === pkg!.version)
      if (twin) {
        options.logger?.warn(
          `Plugin package ${pkg.name} ${pkg.version} in ${candidate.location} is skipped: it is already loaded from ${twin.location}`,
        )
        continue
      }
      seen.set(dir, info)
      shareApiWith(dir)
      const descriptors = await importPlugins(pkg)
      registry.registerFrom(info, descriptors)
      options.logger?.info(
        `Loaded plugin package ${pkg.name} ${pkg.version} from ${candidate.location}: ${descriptors.map((d) => d.className).join(', ')}`,
      )
    } catch (e) {
      const reason = (e as Error).message
      const label = pkg ?? packageLabel(dir)
      registry.addBroken({
        name: label?.name ?? dir,
        version: label?.version ?? null,
        dir,
        location: candidate.location,
        reason,
      })
      options.logger?.error(
        `Plugin package ${label ? `${label.name} ${label.version}` : dir} in ${candidate.location} could not be loaded: ${reason}`,
      )
    }
  }
  return registry
}
