import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConnectException, DataException, PendingException, RetriableException } from '@ferry/api'
import type { ErrorReporter } from '../../src/errors/error-reporter.ts'
import { ProcessingContext } from '../../src/errors/processing-context.ts'
import {
  type OperatorClock,
  PendingRetry,
  RetriesInterruptedException,
  RetryWithToleranceOperator,
  type ToleranceSettings,
} from '../../src/errors/retry-with-tolerance-operator.ts'
import { Stage } from '../../src/errors/stage.ts'
import { RecordingTaskMetrics } from '../../src/metrics/task-metrics.ts'

/** Time that passes only when the operator sleeps. */
class FakeClock implements OperatorClock {
  time = 0
  readonly sleeps: number[] = []
  now = () => this.time
  random = () => 0.5
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms)
    this.time += ms
  }
}

function operator(settings: Partial<ToleranceSettings>, clock = new FakeClock()) {
  const op = new RetryWithToleranceOperator<string>(
    { retryTimeoutMs: 0, retryDelayMaxMs: 60000, tolerance: 'none', ...settings },
    clock,
  )
  const reported: Array<{ stage: string | null; cls: string | null; error: unknown; attempt: number }> = []
  const reporter: ErrorReporter<string> = {
    report: (c) => {
      reported.push({ stage: c.stage, cls: c.executingClass, error: c.error, attempt: c.attempt })
    },
    close() {},
  }
  op.reporters([reporter])
  return { op, clock, reported }
}

/** An operation that throws RetriableException `failures` times, then returns 'ok'. */
function flaky(failures: number) {
  let calls = 0
  const fn = () => {
    calls++
    if (calls <= failures) throw new RetriableException(`attempt ${calls} failed`)
    return 'ok'
  }
  return { fn, calls: () => calls }
}

test('an operation that succeeds returns its result at once, without a promise', () => {
  const { op, reported } = operator({})
  const context = new ProcessingContext('record')
  const result = op.execute(context, () => 42, Stage.VALUE_CONVERTER, 'Conv')
  assert.equal(result, 42)
  assert.equal(context.attempt, 1)
  assert.equal(context.failed, false)
  assert.deepEqual(reported, [])
})

test('a RetriableException is retried after 300, 600 and 1200 ms until the operation succeeds', async () => {
  const { op, clock, reported } = operator({ retryTimeoutMs: 6000 })
  const { fn, calls } = flaky(3)
  const context = new ProcessingContext('record')
  const pending = op.execute(context, fn, Stage.TRANSFORMATION, 'T')
  assert.ok(pending instanceof PendingRetry, 'the first failure asks for a retry')
  assert.equal(await op.run(pending.attempts), 'ok')
  assert.deepEqual(clock.sleeps, [300, 600, 1200])
  assert.equal(calls(), 4)
  assert.equal(context.attempt, 4)
  assert.deepEqual(reported, [])
})

test('retries stop at errors.retry.timeout: the last wait is cut to the deadline (Apache: 300, 600, 1200, 2400, 1500)', async () => {
  const { op, clock, reported } = operator({ retryTimeoutMs: 6000, tolerance: 'all' })
  const { fn, calls } = flaky(100)
  const context = new ProcessingContext('record')
  assert.equal(await op.executeAsync(context, fn, Stage.KEY_CONVERTER, 'K'), null)
  assert.deepEqual(clock.sleeps, [300, 600, 1200, 2400, 1500])
  assert.equal(calls(), 6)
  assert.ok(context.failed)
  assert.equal(reported.length, 1)
  assert.equal(reported[0]?.attempt, 6)
  assert.equal(reported[0]?.stage, 'KEY_CONVERTER')
})

test('past errors.retry.delay.max.ms the wait is random below the maximum', async () => {
  const { op, clock } = operator({ retryTimeoutMs: 10_000, retryDelayMaxMs: 1000, tolerance: 'all' })
  await op.executeAsync(new ProcessingContext('r'), flaky(100).fn, Stage.TRANSFORMATION, 'T')
  // 300, 600, then 1200 > 1000: random (0.5) x 1000 = 500 each time, until the deadline.
  assert.deepEqual(clock.sleeps.slice(0, 5), [300, 600, 500, 500, 500])
  assert.ok(clock.sleeps.every((d) => d <= 1000))
  assert.equal(clock.time, 10_000)
})

