/**
 * Apache's connector config validation (`AbstractHerder.validateConnectorConfig`, `ConnectorConfig.enrich`,
 * `SourceConnectorConfig`/`SinkConnectorConfig`) and its REST rendering (`ConfigInfos`), as Apache Connect 4.4 does it:
 * framework keys, transformation and predicate keys (`transforms.<alias>.*`, `predicates.<alias>.*`) from each plugin's
 * ConfigDef, the connector's own keys, converter keys under their prefixes, and client overrides. Every problem is
 * reported on its key, all at once.
 */
import {
  ConfigDef,
  ConfigException,
  type ConfigKey,
  type ConfigType,
  type ConfigValue,
  type Connector,
  LambdaValidator,
  NotFoundException,
  newConfigValue,
  type Predicate,
  type Recommender,
  SinkConnector,
  type SourceConnector,
  type Transformation,
  type Validator,
} from '@ferry/api'
import { type ConfigTransformerResult, failureMessage, showReferencesIn } from '../config/config-providers.ts'
import {
  CONVERTER_KEYS,
  type ConnectorConfigDefOptions,
  connectorConfigDef,
  DEAD_LETTER_QUEUE_CONFIG_DEF,
  PREDICATES_GROUP,
  RESTART_CONFIG_DEF,
  sinkConnectorConfigDef,
  sourceConnectorConfigDef,
  TRANSFORMS_GROUP,
} from '../config/connector-config.ts'
import { HIDDEN, isPasswordKey, type SecretRedactor } from '../config/secrets.ts'
import { exactlyOnceSourceEnabled, type WorkerConfig } from '../config/worker-config.ts'
import { javaStringKeyOrder } from '../java/hash-order.ts'
import {
  noVersionMatches,
  type PluginDescriptor,
  type PluginKind,
  type PluginRegistry,
  pluginVersion,
} from '../plugins/registry.ts'
import { type VersionRange, versionRequirement } from '../plugins/version-range.ts'
import { topicCreationConfigDef, usesTopicCreation } from '../worker/topic-creation.ts'
import {
  BadRequestException,
  type ConfigInfo,
  type ConfigInfos,
  type ConfigKeyInfo,
  type ConfigValueInfo,
  type ConnectorType,
} from './herder.ts'

const CLIENT_OVERRIDES = ['producer.override.', 'consumer.override.', 'admin.override.'] as const

/** Where validation looks up plugins and the worker's defaults. */
export interface ValidationContext {
  plugins: PluginRegistry
  workerConfig: WorkerConfig
}

/**
 * The plugin a class name and a KIP-891 `*.plugin.version` value select: the newest version, or the newest in the
 * range. `error` is Apache's message when the value is not a version range or no version matches; `plugin` is null
 * when the name names no plugin of these kinds.
 */
export function selectPlugin(
  plugins: PluginRegistry,
  name: string | null | undefined,
  kinds: readonly PluginKind[],
  version: string | null | undefined,
): { plugin: PluginDescriptor | null; error: string | null } {
  const versions = name ? plugins.versions(name, kinds) : []
  if (versions.length === 0) return { plugin: null, error: null }
  let range: VersionRange | null
  try {
    range = versionRequirement(version)
  } catch (e) {
    return { plugin: versions.at(-1)!, error: (e as Error).message }
  }
  if (range === null) return { plugin: versions.at(-1)!, error: null }
  const plugin = versions.findLast((p) => range.contains(pluginVersion(p)))
  if (plugin) return { plugin, error: null }
  return { plugin: null, error: noVersionMatches(versions[0]!.className, range, versions.map(pluginVersion)) }
}

/** The versions of the class a name resolves to, oldest first (a `*.plugin.version` key's recommended values). */
function versionsOf(plugins: PluginRegistry, name: string | null | undefined, kinds: readonly PluginKind[]): string[] {
  if (!name) return []
  return plugins.versions(name, kinds).flatMap((p) => pluginVersion(p) ?? [])
}

function sortedClassNames(plugins: PluginRegistry, kind: PluginKind): string[] {
  return plugins.classNames(kind)
}

/** `Connector` when the name resolves to a connector plugin, else null. */
export function findConnector(plugins: PluginRegistry, className: string): PluginDescriptor | null {
  return plugins.find(className, ['source', 'sink'])
}

/** Apache's ConnectorType of a class name: `unknown` when it names no connector. */
export function connectorTypeOf(plugins: PluginRegistry, className: string | undefined): ConnectorType {
  if (!className) return 'unknown'
  const plugin = findConnector(plugins, className)
  if (!plugin) return 'unknown'
  return plugin.kind.includes('sink') ? 'sink' : 'source'
}

