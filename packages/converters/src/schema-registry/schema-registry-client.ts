/**
 * A caching client of Confluent's schema registry API (Confluent's `CachedSchemaRegistryClient`): register a schema
 * under a subject, look its id up, read a schema by id, read a subject's latest or given version.
 *
 * Ids and versions never change once given, so schemas by id and ids by (subject, schema) are kept (LRU, at most
 * `cacheCapacity` each); the latest version of a subject is kept for `latestTtlSec` (for ever when negative).
 * Concurrent calls for the same thing share one request, and a failed request is not cached: a converter makes one
 * registry call per new schema, none per record.
 */
import { LruCache } from '../lru-cache.ts'
import { RestService } from './rest-service.ts'
import type { RegistryClientOptions } from './schema-registry-client-config.ts'

/** A schema as the registry holds it: its text, its type (AVRO when absent) and its references. */
export interface RegistrySchema {
  schema: string
  /** `AVRO` (the default, left out of requests as Confluent does), `JSON` or `PROTOBUF`. */
  schemaType?: string
  references?: SchemaReference[]
}

export interface SchemaReference {
  name: string
  subject: string
  version: number
}

/** A subject's version: its global id, its version number within the subject, and the schema. */
export interface SchemaMetadata extends RegistrySchema {
  id: number
  version: number
  subject: string
}

/** The calls a converter makes to a schema registry. */
export interface SchemaRegistryClient {
  /** Registers `schema` under `subject` (a no-op on the registry's side when it is there already); returns its id. */
  register(subject: string, schema: RegistrySchema, normalize?: boolean): Promise<number>
  /** The id of `schema` registered under `subject`; a `RestClientException` 40401/40403 when it is not. */
  getId(subject: string, schema: RegistrySchema, normalize?: boolean): Promise<number>
  /** The version of `schema` under `subject`; a `RestClientException` 40401/40403 when it is not registered there. */
  getVersion(subject: string, schema: RegistrySchema, normalize?: boolean): Promise<number>
  /** The schema with global id `id`. */
  getSchemaById(id: number): Promise<RegistrySchema>
  /** The latest version of `subject`. */
  getLatestSchemaMetadata(subject: string): Promise<SchemaMetadata>
  /** Version `version` of `subject`. */
  getSchemaMetadata(subject: string, version: number): Promise<SchemaMetadata>
  close(): void
}

/** `SchemaRegistryClient` over HTTP with caches; see the module comment. */
export class CachedSchemaRegistryClient implements SchemaRegistryClient {
  readonly #rest: RestService
  readonly #schemasById: LruCache<number, Promise<RegistrySchema>>
  readonly #idsBySchema: LruCache<string, Promise<number>>
  readonly #versions: LruCache<string, Promise<SchemaMetadata>>
  readonly #versionsBySchema: LruCache<string, Promise<number>>
  readonly #latest = new Map<string, { at: number; metadata: Promise<SchemaMetadata> }>()
  readonly #latestTtlMs: number

  constructor(options: RegistryClientOptions, rest: RestService = new RestService(options)) {
    this.#rest = rest
    this.#schemasById = new LruCache(options.cacheCapacity)
    this.#idsBySchema = new LruCache(options.cacheCapacity)
    this.#versions = new LruCache(options.cacheCapacity)
    this.#versionsBySchema = new LruCache(options.cacheCapacity)
    this.#latestTtlMs = options.latestTtlSec < 0 ? Number.POSITIVE_INFINITY : options.latestTtlSec * 1000
  }

