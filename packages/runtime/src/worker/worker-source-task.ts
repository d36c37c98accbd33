import {
  type Converter,
  type HeaderConverter,
  type OffsetMap,
  RetriableException,
  type SourceRecord,
  SourceTask,
} from '@ferry/api'
import { isConnectionError, type KafkaProducer, type OutgoingRecord } from '../kafka/clients.ts'
import type { Logger } from '../logger.ts'
import { type OffsetBackingStore, offsetKey } from '../storage/offset-store.ts'
import type { TransformationChain } from './transformation-chain.ts'
import { type ConnectorTaskId, type TargetState, type TaskStatusListener, WorkerTask } from './worker-task.ts'

export interface SourceTaskSettings {
  offsetFlushIntervalMs: number
  offsetFlushTimeoutMs: number
  errorsToleranceAll: boolean
}

/** One produced batch, in submission order; its offsets become committable once it and all earlier batches are acked. */
interface SubmittedBatch {
  offsets: Map<string, [OffsetMap, OffsetMap]>
  acked: boolean
}

/**
 * Runs a SourceTask (Apache's WorkerSourceTask): poll → transform → convert → produce. One batch is being
 * produced while the next is polled and converted, so a batch never waits for its predecessor's round trip more
 * than once, and records of a partition reach Kafka in order. A source offset is committed only after its record
 * and every earlier one were acked (or dropped); commits run every `offset.flush.interval.ms` and at stop.
 */
export class WorkerSourceTask extends WorkerTask {
  readonly #task: SourceTask
  readonly #props: Record<string, string>
  readonly #keyConverter: Converter
  readonly #valueConverter: Converter
  readonly #headerConverter: HeaderConverter
  readonly #chain: TransformationChain<SourceRecord>
  readonly #producer: KafkaProducer
  readonly #offsets: OffsetBackingStore
  readonly #settings: SourceTaskSettings
  readonly #submitted: SubmittedBatch[] = []
  /** Acked offsets not yet written to the offset store. */
  #committable = new Map<string, [OffsetMap, OffsetMap]>()
  #inFlight: Promise<void> | null = null
  #lastCommit = Date.now()
  #commitTimer: NodeJS.Timeout | null = null
  #committing: Promise<void> | null = null
  #started = false
  readonly #callsCommitRecord: boolean
  /** Records produced so far (for the quickstart summary and metrics). */
  recordsProduced = 0

  constructor(
    id: ConnectorTaskId,
    task: SourceTask,
    props: Record<string, string>,
    converters: { key: Converter; value: Converter; header: HeaderConverter },
    chain: TransformationChain<SourceRecord>,
    producer: KafkaProducer,
    offsets: OffsetBackingStore,
    settings: SourceTaskSettings,
    initialState: TargetState,
    listener: TaskStatusListener,
    log: Logger,
  ) {
    super(id, initialState, listener, log)
    this.#task = task
    this.#props = props
    this.#keyConverter = converters.key
    this.#valueConverter = converters.value
    this.#headerConverter = converters.header
    this.#chain = chain
    this.#producer = producer
    this.#offsets = offsets
    this.#settings = settings
    this.#callsCommitRecord = task.commitRecord !== SourceTask.prototype.commitRecord
  }