/** A validator for a CLASS key naming a plugin of `kinds`, with Java's "could not be found" message. */
function pluginClassValidator(plugins: PluginRegistry, kinds: readonly PluginKind[]): Validator {
  return LambdaValidator.with(
    (name, value) => {
      if (value === null || value === undefined) return
      if (!plugins.find(String(value), kinds)) {
        throw new ConfigException(name, value, `Class ${String(value)} could not be found.`)
      }
    },
    () => '',
  )
}

function listRecommender(values: () => string[], visible: () => boolean = () => true): Recommender {
  return { validValues: () => values(), visible: () => visible() }
}

/** What validation adds to the connector config definition: defaults from the worker and plugins, plugin checks. */
function definitionOptions(
  ctx: ValidationContext,
  connectorVersion: string | null,
  connectorVersions: string[],
  converters: ConnectorConfigDefOptions['converters'] = {},
): ConnectorConfigDefOptions {
  return {
    connectorVersion,
    converters,
    plugins: {
      connectorVersions: listRecommender(() => connectorVersions),
      converterClass: (kind) => ({
        validator: pluginClassValidator(ctx.plugins, [kind]),
        recommender: listRecommender(() => sortedClassNames(ctx.plugins, kind)),
      }),
      converterVersions: (key, kind) => ({
        validValues: (_name, parsed) => versionsOf(ctx.plugins, String(parsed[key] ?? ''), [kind]),
        visible: (_name, parsed) =>
          parsed[key] === null || parsed[key] === undefined || !!ctx.plugins.find(String(parsed[key]), [kind]),
      }),
    },
  }
}

/**
 * Ferry's own connector keys: the dead letter queue keys on a source connector, `errors.restart.*` and the topic
 * creation groups' keys. They are validated and listed when the config sets one of them, so a config that does not use
 * them validates exactly as it does on Apache.
 */
function defineFerryKeys(
  def: ConfigDef,
  props: Readonly<Record<string, string | null>>,
  isSink: boolean,
  workerConfig: WorkerConfig,
): void {
  const uses = (prefix: string) => Object.keys(props).some((k) => k.startsWith(prefix))
  // KIP-158's group keys, which Apache reads only when the connector starts (it fails there on a missing or bad one):
  // reported here, so a config that could not start is refused when created.
  if (!isSink && workerConfig.topicCreationEnable !== false && usesTopicCreation(props)) {
    for (const key of topicCreationConfigDef(props).configKeys().values()) def.define(key)
  }
  if (!isSink && uses('errors.deadletterqueue.')) {
    for (const key of DEAD_LETTER_QUEUE_CONFIG_DEF.configKeys().values()) def.define(key)
  }
  if (uses('errors.restart.')) for (const key of RESTART_CONFIG_DEF.configKeys().values()) def.define(key)
}

/** Apache's `SinkConnectorConfig.validate`: exactly one of `topics`/`topics.regex`, and the DLQ topic not consumed. */
function validateSinkTopics(props: Readonly<Record<string, string | null>>, values: Map<string, ConfigValue>): void {
  const topicsList = props.topics ?? null
  const topicsRegex = props['topics.regex'] ?? null
  const dlqTopic = (props['errors.deadletterqueue.topic.name'] ?? '').trim()
  const hasTopics = isNotBlank(topicsList)
  const hasRegex = isNotBlank(topicsRegex)
  const add = (name: string, value: string | null, message: string) => {
    let v = values.get(name)
    if (!v) {
      v = { ...newConfigValue(name), value }
      values.set(name, v)
    }
    v.errorMessages.push(message)
  }
  if (hasTopics && hasRegex) {
    const message = 'topics and topics.regex are mutually exclusive options, but both are set.'
    add('topics', topicsList, message)
    add('topics.regex', topicsRegex, message)
  }
  if (!hasTopics && !hasRegex) {
    const message = 'Must configure one of topics or topics.regex'
    add('topics', topicsList, message)
    add('topics.regex', topicsRegex, message)
  }
  if (dlqTopic) {
    if (hasTopics) {
      const topics = [
        ...new Set(
          (topicsList ?? '')
            .trim()
            .split(/\s*,\s*/)
            .filter((t) => t.length > 0),
        ),
      ]
      if (topics.includes(dlqTopic)) {
        add(
          'topics',
          topicsList,
          `The DLQ topic '${dlqTopic}' may not be included in the list of topics ('topics=[${topics.join(', ')}]') consumed by the connector`,
        )
      }
    }
    if (hasRegex) {
      let matches = false
      try {
        matches = new RegExp(`^(?:${topicsRegex})$`).test(dlqTopic)
      } catch {
        matches = false
      }
      if (matches) {
        add(
          'topics.regex',
          topicsRegex,
          `The DLQ topic '${dlqTopic}' may not be matched by the regex for the topics ('topics.regex=${topicsRegex}') consumed by the connector`,
        )
      }
    }
  }
}

