/**
 * A real Apache Kafka broker for tests and local development, run from the
 * Maven Central jars (no Docker, no downloaded tarball).
 *
 * - `ensureKafka()` fetches `org.apache.kafka:kafka_2.13` (+ kafka-tools and a
 *   log4j2 binding) into `.cache/kafka/<version>/libs` with Maven, once.
 * - `startKafka()` formats fresh KRaft storage in a temp dir and starts one
 *   combined broker+controller node, or three combined nodes forming a
 *   controller quorum, on free loopback ports.
 * - `startSecuredKafka()` starts one node with TLS, mTLS, SASL (PLAIN, SCRAM)
 *   and OAUTHBEARER listeners and an ACL authorizer beside PLAINTEXT; see
 *   ./security.ts for the listeners, ./certs.ts and ./oauth.ts for the
 *   certificates and tokens, ./console.ts for Apache's console clients.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, fstatSync, openSync, readSync, rmSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { type AddressInfo, createServer, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import type { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { makeCertificates } from './certs.ts'
import {
  LISTENERS,
  type PreparedSecurity,
  prepareSecurity,
  type SecuredKafkaCluster,
  type SecurityOptions,
} from './security.ts'

export type { SecuredKafkaCluster, SecurityOptions } from './security.ts'

/** Kafka release used by default (org.apache.kafka:kafka_2.13 on Maven Central). */
export const KAFKA_VERSION = '4.4.0'
/** Kafka 4.x logs through slf4j 1.7 and ships log4j2 with log4j-slf4j-impl; same here. */
const LOG4J_VERSION = '2.24.3'

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..')
const CACHE_ROOT = join(REPO_ROOT, '.cache', 'kafka')
const MARKER = '.complete'
const STARTUP_DEADLINE_MS = 90_000
const STOP_GRACE_MS = 15_000

const JAVA_MISSING =
  'Java 17+ is needed to run the local Kafka broker: install a JDK (e.g. apt install openjdk-17-jre-headless) or set bootstrap.servers to an existing broker'
const MVN_MISSING =
  'Maven is needed to fetch the Kafka broker jars: install it (e.g. apt install maven) or set bootstrap.servers to an existing broker'

export interface StartKafkaOptions {
  /** 1 = one combined broker+controller; 3 = three combined nodes (controller quorum of 3). */
  brokers?: 1 | 3
  version?: string
  /** Directory for the broker log files; they then survive `stop()`. Default: the cluster's data dir. */
  logDir?: string
  /** Aborting stops the cluster (or cancels a startup in progress). */
  signal?: AbortSignal
  /**
   * Extra `server.properties` for node `index` (0-based), added to (and replacing) the harness's own: e.g. each
   * node's `broker.rack` and a `replica.selector.class`.
   */
  nodeProperties?: (index: number) => Record<string, string | number | boolean>
}

export interface KafkaCluster {
  /** Comma-separated `127.0.0.1:port` list, one per broker. */
  bootstrapServers: string
  brokers: number
  /** Temp dir holding configs and KRaft storage; removed by `stop()`. */
  dataDir: string
  /** One broker log (stdout+stderr) per node. */
  logFiles: readonly string[]
  /** SIGTERM, wait, SIGKILL after a timeout, remove the data dir. Idempotent. */
  stop(): Promise<void>
  /** Stops one node (0-based) as `stop` does, keeping its data, so it can be started again. */
  stopNode(index: number): Promise<void>
  /** Starts a stopped node again on the same ports and data; resolves once every node sees all brokers. */
  startNode(index: number): Promise<void>
}

// ---------------------------------------------------------------- fetching jars

export function kafkaCacheDir(version: string = KAFKA_VERSION): string {
  return join(CACHE_ROOT, version)
}

/**
 * Makes sure the broker jars for `version` are in `.cache/kafka/<version>/libs`
 * and returns that directory. Fast (one stat) when already present.
 */
