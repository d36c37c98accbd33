/**
 * In-process runners for a connector's task, with the worker's real converters and transforms but no Kafka: a source
 * task's records go through the connector's `transforms` chain and the key, value and header converters into the
 * bytes a worker would produce; a sink task gets records made from such bytes through the converters and the chain,
 * as a worker's consumer would hand them over. Converters and transforms are built from the configs exactly as the
 * worker builds them (`createConverters`, `createTransformationChain`), from Ferry's built-in plugins by default.
 *
 * The runners have no error tolerance, DLQ or retries beyond redelivering a batch after a `RetriableException`: a
 * failure in the task, a converter or a transform is thrown (after the task and connector were stopped).
 */
import {
  type Connector,
  type ConnectRecord,
  Headers,
  type OffsetMap,
  type PartitionOffsets,
  RetriableException,
  SinkRecord,
  type SinkTask,
  type SourceRecord,
  type SourceTask,
  type TopicPartition,
} from '@ferry/api'
import { builtinRegistry } from '@ferry/cli'
import {
  type Converters,
  createConverters,
  createTransformationChain,
  MemoryOffsetBackingStore,
  type PluginRegistry,
  type TransformationChain,
} from '@ferry/runtime'
import {
  offsetStorageReader,
  TestConnectorContext,
  TestSinkTaskContext,
  TestSourceTaskContext,
} from './task-contexts.ts'

/** A record as it sits in a Kafka topic: what a source run produces and a sink run consumes. */
export interface KafkaRecord {
  topic: string
  partition: number
  offset: number
  timestamp: number | null
  key: Uint8Array | null
  value: Uint8Array | null
  headers: Array<[string, Uint8Array | null]>
}

/** A record to give a sink task: strings are UTF-8; a missing partition is 0, a missing offset the next one. */
export interface SinkInput {
  topic: string
  partition?: number
  offset?: number
  timestamp?: number | null
  key?: Uint8Array | string | null
  value: Uint8Array | string | null
  headers?: Array<[string, Uint8Array | string | null]>
}

/** Source offsets: each source partition with the last offset committed for it. */
export type SourceOffsets = Array<[OffsetMap, OffsetMap]>

export interface TaskRunOptions {
  /**
   * The connector config as a connector file holds it: the connector's own keys, `tasks.max` (default 1), and any
   * `transforms`, `predicates` and per-connector converters (`value.converter`, `value.converter.schemas.enable`, ...).
   */
  config: Record<string, string>
  /**
   * Worker keys for the converters: `key.converter`, `value.converter`, `header.converter` and their own keys.
   * Default: `DEFAULT_WORKER_CONVERTERS`, Apache's connect-standalone.properties (JSON with schemas).
   */
  worker?: Record<string, string>
  /** Where converters, transforms and predicates come from (default: Ferry's built-ins). */
  registry?: PluginRegistry
  /** Which of the connector's task configs runs (default 0). */
  taskIndex?: number
}

/** The converters of Apache's sample worker config, connect-standalone.properties. */
export const DEFAULT_WORKER_CONVERTERS: Readonly<Record<string, string>> = Object.freeze({
  'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
  'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
  'key.converter.schemas.enable': 'true',
  'value.converter.schemas.enable': 'true',
})

const HEADER_CONVERTER = 'org.apache.kafka.connect.storage.SimpleHeaderConverter'

let builtins: Promise<PluginRegistry> | null = null

function registryOf(options: TaskRunOptions): Promise<PluginRegistry> {
  if (options.registry) return Promise.resolve(options.registry)
  builtins ??= builtinRegistry()
  return builtins
}

interface Pipeline<R extends ConnectRecord> {
  converters: Converters
  chain: TransformationChain<R>
}

async function pipeline<R extends ConnectRecord>(options: TaskRunOptions): Promise<Pipeline<R>> {
  const registry = await registryOf(options)
  const worker = options.worker ?? DEFAULT_WORKER_CONVERTERS
  return {
    converters: createConverters(registry, worker, options.config, HEADER_CONVERTER),
    chain: createTransformationChain<R>(registry, options.config),
  }
}

function closePipeline(p: Pipeline<ConnectRecord>): void {
  p.chain.close()
  p.converters.key.close?.()
  p.converters.value.close?.()
  p.converters.header.close?.()
}

