import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import test from 'node:test'
import jsonata from 'jsonata'
import { compileExpression, JSONATA_VERSION, synchronousJsonata } from '../../src/mapping/expression.ts'

const LIMITS = { maxSteps: 10_000_000, maxDepth: 10_000, timeoutMs: 60_000 }

const DOC = {
  key: 'k1',
  topic: 'orders',
  partition: 2,
  timestamp: 1_717_163_110_250,
  headers: { kind: 'order', attempt: 2 },
  value: {
    id: 7,
    customer: { first: 'Ada', last: 'Lovelace', email: 'ada@example.com', tags: ['vip', 'eu'] },
    lines: [
      { sku: 'A-1', qty: 2, price: 4.5, category: 'books' },
      { sku: 'B-2', qty: 1, price: 20, category: 'games' },
      { sku: 'C-3', qty: 5, price: 1.25, category: 'books' },
    ],
    created: '2024-05-31T13:45:10.250Z',
    note: null,
    flags: { gift: true, express: false },
  },
}

/** Expressions over every part of JSONata's evaluator: paths, predicates, operators, constructors, grouping, sorting,
 * functions and lambdas, closures, recursion, regexes, the transform operator, dates, errors. */
const CORPUS = [
  'value.id',
  'value.customer.first & " " & value.customer.last',
  'value.lines.sku',
  'value.lines[0]',
  'value.lines[-1].sku',
  'value.lines[qty > 1].sku',
  'value.lines[category = "books"].(qty * price)',
  '$sum(value.lines.(qty * price))',
  '$count(value.lines)',
  '$max(value.lines.price)',
  '$average(value.lines.qty)',
  'value.lines{category: $sum(qty)}',
  'value.lines{category: sku[]}',
  'value.lines^(>price).sku',
  'value.lines^(category, <qty).sku',
  '$sort(value.lines, function($a, $b) { $a.price > $b.price }).sku',
  '$map(value.lines, function($l, $i) { $i & ":" & $l.sku })',
  '$filter(value.lines, function($l) { $l.price < 10 }).sku',
  '$reduce(value.lines.qty, function($acc, $q) { $acc + $q }, 0)',
  '$zip(value.lines.sku, value.lines.qty)',
  '$keys(value.flags)',
  '$lookup(value.flags, "gift")',
  '$spread(value.flags)',
  '$each(value.flags, function($v, $k) { $k & "=" & $string($v) })',
  '$merge([value.flags, {"new": 1}])',
  '$sift(value.customer, function($v, $k) { $k != "email" })',
  'value ~> |customer|{"full": first & " " & last}, ["email"]|',
  '($double := function($x) { $x * 2 }; value.lines.qty.$double($))',
  '($fact := function($n) { $n <= 1 ? 1 : $n * $fact($n - 1) }; $fact(15))',
  '($even := function($n) { $n = 0 ? true : $odd($n - 1) }; $odd := function($n) { $n = 0 ? false : $even($n - 1) }; $even(40))',
  '($add := function($a, $b) { $a + $b }; $inc := $add(?, 1); $inc(41))',
  '$uppercase(value.customer.email) ~> $substringBefore("@")',
  '$split(value.customer.email, /[@.]/)',
  '$match(value.customer.email, /(\\w+)@(\\w+)/)',
  '$replace(value.customer.email, /a/, function($m) { $uppercase($m.match) })',
  '$contains(value.customer.email, /example/)',
  '$join(value.customer.tags, "|")',
  '$pad($string(value.id), 5, "0")',
  '$formatNumber(1234.5678, "#,##0.00")',
  '$formatBase(255, 16)',
  '$toMillis(value.created)',
  '$fromMillis(timestamp, "[Y0001]-[M01]-[D01]")',
  '$number("12.5") + 1',
  '$round(2.345, 2)',
  '$boolean(value.note)',
  '$exists(value.missing)',
  '$type(value.lines)',
  '$distinct(value.lines.category)',
  '$reverse(value.lines.sku)',
  '$shuffle([1]) ',
  '$append(value.customer.tags, ["new"])',
  '[1..5].($ * $)',
  '[value.lines.sku, value.customer.tags]',
  '{"a": [1, 2], "b": {"c": value.id}}',
  'value.lines@$l.value.customer@$c.{"sku": $l.sku, "who": $c.first}',
  'value.lines#$i[$i < 2].sku',
  'value.id > 5 and value.flags.gift or false',
  'value.id in [1, 7, 9]',
  'value.note ? "has note" : "none"',
  'value.missing ?: "default"',
  'value.note ?? "null-coalesced"',
  '$string(value)',
  '$eval("1 + value.id", $)',
  '**.sku',
  'value.*.first',
  'headers.kind & "/" & topic & "/" & $string(partition)',
  '$base64encode(key)',
  '$encodeUrlComponent("a b&c")',
  // Errors: the same code at the same position.
  'value.customer.first + 1',
  '$error("boom")',
  '$sum(value.customer)',
  'value.lines[0].sku.undefinedFn()',
  '$assert(false, "nope")',
]

function outcome(run: () => unknown): string {
  try {
    const result = run()
    return `ok ${JSON.stringify(result) ?? 'undefined'}`
  } catch (e) {
    const error = e as { code?: string; position?: number }
    return `error ${error.code} at ${error.position}`
  }
}

test('the synchronous JSONata gives what JSONata gives, over a corpus of expressions and errors', async () => {
  for (const text of CORPUS) {
    const original = jsonata(text)
    let expected: string
    try {
      expected = `ok ${JSON.stringify(await original.evaluate(structuredClone(DOC))) ?? 'undefined'}`
    } catch (e) {
      const error = e as { code?: string; position?: number }
      expected = `error ${error.code} at ${error.position}`
    }
    const ours = compileExpression('test', 'expression', text, LIMITS)
    const actual = outcome(() => ours.evaluate(structuredClone(DOC)))
    // Ferry wraps JSONata's errors: compare the code and position it names.
    const normalized = actual.startsWith('ok')
      ? actual
      : (() => {
          try {
            ours.evaluate(structuredClone(DOC))
            return actual
          } catch (e) {
            const m = /failed at position (\d+):.*\(JSONata (\w+)\)$/s.exec((e as Error).message)
            return m ? `error ${m[2]} at ${m[1]}` : `error ${(e as Error).message}`
          }
        })()
    assert.equal(normalized, expected, text)
  }
})

test('the synchronous JSONata is made from the JSONata version it was checked against, with nothing asynchronous left', () => {
  const require = createRequire(import.meta.url)
  const pkg = JSON.parse(readFileSync(require.resolve('jsonata/package.json'), 'utf8')) as { version: string }
  assert.equal(pkg.version, JSONATA_VERSION)
  const source = synchronousJsonata(readFileSync(require.resolve('jsonata/jsonata.js'), 'utf8'))
  assert.doesNotMatch(source, /\bawait\b|Promise\.all|async function/)
  assert.throws(() => synchronousJsonata('x = Promise.race([a, b])'), /asynchronous parts/)
})
