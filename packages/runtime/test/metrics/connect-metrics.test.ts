import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseWorkerConfig } from '../../src/config/worker-config.ts'
import { ConnectMetrics } from '../../src/metrics/connect-metrics.ts'

test('a worker whose metrics nothing reads (metrics.listener empty, ui.enabled=false) records none; otherwise it does', () => {
  const recording = (extra: Record<string, string>) => {
    const config = parseWorkerConfig(
      {
        'bootstrap.servers': 'localhost:9092',
        'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
        'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
        'offset.storage.file.filename': '/tmp/offsets',
        ...extra,
      },
      'standalone',
    )
    const metrics = ConnectMetrics.forWorker(config, { processMetrics: false })
    metrics.close()
    return metrics.recording
  }
  assert.equal(recording({}), true)
  assert.equal(recording({ 'metrics.listener': '' }), true, 'the web UI still shows throughput from them')
  assert.equal(recording({ 'ui.enabled': 'false' }), true)
  assert.equal(recording({ 'metrics.listener': '', 'ui.enabled': 'false' }), false)
})

test('connect-worker-rebalance-metrics appear only once a distributed herder enabled them', async () => {
  const metrics = new ConnectMetrics({ processMetrics: false })
  try {
    assert.doesNotMatch(await metrics.scrape(), /rebalance_metrics/)
    metrics.enableRebalanceMetrics()
    metrics.rebalance.started(1000)
    let text = await metrics.scrape()
    assert.match(text, /^kafka_connect_connect_worker_rebalance_metrics_rebalancing 1$/m)
    assert.match(text, /^kafka_connect_connect_worker_rebalance_metrics_time_since_last_rebalance_ms \+Inf$/m)
    metrics.rebalance.assigned(7, 'http://leader:8083/', 'sessioned')
    metrics.rebalance.succeeded(1250)
    text = await metrics.scrape()
    assert.match(text, /^kafka_connect_connect_worker_rebalance_metrics_completed_rebalances_total 1$/m)
    assert.match(text, /^kafka_connect_connect_worker_rebalance_metrics_epoch 7$/m)
    assert.match(text, /^kafka_connect_connect_worker_rebalance_metrics_rebalancing 0$/m)
    assert.match(text, /^kafka_connect_connect_worker_rebalance_metrics_rebalance_max_time_ms 250$/m)
    assert.match(
      text,
      /^kafka_connect_connect_worker_rebalance_metrics_leader_name\{leader_name="http:\/\/leader:8083\/"\} 1$/m,
    )
    assert.match(
      text,
      /^kafka_connect_connect_worker_rebalance_metrics_connect_protocol\{connect_protocol="SESSIONED"\} 1$/m,
    )
  } finally {
    metrics.close()
  }
})
