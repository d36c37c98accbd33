// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests write provider references, ${provider:path:key}, literally
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { builtinRegistry, tempDir } from '@ferry/testing'
import { parseWorkerConfig } from '../../src/config/worker-config.ts'
import { invalidConfigMessage } from '../../src/herder/connector-validation.ts'
import type { ConfigInfos } from '../../src/herder/herder.ts'
import { StandaloneHerder } from '../../src/herder/standalone/standalone-herder.ts'
import { silentLogger } from '../../src/logger.ts'
import { MemoryOffsetBackingStore } from '../../src/storage/offset-store.ts'
import { Worker } from '../../src/worker/worker.ts'

async function herder(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t)
  const secret = `s3cret-${Math.random().toString(36).slice(2)}`
  await writeFile(join(dir, 'secrets.properties'), `token=${secret}\ntasks=${secret}-tasks\n`)
  const config = parseWorkerConfig(
    {
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'offset.storage.file.filename': join(dir, 'offsets'),
      'config.providers': 'file',
      'config.providers.file.class': 'org.apache.kafka.common.config.provider.FileConfigProvider',
      'config.providers.file.param.allowed.paths': dir,
    },
    'standalone',
  )
  const worker = new Worker(config, await builtinRegistry(), new MemoryOffsetBackingStore(), silentLogger())
  const h = new StandaloneHerder(worker, 'test:8083', silentLogger(), { clusterId: async () => 'cluster' })
  return { herder: h, dir, secret, ref: (key: string) => `\${file:${dir}/secrets.properties:${key}}` }
}

function value(infos: ConfigInfos, name: string) {
  return infos.configs.find((c) => c.value?.name === name)?.value
}

test('validation resolves references but shows them, never the resolved values', async (t) => {
  const { herder: h, secret, ref } = await herder(t)
  const infos = await h.validateConnectorConfig({
    name: 'sink',
    'connector.class': 'FileStreamSink',
    topics: 't',
    file: '/tmp/out.txt',
    'connection.token': ref('token'),
    'tasks.max': ref('tasks'),
  })
  const body = JSON.stringify(infos)
  assert.ok(!body.includes(secret), body)
  assert.equal(value(infos, 'connection.token'), undefined, 'a key no ConfigDef defines is not listed, as Apache')
  assert.deepEqual(value(infos, 'tasks.max'), {
    name: 'tasks.max',
    value: ref('tasks'),
    recommended_values: [],
    errors: [
      `Invalid value ${ref('tasks')} for configuration tasks.max: Not a number of type INT`,
      'Invalid value null for configuration tasks.max: Value must be non-null',
    ],
    visible: true,
  })
  assert.equal(infos.error_count, 2)
})

test('a reference that cannot be resolved is an error on its key, so the connector is refused', async (t) => {
  const { herder: h, dir, ref } = await herder(t)
  const config = {
    name: 'sink',
    'connector.class': 'FileStreamSink',
    topics: 't',
    file: ref('missing'),
    extra: `\${file:${dir}/none.properties:x}`,
    literal: '${vault:not/configured:left-alone}',
  }
  const infos = await h.validateConnectorConfig(config)
  assert.equal(infos.error_count, 2)
  assert.deepEqual(value(infos, 'file')?.errors, [
    `Cannot resolve ${ref('missing')} in file: no key missing in ${dir}/secrets.properties`,
  ])
  assert.deepEqual(value(infos, 'extra'), {
    name: 'extra',
    value: `\${file:${dir}/none.properties:x}`,
    recommended_values: [],
    errors: [
      `Cannot resolve \${file:${dir}/none.properties:x} in extra: Could not read properties from file ${dir}/none.properties: no such file`,
    ],
    visible: true,
  })
  assert.ok(!JSON.stringify(infos).includes('literal'), 'a provider that is not configured leaves the value alone')
  await assert.rejects(h.putConnectorConfig('sink', config, false), {
    name: 'BadRequestException',
    message: invalidConfigMessage(infos),
  })
})

test('client override PASSWORD keys show as [hidden] in validation results', async (t) => {
  const { herder: h, ref } = await herder(t)
  const infos = await h.validateConnectorConfig({
    name: 'sink',
    'connector.class': 'FileStreamSink',
    topics: 't',
    'consumer.override.ssl.truststore.password': 'trust-me',
    'consumer.override.sasl.jaas.config': ref('token'),
    'consumer.override.client.rack': 'r1',
  })
  assert.equal(value(infos, 'consumer.override.ssl.truststore.password')?.value, '[hidden]')
  assert.equal(value(infos, 'consumer.override.sasl.jaas.config')?.value, '[hidden]')
  assert.equal(value(infos, 'consumer.override.client.rack')?.value, 'r1')
})

test('busySince is when the serial operation in progress began, and null while the queue waits for work', async (t) => {
  class Probe extends StandaloneHerder {
    run<T>(fn: () => Promise<T>) {
      return this.serial(fn)
    }
    get busy() {
      return this.busySince
    }
  }
  const dir = await tempDir(t)
  const config = parseWorkerConfig(
    {
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'offset.storage.file.filename': join(dir, 'offsets'),
    },
    'standalone',
  )
  const worker = new Worker(config, await builtinRegistry(), new MemoryOffsetBackingStore(), silentLogger())
  const probe = new Probe(worker, 'test:8083', silentLogger(), { clusterId: async () => 'cluster' })
  assert.equal(probe.busy, null)
  let release = () => {}
  const before = Date.now()
  const first = probe.run(() => new Promise<void>((resolve) => (release = resolve)))
  const second = probe.run(async () => probe.busy)
  await new Promise((r) => setImmediate(r))
  const since = probe.busy
  assert.ok(since !== null && since >= before && since <= Date.now())
  release()
  await first
  // The next operation has a start of its own; once it ended the queue is idle.
  assert.ok(((await second) ?? 0) >= since)
  assert.equal(probe.busy, null)
})
