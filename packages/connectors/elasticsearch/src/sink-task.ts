import { readFileSync } from 'node:fs'
import {
  ConnectException,
  DataException,
  type ErrantRecordReporter,
  type PartitionOffsets,
  type SinkRecord,
  SinkTask,
  type TopicPartition,
  valueIsNull,
} from '@ferry/api'
import { type SinkSettings, sinkSettings } from './config.ts'
import { DataConverter, recordString } from './data-converter.ts'
import { ElasticsearchClient } from './elasticsearch-client.ts'
import { HttpClient } from './http-client.ts'
import { createLog, type Log } from './log.ts'
import { AsyncOffsetTracker } from './offset-tracker.ts'
import { VERSION } from './version.ts'

/**
 * Confluent's ElasticsearchSinkTask: each record becomes a bulk operation on the index named after its topic (or its
 * data stream, or its mapped resource), created on first use with a mapping from the value schema unless schemas are
 * ignored. `put` returns once the operations are buffered; `preCommit` hands back only the offsets of records the
 * cluster acknowledged (with `flush.synchronously`, it waits for every request and hands back the offsets it was
 * given). `put` waits while `max.buffered.records` are buffered, and while more than ten times that many records wait
 * for earlier ones of their partition, until half of them are committable.
 */
export class ElasticsearchSinkTask extends SinkTask {
  #settings!: SinkSettings
  #converter!: DataConverter
  #client!: ElasticsearchClient
  #tracker = new AsyncOffsetTracker()
  #reporter: ErrantRecordReporter | null = null
  #log!: Log
  readonly #indices = new Set<string>()
  readonly #mappings = new Set<string>()
  /** The resource of each topic whose index (and mapping) is known to exist. */
  readonly #resources = new Map<string, string>()

  version(): string {
    return VERSION
  }

  /** A value without a schema is indexed as its JSON text. */
  override writesJsonText(): boolean {
    return true
  }

  async start(props: Record<string, string>): Promise<void> {
    this.#settings = sinkSettings(props, readFileSync)
    this.#log = createLog('ElasticsearchSinkTask')
    this.#converter = new DataConverter(this.#settings)
    this.#reporter = this.context.errantRecordReporter()
    if (!this.#reporter) this.#log.info('Errant record reporter not configured.')
    this.#client = new ElasticsearchClient(
      this.#settings,
      new HttpClient(this.#settings),
      this.#reporter,
      this.#log,
      () => this.#tracker.updateOffsets(),
    )
    const version = await this.#client.connect()
    this.#log.info(`Started ElasticsearchSinkTask. Connecting to ES server version: ${version}`)
  }

  async put(records: SinkRecord[]): Promise<void> {
    this.#client.throwIfFailed()
    await this.#waitForCommittableOffsets()
    for (const record of records) {
      const state = this.#tracker.addPendingRecord(record)
      if (valueIsNull(record) && this.#settings.behaviorOnNullValues === 'IGNORE') {
        state.processed = true
        this.#report(record, new ConnectException('Cannot write null valued record.'))
        continue
      }
      const resource = this.#resources.get(record.topic) ?? (await this.#resourceFor(record))
      let op: ReturnType<DataConverter['convertRecord']>
      try {
        op = this.#converter.convertRecord(record, resource)
      } catch (e) {
        if (!(e instanceof DataException)) throw e
        this.#report(record, e)
        if (!this.#settings.dropInvalidMessage) throw e
        // The reason may echo record content: only its type is logged.
        this.#log.error(`Can't convert ${recordString(record)}. Failure type: ${e.name}`)
        state.processed = true
        continue
      }
      if (op === null) {
        state.processed = true
        continue
      }
      // Awaited only when the buffer is full: an await per record costs more than the rest of the loop.
      const full = this.#client.add(op, state)
      if (full) await full
    }
    this.#tracker.updateOffsets()
  }

  /** Confluent pauses the partitions above this mark; Ferry's `put` simply waits, which holds back the consumer. */
  async #waitForCommittableOffsets(): Promise<void> {
    const high = this.#settings.maxBufferedRecords * 10
    if (this.#tracker.numEntries <= high) return
    const low = this.#settings.maxBufferedRecords * 5
    this.#client.flush()
    while (this.#tracker.numEntries > low) {
      this.#client.throwIfFailed()
      await this.#client.waitForInFlightRequests(100)
      this.#tracker.updateOffsets()
    }
  }

  async #resourceFor(record: SinkRecord): Promise<string> {
    const s = this.#settings
    let resource: string
    if (s.externalResourceUsage !== 'DISABLED') {
      const mapped = s.topicToResource.get(record.topic)
      if (mapped === undefined) {
        throw new ConnectException(
          `Topic '${record.topic}' is not mapped to any resource. All topics must be mapped when using topic-to-resource mapping configuration. Please check the 'topic.to.external.resource.mapping' configuration to ensure all topics are properly mapped.`,
        )
      }
      resource = mapped
    } else {
      resource = s.isDataStream ? this.#dataStreamName(record.topic) : indexName(record.topic, this.#log)
      if (!this.#indices.has(resource)) {
        this.#log.info(`Creating index ${resource}.`)
        await this.#client.createIndexOrDataStream(resource)
        this.#indices.add(resource)
      }
    }
    if (!this.#converter.shouldIgnoreSchema(record.topic) && !this.#mappings.has(resource)) {
      if (!(await this.#client.hasMapping(resource))) await this.#client.createMapping(resource, record.valueSchema)
      this.#mappings.add(resource)
    }
    this.#resources.set(record.topic, resource)
    return resource
  }

  /** `{type}-{dataset}-{namespace}`, the namespace's `${topic}` replaced by the lower-cased topic (100 chars at most). */
  #dataStreamName(topic: string): string {
    const s = this.#settings
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Confluent's placeholder, replaced by the topic
    const namespace = s.dataStreamNamespace.replaceAll('${topic}', topic.toLowerCase()).slice(0, 100)
    return `${s.dataStreamType.toLowerCase()}-${s.dataStreamDataset}-${namespace}`
  }

  #report(record: SinkRecord, error: Error): void {
    this.#reporter?.report(record, error).catch(() => {
      // The worker awaits its reporter's writes before committing and fails the task when one was lost.
    })
  }

  override async preCommit(currentOffsets: PartitionOffsets): Promise<PartitionOffsets> {
    if (this.#settings.flushSynchronously) {
      await this.#client.waitForInFlightRequests(this.#settings.flushTimeoutMs)
      return this.#client.failed ? new Map() : currentOffsets
    }
    this.#client.flush()
    this.#tracker.updateOffsets()
    return this.#tracker.offsets()
  }

  override close(partitions: TopicPartition[]): void {
    this.#tracker.closePartitions(partitions)
  }

  async stop(): Promise<void> {
    await this.#client?.close()
  }
}

/**
 * Confluent's convertTopicToIndexName: lower case, at most 255 characters, no leading `-` or `_`, and `.`/`..`
 * spelled `dot`/`dotdot`.
 */
export function indexName(topic: string, log?: Log): string {
  let index = topic.toLowerCase().slice(0, 255)
  if (index.startsWith('-') || index.startsWith('_')) index = index.slice(1)
  if (index === '.' || index === '..') {
    index = index.replaceAll('.', 'dot')
    log?.warn(`Elasticsearch cannot have indices named ${topic}. Index will be named ${index}.`)
  }
  return index
}
