import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  ConfigDef,
  type Converter,
  DataException,
  type HeaderConverter,
  type PartitionOffsets,
  RetriableException,
  Schema,
  type SinkRecord,
  SinkTask,
  type TopicPartition,
  untouchedJson,
} from '@ferry/api'
import { JsonConverter } from '@ferry/converters'
import type { ErrorReporter } from '../../src/errors/error-reporter.ts'
import { RetryWithToleranceOperator } from '../../src/errors/retry-with-tolerance-operator.ts'
import type { IncomingRecord, KafkaConsumer, PartitionOffset } from '../../src/kafka/clients.ts'
import { silentLogger } from '../../src/logger.ts'
import { TransformationChain } from '../../src/worker/transformation-chain.ts'
import { WorkerSinkTask } from '../../src/worker/worker-sink-task.ts'

/** Reads values as text; `!bad` cannot be converted. */
const text: Converter & HeaderConverter = {
  configure() {},
  config: () => new ConfigDef(),
  fromConnectData: (_t, _h, _s, v) => (v == null ? null : Buffer.from(`converted:${String(v)}`)),
  toConnectData: (_t, _h, v) => {
    if (v?.toString() === '!bad') throw new DataException('cannot read !bad')
    return { schema: Schema.OPTIONAL_STRING_SCHEMA, value: v === null ? null : v.toString() }
  },
  fromConnectHeader: (_t, _k, _s, v) => (v == null ? null : Buffer.from(String(v))),
  toConnectHeader: (_t, _k, v) => ({ schema: Schema.OPTIONAL_STRING_SCHEMA, value: v?.toString() ?? null }),
}

/**
 * A consumer that hands out the given records once (and those `add`ed later), to one partition it assigns at
 * subscribe. `joined` holds the subscribe back (a group waiting for its members); `membership` is what
 * `ensureMember` says; `revoke` and `assign` are a rebalance.
 */
