/**
 * Java's `java.text.SimpleDateFormat` in UTC with the en-US locale, as Apache's TimestampConverter and TimestampRouter
 * use it (`new SimpleDateFormat(pattern)` + `setTimeZone(UTC)`, lenient): formatting and parsing on Java's hybrid
 * Julian/Gregorian calendar (cutover 1582-10-15), with Java's pattern syntax and errors, its lenient field
 * arithmetic (month 13 is January of the next year), two-digit-year windowing, number parsing (`DecimalFormat`,
 * integer only) and English month, day, era and AM/PM names.
 *
 * Supported pattern letters: G y M L d E u a H k K h m s S D F w W Z X. Two letters are rejected when the pattern is
 * created (`UnsupportedDatePatternError`): `z` (time zone names: parsing one switches Java's format to that zone's
 * rules) and `Y` (week-based year). Parsing a `Z` field whose text starts with one of Java's time zone names (rather
 * than `+hhmm`, `-hhmm` or `GMT+hh:mm`) throws `UnsupportedDateTextError`, for the same reason; other text fails as
 * in Java.
 */
import { IllegalArgumentException } from './java.ts'
import { JAVA_ZONE_NAMES } from './java-zone-names.ts'

/** A valid SimpleDateFormat pattern Ferry cannot run exactly. */
export class UnsupportedDatePatternError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnsupportedDatePatternError'
  }
}

/** Text Java could parse only with data Ferry does not have (time zone names). */
export class UnsupportedDateTextError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnsupportedDateTextError'
  }
}

/** Java's `ParseException` from `DateFormat.parse(String)`. */
export class JavaParseException extends Error {
  readonly errorOffset: number

  constructor(message: string, errorOffset: number) {
    super(message)
    this.name = 'ParseException'
    this.errorOffset = errorOffset
  }
}

const PATTERN_CHARS = 'GyMdkHmsSEDFwWahKzZYuXL'
// Indexes into PATTERN_CHARS (Java's DateFormatSymbols.PATTERN_*).
const P_ERA = 0
const P_YEAR = 1
const P_MONTH = 2
const P_DAY_OF_MONTH = 3
const P_HOUR_OF_DAY1 = 4
const P_HOUR_OF_DAY0 = 5
const P_MINUTE = 6
const P_SECOND = 7
const P_MILLISECOND = 8
const P_DAY_OF_WEEK = 9
const P_DAY_OF_YEAR = 10
const P_DAY_OF_WEEK_IN_MONTH = 11
const P_WEEK_OF_YEAR = 12
const P_WEEK_OF_MONTH = 13
const P_AM_PM = 14
const P_HOUR1 = 15
const P_HOUR0 = 16
const P_ZONE_NAME = 17
const P_ZONE_VALUE = 18
const P_WEEK_YEAR = 19
const P_ISO_DAY_OF_WEEK = 20
const P_ISO_ZONE = 21
const P_MONTH_STANDALONE = 22

// Calendar field numbers (java.util.Calendar).
const ERA = 0
const YEAR = 1
const MONTH = 2
const WEEK_OF_YEAR = 3
const WEEK_OF_MONTH = 4
const DAY_OF_MONTH = 5
const DAY_OF_YEAR = 6
const DAY_OF_WEEK = 7
const DAY_OF_WEEK_IN_MONTH = 8
const AM_PM = 9
const HOUR = 10
const HOUR_OF_DAY = 11
const MINUTE = 12
const SECOND = 13
const MILLISECOND = 14
const ZONE_OFFSET = 15
const DST_OFFSET = 16
const FIELD_COUNT = 17
const ISO_DAY_OF_WEEK = 1000

const PATTERN_INDEX_TO_CALENDAR_FIELD = [
  ERA,
  YEAR,
  MONTH,
  DAY_OF_MONTH,
  HOUR_OF_DAY,
  HOUR_OF_DAY,
  MINUTE,
  SECOND,
  MILLISECOND,
  DAY_OF_WEEK,
  DAY_OF_YEAR,
  DAY_OF_WEEK_IN_MONTH,
  WEEK_OF_YEAR,
  WEEK_OF_MONTH,
  AM_PM,
  HOUR,
  HOUR,
  ZONE_OFFSET,
  ZONE_OFFSET,
  YEAR,
  ISO_DAY_OF_WEEK,
  ZONE_OFFSET,
  MONTH,
]

const MONTHS_LONG = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]
const MONTHS_SHORT = MONTHS_LONG.map((m) => m.substring(0, 3))
const DAYS_LONG = ['', 'Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
const DAYS_SHORT = DAYS_LONG.map((d) => d.substring(0, 3))
const ERAS_SHORT = ['BC', 'AD']
const ERAS_LONG = ['Before Christ', 'Anno Domini']
const AM_PM_NAMES = ['AM', 'PM']

// en-US week rules.
const FIRST_DAY_OF_WEEK = 1 // Sunday
const MINIMAL_DAYS_IN_FIRST_WEEK = 1

const ONE_DAY = 86_400_000
/** Days from 0001-01-01 (fixed date 1, R.D.) to 1970-01-01. */
const EPOCH_OFFSET = 719_163
/** 1582-10-15, the first Gregorian day, as a fixed date. */
const GREGORIAN_CUTOVER_DATE = 577_736
const GREGORIAN_CUTOVER_YEAR = 1582

// ------------------------------------------------------------------------------------------------ calendar math

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b)
}

function mod(a: number, b: number): number {
  return a - b * Math.floor(a / b)
}

function isGregorianLeap(y: number): boolean {
  return mod(y, 4) === 0 && (mod(y, 100) !== 0 || mod(y, 400) === 0)
}

function isJulianLeap(y: number): boolean {
  return mod(y, 4) === 0
}

