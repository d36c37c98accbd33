import { ConnectException, type PluginDescriptor, type PluginKind } from '@ferry/api'
import { compareVersions, type VersionRange } from './version-range.ts'

export type { PluginDescriptor, PluginKind } from '@ferry/api'

const SUFFIXES = ['Connector', 'Converter', 'Transformation', 'Predicate', 'ConfigProvider']

/** Names a class can be referred to by, in Apache's alias rules. */
export function aliasesOf(className: string): string[] {
  const simple = className.slice(className.lastIndexOf('.') + 1)
  const names = [simple]
  for (const suffix of SUFFIXES) {
    if (simple.endsWith(suffix) && simple.length > suffix.length) names.push(simple.slice(0, -suffix.length))
  }
  return names
}

/** The package a plugin came from, as `ferry plugins` shows it. */
export interface PluginPackageInfo {
  name: string
  version: string
  /** The package's SPDX licence expression, or null when it declares none. */
  license: string | null
  author: string | null
  /** The package folder. */
  dir: string
  /** `built-in`, or the directory it was found in: a `plugin.path` entry, or the node_modules beside the worker. */
  location: string
}

/** A package that declares Ferry plugins but could not be loaded; the worker runs without it. */
export interface BrokenPlugin {
  /** The package name, or the folder when its package.json could not be read. */
  name: string
  version: string | null
  dir: string
  location: string
  reason: string
}

/** The version a plugin reports: its descriptor's, else its instance's `version()`; null when it has none. */
export function pluginVersion(plugin: PluginDescriptor): string | null {
  const cached = VERSIONS.get(plugin)
  if (cached !== undefined) return cached
  let version: string | null = plugin.version ?? null
  if (version === null) {
    try {
      const instance = plugin.create() as { version?: () => unknown }
      if (typeof instance?.version === 'function') version = String(instance.version())
    } catch {
      version = null
    }
  }
  VERSIONS.set(plugin, version)
  return version
}
const VERSIONS = new WeakMap<PluginDescriptor, string | null>()

/** Apache's `VersionedPluginLoadingException` message. */
export function noVersionMatches(
  className: string,
  range: VersionRange,
  available: readonly (string | null)[],
): string {
  return `Plugin ${className} not found that matches the version range ${range}, available versions: [${available.map((v) => v ?? 'undefined').join(', ')}]`
}

/**
 * The plugins a worker can run, looked up by class name or alias, and the packages that failed to load. Not global:
 * each worker (and each test) builds its own. A class may be registered once per version (KIP-891); lookups take the
 * newest version unless a range asks for another. An alias that two classes of the same kind share is ambiguous and
 * resolves to neither.
 */
export class PluginRegistry {
  readonly #byName = new Map<string, PluginDescriptor[]>()
  readonly #all: PluginDescriptor[] = []
  readonly #packages = new WeakMap<PluginDescriptor, PluginPackageInfo>()
  readonly #broken: BrokenPlugin[] = []

  /** Adds plugins; `from` says which package they came from. A class already registered with that version is refused. */
  register(...descriptors: PluginDescriptor[]): this {
    return this.registerFrom(null, descriptors)
  }

  registerFrom(from: PluginPackageInfo | null, descriptors: readonly PluginDescriptor[]): this {
    // All or nothing: a package whose class clashes with one already registered adds none of its plugins.
    for (const [i, d] of descriptors.entries()) {
      const same = [...this.#all, ...descriptors.slice(0, i)].find(
        (p) => p.className === d.className && pluginVersion(p) === pluginVersion(d),
      )
      if (same) {
        const where = this.#packages.get(same)
        throw new ConnectException(
          `Plugin ${d.className}${d.version ? ` ${d.version}` : ''} is registered twice${where ? ` (first from ${where.name} in ${where.location})` : ''}`,
        )
      }
    }
    for (const d of descriptors) {
      this.#all.push(d)
      if (from) this.#packages.set(d, from)
      const names = new Set([d.className, ...aliasesOf(d.className), ...(d.aliases ?? [])])
      for (const name of names) {
        const list = this.#byName.get(name) ?? []
        list.push(d)
        this.#byName.set(name, list)
      }
    }
    return this
  }

  /** Records a package that could not be loaded. */
  addBroken(broken: BrokenPlugin): this {
    this.#broken.push(broken)
    return this
  }

  /** The packages that could not be loaded, in discovery order. */
  broken(): readonly BrokenPlugin[] {
    return this.#broken
  }

  /** The package a plugin came from; undefined for plugins registered without one (tests). */
  packageOf(plugin: PluginDescriptor): PluginPackageInfo | undefined {
    return this.#packages.get(plugin)
  }

  /** Every plugin of the given kind, each version on its own, in registration order. */
  plugins(kind?: PluginKind): PluginDescriptor[] {
    return kind ? this.#all.filter((p) => p.kind.includes(kind)) : [...this.#all]
  }

  /** The class names of the given kind, each once, sorted. */
  classNames(kind: PluginKind): string[] {
    return [...new Set(this.plugins(kind).map((p) => p.className))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  }

  /** Every version of the class a name resolves to, oldest first; empty when the name resolves to no class. */
  versions(name: string, kinds: readonly PluginKind[]): PluginDescriptor[] {
    const candidates = (this.#byName.get(name) ?? []).filter((p) => p.kind.some((k) => kinds.includes(k)))
    const classes = new Set(candidates.map((p) => p.className))
    const className = classes.has(name) ? name : classes.size === 1 ? [...classes][0]! : null
    if (className === null) return []
    return candidates
      .filter((p) => p.className === className)
      .sort((a, b) => compareVersions(pluginVersion(a) ?? '', pluginVersion(b) ?? ''))
  }

  /** The plugin a config names (its newest version, or the newest in `range`), or null. Exact class names win over aliases. */
  find(name: string, kinds: readonly PluginKind[], range: VersionRange | null = null): PluginDescriptor | null {
    const versions = this.versions(name, kinds)
    if (range === null) return versions.at(-1) ?? null
    return versions.findLast((p) => range.contains(pluginVersion(p))) ?? null
  }

  /** Like `find`, but throws a message naming the class (and the versions there are) and listing what is available. */
  resolve(
    name: string,
    kinds: readonly PluginKind[],
    what: string,
    range: VersionRange | null = null,
  ): PluginDescriptor {
    const versions = this.versions(name, kinds)
    if (versions.length > 0) {
      const found = this.find(name, kinds, range)
      if (found) return found
      throw new ConnectException(noVersionMatches(versions[0]!.className, range!, versions.map(pluginVersion)))
    }
    const candidates = (this.#byName.get(name) ?? []).filter((p) => p.kind.some((k) => kinds.includes(k)))
    if (candidates.length > 1) {
      throw new ConnectException(
        `More than one ${what} matches '${name}': ${[...new Set(candidates.map((c) => c.className))].join(', ')}. Use the full class name.`,
      )
    }
    const known = [
      ...new Set(
        this.plugins()
          .filter((p) => p.kind.some((k) => kinds.includes(k)))
          .map((p) => p.className),
      ),
    ]
    throw new ConnectException(
      `Failed to find any class that implements ${what} and which name matches ${name}, available ${what}s are: ${known.join(', ')}`,
    )
  }
}
