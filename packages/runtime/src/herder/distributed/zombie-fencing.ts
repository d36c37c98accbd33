/**
 * The leader's zombie fencing (KIP-618, Apache's `DistributedHerder.doFenceZombieSourceTasks` and `ZombieFencing`).
 *
 * The config topic says which task generation of an exactly-once source connector is fenced: each new set of task
 * configs leaves the connector "pending fencing" until a task count record (`tasks-fencing-<c>`) follows it. Before a
 * task's producer takes its transactional id, the worker starting it asks the leader for a round:
 *
 * - not pending (the record follows the latest task configs): nothing to do;
 * - pending, no record yet (no transactional producer ever ran for the connector), or a record of 1 task and 1 task
 *   now (the new producer fences the old one by taking the same id): only the record of the new count is written;
 * - otherwise the producers of tasks 0..(recorded count - 1) are fenced (`Admin.fenceProducers`), then the record of
 *   the new count is written, unless new task configs came meanwhile (409). Concurrent requests for one connector
 *   share one round; new task configs fail a round under way (409).
 *
 * A failure (the admin call, the config topic) is not retried here: it fails the round, so the task asking for it
 * fails with the cause (Apache's behaviour; a restart of the task asks again).
 */
import { ConnectException, NotFoundException } from '@ferry/api'
import type { Logger } from '../../logger.ts'
import { type ClusterConfigState, type ConfigBackingStore, present } from '../../storage/config-store.ts'
import { taskTransactionalId } from '../../worker/worker.ts'
import { BadRequestException, NotLeaderException } from '../herder.ts'

/** What a fencing round needs from its herder. */
export interface ZombieFencingHost {
  log: Logger
  /** The Connect cluster's `group.id` (transactional ids are `<group.id>-<connector>-<task>`). */
  groupId: string
  /** `worker.sync.timeout.ms`: how long a read to the end of the config topic may take. */
  syncTimeoutMs: number
  store: Pick<ConfigBackingStore, 'contains' | 'snapshot' | 'refresh' | 'putTaskCountRecord'>
  /** Runs `fn` on the herder's serial queue (its tick thread). */
  serial<T>(fn: () => Promise<T>): Promise<T>
  isLeader(): boolean
  leaderUrl(): string | null
  /** The herder's snapshot, and a newer one read from the store. */
  snapshot(): ClusterConfigState
  refreshed(snapshot: ClusterConfigState): void
  isSource(connectorConfig: Record<string, string>): boolean
  /** `Admin.fenceProducers` on `ids`, with the connector's admin settings (`admin.override.*`). */
  fenceProducers(connectorConfig: Record<string, string>, connector: string, ids: string[]): Promise<void>
}

/** A zombie fencing round under way on the leader; `done` settles when the task count record is written. */
interface Round {
  done: Promise<void>
  reject(error: unknown): void
}

/** Apache's ConnectRestException(409) of a fencing round overtaken by new task configs. */
export class FencingConflictException extends ConnectException {
  readonly statusCode = 409
  constructor(message: string) {
    super(message)
    this.name = 'ConnectRestException'
  }
}

/** Apache's `ConnectUtils.maybeWrap`: a ConnectException as it is, anything else wrapped with `message`. */
export function wrapped(error: unknown, message: string): ConnectException {
  return error instanceof ConnectException ? error : new ConnectException(message, error)
}

/** See the module comment. */
export class ZombieFencings {
  readonly #host: ZombieFencingHost
  /** Rounds under way, by connector (Apache's activeZombieFencings). */
  readonly #rounds = new Map<string, Round>()

  constructor(host: ZombieFencingHost) {
    this.#host = host
  }

  /** New task configs were read for `connector`: a round under way for an older generation cannot complete. */
  taskConfigsChanged(connector: string): void {
    this.#rounds
      .get(connector)
      ?.reject(
        new FencingConflictException(
          'Failed to complete zombie fencing because a new set of task configs was generated',
        ),
      )
  }

