/**
 * Which offset store a source connector and its tasks use (Apache's `Worker.offsetStoreFor*`):
 *
 * - standalone mode: the worker's store (Apache's standalone worker does not permit connector offsets topics;
 *   `offsets.storage.topic` has no effect there, as its documentation says);
 * - a connector with `offsets.storage.topic` naming a topic other than the worker's `offset.storage.topic`: a
 *   `ConnectorOffsetBackingStore` over a store of that topic (created if missing, with the worker's
 *   `offset.storage.partitions` and replication factor, read `read_committed` as Apache's connector offsets
 *   consumers are) and the worker's store;
 * - otherwise, exactly-once or not, the worker's store (the same topic: Apache also uses a single store then, and the
 *   worker's is read `read_committed` when exactly-once source support is enabled).
 *
 * A connector store is shared by the connector and its tasks on this worker, started by the first that needs it and
 * stopped when the last lets it go.
 */
import type { WorkerConfig } from '../config/worker-config.ts'
import type { Logger } from '../logger.ts'
import { ConnectorOffsetBackingStore } from '../storage/connector-offset-store.ts'
import { KafkaOffsetBackingStore } from '../storage/kafka-offset-store.ts'
import type { OffsetBackingStore } from '../storage/offset-store.ts'

/** An offset store in use; `release()` once the connector or task is done with it. */
export interface OffsetStoreLease {
  store: OffsetBackingStore
  /** The topic the connector's offsets are written to (its own, else the worker's; null in standalone mode). */
  topic: string | null
  release(): Promise<void>
}

/** Makes a connector's own store for a topic (tests give a fake). */
export type ConnectorStoreFactory = (topic: string) => OffsetBackingStore

interface Shared {
  store: ConnectorOffsetBackingStore
  started: Promise<void>
  users: number
}

/** The connector's `offsets.storage.topic`, trimmed; null when unset or blank. */
export function connectorOffsetsTopic(config: Readonly<Record<string, string>>): string | null {
  const topic = config['offsets.storage.topic']?.trim()
  return topic ? topic : null
}

export class ConnectorOffsetStores {
  readonly #worker: OffsetBackingStore
  readonly #config: WorkerConfig
  readonly #log: Logger
  readonly #factory: ConnectorStoreFactory
  readonly #shared = new Map<string, Shared>()

  constructor(worker: OffsetBackingStore, config: WorkerConfig, log: Logger, factory?: ConnectorStoreFactory) {
    this.#worker = worker
    this.#config = config
    this.#log = log
    this.#factory = factory ?? ((topic) => this.#kafkaStore(topic))
  }

  /** The store for a source connector's offsets, started. */
  async acquire(connectorConfig: Readonly<Record<string, string>>): Promise<OffsetStoreLease> {
    const settings = this.#config.distributed
    const own = connectorOffsetsTopic(connectorConfig)
    if (settings === null) return { store: this.#worker, topic: null, release: async () => {} }
    if (own === null || own === settings.offsetTopic) {
      return { store: this.#worker, topic: settings.offsetTopic, release: async () => {} }
    }
    let shared = this.#shared.get(own)
    const reused = shared !== undefined
    if (!shared) {
      const store = new ConnectorOffsetBackingStore(this.#worker, this.#factory(own), own, this.#log)
      shared = { store, started: store.start(), users: 0 }
      this.#shared.set(own, shared)
      shared.started.catch(() => {
        if (this.#shared.get(own) === shared) this.#shared.delete(own)
      })
    }
    shared.users++
    const entry = shared
    try {
      await entry.started
      // Already open for the connector or another task: read what other workers wrote since (a task taken over
      // resumes from the last commit, as Apache's get(), which reads to the end, makes it).
      if (reused) await entry.store.refresh()
    } catch (e) {
      entry.users--
      throw e
    }
    let released = false
    return {
      store: entry.store,
      topic: own,
      release: async () => {
        if (released) return
        released = true
        if (--entry.users > 0) return
        if (this.#shared.get(own) === entry) this.#shared.delete(own)
        await entry.store.stop().catch((e) => this.#log.warn({ err: e }, `Error stopping the offsets store of ${own}`))
      },
    }
  }

  #kafkaStore(topic: string): KafkaOffsetBackingStore {
    const settings = this.#config.distributed!
    const base = this.#config.clients.internal(`${settings.groupId}-offsets-${topic}`)
    return new KafkaOffsetBackingStore({
      ...base,
      topic,
      partitions: settings.offsetPartitions,
      replicationFactor: settings.offsetReplicationFactor,
      readCommitted: true,
      topicConfigKey: 'offsets.storage.topic',
      logger: this.#log,
    })
  }
}
