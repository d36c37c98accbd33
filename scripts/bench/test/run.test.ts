import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { BenchResults, WorkloadResult } from '../results.ts'
import { keepHandSections, selectWorkloads, writeDocs, writeResults } from '../run.ts'
import type { WorkloadId } from '../workloads.ts'

const NUMBERS: Record<string, number> = {
  source: 1,
  sink: 2,
  'source-sasl-lz4': 8,
  'source-sasl-zstd': 9,
  'json-sasl-lz4': 10,
  'json-sasl-zstd': 11,
  'scale-100': 12,
  'scale-300': 13,
  elasticsearch: 15,
  's3-json': 16,
  's3-bytes': 17,
  'cdc-snapshot': 20,
  'cdc-streaming': 21,
  'avro-source': 22,
  'avro-sink': 23,
  'eos-off': 24,
  'eos-on': 25,
}

const SINK_BASELINES: Record<string, 'bulk-loader' | 'put-object'> = {
  elasticsearch: 'bulk-loader',
  's3-json': 'put-object',
  's3-bytes': 'put-object',
}

/** A results file of a run of `ids` where Ferry's msgs/s is `ratio` times Apache's 1000. */
function run(
  startedAt: string,
  ids: WorkloadId[],
  ratio: number,
  mode: 'full' | 'quick' = 'full',
  engines: Array<'apache' | 'ferry'> = ['apache', 'ferry'],
): BenchResults {
  const summary = (x: number) => ({ median: x, min: x, max: x, spread: 0, n: 1 })
  const workloads: WorkloadResult[] = ids.map((id): WorkloadResult => {
    if (id.startsWith('scale-')) {
      // The scale group: join and kill times and RSS per task at `ratio` times Apache's, one needless restart at
      // the join and one at the kill.
      const apache = { joinSeconds: 10, killSeconds: 20, rssPerTaskMb: 4, joinNeedlessRestarts: 0 }
      const ferry = { joinSeconds: 10 * ratio, killSeconds: 20 * ratio, rssPerTaskMb: 4 * ratio }
      const f = { ...ferry, createNeedlessStarts: 0, joinNeedlessRestarts: 1, killNeedlessRestarts: 1 }
      const sum = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, summary(v)]))
      return {
        id,
        number: NUMBERS[id] ?? 0,
        title: `Scale: ${id.slice(6)} connectors × 2 tasks, 3 workers`,
        description: `description of ${id}.`,
        records: 0,
        recordBytes: 0,
        runners: ['apache', 'ferry'],
        skipped: {},
        runs: [
          { runner: 'apache', round: 1, ok: true, metrics: apache },
          { runner: 'ferry', round: 1, ok: true, metrics: f },
        ],
        summary: { apache: sum(apache), ferry: sum(f) },
        ratios: { joinSeconds: ratio, killSeconds: ratio, rssPerTaskMb: ratio },
      }
    }
    const baseline = SINK_BASELINES[id]
    if (baseline) {
      // A sink group: Ferry's msgs/s `ratio` times the direct client's 1000.
      return {
        id,
        number: NUMBERS[id] ?? 0,
        title: `title of ${id}`,
        description: `description of ${id}.`,
        records: 1000,
        recordBytes: 180,
        runners: [baseline, 'ferry'],
        skipped: {},
        runs: [
          { runner: baseline, round: 1, ok: true, metrics: { msgsPerSec: 1000 } },
          { runner: 'ferry', round: 1, ok: true, metrics: { msgsPerSec: 1000 * ratio } },
        ],
        summary: { [baseline]: { msgsPerSec: summary(1000) }, ferry: { msgsPerSec: summary(1000 * ratio) } },
        ratios: { msgsPerSec: ratio },
        baseline,
      }
    }
    return {
      id,
      number: NUMBERS[id] ?? 0,
      title: `title of ${id}`,
      description: `description of ${id}.`,
      records: 1000,
      recordBytes: 100,
      runners: ['apache', 'ferry'],
      skipped: {},
      runs: [
        { runner: 'apache', round: 1, ok: true, metrics: { msgsPerSec: 1000 } },
        { runner: 'ferry', round: 1, ok: true, metrics: { msgsPerSec: 1000 * ratio } },
      ],
      summary: { apache: { msgsPerSec: summary(1000) }, ferry: { msgsPerSec: summary(1000 * ratio) } },
      ratios: { msgsPerSec: ratio },
    }
  })
  return {
    schema: 1,
    mode,
    startedAt,
    finishedAt: startedAt,
    rounds: 2,
    engines,
    machine: {
      cores: 2,
      cpuModel: 'cpu',
      memoryGiB: 1,
      os: 'Linux',
      loadAverageBefore: [0, 0, 0],
      loadAverageAfter: [0, 0, 0],
    },
    versions: {
      node: 'v24',
      java: 'java 17',
      kafka: '4.4.0',
      apacheConnect: '4.4.0',
      connectFile: '4.3.1',
      ferry: `0.1.0 (${startedAt.slice(11, 13)})`,
    },
    apache: { jvmOptions: ['-Xmx2G'], perfToolJvmOptions: ['-Xmx512M'] },
    broker: { bootstrap: '127.0.0.1:1', startedByBench: true, settings: 'one node' },
    ...(ids.some((id) => id.includes('sasl'))
      ? {
          securedBroker: {
            listener: 'SASL_SSL',
            bootstrap: '127.0.0.1:2',
            mechanism: 'SCRAM-SHA-512',
            user: 'alice',
            truststore: 'PKCS12',
            startupSeconds: 9.25,
            settings: 'secured node',
          },
        }
      : {}),
    workloads,
    profiles: [],
    notes: [],
  }
}

