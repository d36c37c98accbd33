/**
 * The files `ferry new connector` writes: a TypeScript plugin package with a source and a sink connector, their tests
 * (the connector conformance suite and the in-process task runners of `@ferry/testing`), a README and the `ferry`
 * manifest. Each template is a function of the names the command worked out, so the output is ready to build.
 */

/** What the templates are filled with. */
export interface ScaffoldNames {
  /** The npm package name, e.g. `acme-connector` or `@acme/kafka-connector`. */
  packageName: string
  /** PascalCase stem of the class names, e.g. `Acme`. */
  pascal: string
  /** The Java-style package of the class names (what configs write in `connector.class`), e.g. `com.example.acme`. */
  classPackage: string
  /** The `@ferry/api` (and `@ferry/testing`) version range, e.g. `^0.1.0`. */
  apiRange: string
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`

export function scaffoldFiles(n: ScaffoldNames): Record<string, string> {
  const source = `${n.pascal}SourceConnector`
  const sink = `${n.pascal}SinkConnector`
  return {
    'package.json': json({
      name: n.packageName,
      version: '0.1.0',
      description: `A Ferry plugin: ${source} and ${sink}`,
      type: 'module',
      license: 'Apache-2.0',
      exports: {
        '.': { types: './dist/plugins.d.ts', default: './dist/plugins.js' },
        './package.json': './package.json',
      },
      files: ['dist', 'README.md'],
      ferry: { plugins: './dist/plugins.js' },
      scripts: {
        build: 'tsc -p tsconfig.json',
        test: 'node --test "test/**/*.test.ts"',
        prepack: 'npm run build',
      },
      engines: { node: '>=24' },
      peerDependencies: { '@ferry/api': n.apiRange },
      devDependencies: {
        '@ferry/api': n.apiRange,
        '@ferry/testing': n.apiRange,
        '@types/node': '^24.0.0',
        typescript: '^5.9.0',
      },
    }),
    'tsconfig.json': json({
      compilerOptions: {
        target: 'es2024',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        lib: ['es2024'],
        types: ['node'],
        strict: true,
        noUncheckedIndexedAccess: true,
        erasableSyntaxOnly: true,
        verbatimModuleSyntax: true,
        rewriteRelativeImportExtensions: true,
        resolveJsonModule: true,
        declaration: true,
        skipLibCheck: true,
        rootDir: 'src',
        outDir: 'dist',
      },
      include: ['src'],
    }),
    '.gitignore': 'node_modules/\ndist/\n*.tgz\n',
    'src/version.ts': `import pkg from '../package.json' with { type: 'json' }

/** This package's version: what \`GET /connector-plugins\` lists and \`connector.plugin.version\` selects. */
export const VERSION: string = pkg.version
`,
    'src/plugins.ts': `// What this package gives Ferry: package.json's "ferry" field names this module (compiled), and Ferry reads
// \`plugins\`. The class names are what connector configs write in \`connector.class\`.
import { definePlugins } from '@ferry/api'
import { ${sink} } from './sink-connector.ts'
import { ${source} } from './source-connector.ts'

export { ${sink} } from './sink-connector.ts'
export { ${source} } from './source-connector.ts'

export const plugins = definePlugins([
  { className: '${n.classPackage}.${source}', kind: ['source'], create: () => new ${source}() },
  { className: '${n.classPackage}.${sink}', kind: ['sink'], create: () => new ${sink}() },
])
`,
    'src/source-connector.ts': `import { ConfigDef, Range, SourceConnector, type TaskClass } from '@ferry/api'
import { ${n.pascal}SourceTask } from './source-task.ts'
import { VERSION } from './version.ts'

export const TOPIC_CONFIG = 'topic'
export const MESSAGE_CONFIG = 'message'
export const COUNT_CONFIG = 'count'
export const POLL_INTERVAL_CONFIG = 'poll.interval.ms'

/** The source's keys: \`parse\` gives defaults and types, \`validate\` (REST's config/validate) reports each bad key. */
export const SOURCE_CONFIG_DEF = new ConfigDef()
  .define({ name: TOPIC_CONFIG, type: 'STRING', importance: 'HIGH', documentation: 'The topic to write to' })
  .define({
    name: MESSAGE_CONFIG,
    type: 'STRING',
    defaultValue: 'hello',
    importance: 'MEDIUM',
    documentation: 'The text of each record: "<message> <n>"',
  })
  .define({
    name: COUNT_CONFIG,
    type: 'INT',
    defaultValue: 10,
    validator: Range.atLeast(1),
    importance: 'MEDIUM',
    documentation: 'How many records to write in all',
  })
  .define({
    name: POLL_INTERVAL_CONFIG,
    type: 'INT',
    defaultValue: 1000,
    validator: Range.atLeast(0),
    importance: 'LOW',
    documentation: 'How long a poll waits once every record was written',
  })

/**
 * Writes \`count\` records "<message> 1" ... "<message> <count>" to \`topic\`, with a struct value, and then waits. Its
 * source offset is the number of the last record written, so a restarted task carries on after it.
 */
export class ${source} extends SourceConnector {
  #props: Record<string, string> = {}

