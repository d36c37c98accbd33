import { open, readFile, rename } from 'node:fs/promises'
import type { OffsetMap, OffsetStorageReader } from '@ferry/api'
import { type Logger, silentLogger } from '../logger.ts'
import { isJavaSerialized, readSerializedByteArrayMap, writeSerializedByteArrayMap } from './java-serialized-map.ts'
import { type OffsetRecord, offsetRecordKey, offsetRecordValue, readOffsetRecord } from './offset-records.ts'

/**
 * Where source offsets live: by connector and source partition. `set` resolves once the offsets are durable.
 * A null offset removes the partition.
 */
export interface OffsetBackingStore {
  start(): Promise<void>
  get(connector: string, partition: OffsetMap): OffsetMap | null
  set(connector: string, entries: Array<[OffsetMap, OffsetMap | null]>): Promise<void>
  /** Every partition of the connector with a stored offset. */
  partitions(connector: string): OffsetMap[]
  stop(): Promise<void>
}

/**
 * The stored key of a partition: JSON of `[connector, partition]` with the partition's keys sorted, so lookups
 * match whatever order a writer used (Apache's own key is this array in Jackson's compact form).
 */
export function offsetKey(connector: string, partition: OffsetMap): string {
  return JSON.stringify([connector, sortKeys(partition)], bigintReplacer)
}

function sortKeys(map: OffsetMap): OffsetMap {
  const out: OffsetMap = {}
  for (const k of Object.keys(map).sort()) out[k] = map[k] ?? null
  return out
}

function bigintReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? Number(v) : v
}

/** Keeps offsets in memory only (tests, and workers that need no persistence). */
export class MemoryOffsetBackingStore implements OffsetBackingStore {
  protected readonly data = new Map<string, { connector: string; partition: OffsetMap; offset: OffsetMap }>()

  async start(): Promise<void> {}

  get(connector: string, partition: OffsetMap): OffsetMap | null {
    return this.data.get(offsetKey(connector, partition))?.offset ?? null
  }

  async set(connector: string, entries: Array<[OffsetMap, OffsetMap | null]>): Promise<void> {
    for (const [partition, offset] of entries) {
      const key = offsetKey(connector, partition)
      if (offset === null) this.data.delete(key)
      else this.data.set(key, { connector, partition, offset })
    }
  }

  partitions(connector: string): OffsetMap[] {
    return [...this.data.values()].filter((e) => e.connector === connector).map((e) => e.partition)
  }

  async stop(): Promise<void> {}
}

/**
 * Standalone mode's store: `offset.storage.file.filename` in Apache's format, a Java-serialised
 * `HashMap<byte[], byte[]>` of the offsets topic's keys and values (java-serialized-map.ts), so a worker can move
 * from Apache to Ferry and back on the same file. Replaced atomically (write a temporary file, fsync, rename) on
 * every flush. A key read from the file keeps its bytes (Apache finds an offset by its key's exact bytes, and a
 * partition's keys are in Java `HashMap` order there). Ferry's earlier JSON file
 * (`{"version":1,"offsets":[{"key":[connector, partition],"value":offset}]}`) is read too, and rewritten in Apache's
 * format at the first flush. An empty file is an empty store, as in Apache; anything else fails the start, naming
 * the file.
 */
export class FileOffsetBackingStore extends MemoryOffsetBackingStore {
  readonly #path: string
  readonly #logger: Logger
  /** The stored key bytes of partitions read from the file, by `offsetKey`. */
  readonly #keys = new Map<string, Buffer>()
  #writing: Promise<void> = Promise.resolve()

  constructor(path: string, logger: Logger = silentLogger()) {
    super()
    this.#path = path
    this.#logger = logger
  }

  override async start(): Promise<void> {
    let bytes: Buffer
    try {
      bytes = await readFile(this.#path)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return
      throw new Error(`Cannot read offset.storage.file.filename ${this.#path}: ${(e as Error).message}`)
    }
    for (const record of readOffsetsFile(bytes, this.#path, this.#logger)) {
      const k = offsetKey(record.connector, record.partition)
      if (record.key) this.#keys.set(k, record.key)
      if (record.offset === null) this.data.delete(k)
      else this.data.set(k, { connector: record.connector, partition: record.partition, offset: record.offset })
    }
  }

  override async set(connector: string, entries: Array<[OffsetMap, OffsetMap | null]>): Promise<void> {
    await super.set(connector, entries)
    // Writes are serialised; each one writes the whole current map.
    const write = this.#writing.then(() => this.#save())
    this.#writing = write.catch(() => {})
    await write
  }

  async #save(): Promise<void> {
    const entries: Array<[Buffer, Buffer | null]> = [...this.data].map(([k, e]) => [
      this.#keys.get(k) ?? offsetRecordKey(e.connector, e.partition),
      offsetRecordValue(e.offset),
    ])
    const tmp = `${this.#path}.tmp`
    const file = await open(tmp, 'w')
    try {
      await file.writeFile(writeSerializedByteArrayMap(entries))
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(tmp, this.#path)
  }
}

/**
 * The offsets in a standalone offsets file's bytes (Apache's Java-serialised map, or Ferry's earlier JSON), in file
 * order; `key` holds the stored key bytes of Apache's format. Entries that are not offsets are logged and skipped, as
 * Apache skips them; a file in neither format is an error naming `path`.
 */
export function readOffsetsFile(
  bytes: Buffer,
  path: string,
  logger: Logger = silentLogger(),
): Array<OffsetRecord & { key?: Buffer }> {
  if (bytes.length === 0) return []
  if (isJavaSerialized(bytes)) {
    let entries: Array<[Buffer | null, Buffer | null]>
    try {
      entries = readSerializedByteArrayMap(bytes)
    } catch (e) {
      throw new Error(
        `offset.storage.file.filename ${path} is not an offsets file Apache Connect or Ferry wrote: ${(e as Error).message}`,
      )
    }
    const out: Array<OffsetRecord & { key?: Buffer }> = []
    for (const [key, value] of entries) {
      const record = readOffsetRecord(key, value, logger)
      if (record !== null) out.push({ ...record, key: key! })
    }
    return out
  }
  let parsed: { offsets?: Array<{ key: [string, OffsetMap]; value: OffsetMap }> }
  try {
    parsed = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new Error(
      `offset.storage.file.filename ${path} is not an offsets file Apache Connect or Ferry wrote (neither a Java-serialised map nor Ferry's JSON)`,
    )
  }
  const out: OffsetRecord[] = []
  for (const entry of parsed.offsets ?? []) {
    const [connector, partition] = entry.key
    if (typeof connector !== 'string' || partition === null || typeof partition !== 'object') continue
    out.push({ connector, partition, offset: entry.value })
  }
  return out
}

/** The reader a connector's tasks get: lookups by value in the store, scoped to one connector. */
export function offsetReader(store: OffsetBackingStore, connector: string): OffsetStorageReader {
  return {
    offset: (partition) => store.get(connector, partition),
    offsets: (partitions) => new Map(partitions.map((p) => [p, store.get(connector, p)])),
  }
}
