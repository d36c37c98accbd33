import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PluginDescriptor } from '@ferry/api'
import { StringConverter } from '@ferry/converters'
import { builtinRegistry } from '@ferry/testing'
import { parseWorkerConfig } from '../../src/config/worker-config.ts'
import { validateConnectorConfig } from '../../src/herder/connector-validation.ts'
import { PluginRegistry } from '../../src/plugins/registry.ts'
import { createConverters } from '../../src/worker/plugin-instances.ts'

/** A StringConverter that says which version of the class was made. */
class VersionedConverter extends StringConverter {
  readonly madeAs: string
  constructor(madeAs: string) {
    super()
    this.madeAs = madeAs
  }
}

const VERSIONED = 'com.example.VersionedConverter'
function versioned(version: string): PluginDescriptor {
  return { className: VERSIONED, kind: ['converter'], version, create: () => new VersionedConverter(version) }
}

async function registry(): Promise<PluginRegistry> {
  const builtins = await builtinRegistry()
  return new PluginRegistry().register(...builtins.plugins(), versioned('1.0.0'), versioned('2.0.0'))
}

const WORKER = {
  'key.converter': VERSIONED,
  'key.converter.plugin.version': '1.0.0',
  'value.converter': VERSIONED,
  'value.converter.plugin.version': '[1.0,2.0)',
  'header.converter.plugin.version': '0.1.0',
  'offset.storage.file.filename': '/tmp/unused',
}
const SIMPLE_HEADER = 'org.apache.kafka.connect.storage.SimpleHeaderConverter'

test('a connector without converters of its own runs the worker’s converters in the versions the worker asks for', async () => {
  const converters = createConverters(await registry(), WORKER, {}, SIMPLE_HEADER)
  assert.equal((converters.key as VersionedConverter).madeAs, '1.0.0')
  assert.equal((converters.value as VersionedConverter).madeAs, '1.0.0')
  assert.equal(converters.classes.header, SIMPLE_HEADER)
})

test('a connector’s own converter takes its own version key, not the worker’s', async () => {
  const converters = createConverters(await registry(), WORKER, { 'key.converter': VERSIONED }, SIMPLE_HEADER)
  assert.equal((converters.key as VersionedConverter).madeAs, '2.0.0')
  const pinned = createConverters(
    await registry(),
    WORKER,
    { 'value.converter': VERSIONED, 'value.converter.plugin.version': '2.0.0' },
    SIMPLE_HEADER,
  )
  assert.equal((pinned.value as VersionedConverter).madeAs, '2.0.0')
})

test('validation shows the worker’s converter versions as the defaults of a connector that sets no converter', async () => {
  const ctx = { plugins: await registry(), workerConfig: parseWorkerConfig(WORKER, 'standalone') }
  const infos = await validateConnectorConfig(ctx, { 'connector.class': 'FileStreamSource', name: 'v', topic: 't' })
  const defaults = Object.fromEntries(
    infos.configs
      .filter((c) => c.definition?.name.endsWith('converter.plugin.version'))
      .map((c) => [c.definition!.name, c.definition!.default_value]),
  )
  assert.deepEqual(defaults, {
    'key.converter.plugin.version': '1.0.0',
    'value.converter.plugin.version': '[1.0,2.0)',
    'header.converter.plugin.version': '0.1.0',
  })
  const own = await validateConnectorConfig(ctx, {
    'connector.class': 'FileStreamSource',
    name: 'v',
    topic: 't',
    'key.converter': VERSIONED,
  })
  const key = own.configs.find((c) => c.definition?.name === 'key.converter.plugin.version')
  assert.equal(key?.definition?.default_value, '2.0.0')
})
