/** Starts Apache Connect and Ferry workers (standalone or distributed) from the same config files, and stops them. */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { freePort } from '@ferry/testing'
import { REPO_ROOT } from '../kafka/harness.ts'
import { type ApacheConnect, CONNECT_JVM_OPTIONS, log4jConfig } from './apache.ts'
import { cpuSeconds, type Memory, memory } from './proc.ts'

export type Engine = 'apache' | 'ferry'
export const ENGINES: readonly Engine[] = ['apache', 'ferry']

export const FERRY_BIN = join(REPO_ROOT, 'packages', 'cli', 'bin', 'ferry.js')

export interface WorkerOptions {
  engine: Engine
  /** `connect-standalone` (default) or `connect-distributed`: the latter takes no connector files and no offsets file. */
  mode?: 'standalone' | 'distributed'
  /** File name suffix, so several workers can share `dir`. */
  label?: string
  /** The REST port (default: a free one); a worker restarted on its old port comes back as the same worker id. */
  port?: number | undefined
  /** Directory for the config files, offsets and the log. */
  dir: string
  /** Worker settings besides listeners, plugin.path and offset.storage.file.filename (the bench sets those). */
  worker: Record<string, string>
  connectors: Array<Record<string, string>>
  /** Needed for engine 'apache'. */
  apache?: ApacheConnect | undefined
  /** Ferry only: write a V8 CPU profile (`node --cpu-prof`) into this directory. */
  cpuProfileDir?: string | undefined
  /** Ferry only: more Node options before the script (the soak's `--import` of its event-loop probe). */
  nodeOptions?: string[] | undefined
  /** More environment variables for the process. */
  env?: Record<string, string> | undefined
}

export interface Worker {
  engine: Engine
  pid: number
  /** `performance.now()` just before the process was spawned. */
  startedAt: number
  restUrl: string
  logPath: string
  /** Exit code (or the signal name) once the process ended. */
  readonly exited: Promise<number | string | null>
  running(): boolean
  cpuSeconds(): number | undefined
  memory(): Memory | undefined
  /** SIGTERM, SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<number | string | null>
  /** SIGKILL, like a crash; resolves when the process is gone. */
  kill(): Promise<number | string | null>
  logTail(lines?: number): string
}

const live = new Set<ChildProcess>()
let hooked = false

/** Workers never outlive the bench. */
function hookExit(): void {
  if (hooked) return
  hooked = true
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL')
  })
}

export function toProperties(props: Record<string, string>): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
  return `${Object.entries(props)
    .map(([k, v]) => `${esc(k).replace(/([=: ])/g, '\\$1')}=${esc(v)}`)
    .join('\n')}\n`
}

export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const { engine, dir } = options
  const mode = options.mode ?? 'standalone'
  const name = `${engine}${options.label ?? ''}`
  const port = options.port ?? (await freePort())
  const restUrl = `http://127.0.0.1:${port}`
  const worker: Record<string, string> = { ...options.worker, listeners: restUrl }
  if (mode === 'standalone') worker['offset.storage.file.filename'] = join(dir, `${name}.offsets`)
  // Ferry accepts plugin.path and ignores it (its plugins are npm packages), so one worker file fits both.
  if (options.apache) worker['plugin.path'] = options.apache.pluginPath
  const workerFile = join(dir, `${name}-worker.properties`)
  await writeFile(workerFile, toProperties(worker))
  const connectorFiles: string[] = []
  for (const [i, c] of options.connectors.entries()) {
    const file = join(dir, `${name}-connector-${i}.properties`)
    await writeFile(file, toProperties(c))
    connectorFiles.push(file)
  }

  let command: string
  let args: string[]
  if (engine === 'apache') {
    const apache = options.apache
    if (!apache) throw new Error('Apache Connect is not installed (ensureApacheConnect)')
    const log4j = join(dir, `log4j2${options.label ?? ''}.properties`)
    await writeFile(log4j, log4jConfig('INFO'))
    command = apache.java
    args = [
      ...CONNECT_JVM_OPTIONS,
      `-Dkafka.logs.dir=${dir}`,
      `-Dlog4j2.configurationFile=${log4j}`,
      '-cp',
      apache.classpath,
      mode === 'standalone'
        ? 'org.apache.kafka.connect.cli.ConnectStandalone'
        : 'org.apache.kafka.connect.cli.ConnectDistributed',
      workerFile,
      ...connectorFiles,
    ]
  } else {
    command = process.execPath
    args = [
      ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : []),
      ...(options.nodeOptions ?? []),
      FERRY_BIN,
      mode,
      workerFile,
      ...connectorFiles,
    ]
  }

  const logPath = join(dir, `${name}.log`)
  const fd = openSync(logPath, 'a')
  hookExit()
  const startedAt = performance.now()
  let child: ChildProcess
  try {
    child = spawn(command, args, {
      cwd: dir,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, FERRY_LOG_LEVEL: 'info', ...options.env },
    })
  } finally {
    closeSync(fd)
  }
  live.add(child)
  const exited = new Promise<number | string | null>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child)
      resolve(code ?? signal)
    })
    child.once('error', () => {
      live.delete(child)
      resolve(null)
    })
  })
  const pid = child.pid ?? -1
  const running = () => child.exitCode === null && child.signalCode === null && pid > 0

  return {
    engine,
    pid,
    startedAt,
    restUrl,
    logPath,
    exited,
    running,
    cpuSeconds: () => cpuSeconds(pid),
    memory: () => memory(pid),
    async stop(graceMs = 20_000) {
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
    logTail(lines = 30) {
      try {
        return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
      } catch {
        return ''
      }
    },
  }
}
