/**
 * What the test and bench harnesses of JVM servers share (S3Mock, Apicurio Registry, the search runners, Apache
 * Connect): a command's output, one artifact from Maven Central fetched once into `.cache/maven/`, and a Java
 * server process that answers on HTTP before it is handed out and never outlives this process.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, existsSync, openSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { javaCommand, REPO_ROOT, spawnWatchdog } from './kafka/harness.ts'

const MAVEN_CACHE = join(REPO_ROOT, '.cache', 'maven')

/** Runs `cmd` to its end: its exit code (null when it could not start) and its stdout and stderr, interleaved. */
export function runCommand(
  cmd: string,
  args: string[],
  cwd?: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((ok) => {
    let output = ''
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
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

/** The local path of one jar from Maven Central (`group:artifact:version[:classifier]`), fetched with Maven once. */
export function mavenJar(coordinates: string): Promise<string> {
  return mavenArtifact(coordinates, 'jar')
}

/** The local path of one artifact of `type` (jar, tar.gz, ...) from Maven Central, fetched with Maven once. */
export async function mavenArtifact(coordinates: string, type: string): Promise<string> {
  const [group, artifact, version, classifier] = coordinates.split(':')
  if (!group || !artifact || !version) throw new Error(`bad Maven coordinates ${coordinates}: group:artifact:version`)
  const file = `${artifact}-${version}${classifier ? `-${classifier}` : ''}.${type}`
  const path = join(MAVEN_CACHE, file)
  if (existsSync(path)) return path
  await javaCommand() // mvn needs Java: give that message first
  await mkdir(MAVEN_CACHE, { recursive: true })
  const tmp = await mkdtemp(join(MAVEN_CACHE, `.fetch-${artifact}-`))
  try {
    process.stderr.write(`Fetching ${coordinates} with Maven into .cache/maven (one time)...\n`)
    const artifactArg = `${group}:${artifact}:${version}:${type}${classifier ? `:${classifier}` : ''}`
    const { code, output } = await runCommand('mvn', [
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

export interface JavaServer {
  /** SIGTERM, SIGKILL after 10 s, remove `root`. Idempotent. */
  stop(): Promise<void>
  /** SIGKILL at once (`root` is kept until `stop()`). */
  kill(): void
}

const live = new Set<ChildProcess>()
let hooked = false

/**
 * Starts `java args` in `root` (a directory of its own, removed by `stop()`) with its output in `logFile`, and
 * resolves once `ready` answers true (asked every `pollMs` until `deadlineMs`); `name` goes in the errors, which end
 * the process and carry the end of its log. A watchdog and an exit hook kill it when this process ends.
 */
export async function startJavaServer(opts: {
  name: string
  java: string
  args: string[]
  root: string
  logFile: string
  ready: () => Promise<boolean>
  deadlineMs: number
  pollMs: number
}): Promise<JavaServer> {
  const fd = openSync(opts.logFile, 'a')
  const child = spawn(opts.java, opts.args, { stdio: ['ignore', fd, fd], cwd: opts.root })
  closeSync(fd)
  live.add(child)
  if (!hooked) {
    hooked = true
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL')
    })
  }
  const watchdog = spawnWatchdog([child.pid], opts.root)
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
    await rm(opts.root, { recursive: true, force: true })
  }
  const deadline = Date.now() + opts.deadlineMs
  for (;;) {
    if (exited) {
      const log = await readFile(opts.logFile, 'utf8').catch(() => '')
      await stop()
      throw new Error(`${opts.name} exited at start:\n${log.split('\n').slice(-20).join('\n')}`)
    }
    if (await opts.ready().catch(() => false)) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`${opts.name} did not answer within ${opts.deadlineMs / 1000}s (log: ${opts.logFile})`)
    }
    await sleep(opts.pollMs)
  }
  return {
    stop,
    kill: () => {
      if (!exited) child.kill('SIGKILL')
    },
  }
}

/** Whether `url` answers with a status `ok` accepts within 2 s (the body is read and dropped). */
export async function answers(url: string, ok: (status: number) => boolean): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
  await res.arrayBuffer()
  return ok(res.status)
}