function isNotBlank(value: string | null | undefined): boolean {
  return value !== null && value !== undefined && value.trim().length > 0
}

function parseAliases(value: string | null | undefined): string[] {
  if (value === null || value === undefined) return []
  const trimmed = value.trim()
  return trimmed.length === 0 ? [] : [...new Set(trimmed.split(/\s*,\s*/))]
}

/**
 * Apache's `ConnectorConfig.enrich`: for each transformation and predicate alias, `<prefix>type` (CLASS, required),
 * `<prefix>plugin.version`, then the plugin's own keys (transformations also get `predicate` and `negate`).
 */
function enrich(def: ConfigDef, props: Readonly<Record<string, string | null>>, ctx: ValidationContext): ConfigDef {
  const out = new ConfigDef(def)
  const plugins = [
    { config: 'transforms', group: TRANSFORMS_GROUP, kind: 'transformation', label: 'Transformation' },
    { config: 'predicates', group: PREDICATES_GROUP, kind: 'predicate', label: 'Predicate' },
  ] as const
  for (const p of plugins) {
    for (const alias of parseAliases(props[p.config])) {
      const prefix = `${p.config}.${alias}.`
      const group = `${p.group}: ${alias}`
      const typeConfig = `${prefix}type`
      const lower = p.label.toLowerCase()
      const typeValue = props[typeConfig]
      const selected = selectPlugin(ctx.plugins, typeValue, [p.kind], props[`${prefix}plugin.version`])
      const plugin = selected.plugin
      const version = plugin ? pluginVersion(plugin) : null
      const versions = versionsOf(ctx.plugins, typeValue, [p.kind])
      out.define({
        name: typeConfig,
        type: 'CLASS',
        validator: LambdaValidator.with(
          (name, value) => {
            if (p.kind === 'transformation') {
              const negate = `${prefix}negate`
              const predicate = `${prefix}predicate`
              if (props[negate] !== undefined && props[predicate] === undefined) {
                throw new ConfigException(
                  `Config '${negate}' was provided but there is no config '${predicate}' defining a predicate to be negated.`,
                )
              }
            }
            if (value === null || value === undefined) return
            if (!ctx.plugins.find(String(value), [p.kind])) {
              throw new ConfigException(name, value, `Class ${String(value)} could not be found.`)
            }
          },
          () => `valid configs for ${alias} ${lower}`,
        ),
        importance: 'HIGH',
        documentation: `Class for the '${alias}' ${lower}.`,
        group,
        orderInGroup: 0,
        width: 'LONG',
        displayName: `${p.label} type for ${alias}`,
        recommender: listRecommender(() => sortedClassNames(ctx.plugins, p.kind)),
      })
      out.define({
        name: `${prefix}plugin.version`,
        type: 'STRING',
        defaultValue: version,
        validator: LambdaValidator.with(
          (name, value) => {
            if (selected.error !== null) throw new ConfigException(name, value, selected.error)
          },
          () => '',
        ),
        importance: 'HIGH',
        documentation: `Version of the '${alias}' ${lower}.`,
        group,
        orderInGroup: 1,
        width: 'LONG',
        displayName: `${p.label} version for ${alias}`,
        recommender: listRecommender(() => versions),
      })
      if (!plugin) continue
      const child = new ConfigDef()
      if (p.kind === 'transformation') {
        child.define({
          name: 'predicate',
          type: 'STRING',
          defaultValue: null,
          importance: 'MEDIUM',
          documentation: 'The alias of a predicate used to determine whether to apply this transformation.',
        })
        child.define({
          name: 'negate',
          type: 'BOOLEAN',
          defaultValue: false,
          importance: 'MEDIUM',
          documentation: 'Whether the configured predicate should be negated.',
        })
      }
      let pluginDef: ConfigDef
      try {
        pluginDef = (plugin.create() as Transformation | Predicate).config()
      } catch {
        continue
      }
      for (const key of pluginDef.configKeys().values()) {
        if (p.kind === 'transformation' && (key.name === 'predicate' || key.name === 'negate')) continue
        try {
          child.define(key)
        } catch {
          // a key the plugin defines twice: Apache gives up on the plugin's keys
        }
      }
      out.embed(prefix, group, 2, child)
    }
  }
  return out
}

