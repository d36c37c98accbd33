/**
 * The transaction coordinator of one transactional id, as Apache's clients talk to it (`TransactionManager`'s
 * requests, `FenceProducersHandler`): FindCoordinator (key type TRANSACTION), InitProducerId, AddPartitionsToTxn and
 * EndTxn, each retried as Java retries it, and the exceptions of a transactional producer (Java's names and
 * messages). Used by `KafkaProducer` (transactions) and `KafkaAdmin.fenceProducers`.
 */
import {
  addPartitionsToTxnV3,
  type Base,
  type Connection,
  FindCoordinatorKeyTypes,
  kGetApi,
  kGetBootstrapConnection,
  kGetConnection,
} from '@platformatic/kafka'
import { retryBackoff } from './client-common.ts'
import type { ClientSettings } from './client-settings.ts'
import { isConnectionError, kafkaErrorIds, protocolError, protocolErrorById } from './errors.ts'
import { KafkaClientException, transactionalIdAuthorizationException } from './failures.ts'

/**
 * Java's `ProducerFencedException`: a newer producer with the same transactional id (or `Admin.fenceProducers`) took
 * its epoch. Fatal: the producer can only be closed. `apiId` is `PRODUCER_FENCED`, the stable code to test for.
 */
export class ProducerFencedException extends KafkaClientException {
  constructor(message: string, cause?: unknown) {
    super('ProducerFencedException', message, { apiId: 'PRODUCER_FENCED', cause })
  }
}

/** Java's `TransactionAbortedException`: a send of a transaction that was aborted before it was written. */
export class TransactionAbortedException extends KafkaClientException {
  constructor(message = 'Failing batch since transaction was aborted') {
    super('TransactionAbortedException', message, { apiId: 'TRANSACTION_ABORTED' })
  }
}

/** Whether `error` means the producer was fenced (PRODUCER_FENCED, or INVALID_PRODUCER_EPOCH from a coordinator). */
export function isProducerFenced(error: unknown): boolean {
  if (error instanceof ProducerFencedException) return true
  const ids = kafkaErrorIds(error)
  return ids.includes('PRODUCER_FENCED')
}

/** The Java exception class of a coordinator's error id (`TRANSACTIONAL_ID_AUTHORIZATION_FAILED` → ...). */
const EXCEPTION_NAMES: Readonly<Record<string, string>> = {
  CLUSTER_AUTHORIZATION_FAILED: 'ClusterAuthorizationException',
  TOPIC_AUTHORIZATION_FAILED: 'TopicAuthorizationException',
  INVALID_TXN_STATE: 'InvalidTxnStateException',
  INVALID_TRANSACTION_TIMEOUT: 'InvalidTxnTimeoutException',
  UNKNOWN_PRODUCER_ID: 'UnknownProducerIdException',
  INVALID_PRODUCER_ID_MAPPING: 'InvalidPidMappingException',
  TRANSACTION_ABORTABLE: 'TransactionAbortableException',
  OPERATION_NOT_ATTEMPTED: 'KafkaException',
}

/** A coordinator's refusal as Java's exception: fencing as `ProducerFencedException`, the others by their id. */
export function coordinatorException(id: string, detail: string, cause?: unknown): KafkaClientException {
  if (id === 'PRODUCER_FENCED' || id === 'INVALID_PRODUCER_EPOCH')
    return new ProducerFencedException(protocolErrorById('PRODUCER_FENCED').message, cause)
  const known = protocolErrorById(id)
  return new KafkaClientException(EXCEPTION_NAMES[id] ?? 'KafkaException', `${known.message} (${detail})`, {
    apiId: id,
    canRetry: known.canRetry,
    cause,
  })
}

