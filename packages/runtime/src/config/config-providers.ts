/**
 * Config providers (KIP-297, KIP-421), as Apache's `ConfigProvider`, `ConfigTransformer`, `WorkerConfigTransformer`
 * and `AbstractHerder.reverseTransform` do it:
 *
 * - the worker config names providers: `config.providers=file,env`, `config.providers.file.class=FileConfigProvider`,
 *   `config.providers.file.param.allowed.paths=/run/secrets`;
 * - a config value refers to a provider's value with `${provider:[path:]key}`, resolved when the worker starts (its
 *   own config), when a connector or task starts, and during validation;
 * - configs are stored and shown with their references; task configs a connector derived from resolved values are
 *   written back with the references.
 *
 * Where Apache is silent Ferry is strict: a reference to a configured provider that cannot be resolved (no such key,
 * no such file, a path outside `allowed.paths`, an unset environment variable) is an error naming the reference,
 * never a value left unresolved without a word. A reference to a provider that is not configured is left as it is,
 * as Apache does (`${...}` may be meant literally).
 */
import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { isAbsolute, join, normalize, sep } from 'node:path'
import {
  type ConfigData,
  type ConfigDef,
  ConfigException,
  type ConfigKey,
  type ConfigProvider,
  InvalidParamException,
  type PluginDescriptor,
} from '@ferry/api'
import type { Logger } from '../logger.ts'
import { parseProperties } from './properties.ts'
import { HIDDEN, isPasswordKey, SecretRedactor } from './secrets.ts'

export const CONFIG_PROVIDERS_CONFIG = 'config.providers'
export const CONFIG_PROVIDERS_DOC =
  'Comma-separated names of <code>ConfigProvider</code> classes, loaded and used in the order specified. Implementing the interface  <code>ConfigProvider</code> allows you to replace variable references in connector configurations, such as for externalized secrets. '

/** True for `config.providers` and the `config.providers.<name>.*` keys (which are never themselves resolved). */
export function isConfigProviderKey(key: string): boolean {
  return key === CONFIG_PROVIDERS_CONFIG || key.startsWith(`${CONFIG_PROVIDERS_CONFIG}.`)
}

/** Apache's `ConfigTransformer.DEFAULT_PATTERN`: `${provider:[path:]key}`. */
export const DEFAULT_PATTERN = /\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}/g

export type { ConfigData, ConfigProvider } from '@ferry/api'
export { InvalidParamException }

/** A provider class as `config.providers.<name>.class` names it. */
export interface ConfigProviderDescriptor {
  /** Apache's class name, e.g. `org.apache.kafka.common.config.provider.FileConfigProvider`. */
  className: string
  /** Names beyond the automatic ones (the simple class name, and without its `ConfigProvider` suffix). */
  aliases?: readonly string[]
  /** The `param.*` keys it takes, with their documentation; any other is refused at start. */
  params: Readonly<Record<string, string>>
  create(): ConfigProvider
}

// -------------------------------------------------------------------------------------------------------------------
// The built-in providers

const ALLOWED_PATHS_CONFIG = 'allowed.paths'
const ALLOWED_PATHS_DOC =
  'A comma separated list of paths that this config provider is allowed to access. If not set, all paths are allowed.'

/** Java's `Path.normalize()` for a POSIX path: `.` and `..` folded, no trailing separator. */
function normalizedPath(path: string): string {
  const n = normalize(path)
  return n.length > 1 && n.endsWith(sep) ? n.slice(0, -1) : n
}

/** Apache's `AllowedPaths`: absolute, existing paths; a path is allowed when it lies in one, once normalised. */
class AllowedPaths {
  readonly #paths: string[] | null
  readonly #raw: string

