import { plugins as filePlugins } from '@ferry/connector-file'
import { plugins as jdbcPlugins } from '@ferry/connector-jdbc'
import { BUILTIN_CONVERTERS } from '@ferry/converters'
import { BUILTIN_TRANSFORMS } from '@ferry/transforms'
import pkg from '../../package.json' with { type: 'json' }
import { type PluginDescriptor, PluginRegistry } from './registry.ts'

/** A registry holding every plugin that ships with Ferry; a built-in without its own version reports Ferry's. */
export function builtinRegistry(): PluginRegistry {
  const builtins = [
    ...(filePlugins as readonly PluginDescriptor[]),
    ...(jdbcPlugins as readonly PluginDescriptor[]),
    ...(BUILTIN_CONVERTERS as readonly PluginDescriptor[]),
    ...(BUILTIN_TRANSFORMS as readonly PluginDescriptor[]),
  ]
  return new PluginRegistry().register(...builtins.map((p) => ({ ...p, version: p.version ?? pkg.version })))
}