test('errors.retry.timeout=-1 retries without a limit', async () => {
  const { op, clock } = operator({ retryTimeoutMs: -1 })
  const { fn } = flaky(8)
  assert.equal(await op.executeAsync(new ProcessingContext('r'), fn, Stage.TRANSFORMATION, 'T'), 'ok')
  assert.deepEqual(clock.sleeps, [300, 600, 1200, 2400, 4800, 9600, 19200, 38400])
})

test('errors.retry.timeout=0 (the default) never retries', () => {
  const { op, clock } = operator({ tolerance: 'all' })
  const { fn, calls } = flaky(1)
  const context = new ProcessingContext('r')
  assert.equal(op.execute(context, fn, Stage.VALUE_CONVERTER, 'V'), null)
  assert.equal(calls(), 1)
  assert.deepEqual(clock.sleeps, [])
  assert.ok(context.error instanceof RetriableException)
})

test('other errors are not retried', () => {
  const { op } = operator({ retryTimeoutMs: 6000, tolerance: 'all' })
  let calls = 0
  const context = new ProcessingContext('r')
  const result = op.execute(
    context,
    () => {
      calls++
      throw new DataException('bad')
    },
    Stage.VALUE_CONVERTER,
    'V',
  )
  assert.equal(result, null)
  assert.equal(calls, 1)
})

test('tolerance none: the first failure throws "Tolerance exceeded in error handler" with the failure as cause', () => {
  const { op, reported } = operator({})
  const cause = new DataException('Converting byte[] to Kafka Connect data failed due to serialization error')
  const context = new ProcessingContext('r')
  assert.throws(
    () =>
      op.execute(
        context,
        () => {
          throw cause
        },
        Stage.VALUE_CONVERTER,
        'org.apache.kafka.connect.json.JsonConverter',
      ),
    (e: unknown) => {
      assert.ok(e instanceof ConnectException)
      assert.equal(e.message, 'Tolerance exceeded in error handler')
      assert.equal(e.cause, cause)
      assert.match(
        e.stack ?? '',
        /^ConnectException: Tolerance exceeded in error handler\n {4}Executing stage 'VALUE_CONVERTER' with class 'org\.apache\.kafka\.connect\.json\.JsonConverter'\n/,
      )
      return true
    },
  )
  assert.equal(reported.length, 1, 'the failure is reported before the task fails')
})

test('tolerance none: retries that run out fail the task too', async () => {
  const { op } = operator({ retryTimeoutMs: 1000 })
  await assert.rejects(op.executeAsync(new ProcessingContext('r'), flaky(100).fn, Stage.TRANSFORMATION, 'T'), {
    message: 'Tolerance exceeded in error handler',
  })
})

test('tolerance all: every failure is skipped and reported, and later stages of the record do not run', () => {
  const { op, reported } = operator({ tolerance: 'all' })
  for (let i = 0; i < 3; i++) {
    const context = new ProcessingContext(`r${i}`)
    const fail = () => {
      throw new TypeError(`bad ${i}`)
    }
    assert.equal(op.execute(context, fail, Stage.TRANSFORMATION, 'T'), null)
    let ran = false
    assert.equal(
      op.execute(
        context,
        () => {
          ran = true
        },
        Stage.VALUE_CONVERTER,
        'V',
      ),
      null,
    )
    assert.equal(ran, false)
  }
  assert.equal(reported.length, 3)
  assert.equal(op.totalFailures, 3)
  assert.ok(op.withinToleranceLimits())
})

test('outside the converter and transformation stages only RetriableException is tolerated', () => {
  const { op } = operator({ tolerance: 'all' })
  assert.throws(
    () =>
      op.execute(
        new ProcessingContext('r'),
        () => {
          throw new Error('boom')
        },
        Stage.KAFKA_PRODUCE,
        'P',
      ),
    { message: 'Unhandled exception in error handler' },
  )
  const retriable = () => {
    throw new RetriableException('later')
  }
  assert.equal(op.execute(new ProcessingContext('r'), retriable, Stage.KAFKA_PRODUCE, 'P'), null)
})

