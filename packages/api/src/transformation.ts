import type { ConfigDef } from './config/config-def.ts'
import type { ConnectRecord } from './record.ts'

/**
 * A single-message transform (Apache's `Transformation`). `apply` returns the new record, or null to drop it;
 * it must not mutate its input. Called for every record on the task's hot path, so it is synchronous.
 */
export interface Transformation<R extends ConnectRecord = ConnectRecord> {
  configure(configs: Record<string, unknown>): void
  apply(record: R): R | null
  config(): ConfigDef
  close(): void
}

/** A condition that decides whether a transform applies to a record (Apache's `Predicate`). */
export interface Predicate<R extends ConnectRecord = ConnectRecord> {
  configure(configs: Record<string, unknown>): void
  test(record: R): boolean
  config(): ConfigDef
  close(): void
}
