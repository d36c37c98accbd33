import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import type { WorkerConfig } from '../config/worker-config.ts'
import { prometheusLabel, prometheusName } from './prometheus-names.ts'
import { SampledStat } from './sampled-stat.ts'
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
  /**
   * Whether tasks record anything (default true). False when nothing reads them: no `/metrics` (`metrics.listener=`
   * empty) and no web UI (`ui.enabled=false`, whose task throughput comes from them). The tasks then tell no-op
   * metrics, and only the worker's and connectors' plain counts remain.
   */
  recording?: boolean
}

/** One connector's or task's automatic restarts (Ferry's `errors.restart.*`), as the herder's AutoRestarts keeps them. */
export interface AutoRestartCount {
  connector: string
  /** Null for the connector itself. */
  task: number | null
  /** Automatic restarts scheduled since the herder began keeping track (a delete or manual restart resets it). */
  attempts: number
  /** The restarts ran out (`errors.restart.max.attempts`): it stays FAILED. */
  gaveUp: boolean
}

/**
 * connect-worker-rebalance-metrics, as Apache's DistributedHerder.HerderMetrics: the distributed herder tells it when
 * a rebalance begins (this worker joins the group), what the assignment said, and when the assigned work has
 * started. Exported only once the distributed herder enabled them (`ConnectMetrics.enableRebalanceMetrics`), as
 * Apache registers the group only there.
 */
export class RebalanceMetrics {
  /** `connect.protocol` of the last assignment, Apache's enum name (EAGER, COMPATIBLE, SESSIONED). */
  protocol: string | null = null
  leaderUrl: string | null = null
  epoch = -1
  completed = 0
  rebalancing = false
  lastCompletedAt: number | null = null
  /** Rebalance durations, from this worker's join to its assigned work started. */
  readonly time: SampledStat
  #startedAt = 0

  constructor(samples: number) {
    this.time = new SampledStat(samples)
  }

  /** This worker begins to join the group. */
  started(now = Date.now()): void {
    if (!this.rebalancing) this.#startedAt = now
    this.rebalancing = true
  }

  /** The group's assignment arrived (before the work it names is started). */
  assigned(generation: number, leaderUrl: string | null, protocol: string): void {
    this.epoch = generation
    this.leaderUrl = leaderUrl
    this.protocol = protocol.toUpperCase()
  }

