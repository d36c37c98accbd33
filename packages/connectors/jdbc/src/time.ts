/**
 * Wall clocks, instants and time zones. Instants are `bigint` nanoseconds since the epoch, so the microseconds that
 * PostgreSQL and MariaDB keep survive the trip into source offsets (Java's `Timestamp` millis + nanos).
 */
import { ConfigException } from '@ferry/api'

const NANOS_PER_MILLI = 1_000_000n
const NANOS_PER_SECOND = 1_000_000_000n
const MILLIS_PER_DAY = 86_400_000

export interface WallClock {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  /** Fraction of the second in nanoseconds. */
  nanos: number
}

/** Throws ConfigException unless `zone` is a time zone ID that Intl knows (e.g. `UTC`, `Europe/Paris`). */
export function validateTimeZone(key: string, zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
  } catch {
    throw new ConfigException(key, zone, 'Invalid time zone identifier')
  }
}

export function isUtc(zone: string): boolean {
  return /^(utc|gmt|z|etc\/utc|etc\/gmt|\+00:00|universal|zulu)$/i.test(zone)
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    })
    formatters.set(zone, f)
  }
  return f
}

/** The zone's offset from UTC at the instant `epochMs`, in milliseconds. */
export function zoneOffsetMs(zone: string, epochMs: number): number {
  if (isUtc(zone)) return 0
  const whole = Math.floor(epochMs / 1000) * 1000
  const parts: Record<string, string> = {}
  for (const p of formatter(zone).formatToParts(new Date(whole))) parts[p.type] = p.value
  let year = Number(parts.year)
  if (parts.era === 'BC' || parts.era === 'B') year = 1 - year
  const asUtc = utcMillis(year, Number(parts.month), Number(parts.day), Number(parts.hour), Number(parts.minute), 0)
  return asUtc + Number(parts.second) * 1000 - whole
}

function utcMillis(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const d = new Date(0)
  d.setUTCFullYear(year, month - 1, day)
  d.setUTCHours(hour, minute, second, 0)
  return d.getTime()
}

/** The instant a wall clock in `zone` stands for (the earlier one in a DST overlap). */
export function wallClockToInstant(w: WallClock, zone: string): bigint {
  const local = utcMillis(w.year, w.month, w.day, w.hour, w.minute, w.second)
  let epoch = local
  if (!isUtc(zone)) {
    const first = zoneOffsetMs(zone, local)
    epoch = local - first
    const second = zoneOffsetMs(zone, epoch)
    if (second !== first) epoch = local - second
  }
  return BigInt(epoch) * NANOS_PER_MILLI + BigInt(w.nanos)
}