export async function ensureKafka(version: string = KAFKA_VERSION): Promise<string> {
  if (!/^[0-9][0-9A-Za-z.-]*$/.test(version)) throw new Error(`invalid Kafka version: ${JSON.stringify(version)}`)
  const dir = kafkaCacheDir(version)
  const libs = join(dir, 'libs')
  if (existsSync(join(dir, MARKER))) return libs

  await javaCommand() // mvn itself needs Java: give the clearer message first
  await mkdir(CACHE_ROOT, { recursive: true })
  const release = await acquireLock(`${dir}.lock`, () => existsSync(join(dir, MARKER)))
  if (!release) return libs // another process finished the download while we waited
  let tmp: string | undefined
  try {
    if (existsSync(join(dir, MARKER))) return libs
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'pom.xml'), pomXml(version))
    tmp = join(dir, `libs.tmp-${process.pid}`)
    await rm(tmp, { recursive: true, force: true })
    process.stderr.write(
      `Fetching Kafka ${version} jars with Maven into ${relative(process.cwd(), dir) || '.'} (one time)...\n`,
    )
    const started = Date.now()
    const res = await run(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        join(dir, 'pom.xml'),
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${tmp}`,
      ],
      { cwd: dir },
    )
    if (res.error)
      throw new Error(
        (res.error as NodeJS.ErrnoException).code === 'ENOENT'
          ? MVN_MISSING
          : `could not run mvn: ${res.error.message}`,
      )
    if (res.code !== 0) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strip ANSI colours from Maven output
      const clean = res.output.replace(/\x1b\[[0-9;]*m/g, '')
      const reason = clean.split('\n').find((l) => l.startsWith('[ERROR] '))
      throw new Error(
        `Maven could not fetch Kafka ${version} (exit ${res.code}): ${reason ? reason.slice(8) : `\n${lastLines(clean, 25)}`}`,
      )
    }
    const jars = (await readdir(tmp)).filter((f) => f.endsWith('.jar'))
    if (!jars.some((j) => j.startsWith(`kafka_2.13-${version}`)))
      throw new Error(`Maven finished but kafka_2.13-${version}.jar is missing in ${tmp}`)
    await rm(libs, { recursive: true, force: true })
    await rename(tmp, libs)
    await writeFile(join(dir, MARKER), `${jars.sort().join('\n')}\n`)
    process.stderr.write(`Fetched ${jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)}s.\n`)
    return libs
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true })
    await release()
  }
}

function pomXml(version: string): string {
  const dep = (g: string, a: string, v: string) =>
    `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/kafka/harness.ts: the jars a local Kafka ${version} broker needs. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.ferry.cache</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
${dep('org.apache.kafka', 'kafka_2.13', version)}
${dep('org.apache.kafka', 'kafka-tools', version)}
${dep('org.apache.logging.log4j', 'log4j-slf4j-impl', LOG4J_VERSION)}
${dep('org.apache.logging.log4j', 'log4j-core', LOG4J_VERSION)}
  </dependencies>
</project>
`
}

/**
 * mkdir-based lock. Returns a release function, or undefined when `done()`
 * became true while waiting. Locks of dead processes (or older than 20 min) are broken.
 */
export async function acquireLock(
  lockDir: string,
  done: () => boolean,
  what = 'Kafka jars',
): Promise<(() => Promise<void>) | undefined> {
  const deadline = Date.now() + 20 * 60_000
  let announced = false
  for (;;) {
    try {
      await mkdir(lockDir)
      await writeFile(join(lockDir, 'owner'), String(process.pid))
      return () => rm(lockDir, { recursive: true, force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    if (done()) return undefined
    if (await lockIsStale(lockDir)) {
      await rm(lockDir, { recursive: true, force: true })
      continue
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for the lock ${lockDir} (remove it if no other process is fetching ${what})`)
    if (!announced) {
      process.stderr.write(`Waiting for another process fetching ${what} (${lockDir})...\n`)
      announced = true
    }
    await sleep(500)
  }
}

