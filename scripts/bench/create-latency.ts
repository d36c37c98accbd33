/**
 * How long creating connectors one after another takes through each worker of a 3-worker cluster (issue 13):
 * `npx node scripts/bench/create-latency.ts --bootstrap host:port [--engine ferry|apache] [--count 20]`.
 *
 * Starts three workers of a fresh group (Apache's or Ferry's, the same worker properties), then for each worker
 * creates `count` FileStreamSource connectors through its REST API, one after another, each request sent when the
 * previous one answered, and prints the median and the mean per create for that worker; the leader is the one the
 * others forward to. `--keep` keeps the worker logs. Not part of `npm test`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { distributedWorkerProps, randomName } from '@ferry/testing'
import { type DistributedProcess, startDistributed } from '../../packages/testing/src/standalone-process.ts'
import { type ApacheConnectProcess, startApacheConnect } from '../kafka/apache-connect.ts'

const { values } = parseArgs({
  options: {
    bootstrap: { type: 'string' },
    engine: { type: 'string', default: 'ferry' },
    count: { type: 'string', default: '20' },
    keep: { type: 'boolean', default: false },
  },
})
if (!values.bootstrap) throw new Error('--bootstrap host:port is required')
const count = Number(values.count)
const dir = await mkdtemp(join(tmpdir(), 'create-latency-'))
const group = randomName('create-latency')
// Apache's defaults for what the test helper shortens, so both engines run as a user's cluster would.
const props = distributedWorkerProps(values.bootstrap, group, {
  'session.timeout.ms': '10000',
  'heartbeat.interval.ms': '3000',
  'rebalance.timeout.ms': '60000',
  'scheduled.rebalance.max.delay.ms': '300000',
  'offset.flush.interval.ms': '60000',
})
const cleanups: Array<() => Promise<unknown>> = []
const t = { after: (fn: () => Promise<unknown>) => void cleanups.push(fn) }
try {
  const workers: Array<DistributedProcess | ApacheConnectProcess> = []
  for (let i = 0; i < 3; i++) {
    if (values.engine === 'apache') {
      const w = await startApacheConnect({ mode: 'distributed', dir, worker: props, label: `-${i}` })
      cleanups.push(() => w.stop())
      workers.push(w)
    } else {
      const w = await startDistributed(t, { dir, worker: props, label: `-${i}` })
      workers.push(w)
      for (;;) {
        const status = await fetch(`${w.url}/health`).then(
          (r) => r.status,
          () => 0,
        )
        if (status === 200) break
        if (w.child.exitCode !== null) throw new Error(`worker ${i} exited; log: ${w.logPath}`)
        await new Promise((r) => setTimeout(r, 200))
      }
    }
  }
  await writeFile(join(dir, 'in.txt'), '')
  for (const [wi, w] of workers.entries()) {
    const times: number[] = []
    for (let i = 0; i < count; i++) {
      const name = `c-${wi}-${i}`
      const start = performance.now()
      const response = await fetch(`${w.url}/connectors`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          name,
          config: {
            'connector.class': 'FileStreamSource',
            file: join(dir, 'in.txt'),
            topic: `${group}-out`,
            'tasks.max': '1',
          },
        }),
      })
      const text = await response.text()
      times.push(performance.now() - start)
      if (response.status !== 201) throw new Error(`create ${name} through ${w.url}: ${response.status} ${text}`)
    }
    const sorted = [...times].sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)]!
    const mean = times.reduce((a, b) => a + b, 0) / times.length
    console.log(
      `${values.engine} worker ${wi} (${w.url}): ${count} creates, median ${median.toFixed(0)} ms, mean ${mean.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms; each: ${times.map((ms) => ms.toFixed(0)).join(' ')}`,
    )
  }
} finally {
  for (const fn of cleanups.reverse()) await fn().catch(() => {})
  if (values.keep) console.log(`worker logs kept in ${dir}`)
  else await rm(dir, { recursive: true, force: true })
}
