/**
 * A plugin package: an npm package folder whose package.json has a `ferry` field (`PluginManifest` in `@ferry/api`)
 * naming the module that exports its `plugins`. This module reads the package.json and imports that module, checking
 * what it finds; every problem is a `PluginLoadException` whose message says what is wrong in the package's terms.
 */
import { readFileSync, realpathSync } from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { API_VERSION, ConnectException, PLUGIN_KINDS, type PluginDescriptor } from '@ferry/api'
import semver from 'semver'
import type { PluginPackageInfo } from './registry.ts'

/** Why a plugin package could not be loaded. */
export class PluginLoadException extends ConnectException {}

/** What package.json says about a plugin package. */
export interface PluginPackage extends Omit<PluginPackageInfo, 'location'> {
  /** The `ferry.plugins` module, relative to the package folder. */
  entry: string
  /** The `@ferry/api` range the package declares (peer or regular dependency), or null when it declares none. */
  apiRange: string | null
}

interface PackageJson {
  name?: unknown
  version?: unknown
  license?: unknown
  author?: unknown
  ferry?: unknown
  dependencies?: Record<string, unknown>
  peerDependencies?: Record<string, unknown>
}

function readPackageJson(dir: string): PackageJson | null {
  let text: string
  try {
    text = readFileSync(join(dir, 'package.json'), 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null
    throw new PluginLoadException(`cannot read package.json: ${(e as Error).message}`)
  }
  try {
    const json = JSON.parse(text) as unknown
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('not a JSON object')
    return json as PackageJson
  } catch (e) {
    throw new PluginLoadException(`package.json is not valid: ${(e as Error).message}`)
  }
}

/** npm's `author`: a string (`Name <email> (url)`) or `{ name, email, url }`. */
function authorOf(author: unknown): string | null {
  if (typeof author === 'string') return author.trim() || null
  if (author && typeof author === 'object') {
    const { name, email } = author as { name?: unknown; email?: unknown }
    if (typeof name === 'string' && name.trim()) return typeof email === 'string' ? `${name} <${email}>` : name
  }
  return null
}

/** The name and version a package.json states, when it states both; for messages about a package that failed. */
export function packageLabel(dir: string): { name: string; version: string } | null {
  try {
    const json = readPackageJson(dir)
    return typeof json?.name === 'string' && typeof json.version === 'string'
      ? { name: json.name, version: json.version }
      : null
  } catch {
    return null
  }
}

/** True when the folder holds a package.json with a `ferry` field. Never throws. */
export function hasPluginManifest(dir: string): boolean {
  try {
    return readPackageJson(dir)?.ferry !== undefined
  } catch {
    return false
  }
}

/**
 * The plugin package in a folder; null when the folder has no package.json or the package declares no `ferry` field.
 * A `ferry` field that is not `{ "plugins": "<module>" }`, or a package without a name and version, throws.
 */
export function readPluginPackage(dir: string): PluginPackage | null {
  const real = realpathSync(dir)
  const json = readPackageJson(real)
  if (json === null || json.ferry === undefined) return null
  if (typeof json.name !== 'string' || typeof json.version !== 'string') {
    throw new PluginLoadException('package.json needs a "name" and a "version"')
  }
  const manifest = json.ferry as { plugins?: unknown } | null
  if (manifest === null || typeof manifest !== 'object' || typeof manifest.plugins !== 'string') {
    throw new PluginLoadException(
      'the "ferry" field of package.json must be {"plugins": "<module exporting plugins>"}, e.g. {"plugins": "./dist/plugins.js"}',
    )
  }
  const entry = resolve(real, manifest.plugins)
  if (relative(real, entry).startsWith(`..${sep}`)) {
    throw new PluginLoadException(`"ferry.plugins" must name a module inside the package, not ${manifest.plugins}`)
  }
  const range = json.peerDependencies?.['@ferry/api'] ?? json.dependencies?.['@ferry/api']
  return {
    name: json.name,
    version: json.version,
    license: typeof json.license === 'string' ? json.license : null,
    author: authorOf(json.author),
    dir: real,
    entry: manifest.plugins,
    apiRange: typeof range === 'string' ? range : null,
  }
}

/**
 * Checks that the package was built for this `@ferry/api`. A range that is not semver (a file: or workspace link, a
 * tag) says nothing about the version and is accepted.
 */
export function checkApiRange(pkg: PluginPackage): void {
  if (pkg.apiRange === null || semver.validRange(pkg.apiRange) === null) return
  if (!semver.satisfies(API_VERSION, pkg.apiRange, { includePrerelease: true })) {
    throw new PluginLoadException(`it needs @ferry/api ${pkg.apiRange}, and this Ferry has @ferry/api ${API_VERSION}`)
  }
}

const KINDS = new Set<string>(PLUGIN_KINDS)

/** Imports the package's plugins module and checks each descriptor; a descriptor without `version` gets the package's. */
export async function importPlugins(pkg: PluginPackage): Promise<PluginDescriptor[]> {
  checkApiRange(pkg)
  let module: { plugins?: unknown }
  try {
    module = (await import(pathToFileURL(resolve(pkg.dir, pkg.entry)).href)) as { plugins?: unknown }
  } catch (e) {
    const error = e as NodeJS.ErrnoException
    const reason =
      error.code === 'ERR_MODULE_NOT_FOUND' || error.code === 'ERR_UNSUPPORTED_DIR_IMPORT'
        ? error.message.replace(/^Cannot find (module|package) /, 'cannot find $1 ')
        : `${error.name}: ${error.message}`
    throw new PluginLoadException(`importing ${pkg.entry} failed: ${reason.split('\n')[0]}`)
  }
  const list = module.plugins
  if (!Array.isArray(list)) {
    throw new PluginLoadException(`${pkg.entry} must export "plugins", an array of plugin descriptors`)
  }
  return list.map((d: unknown, i) => {
    const where = `${pkg.entry} plugins[${i}]`
    if (d === null || typeof d !== 'object') throw new PluginLoadException(`${where} is not a plugin descriptor`)
    const { className, kind, create, version } = d as Partial<PluginDescriptor>
    if (typeof className !== 'string' || className === '') {
      throw new PluginLoadException(`${where} needs a "className"`)
    }
    if (!Array.isArray(kind) || kind.length === 0 || kind.some((k) => !KINDS.has(k))) {
      throw new PluginLoadException(`${where} (${className}) needs a "kind": a list of ${[...KINDS].join(', ')}`)
    }
    if (typeof create !== 'function') throw new PluginLoadException(`${where} (${className}) needs a "create" function`)
    if (version !== undefined && typeof version !== 'string') {
      throw new PluginLoadException(`${where} (${className}) has a "version" that is not a string`)
    }
    return { ...(d as PluginDescriptor), version: version ?? pkg.version }
  })
}
