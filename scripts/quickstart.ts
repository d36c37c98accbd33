/**
 * `npm run quickstart`: a file → Kafka → file pipeline on a real broker, end to end, in about a minute.
 * Starts a local single-node Kafka (unless --bootstrap-server or BOOTSTRAP_SERVERS names one), writes an input
 * file, runs `ferry standalone` with Apache's FileStreamSource and FileStreamSink configs, waits until every line
 * has crossed, prints what moved and where to look, and stops everything.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort } from '@ferry/testing'
import { type KafkaCluster, startKafka } from './kafka/harness.ts'

const { values } = parseArgs({
  options: {
    'bootstrap-server': { type: 'string' },
    lines: { type: 'string', default: '10000' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help) {
  console.log(`Usage: npm run quickstart [-- --bootstrap-server host:port] [--lines N]

Without --bootstrap-server (or BOOTSTRAP_SERVERS), a local Kafka broker is started and stopped again.`)
  process.exit(0)
}
const lines = Number(values.lines)
if (!Number.isInteger(lines) || lines < 1) {
  console.error(`quickstart: --lines must be a positive integer, not '${values.lines}'`)
  process.exit(2)
}

const root = resolve(import.meta.dirname, '..')
const dir = await mkdtemp(join(tmpdir(), 'ferry-quickstart-'))
let cluster: KafkaCluster | null = null
let bootstrap = values['bootstrap-server'] ?? process.env.BOOTSTRAP_SERVERS ?? ''
let exitCode = 0
let worker: ReturnType<typeof spawn> | null = null

try {
  if (!bootstrap) {
    console.log('Starting a local Kafka broker (the first run downloads Apache Kafka from Maven Central)...')
    cluster = await startKafka({})
    bootstrap = cluster.bootstrapServers
    console.log(`Kafka is up at ${bootstrap}`)
  }
  const topic = `quickstart-${randomUUID().slice(0, 8)}`
  const input = join(dir, 'input.txt')
  const output = join(dir, 'output.txt')
  const body = Array.from({ length: lines }, (_, i) => `line ${i + 1} of ${lines}: hello from Ferry`).join('\n')
  await writeFile(input, `${body}\n`)
  await writeFile(
    join(dir, 'worker.properties'),
    [
      `bootstrap.servers=${bootstrap}`,
      'key.converter=org.apache.kafka.connect.storage.StringConverter',
      'value.converter=org.apache.kafka.connect.storage.StringConverter',
      `offset.storage.file.filename=${join(dir, 'connect.offsets')}`,
      'offset.flush.interval.ms=1000',
      `listeners=http://127.0.0.1:${await freePort()}`,
      '',
    ].join('\n'),
  )
  await writeFile(
    join(dir, 'file-source.properties'),
    ['name=quickstart-source', 'connector.class=FileStreamSource', `file=${input}`, `topic=${topic}`, ''].join('\n'),
  )
  await writeFile(
    join(dir, 'file-sink.properties'),
    ['name=quickstart-sink', 'connector.class=FileStreamSink', `file=${output}`, `topics=${topic}`, ''].join('\n'),
  )

  const args = ['standalone', 'worker.properties', 'file-source.properties', 'file-sink.properties']
  console.log(`Running: ferry ${args.join(' ')}   (in ${dir})`)
  const started = Date.now()
  const logFile = join(dir, 'worker.log')
  const log = createWriteStream(logFile)
  worker = spawn(process.execPath, [join(root, 'packages/cli/bin/ferry.js'), ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  worker.stdout?.pipe(log)
  worker.stderr?.pipe(log)
  const exited = new Promise<number | null>((r) => worker?.on('exit', (code) => r(code)))

  let copied = 0
  const deadline = Date.now() + 120_000
  while (copied < lines) {
    const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 250))])
    if (done) throw new Error(`the worker exited early; see ${logFile}`)
    if (Date.now() > deadline) throw new Error(`only ${copied} of ${lines} lines arrived in 120 s; see ${logFile}`)
    copied = await countLines(output)
  }
  const seconds = (Date.now() - started) / 1000
  worker.kill('SIGTERM')
  const code = await exited
  const same = (await readFile(input, 'utf8')) === (await readFile(output, 'utf8'))
  console.log(`
Moved ${lines} lines: ${input}
  → FileStreamSource → Kafka topic '${topic}' on ${bootstrap}
  → FileStreamSink → ${output}
in ${seconds.toFixed(1)} s (worker start included); output ${same ? 'identical to the input' : 'DIFFERS from the input'}.
The worker stopped with exit code ${code}.

Where to look:
  ${dir}/worker.properties, file-source.properties, file-sink.properties  the configs (Apache's keys)
  ${logFile}  the worker's log
  ${join(dir, 'connect.offsets')}  the source offset Ferry committed

Run it yourself against a broker of yours: set bootstrap.servers in ${join(dir, 'worker.properties')}, then
  cd ${dir} && npx --prefix ${root} ferry ${args.join(' ')}`)
  if (!same || code !== 0) exitCode = 1
} catch (e) {
  console.error(`quickstart: ${(e as Error).message}`)
  exitCode = 1
} finally {
  if (worker && worker.exitCode === null) worker.kill('SIGKILL')
  await cluster?.stop()
}
process.exit(exitCode)

async function countLines(path: string): Promise<number> {
  try {
    if ((await stat(path)).size === 0) return 0
  } catch {
    return 0
  }
  const text = await readFile(path, 'utf8')
  let n = 0
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++
  return n
}
