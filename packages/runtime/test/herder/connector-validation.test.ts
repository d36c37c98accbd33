import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import {
  ConfigDef,
  type ConnectorTransactionBoundaries,
  type ExactlyOnceSupport,
  type PluginDescriptor,
  SourceConnector,
  SourceTask,
} from '@ferry/api'
import { builtinRegistry } from '@ferry/testing'
import { parseWorkerConfig } from '../../src/config/worker-config.ts'
import {
  connectorPluginConfig,
  invalidConfigMessage,
  validateConnectorConfig,
} from '../../src/herder/connector-validation.ts'
import { PluginRegistry } from '../../src/plugins/registry.ts'

/** Answers of a running Apache Connect 4.4.0 (worker: StringConverter keys, JsonConverter values), kept as fixtures. */
const APACHE = new URL('../../../rest/test/fixtures/apache-4.4.0/', import.meta.url)
function apache(name: string): any {
  // Apache's plugins report 4.4.0; Ferry's file connectors report their own version.
  return JSON.parse(readFileSync(new URL(name, APACHE), 'utf8').replaceAll('4.4.0', '0.1.0'))
}

const BUILTINS = await builtinRegistry()

function context() {
  const plugins = BUILTINS
  const workerConfig = parseWorkerConfig(
    {
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'offset.storage.file.filename': '/tmp/unused',
    },
    'standalone',
  )
  return { plugins, workerConfig }
}

/** What depends on the plugin inventory rather than on validation: the converter lists and converter versions. */
function inventoryFree(infos: any): any {
  const copy = structuredClone(infos)
  for (const c of copy.configs) {
    const name: string = c.definition?.name ?? c.value?.name
    if (/^(key|value|header)\.converter$/.test(name) || /\.type$/.test(name)) {
      if (c.value) c.value.recommended_values = []
    }
    if (/^(key|value|header)\.converter\.plugin\.version$/.test(name)) {
      if (c.definition) c.definition.default_value = null
      if (c.value) {
        c.value.value = null
        c.value.recommended_values = []
      }
    }
    // Ferry has no Java client ConfigDefs to describe producer/consumer/admin overrides.
    if (/^(producer|consumer|admin)\.override\./.test(name)) c.definition = null
  }
  return copy
}

test('a connector plugin’s config keys are Apache’s, word for word, after the plugin’s own', () => {
  assert.deepEqual(connectorPluginConfig(context(), 'FileStreamSource'), apache('fss-config.json'))
  assert.deepEqual(connectorPluginConfig(context(), 'FileStreamSinkConnector'), apache('fsk-config.json'))
  assert.throws(() => connectorPluginConfig(context(), 'Nope'), {
    name: 'NotFoundException',
    message: 'Unknown plugin Nope.',
  })
  assert.throws(() => connectorPluginConfig(context(), 'FileStreamSource', '9.9'), {
    name: 'BadRequestException',
    message:
      'Plugin org.apache.kafka.connect.file.FileStreamSourceConnector not found that matches the version range [9.9,9.9], available versions: [0.1.0]',
  })
})

test('validating a source config gives Apache’s ConfigInfos: framework, transform, connector, override and converter keys', async () => {
  const infos = await validateConnectorConfig(context(), {
    'connector.class': 'FileStreamSource',
    name: 'v',
    'tasks.max': '0',
    file: '/tmp/x',
    transforms: 'a',
    'transforms.a.type': 'org.apache.kafka.connect.transforms.Filter',
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'maybe',
    'producer.override.acks': 'all',
  })
  assert.deepEqual(inventoryFree(infos), inventoryFree(apache('validate1.json')))
})

test('validating a sink config reports the topics rule on both keys', async () => {
  const infos = await validateConnectorConfig(context(), { 'connector.class': 'FileStreamSink', name: 's' })
  assert.deepEqual(inventoryFree(infos), inventoryFree(apache('validate-sink.json')))
})

test('a connector version that does not exist stops validation at the framework keys (KIP-891)', async () => {
  const infos = await validateConnectorConfig(context(), {
    'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector',
    name: 'v',
    topic: 't',
    'connector.plugin.version': '9.9',
    'key.converter': 'NopeConverter',
    'value.converter': 'StringConverter',
    'value.converter.plugin.version': '1.0',
    transforms: 'a,b,c',
    'transforms.b.type': 'Nope',
    'transforms.c.type': 'Filter',
    'transforms.c.negate': 'true',
    predicates: 'p',
    'predicates.p.type': 'TopicNameMatches',
    'predicates.p.pattern': '[',
    'header.converter': 'StringConverter',
  })
  assert.deepEqual(inventoryFree(infos), inventoryFree(apache('validate2.json')))
})

