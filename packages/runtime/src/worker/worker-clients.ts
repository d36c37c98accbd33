/**
 * Which Apache client keys each of the worker's Kafka clients takes, parsed into its settings: Apache's
 * `Worker.baseProducerConfigs`, `baseConsumerConfigs` and `adminConfigs` for the tasks' clients, and the worker
 * config's top-level keys for its own clients (internal topics, group membership, the herder's admin).
 *
 * | Client | Keys, later ones winning |
 * |---|---|
 * | the worker's own | top-level keys |
 * | task and DLQ producers | top-level security keys*, `producer.*`, the connector's `producer.override.*` |
 * | sink consumers | top-level security keys*, `consumer.*`, the connector's `consumer.override.*` |
 * | connector admins (DLQ topic, offsets, topics.regex) | top-level keys, `admin.*`, the connector's `admin.override.*` |
 *
 * *Apache's task producers and consumers do not inherit the top-level `security.protocol`, `ssl.*` and `sasl.*`
 * keys: a worker file that secures only the top level runs its tasks in plaintext (or fails to connect). Ferry's
 * inherit them when the prefixed form is absent, so a secured worker never runs unsecured tasks; an Apache file that
 * repeats them under `producer.`/`consumer.` behaves the same on both.
 *
 * The worker-level sets are parsed once at start (a problem exits with the key named); a connector's overrides are
 * parsed when its tasks start, and checked by `validateOverrides` when the connector is validated.
 */

import { withPrefix } from '../config/properties.ts'
import {
  adminSettings,
  type ClientKind,
  consumerSettings,
  keyTreatment,
  parseSecurity,
  producerSettings,
  unknownKeys,
} from '../kafka/client-config.ts'
import type {
  AdminSettings,
  ClientSettings,
  ConnectionSecurity,
  ConsumerSettings,
  ProducerSettings,
} from '../kafka/client-settings.ts'

/** Top-level keys the tasks' producers and consumers inherit (see above). */
export function isSecurityKey(key: string): boolean {
  return key === 'security.protocol' || key.startsWith('ssl.') || key.startsWith('sasl.')
}

const PREFIXES = ['producer.', 'consumer.', 'admin.'] as const
const OVERRIDE_PREFIX: Record<ClientKind, string> = {
  producer: 'producer.override.',
  consumer: 'consumer.override.',
  admin: 'admin.override.',
}

/** The worker's top-level keys but its `config.providers*` (the worker resolves references before clients see them). */
function topLevel(worker: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(worker))
    if (!PREFIXES.some((p) => k.startsWith(p)) && !k.startsWith('config.providers')) out[k] = v
  return out
}

function securityOnly(props: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(props)) if (isSecurityKey(k)) out[k] = v
  return out
}

/** The props one kind of task client is built from, before any connector override. */
function workerProps(kind: ClientKind, worker: Readonly<Record<string, string>>): Record<string, string> {
  if (kind === 'admin') return { ...topLevel(worker), ...withPrefix(worker, 'admin.') }
  return { ...securityOnly(topLevel(worker)), ...withPrefix(worker, `${kind}.`) }
}

/** A problem with one key of a connector's client overrides, for `/config/validate`. */
export interface OverrideProblem {
  /** The connector key: `producer.override.acks`. */
  key: string
  message: string
}

/** The parsed client settings of one worker. */
export class WorkerClients {
  readonly #worker: Readonly<Record<string, string>>
  readonly #bootstrapServers: readonly string[]
  /** The top-level keys, for the worker's own clients. */
  readonly #internal: AdminSettings
  /** Parsed security per kind of task client, shared by every task without security overrides (one OAuth login). */
  readonly #security: Record<ClientKind, ConnectionSecurity>
  /** What was noticed while parsing, to be logged (`drainWarnings`): unknown keys, ignored keys, adjusted defaults. */
  readonly #warnings: string[] = []