async function lockIsStale(lockDir: string): Promise<boolean> {
  try {
    const info = await stat(lockDir)
    if (Date.now() - info.mtimeMs > 20 * 60_000) return true
    const pid = Number((await readFile(join(lockDir, 'owner'), 'utf8')).trim())
    if (!pid) return Date.now() - info.mtimeMs > 10_000 // owner file not written yet
    try {
      process.kill(pid, 0)
      return false
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH'
    }
  } catch {
    return false // vanished in between, or owner file not there yet: just retry
  }
}

// ---------------------------------------------------------------- java

let javaPromise: Promise<string> | undefined

/** The `java` executable to use (JAVA_HOME first), checked to be Java 17+. */
export function javaCommand(): Promise<string> {
  javaPromise ??= (async () => {
    const home = process.env.JAVA_HOME
    const java = home && existsSync(join(home, 'bin', 'java')) ? join(home, 'bin', 'java') : 'java'
    const res = await run(java, ['-version'])
    if (res.error) throw new Error(JAVA_MISSING)
    const m = /version "(\d+)(?:\.(\d+))?/.exec(res.output)
    const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : Number.NaN
    if (!(major >= 17)) throw new Error(`${JAVA_MISSING} (found: ${res.output.split('\n')[0]?.trim()})`)
    return java
  })()
  javaPromise.catch(() => {
    javaPromise = undefined
  })
  return javaPromise
}

// ---------------------------------------------------------------- starting a cluster

interface Node {
  id: number
  port: number
  controllerPort: number
  dirId: string
  dir: string
  config: string
  logFile: string
  /** JVM system properties beyond the defaults (the secured node's OAuth allow-lists). */
  jvmArgs: string[]
  child?: ChildProcess
}

interface Live {
  nodes: Node[]
  dataDir: string
  watchdog?: ChildProcess
}

const live = new Set<Live>()

export function startKafka(opts: StartKafkaOptions = {}): Promise<KafkaCluster> {
  return start(opts, undefined)
}

export interface StartSecuredKafkaOptions extends Omit<StartKafkaOptions, 'brokers'>, SecurityOptions {}

/**
 * One combined node with the secured listeners of ./security.ts (SSL, MTLS, SASL_PLAINTEXT, SASL_SSL, OAUTH,
 * WRONG_HOST) beside PLAINTEXT, SCRAM users made at format time and the StandardAuthorizer. Resolves once every
 * listener has answered a Metadata request through its own TLS and SASL handshakes.
 */
export function startSecuredKafka(opts: StartSecuredKafkaOptions = {}): Promise<SecuredKafkaCluster> {
  const { users, certificates, oauth, connectionsMaxReauthMs, ...rest } = opts
  return start(
    { ...rest, brokers: 1 },
    { users, certificates, oauth, connectionsMaxReauthMs },
  ) as Promise<SecuredKafkaCluster>
}

async function start(opts: StartKafkaOptions, security: SecurityOptions | undefined): Promise<KafkaCluster> {
  const count = opts.brokers ?? 1
  if (count !== 1 && count !== 3) throw new Error(`brokers must be 1 or 3, got ${String(count)}`)
  const version = opts.version ?? KAFKA_VERSION
  opts.signal?.throwIfAborted()
  const libs = await ensureKafka(version).catch((err: unknown) => {
    throw opts.signal?.aborted ? opts.signal.reason : err
  })
  const java = await javaCommand()
  if (opts.logDir) await mkdir(opts.logDir, { recursive: true })

  // Ports are picked by binding port 0 and released before Kafka binds them;
  // if another process grabs one in between, retry with fresh ports.
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted()
    try {
      return await startOnce(count, libs, java, opts, security)
    } catch (err) {
      if (!(err instanceof PortClashError) || attempt >= 3) throw err
    }
  }
}

class PortClashError extends Error {}

