import { ConnectException, DataException, RetriableException, type SinkRecord, SinkTask } from '@ferry/api'
import { connect, type Db, errorMessage, redact } from './db.ts'
import { type SinkSettings, sinkSettings } from './sink-config.ts'
import { SinkWriter } from './sink-writer.ts'
import { VERSION } from './version.ts'

/**
 * Confluent's JdbcSinkTask: each `put` is written in one transaction. A database error rolls it back and the same
 * batch is delivered again after `retry.backoff.ms`, up to `max.retries` times; invalid records fail the task at once.
 */
export class JdbcSinkTask extends SinkTask {
  #settings: SinkSettings | null = null
  #writer: SinkWriter | null = null
  #db: Db | null = null
  #remainingRetries = 0

  version(): string {
    return VERSION
  }

  async start(props: Record<string, string>): Promise<void> {
    this.#settings = sinkSettings(props)
    this.#writer = new SinkWriter(this.#settings, props.name ?? 'jdbc-sink')
    this.#remainingRetries = this.#settings.maxRetries
    this.#db = await connect(this.#settings.connection)
  }

  async put(records: SinkRecord[]): Promise<void> {
    if (records.length === 0) return
    const s = this.#settings!
    try {
      this.#db ??= await connect(s.connection)
      await this.#writer!.write(this.#db, records)
      this.#remainingRetries = s.maxRetries
    } catch (e) {
      if (e instanceof DataException || (e instanceof ConnectException && !/^Could not connect/.test(e.message))) {
        throw e
      }
      if (this.#db?.isConnectionError(e)) {
        await this.#db.close()
        this.#db = null
      }
      const first = records[0]!
      const message = `Failed to write ${records.length} records (from ${first.topic}-${first.kafkaPartition}@${first.kafkaOffset}): ${redact(errorMessage(e), s.connection.password)}`
      if (this.#remainingRetries > 0) {
        this.#remainingRetries--
        this.context.timeout(s.retryBackoffMs)
        throw new RetriableException(message)
      }
      throw new ConnectException(message)
    }
  }

  async stop(): Promise<void> {
    const db = this.#db
    this.#db = null
    await db?.close()
  }
}
