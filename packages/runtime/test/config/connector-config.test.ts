import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { builtinRegistry } from '@ferry/testing'
import {
  parseErrorHandlingConfig,
  parseRestartPolicy,
  restartBackoffMs,
  SINK_CONNECTOR_CONFIG_DEF,
  SOURCE_CONNECTOR_CONFIG_DEF,
} from '../../src/config/connector-config.ts'
import { parseWorkerConfig } from '../../src/config/worker-config.ts'
import { convertConfigKey, validateConnectorConfig } from '../../src/herder/connector-validation.ts'
import type { ConfigKeyInfo } from '../../src/herder/herder.ts'

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

/** Apache Connect 4.4.0's answers to config/validate (worker: StringConverter keys, JsonConverter values). */
const APACHE = new URL('../../../rest/test/fixtures/apache-4.4.0/', import.meta.url)
const apacheValidate = (name: string) =>
  JSON.parse(readFileSync(new URL(name, APACHE), 'utf8')) as {
    groups: string[]
    configs: Array<{ definition: ConfigKeyInfo | null; value: { name: string } | null }>
  }

/** The defaults Apache derives from the worker and the installed plugins, which the static definition leaves null. */
function staticDefaults(info: ConfigKeyInfo): ConfigKeyInfo {
  return /(^|\.)converter$|plugin\.version$/.test(info.name) ? { ...info, default_value: null } : info
}

const DEFINITIONS = [
  { kind: 'source', def: SOURCE_CONNECTOR_CONFIG_DEF, fixture: 'validate1.json', config: source },
  {
    kind: 'sink',
    def: SINK_CONNECTOR_CONFIG_DEF,
    fixture: 'validate-sink.json',
    config: { name: 'k', 'connector.class': 'FileStreamSink', topics: 't', file: '/tmp/x' },
  },
] as const

test('the connector config definition is Apache 4.4’s, key for key: names, order, groups, types, defaults, docs', () => {
  for (const { kind, def, fixture } of DEFINITIONS) {
    const apache = apacheValidate(fixture)
    const keys = [...def.configKeys().values()].map((k) => staticDefaults(convertConfigKey(k)))
    const apacheKeys = apache.configs.slice(0, keys.length).map((c) => staticDefaults(c.definition!))
    assert.deepEqual(keys, apacheKeys, `${kind} connector keys`)
    const groups = [...new Set(keys.map((k) => k.group))]
    assert.deepEqual(groups, apache.groups.slice(0, groups.length), `${kind} connector groups`)
  }
})

test('validation takes its framework keys from the connector config definition: every key, in its group', async () => {
  for (const { kind, def, config } of DEFINITIONS) {
    const infos = await validateConnectorConfig(context(), config)
    const shown = new Map(infos.configs.flatMap((c) => (c.definition ? [[c.definition.name, c.definition]] : [])))
    for (const key of def.configKeys().values()) {
      const info = shown.get(key.name)
      assert.ok(info, `${kind}: ${key.name} is in the validate response`)
      assert.deepEqual(staticDefaults(info), staticDefaults(convertConfigKey(key)), `${kind}: ${key.name}`)
      assert.ok(infos.groups.includes(info.group!), `${kind}: ${key.name}'s group ${info.group} is listed`)
    }
    const framework = infos.configs.slice(0, def.names().size).map((c) => c.definition?.name)
    assert.deepEqual(framework, [...def.names()], `${kind}: the framework keys come first, in the definition's order`)
  }
})
