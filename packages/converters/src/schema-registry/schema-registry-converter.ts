/**
 * What Confluent's schema registry converters share (`AvroConverter`, `ProtobufConverter`, `JsonSchemaConverter`;
 * the serde half of Confluent's `AbstractKafkaSchemaSerDe`): the serializer keys, the subject a schema goes under,
 * registering it or looking it up (`auto.register.schemas`, `use.latest.version`, `latest.compatibility.strict`,
 * `use.schema.id`), Confluent's framing, error mapping and the caches that keep the registry off the hot path. A
 * format (Avro, Protobuf, JSON Schema) brings only its `SchemaFormat`: the mapping between Connect and its schemas
 * and its payload bytes.
 *
 * Converters are synchronous and the registry is not: a schema that is not known yet is fetched in the background
 * and the call throws `PendingException`; the runtime waits for it and calls again, which finds it in the cache. A
 * failed fetch is thrown by the next call (retriable when the registry could not be reached, a `DataException` for
 * an incompatible or unknown schema, one line for a refused login) and then forgotten, so the call after that asks
 * the registry again. Known schemas are found by the Connect schema's identity first, so a record whose schema was
 * seen before costs one map lookup.
 */
import {
  type ConfigDef,
  ConfigException,
  ConnectException,
  type Converter,
  DataException,
  type Headers,
  PendingException,
  RetriableException,
  type Schema,
  type SchemaAndValue,
} from '@ferry/api'
import { newConverterConfigDef, withConverterType } from '../converter-config.ts'
import { LruCache } from '../lru-cache.ts'
import { RestClientException } from './rest-service.ts'
import { CachedSchemaRegistryClient, type RegistrySchema, type SchemaRegistryClient } from './schema-registry-client.ts'
import {
  clientOptionsFrom,
  refuseUnsupportedClientKeys,
  withRegistryClientConfig,
} from './schema-registry-client-config.ts'
import { type SubjectNameStrategy, subjectNameStrategy } from './subject-name-strategy.ts'
import { frame, unframe } from './wire-format.ts'

export const AUTO_REGISTER_SCHEMAS_CONFIG = 'auto.register.schemas'
export const USE_LATEST_VERSION_CONFIG = 'use.latest.version'
export const LATEST_COMPATIBILITY_STRICT_CONFIG = 'latest.compatibility.strict'
export const NORMALIZE_SCHEMAS_CONFIG = 'normalize.schemas'
export const USE_SCHEMA_ID_CONFIG = 'use.schema.id'
export const ID_COMPATIBILITY_STRICT_CONFIG = 'id.compatibility.strict'
export const KEY_SUBJECT_NAME_STRATEGY_CONFIG = 'key.subject.name.strategy'
export const VALUE_SUBJECT_NAME_STRATEGY_CONFIG = 'value.subject.name.strategy'
const TOPIC_NAME_STRATEGY = 'io.confluent.kafka.serializers.subject.TopicNameStrategy'

/**
 * Keys of Confluent's serializers and deserializers that Ferry does not implement: refused at start, naming the key.
 * `request.header.*` is a prefix.
 */
export const UNSUPPORTED_SERDE_KEYS: readonly string[] = Object.freeze([
  'use.latest.with.metadata',
  'use.schema.guid',
  'latest.cache.size',
  'propagate.schema.tags',
  'schema.format',
  'schema.registry.url.randomize',
  'context.name.strategy',
  'key.subject.name.strategy.type',
  'reference.subject.name.strategy',
  'rule.executors',
  'rule.actions',
  'rule.service.loader.enable',
  'key.schema.id.serializer',
  'value.schema.id.serializer',
  'key.schema.id.deserializer',
  'value.schema.id.deserializer',
  'schema.backup.enabled',
  'request.header.',
])

/**
 * One format's part of a schema registry converter. `S` is the format's parsed schema. Every method is synchronous
 * and called only once a schema is known; errors in the data are `DataException`s.
 */