/** Fixed date (R.D., 0001-01-01 Gregorian = 1) of a proleptic Gregorian date (astronomical year, month 1-12). */
function gregorianFixed(y: number, m: number, d: number): number {
  const a = floorDiv(14 - m, 12)
  const y2 = y + 4800 - a
  const m2 = m + 12 * a - 3
  const jdn = d + floorDiv(153 * m2 + 2, 5) + 365 * y2 + floorDiv(y2, 4) - floorDiv(y2, 100) + floorDiv(y2, 400) - 32045
  return jdn - 1721425
}

/** Fixed date of a proleptic Julian date (astronomical year, month 1-12). */
function julianFixed(y: number, m: number, d: number): number {
  const a = floorDiv(14 - m, 12)
  const y2 = y + 4800 - a
  const m2 = m + 12 * a - 3
  const jdn = d + floorDiv(153 * m2 + 2, 5) + 365 * y2 + floorDiv(y2, 4) - 32083
  return jdn - 1721425
}

interface YMD {
  year: number
  month: number // 1-12
  day: number
}

function fromJdnGregorian(jdn: number): YMD {
  const a = jdn + 32044
  const b = floorDiv(4 * a + 3, 146097)
  const c = a - floorDiv(146097 * b, 4)
  const d = floorDiv(4 * c + 3, 1461)
  const e = c - floorDiv(1461 * d, 4)
  const m = floorDiv(5 * e + 2, 153)
  return {
    day: e - floorDiv(153 * m + 2, 5) + 1,
    month: m + 3 - 12 * floorDiv(m, 10),
    year: 100 * b + d - 4800 + floorDiv(m, 10),
  }
}

function fromJdnJulian(jdn: number): YMD {
  const c = jdn + 32082
  const d = floorDiv(4 * c + 3, 1461)
  const e = c - floorDiv(1461 * d, 4)
  const m = floorDiv(5 * e + 2, 153)
  return {
    day: e - floorDiv(153 * m + 2, 5) + 1,
    month: m + 3 - 12 * floorDiv(m, 10),
    year: d - 4800 + floorDiv(m, 10),
  }
}

type CalendarSystem = 'gregorian' | 'julian'

function fixedOf(cal: CalendarSystem, y: number, m: number, d: number): number {
  return cal === 'gregorian' ? gregorianFixed(y, m, d) : julianFixed(y, m, d)
}

function dateOfFixed(fixed: number): YMD & { cal: CalendarSystem } {
  const jdn = fixed + 1721425
  return fixed >= GREGORIAN_CUTOVER_DATE
    ? { ...fromJdnGregorian(jdn), cal: 'gregorian' }
    : { ...fromJdnJulian(jdn), cal: 'julian' }
}

function monthLength(cal: CalendarSystem, month0: number, year: number): number {
  const lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
  if (month0 === 1) return (cal === 'gregorian' ? isGregorianLeap(year) : isJulianLeap(year)) ? 29 : 28
  return lengths[month0]!
}

/** Java's `BaseCalendar.getDayOfWeekDateOnOrBefore` (fixed dates; R.D. 1 is a Monday). */
function dayOfWeekDateOnOrBefore(fixedDate: number, dayOfWeek: number): number {
  return fixedDate - mod(fixedDate - (dayOfWeek - 1), 7)
}

/** Calendar.DAY_OF_WEEK (1 = Sunday) of a fixed date. */
function dayOfWeekOf(fixed: number): number {
  return mod(fixed, 7) + 1
}

function weekNumber(fixedDay1: number, fixedDate: number): number {
  let fixedDay1st = dayOfWeekDateOnOrBefore(fixedDay1 + 6, FIRST_DAY_OF_WEEK)
  const ndays = fixedDay1st - fixedDay1
  if (ndays >= MINIMAL_DAYS_IN_FIRST_WEEK) fixedDay1st -= 7
  const normalized = fixedDate - fixedDay1st
  return floorDiv(normalized, 7) + 1
}

/** The calendar fields of an instant (UTC), as `GregorianCalendar.computeFields` computes them. */
interface Fields {
  era: number
  yearOfEra: number
  month0: number
  dayOfMonth: number
  dayOfYear: number
  dayOfWeek: number
  dayOfWeekInMonth: number
  weekOfYear: number
  weekOfMonth: number
  hourOfDay: number
  minute: number
  second: number
  millisecond: number
}

function computeFields(millis: number | bigint): Fields {
  let epochDay: number
  let timeOfDay: number
  if (typeof millis === 'bigint') {
    let day = millis / 86_400_000n
    if (day * 86_400_000n > millis) day -= 1n
    epochDay = Number(day)
    timeOfDay = Number(millis - day * 86_400_000n)
  } else {
    epochDay = floorDiv(millis, ONE_DAY)
    timeOfDay = millis - epochDay * ONE_DAY
  }
  const fixed = epochDay + EPOCH_OFFSET
  const date = dateOfFixed(fixed)
  const year = date.year
  // January 1st of the year, in the calendar of that day (1582 starts Julian).
  const jan1Cal: CalendarSystem = year > GREGORIAN_CUTOVER_YEAR ? 'gregorian' : 'julian'
  const fixedJan1 = fixedOf(jan1Cal, year, 1, 1)
  const dayOfYear = fixed - fixedJan1 + 1
  // The cutover month counts from the Julian October 1st, 1582 (Java's getFixedDateMonth1).
  const fixedMonth1 =
    year === GREGORIAN_CUTOVER_YEAR && fixed >= GREGORIAN_CUTOVER_DATE && date.month === 10
      ? julianFixed(GREGORIAN_CUTOVER_YEAR, 10, 1)
      : fixed - date.day + 1
  let weekOfYear = weekNumber(fixedJan1, fixed)
  if (weekOfYear === 0) {
    const prevCal: CalendarSystem = year - 1 > GREGORIAN_CUTOVER_YEAR ? 'gregorian' : 'julian'
    weekOfYear = weekNumber(fixedOf(prevCal, year - 1, 1, 1), fixedJan1 - 1)
  } else if (weekOfYear >= 52) {
    const nextCal: CalendarSystem = year + 1 > GREGORIAN_CUTOVER_YEAR ? 'gregorian' : 'julian'
    const nextJan1 = fixedOf(nextCal, year + 1, 1, 1)
    const nextJan1st = dayOfWeekDateOnOrBefore(nextJan1 + 6, FIRST_DAY_OF_WEEK)
    const ndays = nextJan1st - nextJan1
    if (ndays >= MINIMAL_DAYS_IN_FIRST_WEEK && fixed >= nextJan1st - 7) weekOfYear = 1
  }
  return {
    era: year > 0 ? 1 : 0,
    yearOfEra: year > 0 ? year : 1 - year,
    month0: date.month - 1,
    dayOfMonth: date.day,
    dayOfYear,
    dayOfWeek: dayOfWeekOf(fixed),
    dayOfWeekInMonth: floorDiv(fixed - fixedMonth1, 7) + 1,
    weekOfYear,
    weekOfMonth: weekNumber(fixedMonth1, fixed),
    hourOfDay: floorDiv(timeOfDay, 3_600_000),
    minute: floorDiv(timeOfDay, 60_000) % 60,
    second: floorDiv(timeOfDay, 1000) % 60,
    millisecond: timeOfDay % 1000,
  }
}

