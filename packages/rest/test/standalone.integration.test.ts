import assert from 'node:assert/strict'
import { appendFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { FileOffsetBackingStore, parseWorkerConfig, StandaloneHerder, silentLogger, Worker } from '@ferry/runtime'
import { builtinRegistry, randomName, tempDir, waitFor } from '@ferry/testing'
import type { FastifyInstance } from 'fastify'
import { testBootstrap } from '../../../scripts/kafka/test-env.ts'
import { createRestServer } from '../src/server.ts'

interface Harness {
  app: FastifyInstance
  dir: string
  call(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }>
}

/** A real Worker and StandaloneHerder on the test broker, behind the REST app (requests through `inject`). */
async function harness(t: { after(fn: () => unknown): void }): Promise<Harness> {
  const dir = await tempDir(t)
  const offsetsFile = join(dir, 'offsets.json')
  const config = parseWorkerConfig(
    {
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'offset.storage.file.filename': offsetsFile,
      'offset.flush.interval.ms': '200',
    },
    'standalone',
  )
  const registry = await builtinRegistry()
  const worker = new Worker(config, registry, new FileOffsetBackingStore(offsetsFile), silentLogger())
  const herder = new StandaloneHerder(worker, 'worker-under-test:8083', silentLogger())
  await herder.start()
  const app = createRestServer({ herder, workerConfig: config, plugins: registry, logger: silentLogger() })
  t.after(async () => {
    await app.close()
    await herder.stop()
  })
  return {
    app,
    dir,
    async call(method, url, body) {
      const res = await app.inject({
        method: method as 'GET',
        url,
        ...(body === undefined
          ? {}
          : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      })
      return { status: res.statusCode, body: res.body === '' ? undefined : res.json() }
    },
  }
}

function states(status: { connector: { state: string }; tasks: Array<{ state: string }> }): string {
  return [status.connector.state, ...status.tasks.map((t) => t.state)].join(',')
}

test('a FileStreamSource driven over REST: create, pause, resume, stop, offsets, restart, delete', async (t) => {
  const h = await harness(t)
  const name = randomName('rest-source')
  const topic = randomName('rest-topic')
  const input = join(h.dir, 'in.txt')
  await writeFile(input, 'one\ntwo\nthree\n')

  const created = await h.call('POST', '/connectors', {
    name,
    config: { 'connector.class': 'FileStreamSource', file: input, topic },
  })
  assert.equal(created.status, 201)
  assert.deepEqual(created.body.tasks, [{ connector: name, task: 0 }])
  await waitFor('the connector and its task to run', async () => {
    const s = await h.call('GET', `/connectors/${name}/status`)
    return states(s.body) === 'RUNNING,RUNNING'
  })
  const status = (await h.call('GET', `/connectors/${name}/status`)).body
  assert.equal(status.connector.worker_id, 'worker-under-test:8083')
  assert.equal(status.type, 'source')

  // Offsets are committed as the file is read; topics record where the task wrote.
  await waitFor('the offset of the three lines', async () => {
    const o = (await h.call('GET', `/connectors/${name}/offsets`)).body
    return o.offsets[0]?.offset?.position === 14
  })
  assert.deepEqual((await h.call('GET', `/connectors/${name}/topics`)).body, { [name]: { topics: [topic] } })

  assert.equal((await h.call('PUT', `/connectors/${name}/pause`)).status, 202)
  await waitFor(
    'PAUSED',
    async () => states((await h.call('GET', `/connectors/${name}/status`)).body) === 'PAUSED,PAUSED',
  )
  assert.equal((await h.call('PUT', `/connectors/${name}/resume`)).status, 202)
  await waitFor('RUNNING again', async () => {
    return states((await h.call('GET', `/connectors/${name}/status`)).body) === 'RUNNING,RUNNING'
  })

  // Offsets can only change while the connector is stopped.
  const early = await h.call('DELETE', `/connectors/${name}/offsets`)
  assert.equal(early.status, 400)
  assert.match(early.body.message, /must be in the STOPPED state/)
  assert.equal((await h.call('PUT', `/connectors/${name}/stop`)).status, 204)
  const stopped = (await h.call('GET', `/connectors/${name}/status`)).body
  assert.deepEqual([stopped.connector.state, stopped.tasks], ['STOPPED', []])
  assert.deepEqual((await h.call('GET', `/connectors/${name}`)).body.tasks, [])
  assert.deepEqual((await h.call('GET', `/connectors/${name}/offsets`)).body, {
    offsets: [{ partition: { filename: input }, offset: { position: 14 } }],
  })

  const altered = await h.call('PATCH', `/connectors/${name}/offsets`, {
    offsets: [{ partition: { filename: input }, offset: { position: 4 } }],
  })
  assert.equal(altered.status, 200)
  assert.match(altered.body.message, /altered successfully/)
  assert.deepEqual((await h.call('GET', `/connectors/${name}/offsets`)).body, {
    offsets: [{ partition: { filename: input }, offset: { position: 4 } }],
  })
  const refused = await h.call('PATCH', `/connectors/${name}/offsets`, {
    offsets: [{ partition: { filename: input }, offset: { position: -1 } }],
  })
  assert.equal(refused.status, 500)
  assert.match(refused.body.message, /should be a non-negative value/)
  const reset = await h.call('DELETE', `/connectors/${name}/offsets`)
  assert.equal(reset.status, 200)
  assert.match(reset.body.message, /reset successfully/)
  assert.deepEqual((await h.call('GET', `/connectors/${name}/offsets`)).body, { offsets: [] })

  // Resuming a stopped connector brings its tasks back.
  assert.equal((await h.call('PUT', `/connectors/${name}/resume`)).status, 202)
  await waitFor('the tasks to come back', async () => {
    return states((await h.call('GET', `/connectors/${name}/status`)).body) === 'RUNNING,RUNNING'
  })

  const plan = await h.call('POST', `/connectors/${name}/restart?includeTasks=true`)
  assert.equal(plan.status, 202)
  assert.equal(states(plan.body), 'RESTARTING,RESTARTING')
  await waitFor('RUNNING after the restart', async () => {
    return states((await h.call('GET', `/connectors/${name}/status`)).body) === 'RUNNING,RUNNING'
  })
  const onlyFailed = await h.call('POST', `/connectors/${name}/restart?includeTasks=true&onlyFailed=true`)
  assert.equal(states(onlyFailed.body), 'RUNNING,RUNNING')
  assert.equal((await h.call('POST', `/connectors/${name}/tasks/0/restart`)).status, 204)
  assert.equal((await h.call('POST', `/connectors/${name}/restart`)).status, 204)

  assert.equal((await h.call('DELETE', `/connectors/${name}`)).status, 204)
  assert.deepEqual((await h.call('GET', `/connectors/${name}/status`)).body, {
    error_code: 404,
    message: `No status found for connector ${name}`,
  })
  assert.deepEqual((await h.call('GET', '/connectors')).body, [])
})

test('a FileStreamSink’s offsets are its consumer group’s, read and changed while it is stopped', async (t) => {
  const h = await harness(t)
  const topic = randomName('rest-sink-topic')
  const source = randomName('rest-feed')
  const sink = randomName('rest-sink')
  const input = join(h.dir, 'in.txt')
  const output = join(h.dir, 'out.txt')
  await writeFile(input, 'a\nb\nc\n')
  await h.call('POST', '/connectors', {
    name: source,
    config: { 'connector.class': 'FileStreamSource', file: input, topic },
  })
  const created = await h.call('PUT', `/connectors/${sink}/config`, {
    'connector.class': 'FileStreamSink',
    file: output,
    topics: topic,
  })
  assert.equal(created.status, 201)
  await waitFor(
    'the sink to commit all three records',
    async () => {
      const o = (await h.call('GET', `/connectors/${sink}/offsets`)).body
      return o.offsets?.[0]?.offset?.kafka_offset === 3
    },
    60_000,
    250,
  )
  assert.deepEqual((await h.call('GET', `/connectors/${sink}/offsets`)).body, {
    offsets: [{ partition: { kafka_topic: topic, kafka_partition: 0 }, offset: { kafka_offset: 3 } }],
  })
  assert.deepEqual((await h.call('GET', `/connectors/${sink}/topics`)).body, { [sink]: { topics: [topic] } })

  assert.equal((await h.call('PUT', `/connectors/${sink}/stop`)).status, 204)
  const bad = await h.call('PATCH', `/connectors/${sink}/offsets`, {
    offsets: [{ partition: { kafka_topic: topic }, offset: { kafka_offset: 1 } }],
  })
  assert.deepEqual(bad.body, {
    error_code: 400,
    message: "The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'",
  })
  const altered = await waitFor('the group to be empty so offsets can be altered', async () => {
    const res = await h.call('PATCH', `/connectors/${sink}/offsets`, {
      offsets: [{ partition: { kafka_topic: topic, kafka_partition: 0 }, offset: { kafka_offset: '1' } }],
    })
    return res.status === 200 ? res : undefined
  })
  assert.match(altered.body.message, /have been altered successfully/)
  assert.deepEqual((await h.call('GET', `/connectors/${sink}/offsets`)).body.offsets[0].offset, { kafka_offset: 1 })
  const reset = await h.call('DELETE', `/connectors/${sink}/offsets`)
  assert.equal(reset.status, 200)
  assert.match(reset.body.message, /have been reset successfully/)
  assert.deepEqual((await h.call('GET', `/connectors/${sink}/offsets`)).body, { offsets: [] })

  // Resumed from the start (offsets reset), the sink writes every line again.
  await appendFile(input, 'd\n')
  assert.equal((await h.call('PUT', `/connectors/${sink}/resume`)).status, 202)
  await waitFor('the sink to consume again', async () => {
    const o = (await h.call('GET', `/connectors/${sink}/offsets`)).body
    return o.offsets?.[0]?.offset?.kafka_offset === 4
  })
})

test('validation of a bad config shows every error on its key, and a bad update leaves the config as it was', async (t) => {
  const h = await harness(t)
  const res = await h.call('PUT', '/connector-plugins/FileStreamSource/config/validate', {
    'connector.class': 'FileStreamSource',
    name: 'v',
    'tasks.max': '0',
    'batch.size': 'many',
    'errors.tolerance': 'some',
    'key.converter': 'com.example.NoSuchConverter',
  })
  assert.equal(res.status, 200)
  const errors = Object.fromEntries(
    res.body.configs.filter((c: any) => c.value?.errors.length > 0).map((c: any) => [c.value.name, c.value.errors]),
  )
  assert.deepEqual(errors, {
    'tasks.max': ['Invalid value 0 for configuration tasks.max: Value must be at least 1'],
    'errors.tolerance': ['Invalid value some for configuration errors.tolerance: String must be one of: none, all'],
    'key.converter': [
      'Invalid value com.example.NoSuchConverter for configuration key.converter: Class com.example.NoSuchConverter could not be found.',
    ],
    topic: ['Missing required configuration "topic" which has no default value.'],
    'batch.size': [
      'Invalid value many for configuration batch.size: Not a number of type INT',
      'Invalid value null for configuration batch.size: Value must be non-null',
    ],
  })
  assert.equal(res.body.error_count, 6)

  const name = randomName('rest-valid')
  const good = { 'connector.class': 'FileStreamSource', file: join(h.dir, 'in.txt'), topic: randomName('t') }
  assert.equal((await h.call('PUT', `/connectors/${name}/config`, good)).status, 201)
  const update = await h.call('PUT', `/connectors/${name}/config`, { ...good, 'tasks.max': '0', topic: null, x: null })
  assert.equal(update.status, 400)
  assert.equal(
    update.body.message,
    'Connector configuration is invalid and contains the following 3 error(s):\nNull value can not be supplied as the configuration value.\nInvalid value 0 for configuration tasks.max: Value must be at least 1\nMissing required configuration "topic" which has no default value.\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`',
  )
  assert.deepEqual((await h.call('GET', `/connectors/${name}/config`)).body, { ...good, name })
})
