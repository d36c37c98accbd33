/**
 * Apache's `WorkerTransactionContext`: the `TransactionContext` a task gets under `transaction.boundary=connector`,
 * which the exactly-once source task asks after each record it dispatched (`shouldCommitOn`/`shouldAbortOn`) and after
 * each batch (`shouldCommitBatch`/`shouldAbortBatch`). Each answer is given once. A task that asked for both a commit
 * and an abort at the same point fails, as Apache's does: the worker cannot tell which one it meant, and either guess
 * may lose or duplicate data.
 */
import { ConnectException, type SourceRecord, type TransactionContext } from '@ferry/api'

export class WorkerTransactionContext implements TransactionContext {
  readonly #committable = new Set<SourceRecord>()
  readonly #abortable = new Set<SourceRecord>()
  #batchCommit = false
  #batchAbort = false

  commitTransaction(record?: SourceRecord): void {
    if (record === undefined) this.#batchCommit = true
    else this.#committable.add(requireRecord(record))
  }

  abortTransaction(record?: SourceRecord): void {
    if (record === undefined) this.#batchAbort = true
    else this.#abortable.add(requireRecord(record))
  }

  shouldCommitBatch(): boolean {
    this.#checkBatch()
    const result = this.#batchCommit
    this.#batchCommit = false
    return result
  }

  shouldAbortBatch(): boolean {
    this.#checkBatch()
    const result = this.#batchAbort
    this.#batchAbort = false
    return result
  }

  shouldCommitOn(record: SourceRecord): boolean {
    this.#checkRecord(record)
    return this.#committable.delete(record)
  }

  shouldAbortOn(record: SourceRecord): boolean {
    this.#checkRecord(record)
    return this.#abortable.delete(record)
  }

  #checkBatch(): void {
    if (this.#batchCommit && this.#batchAbort)
      throw new ConnectException('Connector requested both commit and abort of same transaction')
  }

  #checkRecord(record: SourceRecord): void {
    if (this.#committable.has(record) && this.#abortable.has(record)) {
      throw new ConnectException(
        `Connector requested both commit and abort of same record against topic/partition ${record.topic}/${record.kafkaPartition ?? null}`,
      )
    }
  }
}

function requireRecord(record: SourceRecord | null): SourceRecord {
  if (record === null) throw new TypeError('Source record used to define transaction boundaries may not be null')
  return record
}
