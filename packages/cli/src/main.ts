import { readFile } from 'node:fs/promises'
import { basename, extname } from 'node:path'
import {
  advertisedUrl,
  checkRestConfig,
  PortInUseError,
  type RunningRestServer,
  startRestServer,
  workerIdFor,
} from '@ferry/rest'
import {
  ConnectMetrics,
  clientIdBase,
  configProvidersOf,
  createLogger,
  DistributedHerder,
  describeConnectionFailure,
  diagnoseConnection,
  exactlyOnceSourceEnabled,
  FileOffsetBackingStore,
  isConnectionError,
  KafkaAdmin,
  KafkaOffsetBackingStore,
  type LogFormat,
  type Logger,
  logFormat,
  type PluginRegistry,
  parseBootstrapServers,
  parseProperties,
  parseWorkerConfig,
  SecretRedactor,
  StandaloneHerder,
  showReferencesIn,
  Worker,
  type WorkerConfig,
  WorkerConfigTransformer,
} from '@ferry/runtime'
import { ctl } from './ctl/ctl.ts'
import { UsageError } from './errors.ts'
import { newCommand } from './new/new-command.ts'
import { workerPlugins } from './plugins.ts'
import { pluginPathOf, pluginsCommand } from './plugins-command.ts'
import { onStopSignals } from './stop-signals.ts'

export const USAGE = `Usage: ferry <command> [options]

Commands:
  standalone <worker.properties> [connector.properties|connector.json ...]
      Run a standalone worker (same arguments as Apache Kafka's connect-standalone), with Apache
      Connect's REST API on the worker's listeners (default http://:8083).
      A connector JSON file is either {"name": ..., "config": {...}} or a flat config map.
  distributed <connect-distributed.properties>
      Run a worker of a Connect cluster (same argument as Apache Kafka's connect-distributed): workers
      with the same group.id share connectors and tasks through Kafka and keep their configs, offsets
      and statuses in the config/offset/status storage topics. Manage it through the REST API.
  plugins [list|install|remove] [--plugin-path DIR | --worker-config FILE]
      List the plugins this Ferry can run (kind, class, version, licence, where from, broken
      packages); install an npm package, tarball or folder into plugin.path; remove one.
      Run ferry plugins --help for details.
  new connector <name> [--dir DIR] [--class-package PACKAGE]
      Write a TypeScript plugin package with a source and a sink connector, tests (the
      connector conformance suite), a README and the plugin manifest. Run ferry new --help.
  ctl <command> [options]
      Manage a running Connect cluster, Ferry's or Apache's, through its REST API: get, describe,
      apply, patch, pause, resume, stop, restart, delete, offsets, contexts. Run ferry ctl --help.

Options:
  -h, --help      Show this help
  -v, --version   Show Ferry's version

Environment:
  FERRY_LOG_LEVEL   trace | debug | info (default) | warn | error | silent
  FERRY_LOG_FORMAT  json (default: one JSON object a line) | pretty (readable, for a terminal);
                    overrides the worker key log.format
  KAFKA_OPTS        only -Djava.security.auth.login.config=<file> is read: the JAAS file of Apache's
                    REST basic-auth extension, as Apache's scripts pass it (rest.auth.login.config wins)

Signals (standalone and distributed):
  SIGTERM, SIGINT  Stop the tasks, commit the final offsets (and leave the group), then exit 0.
                   A repeated SIGTERM changes nothing. On a terminal, a second Ctrl-C a second or
                   more after the first exits at once (code 130) without waiting for the tasks.
`

export { UsageError }

/** Runs the CLI; resolves with the exit code. Long-running commands resolve when they are stopped. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv
  // Every value a config provider resolves joins it: no message or log line of this process shows one.
  const redactor = new SecretRedactor()
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE)
        return command === undefined ? 2 : 0
      case '-v':
      case '--version':
        process.stdout.write(`${await version()}\n`)
        return 0
      case 'plugins':
        return await pluginsCommand(args)
      case 'new':
        return await newCommand(args)
      case 'ctl':
        return await ctl(args, process)
      case 'standalone':
        return await standalone(args, redactor)
      case 'distributed':
        return await distributed(args, redactor)
      default:
        throw new UsageError(`unknown command '${command}'. Run ferry --help for the commands.`)
    }
  } catch (e) {
    process.stderr.write(`ferry: ${redactor.redact(oneLine(e))}\n`)
    // A config mistake (UsageError, or a ConfigException by its stable code) is the user's to fix: exit 2.
    return e instanceof UsageError || (e as { code?: string }).code === 'FERRY_ERR_CONFIG' ? 2 : 1
  }
}

function oneLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e)
  return message.replace(/\s*\n\s*/g, ' ')
}