async function startOnce(
  count: 1 | 3,
  libs: string,
  java: string,
  opts: StartKafkaOptions,
  security: SecurityOptions | undefined,
): Promise<KafkaCluster> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ferry-kafka-'))
  const securedPorts = security ? LISTENERS.length - 1 : 0 // PLAINTEXT is the node's own port
  const ports = await freePorts(count * 2 + securedPorts)
  const clusterId = kafkaUuid()
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  const nodes: Node[] = []
  for (let i = 0; i < count; i++) {
    const id = i + 1
    const dir = join(dataDir, `node${id}`)
    nodes.push({
      id,
      port: ports[2 * i] as number,
      controllerPort: ports[2 * i + 1] as number,
      dirId: kafkaUuid(),
      dir,
      config: join(dir, 'server.properties'),
      logFile: opts.logDir
        ? join(opts.logDir, `kafka-${stamp}-${process.pid}-${clusterId.slice(0, 6)}-node${id}.log`)
        : join(dir, 'kafka.log'),
      jvmArgs: [],
    })
  }
  const state: Live = { nodes, dataDir }
  live.add(state)
  installExitHooks()

  const log4j = join(dataDir, 'log4j2.properties')
  const toolsLog4j = join(dataDir, 'tools-log4j2.properties')
  await writeFile(log4j, log4jConfig('INFO'))
  await writeFile(toolsLog4j, log4jConfig('WARN'))
  let secured: PreparedSecurity | undefined

  try {
    if (security) {
      const node = nodes[0] as Node
      const dir = join(dataDir, 'security')
      await mkdir(dir, { recursive: true })
      secured = await prepareSecurity({
        dir,
        ports: [node.port, ...ports.slice(count * 2)],
        controllerPort: node.controllerPort,
        certificates: security.certificates ?? (await makeCertificates(join(dir, 'certs'))),
        security,
      })
      node.jvmArgs = secured.jvmArgs
    }
    for (const [index, node] of nodes.entries()) {
      await mkdir(node.dir, { recursive: true })
      const overrides = { ...secured?.serverProps, ...opts.nodeProperties?.(index) }
      await writeFile(node.config, serverProperties(node, nodes, overrides))
    }

    // Kafka 4.x: `format` needs the cluster id and, for a dynamic controller quorum,
    // either --standalone (single controller) or --initial-controllers id@host:port:directoryId.
    const quorum =
      count === 1
        ? ['--standalone']
        : ['--initial-controllers', nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}:${n.dirId}`).join(',')]
    await Promise.all(
      nodes.map(async (node) => {
        const res = await run(java, [
          ...jvmArgs('256m'),
          `-Dlog4j2.configurationFile=${toolsLog4j}`,
          '-cp',
          join(libs, '*'),
          'kafka.tools.StorageTool',
          'format',
          '--config',
          node.config,
          '--cluster-id',
          clusterId,
          ...quorum,
          ...(secured?.formatArgs ?? []),
        ])
        if (res.error || res.code !== 0) {
          throw new Error(
            `kafka-storage format failed for node ${node.id} (exit ${res.code}): ${res.error?.message ?? lastLines(res.output, 20)}`,
          )
        }
      }),
    )

    for (const node of nodes) {
      opts.signal?.throwIfAborted()
      spawnNode(node, java, libs, log4j)
    }

    state.watchdog = spawnWatchdog(
      nodes.map((n) => n.child?.pid),
      dataDir,
    )
    await waitReady(nodes, opts.signal)
    await secured?.waitListeners(Date.now() + 30_000, opts.signal)
  } catch (err) {
    killNow(state, false)
    live.delete(state)
    await Promise.all(nodes.map((n) => waitExit(n.child, 5_000)))
    const aborted = opts.signal?.aborted === true
    if (aborted || err instanceof PortClashError) {
      await rm(dataDir, { recursive: true, force: true, maxRetries: 3 })
      throw aborted ? opts.signal?.reason : err
    }
    // A real failure: keep the data dir (configs, and the logs unless logDir is set) for inspection.
    const logs = nodes.map((n) => `--- ${n.logFile} (last lines)\n${lastLines(safeRead(n.logFile), 30)}`).join('\n')
    const message = err instanceof Error ? err.message : String(err)
    throw new Error(
      `Kafka did not start: ${message}\n${logs}\nbroker logs: ${nodes.map((n) => n.logFile).join(', ')}`,
      {
        cause: err,
      },
    )
  }

  let stopping: Promise<void> | undefined
  const onAbort = () => void cluster.stop()
  const cluster: KafkaCluster = {
    bootstrapServers: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    brokers: count,
    dataDir,
    logFiles: nodes.map((n) => n.logFile),
    async stopNode(index: number) {
      const node = nodes[index]
      if (!node) throw new Error(`no node ${index}`)
      await stopNodes([node.child])
    },
    async startNode(index: number) {
      const node = nodes[index]
      if (!node) throw new Error(`no node ${index}`)
      if (node.child && node.child.exitCode === null && node.child.signalCode === null) return
      spawnNode(node, java, libs, log4j)
      state.watchdog?.kill('SIGKILL')
      state.watchdog = spawnWatchdog(
        nodes.map((n) => n.child?.pid),
        dataDir,
      )
      await waitReady(nodes, opts.signal)
    },
    stop() {
      stopping ??= (async () => {
        opts.signal?.removeEventListener('abort', onAbort)
        await stopNodes(nodes.map((n) => n.child))
        state.watchdog?.kill('SIGKILL')
        live.delete(state)
        await rm(dataDir, { recursive: true, force: true, maxRetries: 3 })
      })()
      return stopping
    },
  }
  opts.signal?.addEventListener('abort', onAbort, { once: true })
  return secured ? secured.extend(cluster) : cluster
}

/** Starts one node's broker process, its output appended to its log file. */
function spawnNode(node: Node, java: string, libs: string, log4j: string): void {
  const fd = openSync(node.logFile, 'a')
  try {
    node.child = spawn(
      java,
      [
        ...jvmArgs('512m'),
        ...node.jvmArgs,
        `-Dlog4j2.configurationFile=${log4j}`,
        `-Dkafka.logs.dir=${node.dir}`,
        '-cp',
        join(libs, '*'),
        'kafka.Kafka',
        node.config,
      ],
      { cwd: node.dir, stdio: ['ignore', fd, fd] },
    )
  } finally {
    closeSync(fd)
  }
  node.child.on('error', () => {}) // surfaced through exitCode / the readiness wait
}

function jvmArgs(heap: string): string[] {
  return [
    '-Xms64m',
    `-Xmx${heap}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:TieredStopAtLevel=1', // C1 only: faster startup, plenty for tests
    '-XX:-UsePerfData',
    '-Djava.awt.headless=true',
    '-Djava.net.preferIPv4Stack=true',
  ]
}

