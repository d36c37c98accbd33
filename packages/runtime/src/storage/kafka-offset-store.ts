/**
 * Apache's `KafkaOffsetBackingStore`: source connector offsets in the offsets topic (`offset.storage.topic`,
 * compacted, `offset.storage.partitions` partitions). Key: the JSON of `[connector, partition]`; value: the offset
 * map as JSON; null = the partition's offset removed. Both are written as Apache's worker writes them (its internal
 * schemaless JsonConverter), so records land on the same partitions and compact with Apache's.
 *
 * Apache keeps offsets by raw key bytes; Ferry indexes them by the parsed `[connector, partition]` (keys sorted), so
 * offsets written by Apache (whose partition maps are in Java `HashMap` order) are found too. A record whose key is
 * not a two-element `[string, object]` array is ignored, as in Apache.
 */
import type { OffsetMap } from '@ferry/api'
import { type ConnectionSettings, KafkaBasedLog, type LogRecord } from '../kafka/based-log.ts'
import type { Logger } from '../logger.ts'
import { silentLogger } from '../logger.ts'
import { offsetRecordKey, offsetRecordValue, readOffsetRecord } from './offset-records.ts'
import { type OffsetBackingStore, offsetKey } from './offset-store.ts'

export interface KafkaOffsetBackingStoreOptions extends ConnectionSettings {
  /** `offset.storage.topic`. */
  topic: string
  /** `offset.storage.partitions` (-1: broker default). */
  partitions?: number
  /** `offset.storage.replication.factor` (-1: broker default). */
  replicationFactor?: number
  topicConfigs?: Record<string, string>
  /** Milliseconds `set` waits for the broker's acknowledgement (default 30000). */
  writeTimeoutMs?: number
  /**
   * Reads only committed records (`isolation.level=read_committed`): with exactly-once source support, offsets are
   * written in the tasks' transactions, and an aborted transaction's offsets must not be read back.
   */
  readCommitted?: boolean
  /** The config key that names the topic, for error messages (default the worker's `offset.storage.topic`). */
  topicConfigKey?: string
  logger?: Logger
}

export { offsetRecordKey, offsetRecordValue } from './offset-records.ts'

export class KafkaOffsetBackingStore implements OffsetBackingStore {
  readonly #log: KafkaBasedLog
  readonly #logger: Logger
  readonly #writeTimeoutMs: number
  readonly #data = new Map<string, { connector: string; partition: OffsetMap; offset: OffsetMap }>()
  /** Where this store's own latest write of a key landed, until the reader gets there. */
  readonly #pending = new Map<string, { partition: number; offset: number }>()

  constructor(options: KafkaOffsetBackingStoreOptions) {
    this.#logger = options.logger ?? silentLogger()
    this.#writeTimeoutMs = options.writeTimeoutMs ?? 30000
    this.#log = new KafkaBasedLog({
      ...options,
      onRecord: (r) => this.#onRecord(r),
      topicSpec: {
        name: options.topic,
        partitions: options.partitions ?? 25,
        replicationFactor: options.replicationFactor ?? -1,
        configs: options.topicConfigs,
        workerConfigKey: options.topicConfigKey ?? 'offset.storage.topic',
        purpose: 'source connector offsets',
      },
      logger: this.#logger,
    })
  }

  async start(): Promise<void> {
    this.#logger.info('Starting KafkaOffsetBackingStore')
    await this.#log.start()
    this.#logger.info('Finished reading offsets topic and starting KafkaOffsetBackingStore')
  }

  async stop(): Promise<void> {
    this.#logger.info('Stopping KafkaOffsetBackingStore')
    await this.#log.stop()
    this.#logger.info('Stopped KafkaOffsetBackingStore')
  }

  /** The last offset read for the partition (the background reader keeps up with other writers). */
  get(connector: string, partition: OffsetMap): OffsetMap | null {
    return this.#data.get(offsetKey(connector, partition))?.offset ?? null
  }

  /** Reads the topic to its end, so `get` sees everything written before the call (Apache's `get` does this). */
  async refresh(timeoutMs = 30000): Promise<void> {
    await this.#log.readToEnd(timeoutMs)
  }

  /** Writes the offsets in one request; resolves once acknowledged by all in-sync replicas. */
  async set(connector: string, entries: Array<[OffsetMap, OffsetMap | null]>): Promise<void> {
    if (entries.length === 0) return
    const records = entries.map(([partition, offset]) => ({
      key: offsetRecordKey(connector, partition),
      value: offsetRecordValue(offset),
    }))
    let timer: NodeJS.Timeout | undefined
    let written: Array<{ partition: number; offset: number }>
    try {
      written = await Promise.race([
        this.#log.send(records),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`Timed out writing offsets to ${this.#log.topic}`)),
            this.#writeTimeoutMs,
          )
        }),
      ])
    } finally {
      clearTimeout(timer)
    }
    // Visible to `get` at once, as a file store's would be. Until the reader reaches these records, older records of
    // the same partitions that it still reads must not overwrite them.
    entries.forEach(([partition, offset], i) => {
      const k = offsetKey(connector, partition)
      const w = written[i]
      if (w && w.offset >= 0) this.#pending.set(k, w)
      this.#apply(k, connector, partition, offset)
    })
  }

  partitions(connector: string): OffsetMap[] {
    return [...this.#data.values()].filter((e) => e.connector === connector).map((e) => e.partition)
  }

  #onRecord(record: LogRecord): void {
    const read = readOffsetRecord(record.key, record.value, this.#logger)
    if (read === null) return
    const { connector, partition, offset } = read
    const k = offsetKey(connector, partition)
    const pending = this.#pending.get(k)
    if (pending) {
      if (pending.partition === record.partition && record.offset < pending.offset) return
      if (pending.partition === record.partition) this.#pending.delete(k)
    }
    this.#apply(k, connector, partition, offset)
  }

  #apply(k: string, connector: string, partition: OffsetMap, offset: OffsetMap | null): void {
    if (offset === null) this.#data.delete(k)
    else this.#data.set(k, { connector, partition, offset })
  }
}
