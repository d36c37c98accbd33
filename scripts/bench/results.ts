/** The shape of `bench/results/<timestamp>.json`. */
import type { ProfileSummary } from './profile.ts'
import type { CompressionCheck, SecuredBrokerInfo } from './secured.ts'
import { ratio, type Summary } from './stats.ts'
import type { Engine } from './workers.ts'
import type { Runner, RunResult, WorkloadId } from './workloads.ts'

/** Workloads 8–11 (secured.ts): 1 and 3 again on a secured broker's SASL_SSL listener, with lz4 or zstd. */
export const SECURED_WORKLOAD_IDS = ['source-sasl-lz4', 'source-sasl-zstd', 'json-sasl-lz4', 'json-sasl-zstd'] as const
export type SecuredWorkloadId = (typeof SECURED_WORKLOAD_IDS)[number]

/** Whether a workload runs on the secured broker (and has its own section in the report). */
export function isSecured(id: string): id is SecuredWorkloadId {
  return (SECURED_WORKLOAD_IDS as readonly string[]).includes(id)
}

/** The scale group (scale.ts): `scale-<connectors>`, three distributed workers per side (its own section). */
export function isScale(id: string): boolean {
  return /^scale-\d+$/.test(id)
}

/** The sink groups (sinks.ts): Ferry's sinks against a direct client, each with its server and its own section. */
export const SINK_GROUPS = {
  elasticsearch: ['elasticsearch'],
  s3: ['s3-json', 's3-bytes'],
} as const
export type SinkGroup = keyof typeof SINK_GROUPS
export type SinkWorkloadId = (typeof SINK_GROUPS)[SinkGroup][number]

/** The sink group a workload belongs to, if any. */
export function sinkGroupOf(id: string): SinkGroup | undefined {
  return (Object.keys(SINK_GROUPS) as SinkGroup[]).find((g) => (SINK_GROUPS[g] as readonly string[]).includes(id))
}

/** The CDC group (cdc.ts): Ferry's PostgreSQL CDC source against Debezium's on Apache Connect (its own section). */
export const CDC_WORKLOAD_IDS = ['cdc-snapshot', 'cdc-streaming'] as const
export type CdcWorkloadId = (typeof CDC_WORKLOAD_IDS)[number]

export function isCdc(id: string): id is CdcWorkloadId {
  return (CDC_WORKLOAD_IDS as readonly string[]).includes(id)
}

/** The Avro group (avro.ts): Ferry's AvroConverter against Apicurio's on Apache Connect (its own section). */
export const AVRO_WORKLOAD_IDS = ['avro-source', 'avro-sink'] as const
export type AvroWorkloadId = (typeof AVRO_WORKLOAD_IDS)[number]

export function isAvro(id: string): id is AvroWorkloadId {
  return (AVRO_WORKLOAD_IDS as readonly string[]).includes(id)
}

/**
 * The exactly-once source group (eos.ts): workload 1's file source on one distributed worker per engine, with
 * `exactly.once.source.support` disabled and enabled (its own section).
 */
export const EOS_WORKLOAD_IDS = ['eos-off', 'eos-on'] as const
export type EosWorkloadId = (typeof EOS_WORKLOAD_IDS)[number]

export function isEos(id: string): id is EosWorkloadId {
  return (EOS_WORKLOAD_IDS as readonly string[]).includes(id)
}

/**
 * The sink failover group (failover.ts): the longest sink delivery pause under repeated kill -9, Apache Connect, Ferry
 * and Ferry with dynamic sink members (its own section).
 */
export const FAILOVER_WORKLOAD_IDS = ['sink-failover'] as const
export type FailoverWorkloadId = (typeof FAILOVER_WORKLOAD_IDS)[number]

export function isFailover(id: string): id is FailoverWorkloadId {
  return (FAILOVER_WORKLOAD_IDS as readonly string[]).includes(id)
}

/** The metrics whose exactly-once cost the report gives. */
export const EOS_COST_METRICS = ['msgsPerSec', 'cpuSecondsPerMillion', 'peakRssMb'] as const
export type EosCostMetric = (typeof EOS_COST_METRICS)[number]

