import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  ConnectMetrics,
  FileOffsetBackingStore,
  KafkaAdmin,
  parseWorkerConfig,
  StandaloneHerder,
  silentLogger,
  Worker,
} from '@ferry/runtime'
import { builtinRegistry, distributedWorkerProps, randomName, startDistributed, tempDir, waitFor } from '@ferry/testing'
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
  const app = createRestServer({ herder, workerConfig: config, plugins: registry, logger: silentLogger(), metrics })
  t.after(() => app.close())
  /** `GET /metrics`, checked to be Prometheus text. */
  const scrape = async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' })
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/)
    return res.body
  }
  return { dir, config, registry, metrics, herder, scrape }
}

/** Writes `lines` to a file and a file source that copies them to `topic`; resolves once all are in Kafka. */
async function fileToTopic(
  w: Awaited<ReturnType<typeof standaloneWorker>>,
  topic: string,
  lines: string[],
  extra: Record<string, string> = {},
): Promise<string> {
  const name = randomName('metrics-source')
  const input = join(w.dir, `${name}.txt`)
  await writeFile(input, lines.map((l) => `${l}\n`).join(''))
  await w.herder.putConnectorConfig(
    name,
    { 'connector.class': 'FileStreamSource', file: input, topic, ...extra },
    false,
  )
  return name
}

