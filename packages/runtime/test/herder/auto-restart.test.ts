import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConnectException } from '@ferry/api'
import { AutoRestarts } from '../../src/herder/auto-restart.ts'
import { silentLogger } from '../../src/logger.ts'
import { ConnectMetrics } from '../../src/metrics/connect-metrics.ts'

test('automatic restarts are Ferry’s ferry_auto_restart_* metrics: attempts per connector and task, and whether they ran out', async (t) => {
  const restarts = new AutoRestarts({
    log: silentLogger(),
    connectorConfig: () => ({
      'errors.restart.enable': 'true',
      'errors.restart.max.attempts': '2',
      'errors.restart.backoff.initial.ms': '60000',
    }),
    workerConfig: {},
    run: (fn) => fn(),
    active: () => true,
  })
  t.after(() => restarts.clear())
  const metrics = new ConnectMetrics({ processMetrics: false })
  t.after(() => metrics.close())
  metrics.autoRestarts(() => restarts.counts())
  const fail = (key: [string] | [string, number]) =>
    restarts.schedule(key, 'it', new ConnectException('failed'), async () => {})
  fail(['c', 0])
  fail(['c', 0])
  fail(['c', 0]) // the third failure finds both attempts used: it stays FAILED
  fail(['c'])
  assert.deepEqual(
    [...restarts.counts()],
    [
      { connector: 'c', task: 0, attempts: 2, gaveUp: true },
      { connector: 'c', task: null, attempts: 1, gaveUp: false },
    ],
  )
  const text = await metrics.scrape()
  assert.match(text, /^ferry_auto_restart_attempts_total\{connector="c",task="0"\} 2$/m)
  assert.match(text, /^ferry_auto_restart_attempts_total\{connector="c"\} 1$/m)
  assert.match(text, /^ferry_auto_restart_gave_up\{connector="c",task="0"\} 1$/m)
  assert.match(text, /^ferry_auto_restart_gave_up\{connector="c"\} 0$/m)
  // A deleted connector's counts go.
  restarts.forget('c', 'all')
  assert.deepEqual([...restarts.counts()], [])
})