// ------------------------------------------------------------------------------------------------ pattern

type Token = { kind: 'field'; index: number; count: number } | { kind: 'literal'; text: string }

function compile(pattern: string): Token[] {
  const tokens: Token[] = []
  const length = pattern.length
  let inQuote = false
  let quoted = ''
  let count = 0
  let lastTag = -1
  const flush = () => {
    if (count !== 0) {
      if (lastTag === P_ISO_ZONE && count >= 4) {
        throw new IllegalArgumentException(`invalid ISO 8601 format: length=${count}`)
      }
      tokens.push({ kind: 'field', index: lastTag, count })
      lastTag = -1
      count = 0
    }
  }
  for (let i = 0; i < length; i++) {
    let c = pattern.charAt(i)
    if (c === "'") {
      if (i + 1 < length) {
        c = pattern.charAt(i + 1)
        if (c === "'") {
          i++
          flush()
          if (inQuote) quoted += c
          else tokens.push({ kind: 'literal', text: c })
          continue
        }
      }
      if (!inQuote) {
        flush()
        quoted = ''
        inQuote = true
      } else {
        tokens.push({ kind: 'literal', text: quoted })
        inQuote = false
      }
      continue
    }
    if (inQuote) {
      quoted += c
      continue
    }
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
      flush()
      tokens.push({ kind: 'literal', text: c })
      continue
    }
    const tag = PATTERN_CHARS.indexOf(c)
    if (tag === -1) throw new IllegalArgumentException(`Illegal pattern character '${c}'`)
    if (lastTag === -1 || lastTag === tag) {
      lastTag = tag
      count++
      continue
    }
    flush()
    lastTag = tag
    count = 1
  }
  if (inQuote) throw new IllegalArgumentException('Unterminated quote')
  flush()
  // An empty quoted section contributes nothing.
  return tokens.filter((t) => t.kind === 'field' || t.text.length > 0)
}

function pad(value: number, minDigits: number): string {
  const s = String(value)
  return s.length >= minDigits ? s : '0'.repeat(minDigits - s.length) + s
}

// ------------------------------------------------------------------------------------------------ number parsing

/** `DecimalFormat.parse` (integer only, no grouping, en-US symbols) then `Number.intValue()`; null on failure. */
function parseNumber(text: string, pos: { index: number; errorIndex: number }, limit: number): number | null {
  const start = pos.index
  if (text.startsWith('NaN', start) && start + 3 <= limit) {
    pos.index = start + 3
    return 0
  }
  let position = start
  let negative = false
  if (position < limit && text.charCodeAt(position) === 0x2d) {
    negative = true
    position++
  }
  let infinite = false
  let digits = ''
  let digitCount = 0
  let decimalAt = 0
  let sawDecimal = false
  let sawDigit = false
  let intIndex = -1
  let exponent = 0
  if (text.startsWith('\u221e', position) && position + 1 <= limit) {
    position += 1
    infinite = true
  } else {
    const startPos = position
    for (; position < limit; position++) {
      const ch = text.charCodeAt(position)
      const digit = javaDigit10(ch)
      if (digit === 0) {
        sawDigit = true
        if (digits.length === 0) {
          if (!sawDecimal) continue
          decimalAt--
        } else {
          digitCount++
          if (!sawDecimal) digits += '0'
        }
      } else if (digit > 0) {
        sawDigit = true
        digitCount++
        if (!sawDecimal) digits += String(digit)
      } else if (ch === 0x2e) {
        if (startPos === position) {
          pos.errorIndex = start
          pos.index = start
          return null
        }
        if (sawDecimal) break
        intIndex = position
        decimalAt = digitCount
        sawDecimal = true
      } else if (ch === 0x45) {
        // An exponent: "E", optional "-", digits.
        let p = position + 1
        let expNegative = false
        if (p < limit && text.charCodeAt(p) === 0x2d) {
          expNegative = true
          p++
        }
        let expDigits = ''
        while (p < limit) {
          const d = javaDigit10(text.charCodeAt(p))
          if (d < 0) break
          expDigits += String(d)
          p++
        }
        if (expDigits.length > 0) {
          const e = BigInt(expDigits)
          const clamped = e > 10_000_000_000n ? 10_000_000_000 : Number(e)
          exponent = expNegative ? -clamped : clamped
          position = p
        }
        break
      } else {
        break
      }
    }
    if (!sawDecimal) decimalAt = digitCount
    if (!sawDecimal) decimalAt += exponent
    if (!sawDigit && digitCount === 0) {
      pos.errorIndex = start
      pos.index = start
      return null
    }
  }
  pos.index = intIndex !== -1 ? intIndex : position
  if (pos.index === start) {
    pos.errorIndex = position
    return null
  }
  if (infinite) return negative ? -2147483648 : 2147483647
  // The value: digits (significant, no leading zeros) x 10^(decimalAt - digits.length).
  const significant = digits.replace(/0+$/, '')
  if (significant.length === 0) return 0
  if (decimalAt >= significant.length && decimalAt <= 19) {
    let n = BigInt(significant) * 10n ** BigInt(decimalAt - significant.length)
    if (negative) n = -n
    if (n >= -(2n ** 63n) && n <= 2n ** 63n - 1n) return Number(BigInt.asIntN(32, n))
  }
  // A double: (int) saturates.
  const d = Number(`0.${significant}e${decimalAt}`) * (negative ? -1 : 1)
  if (Number.isNaN(d)) return 0
  if (d >= 2147483647) return 2147483647
  if (d <= -2147483648) return -2147483648
  return Math.trunc(d)
}

