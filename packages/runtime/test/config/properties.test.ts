import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseProperties } from '../../src/config/properties.ts'

test('parses = : and space separators, comments and blank lines', () => {
  const props = parseProperties('# comment\n! also comment\n\na=1\nb: 2\nc 3\n  d = four  \n')
  assert.deepEqual(props, { a: '1', b: '2', c: '3', d: 'four  ' })
})

test('joins continuation lines and strips the next line’s leading blanks', () => {
  assert.deepEqual(parseProperties('list=a,\\\n    b,\\\n    c\n'), { list: 'a,b,c' })
})

test('decodes escapes in keys and values, including unicode', () => {
  const props = parseProperties('key\\ with\\ spaces=tab\\there\\u00e9\npath=C\\:\\\\dir\n')
  assert.deepEqual(props, { 'key with spaces': 'tab\there\u00e9', path: 'C:\\dir' })
})

test('a key without a value maps to the empty string and later keys win', () => {
  assert.deepEqual(parseProperties('empty\nx=1\nx=2\r\n'), { empty: '', x: '2' })
})
