/**
 * The Avro group (issue 19): Ferry's `io.confluent.connect.avro.AvroConverter` on a Ferry worker against Apache Kafka
 * Connect with Apicurio Registry's own Avro converter (`io.apicurio.registry.utils.converter.AvroConverter`, from Maven
 * Central), both on the bench's broker and one Apicurio Registry 3.3.3 (scripts/apicurio/harness.ts, in memory) that the
 * group starts for its own phase. Each engine runs its converter with its defaults.
 *
 * - `avro-source` (workload 22): FileStreamSource reads the lines file, HoistField$Value and InsertField$Value make each
 *   line a two-field struct and the converter writes it as Avro to a new one-partition topic; done when the topic's
 *   end offset reaches the line count.
 * - `avro-sink` (workload 23): FileStreamSink reads back a topic the same engine's source wrote (the last `avro-source`
 *   run's, else one written for it first, unmeasured) through the same converter and writes each struct as a line;
 *   done when the file has every line. The engines write different bytes to the registry's subjects (Apicurio's own
 *   framing), so each reads only what it wrote.
 *
 * Apicurio's converters are not published for 3.x on Maven Central (the jars of 3.3.3 and 3.2.1 are missing there), so
 * Apache Connect runs Apicurio's 2.6.13.Final converter, which talks to the registry's v2 API (`/apis/registry/v2`,
 * still served by 3.3.3); Ferry uses the registry's Confluent API (`/apis/ccompat/v7`).
 */
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { KafkaConsumer } from '../../packages/runtime/src/kafka/clients.ts'
import { APICURIO_VERSION, type SchemaRegistryServer, startApicurio } from '../apicurio/harness.ts'
import { runCommand as run } from '../java-server.ts'
import { REPO_ROOT } from '../kafka/harness.ts'
import { bootstrapList, createTopic, LINE_BYTES, LineCounter } from './data.ts'
import type { WorkloadHelpers } from './jdbc.ts'
import { type Engine, startWorker, type Worker } from './workers.ts'
import type { BenchContext, Runner, Workload } from './workloads.ts'

export const APICURIO_CONVERTER_VERSION = '2.6.13.Final'
/** Jars the Connect runtime provides: kept off the plugin's directory. */
const PROVIDED = /^(connect-api|connect-json|kafka-clients|slf4j-api)-/

/** The registry of a bench run and the topics each engine's source wrote, prepared once (`prepareAvro`). */
export interface AvroSetup {
  registry: SchemaRegistryServer
  /** `plugin.path` entry of Apicurio's converter, when Maven could fetch it. */
  apicurioPlugins: string | undefined
  /** The newest topic each engine's source wrote: the sink's input. */
  written: Partial<Record<Engine, string>>
  /** Average size of a record's value in each engine's topic (its converter's bytes), measured after each source run. */
  valueBytes: Partial<Record<Engine, number>>
  /** Why a runner cannot run this group. */
  skip: Partial<Record<Engine, string>>
  /** Deletes the written topics (unless kept) and stops the registry. */
  stop(): Promise<void>
}