/**
 * What exactly-once support costs each engine: per metric, its median with support enabled (workload 25) over its
 * median with support disabled (workload 24), where both ran.
 */
export function eosCosts(
  results: Pick<BenchResults, 'workloads'>,
): Partial<Record<Engine, Partial<Record<EosCostMetric, number>>>> {
  const off = results.workloads.find((w) => w.id === 'eos-off')
  const on = results.workloads.find((w) => w.id === 'eos-on')
  const costs: Partial<Record<Engine, Partial<Record<EosCostMetric, number>>>> = {}
  for (const engine of ['apache', 'ferry'] as const) {
    for (const metric of EOS_COST_METRICS) {
      const x = ratio(off?.summary[engine]?.[metric]?.median, on?.summary[engine]?.[metric]?.median)
      if (x !== undefined) costs[engine] = { ...costs[engine], [metric]: x }
    }
  }
  return costs
}

/**
 * Which section of the report a workload belongs to: 1–7, the secured broker's 8–11, the scale group, a sink group,
 * the CDC group, the Avro group, the exactly-once group, the sink failover group.
 */
export type WorkloadGroup = 'plain' | 'secured' | 'scale' | SinkGroup | 'cdc' | 'avro' | 'eos' | 'failover'

export function groupOf(id: string): WorkloadGroup {
  return isSecured(id)
    ? 'secured'
    : isScale(id)
      ? 'scale'
      : isCdc(id)
        ? 'cdc'
        : isAvro(id)
          ? 'avro'
          : isEos(id)
            ? 'eos'
            : isFailover(id)
              ? 'failover'
              : (sinkGroupOf(id) ?? 'plain')
}

export function hasGroup(results: Pick<BenchResults, 'workloads'>, group: WorkloadGroup): boolean {
  return results.workloads.some((w) => groupOf(w.id) === group)
}

export interface WorkloadResult {
  id: WorkloadId
  number: number
  title: string
  description: string
  records: number
  /** Value size of one record, bytes (keys are null). */
  recordBytes: number
  runners: Runner[]
  /** Runners that did not run this workload, and why. */
  skipped: Partial<Record<Runner, string>>
  runs: RunResult[]
  /** Per runner and metric: median and spread over the successful rounds. */
  summary: Partial<Record<Runner, Record<string, Summary>>>
  /** Ferry's median / the baseline's median, per metric. */
  ratios: Record<string, number>
  /** Whom the ratios compare Ferry with when not Apache: the sink groups' direct clients. */
  baseline?: Runner
  /** Workloads 1 and 2: each worker's msgs/s as a fraction of the perf tool's. */
  ceilingFraction?: Partial<Record<Engine, number>>
  /** Workloads 10 and 11: the codec check of the prepared topic the sinks read. */
  inputCompression?: CompressionCheck
}

export interface ProfileResult {
  workload: WorkloadId
  records: number
  /** Where the .cpuprofile was kept (open it in Chrome DevTools or speedscope for a flame graph). */
  cpuProfile: string
  /** The profiled run's own metrics (slower than the timed rounds: profiling costs CPU). */
  metrics: Record<string, number>
  summary: ProfileSummary
}

export interface BenchResults {
  schema: 1
  mode: 'quick' | 'full'
  startedAt: string
  finishedAt: string
  rounds: number
  engines: Engine[]
  machine: {
    cores: number
    cpuModel: string
    memoryGiB: number
    os: string
    loadAverageBefore: number[]
    loadAverageAfter: number[]
  }
  versions: {
    node: string
    java: string | undefined
    kafka: string
    apacheConnect: string | undefined
    connectFile: string | undefined
    ferry: string
  }
  apache: { jvmOptions: string[]; perfToolJvmOptions: string[] }
  broker: { bootstrap: string; startedByBench: boolean; settings?: string }
  /** Workloads 8–11: the secured broker the bench started for them (absent in runs without them). */
  securedBroker?: SecuredBrokerInfo
  workloads: WorkloadResult[]
  profiles: ProfileResult[]
  notes: string[]
}