/** Apache's `convertConfigKey`. */
export function convertConfigKey(key: ConfigKey, prefix = ''): ConfigKeyInfo {
  const required = !key.hasDefault()
  return {
    name: prefix + key.name,
    type: key.type,
    required,
    default_value: required ? null : ConfigDef.convertToString(key.defaultValue, key.type),
    importance: key.importance,
    documentation: key.documentation,
    group: key.group,
    order_in_group: key.orderInGroup,
    width: key.width,
    display_name: key.displayName,
    dependents: [...key.dependents],
  }
}

/**
 * Apache's `convertConfigValue`: values as strings (passwords `[hidden]`), LIST recommendations as strings. A key no
 * ConfigDef defines that is one of Apache's client PASSWORD keys (`producer.override.ssl.key.password`, ...) is
 * hidden too, as Apache's client ConfigDefs would type it.
 */
export function convertConfigValue(value: ConfigValue, type: ConfigType | null): ConfigValueInfo {
  const recommendedType: ConfigType | null = type === 'LIST' ? 'STRING' : type
  const hidden = type === null && value.value !== null && value.value !== undefined && isPasswordKey(value.name)
  return {
    name: value.name,
    value: hidden ? HIDDEN : ConfigDef.convertToString(value.value, type),
    recommended_values: value.recommendedValues.map((v) => ConfigDef.convertToString(v, recommendedType) ?? 'null'),
    errors: [...value.errorMessages],
    visible: value.visible,
  }
}

/** Apache's `generateResult`: unknown values first, then every key in order with its value (or null). */
export function generateResult(
  connType: string,
  configKeys: ReadonlyMap<string, ConfigKey>,
  configValues: readonly ConfigValue[],
  groups: string[],
): ConfigInfos {
  let errorCount = 0
  const configs: ConfigInfo[] = []
  const byName = new Map<string, ConfigValue>()
  for (const value of configValues) {
    byName.set(value.name, value)
    if (!configKeys.has(value.name)) {
      configs.push({ definition: null, value: convertConfigValue(value, null) })
      errorCount += value.errorMessages.length
    }
  }
  for (const [name, key] of configKeys) {
    const value = byName.get(name)
    if (value) errorCount += value.errorMessages.length
    configs.push({ definition: convertConfigKey(key), value: value ? convertConfigValue(value, key.type) : null })
  }
  return { name: connType, error_count: errorCount, groups, configs }
}

/** Apache's `prefixedConfigInfos`: values of a prefixed sub-config; one error counted per value with errors. */
function prefixedConfigInfos(
  configKeys: ReadonlyMap<string, ConfigKey>,
  configValues: readonly ConfigValue[],
  prefix: string,
): ConfigInfos {
  let errorCount = 0
  const groups: string[] = []
  const configs: ConfigInfo[] = []
  for (const validated of configValues) {
    const key = configKeys.get(validated.name)
    let definition: ConfigKeyInfo | null = null
    if (key) {
      if (key.group !== null && !groups.includes(key.group)) groups.push(key.group)
      definition = convertConfigKey(key, prefix)
    }
    const value: ConfigValue = {
      name: prefix + validated.name,
      value: validated.value,
      recommendedValues: validated.recommendedValues,
      errorMessages: validated.errorMessages,
      visible: true,
    }
    if (value.errorMessages.length > 0) errorCount++
    configs.push({ definition, value: convertConfigValue(value, key ? key.type : null) })
  }
  return { name: '', error_count: errorCount, groups, configs }
}

function mergeConfigInfos(connType: string, ...all: Array<ConfigInfos | null>): ConfigInfos {
  let errorCount = 0
  const configs: ConfigInfo[] = []
  const groups: string[] = []
  for (const infos of all) {
    if (!infos) continue
    errorCount += infos.error_count
    configs.push(...infos.configs)
    for (const g of infos.groups) if (!groups.includes(g)) groups.push(g)
  }
  return { name: connType, error_count: errorCount, groups, configs }
}

/**
 * A validation result (of the config with its provider references resolved) as the submitter may see it: a key whose
 * value held a reference shows the reference, errors show references where they quoted resolved values, and a
 * reference that could not be resolved is an error on its key. No resolved value is left in it.
 */