test('transform aliases: a missing type, an unknown class and negate without predicate are each reported on the type key', async () => {
  const infos = await validateConnectorConfig(context(), {
    'connector.class': 'FileStreamSource',
    name: 'v',
    topic: 't',
    transforms: 'a,b,c',
    'transforms.b.type': 'Nope',
    'transforms.c.type': 'Filter',
    'transforms.c.negate': 'true',
  })
  const errors = Object.fromEntries(
    infos.configs.filter((c) => (c.value?.errors.length ?? 0) > 0).map((c) => [c.value!.name, c.value!.errors]),
  )
  assert.deepEqual(errors, {
    'transforms.a.type': ['Missing required configuration "transforms.a.type" which has no default value.'],
    'transforms.b.type': ['Invalid value Nope for configuration transforms.b.type: Class Nope could not be found.'],
    'transforms.c.type': [
      "Config 'transforms.c.negate' was provided but there is no config 'transforms.c.predicate' defining a predicate to be negated.",
    ],
  })
  const c = infos.configs.find((i) => i.value?.name === 'transforms.c.type')
  assert.equal(c?.value?.value, 'org.apache.kafka.connect.transforms.Filter')
  assert.deepEqual(
    infos.configs.filter((i) => i.definition?.group === 'Transforms: c').map((i) => i.definition?.name),
    ['transforms.c.type', 'transforms.c.plugin.version', 'transforms.c.negate', 'transforms.c.predicate'],
  )
})

test('null values, a missing connector.class and an unknown connector are reported as Apache does', async () => {
  const infos = await validateConnectorConfig(context(), {
    'connector.class': 'FileStreamSource',
    name: 'v',
    topic: 't',
    other: null,
  })
  assert.equal(infos.error_count, 1)
  assert.equal(
    invalidConfigMessage(infos),
    'Connector configuration is invalid and contains the following 1 error(s):\nNull value can not be supplied as the configuration value.\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`',
  )
  await assert.rejects(validateConnectorConfig(context(), { name: 'v' }), {
    name: 'BadRequestException',
    message: 'Connector config contains no connector type',
  })
  await assert.rejects(validateConnectorConfig(context(), { 'connector.class': 'Nope' }), (e: Error) => {
    assert.equal(e.name, 'BadRequestException')
    const prefix =
      'Failed to find any class that implements Connector and which name matches Nope, available connectors are: '
    assert.ok(e.message.startsWith(prefix), e.message)
    const listed = e.message.slice(prefix.length).split(', ').sort()
    const connectors = context()
      .plugins.plugins()
      .filter((p) => p.kind.includes('source') || p.kind.includes('sink'))
      .map((p) => p.className)
    assert.deepEqual(listed, connectors.sort())
    return true
  })
})

test('client overrides follow connector.client.config.override.policy', async () => {
  const ctx = context()
  const none = {
    ...ctx,
    workerConfig: { ...ctx.workerConfig, originals: { 'connector.client.config.override.policy': 'None' } },
  }
  const infos = await validateConnectorConfig(none, {
    'connector.class': 'FileStreamSink',
    name: 's',
    topics: 't',
    'consumer.override.max.poll.records': '10',
  })
  const override = infos.configs.find((c) => c.value?.name === 'consumer.override.max.poll.records')
  assert.deepEqual(override?.value?.errors, [
    "The 'None' policy does not allow 'max.poll.records' to be overridden in the connector configuration.",
  ])
  assert.equal(infos.error_count, 1)
})

/** A source connector whose KIP-618 answers are given, to check the exactly-once preflight. */
function eosSource(
  className: string,
  answers: { exactlyOnce: ExactlyOnceSupport | null | Error; boundaries: ConnectorTransactionBoundaries | null },
): PluginDescriptor {
  class Source extends SourceConnector {
    version = () => '1.0.0'
    start() {}
    stop() {}
    taskClass = () => SourceTask as never
    taskConfigs = () => []
    config = () => new ConfigDef()
    override exactlyOnceSupport(): ExactlyOnceSupport | null {
      if (answers.exactlyOnce instanceof Error) throw answers.exactlyOnce
      return answers.exactlyOnce
    }
    override canDefineTransactionBoundaries(): ConnectorTransactionBoundaries | null {
      return answers.boundaries
    }
  }
  return { className, kind: ['source'], version: '1.0.0', create: () => new Source() }
}

function eosContext(support: 'disabled' | 'preparing' | 'enabled' | 'standalone') {
  const plugins = new PluginRegistry().register(
    ...BUILTINS.plugins(),
    eosSource('com.example.Supported', { exactlyOnce: 'SUPPORTED', boundaries: 'SUPPORTED' }),
    eosSource('com.example.Unsupported', { exactlyOnce: 'UNSUPPORTED', boundaries: 'UNSUPPORTED' }),
    eosSource('com.example.Silent', { exactlyOnce: null, boundaries: null }),
    eosSource('com.example.Throwing', { exactlyOnce: new Error(' no database '), boundaries: 'SUPPORTED' }),
  )
  const base = {
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
  }
  const workerConfig =
    support === 'standalone'
      ? parseWorkerConfig({ ...base, 'offset.storage.file.filename': '/tmp/unused' }, 'standalone')
      : parseWorkerConfig(
          {
            ...base,
            'group.id': 'g',
            'config.storage.topic': 'c',
            'offset.storage.topic': 'o',
            'status.storage.topic': 's',
            'exactly.once.source.support': support,
          },
          'distributed',
        )
  return { plugins, workerConfig }
}