  /**
   * Apache's `doFenceZombieSourceTasks`, on the leader: resolves once the generations older than the connector's
   * current one are fenced and recorded. `NotLeaderException` on a follower (the caller forwards), 404 for an unknown
   * connector, 400 for a sink connector, 409 when new task configs overtake the round.
   */
  async fence(name: string): Promise<void> {
    const host = this.#host
    const round = await host.serial(async () => {
      if (!host.isLeader())
        throw new NotLeaderException('Only the leader may perform zombie fencing.', host.leaderUrl())
      if (!host.snapshot().contains(name) && !host.store.contains(name))
        throw new NotFoundException(`Connector ${name} not found`)
      const config = host.store.snapshot().connectorConfig(name)
      if (config && !host.isSource(present(config)))
        throw new BadRequestException(`Connector ${name} is not a source connector`)
      const snapshot = await this.#refresh('Failed to read to end of config topic before performing zombie fencing')
      if (!snapshot.contains(name)) throw new NotFoundException(`Connector ${name} not found`)
      const taskCount = snapshot.taskCount(name)
      const recorded = snapshot.taskCountRecord(name)
      if (snapshot.pendingFencing(name) && recorded !== null && (recorded !== 1 || taskCount !== 1)) {
        const running =
          this.#rounds.get(name) ?? this.#start(name, recorded, taskCount, snapshot.taskConfigGeneration(name) ?? 0)
        // Wrapped: returning the promise itself would make this serial operation wait for the round, which needs
        // the serial queue to write its record.
        return { done: running.done }
      }
      if (!snapshot.pendingFencing(name)) {
        host.log.debug(
          `Skipping zombie fencing round for connector ${name} as all old task generations have already been fenced out`,
        )
        return null
      }
      host.log.debug(
        recorded === null
          ? `Skipping zombie fencing round but writing task count record for connector ${name} as it is being brought up for the first time with exactly-once source support`
          : `Skipping zombie fencing round but writing task count record for connector ${name} as both the most recent and the current generation of task configs only contain one task`,
      )
      await host.store.putTaskCountRecord(name, taskCount)
      host.refreshed(host.store.snapshot())
      return null
    })
    if (round) await round.done
  }

  async #refresh(failure: string): Promise<ClusterConfigState> {
    try {
      await this.#host.store.refresh(this.#host.syncTimeoutMs)
    } catch (e) {
      throw new ConnectException(failure, e)
    }
    const snapshot = this.#host.store.snapshot()
    this.#host.refreshed(snapshot)
    return snapshot
  }

  /** Apache's ZombieFencing: fence the producers of `tasksToFence` tasks, then record `tasksToRecord`. */
  #start(name: string, tasksToFence: number, tasksToRecord: number, generation: number): Round {
    const host = this.#host
    let settle!: { resolve: () => void; reject: (e: unknown) => void }
    const done = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject }
    })
    let finished = false
    const round: Round = {
      done,
      reject: (e) => {
        if (finished) return
        finished = true
        settle.reject(e)
      },
    }
    done.catch(() => {})
    this.#rounds.set(name, round)
    const config = present(host.snapshot().connectorConfig(name)!)
    const ids = Array.from({ length: tasksToFence }, (_, task) => taskTransactionalId(host.groupId, name, task))
    host.log.info(`Fencing out ${tasksToFence} task producers for source connector ${name}`)
    void (async () => {
      try {
        await host.fenceProducers(config, name, ids)
        await host.serial(async () => {
          if (finished) return
          const snapshot = await this.#refresh('Failed to read to end of config topic')
          if (generation < (snapshot.taskConfigGeneration(name) ?? 0)) {
            throw new FencingConflictException(
              'Fencing failed because new task configurations were generated for the connector',
            )
          }
          await host.store.putTaskCountRecord(name, tasksToRecord)
          host.refreshed(host.store.snapshot())
        })
        if (!finished) {
          finished = true
          settle.resolve()
        }
      } catch (e) {
        round.reject(wrapped(e, `Failed to perform zombie fencing for connector ${name}`))
      } finally {
        if (this.#rounds.get(name) === round) this.#rounds.delete(name)
      }
    })()
    return round
  }
}
