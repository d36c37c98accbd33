/**
 * The one compiled-expression mechanism of Ferry's mapping transforms (Map, Route, Matches): JSONata 2.2.2
 * expressions, compiled once at configure() and evaluated synchronously per record with a time and depth limit.
 *
 * JSONata 2.x evaluates asynchronously (every step is an `async` function), while a Transformation's `apply` is
 * synchronous. JSONata is therefore loaded into a `node:vm` context of its own whose microtasks run as soon as a script
 * run in it ends (`microtaskMode: 'afterEvaluate'`): each evaluation is started by running a tiny script in that
 * context, and when the script returns, every promise of the evaluation has settled. JSONata has no way to reach
 * JavaScript globals, so the context is not a security boundary, only a separate microtask queue. The globals JSONata
 * uses are handed to it as function parameters, because global lookups in a vm context are slow.
 *
 * Limits are JSONata's own guardrails, checked at every evaluation step: `timeout` (ms since the evaluation began) and
 * `stack` (nesting of evaluation steps). JSONata's async recursion never overflows the native stack, so `stack` is the
 * only depth bound. A single built-in call is not interrupted; regular expressions, the one built-in whose run time is
 * not roughly linear in its input, are refused when they nest unbounded quantifiers (see `checkRegex`).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import vm from 'node:vm'
import { ConfigException, DataException } from '@ferry/api'

/** A JSONata error as JSONata throws it (a plain object, or an Error from the expression's realm). */
interface JsonataError {
  code?: string
  position?: number
  token?: string
  value?: unknown
  message?: string
}

/** What JSONata's `jsonata(text, options)` returns, as far as Ferry uses it. */
interface CompiledJsonata {
  evaluate(input: unknown): Promise<unknown>
  ast(): unknown
}

interface Engine {
  compile(text: string, options: Record<string, unknown>): CompiledJsonata
  /** Evaluates `expr` over `input` to its end; returns JSONata's result or throws its error. */
  run(expr: CompiledJsonata, input: unknown): unknown
}

const GLOBALS = [
  'Object',
  'Function',
  'Array',
  'Number',
  'parseFloat',
  'parseInt',
  'Infinity',
  'NaN',
  'undefined',
  'Boolean',
  'String',
  'Symbol',
  'Date',
  'Promise',
  'RegExp',
  'Error',
  'JSON',
  'Math',
  'Map',
  'decodeURI',
  'decodeURIComponent',
  'encodeURI',
  'encodeURIComponent',
  'isFinite',
  'isNaN',
].join(', ')

let engine: Engine | null = null

/** The JSONata engine, loaded into its own vm context on first use (once per process). */
function jsonataEngine(): Engine {
  if (engine !== null) return engine
  const require = createRequire(import.meta.url)
  const source = readFileSync(require.resolve('jsonata/jsonata.js'), 'utf8')
  const context = vm.createContext({}, { microtaskMode: 'afterEvaluate', name: 'ferry-jsonata' })
  // `global.Buffer` is what JSONata's $base64encode/$base64decode use under Node.
  const load = vm.runInContext(
    `(function (global) { var module = { exports: {} };
(function (module, exports, global, ${GLOBALS}) {
${source}
})(module, module.exports, global, ${GLOBALS});
return module.exports })`,
    context,
    { filename: 'jsonata.js' },
  ) as (global: unknown) => (text: string, options: Record<string, unknown>) => CompiledJsonata
  const jsonata = load({ Buffer })
  const io = vm.runInContext(
    `(function () {
  const io = { expr: null, input: null, done: false, failed: false, result: undefined }
  const ok = (v) => { io.done = true; io.result = v }
  const fail = (e) => { io.done = true; io.failed = true; io.result = e }
  globalThis.__ferryEvaluate = () => {
    io.done = false; io.failed = false; io.result = undefined
    io.expr.evaluate(io.input).then(ok, fail)
  }
  return io
})()`,
    context,
  ) as { expr: unknown; input: unknown; done: boolean; failed: boolean; result: unknown }
  const start = new vm.Script('__ferryEvaluate()')
  engine = {
    compile: (text, options) => jsonata(text, options),
    run(expr, input) {
      io.expr = expr
      io.input = input
      try {
        start.runInContext(context)
      } finally {
        io.expr = null
        io.input = null
      }
      const { done, failed, result } = io
      io.result = undefined
      if (!done) throw new Error('JSONata evaluation did not settle in its context')
      if (failed) throw result
      return result
    },
  }
  return engine
}

/** The limits an expression runs under: `timeoutMs` per record, `maxDepth` nested evaluation steps. */
export interface ExpressionLimits {
  timeoutMs: number
  maxDepth: number
}

/**
 * A compiled JSONata expression, evaluated synchronously. `evaluate` returns JSONata's result (`undefined` when the
 * expression selects nothing) and throws a DataException naming `owner`, the key and, for a limit, its value.
 */
export interface Expression {
  readonly text: string
  evaluate(document: unknown): unknown
}

