import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { METRIC_DEFINITIONS } from '../../src/metrics/connect-metrics.ts'
import { prometheusLabel, prometheusName } from '../../src/metrics/prometheus-names.ts'

test('Apache group and metric names map to the JMX exporter rules’ Prometheus names', () => {
  assert.equal(
    prometheusName('connect-worker-metrics', 'connector-count'),
    'kafka_connect_connect_worker_metrics_connector_count',
  )
  assert.equal(
    prometheusName('sink-task-metrics', 'sink-record-read-total'),
    'kafka_connect_sink_task_metrics_sink_record_read_total',
  )
  assert.equal(
    prometheusName('connect-worker-rebalance-metrics', 'rebalance-avg-time-ms'),
    'kafka_connect_connect_worker_rebalance_metrics_rebalance_avg_time_ms',
  )
  assert.equal(prometheusLabel('connector-class'), 'connector_class')
})

test('every exported name is a valid, unique Prometheus name, and -total names are counters', () => {
  const names = METRIC_DEFINITIONS.map((d) => prometheusName(d.group, d.name))
  assert.equal(new Set(names).size, names.length)
  for (const [i, d] of METRIC_DEFINITIONS.entries()) {
    assert.match(names[i]!, /^[a-z_][a-z0-9_]*$/)
    assert.equal(d.type, d.name.endsWith('-total') ? 'counter' : 'gauge', d.name)
  }
})

test('docs/operations.md lists every exported metric with its Apache group, Apache name and Prometheus name', () => {
  const doc = readFileSync(new URL('../../../../docs/operations.md', import.meta.url), 'utf8')
  for (const d of METRIC_DEFINITIONS) {
    const row = `| \`${d.group}\` | \`${d.name}\` | \`${prometheusName(d.group, d.name)}\` |`
    assert.ok(doc.includes(row), `docs/operations.md has no row starting ${row}`)
  }
})
