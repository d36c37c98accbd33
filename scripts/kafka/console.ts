/**
 * Apache Kafka's own console producer and consumer (`kafka-console-producer` / `kafka-console-consumer`, i.e.
 * `org.apache.kafka.tools.ConsoleProducer` and `org.apache.kafka.tools.consumer.ConsoleConsumer` from the
 * kafka-tools jar the harness fetched), run with a client properties file, to check that Apache's clients accept
 * the same properties Ferry gets and to read or write records in a given compression.
 *
 * The properties go to a private temp file (`--command-config`), removed afterwards. When they name an OAuth token
 * endpoint, the JVM is given `-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=<that URL>` (Kafka 4.x refuses
 * OAuth URLs it was not told to allow). A failed run rejects with `ConsoleToolError`, whose message holds the
 * tool's last log lines (Kafka's own, e.g. `Authentication failed during authentication due to invalid credentials`).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureKafka, javaCommand, KAFKA_VERSION } from './harness.ts'
import { formatProperties, OAUTH_ALLOWED_URLS_PROPERTY } from './security.ts'

export interface ConsoleToolOptions {
  /** `bootstrap.servers`. */
  bootstrap: string
  topic: string
  /** Client properties (`security.protocol`, `ssl.*`, `sasl.*`, ...), passed as `--command-config`. */
  props?: Record<string, string>
  /** The whole run, JVM start included, is killed after this. Default 60 000. */
  timeoutMs?: number
  /** More JVM system properties. */
  systemProperties?: Record<string, string>
  version?: string
}

export interface ConsoleProducerOptions extends ConsoleToolOptions {
  /** One record per line. With `keySeparator`, `key<sep>value`. */
  lines: string[]
  compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'
  keySeparator?: string
  /**
   * Send each record alone and wait for it (`--sync`). Default false: the lines go out together after a 20 ms linger
   * (one compressed batch), a failed send still fails the run.
   */
  sync?: boolean
}

export interface ConsoleConsumerOptions extends ConsoleToolOptions {
  /** Stop after this many records. */
  maxMessages: number
  /** Give up when no record came for this long (`--timeout-ms`). Default 20 000. */
  idleTimeoutMs?: number
  /** Default: a fresh group per run, from the beginning. */
  group?: string
  /** Print `key<TAB>value` instead of the value. */
  printKey?: boolean
  /** `--isolation-level` (the tool's default: read_uncommitted). */
  isolationLevel?: 'read_committed' | 'read_uncommitted'
}

export class ConsoleToolError extends Error {
  readonly exitCode: number | null
  readonly output: string
  constructor(message: string, exitCode: number | null, output: string) {
    super(message)
    this.name = 'ConsoleToolError'
    this.exitCode = exitCode
    this.output = output
  }
}

/** Sends `lines` with Apache's console producer; resolves once all are acknowledged, rejects if any is not. */
export async function runConsoleProducer(opts: ConsoleProducerOptions): Promise<void> {
  // --timeout is the producer's linger.ms (the tool's default, 1000, costs a second per run).
  const args = ['--topic', opts.topic, '--timeout', opts.sync ? '0' : '20']
  if (opts.sync) args.push('--sync')
  if (opts.compression) args.push('--compression-codec', opts.compression)
  if (opts.keySeparator !== undefined) {
    args.push('--reader-property', 'parse.key=true', '--reader-property', `key.separator=${opts.keySeparator}`)
  }
  const input = opts.lines.length > 0 ? `${opts.lines.join('\n')}\n` : ''
  const { output } = await runTool('org.apache.kafka.tools.ConsoleProducer', args, opts, input)
  // A failed asynchronous send is only logged by the tool's callback (--sync exits 1 instead).
  const failed = output.indexOf('Error when sending message')
  if (failed >= 0) {
    const line = output
      .slice(failed)
      .split('\n')[0]
      ?.replace(/ \(org\.apache[^)]*\)$/, '')
    throw new ConsoleToolError(`console producer: ${line} ${summary(output.slice(failed))}`, 0, output)
  }
}

