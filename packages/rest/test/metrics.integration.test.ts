import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  ConnectMetrics,
  FileOffsetBackingStore,
  parseWorkerConfig,
  StandaloneHerder,
  silentLogger,
  Worker,
} from '@ferry/runtime'
import { builtinRegistry, randomName, tempDir, waitFor } from '@ferry/testing'
import { testBootstrap } from '../../../scripts/kafka/test-env.ts'
import { createRestServer, startRestServer } from '../src/server.ts'

/** The value of one sample in Prometheus text: the line `name{labels} value`, labels in any order; undefined if absent. */
function sample(text: string, name: string, labels: Record<string, string | number> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    const m = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const found = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]))
    if (Object.entries(labels).every(([k, v]) => found[k] === String(v))) return Number(m[3])
  }
  return undefined
}

async function standaloneWorker(t: { after(fn: () => unknown): void }, extra: Record<string, string> = {}) {
  const dir = await tempDir(t)
  const offsetsFile = join(dir, 'offsets.json')
  const config = parseWorkerConfig(
    {
      'bootstrap.servers': testBootstrap(),
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'offset.storage.file.filename': offsetsFile,
      'offset.flush.interval.ms': '200',
      ...extra,
    },
    'standalone',
  )
  const registry = await builtinRegistry()
  const metrics = new ConnectMetrics({ processMetrics: true })
  const worker = new Worker(config, registry, new FileOffsetBackingStore(offsetsFile), silentLogger(), { metrics })
  const herder = new StandaloneHerder(worker, 'worker-under-test:8083', silentLogger())
  await herder.start()
  t.after(async () => {
    await herder.stop()
    metrics.close()
  })
  return { dir, config, registry, metrics, herder }
}

test('GET /metrics counts every line a file source polled and wrote, with Apache names and connector/task labels', async (t) => {
  const w = await standaloneWorker(t)
  const app = createRestServer({
    herder: w.herder,
    workerConfig: w.config,
    plugins: w.registry,
    logger: silentLogger(),
    metrics: w.metrics,
  })
  t.after(() => app.close())
  const name = randomName('metrics-source')
  const topic = randomName('metrics-topic')
  const input = join(w.dir, 'in.txt')
  const lines = 1234
  await writeFile(input, Array.from({ length: lines }, (_, i) => `line ${i}\n`).join(''))
  await w.herder.putConnectorConfig(name, { 'connector.class': 'FileStreamSource', file: input, topic }, false)

  const scrape = async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' })
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/)
    return res.body
  }
  const task = { connector: name, task: 0 }
  let text = ''
  await waitFor('every line to be written to Kafka', async () => {
    text = await scrape()
    return sample(text, 'kafka_connect_source_task_metrics_source_record_write_total', task) === lines
  })
  assert.equal(sample(text, 'kafka_connect_source_task_metrics_source_record_poll_total', task), lines)
  assert.equal(sample(text, 'kafka_connect_source_task_metrics_source_record_active_count', task), 0)
  assert.ok(sample(text, 'kafka_connect_source_task_metrics_poll_batch_max_time_ms', task)! >= 0)
  assert.ok(sample(text, 'kafka_connect_connector_task_metrics_batch_size_max', task)! > 0)
  assert.ok(sample(text, 'kafka_connect_source_task_metrics_source_record_poll_rate', task)! > 0)
  assert.match(text, /# TYPE kafka_connect_source_task_metrics_source_record_poll_total counter/)
  // Worker and connector groups.
  assert.equal(sample(text, 'kafka_connect_connect_worker_metrics_connector_count'), 1)
  assert.equal(sample(text, 'kafka_connect_connect_worker_metrics_task_count'), 1)
  assert.equal(sample(text, 'kafka_connect_connect_worker_metrics_connector_startup_success_total'), 1)
  assert.equal(sample(text, 'kafka_connect_connect_worker_metrics_task_startup_attempts_total'), 1)
  assert.equal(sample(text, 'kafka_connect_connect_worker_metrics_task_startup_success_percentage'), 1)
  assert.equal(
    sample(text, 'kafka_connect_connect_worker_metrics_connector_running_task_count', { connector: name }),
    1,
  )
  assert.equal(sample(text, 'kafka_connect_connect_worker_metrics_connector_failed_task_count', { connector: name }), 0)
  assert.equal(sample(text, 'kafka_connect_connector_metrics_status', { connector: name, status: 'running' }), 1)
  assert.equal(
    sample(text, 'kafka_connect_connector_metrics_connector_class', {
      connector: name,
      connector_class: 'org.apache.kafka.connect.file.FileStreamSourceConnector',
    }),
    1,
  )
  assert.equal(
    sample(text, 'kafka_connect_connector_metrics_connector_type', { connector: name, connector_type: 'source' }),
    1,
  )
  assert.equal(sample(text, 'kafka_connect_connector_task_metrics_status', { ...task, status: 'running' }), 1)
  // Node process metrics (prom-client's defaults).
  assert.ok(sample(text, 'nodejs_heap_size_used_bytes')! > 0)

  // Pausing shows in the statuses; deleting removes the connector's and task's metrics.
  await w.herder.pauseConnector(name)
  await waitFor('the task to be paused', async () => {
    text = await scrape()
    return sample(text, 'kafka_connect_connector_task_metrics_status', { ...task, status: 'paused' }) === 1
  })
  assert.equal(sample(text, 'kafka_connect_connector_metrics_status', { connector: name, status: 'paused' }), 1)
  await w.herder.deleteConnector(name)
  await waitFor('the connector to be gone from the metrics', async () => {
    text = await scrape()
    return sample(text, 'kafka_connect_connect_worker_metrics_connector_count') === 0
  })
  assert.equal(sample(text, 'kafka_connect_connect_worker_metrics_task_count'), 0)
  assert.equal(sample(text, 'kafka_connect_source_task_metrics_source_record_poll_total', task), undefined)
})

test('metrics.listener serves /metrics on its own port, and the REST listener answers 404 naming it', async (t) => {
  const w = await standaloneWorker(t, { listeners: 'http://127.0.0.1:0', 'metrics.listener': 'http://127.0.0.1:0' })
  const rest = await startRestServer({
    herder: w.herder,
    workerConfig: w.config,
    plugins: w.registry,
    logger: silentLogger(),
    metrics: w.metrics,
  })
  t.after(() => rest.close())
  const [restAddress, metricsAddress] = rest.addresses as [string, string]
  const onRest = await fetch(`${restAddress}/metrics`)
  assert.equal(onRest.status, 404)
  assert.match(((await onRest.json()) as { message: string }).message, /metrics\.listener \(http:\/\/127\.0\.0\.1:0\)/)
  const onMetrics = await fetch(`${metricsAddress}/metrics`)
  assert.equal(onMetrics.status, 200)
  assert.match(await onMetrics.text(), /^kafka_connect_connect_worker_metrics_connector_count 0$/m)
  assert.equal((await fetch(`${metricsAddress}/connectors`)).status, 404)
})
