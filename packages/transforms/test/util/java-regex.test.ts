// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name} is Java's replacement syntax here
import assert from 'node:assert/strict'
import test from 'node:test'
import { IllegalArgumentException, IndexOutOfBoundsException } from '../../src/util/java.ts'
import {
  compileJavaRegex,
  JavaPatternSyntaxError,
  javaMatches,
  javaReplaceFirst,
  UnsupportedJavaRegexError,
} from '../../src/util/java-regex.ts'

function matches(pattern: string, input: string): boolean {
  return javaMatches(compileJavaRegex(pattern), input)
}

test('a Java regex matches the whole input, not a prefix', () => {
  assert.equal(matches('a|ab', 'ab'), true)
  assert.equal(matches('ab', 'abc'), false)
})

test('dot excludes every Java line terminator, including NEL, unless DOTALL', () => {
  for (const t of ['\n', '\r', '\u0085', '\u2028', '\u2029']) {
    assert.equal(matches('a.b', `a${t}b`), false, JSON.stringify(t))
    assert.equal(matches('(?s)a.b', `a${t}b`), true, JSON.stringify(t))
  }
  assert.equal(matches('(?d)a.b', 'a\rb'), true)
})

test('dollar matches before a final line terminator but not between CR and LF', () => {
  const r = compileJavaRegex('a$')
  assert.equal(javaReplaceFirst(r, 'a\n', 'X'), 'X\n')
  assert.equal(javaReplaceFirst(r, 'a\r\n', 'X'), 'X\r\n')
  assert.equal(javaReplaceFirst(compileJavaRegex('\\r$'), 'a\r\n', 'X'), 'a\r\n')
})

test('the predefined classes are ASCII and \\s, \\v, \\h are Java s', () => {
  assert.equal(matches('\\w+', 'é'), false)
  assert.equal(matches('\\s', '\u00a0'), false)
  assert.equal(matches('\\s', '\u000b'), true)
  assert.equal(matches('\\v', '\u2028'), true)
  assert.equal(matches('\\h', '\u00a0'), true)
  assert.equal(matches('\\d', '\u0661'), false)
})

test('(?i) folds ASCII letters only, in literals, ranges and negated classes', () => {
  assert.equal(matches('(?i)abc', 'ABC'), true)
  assert.equal(matches('(?i)[a-c]+', 'ABC'), true)
  assert.equal(matches('(?i)[^a]', 'A'), false)
  assert.equal(matches('(?i)k', '\u212a'), false)
  assert.equal(matches('(?i)é', 'É'), false)
})

test('class unions, intersections and POSIX classes follow Java', () => {
  assert.equal(matches('[a-z&&[^aeiou]]+', 'xyz'), true)
  assert.equal(matches('[a-z&&[^aeiou]]+', 'xaz'), false)
  assert.equal(matches('[a[0-9]]+', 'a1a'), true)
  assert.equal(matches('\\p{Punct}', '!'), true)
  assert.equal(matches('\\p{IsLatin}+', 'abc'), true)
  assert.equal(matches('\\p{Lu}', 'A'), true)
})

test('quoting, comments and escapes are parsed like Pattern.compile', () => {
  assert.equal(matches('\\Q.*\\E', '.*'), true)
  assert.equal(matches('(?x) a b # comment', 'ab'), true)
  assert.equal(matches('\\x41\\u0042\\0103\\cJ', 'ABC\n'), true)
})

test('syntax errors carry the Java description, index and caret', () => {
  assert.throws(
    () => compileJavaRegex('a(b'),
    (e: unknown) => e instanceof JavaPatternSyntaxError && e.message === 'Unclosed group near index 3\na(b',
  )
  assert.throws(
    () => compileJavaRegex('x[b-a]'),
    (e: unknown) =>
      e instanceof JavaPatternSyntaxError && e.message === 'Illegal character range near index 4\nx[b-a]\n    ^',
  )
})

test('constructs a JS engine cannot run like Java are rejected', () => {
  for (const p of [
    'a*+',
    '(?>x)',
    '(x)\\1',
    '(?<n>x)\\k<n>',
    '\\p{InBasicLatin}',
    '(?<=a*)b',
    '(?U)\\w',
    '(?iu)a',
    '\\X',
    '\\N{LATIN SMALL LETTER A}',
    '\\p{javaLowerCase}',
  ]) {
    assert.throws(() => compileJavaRegex(p), UnsupportedJavaRegexError, p)
  }
})

test('replaceFirst expands $n, ${name} and escapes, and throws Java s exceptions', () => {
  const r = compileJavaRegex('(?<word>[a-z]+)-(\\d+)')
  assert.equal(javaReplaceFirst(r, 'abc-12 def-34', '$2:${word}:\\$1'), '12:abc:$1 def-34')
  assert.equal(javaReplaceFirst(r, 'abc-12', '$21'), '121')
  assert.throws(() => javaReplaceFirst(r, 'abc-12', '$'), IllegalArgumentException)
  assert.throws(() => javaReplaceFirst(r, 'abc-12', '${nope}'), IllegalArgumentException)
  assert.throws(() => javaReplaceFirst(compileJavaRegex('a'), 'a', '$1'), IndexOutOfBoundsException)
})

test('repetitions that can match empty and captures in repetitions are flagged for replaceFirst users', () => {
  assert.equal(compileJavaRegex('(x?)+y').emptyLoops, true)
  assert.equal(javaMatches(compileJavaRegex('(x?)+y'), 'xxy'), true)
  assert.equal(compileJavaRegex('(x)+y').emptyLoops, false)
  assert.deepEqual([...compileJavaRegex('(a)(?:(b)|c)+').groupsInRepetition], [2])
})