/** The `### N. title` headings of a section of the page, up to the next `## `. */
function headings(md: string, section: string): number[] {
  const at = md.indexOf(`\n## ${section}`)
  assert.ok(at >= 0, `no section ${section}`)
  const end = md.indexOf('\n## ', at + 1)
  return [...md.slice(at, end < 0 ? undefined : end).matchAll(/^### (\d+)\. /gm)].map((m) => Number(m[1]))
}

const PLAIN: WorkloadId[] = ['source', 'sink']
const SECURED: WorkloadId[] = ['source-sasl-lz4', 'source-sasl-zstd', 'json-sasl-lz4', 'json-sasl-zstd']

test('a run of only the secured workloads keeps the rest of the page from the latest full run of workloads 1-7', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-docs-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const docs = join(dir, 'benchmarks.md')
  await writeResults(run('2026-01-01T10:00:00.000Z', PLAIN, 1.5), dir)
  const latestPlain = await writeResults(run('2026-01-01T11:00:00.000Z', PLAIN, 2.5), dir)
  await writeResults(run('2026-01-01T11:30:00.000Z', ['source'], 3.5, 'quick'), dir)
  await writeResults(run('2026-01-01T11:40:00.000Z', ['source'], 5.5, 'full', ['ferry']), dir)

  const secured = run('2026-01-01T12:00:00.000Z', SECURED, 4.25)
  const files = await writeResults(secured, dir)
  await writeDocs(secured, files, docs)
  const md = await readFile(docs, 'utf8')

  assert.match(md, /from 2026-01-01T11-00-00Z\.json; edits here are overwritten/)
  assert.deepEqual(headings(md, 'Results'), [1, 2])
  assert.match(md, /\| msgs\/s \| 1,000 \| 2,500 \| 2\.50× ↑ \|/)
  assert.deepEqual(headings(md, 'Secured broker'), [8, 9, 10, 11])
  assert.match(md, /\| msgs\/s \| 1,000 \| 4,250 \| 4\.25× ↑ \|/)
  assert.match(md, /separate run of `npm run bench` \(2026-01-01T12:00:00\.000Z/)
  assert.match(md, /\[2026-01-01T12-00-00Z\.json\]\(2026-01-01T12-00-00Z\.json\)/)
  assert.match(md, /!\[Ferry \/ Apache ratios, workloads 8–11\]\(2026-01-01T12-00-00Z\.svg\)/)
  assert.match(md, /it was up in \*\*9\.3 s\*\*/)
  assert.match(md, /rounds? \(the secured workloads 8–11 from a run of their own/)
  assert.doesNotMatch(md, /5,500/)
  // The before/after table of workloads 1-7 lists only the runs of both workers that had them (not the quick one).
  const before = md.slice(md.indexOf('## Before and after'), md.indexOf('## Where the time goes'))
  assert.deepEqual(
    [...before.matchAll(/^\| (2026-[\d-]+ [\d:]+) \|/gm)].map((m) => m[1]),
    ['2026-01-01 10:00', '2026-01-01 11:00'],
  )
  assert.ok(latestPlain.json.endsWith('2026-01-01T11-00-00Z.json'))
})

test('a later run of workloads 1-7 keeps the secured section of the latest full run that had it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-docs-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const docs = join(dir, 'benchmarks.md')
  await writeResults(run('2026-01-01T09:00:00.000Z', SECURED, 1.25), dir)
  await writeResults(run('2026-01-01T10:00:00.000Z', SECURED, 2.25), dir)
  const plain = run('2026-01-01T11:00:00.000Z', PLAIN, 3.5)
  await writeDocs(plain, await writeResults(plain, dir), docs)
  const md = await readFile(docs, 'utf8')

  assert.match(md, /from 2026-01-01T11-00-00Z\.json; edits here are overwritten/)
  assert.deepEqual(headings(md, 'Results'), [1, 2])
  assert.deepEqual(headings(md, 'Secured broker'), [8, 9, 10, 11])
  assert.match(md, /\| msgs\/s \| 1,000 \| 2,250 \| 2\.25× ↑ \|/)
  assert.doesNotMatch(md, /1\.25× ↑/)
  // Both secured runs are in the secured section's own before/after table.
  const secured = md.slice(md.indexOf('## Secured broker'), md.indexOf('## Targets'))
  assert.match(secured, /\| 2026-01-01 09:00 \| 0\.1\.0 \(09\) \| 1\.25× \| 1\.25× \| 1\.25× \| 1\.25× \|/)
  assert.match(secured, /\| 2026-01-01 10:00 \| 0\.1\.0 \(10\) \| 2\.25× \|/)
})

test('a full run of everything puts all workloads on the page with one chart and no separate-run note', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-docs-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const docs = join(dir, 'benchmarks.md')
  const all = run('2026-01-01T12:00:00.000Z', [...PLAIN, ...SECURED], 2)
  await writeDocs(all, await writeResults(all, dir), docs)
  const md = await readFile(docs, 'utf8')
  assert.deepEqual(headings(md, 'Results'), [1, 2])
  assert.deepEqual(headings(md, 'Secured broker'), [8, 9, 10, 11])
  assert.doesNotMatch(md, /separate run/)
  assert.equal([...md.matchAll(/!\[Ferry \/ Apache ratios/g)].length, 1)
  assert.match(await readFile(join(dir, '2026-01-01T12-00-00Z.svg'), 'utf8'), /8\. file source, SASL_SSL \+ lz4/)
})

test('a run of only the scale group keeps the rest of the page, and a later run of 1-7 keeps the scale section', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-docs-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const docs = join(dir, 'benchmarks.md')
  await writeResults(run('2026-01-01T10:00:00.000Z', PLAIN, 2.5), dir)
  await writeResults(run('2026-01-01T10:30:00.000Z', SECURED, 4.25), dir)
  const scale = run('2026-01-01T11:00:00.000Z', ['scale-100', 'scale-300'], 0.25)
  await writeDocs(scale, await writeResults(scale, dir), docs)
  let md = await readFile(docs, 'utf8')
  assert.match(md, /from 2026-01-01T10-00-00Z\.json; edits here are overwritten/)
  assert.deepEqual(headings(md, 'Results'), [1, 2])
  assert.deepEqual(headings(md, 'Secured broker'), [8, 9, 10, 11])
  assert.deepEqual(headings(md, 'Scale'), [12, 13])
  assert.match(md, /## Scale: 3 distributed workers, 100, 300 connectors \(workloads 12–13\)/)
  assert.match(md, /separate run of `npm run bench` \(2026-01-01T11:00:00\.000Z/)
  assert.match(md, /the secured workloads 8–11 and the scale group from runs of their own/)
  // The goals table says what was measured, and not met when it was not.
  const at = (n: number, count: number) => `\\| ${n}\\. ${count} connectors × 2 tasks, 3 workers: `
  assert.match(
    md,
    new RegExp(
      `${at(12, 100)}a worker joins: time to balanced and all RUNNING ≤ 0\\.5× Apache \\| 0\\.250× \\| \\*\\*met\\*\\* \\|`,
    ),
  )
  assert.match(md, new RegExp(`${at(12, 100)}RSS per task ≤ 0\\.1× Apache \\| 0\\.250× \\| not met \\|`))
  assert.match(
    md,
    new RegExp(
      `${at(13, 300)}Ferry restarts no task that should stay put \\(creates, join, kill\\) \\| 2 \\| not met \\|`,
    ),
  )
  // The scale tables: each metric with both sides and the ratio.
  assert.match(md, /\| RSS per task, MiB \| 4\.00 \| 1\.00 \| 0\.250× ↓ \|/)

  const plain = run('2026-01-01T12:00:00.000Z', PLAIN, 3.5)
  await writeDocs(plain, await writeResults(plain, dir), docs)
  md = await readFile(docs, 'utf8')
  assert.match(md, /from 2026-01-01T12-00-00Z\.json; edits here are overwritten/)
  assert.deepEqual(headings(md, 'Scale'), [12, 13])
  assert.match(md, /\[2026-01-01T11-00-00Z\.json\]\(2026-01-01T11-00-00Z\.json\)/)
})

test('a run of one group replaces only its own section of an existing page; the rest, spliced by hand or not, stays', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-docs-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const docs = join(dir, 'benchmarks.md')
  const all = run('2026-01-01T10:00:00.000Z', [...PLAIN, ...SECURED], 2.5)
  await writeDocs(all, await writeResults(all, dir), docs)
  // Somebody splices a section in by hand.
  await writeFile(
    docs,
    (await readFile(docs, 'utf8')).replace(/^(## Secured broker[^\n]*\n)/m, '$1\nspliced by hand\n'),
  )

  const scale = run('2026-01-01T11:00:00.000Z', ['scale-100', 'scale-300'], 0.25)
  await writeDocs(scale, await writeResults(scale, dir), docs)
  let md = await readFile(docs, 'utf8')
  assert.match(md, /from 2026-01-01T10-00-00Z\.json; edits here are overwritten/)
  assert.match(md, /spliced by hand/)
  assert.deepEqual(headings(md, 'Results'), [1, 2])
  assert.deepEqual(headings(md, 'Scale'), [12, 13])
  assert.ok(md.indexOf('\n## Scale') < md.indexOf('\n## Targets'), 'a new group section goes before the targets')
  assert.equal([...md.matchAll(/^## Scale/gm)].length, 1)

  const secured = run('2026-01-01T12:00:00.000Z', SECURED, 4.25)
  await writeDocs(secured, await writeResults(secured, dir), docs)
  md = await readFile(docs, 'utf8')
  assert.doesNotMatch(md, /spliced by hand/)
  assert.deepEqual(headings(md, 'Secured broker'), [8, 9, 10, 11])
  assert.match(md, /\| msgs\/s \| 1,000 \| 4,250 \| 4\.25× ↑ \|/)
  assert.deepEqual(headings(md, 'Scale'), [12, 13])
  assert.deepEqual(headings(md, 'Results'), [1, 2])
  assert.equal([...md.matchAll(/^## Secured broker/gm)].length, 1)
})

test('the newest soak results file has its own section, with each worker’s growth and the verdict', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-docs-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const docs = join(dir, 'benchmarks.md')
  const w = (first: number, last: number) => ({
    first: { fromMs: 180_000, toMs: 270_000, n: 18, median: first },
    last: { fromMs: 810_000, toMs: 900_001, n: 18, median: last },
    growth: (last - first) / first,
  })
  const memory = { heapTotal: w(60, 61), newSpace: w(16, 32), oldSpace: w(30, 31), external: w(12, 12) }
  const soak = (startedAt: string, rss: number, breakdown?: typeof memory) => ({
    kind: 'soak',
    startedAt,
    finishedAt: startedAt,
    durationMinutes: 15,
    ratePerPipeline: 200,
    sampleSeconds: 5,
    windows: { windowSeconds: 90, settledFromSeconds: 180 },
    limitPercent: 5,
    machine: {
      cores: 2,
      cpuModel: 'cpu',
      memoryGiB: 1,
      os: 'Linux',
      loadAverageBefore: [1, 1, 1],
      loadAverageAfter: [2, 2, 2],
    },
    versions: { node: 'v24', ferry: '0.1.0 (abc)' },
    workers: [
      {
        name: 'standalone',
        mode: 'standalone',
        samples: 180,
        rss: w(100, rss),
        lagP99: w(2, 2.1),
        heapUsed: w(40, 41),
        ...(breakdown ? { memory: breakdown } : {}),
        peakRssMb: 130,
        cpuSeconds: 50,
      },
    ],
    pipelines: [{ name: 'standalone text', written: 180_000, delivered: 180_000 }],
    ok: rss < 105,
    failures: rss < 105 ? [] : [`standalone RSS grew ${rss - 100}.0 %`],
  })
  await writeFile(join(dir, 'soak-2026-01-01T08-00-00Z.json'), JSON.stringify(soak('2026-01-01T08:00:00.000Z', 110)))
  await writeFile(join(dir, 'soak-2026-01-01T09-00-00Z.json'), JSON.stringify(soak('2026-01-01T09:00:00.000Z', 102)))
  const plain = run('2026-01-01T10:00:00.000Z', PLAIN, 2)
  await writeDocs(plain, await writeResults(plain, dir), docs)
  const md = await readFile(docs, 'utf8')
  assert.match(md, /## Soak\n/)
  assert.match(md, /\[soak-2026-01-01T09-00-00Z\.json\]\(soak-2026-01-01T09-00-00Z\.json\)/)
  assert.match(md, /\| standalone \| 100\.0 \| 102\.0 \| \+2\.0 % \| 2\.00 \| 2\.10 \| \+5\.0 % \|/)
  assert.match(md, /\*\*Passed\*\*: no growth of 5 % or more, every line delivered\./)
  assert.doesNotMatch(md, /110\.0/)
  assert.doesNotMatch(md, /Where the memory is/, 'a soak that did not record the breakdown has no table of it')

  // A newer soak, then the page rewritten for a run of one group only (what npm run soak does when the newest run
  // of both workers is one group's): the soak section is the newer soak's.
  await writeFile(
    join(dir, 'soak-2026-01-01T11-00-00Z.json'),
    JSON.stringify(soak('2026-01-01T11:00:00.000Z', 104, memory)),
  )
  const scale = run('2026-01-01T12:00:00.000Z', ['scale-100'], 0.25)
  await writeDocs(scale, await writeResults(scale, dir), docs)
  const spliced = await readFile(docs, 'utf8')
  assert.equal([...spliced.matchAll(/^## Soak\n/gm)].length, 1)
  assert.match(spliced, /\[soak-2026-01-01T11-00-00Z\.json\]/)
  assert.match(spliced, /\| standalone \| 100\.0 \| 104\.0 \| \+4\.0 % \|/)
  assert.match(spliced, /Where the memory is/)
  assert.match(spliced, /\| standalone \| 60\.0 → 61\.0 \| 16\.0 → 32\.0 \| 30\.0 → 31\.0 \| 12\.0 → 12\.0 \|/)
})

test('sections kept by hand on the page survive a rewrite; the generated ones are replaced', () => {
  const old =
    '# B\n\n## Run\n\nold run\n\n## Results\n\nold\n\n## Elasticsearch sink\n\nby hand\n\n## Running it\n\nold\n'
  const page = '# B\n\n## Run\n\nnew run\n\n## Running it\n\nnew\n'
  assert.equal(
    keepHandSections(old, page),
    '# B\n\n## Run\n\nnew run\n\n## Running it\n\nnew\n\n## Elasticsearch sink\n\nby hand\n',
  )
  assert.equal(keepHandSections('', page), page)
})

test('--workloads expands the sink groups and the scale group, and refuses unknown names naming the known ones', () => {
  assert.deepEqual(selectWorkloads('elasticsearch,s3', []), ['elasticsearch', 's3-json', 's3-bytes'])
  assert.deepEqual(selectWorkloads('source,s3-bytes,scale', [20]), ['source', 's3-bytes', 'scale-20'])
  assert.deepEqual(selectWorkloads('s3,s3-json', []), ['s3-json', 's3-bytes'])
  const all = selectWorkloads(undefined, [])
  assert.ok(
    ['source', 'jdbc', 'json-sasl-zstd', 'elasticsearch', 's3-json', 's3-bytes'].every((id) =>
      all.includes(id as WorkloadId),
    ),
  )
  assert.ok(!all.some((id) => id.startsWith('scale-')))
  assert.ok(!all.some((id) => id.startsWith('cdc-')))
  assert.deepEqual(selectWorkloads('cdc', []), ['cdc-snapshot', 'cdc-streaming'])
  assert.deepEqual(selectWorkloads('source,cdc-streaming', []), ['source', 'cdc-streaming'])
  assert.ok(!all.some((id) => id.startsWith('avro-')))
  assert.deepEqual(selectWorkloads('avro', []), ['avro-source', 'avro-sink'])
  assert.deepEqual(selectWorkloads('cdc,avro-sink', []), ['cdc-snapshot', 'cdc-streaming', 'avro-sink'])
  assert.ok(!all.some((id) => id.startsWith('eos-')))
  assert.deepEqual(selectWorkloads('eos', []), ['eos-off', 'eos-on'])
  assert.deepEqual(selectWorkloads('source,eos-on', []), ['source', 'eos-on'])
  assert.ok(!all.includes('sink-failover'))
  assert.deepEqual(selectWorkloads('failover', []), ['sink-failover'])
  assert.throws(
    () => selectWorkloads('source,opensearch', []),
    /unknown workload 'opensearch' \(known: .*elasticsearch.*cdc-snapshot.*avro-source, avro-sink, eos-off, eos-on, sink-failover; groups: elasticsearch, s3, cdc, avro, eos, failover, scale\)/,
  )
  assert.throws(() => selectWorkloads('source,', []), /unknown workload ''/)
})

test('a run of only the sink groups keeps the page and gives each group its section with issue 15’s goal', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-docs-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const docs = join(dir, 'benchmarks.md')
  const first = run('2026-01-01T10:00:00.000Z', PLAIN, 2.5)
  await writeDocs(first, await writeResults(first, dir), docs)
  await writeFile(docs, `${await readFile(docs, 'utf8')}\n## Sink runs before npm run bench had them\n\nby hand\n`)
  const sinks = run('2026-01-01T11:00:00.000Z', ['elasticsearch', 's3-json', 's3-bytes'], 0.75)
  sinks.workloads[2]!.runs[1]!.metrics.msgsPerSec = 900
  sinks.workloads[2]!.ratios.msgsPerSec = 0.9
  await writeDocs(sinks, await writeResults(sinks, dir), docs)
  let md = await readFile(docs, 'utf8')
  assert.match(md, /from 2026-01-01T10-00-00Z\.json; edits here are overwritten/)
  assert.deepEqual(headings(md, 'Results'), [1, 2])
  assert.match(md, /## Elasticsearch sink \(workload 15\)/)
  assert.match(md, /## S3 sink \(workloads 16–17\)/)
  assert.deepEqual(headings(md, 'Elasticsearch sink'), [15])
  assert.deepEqual(headings(md, 'S3 sink'), [16, 17])
  assert.match(md, /the sink groups from a run of their own/)
  assert.match(md, /\| metric \| direct `_bulk` loader \| Ferry \| Ferry \/ direct \|/)
  assert.match(md, /\| msgs\/s \| 1,000 \| 750 \| 0\.750× ↑ \|/)
  assert.match(
    md,
    /\| 15\. title of elasticsearch: throughput ≥ 0\.8 of the direct `_bulk` loader \| 0\.75 \| not met \|/,
  )
  assert.match(
    md,
    /\| 17\. title of s3-bytes: throughput ≥ 0\.8 of the direct PutObject uploads \| 0\.90 \| \*\*met\*\* \|/,
  )
  assert.match(md, /## Sink runs before npm run bench had them\n\nby hand/)

  // A later run of 1-7 keeps both sink sections from the run that had them, and the hand-kept section once.
  const plain = run('2026-01-01T12:00:00.000Z', PLAIN, 3.5)
  await writeDocs(plain, await writeResults(plain, dir), docs)
  md = await readFile(docs, 'utf8')
  assert.deepEqual(headings(md, 'S3 sink'), [16, 17])
  assert.match(md, /\[2026-01-01T11-00-00Z\.json\]\(2026-01-01T11-00-00Z\.json\)/)
  assert.equal([...md.matchAll(/^## Sink runs before/gm)].length, 1)
  assert.equal([...md.matchAll(/^## Elasticsearch sink/gm)].length, 1)
})

test('a run of only the CDC group gives it its section with issue 17’s goals and keeps it in later runs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-docs-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const docs = join(dir, 'benchmarks.md')
  await writeResults(run('2026-01-01T10:00:00.000Z', PLAIN, 2.5), dir)
  const cdc = run('2026-01-01T11:00:00.000Z', ['cdc-snapshot', 'cdc-streaming'], 1.6)
  const streaming = cdc.workloads[1]!
  streaming.ratios.peakRssMb = 0.25
  streaming.summary.ferry!.latencyP50Ms = { median: 12, min: 12, max: 12, spread: 0, n: 1 }
  await writeDocs(cdc, await writeResults(cdc, dir), docs)
  let md = await readFile(docs, 'utf8')
  assert.deepEqual(headings(md, 'Results'), [1, 2])
  assert.match(md, /## PostgreSQL CDC \(workloads 20–21\)/)
  assert.deepEqual(headings(md, 'PostgreSQL CDC'), [20, 21])
  assert.match(md, /the CDC group from a run of their own/)
  assert.match(md, /\| 20\. title of cdc-snapshot: events\/s ≥ 1\.5× Debezium's \| 1\.60× \| \*\*met\*\* \|/)
  assert.match(md, /\| 21\. title of cdc-streaming: peak RSS ≤ 0\.2× Debezium's \| 0\.250× \| not met \|/)
  assert.match(md, /\| commit → Kafka latency p50, ms \| - \| 12 \|/)
  assert.doesNotMatch(md, /## Targets[\s\S]*title of cdc-/)

  const plain = run('2026-01-01T12:00:00.000Z', PLAIN, 3.5)
  await writeDocs(plain, await writeResults(plain, dir), docs)
  md = await readFile(docs, 'utf8')
  assert.deepEqual(headings(md, 'PostgreSQL CDC'), [20, 21])
  assert.equal([...md.matchAll(/^## PostgreSQL CDC/gm)].length, 1)
})

test('a run of only the Avro group gives it its section with issue 19’s ratios, keeping the older hand-kept one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-docs-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const docs = join(dir, 'benchmarks.md')
  const first = run('2026-01-01T10:00:00.000Z', PLAIN, 2.5)
  await writeDocs(first, await writeResults(first, dir), docs)
  await writeFile(
    docs,
    `${await readFile(docs, 'utf8')}\n## Avro converter runs before \`npm run bench\` had them\n\nby hand\n`,
  )
  const avro = run('2026-01-01T11:00:00.000Z', ['avro-source', 'avro-sink'], 8)
  const sink = avro.workloads[1]!
  sink.ratios.peakRssMb = 0.125
  sink.summary.apache!.peakRssMb = { median: 1200, min: 1200, max: 1200, spread: 0, n: 1 }
  sink.summary.ferry!.peakRssMb = { median: 150, min: 150, max: 150, spread: 0, n: 1 }
  await writeDocs(avro, await writeResults(avro, dir), docs)
  let md = await readFile(docs, 'utf8')
  assert.deepEqual(headings(md, 'Results'), [1, 2])
  assert.match(md, /## Avro converter \(workloads 22–23\)/)
  assert.deepEqual(headings(md, 'Avro converter (workloads'), [22, 23])
  assert.match(md, /the Avro group from a run of their own/)
  assert.match(md, /\| 22\. title of avro-source \| 8\.00× \| - \| - \|/)
  assert.match(md, /\| 23\. title of avro-sink \| 8\.00× \| - \| 0\.125× \|/)
  assert.match(md, /\| peak RSS, MiB \| 1,200 \| 150 \| 0\.125× ↓ \|/)
  assert.doesNotMatch(md, /## Targets[\s\S]*title of avro-/)
  assert.equal([...md.matchAll(/^## Avro converter runs before/gm)].length, 1)

  const plain = run('2026-01-01T12:00:00.000Z', PLAIN, 3.5)
  await writeDocs(plain, await writeResults(plain, dir), docs)
  md = await readFile(docs, 'utf8')
  assert.deepEqual(headings(md, 'Avro converter (workloads'), [22, 23])
  assert.equal([...md.matchAll(/^## Avro converter \(workloads/gm)].length, 1)
  assert.equal([...md.matchAll(/^## Avro converter runs before/gm)].length, 1)
})

test('a run of only the exactly-once group gives it its section with each engine’s cost and keeps it in later runs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-docs-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const docs = join(dir, 'benchmarks.md')
  await writeResults(run('2026-01-01T10:00:00.000Z', PLAIN, 2.5), dir)
  const eos = run('2026-01-01T11:00:00.000Z', ['eos-off', 'eos-on'], 2)
  const summary = (x: number) => ({ median: x, min: x, max: x, spread: 0, n: 1 })
  // Enabled: Apache 800 records/s (0.8 of its 1000 disabled), Ferry 1500 (0.75 of its 2000); CPU 10 → 15 and 4 → 5.
  const [off, on] = eos.workloads as [WorkloadResult, WorkloadResult]
  off.summary.apache!.cpuSecondsPerMillion = summary(10)
  off.summary.ferry!.cpuSecondsPerMillion = summary(4)
  on.summary.apache = { msgsPerSec: summary(800), cpuSecondsPerMillion: summary(15) }
  on.summary.ferry = { msgsPerSec: summary(1500), cpuSecondsPerMillion: summary(5) }
  on.ratios = { msgsPerSec: 1.875, cpuSecondsPerMillion: 1 / 3 }
  await writeDocs(eos, await writeResults(eos, dir), docs)
  let md = await readFile(docs, 'utf8')
  assert.deepEqual(headings(md, 'Results'), [1, 2])
  assert.match(md, /## Exactly-once source support \(workloads 24–25\)/)
  assert.deepEqual(headings(md, 'Exactly-once source support'), [24, 25])
  assert.match(md, /the exactly-once group from a run of their own/)
  assert.match(md, /\| Apache Connect: enabled \/ disabled \(the cost of exactly-once\) \| 0\.800× \| 1\.50× \| - \|/)
  assert.match(md, /\| Ferry: enabled \/ disabled \(the cost of exactly-once\) \| 0\.750× \| 1\.25× \| - \|/)
  assert.match(md, /\| Ferry \/ Apache Connect, both enabled \| 1\.88× \| 0\.333× \| - \|/)
  assert.match(md, /\| Ferry \/ Apache Connect, both disabled \| 2\.00× \| - \| - \|/)
  assert.equal([...md.matchAll(/\| Ferry: enabled \/ disabled/g)].length, 1)
  assert.doesNotMatch(md, /## Targets[\s\S]*title of eos-/)

  const plain = run('2026-01-01T12:00:00.000Z', PLAIN, 3.5)
  await writeDocs(plain, await writeResults(plain, dir), docs)
  md = await readFile(docs, 'utf8')
  assert.deepEqual(headings(md, 'Exactly-once source support'), [24, 25])
  assert.equal([...md.matchAll(/^## Exactly-once source support/gm)].length, 1)
})