/** The node's broker properties; `overrides` (the secured listeners, `nodeProperties`) replace or add keys. */
function serverProperties(
  node: Node,
  nodes: Node[],
  overrides: Record<string, string | number | boolean> = {},
): string {
  const n = nodes.length
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': node.id,
    listeners: `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'controller.quorum.bootstrap.servers': nodes.map((x) => `127.0.0.1:${x.controllerPort}`).join(','),
    'log.dirs': join(node.dir, 'data'),
    'num.partitions': 1,
    'default.replication.factor': n,
    'min.insync.replicas': 1,
    'auto.create.topics.enable': true,
    'delete.topic.enable': true,
    'group.initial.rebalance.delay.ms': 0,
    'offsets.topic.replication.factor': n,
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': n,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 10,
    'share.coordinator.state.topic.replication.factor': n,
    'share.coordinator.state.topic.min.isr': 1,
    'num.network.threads': 2,
    'num.io.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
    'log.flush.interval.messages': Number.MAX_SAFE_INTEGER,
    'controlled.shutdown.enable': true,
    ...overrides,
  }
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('\n')}\n`
}

function log4jConfig(level: 'INFO' | 'WARN'): string {
  return `status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = ${level}
rootLogger.appenderRef.out.ref = OUT
`
}

/** A random Kafka Uuid (22 chars base64url); Kafka avoids ones starting with '-' (they look like CLI flags). */
function kafkaUuid(): string {
  for (;;) {
    const s = randomBytes(16).toString('base64url')
    if (!s.startsWith('-') && !/^A{21}[AB]$/.test(s)) return s
  }
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((ok, ko) => {
          const srv = createServer()
          srv.once('error', ko)
          srv.listen(0, '127.0.0.1', () => ok(srv))
        }),
    ),
  )
  const ports = servers.map((s) => (s.address() as AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))))
  return ports
}