/** Reads up to `maxMessages` records with Apache's console consumer and returns them, one string each. */
export async function runConsoleConsumer(opts: ConsoleConsumerOptions): Promise<string[]> {
  const args = [
    '--topic',
    opts.topic,
    '--from-beginning',
    '--max-messages',
    String(opts.maxMessages),
    '--timeout-ms',
    String(opts.idleTimeoutMs ?? 20_000),
  ]
  if (opts.group) args.push('--group', opts.group)
  if (opts.printKey) args.push('--formatter-property', 'print.key=true')
  if (opts.isolationLevel) args.push('--isolation-level', opts.isolationLevel)
  const { stdout, output } = await runTool('org.apache.kafka.tools.consumer.ConsoleConsumer', args, opts, '')
  // The console consumer logs a fatal error (failed login, TLS handshake, authorization) and still exits 0.
  const fatal = output.indexOf('Error processing message, terminating consumer process')
  if (fatal >= 0) throw new ConsoleToolError(`console consumer failed: ${summary(output.slice(fatal))}`, 0, output)
  return stdout === '' ? [] : stdout.replace(/\n$/, '').split('\n')
}

const running = new Set<ChildProcess>()
let exitHook = false

async function runTool(
  mainClass: string,
  args: string[],
  opts: ConsoleToolOptions,
  input: string,
): Promise<{ stdout: string; output: string }> {
  const libs = await ensureKafka(opts.version ?? KAFKA_VERSION)
  const java = await javaCommand()
  const dir = await mkdtemp(join(tmpdir(), 'ferry-console-'))
  try {
    const props = opts.props ?? {}
    const config = join(dir, 'client.properties')
    await writeFile(config, formatProperties(props), { mode: 0o600 })
    const log4j = join(dir, 'log4j2.properties')
    await writeFile(log4j, LOG4J)
    const system: Record<string, string> = { ...opts.systemProperties }
    const tokenUrl = props['sasl.oauthbearer.token.endpoint.url']
    if (tokenUrl && !system[OAUTH_ALLOWED_URLS_PROPERTY]) system[OAUTH_ALLOWED_URLS_PROPERTY] = tokenUrl
    const jvm = [
      '-Xms32m',
      '-Xmx256m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-XX:-UsePerfData',
      '-Xshare:auto',
      '-Djava.net.preferIPv4Stack=true',
      `-Dlog4j2.configurationFile=${log4j}`,
      ...Object.entries(system).map(([k, v]) => `-D${k}=${v}`),
    ]
    const argv = [
      ...jvm,
      '-cp',
      join(libs, '*'),
      mainClass,
      '--bootstrap-server',
      opts.bootstrap,
      '--command-config',
      config,
      ...args,
    ]
    const timeoutMs = opts.timeoutMs ?? 60_000
    const tool = mainClass.endsWith('Producer') ? 'console producer' : 'console consumer'
    const res = await spawnTool(java, argv, input, timeoutMs)
    if (res.timedOut) {
      throw new ConsoleToolError(
        `${tool} did not finish within ${timeoutMs} ms; its log:\n${lastLines(res.stderr, 15)}`,
        null,
        res.stderr,
      )
    }
    if (res.code !== 0) {
      throw new ConsoleToolError(`${tool} exited with ${res.code}: ${summary(res.stderr)}`, res.code, res.stderr)
    }
    return { stdout: res.stdout, output: res.stderr }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function spawnTool(
  java: string,
  argv: string[],
  input: string,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  if (!exitHook) {
    exitHook = true
    process.on('exit', () => {
      for (const c of running) c.kill('SIGKILL')
    })
  }
  return new Promise((ok, ko) => {
    const child = spawn(java, argv, { stdio: ['pipe', 'pipe', 'pipe'] })
    running.add(child)
    let stdout = ''
    let stderr = ''
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    child.stdin.on('error', () => {}) // the tool may exit before reading everything (e.g. on a failed login)
    child.stdin.end(input)
    child.once('error', (err) => {
      clearTimeout(timer)
      running.delete(child)
      ko(err)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      running.delete(child)
      ok({ code, stdout, stderr, timedOut })
    })
  })
}

/** The telling lines of a failed tool's log: Kafka's exception and its causes (`a | Caused by: b`), else its tail. */
function summary(log: string): string {
  const lines = log.split('\n').map((l) => l.trim())
  const first = lines.findIndex((l) => /^[\w.$]+(Exception|Error): /.test(l))
  if (first < 0) return lastLines(log, 5)
  const causes = lines.slice(first + 1).filter((l) => l.startsWith('Caused by: '))
  return [lines[first], ...causes.slice(0, 3)].join(' | ')
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n')
}

/** Kafka's own log lines (WARN and up) to stderr, so stdout carries only the records. */
const LOG4J = `status = warn
appender.err.type = Console
appender.err.name = ERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = ERR
`
