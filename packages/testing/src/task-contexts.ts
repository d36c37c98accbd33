/**
 * Contexts for running a connector or task outside a worker, in tests: they do what the worker's contexts do and
 * record what the plugin asked for (task reconfigurations, errors raised, rewinds, pauses, commit requests).
 */
import {
  type ErrantRecordReporter,
  IllegalWorkerStateException,
  type OffsetMap,
  type OffsetStorageReader,
  type SinkRecord,
  type SinkTaskContext,
  type SourceConnectorContext,
  type SourceTaskContext,
  type TopicPartition,
  type TransactionContext,
} from '@ferry/api'
import type { OffsetBackingStore } from '@ferry/runtime'

/** A connector's view of `store` (lookups by value), as the worker gives it to the connector and its tasks. */
export function offsetStorageReader(store: OffsetBackingStore, connector: string): OffsetStorageReader {
  return {
    offset: (partition) => store.get(connector, partition),
    offsets: (partitions: OffsetMap[]) => new Map(partitions.map((p) => [p, store.get(connector, p)])),
  }
}

/** A reader over no stored offsets. */
export const NO_OFFSETS: OffsetStorageReader = {
  offset: () => null,
  offsets: (ps) => new Map(ps.map((p) => [p, null])),
}

/** A connector context (source or sink) that records what the connector asked for. */
export class TestConnectorContext implements SourceConnectorContext {
  /** How many times the connector asked for its task configs to be read again. */
  reconfigurations = 0
  /** The errors the connector raised from background work. */
  readonly errors: Error[] = []
  readonly #offsets: OffsetStorageReader

  constructor(offsets: OffsetStorageReader = NO_OFFSETS) {
    this.#offsets = offsets
  }

  requestTaskReconfiguration(): void {
    this.reconfigurations++
  }

  raiseError(error: Error): void {
    this.errors.push(error)
  }

  offsetStorageReader(): OffsetStorageReader {
    return this.#offsets
  }
}

/** A source task's context over `offsets`; `transactions` is what `transactionContext()` returns (default none). */
export class TestSourceTaskContext implements SourceTaskContext {
  readonly #configs: Record<string, string>
  readonly #offsets: OffsetStorageReader
  readonly #transactions: TransactionContext | null

  constructor(
    configs: Record<string, string>,
    offsets: OffsetStorageReader = NO_OFFSETS,
    transactions: TransactionContext | null = null,
  ) {
    this.#configs = configs
    this.#offsets = offsets
    this.#transactions = transactions
  }

  transactionContext(): TransactionContext | null {
    return this.#transactions
  }

  configs(): Record<string, string> {
    return this.#configs
  }

  offsetStorageReader(): OffsetStorageReader {
    return this.#offsets
  }
}

const tpKey = (tp: TopicPartition) => `${tp.topic}:${tp.partition}`

/**
 * A sink task's context: `assigned` is the assignment (set it before `open`), and the rest records what the task asked
 * for. `reported` collects the records given to the errant record reporter when `errantRecords` is on.
 */
export class TestSinkTaskContext implements SinkTaskContext {
  assigned: TopicPartition[] = []
  /** The offsets the task asked to rewind or skip to, by `topic:partition`. */
  readonly rewinds = new Map<string, number>()
  readonly paused = new Set<string>()
  /** The backoff the task set for redelivering a batch after a RetriableException (ms). */
  timeoutMs = 0
  commitRequests = 0
  readonly reported: Array<{ record: SinkRecord; error: Error }> = []
  readonly #configs: Record<string, string>
  readonly #reporter: ErrantRecordReporter | null

  constructor(configs: Record<string, string>, options: { errantRecords?: boolean } = {}) {
    this.#configs = configs
    this.#reporter = options.errantRecords
      ? {
          report: async (record, error) => {
            this.reported.push({ record, error })
          },
        }
      : null
  }

  configs(): Record<string, string> {
    return this.#configs
  }

  offset(offsets: Map<TopicPartition, number>): void
  offset(partition: TopicPartition, offset: number): void
  offset(offsets: Map<TopicPartition, number> | TopicPartition, offset?: number): void {
    if (offsets instanceof Map) for (const [tp, o] of offsets) this.rewinds.set(tpKey(tp), o)
    else if (offset !== undefined) this.rewinds.set(tpKey(offsets), offset)
  }

  timeout(ms: number): void {
    this.timeoutMs = ms
  }

  assignment(): TopicPartition[] {
    return [...this.assigned]
  }

  /** As the worker's: a partition not in `assigned` throws IllegalWorkerStateException. */
  pause(...partitions: TopicPartition[]): void {
    for (const tp of this.#assignedOnly(partitions, 'pause')) this.paused.add(tpKey(tp))
  }

  resume(...partitions: TopicPartition[]): void {
    for (const tp of this.#assignedOnly(partitions, 'resume')) this.paused.delete(tpKey(tp))
  }

  #assignedOnly(partitions: TopicPartition[], what: string): TopicPartition[] {
    const assigned = new Set(this.assigned.map(tpKey))
    if (partitions.some((tp) => !assigned.has(tpKey(tp))))
      throw new IllegalWorkerStateException(
        `SinkTasks may not ${what} partitions that are not currently assigned to them.`,
      )
    return partitions
  }

  requestCommit(): void {
    this.commitRequests++
  }

  errantRecordReporter(): ErrantRecordReporter | null {
    return this.#reporter
  }
}
