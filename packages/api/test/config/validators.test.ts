import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  CaseInsensitiveValidString,
  CompositeValidator,
  LambdaValidator,
  ListSize,
  NonEmptyString,
  NonEmptyStringWithoutControlChars,
  NonNullValidator,
  Range,
  ValidList,
  ValidString,
} from '../../src/config/validators.ts'
import { ConfigException } from '../../src/errors.ts'

function messageOf(fn: () => void): string {
  try {
    fn()
  } catch (e) {
    assert.ok(e instanceof ConfigException)
    return e.message
  }
  assert.fail('expected a ConfigException')
}

test('Range checks bounds with Apache messages and descriptions', () => {
  Range.atLeast(0).ensureValid('k', 0)
  Range.between(1, 3).ensureValid('k', 3)
  Range.atLeast(0).ensureValid('k', 5n)
  assert.equal(
    messageOf(() => Range.atLeast(1).ensureValid('k', 0)),
    'Invalid value 0 for configuration k: Value must be at least 1',
  )
  assert.equal(
    messageOf(() => Range.between(1, 3).ensureValid('k', 4)),
    'Invalid value 4 for configuration k: Value must be no more than 3',
  )
  assert.equal(
    messageOf(() => Range.atLeast(1).ensureValid('k', null)),
    'Invalid value null for configuration k: Value must be non-null',
  )
  assert.equal(String(Range.atLeast(1)), '[1,...]')
  assert.equal(String(Range.between(0, 10)), '[0,...,10]')
})

test('ValidString and CaseInsensitiveValidString accept only their strings', () => {
  ValidString.in('a', 'b').ensureValid('k', 'a')
  assert.equal(
    messageOf(() => ValidString.in('a', 'b').ensureValid('k', 'A')),
    'Invalid value A for configuration k: String must be one of: a, b',
  )
  assert.equal(String(ValidString.in('a', 'b')), '[a, b]')
  CaseInsensitiveValidString.in('none', 'all').ensureValid('k', 'ALL')
  assert.equal(
    messageOf(() => CaseInsensitiveValidString.in('none', 'all').ensureValid('k', 'some')),
    'Invalid value some for configuration k: String must be one of (case insensitive): NONE, ALL',
  )
  assert.throws(() => CaseInsensitiveValidString.in('x').ensureValid('k', null), ConfigException)
  assert.equal(String(CaseInsensitiveValidString.in('none', 'all')), '(case insensitive) [NONE, ALL]')
})

test('ValidList and ListSize check list values', () => {
  ValidList.in('a', 'b').ensureValid('k', ['a', 'b'])
  assert.equal(
    messageOf(() => ValidList.in('a', 'b').ensureValid('k', ['a', 'c'])),
    'Invalid value c for configuration k: String must be one of: a, b',
  )
  assert.equal(String(ValidList.in('a', 'b')), '[a, b]')
  assert.equal(
    messageOf(() => ListSize.atMostOfSize(1).ensureValid('k', ['a', 'b'])),
    'Invalid value [a, b] for configuration k: exceeds maximum list size of [1].',
  )
})

test('the string validators accept null and reject what Apache rejects', () => {
  NonEmptyString.ensureValid('k', null)
  NonEmptyString.ensureValid('k', 'x')
  assert.equal(
    messageOf(() => NonEmptyString.ensureValid('k', '')),
    'Invalid value  for configuration k: String must be non-empty',
  )
  assert.equal(String(NonEmptyString), 'non-empty string')
  NonNullValidator.ensureValid('k', '')
  assert.equal(
    messageOf(() => NonNullValidator.ensureValid('k', null)),
    'Invalid value null for configuration k: entry must be non null',
  )
  assert.equal(String(NonNullValidator), 'non-null string')
  NonEmptyStringWithoutControlChars.ensureValid('k', null)
  NonEmptyStringWithoutControlChars.ensureValid('k', 'my-connector')
  assert.equal(
    messageOf(() => NonEmptyStringWithoutControlChars.ensureValid('k', '')),
    'Invalid value  for configuration k: String may not be empty',
  )
  assert.equal(
    messageOf(() => NonEmptyStringWithoutControlChars.ensureValid('k', 'a\tb\u0085')),
    'Invalid value a\tb\u0085 for configuration k: String may not contain control sequences but had the following ASCII chars: 9, 133',
  )
  assert.equal(String(NonEmptyStringWithoutControlChars), 'non-empty string without ISO control characters')
  assert.equal(NonEmptyStringWithoutControlChars.nonEmptyStringWithoutControlChars(), NonEmptyStringWithoutControlChars)
})

test('LambdaValidator and CompositeValidator combine checks and descriptions', () => {
  const even = LambdaValidator.with(
    (name, value) => {
      if (typeof value === 'number' && value % 2 !== 0) throw new ConfigException(name, value, 'Must be even')
    },
    () => 'even numbers',
  )
  assert.equal(
    messageOf(() => even.ensureValid('k', 3)),
    'Invalid value 3 for configuration k: Must be even',
  )
  assert.equal(String(even), 'even numbers')
  const both = CompositeValidator.of(Range.atLeast(0), even)
  both.ensureValid('k', 4)
  assert.equal(
    messageOf(() => both.ensureValid('k', -1)),
    'Invalid value -1 for configuration k: Value must be at least 0',
  )
  assert.equal(String(both), '[0,...], even numbers')
})