export interface SchemaFormat<S> {
  /** The registry's `schemaType`: `AVRO`, `PROTOBUF` or `JSON`. */
  readonly schemaType: 'AVRO' | 'PROTOBUF' | 'JSON'
  /** The format's name in messages: `Avro`, `Protobuf`, `JSON Schema`. */
  readonly displayName: string
  /** The format's schema for a Connect schema (null: a schemaless value, when the format has a schema for those). */
  fromConnectSchema(schema: Schema | null): S
  /** The schema as it is registered: text, type, references. */
  toRegistrySchema(schema: S): RegistrySchema
  /** A schema read from the registry; `references` holds the schemas it references, by reference name. */
  parse(schema: RegistrySchema, references: ReadonlyMap<string, RegistrySchema>): S
  /** The full record (message) name the RecordName strategies use; null when the schema is not a record. */
  recordName(schema: S): string | null
  /**
   * Why data written with `schema` cannot be read with `reader` (empty when it can): `latest.compatibility.strict`
   * and `id.compatibility.strict` refuse such a writer schema.
   */
  incompatibilities(reader: S, schema: S): string[]
  /**
   * The payload (what follows the schema id) of `value`, whose Connect schema is `schema`, written with `writer`:
   * `fromConnectSchema(schema)` or the registry's schema chosen by `use.latest.version` / `use.schema.id`. Null:
   * nothing is written (a null value the format writes as a tombstone).
   */
  serialize(writer: S, schema: Schema | null, value: unknown): Uint8Array | null
  /**
   * The Connect schema and value of a payload written with `writer`; `version` is the writer schema's version under
   * the subject (Confluent gives it to Connect schemas that carry none).
   */
  deserialize(writer: S, payload: Buffer, version: number | null): SchemaAndValue
}

/** The schema registry converter's definition: `converter.type`, the registry client's keys, the serde keys. */
export function schemaRegistryConverterConfigDef(): ConfigDef {
  return withRegistryClientConfig(newConverterConfigDef())
    .define({
      name: AUTO_REGISTER_SCHEMAS_CONFIG,
      type: 'BOOLEAN',
      defaultValue: true,
      importance: 'MEDIUM',
      documentation: 'Specify if the Serializer should attempt to register the Schema with Schema Registry',
    })
    .define({
      name: USE_LATEST_VERSION_CONFIG,
      type: 'BOOLEAN',
      defaultValue: false,
      importance: 'LOW',
      documentation:
        'Specify if the Serializer should use the latest subject version for serialization. Set auto.register.schemas to false to use it.',
    })
    .define({
      name: LATEST_COMPATIBILITY_STRICT_CONFIG,
      type: 'BOOLEAN',
      defaultValue: true,
      importance: 'LOW',
      documentation:
        'If true, and use.latest.version is true, check that the latest subject version is backward compatible with the schema of the object being serialized.',
    })
    .define({
      name: NORMALIZE_SCHEMAS_CONFIG,
      type: 'BOOLEAN',
      defaultValue: false,
      importance: 'LOW',
      documentation: 'Whether to normalize schemas, which generally ignores ordering when it is not significant',
    })
    .define({
      name: USE_SCHEMA_ID_CONFIG,
      type: 'INT',
      defaultValue: -1,
      importance: 'LOW',
      documentation: 'Schema ID to use for serialization',
    })
    .define({
      name: ID_COMPATIBILITY_STRICT_CONFIG,
      type: 'BOOLEAN',
      defaultValue: true,
      importance: 'LOW',
      documentation:
        'If true, and use.schema.id is set, check that the schema of that id is backward compatible with the schema of the object being serialized.',
    })
    .define({
      name: KEY_SUBJECT_NAME_STRATEGY_CONFIG,
      type: 'STRING',
      defaultValue: TOPIC_NAME_STRATEGY,
      importance: 'MEDIUM',
      documentation: 'Determines how to construct the subject name under which the key schema is registered.',
    })
    .define({
      name: VALUE_SUBJECT_NAME_STRATEGY_CONFIG,
      type: 'STRING',
      defaultValue: TOPIC_NAME_STRATEGY,
      importance: 'MEDIUM',
      documentation: 'Determines how to construct the subject name under which the value schema is registered.',
    })
}

/** Refuses the keys of `unsupported` (an entry ending in `.` is a prefix), naming the first one set. */
export function refuseKeys(props: Readonly<Record<string, unknown>>, unsupported: readonly string[], by: string): void {
  for (const key of Object.keys(props)) {
    if (unsupported.some((u) => (u.endsWith('.') ? key.startsWith(u) : key === u)))
      throw new ConfigException(`${key} is not supported by Ferry's ${by}`)
  }
}

