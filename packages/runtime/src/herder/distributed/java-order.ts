/**
 * The iteration order of Java's `HashMap`/`HashSet` (JDK 17), so that Ferry's assignors and encoders visit workers,
 * connectors and tasks in the same order as Apache's and produce the same assignments and the same bytes.
 *
 * A `HashMap` that only grows iterates its buckets in index order, and each bucket in insertion order (a resize splits
 * a bucket without reordering it). So the order is a stable sort of the insertion order by bucket index, where the
 * index is the spread hash `h ^ (h >>> 16)` masked by the final table size. Not modelled: bins of more than 8 colliding
 * keys (Java turns them into trees), which needs deliberately colliding names.
 */
import type { ConnectorTaskId } from '../../worker/worker-task.ts'

/** Java's `String.hashCode()`: over UTF-16 code units, with int32 overflow. */
export function javaStringHash(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0
  return h
}

/** Apache's `ConnectorTaskId.hashCode()`. */
export function javaTaskHash(id: ConnectorTaskId): number {
  return (Math.imul(javaStringHash(id.connector), 31) + id.task) | 0
}

/** The table size of a `new HashMap<>()` (or `HashSet`, `Collectors.toSet/toMap`) after `n` distinct puts. */
export function grownCapacity(n: number): number {
  let cap = 16
  while (n > cap * 0.75) cap *= 2
  return cap
}

/** The table size of JDK 17's `new HashSet<>(collection)` holding `n` distinct elements. */
export function copyCapacity(n: number): number {
  return tableSizeFor(Math.max(Math.trunc(Math.fround(n / 0.75)) + 1, 16))
}

function tableSizeFor(c: number): number {
  let n = 1
  while (n < c) n *= 2
  return n
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

/** Task ids in Java hash order. */
export function javaTaskOrder(items: readonly ConnectorTaskId[], capacity?: number): ConnectorTaskId[] {
  return javaHashOrder(items, javaTaskHash, capacity)
}

/** Distinct strings in first-seen order (a `LinkedHashSet`). */
export function distinct(items: Iterable<string>): string[] {
  return [...new Set(items)]
}

/** Distinct task ids in first-seen order. */
export function distinctTasks(items: Iterable<ConnectorTaskId>): ConnectorTaskId[] {
  const seen = new Map<string, ConnectorTaskId>()
  for (const t of items) {
    const k = taskKey(t)
    if (!seen.has(k)) seen.set(k, t)
  }
  return [...seen.values()]
}

/** A string that identifies a task id, for sets and maps. */
export function taskKey(id: ConnectorTaskId): string {
  return `${id.task}\u0000${id.connector}`
}

/** Java's `String.compareTo` (UTF-16 code units), which is also JavaScript's `<` on strings. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Apache's `ConnectorTaskId.compareTo`: by connector, then task. */
export function compareTasks(a: ConnectorTaskId, b: ConnectorTaskId): number {
  return compareStrings(a.connector, b.connector) || a.task - b.task
}