async function version(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

/** Reads a connector file: `.json` as a create request or a flat map, anything else as Java properties. */
export async function readConnectorFile(path: string): Promise<{ name: string; config: Record<string, string> }> {
  const text = await readText(path, 'connector config')
  let config: Record<string, unknown>
  if (extname(path).toLowerCase() === '.json') {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (e) {
      throw new UsageError(`${path} is not valid JSON: ${(e as Error).message}`)
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UsageError(`${path} must hold a JSON object: {"name": ..., "config": {...}} or a flat config map`)
    }
    const obj = parsed as Record<string, unknown>
    if (obj.config !== undefined && typeof obj.config === 'object' && obj.config !== null) {
      config = { ...(obj.config as Record<string, unknown>) }
      if (typeof obj.name === 'string') {
        if (config.name !== undefined && config.name !== obj.name) {
          throw new UsageError(
            `${path}: Connector name configuration (${String(config.name)}) doesn't match connector name (${obj.name})`,
          )
        }
        config.name = obj.name
      }
    } else {
      config = obj
    }
  } else {
    config = parseProperties(text)
  }
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(config)) {
    if (v === null || v === undefined) continue
    out[k] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v)
  }
  const name = out.name?.trim()
  if (!name) throw new UsageError(`${path}: Missing required configuration "name" which has no default value.`)
  return { name, config: out }
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message
    throw new UsageError(`cannot read ${what} file ${path}: ${reason}`)
  }
}

/**
 * The worker's root logger, in the format `log.format` or FERRY_LOG_FORMAT asks for. The key is read from the file as
 * written, before config providers resolve anything, so lines about loading plugins come out in that format too.
 */
async function workerLogger(workerFile: string, redactor: SecretRedactor): Promise<Logger> {
  const raw = parseProperties(await readText(workerFile, 'worker config'))
  let format: LogFormat
  try {
    format = logFormat(raw)
  } catch (e) {
    throw new UsageError(`${workerFile}: ${(e as Error).message}`)
  }
  return createLogger({ redact: redactor.redactJsonLine, format })
}

/**
 * Reads a worker config file and resolves its config provider references (`config.providers` keys), before it is
 * parsed; a provider that cannot be set up, or a reference that cannot be resolved, is a `UsageError` naming the key.
 */
async function readWorkerConfig(
  workerFile: string,
  redactor: SecretRedactor,
  log: Logger,
): Promise<{
  raw: Record<string, string>
  props: Record<string, string>
  transformer: WorkerConfigTransformer
  plugins: PluginRegistry
}> {
  const raw = parseProperties(await readText(workerFile, 'worker config'))
  // Plugins load first: a config provider may come from a plugin package.
  const plugins = await workerPlugins(pluginPathOf(raw), log)
  const registry = configProvidersOf(plugins.plugins('config_provider'))
  try {
    const transformer = WorkerConfigTransformer.fromWorkerConfig(raw, { registry, redactor, logger: log })
    return { raw, props: await transformer.resolveWorkerConfig(raw), transformer, plugins }
  } catch (e) {
    throw new UsageError(`${workerFile}: ${redactor.redact((e as Error).message)}`)
  }
}

