import assert from 'node:assert/strict'
import { test } from 'node:test'
import { taskThroughput } from '../../src/herder/task-throughput.ts'
import { ConnectMetrics } from '../../src/metrics/connect-metrics.ts'

test("a task's records per second is its source-record-write-rate or sink-record-send-rate, by connector and task", (t) => {
  const metrics = new ConnectMetrics({ processMetrics: false, sampleWindowMs: 60_000 })
  t.after(() => metrics.close())
  const source = metrics.addTask('b-source', 0, 'source')
  const sink = metrics.addTask('a-sink', 1, 'sink')
  source.recordPoll(300, 1)
  source.recordWrite(200, 100)
  sink.recordRead(80)
  sink.recordSend(50, 1)
  const rates = taskThroughput(metrics, Date.now() + 10_000)
  assert.deepEqual(
    rates.map((r) => [r.connector, r.task, r.type]),
    [
      ['a-sink', 1, 'sink'],
      ['b-source', 0, 'source'],
    ],
  )
  // Over the ~10 s since the window began: 50 sent, 200 written (not the polled or read counts).
  assert.ok(Math.abs(rates[0]!.records_per_second! - 5) < 0.1, String(rates[0]!.records_per_second))
  assert.ok(Math.abs(rates[1]!.records_per_second! - 20) < 0.5, String(rates[1]!.records_per_second))
})

test('a worker that keeps no task metrics reports no rate rather than zero', (t) => {
  const metrics = new ConnectMetrics({ processMetrics: false, recording: false })
  t.after(() => metrics.close())
  metrics.addTask('c', 0, 'source')
  assert.deepEqual(taskThroughput(metrics), [{ connector: 'c', task: 0, type: 'source', records_per_second: null }])
})