  /** The assigned work has started: the rebalance is over. */
  succeeded(now = Date.now()): void {
    this.time.record(Math.max(0, now - this.#startedAt))
    this.rebalancing = false
    this.completed++
    this.lastCompletedAt = now
  }
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

/** source-task-metrics transaction-size-{min,max,avg}: exactly-once source tasks only, as Apache registers them. */
function transactionSizeMetrics(): MetricDefinition[] {
  const defs: Array<[string, string, (t: RecordingTaskMetrics) => number]> = [
    [
      'transaction-size-min',
      'The number of records in the smallest transaction the task has committed so far. ',
      (t) => t.transactionSize.min(),
    ],
    [
      'transaction-size-max',
      'The number of records in the largest transaction the task has committed so far.',
      (t) => t.transactionSize.max(),
    ],
    [
      'transaction-size-avg',
      'The average number of records in the transactions the task has committed so far.',
      (t) => t.transactionSize.avg(),
    ],
  ]
  return defs.map(([name, help, value]) => ({
    group: 'source-task-metrics',
    name,
    help,
    type: 'gauge',
    labels: ['connector', 'task'],
    samples: function* (m) {
      for (const t of m.tasks()) if (t.exactlyOnce) yield [{ connector: t.connector, task: t.task }, value(t)]
    },
  }))
}

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

function sinkTaskMetrics(): MetricDefinition[] {
  const sink = (name: string, help: string, value: (t: RecordingTaskMetrics, now: number) => number) =>
    task('sink-task-metrics', name, help, 'sink', value)
  return [
    sink(
      'sink-record-read-rate',
      'The average per-second number of records read from Kafka for this task (before transformations).',
      (t, now) => t.sinkRecordRead.rate(now),
    ),
    sink(
      'sink-record-read-total',
      'The total number of records read from Kafka by this task since it was last restarted.',
      (t) => t.sinkRecordRead.sum,
    ),
    sink(
      'sink-record-send-rate',
      'The average per-second number of records put to this task (after transformations, filtered ones excluded).',
      (t, now) => t.sinkRecordSend.rate(now),
    ),
    sink(
      'sink-record-send-total',
      'The total number of records put to this task (after transformations, filtered ones excluded) since it was last restarted.',
      (t) => t.sinkRecordSend.sum,
    ),
    sink(
      'sink-record-active-count',
      'The number of records that have been read from Kafka but not yet committed by the sink task.',
      (t) => t.sinkRecordActiveCount,
    ),
    sink(
      'sink-record-active-count-max',
      'The maximum number of records that have been read from Kafka but not yet committed by the sink task.',
      (t) => t.sinkRecordActive.max(),
    ),
    sink(
      'sink-record-active-count-avg',
      'The average number of records that have been read from Kafka but not yet committed by the sink task.',
      (t) => t.sinkRecordActive.avg(),
    ),
    sink(
      'sink-record-lag-max',
      "The maximum lag in records of any of the task's partitions: the high watermark minus the next offset to read.",
      (t) => t.sinkRecordLag.max(),
    ),
    sink('partition-count', 'The number of topic partitions assigned to this task.', (t) => t.partitionCount),
    sink('offset-commit-seq-no', 'The current sequence number for offset commits.', (t) => t.offsetCommitSeqNo),
    sink(
      'offset-commit-completion-rate',
      'The average per-second number of offset commits that completed successfully.',
      (t, now) => t.offsetCommitCompletion.countRate(now),
    ),
    sink(
      'offset-commit-completion-total',
      'The total number of offset commits that completed successfully.',
      (t) => t.offsetCommitCompletion.count,
    ),
    sink(
      'offset-commit-skip-rate',
      'The average per-second number of offset commit completions received too late and skipped (always 0: Ferry commits synchronously).',
      (t, now) => t.offsetCommitSkip.countRate(now),
    ),
    sink(
      'offset-commit-skip-total',
      'The total number of offset commit completions received too late and skipped (always 0: Ferry commits synchronously).',
      (t) => t.offsetCommitSkip.count,
    ),
    sink(
      'put-batch-max-time-ms',
      'The maximum time in milliseconds taken by this task to put a batch of sink records.',
      (t) => t.putBatchTime.max(),
    ),
    sink(
      'put-batch-avg-time-ms',
      'The average time in milliseconds taken by this task to put a batch of sink records.',
      (t) => t.putBatchTime.avg(),
    ),
  ]
}

function taskErrorMetrics(): MetricDefinition[] {
  const errors = (name: string, help: string, value: (t: RecordingTaskMetrics) => number) =>
    task('task-error-metrics', name, help, null, value)
  return [
    errors(
      'total-record-failures',
      'The number of record processing failures in this task (every failed attempt).',
      (t) => t.totalRecordFailures,
    ),
    errors(
      'total-record-errors',
      'The number of record processing errors in this task (records that failed for good).',
      (t) => t.totalRecordErrors,
    ),
    errors('total-records-skipped', 'The number of records skipped due to errors.', (t) => t.totalRecordsSkipped),
    errors('total-retries', 'The number of operations retried.', (t) => t.totalRetries),
    errors('total-errors-logged', 'The number of errors that were logged.', (t) => t.totalErrorsLogged),
    errors(
      'deadletterqueue-produce-requests',
      "The number of attempted writes to the dead letter queue (a sink's; a source's are Ferry's own metrics).",
      (t) => t.deadLetterQueueProduceRequests,
    ),
    errors(
      'deadletterqueue-produce-failures',
      'The number of failed writes to the dead letter queue.',
      (t) => t.deadLetterQueueProduceFailures,
    ),
    errors(
      'last-error-timestamp',
      'The epoch timestamp (ms) when this task last encountered an error; 0 when it has not.',
      (t) => t.lastErrorTimestamp,
    ),
  ]
}

/** Registered by distributed workers only (`ConnectMetrics.enableRebalanceMetrics`). */
const REBALANCE_GROUP = 'connect-worker-rebalance-metrics'

function rebalanceMetrics(): MetricDefinition[] {
  const rebalance = (
    name: string,
    help: string,
    value: (r: RebalanceMetrics, now: number) => number,
  ): MetricDefinition => ({
    group: REBALANCE_GROUP,
    name,
    help,
    type: name.endsWith('-total') ? 'counter' : 'gauge',
    labels: [],
    samples: (m, now) => [[{}, value(m.rebalance, now)]],
  })
  const info = (name: string, help: string, value: (r: RebalanceMetrics) => string | null): MetricDefinition => ({
    group: REBALANCE_GROUP,
    name,
    help,
    type: 'gauge',
    labels: [prometheusLabel(name)],
    samples: (m) => {
      const v = value(m.rebalance)
      return v === null ? [] : [[{ [prometheusLabel(name)]: v }, 1]]
    },
  })
  return [
    info(
      'connect-protocol',
      'The Connect protocol used by this cluster (the label; the value is 1).',
      (r) => r.protocol,
    ),
    info('leader-name', 'The name of the group leader: its REST URL (the label; the value is 1).', (r) => r.leaderUrl),
    rebalance('epoch', 'The epoch or generation number of this worker.', (r) => r.epoch),
    rebalance(
      'completed-rebalances-total',
      'The total number of rebalances completed by this worker.',
      (r) => r.completed,
    ),
    rebalance('rebalancing', 'Whether this worker is currently rebalancing (1) or not (0).', (r) =>
      r.rebalancing ? 1 : 0,
    ),
    rebalance('rebalance-max-time-ms', 'The maximum time in milliseconds spent by this worker to rebalance.', (r) =>
      r.time.max(),
    ),
    rebalance('rebalance-avg-time-ms', 'The average time in milliseconds spent by this worker to rebalance.', (r) =>
      r.time.avg(),
    ),
    rebalance(
      'time-since-last-rebalance-ms',
      'The time in milliseconds since this worker completed the most recent rebalance (+Inf before the first).',
      (r, now) => (r.lastCompletedAt === null ? Number.POSITIVE_INFINITY : now - r.lastCompletedAt),
    ),
  ]
}

/** Ferry's own metrics, beyond Apache's groups (`ferry_` names). */
function ferryMetrics(): MetricDefinition[] {
  const restarts = (name: string, help: string, value: (r: AutoRestartCount) => number): MetricDefinition => ({
    group: 'ferry-auto-restart',
    name,
    help,
    type: name.endsWith('-total') ? 'counter' : 'gauge',
    labels: ['connector', 'task'],
    samples: (m) =>
      [...m.autoRestartCounts()].map(
        (r): Sample => [
          r.task === null ? { connector: r.connector } : { connector: r.connector, task: r.task },
          value(r),
        ],
      ),
  })
  return [
    restarts(
      'attempts-total',
      'Automatic restarts (errors.restart.*) of the connector (no task label) or task scheduled by this worker.',
      (r) => r.attempts,
    ),
    restarts(
      'gave-up',
      '1 when automatic restarts ran out (errors.restart.max.attempts) and the connector or task stays FAILED.',
      (r) => (r.gaveUp ? 1 : 0),
    ),
    task(
      'ferry-source-dead-letter-queue',
      'produce-requests-total',
      "Records a source task sent to its dead letter queue (Ferry's source DLQ).",
      'source',
      (t) => t.sourceDeadLetterQueueProduceRequests,
    ),
    task(
      'ferry-source-dead-letter-queue',
      'produce-failures-total',
      'Records a source task could not write to its dead letter queue.',
      'source',
      (t) => t.sourceDeadLetterQueueProduceFailures,
    ),
  ]
}

/** Every metric Ferry exports: Apache's groups and names (ConnectMetricsRegistry's), then Ferry's own. */
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
  task(
    'connector-task-metrics',
    'offset-commit-max-time-ms',
    'The maximum time in ms taken by this task to commit offsets.',
    null,
    (t) => t.offsetCommitTime.max(),
  ),
  task(
    'connector-task-metrics',
    'offset-commit-avg-time-ms',
    'The average time in ms taken by this task to commit offsets.',
    null,
    (t) => t.offsetCommitTime.avg(),
  ),
  task(
    'connector-task-metrics',
    'offset-commit-success-percentage',
    "The fraction (0 to 1) of this task's offset commit attempts that succeeded.",
    null,
    (t) => fraction(t.offsetCommitSuccesses, t.offsetCommitFailures),
  ),
  task(
    'connector-task-metrics',
    'offset-commit-failure-percentage',
    "The fraction (0 to 1) of this task's offset commit attempts that failed.",
    null,
    (t) => fraction(t.offsetCommitFailures, t.offsetCommitSuccesses),
  ),
  task(
    'connector-task-metrics',
    'batch-size-max',
    'The number of records in the largest batch the task has processed so far (polled by a source, put to a sink).',
    null,
    (t) => t.batchSize.max(),
  ),
  task(
    'connector-task-metrics',
    'batch-size-avg',
    'The average number of records in the batches the task has processed so far (polled by a source, put to a sink).',
    null,
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
  ...transactionSizeMetrics(),
  ...sinkTaskMetrics(),
  ...taskErrorMetrics(),
  ...rebalanceMetrics(),
  ...ferryMetrics(),
]

/**
 * The worker's metrics (Apache's ConnectMetrics with its groups): the worker, its connectors and tasks, read from
 * plain numbers the tasks keep (see `RecordingTaskMetrics`) into a prom-client registry when `/metrics` is scraped.
 */
export class ConnectMetrics implements MetricsSource {
  readonly registry = new Registry()
  readonly connectorStartups = { attempts: 0, successes: 0, failures: 0 }
  readonly taskStartups = { attempts: 0, successes: 0, failures: 0 }
  readonly rebalance: RebalanceMetrics
  /** Whether tasks record into their metrics (see `ConnectMetricsOptions.recording`). */
  readonly recording: boolean
  #autoRestarts: () => Iterable<AutoRestartCount> = () => []
  #rebalanceEnabled = false
  readonly #connectors = new Map<string, ConnectorEntry>()
  readonly #tasks = new Map<string, RecordingTaskMetrics>()
  readonly #numSamples: number
  readonly #timer: NodeJS.Timeout

  constructor(options: ConnectMetricsOptions = {}) {
    this.#numSamples = options.numSamples ?? 2
    this.recording = options.recording ?? true
    this.rebalance = new RebalanceMetrics(this.#numSamples)
    for (const def of METRIC_DEFINITIONS) if (def.group !== REBALANCE_GROUP) this.#register(def)
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry })
    this.#timer = setInterval(() => this.#roll(), Math.max(1, options.sampleWindowMs ?? 30_000))
    this.#timer.unref()
  }

  /**
   * A worker's metrics as its config asks: `metrics.sample.window.ms`, `metrics.num.samples`, and no recording when
   * nothing reads them (`metrics.listener` empty and `ui.enabled=false`).
   */
  static forWorker(config: WorkerConfig, options: Pick<ConnectMetricsOptions, 'processMetrics'> = {}): ConnectMetrics {
    const served = config.originals['metrics.listener']?.trim() !== ''
    const ui = config.uiEnabled !== false
    return new ConnectMetrics({
      ...options,
      sampleWindowMs: config.metricsSampleWindowMs,
      numSamples: config.metricsNumSamples,
      recording: served || ui,
    })
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
    this.rebalance.time.roll(now)
  }

  /** Exports connect-worker-rebalance-metrics: the worker is a member of a distributed cluster. */
  enableRebalanceMetrics(): void {
    if (this.#rebalanceEnabled) return
    this.#rebalanceEnabled = true
    for (const def of METRIC_DEFINITIONS) if (def.group === REBALANCE_GROUP) this.#register(def)
  }

  /** Where Ferry's automatic restart counts come from (the herder's AutoRestarts). */
  autoRestarts(source: () => Iterable<AutoRestartCount>): void {
    this.#autoRestarts = source
  }

  autoRestartCounts(): Iterable<AutoRestartCount> {
    return this.#autoRestarts()
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
