import assert from 'node:assert/strict'
import test from 'node:test'
import { ConfigException, DataException } from '@ferry/api'
import { checkRegex, compileExpression } from '../../src/mapping/expression.ts'

const LIMITS = { maxSteps: 1_000_000, maxDepth: 1000, timeoutMs: 10_000 }
const OWNER = 'io.ferry.transforms.Map'

function isData(pattern: RegExp): (e: unknown) => boolean {
  return (e) => e instanceof DataException && pattern.test((e as Error).message)
}

test('an expression is evaluated synchronously, with JSONata’s functions, over the document given', () => {
  const expression = compileExpression(
    OWNER,
    'expression',
    '{"n": $count(items), "s": $join(items.$uppercase(name), ",")}',
    LIMITS,
  )
  const result = expression.evaluate({ items: [{ name: 'a' }, { name: 'b' }] }) as Record<string, unknown>
  assert.deepEqual({ ...result }, { n: 2, s: 'A,B' })
  assert.deepEqual({ ...(expression.evaluate({ items: [] }) as Record<string, unknown>) }, { n: 0 })
})

test('$base64encode and $base64decode work inside the expression context', () => {
  const expression = compileExpression(OWNER, 'expression', '$base64decode($base64encode(s))', LIMITS)
  assert.equal(expression.evaluate({ s: 'héllo' }), 'héllo')
})

test('a syntax error is a ConfigException naming the key, the position and JSONata’s message', () => {
  assert.throws(
    () => compileExpression(OWNER, 'expression', 'value.(a', LIMITS),
    (e: unknown) =>
      e instanceof ConfigException &&
      /^Invalid value value\.\(a for configuration expression: JSONata syntax error at position 8: .+ \(JSONata S0\d+\)$/.test(
        (e as Error).message,
      ),
  )
})

test('an expression taking more than expression.max.steps steps fails, the same way on every run, and a smaller one passes', () => {
  const expression = compileExpression(OWNER, 'expression', '$sum(values.($ * 2))', { ...LIMITS, maxSteps: 500 })
  const small = Array.from({ length: 10 }, (_, i) => i)
  const large = Array.from({ length: 1000 }, (_, i) => i)
  for (let i = 0; i < 3; i++) {
    assert.equal(expression.evaluate({ values: small }), 90)
    assert.throws(
      () => expression.evaluate({ values: large }),
      isData(
        /^io\.ferry\.transforms\.Map: the expression took more than expression\.max\.steps=500 evaluation steps and was stopped$/,
      ),
    )
  }
})

test('an infinite loop is stopped by expression.max.steps', () => {
  const expression = compileExpression(OWNER, 'expression', '($loop := function($n) { $loop($n + 1) }; $loop(0))', {
    ...LIMITS,
    maxSteps: 100_000,
  })
  assert.throws(() => expression.evaluate({}), isData(/took more than expression\.max\.steps=100000/))
})

test('steps run by $eval count toward expression.max.steps', () => {
  const expression = compileExpression(OWNER, 'expression', '$eval(code)', { ...LIMITS, maxSteps: 200 })
  assert.equal(expression.evaluate({ code: '1 + 1' }), 2)
  assert.throws(() => expression.evaluate({ code: '$sum([1..500].($ * 2))' }), isData(/expression\.max\.steps=200/))
})

test('an expression running longer than expression.timeout.ms fails with a DataException naming the transform and the limit', () => {
  const expression = compileExpression(OWNER, 'expression', '($loop := function($n) { $loop($n + 1) }; $loop(0))', {
    maxSteps: Number.MAX_SAFE_INTEGER,
    maxDepth: 1000,
    timeoutMs: 30,
  })
  assert.throws(
    () => expression.evaluate({}),
    isData(/^io\.ferry\.transforms\.Map: the expression ran longer than expression\.timeout\.ms=30 and was stopped$/),
  )
})

test('a long loop over a large range is stopped by the time limit too', () => {
  const expression = compileExpression(OWNER, 'expression', '$sum([1..1000000].($ * 2))', {
    maxSteps: Number.MAX_SAFE_INTEGER,
    maxDepth: 1000,
    timeoutMs: 20,
  })
  assert.throws(() => expression.evaluate({}), isData(/ran longer than expression\.timeout\.ms=20/))
})

test('recursion deeper than expression.max.depth fails with a DataException naming the limit', () => {
  const text = '($depth := function($n) { $n = 0 ? 0 : 1 + $depth($n - 1) }; $depth(n))'
  const expression = compileExpression(OWNER, 'expression', text, { ...LIMITS, maxDepth: 200 })
  assert.equal(expression.evaluate({ n: 10 }), 10)
  assert.throws(
    () => expression.evaluate({ n: 1000 }),
    isData(
      /^io\.ferry\.transforms\.Map: the expression nested deeper than expression\.max\.depth=200 evaluation steps and was stopped$/,
    ),
  )
})

test('recursion deeper than the JavaScript stack, under a higher expression.max.depth, fails the record saying so', () => {
  const text = '($depth := function($n) { $n = 0 ? 0 : 1 + $depth($n - 1) }; $depth(n))'
  const expression = compileExpression(OWNER, 'expression', text, { ...LIMITS, maxDepth: 1_000_000 })
  assert.throws(
    () => expression.evaluate({ n: 100_000 }),
    isData(/nested deeper than the JavaScript stack allows, before expression\.max\.depth=1000000 \(lower it/),
  )
  assert.equal(expression.evaluate({ n: 10 }), 10)
})

test('the expression context is usable again after a failed evaluation', () => {
  const failing = compileExpression(OWNER, 'expression', '$error("boom")', LIMITS)
  const working = compileExpression(OWNER, 'expression', 'a + 1', LIMITS)
  assert.throws(() => failing.evaluate({}), isData(/the expression failed.*boom/))
  assert.equal(working.evaluate({ a: 1 }), 2)
})

test('a regular expression that nests unbounded repetition is refused at compile time, naming the key', () => {
  for (const pattern of ['/(a+)+b/', '/(x*y?)*$/', '/((ab)*c)+/', '/(?:[a-z]+\\s?){2,}/']) {
    assert.throws(
      () => compileExpression(OWNER, 'expression', `$match(value, ${pattern})`, LIMITS),
      (e: unknown) =>
        e instanceof ConfigException && /repeats a group that itself repeats without bound/.test((e as Error).message),
      pattern,
    )
  }
})

test('regular expressions without nested unbounded repetition are accepted', () => {
  for (const source of ['a+b*', '(ab)+', '(a+)b', '[(a+)]+', '\\(a+\\)+', '(a{2})+', '(a|b)*c', '(a+)?']) {
    assert.doesNotThrow(() => checkRegex(source), source)
  }
})

test('a regular expression built at run time with $eval is checked too, and fails the record', () => {
  const expression = compileExpression(OWNER, 'expression', '$eval("$match(s, /" & p & "/)")', LIMITS)
  assert.equal((expression.evaluate({ s: 'aab', p: 'a+b' }) as { match: string }).match, 'aab')
  assert.throws(
    () => expression.evaluate({ s: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaac', p: '(a+)+b' }),
    isData(/the expression failed.*repeats a group that itself repeats without bound/),
  )
})