const ND = /\p{Nd}/u

function javaDigit10(ch: number): number {
  if (ch >= 0x30 && ch <= 0x39) return ch - 0x30
  if (ch < 0x80 || (ch >= 0xd800 && ch <= 0xdfff)) return -1
  if (!ND.test(String.fromCharCode(ch))) return -1
  let start = ch
  while (start > 0 && ND.test(String.fromCharCode(start - 1))) start--
  return (ch - start) % 10
}

// ------------------------------------------------------------------------------------------------ parse state

/** Java's CalendarBuilder + lenient GregorianCalendar.computeTime. */
class CalendarBuilder {
  readonly stamp = new Array<number>(FIELD_COUNT).fill(0)
  readonly value = new Array<number>(FIELD_COUNT).fill(0)
  private nextStamp = 2

  set(index0: number, value0: number): this {
    let index = index0
    let value = value0
    if (index === ISO_DAY_OF_WEEK) {
      index = DAY_OF_WEEK
      value = value >= 1 && value <= 7 ? (value === 7 ? 1 : value + 1) : value
    }
    this.stamp[index] = this.nextStamp++
    this.value[index] = value
    return this
  }

  addYear(n: number): void {
    this.value[YEAR] = (this.value[YEAR] ?? 0) + n
  }

  isSet(field: number): boolean {
    return this.stamp[field]! > 0
  }

  /** The instant in milliseconds (a Java long), or null when Java's computeTime throws (an invalid era). */
  computeTime(): bigint | null {
    const stamp = this.stamp
    const get = (f: number): number => (stamp[f]! > 0 ? this.value[f]! : 0)
    const fieldMask = this.selectFields()
    const isFieldSet = (f: number) => (fieldMask & (1 << f)) !== 0
    let year = this.isSet(YEAR) ? get(YEAR) : 1970
    const era = this.isSet(ERA) ? get(ERA) : 1
    if (era === 0) year = 1 - year
    else if (era !== 1) return null
    let timeOfDay = 0
    if (isFieldSet(HOUR_OF_DAY)) timeOfDay += get(HOUR_OF_DAY)
    else {
      timeOfDay += get(HOUR)
      if (isFieldSet(AM_PM)) timeOfDay += 12 * get(AM_PM)
    }
    timeOfDay = ((timeOfDay * 60 + get(MINUTE)) * 60 + get(SECOND)) * 1000 + get(MILLISECOND)
    let fixedDate = Math.trunc(timeOfDay / ONE_DAY)
    timeOfDay %= ONE_DAY
    while (timeOfDay < 0) {
      timeOfDay += ONE_DAY
      fixedDate--
    }
    fixedDate = this.hybridFixedDate(fixedDate, year, fieldMask)
    let millis = BigInt(fixedDate - EPOCH_OFFSET) * 86_400_000n + BigInt(timeOfDay)
    if (isFieldSet(ZONE_OFFSET)) millis -= BigInt(get(ZONE_OFFSET))
    if (isFieldSet(DST_OFFSET)) millis -= BigInt(get(DST_OFFSET))
    return BigInt.asIntN(64, millis)
  }

  /** The fixed date on Java's hybrid calendar: Julian before 1582-10-15, Gregorian from then on. */
  private hybridFixedDate(timeDays: number, year: number, fieldMask: number): number {
    const relativeToYear = (fieldMask & ((1 << DAY_OF_YEAR) | (1 << WEEK_OF_YEAR))) !== 0
    let gfd: number
    let jfd: number
    if (year > GREGORIAN_CUTOVER_YEAR) {
      gfd = timeDays + this.fixedDateOf('gregorian', year, fieldMask)
      if (gfd >= GREGORIAN_CUTOVER_DATE) return gfd
      jfd = timeDays + this.fixedDateOf('julian', year, fieldMask)
    } else if (year < GREGORIAN_CUTOVER_YEAR) {
      jfd = timeDays + this.fixedDateOf('julian', year, fieldMask)
      if (jfd < GREGORIAN_CUTOVER_DATE) return jfd
      gfd = jfd
    } else {
      jfd = timeDays + this.fixedDateOf('julian', year, fieldMask)
      gfd = timeDays + this.fixedDateOf('gregorian', year, fieldMask)
    }
    // The cutover year: a date relative to January 1st counts in the Julian calendar.
    if (relativeToYear) return jfd
    // Both Gregorian: gfd; an overlapping date: Java picks from the calendar's previous state, the Gregorian one
    // for a fresh calendar; a date in the missing days: the Julian one (lenient).
    return gfd >= GREGORIAN_CUTOVER_DATE ? gfd : jfd
  }