export function showReferences(
  infos: ConfigInfos,
  submitted: Readonly<Record<string, string | null>>,
  result: ConfigTransformerResult<string | null>,
  redactor: SecretRedactor,
): ConfigInfos {
  const changed = new Map<string, { raw: string; resolved: string }>()
  for (const [key, raw] of Object.entries(submitted)) {
    const resolved = result.data[key]
    if (raw !== null && resolved !== null && resolved !== undefined && resolved !== raw) {
      changed.set(key, { raw, resolved })
    }
  }
  if (changed.size === 0 && result.failures.length === 0) return infos
  const redact = (message: string, own?: { raw: string; resolved: string }): string => {
    // An error on the key itself quotes its value without the key's full name (`schemas.enable` for
    // `value.converter.schemas.enable`).
    const out = own ? message.split(`Invalid value ${own.resolved} `).join(`Invalid value ${own.raw} `) : message
    return showReferencesIn(out, submitted, result.data, redactor)
  }
  const configs: ConfigInfo[] = infos.configs.map((info) => {
    if (!info.value) return info
    const own = changed.get(info.value.name)
    const value = own && info.value.value !== HIDDEN ? own.raw : info.value.value
    return { ...info, value: { ...info.value, value, errors: info.value.errors.map((e) => redact(e, own)) } }
  })
  let errorCount = infos.error_count
  for (const failure of result.failures) {
    const message = failureMessage(failure)
    const info = configs.find((c) => c.value?.name === failure.configKey)
    if (info?.value) info.value.errors.push(message)
    else {
      const raw = submitted[failure.configKey] ?? null
      configs.unshift({
        definition: null,
        value: { name: failure.configKey, value: raw, recommended_values: [], errors: [message], visible: true },
      })
    }
    errorCount++
  }
  return { ...infos, error_count: errorCount, configs }
}

/** Apache's message for an invalid connector config, listing every error. */
export function invalidConfigMessage(infos: ConfigInfos): string {
  const messages = infos.configs.flatMap((c) => c.value?.errors ?? [])
  return `Connector configuration is invalid and contains the following ${infos.error_count} error(s):\n${messages.join('\n')}\nYou can also find the above list of errors at the endpoint \`/connector-plugins/{connectorType}/config/validate\``
}

function resolvedClass(
  ctx: ValidationContext,
  name: string | null | undefined,
  kinds: readonly PluginKind[],
): PluginDescriptor | null {
  return name ? ctx.plugins.find(name, kinds) : null
}

/** Shows CLASS values as the resolved class name, as Java's class parsing does; unknown classes become null. */
function normalizeClassValue(value: ConfigValue | undefined, plugin: PluginDescriptor | null): void {
  if (!value || value.value === null || value.value === undefined) return
  value.value = plugin ? plugin.className : null
}

