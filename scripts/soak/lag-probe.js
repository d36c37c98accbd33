/**
 * Preloaded into each soak worker (`node --import`): every $FERRY_SOAK_PROBE_MS (default 5000) it appends one JSON
 * line to $FERRY_SOAK_PROBE_FILE with the event loop's delay over that interval (perf_hooks' histogram, sampled
 * every 5 ms) and the memory V8 and Node account for: `{"t":<epoch ms>,"lagP50Ms":..,"lagP99Ms":..,"lagMaxMs":..,
 * "heapUsedMb":..,"heapTotalMb":..,"newSpaceMb":..,"oldSpaceMb":..,"codeSpaceMb":..,"externalMb":..}` (the heap's
 * committed size, its young generation's, old generation's and compiled code's, and memory outside the heap that Node
 * tracks: Buffers). What a worker's RSS holds beyond them is native (stacks, malloc, V8's own tables). The scale
 * bench preloads it too (every second). Nothing else in the worker changes; the timer does not keep the process alive.
 *
 * JavaScript, not TypeScript: a preloaded .ts file makes Node load its type stripper into the worker, about 20 MiB of
 * RSS the worker does not otherwise have.
 */
import { appendFileSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { getHeapSpaceStatistics } from 'node:v8'

const file = process.env.FERRY_SOAK_PROBE_FILE
if (file) {
  const every = Number(process.env.FERRY_SOAK_PROBE_MS ?? 5000)
  const histogram = monitorEventLoopDelay({ resolution: 5 })
  histogram.enable()
  const ms = (ns) => Math.round((ns / 1e6) * 1000) / 1000
  const mb = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10
  setInterval(() => {
    const memory = process.memoryUsage()
    const spaces = new Map(getHeapSpaceStatistics().map((x) => [x.space_name, x.space_size]))
    const line = {
      t: Date.now(),
      lagP50Ms: ms(histogram.percentile(50)),
      lagP99Ms: ms(histogram.percentile(99)),
      lagMaxMs: ms(histogram.max),
      heapUsedMb: mb(memory.heapUsed),
      heapTotalMb: mb(memory.heapTotal),
      newSpaceMb: mb(spaces.get('new_space') ?? 0),
      oldSpaceMb: mb(spaces.get('old_space') ?? 0),
      codeSpaceMb: mb(spaces.get('code_space') ?? 0),
      externalMb: mb(memory.external),
    }
    histogram.reset()
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`)
    } catch {
      // the soak's directory is gone: it ended
    }
  }, every).unref()
}