  private fixedDateOf(cal: CalendarSystem, year0: number, fieldMask: number): number {
    const stampGet = (f: number): number => (this.stamp[f]! > 0 ? this.value[f]! : 0)
    const isFieldSet = (f: number) => (fieldMask & (1 << f)) !== 0
    let year = year0
    let month = 0
    if (isFieldSet(MONTH)) {
      month = stampGet(MONTH)
      if (month > 11) {
        year += Math.trunc(month / 12)
        month %= 12
      } else if (month < 0) {
        year += floorDiv(month, 12)
        month = mod(month, 12)
      }
    }
    let fixedDate = fixedOf(cal, year, month + 1, 1)
    if (isFieldSet(MONTH)) {
      if (isFieldSet(DAY_OF_MONTH)) {
        if (this.isSet(DAY_OF_MONTH)) fixedDate += stampGet(DAY_OF_MONTH) - 1
      } else if (isFieldSet(WEEK_OF_MONTH)) {
        let firstDayOfWeek = dayOfWeekDateOnOrBefore(fixedDate + 6, FIRST_DAY_OF_WEEK)
        if (firstDayOfWeek - fixedDate >= MINIMAL_DAYS_IN_FIRST_WEEK) firstDayOfWeek -= 7
        if (isFieldSet(DAY_OF_WEEK)) {
          firstDayOfWeek = dayOfWeekDateOnOrBefore(firstDayOfWeek + 6, stampGet(DAY_OF_WEEK))
        }
        fixedDate = firstDayOfWeek + 7 * (stampGet(WEEK_OF_MONTH) - 1)
      } else {
        const dayOfWeek = isFieldSet(DAY_OF_WEEK) ? stampGet(DAY_OF_WEEK) : FIRST_DAY_OF_WEEK
        const dowim = isFieldSet(DAY_OF_WEEK_IN_MONTH) ? stampGet(DAY_OF_WEEK_IN_MONTH) : 1
        if (dowim >= 0) {
          fixedDate = dayOfWeekDateOnOrBefore(fixedDate + 7 * dowim - 1, dayOfWeek)
        } else {
          const lastDate = monthLength(cal, month, year) + 7 * (dowim + 1)
          fixedDate = dayOfWeekDateOnOrBefore(fixedDate + lastDate - 1, dayOfWeek)
        }
      }
    } else if (isFieldSet(DAY_OF_YEAR)) {
      fixedDate += stampGet(DAY_OF_YEAR) - 1
    } else {
      let firstDayOfWeek = dayOfWeekDateOnOrBefore(fixedDate + 6, FIRST_DAY_OF_WEEK)
      if (firstDayOfWeek - fixedDate >= MINIMAL_DAYS_IN_FIRST_WEEK) firstDayOfWeek -= 7
      if (isFieldSet(DAY_OF_WEEK)) {
        const dayOfWeek = stampGet(DAY_OF_WEEK)
        if (dayOfWeek !== FIRST_DAY_OF_WEEK) firstDayOfWeek = dayOfWeekDateOnOrBefore(firstDayOfWeek + 6, dayOfWeek)
      }
      fixedDate = firstDayOfWeek + 7 * (stampGet(WEEK_OF_YEAR) - 1)
    }
    return fixedDate
  }

  /** Java's `Calendar.selectFields`: which fields decide the date and the time of day. */
  private selectFields(): number {
    const stamp = this.stamp
    const aggregate = (a: number, b: number) => (a === 0 || b === 0 ? 0 : Math.max(a, b))
    let fieldMask = 1 << YEAR
    if (stamp[ERA]! !== 0) fieldMask |= 1 << ERA
    const dowStamp = stamp[DAY_OF_WEEK]!
    const monthStamp = stamp[MONTH]!
    let domStamp = stamp[DAY_OF_MONTH]!
    let womStamp = aggregate(stamp[WEEK_OF_MONTH]!, dowStamp)
    let dowimStamp = aggregate(stamp[DAY_OF_WEEK_IN_MONTH]!, dowStamp)
    const doyStamp = stamp[DAY_OF_YEAR]!
    let woyStamp = aggregate(stamp[WEEK_OF_YEAR]!, dowStamp)
    let bestStamp = domStamp
    if (womStamp > bestStamp) bestStamp = womStamp
    if (dowimStamp > bestStamp) bestStamp = dowimStamp
    if (doyStamp > bestStamp) bestStamp = doyStamp
    if (woyStamp > bestStamp) bestStamp = woyStamp
    if (bestStamp === 0) {
      womStamp = stamp[WEEK_OF_MONTH]!
      dowimStamp = Math.max(stamp[DAY_OF_WEEK_IN_MONTH]!, dowStamp)
      woyStamp = stamp[WEEK_OF_YEAR]!
      bestStamp = Math.max(Math.max(womStamp, dowimStamp), woyStamp)
      if (bestStamp === 0) bestStamp = domStamp = monthStamp
    }
    if (
      bestStamp === domStamp ||
      (bestStamp === womStamp && stamp[WEEK_OF_MONTH]! >= stamp[WEEK_OF_YEAR]!) ||
      (bestStamp === dowimStamp && stamp[DAY_OF_WEEK_IN_MONTH]! >= stamp[WEEK_OF_YEAR]!)
    ) {
      fieldMask |= 1 << MONTH
      if (bestStamp === domStamp) {
        fieldMask |= 1 << DAY_OF_MONTH
      } else {
        if (dowStamp !== 0) fieldMask |= 1 << DAY_OF_WEEK
        if (womStamp === dowimStamp) {
          if (stamp[WEEK_OF_MONTH]! >= stamp[DAY_OF_WEEK_IN_MONTH]!) fieldMask |= 1 << WEEK_OF_MONTH
          else fieldMask |= 1 << DAY_OF_WEEK_IN_MONTH
        } else if (bestStamp === womStamp) {
          fieldMask |= 1 << WEEK_OF_MONTH
        } else if (stamp[DAY_OF_WEEK_IN_MONTH]! !== 0) {
          fieldMask |= 1 << DAY_OF_WEEK_IN_MONTH
        }
      }
    } else if (bestStamp === doyStamp) {
      fieldMask |= 1 << DAY_OF_YEAR
    } else {
      if (dowStamp !== 0) fieldMask |= 1 << DAY_OF_WEEK
      fieldMask |= 1 << WEEK_OF_YEAR
    }
    const hourOfDayStamp = stamp[HOUR_OF_DAY]!
    const hourStamp = aggregate(stamp[HOUR]!, stamp[AM_PM]!)
    bestStamp = Math.max(hourStamp, hourOfDayStamp)
    if (bestStamp === 0) bestStamp = Math.max(stamp[HOUR]!, stamp[AM_PM]!)
    if (bestStamp !== 0) {
      if (bestStamp === hourOfDayStamp) fieldMask |= 1 << HOUR_OF_DAY
      else {
        fieldMask |= 1 << HOUR
        if (stamp[AM_PM]! !== 0) fieldMask |= 1 << AM_PM
      }
    }
    if (stamp[MINUTE]! !== 0) fieldMask |= 1 << MINUTE
    if (stamp[SECOND]! !== 0) fieldMask |= 1 << SECOND
    if (stamp[MILLISECOND]! !== 0) fieldMask |= 1 << MILLISECOND
    if (stamp[ZONE_OFFSET]! >= 2) fieldMask |= 1 << ZONE_OFFSET
    if (stamp[DST_OFFSET]! >= 2) fieldMask |= 1 << DST_OFFSET
    return fieldMask
  }
}

