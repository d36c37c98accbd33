/**
 * Apache's `ConnectorOffsetBackingStore`: a source connector's offsets when it has a topic of its own
 * (`offsets.storage.topic`, distributed mode), over the connector's store (primary) and the worker's global store
 * (secondary).
 *
 * - Reads: the connector store's offset, else the worker store's (a connector moved to its own topic resumes from the
 *   offsets it committed in the global one).
 * - Writes: to the connector store, then, once that succeeded, the offsets that are not tombstones to the worker
 *   store, whose failure is only logged. A write holding tombstones first writes them to the worker store and fails if
 *   that fails (KAFKA-15018: a reset must not leave the global offset to be read back as the fallback).
 * - `partitions` is the union of both.
 *
 * The worker store is shared by every connector: this store neither starts nor stops it.
 */
import type { OffsetMap } from '@ferry/api'
import type { Logger } from '../logger.ts'
import { type OffsetBackingStore, offsetKey } from './offset-store.ts'

/** What the combined store needs of the connector's own store. */
export interface ConnectorStore extends OffsetBackingStore {
  /** Reads the topic to its end, so `get` sees every write made before the call. */
  refresh?(timeoutMs?: number): Promise<void>
}

export class ConnectorOffsetBackingStore implements OffsetBackingStore {
  readonly #worker: OffsetBackingStore
  readonly #connector: ConnectorStore
  readonly #log: Logger
  /** The connector's offsets topic (for log lines). */
  readonly topic: string

  constructor(worker: OffsetBackingStore, connector: ConnectorStore, topic: string, log: Logger) {
    this.#worker = worker
    this.#connector = connector
    this.topic = topic
    this.#log = log
  }

  /** The connector's own store (an exactly-once task writes its offsets there inside its transactions). */
  get connectorStore(): ConnectorStore {
    return this.#connector
  }

  /** The worker's global store. */
  get workerStore(): OffsetBackingStore {
    return this.#worker
  }

  /** Starts the connector's store; the worker's is already started. */
  async start(): Promise<void> {
    await this.#connector.start()
  }

  /** Stops the connector's store; the worker's stays, other connectors use it. */
  async stop(): Promise<void> {
    await this.#connector.stop()
  }

  get(connector: string, partition: OffsetMap): OffsetMap | null {
    return this.#connector.get(connector, partition) ?? this.#worker.get(connector, partition)
  }

  async set(connector: string, entries: Array<[OffsetMap, OffsetMap | null]>): Promise<void> {
    const tombstones = entries.filter(([, offset]) => offset === null)
    const regular = entries.filter(([, offset]) => offset !== null)
    if (tombstones.length > 0) await this.#worker.set(connector, tombstones)
    await this.#connector.set(connector, entries)
    await this.writeSecondary(connector, regular)
  }

  /**
   * The worker store's copy of offsets the connector store holds now (Apache does not wait for it: a failure is
   * logged, the connector store is the one that counts).
   */
  async writeSecondary(connector: string, entries: Array<[OffsetMap, OffsetMap | null]>): Promise<void> {
    if (entries.length === 0) return
    try {
      await this.#worker.set(connector, entries)
    } catch (e) {
      this.#log.warn({ err: e }, 'Failed to write offsets to secondary backing store')
    }
  }

  partitions(connector: string): OffsetMap[] {
    const seen = new Map<string, OffsetMap>()
    for (const p of [...this.#worker.partitions(connector), ...this.#connector.partitions(connector)]) {
      seen.set(offsetKey(connector, p), p)
    }
    return [...seen.values()]
  }

  /** Reads both stores to their end. */
  async refresh(timeoutMs?: number): Promise<void> {
    const worker = this.#worker as ConnectorStore
    await Promise.all([worker.refresh?.(timeoutMs), this.#connector.refresh?.(timeoutMs)])
  }
}