test('executeFailed reports, and throws only when the failure is not tolerated', async () => {
  const all = operator({ tolerance: 'all' })
  await all.op.executeFailed(
    new ProcessingContext('r'),
    Stage.TASK_PUT,
    'org.apache.kafka.connect.sink.SinkTask',
    new Error('x'),
  )
  assert.equal(all.reported[0]?.stage, 'TASK_PUT')
  assert.equal(all.reported[0]?.cls, 'org.apache.kafka.connect.sink.SinkTask')
  const none = operator({})
  assert.throws(() => none.op.executeFailed(new ProcessingContext('r'), Stage.TASK_PUT, 'S', new Error('x')), {
    message: 'Tolerance exceeded in error handler',
  })
  assert.equal(none.reported.length, 1)
})

test('a report that fails rejects the context’s reported promise without an unhandled rejection', async () => {
  const op = new RetryWithToleranceOperator<string>({ retryTimeoutMs: 0, retryDelayMaxMs: 1, tolerance: 'all' })
  op.reporters([{ report: () => Promise.reject(new Error('DLQ down')), close() {} }])
  const context = new ProcessingContext('r')
  op.execute(
    context,
    () => {
      throw new Error('bad')
    },
    Stage.TRANSFORMATION,
    'T',
  )
  await new Promise((r) => setImmediate(r))
  await assert.rejects(context.reported!, { message: 'DLQ down' })
})

test('stopping ends a wait between retries and the operation throws RetriesInterruptedException', async () => {
  const op = new RetryWithToleranceOperator<string>({ retryTimeoutMs: -1, retryDelayMaxMs: 60000, tolerance: 'all' })
  const started = Date.now()
  const running = op.executeAsync(new ProcessingContext('r'), flaky(1000).fn, Stage.TRANSFORMATION, 'T')
  setTimeout(() => op.triggerStop(), 50)
  await assert.rejects(running, (e: unknown) => e instanceof RetriesInterruptedException)
  assert.ok(Date.now() - started < 2000, 'the 300 ms, 600 ms, ... waits were cut short')
})

/** An operator whose task-error-metrics are a RecordingTaskMetrics. */
function measured(settings: Partial<ToleranceSettings>) {
  const metrics = new RecordingTaskMetrics('c', 0, 'sink', 2)
  const op = new RetryWithToleranceOperator<string>(
    { retryTimeoutMs: 0, retryDelayMaxMs: 60000, tolerance: 'none', ...settings },
    new FakeClock(),
    metrics,
  )
  const counts = () => ({
    failures: metrics.totalRecordFailures,
    errors: metrics.totalRecordErrors,
    skipped: metrics.totalRecordsSkipped,
    retries: metrics.totalRetries,
  })
  return { op, metrics, counts }
}

test('task-error-metrics count as Apache’s: each failed attempt a failure, each wait a retry, no error when a retry succeeds', async () => {
  const { op, metrics, counts } = measured({ retryTimeoutMs: 6000 })
  const pending = op.execute(new ProcessingContext('r'), flaky(3).fn, Stage.TRANSFORMATION, 'T')
  assert.ok(pending instanceof PendingRetry)
  assert.equal(await op.run(pending.attempts), 'ok')
  assert.deepEqual(counts(), { failures: 3, errors: 0, skipped: 0, retries: 3 })
  assert.equal(metrics.lastErrorTimestamp, 0)
})

test('task-error-metrics: a record whose retries ran out is one error and, tolerated, one skip', async () => {
  const { op, metrics, counts } = measured({ retryTimeoutMs: 6000, tolerance: 'all' })
  const pending = op.execute(new ProcessingContext('r'), flaky(100).fn, Stage.TRANSFORMATION, 'T')
  assert.ok(pending instanceof PendingRetry)
  assert.equal(await op.run(pending.attempts), null)
  // Attempts at 0, 300, 900, 2100, 4500 and 6000 ms: six failures, five waits.
  assert.deepEqual(counts(), { failures: 6, errors: 1, skipped: 1, retries: 5 })
  assert.ok(metrics.lastErrorTimestamp > 0)
})

