/**
 * REST calls during the whole run, to whichever worker is up: create, pause, resume, restart and delete extra
 * connectors (small file sources into a topic of their own), and restarts of the pipelines' connectors with their
 * tasks. Which call comes next is drawn from the run's seed. Every answer is counted by call and status; a 5xx, a
 * refused connection to a worker that is up, or a create answered anything but 201 or 409 (Apache's answer while the
 * group rebalances) is listed as a problem, with its time, worker and body.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { between, rng } from './schedule.ts'
import { http, type WorkerSlot } from './workers.ts'

export interface RestStats {
  calls: number
  /** `create 201: 4`, `pause 409: 1`... */
  byCallAndStatus: Record<string, number>
  /** 5xx answers, failed connections to a running worker and creates answered 4xx but 409, with what was asked. */
  problems: Array<{ time: number; call: string; worker: string; status: number; body: string }>
}

export class RestChaos {
  readonly stats: RestStats = { calls: 0, byCallAndStatus: {}, problems: [] }
  readonly #random: () => number
  readonly #workers: () => WorkerSlot[]
  readonly #mainConnectors: string[]
  readonly #file: string
  readonly #topic: string
  readonly #prefix: string
  #next = 0
  /** Extra connectors that were created and not deleted since. */
  readonly extras = new Set<string>()
  #stop = false
  #done: Promise<void> = Promise.resolve()

  constructor(options: {
    seed: number
    /** The workers that can be asked now (running, not frozen). */
    workers: () => WorkerSlot[]
    mainConnectors: string[]
    dir: string
    suffix: string
  }) {
    this.#random = rng(options.seed ^ 0x5eed)
    this.#workers = options.workers
    this.#mainConnectors = options.mainConnectors
    this.#file = join(options.dir, 'extra-input.txt')
    this.#topic = `chaos-extra-${options.suffix}`
    this.#prefix = `chaos-extra-${options.suffix}-`
  }

  async start(): Promise<void> {
    await writeFile(this.#file, 'a\nb\nc\n')
    this.#done = (async () => {
      while (!this.#stop) {
        await sleep(between(this.#random, 1000, 4000))
        if (!this.#stop) await this.step()
      }
    })()
  }

  async stop(): Promise<void> {
    this.#stop = true
    await this.#done
  }

  /** Creates one extra connector (also used to start a rebalance). */
  async create(): Promise<number> {
    const name = `${this.#prefix}${this.#next++}`
    const reply = await this.#call('create', 'POST', '/connectors', {
      name,
      config: {
        'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector',
        file: this.#file,
        topic: this.#topic,
      },
    })
    if (reply === 201 || reply === 409) this.extras.add(name)
    return reply
  }

  async step(): Promise<void> {
    const extras = [...this.extras]
    const pickExtra = () => extras[Math.floor(this.#random() * extras.length)] as string
    const roll = this.#random()
    if (extras.length === 0 || (roll < 0.2 && extras.length < 4)) {
      await this.create()
    } else if (roll < 0.35) {
      await this.#call('pause', 'PUT', `/connectors/${pickExtra()}/pause`)
    } else if (roll < 0.5) {
      await this.#call('resume', 'PUT', `/connectors/${pickExtra()}/resume`)
    } else if (roll < 0.65) {
      await this.#call('restart', 'POST', `/connectors/${pickExtra()}/restart?includeTasks=true`)
    } else if (roll < 0.75) {
      const main = this.#mainConnectors[Math.floor(this.#random() * this.#mainConnectors.length)] as string
      await this.#call('restart-pipeline', 'POST', `/connectors/${main}/restart?includeTasks=true`)
    } else if (roll < 0.85) {
      const name = pickExtra()
      const status = await this.#call('delete', 'DELETE', `/connectors/${name}`)
      if (status === 204 || status === 404) this.extras.delete(name)
    } else {
      await this.#call('status', 'GET', '/connectors?expand=status')
    }
  }

  async #call(call: string, method: string, path: string, body?: unknown): Promise<number> {
    const workers = this.#workers()
    const worker = workers[Math.floor(this.#random() * workers.length)]
    if (!worker) return 0
    const reply = await http(`${worker.url}${path}`, method, body)
    this.stats.calls++
    const key = `${call} ${reply.status || 'no answer'}`
    this.stats.byCallAndStatus[key] = (this.stats.byCallAndStatus[key] ?? 0) + 1
    // A worker killed or frozen while the call was on its way gives no answer: only a running one's counts. A create
    // of a new name has no other answer than 201, or 409 while the group rebalances.
    const badCreate = call === 'create' && reply.status >= 400 && reply.status < 500 && reply.status !== 409
    if (reply.status >= 500 || (reply.status === 0 && worker.available()) || badCreate) {
      this.stats.problems.push({
        time: Date.now(),
        call: `${method} ${path}`,
        worker: worker.id,
        status: reply.status,
        body: JSON.stringify(reply.body).slice(0, 300),
      })
    }
    return reply.status
  }
}