  register(subject: string, schema: RegistrySchema, normalize = false): Promise<number> {
    return this.#cachedId(subject, schema, normalize, async () => {
      const answer = (await this.#rest.request(
        'POST',
        `/subjects/${encodeURIComponent(subject)}/versions${normalize ? '?normalize=true' : ''}`,
        requestBody(schema),
      )) as { id: number }
      return answer.id
    })
  }

  getId(subject: string, schema: RegistrySchema, normalize = false): Promise<number> {
    return this.#cachedId(subject, schema, normalize, async () => {
      const answer = (await this.#rest.request(
        'POST',
        `/subjects/${encodeURIComponent(subject)}${normalize ? '?normalize=true' : ''}`,
        requestBody(schema),
      )) as SchemaMetadata
      this.#remember(answer.id, answer)
      return answer.id
    })
  }

  getVersion(subject: string, schema: RegistrySchema, normalize = false): Promise<number> {
    const key = `${normalize ? 'n' : ''}\u0000${subject}\u0000${schemaKey(schema)}`
    const cached = this.#versionsBySchema.get(key)
    if (cached !== undefined) return cached
    const fetched = (async (): Promise<number> => {
      const answer = (await this.#rest.request(
        'POST',
        `/subjects/${encodeURIComponent(subject)}${normalize ? '?normalize=true' : ''}`,
        requestBody(schema),
      )) as SchemaMetadata
      this.#remember(answer.id, answer)
      return answer.version
    })()
    return this.#keep(this.#versionsBySchema, key, fetched)
  }

  getSchemaById(id: number): Promise<RegistrySchema> {
    const cached = this.#schemasById.get(id)
    if (cached !== undefined) return cached
    const fetched = (async (): Promise<RegistrySchema> => {
      const answer = (await this.#rest.request('GET', `/schemas/ids/${id}`)) as RegistrySchema
      return registrySchema(answer)
    })()
    return this.#keep(this.#schemasById, id, fetched)
  }

  getLatestSchemaMetadata(subject: string): Promise<SchemaMetadata> {
    const now = Date.now()
    const cached = this.#latest.get(subject)
    if (cached !== undefined && now - cached.at < this.#latestTtlMs) return cached.metadata
    const fetched = this.#fetchVersion(subject, 'latest')
    this.#latest.set(subject, { at: now, metadata: fetched })
    fetched.catch(() => {
      if (this.#latest.get(subject)?.metadata === fetched) this.#latest.delete(subject)
    })
    return fetched
  }

  getSchemaMetadata(subject: string, version: number): Promise<SchemaMetadata> {
    const key = `${version}\u0000${subject}`
    const cached = this.#versions.get(key)
    if (cached !== undefined) return cached
    return this.#keep(this.#versions, key, this.#fetchVersion(subject, String(version)))
  }

  close(): void {
    this.#rest.close()
  }

  async #fetchVersion(subject: string, version: string): Promise<SchemaMetadata> {
    const answer = (await this.#rest.request(
      'GET',
      `/subjects/${encodeURIComponent(subject)}/versions/${version}`,
    )) as SchemaMetadata
    const metadata: SchemaMetadata = {
      ...registrySchema(answer),
      id: answer.id,
      version: answer.version,
      subject: answer.subject ?? subject,
    }
    this.#remember(metadata.id, metadata)
    return metadata
  }

  #cachedId(
    subject: string,
    schema: RegistrySchema,
    normalize: boolean,
    fetch: () => Promise<number>,
  ): Promise<number> {
    // A registered schema is also found by a lookup: both kinds share the entry once it holds an id.
    const key = `${normalize ? 'n' : ''}\u0000${subject}\u0000${schemaKey(schema)}`
    const cached = this.#idsBySchema.get(key)
    if (cached !== undefined) return cached
    const fetched = fetch().then((id) => {
      this.#remember(id, schema)
      return id
    })
    return this.#keep(this.#idsBySchema, key, fetched)
  }

  /** The schema of `id` is known: keep it unless already there. */
  #remember(id: number, schema: RegistrySchema): void {
    if (this.#schemasById.get(id) === undefined) this.#schemasById.put(id, Promise.resolve(registrySchema(schema)))
  }

  /** Puts `value` in `cache` under `key`, and takes it out again if it fails. */
  #keep<K, V>(cache: LruCache<K, Promise<V>>, key: K, value: Promise<V>): Promise<V> {
    cache.put(key, value)
    value.catch(() => {
      if (cache.get(key) === value) cache.delete(key)
    })
    return value
  }
}

function registrySchema(answer: RegistrySchema): RegistrySchema {
  const schema: RegistrySchema = { schema: answer.schema }
  if (answer.schemaType !== undefined && answer.schemaType !== 'AVRO') schema.schemaType = answer.schemaType
  if (answer.references !== undefined && answer.references.length > 0) schema.references = answer.references
  return schema
}

function requestBody(schema: RegistrySchema): Record<string, unknown> {
  const body: Record<string, unknown> = { schema: schema.schema }
  if (schema.schemaType !== undefined && schema.schemaType !== 'AVRO') body.schemaType = schema.schemaType
  if (schema.references !== undefined && schema.references.length > 0) body.references = schema.references
  return body
}

function schemaKey(schema: RegistrySchema): string {
  const refs = schema.references?.map((r) => `${r.name}=${r.subject}@${r.version}`).join(',') ?? ''
  return `${schema.schemaType ?? 'AVRO'}\u0000${refs}\u0000${schema.schema}`
}
