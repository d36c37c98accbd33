/**
 * Joda-Time's `DateTimeFormat.forPattern` (what Confluent's TimeBasedPartitioner formats `path.format` with), for the
 * pattern letters a path uses, in a time zone from the IANA database (through Intl).
 *
 * Letters: G era, C century, Y year of era, x week year, y year, w week of week year, e day of week (number),
 * E day of week (text), D day of year, M month (number, or text for 3+ letters), d day of month, a halfday,
 * K hour of halfday (0-11), h clockhour of halfday (1-12), H hour of day, k clockhour of day (1-24), m minute,
 * s second, S fraction of second, z zone name, Z zone offset. Text in single quotes is literal ('' is a quote).
 */
import { ConfigException } from '@ferry/api'

type Token = { literal: string } | { letter: string; count: number }

/** The parts of an instant in a zone. */
interface Fields {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  millis: number
  weekday: number // 1 = Monday ... 7 = Sunday, as Joda
  offsetMs: number
}

const LETTERS = new Set('GCYxywweEDMdaKhHkmsSzZ'.split(''))

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < pattern.length) {
    const c = pattern[i]!
    if (c === "'") {
      let j = i + 1
      let text = ''
      for (;;) {
        if (j >= pattern.length) break
        if (pattern[j] === "'") {
          if (pattern[j + 1] === "'") {
            text += "'"
            j += 2
            continue
          }
          break
        }
        text += pattern[j]
        j++
      }
      tokens.push({ literal: j === i + 1 && pattern[j] === "'" ? "'" : text })
      i = j + 1
    } else if (/[A-Za-z]/.test(c)) {
      if (!LETTERS.has(c)) throw new Error(`Illegal pattern component: ${c}`)
      let j = i
      while (pattern[j] === c) j++
      tokens.push({ letter: c, count: j - i })
      i = j
    } else {
      tokens.push({ literal: c })
      i++
    }
  }
  return tokens
}

/** Formats instants (ms since the epoch) with a Joda pattern in `timeZone`, names in `locale`. */
export class DateTimeFormatter {
  readonly #tokens: Token[]
  readonly zone: TimeZone
  readonly #locale: string

  constructor(pattern: string, timeZone: string, locale: string) {
    try {
      this.#tokens = tokenize(pattern)
    } catch (e) {
      throw new ConfigException('path.format', pattern, (e as Error).message)
    }
    this.zone = new TimeZone(timeZone)
    this.#locale = locale.replace('_', '-') || 'en'
  }

  format(instant: number): string {
    const f = this.zone.fields(instant)
    let out = ''
    for (const t of this.#tokens) {
      if ('literal' in t) {
        out += t.literal
        continue
      }
      const n = t.count
      switch (t.letter) {
        case 'G':
          out += f.year > 0 ? 'AD' : 'BC'
          break
        case 'C':
          out += pad(Math.floor(Math.abs(f.year) / 100), n)
          break
        case 'Y':
        case 'y':
        case 'x':
          // Joda prints a two-letter year as the last two digits, and longer ones padded.
          out += n === 2 ? pad(Math.abs(f.year) % 100, 2) : pad(f.year, n)
          break
        case 'M':
          out +=
            n >= 3
              ? new Intl.DateTimeFormat(this.#locale, { month: n === 3 ? 'short' : 'long', timeZone: 'UTC' }).format(
                  Date.UTC(2000, f.month - 1, 15),
                )
              : pad(f.month, n)
          break
        case 'd':
          out += pad(f.day, n)
          break
        case 'D':
          out += pad(dayOfYear(f), n)
          break
        case 'e':
          out += pad(f.weekday, n)
          break
        case 'E':
          out += new Intl.DateTimeFormat(this.#locale, { weekday: n >= 4 ? 'long' : 'short', timeZone: 'UTC' }).format(
            Date.UTC(2024, 0, f.weekday), // 2024-01-01 was a Monday
          )
          break
        case 'w':
          out += pad(isoWeek(f), n)
          break
        case 'a':
          out += f.hour < 12 ? 'AM' : 'PM'
          break
        case 'H':
          out += pad(f.hour, n)
          break
        case 'k':
          out += pad(f.hour === 0 ? 24 : f.hour, n)
          break
        case 'K':
          out += pad(f.hour % 12, n)
          break
        case 'h':
          out += pad(f.hour % 12 === 0 ? 12 : f.hour % 12, n)
          break
        case 'm':
          out += pad(f.minute, n)
          break
        case 's':
          out += pad(f.second, n)
          break
        case 'S':
          out += pad(f.millis, 3).slice(0, n).padEnd(n, '0')
          break
        case 'z':
          out += this.zone.id
          break
        case 'Z':
          out += offsetText(f.offsetMs, n)
          break
      }
    }
    return out
  }
}

