/**
 * Carrying out the schedule's faults on the running cluster. Worker faults claim their worker so that two faults of
 * a mixed phase never take the same one; broker faults take turns broker by broker (the harness restarts a broker
 * only while the others run, and two brokers down would stop the KRaft quorum and every write with
 * min.insync.replicas 2), so a rolling restart and a coordinator kill in one phase interleave step by step.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { type Brokers, coordinatorOf, killBroker, startBroker, stopBroker, waitInSync } from './brokers.ts'
import type { Pipeline, SinkFileTailer } from './pipelines.ts'
import type { RestChaos } from './rest.ts'
import type { Fault, Pipeline as PipelineName } from './schedule.ts'
import { http, startHealthy, type WorkerSlot } from './workers.ts'

/** What happened to one zombie: when it froze, when its tasks moved, when it noticed, and what it wrote meanwhile. */
export interface ZombieRecord {
  worker: string
  /** The pipeline whose source task it ran. */
  ownerOf: PipelineName
  frozenAt: number
  /** When another worker was seen RUNNING the zombie's source task (null: the task had not moved by the SIGCONT). */
  tasksMovedAt: number | null
  /** Tasks of the pipelines' connectors the status topic still gave the zombie just before the SIGCONT. */
  stillOwned: string[]
  resumedAt: number
  /** When its log said it stopped its work after the SIGCONT (null: it never said so within 60 s). */
  stoppedWorkAt: number | null
  /** The pipeline's highest sequence number written at the SIGSTOP: the zombie cannot have produced a later one. */
  writtenAtFreeze: number
  /** The pipeline's highest sequence number written when the zombie was seen to stop its work. */
  writtenAtStop: number
  /** Lines its file sink tasks appended between the SIGCONT and stopping their work. */
  fileSinkLines: number
  /** JDBC sink rows it wrote between the SIGCONT and stopping its work (filled in at the end). */
  jdbcSinkRows?: number
  /** For the JDBC source's zombie: records it produced after the SIGCONT (sequence numbers written between the
   * SIGSTOP and its stopping its work; at the end). */
  jdbcSourceRecords?: number
}

export interface ChaosContext {
  /** Slots 0-2 are the cluster; slot 3 is the worker that joins during a rebalance. */
  slots: WorkerSlot[]
  brokers: Brokers
  group: string
  file: Pipeline & { tailer: SinkFileTailer }
  jdbc: Pipeline
  rest: RestChaos
  sessionTimeoutMs: number
  scheduledDelayMs: number
  /** Topics whose replicas a broker restart waits for. */
  syncTopics: string[]
  zombies: ZombieRecord[]
  event(text: string): void
  /** Something that should not happen but is no lost record (a worker that exits on its own): reported, exit 3. */
  problem(text: string): void
}

const busy = new Set<number>()
let brokerTurn: Promise<void> = Promise.resolve()

/** Runs `fn` when no other broker fault is between its steps. */
function brokerStep<T>(fn: () => Promise<T>): Promise<T> {
  const run = brokerTurn.then(fn)
  brokerTurn = run.then(
    () => {},
    () => {},
  )
  return run
}

/** Claims core worker `preferred`, or the next one that runs and no other fault holds. */
function claim(ctx: ChaosContext, preferred: number): WorkerSlot | undefined {
  for (let i = 0; i < 3; i++) {
    const slot = ctx.slots[(preferred + i) % 3] as WorkerSlot
    if (!busy.has(slot.index) && slot.available()) {
      busy.add(slot.index)
      return slot
    }
  }
  return undefined
}

async function restartWorker(ctx: ChaosContext, slot: WorkerSlot): Promise<void> {
  const started = Date.now()
  if (await startHealthy(slot, ctx.problem))
    ctx.event(`${slot.id} healthy ${((Date.now() - started) / 1000).toFixed(1)}s after its start`)
}

async function killWorker(ctx: ChaosContext, f: Extract<Fault, { kind: 'kill-worker' }>): Promise<void> {
  const slot = claim(ctx, f.worker)
  if (!slot) return ctx.event('kill-worker: no free worker, skipped')
  try {
    ctx.event(`kill -9 ${slot.id} (pid ${slot.pid})`)
    await slot.kill()
    await sleep(f.downMs)
    await restartWorker(ctx, slot)
  } finally {
    busy.delete(slot.index)
  }
}