class FakeConsumer {
  maxLag(): number {
    return 0
  }
  onAssignment: ((a: TopicPartition[]) => void) | null = null
  onRevoke: ((revoked: TopicPartition[], lost: boolean) => Promise<void>) | null = null
  readonly commits: PartitionOffset[][] = []
  joined: Promise<void> = Promise.resolve()
  subscribed = false
  membership: Error | null = null
  #records: IncomingRecord[]
  constructor(records: IncomingRecord[]) {
    this.#records = records
  }
  add(...records: IncomingRecord[]) {
    this.#records.push(...records)
    this.#wake?.()
  }
  async subscribe() {
    this.subscribed = true
    // Closing the consumer ends a join in progress, as KafkaConsumer's does.
    await Promise.race([this.joined, new Promise((r) => this.#onClose.push(r))])
    if (this.closed) return
    this.onAssignment?.([{ topic: 't', partition: 0 }])
  }
  /** Offsets sought, as `partition@offset`. */
  readonly seeks: string[] = []
  seek(tp: TopicPartition, offset: number) {
    this.seeks.push(`${tp.partition}@${offset}`)
  }
  async ensureMember() {
    if (this.membership) throw this.membership
  }
  /** Revokes the partition (resolves when the consumer would join again); `assign` then gives it back. */
  async revoke(lost = false) {
    this.wakeup()
    await this.onRevoke?.([{ topic: 't', partition: 0 }], lost)
  }
  assign() {
    this.onAssignment?.([{ topic: 't', partition: 0 }])
  }
  /** The timeout of every poll, in order. */
  readonly timeouts: number[] = []
  #wake: (() => void) | null = null
  #woken = false
  /** As KafkaConsumer's: ends the poll waiting now, or the next one before it waits. */
  wakeup() {
    this.#woken = true
    this.#wake?.()
  }
  /** Waits up to `timeoutMs` for records, as KafkaConsumer's; `add`, `wakeup`, `revoke` and `close` end the wait. */
  async poll(_max: number, timeoutMs: number) {
    this.timeouts.push(timeoutMs)
    if (this.#records.length === 0 && !this.closed && !this.#woken) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer)
          this.#wake = null
          resolve()
        }
        // Unreferenced: a poll a test never ends (a failed assertion) does not keep the file running for its timeout.
        const timer = setTimeout(done, timeoutMs).unref()
        this.#wake = done
      })
    }
    this.#woken = false
    const out = this.#records
    this.#records = []
    return out
  }
  async commit(offsets: PartitionOffset[]) {
    this.commits.push(offsets)
  }
  closed = false
  readonly #onClose: Array<(v: unknown) => void> = []
  async close() {
    this.closed = true
    this.#wake?.()
    for (const r of this.#onClose) r(undefined)
  }
}

const consumed = (offset: number, value: string): IncomingRecord => ({
  topic: 't',
  partition: 0,
  offset,
  timestamp: 1700000000000,
  key: Buffer.from(`k${offset}`),
  value: Buffer.from(value),
  headers: [],
})

/** A sink task that reports every record whose value is `reject` and keeps the others. */
class ReportingTask extends SinkTask {
  readonly put_: string[] = []
  swallow = false
  version = () => 'test'
  start() {}
  async put(records: SinkRecord[]) {
    const reporter = this.context.errantRecordReporter()
    for (const r of records) {
      if (r.value === 'reject') {
        assert.ok(reporter, 'the task gets a reporter when a DLQ or the error log is configured')
        try {
          // Not awaited: the worker waits for reports before it commits.
          void reporter.report(r, new Error('the external system refused it')).catch(() => {})
        } catch (e) {
          if (!this.swallow) throw e
        }
      } else this.put_.push(String(r.value))
    }
  }
  stop() {}
  override async preCommit(offsets: PartitionOffsets) {
    return offsets
  }
}

function makeSinkTask(
  records: IncomingRecord[],
  tolerance: 'none' | 'all',
  reporter: ErrorReporter<IncomingRecord> | null,
  onFailure: (e: Error) => void = () => {},
  onStartup: () => void = () => {},
) {
  const task = new ReportingTask()
  const consumer = new FakeConsumer(records)
  const worker = new WorkerSinkTask(
    { connector: 'sink', task: 0 },
    task,
    {},
    { key: text, value: text, header: text },
    new TransformationChain([]),
    consumer as unknown as KafkaConsumer,
    { topics: ['t'], offsetFlushIntervalMs: 50, maxPollRecords: 100, errantRecordReporter: reporter !== null },
    'STARTED',
    {
      onStartup: () => onStartup(),
      onPause() {},
      onResume() {},
      onFailure: (_id, e) => onFailure(e),
      onShutdown() {},
    },
    silentLogger(),
    {
      operator: new RetryWithToleranceOperator({ retryTimeoutMs: 0, retryDelayMaxMs: 1000, tolerance }),
      reporters: async () => (reporter ? [reporter] : []),
      converterClasses: { key: 'K', value: 'V', header: 'H' },
    },
  )
  return { task, consumer, worker }
}

async function until(check: () => boolean) {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5))
  assert.ok(check(), 'condition not reached')
}

test('the task is RUNNING once started, while its consumer still waits to join the group, as in Apache', async () => {
  let running = false
  let join = () => {}
  const { task, consumer, worker } = makeSinkTask([consumed(0, 'a')], 'none', null, undefined, () => {
    running = true
  })
  consumer.joined = new Promise((r) => {
    join = r
  })
  worker.run()
  await until(() => running)
  assert.deepEqual(task.put_, [], 'nothing delivered before the join')
  join()
  await until(() => task.put_.length === 1)
  await worker.stop(1000)
})

test('records of a consumer whose membership cannot be confirmed (fenced by the task’s new owner) are not delivered or committed; the task fails', async () => {
  let failure: Error | null = null
  const { task, consumer, worker } = makeSinkTask([consumed(0, 'a')], 'none', null, (e) => {
    failure = e
  })
  consumer.membership = Object.assign(new Error('another consumer has this group.instance.id'), {
    name: 'FencedInstanceIdException',
  })
  worker.run()
  await until(() => failure !== null)
  await worker.stop(1000)
  assert.equal((failure as Error | null)?.name, 'FencedInstanceIdException')
  assert.deepEqual(task.put_, [])
  assert.deepEqual(consumer.commits, [])
})

