import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { testBootstrap } from '../../kafka/test-env.ts'
import { runBench } from '../bench.ts'
import { eosCosts } from '../results.ts'
import { writeDocs, writeResults } from '../run.ts'

test("the quick bench's Ferry half runs every workload on tiny data and writes results, chart and docs", {
  timeout: 120_000,
}, async (t) => {
  const bootstrap = testBootstrap()
  const out = await mkdtemp(join(tmpdir(), 'ferry-bench-test-'))
  t.after(() => rm(out, { recursive: true, force: true }))

  const results = await runBench({
    quick: true,
    rounds: 1,
    engines: ['ferry'],
    workloads: ['source', 'sink', 'json', 'idle', 'startup', 'jdbc'],
    bootstrap,
    profile: true,
    records: 2000,
    jsonRecords: 300,
    jdbcRecords: 300,
    idleSettleMs: 1000,
    profileDir: join(out, 'profiles'),
    log: () => {},
  })

  const byId = new Map(results.workloads.map((w) => [w.id, w]))
  for (const w of results.workloads) {
    for (const r of w.runs) assert.ok(r.ok, `${w.id}: ${r.error}`)
  }
  for (const id of ['source', 'sink'] as const) {
    const ferry = byId.get(id)?.summary.ferry
    assert.ok((ferry?.msgsPerSec?.median ?? 0) > 0, `${id} msgs/s`)
    // CPU time is read from /proc in clock ticks (10 ms): a tiny run may measure zero, but it must be measured.
    const cpu = ferry?.cpuSecondsPerMillion?.median
    assert.ok(typeof cpu === 'number' && Number.isFinite(cpu) && cpu >= 0, `${id} CPU`)
    assert.ok((ferry?.peakRssMb?.median ?? 0) > 10, `${id} peak RSS`)
  }
  assert.equal(byId.get('sink')?.runs[0]?.sample?.slice(0, 11), '0000000000 ')
  const json = byId.get('json')!
  if (json.skipped.ferry) assert.match(json.skipped.ferry, /InsertField\$Value/)
  else assert.ok((json.summary.ferry?.msgsPerSec?.median ?? 0) > 0)
  assert.ok((byId.get('idle')?.summary.ferry?.idleRssMb?.median ?? 0) > 10)
  assert.ok((byId.get('startup')?.summary.ferry?.healthSeconds?.median ?? 0) > 0)
  const jdbc = byId.get('jdbc')!
  assert.equal(jdbc.skipped.ferry, undefined)
  assert.ok((jdbc.summary.ferry?.msgsPerSec?.median ?? 0) > 0, 'jdbc msgs/s')
  assert.equal(jdbc.runs[0]?.sample, '(0,customer-0000,customer0@example.com,0,USD,t,ref-00000000)')

  assert.deepEqual(
    results.profiles.map((p) => p.workload),
    ['source', 'sink'],
  )
  for (const p of results.profiles) {
    assert.ok(p.summary.busyMs > 0 && p.summary.top.length > 0, `${p.workload} profile has hot spots`)
  }

  const files = await writeResults(results, out)
  const stored = JSON.parse(await readFile(files.json, 'utf8')) as typeof results
  assert.equal(stored.workloads.length, 6)
  assert.match(await readFile(files.svg, 'utf8'), /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/)
  const docs = join(out, 'benchmarks.md')
  await writeDocs(results, files, docs)
  const md = await readFile(docs, 'utf8')
  assert.match(md, /## Where the time goes/)
  assert.match(md, /\| msgs\/s \| [\d,]+ \|/)
})

test("the CDC group's Ferry half snapshots and streams on its own PostgreSQL, with latencies and every event counted", {
  timeout: 300_000,
}, async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'ferry-bench-test-'))
  t.after(() => rm(out, { recursive: true, force: true }))

  const results = await runBench({
    quick: true,
    rounds: 1,
    engines: ['ferry'],
    workloads: ['cdc-snapshot', 'cdc-streaming'],
    bootstrap: testBootstrap(),
    profile: false,
    cdcRows: 500,
    profileDir: join(out, 'profiles'),
    log: () => {},
  })

  assert.deepEqual(
    results.workloads.map((w) => w.id),
    ['cdc-snapshot', 'cdc-streaming'],
  )
  for (const w of results.workloads) {
    assert.equal(w.records, 500)
    assert.deepEqual(w.skipped, {})
    for (const r of w.runs) assert.ok(r.ok, `${w.id}: ${r.error}`)
    const ferry = w.summary.ferry
    assert.ok((ferry?.msgsPerSec?.median ?? 0) > 0, `${w.id} events/s`)
    assert.ok((ferry?.peakRssMb?.median ?? 0) > 10, `${w.id} peak RSS`)
    // Values are Debezium envelopes with their schema (JsonConverter, schemas.enable=true): kilobytes, not bytes.
    assert.ok(w.recordBytes > 1000, `${w.id} record size ${w.recordBytes}`)
  }
  const streaming = results.workloads[1]!.summary.ferry!
  const p50 = streaming.latencyP50Ms?.median
  const p99 = streaming.latencyP99Ms?.median
  assert.ok(p50 !== undefined && p99 !== undefined && p50 >= 0 && p99 >= p50, `latencies ${p50} / ${p99}`)
  assert.ok((streaming.writerEventsPerSec?.median ?? 0) > 0)
})

