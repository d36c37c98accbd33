/**
 * Preloaded into each soak worker (`node --import`): every $FERRY_SOAK_PROBE_MS (default 5000) it appends one JSON
 * line to $FERRY_SOAK_PROBE_FILE with the event loop's delay over that interval (perf_hooks' histogram, sampled
 * every 5 ms) and the heap: `{"t":<epoch ms>,"lagP50Ms":..,"lagP99Ms":..,"lagMaxMs":..,"heapUsedMb":..}`. Nothing
 * else in the worker changes; the timer does not keep the process alive.
 */
import { appendFileSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'

const file = process.env.FERRY_SOAK_PROBE_FILE
if (file) {
  const every = Number(process.env.FERRY_SOAK_PROBE_MS ?? 5000)
  const histogram = monitorEventLoopDelay({ resolution: 5 })
  histogram.enable()
  const ms = (ns: number) => Math.round((ns / 1e6) * 1000) / 1000
  setInterval(() => {
    const line = {
      t: Date.now(),
      lagP50Ms: ms(histogram.percentile(50)),
      lagP99Ms: ms(histogram.percentile(99)),
      lagMaxMs: ms(histogram.max),
      heapUsedMb: Math.round((process.memoryUsage().heapUsed / 2 ** 20) * 10) / 10,
    }
    histogram.reset()
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`)
    } catch {
      // the soak's directory is gone: it ended
    }
  }, every).unref()
}
