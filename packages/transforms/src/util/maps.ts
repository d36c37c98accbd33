/**
 * Schemaless maps. Apache's schemaless values are `Map<String, Object>`; in Ferry a schemaless map is either a JS `Map`
 * (what the JsonConverter returns) or a plain object (what a Node user builds from JSON). Every transform accepts
 * both. A transform that rewrites a map returns the same representation it was given; a map made from nothing (the
 * HoistField wrapper, the ValueToKey key when the value is a `Map`) is a `Map`.
 */

/** A `Map` or a plain object. */
export type AnyMap = Map<unknown, unknown> | Record<string, unknown>

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

export function isAnyMap(value: unknown): value is AnyMap {
  return value instanceof Map || isPlainObject(value)
}

/** `map.get(key)`: undefined (absent) reads as null. */
export function mapGet(map: AnyMap, key: string): unknown {
  if (map instanceof Map) return map.get(key) ?? null
  return Object.hasOwn(map, key) ? (map[key] ?? null) : null
}

export function mapHas(map: AnyMap, key: string): boolean {
  return map instanceof Map ? map.has(key) : Object.hasOwn(map, key)
}

/** Sets a key (an own property for a plain object, even `__proto__`). */
export function mapSet(map: AnyMap, key: unknown, value: unknown): void {
  if (map instanceof Map) map.set(key, value)
  else {
    const k = String(key)
    if (k === '__proto__')
      Object.defineProperty(map, k, { value, enumerable: true, writable: true, configurable: true })
    else map[k] = value
  }
}

export function mapDelete(map: AnyMap, key: string): void {
  if (map instanceof Map) map.delete(key)
  else delete map[key]
}

export function mapEntries(map: AnyMap): Iterable<[unknown, unknown]> {
  return map instanceof Map ? map.entries() : Object.entries(map)
}

export function mapSize(map: AnyMap): number {
  return map instanceof Map ? map.size : Object.keys(map).length
}

/** An empty map of the same representation as `like`. */
export function emptyLike(like: AnyMap): AnyMap {
  return like instanceof Map ? new Map() : {}
}

/** A shallow copy with the same representation (Apache's `new HashMap<>(value)`). */
export function copyMap(map: AnyMap): AnyMap {
  if (map instanceof Map) return new Map(map)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(map)) mapSet(out, k, v)
  return out
}
