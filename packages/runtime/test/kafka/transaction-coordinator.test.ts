/**
 * TransactionCoordinator against a scripted client: which coordinator errors are retried (and how: a new
 * FindCoordinator or a backoff), which fail at once and as what Java exception, and CONCURRENT_TRANSACTIONS taken as
 * done by fenceProducers. The requests themselves run against the broker in transactions.integration.test.ts.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  type Base,
  kGetApi,
  kGetBootstrapConnection,
  kGetConnection,
  protocolErrors,
  ResponseError,
} from '@platformatic/kafka'
import {
  isProducerFenced,
  ProducerFencedException,
  TransactionCoordinator,
} from '../../src/kafka/transaction-coordinator.ts'

type Answer = Record<string, unknown> | string

/**
 * A client whose API calls answer from `script` (per API name, in order): an object is the response, a string the
 * protocol error id the broker answers with. FindCoordinator answers node `n<k>` for its k-th call.
 */
function scriptedClient(script: Record<string, Answer[]>) {
  const log: string[] = []
  let lookups = 0
  const client = {
    [kGetBootstrapConnection](callback: (e: Error | null, c?: unknown) => void) {
      callback(null, { bootstrap: true })
    },
    [kGetConnection](node: { host: string; port: number }, callback: (e: Error | null, c?: unknown) => void) {
      callback(null, { node: node.host })
    },
    [kGetApi](name: string, callback: (e: Error | null, api?: unknown) => void) {
      callback(null, (connection: { node?: string }, ...args: unknown[]) => {
        const done = args.pop() as (e: Error | null, r?: unknown) => void
        if (name === 'FindCoordinator') {
          lookups++
          log.push(`FindCoordinator ${args[0]} ${JSON.stringify(args[1])}`)
          return done(null, { coordinators: [{ nodeId: lookups, host: `n${lookups}`, port: 9092, errorCode: 0 }] })
        }
        log.push(`${name}@${connection.node} ${args.map(String).join(' ')}`)
        const answer = script[name]?.shift()
        if (answer === undefined) return done(new Error(`unexpected ${name}`))
        if (typeof answer === 'string') {
          const code = protocolErrors[answer]!.code
          return done(new ResponseError(22, 5, { '/': [code, null] }, {}))
        }
        done(null, answer)
      })
    },
  }
  return { client: client as unknown as Base, log }
}

const settings = { bootstrapServers: ['b:9092'], clientId: 'c', retryBackoffMs: 1, retryBackoffMaxMs: 2 }

test('InitProducerId finds the coordinator by transactional id and retries loading, concurrent and moved coordinators as Java', async () => {
  const { client, log } = scriptedClient({
    InitProducerId: [
      'COORDINATOR_LOAD_IN_PROGRESS',
      'CONCURRENT_TRANSACTIONS',
      'NOT_COORDINATOR',
      { producerId: 42n, producerEpoch: 3 },
    ],
  })
  const coordinator = new TransactionCoordinator(client, settings, 'tx-1', new AbortController().signal)
  assert.deepEqual(await coordinator.initProducerId(60000), { producerId: 42n, epoch: 3 })
  assert.deepEqual(log, [
    'FindCoordinator 1 ["tx-1"]',
    'InitProducerId@n1 tx-1 60000 -1 -1',
    'InitProducerId@n1 tx-1 60000 -1 -1',
    'InitProducerId@n1 tx-1 60000 -1 -1',
    // NOT_COORDINATOR: looked up again, then asked of the new coordinator.
    'FindCoordinator 1 ["tx-1"]',
    'InitProducerId@n2 tx-1 60000 -1 -1',
  ])
})

test('fencing answers fail at once as ProducerFencedException, INVALID_PRODUCER_EPOCH too; other refusals by their Java name', async () => {
  for (const id of ['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH']) {
    const { client } = scriptedClient({ EndTxn: [id] })
    const coordinator = new TransactionCoordinator(client, settings, 'tx', new AbortController().signal)
    await assert.rejects(coordinator.endTxn({ producerId: 1n, epoch: 0 }, true), (e: unknown) => {
      assert.ok(e instanceof ProducerFencedException)
      assert.equal(e.apiId, 'PRODUCER_FENCED')
      assert.ok(isProducerFenced(e))
      return true
    })
  }
  const { client } = scriptedClient({ InitProducerId: ['TRANSACTIONAL_ID_AUTHORIZATION_FAILED'] })
  const coordinator = new TransactionCoordinator(client, settings, 'tx', new AbortController().signal)
  await assert.rejects(coordinator.initProducerId(60000), {
    name: 'TransactionalIdAuthorizationException',
    apiId: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
    message: 'Transactional Id authorization failed. (User:ANONYMOUS needs WRITE on transactional id tx)',
  })
})

test('EndTxn sends the producer id, epoch and outcome; an epoch bump sends the current id and epoch', async () => {
  const { client, log } = scriptedClient({ EndTxn: [{}], InitProducerId: [{ producerId: 7n, producerEpoch: 5 }] })
  const coordinator = new TransactionCoordinator(client, settings, 'tx', new AbortController().signal)
  await coordinator.endTxn({ producerId: 7n, epoch: 4 }, false)
  assert.deepEqual(await coordinator.initProducerId(1000, { producerId: 7n, epoch: 4 }), { producerId: 7n, epoch: 5 })
  assert.deepEqual(log.slice(1), ['EndTxn@n1 tx 7 4 false', 'InitProducerId@n1 tx 1000 7 4'])
})

test('fenceProducers takes CONCURRENT_TRANSACTIONS as fenced; a producer keeps retrying it', async () => {
  const fencing = scriptedClient({ InitProducerId: ['CONCURRENT_TRANSACTIONS'] })
  const admin = new TransactionCoordinator(fencing.client, settings, 'tx', new AbortController().signal)
  assert.equal(await admin.initProducerId(30000, undefined, true), null)
  const producing = scriptedClient({
    InitProducerId: ['CONCURRENT_TRANSACTIONS', { producerId: 1n, producerEpoch: 1 }],
  })
  const producer = new TransactionCoordinator(producing.client, settings, 'tx', new AbortController().signal)
  assert.deepEqual(await producer.initProducerId(30000), { producerId: 1n, epoch: 1 })
})

test('a retry loop ends when the signal aborts: a timeout as TimeoutException, a close as KafkaException', async () => {
  const always = Array.from({ length: 10000 }, () => 'COORDINATOR_LOAD_IN_PROGRESS' as Answer)
  const timed = scriptedClient({ InitProducerId: [...always] })
  const coordinator = new TransactionCoordinator(timed.client, settings, 'tx', AbortSignal.timeout(50))
  await assert.rejects(coordinator.initProducerId(1000), { name: 'TimeoutException' })
  const closing = new AbortController()
  const closed = scriptedClient({ InitProducerId: [...always] })
  const pending = new TransactionCoordinator(closed.client, settings, 'tx', closing.signal).initProducerId(1000)
  closing.abort()
  await assert.rejects(pending, { name: 'KafkaException', message: 'The client closed forcefully' })
})