async function standalone(args: string[], redactor: SecretRedactor): Promise<number> {
  if (args.length < 1 || args.includes('-h') || args.includes('--help')) {
    process.stdout.write('Usage: ferry standalone <worker.properties> [connector.properties|connector.json ...]\n')
    return args.length < 1 ? 2 : 0
  }
  const [workerFile, ...connectorFiles] = args as [string, ...string[]]
  const log = await workerLogger(workerFile, redactor)
  const { raw, props: workerProps, transformer, plugins: registry } = await readWorkerConfig(workerFile, redactor, log)
  const invalid = (e: unknown) =>
    new UsageError(`${workerFile}: ${showReferencesIn((e as Error).message, raw, workerProps, redactor)}`)
  let config: WorkerConfig
  try {
    config = parseWorkerConfig(workerProps, 'standalone')
    parseBootstrapServers(config.bootstrapServers.join(','))
  } catch (e) {
    throw invalid(e)
  }
  const eos = workerProps['exactly.once.source.support']
  if (eos !== undefined && eos.trim() !== 'disabled') {
    // Apache's standalone worker does not know the key either (it is DistributedConfig's): said, not silently ignored.
    log.warn(
      `exactly.once.source.support=${eos} has no effect in standalone mode: exactly-once source support needs a distributed worker (as in Apache Kafka Connect)`,
    )
  }
  let workerId: string
  try {
    workerId = workerIdFor(config.originals)
    checkRestConfig(config.originals)
  } catch (e) {
    throw invalid(e)
  }
  const connectors = []
  for (const file of connectorFiles) connectors.push({ file, ...(await readConnectorFile(file)) })

  // Named loggers, so PUT /admin/loggers/<namespace> changes what they log (the names are Apache's).
  const workerLog = log.child({})
  const restLog = log.child({})
  const offsets = new FileOffsetBackingStore(config.offsetStorageFile!, log)
  const metrics = ConnectMetrics.forWorker(config)
  const worker = new Worker(config, registry, offsets, workerLog, { configTransformer: transformer, metrics })
  const herder = new StandaloneHerder(worker, workerId, log, {
    loggers: {
      'org.apache.kafka.connect.runtime.Worker': workerLog,
      'org.apache.kafka.connect.runtime.rest.RestServer': restLog,
    },
  })

  // Check every connector config before anything starts, so a typo fails fast with the key named.
  for (const c of connectors) {
    const infos = await herder.validateConnectorConfig({ ...c.config, name: c.name }).catch((e: unknown) => {
      throw new UsageError(`connector ${c.name} (${basename(c.file)}) is invalid: ${(e as Error).message}`)
    })
    if (infos.error_count > 0) {
      const details = infos.configs
        .flatMap((ci) =>
          ci.value && ci.value.errors.length > 0 ? [`${ci.value.name}: ${ci.value.errors.join(' ')}`] : [],
        )
        .join('; ')
      throw new UsageError(`connector ${c.name} (${basename(c.file)}) is invalid: ${details}`)
    }
  }

  let stopping: Promise<void> | null = null
  let rest: RunningRestServer | null = null
  const stopListening = onStopSignals(
    {
      stop: (signal) => {
        log.info(`${signal} received: stopping tasks and committing offsets`)
        // The REST server goes first, so no request reaches a herder that is stopping.
        stopping = (async () => {
          await rest?.close()
          await herder.stop()
        })()
      },
      force: forceExit(log),
    },
    { log },
  )

  const reachable = await waitForKafka(config, log, () => stopping !== null)
  if (reachable) {
    await herder.start()
    try {
      rest = await startRestServer({ herder, workerConfig: config, plugins: registry, logger: restLog, metrics })
    } catch (e) {
      stopListening()
      await herder.stop()
      if (e instanceof PortInUseError) {
        process.stderr.write(`ferry: ${e.message}\n`)
        log.flush?.()
        return 1
      }
      throw e
    }
    for (const c of connectors) {
      if (stopping) break
      await herder.putConnectorConfig(c.name, c.config, false)
      log.info(`Connector ${c.name} created from ${c.file}`)
    }
    log.info({ connectors: herder.connectors() }, 'Ferry standalone worker started')
  }
  // Run until a signal arrives.
  while (!stopping) await new Promise((r) => setTimeout(r, 200))
  await stopping
  await transformer.close()
  stopListening()
  log.info('Ferry stopped')
  log.flush?.()
  return 0
}