test('without a DLQ or error log the task gets no ErrantRecordReporter, as in Apache', async () => {
  let seen: unknown = 'unset'
  class Probe extends ReportingTask {
    override start() {
      seen = this.context.errantRecordReporter()
    }
  }
  const consumer = new FakeConsumer([])
  const worker = new WorkerSinkTask(
    { connector: 'sink', task: 0 },
    new Probe(),
    {},
    { key: text, value: text, header: text },
    new TransformationChain([]),
    consumer as unknown as KafkaConsumer,
    { topics: ['t'], offsetFlushIntervalMs: 50, maxPollRecords: 100 },
    'STARTED',
    { onStartup() {}, onPause() {}, onResume() {}, onFailure() {}, onShutdown() {} },
    silentLogger(),
  )
  worker.run()
  await until(() => seen !== 'unset')
  await worker.stop(1000)
  assert.equal(seen, null)
})

test('records that fail conversion and records the task reports are reported with their consumed bytes; offsets are committed after the reports', async () => {
  const reported: Array<{ offset: number; value: string; stage: string | null; finish: () => void }> = []
  const reporter: ErrorReporter<IncomingRecord> = {
    report: (c) =>
      new Promise<void>((resolve) =>
        reported.push({
          offset: c.original.offset,
          value: c.original.value!.toString(),
          stage: c.stage,
          finish: resolve,
        }),
      ),
    close() {},
  }
  const { task, consumer, worker } = makeSinkTask(
    [consumed(0, 'a'), consumed(1, '!bad'), consumed(2, 'reject'), consumed(3, 'b')],
    'all',
    reporter,
  )
  worker.run()
  await until(() => reported.length === 2)
  assert.deepEqual(task.put_, ['a', 'b'])
  assert.deepEqual(
    reported.map((r) => [r.offset, r.value, r.stage]),
    [
      [1, '!bad', 'VALUE_CONVERTER'],
      [2, 'reject', 'TASK_PUT'],
    ],
  )
  await new Promise((r) => setTimeout(r, 150))
  assert.deepEqual(consumer.commits, [], 'no commit while a report is not written')
  for (const r of reported) r.finish()
  await until(() => consumer.commits.length > 0)
  assert.deepEqual(consumer.commits[0], [{ topic: 't', partition: 0, offset: 4 }])
  await worker.stop(1000)
})

test('with errors.tolerance=none a reported record fails the task, even when the task catches the error', async () => {
  let failure: Error | null = null
  const { task, worker } = makeSinkTask([consumed(0, 'reject')], 'none', { report() {}, close() {} }, (e) => {
    failure = e
  })
  task.swallow = true
  worker.run()
  await until(() => failure !== null)
  assert.equal(failure!.message, 'Tolerance exceeded in error handler')
  assert.equal((failure!.cause as Error).message, 'the external system refused it')
  await worker.stop(1000)
})

/** A ReportingTask that logs open, close and its puts' records in `events`, and can hold a put back. */
class EventTask extends ReportingTask {
  readonly events: string[] = []
  /** Calls of put with no records. */
  emptyPuts = 0
  hold: Promise<void> | null = null
  requestCommit() {
    this.context.requestCommit()
  }
  rewind(offset: number) {
    this.context.offset({ topic: 't', partition: 0 }, offset)
  }
  override async put(records: SinkRecord[]) {
    if (records.length === 0) this.emptyPuts++
    if (records.length > 0 && this.hold) await this.hold
    for (const r of records) this.events.push(`put ${r.kafkaOffset}`)
    await super.put(records)
  }
  override open(partitions: TopicPartition[]) {
    this.events.push(`open ${partitions.map((p) => p.partition).join(',')}`)
  }
  override close(partitions: TopicPartition[]) {
    this.events.push(`close ${partitions.map((p) => p.partition).join(',')}`)
  }
}

function makeEventSinkTask(records: IncomingRecord[], onFailure: (e: Error) => void = () => {}) {
  const task = new EventTask()
  const consumer = new FakeConsumer(records)
  const worker = new WorkerSinkTask(
    { connector: 'sink', task: 0 },
    task,
    {},
    { key: text, value: text, header: text },
    new TransformationChain([]),
    consumer as unknown as KafkaConsumer,
    // Commits only when a rebalance or the stop asks for one.
    { topics: ['t'], offsetFlushIntervalMs: 3_600_000, maxPollRecords: 100 },
    'STARTED',
    { onStartup() {}, onPause() {}, onResume() {}, onFailure: (_id, e) => onFailure(e), onShutdown() {} },
    silentLogger(),
  )
  return { task, consumer, worker }
}

