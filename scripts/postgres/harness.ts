/**
 * A throwaway PostgreSQL with `wal_level=logical` for the CDC tests (the machine's own server runs with
 * `wal_level=replica`, which logical replication cannot use).
 *
 * - `startPostgres()` runs `initdb` into a temp dir and `postgres` in the foreground on a free loopback port, both as
 *   the `postgres` user when Ferry runs as root (PostgreSQL refuses to run as root), with trust authentication for
 *   `postgres` over TCP and replication connections. It resolves once the server answers `pg_isready`.
 * - `stop()` asks for a fast shutdown (SIGINT), waits for the exit and removes the directory. The server is also
 *   killed when the Node process exits, so a test that dies leaves nothing behind.
 * - `sharedPostgres()` starts one per test file (node runs every file in its own process), `stopSharedPostgres()`
 *   stops it after the file's tests: suites share one server and keep to their own databases, slots and tables.
 *
 * The binaries come from `FERRY_PG_BIN`, else the newest `/usr/lib/postgresql/<major>/bin` (Debian's layout).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { chownSync, createWriteStream, existsSync, readdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from '@ferry/testing'

const STARTUP_DEADLINE_MS = 120_000

export interface PostgresServer {
  host: string
  port: number
  /** The superuser, `postgres`, trusted without a password. */
  user: string
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  url: string
  logFile: string
  stop(): Promise<void>
}

export interface StartPostgresOptions {
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>
}

/** The directory holding initdb, postgres and pg_isready. */
export function postgresBin(): string {
  const fromEnv = process.env.FERRY_PG_BIN
  if (fromEnv) return fromEnv
  const root = '/usr/lib/postgresql'
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => /^\d+$/.test(d) && existsSync(join(root, d, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (majors.length === 0)
    throw new Error(`no PostgreSQL server binaries under ${root}: install postgresql or set FERRY_PG_BIN`)
  return join(root, majors[0] as string, 'bin')
}

/** The uid/gid to run the server as: `postgres` when we are root, else ourselves. */
function serverUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
  return { uid, gid }
}

function run(cmd: string, args: string[], as: { uid: number; gid: number } | null): Promise<string> {
  return new Promise((ok, fail) => {
    let output = ''
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(as ?? {}) })
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      output += d
    })
    child.once('error', fail)
    child.once('close', (code) =>
      code === 0 ? ok(output) : fail(new Error(`${cmd} exited with ${code}:\n${output.slice(-3000)}`)),
    )
  })
}

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/** Starts a fresh server and resolves once it accepts connections. */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresServer> {
  const bin = postgresBin()
  const as = serverUser()
  const dir = await mkdtemp(join(tmpdir(), 'ferry-postgres-'))
  if (as) chownSync(dir, as.uid, as.gid)
  const data = join(dir, 'data')
  await run(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync'],
    as,
  )
  const port = await freePort()
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: dir,
    wal_level: 'logical',
    max_wal_senders: '20',
    max_replication_slots: '20',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    shared_buffers: '64MB',
    ...opts.settings,
  }
  const logFile = join(dir, 'server.log')
  const log = createWriteStream(logFile)
  const child = spawn(
    join(bin, 'postgres'),
    ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
    { stdio: ['ignore', 'pipe', 'pipe'], ...(as ?? {}) },
  )
  live.add(child)
  let output = ''
  const onData = (d: Buffer) => {
    log.write(d)
    output = (output + d.toString('utf8')).slice(-20_000)
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()))

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT') // fast shutdown: roll back open transactions, end sessions, checkpoint
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      await exited
      clearTimeout(timer)
    }
    live.delete(child)
    log.end()
    await rm(dir, { recursive: true, force: true })
  }

  const deadline = Date.now() + STARTUP_DEADLINE_MS
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop()
      throw new Error(`postgres exited before it was ready:\n${output.slice(-3000)}`)
    }
    try {
      await run(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-q'], null)
      break
    } catch {
      if (Date.now() > deadline) {
        await stop()
        throw new Error(`postgres was not ready after ${STARTUP_DEADLINE_MS / 1000} s:\n${output.slice(-3000)}`)
      }
      await sleep(200)
    }
  }
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    logFile,
    stop,
  }
}

let shared: Promise<PostgresServer> | null = null

/**
 * The test file's server, started on first use. The file stops it with `after(stopSharedPostgres)` at its top level
 * (a hook registered inside a test would run after that test, before the test's own cleanup).
 */
export function sharedPostgres(): Promise<PostgresServer> {
  shared ??= startPostgres()
  return shared
}

/** Stops the file's server, if one was started. */
export async function stopSharedPostgres(): Promise<void> {
  const starting = shared
  shared = null
  if (starting) await (await starting).stop()
}
