/**
 * A real S3-compatible server for tests and benchmarks: Adobe's S3Mock (`com.adobe.testing:s3mock`, the `exec`
 * classifier, a Spring Boot jar) from Maven Central, run with `java -jar`, path-style, on a free loopback port.
 *
 * - `mavenJar(coordinates)` fetches one jar (`group:artifact:version[:classifier]`) into `.cache/maven/` once; the
 *   tests also use it for Apache's avro-tools, their independent Avro reader. `mavenArtifact` fetches other types
 *   (the schema registry's tar.gz).
 * - `startS3Mock({ buckets })` starts a server with its own store directory, returns its endpoint and stops it (and
 *   removes the store) in `stop()`. It never outlives this process (exit hooks and the Kafka harness's watchdog).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, existsSync, openSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { javaCommand, REPO_ROOT, spawnWatchdog } from '../kafka/harness.ts'

export const S3MOCK_VERSION = '5.2.0'
const CACHE = join(REPO_ROOT, '.cache', 'maven')
const STARTUP_DEADLINE_MS = 90_000

/** The local path of one jar from Maven Central (`group:artifact:version[:classifier]`), fetched with Maven once. */
export function mavenJar(coordinates: string): Promise<string> {
  return mavenArtifact(coordinates, 'jar')
}

/** The local path of one artifact of `type` (jar, tar.gz, ...) from Maven Central, fetched with Maven once. */
export async function mavenArtifact(coordinates: string, type: string): Promise<string> {
  const [group, artifact, version, classifier] = coordinates.split(':')
  if (!group || !artifact || !version) throw new Error(`bad Maven coordinates ${coordinates}: group:artifact:version`)
  const file = `${artifact}-${version}${classifier ? `-${classifier}` : ''}.${type}`
  const path = join(CACHE, file)
  if (existsSync(path)) return path
  await javaCommand() // mvn needs Java: give that message first
  await mkdir(CACHE, { recursive: true })
  const tmp = await mkdtemp(join(CACHE, `.fetch-${artifact}-`))
  try {
    process.stderr.write(`Fetching ${coordinates} with Maven into .cache/maven (one time)...\n`)
    const artifactArg = `${group}:${artifact}:${version}:${type}${classifier ? `:${classifier}` : ''}`
    const { code, output } = await run('mvn', [
      '-q',
      '-B',
      'dependency:copy',
      `-Dartifact=${artifactArg}`,
      `-DoutputDirectory=${tmp}`,
    ])
    if (code !== 0 || !existsSync(join(tmp, file))) {
      throw new Error(
        `Maven could not fetch ${coordinates} (exit ${code}): ${output.trim().split('\n').slice(-5).join(' ')}`,
      )
    }
    await rename(join(tmp, file), path) // atomic: a concurrent fetch just replaces it with the same bytes
    return path
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}

export interface S3Mock {
  /** `http://127.0.0.1:PORT`, for `store.url` (path-style; any region, any credentials). */
  endpoint: string
  port: number
  /** The store directory, removed by `stop()`. */
  root: string
  logFile: string
  /** SIGTERM, SIGKILL after 10 s, remove the store. Idempotent. */
  stop(): Promise<void>
  /** SIGKILL at once (the store is kept until `stop()`). */
  kill(): void
}

const live = new Set<ChildProcess>()
let hooked = false

/**
 * Starts S3Mock with `buckets` created; resolves once it answers HTTP. The JVM compiles with C1 only, which starts
 * faster; `fullJit` lets it use C2 as well, for benchmarks.
 */
export async function startS3Mock(
  opts: { buckets?: string[]; version?: string; fullJit?: boolean } = {},
): Promise<S3Mock> {
  const jar = await mavenJar(`com.adobe.testing:s3mock:${opts.version ?? S3MOCK_VERSION}:exec`)
  const java = await javaCommand()
  const root = await mkdtemp(join(tmpdir(), 'ferry-s3mock-'))
  const port = await freePort()
  const logFile = join(root, 's3mock.log')
  const fd = openSync(logFile, 'a')
  const child = spawn(
    java,
    [
      '-Xmx512m',
      '-XX:+UseSerialGC',
      ...(opts.fullJit ? [] : ['-XX:TieredStopAtLevel=1']),
      '-jar',
      jar,
      `--com.adobe.testing.s3mock.http-port=${port}`,
      '--server.port=0', // the https listener, unused
      '--server.address=127.0.0.1',
      `--com.adobe.testing.s3mock.store.root=${join(root, 'store')}`,
      `--com.adobe.testing.s3mock.store.initial-buckets=${(opts.buckets ?? []).join(',')}`,
      '--com.adobe.testing.s3mock.max-payload-size=128MB',
      '--spring.main.banner-mode=off',
    ],
    { stdio: ['ignore', fd, fd] },
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
  const deadline = Date.now() + STARTUP_DEADLINE_MS
  for (;;) {
    if (exited) {
      const log = await readFile(logFile, 'utf8').catch(() => '')
      await stop()
      throw new Error(`S3Mock exited at start:\n${log.split('\n').slice(-20).join('\n')}`)
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })
      await res.arrayBuffer()
      if (res.status < 500) break
    } catch {}
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`S3Mock did not answer on port ${port} within ${STARTUP_DEADLINE_MS / 1000}s (log: ${logFile})`)
    }
    await sleep(250)
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    root,
    logFile,
    stop,
    kill: () => {
      if (!exited) child.kill('SIGKILL')
    },
  }
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