  version(): string {
    return VERSION
  }

  config(): ConfigDef {
    return SOURCE_CONFIG_DEF
  }

  start(props: Record<string, string>): void {
    // A bad config fails the start with a ConfigException naming the key.
    SOURCE_CONFIG_DEF.parse(props)
    this.#props = props
  }

  taskClass(): TaskClass {
    return ${n.pascal}SourceTask
  }

  taskConfigs(_maxTasks: number): Record<string, string>[] {
    // One sequence of numbers: one task, whatever tasks.max allows.
    const { [TOPIC_CONFIG]: topic = '', ...rest } = this.#props
    return [{ ...pick(rest, [MESSAGE_CONFIG, COUNT_CONFIG, POLL_INTERVAL_CONFIG]), [TOPIC_CONFIG]: topic }]
  }

  stop(): void {}
}

function pick(props: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.flatMap((k) => (props[k] === undefined ? [] : [[k, props[k]]])))
}
`,
    'src/source-task.ts': `import { type Schema, SchemaBuilder, SourceRecord, SourceTask, Struct } from '@ferry/api'
import { COUNT_CONFIG, MESSAGE_CONFIG, POLL_INTERVAL_CONFIG, SOURCE_CONFIG_DEF, TOPIC_CONFIG } from './source-connector.ts'
import { VERSION } from './version.ts'

/** The source partition of the sequence; its offset is \`{ n: <last number written> }\`. */
export const PARTITION = { sequence: 'messages' }

export const VALUE_SCHEMA: Schema = SchemaBuilder.struct()
  .name('${n.classPackage}.Message')
  .field('n', SchemaBuilder.int32().build())
  .field('text', SchemaBuilder.string().build())
  .build()

export class ${n.pascal}SourceTask extends SourceTask {
  #topic = ''
  #message = ''
  #count = 0
  #pollIntervalMs = 0
  #next = 1
  #stopped = false
  #wake: (() => void) | null = null

  version(): string {
    return VERSION
  }

  start(props: Record<string, string>): void {
    const config = SOURCE_CONFIG_DEF.parse(props)
    this.#topic = config[TOPIC_CONFIG] as string
    this.#message = config[MESSAGE_CONFIG] as string
    this.#count = config[COUNT_CONFIG] as number
    this.#pollIntervalMs = config[POLL_INTERVAL_CONFIG] as number
    const offset = this.context.offsetStorageReader().offset(PARTITION)
    if (offset) this.#next = Number(offset.n) + 1
  }