/** Starts the connector and returns the task config at `taskIndex` of `taskConfigs(tasks.max)`. */
async function taskConfig(connector: Connector, options: TaskRunOptions, context: TestConnectorContext) {
  connector.initialize(context)
  await connector.start({ ...options.config })
  const maxTasks = Number(options.config['tasks.max'] ?? '1')
  const configs = await connector.taskConfigs(maxTasks)
  const index = options.taskIndex ?? 0
  const config = configs[index]
  if (!config) {
    throw new Error(
      `${connector.constructor.name}.taskConfigs(${maxTasks}) gave ${configs.length} configs: no #${index}`,
    )
  }
  return config
}

/** Offsets as the offset store keeps them: JSON, where a bigint becomes a number. */
function asStored<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))) as T
}

export interface SourceRunOptions extends TaskRunOptions {
  /** The offsets the task starts from (a previous run's `offsets`); default none. */
  offsets?: SourceOffsets
  /** Poll until this many records were polled (default: until one poll returns records). */
  count?: number
  /** Give up, with an error, when `count` records were not polled in this time (default 10 s). */
  timeoutMs?: number
}

export interface SourceRun {
  /** What the task's polls returned, in order. */
  polled: SourceRecord[]
  /** The records after the transforms (dropped ones left out): what went to the converters. */
  records: SourceRecord[]
  /** The records as a worker would produce them: converted, one offset after another in each topic partition. */
  produced: KafkaRecord[]
  /** The offsets committed at the end, as the offset store gives them back (the next run's `offsets`). */
  offsets: SourceOffsets
}

/**
 * Runs one task of a source connector: starts the connector with `config`, starts the task from its task config and
 * the given offsets, polls until `count` records came (or one poll returned records), transforms and converts them,
 * acknowledges them (`commitRecord`), commits their offsets (`commit`), and stops the task and the connector.
 */
export async function runSourceTask(connector: Connector, options: SourceRunOptions): Promise<SourceRun> {
  const store = new MemoryOffsetBackingStore()
  const name = options.config.name ?? 'test-source'
  await store.set(name, options.offsets ?? [])
  const reader = offsetStorageReader(store, name)
  const p = await pipeline<SourceRecord>(options)
  let task: SourceTask | null = null
  try {
    const props = await taskConfig(connector, options, new TestConnectorContext(reader))
    task = new (connector.taskClass())() as SourceTask
    task.initialize(new TestSourceTaskContext(props, reader))
    await task.start(props)
    const polled: SourceRecord[] = []
    const deadline = Date.now() + (options.timeoutMs ?? 10_000)
    const enough = () => (options.count === undefined ? polled.length > 0 : polled.length >= options.count)
    while (!enough()) {
      if (Date.now() > deadline) {
        throw new Error(
          `${connector.constructor.name}'s task polled ${polled.length} of ${options.count ?? 1} records in ${options.timeoutMs ?? 10_000} ms`,
        )
      }
      polled.push(...((await task.poll()) ?? []))
    }
    const records: SourceRecord[] = []
    const produced: KafkaRecord[] = []
    const next = new Map<string, number>()
    const offsets = new Map<string, [OffsetMap, OffsetMap]>()
    for (const original of polled) {
      const record = p.chain.apply(original)
      if (record === null) {
        task.commitRecord(original, null)
      } else {
        const partition = record.kafkaPartition ?? 0
        const tp = `${record.topic}:${partition}`
        const offset = next.get(tp) ?? 0
        next.set(tp, offset + 1)
        records.push(record)
        produced.push(toKafkaRecord(record, partition, offset, p.converters))
        task.commitRecord(original, { topic: record.topic, partition, offset })
      }
      if (original.sourcePartition && original.sourceOffset) {
        offsets.set(JSON.stringify(asStored(original.sourcePartition)), [
          original.sourcePartition,
          original.sourceOffset,
        ])
      }
    }
    await store.set(name, [...offsets.values()])
    await task.commit()
    return { polled, records, produced, offsets: asStored([...offsets.values()]) }
  } finally {
    await task?.stop()
    await connector.stop()
    closePipeline(p as Pipeline<ConnectRecord>)
  }
}

function toKafkaRecord(record: SourceRecord, partition: number, offset: number, converters: Converters): KafkaRecord {
  const headers: Array<[string, Uint8Array | null]> = []
  for (const h of record.headers) {
    headers.push([h.key, converters.header.fromConnectHeader(record.topic, h.key, h.schema, h.value)])
  }
  return {
    topic: record.topic,
    partition,
    offset,
    timestamp: record.timestamp,
    key: converters.key.fromConnectData(record.topic, record.headers, record.keySchema, record.key),
    value: converters.value.fromConnectData(record.topic, record.headers, record.valueSchema, record.value),
    headers,
  }
}

