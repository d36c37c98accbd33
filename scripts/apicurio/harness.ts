/**
 * A real schema registry for tests and benchmarks: Apicurio Registry (`io.apicurio:apicurio-registry-app`, the `all`
 * classifier, a tar.gz of a Quarkus app) from Maven Central, in-memory storage, on a free loopback port. Its
 * Confluent-compatible API (what Confluent's converters and Ferry's speak) is at `/apis/ccompat/v7`.
 *
 * - `ensureApicurio()` fetches the tar.gz with Maven into `.cache/maven/` and unpacks it into `.cache/apicurio/` once
 *   (a marker file says the unpacking is complete; a lock dir lets processes share it).
 * - `startApicurio()` runs `quarkus-run.jar` with Java 25 (Temurin's, else the default Java 17+) and resolves once the
 *   Confluent API answers. The registry never outlives this process (exit hooks and the Kafka harness's watchdog).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, existsSync, openSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { acquireLock, javaCommand, REPO_ROOT, spawnWatchdog } from '../kafka/harness.ts'
import { mavenArtifact } from '../s3mock/harness.ts'

export const APICURIO_VERSION = '3.3.3'
const JAVA_25 = '/usr/lib/jvm/temurin-25-jdk-amd64/bin/java'
const CACHE = join(REPO_ROOT, '.cache', 'apicurio')
const MARKER = '.complete'
const STARTUP_DEADLINE_MS = 180_000

export interface SchemaRegistryServer {
  /** `http://127.0.0.1:PORT`, the server's root. */
  url: string
  /** `http://127.0.0.1:PORT/apis/ccompat/v7`: the Confluent-compatible API, for `schema.registry.url`. */
  confluentUrl: string
  port: number
  logFile: string
  /** SIGTERM, SIGKILL after 10 s, remove the temp dir. Idempotent. */
  stop(): Promise<void>
}

/** The directory holding the unpacked registry (`quarkus-run.jar` at its root), fetched and unpacked once. */
export async function ensureApicurio(version: string = APICURIO_VERSION): Promise<string> {
  const dir = join(CACHE, version)
  if (existsSync(join(dir, MARKER))) return dir
  const archive = await mavenArtifact(`io.apicurio:apicurio-registry-app:${version}:all`, 'tar.gz')
  await mkdir(CACHE, { recursive: true })
  const release = await acquireLock(`${dir}.lock`, () => existsSync(join(dir, MARKER)), 'Apicurio Registry')
  if (!release) return dir
  try {
    if (existsSync(join(dir, MARKER))) return dir
    const tmp = `${dir}.tmp-${process.pid}`
    await rm(tmp, { recursive: true, force: true })
    await mkdir(tmp, { recursive: true })
    const { code, output } = await run('tar', ['xzf', archive, '-C', tmp])
    if (code !== 0 || !existsSync(join(tmp, 'quarkus-run.jar'))) {
      await rm(tmp, { recursive: true, force: true })
      throw new Error(`could not unpack ${archive} (tar exit ${code}): ${output.trim().slice(-500)}`)
    }
    await rm(dir, { recursive: true, force: true })
    await rename(tmp, dir)
    await writeFile(join(dir, MARKER), `${version}\n`)
    return dir
  } finally {
    await release()
  }
}

const live = new Set<ChildProcess>()
let hooked = false

/** Starts one registry with in-memory storage; resolves once `GET /apis/ccompat/v7/subjects` answers 200. */
export async function startApicurio(opts: { version?: string } = {}): Promise<SchemaRegistryServer> {
  const home = await ensureApicurio(opts.version)
  const java = existsSync(JAVA_25) ? JAVA_25 : await javaCommand()
  const root = await mkdtemp(join(tmpdir(), 'ferry-apicurio-'))
  const port = await freePort()
  const logFile = join(root, 'apicurio.log')
  const fd = openSync(logFile, 'a')
  const child = spawn(
    java,
    [
      '-Xmx384m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      `-Djava.io.tmpdir=${root}`,
      `-Dquarkus.http.port=${port}`,
      '-Dquarkus.http.host=127.0.0.1',
      // Apicurio's build enables Quarkus's management interface (a build-time setting, so `enabled=false` is ignored):
      // its listener goes to a free port on loopback instead of 0.0.0.0:9000, which a second registry could not bind.
      '-Dquarkus.management.enabled=false',
      '-Dquarkus.management.host=127.0.0.1',
      '-Dquarkus.management.port=0',
      '-Dapicurio.storage.kind=sql',
      '-Dapicurio.storage.sql.kind=h2', // H2 in memory: the default, said out loud
      '-jar',
      join(home, 'quarkus-run.jar'),
    ],
    { stdio: ['ignore', fd, fd], cwd: root },
  )
  closeSync(fd)
  live.add(child)
  installHooks()
  const watchdog = spawnWatchdog([child.pid], root)
  let exited = false
  child.once('exit', () => {
    exited = true
    live.delete(child)
  })
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM')
      const done = new Promise((r) => child.once('exit', r))
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await done
      clearTimeout(timer)
    }
    watchdog?.kill()
    await rm(root, { recursive: true, force: true })
  }
  const url = `http://127.0.0.1:${port}`
  const confluentUrl = `${url}/apis/ccompat/v7`
  const deadline = Date.now() + STARTUP_DEADLINE_MS
  for (;;) {
    if (exited) {
      const log = await readFile(logFile, 'utf8').catch(() => '')
      await stop()
      throw new Error(`Apicurio Registry exited at start:\n${log.split('\n').slice(-20).join('\n')}`)
    }
    try {
      const res = await fetch(`${confluentUrl}/subjects`, { signal: AbortSignal.timeout(2000) })
      await res.arrayBuffer()
      if (res.status === 200) break
    } catch {}
    if (Date.now() > deadline) {
      await stop()
      throw new Error(
        `Apicurio Registry did not answer on port ${port} within ${STARTUP_DEADLINE_MS / 1000}s (log: ${logFile})`,
      )
    }
    await sleep(500)
  }
  return { url, confluentUrl, port, logFile, stop }
}

function installHooks(): void {
  if (hooked) return
  hooked = true
  process.on('exit', () => {
    for (const c of live) c.kill('SIGKILL')
  })
}

async function freePort(): Promise<number> {
  return await new Promise((ok, ko) => {
    const srv = createServer()
    srv.once('error', ko)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo
      srv.close(() => ok(port))
    })
  })
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((ok) => {
    let output = ''
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      output += d
    })
    child.once('error', (e) => ok({ code: null, output: `${output}${e.message}` }))
    child.once('close', (code) => ok({ code, output }))
  })
}
