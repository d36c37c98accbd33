/** The plugin versions a status reports (KIP-891). */
import type { Connector } from '@ferry/api'
import { type PluginDescriptor, type PluginRegistry, pluginVersion } from '../plugins/registry.ts'
import { selectPlugin } from './connector-validation.ts'
import type { StateInfo, TaskState } from './herder.ts'

/**
 * The versions reported in status: the connector's (the one `connector.plugin.version` selects), and its task
 * class's; null when the class is unknown or no version matches.
 */
export function connectorVersions(
  plugins: PluginRegistry,
  config: Readonly<Record<string, string>>,
): { connector: string | null; task: string | null } {
  const { plugin } = selectPlugin(
    plugins,
    config['connector.class'],
    ['source', 'sink'],
    config['connector.plugin.version'],
  )
  if (!plugin) return { connector: null, task: null }
  return { connector: pluginVersion(plugin), task: taskVersion(plugin) }
}

export function withVersion(info: StateInfo, version: string | null): StateInfo {
  const out: StateInfo = { state: info.state, worker_id: info.worker_id, version }
  if (info.trace) out.trace = info.trace
  return out
}

export function taskWithVersion(task: TaskState, version: string | null): TaskState {
  return { id: task.id, ...withVersion(task, version) }
}

const TASK_VERSIONS = new WeakMap<PluginDescriptor, string | null>()

function taskVersion(plugin: PluginDescriptor): string | null {
  const cached = TASK_VERSIONS.get(plugin)
  if (cached !== undefined) return cached
  let version: string | null = null
  try {
    const taskClass = (plugin.create() as Connector).taskClass()
    version = String(new taskClass().version())
  } catch {
    version = pluginVersion(plugin)
  }
  TASK_VERSIONS.set(plugin, version)
  return version
}
