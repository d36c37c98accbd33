import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import { prometheusLabel, prometheusName } from './prometheus-names.ts'
import { RecordingTaskMetrics, type TaskMetricStatus } from './task-metrics.ts'

/** What `/metrics` serves: the Prometheus text exposition of everything registered. */
export interface MetricsSource {
  readonly contentType: string
  scrape(): Promise<string>
}

/** A connector's status as connector-metrics `status` reports it (Apache's lower-case state names). */
export type ConnectorMetricStatus = 'unassigned' | 'running' | 'paused' | 'stopped' | 'failed' | 'restarting'

interface ConnectorEntry {
  status: ConnectorMetricStatus
  type: 'source' | 'sink' | 'unknown'
  className: string
  version: string
}

type Labels = Record<string, string | number>
type Sample = [labels: Labels, value: number]

/** One exported metric: Apache's group and name, and how to read its samples at scrape time. */
export interface MetricDefinition {
  group: string
  name: string
  help: string
  /** `-total` names are counters (as the exporters' rules type them); the rest are gauges. */
  type: 'counter' | 'gauge'
  labels: readonly string[]
  samples: (metrics: ConnectMetrics, now: number) => Iterable<Sample>
}

export interface ConnectMetricsOptions {
  /** `metrics.sample.window.ms` (Apache's default 30 000). */
  sampleWindowMs?: number
  /** `metrics.num.samples` (default 2). */
  numSamples?: number
  /** Node process metrics (prom-client's defaults: CPU, heap, event-loop lag, GC). Default true. */
  processMetrics?: boolean
}

const TASK_STATES: readonly TaskMetricStatus[] = [
  'running',
  'paused',
  'failed',
  'unassigned',
  'destroyed',
  'restarting',
]

/** The fraction (0..1) of `part` in `part + rest`, as Apache's percentage metrics report it; 0 when both are 0. */
function fraction(part: number, rest: number): number {
  return part + rest === 0 ? 0 : part / (part + rest)
}

function* perTask(
  m: ConnectMetrics,
  type: 'source' | 'sink' | null,
  value: (t: RecordingTaskMetrics, now: number) => number,
  now: number,
): Iterable<Sample> {
  for (const t of m.tasks()) {
    if (type === null || t.type === type) yield [{ connector: t.connector, task: t.task }, value(t, now)]
  }
}

const task = (
  group: string,
  name: string,
  help: string,
  type: 'source' | 'sink' | null,
  value: (t: RecordingTaskMetrics, now: number) => number,
): MetricDefinition => ({
  group,
  name,
  help,
  type: name.endsWith('-total') ? 'counter' : 'gauge',
  labels: ['connector', 'task'],
  samples: (m, now) => perTask(m, type, value, now),
})

const worker = (name: string, help: string, value: (m: ConnectMetrics) => number): MetricDefinition => ({
  group: 'connect-worker-metrics',
  name,
  help,
  type: name.endsWith('-total') ? 'counter' : 'gauge',
  labels: [],
  samples: (m) => [[{}, value(m)]],
})

function startupMetrics(what: 'connector' | 'task'): MetricDefinition[] {
  const s = (m: ConnectMetrics) => (what === 'connector' ? m.connectorStartups : m.taskStartups)
  return [
    worker(
      `${what}-startup-attempts-total`,
      `The total number of ${what} startups that this worker has attempted.`,
      (m) => s(m).attempts,
    ),
    worker(
      `${what}-startup-success-total`,
      `The total number of ${what} starts that succeeded.`,
      (m) => s(m).successes,
    ),
    worker(`${what}-startup-failure-total`, `The total number of ${what} starts that failed.`, (m) => s(m).failures),
    worker(
      `${what}-startup-success-percentage`,
      `The fraction (0 to 1) of this worker's ${what} starts that succeeded.`,
      (m) => fraction(s(m).successes, s(m).failures),
    ),
    worker(
      `${what}-startup-failure-percentage`,
      `The fraction (0 to 1) of this worker's ${what} starts that failed.`,
      (m) => fraction(s(m).failures, s(m).successes),
    ),
  ]
}

function connectorTaskCounts(): MetricDefinition[] {
  const count = (state: TaskMetricStatus | null) => (m: ConnectMetrics) => {
    const counts = new Map<string, number>()
    for (const t of m.tasks()) {
      if (state === null || t.status === state) counts.set(t.connector, (counts.get(t.connector) ?? 0) + 1)
      else if (!counts.has(t.connector)) counts.set(t.connector, 0)
    }
    return [...counts].map(([connector, n]): Sample => [{ connector }, n])
  }
  return [null, ...TASK_STATES].map((state) => ({
    group: 'connect-worker-metrics',
    name: `connector-${state ?? 'total'}-task-count`,
    help: `The number of ${state ?? 'all'} tasks of the connector on this worker.`,
    type: 'gauge',
    labels: ['connector'],
    samples: count(state),
  }))
}

