/** A bounded map that evicts the least recently used entry (Apache's `LRUCache`, a LinkedHashMap in access order). */
export class LruCache<K, V> {
  readonly maxSize: number
  readonly #map = new Map<K, V>()

  constructor(maxSize: number) {
    this.maxSize = maxSize
  }

  get(key: K): V | undefined {
    const map = this.#map
    const value = map.get(key)
    if (value !== undefined && map.size > 1) {
      map.delete(key)
      map.set(key, value)
    }
    return value
  }

  put(key: K, value: V): void {
    const map = this.#map
    map.delete(key)
    map.set(key, value)
    while (map.size > this.maxSize) map.delete(map.keys().next().value as K)
  }

  delete(key: K): void {
    this.#map.delete(key)
  }

  get size(): number {
    return this.#map.size
  }
}
