/**
 * The plugin instances a task runs with, made from configs as Apache's Worker makes them: the key, value and header
 * converters (`key.converter` ... from the connector config, else the worker config), and the `transforms` chain with
 * its predicates, each in the version its `*.plugin.version` key selects. The worker and `@ferry/testing`'s in-process
 * task runners both build them here.
 */
import {
  ConnectException,
  type ConnectRecord,
  type Converter,
  type HeaderConverter,
  type Predicate,
  type Transformation,
} from '@ferry/api'
import { withPrefix } from '../config/worker-config.ts'
import type { PluginDescriptor, PluginKind, PluginRegistry } from '../plugins/registry.ts'
import { type VersionRange, versionRequirement } from '../plugins/version-range.ts'
import { TransformationChain, type TransformationStage } from './transformation-chain.ts'

/** A task's configured converters. */
export interface Converters {
  key: Converter
  value: Converter
  header: HeaderConverter
  /** The configured class names, as error reports name them. */
  classes: { key: string; value: string; header: string }
}

/** The plugin a class key names, in the version (KIP-891 range) its `*.plugin.version` key asks for, else the newest. */
export function resolvePlugin(
  registry: PluginRegistry,
  className: string,
  kinds: readonly PluginKind[],
  what: string,
  classKey: string,
  version: string | null | undefined,
): PluginDescriptor {
  let range: VersionRange | null
  try {
    range = versionRequirement(version)
  } catch {
    throw new ConnectException(`Invalid version range for ${classKey}: ${version}`)
  }
  return registry.resolve(className, kinds, what, range)
}

/**
 * The converters of a task, configured: each `*.converter` key of the connector config (with its `*.converter.*`
 * keys) wins over the worker's; the header converter defaults to `defaultHeaderConverter`.
 */
export function createConverters(
  registry: PluginRegistry,
  worker: Readonly<Record<string, string>>,
  config: Readonly<Record<string, string>>,
  defaultHeaderConverter: string,
): Converters {
  const make = <T>(
    key: string,
    kind: 'converter' | 'header_converter',
    what: string,
  ): { instance: T; props: Record<string, string>; className: string } => {
    const fromConnector = config[key]
    const className = fromConnector ?? worker[key] ?? (kind === 'header_converter' ? defaultHeaderConverter : '')
    const versionKey = `${key}.plugin.version`
    const version = fromConnector ? config[versionKey] : worker[versionKey]
    const plugin = resolvePlugin(registry, className, [kind], what, key, version)
    const props = withPrefix(fromConnector ? config : worker, `${key}.`)
    return { instance: plugin.create() as T, props, className: plugin.className }
  }
  const k = make<Converter>('key.converter', 'converter', 'Converter')
  k.instance.configure(k.props, true)
  const v = make<Converter>('value.converter', 'converter', 'Converter')
  v.instance.configure(v.props, false)
  const h = make<HeaderConverter>('header.converter', 'header_converter', 'HeaderConverter')
  h.instance.configure(h.props)
  return {
    key: k.instance,
    value: v.instance,
    header: h.instance,
    classes: { key: k.className, value: v.className, header: h.className },
  }
}

/** The `transforms` chain of a connector config: `transforms.<alias>.type` plus its keys, and an optional predicate. */
export function createTransformationChain<R extends ConnectRecord>(
  registry: PluginRegistry,
  config: Readonly<Record<string, string>>,
): TransformationChain<R> {
  const aliases = (config.transforms ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean)
  const stages: TransformationStage<R>[] = []
  for (const alias of aliases) {
    const prefix = `transforms.${alias}.`
    const props = withPrefix(config, prefix)
    const plugin = resolvePlugin(
      registry,
      props.type ?? '',
      ['transformation'],
      'Transformation',
      `${prefix}type`,
      props['plugin.version'],
    )
    const transformation = plugin.create() as Transformation<R>
    transformation.configure(props)
    let predicate: Predicate<R> | null = null
    if (props.predicate) {
      const pprops = withPrefix(config, `predicates.${props.predicate}.`)
      const pplugin = resolvePlugin(
        registry,
        pprops.type ?? '',
        ['predicate'],
        'Predicate',
        `predicates.${props.predicate}.type`,
        pprops['plugin.version'],
      )
      predicate = pplugin.create() as Predicate<R>
      predicate.configure(pprops)
    }
    stages.push({ alias, transformation, predicate, negate: props.negate === 'true', className: plugin.className })
  }
  return new TransformationChain<R>(stages)
}
