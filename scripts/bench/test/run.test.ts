import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { BenchResults, WorkloadResult } from '../results.ts'
import { writeDocs, writeResults } from '../run.ts'
import type { WorkloadId } from '../workloads.ts'

const NUMBERS: Record<string, number> = {
  source: 1,
  sink: 2,
  'source-sasl-lz4': 8,
  'source-sasl-zstd': 9,
  'json-sasl-lz4': 10,
  'json-sasl-zstd': 11,
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
  const workloads: WorkloadResult[] = ids.map((id) => ({
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
  }))
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
