import { open, readFile, rename } from 'node:fs/promises'
import type { OffsetMap, OffsetStorageReader } from '@ferry/api'

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
 * Standalone mode's store: `offset.storage.file.filename` as JSON,
 * `{"version":1,"offsets":[{"key":[connector, partition],"value":offset}, ...]}`, replaced atomically (write a
 * temporary file, fsync, rename) on every flush. Apache's Java-serialised file cannot be read; a file that is not
 * Ferry's JSON fails the start with a message saying so.
 */
export class FileOffsetBackingStore extends MemoryOffsetBackingStore {
  readonly #path: string
  #writing: Promise<void> = Promise.resolve()

  constructor(path: string) {
    super()
    this.#path = path
  }

  override async start(): Promise<void> {
    let text: string
    try {
      text = await readFile(this.#path, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return
      throw new Error(`Cannot read offset.storage.file.filename ${this.#path}: ${(e as Error).message}`)
    }
    let parsed: { offsets?: Array<{ key: [string, OffsetMap]; value: OffsetMap }> }
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new Error(
        `offset.storage.file.filename ${this.#path} is not a Ferry offsets file (JSON). Apache Connect's Java-serialised offsets file cannot be read: point Ferry at a new file.`,
      )
    }
    for (const entry of parsed.offsets ?? []) {
      const [connector, partition] = entry.key
      if (typeof connector !== 'string' || partition === null || typeof partition !== 'object') continue
      this.data.set(offsetKey(connector, partition), { connector, partition, offset: entry.value })
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
    const offsets = [...this.data.values()].map((e) => ({ key: [e.connector, e.partition], value: e.offset }))
    const tmp = `${this.#path}.tmp`
    const file = await open(tmp, 'w')
    try {
      await file.writeFile(JSON.stringify({ version: 1, offsets }, bigintReplacer))
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(tmp, this.#path)
  }
}

/** The reader a connector's tasks get: lookups by value in the store, scoped to one connector. */
export function offsetReader(store: OffsetBackingStore, connector: string): OffsetStorageReader {
  return {
    offset: (partition) => store.get(connector, partition),
    offsets: (partitions) => new Map(partitions.map((p) => [p, store.get(connector, p)])),
  }
}
