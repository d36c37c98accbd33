import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PluginDescriptor } from '@ferry/runtime'
import { BadRequestException } from '../fake-herder.ts'
import { call, testServer } from '../helpers.ts'

const plugin = (className: string, kind: PluginDescriptor['kind'], version?: string): PluginDescriptor => ({
  className,
  kind,
  create: () => ({ version: () => version ?? 'undefined' }),
})

const PLUGINS = [
  plugin('org.apache.kafka.connect.file.FileStreamSourceConnector', ['source'], '0.1.0'),
  plugin('org.apache.kafka.connect.file.FileStreamSinkConnector', ['sink'], '0.1.0'),
  plugin('org.apache.kafka.connect.storage.StringConverter', ['converter', 'header_converter'], '0.1.0'),
  plugin('org.apache.kafka.connect.transforms.Filter', ['transformation'], '0.2.0'),
  plugin('org.apache.kafka.connect.transforms.predicates.HasHeaderKey', ['predicate']),
  plugin('org.apache.kafka.connect.storage.SimpleHeaderConverter', ['header_converter'], '0.1.0'),
]

test('GET /connector-plugins lists sinks then sources, each with its version', async (t) => {
  const { app } = testServer(t, { plugins: PLUGINS })
  assert.deepEqual((await call(app, 'GET', '/connector-plugins')).body, [
    { class: 'org.apache.kafka.connect.file.FileStreamSinkConnector', type: 'sink', version: '0.1.0' },
    { class: 'org.apache.kafka.connect.file.FileStreamSourceConnector', type: 'source', version: '0.1.0' },
  ])
})

test('connectorsOnly=false lists every plugin the registry holds, by kind and class, without an undefined version', async (t) => {
  const { app } = testServer(t, { plugins: PLUGINS })
  const res = await call(app, 'GET', '/connector-plugins?connectorsOnly=false')
  assert.deepEqual(
    res.body.map((p: { class: string; type: string; version?: string }) => `${p.type} ${p.class} ${p.version}`),
    [
      'sink org.apache.kafka.connect.file.FileStreamSinkConnector 0.1.0',
      'source org.apache.kafka.connect.file.FileStreamSourceConnector 0.1.0',
      'transformation org.apache.kafka.connect.transforms.Filter 0.2.0',
      'predicate org.apache.kafka.connect.transforms.predicates.HasHeaderKey undefined',
      'converter org.apache.kafka.connect.storage.StringConverter 0.1.0',
      'header_converter org.apache.kafka.connect.storage.SimpleHeaderConverter 0.1.0',
      'header_converter org.apache.kafka.connect.storage.StringConverter 0.1.0',
    ],
  )
  assert.equal('version' in res.body[3], false)
})

test('GET /connector-plugins/{p}/config gives the keys; unknown plugins are 404 and a wrong version 400', async (t) => {
  const { app } = testServer(t)
  const keys = await call(app, 'GET', '/connector-plugins/FileStreamSource/config')
  assert.equal(keys.status, 200)
  assert.equal(keys.body[0].name, 'topic')
  assert.deepEqual((await call(app, 'GET', '/connector-plugins/Nope/config')).body, {
    error_code: 404,
    message: 'Unknown plugin Nope.',
  })
  assert.equal((await call(app, 'GET', '/connector-plugins/FileStreamSource/config?version=9.9')).status, 400)
})

test('validate returns the herder’s ConfigInfos with 200, errors included', async (t) => {
  const { app } = testServer(t)
  const res = await call(app, 'PUT', '/connector-plugins/FileStreamSource/config/validate', {
    'connector.class': 'FileStreamSource',
  })
  assert.equal(res.status, 200)
  assert.equal(res.body.error_count, 1)
  assert.deepEqual(res.body.configs[0].value.errors, [
    'Missing required configuration "topic" which has no default value.',
  ])
})

test('validate rejects a connector.class that does not match the path', async (t) => {
  const { app } = testServer(t)
  const res = await call(app, 'PUT', '/connector-plugins/FileStreamSink/config/validate', {
    'connector.class': 'FileStreamSource',
  })
  assert.deepEqual(res.body, {
    error_code: 400,
    message: 'Included connector type FileStreamSource does not match request type FileStreamSink',
  })
  const alias = await call(app, 'PUT', '/connector-plugins/FileStreamSourceConnector/config/validate', {
    'connector.class': 'org.apache.kafka.connect.file.FileStreamSource',
    topic: 't',
  })
  assert.equal(alias.status, 200)
})

test('validation failures the herder raises are 500s with the wrapped message, as Apache answers them', async (t) => {
  const { app, herder } = testServer(t)
  const res = await call(app, 'PUT', '/connector-plugins/FileStreamSource/config/validate', {})
  assert.deepEqual(res.body, {
    error_code: 500,
    message:
      'org.apache.kafka.connect.runtime.rest.errors.BadRequestException: Connector config contains no connector type',
  })
  herder.validateConnectorConfig = async () => {
    throw new BadRequestException('Failed to find any class that implements Connector and which name matches Nope')
  }
  const unknown = await call(app, 'PUT', '/connector-plugins/Nope/config/validate', { 'connector.class': 'Nope' })
  assert.equal(unknown.status, 500)
  assert.match(unknown.body.message, /BadRequestException: Failed to find any class/)
})
