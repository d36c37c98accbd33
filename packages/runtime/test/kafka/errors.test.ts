import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MultipleErrors, NetworkError, ProtocolError, TimeoutError } from '@platformatic/kafka'
import { innermostMessage, isRetriable, kafkaErrorIds } from '../../src/kafka/errors.ts'
import { KafkaClientException } from '../../src/kafka/failures.ts'

test("isRetriable: what Kafka's RetriableException covers, every error of the tree retriable", () => {
  const leaderMoved = new ProtocolError('NOT_LEADER_OR_FOLLOWER')
  const denied = new ProtocolError('TOPIC_AUTHORIZATION_FAILED')
  const cases: [string, unknown, boolean][] = [
    ['a retriable protocol error', leaderMoved, true],
    ['a protocol error that is not', denied, false],
    ['a lost connection', new NetworkError('Connection closed'), true],
    // The library marks its TimeoutError canRetry false; Kafka's TimeoutException is a RetriableException.
    ['a request timeout', new TimeoutError('Request timed out'), true],
    ['several retriable errors', new MultipleErrors('failed', [leaderMoved, new NetworkError('closed')]), true],
    ['one error of several not retriable', new MultipleErrors('failed', [leaderMoved, denied]), false],
    [
      'nested trees',
      new MultipleErrors('metadata failed 3 times', [new MultipleErrors('inner', [leaderMoved]), leaderMoved]),
      true,
    ],
    ['an empty tree, itself not retriable', new MultipleErrors('failed', []), false],
    [
      "a delivery timeout whose cause is the brokers' connection",
      new KafkaClientException('TimeoutException', 'Expiring 1 record(s)', { cause: new NetworkError('closed') }),
      true,
    ],
    [
      'a client exception marked retriable',
      new KafkaClientException('NotEnoughReplicasException', 'x', { canRetry: true }),
      true,
    ],
    ['a client exception that is not', new KafkaClientException('RecordTooLargeException', 'too large'), false],
    ['any other error', new Error('boom'), false],
    ['no error', null, false],
  ]
  for (const [what, error, expected] of cases) assert.equal(isRetriable(error), expected, what)
})

test('kafkaErrorIds lists the protocol error ids of the tree, causes included', () => {
  const error = new MultipleErrors('failed', [
    new ProtocolError('NOT_LEADER_OR_FOLLOWER'),
    new Error('wrapped', { cause: new ProtocolError('TOPIC_ALREADY_EXISTS') }),
  ])
  assert.deepEqual(kafkaErrorIds(error), ['NOT_LEADER_OR_FOLLOWER', 'TOPIC_ALREADY_EXISTS'])
  assert.deepEqual(kafkaErrorIds(new Error('plain')), [])
})

test("innermostMessage follows the first error at each level, then the cause, down to the socket's own words", () => {
  // What the client's Admin.createTopics rejects with when no broker answers.
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })
  const tree = new MultipleErrors('Creating topics failed.', [
    new MultipleErrors('Cannot connect to any broker.', [
      new NetworkError('Connection to 127.0.0.1:1 failed.', { cause: refused }),
    ]),
  ])
  assert.equal(innermostMessage(tree), 'connect ECONNREFUSED 127.0.0.1:1')
  assert.equal(innermostMessage(new MultipleErrors('failed', [])), 'failed')
  assert.equal(
    innermostMessage(new ProtocolError('TOPIC_ALREADY_EXISTS')),
    new ProtocolError('TOPIC_ALREADY_EXISTS').message,
  )
  assert.equal(innermostMessage('plain'), 'plain')
})
