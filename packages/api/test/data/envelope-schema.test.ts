import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DataException, parseEnvelopeSchema, type Schema, SchemaBuilderException } from '../../src/index.ts'

const plain = { defaultValue: (_schema: Schema, node: unknown) => node }

test('parseEnvelopeSchema builds the schema a JsonConverter envelope\'s "schema" describes', () => {
  const seen: string[] = []
  const schema = parseEnvelopeSchema(
    {
      type: 'struct',
      name: 'shop.Order',
      version: 3n,
      doc: 'an order',
      fields: [
        { field: 'id', type: 'int64' },
        { field: 'tags', type: 'array', items: { type: 'string' }, optional: true },
        { field: 'attrs', type: 'map', keys: { type: 'string' }, values: { type: 'double' }, parameters: { p: 'v' } },
        { field: 'n', type: 'int32', default: 7 },
      ],
    },
    {
      defaultValue: (s, node, where) => {
        seen.push(`${where} ${s.type} ${JSON.stringify(node)}`)
        return node
      },
      intValue: (v) => Number(v) + 100,
    },
  )!
  assert.equal(schema.name, 'shop.Order')
  assert.equal(schema.version, 103, 'intValue reads the version')
  assert.equal(schema.doc, 'an order')
  assert.deepEqual(
    schema.fields().map((f) => [f.name, f.schema.type, f.schema.isOptional]),
    [
      ['id', 'INT64', false],
      ['tags', 'ARRAY', true],
      ['attrs', 'MAP', false],
      ['n', 'INT32', false],
    ],
  )
  assert.deepEqual(schema.field('attrs')!.schema.parameters, { p: 'v' })
  assert.equal(schema.field('n')!.schema.defaultValue, 7)
  assert.deepEqual(seen, ['schema.n.default INT32 7'])
  assert.equal(parseEnvelopeSchema(null, plain), null)
})

test("without strict, Apache's rules and messages: unknown keys ignored, DataExceptions", () => {
  const cases: [unknown, string][] = [
    [[], "Schema must contain 'type' field"],
    [{ type: 'text' }, 'Unknown schema type: text'],
    [{ type: 'array' }, 'Array schema did not specify the element type'],
    [{ type: 'map', keys: { type: 'string' } }, 'Map schema did not specify the value type'],
    [{ type: 'struct' }, 'Struct schema\'s "fields" argument is not an array.'],
    [{ type: 'struct', fields: [{ type: 'string' }] }, "Struct schema's field name not specified properly"],
    [{ type: 'string', parameters: { a: 1 } }, 'Schema parameters must have string values.'],
  ]
  for (const [node, message] of cases) {
    assert.throws(
      () => parseEnvelopeSchema(node, plain),
      (e: unknown) => e instanceof DataException && e.message === message,
      message,
    )
  }
  assert.equal(parseEnvelopeSchema({ type: 'string', nullable: true, optional: 'yes' }, plain)!.isOptional, false)
  assert.throws(
    () =>
      parseEnvelopeSchema(
        {
          type: 'struct',
          fields: [
            { field: 'a', type: 'string' },
            { field: 'a', type: 'int8' },
          ],
        },
        plain,
      ),
    SchemaBuilderException,
  )
})

test('strict: every part must be a schema and messages name the place', () => {
  const strict = { ...plain, strict: true }
  const cases: [unknown, string][] = [
    [null, 'schema must be a JSON object with a "type"'],
    [{ type: 'array' }, 'schema.items must be a JSON object with a "type"'],
    [{ type: 'map', keys: null, values: { type: 'string' } }, 'schema.keys must be a JSON object with a "type"'],
    [{ type: 'string', nullable: true }, 'schema has "nullable", which is not a schema key'],
    [{ type: 'struct', fields: [{ field: 'a', type: 'oops' }] }, 'schema.a has the type "oops"; valid types:'],
    [{ type: 'string', optional: 'yes' }, 'schema.optional must be true or false'],
    [{ type: 'string', parameters: 'x' }, 'schema.parameters must be an object'],
  ]
  for (const [node, message] of cases) {
    assert.throws(
      () => parseEnvelopeSchema(node, strict),
      (e: unknown) => e instanceof Error && !(e instanceof DataException) && e.message.startsWith(message),
      message,
    )
  }
})
