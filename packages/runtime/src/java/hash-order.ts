/**
 * Java's `String.hashCode()` and the iteration order of its `HashMap`/`HashSet` (JDK 17), for the places where Apache
 * shows or writes something in that order and Ferry must match it byte for byte: the distributed assignors and the
 * Connect protocol's assignments, `config/validate` values Apache lists from a HashMap, the cleanup policies Apache
 * names in an error, the standalone offsets file's HashMap header. The one implementation in Ferry.
 *
 * A `HashMap` that only grows iterates its buckets in index order, and each bucket in insertion order (a resize splits
 * a bucket without reordering it). So the order is a stable sort of the insertion order by bucket index, where the
 * index is the spread hash `h ^ (h >>> 16)` masked by the final table size. Not modelled: bins of more than 8 colliding
 * keys (Java turns them into trees), which needs deliberately colliding names.
 */

/** Java's `String.hashCode()`: over UTF-16 code units, with int32 overflow. */
export function javaStringHash(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0
  return h
}

/** The table size of a `new HashMap<>()` (or `HashSet`, `Collectors.toSet/toMap`) after `n` distinct puts. */
export function grownCapacity(n: number): number {
  let capacity = 16
  while (n > capacity * 0.75) capacity *= 2
  return capacity
}

/** The table size of JDK 17's `new HashSet<>(collection)` holding `n` distinct elements. */
export function copyCapacity(n: number): number {
  const wanted = Math.max(Math.trunc(Math.fround(n / 0.75)) + 1, 16)
  let capacity = 1
  while (capacity < wanted) capacity *= 2
  return capacity
}

/**
 * `items` (distinct, in insertion order) in the order a Java hash table of `capacity` buckets iterates them.
 * `capacity` defaults to that of a table grown by inserting them one by one.
 */
export function javaHashOrder<T>(items: readonly T[], hash: (item: T) => number, capacity?: number): T[] {
  const mask = (capacity ?? grownCapacity(items.length)) - 1
  return items
    .map((item, i) => {
      const h = hash(item)
      return { item, i, bucket: (h ^ (h >>> 16)) & mask }
    })
    .sort((a, b) => a.bucket - b.bucket || a.i - b.i)
    .map((e) => e.item)
}

/** Strings in Java hash order (`new HashSet<>()`/`HashMap` keys filled one by one, or with an explicit capacity). */
export function javaStringOrder(items: readonly string[], capacity?: number): string[] {
  return javaHashOrder(items, javaStringHash, capacity)
}

/** The values of a `HashMap<String, ?>` filled one by one, in its iteration order; `key` gives each value's key. */
export function javaStringKeyOrder<T>(items: readonly T[], key: (item: T) => string, capacity?: number): T[] {
  return javaHashOrder(items, (item) => javaStringHash(key(item)), capacity)
}
