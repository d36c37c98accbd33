import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  formatTime,
  formatWallClock,
  instantToJava,
  instantToWallClock,
  javaToInstant,
  parseDate,
  parseTime,
  parseTimestamp,
  zoneOffsetMs,
} from '../src/time.ts'

test('a timestamp without offset is a wall clock in the given zone, with microseconds kept', () => {
  const utc = parseTimestamp('2024-01-02 03:04:05.123456', 'UTC')
  assert.equal(utc, BigInt(Date.UTC(2024, 0, 2, 3, 4, 5, 123)) * 1_000_000n + 456_000n)
  const paris = parseTimestamp('2024-07-01 12:00:00', 'Europe/Paris')
  assert.equal(new Date(Number(paris / 1_000_000n)).toISOString(), '2024-07-01T10:00:00.000Z')
})

test('a timestamp with an offset is that instant whatever the zone', () => {
  const a = parseTimestamp('2024-01-02 03:04:05.5+05:30', 'America/New_York')
  assert.equal(new Date(Number(a / 1_000_000n)).toISOString(), '2024-01-01T21:34:05.500Z')
  assert.equal(parseTimestamp('2024-01-02 03:04:05+00', 'Asia/Tokyo'), parseTimestamp('2024-01-02 03:04:05', 'UTC'))
})

test('wall clocks round-trip through instants across a DST change', () => {
  for (const text of ['2024-03-31 01:59:59.999999', '2024-03-31 03:00:00.000001', '2024-10-27 01:30:00.000000']) {
    const instant = parseTimestamp(text, 'Europe/Paris')
    assert.equal(formatWallClock(instantToWallClock(instant, 'Europe/Paris')), text)
  }
  assert.equal(zoneOffsetMs('Europe/Paris', Date.UTC(2024, 6, 1)), 2 * 3600_000)
})

test('offsets hold millis and nanos of the second as Java Timestamp does, also before 1970', () => {
  const instant = parseTimestamp('2024-01-02 03:04:05.123456', 'UTC')
  assert.deepEqual(instantToJava(instant), { millis: Date.UTC(2024, 0, 2, 3, 4, 5, 123), nanos: 123_456_000 })
  assert.equal(javaToInstant(Date.UTC(2024, 0, 2, 3, 4, 5, 123), 123_456_000), instant)
  const before = parseTimestamp('1969-12-31 23:59:59.250001', 'UTC')
  const java = instantToJava(before)
  assert.deepEqual(java, { millis: -750, nanos: 250_001_000 })
  assert.equal(javaToInstant(java.millis, java.nanos), before)
})

test('dates are UTC midnight and times are milliseconds of the day', () => {
  assert.equal(parseDate('2024-02-29').toISOString(), '2024-02-29T00:00:00.000Z')
  assert.equal(parseTime('23:59:59.999').getTime(), 86_399_999)
  assert.equal(formatTime(new Date(3_723_004)), '01:02:03.004')
  assert.throws(() => parseTime('838:59:59'), /out of range/)
})