/**
 * Compiles `text`, the value of config key `key`, for the transform `owner` (its class name, for messages). A syntax
 * error, or a regular expression Ferry refuses, is a ConfigException naming the key, the position and JSONata's
 * message.
 */
export function compileExpression(owner: string, key: string, text: string, limits: ExpressionLimits): Expression {
  const { compile, run } = jsonataEngine()
  let compiled: CompiledJsonata
  try {
    compiled = compile(text, { timeout: limits.timeoutMs, stack: limits.maxDepth, RegexEngine: CheckedRegExp })
    forEachRegex(compiled.ast(), (regex) => checkRegex(regex.source))
  } catch (e) {
    throw new ConfigException(key, text, describeCompileError(e))
  }
  return Object.freeze({
    text,
    evaluate(document: unknown): unknown {
      try {
        return run(compiled, document)
      } catch (e) {
        throw evaluationError(owner, key, limits, e)
      }
    },
  })
}

/** Checks that `text` compiles, for a ConfigDef validator (a ConfigException naming the key otherwise). */
export function checkExpression(key: string, text: string): void {
  compileExpression('', key, text, { timeoutMs: 1, maxDepth: 1 })
}

function describeCompileError(e: unknown): string {
  const error = e as JsonataError
  if (error?.code === REGEX_REFUSED) return error.message ?? String(e)
  const where = typeof error?.position === 'number' ? ` at position ${error.position}` : ''
  const code = error?.code ? ` (JSONata ${error.code})` : ''
  return `JSONata syntax error${where}: ${error?.message ?? String(e)}${code}`
}

function evaluationError(owner: string, key: string, limits: ExpressionLimits, e: unknown): DataException {
  const error = e as JsonataError
  switch (error?.code) {
    case 'D1012':
      return new DataException(
        `${owner}: the ${key} ran longer than expression.timeout.ms=${limits.timeoutMs} and was stopped`,
      )
    case 'D1011':
      return new DataException(
        `${owner}: the ${key} nested deeper than expression.max.depth=${limits.maxDepth} evaluation steps and was stopped`,
      )
  }
  const where = typeof error?.position === 'number' ? ` at position ${error.position}` : ''
  const code = error?.code ? ` (JSONata ${error.code})` : ''
  return new DataException(
    `${owner}: the ${key} failed${where}: ${error?.message ?? String(e)}${code}`,
    e instanceof Error ? e : undefined,
  )
}

const REGEX_REFUSED = 'FERRY_REGEX'

/** Calls `visit` with every regular expression literal in a JSONata AST. */
function forEachRegex(node: unknown, visit: (regex: RegExp) => void, seen = new Set<unknown>()): void {
  if (node === null || typeof node !== 'object' || seen.has(node)) return
  seen.add(node)
  const n = node as { type?: unknown; value?: unknown }
  if (n.type === 'regex' && n.value !== null && typeof n.value === 'object') visit(n.value as RegExp)
  for (const child of Object.values(node)) forEachRegex(child, visit, seen)
}

/**
 * Refuses a pattern that repeats, without an upper bound, a group that itself contains an unbounded repetition
 * (`(a+)+`, `(\w*\s?)*`, `(?:x+y*)+`): the shape that makes a backtracking engine take exponential time on a string
 * that almost matches, which no per-step time limit can interrupt. Anything else runs in time bounded by the input.
 */
export function checkRegex(source: string): void {
  // For each open group: whether an unbounded quantifier occurred inside it.
  const groups: boolean[] = []
  let lastGroupHadRepeat = false
  let afterGroup = false
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!
    if (c === '\\') {
      i++
      afterGroup = false
      continue
    }
    if (c === '[') {
      // A character class: skip to its end (a `]` first in the class is literal).
      let j = i + 1
      if (source[j] === '^') j++
      if (source[j] === ']') j++
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1
      i = j
      afterGroup = false
      continue
    }
    if (c === '(') {
      groups.push(false)
      afterGroup = false
      continue
    }
    if (c === ')') {
      lastGroupHadRepeat = groups.pop() ?? false
      if (lastGroupHadRepeat && groups.length > 0) groups[groups.length - 1] = true
      afterGroup = true
      continue
    }
    const unbounded = c === '*' || c === '+' || (c === '{' && /^\{\d*,\}/.test(source.slice(i)))
    if (unbounded) {
      if (afterGroup && lastGroupHadRepeat) {
        throw {
          code: REGEX_REFUSED,
          message: `the regular expression /${source}/ repeats a group that itself repeats without bound (as in (a+)+); Ferry refuses it because its run time can grow exponentially with the input. Rewrite it without the nested repetition`,
        }
      }
      if (groups.length > 0) groups[groups.length - 1] = true
    }
    afterGroup = false
  }
}

/** The RegexEngine JSONata is given: RegExp, with `checkRegex` applied to regexes built at run time (`$eval`). */
function CheckedRegExp(regex: RegExp): RegExp {
  checkRegex(regex.source)
  return new RegExp(regex.source, regex.flags)
}
