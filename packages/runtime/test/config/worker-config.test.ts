import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseWorkerConfig } from '../../src/config/worker-config.ts'

const WORKER = {
  'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
  'key.converter.plugin.version': '1.0.0',
  'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
  'value.converter.plugin.version': '[1.0,2.0)',
  'header.converter.plugin.version': '0.1.0',
  'offset.storage.file.filename': '/tmp/unused',
}

test('the worker’s key, value and header converter.plugin.version keys are declared and refuse a bad range at start, naming the key', () => {
  const config = parseWorkerConfig(WORKER, 'standalone')
  assert.equal(config.originals['key.converter.plugin.version'], '1.0.0')
  assert.throws(() => parseWorkerConfig({ ...WORKER, 'value.converter.plugin.version': '[1.0' }, 'standalone'), {
    name: 'ConfigException',
    message: /Invalid value \[1\.0 for configuration value\.converter\.plugin\.version: Unbounded range: \[1\.0/,
  })
})
