/**
 * Issue 19's Avro benchmark: Ferry's `io.confluent.connect.avro.AvroConverter` against Apache Kafka Connect with
 * Apicurio Registry's own Avro converter (`io.apicurio.registry.utils.converter.AvroConverter`, from Maven Central),
 * both on one broker and one Apicurio Registry 3.3.3:
 *
 *   npm run bench:avro -- [--records 200000] [--rounds 2] [--bootstrap host:port]
 *
 * Each round, for each engine (the order alternates): a source phase, FileStreamSource reads the lines file, HoistField
 * and InsertField make each line a two-field struct and the converter writes it as Avro to a new topic (done when the
 * topic holds every record); then a sink phase, FileStreamSink reads that topic back through the same converter and
 * writes each struct as a line (done when the file has every line). Each phase is a fresh standalone worker. Records/s
 * count from the first record seen to the last (startup left out); CPU is the worker process's user+system time over
 * that window per 100,000 records; RSS is the peak sampled during the phase.
 *
 * Apicurio's converters are not published for 3.x on Maven Central (the jars of 3.3.3 and 3.2.1 are missing there), so
 * Apache Connect runs Apicurio's 2.6.13.Final converter, which talks to the registry's v2 API (`/apis/registry/v2`,
 * still served by 3.3.3); Ferry uses the registry's Confluent API (`/apis/ccompat/v7`). Not part of `npm run bench`.
 */
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { startApicurio } from '../apicurio/harness.ts'
import { REPO_ROOT, startKafka } from '../kafka/harness.ts'
import { type ApacheConnect, ensureApacheConnect, run } from './apache.ts'
import { admin, createTopic, LineCounter, writeLinesFile } from './data.ts'
import { type Engine, startWorker, type Worker } from './workers.ts'

export const APICURIO_CONVERTER_VERSION = '2.6.13.Final'
/** Jars the Connect runtime provides: kept off the plugin's directory. */
const PROVIDED = /^(connect-api|connect-json|kafka-clients|slf4j-api)-/

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '2' },
    bootstrap: { type: 'string' },
  },
})
const records = Number(values.records)
const rounds = Number(values.rounds)

