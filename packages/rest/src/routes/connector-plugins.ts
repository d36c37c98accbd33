import { compareVersions, type PluginKind, pluginVersion } from '@ferry/runtime'
import { params, query, type RestContext, type RouteSpec, withTimeout } from '../context.ts'
import { queryBoolean, stringMap } from '../entities.ts'
import { badRequest, ConnectRestException, isBadRequest } from '../errors.ts'

/** Apache's PluginInfo: `version` is left out when the plugin has none. */
export interface PluginInfo {
  class: string
  type: PluginKind
  version?: string
}

/** Apache lists sinks, sources, transformations, predicates, converters, header converters; each by class name. */
const KIND_ORDER: readonly PluginKind[] = [
  'sink',
  'source',
  'transformation',
  'predicate',
  'converter',
  'header_converter',
]

/** Every plugin the registry holds (or only connectors), in Apache's order. */
export function pluginInfos(ctx: RestContext, connectorsOnly: boolean): PluginInfo[] {
  const out: PluginInfo[] = []
  for (const kind of KIND_ORDER) {
    if (connectorsOnly && kind !== 'sink' && kind !== 'source') continue
    // Apache's PluginDesc order: by class name, then each version, oldest first (KIP-891 lists every version).
    const plugins = [...ctx.plugins.plugins(kind)].sort((a, b) =>
      a.className < b.className
        ? -1
        : a.className > b.className
          ? 1
          : compareVersions(pluginVersion(a) ?? '', pluginVersion(b) ?? ''),
    )
    for (const plugin of plugins) {
      const info: PluginInfo = { class: plugin.className, type: kind }
      const version = pluginVersion(plugin)
      if (version !== null && version !== 'undefined') info.version = version
      out.push(info)
    }
  }
  return out
}

/** Apache's `normalizedPluginName`: the name without a `Connector` suffix. */
function normalizedPluginName(name: string): string {
  return name.endsWith('Connector') && name.length > 'Connector'.length ? name.slice(0, -'Connector'.length) : name
}

/** `/connector-plugins/*`: what plugins exist, their config keys, and config validation. */
export function connectorPluginRoutes(ctx: RestContext): RouteSpec[] {
  return [
    {
      method: 'GET',
      url: '/connector-plugins',
      summary:
        'Connector plugins `[{"class","type","version"}]`, each installed version on its own (KIP-891); `?connectorsOnly=false` adds transforms, predicates and converters',
      handler: async (request) => pluginInfos(ctx, queryBoolean(query(request).connectorsOnly, true)),
    },
    {
      method: 'GET',
      url: '/connector-plugins/:plugin/config',
      summary:
        "A plugin's config keys `[ConfigKeyInfo]` (connectors also get the framework keys); `?version=` a version or Maven range (400 when none matches)",
      handler: async (request) => {
        const version = query(request).version
        return ctx.herder.connectorPluginConfig(
          params(request).plugin ?? '',
          Array.isArray(version) ? version[0] : version,
        )
      },
    },
    {
      method: 'PUT',
      url: '/connector-plugins/:plugin/config/validate',
      entity: true,
      summary: "Validate a connector config: ConfigInfos with every key's definition, value and errors",
      handler: async (request) => {
        const plugin = params(request).plugin ?? ''
        const config = stringMap(request.body)
        const included = config['connector.class']
        if (
          included !== undefined &&
          included !== null &&
          !normalizedPluginName(included).endsWith(normalizedPluginName(plugin))
        ) {
          throw badRequest(`Included connector type ${included} does not match request type ${plugin}`)
        }
        try {
          return await withTimeout(ctx.herder.validateConnectorConfig(config), ctx.requestTimeoutMs)
        } catch (e) {
          // Apache runs validation on another thread and shows its failures wrapped, as 500s.
          if (isBadRequest(e)) {
            throw new ConnectRestException(
              500,
              `org.apache.kafka.connect.runtime.rest.errors.BadRequestException: ${(e as Error).message}`,
            )
          }
          throw e
        }
      },
    },
  ]
}