/** Errors after which the coordinator must be looked up again. */
const COORDINATOR_MOVED = new Set(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE'])

/**
 * The wait before the first AddPartitionsToTxn of a transaction is sent again after CONCURRENT_TRANSACTIONS (the
 * previous transaction's markers are still being written, which takes the broker a few milliseconds): 2 ms, doubling
 * up to Java's `ADD_PARTITIONS_RETRY_BACKOFF_MS` (20 ms, which it waits every time). A task that commits a transaction
 * per poll asks again as soon as its next batch is ready, so this wait is part of every transaction.
 */
function addPartitionsRetryBackoffMs(attempt: number): number {
  return Math.min(2 ** attempt, 20)
}

export interface ProducerIdAndEpoch {
  producerId: bigint
  epoch: number
}

/**
 * Requests to the coordinator of `transactionalId`, through `client`'s connections. Each call retries what Java
 * retries (a moved or loading coordinator, CONCURRENT_TRANSACTIONS, a lost connection) with `retry.backoff.ms`'s
 * exponential backoff until it succeeds, fails for good (rejecting with Java's exception) or `signal` aborts.
 */
export class TransactionCoordinator {
  readonly #client: Base
  readonly #settings: ClientSettings
  readonly #transactionalId: string
  readonly #signal: AbortSignal
  #node: { host: string; port: number } | null = null

  constructor(client: Base, settings: ClientSettings, transactionalId: string, signal: AbortSignal) {
    this.#client = client
    this.#settings = settings
    this.#transactionalId = transactionalId
    this.#signal = signal
  }

  get transactionalId(): string {
    return this.#transactionalId
  }

  /**
   * InitProducerId with the transactional id: the coordinator completes (aborts) the id's open transaction, fences
   * its older producers and answers the producer id and a new epoch. With the current id and epoch (KIP-360) it bumps
   * the epoch of this producer instead. `concurrentIsDone`: CONCURRENT_TRANSACTIONS counts as done (the fence
   * happened, the older transaction is being aborted), as `Admin.fenceProducers` takes it.
   */
  async initProducerId(
    transactionTimeoutMs: number,
    current: ProducerIdAndEpoch = { producerId: -1n, epoch: -1 },
    concurrentIsDone = false,
  ): Promise<ProducerIdAndEpoch | null> {
    return this.#request('InitProducerId', async (connection) => {
      try {
        const r = await this.#call<{ producerId: bigint; producerEpoch: number }>(
          'InitProducerId',
          connection,
          this.#transactionalId,
          transactionTimeoutMs,
          current.producerId,
          current.epoch,
        )
        return { producerId: r.producerId, epoch: r.producerEpoch }
      } catch (e) {
        if (concurrentIsDone && kafkaErrorIds(e).includes('CONCURRENT_TRANSACTIONS')) return null
        throw e
      }
    })
  }

  /** AddPartitionsToTxn (version 3, the newest a client sends) for partitions new to the transaction. */
  async addPartitions(
    producer: ProducerIdAndEpoch,
    partitions: ReadonlyArray<{ topic: string; partition: number }>,
    firstOfTransaction: boolean,
  ): Promise<void> {
    const topics = new Map<string, number[]>()
    for (const p of partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition])
    const transactions = [
      {
        transactionalId: this.#transactionalId,
        producerId: producer.producerId,
        producerEpoch: producer.epoch,
        verifyOnly: false,
        topics: [...topics].map(([name, list]) => ({ name, partitions: list })),
      },
    ]
    await this.#request(
      'AddPartitionsToTxn',
      (connection) =>
        new Promise<void>((resolve, reject) =>
          addPartitionsToTxnV3.api(connection, transactions, (e: Error | null) => (e ? reject(e) : resolve())),
        ),
      // While the previous transaction is still completing, the first partitions are retried sooner (as Java's).
      firstOfTransaction ? addPartitionsRetryBackoffMs : undefined,
    )
  }

  /** EndTxn: commits or aborts the transaction of `producer`. */
  async endTxn(producer: ProducerIdAndEpoch, commit: boolean): Promise<void> {
    await this.#request(`EndTxn(${commit})`, (connection) =>
      this.#call('EndTxn', connection, this.#transactionalId, producer.producerId, producer.epoch, commit),
    )
  }

  /**
   * Sends a request to the coordinator until it is answered: looks the coordinator up again after NOT_COORDINATOR,
   * COORDINATOR_NOT_AVAILABLE or a lost connection, waits and retries after a retriable error, rejects with Java's
   * exception after any other.
   */
  async #request<T>(
    name: string,
    send: (connection: Connection) => Promise<T>,
    concurrentBackoffMs?: (attempt: number) => number,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let error: unknown
      try {
        return await send(await this.#coordinator())
      } catch (e) {
        error = e
      }
      if (this.#signal.aborted) {
        // A deadline of the caller's (AbortSignal.timeout), or the client closing.
        const reason = this.#signal.reason as { name?: string } | undefined
        if (reason?.name === 'TimeoutError')
          throw new KafkaClientException(
            'TimeoutException',
            `${name} for transactionalId ${this.#transactionalId} did not complete in time`,
            { cause: error, canRetry: true },
          )
        throw new KafkaClientException('KafkaException', 'The client closed forcefully', { cause: error })
      }
      const ids = kafkaErrorIds(error)
      const id = ids.find((i) => i !== 'OPERATION_NOT_ATTEMPTED') ?? ids[0]
      let wait = retryBackoff(this.#settings, attempt)
      if (isConnectionError(error) || (id !== undefined && COORDINATOR_MOVED.has(id))) this.#node = null
      else if (id === 'CONCURRENT_TRANSACTIONS' && concurrentBackoffMs !== undefined)
        wait = Math.min(wait, concurrentBackoffMs(attempt))
      else if (id === undefined) {
        if (error instanceof KafkaClientException) throw error
        throw new KafkaClientException('KafkaException', `${name} failed: ${(error as Error)?.message}`, {
          cause: error,
        })
      } else if (id === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED')
        throw transactionalIdAuthorizationException(this.#transactionalId, this.#settings.security, error)
      else if (!protocolErrorById(id).canRetry)
        throw coordinatorException(id, `${name} for transactionalId ${this.#transactionalId}`, error)
      await sleep(wait, this.#signal)
    }
  }

  /** The coordinator's connection; FindCoordinator (TRANSACTION) from any broker when it is not known. */
  async #coordinator(): Promise<Connection> {
    if (this.#node === null) {
      const bootstrap = await new Promise<Connection>((resolve, reject) =>
        this.#client[kGetBootstrapConnection]((e: Error | null, c?: Connection) => (e ? reject(e) : resolve(c!))),
      )
      const response = await this.#call<{
        coordinators?: Array<{ nodeId: number; host: string; port: number; errorCode: number }>
        nodeId?: number
        host?: string
        port?: number
        errorCode?: number
      }>('FindCoordinator', bootstrap, FindCoordinatorKeyTypes.TRANSACTION, [this.#transactionalId])
      const found = (response.coordinators?.[0] ?? response) as { host: string; port: number; errorCode: number }
      if (found.errorCode !== 0) {
        const known = protocolError(found.errorCode)
        throw new KafkaClientException('KafkaException', known.message, { apiId: known.id, canRetry: known.canRetry })
      }
      this.#node = { host: found.host, port: found.port }
    }
    const node = this.#node
    return new Promise<Connection>((resolve, reject) =>
      this.#client[kGetConnection](node, (e: Error | null, c?: Connection) => (e ? reject(e) : resolve(c!))),
    )
  }

  /** One request of the newest version both sides know. */
  #call<T>(apiName: string, connection: Connection, ...args: unknown[]): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      this.#client[kGetApi](apiName, (e: Error | null, api: unknown) => {
        if (e) return reject(e)
        ;(api as (...a: unknown[]) => void)(connection, ...args, (err: Error | null, r: T) =>
          err ? reject(err) : resolve(r),
        )
      }),
    )
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