test('partitions given up in a rebalance are committed up to the last delivered record and closed before the consumer joins again, as Apache’s onPartitionsRevoked', async () => {
  const { task, consumer, worker } = makeEventSinkTask([consumed(0, 'a'), consumed(1, 'b')])
  worker.run()
  await until(() => task.put_.length === 2)
  await consumer.revoke()
  // The rejoin waited for the commit and the close.
  assert.deepEqual(consumer.commits, [[{ topic: 't', partition: 0, offset: 2 }]])
  assert.deepEqual(task.events, ['open 0', 'put 0', 'put 1', 'close 0'])
  consumer.assign()
  consumer.add(consumed(2, 'c'))
  await until(() => task.put_.length === 3)
  assert.deepEqual(task.events.slice(4), ['open 0', 'put 2'])
  await worker.stop(1000)
})

test('a rebalance waits for the put in progress, and commits what it delivered', async () => {
  const { task, consumer, worker } = makeEventSinkTask([consumed(0, 'a')])
  let release = () => {}
  task.hold = new Promise((r) => {
    release = r
  })
  worker.run()
  await until(() => task.events.length === 1)
  let rejoined = false
  const rebalanced = consumer.revoke().then(() => {
    rejoined = true
  })
  await new Promise((r) => setTimeout(r, 50))
  assert.equal(rejoined, false, 'the consumer does not join again while a put is in progress')
  assert.deepEqual(consumer.commits, [])
  release()
  await rebalanced
  assert.deepEqual(consumer.commits, [[{ topic: 't', partition: 0, offset: 1 }]])
  assert.deepEqual(task.events, ['open 0', 'put 0', 'close 0'])
  await worker.stop(1000)
})

test('lost partitions (an expired membership) are closed without a commit, as Apache’s onPartitionsLost', async () => {
  const { task, consumer, worker } = makeEventSinkTask([consumed(0, 'a')])
  worker.run()
  await until(() => task.put_.length === 1)
  await consumer.revoke(true)
  assert.deepEqual(consumer.commits, [])
  assert.deepEqual(task.events, ['open 0', 'put 0', 'close 0'])
  await worker.stop(1000)
})

test('a paused task gives its partitions up in a rebalance at once, and opens the new ones when resumed', async () => {
  const { task, consumer, worker } = makeEventSinkTask([consumed(0, 'a')])
  worker.run()
  await until(() => task.put_.length === 1)
  worker.transitionTo('PAUSED')
  await new Promise((r) => setTimeout(r, 30))
  await consumer.revoke()
  assert.deepEqual(consumer.commits, [[{ topic: 't', partition: 0, offset: 1 }]])
  assert.deepEqual(task.events, ['open 0', 'put 0', 'close 0'])
  consumer.assign()
  await new Promise((r) => setTimeout(r, 30))
  assert.equal(task.events.length, 3, 'a paused task opens nothing')
  worker.transitionTo('STARTED')
  await until(() => task.events.length === 4)
  assert.equal(task.events[3], 'open 0')
  await worker.stop(1000)
})

test('an idle task’s poll waits until the next commit is due, as Apache’s; a pause, a requested commit, a rewind, an assignment and a stop each end the wait at once', async (t) => {
  const { task, consumer, worker } = makeEventSinkTask([consumed(0, 'a')])
  t.after(() => worker.stop(1000))
  worker.run()
  await until(() => task.put_.length === 1 && consumer.timeouts.length === 2)
  assert.ok(
    consumer.timeouts.every((ms) => ms > 3_500_000 && ms <= 3_600_000),
    `poll timeouts ${consumer.timeouts}`,
  )
  const waited = () => consumer.timeouts.length

  // A pause: the poll in progress returns (an empty put, as after any empty poll) and the loop waits, not polling.
  worker.transitionTo('PAUSED')
  await until(() => task.emptyPuts === 1)
  const polls = waited()
  await new Promise((r) => setTimeout(r, 30))
  assert.equal(waited(), polls, 'a paused task does not poll')
  worker.transitionTo('STARTED')
  await until(() => waited() === polls + 1)
  await new Promise((r) => setTimeout(r, 30))
  assert.equal(waited(), polls + 1, 'resumed, the task polls and waits again')

  // A commit the task asks for is made before the next poll.
  task.requestCommit()
  await until(() => consumer.commits.length === 1)
  assert.deepEqual(consumer.commits, [[{ topic: 't', partition: 0, offset: 1 }]])

  // A rewind is applied before the next poll.
  task.rewind(0)
  await until(() => consumer.seeks.length === 1)
  assert.deepEqual(consumer.seeks, ['0@0'])

  // A rebalance: revoked (the consumer's revocation ends the poll), then assigned while the task polls again.
  await consumer.revoke()
  await until(() => waited() > polls + 3)
  consumer.assign()
  await until(() => task.events.at(-1) === 'open 0')

  const started = Date.now()
  assert.equal(await worker.stop(1000), true, 'the stop ended the poll')
  assert.ok(Date.now() - started < 1000)
})

