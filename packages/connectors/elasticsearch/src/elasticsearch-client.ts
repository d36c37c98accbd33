/**
 * Confluent's ElasticsearchClient: index, data stream and mapping calls, and a bulk processor. Operations are
 * buffered and sent as `_bulk` requests of at most `batch.size` operations and `bulk.size.bytes`, when a batch is
 * full or `linger.ms` after its first operation, with at most `max.in.flight.requests` requests at a time.
 * `add` waits while `max.buffered.records` operations are buffered or in flight (the task's back-pressure), and fails
 * after `flush.timeout.ms`.
 *
 * Each bulk response is read item by item (unless it says that none failed):
 * - acknowledged, or a version conflict on an externally versioned operation (the index already holds that record or
 *   a newer one): processed;
 * - 429 or 5xx (a full write queue, a shard not available): sent again, alone with the others that failed so, after
 *   a jittered exponential backoff, up to `max.retries` times; then the task fails;
 * - a malformed document (mapping conflict, parse error, ...): reported to the errant record reporter and then
 *   ignored, warned about or failed, per `behavior.on.malformed.documents`;
 * - anything else: reported, and the task fails.
 * A request that gets no answer, or a 429/5xx answer as a whole, is retried the same way.
 * The first failure is kept and thrown by the next `add`, `flush` or `throwIfFailed`.
 */
import { ConnectException, type ErrantRecordReporter, type Schema } from '@ferry/api'
import type { SinkSettings } from './config.ts'
import { type BulkOperation, recordString } from './data-converter.ts'
import { type HttpClient, type HttpResponse, TransportError } from './http-client.ts'
import type { Log } from './log.ts'
import { buildMapping } from './mapping.ts'
import type { OffsetState } from './offset-tracker.ts'
import { callWithRetries, computeRandomRetryWaitTimeInMillis, PermanentError, sleep } from './retry.ts'

const MALFORMED_DOC_ERRORS = [
  'strict_dynamic_mapping_exception',
  'mapper_parsing_exception',
  'illegal_argument_exception',
  'action_request_validation_exception',
  'document_parsing_exception',
]
const VERSION_CONFLICT = 'version_conflict_engine_exception'
const ALREADY_EXISTS = 'resource_already_exists_exception'
/**
 * The head of a `_bulk` answer in which every item succeeded (`"errors":false`, after `took` and `ingest_took` on
 * Elasticsearch 7 and OpenSearch, first on Elasticsearch 8): its items need not be read.
 */
const NO_ERRORS = /^\{(?:"(?:took|ingest_took)":\d+,)*"errors":false,/

interface Pending {
  op: BulkOperation
  state: OffsetState
}

/** One item of a `_bulk` response. */
interface BulkItem {
  status: number
  error?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } }
}

/** An error whose answer had a retriable status (429, 5xx). */
class StatusError extends Error {}

function describe(res: HttpResponse): string {
  try {
    const body = JSON.parse(res.body.toString('utf8'))
    const e = body.error
    if (e && typeof e === 'object') return `${res.status} ${e.type}: ${e.reason}`
    if (typeof e === 'string') return `${res.status} ${e}`
  } catch {}
  return `${res.status} ${res.body.toString('utf8').slice(0, 200)}`
}

function failureMessage(item: BulkItem): string {
  const e = item.error
  if (!e) return `status ${item.status}`
  const cause = e.caused_by ? ` (caused by ${e.caused_by.type}: ${e.caused_by.reason})` : ''
  return `[${e.type}] ${e.reason}${cause}`
}

export class ElasticsearchClient {
  readonly #settings: SinkSettings
  readonly #http: HttpClient
  readonly #reporter: ErrantRecordReporter | null
  readonly #log: Log
  readonly #afterBulk: () => void
  #queue: Pending[] = []
  #queueBytes = 0
  #inFlight = 0
  #buffered = 0
  #linger: NodeJS.Timeout | null = null
  #error: Error | null = null
  #closed = false
  #waiters: (() => void)[] = []
  #version = 'Unknown'

