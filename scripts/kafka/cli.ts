/**
 * npm run kafka -- start [--brokers 3] [--secure] [--version 4.4.0] [--log-dir DIR]
 * npm run kafka -- fetch [--version 4.4.0]
 */
import { parseArgs } from 'node:util'
import { ensureKafka, KAFKA_VERSION, type SecuredKafkaCluster, startKafka, startSecuredKafka } from './harness.ts'
import type { TokenEndpoint } from './oauth.ts'
import { formatProperties, type ListenerName, type SaslMechanism } from './security.ts'

const USAGE = `usage: npm run kafka -- <command> [options]

commands:
  start   start a local KRaft cluster, print bootstrap.servers=..., run until Ctrl-C
  fetch   download the broker jars into .cache/kafka/<version> (done by start too)

options:
  --brokers 1|3     number of nodes for start (default 1)
  --secure          one node with SSL, MTLS, SASL_PLAINTEXT, SASL_SSL, OAUTH and WRONG_HOST listeners
                    beside PLAINTEXT; prints each listener's address and client properties
  --version V       Kafka version (default ${KAFKA_VERSION})
  --log-dir DIR     keep broker logs in DIR instead of the temp data dir
`

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      brokers: { type: 'string', default: '1' },
      secure: { type: 'boolean', default: false },
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

  if (values.secure) {
    if (brokers !== 1) {
      process.stderr.write('--secure starts one node: leave out --brokers 3\n')
      return 2
    }
    const started = Date.now()
    const cluster = await startSecuredKafka({
      version: values.version,
      logDir: values['log-dir'],
      signal: abort.signal,
    })
    const tokens = await cluster.startTokenEndpoint()
    process.stderr.write(
      `Kafka ${values.version} up in ${((Date.now() - started) / 1000).toFixed(1)}s with secured listeners; data: ${cluster.dataDir}\n` +
        `logs: ${cluster.logFiles.join(', ')}\n`,
    )
    process.stdout.write(describeSecured(cluster, tokens))
    process.stderr.write('Press Ctrl-C to stop.\n')
    await untilAborted(abort.signal)
    await cluster.stop()
    process.stderr.write('Kafka stopped.\n')
    return 0
  }

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

  await untilAborted(abort.signal)
  await cluster.stop()
  process.stderr.write('Kafka stopped.\n')
  return 0
}

/** The abort signal stops the cluster; keep the process alive until then. */
async function untilAborted(signal: AbortSignal): Promise<void> {
  const keepAlive = setInterval(() => {}, 1 << 30)
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => resolve(), { once: true })
  })
  clearInterval(keepAlive)
}

/** Every listener's address and sample client properties (a local test broker's throwaway secrets, shown on purpose). */
function describeSecured(cluster: SecuredKafkaCluster, tokens: TokenEndpoint): string {
  const samples: [ListenerName, SaslMechanism | undefined, string][] = [
    ['PLAINTEXT', undefined, 'no authentication (User:ANONYMOUS, a super user)'],
    ['SSL', undefined, 'TLS, server certificate only'],
    ['MTLS', undefined, `TLS with a client certificate (User:${cluster.certificates.client.principal})`],
    ['SASL_PLAINTEXT', 'SCRAM-SHA-512', 'SASL without TLS: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512'],
    ['SASL_SSL', 'SCRAM-SHA-512', 'SASL over TLS: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512'],
    ['OAUTH', 'OAUTHBEARER', `OAUTHBEARER; tokens from ${tokens.url} (client id = user, secret = password)`],
    ['WRONG_HOST', undefined, 'TLS with a certificate for wrong-host.invalid (host name verification must fail)'],
  ]
  let out = `bootstrap.servers=${cluster.bootstrapServers}\n\n`
  for (const [name, mechanism, what] of samples) {
    const props = {
      'bootstrap.servers': cluster.listeners[name].bootstrap,
      ...cluster.clientProps(name, mechanism, undefined, name === 'OAUTH' ? { tokenEndpoint: tokens } : {}),
    }
    out += `# ${name}: ${what}\n${formatProperties(props)}\n`
  }
  const users = Object.entries(cluster.users)
    .map(([user, password]) => `${user}=${password}`)
    .join(' ')
  out += `# SASL users (every mechanism): ${users}; super users: ${cluster.superUsers.join(', ')}\n`
  out += `# certificates and stores (JKS, PKCS12, PEM): ${cluster.certificates.dir}\n`
  out += `# Apache's Java clients also need -Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=${tokens.url} for OAUTH\n`
  return out
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