  constructor(value: string | undefined) {
    this.#raw = value ?? ''
    if (value === undefined || value === '') {
      this.#paths = null
      return
    }
    this.#paths = value.split(',').map((entry) => {
      const path = normalizedPath(entry.trim())
      if (!isAbsolute(path))
        throw new InvalidParamException(ALLOWED_PATHS_CONFIG, value, `Path ${path} is not absolute`)
      if (!existsSync(path)) throw new InvalidParamException(ALLOWED_PATHS_CONFIG, value, `Path ${path} does not exist`)
      return path
    })
  }

  /** The path to read (normalised when `allowed.paths` is set); throws when it lies outside the allowed paths. */
  check(path: string): string {
    if (this.#paths === null) return path
    const candidate = normalizedPath(path)
    const inside = (allowed: string) =>
      candidate === allowed || candidate.startsWith(allowed.endsWith(sep) ? allowed : `${allowed}${sep}`)
    if (!isAbsolute(candidate) || !this.#paths.some(inside)) {
      throw new ConfigException(`The path ${path} is not allowed to be accessed (${ALLOWED_PATHS_CONFIG}=${this.#raw})`)
    }
    return candidate
  }
}

function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'no such file'
  if (code === 'EACCES') return 'permission denied'
  if (code === 'EISDIR') return 'it is a directory'
  return (e as Error).message
}

/** Keys from a Java `.properties` file: `${file:/path/to/file.properties:key}` (Apache's `FileConfigProvider`). */
export class FileConfigProvider implements ConfigProvider {
  #allowed: AllowedPaths | null = null

  configure(params: Readonly<Record<string, string>>): void {
    this.#allowed = new AllowedPaths(params[ALLOWED_PATHS_CONFIG])
  }

  async get(path: string, keys: ReadonlySet<string>): Promise<ConfigData> {
    if (!this.#allowed) throw new Error('The provider has not been configured yet.')
    if (path === '') throw new ConfigException('FileConfigProvider needs a file path before the key')
    const file = this.#allowed.check(path)
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (e) {
      throw new ConfigException(`Could not read properties from file ${path}: ${ioReason(e)}`)
    }
    const properties = parseProperties(text)
    const data: Record<string, string> = {}
    const unresolved: Record<string, string> = {}
    for (const key of keys) {
      if (Object.hasOwn(properties, key)) data[key] = properties[key]!
      else unresolved[key] = `no key ${key} in ${path}`
    }
    return { data, unresolved }
  }
}

/** The contents of a file in a directory: `${dir:/run/secrets:db-password}` (Apache's `DirectoryConfigProvider`). */
export class DirectoryConfigProvider implements ConfigProvider {
  #allowed: AllowedPaths | null = null

  configure(params: Readonly<Record<string, string>>): void {
    this.#allowed = new AllowedPaths(params[ALLOWED_PATHS_CONFIG])
  }

  async get(path: string, keys: ReadonlySet<string>): Promise<ConfigData> {
    if (!this.#allowed) throw new Error('The provider has not been configured yet.')
    if (path === '') throw new ConfigException('DirectoryConfigProvider needs a directory before the file name')
    const dir = this.#allowed.check(path)
    const isDirectory = await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    )
    if (!isDirectory) throw new ConfigException(`The path ${path} is not a directory`)
    const data: Record<string, string> = {}
    const unresolved: Record<string, string> = {}
    for (const key of keys) {
      // Apache lists the directory's regular files: a key is a file name, never a path.
      const file = join(dir, key)
      const plain = key !== '' && key !== '.' && key !== '..' && !key.includes('/') && !key.includes(sep)
      const isFile =
        plain &&
        (await stat(file).then(
          (s) => s.isFile(),
          () => false,
        ))
      if (!isFile) {
        unresolved[key] = `no file ${key} in directory ${path}`
        continue
      }
      try {
        data[key] = await readFile(file, 'utf8')
      } catch (e) {
        unresolved[key] = `Could not read file ${file} for property ${key}: ${ioReason(e)}`
      }
    }
    return { data, unresolved }
  }
}

const ALLOWLIST_PATTERN_CONFIG = 'allowlist.pattern'
const ALLOWLIST_PATTERN_DOC =
  'A pattern / regular expression that needs to match for environment variables to be used by this config provider.'

/** Environment variables: `${env:NAME}` (Apache's `EnvVarConfigProvider`); no path. */
export class EnvVarConfigProvider implements ConfigProvider {
  readonly #env: Readonly<Record<string, string | undefined>>
  #allowlist: { pattern: string; regex: RegExp } | null = null

  /** `env` defaults to this process's environment, read when the provider is configured. */
  constructor(env: Readonly<Record<string, string | undefined>> = process.env) {
    this.#env = env
  }