  constructor(
    settings: SinkSettings,
    http: HttpClient,
    reporter: ErrantRecordReporter | null,
    log: Log,
    afterBulk: () => void,
  ) {
    this.#settings = settings
    this.#http = http
    this.#reporter = reporter
    this.#log = log
    this.#afterBulk = afterBulk
  }

  /** The server's version (`GET /`), e.g. `7.10.2` or `2.19.1`; 'Unknown' when it could not be read. */
  async connect(): Promise<string> {
    const res = await this.#call('get the server version', 'GET', '/')
    const body = JSON.parse(res.body.toString('utf8'))
    this.#version = String(body?.version?.number ?? 'Unknown')
    return this.#version
  }

  get version(): string {
    return this.#version
  }

  /** A request with Confluent's retries: a transport failure, 429 or 5xx is retried; another 4xx is not. */
  async #call(
    description: string,
    method: string,
    path: string,
    body?: Buffer,
    accept: (status: number) => boolean = (s) => s < 300,
  ): Promise<HttpResponse> {
    return callWithRetries(
      description,
      async () => {
        const res = await this.#http.request(method, path, body)
        if (accept(res.status)) return res
        if (res.status === 429 || res.status >= 500) throw new StatusError(describe(res))
        throw new PermanentError(describe(res))
      },
      this.#settings.maxRetries + 1,
      this.#settings.retryBackoffMs,
      (e, attempt, backoff) =>
        this.#log.warn(
          `Failed to ${description} due to ${e.message}. Retrying attempt (${attempt}/${this.#settings.maxRetries + 1}) after backoff of ${backoff} ms`,
        ),
    )
  }

  async indexExists(index: string): Promise<boolean> {
    const res = await this.#call(
      `check if index ${index} exists`,
      'HEAD',
      `/${encodeURIComponent(index)}`,
      undefined,
      (s) => [200, 404].includes(s),
    )
    return res.status === 200
  }

  /** Creates the index, or the data stream when writing to data streams; false when it already existed. */
  async createIndexOrDataStream(name: string): Promise<boolean> {
    if (await this.indexExists(name)) return false
    const path = this.#settings.isDataStream
      ? `/_data_stream/${encodeURIComponent(name)}`
      : `/${encodeURIComponent(name)}`
    const what = this.#settings.isDataStream ? 'data stream' : 'index'
    const res = await this.#call(`create ${what} ${name}`, 'PUT', path, undefined, (s) => s < 300 || s === 400)
    if (res.status < 300) return true
    if (res.body.toString('utf8').includes(ALREADY_EXISTS)) return false
    throw new ConnectException(`Failed to create ${what} ${name}: ${describe(res)}`)
  }

  /** Whether the index already has a mapping with properties. */
  async hasMapping(index: string): Promise<boolean> {
    const res = await this.#call(`get mapping for index ${index}`, 'GET', `/${encodeURIComponent(index)}/_mapping`)
    const body = JSON.parse(res.body.toString('utf8')) as Record<string, { mappings?: Record<string, unknown> }>
    const mappings = Object.values(body)[0]?.mappings ?? {}
    return Object.keys(mappings).length > 0
  }

  async createMapping(index: string, schema: Schema | null): Promise<void> {
    const mapping = buildMapping(schema)
    await this.#call(
      `create mapping for resource ${index} with schema ${schema}`,
      'PUT',
      `/${encodeURIComponent(index)}/_mapping`,
      Buffer.from(JSON.stringify(mapping)),
    )
  }

  /**
   * Buffers one operation. Returns a promise only when the buffer is full, settled once the operation is buffered
   * (so a caller awaits only then). Throws, or rejects, with the first failure seen so far.
   */
  add(op: BulkOperation, state: OffsetState): Promise<void> | undefined {
    this.throwIfFailed()
    if (this.#buffered >= this.#settings.maxBufferedRecords) return this.#addWhenRoom(op, state)
    this.#enqueue(op, state)
  }

  async #addWhenRoom(op: BulkOperation, state: OffsetState): Promise<void> {
    const deadline = Date.now() + this.#settings.flushTimeoutMs
    while (this.#buffered >= this.#settings.maxBufferedRecords) {
      await this.#progress(deadline - Date.now())
      this.throwIfFailed()
      if (this.#buffered >= this.#settings.maxBufferedRecords && Date.now() >= deadline) {
        throw new ConnectException(
          'Could not make space in the internal buffer fast enough. Consider increasing flush.timeout.ms or max.buffered.records.',
        )
      }
    }
    this.#enqueue(op, state)
  }

  #enqueue(op: BulkOperation, state: OffsetState): void {
    this.#queue.push({ op, state })
    this.#queueBytes += op.bytes
    this.#buffered++
    if (this.#queue.length >= this.#settings.batchSize || this.#fullByBytes()) this.#dispatch(false)
    else if (this.#linger === null) {
      this.#linger = setTimeout(() => {
        this.#linger = null
        this.#dispatch(true)
      }, this.#settings.lingerMs)
    }
  }

  #fullByBytes(): boolean {
    return this.#settings.bulkSizeBytes !== -1 && this.#queueBytes >= this.#settings.bulkSizeBytes
  }

  /** Starts bulk requests while there is room in flight: full batches, or every queued operation when `all`. */
  #dispatch(all: boolean): void {
    while (
      this.#inFlight < this.#settings.maxInFlightRequests &&
      this.#queue.length > 0 &&
      (all || this.#queue.length >= this.#settings.batchSize || this.#fullByBytes())
    ) {
      const batch = this.#takeBatch()
      this.#inFlight++
      void this.#execute(batch).finally(() => {
        this.#inFlight--
        this.#buffered -= batch.length
        this.#afterBulk()
        this.#dispatch(this.#linger === null)
        this.#notify()
      })
    }
  }

  #takeBatch(): Pending[] {
    const s = this.#settings
    let n = 0
    let bytes = 0
    while (n < this.#queue.length && n < s.batchSize) {
      const size = this.#queue[n]!.op.bytes
      if (n > 0 && s.bulkSizeBytes !== -1 && bytes + size > s.bulkSizeBytes) break
      bytes += size
      n++
    }
    const batch = this.#queue.splice(0, n)
    this.#queueBytes -= bytes
    return batch
  }

  /** Sends one batch, retrying what failed retriably; never rejects (failures go to #fail). */
  async #execute(batch: Pending[]): Promise<void> {
    let items = batch
    const attempts = this.#settings.maxRetries + 1
    for (let attempt = 1; items.length > 0; attempt++) {
      if (this.#error) return
      let retry: Pending[] = []
      let reason = ''
      try {
        const res = await this.#http.request(
          'POST',
          '/_bulk',
          Buffer.from(items.map((p) => p.op.lines).join(''), 'utf8'),
          'application/x-ndjson',
        )
        if (res.status === 429 || res.status >= 500) {
          retry = items
          reason = describe(res)
        } else if (res.status >= 300) {
          return this.#fail(new ConnectException(`Bulk request failed: ${describe(res)}`))
        } else if (NO_ERRORS.test(res.body.toString('latin1', 0, 80))) {
          for (const pending of items) pending.state.processed = true
        } else {
          const body = JSON.parse(res.body.toString('utf8')) as { items: Record<string, BulkItem>[] }
          for (let i = 0; i < items.length; i++) {
            const entry = body.items[i]
            const item = entry ? Object.values(entry)[0]! : { status: 0 }
            const pending = items[i]!
            if (item.status === 429 || item.status >= 500) {
              retry.push(pending)
              reason = failureMessage(item)
            } else if (this.#handleItem(item, pending)) {
              pending.state.processed = true
            }
          }
        }
      } catch (e) {
        if (!(e instanceof TransportError)) return this.#fail(e as Error)
        retry = items
        reason = e.message
      }
      if (retry.length === 0) return
      if (attempt >= attempts) {
        return this.#fail(
          new ConnectException(
            `Failed to execute bulk request due to '${reason}' after ${attempt} attempt(s): ${retry.length} operation(s) from ${recordString(retry[0]!.op.record)} were not indexed`,
          ),
        )
      }
      const backoff = computeRandomRetryWaitTimeInMillis(attempt, this.#settings.retryBackoffMs)
      this.#log.warn(
        `Failed to execute bulk request due to ${reason} for ${retry.length} operation(s). Retrying attempt (${attempt}/${attempts}) after backoff of ${backoff} ms`,
      )
      await sleep(backoff)
      items = retry
    }
  }

  /** Confluent's handleResponse for one item; true when the record counts as processed. */
  #handleItem(item: BulkItem, pending: Pending): boolean {
    if (item.status < 300 && !item.error) return true
    const message = failureMessage(item)
    const type = item.error?.type ?? ''
    if (MALFORMED_DOC_ERRORS.some((t) => message.includes(t))) {
      this.#report(pending, message)
      switch (this.#settings.behaviorOnMalformedDoc) {
        case 'IGNORE':
          this.#log.debug(`Encountered an illegal document error. Ignoring and will not index record. ${message}`)
          return true
        case 'WARN':
          this.#log.warn(
            `Encountered an illegal document error when indexing ${recordString(pending.op.record)}. Ignoring and will not index record. Please check DLQ topic for errors.`,
          )
          return true
        default:
          this.#log.error(
            "Encountered an illegal document error. Please check DLQ topic for errors. To ignore future records like this, change the configuration 'behavior.on.malformed.documents' to 'IGNORE'.",
          )
          this.#fail(new ConnectException(`Indexing record failed. Please check DLQ topic for errors. ${message}`))
          return false
      }
    }
    if (type === VERSION_CONFLICT || message.includes(VERSION_CONFLICT)) {
      if (!pending.op.externalVersion) {
        // Not our versioning: maybe a race; the DLQ keeps the record for whoever investigates.
        this.#log.warn(`Version conflict for operation ${pending.op.op} on ${recordString(pending.op.record)}`)
        if (!this.#settings.isDataStream) this.#report(pending, message)
      }
      return true
    }
    this.#report(pending, message)
    this.#fail(new ConnectException(`Indexing record failed. Please check DLQ topic for errors. ${message}`))
    return false
  }

  #report(pending: Pending, message: string): void {
    if (!this.#reporter) return
    const error = new ConnectException(`Indexing failed: ${message}`)
    error.stack = `${error.name}: ${error.message}`
    this.#reporter.report(pending.op.record, error).catch((e: Error) => this.#fail(e))
  }

  #fail(error: Error): void {
    if (this.#error) return
    this.#error = error
    this.#log.error(error.message)
    this.#notify()
  }

  throwIfFailed(): void {
    if (this.#error) throw this.#error
  }

  get failed(): boolean {
    return this.#error !== null
  }

  /** Sends everything buffered now, without waiting for `linger.ms`. */
  flush(): void {
    if (this.#linger) {
      clearTimeout(this.#linger)
      this.#linger = null
    }
    this.#dispatch(true)
  }

  /** Waits until every buffered operation has its answer, or a failure, for at most `timeoutMs`. */
  async waitForInFlightRequests(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    this.flush()
    while (this.#buffered > 0 && !this.#error) {
      if (Date.now() >= deadline) return false
      await this.#progress(deadline - Date.now())
      this.flush()
    }
    return true
  }

  #progress(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, timeoutMs))
      this.#waiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  #notify(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }

  /** Waits up to `flush.timeout.ms` for outstanding requests, then closes the connections. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      if (!this.#error && !(await this.waitForInFlightRequests(this.#settings.flushTimeoutMs))) {
        throw new ConnectException(
          'Failed to process outstanding requests in time while closing the ElasticsearchClient.',
        )
      }
    } finally {
      if (this.#linger) clearTimeout(this.#linger)
      this.#http.close()
    }
  }
}