export interface SinkRunOptions extends TaskRunOptions {
  /** The records the task gets, in this order (for example a source run's `produced`). */
  records: readonly (SinkInput | KafkaRecord)[]
  /** Records per `put` (default 500, the consumer's `max.poll.records`). */
  batchSize?: number
  /** Whether the task gets an errant record reporter (the context's `reported` collects what it reports). */
  errantRecords?: boolean
}

export interface SinkRun {
  /** Every record `put` got (after converters and transforms), in order; a redelivered batch counts once. */
  delivered: SinkRecord[]
  /** The offsets `preCommit` returned at the end: what a worker would commit, by `topic:partition`. */
  committed: PartitionOffsets
  /** The task's context: what the task asked for (rewinds, pauses, commits, reported records). */
  context: TestSinkTaskContext
}

const utf8 = (v: Uint8Array | string | null | undefined): Uint8Array | null =>
  v === undefined || v === null ? null : typeof v === 'string' ? Buffer.from(v, 'utf8') : v

/**
 * Runs one task of a sink connector: starts the connector with `config` and the task from its task config, opens the
 * records' partitions, converts and transforms the records and `put`s them in batches (a batch that fails with
 * `RetriableException` is put again after the task's `context.timeout`, up to 10 times), asks `preCommit` what to
 * commit, closes the partitions and stops the task and the connector.
 */
export async function runSinkTask(connector: Connector, options: SinkRunOptions): Promise<SinkRun> {
  const p = await pipeline<SinkRecord>(options)
  let task: SinkTask | null = null
  let context: TestSinkTaskContext | null = null
  let opened: TopicPartition[] = []
  try {
    const props = await taskConfig(connector, options, new TestConnectorContext())
    task = new (connector.taskClass())() as SinkTask
    context = new TestSinkTaskContext(props, { errantRecords: options.errantRecords ?? false })
    task.initialize(context)
    await task.start(props)
    const current: PartitionOffsets = new Map()
    const converted: SinkRecord[] = []
    for (const input of options.records) {
      const partition = input.partition ?? 0
      const tp = `${input.topic}:${partition}`
      const offset = input.offset ?? current.get(tp)?.offset ?? 0
      current.set(tp, { topic: input.topic, partition, offset: offset + 1 })
      const record = toSinkRecord(input, partition, offset, p.converters)
      const transformed = p.chain.apply(record)
      if (transformed !== null) converted.push(transformed)
    }
    opened = [...current.values()].map(({ topic, partition }) => ({ topic, partition }))
    context.assigned = opened
    await task.open(opened)
    const batchSize = options.batchSize ?? 500
    for (let i = 0; i < converted.length; i += batchSize) {
      await putWithRetries(task, context, converted.slice(i, i + batchSize))
    }
    const committed = await task.preCommit(new Map(current))
    return { delivered: converted, committed, context }
  } finally {
    if (task && opened.length > 0) await task.close(opened)
    await task?.stop()
    await connector.stop()
    closePipeline(p as Pipeline<ConnectRecord>)
  }
}

async function putWithRetries(task: SinkTask, context: TestSinkTaskContext, batch: SinkRecord[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await task.put(batch)
      return
    } catch (e) {
      if (!(e instanceof RetriableException) || attempt >= 10) throw e
      await new Promise((r) => setTimeout(r, context.timeoutMs))
    }
  }
}

function toSinkRecord(input: SinkInput | KafkaRecord, partition: number, offset: number, converters: Converters) {
  const headers = new Headers()
  for (const [k, v] of input.headers ?? []) {
    const h = converters.header.toConnectHeader(input.topic, k, utf8(v))
    headers.add(k, h.value, h.schema)
  }
  const key = converters.key.toConnectData(input.topic, headers, utf8(input.key))
  const value = converters.value.toConnectData(input.topic, headers, utf8(input.value))
  const timestamp = input.timestamp ?? null
  return new SinkRecord(
    input.topic,
    partition,
    key.schema,
    key.value,
    value.schema,
    value.value,
    offset,
    timestamp,
    timestamp === null ? 'NoTimestampType' : 'CreateTime',
    headers,
  )
}