/** The worker slot running `connector`'s task 0, from the status any worker reports. */
async function taskOwner(ctx: ChaosContext, connector: string): Promise<{ slot: number; state: string } | undefined> {
  for (const w of ctx.slots.filter((s) => s.available())) {
    const reply = await http(`${w.url}/connectors/${connector}/status`, 'GET', undefined, 5000)
    if (reply.status !== 200) continue
    const task = (reply.body as { tasks?: Array<{ id: number; state: string; worker_id: string }> }).tasks?.find(
      (t) => t.id === 0,
    )
    if (!task) return undefined
    const slot = ctx.slots.find((s) => task.worker_id === `127.0.0.1:${s.port}`)
    return slot ? { slot: slot.index, state: task.state } : undefined
  }
  return undefined
}

/** The tasks of `connector` the status topic gives to `slot` (as `connector-N`). */
async function tasksOf(ctx: ChaosContext, connector: string, slot: WorkerSlot): Promise<string[]> {
  for (const w of ctx.slots.filter((s) => s.available())) {
    const reply = await http(`${w.url}/connectors/${connector}/status`, 'GET', undefined, 5000)
    if (reply.status !== 200) continue
    const tasks = (reply.body as { tasks?: Array<{ id: number; worker_id: string }> }).tasks ?? []
    return tasks.filter((t) => t.worker_id === `127.0.0.1:${slot.port}`).map((t) => `${connector}-${t.id}`)
  }
  return []
}

async function zombie(ctx: ChaosContext, f: Extract<Fault, { kind: 'zombie-worker' }>): Promise<void> {
  const pipeline = f.ownerOf === 'file' ? ctx.file : ctx.jdbc
  const owner = await taskOwner(ctx, pipeline.source.name)
  const slot = claim(ctx, owner && owner.slot < 3 ? owner.slot : 0)
  if (!slot) return ctx.event('zombie-worker: no free worker, skipped')
  try {
    const record: ZombieRecord = {
      worker: slot.id,
      ownerOf: f.ownerOf,
      frozenAt: Date.now(),
      tasksMovedAt: null,
      stillOwned: [],
      resumedAt: 0,
      stoppedWorkAt: null,
      writtenAtFreeze: pipeline.ledger.written,
      writtenAtStop: 0,
      fileSinkLines: 0,
    }
    const ranSource = owner?.slot === slot.index
    const logFrom = await slot.logSize()
    slot.freeze()
    ctx.event(
      `SIGSTOP ${slot.id}${ranSource ? ` (runs ${pipeline.source.name}-0)` : ` (the ${f.ownerOf} source's worker was busy or unknown)`}`,
    )
    const until = Date.now() + ctx.sessionTimeoutMs + ctx.scheduledDelayMs + f.extraMs + 5000
    while (Date.now() < until) {
      await sleep(2000)
      if (record.tasksMovedAt === null && ranSource) {
        const now = await taskOwner(ctx, pipeline.source.name)
        if (now && now.slot !== slot.index && now.state === 'RUNNING') {
          record.tasksMovedAt = Date.now()
          ctx.event(`${pipeline.source.name}-0 RUNNING on w${now.slot} while ${slot.id} is frozen`)
        }
      }
    }
    for (const p of [ctx.file, ctx.jdbc])
      for (const c of [p.source.name, p.sink.name]) record.stillOwned.push(...(await tasksOf(ctx, c, slot)))
    await ctx.file.tailer.poll()
    const linesBefore = ctx.file.tailer.lines(slot.index)
    record.resumedAt = Date.now()
    slot.resume()
    ctx.event(`SIGCONT ${slot.id}`)
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline && record.stoppedWorkAt === null) {
      await sleep(250)
      const stopped = (await slot.logLinesSince(logFrom)).find(
        (l) => l.time >= record.resumedAt - 1000 && /^Stopping \d+ connectors and \d+ tasks/.test(l.msg),
      )
      if (stopped) record.stoppedWorkAt = stopped.time
    }
    record.writtenAtStop = pipeline.ledger.written
    await ctx.file.tailer.poll()
    record.fileSinkLines = ctx.file.tailer.lines(slot.index) - linesBefore
    ctx.event(
      record.stoppedWorkAt === null
        ? `${slot.id} did not log stopping its work within 60s of the SIGCONT`
        : `${slot.id} stopped its work ${((record.stoppedWorkAt - record.resumedAt) / 1000).toFixed(1)}s after the SIGCONT; its file sink wrote ${record.fileSinkLines} lines meanwhile`,
    )
    ctx.zombies.push(record)
    await slot.healthy(60_000)
  } finally {
    busy.delete(slot.index)
  }
}

