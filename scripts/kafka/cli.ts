/**
 * npm run kafka -- start [--brokers 3] [--version 4.4.0] [--log-dir DIR]
 * npm run kafka -- fetch [--version 4.4.0]
 */
import { parseArgs } from 'node:util'
import { ensureKafka, KAFKA_VERSION, startKafka } from './harness.ts'

const USAGE = `usage: npm run kafka -- <command> [options]

commands:
  start   start a local KRaft cluster, print bootstrap.servers=..., run until Ctrl-C
  fetch   download the broker jars into .cache/kafka/<version> (done by start too)

options:
  --brokers 1|3     number of nodes for start (default 1)
  --version V       Kafka version (default ${KAFKA_VERSION})
  --log-dir DIR     keep broker logs in DIR instead of the temp data dir
`

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      brokers: { type: 'string', default: '1' },
      version: { type: 'string', default: KAFKA_VERSION },
      'log-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const command = positionals[0]
  if (values.help || !command) {
    process.stdout.write(USAGE)
    return values.help ? 0 : 2
  }
  if (command === 'fetch') {
    process.stdout.write(`${await ensureKafka(values.version)}\n`)
    return 0
  }
  if (command !== 'start') {
    process.stderr.write(`unknown command: ${command}\n${USAGE}`)
    return 2
  }
  const brokers = Number(values.brokers)
  if (brokers !== 1 && brokers !== 3) {
    process.stderr.write('--brokers must be 1 or 3\n')
    return 2
  }

  const abort = new AbortController()
  let stopRequestedAt = 0
  const onSignal = (sig: NodeJS.Signals) => {
    // A second Ctrl-C forces the exit (the harness' exit hook kills the brokers). One within
    // a second is ignored: `timeout` and some shells deliver the same interrupt twice.
    if (stopRequestedAt) {
      if (Date.now() - stopRequestedAt > 1_000) process.exit(130)
      return
    }
    stopRequestedAt = Date.now()
    process.stderr.write(`\n${sig}: stopping Kafka...\n`)
    abort.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const started = Date.now()
  const cluster = await startKafka({
    brokers,
    version: values.version,
    logDir: values['log-dir'],
    signal: abort.signal,
  })
  process.stderr.write(
    `Kafka ${values.version} up in ${((Date.now() - started) / 1000).toFixed(1)}s with ${brokers} broker(s); data: ${cluster.dataDir}\n` +
      `logs: ${cluster.logFiles.join(', ')}\nPress Ctrl-C to stop.\n`,
  )
  process.stdout.write(`bootstrap.servers=${cluster.bootstrapServers}\n`)

  // The abort signal stops the cluster; keep the process alive until then.
  const keepAlive = setInterval(() => {}, 1 << 30)
  await new Promise<void>((resolve) => {
    if (abort.signal.aborted) resolve()
    else abort.signal.addEventListener('abort', () => resolve(), { once: true })
  })
  await cluster.stop()
  clearInterval(keepAlive)
  process.stderr.write('Kafka stopped.\n')
  return 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    const aborted = err instanceof Error && err.name === 'AbortError'
    process.stderr.write(
      aborted ? 'Kafka startup cancelled.\n' : `kafka: ${err instanceof Error ? err.message : String(err)}\n`,
    )
    process.exitCode = aborted ? 130 : 1
  },
)
