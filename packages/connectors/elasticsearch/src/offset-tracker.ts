/**
 * Which offsets a sink task may commit (Confluent's OffsetTracker): only those of records the cluster acknowledged,
 * or that were deliberately skipped, and every earlier record of their partition too. Records are tracked by their
 * original topic, partition and offset (before any transform), so topic-renaming transforms work.
 */
import type { PartitionOffsets, SinkRecord, TopicPartition } from '@ferry/api'

/** A record waiting for its bulk response. */
export interface OffsetState {
  readonly offset: number
  processed: boolean
}

const key = (topic: string, partition: number) => `${topic}:${partition}`

/** Confluent's AsyncOffsetTracker: per partition, records in offset order; the committable offset follows the
 * first record not yet processed. */
export class AsyncOffsetTracker {
  readonly #pending = new Map<string, OffsetState[]>()
  readonly #max = new Map<string, { topic: string; partition: number; offset: number }>()
  #entries = 0
  /** The partition of the last record added (records come in runs of one partition). */
  #last: { topic: string; partition: number; list: OffsetState[]; max: { offset: number } } | null = null

  addPendingRecord(record: SinkRecord): OffsetState {
    const topic = record.originalTopic
    const partition = record.originalKafkaPartition ?? 0
    const offset = record.originalKafkaOffset
    let last = this.#last
    if (last === null || last.partition !== partition || last.topic !== topic) {
      const k = key(topic, partition)
      let list = this.#pending.get(k)
      if (!list) {
        list = []
        this.#pending.set(k, list)
      }
      let max = this.#max.get(k)
      if (!max) {
        max = { topic, partition, offset: -1 }
        this.#max.set(k, max)
      }
      last = { topic, partition, list, max }
      this.#last = last
    }
    const state: OffsetState = { offset, processed: false }
    // A redelivered record that is already committable needs no tracking.
    if (offset <= last.max.offset) return state
    last.list.push(state)
    this.#entries++
    return state
  }

  get numEntries(): number {
    return this.#entries
  }

  /** Moves each partition's committable offset past its leading processed records. */
  updateOffsets(): void {
    for (const [k, list] of this.#pending) {
      let head = 0
      while (head < list.length && list[head]!.processed) head++
      if (head === 0) continue
      const max = this.#max.get(k)!
      max.offset = Math.max(max.offset, list[head - 1]!.offset)
      this.#entries -= head
      list.splice(0, head)
    }
  }

  /** The offsets to commit: the next offset to read after each partition's last processed record. */
  offsets(): PartitionOffsets {
    const out: PartitionOffsets = new Map()
    for (const [k, m] of this.#max) {
      if (m.offset >= 0) out.set(k, { topic: m.topic, partition: m.partition, offset: m.offset + 1 })
    }
    return out
  }

  closePartitions(partitions: TopicPartition[]): void {
    for (const tp of partitions) {
      const k = key(tp.topic, tp.partition)
      this.#entries -= this.#pending.get(k)?.length ?? 0
      this.#pending.delete(k)
      this.#max.delete(k)
    }
    this.#last = null
  }
}