function regionMatchesIgnoreCase(text: string, start: number, name: string): boolean {
  if (start < 0 || start + name.length > text.length) return false
  for (let i = 0; i < name.length; i++) {
    const a = text.charAt(start + i)
    const b = name.charAt(i)
    if (a === b) continue
    const ua = a.toUpperCase()
    const ub = b.toUpperCase()
    if (ua === ub) continue
    if (ua.toLowerCase() === ub.toLowerCase()) continue
    return false
  }
  return true
}

/** Java's `matchString` over a map: the longest name matching at `start` (case-insensitively). */
function matchString(
  text: string,
  start: number,
  field: number,
  names: readonly (readonly [string, number])[],
  calb: CalendarBuilder,
): number {
  let best: readonly [string, number] | null = null
  for (const entry of names) {
    if (best === null || entry[0].length > best[0].length) {
      if (regionMatchesIgnoreCase(text, start, entry[0])) best = entry
    }
  }
  if (best !== null) {
    calb.set(field, best[1])
    return start + best[0].length
  }
  return -start
}

function namesOf(list: readonly string[], offset = 0): (readonly [string, number])[] {
  const out: (readonly [string, number])[] = []
  for (let i = offset; i < list.length; i++) out.push([list[i]!, i])
  return out
}

const ERA_NAMES = [...namesOf(ERAS_SHORT), ...namesOf(ERAS_LONG)]
const MONTH_NAMES = [...namesOf(MONTHS_SHORT), ...namesOf(MONTHS_LONG)]
const DAY_NAMES_LONG = namesOf(DAYS_LONG, 1)
const DAY_NAMES_SHORT = namesOf(DAYS_SHORT, 1)
const AM_PM_MAP = namesOf(AM_PM_NAMES)

function isAsciiDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

// ------------------------------------------------------------------------------------------------ the format

/** `new SimpleDateFormat(pattern)` with `setTimeZone(UTC)`, en-US, lenient. */
export class SimpleDateFormat {
  readonly pattern: string
  private readonly tokens: Token[]

  /**
   * Throws IllegalArgumentException (Java's messages) for an invalid pattern and UnsupportedDatePatternError for a
   * `z` or `Y` field.
   */
  constructor(pattern: string) {
    this.pattern = pattern
    this.tokens = compile(pattern)
    for (const t of this.tokens) {
      if (t.kind !== 'field') continue
      if (t.index === P_ZONE_NAME) {
        throw new UnsupportedDatePatternError(
          `the time zone name field 'z' is not supported by Ferry (parsing it needs Java's time zone names); use 'Z' or 'X': ${pattern}`,
        )
      }
      if (t.index === P_WEEK_YEAR) {
        throw new UnsupportedDatePatternError(
          `the week-based year field 'Y' is not supported by Ferry; use 'y' for the calendar year: ${pattern}`,
        )
      }
    }
  }

  toPattern(): string {
    return this.pattern
  }

  /** `format(new Date(millis))` (any Java long of milliseconds). */
  format(date: Date | number | bigint): string {
    const millis = date instanceof Date ? date.getTime() : date
    const f = computeFields(millis)
    let out = ''
    for (const t of this.tokens) {
      if (t.kind === 'literal') out += t.text
      else out += this.subFormat(t.index, t.count, f)
    }
    return out
  }

  private subFormat(index: number, count: number, f: Fields): string {
    switch (index) {
      case P_ERA:
        return ERAS_SHORT[f.era]!
      case P_YEAR:
        return count === 2 ? pad(f.yearOfEra % 100, 2) : pad(f.yearOfEra, count)
      case P_MONTH:
      case P_MONTH_STANDALONE:
        if (count >= 4) return MONTHS_LONG[f.month0]!
        if (count === 3) return MONTHS_SHORT[f.month0]!
        return pad(f.month0 + 1, count)
      case P_DAY_OF_MONTH:
        return pad(f.dayOfMonth, count)
      case P_HOUR_OF_DAY1:
        return pad(f.hourOfDay === 0 ? 24 : f.hourOfDay, count)
      case P_HOUR_OF_DAY0:
        return pad(f.hourOfDay, count)
      case P_MINUTE:
        return pad(f.minute, count)
      case P_SECOND:
        return pad(f.second, count)
      case P_MILLISECOND:
        return pad(f.millisecond, count)
      case P_DAY_OF_WEEK:
        return count >= 4 ? DAYS_LONG[f.dayOfWeek]! : DAYS_SHORT[f.dayOfWeek]!
      case P_DAY_OF_YEAR:
        return pad(f.dayOfYear, count)
      case P_DAY_OF_WEEK_IN_MONTH:
        return pad(f.dayOfWeekInMonth, count)
      case P_WEEK_OF_YEAR:
        return pad(f.weekOfYear, count)
      case P_WEEK_OF_MONTH:
        return pad(f.weekOfMonth, count)
      case P_AM_PM:
        return AM_PM_NAMES[f.hourOfDay >= 12 ? 1 : 0]!
      case P_HOUR1: {
        const h = f.hourOfDay % 12
        return pad(h === 0 ? 12 : h, count)
      }
      case P_HOUR0:
        return pad(f.hourOfDay % 12, count)
      case P_ZONE_VALUE:
        return '+0000'
      case P_ISO_DAY_OF_WEEK:
        return pad(f.dayOfWeek === 1 ? 7 : f.dayOfWeek - 1, count)
      case P_ISO_ZONE:
        return 'Z'
      default:
        throw new Error(`unsupported pattern field ${PATTERN_CHARS.charAt(index)}`)
    }
  }