  configure(params: Readonly<Record<string, string>>): void {
    const pattern = params[ALLOWLIST_PATTERN_CONFIG] ?? '.*'
    try {
      this.#allowlist = { pattern, regex: new RegExp(`^(?:${pattern})$`) }
    } catch (e) {
      throw new InvalidParamException(
        ALLOWLIST_PATTERN_CONFIG,
        pattern,
        `not a valid regular expression (${(e as Error).message})`,
      )
    }
  }

  get(path: string, keys: ReadonlySet<string>): ConfigData {
    if (!this.#allowlist) throw new Error('The provider has not been configured yet.')
    if (path !== '') {
      throw new ConfigException(`Path is not supported for EnvVarConfigProvider, invalid value '${path}'`)
    }
    const data: Record<string, string> = {}
    const unresolved: Record<string, string> = {}
    for (const key of keys) {
      const value = Object.hasOwn(this.#env, key) ? this.#env[key] : undefined
      if (value === undefined) unresolved[key] = `the environment variable ${key} is not set`
      else if (!this.#allowlist.regex.test(key)) {
        unresolved[key] =
          `the environment variable ${key} does not match ${ALLOWLIST_PATTERN_CONFIG}=${this.#allowlist.pattern}`
      } else data[key] = value
    }
    return { data, unresolved }
  }
}

// -------------------------------------------------------------------------------------------------------------------
// The registry: provider class names and aliases → factories

const PROVIDER_PACKAGE = 'org.apache.kafka.common.config.provider.'

/**
 * The provider classes a worker can name, by class name or alias (Apache's: the simple class name, and the simple
 * name without its `ConfigProvider` suffix). Not global: each worker (and test) builds its own; plugin packages will
 * add theirs here.
 */
export class ConfigProviderRegistry {
  readonly #all: ConfigProviderDescriptor[] = []
  readonly #byName = new Map<string, ConfigProviderDescriptor[]>()

  register(...descriptors: ConfigProviderDescriptor[]): this {
    for (const d of descriptors) {
      if (this.#all.some((p) => p.className === d.className)) {
        throw new ConfigException(`Config provider ${d.className} is registered twice`)
      }
      this.#all.push(d)
      const simple = d.className.slice(d.className.lastIndexOf('.') + 1)
      const pruned = simple.endsWith('ConfigProvider') ? simple.slice(0, -'ConfigProvider'.length) : ''
      for (const name of new Set([d.className, simple, pruned, ...(d.aliases ?? [])])) {
        if (name === '') continue
        this.#byName.set(name, [...(this.#byName.get(name) ?? []), d])
      }
    }
    return this
  }

  /** The provider a class name or alias names; null when none, or when an alias is ambiguous. */
  find(name: string): ConfigProviderDescriptor | null {
    const candidates = this.#byName.get(name) ?? []
    return candidates.find((d) => d.className === name) ?? (candidates.length === 1 ? candidates[0]! : null)
  }

  classNames(): string[] {
    return this.#all.map((d) => d.className)
  }
}

/**
 * Apache's three providers under their class names: plugins of kind `config_provider` that the runtime itself
 * provides (`loadPlugins` registers them as built-ins beside the built-in packages' plugins).
 */
export const BUILTIN_CONFIG_PROVIDERS: readonly PluginDescriptor<ConfigProvider>[] = [
  {
    className: `${PROVIDER_PACKAGE}FileConfigProvider`,
    kind: ['config_provider'],
    params: { [ALLOWED_PATHS_CONFIG]: ALLOWED_PATHS_DOC },
    create: () => new FileConfigProvider(),
  },
  {
    className: `${PROVIDER_PACKAGE}DirectoryConfigProvider`,
    kind: ['config_provider'],
    params: { [ALLOWED_PATHS_CONFIG]: ALLOWED_PATHS_DOC },
    create: () => new DirectoryConfigProvider(),
  },
  {
    className: `${PROVIDER_PACKAGE}EnvVarConfigProvider`,
    kind: ['config_provider'],
    params: { [ALLOWLIST_PATTERN_CONFIG]: ALLOWLIST_PATTERN_DOC },
    create: () => new EnvVarConfigProvider(),
  },
]

/** The provider classes among plugins (a worker's: the built-ins and those its plugin packages provide). */
export function configProvidersOf(plugins: readonly PluginDescriptor[]): ConfigProviderRegistry {
  return new ConfigProviderRegistry().register(
    ...plugins
      .filter((p) => p.kind.includes('config_provider'))
      .map((p) => ({
        className: p.className,
        ...(p.aliases ? { aliases: p.aliases } : {}),
        params: p.params ?? {},
        create: () => p.create() as ConfigProvider,
      })),
  )
}

/** Apache's three providers only (a worker without plugin packages; tests). */
export function builtinConfigProviders(): ConfigProviderRegistry {
  return configProvidersOf(BUILTIN_CONFIG_PROVIDERS)
}

function parseList(value: string | undefined): string[] {
  return [
    ...new Set(
      (value ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ]
}

/**
 * The providers a worker config sets up (Apache's `Worker.initConfigTransformer`, `Plugins.newConfigProvider`),
 * configured. Every mistake is reported at once, each naming its key: a name in `config.providers` without its
 * `.class`, a class no provider has, a `config.providers.<name>.*` key for a name that is not listed or that the
 * provider does not take, an invalid parameter. Throws `ConfigException`.
 */
export function configProvidersFromWorkerConfig(
  props: Readonly<Record<string, string>>,
  registry: ConfigProviderRegistry = builtinConfigProviders(),
): Map<string, ConfigProvider> {
  const names = parseList(props[CONFIG_PROVIDERS_CONFIG])
  const problems: string[] = []
  const descriptors = new Map<string, ConfigProviderDescriptor>()
  for (const name of names) {
    const classKey = `${CONFIG_PROVIDERS_CONFIG}.${name}.class`
    const className = props[classKey]?.trim()
    if (className === undefined || className === '') {
      problems.push(
        `Missing required configuration "${classKey}" which has no default value (${CONFIG_PROVIDERS_CONFIG} lists ${name}).`,
      )
      continue
    }
    const descriptor = registry.find(className)
    if (!descriptor) {
      problems.push(
        new ConfigException(
          classKey,
          className,
          `Failed to find any class that implements ConfigProvider and which name matches ${className}, available ConfigProviders are: ${registry.classNames().join(', ')}`,
        ).message,
      )
      continue
    }
    descriptors.set(name, descriptor)
  }
  const params = new Map<string, Record<string, string>>(names.map((n) => [n, {}]))
  for (const [key, value] of Object.entries(props)) {
    if (!key.startsWith(`${CONFIG_PROVIDERS_CONFIG}.`)) continue
    const rest = key.slice(CONFIG_PROVIDERS_CONFIG.length + 1)
    // A provider name may hold dots: the longest listed name the key continues wins.
    const name = names
      .filter((n) => rest.startsWith(`${n}.`))
      .sort((a, b) => b.length - a.length)
      .find((n) => rest === `${n}.class` || rest.startsWith(`${n}.param.`))
    if (name === undefined) {
      const listed = names.length > 0 ? names.join(',') : 'nothing'
      problems.push(
        `Unknown configuration ${key}: ${CONFIG_PROVIDERS_CONFIG} lists ${listed}, and a provider takes only config.providers.<name>.class and config.providers.<name>.param.<parameter>`,
      )
      continue
    }
    if (rest === `${name}.class`) continue
    const param = rest.slice(name.length + '.param.'.length)
    const descriptor = descriptors.get(name)
    if (!descriptor) continue
    if (!Object.hasOwn(descriptor.params, param)) {
      const takes = Object.keys(descriptor.params)
      problems.push(
        `Unknown configuration ${key}: ${descriptor.className} takes ${takes.length > 0 ? takes.map((p) => `param.${p}`).join(', ') : 'no parameters'}`,
      )
      continue
    }
    params.get(name)![param] = value
  }
  const providers = new Map<string, ConfigProvider>()
  for (const [name, descriptor] of descriptors) {
    try {
      const provider = descriptor.create()
      provider.configure(params.get(name) ?? {})
      providers.set(name, provider)
    } catch (e) {
      if (e instanceof InvalidParamException) {
        const key = `${CONFIG_PROVIDERS_CONFIG}.${name}.param.${e.param}`
        problems.push(new ConfigException(key, e.value, e.reason).message)
      } else {
        problems.push(`Could not configure config provider ${name} (${descriptor.className}): ${(e as Error).message}`)
      }
    }
  }
  if (problems.length > 0) {
    for (const provider of providers.values()) void Promise.resolve(provider.close?.()).catch(() => {})
    throw new ConfigException(problems.join('; '))
  }
  return providers
}

// -------------------------------------------------------------------------------------------------------------------
// The transformer

/** One `${provider:[path:]key}` in a value. */
interface Variable {
  provider: string
  path: string
  key: string
  /** The reference as written, and where it starts in the value. */
  text: string
  index: number
}

function variablesIn(value: string): Variable[] {
  const out: Variable[] = []
  for (const m of value.matchAll(DEFAULT_PATTERN)) {
    out.push({ provider: m[1]!, path: m[3] ?? '', key: m[4]!, text: m[0], index: m.index })
  }
  return out
}

/** A reference that was resolved: the key it is in, the reference, and its value (a secret, maybe). */
export interface ResolvedReference {
  configKey: string
  reference: string
  value: string
}

/** A reference to a configured provider that could not be resolved, and why (never a secret). */
export interface ReferenceFailure {
  configKey: string
  reference: string
  reason: string
}

/** What `ConfigTransformer.transform` returns (Apache's `ConfigTransformerResult`, and what went wrong). */
export interface ConfigTransformerResult<V extends string | null = string> {
  data: Record<string, V>
  /** TTLs in ms by path (Apache's); the built-in providers set none. */
  ttls: Record<string, number>
  resolved: ResolvedReference[]
  failures: ReferenceFailure[]
}

/**
 * An error message about a resolved config, as the config's author may see it: ConfigException's `Invalid value
 * <value> for configuration <key>` shows the key's raw value (its reference) when the value was resolved, and any
 * other resolved value the redactor knows shows as its reference.
 */
export function showReferencesIn(
  message: string,
  raw: Readonly<Record<string, string | null>>,
  resolved: Readonly<Record<string, string | null>>,
  redactor: SecretRedactor,
): string {
  let out = message
  for (const [key, value] of Object.entries(resolved)) {
    const before = raw[key]
    if (value === null || before === null || before === undefined || before === value) continue
    out = out
      .split(`Invalid value ${value} for configuration ${key}`)
      .join(`Invalid value ${before} for configuration ${key}`)
  }
  return redactor.redact(out)
}

/** `Cannot resolve ${file:/x:pw} in db.password: no key pw in /x`. */
export function failureMessage(f: ReferenceFailure): string {
  return `Cannot resolve ${f.reference} in ${f.configKey}: ${f.reason}`
}

function setOwn<V>(target: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

/**
 * Replaces `${provider:[path:]key}` references with the providers' values (Apache's `ConfigTransformer`): every
 * value of one provider and path is asked for at once; resolved values are not resolved again (one level of
 * indirection); there is no escape (`$${env:X}` is `$` and X's value). A reference to a provider that is not
 * configured is left as it is.
 */
export class ConfigTransformer {
  readonly #providers: ReadonlyMap<string, ConfigProvider>

  constructor(providers: ReadonlyMap<string, ConfigProvider>) {
    this.#providers = providers
  }

  get providerNames(): string[] {
    return [...this.#providers.keys()]
  }

  /** Resolves `configs`; keys for which `skip` is true are copied as they are. */
  async transform<V extends string | null>(
    configs: Readonly<Record<string, V>>,
    skip: (key: string) => boolean = () => false,
  ): Promise<ConfigTransformerResult<V>> {
    const result: ConfigTransformerResult<V> = { data: { ...configs }, ttls: {}, resolved: [], failures: [] }
    if (this.#providers.size === 0) return result
    const vars = new Map<string, Variable[]>()
    const wanted = new Map<string, Map<string, Set<string>>>()
    for (const [configKey, value] of Object.entries(configs)) {
      if (value === null || skip(configKey)) continue
      const found = variablesIn(value).filter((v) => this.#providers.has(v.provider))
      if (found.length === 0) continue
      vars.set(configKey, found)
      for (const v of found) {
        const byPath = wanted.get(v.provider) ?? new Map<string, Set<string>>()
        wanted.set(v.provider, byPath)
        const keys = byPath.get(v.path) ?? new Set<string>()
        byPath.set(v.path, keys)
        keys.add(v.key)
      }
    }
    // provider → path → the data, or why the path could not be read.
    const lookups = new Map<string, Map<string, ConfigData | { error: string }>>()
    for (const [name, byPath] of wanted) {
      const provider = this.#providers.get(name)!
      const answers = new Map<string, ConfigData | { error: string }>()
      lookups.set(name, answers)
      for (const [path, keys] of byPath) {
        try {
          const data = await provider.get(path, keys)
          answers.set(path, data)
          if (data.ttl !== null && data.ttl !== undefined && data.ttl >= 0) result.ttls[path] = data.ttl
        } catch (e) {
          answers.set(path, { error: e instanceof Error ? e.message : String(e) })
        }
      }
    }
    for (const [configKey, found] of vars) {
      const value = configs[configKey] as string
      let out = ''
      let end = 0
      for (const v of found) {
        const answer = lookups.get(v.provider)?.get(v.path)
        out += value.slice(end, v.index)
        end = v.index + v.text.length
        let replacement: string | undefined
        if (answer && 'error' in answer) {
          result.failures.push({ configKey, reference: v.text, reason: answer.error })
        } else if (answer && Object.hasOwn(answer.data, v.key)) {
          replacement = answer.data[v.key]
        } else {
          const reason = answer?.unresolved?.[v.key] ?? `the provider ${v.provider} has no value for ${v.key}`
          result.failures.push({ configKey, reference: v.text, reason })
        }
        if (replacement === undefined) {
          out += v.text
        } else {
          out += replacement
          result.resolved.push({ configKey, reference: v.text, value: replacement })
        }
      }
      setOwn(result.data, configKey, (out + value.slice(end)) as V)
    }
    result.failures = dedupe(result.failures)
    return result
  }

  async close(): Promise<void> {
    for (const provider of this.#providers.values()) {
      try {
        await provider.close?.()
      } catch {
        // closing quietly, as Apache's `Utils.closeQuietly`
      }
    }
  }
}

function dedupe(failures: ReferenceFailure[]): ReferenceFailure[] {
  const seen = new Set<string>()
  return failures.filter((f) => {
    const id = `${f.configKey}\u0000${f.reference}`
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}

/** The keys whose raw value holds a reference (Apache's `AbstractHerder.keysWithVariableValues`). */
export function keysWithVariableValues(raw: Readonly<Record<string, string | null>>): string[] {
  const pattern = new RegExp(DEFAULT_PATTERN.source)
  return Object.entries(raw)
    .filter(([, v]) => v !== null && pattern.test(v))
    .map(([k]) => k)
}

/**
 * Task configs as they are stored (Apache's `AbstractHerder.reverseTransform`): a key whose raw connector value
 * holds a reference gets that raw value back. Beyond Apache, a resolved value (of `SecretRedactor.MIN_LENGTH` or
 * more) that a connector copied into another key, or into part of a value, is replaced by its reference too, so no
 * resolved value is ever written; the worker resolves the references again when the task starts.
 */
export function reverseTransform(
  rawConnectorConfig: Readonly<Record<string, string>>,
  resolved: readonly ResolvedReference[],
  taskConfigs: readonly Record<string, string>[],
): Record<string, string>[] {
  const keys = keysWithVariableValues(rawConnectorConfig)
  const values = [...new Map(resolved.map((r) => [r.value, r.reference]))]
    .filter(([value]) => value.length >= SecretRedactor.MIN_LENGTH)
    .sort((a, b) => b[0].length - a[0].length)
  return taskConfigs.map((config) => {
    const out: Record<string, string> = {}
    for (const [key, value] of Object.entries(config)) {
      let v = value
      if (keys.includes(key)) v = rawConnectorConfig[key]!
      else for (const [secret, reference] of values) if (v.includes(secret)) v = v.split(secret).join(reference)
      setOwn(out, key, v)
    }
    return out
  })
}

/**
 * The worker's transformer (Apache's `WorkerConfigTransformer`): resolves connector and task configs with the
 * worker's providers, and tells the worker's `SecretRedactor` every value it resolved, so none reaches a log line or
 * a status trace.
 *
 * TTLs: Apache's File, Directory and EnvVar providers return none, so there is no reload to schedule for
 * `config.action.reload=restart`; a plugin provider that returns one is logged as not honoured yet.
 */
export class WorkerConfigTransformer {
  readonly redactor: SecretRedactor
  readonly #transformer: ConfigTransformer
  readonly #log: Logger | null

  constructor(
    providers: ReadonlyMap<string, ConfigProvider> = new Map(),
    options: { redactor?: SecretRedactor; logger?: Logger } = {},
  ) {
    this.#transformer = new ConfigTransformer(providers)
    this.redactor = options.redactor ?? new SecretRedactor()
    this.#log = options.logger ?? null
  }

  /** The providers a worker config sets up (`configProvidersFromWorkerConfig`; throws `ConfigException`). */
  static fromWorkerConfig(
    props: Readonly<Record<string, string>>,
    options: { registry?: ConfigProviderRegistry; redactor?: SecretRedactor; logger?: Logger } = {},
  ): WorkerConfigTransformer {
    return new WorkerConfigTransformer(configProvidersFromWorkerConfig(props, options.registry), options)
  }

  get providerNames(): string[] {
    return this.#transformer.providerNames
  }

  /**
   * Resolves a config, reporting failures rather than throwing (validation shows them on their keys). Resolved
   * values, and the values of PASSWORD keys (`passwordKeys` and Apache's client ones), join the redactor.
   */
  async transform<V extends string | null>(
    config: Readonly<Record<string, V>>,
    options: { skip?: (key: string) => boolean; passwordKeys?: ReadonlySet<string> } = {},
  ): Promise<ConfigTransformerResult<V>> {
    const result = await this.#transformer.transform(config, options.skip)
    for (const r of result.resolved) this.redactor.add(r.value, r.reference)
    for (const [key, value] of Object.entries(result.data)) {
      if (value !== null && (options.passwordKeys?.has(key) || isPasswordKey(key))) this.redactor.add(value, HIDDEN)
    }
    for (const path of Object.keys(result.ttls)) {
      this.#log?.warn(
        `A config provider gave a TTL for ${path}: Ferry does not reload configs when values expire (config.action.reload) yet`,
      )
    }
    return result
  }

  /** The values of a plugin's PASSWORD-typed keys join the redactor (hidden as `[hidden]` wherever they show). */
  hidePasswords(config: Readonly<Record<string, string>>, def: (() => ConfigDef | null | undefined) | undefined): void {
    let keys: ReadonlyMap<string, ConfigKey>
    try {
      keys = def?.()?.configKeys() ?? new Map()
    } catch {
      return // a plugin whose config() fails: its start reports that
    }
    for (const [name, key] of keys) {
      const value = config[name]
      if (key.type === 'PASSWORD' && value !== undefined) this.redactor.add(value, HIDDEN)
    }
  }

  /** Resolves a config to start a connector or task; throws `ConfigException` naming every failed reference. */
  async resolve(
    config: Readonly<Record<string, string>>,
    passwordKeys?: ReadonlySet<string>,
  ): Promise<{ config: Record<string, string>; resolved: ResolvedReference[] }> {
    const result = await this.transform(config, { passwordKeys })
    if (result.failures.length > 0) throw new ConfigException(result.failures.map(failureMessage).join('; '))
    return { config: result.data, resolved: result.resolved }
  }

  /**
   * Resolves the worker config itself, before it is parsed; `config.providers*` keys are left as they are. Throws
   * `ConfigException` naming every failed reference.
   */
  async resolveWorkerConfig(props: Readonly<Record<string, string>>): Promise<Record<string, string>> {
    const result = await this.transform(props, { skip: isConfigProviderKey })
    if (result.failures.length > 0) throw new ConfigException(result.failures.map(failureMessage).join('; '))
    return result.data
  }

  async close(): Promise<void> {
    await this.#transformer.close()
  }
}
