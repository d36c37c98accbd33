/**
 * The chaos run's `ferry distributed` workers: one slot per worker, each with its own directory (its config, its
 * log, and the relative file the file sink writes there) and its own REST port, kept across restarts so the worker id
 * (`127.0.0.1:port`) stays the same. Each process gets `CHAOS_WORKER=w<slot>.<incarnation>` in its environment;
 * connectors put it into records through `${env:CHAOS_WORKER}`, which tells which process handled a record.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from '@ferry/testing'
import { FERRY_BIN, toProperties } from '../bench/workers.ts'
import { spawnWatchdog } from '../kafka/harness.ts'

/** The file sink's `file`: relative, so each worker writes the file in its own directory. */
export const SINK_FILE = 'file-sink.out'

export interface HttpReply {
  status: number
  body: unknown
}

/** One REST call; a connection error or a 20 s timeout gives status 0 with the reason as body. */
export async function http(url: string, method = 'GET', body?: unknown, timeoutMs = 20_000): Promise<HttpReply> {
  try {
    const response = await fetch(url, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await response.text()
    let parsed: unknown = text
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed }
  } catch (e) {
    return { status: 0, body: (e as Error).message }
  }
}

const live = new Set<ChildProcess>()
let hooked = false

function hookExit(): void {
  if (hooked) return
  hooked = true
  process.on('exit', () => {
    for (const child of live) {
      child.kill('SIGCONT')
      child.kill('SIGKILL')
    }
  })
}

export class WorkerSlot {
  readonly index: number
  readonly dir: string
  readonly port: number
  readonly url: string
  readonly logPath: string
  readonly sinkFile: string
  #child: ChildProcess | undefined
  #watchdog: ChildProcess | undefined
  #exited: Promise<void> = Promise.resolve()
  #incarnation = 0
  /** Being stopped (SIGTERM sent) or stopped on purpose. */
  stopped = false
  /** SIGSTOPped. */
  frozen = false

  private constructor(index: number, dir: string, port: number) {
    this.index = index
    this.dir = dir
    this.port = port
    this.url = `http://127.0.0.1:${port}`
    this.logPath = join(dir, 'worker.log')
    this.sinkFile = join(dir, SINK_FILE)
  }

  static async create(index: number, root: string, props: Record<string, string>): Promise<WorkerSlot> {
    const dir = join(root, `worker-${index}`)
    await mkdir(dir, { recursive: true })
    const slot = new WorkerSlot(index, dir, await freePort())
    await writeFile(join(dir, 'worker.properties'), toProperties({ ...props, listeners: slot.url }))
    return slot
  }

  /** `w<slot>.<incarnation>` of the running process (what `${env:CHAOS_WORKER}` gives it). */
  get id(): string {
    return `w${this.index}.${this.#incarnation}`
  }

  get pid(): number | undefined {
    return this.running() ? this.#child?.pid : undefined
  }

  running(): boolean {
    const c = this.#child
    return !!c && c.exitCode === null && c.signalCode === null
  }

  /** Spawns the worker (a no-op while it runs). */
  start(): void {
    if (this.running()) return
    this.#incarnation++
    this.stopped = false
    const fd = openSync(this.logPath, 'a')
    let child: ChildProcess
    try {
      child = spawn(process.execPath, [FERRY_BIN, 'distributed', join(this.dir, 'worker.properties')], {
        cwd: this.dir,
        stdio: ['ignore', fd, fd],
        env: { ...process.env, FERRY_LOG_LEVEL: 'info', CHAOS_WORKER: this.id },
      })
    } finally {
      closeSync(fd)
    }
    hookExit()
    live.add(child)
    this.#child = child
    this.#exited = new Promise((resolve) => {
      child.once('exit', () => {
        live.delete(child)
        this.#watchdog?.kill('SIGKILL')
        resolve()
      })
      child.once('error', () => resolve())
    })
    this.#watchdog = spawnWatchdog([child.pid])
  }

  /** kill -9; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (!this.running()) return
    this.#child?.kill('SIGKILL')
    await this.#exited
  }

  /** SIGTERM (the worker leaves the group and commits), SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    if (!this.running()) return
    this.stopped = true
    const child = this.#child
    child?.kill('SIGTERM')
    this.resume()
    const timer = setTimeout(() => child?.kill('SIGKILL'), graceMs)
    await this.#exited
    clearTimeout(timer)
  }

  /** SIGSTOP: the process freezes (timers, sockets and all) until `resume`. */
  freeze(): void {
    this.frozen = true
    this.#child?.kill('SIGSTOP')
  }

  resume(): void {
    this.#child?.kill('SIGCONT')
    this.frozen = false
  }

  /** Running, not frozen and not being stopped: a worker a REST call can expect an answer from. */
  available(): boolean {
    return this.running() && !this.frozen && !this.stopped
  }

  /** Waits for `/health` to say healthy (200). */
  async healthy(timeoutMs = 120_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (!this.running()) return false
      if ((await http(`${this.url}/health`, 'GET', undefined, 5000)).status === 200) return true
      await sleep(500)
    }
    return false
  }

  /** Size of the worker's log so far: where `logLinesSince` starts reading. */
  async logSize(): Promise<number> {
    return (await stat(this.logPath).catch(() => ({ size: 0 }))).size
  }

  /** The log's JSON lines (pino: ISO `time`, `msg`) written after byte `from`, at most 8 MiB of them; time in ms. */
  async logLinesSince(from: number): Promise<Array<{ time: number; msg: string }>> {
    const handle = await open(this.logPath, 'r').catch(() => undefined)
    if (!handle) return []
    try {
      const size = (await handle.stat()).size
      const length = Math.min(size - from, 8 * 1024 * 1024)
      if (length <= 0) return []
      const buf = Buffer.alloc(length)
      await handle.read(buf, 0, length, from)
      const out: Array<{ time: number; msg: string }> = []
      for (const line of buf.toString('utf8').split('\n')) {
        if (!line.startsWith('{')) continue
        try {
          const parsed = JSON.parse(line) as { time?: string; msg?: string }
          const time = Date.parse(parsed.time ?? '')
          if (!Number.isNaN(time) && typeof parsed.msg === 'string') out.push({ time, msg: parsed.msg })
        } catch {
          // a line cut by kill -9
        }
      }
      return out
    } finally {
      await handle.close()
    }
  }
}

/**
 * Starts a worker and waits for it to be healthy; a worker that exits instead is a problem of the run (reported with
 * its last output lines) and is started again, three times at most.
 */
export async function startHealthy(slot: WorkerSlot, problem: (text: string) => void): Promise<boolean> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const from = await slot.logSize()
    slot.start()
    const started = Date.now()
    if (await slot.healthy()) return true
    const output = (await readFile(slot.logPath, 'utf8').catch(() => ''))
      .slice(from)
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('{'))
      .slice(-3)
      .join(' | ')
    problem(
      `${slot.id} ${slot.running() ? 'not healthy' : 'exited'} ${((Date.now() - started) / 1000).toFixed(0)}s after its start: ${output || '(see its log)'}`,
    )
    await slot.kill()
  }
  return false
}
