import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { runBench } from '../bench.ts'

test("the secured workloads' Ferry half runs on a secured broker's SASL_SSL listener and writes lz4 and zstd batches", {
  timeout: 180_000,
}, async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'ferry-bench-secured-test-'))
  t.after(() => rm(out, { recursive: true, force: true }))

  const results = await runBench({
    quick: true,
    rounds: 1,
    engines: ['ferry'],
    workloads: ['source-sasl-lz4', 'source-sasl-zstd', 'json-sasl-lz4', 'json-sasl-zstd'],
    profile: false,
    records: 3000,
    jsonRecords: 300,
    profileDir: join(out, 'profiles'),
    log: () => {},
  })

  const broker = results.securedBroker
  assert.ok(broker, 'the secured broker is in the results')
  assert.equal(broker.listener, 'SASL_SSL')
  assert.equal(broker.mechanism, 'SCRAM-SHA-512')
  assert.ok(broker.startupSeconds > 0 && broker.startupSeconds < 120, `startup ${broker.startupSeconds} s`)
  assert.match(broker.bootstrap, /^127\.0\.0\.1:\d+$/)

  const byId = new Map(results.workloads.map((w) => [w.id, w]))
  assert.deepEqual([...byId.keys()], ['source-sasl-lz4', 'source-sasl-zstd', 'json-sasl-lz4', 'json-sasl-zstd'])
  for (const w of results.workloads) {
    assert.equal(w.runs.length, 1, w.id)
    for (const r of w.runs) assert.ok(r.ok, `${w.id}: ${r.error}`)
    assert.ok((w.summary.ferry?.msgsPerSec?.median ?? 0) > 0, `${w.id} msgs/s`)
    assert.ok((w.summary.ferry?.peakRssMb?.median ?? 0) > 10, `${w.id} peak RSS`)
  }
  for (const codec of ['lz4', 'zstd'] as const) {
    const source = byId.get(`source-sasl-${codec}`)!
    const check = source.runs[0]?.compression
    assert.ok(check, `${codec}: the output topic was checked`)
    assert.equal(check.codec, codec)
    assert.deepEqual(check.codecs, { [codec]: check.batches })
    assert.equal(check.records, 3000)
    assert.ok((source.summary.ferry?.logBytesPerRecord?.median ?? 100) < 100, `${codec} compresses 100-byte lines`)

    const json = byId.get(`json-sasl-${codec}`)!
    assert.equal(json.inputCompression?.codec, codec)
    assert.deepEqual(json.inputCompression?.codecs, { [codec]: json.inputCompression?.batches })
    assert.match(json.runs[0]?.sample ?? '', /^Struct\{id=0,customer_name=customer-0000,/)
  }
})
