import { ConfigDef, ConfigException, Range } from '@ferry/api'

/** Worker keys shared by standalone and distributed mode, with Apache's names and defaults (WorkerConfig). */
export const WORKER_CONFIG_DEF = new ConfigDef()
  .define({
    name: 'bootstrap.servers',
    type: 'LIST',
    defaultValue: 'localhost:9092',
    importance: 'HIGH',
    documentation: 'A list of host/port pairs used to establish the initial connection to the Kafka cluster.',
  })
  .define({
    name: 'key.converter',
    type: 'CLASS',
    importance: 'HIGH',
    documentation:
      'Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record keys).',
  })
  .define({
    name: 'value.converter',
    type: 'CLASS',
    importance: 'HIGH',
    documentation:
      'Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record values).',
  })
  .define({
    name: 'header.converter',
    type: 'CLASS',
    defaultValue: 'org.apache.kafka.connect.storage.SimpleHeaderConverter',
    importance: 'LOW',
    documentation:
      'HeaderConverter class used to convert between Kafka Connect format and the serialized form of header values.',
  })
  .define({
    name: 'offset.flush.interval.ms',
    type: 'LONG',
    defaultValue: 60000,
    validator: Range.atLeast(0),
    importance: 'LOW',
    documentation: 'Interval at which to try committing offsets for tasks.',
  })
  .define({
    name: 'offset.flush.timeout.ms',
    type: 'LONG',
    defaultValue: 5000,
    validator: Range.atLeast(0),
    importance: 'LOW',
    documentation:
      'Maximum number of milliseconds to wait for records to flush and partition offset data to be committed to offset storage before cancelling the process and restoring the offset data to be committed in a future attempt.',
  })
  .define({
    name: 'task.shutdown.graceful.timeout.ms',
    type: 'LONG',
    defaultValue: 5000,
    validator: Range.atLeast(0),
    importance: 'LOW',
    documentation: 'Amount of time to wait for tasks to shutdown gracefully.',
  })
  .define({
    name: 'client.id',
    type: 'STRING',
    defaultValue: '',
    importance: 'LOW',
    documentation: 'An id string to pass to the server when making requests.',
  })
  .define({
    name: 'request.timeout.ms',
    type: 'INT',
    defaultValue: 40000,
    validator: Range.atLeast(0),
    importance: 'MEDIUM',
    documentation: 'The maximum amount of time the client will wait for the response of a request.',
  })
  .define({
    name: 'listeners',
    type: 'LIST',
    defaultValue: 'http://:8083',
    importance: 'LOW',
    documentation: 'List of comma-separated URIs the REST API will listen on.',
  })
  .define({
    name: 'plugin.path',
    type: 'LIST',
    defaultValue: null,
    importance: 'LOW',
    documentation: 'Accepted for compatibility; Ferry loads plugins as npm packages.',
  })

/** Standalone-only keys (StandaloneConfig). */
export const STANDALONE_CONFIG_DEF = new ConfigDef().define({
  name: 'offset.storage.file.filename',
  type: 'STRING',
  importance: 'HIGH',
  documentation: "File to store source connector offsets in (JSON; Ferry does not read Apache's Java-serialised file).",
})

/** Parsed worker settings the runtime uses. The raw properties stay available for prefixed client and converter keys. */
export interface WorkerConfig {
  readonly originals: Readonly<Record<string, string>>
  readonly bootstrapServers: string[]
  readonly keyConverter: string
  readonly valueConverter: string
  readonly headerConverter: string
  readonly offsetFlushIntervalMs: number
  readonly offsetFlushTimeoutMs: number
  readonly taskShutdownTimeoutMs: number
  readonly clientId: string
  readonly requestTimeoutMs: number
  readonly offsetStorageFile: string | null
}

/** Validates and parses worker properties; every problem is reported at once, each on its key. */
export function parseWorkerConfig(props: Record<string, string>, mode: 'standalone'): WorkerConfig {
  const defs = [WORKER_CONFIG_DEF]
  if (mode === 'standalone') defs.push(STANDALONE_CONFIG_DEF)
  const problems: string[] = []
  for (const def of defs) {
    for (const v of def.validate(props)) for (const m of v.errorMessages) problems.push(m)
  }
  if (problems.length > 0) throw new ConfigException(`Invalid worker configuration: ${problems.join('; ')}`)
  const parsed: Record<string, unknown> = {}
  for (const def of defs) Object.assign(parsed, def.parse(props))
  return {
    originals: { ...props },
    bootstrapServers: (parsed['bootstrap.servers'] as string[]) ?? ['localhost:9092'],
    keyConverter: parsed['key.converter'] as string,
    valueConverter: parsed['value.converter'] as string,
    headerConverter: parsed['header.converter'] as string,
    offsetFlushIntervalMs: Number(parsed['offset.flush.interval.ms']),
    offsetFlushTimeoutMs: Number(parsed['offset.flush.timeout.ms']),
    taskShutdownTimeoutMs: Number(parsed['task.shutdown.graceful.timeout.ms']),
    clientId: (parsed['client.id'] as string) ?? '',
    requestTimeoutMs: Number(parsed['request.timeout.ms']),
    offsetStorageFile: (parsed['offset.storage.file.filename'] as string | undefined) ?? null,
  }
}

/** Keys under `prefix`, with the prefix removed (Apache's `originalsWithPrefix(prefix, true)`). */
export function withPrefix(props: Readonly<Record<string, string>>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(props)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v
  return out
}
