import assert from 'node:assert/strict'
import { test } from 'node:test'
import { builtinRegistry } from '@ferry/testing'
import { parseErrorHandlingConfig, parseRestartPolicy, restartBackoffMs } from '../../src/config/connector-config.ts'
import { parseWorkerConfig } from '../../src/config/worker-config.ts'
import { validateConnectorConfig } from '../../src/herder/connector-validation.ts'

test('the errors.* keys default as in Apache', () => {
  assert.deepEqual(parseErrorHandlingConfig({}), {
    retryTimeoutMs: 0,
    retryDelayMaxMs: 60000,
    tolerance: 'none',
    logEnable: false,
    logIncludeMessages: false,
    deadLetterQueue: { topic: '', replicationFactor: 3, contextHeaders: false },
  })
})

test('the errors.* keys are parsed, and a bad value names its key', () => {
  const parsed = parseErrorHandlingConfig({
    'errors.retry.timeout': '-1',
    'errors.retry.delay.max.ms': '500',
    'errors.tolerance': 'all',
    'errors.log.enable': 'true',
    'errors.log.include.messages': 'true',
    'errors.deadletterqueue.topic.name': ' dlq ',
    'errors.deadletterqueue.topic.replication.factor': '1',
    'errors.deadletterqueue.context.headers.enable': 'true',
  })
  assert.deepEqual(parsed, {
    retryTimeoutMs: -1,
    retryDelayMaxMs: 500,
    tolerance: 'all',
    logEnable: true,
    logIncludeMessages: true,
    deadLetterQueue: { topic: 'dlq', replicationFactor: 1, contextHeaders: true },
  })
  assert.throws(() => parseErrorHandlingConfig({ 'errors.tolerance': 'some' }), /errors\.tolerance/)
})

test('errors.restart.* is off by default; connector keys win over worker keys', () => {
  assert.deepEqual(parseRestartPolicy({}, {}), {
    enabled: false,
    maxAttempts: -1,
    initialBackoffMs: 1000,
    maxBackoffMs: 60000,
    resetAfterMs: 300000,
  })
  const policy = parseRestartPolicy(
    { 'errors.restart.backoff.initial.ms': '200' },
    {
      'errors.restart.enable': 'true',
      'errors.restart.backoff.initial.ms': '5000',
      'errors.restart.max.attempts': '3',
    },
  )
  assert.equal(policy.enabled, true)
  assert.equal(policy.initialBackoffMs, 200)
  assert.equal(policy.maxAttempts, 3)
  assert.throws(
    () => parseRestartPolicy({}, { 'errors.restart.max.attempts': '-2' }),
    /^.*worker configuration.*errors\.restart\.max\.attempts/,
  )
})

test('the restart backoff doubles with each attempt up to its maximum', () => {
  const policy = parseRestartPolicy({ 'errors.restart.backoff.max.ms': '5000' }, {})
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => restartBackoffMs(policy, n)),
    [1000, 2000, 4000, 5000, 5000],
  )
})

const BUILTINS = await builtinRegistry()

function context() {
  const workerConfig = parseWorkerConfig(
    {
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'offset.storage.file.filename': '/tmp/unused',
    },
    'standalone',
  )
  return { plugins: BUILTINS, workerConfig }
}

const source = { name: 's', 'connector.class': 'FileStreamSource', topic: 't' }
const names = (infos: { configs: Array<{ definition: { name: string } | null }> }) =>
  infos.configs.map((c) => c.definition?.name)

test('validation lists Ferry’s keys only when the config sets one, so other configs validate exactly as on Apache', async () => {
  const plain = await validateConnectorConfig(context(), source)
  assert.ok(!names(plain).includes('errors.restart.enable'))
  assert.ok(!names(plain).includes('errors.deadletterqueue.topic.name'))

  const withDlq = await validateConnectorConfig(context(), { ...source, 'errors.deadletterqueue.topic.name': 'dlq' })
  assert.equal(withDlq.error_count, 0)
  for (const k of [
    'errors.deadletterqueue.topic.name',
    'errors.deadletterqueue.topic.replication.factor',
    'errors.deadletterqueue.context.headers.enable',
  ]) {
    assert.ok(names(withDlq).includes(k), k)
  }

  const withRestart = await validateConnectorConfig(context(), {
    ...source,
    'errors.restart.enable': 'yes',
    'errors.restart.backoff.initial.ms': '-5',
  })
  assert.deepEqual(
    withRestart.configs.filter((c) => (c.value?.errors.length ?? 0) > 0).map((c) => c.value?.name),
    ['errors.restart.enable', 'errors.restart.backoff.initial.ms'],
  )
  assert.ok(names(withRestart).includes('errors.restart.max.attempts'))
})