  /** Parses the worker's client keys; throws a `ConfigException` naming every bad key. */
  constructor(worker: Readonly<Record<string, string>>, bootstrapServers: readonly string[]) {
    this.#worker = worker
    this.#bootstrapServers = bootstrapServers
    const onWarning = (m: string) => this.#warnings.push(m)
    const top = topLevel(worker)
    const internalSecurity = parseSecurity(top, { onWarning })
    this.#internal = adminSettings(top, { bootstrapServers, security: internalSecurity, onWarning })
    const security = {} as Record<ClientKind, ConnectionSecurity>
    for (const kind of ['producer', 'consumer', 'admin'] as const) {
      const props = workerProps(kind, worker)
      const own = Object.keys(withPrefix(worker, `${kind}.`)).some(isSecurityKey)
      security[kind] = own ? parseSecurity(props, { onWarning }) : internalSecurity
      // Parse the whole set now, so a bad `producer.acks` stops the worker at start rather than failing each task.
      this.#parse(kind, props, security[kind], `${kind}-check`, 'worker')
      for (const key of unknownKeys(withPrefix(worker, `${kind}.`), kind))
        this.#warnings.push(`The configuration '${kind}.${key}' was supplied but isn't a known config.`)
    }
    this.#security = security
    for (const key of Object.keys(top)) {
      if (keyTreatment(key, 'admin') !== undefined) continue
      const kind = keyTreatment(key, 'producer') !== undefined ? 'producer' : 'consumer'
      if (keyTreatment(key, kind) === undefined || WORKER_KEYS_SHARED_WITH_CLIENTS.has(key)) continue
      this.#warnings.push(
        `The configuration '${key}' only applies to the worker's internal-topic ${kind}s in Apache Connect, and Ferry's do not use it; set '${kind}.${key}' for the tasks' ${kind}s.`,
      )
    }
  }

  /** The warnings noticed since the last call (each once). */
  drainWarnings(): string[] {
    return this.#warnings.splice(0)
  }

  /** The worker's own clients (internal topics, group membership, the herder's admin). */
  internal(clientId: string): ClientSettings {
    // WorkerConfig's request.timeout.ms default is 40 s, not the clients' 30 s.
    return { ...this.#internal, requestTimeoutMs: this.#internal.requestTimeoutMs ?? 40000, clientId }
  }

  /**
   * A source task's or a DLQ producer's settings; throws a `ConfigException` naming the bad override. `transactional`:
   * an exactly-once source task's producer, with its transactional id (see `ClientBase.transactional`).
   */
  producer(
    connector: Readonly<Record<string, string>>,
    clientId: string,
    transactional?: { id: string; reason: string },
  ): ProducerSettings {
    return this.#task('producer', connector, clientId, undefined, transactional) as ProducerSettings
  }

  /** A sink task's consumer settings (group `connect-<name>` unless `group.id` is overridden). */
  consumer(connector: Readonly<Record<string, string>>, clientId: string, groupId: string): ConsumerSettings {
    return this.#task('consumer', connector, clientId, groupId) as ConsumerSettings
  }

  /** A connector's admin client (DLQ topic, offsets, `topics.regex`). */
  admin(connector: Readonly<Record<string, string>> | null, clientId: string): AdminSettings {
    return this.#task('admin', connector ?? {}, clientId) as AdminSettings
  }

  /** The unknown keys among a connector's overrides, as Apache's client warnings. */
  unknownOverrides(connector: Readonly<Record<string, string>>): string[] {
    const out: string[] = []
    for (const kind of ['producer', 'consumer', 'admin'] as const) {
      for (const key of unknownKeys(withPrefix(connector, OVERRIDE_PREFIX[kind]), kind))
        out.push(`The configuration '${OVERRIDE_PREFIX[kind]}${key}' was supplied but isn't a known config.`)
    }
    return out
  }

  /** Every problem of a connector's client overrides of `kind`, each on its prefixed key. */
  validateOverrides(kind: ClientKind, connector: Readonly<Record<string, string>>): OverrideProblem[] {
    try {
      this.#task(kind, connector, 'validation', `connect-${connector.name ?? 'validation'}`)
      return []
    } catch (e) {
      const problems = (e as { problems?: Array<{ key: string; message: string }> }).problems
      if (!problems) return [{ key: OVERRIDE_PREFIX[kind], message: (e as Error).message }]
      return problems.map((p) => ({ key: `${OVERRIDE_PREFIX[kind]}${p.key}`, message: p.message }))
    }
  }

  #task(
    kind: ClientKind,
    connector: Readonly<Record<string, string>>,
    clientId: string,
    groupId?: string,
    transactional?: { id: string; reason: string },
  ): ClientSettings {
    const overrides = withPrefix(connector, OVERRIDE_PREFIX[kind])
    const props = { ...workerProps(kind, this.#worker), ...overrides }
    const security = Object.keys(overrides).some(isSecurityKey) ? undefined : this.#security[kind]
    return this.#parse(kind, props, security, clientId, groupId, transactional)
  }

  #parse(
    kind: ClientKind,
    props: Readonly<Record<string, string>>,
    security: ConnectionSecurity | undefined,
    clientId: string,
    groupId?: string,
    transactional?: { id: string; reason: string },
  ): ClientSettings {
    const base = {
      bootstrapServers: this.#bootstrapServers,
      clientId,
      ...(security ? { security } : {}),
      ...(transactional ? { transactional } : {}),
      onWarning: (m: string) => this.#warnings.push(m),
    }
    // Connect's defaults for its task clients (Apache's Worker): sinks start at the earliest offset.
    if (kind === 'producer') return producerSettings(props, base)
    if (kind === 'consumer') {
      const withDefaults = { 'auto.offset.reset': 'earliest', ...props }
      return consumerSettings(withDefaults, { ...base, groupId: groupId ?? 'connect' })
    }
    return adminSettings(props, base)
  }
}

/** Top-level worker keys that share a client key's name but are the worker's own (DistributedConfig). */
const WORKER_KEYS_SHARED_WITH_CLIENTS = new Set([
  'group.id',
  'session.timeout.ms',
  'heartbeat.interval.ms',
  'rebalance.timeout.ms',
  'client.id',
])