async function waitReady(nodes: Node[], signal: AbortSignal | undefined): Promise<void> {
  const deadline = Date.now() + STARTUP_DEADLINE_MS
  const pending = new Set(nodes)
  let lastError = 'no answer yet'
  while (pending.size > 0) {
    signal?.throwIfAborted()
    for (const node of pending) {
      const child = node.child
      if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
        const log = safeRead(node.logFile)
        if (/BindException|Address already in use/.test(log)) throw new PortClashError(`port clash on node ${node.id}`)
        throw new Error(`node ${node.id} exited early (${child?.exitCode ?? child?.signalCode ?? 'not started'})`)
      }
      try {
        const brokers = await probeBrokerCount(node.port, 2_000)
        if (brokers >= nodes.length) pending.delete(node)
        else lastError = `node ${node.id} sees ${brokers}/${nodes.length} brokers`
      } catch (err) {
        lastError = `node ${node.id}: ${(err as Error).message}`
      }
    }
    if (pending.size === 0) break
    if (Date.now() > deadline) throw new Error(`no answer within ${STARTUP_DEADLINE_MS / 1000}s (${lastError})`)
    await sleep(250, undefined, { signal }).catch(() => {})
  }
}

/**
 * Sends a Metadata v4 request (no topics) and returns how many brokers the
 * node reports. A KRaft broker only accepts requests once it is unfenced.
 */
export function probeBrokerCount(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const clientId = Buffer.from('ferry-harness')
    const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4 + 1)
    let o = 0
    o = body.writeInt16BE(3, o) // api key: Metadata
    o = body.writeInt16BE(4, o) // api version 4 (request header v1, response header v0)
    o = body.writeInt32BE(7, o) // correlation id
    o = body.writeInt16BE(clientId.length, o)
    o += clientId.copy(body, o)
    o = body.writeInt32BE(0, o) // topics: empty array
    body.writeInt8(0, o) // allow_auto_topic_creation=false
    const size = Buffer.alloc(4)
    size.writeInt32BE(body.length)

    const socket = new Socket()
    let buf = Buffer.alloc(0)
    const done = (err: Error | undefined, value?: number) => {
      socket.destroy()
      if (err) reject(err)
      else resolvePromise(value as number)
    }
    socket.setTimeout(timeoutMs, () => done(new Error('metadata request timed out')))
    socket.once('error', (err) => done(err))
    socket.once('close', () => done(new Error('connection closed')))
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk])
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return
      // size, correlation id, throttle_time_ms, brokers array length
      if (buf.length < 16 || buf.readInt32BE(4) !== 7) return done(new Error('unexpected metadata response'))
      done(undefined, buf.readInt32BE(12))
    })
    socket.connect(port, host, () => socket.write(Buffer.concat([size, body])))
  })
}

// ---------------------------------------------------------------- stopping

const isRunning = (c: ChildProcess | undefined): c is ChildProcess =>
  !!c && c.exitCode === null && c.signalCode === null

/** SIGTERM every node, wait up to STOP_GRACE_MS, then SIGKILL what is left. */
async function stopNodes(children: (ChildProcess | undefined)[]): Promise<void> {
  const running = children.filter(isRunning)
  for (const c of running) c.kill('SIGTERM')
  const deadline = Date.now() + STOP_GRACE_MS
  let aloneSince: number | undefined
  while (running.some(isRunning) && Date.now() < deadline) {
    // The last node of a multi-node quorum waits ~5s for its departed peers
    // (Raft's graceful resign timeout); the data is thrown away, so cut that short.
    if (running.length > 1 && running.filter(isRunning).length === 1) {
      aloneSince ??= Date.now()
      if (Date.now() - aloneSince > 1_000) break
    }
    await sleep(50)
  }
  for (const c of running.filter(isRunning)) c.kill('SIGKILL')
  await Promise.all(running.map((c) => waitExit(c, 5_000)))
}