async function distributed(args: string[], redactor: SecretRedactor): Promise<number> {
  if (args.length !== 1 || args.includes('-h') || args.includes('--help')) {
    process.stdout.write('Usage: ferry distributed <connect-distributed.properties>\n')
    return args.length !== 1 ? 2 : 0
  }
  const workerFile = args[0]!
  const log = await workerLogger(workerFile, redactor)
  const { raw, props: workerProps, transformer, plugins: registry } = await readWorkerConfig(workerFile, redactor, log)
  let config: WorkerConfig
  let workerId: string
  let restUrl: string
  try {
    config = parseWorkerConfig(workerProps, 'distributed')
    parseBootstrapServers(config.bootstrapServers.join(','))
    workerId = workerIdFor(config.originals)
    checkRestConfig(config.originals)
    const url = advertisedUrl(config.originals)
    restUrl = `${url.protocol}://${url.host.includes(':') ? `[${url.host}]` : url.host}:${url.port}/`
  } catch (e) {
    throw new UsageError(`${workerFile}: ${showReferencesIn((e as Error).message, raw, workerProps, redactor)}`)
  }
  const settings = config.distributed!
  const workerLog = log.child({})
  const restLog = log.child({})
  const offsets = new KafkaOffsetBackingStore({
    ...config.clients.internal(`${clientIdBase(settings.groupId, config.clientId)}offsets`),
    topic: settings.offsetTopic,
    partitions: settings.offsetPartitions,
    replicationFactor: settings.offsetReplicationFactor,
    // Exactly-once source tasks write their offsets in transactions: an aborted one's must not be read (Apache's).
    readCommitted: exactlyOnceSourceEnabled(config),
    logger: log,
  })
  const metrics = ConnectMetrics.forWorker(config)
  const worker = new Worker(config, registry, offsets, workerLog, { configTransformer: transformer, metrics })
  const herder = new DistributedHerder(worker, workerId, log, {
    restUrl,
    loggers: {
      'org.apache.kafka.connect.runtime.Worker': workerLog,
      'org.apache.kafka.connect.runtime.rest.RestServer': restLog,
    },
  })

  let stopping: Promise<void> | null = null
  let started = false
  let rest: RunningRestServer | null = null
  const cleanUp = onStopSignals(
    {
      stop: (signal) => {
        log.info(`${signal} received: stopping tasks, committing offsets and leaving the group`)
        // As Apache's Connect.stop: the herder first (tasks stop and commit, the worker leaves the group), then the
        // REST API, which answers meanwhile. The other workers' peer probes take a closed REST port for a process that
        // has exited and remove it from the group; closed first, its tasks could be handed out while still stopping.
        stopping = (async () => {
          if (started) await herder.stop()
          await rest?.close()
        })()
      },
      force: forceExit(log),
    },
    { log },
  )

  // The REST API comes up first, so /health answers "starting" while the worker waits for Kafka and joins.
  try {
    rest = await startRestServer({ herder, workerConfig: config, plugins: registry, logger: restLog, metrics })
  } catch (e) {
    cleanUp()
    if (e instanceof PortInUseError) {
      process.stderr.write(`ferry: ${e.message}\n`)
      log.flush?.()
      return 1
    }
    throw e
  }
  const reachable = await waitForKafka(config, log, () => stopping !== null)
  if (reachable && !stopping) {
    try {
      started = true
      await herder.start()
    } catch (e) {
      cleanUp()
      await rest.close()
      await herder.stop().catch(() => {})
      log.flush?.()
      throw e
    }
    log.info(`Ferry distributed worker ${workerId} started in group ${settings.groupId}`)
  }
  while (!stopping) await new Promise((r) => setTimeout(r, 200))
  await stopping
  await transformer.close()
  cleanUp()
  log.info('Ferry stopped')
  log.flush?.()
  return 0
}

/** A person's second Ctrl-C: exits at once with 130, as a shell reports an interrupted command. */
function forceExit(log: Logger): () => never {
  return () => {
    log.flush?.()
    process.exit(130)
  }
}

/**
 * Waits until the cluster answers the worker's own clients; logs one line per failed attempt saying why (the broker,
 * and what failed: authentication with the mechanism and principal, TLS verification, a listener that speaks another
 * protocol, or no answer), never a secret, and retries with a growing backoff (1 s, 2 s, 4 s, ... up to 10 s). False
 * when stopped first.
 */
async function waitForKafka(config: WorkerConfig, log: Logger, stopped: () => boolean): Promise<boolean> {
  const servers = config.bootstrapServers.join(',')
  const settings = { ...config.clients.internal('ferry-startup'), requestTimeoutMs: 5000 }
  for (let attempt = 1; !stopped(); attempt++) {
    const admin = new KafkaAdmin(settings)
    try {
      await admin.listTopics()
      if (attempt > 1) log.info(`Kafka at ${servers} is reachable`)
      return true
    } catch (e) {
      const delay = Math.min(1000 * 2 ** (attempt - 1), 10000)
      let failure = describeConnectionFailure(e, settings.security)
      // The client only saw the connection close: one connection of our own tells why (a TLS alert, a SASL listener).
      if (failure === null && isConnectionError(e))
        for (const server of config.bootstrapServers) {
          failure = await diagnoseConnection(settings, server).catch(() => null)
          if (failure !== null) break
        }
      const reason =
        failure === null || failure.kind === 'unreachable'
          ? `Cannot reach Kafka at bootstrap.servers=${servers} (${failure?.message ?? (isConnectionError(e) ? 'connection failed' : (e as Error).message)})`
          : failure.message
      if (stopped()) break
      log.warn(`${reason}; retrying in ${delay / 1000}s`)
      // A stop request ends the wait at once.
      for (const until = Date.now() + delay; Date.now() < until && !stopped(); )
        await new Promise((r) => setTimeout(r, Math.min(200, until - Date.now())))
    } finally {
      await admin.close().catch(() => {})
    }
  }
  return false
}