/**
 * A value fetched in the background for synchronous callers (see the module comment): `get` returns it once it is
 * there, throws `PendingException` while it is being fetched, and throws a failed fetch's error once.
 */
export class SettledCache<K, V> {
  readonly #entries: LruCache<K, Settling<V>>

  constructor(capacity: number) {
    this.#entries = new LruCache(capacity)
  }

  get(key: K, fetch: () => Promise<V>, what: string): V {
    const entry = this.#entries.get(key)
    if (entry !== undefined) {
      if (entry.state === 'ok') return entry.value as V
      if (entry.state === 'failed') {
        this.#entries.delete(key)
        throw entry.error
      }
      throw new PendingException(`Waiting for the schema registry: ${what}`, entry.promise)
    }
    const settling: Settling<V> = { state: 'pending', value: undefined, error: undefined, promise: Promise.resolve() }
    settling.promise = (async () => fetch())().then(
      (value) => {
        settling.state = 'ok'
        settling.value = value
      },
      (error: unknown) => {
        settling.state = 'failed'
        settling.error = error
      },
    )
    this.#entries.put(key, settling)
    throw new PendingException(`Waiting for the schema registry: ${what}`, settling.promise)
  }

  /** The value of `key` when it has been fetched, else undefined (no fetch is started). */
  peek(key: K): V | undefined {
    const entry = this.#entries.get(key)
    return entry?.state === 'ok' ? entry.value : undefined
  }
}

interface Settling<V> {
  state: 'pending' | 'ok' | 'failed'
  value: V | undefined
  error: unknown
  promise: Promise<void>
}

/** The schema a Connect schema is written with, and its id. */
interface Writer<S> {
  id: number
  schema: S
}

/** A schema read by id, and its version under the subject. */
interface Reader<S> {
  schema: S
  version: number | null
}

/** What one Connect schema (by identity) has led to: its format schema and, per topic, its writer. */
interface Known<S> {
  schema: S
  writers: Map<string, Writer<S>>
}

/** The parsed keys a `SchemaRegistryConverter` uses. */
interface SerdeSettings {
  autoRegister: boolean
  useLatestVersion: boolean
  latestCompatibilityStrict: boolean
  normalize: boolean
  useSchemaId: number
  idCompatibilityStrict: boolean
  strategy: SubjectNameStrategy
}

/**
 * A converter over a schema registry (Confluent's `AvroConverter` and its siblings): a subclass names its format's
 * keys (`formatConfig`), refused keys (`unsupportedKeys`) and builds its `SchemaFormat` from the parsed values.
 */
export abstract class SchemaRegistryConverter<S> implements Converter {
  #format: SchemaFormat<S> | null = null
  #client: SchemaRegistryClient | null = null
  #isKey = false
  #settings: SerdeSettings | null = null
  #configDef: ConfigDef | null = null
  /** Writers found by Connect schema identity; `null` stands for schemaless values. */
  readonly #byIdentity = new WeakMap<Schema, Known<S>>()
  #schemaless: Known<S> | null = null
  #writers: SettledCache<string, Writer<S>> | null = null
  #readers: SettledCache<string, Reader<S>> | null = null
  readonly #injectedClient: SchemaRegistryClient | null

  /** `client`: a registry client to use instead of one built from the keys (tests). */
  constructor(client: SchemaRegistryClient | null = null) {
    this.#injectedClient = client
  }

  /** The converter's class name in messages (`AvroConverter`). */
  protected abstract readonly converterName: string

  /** Adds the format's own keys to `def`. */
  protected abstract formatConfig(def: ConfigDef): ConfigDef

  /** Confluent keys of this format that Ferry does not implement (refused at start). */
  protected abstract unsupportedKeys(): readonly string[]

  /** The format, from the parsed values of `config()`; `cacheSize` bounds its own caches. */
  protected abstract createFormat(values: Readonly<Record<string, unknown>>): SchemaFormat<S>

