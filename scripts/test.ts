// The runner behind `npm test`.
//
//   npm test                               all tests; starts one shared single-node Kafka broker
//   npm test -- --unit                     unit tests only (no broker)
//   npm test -- packages/api               only files whose path contains "packages/api"
//   npm test -- --test-name-pattern=foo    node --test flags pass through
//   npm test -- --suite search             a suite kept out of `npm test` (SUITES), e.g. `npm run test:search`
//
// Test files: packages/**/test/**/*.test.ts, scripts/**/test/**/*.test.ts and test/**/*.test.ts
// (node_modules skipped). *.integration.test.ts files are integration tests: they find the shared
// broker's bootstrap servers in FERRY_TEST_BOOTSTRAP (an already set FERRY_TEST_BOOTSTRAP is used
// as is and no broker is started).

import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, statSync, unlinkSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { type KafkaCluster, REPO_ROOT, startKafka } from './kafka/harness.ts'

const ROOTS = ['packages', 'scripts', 'test']
/**
 * Suites too slow for every `npm test`, each behind its own npm script (docs/testing.md): their files run only with
 * `--suite <name>`, and every other run leaves them out, saying so when a filter named one.
 */
const SUITES: Record<string, readonly string[]> = {
  // Elasticsearch 7.10 and OpenSearch 3.8, one after the other: three minutes and more on the shared machine.
  search: ['packages/connectors/elasticsearch/test/servers.integration.test.ts'],
}
const LOG_DIR = join(REPO_ROOT, '.cache', 'kafka', 'logs')
const KEEP_LOGS = 20
/** The longest one test may run (the slowest take about a minute on the shared two-core machine). */
const TEST_TIMEOUT_MS = 10 * 60 * 1000
/** node --test flags that take their value as the next argument. */
const VALUE_FLAGS = new Set([
  '--test-name-pattern',
  '--test-skip-pattern',
  '--test-reporter',
  '--test-reporter-destination',
  '--test-concurrency',
  '--test-timeout',
  '--test-shard',
  '--test-isolation',
])

function findTestFiles(): string[] {
  const out: string[] = []
  const walk = (dir: string) => {
    let entries: import('node:fs').Dirent[]
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue
      const full = join(dir, e.name)
      if (e.isDirectory()) walk(full)
      else if (e.isFile() && e.name.endsWith('.test.ts')) {
        const segments = relative(REPO_ROOT, full).split(sep)
        // packages/**/test/**, scripts/**/test/**, test/**: a `test` dir somewhere in the path
        if (segments.slice(0, -1).includes('test')) out.push(relative(REPO_ROOT, full).split(sep).join('/'))
      }
    }
  }
  for (const root of ROOTS) walk(join(REPO_ROOT, root))
  return out.sort()
}

function parse(argv: string[]): { unit: boolean; suite: string | undefined; filters: string[]; nodeArgs: string[] } {
  let unit = false
  let suite: string | undefined
  const filters: string[] = []
  const nodeArgs: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') continue
    if (arg === '--unit') unit = true
    else if (arg === '--suite') {
      suite = argv[++i]
      if (suite === undefined || !(suite in SUITES))
        throw new Error(`--suite needs one of ${Object.keys(SUITES).join(', ')}, got ${suite ?? 'nothing'}`)
    } else if (arg.startsWith('-')) {
      nodeArgs.push(arg)
      if (VALUE_FLAGS.has(arg) && i + 1 < argv.length) nodeArgs.push(argv[++i] as string)
    } else filters.push(arg.replace(/^\.\//, '').replace(/\\/g, '/'))
  }
  return { unit, suite, filters, nodeArgs }
}

function pruneLogs(): void {
  try {
    const logs = readdirSync(LOG_DIR)
      .filter((f) => f.endsWith('.log'))
      .map((f) => ({ f, t: statSync(join(LOG_DIR, f)).mtimeMs }))
      .sort((a, b) => b.t - a.t)
    for (const { f } of logs.slice(KEEP_LOGS)) unlinkSync(join(LOG_DIR, f))
  } catch {
    // no logs yet
  }
}

async function main(): Promise<number> {
  const { unit, suite, filters, nodeArgs } = parse(process.argv.slice(2))
  const suiteFiles = new Set(Object.values(SUITES).flat())
  let files = findTestFiles()
  const left = files.filter((f) => suiteFiles.has(f) && !SUITES[suite ?? '']?.includes(f))
  files = suite ? files.filter((f) => SUITES[suite]?.includes(f)) : files.filter((f) => !suiteFiles.has(f))
  for (const f of left.filter((f) => filters.some((filter) => f.includes(filter)))) {
    const name = Object.keys(SUITES).find((k) => SUITES[k]?.includes(f))
    process.stderr.write(`${f} is left out: it runs with npm run test:${name} (--suite ${name})\n`)
  }
  if (unit) files = files.filter((f) => !f.endsWith('.integration.test.ts'))
  if (filters.length > 0) files = files.filter((f) => filters.some((filter) => f.includes(filter)))
  if (files.length === 0) {
    process.stderr.write(
      `no ${unit ? 'unit ' : ''}test files${filters.length ? ` matching ${filters.join(', ')}` : ''}\n`,
    )
    return filters.length || suite ? 1 : 0
  }

  const env = { ...process.env }
  let cluster: KafkaCluster | undefined
  // Only integration tests need the broker; unit-only selections skip its startup.
  if (!env.FERRY_TEST_BOOTSTRAP && files.some((f) => f.endsWith('.integration.test.ts'))) {
    const started = Date.now()
    pruneLogs()
    cluster = await startKafka({ brokers: 1, logDir: LOG_DIR })
    env.FERRY_TEST_BOOTSTRAP = cluster.bootstrapServers
    process.stderr.write(
      `Kafka test broker at ${cluster.bootstrapServers} (up in ${((Date.now() - started) / 1000).toFixed(1)}s, log: ${relative(process.cwd(), cluster.logFiles[0] ?? '')})\n`,
    )
  }

  let child: ChildProcess | undefined
  let interrupted = false
  let interruptedAt = 0
  const onSignal = (sig: NodeJS.Signals) => {
    // A second Ctrl-C (not the duplicate some tools send at once) forces the exit;
    // the harness' exit hook then kills the broker.
    if (interrupted) {
      if (Date.now() - interruptedAt > 1_000) process.exit(130)
      return
    }
    interrupted = true
    interruptedAt = Date.now()
    child?.kill(sig)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  let code: number
  try {
    // A test that hangs (a request lost on a dead connection, a promise never settled) fails after TEST_TIMEOUT_MS
    // instead of holding the whole run; --test-timeout on the command line wins.
    const timeout = nodeArgs.some((a) => a.startsWith('--test-timeout')) ? [] : [`--test-timeout=${TEST_TIMEOUT_MS}`]
    const args = ['--test', '--test-reporter=spec', '--test-concurrency=2', ...timeout, ...nodeArgs, ...files]
    code = await new Promise<number>((resolve, reject) => {
      child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: 'inherit' })
      child.once('error', reject)
      child.once('exit', (c, signal) => resolve(c ?? (signal === 'SIGINT' ? 130 : 1)))
    })
  } finally {
    await cluster?.stop()
  }
  if (code !== 0 && cluster)
    process.stderr.write(`Kafka test broker log: ${relative(process.cwd(), cluster.logFiles[0] ?? '')}\n`)
  return interrupted && code === 0 ? 130 : code
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`npm test: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  },
)