/** Apicurio's converter and its dependencies as a `plugin.path` directory (Maven, once). */
async function ensureApicurioConverter(): Promise<string> {
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

interface Measured {
  msgsPerSec: number
  cpuPer100k: number
  peakRssMb: number
}

/** Samples `count()` and the worker every 100 ms until `total`; see the module comment for what is measured. */
async function measure(w: Worker, count: () => Promise<number>, total: number): Promise<Measured> {
  const deadline = performance.now() + 15 * 60_000
  let peakRssMb = 0
  let t0 = 0
  let c0 = 0
  let cpu0 = 0
  for (;;) {
    const n = await count()
    const now = performance.now()
    const mem = w.memory()
    if (mem) peakRssMb = Math.max(peakRssMb, mem.rssMb)
    if (n > 0 && t0 === 0) {
      t0 = now
      c0 = n
      cpu0 = w.cpuSeconds() ?? 0
    }
    if (n >= total) {
      const cpu = (w.cpuSeconds() ?? 0) - cpu0
      const counted = Math.max(1, total - c0)
      return { msgsPerSec: counted / ((now - t0) / 1000), cpuPer100k: (cpu / counted) * 100_000, peakRssMb }
    }
    if (!w.running()) throw new Error(`${w.engine} exited at ${n} of ${total}:\n${w.logTail(30)}`)
    if (now > deadline) throw new Error(`${w.engine} reached only ${n} of ${total}:\n${w.logTail(30)}`)
    await sleep(100)
  }
}

function converterProps(engine: Engine, registry: { url: string; confluentUrl: string }): Record<string, string> {
  return engine === 'ferry'
    ? {
        'value.converter': 'io.confluent.connect.avro.AvroConverter',
        'value.converter.schema.registry.url': registry.confluentUrl,
      }
    : {
        'value.converter': 'io.apicurio.registry.utils.converter.AvroConverter',
        'value.converter.apicurio.registry.url': `${registry.url}/apis/registry/v2`,
        'value.converter.apicurio.registry.auto-register': 'true',
        'value.converter.apicurio.registry.find-latest': 'true',
      }
}

/** The median; the mean of the middle two for an even count. */
function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!
  const kafka = values.bootstrap ? null : await startKafka()
  const bootstrap = values.bootstrap ?? kafka!.bootstrapServers
  const registry = await startApicurio()
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-avro-'))
  const a = admin(bootstrap)
  try {
    const apacheBase = await ensureApacheConnect()
    const apache: ApacheConnect = {
      ...apacheBase,
      pluginPath: `${apacheBase.pluginPath},${await ensureApicurioConverter()}`,
    }
    const input = join(dir, 'lines.txt')
    await writeLinesFile(input, records)
    const results: Record<Engine, Record<'source' | 'sink', Measured[]>> = {
      apache: { source: [], sink: [] },
      ferry: { source: [], sink: [] },
    }
    for (let round = 0; round < rounds; round++) {
      const order: Engine[] = round % 2 === 0 ? ['apache', 'ferry'] : ['ferry', 'apache']
      for (const engine of order) {
        const topic = `avro-${engine}-${randomUUID()}`
        await createTopic(bootstrap, topic)
        const worker = {
          'bootstrap.servers': bootstrap,
          'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
          ...converterProps(engine, registry),
          'offset.flush.interval.ms': '10000',
        }
        const source = await startWorker({
          engine,
          dir,
          label: `-src-${round}`,
          worker,
          apache,
          connectors: [
            {
              name: 'avro-source',
              'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector',
              file: input,
              topic,
              transforms: 'hoist,origin',
              'transforms.hoist.type': 'org.apache.kafka.connect.transforms.HoistField$Value',
              'transforms.hoist.field': 'line',
              'transforms.origin.type': 'org.apache.kafka.connect.transforms.InsertField$Value',
              'transforms.origin.static.field': 'origin',
              'transforms.origin.static.value': 'bench',
            },
          ],
        })
        try {
          results[engine].source.push(await measure(source, () => a.recordCount(topic), records))
        } finally {
          await source.stop()
        }
        const output = join(dir, `out-${engine}-${round}.txt`)
        const lines = new LineCounter(output)
        const sink = await startWorker({
          engine,
          dir,
          label: `-sink-${round}`,
          worker,
          apache,
          connectors: [
            {
              name: 'avro-sink',
              'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
              file: output,
              topics: topic,
            },
          ],
        })
        try {
          results[engine].sink.push(await measure(sink, () => lines.count(), records))
        } finally {
          await sink.stop()
        }
        const last = results[engine]
        process.stderr.write(
          `round ${round + 1} ${engine}: source ${Math.round(last.source.at(-1)!.msgsPerSec)} rec/s, sink ${Math.round(last.sink.at(-1)!.msgsPerSec)} rec/s\n`,
        )
      }
    }
    const loadAfter = loadavg()[0]!
    const row = (engine: Engine, phase: 'source' | 'sink') => {
      const m = results[engine][phase]
      return {
        msgs: median(m.map((x) => x.msgsPerSec)),
        cpu: median(m.map((x) => x.cpuPer100k)),
        rss: median(m.map((x) => x.peakRssMb)),
      }
    }
    console.log(
      `Avro, ${records.toLocaleString('en-US')} records, ${rounds} rounds (medians), ${cpus().length} CPUs, load ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)}`,
    )
    console.log('| phase | engine | records/s | CPU s / 100k records | peak RSS MiB |')
    console.log('| --- | --- | --- | --- | --- |')
    for (const phase of ['source', 'sink'] as const) {
      for (const engine of ['apache', 'ferry'] as const) {
        const r = row(engine, phase)
        console.log(
          `| ${phase} | ${engine} | ${Math.round(r.msgs).toLocaleString('en-US')} | ${r.cpu.toFixed(2)} | ${Math.round(r.rss)} |`,
        )
      }
      const f = row('ferry', phase)
      const p = row('apache', phase)
      console.log(
        `| ${phase} | Ferry / Apache | ${(f.msgs / p.msgs).toFixed(2)}x | ${(f.cpu / p.cpu).toFixed(2)}x | ${(f.rss / p.rss).toFixed(2)}x |`,
      )
    }
  } finally {
    await a.close()
    await registry.stop()
    await kafka?.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
