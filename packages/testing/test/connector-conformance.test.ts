import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  ConfigDef,
  type Connector,
  Schema,
  SinkConnector,
  type SinkRecord,
  SinkTask,
  SourceConnector,
  SourceRecord,
  SourceTask,
  type TaskClass,
} from '@ferry/api'
import { connectorConformance, type Subtests } from '../src/index.ts'

/** Runs the suite with a recorder in place of node:test: each check's name and its failure, if any. */
async function failures(options: Parameters<typeof connectorConformance>[1]): Promise<Map<string, string>> {
  const failed = new Map<string, string>()
  const recorder: Subtests = {
    async test(name, fn) {
      try {
        await fn()
      } catch (e) {
        failed.set(name, (e as Error).message)
      }
    },
  }
  await connectorConformance(recorder, options)
  return failed
}

const DEF = new ConfigDef().define({ name: 'topic', type: 'STRING', importance: 'HIGH', documentation: 'Where to' })

interface Faults {
  tooManyTasks?: boolean
  ignoresStop?: boolean
  restartsFromScratch?: boolean
  noDocs?: boolean
  stopTwiceFails?: boolean
}

/** A counting source with the faults asked for. */
function counter(faults: Faults): () => Connector {
  class Task extends SourceTask {
    next = 1
    stopped = false
    version() {
      return '1.0.0'
    }
    start() {
      const stored = this.context.offsetStorageReader().offset({ counter: 'n' })
      if (stored && !faults.restartsFromScratch) this.next = Number(stored.n) + 1
    }
    async poll() {
      if (this.next > 3) {
        // Waits for more; a well-behaved task gives up when stopped.
        for (let i = 0; i < 25 && (faults.ignoresStop || !this.stopped); i++)
          await new Promise((r) => setTimeout(r, 20))
        return null
      }
      const n = this.next++
      return [new SourceRecord({ counter: 'n' }, { n }, 't', null, null, null, Schema.INT32_SCHEMA, n)]
    }
    stop() {
      this.stopped = true
    }
  }
  class Connector extends SourceConnector {
    stops = 0
    version() {
      return '1.0.0'
    }
    config() {
      return faults.noDocs
        ? new ConfigDef().define({ name: 'topic', type: 'STRING', importance: 'HIGH', documentation: '' })
        : DEF
    }
    start() {
      this.stops = 0
    }
    taskClass(): TaskClass {
      return Task
    }
    taskConfigs(max: number) {
      return Array.from({ length: faults.tooManyTasks ? max + 1 : max }, () => ({ topic: 't' }))
    }
    stop() {
      if (faults.stopTwiceFails && this.stops++ > 0) throw new Error('already stopped')
    }
  }
  return () => new Connector()
}

const options = (faults: Faults) => ({ create: counter(faults), config: { topic: 't' }, stopTimeoutMs: 200 })

test('a well-behaved source passes every check of the connector conformance suite', async () => {
  assert.deepEqual([...(await failures(options({})))], [])
})

test('the connector conformance suite fails a source with each kind of fault, on the check for it', async () => {
  const cases: Array<[Faults, RegExp, RegExp]> = [
    [{ tooManyTasks: true }, /^taskConfigs/, /taskConfigs\(1\) gave 2 configs/],
    [{ ignoresStop: true }, /stopped during poll/, /poll\(\) after stop\(\) did not end within 200 ms/],
    [{ restartsFromScratch: true }, /offsets round-trip/, /records already committed were emitted again/],
    [{ noDocs: true }, /^config\(\)/, /topic has no documentation/],
    [{ stopTwiceFails: true }, /idempotent/, /already stopped/],
  ]
  for (const [faults, check, message] of cases) {
    const failed = await failures(options(faults))
    assert.equal(failed.size, 1, `${JSON.stringify(faults)}: ${JSON.stringify([...failed])}`)
    const [[name, error]] = [...failed] as [[string, string]]
    assert.match(name, check)
    assert.match(error, message)
  }
})

test('the connector conformance suite fails a sink that commits past what it was given, or misses a required key in validate', async () => {
  class Task extends SinkTask {
    version() {
      return '1.0.0'
    }
    start() {}
    async put(_records: SinkRecord[]) {}
    stop() {}
    override async preCommit(current: Map<string, { topic: string; partition: number; offset: number }>) {
      return new Map([...current].map(([k, v]) => [k, { ...v, offset: v.offset + 10 }]))
    }
  }
  class Sink extends SinkConnector {
    version() {
      return '1.0.0'
    }
    config() {
      return DEF
    }
    start() {}
    taskClass(): TaskClass {
      return Task
    }
    taskConfigs(max: number) {
      return Array.from({ length: max }, () => ({}))
    }
    stop() {}
    override validate() {
      return { configValues: [] }
    }
  }
  const failed = await failures({ create: () => new Sink(), config: { topic: 't' } })
  assert.deepEqual([...failed.keys()].sort(), [
    'sink offsets: preCommit() commits no further than the records put, for assigned partitions',
    'validate() accepts the valid config and reports on every key',
    'validate() reports each missing required key, and a bad value on its key',
  ])
  assert.match(failed.get('validate() accepts the valid config and reports on every key')!, /leaves out topic/)
})

test('without its external system (running: false) only the checks that need no server run', async () => {
  const ran: string[] = []
  await connectorConformance(
    {
      async test(name, fn) {
        ran.push(name)
        await fn()
      },
    },
    { ...options({}), running: false },
  )
  assert.equal(ran.length, 4)
  assert.ok(ran.every((name) => /^(version|config|validate)/.test(name)))
})