test('a wake-up that comes while the task is not polling ends its next poll at once', async (t) => {
  const { task, consumer, worker } = makeEventSinkTask([consumed(0, 'a')])
  let release = () => {}
  task.hold = new Promise((r) => {
    release = r
  })
  t.after(() => worker.stop(1000))
  worker.run()
  await until(() => task.events.length === 1)
  // The put of record 0 is in progress: the commit is asked for now and made right after the next poll.
  task.requestCommit()
  release()
  await until(() => consumer.commits.length === 1)
  assert.deepEqual(consumer.commits, [[{ topic: 't', partition: 0, offset: 1 }]])
})

test('a task stopped while its start() runs never joins the consumer group', async () => {
  let started = () => {}
  class SlowStart extends EventTask {
    override start() {
      return new Promise<void>((r) => {
        started = r
      })
    }
  }
  const task = new SlowStart()
  const consumer = new FakeConsumer([consumed(0, 'a')])
  const worker = new WorkerSinkTask(
    { connector: 'sink', task: 0 },
    task,
    {},
    { key: text, value: text, header: text },
    new TransformationChain([]),
    consumer as unknown as KafkaConsumer,
    { topics: ['t'], offsetFlushIntervalMs: 50, maxPollRecords: 100 },
    'STARTED',
    { onStartup() {}, onPause() {}, onResume() {}, onFailure() {}, onShutdown() {} },
    silentLogger(),
  )
  worker.run()
  await new Promise((r) => setTimeout(r, 20))
  const stopped = worker.stop(1000)
  started()
  assert.equal(await stopped, true)
  assert.equal(consumer.subscribed, false)
  assert.deepEqual(task.put_, [])
})

test('a task stopped while its consumer waits to join the group stops at once and leaves the join', async () => {
  const { task, consumer, worker } = makeSinkTask([consumed(0, 'a')], 'none', null)
  consumer.joined = new Promise(() => {})
  worker.run()
  await until(() => consumer.subscribed)
  const before = Date.now()
  assert.equal(await worker.stop(5000), true)
  // Well before the 5 s stop timeout (a loaded machine may take a while, but not that long).
  assert.ok(Date.now() - before < 4000, `the stop took ${Date.now() - before} ms`)
  assert.equal(consumer.closed, true)
  assert.deepEqual(task.put_, [])
})

test('a stop ends the wait before a batch refused with RetriableException is delivered again; the batch is not committed', async () => {
  class Refusing extends EventTask {
    override async put(records: SinkRecord[]) {
      if (records.length === 0) return
      this.context.timeout(60_000)
      throw new RetriableException('the external system is busy')
    }
  }
  const task = new Refusing()
  const consumer = new FakeConsumer([consumed(0, 'a')])
  let failure: Error | null = null
  const worker = new WorkerSinkTask(
    { connector: 'sink', task: 0 },
    task,
    {},
    { key: text, value: text, header: text },
    new TransformationChain([]),
    consumer as unknown as KafkaConsumer,
    { topics: ['t'], offsetFlushIntervalMs: 3_600_000, maxPollRecords: 100 },
    'STARTED',
    {
      onStartup() {},
      onPause() {},
      onResume() {},
      onFailure: (_id, e) => {
        failure = e
      },
      onShutdown() {},
    },
    silentLogger(),
  )
  worker.run()
  await new Promise((r) => setTimeout(r, 50))
  const before = Date.now()
  assert.equal(await worker.stop(5000), true)
  // Well before the 5 s stop timeout (a loaded machine may take a while, but not that long).
  assert.ok(Date.now() - before < 4000, `the stop took ${Date.now() - before} ms`)
  assert.equal(failure, null)
  assert.deepEqual(consumer.commits, [])
})

