/** Reads a V8 `.cpuprofile` (node --cpu-prof) and says where the time went: self time per function and per package. */
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { REPO_ROOT } from '../kafka/harness.ts'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}

interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

export interface HotSpot {
  function: string
  /** Repo-relative path, `node_modules/<package>/...` or `node:...`; empty for V8's own entries. */
  file: string
  line: number
  selfMs: number
  /** Share of the time the process was not idle. */
  busyPct: number
  /** The caller that most of this self time came through (`function file:line`). */
  calledFrom?: string
}

export interface ComponentTime {
  component: string
  selfMs: number
  busyPct: number
}

export interface ProfileSummary {
  /** The part of the profile summarised, on CLOCK_MONOTONIC µs; the whole profile when unset. */
  window?: { startUs: number; endUs: number }
  totalMs: number
  /** Time in V8's `(idle)` entry: the event loop waiting for I/O or timers. */
  idleMs: number
  busyMs: number
  top: HotSpot[]
  components: ComponentTime[]
}

/** The path of a script URL for the report: repo-relative, or from node_modules/. */
export function displayFile(url: string): string {
  if (url === '') return ''
  if (url.startsWith('node:')) return url
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url
  const nm = path.lastIndexOf('/node_modules/')
  if (nm >= 0) return path.slice(nm + 1)
  const rel = relative(REPO_ROOT, path)
  return rel.startsWith('..') ? path : rel
}

/** The package a script belongs to: `@ferry/runtime`, `@platformatic/kafka`, `node: internals`, `V8`... */
export function componentOf(url: string, functionName: string): string {
  if (url === '') return functionName === '(garbage collector)' ? 'V8 garbage collector' : 'V8 / native'
  if (url.startsWith('node:')) return 'Node.js built-ins (node:…)'
  // A WebAssembly module (the lz4 codec of @platformatic/wasm-utils) has no package path of its own.
  if (url.startsWith('wasm:')) return 'WebAssembly'
  const file = displayFile(url)
  if (file.startsWith('node_modules/')) {
    const parts = file.split('/')
    return parts[1]?.startsWith('@') ? `${parts[1]}/${parts[2]}` : (parts[1] ?? file)
  }
  const m = /^packages\/(connectors\/)?([^/]+)\//.exec(file)
  if (m) return m[1] ? `@ferry/connector-${m[2]}` : `@ferry/${m[2]}`
  return file
}

/**
 * Self time per function and per package. With `window`, only the samples taken inside it count (V8 stamps samples
 * with CLOCK_MONOTONIC microseconds, the clock of `process.hrtime()`, so another process can name the window).
 */
export function summarizeProfile(
  profile: CpuProfile,
  topN = 15,
  window?: { startUs: number; endUs: number },
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parentOf = new Map<number, ProfileNode>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n)
  const self = new Map<number, number>()
  // Sample i is taken at startTime + timeDeltas[0..i] and lasts until sample i+1.
  let at = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0
    if (window && (at < window.startUs || at > window.endUs)) continue
    const id = profile.samples[i]!
    const dt = profile.timeDeltas[i + 1] ?? 0
    self.set(id, (self.get(id) ?? 0) + dt)
  }
  let idle = 0
  let total = 0
  const functions = new Map<string, HotSpot>()
  const callers = new Map<string, Map<string, number>>()
  const components = new Map<string, number>()
  for (const [id, us] of self) {
    const node = byId.get(id)
    if (!node) continue
    total += us
    const { functionName, url, lineNumber } = node.callFrame
    if (functionName === '(idle)') {
      idle += us
      continue
    }
    const name = functionName || '(anonymous)'
    const key = `${name}\0${url}\0${lineNumber}`
    const spot = functions.get(key) ?? {
      function: name,
      file: displayFile(url),
      line: lineNumber + 1,
      selfMs: 0,
      busyPct: 0,
    }
    spot.selfMs += us / 1000
    functions.set(key, spot)
    const parent = parentOf.get(id)?.callFrame
    if (parent && parent.functionName !== '(root)') {
      const where = displayFile(parent.url)
      const caller = `${parent.functionName || '(anonymous)'}${where ? ` ${where}:${parent.lineNumber + 1}` : ''}`
      const byCaller = callers.get(key) ?? new Map<string, number>()
      byCaller.set(caller, (byCaller.get(caller) ?? 0) + us)
      callers.set(key, byCaller)
    }
    const component = componentOf(url, functionName)
    components.set(component, (components.get(component) ?? 0) + us / 1000)
  }
  const busyMs = (total - idle) / 1000
  const pct = (ms: number) => (busyMs > 0 ? (ms / busyMs) * 100 : 0)
  const top = [...functions]
    .sort((a, b) => b[1].selfMs - a[1].selfMs)
    .slice(0, topN)
    .map(([key, s]) => {
      const caller = [...(callers.get(key) ?? [])].sort((a, b) => b[1] - a[1])[0]?.[0]
      return { ...s, selfMs: round(s.selfMs), busyPct: round(pct(s.selfMs)), ...(caller ? { calledFrom: caller } : {}) }
    })
  return {
    ...(window ? { window } : {}),
    totalMs: round(total / 1000),
    idleMs: round(idle / 1000),
    busyMs: round(busyMs),
    top,
    components: [...components]
      .sort((a, b) => b[1] - a[1])
      .map(([component, ms]) => ({ component, selfMs: round(ms), busyPct: round(pct(ms)) })),
  }
}

/** Summarises the (newest) `.cpuprofile` in a directory. */
/** Summarises one `.cpuprofile` file. */
export async function summarizeProfileFile(
  file: string,
  topN = 15,
  window?: { startUs: number; endUs: number },
): Promise<ProfileSummary> {
  return summarizeProfile(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, topN, window)
}

export async function summarizeProfileDir(
  dir: string,
  topN = 15,
  window?: { startUs: number; endUs: number },
): Promise<{ file: string; summary: ProfileSummary }> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort()
  const file = files.at(-1)
  if (!file) throw new Error(`no .cpuprofile in ${dir} (did the worker exit cleanly?)`)
  return { file: join(dir, file), summary: await summarizeProfileFile(join(dir, file), topN, window) }
}

function round(x: number): number {
  return Math.round(x * 10) / 10
}
