import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConnectException } from '@ferry/api'
import { MultipleErrors, NetworkError, ProtocolError, ResponseError, TimeoutError } from '@platformatic/kafka'
import { retryEndOffsets } from '../../src/kafka/based-log.ts'

/** What the client's `listOffsets` throws once its own retries have run out, as it builds it. */
function listingFailed(...leaves: Error[]): MultipleErrors {
  return new MultipleErrors('Listing offsets failed.', [
    new MultipleErrors(`listOffsets failed ${leaves.length} times.`, leaves),
  ])
}

const leaderNotInMetadata = () =>
  new NetworkError('Cannot get a connection: the broker is not available in the current cluster metadata.', {
    canRetry: true,
    hasStaleMetadata: true,
  })
const responseWith = (id: string) => new ResponseError(2, 7, { '/topics/0/partitions/0': [codeOf(id), null] }, {})

function codeOf(id: string): number {
  return (new ProtocolError(id) as unknown as { apiCode: number }).apiCode
}

function fakeListing(failures: Error[]): { list: () => Promise<Map<number, number>>; calls: () => number } {
  let calls = 0
  return {
    list: async () => {
      const failure = failures[calls++]
      if (failure) throw failure
      return new Map([[0, 42]])
    },
    calls: () => calls,
  }
}

const options = (deadline = Date.now() + 60000) => ({
  topic: 'connect-offsets',
  bootstrapServers: ['127.0.0.1:9092'],
  deadline,
  backoffMs: () => 1,
})

test('end offsets are asked again while the brokers answer with transient errors (no leader yet, a moved leader, a topic just created, timeouts), then returned', async () => {
  const fake = fakeListing([
    listingFailed(leaderNotInMetadata(), leaderNotInMetadata(), leaderNotInMetadata(), leaderNotInMetadata()),
    listingFailed(responseWith('NOT_LEADER_OR_FOLLOWER')),
    listingFailed(responseWith('UNKNOWN_TOPIC_OR_PARTITION'), responseWith('LEADER_NOT_AVAILABLE')),
    listingFailed(new TimeoutError('Request timed out', { canRetry: true })),
    new NetworkError('Connection to 127.0.0.1:9092 failed.', { canRetry: true }),
  ])
  const warnings: string[] = []
  const logger = { warn: (_: unknown, message: string) => warnings.push(message) } as never
  assert.deepEqual(await retryEndOffsets(fake.list, { ...options(), logger }), new Map([[0, 42]]))
  assert.equal(fake.calls(), 6)
  assert.equal(warnings.length, 5)
  assert.match(
    warnings[0]!,
    /^Attempt 1 to list offsets for topic partitions of 'connect-offsets' resulted in RetriableException; retrying automatically\. Reason: /,
  )
})

test('a failure that is not transient (an unsupported version, a corrupt request) is thrown at once, naming the topic and the brokers', async () => {
  const fake = fakeListing([listingFailed(responseWith('UNSUPPORTED_VERSION'))])
  await assert.rejects(
    retryEndOffsets(fake.list, options()),
    (e: Error) =>
      e instanceof ConnectException &&
      /^Error while getting end offsets for topic 'connect-offsets' on brokers at 127\.0\.0\.1:9092: /.test(
        e.message,
      ) &&
      e.cause instanceof MultipleErrors,
  )
  assert.equal(fake.calls(), 1)
})

test('an authorization failure is thrown at once as Apache words it', async () => {
  const fake = fakeListing([listingFailed(responseWith('TOPIC_AUTHORIZATION_FAILED'))])
  await assert.rejects(
    retryEndOffsets(fake.list, options()),
    /^ConnectException: Not authorized to get the end offsets for topic 'connect-offsets' on brokers at 127\.0\.0\.1:9092/,
  )
  assert.equal(fake.calls(), 1)
})

test('transient failures are retried only until the deadline, then the last one is thrown with the number of attempts', async () => {
  const failures = Array.from({ length: 1000 }, () => listingFailed(responseWith('LEADER_NOT_AVAILABLE')))
  const fake = fakeListing(failures)
  const started = Date.now()
  await assert.rejects(
    retryEndOffsets(fake.list, { ...options(Date.now() + 300), backoffMs: () => 20 }),
    (e: Error) =>
      e instanceof ConnectException &&
      new RegExp(`^Failed to list offsets for topic 'connect-offsets' after ${fake.calls()} attempts: `).test(
        e.message,
      ),
  )
  assert.ok(fake.calls() > 1 && fake.calls() < 1000, `${fake.calls()} attempts`)
  assert.ok(Date.now() - started < 5000)
})

test('a log stopped while it retries stops retrying', async () => {
  let stopped = false
  const fake = fakeListing(Array.from({ length: 1000 }, () => listingFailed(leaderNotInMetadata())))
  const retrying = retryEndOffsets(fake.list, { ...options(), backoffMs: () => 50, stopped: () => stopped })
  setTimeout(() => {
    stopped = true
  }, 120)
  await assert.rejects(retrying, /KafkaBasedLog for topic connect-offsets stopped/)
  const calls = fake.calls()
  assert.ok(calls >= 1 && calls < 10, `${calls} attempts`)
})
