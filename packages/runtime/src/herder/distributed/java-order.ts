/**
 * Java behaviour of Connect's own classes that Ferry's assignors and encoders reproduce (`ConnectorTaskId`'s hash and
 * order, `LinkedHashSet`s of names and ids), on top of java/hash-order.ts, so that they visit workers, connectors and
 * tasks in the same order as Apache's and produce the same assignments and the same bytes.
 */
import { javaHashOrder, javaStringHash } from '../../java/hash-order.ts'
import type { ConnectorTaskId } from '../../worker/worker-task.ts'

/** Apache's `ConnectorTaskId.hashCode()`. */
export function javaTaskHash(id: ConnectorTaskId): number {
  return (Math.imul(javaStringHash(id.connector), 31) + id.task) | 0
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
