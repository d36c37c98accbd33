/**
 * The config keys every mapping transform shares (`expression`, `expression.timeout.ms`, `expression.max.depth`) and
 * the validators that compile an expression or parse a declared schema, so `config/validate` reports their errors
 * on the key.
 */
import { type AbstractConfig, ConfigDef, Range, type Validator } from '@ferry/api'
import { simpleConfig } from '../util/config.ts'
import { checkExpression, compileExpression, type Expression } from './expression.ts'
import { parseSchemaJson } from './schema-json.ts'

export const EXPRESSION_CONFIG = 'expression'
export const TIMEOUT_CONFIG = 'expression.timeout.ms'
export const MAX_DEPTH_CONFIG = 'expression.max.depth'

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
      name: TIMEOUT_CONFIG,
      type: 'LONG',
      defaultValue: 1000,
      validator: Range.between(1, 3_600_000),
      importance: 'LOW',
      documentation:
        'The longest an expression may run for one record, in milliseconds; a record whose expression runs longer fails (errors.tolerance decides what happens to it).',
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
}

/** The parsed config and its compiled expression, for the transform `owner` (its class name, for messages). */
export function configure(
  owner: string,
  def: ConfigDef,
  props: Readonly<Record<string, unknown>>,
): { config: AbstractConfig; expression: Expression } {
  const config = simpleConfig(def, props)
  const expression = compileExpression(owner, EXPRESSION_CONFIG, config.getString(EXPRESSION_CONFIG)!, {
    timeoutMs: config.getLong(TIMEOUT_CONFIG)!,
    maxDepth: config.getInt(MAX_DEPTH_CONFIG)!,
  })
  return { config, expression }
}