/** A time zone's offsets, read from Intl (IANA database). */
export class TimeZone {
  readonly id: string
  readonly #parts: Intl.DateTimeFormat

  constructor(id: string) {
    this.id = id
    try {
      this.#parts = new Intl.DateTimeFormat('en-US', {
        timeZone: id,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      })
    } catch {
      throw new ConfigException('timezone', id, 'Unknown time zone ID: use a long name such as Europe/Paris or UTC')
    }
  }

  /** The zone's offset from UTC at `instant`, in ms. */
  offset(instant: number): number {
    const f = this.#wallClock(instant)
    const local = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second)
    const floored = instant - mod(instant, 1000)
    return local - floored
  }

  /** Joda's `convertUTCToLocal`. */
  toLocal(instant: number): number {
    return instant + this.offset(instant)
  }

  /** Joda's `convertLocalToUTC(local, false)`: the instant showing `local` on the wall clock (earlier offset in a gap). */
  toUtc(local: number): number {
    const first = this.offset(local)
    const second = this.offset(local - first)
    if (first === second) return local - first
    const third = this.offset(local - second)
    return local - (third === second ? second : Math.max(first, second))
  }

  fields(instant: number): Fields {
    const f = this.#wallClock(instant)
    const offsetMs = this.offset(instant)
    const weekday = new Date(Date.UTC(f.year, f.month - 1, f.day)).getUTCDay()
    return { ...f, millis: mod(instant, 1000), weekday: weekday === 0 ? 7 : weekday, offsetMs }
  }

  #wallClock(instant: number): Omit<Fields, 'millis' | 'weekday' | 'offsetMs'> {
    const parts: Record<string, string> = {}
    for (const p of this.#parts.formatToParts(instant)) parts[p.type] = p.value
    const y = Number(parts.year)
    return {
      year: parts.era === 'BC' || parts.era === 'B' ? 1 - y : y,
      month: Number(parts.month),
      day: Number(parts.day),
      hour: Number(parts.hour),
      minute: Number(parts.minute),
      second: Number(parts.second),
    }
  }
}

function pad(n: number, width: number): string {
  const s = String(Math.abs(n)).padStart(width, '0')
  return n < 0 ? `-${s}` : s
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b
}

function dayOfYear(f: Fields): number {
  return (Date.UTC(f.year, f.month - 1, f.day) - Date.UTC(f.year, 0, 1)) / 86_400_000 + 1
}

/** ISO-8601 week of week year (Joda's `w`). */
function isoWeek(f: Fields): number {
  const date = new Date(Date.UTC(f.year, f.month - 1, f.day))
  date.setUTCDate(date.getUTCDate() + 4 - f.weekday)
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1)
  return Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7)
}

function offsetText(ms: number, count: number): string {
  const sign = ms < 0 ? '-' : '+'
  const total = Math.abs(ms) / 60_000
  const h = pad(Math.floor(total / 60), 2)
  const m = pad(total % 60, 2)
  return count === 1 ? `${sign}${h}${m}` : `${sign}${h}:${m}`
}