  /**
   * `DateFormat.parse(String)`: throws JavaParseException (`Unparseable date: "..."`) when the text does not match,
   * and UnsupportedDateTextError for a time zone name in a `Z` field. Text after the pattern is ignored, as in Java.
   */
  parse(text: string, now: number = Date.now()): Date {
    return new Date(Number(this.parseMillis(text, now)))
  }

  /** `parse(text).getTime()`, as a Java long (it may be outside the range of a JS Date). */
  parseMillis(text: string, now: number = Date.now()): bigint {
    const pos = { index: 0, errorIndex: -1 }
    const result = this.parsePosition(text, pos, now)
    if (result === null || pos.index === 0) {
      throw new JavaParseException(`Unparseable date: "${text}"`, pos.errorIndex)
    }
    return result
  }

  private parsePosition(text: string, pos: { index: number; errorIndex: number }, now: number): bigint | null {
    let start = pos.index
    const oldStart = start
    const textLength = text.length
    const ambiguousYear = { value: false }
    const calb = new CalendarBuilder()
    // Java's default century: 80 years before now.
    const centuryStartMillis = addYears(now, -80)
    const centuryStartYear = computeFields(centuryStartMillis).yearOfEra
    for (let i = 0; i < this.tokens.length; i++) {
      const t = this.tokens[i]!
      if (t.kind === 'literal') {
        for (let k = 0; k < t.text.length; k++) {
          if (start >= textLength || !charEquals(text.charCodeAt(start), t.text.charCodeAt(k))) {
            pos.index = oldStart
            pos.errorIndex = start
            return null
          }
          start++
        }
        continue
      }
      const next = this.tokens[i + 1]
      const obeyCount = next !== undefined && next.kind === 'field' && shouldObeyCount(next.index, next.count)
      start = this.subParse(text, start, t.index, t.count, obeyCount, ambiguousYear, pos, calb, centuryStartYear)
      if (start < 0) {
        pos.index = oldStart
        return null
      }
    }
    pos.index = start
    let millis = calb.computeTime()
    if (millis === null) {
      pos.errorIndex = start
      pos.index = oldStart
      return null
    }
    if (ambiguousYear.value && millis < BigInt(centuryStartMillis)) {
      calb.addYear(100)
      millis = calb.computeTime()
      if (millis === null) {
        pos.errorIndex = start
        pos.index = oldStart
        return null
      }
    }
    return millis
  }

