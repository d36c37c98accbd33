import { plugins as filePlugins } from '@ferry/connector-file'
import { plugins as jdbcPlugins } from '@ferry/connector-jdbc'
import { BUILTIN_CONVERTERS } from '@ferry/converters'
import { BUILTIN_TRANSFORMS } from '@ferry/transforms'
import { type PluginDescriptor, PluginRegistry } from './registry.ts'

/** A registry holding every plugin that ships with Ferry. */
export function builtinRegistry(): PluginRegistry {
  return new PluginRegistry().register(
    ...(filePlugins as readonly PluginDescriptor[]),
    ...(jdbcPlugins as readonly PluginDescriptor[]),
    ...(BUILTIN_CONVERTERS as readonly PluginDescriptor[]),
    ...(BUILTIN_TRANSFORMS as readonly PluginDescriptor[]),
  )
}