/** Apicurio's converter and its dependencies as a `plugin.path` directory (Maven, once). */
export async function ensureApicurioConverter(): Promise<string> {
  const home = join(REPO_ROOT, '.cache', 'bench', `apicurio-converter-${APICURIO_CONVERTER_VERSION}`)
  const plugin = join(home, 'plugins', 'apicurio-converter')
  if (existsSync(join(plugin, `apicurio-registry-utils-converter-${APICURIO_CONVERTER_VERSION}.jar`)))
    return join(home, 'plugins')
  await mkdir(home, { recursive: true })
  await writeFile(
    join(home, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>ferry.bench</groupId><artifactId>apicurio-converter</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>io.apicurio</groupId><artifactId>apicurio-registry-utils-converter</artifactId><version>${APICURIO_CONVERTER_VERSION}</version></dependency>
  </dependencies>
</project>
`,
  )
  // Some Apicurio parent POMs name repositories that cannot be reached here; Maven Central has everything.
  await writeFile(
    join(home, 'settings.xml'),
    '<settings><mirrors><mirror><id>central</id><mirrorOf>*</mirrorOf><url>https://repo.maven.apache.org/maven2</url></mirror></mirrors></settings>\n',
  )
  const libs = join(home, `libs-${process.pid}`)
  process.stderr.write(`Fetching Apicurio's converter ${APICURIO_CONVERTER_VERSION} with Maven (one time)...\n`)
  const mvn = await run('mvn', [
    '-q',
    '-B',
    '-s',
    join(home, 'settings.xml'),
    '-f',
    join(home, 'pom.xml'),
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${libs}`,
  ])
  if (mvn.code !== 0) throw new Error(`Maven could not fetch Apicurio's converter:\n${mvn.output.slice(-2000)}`)
  await rm(plugin, { recursive: true, force: true })
  await mkdir(plugin, { recursive: true })
  for (const jar of await readdir(libs)) if (!PROVIDED.test(jar)) await rename(join(libs, jar), join(plugin, jar))
  await rm(libs, { recursive: true, force: true })
  return join(home, 'plugins')
}

/** Starts the registry and, for the Apache side, fetches Apicurio's converter. */
export async function prepareAvro(options: {
  engines: readonly Engine[]
  log: (line: string) => void
  /** Deletes topics at stop(); absent: the topics stay. */
  deleteTopics?: (topics: string[]) => Promise<unknown>
}): Promise<AvroSetup> {
  options.log(`Starting Apicurio Registry ${APICURIO_VERSION}...`)
  const registry = await startApicurio()
  const skip: Partial<Record<Engine, string>> = {}
  let apicurioPlugins: string | undefined
  if (options.engines.includes('apache')) {
    try {
      apicurioPlugins = await ensureApicurioConverter()
    } catch (e) {
      skip.apache = (e as Error).message.replace(/\s+/g, ' ').slice(0, 300)
    }
  }
  const setup: AvroSetup = {
    registry,
    apicurioPlugins,
    written: {},
    valueBytes: {},
    skip,
    async stop() {
      const topics = Object.values(setup.written)
      if (topics.length > 0) await options.deleteTopics?.(topics).catch(() => {})
      await registry.stop()
    },
  }
  return setup
}

/** Each engine's Avro converter for values (keys: StringConverter, null), with its defaults otherwise. */
function avroWorker(ctx: BenchContext, engine: Engine, registry: SchemaRegistryServer): Record<string, string> {
  return {
    'bootstrap.servers': ctx.bootstrap,
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    ...(engine === 'ferry'
      ? {
          'value.converter': 'io.confluent.connect.avro.AvroConverter',
          'value.converter.schema.registry.url': registry.confluentUrl,
        }
      : {
          'value.converter': 'io.apicurio.registry.utils.converter.AvroConverter',
          'value.converter.apicurio.registry.url': `${registry.url}/apis/registry/v2`,
          'value.converter.apicurio.registry.auto-register': 'true',
          'value.converter.apicurio.registry.find-latest': 'true',
        }),
    'offset.flush.interval.ms': '10000',
  }
}

/** The average value size of the first (up to) 200 records of `topic`. */
async function averageValueBytes(ctx: BenchContext, topic: string): Promise<number> {
  const consumer = new KafkaConsumer({
    bootstrapServers: bootstrapList(ctx.bootstrap),
    clientId: 'ferry-bench-avro',
    groupId: `ferry-bench-avro-${randomUUID().slice(0, 8)}`,
  })
  let bytes = 0
  let seen = 0
  try {
    await consumer.subscribe([topic])
    const want = Math.min(200, ctx.records)
    const deadline = performance.now() + 60_000
    while (seen < want && performance.now() < deadline)
      for (const m of await consumer.poll(5000, 500)) {
        if (seen >= want) break
        seen++
        bytes += m.value?.length ?? 0
      }
  } finally {
    await consumer.close()
  }
  return bytes / Math.max(1, seen)
}

const MiB = 1024 * 1024

/** The Avro group's workloads, with workloads.ts's run helpers. */
export function avroWorkloads({ runDir, cleanup, failure, measureThroughput }: WorkloadHelpers): Workload[] {
  const runners: Runner[] = ['apache', 'ferry']
  const sides = `Ferry's \`io.confluent.connect.avro.AvroConverter\` (through the registry's Confluent API, \`/apis/ccompat/v7\`) on a Ferry worker against Apache Connect with Apicurio Registry's own \`io.apicurio.registry.utils.converter.AvroConverter\` ${APICURIO_CONVERTER_VERSION} (from Maven Central; through the registry's v2 API, the 3.x converter jars are not on Maven Central) with \`apicurio.registry.auto-register=true\` and \`find-latest=true\`, each converter's defaults otherwise, on one Apicurio Registry ${APICURIO_VERSION} (in memory) and the same broker; keys are null (StringConverter). The registry's CPU is not counted.`
  const skipOf = (ctx: BenchContext, runner: Runner) =>
    ctx.avroSkip ?? (ctx.avro ? ctx.avro.skip[runner as Engine] : 'not prepared')
  const recordBytes = (ctx: BenchContext) => Math.round(ctx.avro?.valueBytes.ferry ?? ctx.avro?.valueBytes.apache ?? 0)

  /** Starts a worker; `apache` gets Apicurio's converter on plugin.path. */
  const start = (
    ctx: BenchContext,
    runner: Runner,
    dir: string,
    connector: Record<string, string>,
    cpuProfileDir?: string,
  ) => {
    const setup = ctx.avro!
    const apache =
      runner === 'apache' && ctx.apache && setup.apicurioPlugins
        ? { ...ctx.apache, pluginPath: `${ctx.apache.pluginPath},${setup.apicurioPlugins}` }
        : ctx.apache
    return startWorker({
      engine: runner as Engine,
      dir,
      apache,
      cpuProfileDir,
      worker: avroWorker(ctx, runner as Engine, setup.registry),
      connectors: [connector],
    })
  }

  /**
   * A source run into a new topic; once it holds every record it is the engine's sink input (the one it replaces is
   * deleted), else it is deleted.
   */
  const writeTopic = async (
    ctx: BenchContext,
    runner: Runner,
    round: number,
    cpuProfileDir: string | undefined,
  ): Promise<{ metrics: Record<string, number>; window: { startUs: number; endUs: number } }> => {
    const setup = ctx.avro!
    const engine = runner as Engine
    const dir = await runDir(ctx, 'avro-source', runner, round)
    const topic = `bench-avro-${runner}-${round}-${randomUUID().slice(0, 8)}`
    let w: Worker | undefined
    try {
      await createTopic(ctx.bootstrap, topic)
      w = await start(
        ctx,
        runner,
        dir,
        {
          name: `bench-avro-source-${randomUUID().slice(0, 8)}`,
          'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector',
          'tasks.max': '1',
          file: ctx.linesFile,
          topic,
          transforms: 'hoist,origin',
          'transforms.hoist.type': 'org.apache.kafka.connect.transforms.HoistField$Value',
          'transforms.hoist.field': 'line',
          'transforms.origin.type': 'org.apache.kafka.connect.transforms.InsertField$Value',
          'transforms.origin.static.field': 'origin',
          'transforms.origin.static.value': 'bench',
        },
        cpuProfileDir,
      )
      const worker = w
      const measured = await measureThroughput(ctx, worker, ctx.records, 0, async () =>
        (await ctx.admin.offsets(topic)).reduce((n, p) => n + p.end, 0),
      )
      await worker.stop()
      const valueBytes = await averageValueBytes(ctx, topic)
      setup.valueBytes[engine] = valueBytes
      const previous = setup.written[engine]
      setup.written[engine] = topic
      if (previous && !ctx.keepFiles) await ctx.admin.deleteTopics([previous]).catch(() => {})
      return {
        ...measured,
        metrics: { ...measured.metrics, mbPerSec: (measured.metrics.msgsPerSec! * valueBytes) / MiB },
      }
    } catch (e) {
      // A topic that did not get every record is no sink's input.
      if (!ctx.keepFiles) await ctx.admin.deleteTopics([topic]).catch(() => {})
      throw e
    } finally {
      await w?.stop()
      await cleanup(ctx, dir)
    }
  }

  const source: Workload = {
    id: 'avro-source',
    number: 22,
    title: 'Avro: file source → topic',
    description: `FileStreamSource reads the lines file (${LINE_BYTES}-byte lines), HoistField$Value (\`line\`) and InsertField$Value (static \`origin\`) make each line a two-field struct and the converter writes it as Avro to a new one-partition topic, registering its schema; done when the topic's end offset reaches the line count. ${sides}`,
    runners: () => runners,
    records: (ctx) => ctx.records,
    recordBytes,
    skip: skipOf,
    profile: true,
    async run(ctx, runner, round, options = {}) {
      if (!ctx.avro) return failure(runner, round, new Error('the Avro group was not prepared (prepareAvro)'))
      try {
        return { runner, round, ok: true, ...(await writeTopic(ctx, runner, round, options.cpuProfileDir)) }
      } catch (e) {
        return failure(runner, round, e)
      }
    },
  }

  const sink: Workload = {
    id: 'avro-sink',
    number: 23,
    title: 'Avro: topic → file sink',
    description: `FileStreamSink reads a topic of workload 22's Avro records that the same engine wrote (the latest run's; the engines frame Avro differently) back through the converter, which fetches the schema by id, and writes each struct as a line; done when the file has every line. ${sides}`,
    runners: () => runners,
    records: (ctx) => ctx.records,
    recordBytes,
    skip: skipOf,
    profile: true,
    async run(ctx, runner, round, options = {}) {
      const setup = ctx.avro
      if (!setup) return failure(runner, round, new Error('the Avro group was not prepared (prepareAvro)'))
      const engine = runner as Engine
      let dir: string | undefined
      let w: Worker | undefined
      try {
        if (!setup.written[engine]) {
          ctx.log(`Writing ${ctx.records} Avro records with ${runner}'s converter for workload 23 (not measured)...`)
          await writeTopic(ctx, runner, round, undefined)
        }
        dir = await runDir(ctx, 'avro-sink', runner, round)
        const out = join(dir, 'sink-output.txt')
        w = await start(
          ctx,
          runner,
          dir,
          {
            // A new name per run is a new consumer group, which reads the topic from the start.
            name: `bench-avro-sink-${randomUUID().slice(0, 8)}`,
            'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
            'tasks.max': '1',
            file: out,
            topics: setup.written[engine]!,
          },
          options.cpuProfileDir,
        )
        const counter = new LineCounter(out)
        const measured = await measureThroughput(ctx, w, ctx.records, setup.valueBytes[engine] ?? 0, () =>
          counter.count(),
        )
        return { runner, round, ok: true, ...measured }
      } catch (e) {
        return failure(runner, round, e)
      } finally {
        await w?.stop()
        if (dir) await cleanup(ctx, dir)
      }
    },
  }
  return [source, sink]
}
