import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { readOffsetsFile } from '@ferry/runtime'
import { freePort, type TestContext } from './util.ts'

const FERRY_BIN = resolve(import.meta.dirname, '../../cli/bin/ferry.js')

export interface StandaloneOptions {
  /** Directory for the config files and the log. */
  dir: string
  worker: Record<string, string>
  /** Connector configs, written as `.properties` files. */
  connectors: Array<Record<string, string>>
  /** File name suffix, so two processes can share a directory. */
  label?: string
  env?: Record<string, string>
  /** The `ferry` command to run (its bin/ferry.js); default: the repository's. */
  bin?: string
}

/** A `ferry standalone` child process with its log in a file. */
export interface StandaloneProcess {
  readonly child: ChildProcess
  readonly logPath: string
  readonly exited: Promise<number | null>
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>
  /** SIGKILL, like a crash. */
  kill(): Promise<void>
  log(): Promise<string>
}

function toProperties(props: Record<string, string>): string {
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v.replace(/\\/g, '\\\\')}`)
    .join('\n')}\n`
}

/** Starts `ferry standalone` as a separate process, the way a user runs it; it is killed after the test. */
export async function startStandalone(t: TestContext, options: StandaloneOptions): Promise<StandaloneProcess> {
  const label = options.label ?? ''
  const workerFile = join(options.dir, `worker${label}.properties`)
  // Each worker gets its own REST port, so tests can run side by side.
  const worker = { listeners: `http://127.0.0.1:${await freePort()}`, ...options.worker }
  await writeFile(workerFile, toProperties(worker))
  const files: string[] = []
  for (const [i, c] of options.connectors.entries()) {
    const file = join(options.dir, `connector${label}-${i}.properties`)
    await writeFile(file, toProperties(c))
    files.push(file)
  }
  return spawnFerry(t, ['standalone', workerFile, ...files], options.dir, label, options.env, options.bin)
}

export interface DistributedOptions {
  /** Directory for the config file and the log. */
  dir: string
  /** Worker properties; `listeners` defaults to a free loopback port. */
  worker: Record<string, string>
  /** File name suffix, so workers can share a directory. */
  label?: string
  env?: Record<string, string>
}

/**
 * Worker properties for a test cluster `group` with its own internal topics (`<group>-configs`, `-offsets`,
 * `-status`, few partitions), string converters and short timeouts, so rebalances and failovers take seconds.
 * `extra` overrides any key. Apache's distributed worker takes the same file.
 */
export function distributedWorkerProps(
  bootstrap: string,
  group: string,
  extra: Record<string, string> = {},
  replicationFactor = 1,
): Record<string, string> {
  const string = 'org.apache.kafka.connect.storage.StringConverter'
  return {
    'bootstrap.servers': bootstrap,
    'group.id': group,
    'config.storage.topic': `${group}-configs`,
    'offset.storage.topic': `${group}-offsets`,
    'status.storage.topic': `${group}-status`,
    'config.storage.replication.factor': String(replicationFactor),
    'offset.storage.replication.factor': String(replicationFactor),
    'status.storage.replication.factor': String(replicationFactor),
    'offset.storage.partitions': '3',
    'status.storage.partitions': '3',
    'key.converter': string,
    'value.converter': string,
    'session.timeout.ms': '6000',
    'heartbeat.interval.ms': '1000',
    'rebalance.timeout.ms': '20000',
    'scheduled.rebalance.max.delay.ms': '3000',
    'offset.flush.interval.ms': '1000',
    ...extra,
  }
}

/** A `ferry distributed` worker process; `url` is its REST API (`http://127.0.0.1:<port>`). */
export interface DistributedProcess extends StandaloneProcess {
  readonly url: string
}

/** Starts `ferry distributed` as a separate process, the way a user runs it; it is killed after the test. */
export async function startDistributed(t: TestContext, options: DistributedOptions): Promise<DistributedProcess> {
  const label = options.label ?? ''
  const workerFile = join(options.dir, `worker${label}.properties`)
  const worker = { listeners: `http://127.0.0.1:${await freePort()}`, ...options.worker }
  await writeFile(workerFile, toProperties(worker))
  const url = (worker.listeners.split(',')[0] ?? '').trim().replace(/\/+$/, '')
  return { ...(await spawnFerry(t, ['distributed', workerFile], options.dir, label, options.env)), url }
}

/** Runs the `ferry` command (`bin`, default the repository's) to its end (for commands that exit: bad input, help, plugins). */
export function runFerry(
  args: string[],
  cwd: string,
  bin = FERRY_BIN,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    // The worker file decides the log format (JSON by default), whatever the developer's environment says.
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, FERRY_LOG_FORMAT: '' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('exit', (code) => done({ code, stdout, stderr }))
  })
}

async function spawnFerry(
  t: TestContext,
  args: string[],
  dir: string,
  label: string,
  env: Record<string, string> = {},
  bin = FERRY_BIN,
): Promise<StandaloneProcess> {
  const logPath = join(dir, `worker${label}.log`)
  const log = createWriteStream(logPath, { flags: 'a' })
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FERRY_LOG_LEVEL: 'info', FERRY_LOG_FORMAT: '', ...env },
  })
  child.stdout?.pipe(log, { end: false })
  child.stderr?.pipe(log, { end: false })
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
    log.end()
  })
  return {
    child,
    logPath,
    exited,
    async stop() {
      child.kill('SIGTERM')
      return exited
    },
    async kill() {
      child.kill('SIGKILL')
      await exited
    },
    log: () => readFile(logPath, 'utf8'),
  }
}

/** The offsets in a standalone worker's `offset.storage.file.filename`, in file order (none while it is missing). */
export async function committedOffsets(
  path: string,
): Promise<Array<{ connector: string; partition: Record<string, unknown>; offset: Record<string, any> | null }>> {
  const bytes = await readFile(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return Buffer.alloc(0)
    throw e
  })
  return readOffsetsFile(bytes, path).map(({ connector, partition, offset }) => ({ connector, partition, offset }))
}