/** A connector's and its plugins' config, validated the way Apache's herder does before it accepts it. */
export async function validateConnectorConfig(
  ctx: ValidationContext,
  props: Readonly<Record<string, string | null>>,
): Promise<ConfigInfos> {
  const connType = props['connector.class']
  if (connType === null || connType === undefined) {
    throw new BadRequestException('Connector config contains no connector type')
  }
  const latestConnector = findConnector(ctx.plugins, connType)
  if (!latestConnector) {
    const known = [...ctx.plugins.plugins('sink'), ...ctx.plugins.plugins('source')].map((p) => p.className)
    throw new BadRequestException(
      `Failed to find any class that implements Connector and which name matches ${connType}, available connectors are: ${known.join(', ')}`,
    )
  }
  // KIP-891: the connector version asked for, else the newest.
  const selected = selectPlugin(ctx.plugins, connType, ['source', 'sink'], props['connector.plugin.version'])
  const connectorPlugin = selected.plugin ?? latestConnector
  const isSink = connectorPlugin.kind.includes('sink')
  const connectorVersion = pluginVersion(connectorPlugin)
  const connectorVersions = versionsOf(ctx.plugins, connType, ['source', 'sink'])
  const worker = ctx.workerConfig
  const converters: NonNullable<ConnectorConfigDefOptions['converters']> = {}
  const workerDefaults: Record<string, string | undefined> = {
    'key.converter': worker.keyConverter,
    'value.converter': worker.valueConverter,
    'header.converter': worker.headerConverter,
  }
  for (const c of CONVERTER_KEYS) {
    const workerPlugin = resolvedClass(ctx, workerDefaults[c.key], [c.kind])
    const effective = resolvedClass(ctx, props[c.key] ?? workerDefaults[c.key], [c.kind])
    // Apache's converterDefaults: the worker's converter comes in the version its `*.plugin.version` asks for.
    const workerVersion = props[c.key] === undefined ? worker.originals[`${c.key}.plugin.version`] : undefined
    converters[c.key] = {
      className: workerPlugin?.className ?? null,
      version: workerVersion ?? (effective ? pluginVersion(effective) : null),
    }
  }
  const options = definitionOptions(ctx, connectorVersion, connectorVersions, converters)
  const baseDef = isSink ? sinkConnectorConfigDef(options) : sourceConnectorConfigDef(options)
  defineFerryKeys(baseDef, props, isSink, ctx.workerConfig)

  // KIP-891: a connector version that does not exist stops validation at the framework keys.
  if (selected.error !== null) {
    // Apache then validates only the common connector keys, with their static defaults.
    const commonDef = connectorConfigDef(definitionOptions(ctx, connectorVersion, connectorVersions))
    const values = commonDef.validateAll(props)
    const message = selected.error
    values.get('connector.class')?.errorMessages.push(message)
    values.get('connector.plugin.version')?.errorMessages.push(message)
    fixConverterValues(ctx, values, false)
    return generateResult(connType, commonDef.configKeys(), [...values.values()], [...commonDef.groups()])
  }

  const enriched = enrich(baseDef, props, ctx)
  const validated = enriched.validateAll(props)
  if (isSink) validateSinkTopics(props, validated)
  const nonNullProps: Record<string, string> = {}
  for (const [k, v] of Object.entries(props)) if (v !== null) nonNullProps[k] = v
  const connector = connectorPlugin.create() as Connector
  // Apache's DistributedHerder.validateSourceConnectorConfig: the KIP-618 preflight, distributed mode only.
  if (!isSink && ctx.workerConfig.distributed !== null) {
    validateExactlyOnceSupport(ctx, nonNullProps, validated, connector as SourceConnector)
    validateTransactionBoundary(nonNullProps, validated, connector as SourceConnector)
  }
  for (const [key, value] of Object.entries(props)) {
    if (value !== null) continue
    let v = validated.get(key)
    if (!v) {
      v = newConfigValue(key)
      validated.set(key, v)
    }
    v.errorMessages.push('Null value can not be supplied as the configuration value.')
  }
  fixConverterValues(ctx, validated)
  for (const p of ['transforms', 'predicates'] as const) {
    const kind: PluginKind = p === 'transforms' ? 'transformation' : 'predicate'
    for (const alias of parseAliases(props[p])) {
      const v = validated.get(`${p}.${alias}.type`)
      normalizeClassValue(v, resolvedClass(ctx, props[`${p}.${alias}.type`], [kind]))
    }
  }

  const configValues: ConfigValue[] = [...validated.values()]
  const configKeys = new Map<string, ConfigKey>(enriched.configKeys())
  const groups: string[] = [...enriched.groups()]

  const connectorDef = connector.config()
  if (!connectorDef)
    throw new BadRequestException(`${connectorPlugin.className}.config() must return a ConfigDef that is not null.`)
  const result = await connector.validate(nonNullProps)
  if (!result)
    throw new BadRequestException(`${connectorPlugin.className}.validate() must return a Config that is not null.`)
  for (const [name, key] of connectorDef.configKeys()) configKeys.set(name, key)
  for (const g of connectorDef.groups()) if (!groups.includes(g)) groups.push(g)
  configValues.push(...result.configValues)

  const converterInfos: Array<ConfigInfos | null> = []
  for (const c of [CONVERTER_KEYS[2], CONVERTER_KEYS[0], CONVERTER_KEYS[1]]) {
    converterInfos.push(validateConverterConfig(ctx, nonNullProps, validated.get(c.key), c))
  }
  const configInfos = generateResult(connType, configKeys, configValues, groups)

  const overrides: Array<ConfigInfos | null> = []
  const usesTopicCreation = Object.keys(props).some((k) => k.startsWith('topic.creation.'))
  const hasDlq = isNotBlank(props['errors.deadletterqueue.topic.name'])
  if (!isSink || hasDlq) overrides.push(validateClientOverrides(ctx, nonNullProps, 'producer.override.'))
  if ((!isSink && usesTopicCreation) || (isSink && hasDlq)) {
    overrides.push(validateClientOverrides(ctx, nonNullProps, 'admin.override.'))
  }
  if (isSink) overrides.push(validateClientOverrides(ctx, nonNullProps, 'consumer.override.'))
  return mergeConfigInfos(connType, configInfos, ...overrides, ...converterInfos)
}

/**
 * Apache's `validateSourceConnectorExactlyOnceSupport`: `exactly.once.support=required` needs a worker with exactly-once
 * source support and a connector whose `exactlyOnceSupport()` answers SUPPORTED; each failure is an error on the key,
 * with Apache's messages.
 */