test('task-error-metrics: a failure that is not tolerated is an error, not a skip; one reported from outside is a failure only while tolerated', () => {
  const none = measured({})
  assert.throws(() =>
    none.op.execute(
      new ProcessingContext('r'),
      () => {
        throw new DataException('bad')
      },
      Stage.VALUE_CONVERTER,
      'Conv',
    ),
  )
  assert.deepEqual(none.counts(), { failures: 1, errors: 1, skipped: 0, retries: 0 })
  const all = measured({ tolerance: 'all' })
  void all.op.executeFailed(new ProcessingContext('r'), Stage.TASK_PUT, 'Task', new DataException('bad'))
  assert.deepEqual(all.counts(), { failures: 1, errors: 0, skipped: 0, retries: 0 })
})

/** An operation that needs something fetched first: PendingException until `fetched` resolves, then `outcome()`. */
function fetching<V>(outcome: () => V) {
  let resolve!: () => void
  const fetched = new Promise<void>((r) => {
    resolve = r
  })
  let done = false
  void fetched.then(() => {
    done = true
  })
  let calls = 0
  const fn = () => {
    calls++
    if (!done) throw new PendingException('waiting for a schema', fetched)
    return outcome()
  }
  return { fn, resolve, calls: () => calls }
}

test('a PendingException waits until it is ready and runs the operation again, even with errors.retry.timeout=0, without counting a failure', async () => {
  const { op, metrics, counts } = measured({ retryTimeoutMs: 0 })
  const { fn, resolve, calls } = fetching(() => 'converted')
  const context = new ProcessingContext('r')
  const pending = op.execute(context, fn, Stage.VALUE_CONVERTER, 'AvroConverter')
  assert.ok(pending instanceof PendingRetry, 'the operation waits')
  const result = op.run(pending.attempts)
  assert.ok(result instanceof Promise)
  resolve()
  assert.equal(await result, 'converted')
  assert.equal(calls(), 2)
  assert.equal(context.failed, false)
  assert.deepEqual(counts(), { failures: 0, errors: 0, skipped: 0, retries: 0 })
  assert.equal(metrics.lastErrorTimestamp, 0)
})

test('what a PendingException was waiting for may fail: a DataException is then tolerated and reported as any failure', async () => {
  const { op, reported } = operator({ tolerance: 'all' })
  const { fn, resolve } = fetching(() => {
    throw new DataException('incompatible schema')
  })
  const context = new ProcessingContext('r')
  const pending = op.execute(context, fn, Stage.VALUE_CONVERTER, 'AvroConverter')
  assert.ok(pending instanceof PendingRetry)
  resolve()
  assert.equal(await op.run(pending.attempts), null)
  assert.equal(context.failed, true)
  assert.equal(reported.length, 1)
  assert.equal((reported[0]!.error as Error).message, 'incompatible schema')
})

test('what a PendingException was waiting for may end in a RetriableException, retried under errors.retry.timeout', async () => {
  const { op, clock } = operator({ retryTimeoutMs: 6000 })
  let failures = 2
  const { fn, resolve } = fetching(() => {
    if (failures-- > 0) throw new RetriableException('registry unreachable')
    return 'converted'
  })
  const pending = op.execute(new ProcessingContext('r'), fn, Stage.VALUE_CONVERTER, 'AvroConverter')
  assert.ok(pending instanceof PendingRetry)
  resolve()
  assert.equal(await op.run(pending.attempts), 'converted')
  assert.deepEqual(clock.sleeps, [300, 600])
})

test('stopping ends the wait for a PendingException: the operation throws RetriesInterruptedException', async () => {
  const { op } = operator({})
  const { fn } = fetching(() => 'never')
  const pending = op.execute(new ProcessingContext('r'), fn, Stage.VALUE_CONVERTER, 'AvroConverter')
  assert.ok(pending instanceof PendingRetry)
  const running = op.run(pending.attempts)
  op.triggerStop()
  await assert.rejects(Promise.resolve(running), (e: unknown) => e instanceof RetriesInterruptedException)
})