test('GET /metrics counts every line a file source polled and wrote, with Apache names and connector/task labels', async (t) => {
  const w = await standaloneWorker(t)
  const scrape = w.scrape
  const topic = randomName('metrics-topic')
  const lines = 1234
  const name = await fileToTopic(
    w,
    topic,
    Array.from({ length: lines }, (_, i) => `line ${i}`),
  )
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

test('a file sink’s N records are N read and N sent on /metrics, with its partitions, commits, batches and lag', async (t) => {
  const w = await standaloneWorker(t)
  const topic = randomName('metrics-sink-topic')
  const lines = 1000
  const source = await fileToTopic(
    w,
    topic,
    Array.from({ length: lines }, (_, i) => `line ${i}`),
  )
  await waitFor('the source to write every line', async () => {
    const text = await w.scrape()
    return (
      sample(text, 'kafka_connect_source_task_metrics_source_record_write_total', { connector: source, task: 0 }) ===
      lines
    )
  })
  const name = randomName('metrics-sink')
  await w.herder.putConnectorConfig(
    name,
    {
      'connector.class': 'FileStreamSink',
      file: join(w.dir, 'out.txt'),
      topics: topic,
      // Ten records a poll out of one fetch of all of them: the batches are 10 and the lag is the rest.
      'consumer.override.max.poll.records': '10',
    },
    false,
  )
  const task = { connector: name, task: 0 }
  let text = ''
  await waitFor('every record to be put, and committed', async () => {
    text = await w.scrape()
    return (
      sample(text, 'kafka_connect_sink_task_metrics_sink_record_send_total', task) === lines &&
      sample(text, 'kafka_connect_sink_task_metrics_sink_record_active_count', task) === 0
    )
  })
  assert.equal(sample(text, 'kafka_connect_sink_task_metrics_sink_record_read_total', task), lines)
  assert.equal(sample(text, 'kafka_connect_sink_task_metrics_partition_count', task), 1)
  assert.equal(sample(text, 'kafka_connect_connector_task_metrics_batch_size_max', task), 10)
  assert.ok(sample(text, 'kafka_connect_sink_task_metrics_sink_record_active_count_max', task)! >= 10)
  const lag = sample(text, 'kafka_connect_sink_task_metrics_sink_record_lag_max', task)!
  assert.ok(lag >= lines / 2 && lag <= lines - 10, `sink-record-lag-max ${lag}`)
  assert.ok(sample(text, 'kafka_connect_sink_task_metrics_offset_commit_completion_total', task)! >= 1)
  assert.ok(sample(text, 'kafka_connect_sink_task_metrics_offset_commit_seq_no', task)! >= 1)
  assert.equal(sample(text, 'kafka_connect_sink_task_metrics_offset_commit_skip_total', task), 0)
  assert.equal(sample(text, 'kafka_connect_connector_task_metrics_offset_commit_success_percentage', task), 1)
  assert.ok(sample(text, 'kafka_connect_sink_task_metrics_put_batch_max_time_ms', task)! >= 0)
  assert.ok(sample(text, 'kafka_connect_sink_task_metrics_sink_record_read_rate', task)! > 0)
  assert.equal(sample(text, 'kafka_connect_task_error_metrics_total_record_failures', task), 0)
  // A source task has no sink-task-metrics, nor a sink task source-task-metrics.
  assert.equal(
    sample(text, 'kafka_connect_sink_task_metrics_sink_record_read_total', { connector: source, task: 0 }),
    undefined,
  )
  assert.equal(sample(text, 'kafka_connect_source_task_metrics_source_record_poll_total', task), undefined)
})

test('with errors.tolerance=all and dead letter queues, task-error-metrics and Ferry’s source DLQ count each bad record once', async (t) => {
  const w = await standaloneWorker(t)
  const admin = new KafkaAdmin(w.config.clients.admin({}, randomName('metrics-admin')))
  t.after(() => admin.close())
  const tolerateAll = (dlq: string) => ({
    'errors.tolerance': 'all',
    'errors.log.enable': 'true',
    'errors.deadletterqueue.topic.name': dlq,
    'errors.deadletterqueue.topic.replication.factor': '1',
  })
  // Source: every fourth line is not a number, so Cast fails on it (25 of 100).
  const numbers = Array.from({ length: 100 }, (_, i) => (i % 4 === 3 ? `word ${i}` : String(i)))
  const sourceDlq = randomName('metrics-source-dlq')
  const source = await fileToTopic(w, randomName('metrics-numbers'), numbers, {
    transforms: 'cast',
    'transforms.cast.type': 'org.apache.kafka.connect.transforms.Cast$Value',
    'transforms.cast.spec': 'int32',
    ...tolerateAll(sourceDlq),
  })
  // Sink: every fifth record is not JSON, so the JsonConverter fails on it (40 of 200).
  const jsonTopic = randomName('metrics-json')
  const json = Array.from({ length: 200 }, (_, i) => (i % 5 === 4 ? `not json ${i}` : `{"i":${i}}`))
  await fileToTopic(w, jsonTopic, json)
  const sinkDlq = randomName('metrics-sink-dlq')
  const sink = randomName('metrics-sink')
  await w.herder.putConnectorConfig(
    sink,
    {
      'connector.class': 'FileStreamSink',
      file: join(w.dir, 'json-out.txt'),
      topics: jsonTopic,
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
      ...tolerateAll(sinkDlq),
    },
    false,
  )
  const sourceTask = { connector: source, task: 0 }
  const sinkTask = { connector: sink, task: 0 }
  let text = ''
  await waitFor('both tasks to be through their records', async () => {
    text = await w.scrape()
    return (
      sample(text, 'kafka_connect_source_task_metrics_source_record_poll_total', sourceTask) === 100 &&
      sample(text, 'kafka_connect_source_task_metrics_source_record_active_count', sourceTask) === 0 &&
      sample(text, 'kafka_connect_sink_task_metrics_sink_record_read_total', sinkTask) === 200 &&
      sample(text, 'kafka_connect_sink_task_metrics_sink_record_send_total', sinkTask)! >= 160 &&
      sample(text, 'kafka_connect_task_error_metrics_deadletterqueue_produce_requests', sinkTask)! >= 40
    )
  })
  const errors = (name: string, task: Record<string, string | number>) =>
    sample(text, `kafka_connect_task_error_metrics_${name}`, task)
  assert.equal(sample(text, 'kafka_connect_source_task_metrics_source_record_write_total', sourceTask), 75)
  for (const [task, bad] of [
    [sourceTask, 25],
    [sinkTask, 40],
  ] as const) {
    assert.equal(errors('total_record_failures', task), bad)
    assert.equal(errors('total_record_errors', task), bad)
    assert.equal(errors('total_records_skipped', task), bad)
    assert.equal(errors('total_errors_logged', task), bad)
    assert.equal(errors('total_retries', task), 0)
    assert.ok(errors('last_error_timestamp', task)! > Date.now() - 600_000)
  }
  assert.equal(sample(text, 'kafka_connect_sink_task_metrics_sink_record_send_total', sinkTask), 160)
  // A sink's DLQ writes are Apache's task-error-metrics; a source's are Ferry's own.
  assert.equal(errors('deadletterqueue_produce_requests', sinkTask), 40)
  assert.equal(errors('deadletterqueue_produce_failures', sinkTask), 0)
  assert.equal(errors('deadletterqueue_produce_requests', sourceTask), 0)
  assert.equal(sample(text, 'ferry_source_dead_letter_queue_produce_requests_total', sourceTask), 25)
  assert.equal(sample(text, 'ferry_source_dead_letter_queue_produce_failures_total', sourceTask), 0)
  // And that is what the dead letter queues hold.
  await waitFor('the DLQ records to be in Kafka', async () =>
    (await admin.recordCount(sourceDlq)) === 25 && (await admin.recordCount(sinkDlq)) === 40 ? true : undefined,
  )
})

test('a distributed worker reports its rebalances: a second worker joining makes one more, both name the same leader and epoch', async (t) => {
  const dir = await tempDir(t)
  const group = randomName('metrics-cluster')
  const worker = distributedWorkerProps(testBootstrap(), group)
  const w1 = await startDistributed(t, { dir, worker, label: '-1' })
  const rebalance = (text: string, name: string) =>
    sample(text, `kafka_connect_connect_worker_rebalance_metrics_${name}`)
  const metricsOf = async (url: string) => {
    const res = await fetch(`${url}/metrics`).catch(() => null)
    return res?.status === 200 ? res.text() : undefined
  }
  const leaderOf = (text: string) =>
    /^kafka_connect_connect_worker_rebalance_metrics_leader_name\{leader_name="([^"]+)"\} 1$/m.exec(text)?.[1]
  let first = await waitFor('the first worker to complete a rebalance', async () => {
    const text = await metricsOf(w1.url)
    return text !== undefined &&
      rebalance(text, 'completed_rebalances_total')! >= 1 &&
      rebalance(text, 'rebalancing') === 0
      ? text
      : undefined
  })
  const leader = leaderOf(first)
  assert.ok(leader?.startsWith(w1.url), `leader-name ${leader} names the first worker (${w1.url})`)
  assert.match(
    first,
    /^kafka_connect_connect_worker_rebalance_metrics_connect_protocol\{connect_protocol="SESSIONED"\} 1$/m,
  )
  assert.ok(rebalance(first, 'rebalance_max_time_ms')! >= 0)
  assert.ok(rebalance(first, 'time_since_last_rebalance_ms')! >= 0)
  const before = { completed: rebalance(first, 'completed_rebalances_total')!, epoch: rebalance(first, 'epoch')! }

  const w2 = await startDistributed(t, { dir, worker, label: '-2' })
  const second = await waitFor('the second worker to join the first one’s generation', async () => {
    const text = await metricsOf(w2.url)
    first = (await metricsOf(w1.url)) ?? first
    return text !== undefined &&
      rebalance(text, 'completed_rebalances_total')! >= 1 &&
      rebalance(text, 'epoch') === rebalance(first, 'epoch') &&
      rebalance(first, 'rebalancing') === 0
      ? text
      : undefined
  })
  assert.ok(rebalance(first, 'completed_rebalances_total')! > before.completed)
  assert.ok(rebalance(first, 'epoch')! > before.epoch)
  assert.equal(leaderOf(second), leaderOf(first))
  // Standalone workers have no group, and no rebalance metrics (as in Apache).
  const standalone = await standaloneWorker(t)
  assert.doesNotMatch(await standalone.scrape(), /kafka_connect_connect_worker_rebalance_metrics_/)
})