async function restartBroker(ctx: ChaosContext, index: number, how: 'stop' | 'kill', downMs: number): Promise<void> {
  await brokerStep(async () => {
    const started = Date.now()
    if (how === 'kill') await killBroker(ctx.brokers, index)
    else await stopBroker(ctx.brokers, index)
    ctx.event(`broker ${index + 1} ${how === 'kill' ? 'killed (-9)' : 'stopped'}`)
    await sleep(downMs)
    await startBroker(ctx.brokers, index)
    const inSync = await waitInSync(ctx.brokers, ctx.syncTopics)
    ctx.event(
      `broker ${index + 1} back, replicas ${inSync ? 'in sync' : 'NOT in sync after 180s'} ${((Date.now() - started) / 1000).toFixed(1)}s after it went down`,
    )
  })
}

async function rollingBrokers(ctx: ChaosContext, f: Extract<Fault, { kind: 'rolling-brokers' }>): Promise<void> {
  for (const [i, index] of f.order.entries()) {
    await restartBroker(ctx, index, 'stop', 1000)
    if (i < f.order.length - 1) await sleep(f.gapMs)
  }
}

async function killCoordinator(ctx: ChaosContext, f: Extract<Fault, { kind: 'kill-coordinator' }>): Promise<void> {
  await brokerTurn
  const index = await coordinatorOf(ctx.brokers, ctx.group)
  ctx.event(`the coordinator of ${ctx.group} is broker ${index + 1}`)
  await restartBroker(ctx, index, 'kill', f.downMs)
}

async function joinDuringRebalance(
  ctx: ChaosContext,
  f: Extract<Fault, { kind: 'join-during-rebalance' }>,
): Promise<void> {
  const extra = ctx.slots[3] as WorkerSlot
  if (busy.has(extra.index)) return ctx.event('join-during-rebalance: the fourth worker is in use, skipped')
  busy.add(extra.index)
  try {
    if (f.trigger === 'create-connector') {
      const created = ctx.rest.create()
      const joined = startHealthy(extra, ctx.problem)
      ctx.event(`a new connector (answer ${await created}) and the fourth worker started`)
      await joined
    } else {
      const leaving = claim(ctx, f.worker)
      if (!leaving) {
        ctx.event('no free worker to leave; the fourth worker starting alone')
        await startHealthy(extra, ctx.problem)
      } else {
        try {
          const stopping = leaving.stop()
          const joined = startHealthy(extra, ctx.problem)
          ctx.event(`${leaving.id} leaving (SIGTERM) and the fourth worker started`)
          await stopping
          await restartWorker(ctx, leaving)
          await joined
        } finally {
          busy.delete(leaving.index)
        }
      }
    }
    ctx.event(`${extra.id} ${extra.available() ? 'healthy' : 'NOT healthy'}`)
    await sleep(f.stayMs)
    await extra.stop()
    ctx.event(`${extra.id} stopped (SIGTERM)`)
  } finally {
    busy.delete(extra.index)
  }
}

export async function runFault(ctx: ChaosContext, fault: Fault): Promise<void> {
  switch (fault.kind) {
    case 'kill-worker':
      return killWorker(ctx, fault)
    case 'zombie-worker':
      return zombie(ctx, fault)
    case 'rolling-brokers':
      return rollingBrokers(ctx, fault)
    case 'kill-coordinator':
      return killCoordinator(ctx, fault)
    case 'join-during-rebalance':
      return joinDuringRebalance(ctx, fault)
  }
}
