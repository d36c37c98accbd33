import { ConnectException } from '@ferry/api'

export type PluginKind = 'source' | 'sink' | 'converter' | 'header_converter' | 'transformation' | 'predicate'

/**
 * One plugin as a package declares it. `className` is the name configs use (Apache's FQCN for built-ins that
 * replace an Apache class); `aliases` add names beyond the automatic ones (the simple class name, and the simple
 * name without its `Connector`/`Converter` suffix, as Apache accepts).
 */
export interface PluginDescriptor<T = unknown> {
  className: string
  aliases?: readonly string[]
  kind: readonly PluginKind[]
  version?: string
  /**
   * Connectors: the Java task class written as `task.class` in task configs, so Apache workers sharing the topics can
   * load the tasks Ferry configured. Default: the task class's name in the connector class's package.
   */
  taskClassName?: string
  create(): T
}

const SUFFIXES = ['Connector', 'Converter', 'Transformation', 'Predicate']

/** Names a class can be referred to by, in Apache's alias rules. */
export function aliasesOf(className: string): string[] {
  const simple = className.slice(className.lastIndexOf('.') + 1)
  const names = [simple]
  for (const suffix of SUFFIXES) {
    if (simple.endsWith(suffix) && simple.length > suffix.length) names.push(simple.slice(0, -suffix.length))
  }
  return names
}

/**
 * The plugins a worker can run, looked up by class name or alias. Not global: each worker (and each test) builds
 * its own. An alias that two plugins of the same kind share is ambiguous and resolves to neither.
 */
export class PluginRegistry {
  readonly #byName = new Map<string, PluginDescriptor[]>()
  readonly #all: PluginDescriptor[] = []

  register(...descriptors: PluginDescriptor[]): this {
    for (const d of descriptors) {
      if (this.#all.some((p) => p.className === d.className)) {
        throw new ConnectException(`Plugin ${d.className} is registered twice`)
      }
      this.#all.push(d)
      const names = new Set([d.className, ...aliasesOf(d.className), ...(d.aliases ?? [])])
      for (const name of names) {
        const list = this.#byName.get(name) ?? []
        list.push(d)
        this.#byName.set(name, list)
      }
    }
    return this
  }

  /** Every plugin of the given kind, in registration order. */
  plugins(kind?: PluginKind): PluginDescriptor[] {
    return kind ? this.#all.filter((p) => p.kind.includes(kind)) : [...this.#all]
  }

  /** The plugin a config names, or null. Exact class names win over aliases. */
  find(name: string, kinds: readonly PluginKind[]): PluginDescriptor | null {
    const candidates = (this.#byName.get(name) ?? []).filter((p) => p.kind.some((k) => kinds.includes(k)))
    const exact = candidates.find((p) => p.className === name)
    if (exact) return exact
    return candidates.length === 1 ? candidates[0]! : null
  }

  /** Like `find`, but throws a message naming the class and listing what is available. */
  resolve(name: string, kinds: readonly PluginKind[], what: string): PluginDescriptor {
    const found = this.find(name, kinds)
    if (found) return found
    const candidates = (this.#byName.get(name) ?? []).filter((p) => p.kind.some((k) => kinds.includes(k)))
    if (candidates.length > 1) {
      throw new ConnectException(
        `More than one ${what} matches '${name}': ${candidates.map((c) => c.className).join(', ')}. Use the full class name.`,
      )
    }
    const known = this.plugins()
      .filter((p) => p.kind.some((k) => kinds.includes(k)))
      .map((p) => p.className)
    throw new ConnectException(
      `Failed to find any class that implements ${what} and which name matches ${name}, available ${what}s are: ${known.join(', ')}`,
    )
  }
}
