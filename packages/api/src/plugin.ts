/**
 * The plugin contract: how a package tells Ferry what it provides. Ferry's built-in connectors, converters and
 * transforms declare themselves exactly this way.
 *
 * A plugin package has a `ferry` field in its package.json naming the module that lists its plugins:
 *
 * ```json
 * { "name": "acme-connector", "version": "1.2.0", "type": "module",
 *   "ferry": { "plugins": "./dist/plugins.js" },
 *   "peerDependencies": { "@ferry/api": "^0.1.0" } }
 * ```
 *
 * and that module exports `plugins`, an array of `PluginDescriptor`s:
 *
 * ```ts
 * export const plugins = definePlugins([
 *   { className: 'com.acme.AcmeSourceConnector', kind: ['source'], create: () => new AcmeSourceConnector() },
 * ])
 * ```
 *
 * The worker imports `@ferry/api` for every plugin (a plugin's own copy, if it brings one, is not used), so the API
 * range a package declares on `@ferry/api` (peer or regular dependency) must include the worker's API version: a
 * package built for another major is reported as broken, not loaded.
 */
import pkg from '../package.json' with { type: 'json' }

/** This `@ferry/api`'s version: the one a plugin package's `@ferry/api` range must include. */
export const API_VERSION: string = pkg.version

/** What a plugin is. A class may be more than one (a converter that is also a header converter). */
export type PluginKind =
  | 'source'
  | 'sink'
  | 'converter'
  | 'header_converter'
  | 'transformation'
  | 'predicate'
  | 'config_provider'

/** Every plugin kind, in Apache's order for listings. */
export const PLUGIN_KINDS: readonly PluginKind[] = Object.freeze([
  'sink',
  'source',
  'transformation',
  'predicate',
  'converter',
  'header_converter',
  'config_provider',
])

/**
 * One plugin as a package declares it. `className` is the name configs use (Apache's FQCN for built-ins that
 * replace an Apache class); `aliases` add names beyond the automatic ones (the simple class name, and the simple
 * name without its `Connector`/`Converter`/... suffix, as Apache accepts). `create()` returns a new instance each
 * time: a `Connector` for sources and sinks, a `Converter`, `HeaderConverter`, `Transformation`, `Predicate` or
 * `ConfigProvider` for the other kinds.
 */
export interface PluginDescriptor<T = unknown> {
  className: string
  aliases?: readonly string[]
  kind: readonly PluginKind[]
  /** The version REST and `connector.plugin.version` see; by default the version of the package that declares it. */
  version?: string
  /**
   * Connectors: the Java task class written as `task.class` in task configs, so Apache workers sharing the topics can
   * load the tasks Ferry configured. Default: the task class's name in the connector class's package.
   */
  taskClassName?: string
  /** Config providers: the `param.*` keys it takes, each with its documentation; any other is refused at start. */
  params?: Readonly<Record<string, string>>
  create(): T
}

/** The `ferry` field of a plugin package's package.json. */
export interface PluginManifest {
  /** The module (relative to the package folder) whose `plugins` export lists the package's plugins. */
  plugins: string
}

/** Types a plugin list; the identity at run time. */
export function definePlugins<const T extends readonly PluginDescriptor[]>(plugins: T): T {
  return plugins
}
