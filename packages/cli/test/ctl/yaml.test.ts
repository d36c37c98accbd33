import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toYaml } from '../../src/ctl/yaml.ts'

test('mappings and sequences are block YAML, a mapping in a list starting on the dash line', () => {
  assert.equal(
    toYaml({
      name: 'src',
      tasks: [
        { id: 0, state: 'RUNNING' },
        { id: 1, state: 'FAILED' },
      ],
      config: {},
      offsets: [],
    }),
    'name: src\ntasks:\n  - id: 0\n    state: RUNNING\n  - id: 1\n    state: FAILED\nconfig: {}\noffsets: []\n',
  )
  assert.equal(toYaml([['a'], []]), '-\n  - a\n- []\n')
})

test('strings a YAML reader would take for something else are JSON-quoted', () => {
  const value = {
    t: 'true',
    n: 'null',
    no: 'no',
    num: '123',
    neg: '-1',
    date: '2024-01-01',
    empty: '',
    colon: 'a: b',
    hash: 'a #b',
    lead: ' x',
    trail: 'x ',
    q: "it's",
    unicode: 'ü',
  }
  assert.equal(
    toYaml(value),
    [
      't: "true"',
      '"n": "null"',
      '"no": "no"',
      'num: "123"',
      'neg: "-1"',
      'date: "2024-01-01"',
      'empty: ""',
      'colon: "a: b"',
      'hash: "a #b"',
      'lead: " x"',
      'trail: "x "',
      `q: "it's"`,
      'unicode: "ü"',
      '',
    ].join('\n'),
  )
})

test('class names, URLs and keys with dots stay plain; numbers, booleans and null are YAML scalars', () => {
  assert.equal(
    toYaml({
      'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector',
      url: 'http://a:8083/x',
      file: '/tmp/in.txt',
      id: 0,
      on: true,
      trace: null,
    }),
    'connector.class: org.apache.kafka.connect.file.FileStreamSourceConnector\nurl: http://a:8083/x\nfile: /tmp/in.txt\nid: 0\n"on": true\ntrace: null\n',
  )
})

test('a stack trace is a literal block; text a block cannot keep exactly is quoted', () => {
  assert.equal(
    toYaml({ trace: 'java.lang.Exception: bad\n\tat a.B.c(B.java:1)\n\n\tat d' }),
    'trace: |-\n  java.lang.Exception: bad\n  \tat a.B.c(B.java:1)\n\n  \tat d\n',
  )
  assert.equal(
    toYaml({ a: 'x \ny', b: 'x\n', c: '\nx', d: ' x\ny' }),
    'a: "x \\ny"\nb: "x\\n"\nc: "\\nx"\nd: " x\\ny"\n',
  )
})
