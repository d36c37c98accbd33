import {
  ConnectException,
  DataException,
  type ErrantRecordReporter,
  type PartitionOffsets,
  RetriableException,
  type SinkRecord,
  SinkTask,
  type TopicPartition,
  valueIsNull,
} from '@ferry/api'
import { type S3SinkSettings, s3Settings } from './config.ts'
import { TimeZone } from './date-format.ts'
import type { Format } from './formats/format.ts'
import { newPartitioner, type Partitioner } from './partitioner.ts'
import type { S3Storage } from './storage.ts'
import { RewindException, TopicPartitionWriter } from './topic-partition-writer.ts'
import { VERSION } from './version.ts'

const key = (topic: string, partition: number) => `${topic}:${partition}`

/**
 * Confluent's S3SinkTask: one TopicPartitionWriter per assigned partition. `put` writes each batch and uploads the
 * objects whose rotation is due; `preCommit` returns, per partition, the offset after the last record of the last
 * uploaded object, so Kafka's committed offsets never run ahead of the bucket.
 *
 * An S3 request that still fails after the client's `s3.part.retries` throws RetriableException: the runtime waits
 * `retry.backoff.ms` and delivers the same batch again, the writers make the failed request again and skip the
 * records they already hold, as Confluent's task rewinds to the start of the open objects and retries. A conditional
 * write that found its object already written (RewindException) seeks the partition instead and gives it a new writer.
 */
export class S3SinkTask extends SinkTask {
  #settings: S3SinkSettings | null = null
  #storage: S3Storage | null = null
  #format: Format | null = null
  /** Whether JsonFormat takes values' JSON text as it came (see `writesJsonText` in formats/format.ts). */
  #writesJsonText = false
  #partitioner: Partitioner | null = null
  #zone: TimeZone | null = null
  #reporter: ErrantRecordReporter | null = null
  readonly #writers = new Map<string, TopicPartitionWriter>()

  version(): string {
    return VERSION
  }

  async start(props: Record<string, string>): Promise<void> {
    const s = s3Settings(props)
    this.#settings = s
    // The S3 client and the format libraries load with the first task, not with every worker.
    const [{ S3Storage }, { newFormat, writesJsonText }] = await Promise.all([
      import('./storage.ts'),
      import('./formats/format.ts'),
    ])
    this.#format = newFormat(s)
    this.#writesJsonText = writesJsonText(s)
    this.#partitioner = newPartitioner(s)
    this.#zone = s.timezone ? new TimeZone(s.timezone) : null
    this.#storage = new S3Storage(s)
    if (!(await this.#storage.bucketExists())) throw new ConnectException(`Non-existent S3 bucket: ${s.bucket}`)
    this.#reporter = this.context.errantRecordReporter()
    this.open(this.context.assignment())
  }

  override writesJsonText(): boolean {
    return this.#writesJsonText
  }

  override open(partitions: TopicPartition[]): void {
    for (const tp of partitions) this.#writers.set(key(tp.topic, tp.partition), this.#newWriter(tp))
  }

  #newWriter(tp: { topic: string; partition: number }): TopicPartitionWriter {
    return new TopicPartitionWriter(
      tp,
      this.#storage!,
      this.#format!,
      this.#partitioner!,
      this.#settings!,
      this.#reporter,
      this.#zone,
    )
  }

  async put(records: SinkRecord[]): Promise<void> {
    const s = this.#settings!
    let writer: TopicPartitionWriter | undefined
    for (const record of records) {
      if (valueIsNull(record)) {
        if (s.nullValues === 'fail') {
          throw new ConnectException(
            `Null valued records are not writeable with current behavior.on.null.values 'settings' (${record.topic}-${record.kafkaPartition}@${record.kafkaOffset}); set it to ignore to skip them`,
          )
        }
        if (this.#reporter && s.reportNullValues) {
          await this.#reporter.report(record, new DataException('Skipping null value record.'))
        }
        continue
      }
      // Batches come in runs of one partition: look the writer up when the partition changes.
      if (writer?.partition !== record.kafkaPartition || writer.topic !== record.topic) {
        writer = this.#writers.get(key(record.topic, record.kafkaPartition ?? -1))
      }
      if (!writer) {
        throw new ConnectException(
          `No writer found for topic partition ${record.topic}-${record.kafkaPartition}. The record's topic-partition does not match any assigned partitions. Assigned partitions: ${[...this.#writers.keys()].join(', ')}`,
        )
      }
      writer.buffer(record)
    }
    const now = Date.now()
    for (const [k, writer] of this.#writers) {
      try {
        await writer.write(now)
      } catch (e) {
        if (e instanceof RewindException) {
          // As Confluent's task: seek the partition, back off, and start it again with a new writer.
          const tp = { topic: writer.topic, partition: writer.partition }
          this.context.offset(tp, e.offset)
          this.context.timeout(s.retryBackoffMs)
          await writer.close()
          this.#writers.set(k, this.#newWriter(tp))
          continue
        }
        if (!(e instanceof Error) || e.name !== 'S3RequestException') throw e
        this.context.timeout(s.retryBackoffMs)
        throw new RetriableException(e.message)
      }
    }
  }

  override async preCommit(_currentOffsets: PartitionOffsets): Promise<PartitionOffsets> {
    const out: PartitionOffsets = new Map()
    for (const [k, writer] of this.#writers) {
      const offset = await writer.offsetToCommitAndReset()
      if (offset !== null) out.set(k, { topic: writer.topic, partition: writer.partition, offset })
    }
    return out
  }

  override async close(partitions: TopicPartition[]): Promise<void> {
    for (const tp of partitions) {
      const k = key(tp.topic, tp.partition)
      await this.#writers.get(k)?.close()
      this.#writers.delete(k)
    }
  }

  async stop(): Promise<void> {
    for (const writer of this.#writers.values()) await writer.close()
    this.#writers.clear()
    this.#storage?.close()
    this.#storage = null
  }
}