function validateExactlyOnceSupport(
  ctx: ValidationContext,
  props: Record<string, string>,
  validated: Map<string, ConfigValue>,
  connector: SourceConnector,
): void {
  const value = validated.get('exactly.once.support')
  if (!value || value.errorMessages.length > 0) return
  if (String(value.value).toLowerCase() !== 'required') return
  if (!exactlyOnceSourceEnabled(ctx.workerConfig)) {
    value.errorMessages.push('This worker does not have exactly-once source support enabled.')
  }
  try {
    const support = connector.exactlyOnceSupport(props)
    if (support === null || support === undefined) {
      value.errorMessages.push(
        'The connector does not implement the API required for preflight validation of exactly-once source support. Please consult the documentation for the connector to determine whether it supports exactly-once semantics, and then consider reconfiguring the connector to use the value "requested" for this property (which will disable this preflight check and allow the connector to be created).',
      )
    } else if (support === 'UNSUPPORTED') {
      value.errorMessages.push('The connector does not support exactly-once semantics with the provided configuration.')
    } else if (support !== 'SUPPORTED') {
      throw new Error(`Unexpected value returned from SourceConnector::exactlyOnceSupport: ${String(support)}`)
    }
  } catch (e) {
    value.errorMessages.push(unexpectedValidationError(e))
  }
}

/**
 * Apache's `validateSourceConnectorTransactionBoundary`: `transaction.boundary=connector` needs a connector whose
 * `canDefineTransactionBoundaries()` answers SUPPORTED.
 */
function validateTransactionBoundary(
  props: Record<string, string>,
  validated: Map<string, ConfigValue>,
  connector: SourceConnector,
): void {
  const value = validated.get('transaction.boundary')
  if (!value || value.errorMessages.length > 0) return
  if (String(value.value).toLowerCase() !== 'connector') return
  try {
    const support = connector.canDefineTransactionBoundaries(props)
    if (support === null || support === undefined) {
      value.errorMessages.push(
        "This connector has returned a null value from its canDefineTransactionBoundaries method, which is not permitted. The connector will be treated as if it cannot define its own transaction boundaries, and cannot be configured with 'transaction.boundary' set to 'connector'.",
      )
    } else if (support !== 'SUPPORTED') {
      value.errorMessages.push(
        'The connector does not support connector-defined transaction boundaries with the given configuration. Please reconfigure it to use a different transaction boundary definition.',
      )
    }
  } catch (e) {
    value.errorMessages.push(unexpectedValidationError(e))
  }
}

/** Apache's message for a plugin method that threw during the KIP-618 preflight. */
function unexpectedValidationError(e: unknown): string {
  const message = e instanceof Error ? e.message.trim() : ''
  return message
    ? `An unexpected error occurred during validation: ${message}`
    : 'An unexpected error occurred during validation; please see the worker logs for more details.'
}

/** Converter CLASS values: resolved class names, with the KIP-891 version checks on `<converter>.plugin.version`. */
function fixConverterValues(ctx: ValidationContext, values: Map<string, ConfigValue>, checkVersions = true): void {
  for (const c of CONVERTER_KEYS) {
    const classValue = values.get(c.key)
    if (!classValue || classValue.errorMessages.length > 0) {
      if (classValue && classValue.errorMessages.length > 0) classValue.value = null
      continue
    }
    const plugin = resolvedClass(ctx, classValue.value === null ? null : String(classValue.value), [c.kind])
    normalizeClassValue(classValue, plugin)
    const versionValue = values.get(`${c.key}.plugin.version`)
    const wanted = versionValue?.value
    if (checkVersions && plugin && versionValue && typeof wanted === 'string') {
      const { error } = selectPlugin(ctx.plugins, plugin.className, [c.kind], wanted)
      if (error !== null) {
        classValue.errorMessages.push(error)
        versionValue.errorMessages.push(error)
      }
    }
  }
}

