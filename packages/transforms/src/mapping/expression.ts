/**
 * The one compiled-expression mechanism of Ferry's mapping transforms (Map, Route, Matches): JSONata 2.2.2
 * expressions, compiled once at configure() and evaluated synchronously per record with a time and depth limit.
 *
 * JSONata 2.x evaluates asynchronously: every evaluation step is an `async` function, awaited by its parent, so that
 * user-registered functions may return promises. A Transformation's `apply` is synchronous, and Ferry registers no
 * functions, so every value JSONata awaits is already there. Ferry therefore loads JSONata's own code with the
 * `async`/`await` keywords taken out (and its two `Promise.all` calls, over lists whose items are then values): the
 * same evaluator, run synchronously. `synchronousJsonata` makes that edit, checks that nothing asynchronous is left and
 * refuses any JSONata version but the one it was checked against (2.2.2); a test compares its results with the
 * original's over a corpus of expressions.
 *
 * Limits are checked at every evaluation step: a count of steps (Ferry's, through JSONata's evaluate-entry hook), and
 * JSONata's own guardrails `stack` (nesting of steps) and `timeout` (wall-clock ms since the evaluation began). A
 * JavaScript stack overflow (recursion deeper than the native stack allows, before `stack`) fails the record with its
 * own message. A single built-in call is not interrupted; regular expressions, the one built-in whose run time is not
 * roughly linear in its input, are refused when they nest unbounded quantifiers (see `checkRegex`).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import vm from 'node:vm'
import { ConfigException, DataException } from '@ferry/api'

/** A JSONata error as JSONata throws it (a plain object with a code, or an Error). */
interface JsonataError {
  code?: string
  position?: number
  token?: string
  value?: unknown
  message?: string
}

/** What JSONata's `jsonata(text, options)` returns, made synchronous, as far as Ferry uses it. */
interface CompiledJsonata {
  evaluate(input: unknown): unknown
  assign(name: symbol, value: unknown): void
  ast(): unknown
}

type Jsonata = (text: string, options: Record<string, unknown>) => CompiledJsonata

/** The JSONata version `synchronousJsonata` was checked against. */
export const JSONATA_VERSION = '2.2.2'

/**
 * JSONata's source (jsonata.js, its browserified build) without `async` and `await`: `async function` → `function`,
 * `async (...) =>` → `(...) =>`, `await x` → `x`, `await Promise.all(list)` → `(list)`. Throws when anything
 * asynchronous is left (what remains of the word `async` is a property of its environment frames, never set).
 */
export function synchronousJsonata(source: string): string {
  const sync = source
    .replaceAll('await Promise.all(', '(')
    .replace(/\basync (?=function\b|\(|\w+ =>)/g, '')
    .replace(/\bawait /g, '')
  const left = [...sync.matchAll(/\bawait\b|(?<!\.)\basync\b(?!:)|\bPromise\b|\.then\(/g)]
  if (left.length > 0) {
    throw new Error(
      `JSONata's code has asynchronous parts Ferry does not know how to run synchronously: ${left
        .map((m) => JSON.stringify(sync.slice(Math.max(0, m.index - 30), m.index + 30)))
        .join(', ')}`,
    )
  }
  return sync
}

let jsonata: Jsonata | null = null

/** JSONata, made synchronous, loaded on first use (once per process). */
function synchronousEngine(): Jsonata {
  if (jsonata !== null) return jsonata
  const require = createRequire(import.meta.url)
  const { version } = JSON.parse(readFileSync(require.resolve('jsonata/package.json'), 'utf8')) as { version: string }
  if (version !== JSONATA_VERSION) {
    throw new Error(
      `Ferry's mapping transforms run JSONata ${JSONATA_VERSION}, made synchronous; found JSONata ${version} (install jsonata@${JSONATA_VERSION})`,
    )
  }
  const source = synchronousJsonata(readFileSync(require.resolve('jsonata/jsonata.js'), 'utf8'))
  const module = { exports: {} as unknown }
  const load = vm.compileFunction(source, ['module', 'exports'], { filename: 'jsonata-synchronous.js' })
  load(module, module.exports)
  jsonata = module.exports as Jsonata
  return jsonata
}

/**
 * The limits one evaluation runs under: `maxSteps` evaluation steps in all (deterministic: a record passes or fails
 * the same way on any machine), `maxDepth` nested steps, and `timeoutMs` of wall-clock time (a backstop: a long
 * garbage collection or a starved CPU counts too, so it is meant to be generous).
 */
export interface ExpressionLimits {
  maxSteps: number
  maxDepth: number
  timeoutMs: number
}

/** JSONata calls the function bound to this symbol at the start of every evaluation step. */
const EVALUATE_ENTRY = Symbol.for('jsonata.__evaluate_entry')
const STEPS_EXCEEDED = 'FERRY_STEPS'

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
  const compile = synchronousEngine()
  let compiled: CompiledJsonata
  try {
    compiled = compile(text, { timeout: limits.timeoutMs, stack: limits.maxDepth, RegexEngine: CheckedRegExp })
    forEachRegex(compiled.ast(), (regex) => checkRegex(regex.source))
  } catch (e) {
    throw new ConfigException(key, text, describeCompileError(e))
  }
  // Evaluation is synchronous, so one counter per expression, reset per evaluation, counts that evaluation's steps
  // (those of expressions run by $eval included: they run in the same environment).
  let steps = 0
  const { maxSteps } = limits
  compiled.assign(EVALUATE_ENTRY, () => {
    if (++steps > maxSteps) throw { code: STEPS_EXCEEDED }
  })
  return Object.freeze({
    text,
    evaluate(document: unknown): unknown {
      steps = 0
      let result: unknown
      try {
        result = compiled.evaluate(document)
      } catch (e) {
        // $eval reports errors of its own steps as its own (D3121), so the step limit is read from the counter.
        throw evaluationError(owner, key, limits, steps > maxSteps ? { code: STEPS_EXCEEDED } : e)
      }
      // In case a construct caught the limit's error and went on.
      if (steps > maxSteps) throw evaluationError(owner, key, limits, { code: STEPS_EXCEEDED })
      return result
    },
  })
}

/** Checks that `text` compiles, for a ConfigDef validator (a ConfigException naming the key otherwise). */
export function checkExpression(key: string, text: string): void {
  compileExpression('', key, text, { maxSteps: 1, maxDepth: 1, timeoutMs: 1 })
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
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new DataException(
      `${owner}: the ${key} nested deeper than the JavaScript stack allows, before expression.max.depth=${limits.maxDepth} (lower it, or rewrite the recursion as a tail call) and was stopped`,
    )
  }
  switch (error?.code) {
    case STEPS_EXCEEDED:
      return new DataException(
        `${owner}: the ${key} took more than expression.max.steps=${limits.maxSteps} evaluation steps and was stopped`,
      )
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