  private subParse(
    text: string,
    start: number,
    patternIndex: number,
    count: number,
    obeyCount: boolean,
    ambiguousYear: { value: boolean },
    origPos: { index: number; errorIndex: number },
    calb: CalendarBuilder,
    centuryStartYear: number,
  ): number {
    let value = 0
    const pos = { index: start, errorIndex: -1 }
    const field = PATTERN_INDEX_TO_CALENDAR_FIELD[patternIndex]!
    for (;;) {
      if (pos.index >= text.length) {
        origPos.errorIndex = start
        return -1
      }
      const c = text.charCodeAt(pos.index)
      if (c !== 0x20 && c !== 0x09) break
      pos.index++
    }
    const actualStart = pos.index
    const fail = (): number => {
      origPos.errorIndex = pos.index
      return -1
    }
    const number = (): number | null => {
      if (obeyCount) {
        if (start + count > text.length) return null
        return parseNumber(text, pos, start + count)
      }
      return parseNumber(text, pos, text.length)
    }
    if (
      patternIndex === P_HOUR_OF_DAY1 ||
      patternIndex === P_HOUR1 ||
      (patternIndex === P_MONTH && count <= 2) ||
      (patternIndex === P_MONTH_STANDALONE && count <= 2) ||
      patternIndex === P_YEAR
    ) {
      const n = number()
      if (n === null) return fail()
      value = n
    }
    let index: number
    switch (patternIndex) {
      case P_ERA:
        index = matchString(text, start, ERA, ERA_NAMES, calb)
        return index > 0 ? index : fail()
      case P_YEAR:
        if (
          count <= 2 &&
          pos.index - actualStart === 2 &&
          isUnicodeDigit(text.charCodeAt(actualStart)) &&
          isUnicodeDigit(text.charCodeAt(actualStart + 1))
        ) {
          const ambiguousTwoDigitYear = centuryStartYear % 100
          ambiguousYear.value = value === ambiguousTwoDigitYear
          value += Math.trunc(centuryStartYear / 100) * 100 + (value < ambiguousTwoDigitYear ? 100 : 0)
        }
        calb.set(field, value)
        return pos.index
      case P_MONTH:
        if (count <= 2) {
          calb.set(MONTH, value - 1)
          return pos.index
        }
        index = matchString(text, start, MONTH, MONTH_NAMES, calb)
        return index > 0 ? index : fail()
      case P_MONTH_STANDALONE:
        if (count <= 2) {
          calb.set(MONTH, value - 1)
          return pos.index
        }
        index = matchString(text, start, MONTH, MONTH_NAMES, calb)
        return index > 0 ? index : fail()
      case P_HOUR_OF_DAY1:
        calb.set(HOUR_OF_DAY, value === 24 ? 0 : value)
        return pos.index
      case P_DAY_OF_WEEK:
        index = matchString(text, start, DAY_OF_WEEK, DAY_NAMES_LONG, calb)
        if (index > 0) return index
        index = matchString(text, start, DAY_OF_WEEK, DAY_NAMES_SHORT, calb)
        return index > 0 ? index : fail()
      case P_AM_PM:
        index = matchString(text, start, AM_PM, AM_PM_MAP, calb)
        return index > 0 ? index : fail()
      case P_HOUR1:
        calb.set(HOUR, value === 12 ? 0 : value)
        return pos.index
      case P_ZONE_VALUE: {
        if (pos.index >= text.length) return fail()
        const c = text.charAt(pos.index)
        const sign = c === '+' ? 1 : c === '-' ? -1 : 0
        if (sign === 0) {
          if ((c === 'G' || c === 'g') && text.length - start >= 3 && regionMatchesIgnoreCase(text, start, 'GMT')) {
            pos.index = start + 3
            let s = 0
            if (text.length - pos.index > 0) {
              const c2 = text.charAt(pos.index)
              s = c2 === '+' ? 1 : c2 === '-' ? -1 : 0
            }
            if (s === 0) {
              calb.set(ZONE_OFFSET, 0).set(DST_OFFSET, 0)
              return pos.index
            }
            const i = subParseNumericZone(text, ++pos.index, s, 0, true, calb)
            if (i > 0) return i
            pos.index = -i
            return fail()
          }
          // A time zone name: Java switches the format to that zone, which Ferry cannot do.
          const at = pos.index
          if (JAVA_ZONE_NAMES.some((name) => regionMatchesIgnoreCase(text, at, name))) {
            throw new UnsupportedDateTextError(
              `Ferry cannot parse time zone names ("${text.substring(at)}" for pattern ${this.pattern}); use an offset such as +0000`,
            )
          }
          return fail()
        }
        const i = subParseNumericZone(text, ++pos.index, sign, 0, false, calb)
        if (i > 0) return i
        pos.index = -i
        return fail()
      }
      case P_ISO_ZONE: {
        if (text.length - pos.index <= 0) return fail()
        const c = text.charAt(pos.index)
        if (c === 'Z') {
          calb.set(ZONE_OFFSET, 0).set(DST_OFFSET, 0)
          return ++pos.index
        }
        let sign: number
        if (c === '+') sign = 1
        else if (c === '-') sign = -1
        else {
          pos.index++
          return fail()
        }
        const i = subParseNumericZone(text, ++pos.index, sign, count, count === 3, calb)
        if (i > 0) return i
        pos.index = -i
        return fail()
      }
      default: {
        const n = number()
        if (n === null) return fail()
        calb.set(patternIndex === P_ISO_DAY_OF_WEEK ? ISO_DAY_OF_WEEK : field, n)
        return pos.index
      }
    }
  }
}

function isUnicodeDigit(c: number): boolean {
  return javaDigit10(c) >= 0
}

function charEquals(a: number, b: number): boolean {
  return a === b || (isSpaceSeparator(a) && isSpaceSeparator(b))
}

const ZS = /\p{Zs}/u

function isSpaceSeparator(c: number): boolean {
  return ZS.test(String.fromCharCode(c))
}

function shouldObeyCount(index: number, count: number): boolean {
  switch (index) {
    case P_MONTH:
    case P_MONTH_STANDALONE:
      return count <= 2
    case P_YEAR:
    case P_DAY_OF_MONTH:
    case P_HOUR_OF_DAY1:
    case P_HOUR_OF_DAY0:
    case P_MINUTE:
    case P_SECOND:
    case P_MILLISECOND:
    case P_DAY_OF_YEAR:
    case P_DAY_OF_WEEK_IN_MONTH:
    case P_WEEK_OF_YEAR:
    case P_WEEK_OF_MONTH:
    case P_HOUR1:
    case P_HOUR0:
    case P_WEEK_YEAR:
    case P_ISO_DAY_OF_WEEK:
      return true
    default:
      return false
  }
}

function subParseNumericZone(
  text: string,
  start: number,
  sign: number,
  count: number,
  colon: boolean,
  calb: CalendarBuilder,
): number {
  let index = start
  const at = (i: number): number => {
    if (i >= text.length) throw new RangeError('index')
    return text.charCodeAt(i)
  }
  try {
    let c = at(index++)
    if (!isAsciiDigit(c)) return 1 - index
    let hours = c - 0x30
    c = at(index++)
    if (isAsciiDigit(c)) hours = hours * 10 + (c - 0x30)
    else {
      if (count > 0 || !colon) return 1 - index
      --index
    }
    if (hours > 23) return 1 - index
    let minutes = 0
    if (count !== 1) {
      c = at(index++)
      if (colon) {
        if (c !== 0x3a) return 1 - index
        c = at(index++)
      }
      if (!isAsciiDigit(c)) return 1 - index
      minutes = c - 0x30
      c = at(index++)
      if (!isAsciiDigit(c)) return 1 - index
      minutes = minutes * 10 + (c - 0x30)
      if (minutes > 59) return 1 - index
    }
    minutes += hours * 60
    calb.set(ZONE_OFFSET, minutes * 60_000 * sign).set(DST_OFFSET, 0)
    return index
  } catch (e) {
    if (!(e instanceof RangeError)) throw e
  }
  return 1 - index
}

/** `Calendar.add(YEAR, n)` in UTC: the same day and time `n` years later (Feb 29 becomes Feb 28). */
function addYears(millis: number, n: number): number {
  const d = new Date(millis)
  const year = d.getUTCFullYear() + n
  const month = d.getUTCMonth()
  const day = Math.min(d.getUTCDate(), monthLength('gregorian', month, year))
  const out = new Date(millis)
  out.setUTCFullYear(year, month, day)
  return out.getTime()
}