/** Apache's `validateConverterConfig`: only for a converter set in the connector config that validated cleanly. */
function validateConverterConfig(
  ctx: ValidationContext,
  props: Readonly<Record<string, string>>,
  classValue: ConfigValue | undefined,
  c: (typeof CONVERTER_KEYS)[number],
): ConfigInfos | null {
  const className = props[c.key]
  if (className === undefined || !classValue || classValue.errorMessages.length > 0) return null
  const plugin = selectPlugin(ctx.plugins, className, [c.kind], props[`${c.key}.plugin.version`]).plugin
  if (!plugin) return null
  let instance: { config(): ConfigDef | null; close?(): void }
  try {
    instance = plugin.create() as typeof instance
  } catch (e) {
    classValue.errorMessages.push(`Failed to load class ${className}: ${(e as Error).message}`)
    return null
  }
  try {
    let def: ConfigDef | null
    try {
      def = instance.config()
    } catch (e) {
      classValue.errorMessages.push(`Failed to load ConfigDef from ${c.what}: ${(e as Error).message}`)
      return null
    }
    if (!def) return null
    const prefix = `${c.key}.`
    const pluginConfig: Record<string, string> = {}
    for (const [k, v] of Object.entries(props)) if (k.startsWith(prefix)) pluginConfig[k.slice(prefix.length)] = v
    if (pluginConfig['converter.type'] === undefined) pluginConfig['converter.type'] = c.type
    let values: ConfigValue[]
    try {
      values = def.validate(pluginConfig)
    } catch (e) {
      classValue.errorMessages.push(`Failed to perform config validation for ${c.what}: ${(e as Error).message}`)
      return null
    }
    // Apache's ConfigDef.validate lists the values from a HashMap.
    return prefixedConfigInfos(
      def.configKeys(),
      javaStringKeyOrder(values, (v) => v.name),
      prefix,
    )
  } finally {
    try {
      instance.close?.()
    } catch {
      // closing a throwaway instance
    }
  }
}

const PRINCIPAL_ALLOWED = new Set(['sasl.jaas.config', 'sasl.mechanism', 'security.protocol'])

/** Client overrides under `prefix`, checked by `connector.client.config.override.policy` (All, None or Principal). */
function validateClientOverrides(
  ctx: ValidationContext,
  props: Readonly<Record<string, string>>,
  prefix: (typeof CLIENT_OVERRIDES)[number],
): ConfigInfos {
  const policy = (ctx.workerConfig.originals['connector.client.config.override.policy'] ?? 'All').trim()
  const values: ConfigValue[] = []
  let allAllowed = true
  for (const [k, v] of Object.entries(props)) {
    if (!k.startsWith(prefix)) continue
    const value: ConfigValue = { ...newConfigValue(k.slice(prefix.length)), value: v }
    const name = policy.slice(policy.lastIndexOf('.') + 1).replace(/ConnectorClientConfigOverridePolicy$/, '')
    const allowed = name === 'None' ? false : name === 'Principal' ? PRINCIPAL_ALLOWED.has(value.name) : true
    if (!allowed) {
      allAllowed = false
      value.errorMessages.push(
        `The '${name}' policy does not allow '${value.name}' to be overridden in the connector configuration.`,
      )
    }
    values.push(value)
  }
  // Values the policy allows must also be valid for the client, and honoured by Ferry (or refused, naming why).
  if (allAllowed && values.length > 0) {
    const kind = prefix.slice(0, prefix.indexOf('.')) as 'producer' | 'consumer' | 'admin'
    for (const problem of ctx.workerConfig.clients.validateOverrides(kind, props)) {
      const value = values.find((v) => `${prefix}${v.name}` === problem.key)
      if (value) value.errorMessages.push(problem.message)
      else values.push({ ...newConfigValue(problem.key.slice(prefix.length)), errorMessages: [problem.message] })
    }
  }
  return prefixedConfigInfos(
    new Map(),
    javaStringKeyOrder(values, (v) => v.name),
    prefix,
  )
}

/**
 * `GET /connector-plugins/{plugin}/config`: the plugin's keys; connectors also get the framework keys (the plugin's
 * win). Throws `NotFoundException` for an unknown plugin.
 */
export function connectorPluginConfig(ctx: ValidationContext, pluginName: string, version?: string): ConfigKeyInfo[] {
  const kinds: PluginKind[] = ['source', 'sink', 'converter', 'header_converter', 'transformation', 'predicate']
  const selected = selectPlugin(ctx.plugins, pluginName, kinds, version)
  if (selected.error !== null) throw new BadRequestException(selected.error)
  const plugin = selected.plugin
  if (!plugin) throw new NotFoundException(`Unknown plugin ${pluginName}.`)
  const instance = plugin.create() as { config(): ConfigDef }
  const keys = new Map<string, ConfigKey>(instance.config().configKeys())
  if (plugin.kind.includes('source') || plugin.kind.includes('sink')) {
    const options = definitionOptions(ctx, pluginVersion(plugin), versionsOf(ctx.plugins, plugin.className, kinds))
    const base = instance instanceof SinkConnector ? sinkConnectorConfigDef(options) : sourceConnectorConfigDef(options)
    for (const [name, key] of base.configKeys()) if (!keys.has(name)) keys.set(name, key)
  }
  return [...keys.values()].map((k) => convertConfigKey(k))
}
