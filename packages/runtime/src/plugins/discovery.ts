/**
 * Where plugin packages are found, as Apache's `plugin.path` scan: each `plugin.path` entry is a directory holding
 * any mix of
 *
 * - npm package folders (`<entry>/acme-connector/package.json`, also `<entry>/@acme/connector/package.json`),
 * - a node_modules tree (`<entry>/node_modules/...`, as `npm install --prefix <entry>` makes),
 * - folders holding a node_modules tree of their own (`<entry>/acme-connector@1.2.0/node_modules/...`, as
 *   `ferry plugins install` makes: one install per plugin version, with its own dependencies).
 *
 * Only folders whose package.json has a `ferry` field are plugins; the rest (their dependencies) are not looked at.
 * Besides `plugin.path`, the node_modules folders Node would search from the worker's own package hold plugins
 * installed beside the worker.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { hasPluginManifest } from './plugin-package.ts'

/** A folder that holds a plugin package, and the directory it was found in. */
export interface PluginCandidate {
  dir: string
  location: string
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

function children(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => !name.startsWith('.'))
      .sort()
  } catch {
    return []
  }
}

/** Package folders in a node_modules folder (scoped ones included) that declare Ferry plugins. */
function scanNodeModules(nodeModules: string, location: string, out: PluginCandidate[]): void {
  for (const name of children(nodeModules)) {
    const path = join(nodeModules, name)
    if (name.startsWith('@')) {
      for (const scoped of children(path)) {
        const dir = join(path, scoped)
        if (hasPluginManifest(dir)) out.push({ dir, location })
      }
    } else if (hasPluginManifest(path)) out.push({ dir: path, location })
  }
}

/** The plugin packages in `plugin.path` entries, in entry order; an entry that is not a directory is skipped. */
export function scanPluginPath(entries: readonly string[]): PluginCandidate[] {
  const out: PluginCandidate[] = []
  for (const entry of entries) {
    if (!isDirectory(entry)) continue
    for (const name of children(entry)) {
      const path = join(entry, name)
      if (name === 'node_modules') scanNodeModules(path, entry, out)
      else if (name.startsWith('@')) {
        for (const scoped of children(path)) {
          const dir = join(path, scoped)
          if (hasPluginManifest(dir)) out.push({ dir, location: entry })
        }
      } else if (hasPluginManifest(path)) out.push({ dir: path, location: entry })
      else if (isDirectory(join(path, 'node_modules'))) scanNodeModules(join(path, 'node_modules'), entry, out)
    }
  }
  return out
}

/** The node_modules folders Node searches from `from` (a folder), nearest first. */
export function nodeModulesPaths(from: string): string[] {
  const out: string[] = []
  for (let dir = realpathSync(from); ; dir = dirname(dir)) {
    if (!dir.endsWith(`${'/'}node_modules`) && isDirectory(join(dir, 'node_modules')))
      out.push(join(dir, 'node_modules'))
    if (dirname(dir) === dir) return out
  }
}

/** Plugin packages installed beside the worker: in the node_modules folders Node searches from `from`. */
export function scanBesideWorker(from: string): PluginCandidate[] {
  const out: PluginCandidate[] = []
  for (const nodeModules of nodeModulesPaths(from)) scanNodeModules(nodeModules, nodeModules, out)
  return out
}