/** The wall clock in `zone` at an instant. */
export function instantToWallClock(instant: bigint, zone: string): WallClock {
  const nanosOfSecond = Number(((instant % NANOS_PER_SECOND) + NANOS_PER_SECOND) % NANOS_PER_SECOND)
  const epochSecondMs = Number((instant - BigInt(nanosOfSecond)) / NANOS_PER_MILLI)
  const local = new Date(epochSecondMs + zoneOffsetMs(zone, epochSecondMs))
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    nanos: nanosOfSecond,
  }
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0')
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` (microseconds, which both databases keep). */
export function formatWallClock(w: WallClock, fractionDigits = 6): string {
  const year = w.year < 0 ? `-${pad(-w.year, 4)}` : pad(w.year, 4)
  let out = `${year}-${pad(w.month, 2)}-${pad(w.day, 2)} ${pad(w.hour, 2)}:${pad(w.minute, 2)}:${pad(w.second, 2)}`
  if (fractionDigits > 0) out += `.${pad(w.nanos, 9).slice(0, fractionDigits)}`
  return out
}

const TIMESTAMP_TEXT =
  /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?(\s+BC)?$/

/**
 * Parses a database timestamp (`2024-01-02 03:04:05.123456`, optionally with `+01`, `+05:30` or `Z`): with an offset
 * it is that instant, without one it is a wall clock in `zone`. PostgreSQL's `infinity` maps to the largest and
 * smallest instants JS dates hold.
 */
export function parseTimestamp(text: string, zone: string): bigint {
  if (text === 'infinity') return 8_640_000_000_000_000n * NANOS_PER_MILLI
  if (text === '-infinity') return -8_640_000_000_000_000n * NANOS_PER_MILLI
  const m = TIMESTAMP_TEXT.exec(text)
  if (!m) throw new RangeError(`Not a timestamp: ${text}`)
  let year = Number(m[1])
  if (m[13]) year = 1 - year
  const wall: WallClock = {
    year,
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6]),
    nanos: m[7] ? Number(m[7].padEnd(9, '0')) : 0,
  }
  if (m[8] || m[9]) {
    const sign = m[9] === '-' ? -1 : 1
    const offsetMs = m[8] ? 0 : sign * ((Number(m[10]) * 60 + Number(m[11] ?? 0)) * 60 + Number(m[12] ?? 0)) * 1000
    return wallClockToInstant(wall, 'UTC') - BigInt(offsetMs) * NANOS_PER_MILLI
  }
  return wallClockToInstant(wall, zone)
}

/** A JS Date (millisecond precision, truncated toward the past) for an instant. */
export function instantToDate(instant: bigint): Date {
  const ms = instant >= 0n ? instant / NANOS_PER_MILLI : -((-instant + NANOS_PER_MILLI - 1n) / NANOS_PER_MILLI)
  return new Date(Number(ms))
}

export function dateToInstant(date: Date): bigint {
  return BigInt(date.getTime()) * NANOS_PER_MILLI
}

/** Java's `Timestamp.getTime()` and `getNanos()` of an instant: millis since the epoch and nanos of the second. */
export function instantToJava(instant: bigint): { millis: number; nanos: number } {
  const millis = instantToDate(instant).getTime()
  const nanos = Number(((instant % NANOS_PER_SECOND) + NANOS_PER_SECOND) % NANOS_PER_SECOND)
  return { millis, nanos }
}

/** The inverse of `instantToJava` (Java's `new Timestamp(millis)` then `setNanos(nanos)`). */
export function javaToInstant(millis: number, nanos: number | null): bigint {
  const ms = BigInt(millis)
  if (nanos === null) return ms * NANOS_PER_MILLI
  const seconds = ms >= 0n ? ms / 1000n : -((-ms + 999n) / 1000n)
  return seconds * NANOS_PER_SECOND + BigInt(nanos)
}

const DATE_TEXT = /^(\d{4,})-(\d{2})-(\d{2})(\s+BC)?$/

/** `YYYY-MM-DD` → a JS Date at UTC midnight of that day (Connect's Date). */
export function parseDate(text: string): Date {
  if (text === 'infinity') return new Date(8_640_000_000_000_000 - (8_640_000_000_000_000 % MILLIS_PER_DAY))
  if (text === '-infinity') return new Date(-8_640_000_000_000_000 + (8_640_000_000_000_000 % MILLIS_PER_DAY))
  const m = DATE_TEXT.exec(text)
  if (!m) throw new RangeError(`Not a date: ${text}`)
  let year = Number(m[1])
  if (m[4]) year = 1 - year
  return new Date(utcMillis(year, Number(m[2]), Number(m[3]), 0, 0, 0))
}

const TIME_TEXT = /^(-)?(\d{2,3}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[+-]\d{2}(?::?\d{2})?)?$/

/** `HH:MM:SS[.fff]` → a JS Date on 1970-01-01 UTC (Connect's Time, milliseconds). */
export function parseTime(text: string): Date {
  const m = TIME_TEXT.exec(text)
  if (!m) throw new RangeError(`Not a time of day: ${text}`)
  const millis =
    ((Number(m[2]) * 60 + Number(m[3])) * 60 + Number(m[4])) * 1000 +
    (m[5] ? Number(m[5].padEnd(9, '0').slice(0, 3)) : 0)
  if (m[1] || millis > MILLIS_PER_DAY) throw new RangeError(`Time of day out of range for Connect's Time: ${text}`)
  return new Date(millis)
}

/** Connect's Date value as `YYYY-MM-DD`. */
export function formatDate(date: Date): string {
  const y = date.getUTCFullYear()
  const year = y < 0 ? `-${pad(-y, 4)}` : pad(y, 4)
  return `${year}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`
}

/** Connect's Time value as `HH:MM:SS.mmm`. */
export function formatTime(date: Date): string {
  const ms = date.getTime()
  if (ms === MILLIS_PER_DAY) return '24:00:00.000'
  return `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}.${pad(date.getUTCMilliseconds(), 3)}`
}
