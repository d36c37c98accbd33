/** What the bench reads about a process from Linux's /proc: CPU time and memory. */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

let ticks: number | undefined

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (`getconf CLK_TCK`, 100 on Linux). */
export function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      ticks = 100
    }
  }
  return ticks
}

/** User + system CPU seconds of a process (all its threads), or undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return (utime + stime) / clockTicks()
}

export interface Memory {
  /** Resident set size now (VmRSS), MiB. */
  rssMb: number
  /** Peak resident set size so far (VmHWM), MiB. */
  peakRssMb: number
}

/** RSS and peak RSS of a process, or undefined when it is gone. */
export function memory(pid: number): Memory | undefined {
  let status: string
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return undefined
  }
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN)
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 }
}
