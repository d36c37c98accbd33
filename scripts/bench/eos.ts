/**
 * The exactly-once source group (issue 18): what `exactly.once.source.support=enabled` (KIP-618) costs each engine.
 * Workload 1's file source (the same lines file and connector config) on one distributed worker per run, Apache
 * Connect's `connect-distributed` and `ferry distributed`, with the scale group's worker file (a fresh group and
 * config, offsets and status topics per run) and `exactly.once.source.support` disabled (workload 24) or enabled
 * (workload 25), `transaction.boundary=poll` on both: with support enabled every batch the task returns is one
 * transaction holding its records and its source offsets.
 *
 * Done when a `read_committed` reader of the topic (in the bench process, for both settings, so the two cost the
 * bench the same) has counted every record: with transactions the topic's end offset also counts one commit marker
 * per transaction, so it cannot say when the last record is in. After the worker stopped, the reader must have read
 * exactly the line count (none lost, none twice) and the markers are counted: `transactions` is the end offset minus
 * the records, 0 without exactly-once support.
 */
import { randomUUID } from 'node:crypto'
import { KafkaBasedLog } from '../../packages/runtime/src/kafka/based-log.ts'
import { bootstrapList, createTopic, LINE_BYTES } from './data.ts'
import type { WorkloadHelpers } from './jdbc.ts'
import type { EosWorkloadId } from './results.ts'
import { createConnector, restAnswers, scaleWorkerConfig, waitUntil } from './scale.ts'
import { type Engine, startWorker, type Worker } from './workers.ts'
import type { BenchContext, Runner, RunResult, Workload } from './workloads.ts'

/** The connector of every run: workload 1's, with the transaction boundary the issue asks for. */
export function eosConnector(ctx: Pick<BenchContext, 'linesFile'>, topic: string): Record<string, string> {
  return {
    'connector.class': 'FileStreamSource',
    'tasks.max': '1',
    file: ctx.linesFile,
    topic,
    'transaction.boundary': 'poll',
  }
}

/** A `read_committed` count of a topic's records, read as they are committed. */
class CommittedCount {
  count = 0
  readonly #log: KafkaBasedLog

  constructor(bootstrap: string, topic: string) {
    this.#log = new KafkaBasedLog({
      bootstrapServers: bootstrapList(bootstrap),
      clientId: `ferry-bench-eos-${randomUUID().slice(0, 8)}`,
      topic,
      readOnly: true,
      readCommitted: true,
      onRecord: () => {
        this.count++
      },
    })
  }

  start(): Promise<void> {
    return this.#log.start()
  }

  /** Reads up to the topic's last stable offset, then gives the count. */
  async settled(timeoutMs: number): Promise<number> {
    await this.#log.readToEnd(timeoutMs)
    return this.count
  }

  stop(): Promise<void> {
    return this.#log.stop()
  }
}

/** The exactly-once group's workloads, with workloads.ts's run helpers. */
export function eosWorkloads({ runDir, cleanup, failure, measureThroughput }: WorkloadHelpers): Workload[] {
  const runners: Runner[] = ['apache', 'ferry']

  async function run(
    ctx: BenchContext,
    id: EosWorkloadId,
    runner: Runner,
    round: number,
    cpuProfileDir: string | undefined,
  ): Promise<RunResult> {
    const engine = runner as Engine
    const support = id === 'eos-on' ? 'enabled' : 'disabled'
    const dir = await runDir(ctx, id, runner, round)
    const group = `bench-${id}-${engine}-${round}-${randomUUID().slice(0, 8)}`
    const topic = `${group}-out`
    let w: Worker | undefined
    let reader: CommittedCount | undefined
    try {
      await createTopic(ctx.bootstrap, topic)
      reader = new CommittedCount(ctx.bootstrap, topic)
      await reader.start()
      const committed = reader
      w = await startWorker({
        engine,
        mode: 'distributed',
        dir,
        apache: ctx.apache,
        cpuProfileDir,
        worker: { ...scaleWorkerConfig(ctx.bootstrap, group), 'exactly.once.source.support': support },
        connectors: [],
      })
      const worker = w
      await waitUntil('the worker to answer GET /health 200', ctx.runTimeoutMs, [worker], async () =>
        (await restAnswers(worker.restUrl)) === 200 ? true : undefined,
      )
      await createConnector(worker.restUrl, 'bench-source', eosConnector(ctx, topic), 120_000)
      const measured = await measureThroughput(ctx, worker, ctx.records, LINE_BYTES, async () => committed.count)
      await worker.stop()
      const records = await committed.settled(30_000)
      if (records !== ctx.records)
        throw new Error(`a read_committed reader counted ${records} records in ${topic}, expected ${ctx.records}`)
      const end = (await ctx.admin.offsets(topic)).reduce((n, p) => n + p.end, 0)
      const transactions = end - records
      return {
        runner,
        round,
        ok: true,
        ...measured,
        metrics: {
          ...measured.metrics,
          transactions,
          ...(transactions > 0 ? { recordsPerTransaction: records / transactions } : {}),
        },
      }
    } catch (e) {
      return failure(runner, round, e)
    } finally {
      await w?.stop()
      await reader?.stop().catch(() => {})
      await cleanup(ctx, dir)
    }
  }

  const how = `FileStreamSource reads the lines file (StringConverter) into a new one-partition topic, as in workload 1, on one distributed worker (\`connect-distributed\` and \`ferry distributed\`, the same worker file: a fresh \`group.id\` and config, offsets and status topics per run) with \`transaction.boundary=poll\`; done when a \`read_committed\` reader in the bench has counted every line (with transactions the end offset also counts the commit markers), which after the stop must be exactly the line count.`
  const off: Workload = {
    id: 'eos-off',
    number: 24,
    title: 'Exactly-once support disabled: file source → topic',
    description: `${how} The worker has \`exactly.once.source.support=disabled\` (the default): the task's offsets are flushed apart from its records, every \`offset.flush.interval.ms\`.`,
    runners: () => runners,
    records: (ctx) => ctx.records,
    recordBytes: () => LINE_BYTES,
    profile: true,
    run: (ctx, runner, round, options = {}) => run(ctx, 'eos-off', runner, round, options.cpuProfileDir),
  }
  const on: Workload = {
    id: 'eos-on',
    number: 25,
    title: 'Exactly-once support enabled: file source → topic',
    description: `${how} The worker has \`exactly.once.source.support=enabled\`: each batch the task returns is one transaction of its records and its source offsets (written to the offsets topic by the task's transactional producer), committed before the next.`,
    runners: () => runners,
    records: (ctx) => ctx.records,
    recordBytes: () => LINE_BYTES,
    profile: true,
    run: (ctx, runner, round, options = {}) => run(ctx, 'eos-on', runner, round, options.cpuProfileDir),
  }
  return [off, on]
}
