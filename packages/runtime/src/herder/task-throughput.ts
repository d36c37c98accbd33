import type { ConnectMetrics } from '../metrics/connect-metrics.ts'
import type { TaskThroughput } from './herder.ts'

/**
 * The records per second of every task in `metrics` (see TaskThroughput), by connector and task; null when the
 * worker keeps no task metrics (`ConnectMetrics.recording`).
 */
export function taskThroughput(metrics: ConnectMetrics, now = Date.now()): TaskThroughput[] {
  return [...metrics.tasks()]
    .map((t) => ({
      connector: t.connector,
      task: t.task,
      type: t.type,
      records_per_second: metrics.recording
        ? (t.type === 'source' ? t.sourceRecordWrite : t.sinkRecordSend).rate(now)
        : null,
    }))
    .sort((a, b) => (a.connector === b.connector ? a.task - b.task : a.connector < b.connector ? -1 : 1))
}
