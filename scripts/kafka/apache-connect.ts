/**
 * Runs an Apache Kafka Connect worker (standalone or distributed) from the Maven Central jars, for tests that check
 * Ferry against the real thing. The jars are the bench's (`ensureApacheConnect` in scripts/bench/apache.ts: fetched
 * with Maven into `.cache/bench/connect-<version>/` the first time, connect-file on `plugin.path`).
 *
 * ```ts
 * const apache = await startApacheConnect({ mode: 'distributed', dir, worker: { 'bootstrap.servers': ..., 'group.id': ... } })
 * t.after(() => apache.stop())
 * await fetch(`${apache.url}/connectors`)
 * ```
 *
 * The JVM never outlives this process: an exit hook and a small watchdog shell (reading a pipe from Node, like the
 * broker harness's) kill it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { freePort } from '@ferry/testing'
import { ensureApacheConnect, log4jConfig } from '../bench/apache.ts'
import { spawnWatchdog } from './harness.ts'

export type ApacheMode = 'standalone' | 'distributed'

export interface ApacheConnectOptions {
  mode: ApacheMode
  /** Directory for the config files and the log. */
  dir: string
  /** Worker properties. `listeners` defaults to a free loopback port, `plugin.path` to the cached connect-file. */
  worker: Record<string, string>
  /** Standalone only: connector configs, written as `.properties` files. */
  connectors?: Array<Record<string, string>>
  /** File name suffix, so several workers can share `dir`. */
  label?: string
  /** JVM options; defaults to a small heap and quick start-up, which suits tests on a small machine. */
  jvmOptions?: readonly string[]
  /** How long to wait for `/health` to answer 200 (default 120 s). */
  startTimeoutMs?: number
  /** Whether the worker answers yet, for workers plain `fetch` cannot reach (https, authentication); default `/health` is 200. */
  healthy?: (url: string) => Promise<boolean>
}

export interface ApacheConnectProcess {
  readonly child: ChildProcess
  /** REST URL, `http://127.0.0.1:<port>`. */
  readonly url: string
  /** `host:port`, the worker id Apache writes into statuses. */
  readonly workerId: string
  readonly logPath: string
  /** Exit code, or the signal's name. */
  readonly exited: Promise<number | string | null>
  running(): boolean
  /** SIGTERM (a graceful stop: Apache commits offsets and leaves the group), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | string | null>
  /** SIGKILL, like a crash. */
  kill(): Promise<number | string | null>
  log(): Promise<string>
}

export const APACHE_TEST_JVM_OPTIONS = ['-Xms64m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'] as const

const MAIN_CLASS: Record<ApacheMode, string> = {
  standalone: 'org.apache.kafka.connect.cli.ConnectStandalone',
  distributed: 'org.apache.kafka.connect.cli.ConnectDistributed',
}

const live = new Set<ChildProcess>()
let hooked = false

function hookExit(): void {
  if (hooked) return
  hooked = true
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL')
  })
}

function toProperties(props: Record<string, string>): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
  return `${Object.entries(props)
    .map(([k, v]) => `${esc(k).replace(/([=: ])/g, '\\$1')}=${esc(v)}`)
    .join('\n')}\n`
}

/** Starts an Apache Connect worker and resolves once its `/health` answers 200; throws with the log's tail if not. */
export async function startApacheConnect(options: ApacheConnectOptions): Promise<ApacheConnectProcess> {
  const apache = await ensureApacheConnect()
  const label = options.label ?? ''
  const { dir, mode } = options
  const worker: Record<string, string> = {
    listeners: `http://127.0.0.1:${await freePort()}`,
    'plugin.path': apache.pluginPath,
    ...options.worker,
  }
  const url = (worker.listeners!.split(',')[0] ?? '').trim().replace(/\/+$/, '')
  const workerFile = join(dir, `apache-${mode}${label}.properties`)
  await writeFile(workerFile, toProperties(worker))
  const connectorFiles: string[] = []
  for (const [i, c] of (options.connectors ?? []).entries()) {
    const file = join(dir, `apache-connector${label}-${i}.properties`)
    await writeFile(file, toProperties(c))
    connectorFiles.push(file)
  }
  const log4j = join(dir, `apache-log4j2${label}.properties`)
  await writeFile(log4j, log4jConfig('INFO'))
  const logPath = join(dir, `apache-${mode}${label}.log`)
  const fd = openSync(logPath, 'a')
  hookExit()
  let child: ChildProcess
  try {
    child = spawn(
      apache.java,
      [
        ...(options.jvmOptions ?? APACHE_TEST_JVM_OPTIONS),
        `-Dkafka.logs.dir=${dir}`,
        `-Dlog4j2.configurationFile=${log4j}`,
        '-cp',
        apache.classpath,
        MAIN_CLASS[mode],
        workerFile,
        ...connectorFiles,
      ],
      { cwd: dir, stdio: ['ignore', fd, fd] },
    )
  } finally {
    closeSync(fd)
  }
  live.add(child)
  const watchdog = spawnWatchdog([child.pid])
  const exited = new Promise<number | string | null>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child)
      watchdog?.kill('SIGKILL')
      resolve(code ?? signal)
    })
    child.once('error', () => {
      live.delete(child)
      watchdog?.kill('SIGKILL')
      resolve(null)
    })
  })
  const running = () => child.exitCode === null && child.signalCode === null && (child.pid ?? 0) > 0
  const log = () => readFile(logPath, 'utf8').catch(() => '')
  const proc: ApacheConnectProcess = {
    child,
    url,
    workerId: url.replace(/^https?:\/\//, ''),
    logPath,
    exited,
    running,
    async stop(graceMs = 30_000) {
      if (!running()) return exited
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      try {
        return await exited
      } finally {
        clearTimeout(timer)
      }
    },
    async kill() {
      if (running()) child.kill('SIGKILL')
      return exited
    },
    log,
  }

  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000)
  const healthy =
    options.healthy ??
    (async (u: string) =>
      (await fetch(`${u}/health`, { signal: AbortSignal.timeout(5000) }).then(
        (r) => r.status,
        () => 0,
      )) === 200)
  for (;;) {
    if (await healthy(url).catch(() => false)) return proc
    if (!running() || Date.now() > deadline) {
      await proc.kill()
      const tail = (await log()).trimEnd().split('\n').slice(-30).join('\n')
      throw new Error(
        `Apache Connect ${mode} did not become healthy at ${url}${running() ? '' : ' (it exited)'}; log ${logPath}:\n${tail}`,
      )
    }
    await new Promise((r) => setTimeout(r, 300))
  }
}