  /** The number of schemas each cache keeps (`schemas.cache.config` where the format has it). */
  protected cacheSize(values: Readonly<Record<string, unknown>>): number {
    const size = values['schemas.cache.config']
    return typeof size === 'number' && size > 0 ? size : 1000
  }

  config(): ConfigDef {
    this.#configDef ??= this.formatConfig(schemaRegistryConverterConfigDef())
    return this.#configDef
  }

  configure(configs: Record<string, unknown>, isKey: boolean): void {
    const props = withConverterType(configs, isKey)
    refuseUnsupportedClientKeys(props)
    refuseKeys(props, UNSUPPORTED_SERDE_KEYS, `${this.converterName}`)
    refuseKeys(props, this.unsupportedKeys(), `${this.converterName}`)
    const values = this.config().parse(props)
    const strategyKey = isKey ? KEY_SUBJECT_NAME_STRATEGY_CONFIG : VALUE_SUBJECT_NAME_STRATEGY_CONFIG
    this.#settings = {
      autoRegister: values[AUTO_REGISTER_SCHEMAS_CONFIG] as boolean,
      useLatestVersion: values[USE_LATEST_VERSION_CONFIG] as boolean,
      latestCompatibilityStrict: values[LATEST_COMPATIBILITY_STRICT_CONFIG] as boolean,
      normalize: values[NORMALIZE_SCHEMAS_CONFIG] as boolean,
      useSchemaId: values[USE_SCHEMA_ID_CONFIG] as number,
      idCompatibilityStrict: values[ID_COMPATIBILITY_STRICT_CONFIG] as boolean,
      strategy: subjectNameStrategy(strategyKey, values[strategyKey] as string),
    }
    this.#isKey = isKey
    this.#format = this.createFormat(values)
    this.#client = this.#injectedClient ?? new CachedSchemaRegistryClient(clientOptionsFrom(values, props))
    const size = this.cacheSize(values)
    this.#writers = new SettledCache(size)
    this.#readers = new SettledCache(size)
  }

  fromConnectData(topic: string, _headers: Headers | null, schema: Schema | null, value: unknown): Uint8Array | null {
    const format = this.#configured()
    // A null value is a tombstone unless its schema is required (the format then refuses it, as Confluent does).
    if ((value === null || value === undefined) && (schema === null || schema.isOptional)) return null
    const known = this.#known(format, schema)
    let writer = known.writers.get(topic)
    if (writer === undefined) {
      writer = this.#writers!.get(
        writerKey(topic, format, known.schema),
        () => this.#resolveWriter(topic, known.schema),
        `the ${this.#isKey ? 'key' : 'value'} schema of topic ${topic}`,
      )
      known.writers.set(topic, writer)
    }
    try {
      const payload = format.serialize(writer.schema, schema, value)
      return payload === null ? null : frame(writer.id, payload)
    } catch (e) {
      throw this.#dataError(`Failed to serialize ${format.displayName} data from topic ${topic}`, e)
    }
  }

  toConnectData(topic: string, _headers: Headers | null, value: Uint8Array | null): SchemaAndValue {
    const format = this.#configured()
    if (value === null) return { schema: null, value: null }
    const { id, payload } = unframe(value)
    const reader = this.#readers!.get(
      `${id}\u0000${topic}`,
      () => this.#resolveReader(topic, id),
      `schema id ${id} of topic ${topic}`,
    )
    try {
      return format.deserialize(reader.schema, payload, reader.version)
    } catch (e) {
      throw this.#dataError(`Failed to deserialize data for topic ${topic} to ${format.displayName}`, e)
    }
  }

  close(): void {
    this.#client?.close()
    this.#client = null
  }

  /** The registry client (after `configure`). */
  protected get client(): SchemaRegistryClient {
    if (this.#client === null) throw new ConnectException(`${this.converterName} is not configured`)
    return this.#client
  }

  #configured(): SchemaFormat<S> {
    if (this.#format === null) throw new ConnectException(`${this.converterName} is not configured`)
    return this.#format
  }

  #known(format: SchemaFormat<S>, schema: Schema | null): Known<S> {
    if (schema === null) {
      this.#schemaless ??= { schema: format.fromConnectSchema(null), writers: new Map() }
      return this.#schemaless
    }
    let known = this.#byIdentity.get(schema)
    if (known === undefined) {
      known = { schema: format.fromConnectSchema(schema), writers: new Map() }
      this.#byIdentity.set(schema, known)
    }
    return known
  }

  async #resolveWriter(topic: string, schema: S): Promise<Writer<S>> {
    const format = this.#format!
    const settings = this.#settings!
    const client = this.client
    try {
      if (settings.useSchemaId >= 0) {
        const writer = await this.#parse(await client.getSchemaById(settings.useSchemaId))
        if (settings.idCompatibilityStrict)
          this.#checkCompatible(writer, schema, `the schema of ${USE_SCHEMA_ID_CONFIG}=${settings.useSchemaId}`)
        return { id: settings.useSchemaId, schema: writer }
      }
      const subject = settings.strategy(topic, this.#isKey, format.recordName(schema))
      if (settings.useLatestVersion) {
        const latest = await client.getLatestSchemaMetadata(subject)
        const writer = await this.#parse(latest)
        if (settings.latestCompatibilityStrict)
          this.#checkCompatible(writer, schema, `the latest version (${latest.version}) of subject ${subject}`)
        return { id: latest.id, schema: writer }
      }
      const registered = format.toRegistrySchema(schema)
      const id = settings.autoRegister
        ? await client.register(subject, registered, settings.normalize)
        : await client.getId(subject, registered, settings.normalize)
      return { id, schema }
    } catch (e) {
      throw this.#registryError(`Failed to serialize ${format.displayName} data from topic ${topic}`, e)
    }
  }

  async #resolveReader(topic: string, id: number): Promise<Reader<S>> {
    const format = this.#format!
    const client = this.client
    try {
      const registered = await client.getSchemaById(id)
      const schema = await this.#parse(registered)
      const subject = this.#settings!.strategy(topic, this.#isKey, format.recordName(schema))
      const version = await client.getVersion(subject, registered)
      return { schema, version }
    } catch (e) {
      throw this.#registryError(`Failed to deserialize data for topic ${topic} to ${format.displayName}`, e)
    }
  }

  /** A registry schema parsed, with the schemas it references fetched (recursively) first. */
  async #parse(registered: RegistrySchema): Promise<S> {
    const references = new Map<string, RegistrySchema>()
    const pending = [...(registered.references ?? [])]
    while (pending.length > 0) {
      const ref = pending.shift()!
      if (references.has(ref.name)) continue
      const referenced = await this.client.getSchemaMetadata(ref.subject, ref.version)
      references.set(ref.name, referenced)
      pending.push(...(referenced.references ?? []))
    }
    return this.#format!.parse(registered, references)
  }

  #checkCompatible(reader: S, schema: S, what: string): void {
    const problems = this.#format!.incompatibilities(reader, schema)
    if (problems.length > 0)
      throw new DataException(`Schema being serialized is incompatible with ${what}: ${problems.join('; ')}`)
  }

  /**
   * A registry failure as the runtime should see it: retriable ones (unreachable, 5xx) stay retriable; a refused login
   * stays one line naming the registry; an incompatible schema (409) or any other refusal becomes a DataException.
   */
  #registryError(context: string, e: unknown): Error {
    if (e instanceof RetriableException || e instanceof DataException || e instanceof ConfigException) return e as Error
    if (e instanceof RestClientException) {
      if (e.status === 401 || e.status === 403) return e
      if (e.status === 409)
        return new DataException(
          `${context}: the schema is incompatible with an earlier schema of its subject (${e.message})`,
          e,
        )
      return new DataException(`${context}: ${e.message}`, e)
    }
    return this.#dataError(context, e)
  }

  #dataError(context: string, e: unknown): Error {
    if (e instanceof PendingException || e instanceof RetriableException) return e
    const message = e instanceof Error ? e.message : String(e)
    return new DataException(`${context}: ${message}`, e)
  }
}

/**
 * The writers cache key of a schema written to `topic`: identical registry schemas on one topic share a writer even
 * when they come from distinct (but equal) Connect schema objects.
 */
function writerKey<S>(topic: string, format: SchemaFormat<S>, schema: S): string {
  const registered = format.toRegistrySchema(schema)
  return `${topic}\u0000${registered.schemaType ?? 'AVRO'}\u0000${registered.schema}`
}