  protected async initializeAndStart(): Promise<void> {
    const store = this.#offsets
    const connector = this.id.connector
    this.#task.initialize({
      configs: () => this.#props,
      offsetStorageReader: () => ({
        offset: (partition) => store.get(connector, partition),
        offsets: (partitions) => new Map(partitions.map((p) => [p, store.get(connector, p)])),
      }),
    })
    await this.#task.start(this.#props)
    this.#started = true
    this.#commitTimer = setInterval(
      () => {
        void this.#commitOffsets().catch((e) => this.log.error({ err: e }, 'Offset commit failed'))
      },
      Math.max(1, this.#settings.offsetFlushIntervalMs),
    )
    this.#commitTimer.unref()
  }

  protected async execute(): Promise<void> {
    while (!this.stopping) {
      if (this.paused) {
        await this.#inFlight
        await this.waitWhilePaused()
        continue
      }
      let records: SourceRecord[] | null
      try {
        records = await this.#task.poll()
      } catch (e) {
        if (e instanceof RetriableException) {
          this.log.warn({ err: e }, 'Retriable error from poll; polling again')
          continue
        }
        throw e
      }
      if (!records || records.length === 0) continue
      const batch = this.#convert(records)
      // Produce in order: wait for the previous batch before sending this one.
      await this.#inFlight
      this.#submitted.push(batch.submitted)
      this.#inFlight = this.#send(batch.outgoing, batch.kept, batch.submitted)
      // A failed send rejects here on the next turn (or at close).
      this.#inFlight.catch(() => {})
    }
  }

  #convert(records: SourceRecord[]): { outgoing: OutgoingRecord[]; kept: SourceRecord[]; submitted: SubmittedBatch } {
    const offsets = new Map<string, [OffsetMap, OffsetMap]>()
    const outgoing: OutgoingRecord[] = []
    const kept: SourceRecord[] = []
    const chain = this.#chain.isEmpty ? null : this.#chain
    const connector = this.id.connector
    // Tasks usually reuse one partition object for many records: compute its key once.
    let lastPartition: OffsetMap | null = null
    let lastKey = ''
    for (const original of records) {
      const partition = original.sourcePartition
      if (partition && original.sourceOffset) {
        if (partition !== lastPartition) {
          lastPartition = partition
          lastKey = offsetKey(connector, partition)
        }
        offsets.set(lastKey, [partition, original.sourceOffset])
      }
      const record = chain ? chain.apply(original) : original
      if (record === null) {
        if (this.#callsCommitRecord) this.#task.commitRecord(original, null)
        continue
      }
      const topic = record.topic
      let headers: Array<[string, Buffer | null]> | undefined
      if (record.headers.size > 0) {
        headers = []
        for (const h of record.headers) {
          const bytes = this.#headerConverter.fromConnectHeader(topic, h.key, h.schema, h.value)
          headers.push([h.key, bytes ? toBuffer(bytes) : null])
        }
      }
      const key = this.#keyConverter.fromConnectData(topic, record.headers, record.keySchema, record.key)
      const value = this.#valueConverter.fromConnectData(topic, record.headers, record.valueSchema, record.value)
      outgoing.push({
        topic,
        partition: record.kafkaPartition ?? undefined,
        key: key ? toBuffer(key) : null,
        value: value ? toBuffer(value) : null,
        timestamp: record.timestamp ?? undefined,
        headers,
      })
      kept.push(original)
    }
    return { outgoing, kept, submitted: { offsets, acked: false } }
  }

  async #send(outgoing: OutgoingRecord[], kept: SourceRecord[], submitted: SubmittedBatch): Promise<void> {
    let attempt = 0
    while (outgoing.length > 0) {
      try {
        const result = await this.#producer.send(outgoing)
        this.recordsProduced += outgoing.length
        if (this.#callsCommitRecord) this.#reportAcks(outgoing, kept, result)
        break
      } catch (e) {
        attempt++
        if (isConnectionError(e) && !this.stopping) {
          const delay = Math.min(100 * 2 ** Math.min(attempt, 7), 10000)
          this.log.warn(
            `Cannot reach Kafka to produce ${outgoing.length} records (${(e as Error).message}); retrying in ${delay} ms (attempt ${attempt})`,
          )
          await new Promise((r) => setTimeout(r, delay))
          continue
        }
        if (this.#settings.errorsToleranceAll) {
          this.log.warn(
            { err: e },
            `Skipping ${outgoing.length} records that could not be produced (errors.tolerance=all)`,
          )
          break
        }
        throw new Error(`Failed to produce records to Kafka: ${(e as Error).message}`, { cause: e })
      }
    }
    submitted.acked = true
    while (this.#submitted.length > 0 && this.#submitted[0]!.acked) {
      for (const [k, v] of this.#submitted.shift()!.offsets) this.#committable.set(k, v)
    }
  }

  #reportAcks(
    outgoing: OutgoingRecord[],
    kept: SourceRecord[],
    result: Array<{ topic: string; partition: number; offset: number }>,
  ): void {
    // The client reports a base offset per topic-partition; records of a partition are consecutive from it.
    const next = new Map<string, number>()
    for (const r of result) next.set(`${r.topic}\u0000${r.partition}`, r.offset)
    for (let i = 0; i < outgoing.length; i++) {
      const out = outgoing[i]!
      let metadata = null
      if (out.partition !== undefined) {
        const k = `${out.topic}\u0000${out.partition}`
        const offset = next.get(k)
        if (offset !== undefined) {
          metadata = { topic: out.topic, partition: out.partition, offset }
          next.set(k, offset + 1)
        }
      }
      this.#task.commitRecord(kept[i]!, metadata ?? { topic: out.topic, partition: -1, offset: -1 })
    }
  }

  /** Writes acked offsets to the store, then tells the task. Offsets stay pending when the write fails. */
  async #commitOffsets(): Promise<void> {
    if (this.#committing) return this.#committing
    this.#committing = (async () => {
      const pending = this.#committable
      this.#committable = new Map()
      if (pending.size > 0) {
        try {
          await withTimeout(
            this.#offsets.set(this.id.connector, [...pending.values()]),
            this.#settings.offsetFlushTimeoutMs,
            'offset flush',
          )
        } catch (e) {
          for (const [k, v] of pending) if (!this.#committable.has(k)) this.#committable.set(k, v)
          throw e
        }
      }
      this.#lastCommit = Date.now()
      await this.#task.commit()
    })()
    try {
      await this.#committing
    } finally {
      this.#committing = null
    }
  }

  get lastCommit(): number {
    return this.#lastCommit
  }

  protected onStop(): void {
    if (!this.#started) return
    try {
      const r = this.#task.stop()
      if (r instanceof Promise) r.catch((e) => this.log.warn({ err: e }, 'Error stopping the task'))
    } catch (e) {
      this.log.warn({ err: e }, 'Error stopping the task')
    }
  }

  protected async close(): Promise<void> {
    if (this.#commitTimer) clearInterval(this.#commitTimer)
    try {
      await this.#inFlight
    } catch (e) {
      this.log.warn({ err: e }, 'The last batch was not produced; its offsets are not committed')
    }
    if (this.#started) {
      try {
        await this.#commitOffsets()
      } catch (e) {
        this.log.error({ err: e }, 'Final offset commit failed')
      }
    }
    if (!this.stopping && this.#started) {
      // The loop ended by failure: the task still gets its stop call.
      this.onStop()
    }
    await this.#producer.close().catch(() => {})
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}