test('a held sink task hands no records to put until its hold ends; stopped while held, it puts and commits nothing more', async () => {
  const { task, consumer, worker } = makeEventSinkTask([consumed(0, 'a')])
  let hold: string | null = null
  worker.run(() => hold)
  await until(() => task.put_.length === 1)
  hold = 'this worker may have lost its work to others'
  consumer.add(consumed(1, 'b'))
  await new Promise((r) => setTimeout(r, 150))
  assert.deepEqual(task.put_, ['a'], 'nothing is put while held')
  hold = null
  await until(() => task.put_.length === 2)
  hold = 'this worker may have lost its work to others'
  consumer.add(consumed(2, 'c'))
  await new Promise((r) => setTimeout(r, 150))
  assert.equal(await worker.stop(1000), true, 'the stop does not wait for the hold to end')
  assert.deepEqual(task.put_, ['a', 'b'])
  assert.ok(
    consumer.commits.every((c) => c.every((o) => o.offset <= 2)),
    `the held record is not committed: ${JSON.stringify(consumer.commits)}`,
  )
})

/** A task that says it writes JSON text (or not) and keeps, per record, its untouched JSON and then its value. */
class JsonTextTask extends SinkTask {
  readonly seen: Array<{ text: string | undefined; value: unknown }> = []
  readonly writesJson: boolean
  constructor(writesJson: boolean) {
    super()
    this.writesJson = writesJson
  }
  version = () => 'test'
  start() {}
  override writesJsonText() {
    return this.writesJson
  }
  async put(records: SinkRecord[]) {
    for (const r of records) this.seen.push({ text: untouchedJson(r), value: r.value })
  }
  stop() {}
}

async function runJsonTextTask(writesJson: boolean, chain: TransformationChain<SinkRecord>) {
  const json = new JsonConverter()
  json.configure({ 'schemas.enable': 'false' }, false)
  const task = new JsonTextTask(writesJson)
  const worker = new WorkerSinkTask(
    { connector: 'sink', task: 0 },
    task,
    {},
    { key: text, value: json, header: text },
    chain,
    new FakeConsumer([consumed(0, '{"id":1,"tags":["a"]}'), consumed(1, '{"id": 2}')]) as unknown as KafkaConsumer,
    { topics: ['t'], offsetFlushIntervalMs: 50, maxPollRecords: 100 },
    'STARTED',
    { onStartup() {}, onPause() {}, onResume() {}, onFailure() {}, onShutdown() {} },
    silentLogger(),
  )
  worker.run()
  await until(() => task.seen.length === 2)
  await worker.stop(1000)
  return task.seen
}

const expectedValues = [
  new Map<string, unknown>([
    ['id', 1],
    ['tags', ['a']],
  ]),
  new Map<string, unknown>([['id', 2]]),
]

test('a task that writes JSON text gets schemaless JSON values unparsed (their text) when no transform runs; the value still reads as usual', async () => {
  const seen = await runJsonTextTask(true, new TransformationChain([]))
  assert.deepEqual(
    seen.map((s) => s.text),
    ['{"id":1,"tags":["a"]}', undefined],
    'the second value is not in the written form (a space), so it is parsed as usual',
  )
  assert.deepEqual(
    seen.map((s) => s.value),
    expectedValues,
  )
})

test('schemaless JSON values are parsed as usual for a task that does not write JSON text, and whenever a transform runs', async () => {
  const identity = {
    configure() {},
    config: () => new ConfigDef(),
    close() {},
    apply: (r: SinkRecord) => r,
  }
  for (const [writesJson, chain] of [
    [false, new TransformationChain<SinkRecord>([])],
    [
      true,
      new TransformationChain<SinkRecord>([
        { alias: 'same', transformation: identity, predicate: null, negate: false },
      ]),
    ],
  ] as const) {
    const seen = await runJsonTextTask(writesJson, chain)
    assert.deepEqual(
      seen.map((s) => s.text),
      [undefined, undefined],
    )
    assert.deepEqual(
      seen.map((s) => s.value),
      expectedValues,
    )
  }
})