function connectorInfo(name: string, help: string, value: (c: ConnectorEntry) => string): MetricDefinition {
  return {
    group: 'connector-metrics',
    name,
    help,
    type: 'gauge',
    labels: ['connector', prometheusLabel(name)],
    samples: (m) =>
      [...m.connectors()].map(([connector, c]): Sample => [{ connector, [prometheusLabel(name)]: value(c) }, 1]),
  }
}

/** Every metric Ferry exports under Apache's names, in the order of Apache's ConnectMetricsRegistry. */
export const METRIC_DEFINITIONS: readonly MetricDefinition[] = [
  worker('connector-count', 'The number of connectors run in this worker.', (m) => m.connectorCount),
  worker('task-count', 'The number of tasks run in this worker.', (m) => m.taskCount),
  ...startupMetrics('connector'),
  ...startupMetrics('task'),
  ...connectorTaskCounts(),
  connectorInfo('status', 'The status of the connector (the label; the value is 1).', (c) => c.status),
  connectorInfo('connector-type', 'The type of the connector: source or sink.', (c) => c.type),
  connectorInfo('connector-class', 'The name of the connector class.', (c) => c.className),
  connectorInfo(
    'connector-version',
    'The version of the connector class, as reported by the connector.',
    (c) => c.version,
  ),
  {
    group: 'connector-task-metrics',
    name: 'status',
    help: 'The status of the connector task (the label; the value is 1).',
    type: 'gauge',
    labels: ['connector', 'task', 'status'],
    samples: (m) => [...m.tasks()].map((t): Sample => [{ connector: t.connector, task: t.task, status: t.status }, 1]),
  },
  task('connector-task-metrics', 'running-ratio', 'The fraction of time this task has spent running.', null, (t, now) =>
    t.runningRatio(now),
  ),
  task('connector-task-metrics', 'pause-ratio', 'The fraction of time this task has spent paused.', null, (t, now) =>
    t.pauseRatio(now),
  ),
  // Only source tasks record their batches and commits so far: sink tasks' would read 0 while records move.
  task(
    'connector-task-metrics',
    'offset-commit-max-time-ms',
    'The maximum time in ms taken by this task to commit offsets.',
    'source',
    (t) => t.offsetCommitTime.max(),
  ),
  task(
    'connector-task-metrics',
    'offset-commit-avg-time-ms',
    'The average time in ms taken by this task to commit offsets.',
    'source',
    (t) => t.offsetCommitTime.avg(),
  ),
  task(
    'connector-task-metrics',
    'offset-commit-success-percentage',
    "The fraction (0 to 1) of this task's offset commit attempts that succeeded.",
    'source',
    (t) => fraction(t.offsetCommitSuccesses, t.offsetCommitFailures),
  ),
  task(
    'connector-task-metrics',
    'offset-commit-failure-percentage',
    "The fraction (0 to 1) of this task's offset commit attempts that failed.",
    'source',
    (t) => fraction(t.offsetCommitFailures, t.offsetCommitSuccesses),
  ),
  task(
    'connector-task-metrics',
    'batch-size-max',
    'The number of records in the largest batch the task has processed so far.',
    'source',
    (t) => t.batchSize.max(),
  ),
  task(
    'connector-task-metrics',
    'batch-size-avg',
    'The average number of records in the batches the task has processed so far.',
    'source',
    (t) => t.batchSize.avg(),
  ),
  task(
    'source-task-metrics',
    'source-record-poll-rate',
    'The average per-second number of records produced/polled (before transformation) by this task.',
    'source',
    (t, now) => t.sourceRecordPoll.rate(now),
  ),
  task(
    'source-task-metrics',
    'source-record-poll-total',
    'The total number of records produced/polled (before transformation) by this task.',
    'source',
    (t) => t.sourceRecordPoll.sum,
  ),
  task(
    'source-task-metrics',
    'source-record-write-rate',
    'The average per-second number of records written to Kafka by this task (after transformation, skipped ones excluded).',
    'source',
    (t, now) => t.sourceRecordWrite.rate(now),
  ),
  task(
    'source-task-metrics',
    'source-record-write-total',
    'The number of records written to Kafka by this task (after transformation, skipped ones excluded).',
    'source',
    (t) => t.sourceRecordWrite.sum,
  ),
  task(
    'source-task-metrics',
    'poll-batch-max-time-ms',
    'The maximum time in milliseconds taken by this task to poll for a batch of source records.',
    'source',
    (t) => t.pollBatchTime.max(),
  ),
  task(
    'source-task-metrics',
    'poll-batch-avg-time-ms',
    'The average time in milliseconds taken by this task to poll for a batch of source records.',
    'source',
    (t) => t.pollBatchTime.avg(),
  ),
  task(
    'source-task-metrics',
    'source-record-active-count',
    'The number of records that have been produced by this task but not yet completely written to Kafka.',
    'source',
    (t) => t.sourceRecordActiveCount,
  ),
  task(
    'source-task-metrics',
    'source-record-active-count-max',
    'The maximum number of records that have been produced by this task but not yet completely written to Kafka.',
    'source',
    (t) => t.sourceRecordActive.max(),
  ),
  task(
    'source-task-metrics',
    'source-record-active-count-avg',
    'The average number of records that have been produced by this task but not yet completely written to Kafka.',
    'source',
    (t) => t.sourceRecordActive.avg(),
  ),
]

