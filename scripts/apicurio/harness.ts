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
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@ferry/testing'
import { answers, mavenArtifact, runCommand, startJavaServer } from '../java-server.ts'
import { acquireLock, javaCommand, REPO_ROOT } from '../kafka/harness.ts'

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
    const { code, output } = await runCommand('tar', ['xzf', archive, '-C', tmp])
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

/** Starts one registry with in-memory storage; resolves once `GET /apis/ccompat/v7/subjects` answers 200. */
export async function startApicurio(opts: { version?: string } = {}): Promise<SchemaRegistryServer> {
  const home = await ensureApicurio(opts.version)
  const java = existsSync(JAVA_25) ? JAVA_25 : await javaCommand()
  const root = await mkdtemp(join(tmpdir(), 'ferry-apicurio-'))
  const port = await freePort()
  const logFile = join(root, 'apicurio.log')
  const url = `http://127.0.0.1:${port}`
  const confluentUrl = `${url}/apis/ccompat/v7`
  const { stop } = await startJavaServer({
    name: `Apicurio Registry on port ${port}`,
    java,
    args: [
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
    root,
    logFile,
    ready: () => answers(`${confluentUrl}/subjects`, (status) => status === 200),
    deadlineMs: STARTUP_DEADLINE_MS,
    pollMs: 500,
  })
  return { url, confluentUrl, port, logFile, stop }
}
