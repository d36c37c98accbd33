/**
 * The config keys every mapping transform shares (`expression` and its limits `expression.max.steps`,
 * `expression.max.depth`, `expression.timeout.ms`) and
 * the validators that compile an expression or parse a declared schema, so `config/validate` reports their errors
 * on the key.
 */
import { type AbstractConfig, ConfigDef, Range, type Validator } from '@ferry/api'
import { simpleConfig } from '../util/config.ts'
import { checkExpression, compileExpression, type Expression } from './expression.ts'
import { parseSchemaJson } from './schema-json.ts'

export const EXPRESSION_CONFIG = 'expression'
export const MAX_STEPS_CONFIG = 'expression.max.steps'
export const MAX_DEPTH_CONFIG = 'expression.max.depth'
export const TIMEOUT_CONFIG = 'expression.timeout.ms'

const DOCS_LINK = 'See docs/transforms.md, "The mapping transform".'

/** The value must compile as a JSONata expression (the ConfigException gives the position and JSONata's message). */
export const ExpressionValidator: Validator = Object.freeze({
  ensureValid(name: string, value: unknown): void {
    if (typeof value === 'string') checkExpression(name, value)
  },
  toString(): string {
    return 'a JSONata expression'
  },
})

/** Null, or a schema in the JSON notation of JsonConverter envelopes (see schema-json.ts). */
export const SchemaJsonValidator: Validator = Object.freeze({
  ensureValid(name: string, value: unknown): void {
    if (typeof value === 'string') parseSchemaJson(name, value)
  },
  toString(): string {
    return 'a Connect schema as JSON, as in a JsonConverter envelope'
  },
})

/** A ConfigDef with the shared keys; `expressionDoc` says what this transform's expression produces. */
export function expressionConfigDef(expressionDoc: string): ConfigDef {
  return new ConfigDef()
    .define({
      name: EXPRESSION_CONFIG,
      type: 'STRING',
      validator: ExpressionValidator,
      importance: 'HIGH',
      documentation: `A JSONata expression over the record document {key, value, headers, topic, partition, timestamp}. ${expressionDoc} ${DOCS_LINK}`,
    })
    .define({
      name: MAX_STEPS_CONFIG,
      type: 'INT',
      defaultValue: 1_000_000,
      validator: Range.between(1, 1_000_000_000),
      importance: 'LOW',
      documentation:
        'The most evaluation steps an expression may take for one record (each path step, operator, function call and constructor is one; a record of a few fields takes tens to hundreds). A record that needs more fails (errors.tolerance decides what happens to it). Unlike a time limit, this does not depend on the machine or its load.',
    })
    .define({
      name: MAX_DEPTH_CONFIG,
      type: 'INT',
      defaultValue: 1000,
      validator: Range.between(1, 1_000_000),
      importance: 'LOW',
      documentation:
        'The deepest nesting of evaluation steps an expression may reach for one record (a recursive function takes about 4 per call); deeper fails the record.',
    })
    .define({
      name: TIMEOUT_CONFIG,
      type: 'LONG',
      defaultValue: 10_000,
      validator: Range.between(1, 3_600_000),
      importance: 'LOW',
      documentation:
        'The longest an expression may run for one record, in milliseconds of wall-clock time, as a backstop to expression.max.steps; a long garbage collection or a busy machine counts too, so keep it generous. A record whose expression runs longer fails.',
    })
}

/** The parsed config and its compiled expression, for the transform `owner` (its class name, for messages). */
export function configure(
  owner: string,
  def: ConfigDef,
  props: Readonly<Record<string, unknown>>,
): { config: AbstractConfig; expression: Expression } {
  const config = simpleConfig(def, props)
  const expression = compileExpression(owner, EXPRESSION_CONFIG, config.getString(EXPRESSION_CONFIG)!, {
    maxSteps: config.getInt(MAX_STEPS_CONFIG)!,
    maxDepth: config.getInt(MAX_DEPTH_CONFIG)!,
    timeoutMs: config.getLong(TIMEOUT_CONFIG)!,
  })
  return { config, expression }
}