async function errorsOn(ctx: ReturnType<typeof eosContext>, config: Record<string, string>, key: string) {
  const infos = await validateConnectorConfig(ctx, { name: 'eos', 'tasks.max': '1', ...config })
  return infos.configs.find((c) => c.value?.name === key)?.value?.errors
}

test('exactly.once.support=required passes on an enabled worker when the connector answers SUPPORTED', async () => {
  const config = { 'connector.class': 'com.example.Supported', 'exactly.once.support': 'required' }
  assert.deepEqual(await errorsOn(eosContext('enabled'), config, 'exactly.once.support'), [])
})

test('exactly.once.support=required on a worker without exactly-once source support is an error on the key, as Apache’s', async () => {
  const config = { 'connector.class': 'com.example.Supported', 'exactly.once.support': 'required' }
  for (const support of ['disabled', 'preparing'] as const) {
    assert.deepEqual(await errorsOn(eosContext(support), config, 'exactly.once.support'), [
      'This worker does not have exactly-once source support enabled.',
    ])
  }
})

test('exactly.once.support=required with a connector that answers UNSUPPORTED, null or throws gets Apache’s messages', async () => {
  const ctx = eosContext('enabled')
  const required = (c: string) => ({ 'connector.class': c, 'exactly.once.support': 'required' })
  assert.deepEqual(await errorsOn(ctx, required('com.example.Unsupported'), 'exactly.once.support'), [
    'The connector does not support exactly-once semantics with the provided configuration.',
  ])
  const silent = await errorsOn(ctx, required('com.example.Silent'), 'exactly.once.support')
  assert.equal(silent?.length, 1)
  assert.match(silent![0]!, /^The connector does not implement the API required for preflight validation/)
  assert.deepEqual(await errorsOn(ctx, required('com.example.Throwing'), 'exactly.once.support'), [
    'An unexpected error occurred during validation: no database',
  ])
  // 'requested' asks nothing of the connector.
  const requested = { 'connector.class': 'com.example.Unsupported', 'exactly.once.support': 'requested' }
  assert.deepEqual(await errorsOn(ctx, requested, 'exactly.once.support'), [])
})

test('transaction.boundary=connector needs canDefineTransactionBoundaries() to answer SUPPORTED', async () => {
  const ctx = eosContext('enabled')
  const boundary = (c: string) => ({ 'connector.class': c, 'transaction.boundary': 'connector' })
  assert.deepEqual(await errorsOn(ctx, boundary('com.example.Supported'), 'transaction.boundary'), [])
  assert.deepEqual(await errorsOn(ctx, boundary('com.example.Unsupported'), 'transaction.boundary'), [
    'The connector does not support connector-defined transaction boundaries with the given configuration. Please reconfigure it to use a different transaction boundary definition.',
  ])
  assert.deepEqual(await errorsOn(ctx, boundary('com.example.Silent'), 'transaction.boundary'), [
    "This connector has returned a null value from its canDefineTransactionBoundaries method, which is not permitted. The connector will be treated as if it cannot define its own transaction boundaries, and cannot be configured with 'transaction.boundary' set to 'connector'.",
  ])
  // The built-in file source keeps Apache's default: it cannot define boundaries.
  const file = { ...boundary('FileStreamSource'), topic: 't' }
  assert.equal((await errorsOn(ctx, file, 'transaction.boundary'))?.length, 1)
})

test('standalone mode runs no exactly-once preflight, as Apache’s StandaloneHerder', async () => {
  const config = {
    'connector.class': 'com.example.Unsupported',
    'exactly.once.support': 'required',
    'transaction.boundary': 'connector',
  }
  const infos = await validateConnectorConfig(eosContext('standalone'), { name: 'eos', ...config })
  assert.equal(infos.error_count, 0)
})

test('a bad transaction.boundary value is Apache’s error naming the valid values, and skips the preflight', async () => {
  const ctx = eosContext('enabled')
  const config = { 'connector.class': 'com.example.Supported', 'transaction.boundary': 'batch' }
  assert.deepEqual(await errorsOn(ctx, config, 'transaction.boundary'), [
    'Invalid value batch for configuration transaction.boundary: String must be one of (case insensitive): POLL, INTERVAL, CONNECTOR',
  ])
})
