import assert from 'node:assert/strict'
import test from 'node:test'
import { IllegalArgumentException } from '../../src/util/java.ts'
import {
  JavaParseException,
  SimpleDateFormat,
  UnsupportedDatePatternError,
  UnsupportedDateTextError,
} from '../../src/util/simple-date-format.ts'

const utc = (...a: [number, number, number, number?, number?, number?, number?]) => Date.UTC(...a)

test('formatting uses UTC, en-US names and Java s padding rules', () => {
  const f = new SimpleDateFormat("EEE, d MMM yyyy HH:mm:ss.SSS Z '('EEEE MMMM G a h K k')'")
  assert.equal(
    f.format(utc(2024, 1, 29, 0, 5, 9, 7)),
    'Thu, 29 Feb 2024 00:05:09.007 +0000 (Thursday February AD AM 12 0 24)',
  )
  assert.equal(new SimpleDateFormat('yy S SSSS yyyyy').format(utc(2005, 0, 1, 0, 0, 0, 5)), '05 5 0005 02005')
})

test('dates before October 15, 1582 are Julian, and years before 1 are BC years of era', () => {
  const f = new SimpleDateFormat('yyyy-MM-dd G')
  assert.equal(f.format(Date.UTC(1582, 9, 15)), '1582-10-15 AD')
  assert.equal(f.format(Date.UTC(1582, 9, 14)), '1582-10-04 AD')
  const gregorianYear1 = -62_135_596_800_000
  assert.equal(f.format(gregorianYear1), '0001-01-03 AD')
  assert.equal(f.format(gregorianYear1 - 3 * 86_400_000), '0001-12-31 BC')
})

test('week fields follow the en-US rules (weeks start on Sunday, week 1 holds January 1st)', () => {
  const f = new SimpleDateFormat('w W F u D')
  assert.equal(f.format(utc(2024, 11, 31)), '1 5 5 2 366')
  assert.equal(f.format(utc(2022, 0, 1)), '1 1 1 6 1')
})

test('parsing is lenient like Java: overflowing fields roll over and trailing text is ignored', () => {
  const f = new SimpleDateFormat('yyyy-MM-dd')
  assert.equal(f.parse('2023-02-29').getTime(), utc(2023, 2, 1))
  assert.equal(f.parse('2024-13-01 and more').getTime(), utc(2025, 0, 1))
  assert.throws(() => f.parse('2024/01/01'), JavaParseException)
})

test('parsing reads offsets in Z and X fields and adjacent numbers by their width', () => {
  assert.equal(new SimpleDateFormat('yyyyMMddHHmmZ').parse('202401021030-0130').getTime(), utc(2024, 0, 2, 12, 0))
  assert.equal(new SimpleDateFormat('HH:mmXXX').parse('10:00+05:30').getTime(), utc(1970, 0, 1, 4, 30))
  assert.equal(new SimpleDateFormat('HH:mm Z').parse('10:00 GMT-01:00').getTime(), utc(1970, 0, 1, 11, 0))
})

test('two-digit years land within 80 years before and 20 years after now', () => {
  const now = utc(2025, 5, 1)
  const f = new SimpleDateFormat('yy')
  assert.equal(f.parse('44', now).getUTCFullYear(), 2044)
  assert.equal(f.parse('46', now).getUTCFullYear(), 1946)
  // 45 is the ambiguous year (now - 80 years = June 1945): January 1945 is before the window, so 2045.
  assert.equal(f.parse('45', now).getUTCFullYear(), 2045)
  assert.equal(new SimpleDateFormat('yyyy G').format(f.parse('045', now)), '0045 AD')
})

test('invalid patterns throw Java s IllegalArgumentException', () => {
  assert.throws(() => new SimpleDateFormat('yyyy-qq'), new IllegalArgumentException("Illegal pattern character 'q'"))
  assert.throws(() => new SimpleDateFormat("'open"), new IllegalArgumentException('Unterminated quote'))
  assert.throws(() => new SimpleDateFormat('XXXX'), new IllegalArgumentException('invalid ISO 8601 format: length=4'))
})

test('time zone names and week years are refused rather than approximated', () => {
  assert.throws(() => new SimpleDateFormat('HH z'), UnsupportedDatePatternError)
  assert.throws(() => new SimpleDateFormat('YYYY'), UnsupportedDatePatternError)
  assert.throws(() => new SimpleDateFormat('HH Z').parse('10 PST'), UnsupportedDateTextError)
  assert.throws(() => new SimpleDateFormat('HH Z').parse('10 Zulu?'), JavaParseException)
})