function waitExit(child: ChildProcess | undefined, ms: number): Promise<boolean> {
  if (!isRunning(child)) return Promise.resolve(true)
  return new Promise((ok) => {
    const timer = setTimeout(() => ok(false), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      ok(true)
    })
  })
}

/** Synchronous last-resort kill (process exit / signals). */
function killNow(state: Live, removeDir: boolean): void {
  state.watchdog?.kill('SIGKILL')
  for (const node of state.nodes) {
    if (isRunning(node.child)) node.child.kill('SIGKILL')
  }
  if (removeDir) {
    try {
      rmSync(state.dataDir, { recursive: true, force: true })
    } catch {
      // best effort while exiting
    }
  }
}

/**
 * Exit hooks do not run when this process is SIGKILLed or crashes hard. A tiny
 * detached shell blocks reading a pipe from us; when the pipe closes (we are
 * gone) it kills `pids` (the brokers, an Apache worker) and removes `removeDir`
 * when given. Kill the watchdog on a normal stop.
 */
export function spawnWatchdog(pids: ReadonlyArray<number | undefined>, removeDir?: string): ChildProcess | undefined {
  const ids = pids.flatMap((pid) => (pid ? [String(pid)] : []))
  if (ids.length === 0) return undefined
  const script = removeDir
    ? 'read _; kill -9 "$@" 2>/dev/null; sleep 1; rm -rf "$0"'
    : 'read _; kill -9 "$@" 2>/dev/null'
  try {
    const dog = spawn('/bin/sh', ['-c', script, removeDir ?? 'watchdog', ...ids], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    })
    dog.on('error', () => {})
    dog.unref()
    ;(dog.stdin as (Writable & { unref?: () => void }) | null)?.unref?.()
    return dog
  } catch {
    return undefined // best effort: the exit hooks still cover normal exits and signals
  }
}

let hooksInstalled = false

/**
 * Brokers must not outlive this process. On exit, kill them. On SIGINT/SIGTERM/SIGHUP:
 * if nobody else listens for the signal, kill them and die by the signal as Node
 * would have; if someone does (e.g. the CLI stopping gracefully), leave it to them.
 */
function installExitHooks(): void {
  if (hooksInstalled) return
  hooksInstalled = true
  process.on('exit', () => {
    for (const state of live) killNow(state, true)
  })
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      if (process.listenerCount(sig) > 1) return
      for (const state of live) killNow(state, true)
      process.removeListener(sig, handler)
      process.kill(process.pid, sig)
    }
    process.on(sig, handler)
  }
}

// ---------------------------------------------------------------- helpers

interface RunResult {
  code: number | null
  output: string
  error?: Error
}

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<RunResult> {
  return new Promise((ok) => {
    let output = ''
    let child: ChildProcess
    try {
      child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    } catch (error) {
      ok({ code: null, output, error: error as Error })
      return
    }
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      output += d
    })
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      output += d
    })
    child.once('error', (error) => ok({ code: null, output, error }))
    child.once('close', (code) => ok({ code, output }))
  })
}

/** The tail (last 64 KiB) of a possibly large log file, or '' if unreadable. */
function safeRead(file: string): string {
  try {
    const fd = openSync(file, 'r')
    try {
      const size = fstatSync(fd).size
      const buf = Buffer.alloc(Math.min(size, 64 * 1024))
      readSync(fd, buf, 0, buf.length, size - buf.length)
      return buf.toString('utf8')
    } finally {
      closeSync(fd)
    }
  } catch {
    return ''
  }
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n')
}