test("the Avro group's Ferry half writes and reads back Avro through its own Apicurio Registry, every record counted", {
  timeout: 300_000,
}, async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'ferry-bench-test-'))
  t.after(() => rm(out, { recursive: true, force: true }))

  const results = await runBench({
    quick: true,
    rounds: 1,
    engines: ['ferry'],
    workloads: ['avro-source', 'avro-sink'],
    bootstrap: testBootstrap(),
    profile: false,
    records: 500,
    profileDir: join(out, 'profiles'),
    log: () => {},
  })

  assert.deepEqual(
    results.workloads.map((w) => w.id),
    ['avro-source', 'avro-sink'],
  )
  for (const w of results.workloads) {
    assert.equal(w.records, 500)
    assert.deepEqual(w.skipped, {})
    assert.equal(w.runs.length, 1)
    for (const r of w.runs) assert.ok(r.ok, `${w.id}: ${r.error}`)
    const ferry = w.summary.ferry
    assert.ok((ferry?.msgsPerSec?.median ?? 0) > 0, `${w.id} records/s`)
    assert.ok((ferry?.peakRssMb?.median ?? 0) > 10, `${w.id} peak RSS`)
    // A value is the magic byte, a 4-byte schema id and the Avro body of the 100-byte line and 'bench': about 110 bytes.
    assert.ok(w.recordBytes > 100 && w.recordBytes < 130, `${w.id} record size ${w.recordBytes}`)
  }
})

test("the exactly-once group's Ferry half runs a distributed worker with the support disabled, then enabled, every record committed", {
  timeout: 180_000,
}, async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'ferry-bench-test-'))
  t.after(() => rm(out, { recursive: true, force: true }))

  const results = await runBench({
    quick: true,
    rounds: 1,
    engines: ['ferry'],
    workloads: ['eos-off', 'eos-on'],
    bootstrap: testBootstrap(),
    profile: false,
    records: 500,
    profileDir: join(out, 'profiles'),
    log: () => {},
  })

  assert.deepEqual(
    results.workloads.map((w) => w.id),
    ['eos-off', 'eos-on'],
  )
  for (const w of results.workloads) {
    assert.equal(w.records, 500)
    assert.equal(w.runs.length, 1)
    for (const r of w.runs) assert.ok(r.ok, `${w.id}: ${r.error}`)
    const ferry = w.summary.ferry
    assert.ok((ferry?.msgsPerSec?.median ?? 0) > 0, `${w.id} records/s`)
    assert.ok((ferry?.peakRssMb?.median ?? 0) > 10, `${w.id} peak RSS`)
  }
  const [off, on] = results.workloads.map((w) => w.summary.ferry!)
  // Without the support the topic holds the records alone; with it, a commit marker after each transaction.
  assert.equal(off!.transactions?.median, 0)
  assert.ok((on!.transactions?.median ?? 0) >= 1, `transactions ${on!.transactions?.median}`)
  assert.ok((on!.recordsPerTransaction?.median ?? 0) > 0)
  const cost = eosCosts(results).ferry
  assert.ok(cost?.msgsPerSec !== undefined && cost.msgsPerSec > 0, 'the cost ratio of records/s')
})
