/** Apache's `SchemaUtil` and the small schema cache the transforms keep. */
import { type Schema, SchemaBuilder } from '@ferry/api'

/** A builder of the same type (and element schema for an ARRAY) with the name, version, doc and parameters copied. */
export function copySchemaBasics(source: Schema, builder?: SchemaBuilder): SchemaBuilder {
  let b = builder
  if (b === undefined) {
    b = source.type === 'ARRAY' ? SchemaBuilder.array(source.valueSchema()!) : new SchemaBuilder(source.type)
    // Apache's copySchemaBasics(source) keeps MAP key/value schemas only through the ARRAY case; a MAP gets none.
  }
  b.name(source.name)
  b.version(source.version)
  b.doc(source.doc)
  const params = source.parameters
  if (params != null) b.parameters(params)
  return b
}

/** Apache's `SynchronizedCache(new LRUCache(16))`, keyed by schema identity. */
export class SchemaCache<V = Schema> {
  private readonly map = new Map<Schema, V>()
  private readonly capacity: number
  /** The most recently used entry: a stream of records with one schema hits it without touching the map. */
  private lastKey: Schema | undefined = undefined
  private lastValue: V | undefined = undefined

  constructor(capacity = 16) {
    this.capacity = capacity
  }

  get(key: Schema): V | undefined {
    if (key === this.lastKey) return this.lastValue
    const value = this.map.get(key)
    if (value !== undefined) {
      this.map.delete(key)
      this.map.set(key, value)
      this.lastKey = key
      this.lastValue = value
    }
    return value
  }

  put(key: Schema, value: V): void {
    this.map.delete(key)
    this.map.set(key, value)
    this.lastKey = key
    this.lastValue = value
    if (this.map.size > this.capacity) {
      const eldest = this.map.keys().next().value as Schema
      this.map.delete(eldest)
      if (eldest === this.lastKey) {
        this.lastKey = undefined
        this.lastValue = undefined
      }
    }
  }
}