/**
 * The worker's metrics (Apache's ConnectMetrics with its groups): the worker, its connectors and tasks, read from
 * plain numbers the tasks keep (see `RecordingTaskMetrics`) into a prom-client registry when `/metrics` is scraped.
 */
export class ConnectMetrics implements MetricsSource {
  readonly registry = new Registry()
  readonly connectorStartups = { attempts: 0, successes: 0, failures: 0 }
  readonly taskStartups = { attempts: 0, successes: 0, failures: 0 }
  readonly #connectors = new Map<string, ConnectorEntry>()
  readonly #tasks = new Map<string, RecordingTaskMetrics>()
  readonly #numSamples: number
  readonly #timer: NodeJS.Timeout

  constructor(options: ConnectMetricsOptions = {}) {
    this.#numSamples = options.numSamples ?? 2
    for (const def of METRIC_DEFINITIONS) this.#register(def)
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry })
    this.#timer = setInterval(() => this.#roll(), Math.max(1, options.sampleWindowMs ?? 30_000))
    this.#timer.unref()
  }

  get contentType(): string {
    return this.registry.contentType
  }

  scrape(): Promise<string> {
    return this.registry.metrics()
  }

  #register(def: MetricDefinition): void {
    const metrics = this
    const config = {
      name: prometheusName(def.group, def.name),
      help: def.help,
      labelNames: def.labels,
      registers: [this.registry],
    }
    if (def.type === 'counter') {
      new Counter({
        ...config,
        collect() {
          this.reset()
          for (const [labels, value] of def.samples(metrics, Date.now())) this.inc(labels, value)
        },
      })
    } else {
      new Gauge({
        ...config,
        collect() {
          this.reset()
          for (const [labels, value] of def.samples(metrics, Date.now())) this.set(labels, value)
        },
      })
    }
  }

  #roll(): void {
    const now = Date.now()
    for (const t of this.#tasks.values()) for (const stat of t.stats()) stat.roll(now)
  }

  get connectorCount(): number {
    return this.#connectors.size
  }

  get taskCount(): number {
    return this.#tasks.size
  }

  connectors(): Iterable<[string, ConnectorEntry]> {
    return this.#connectors.entries()
  }

  tasks(): Iterable<RecordingTaskMetrics> {
    return this.#tasks.values()
  }

  /** A connector start was attempted on this worker. */
  connectorStartup(success: boolean): void {
    this.connectorStartups.attempts++
    if (success) this.connectorStartups.successes++
    else this.connectorStartups.failures++
  }

  /** A task start was attempted on this worker. */
  taskStartup(success: boolean): void {
    this.taskStartups.attempts++
    if (success) this.taskStartups.successes++
    else this.taskStartups.failures++
  }

  /** A connector now runs here (its connector-metrics appear). */
  addConnector(name: string, info: Omit<ConnectorEntry, 'status'>): void {
    this.#connectors.set(name, { status: 'unassigned', ...info })
  }

  connectorStatus(name: string, status: ConnectorMetricStatus): void {
    const entry = this.#connectors.get(name)
    if (entry) entry.status = status
  }

  removeConnector(name: string): void {
    this.#connectors.delete(name)
  }

  /** A task now runs here: its metrics, to pass to the task wrapper. Replaces a task of the same id. */
  addTask(connector: string, task: number, type: 'source' | 'sink'): RecordingTaskMetrics {
    const metrics = new RecordingTaskMetrics(connector, task, type, this.#numSamples)
    this.#tasks.set(`${connector}\u0000${task}`, metrics)
    return metrics
  }

  task(connector: string, task: number): RecordingTaskMetrics | undefined {
    return this.#tasks.get(`${connector}\u0000${task}`)
  }

  /** The task stopped here: its metrics go, as Apache removes a task's metric groups when it is closed. */
  removeTask(connector: string, task: number): void {
    this.#tasks.delete(`${connector}\u0000${task}`)
  }

  /** Stops the sample timer. */
  close(): void {
    clearInterval(this.#timer)
  }
}