  async poll(): Promise<SourceRecord[] | null> {
    if (this.#stopped) return null
    if (this.#next > this.#count) {
      // Everything is written: wait a little instead of spinning, and wake up at once when stopped.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#pollIntervalMs)
        this.#wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      return null
    }
    const records: SourceRecord[] = []
    for (; this.#next <= this.#count && records.length < 100; this.#next++) {
      const value = new Struct(VALUE_SCHEMA).put('n', this.#next).put('text', \`\${this.#message} \${this.#next}\`)
      records.push(new SourceRecord(PARTITION, { n: this.#next }, this.#topic, null, null, null, VALUE_SCHEMA, value))
    }
    return records
  }

  stop(): void {
    this.#stopped = true
    this.#wake?.()
  }
}
`,
    'src/sink-connector.ts': `import { ConfigDef, SinkConnector, type TaskClass } from '@ferry/api'
import { ${n.pascal}SinkTask } from './sink-task.ts'
import { VERSION } from './version.ts'

export const FILE_CONFIG = 'file'

export const SINK_CONFIG_DEF = new ConfigDef().define({
  name: FILE_CONFIG,
  type: 'STRING',
  importance: 'HIGH',
  documentation: 'The file each record is appended to, as one line of JSON',
})

/** Appends each record to \`file\` as a line of JSON: its topic, partition, offset, key and value. */
export class ${sink} extends SinkConnector {
  #props: Record<string, string> = {}

  version(): string {
    return VERSION
  }

  config(): ConfigDef {
    return SINK_CONFIG_DEF
  }

  start(props: Record<string, string>): void {
    SINK_CONFIG_DEF.parse(props)
    this.#props = props
  }

  taskClass(): TaskClass {
    return ${n.pascal}SinkTask
  }

  taskConfigs(maxTasks: number): Record<string, string>[] {
    // Every task appends to the same file; each line is one write, so lines do not interleave.
    return Array.from({ length: maxTasks }, () => ({ ...this.#props }))
  }

  stop(): void {}

  override alterOffsets(): boolean {
    // Progress lives in the consumer group only: offsets can be changed freely.
    return true
  }
}
`,
    'src/sink-task.ts': `import { appendFile } from 'node:fs/promises'
import { ConnectException, type SinkRecord, SinkTask, Struct } from '@ferry/api'
import { FILE_CONFIG, SINK_CONFIG_DEF } from './sink-connector.ts'
import { VERSION } from './version.ts'

export class ${n.pascal}SinkTask extends SinkTask {
  #file = ''

  version(): string {
    return VERSION
  }

  start(props: Record<string, string>): void {
    this.#file = SINK_CONFIG_DEF.parse(props)[FILE_CONFIG] as string
  }

  async put(records: SinkRecord[]): Promise<void> {
    if (records.length === 0) return
    const lines = records.map((r) =>
      JSON.stringify({ topic: r.topic, partition: r.kafkaPartition, offset: r.kafkaOffset, key: plain(r.key), value: plain(r.value) }),
    )
    try {
      // One write per batch: once put resolves the records are in the file, so the default preCommit may commit them.
      await appendFile(this.#file, \`\${lines.join('\\n')}\\n\`)
    } catch (e) {
      throw new ConnectException(\`Could not append to \${this.#file}: \${(e as Error).message}\`, e as Error)
    }
  }

  stop(): void {}
}

/** A Connect value as plain JSON: a Struct as an object of its fields, a Map as an object, bytes as base64. */
function plain(value: unknown): unknown {
  if (value instanceof Struct) {
    return Object.fromEntries(value.schema.fields().map((f) => [f.name, plain(value.get(f.name))]))
  }
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]))
  if (Array.isArray(value)) return value.map(plain)
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  if (typeof value === 'bigint') return value.toString()
  return value
}
`,
    'test/source-connector.test.ts': `import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connectorConformance, runSourceTask } from '@ferry/testing'
import { ${source} } from '../src/source-connector.ts'

const config = { topic: 'messages', message: 'hi', count: '5', 'poll.interval.ms': '100' }

test('the source passes the connector conformance suite', async (t) => {
  await connectorConformance(t, {
    create: () => new ${source}(),
    config,
    invalid: { config: { ...config, count: '0' }, key: 'count' },
  })
})

test('the source writes count records through the JSON converter, and a restarted task carries on after its offset', async () => {
  const run = await runSourceTask(new ${source}(), {
    config: { ...config, count: '3' },
    worker: { 'key.converter': 'org.apache.kafka.connect.storage.StringConverter', 'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'value.converter.schemas.enable': 'false' },
  })
  assert.deepEqual(
    run.produced.map((r) => JSON.parse(Buffer.from(r.value!).toString())),
    [{ n: 1, text: 'hi 1' }, { n: 2, text: 'hi 2' }, { n: 3, text: 'hi 3' }],
  )
  const next = await runSourceTask(new ${source}(), { config, offsets: run.offsets })
  assert.deepEqual(next.records.map((r) => (r.value as { get(f: string): unknown }).get('n')), [4, 5])
})

test('the source runs with Apache transforms: InsertField adds a static field to each value', async () => {
  const run = await runSourceTask(new ${source}(), {
    config: {
      ...config,
      count: '1',
      transforms: 'origin',
      'transforms.origin.type': 'org.apache.kafka.connect.transforms.InsertField$Value',
      'transforms.origin.static.field': 'origin',
      'transforms.origin.static.value': 'test',
    },
  })
  assert.deepEqual(JSON.parse(Buffer.from(run.produced[0]!.value!).toString()).payload, { n: 1, text: 'hi 1', origin: 'test' })
})
`,
    'test/sink-connector.test.ts': `import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { connectorConformance, runSinkTask } from '@ferry/testing'
import { ${sink} } from '../src/sink-connector.ts'

async function tempFile(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sink-test-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return join(dir, 'out.jsonl')
}

test('the sink passes the connector conformance suite', async (t) => {
  await connectorConformance(t, { create: () => new ${sink}(), config: { file: await tempFile(t), topics: 'messages' } })
})

test('the sink appends each record as a line of JSON, after the converters, and commits what it wrote', async (t) => {
  const file = await tempFile(t)
  const run = await runSinkTask(new ${sink}(), {
    config: { file, topics: 'messages', 'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'value.converter.schemas.enable': 'false', 'key.converter': 'org.apache.kafka.connect.storage.StringConverter' },
    records: [
      { topic: 'messages', key: 'a', value: '{"n":1}' },
      { topic: 'messages', key: 'b', value: '{"n":2}' },
    ],
  })
  const lines = (await readFile(file, 'utf8')).trim().split('\\n').map((l) => JSON.parse(l))
  assert.deepEqual(lines, [
    { topic: 'messages', partition: 0, offset: 0, key: 'a', value: { n: 1 } },
    { topic: 'messages', partition: 0, offset: 1, key: 'b', value: { n: 2 } },
  ])
  assert.deepEqual([...run.committed.values()], [{ topic: 'messages', partition: 0, offset: 2 }])
})
`,
    'README.md': `# ${n.packageName}

A Ferry plugin package (Apache Kafka Connect in TypeScript), made with \`ferry new connector\`:

| Class (\`connector.class\`) | Kind | Keys |
|---|---|---|
| \`${n.classPackage}.${source}\` (alias \`${source}\`) | source | \`topic\`, \`message\` (hello), \`count\` (10), \`poll.interval.ms\` (1000) |
| \`${n.classPackage}.${sink}\` (alias \`${sink}\`) | sink | \`file\`, \`topics\` or \`topics.regex\` |

The source writes \`count\` records \`{ n, text: "<message> <n>" }\` to \`topic\`, then waits; its offset is the last \`n\`,
so a restarted task carries on. The sink appends each record to \`file\` as one line of JSON.

\`\`\`sh
npm install          # @ferry/api, @ferry/testing, TypeScript
npm test             # the connector conformance suite and in-process runs with real converters and transforms
npm pack             # builds (tsc into dist/) and packs ${tarballName(n.packageName)}
ferry plugins install ./${tarballName(n.packageName)} --plugin-path /opt/ferry/plugins
\`\`\`

Then a worker whose \`plugin.path\` is \`/opt/ferry/plugins\` runs them, e.g. with this connector config:

\`\`\`properties
name=${n.pascal.toLowerCase()}-source
connector.class=${n.classPackage}.${source}
topic=messages
count=100
\`\`\`

- \`package.json\`'s \`ferry\` field names the module that exports \`plugins\` (\`src/plugins.ts\`, compiled to
  \`dist/plugins.js\`); \`@ferry/api\` is a peer dependency: the worker brings its own.
- The tests run the TypeScript directly (Node.js 24); the package ships the compiled JavaScript, as Node does not run
  TypeScript from \`node_modules\`.
`,
  }
}

/** The file `npm pack` makes for a package name. */
export function tarballName(packageName: string): string {
  return `${packageName.replace(/^@/, '').replace('/', '-')}-0.1.0.tgz`
}
