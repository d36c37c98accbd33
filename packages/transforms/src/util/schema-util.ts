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
export class SchemaCache {
  private readonly map = new Map<Schema, Schema>()
  private readonly capacity: number

  constructor(capacity = 16) {
    this.capacity = capacity
  }

  get(key: Schema): Schema | undefined {
    const value = this.map.get(key)
    if (value !== undefined) {
      this.map.delete(key)
      this.map.set(key, value)
    }
    return value
  }

  put(key: Schema, value: Schema): void {
    this.map.delete(key)
    this.map.set(key, value)
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as Schema)
  }
}
